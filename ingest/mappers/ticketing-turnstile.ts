// ticketing-turnstile: periodic readings of cumulative ENTRIES/EXITS registers per gate device →
// gate_entry / gate_exit TicketingInput per interval between consecutive readings of the device.
// Reads CSV/JSON rows; keeps only the last reading per device (counter.ts has the rules).

import { Type, type Static } from '@sinclair/typebox';
import type { TicketingInput } from '../../schemas/inputs.js';
import { CumulativeCounters, DEFAULT_COUNTER_LIMITS, type CounterLimits } from './counter.js';
import { Bad, Columns, asRow, count, edgeId, location, text, type ColumnSpec, type Row } from './fields.js';
import { firstAfter, isoWithOffset, readTime } from './local-time.js';
import { checkOptions, columnsOption, Zone, ID_PREFIX } from './options.js';
import { reject, ticketingRecord, type MapOutput, type Mapper } from './types.js';

const KEYS = ['device', 'station', 'time', 'entries', 'exits', 'lat', 'lng', 'mode'] as const;
type Key = (typeof KEYS)[number];

export const DEFAULT_TURNSTILE_COLUMNS: Record<Key, ColumnSpec> = {
  device: ['deviceId', 'device', 'device_id', 'turnstile', 'gate', 'scp'],
  station: ['stationId', 'station', 'station_id', 'stop_id'],
  time: ['time', 'timestamp', 'readAt', 'read_at', 'datetime'],
  entries: ['entries', 'entry', 'in'],
  exits: ['exits', 'exit', 'out'],
  lat: ['lat', 'latitude'],
  lng: ['lng', 'lon', 'longitude'],
  mode: ['mode'],
};

export const CounterLimitOptions = {
  maxPerMinute: Type.Optional(
    Type.Number({ exclusiveMinimum: 0, description: 'Most passages per minute one counter can register; more is rejected (default 60)' }),
  ),
  maxGapMs: Type.Optional(
    Type.Integer({
      minimum: 60_000,
      description: 'Longest interval between readings that still yields a count, ms (default 86400000 = 24 h)',
    }),
  ),
};

export const TurnstileOptions = Type.Object(
  {
    columns: Type.Optional(columnsOption(KEYS)),
    zone: Type.Optional(Zone),
    mode: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'Mode when the input has no mode column, e.g. subway' })),
    stationPrefix: Type.Optional(
      Type.String({ maxLength: 64, pattern: ID_PREFIX, description: 'Prefix added to station ids (default none)' }),
    ),
    ...CounterLimitOptions,
  },
  { additionalProperties: false },
);
export type TurnstileOptions = Static<typeof TurnstileOptions>;

export function counterLimits(o: { maxPerMinute?: number | undefined; maxGapMs?: number | undefined }): CounterLimits {
  return { maxPerMinute: o.maxPerMinute ?? DEFAULT_COUNTER_LIMITS.maxPerMinute, maxGapMs: o.maxGapMs ?? DEFAULT_COUNTER_LIMITS.maxGapMs };
}

export interface TurnstileReading {
  line: number;
  /** Unique per physical device across the input. */
  device: string;
  stationId: string;
  /** Instant text: ISO with offset, epoch ms, or local date-time in `zone`. */
  time: unknown;
  entries: number | undefined;
  exits: number | undefined;
  mode?: string | undefined;
  lat?: number | undefined;
  lng?: number | undefined;
}

export interface TurnstileFields {
  time: string;
  entries: string;
  exits: string;
}

/** Readings → interval records; shared by ticketing-turnstile and nyc-mta-turnstile. */
export class TurnstileCore {
  private readonly counters: CumulativeCounters;

  constructor(
    limits: CounterLimits,
    private readonly zone: string | undefined,
  ) {
    this.counters = new CumulativeCounters(limits);
  }

  push(r: TurnstileReading, fields: TurnstileFields, before: (stationId: string) => MapOutput[] = () => []): MapOutput[] {
    const t = readTime(r.time, { zone: this.zone, choose: firstAfter(this.counters.previousMs(r.device)) });
    if (!t.ok) return [reject(r.line, fields.time, t.reason)];
    const results = this.counters.push(
      r.device,
      t.ms,
      t.offsetMinutes,
      [
        { name: fields.entries, value: r.entries },
        { name: fields.exits, value: r.exits },
      ],
      fields.time,
    );
    const out: MapOutput[] = [];
    for (const res of results) {
      if (res.kind === 'reject') {
        out.push(reject(r.line, res.field, res.reason));
        continue;
      }
      const kind = res.counter === fields.entries ? 'gate_entry' : 'gate_exit';
      const start = isoWithOffset(res.startMs, res.startOffset);
      const record: TicketingInput = {
        id: `${r.device}@${start}:${kind === 'gate_entry' ? 'entries' : 'exits'}`,
        stationId: r.stationId,
        kind,
        start,
        end: isoWithOffset(res.endMs, res.endOffset),
        count: res.count,
      };
      if (r.mode !== undefined) record.mode = r.mode;
      if (r.lat !== undefined && r.lng !== undefined) {
        record.lat = r.lat;
        record.lng = r.lng;
      }
      out.push(...before(r.stationId), ticketingRecord(record));
    }
    return out;
  }
}

export function createTicketingTurnstile(opts: TurnstileOptions = {}): Mapper {
  const o = checkOptions('ticketing-turnstile', TurnstileOptions, opts);
  const cols = new Columns<Key>({ ...DEFAULT_TURNSTILE_COLUMNS, ...(o.columns as Partial<Record<Key, ColumnSpec>>) });
  const core = new TurnstileCore(counterLimits(o), o.zone);
  const prefix = o.stationPrefix ?? '';

  function push(value: unknown, line: number): MapOutput[] {
    const row: Row | null = asRow(value);
    if (row === null) return [reject(line, 'row', 'must be an object of named columns')];
    const device = cols.get(row, 'device');
    const deviceId = text(device.value);
    if (deviceId === undefined) return [reject(line, device.name, 'is missing')];
    const station = cols.get(row, 'station');
    const stationText = text(station.value);
    if (stationText === undefined) return [reject(line, station.name, 'is missing')];
    const stationId = edgeId(prefix + stationText);
    if (stationId instanceof Bad) return [reject(line, station.name, stationId.reason)];
    const e = cols.get(row, 'entries');
    const x = cols.get(row, 'exits');
    const entries = count(e.value, Number.MAX_SAFE_INTEGER);
    const exits = count(x.value, Number.MAX_SAFE_INTEGER);
    const bad: MapOutput[] = [];
    if (entries instanceof Bad) bad.push(reject(line, e.name, entries.reason));
    if (exits instanceof Bad) bad.push(reject(line, x.name, exits.reason));
    const ent = entries instanceof Bad ? undefined : entries;
    const exi = exits instanceof Bad ? undefined : exits;
    if (bad.length === 0 && ent === undefined && exi === undefined)
      return [reject(line, e.name, `neither ${e.name} nor ${x.name} is given`)];
    const lat = cols.get(row, 'lat');
    const loc = location(lat.value, cols.get(row, 'lng').value);
    if (loc instanceof Bad) return [...bad, reject(line, lat.name, loc.reason)];
    const time = cols.get(row, 'time');
    const mode = text(cols.get(row, 'mode').value)?.slice(0, 32) ?? o.mode;
    const reading: TurnstileReading = {
      line,
      device: `${stationId}/${deviceId}`,
      stationId,
      time: text(time.value),
      entries: ent,
      exits: exi,
      mode,
    };
    if (loc !== undefined) Object.assign(reading, loc);
    return [...bad, ...core.push(reading, { time: time.name, entries: e.name, exits: x.name })];
  }

  return {
    name: 'ticketing-turnstile',
    source: 'ticketing',
    description: 'Cumulative turnstile ENTRIES/EXITS readings per device → gate_entry/gate_exit counts between consecutive readings',
    push,
    end: () => [],
  };
}
