// ticketing-taps: TIDES-like fare transactions (one tap: stop, time, action, card/fare media id) →
// tap_in/tap_out TicketingInput, and TIDES station activities (entries/exits per stop and period) →
// gate_entry/gate_exit counts. Stop locations come from an optional GTFS stops.txt side file.

import { Type, type Static } from '@sinclair/typebox';
import type { SensorInput, TicketingInput } from '../../schemas/inputs.js';
import { DAY_MS } from '../../shared/time.js';
import { Bad, boundedText, Columns, asRow, count, edgeId, location, text, type ColumnSpec, type Row } from './fields.js';
import { firstAfter, isoInZone, isoWithOffset, OccurrenceOrder, readTime, type TimeResult } from './local-time.js';
import { checkOptions, columnsOption, loadTable, sideTable, Unlocated, Zone, ID_PREFIX } from './options.js';
import { SensorEmitter } from './sensors.js';
import { reject, ticketingRecord, type MapOutput, type Mapper } from './types.js';

const KEYS = [
  'id',
  'station',
  'time',
  'action',
  'mode',
  'card',
  'count',
  'date',
  'periodStart',
  'periodEnd',
  'entries',
  'exits',
  'lat',
  'lng',
] as const;
type Key = (typeof KEYS)[number];

export const DEFAULT_TAP_COLUMNS: Record<Key, ColumnSpec> = {
  id: ['transaction_id', 'transactionId', 'id'],
  station: ['stop_id', 'stopId', 'stationId', 'station_id', 'station'],
  time: ['event_timestamp', 'eventTimestamp', 'time', 'timestamp', 'tapped_at'],
  action: ['fare_action', 'fareAction', 'kind', 'type', 'direction'],
  mode: ['mode', 'route_type'],
  card: ['fare_media_id', 'fareMediaId', 'cardId', 'card_id', 'card'],
  count: ['group_size', 'groupSize', 'count'],
  date: ['date', 'service_date'],
  periodStart: ['time_period_start', 'timePeriodStart'],
  periodEnd: ['time_period_end', 'timePeriodEnd'],
  entries: ['total_entries', 'totalEntries', 'entries'],
  exits: ['total_exits', 'totalExits', 'exits'],
  lat: ['lat', 'latitude', 'stop_lat'],
  lng: ['lng', 'lon', 'longitude', 'stop_lon'],
};

/** TIDES fare_action values and common vendor words → tap kind; `null` marks actions that are not a passage. */
export const FARE_ACTIONS: Record<string, 'tap_in' | 'tap_out' | null> = {
  enter: 'tap_in',
  'transfer entrance': 'tap_in',
  tap_in: 'tap_in',
  'tap-in': 'tap_in',
  tapin: 'tap_in',
  'check-in': 'tap_in',
  checkin: 'tap_in',
  in: 'tap_in',
  entry: 'tap_in',
  tap_on: 'tap_in',
  'tap-on': 'tap_in',
  boarding: 'tap_in',
  exit: 'tap_out',
  'transfer exit': 'tap_out',
  tap_out: 'tap_out',
  'tap-out': 'tap_out',
  tapout: 'tap_out',
  'check-out': 'tap_out',
  checkout: 'tap_out',
  out: 'tap_out',
  tap_off: 'tap_out',
  'tap-off': 'tap_out',
  alighting: 'tap_out',
  'unknown action type': null,
  purchase: null,
  add: null,
  activate: null,
  adjust: null,
  other: null,
};

/** GTFS route_type → mode name (basic and common extended types). */
const ROUTE_TYPES: Record<string, string> = {
  '0': 'tram',
  '1': 'subway',
  '2': 'rail',
  '3': 'bus',
  '4': 'ferry',
  '5': 'cable_tram',
  '6': 'aerial_lift',
  '7': 'funicular',
  '11': 'trolleybus',
  '12': 'monorail',
};

export const TicketingTapsOptions = Type.Object(
  {
    table: Type.Optional(
      Type.Union([Type.Literal('auto'), Type.Literal('fare_transactions'), Type.Literal('station_activities')], {
        description: 'Which TIDES table the rows are; auto (default) decides per row: a period start column means station_activities',
      }),
    ),
    columns: Type.Optional(columnsOption(KEYS)),
    zone: Type.Optional(Zone),
    mode: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'Mode when the row has none, e.g. metro' })),
    stationPrefix: Type.Optional(
      Type.String({ maxLength: 64, pattern: ID_PREFIX, description: 'Prefix added to stop ids (default none)' }),
    ),
    stops: Type.Optional(sideTable('GTFS stops.txt (stop_id, stop_name, stop_lat, stop_lon): stop locations, emitted as sensors')),
    unlocated: Type.Optional(Unlocated),
  },
  { additionalProperties: false },
);
export type TicketingTapsOptions = Static<typeof TicketingTapsOptions>;

export function createTicketingTaps(opts: TicketingTapsOptions = {}): Mapper {
  const name = 'ticketing-taps';
  const o = checkOptions(name, TicketingTapsOptions, opts);
  const cols = new Columns<Key>({ ...DEFAULT_TAP_COLUMNS, ...(o.columns as Partial<Record<Key, ColumnSpec>>) });
  const prefix = o.stationPrefix ?? '';
  // Without a stop list the stations are expected to be registered already.
  const unlocated = o.unlocated ?? 'keep';
  const known = new Map<string, SensorInput>();
  if (o.stops !== undefined) {
    for (const r of loadTable(name, 'stops', o.stops)) {
      const id = text(r.stop_id);
      const loc = location(r.stop_lat, r.stop_lon);
      const stationId = id === undefined ? undefined : edgeId(prefix + id);
      if (typeof stationId !== 'string' || loc === undefined || loc instanceof Bad || known.has(stationId)) continue;
      known.set(stationId, {
        sensorId: stationId,
        source: 'ticketing',
        ...loc,
        site: text(r.stop_name) ?? stationId,
        metadata: { gtfsStopId: id },
      });
    }
  }
  const sensors = new SensorEmitter(known);
  const order = new OccurrenceOrder();

  function station(row: Row, line: number): { stationId: string; lat?: number; lng?: number } | MapOutput {
    const c = cols.get(row, 'station');
    const s = text(c.value);
    if (s === undefined) return reject(line, c.name, 'is missing');
    const stationId = edgeId(prefix + s);
    if (stationId instanceof Bad) return reject(line, c.name, stationId.reason);
    const latCell = cols.get(row, 'lat');
    const own = location(latCell.value, cols.get(row, 'lng').value);
    if (own instanceof Bad) return reject(line, latCell.name, own.reason);
    const loc = own ?? known.get(stationId);
    if (loc === undefined && unlocated === 'reject')
      return reject(line, c.name, `stop ${s} has no location (not in stops, no lat/lng in the row)`);
    return loc === undefined ? { stationId } : { stationId, lat: loc.lat, lng: loc.lng };
  }

  function modeOf(row: Row): string | undefined {
    const m = text(cols.get(row, 'mode').value);
    if (m === undefined) return o.mode;
    return (ROUTE_TYPES[m] ?? m.toLowerCase()).slice(0, 32);
  }

  function emit(where: { stationId: string; lat?: number; lng?: number }, record: TicketingInput): MapOutput[] {
    if (where.lat !== undefined && where.lng !== undefined) {
      record.lat = where.lat;
      record.lng = where.lng;
    }
    return [...sensors.first(where.stationId), ticketingRecord(record)];
  }

  function fareTransaction(row: Row, line: number): MapOutput[] {
    const a = cols.get(row, 'action');
    const actionText = text(a.value);
    if (actionText === undefined) return [reject(line, a.name, 'is missing')];
    const kind = FARE_ACTIONS[actionText.toLowerCase()];
    if (kind === undefined)
      return [reject(line, a.name, `unknown fare action ${JSON.stringify(actionText)} (known: ${Object.keys(FARE_ACTIONS).join(', ')})`)];
    // Purchases, top-ups and the like move nobody: the row is understood and deliberately not a record.
    if (kind === null) return [];
    const where = station(row, line);
    if ('kind' in where) return [where];
    const tc = cols.get(row, 'time');
    const t = readTime(text(tc.value), { zone: o.zone });
    if (!t.ok) return [reject(line, tc.name, t.reason)];
    const cc = cols.get(row, 'count');
    const n = count(cc.value);
    if (n instanceof Bad) return [reject(line, cc.name, n.reason)];
    const idCell = cols.get(row, 'id');
    const id = boundedText(idCell.value, 200);
    if (id instanceof Bad) return [reject(line, idCell.name, id.reason)];
    const record: TicketingInput = {
      ...(id === undefined ? {} : { id }),
      stationId: where.stationId,
      kind,
      start: t.iso,
    };
    if (n !== undefined) record.count = n;
    const mode = modeOf(row);
    if (mode !== undefined) record.mode = mode;
    const cardCell = cols.get(row, 'card');
    const card = boundedText(cardCell.value, 256);
    if (card instanceof Bad) return [reject(line, cardCell.name, card.reason)];
    if (card !== undefined) record.cardId = card;
    return emit(where, record);
  }

  /** A period bound: a full date-time, or a clock time on the row's service date (24:00:00 = next midnight). */
  function bound(
    row: Row,
    key: 'periodStart' | 'periodEnd',
    line: number,
    after?: TimeResult & { ok: true },
  ): (TimeResult & { ok: true }) | MapOutput {
    const c = cols.get(row, key);
    let v = text(c.value);
    let plusDays = 0;
    const clock = v === undefined ? null : /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(v);
    if (clock !== null) {
      const d = cols.get(row, 'date');
      const day = text(d.value);
      if (day === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(day))
        return reject(line, d.name, 'must be a date YYYY-MM-DD when period times are clock times');
      let h = Number(clock[1]);
      plusDays = Math.floor(h / 24);
      h %= 24;
      v = `${day}T${String(h).padStart(2, '0')}:${clock[2]}:${clock[3] ?? '00'}`;
    }
    // A repeated start is told apart by arrival order per stop; a repeated end is the first after the start.
    const choose = after === undefined ? order.chooser(text(cols.get(row, 'station').value) ?? '') : firstAfter(after.ms);
    const t = readTime(v, { zone: o.zone, gap: after === undefined ? 'reject' : 'shift', choose });
    if (!t.ok) return reject(line, c.name, t.reason);
    let ms = t.ms + plusDays * DAY_MS;
    // A clock-time end at or before the start crosses midnight.
    if (clock !== null && after !== undefined && ms <= after.ms) ms += DAY_MS;
    if (ms === t.ms) return t;
    const iso = (o.zone === undefined ? null : isoInZone(ms, o.zone)) ?? isoWithOffset(ms, t.offsetMinutes);
    return { ...t, ms, iso };
  }

  function stationActivity(row: Row, line: number): MapOutput[] {
    const where = station(row, line);
    if ('kind' in where) return [where];
    const start = bound(row, 'periodStart', line);
    if ('kind' in start) return [start];
    const end = bound(row, 'periodEnd', line, start);
    if ('kind' in end) return [end];
    if (end.ms <= start.ms) return [reject(line, cols.get(row, 'periodEnd').name, 'must be after the period start')];
    const mode = modeOf(row);
    const out: MapOutput[] = [];
    for (const [key, kind] of [
      ['entries', 'gate_entry'],
      ['exits', 'gate_exit'],
    ] as const) {
      const c = cols.get(row, key);
      const n = count(c.value);
      if (n === undefined) continue;
      if (n instanceof Bad) {
        out.push(reject(line, c.name, n.reason));
        continue;
      }
      const record: TicketingInput = {
        id: `${where.stationId}@${start.iso}/${end.iso}:${key}`,
        stationId: where.stationId,
        kind,
        start: start.iso,
        end: end.iso,
        count: n,
      };
      if (mode !== undefined) record.mode = mode;
      out.push(...emit(where, record));
    }
    if (out.length === 0) return [reject(line, cols.get(row, 'entries').name, 'neither entries nor exits is given')];
    return out;
  }

  function push(value: unknown, line: number): MapOutput[] {
    const row = asRow(value);
    if (row === null) return [reject(line, 'row', 'must be an object of named columns')];
    const table = o.table ?? 'auto';
    const activity = table === 'station_activities' || (table === 'auto' && text(cols.get(row, 'periodStart').value) !== undefined);
    return activity ? stationActivity(row, line) : fareTransaction(row, line);
  }

  return {
    name,
    source: 'ticketing',
    description: 'TIDES-like fare transactions (tap-in/tap-out) and station activities (entries/exits per period) → TicketingInput',
    push,
    end: () => [],
  };
}
