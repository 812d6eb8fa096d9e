// City of Melbourne pedestrian counts, hourly per sensor in local Australia/Melbourne time →
// CameraInput per sensor-hour and the sensors' locations (SensorInput): melbourne-hourly reads the
// long format (Date, Hour, SensorID, PedestrianCount), melbourne-monthly-wide the wide monthly file.

import { Type, type Static } from '@sinclair/typebox';
import type { CameraInput, SensorInput } from '../../schemas/inputs.js';
import { HOUR_MS } from '../../shared/time.js';
import { Bad, Columns, asRow, count, location, text, type ColumnSpec, type Row } from './fields.js';
import { isoInZone, OccurrenceOrder, readTime } from './local-time.js';
import { checkOptions, columnsOption, loadTable, optionsError, sideTable, Unlocated, Zone, type SideTable, ID_PREFIX } from './options.js';
import { SensorEmitter } from './sensors.js';
import { cameraRecord, reject, type MapOutput, type Mapper } from './types.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** `DD-Mon-YYYY`, `DD/MM/YYYY` (Australian order) or `YYYY-MM-DD` → `YYYY-MM-DD`; null otherwise or for a day that does not exist. */
export function melbourneDate(v: string): string | null {
  let y: number;
  let mo: number;
  let d: number;
  let m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(v);
  if (m !== null) [d, mo, y] = [Number(m[1]), MONTHS.indexOf(m[2]!.toLowerCase()) + 1, Number(m[3])];
  else if ((m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(v)) !== null) [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  else if ((m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v)) !== null) [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  else return null;
  const t = new Date(Date.UTC(y, mo - 1, d));
  if (mo < 1 || t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) return null;
  return `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

type SensorKey = 'id' | 'description' | 'name' | 'lat' | 'lng';
const SENSOR_COLUMNS: Record<SensorKey, ColumnSpec> = {
  id: ['Sensor ID', 'sensor_id', 'SensorID'],
  description: ['Sensor Description', 'sensor_description'],
  name: ['Sensor Name', 'sensor_name'],
  lat: ['Latitude', 'latitude'],
  lng: ['Longitude', 'longitude'],
};

/** Descriptions compared loosely: case, repeated spaces and spaces around `-` do not matter. */
function looseName(s: string): string {
  return s
    .toLowerCase()
    .replace(/\s*-\s*/g, '-')
    .replace(/\s+/g, ' ')
    .trim();
}

interface SensorTable {
  byId: Map<string, SensorInput>;
  /** loose description → sensor id */
  byDescription: Map<string, string>;
}

function sensorTable(mapper: string, table: SideTable | undefined, prefix: string, unlocated: Unlocated): SensorTable {
  const byId = new Map<string, SensorInput>();
  const byDescription = new Map<string, string>();
  // Without locations every record would be rejected: say so once, when the mapper is created.
  if (table === undefined && unlocated === 'reject')
    throw optionsError(mapper, [{ field: 'sensorLocations', reason: "is required unless unlocated is 'keep'" }]);
  if (table === undefined) return { byId, byDescription };
  const cols = new Columns<SensorKey>(SENSOR_COLUMNS);
  for (const r of loadTable(mapper, 'sensorLocations', table)) {
    const id = text(cols.get(r, 'id').value);
    const loc = location(cols.get(r, 'lat').value, cols.get(r, 'lng').value);
    if (id === undefined || !/^\d+$/.test(id) || loc === undefined || loc instanceof Bad) continue;
    const sensorId = `${prefix}${id}`;
    const description = text(cols.get(r, 'description').value);
    const shortName = text(cols.get(r, 'name').value);
    const metadata: Record<string, unknown> = { cityOfMelbourneSensorId: Number(id) };
    if (shortName !== undefined) metadata.name = shortName;
    if (!byId.has(sensorId)) {
      byId.set(sensorId, { sensorId, source: 'camera', ...loc, site: description ?? sensorId, owner: 'City of Melbourne', metadata });
      if (description !== undefined && !byDescription.has(looseName(description))) byDescription.set(looseName(description), sensorId);
    }
  }
  return { byId, byDescription };
}

const CommonOptions = {
  sensorLocations: Type.Optional(
    sideTable('sensor_locations.csv of the dataset (Sensor ID / sensor_id, description, Latitude, Longitude)'),
  ),
  zone: Type.Optional(Zone),
  sensorPrefix: Type.Optional(Type.String({ maxLength: 64, pattern: ID_PREFIX, description: 'Prefix of sensor ids (default melbourne-)' })),
  unlocated: Type.Optional(Unlocated),
};

/**
 * One hourly count → CameraInput. The counter gives two-way totals without direction, so the count
 * goes to `in` and `out` is 0: footfall (in + out) is exact, entries/exits are not meaningful.
 * The hour label is local; a label inside a DST gap is rejected (that hour never happened), and a
 * repeated hour is resolved by arrival order per sensor (OccurrenceOrder).
 */
class HourlyCounts {
  private readonly order = new OccurrenceOrder();

  constructor(
    private readonly zone: string,
    private readonly sensors: SensorEmitter,
  ) {}

  map(line: number, hourField: string, sensorId: string, day: string, hour: number, n: number): MapOutput[] {
    const t = readTime(`${day}T${String(hour).padStart(2, '0')}:00:00`, {
      zone: this.zone,
      gap: 'reject',
      choose: this.order.chooser(sensorId),
    });
    if (!t.ok) return [reject(line, hourField, t.reason)];
    const record: CameraInput = {
      id: `${sensorId}@${t.iso}`,
      sensorId,
      start: t.iso,
      end: isoInZone(t.ms + HOUR_MS, this.zone)!,
      in: n,
      out: 0,
      class: 'pedestrian',
    };
    const s = this.sensors.location(sensorId);
    if (s !== undefined) {
      record.lat = s.lat;
      record.lng = s.lng;
    }
    return [...this.sensors.first(sensorId), cameraRecord(record)];
  }
}

function hourOf(v: unknown): number | Bad {
  const h = count(v);
  if (h === undefined) return new Bad('is missing');
  if (h instanceof Bad || h > 23) return new Bad(`must be an hour 0–23, got ${JSON.stringify(v)}`);
  return h;
}

const HOURLY_KEYS = ['date', 'hour', 'sensor', 'count'] as const;
type HourlyKey = (typeof HOURLY_KEYS)[number];

export const MelbourneHourlyOptions = Type.Object(
  { ...CommonOptions, columns: Type.Optional(columnsOption(HOURLY_KEYS)) },
  { additionalProperties: false },
);
export type MelbourneHourlyOptions = Static<typeof MelbourneHourlyOptions>;

export function createMelbourneHourly(opts: MelbourneHourlyOptions = {}): Mapper {
  const name = 'melbourne-hourly';
  const o = checkOptions(name, MelbourneHourlyOptions, opts);
  const prefix = o.sensorPrefix ?? 'melbourne-';
  const unlocated = o.unlocated ?? 'reject';
  const table = sensorTable(name, o.sensorLocations, prefix, unlocated);
  const sensors = new SensorEmitter(table.byId);
  const hourly = new HourlyCounts(o.zone ?? 'Australia/Melbourne', sensors);
  const cols = new Columns<HourlyKey>({
    date: ['Date'],
    hour: ['Hour', 'Time'],
    sensor: ['SensorID', 'Sensor_ID', 'Sensor ID'],
    count: ['PedestrianCount', 'Hourly_Counts', 'Count'],
    ...(o.columns as Partial<Record<HourlyKey, ColumnSpec>>),
  });

  function push(value: unknown, line: number): MapOutput[] {
    const row: Row | null = asRow(value);
    if (row === null) return [reject(line, 'row', 'must be an object of named columns')];
    const sensor = cols.get(row, 'sensor');
    const sid = text(sensor.value);
    if (sid === undefined || !/^\d+$/.test(sid))
      return [reject(line, sensor.name, `must be a numeric sensor id, got ${JSON.stringify(sensor.value ?? null)}`)];
    const sensorId = `${prefix}${Number(sid)}`;
    if (unlocated === 'reject' && sensors.location(sensorId) === undefined)
      return [reject(line, sensor.name, `sensor ${sid} has no location in sensorLocations`)];
    const date = cols.get(row, 'date');
    const day = melbourneDate(text(date.value) ?? '');
    if (day === null)
      return [reject(line, date.name, `must be a date (DD-Mon-YYYY, DD/MM/YYYY or YYYY-MM-DD), got ${JSON.stringify(date.value ?? null)}`)];
    const hourCell = cols.get(row, 'hour');
    const hour = hourOf(hourCell.value);
    if (hour instanceof Bad) return [reject(line, hourCell.name, hour.reason)];
    const c = cols.get(row, 'count');
    const n = count(c.value);
    if (n === undefined) return [reject(line, c.name, 'is missing')];
    if (n instanceof Bad) return [reject(line, c.name, n.reason)];
    return hourly.map(line, hourCell.name, sensorId, day, hour, n);
  }

  return {
    name,
    source: 'camera',
    description:
      'City of Melbourne hourly pedestrian counts (long format, local time) → CameraInput per sensor-hour (count in `in`), sensors with locations',
    push,
    end: () => [],
  };
}

/** Columns of the January 2019 file that do not match a sensor description exactly (dataset README). */
export const DEFAULT_MELBOURNE_ALIASES: Record<string, string> = {
  'Collins St (North)': 'Collins Street (North)',
  'Lincoln-Swanston (W)': 'Lincoln-Swanston (West)',
};

export const MelbourneMonthlyOptions = Type.Object(
  {
    ...CommonOptions,
    aliases: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description: 'Column name → sensor description for columns that do not match one (default: the two the dataset README lists)',
      }),
    ),
    noData: Type.Optional(Type.Array(Type.String(), { description: 'Cell values meaning "no data", skipped (default -1 and undefined)' })),
  },
  { additionalProperties: false },
);
export type MelbourneMonthlyOptions = Static<typeof MelbourneMonthlyOptions>;

export function createMelbourneMonthlyWide(opts: MelbourneMonthlyOptions = {}): Mapper {
  const name = 'melbourne-monthly-wide';
  const o = checkOptions(name, MelbourneMonthlyOptions, opts);
  const prefix = o.sensorPrefix ?? 'melbourne-';
  const unlocated = o.unlocated ?? 'reject';
  const table = sensorTable(name, o.sensorLocations, prefix, unlocated);
  const sensors = new SensorEmitter(table.byId);
  const hourly = new HourlyCounts(o.zone ?? 'Australia/Melbourne', sensors);
  const aliases = o.aliases ?? DEFAULT_MELBOURNE_ALIASES;
  const noData = new Set(o.noData ?? ['-1', 'undefined']);
  const columns = new Map<string, string | null>();

  function sensorOf(column: string): string | null {
    let id = columns.get(column);
    if (id === undefined) {
      id = table.byDescription.get(looseName(aliases[column] ?? column)) ?? null;
      if (id === null && unlocated === 'keep') {
        const slug = column
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '-')
          .replace(/^-|-$/g, '');
        id = `${prefix}${slug.slice(0, 100)}`;
      }
      columns.set(column, id);
    }
    return id;
  }

  function push(value: unknown, line: number): MapOutput[] {
    const row = asRow(value);
    if (row === null) return [reject(line, 'row', 'must be an object of named columns')];
    const day = melbourneDate(text(row.Date) ?? '');
    if (day === null) return [reject(line, 'Date', `must be a date (DD/MM/YYYY), got ${JSON.stringify(row.Date ?? null)}`)];
    const hour = hourOf(row.Hour);
    if (hour instanceof Bad) return [reject(line, 'Hour', hour.reason)];
    const out: MapOutput[] = [];
    for (const [column, cell] of Object.entries(row)) {
      if (column === 'Date' || column === 'Hour' || column === '') continue;
      const v = text(cell);
      // The format writes -1 (and `undefined` for removed sensors) where it has no data: not an error in the row.
      if (v === undefined || noData.has(v)) continue;
      const n = count(v);
      if (n instanceof Bad || n === undefined) {
        out.push(reject(line, column, n instanceof Bad ? n.reason : 'is missing'));
        continue;
      }
      const sensorId = sensorOf(column);
      if (sensorId === null) {
        out.push(reject(line, column, `no sensor location matches the column "${column}" (add it to aliases)`));
        continue;
      }
      out.push(...hourly.map(line, 'Hour', sensorId, day, hour, n));
    }
    return out;
  }

  return {
    name,
    source: 'camera',
    description:
      'City of Melbourne monthly wide file (Date, Hour, one column per sensor; -1 = no data) → CameraInput per sensor-hour, sensors with locations',
    push,
    end: () => [],
  };
}
