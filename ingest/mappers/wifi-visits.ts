// wifi-visits: visit/stay exports (device, site, start, dwell or end) → WifiInput sightings at the
// start and at start + dwell (one sighting when the dwell is 0), so dwell time survives into the
// pipeline's sighting model. Reads CSV/JSON rows; holds nothing between rows.

import { Type, type Static } from '@sinclair/typebox';
import type { WifiInput } from '../../schemas/inputs.js';
import { HOUR_MS } from '../../shared/time.js';
import { Bad, Columns, asRow, duration, edgeId, location, text, type ColumnSpec, type Row } from './fields.js';
import { isoInZone, isoWithOffset, readTime, type TimeResult } from './local-time.js';
import { checkOptions, columnsOption, Zone, ID_PREFIX } from './options.js';
import { reject, wifiRecord, type MapOutput, type Mapper } from './types.js';

export interface Visit {
  sensorId: string;
  deviceId: string;
  start: Extract<TimeResult, { ok: true }>;
  dwellMs: number;
  lat?: number | undefined;
  lng?: number | undefined;
}

/**
 * The sightings of one visit: at the start, and at start + dwell unless the dwell is 0. No `id`:
 * an id would be built from the raw device id, and the edge's own natural key (sensor, hashed
 * device, time) already makes a repeated visit harmless.
 */
export function visitSightings(v: Visit, zone: string | undefined): MapOutput[] {
  const at = (seenAt: string): MapOutput => {
    const record: WifiInput = { sensorId: v.sensorId, deviceId: v.deviceId, seenAt };
    if (v.lat !== undefined && v.lng !== undefined) {
      record.lat = v.lat;
      record.lng = v.lng;
    }
    return wifiRecord(record);
  };
  if (v.dwellMs === 0) return [at(v.start.iso)];
  const endMs = v.start.ms + v.dwellMs;
  return [at(v.start.iso), at((zone === undefined ? null : isoInZone(endMs, zone)) ?? isoWithOffset(endMs, v.start.offsetMinutes))];
}

const KEYS = ['device', 'sensor', 'start', 'dwell', 'end', 'lat', 'lng'] as const;
type Key = (typeof KEYS)[number];

export const DEFAULT_VISIT_COLUMNS: Record<Key, ColumnSpec> = {
  device: ['deviceId', 'device', 'device_id', 'mac', 'clientMac', 'userid', 'user_id'],
  sensor: ['sensorId', 'sensor', 'sensor_id', 'site', 'siteId', 'site_id'],
  start: ['start', 'dt', 'startTime', 'start_time', 'firstSeen', 'first_seen', 'arrival'],
  dwell: ['dwell', 'dwellSeconds', 'dwell_seconds', 'spend', 'duration'],
  end: ['end', 'endTime', 'end_time', 'lastSeen', 'last_seen', 'departure'],
  lat: ['lat', 'latitude'],
  lng: ['lng', 'lon', 'longitude'],
};

export const WifiVisitsOptions = Type.Object(
  {
    columns: Type.Optional(columnsOption(KEYS)),
    zone: Type.Optional(Zone),
    sensorPrefix: Type.Optional(
      Type.String({ maxLength: 64, pattern: ID_PREFIX, description: 'Prefix added to sensor ids (default none)' }),
    ),
    devicePrefix: Type.Optional(Type.String({ maxLength: 64, description: 'Prefix added to device ids (default none)' })),
    maxDwellMs: Type.Optional(Type.Integer({ minimum: 0, description: 'Longest accepted dwell, ms (default 86400000 = 24 h)' })),
  },
  { additionalProperties: false },
);
export type WifiVisitsOptions = Static<typeof WifiVisitsOptions>;

/** Reads one visit row; shared by wifi-visits and hokuriku-stays. */
export class VisitReader {
  private readonly cols: Columns<Key>;

  constructor(
    columns: Partial<Record<Key, ColumnSpec>>,
    private readonly zone: string | undefined,
    private readonly maxDwellMs: number,
  ) {
    this.cols = new Columns<Key>({ ...DEFAULT_VISIT_COLUMNS, ...columns });
  }

  read(row: Row, line: number, sensorPrefix: string, devicePrefix: string): Visit | MapOutput {
    const c = this.cols;
    const sensor = c.get(row, 'sensor');
    const sensorText = text(sensor.value);
    if (sensorText === undefined) return reject(line, sensor.name, 'is missing');
    const sensorId = edgeId(sensorPrefix + sensorText);
    if (sensorId instanceof Bad) return reject(line, sensor.name, sensorId.reason);
    const device = c.get(row, 'device');
    const deviceText = text(device.value);
    if (deviceText === undefined) return reject(line, device.name, 'is missing');
    const deviceId = devicePrefix + deviceText;
    if (deviceId.length > 256) return reject(line, device.name, 'must be at most 256 characters');
    const start = c.get(row, 'start');
    const t = readTime(text(start.value) ?? start.value, { zone: this.zone });
    if (!t.ok) return reject(line, start.name, t.reason);
    const dwellCell = c.get(row, 'dwell');
    let dwellMs = duration(dwellCell.value);
    if (dwellMs instanceof Bad) return reject(line, dwellCell.name, dwellMs.reason);
    let dwellField = dwellCell.name;
    if (dwellMs === undefined) {
      const endCell = c.get(row, 'end');
      if (text(endCell.value) === undefined) return reject(line, dwellCell.name, `is missing (and so is ${endCell.name})`);
      const e = readTime(text(endCell.value) ?? endCell.value, { zone: this.zone });
      if (!e.ok) return reject(line, endCell.name, e.reason);
      if (e.ms < t.ms) return reject(line, endCell.name, 'is before the start');
      dwellMs = e.ms - t.ms;
      dwellField = endCell.name;
    }
    if (dwellMs > this.maxDwellMs)
      return reject(line, dwellField, `dwell ${Math.round(dwellMs / 1000)} s exceeds maxDwellMs (${this.maxDwellMs} ms)`);
    const lat = c.get(row, 'lat');
    const loc = location(lat.value, c.get(row, 'lng').value);
    if (loc instanceof Bad) return reject(line, lat.name, loc.reason);
    return { sensorId, deviceId, start: t, dwellMs, ...loc };
  }
}

export function createWifiVisits(opts: WifiVisitsOptions = {}): Mapper {
  const o = checkOptions('wifi-visits', WifiVisitsOptions, opts);
  const reader = new VisitReader(o.columns ?? {}, o.zone, o.maxDwellMs ?? 24 * HOUR_MS);
  return {
    name: 'wifi-visits',
    source: 'wifi',
    description:
      'Wi-Fi visit/stay exports (device, site, start, dwell or end) → two WifiInput sightings per visit (one when the dwell is 0)',
    push(value, line) {
      const row = asRow(value);
      if (row === null) return [reject(line, 'row', 'must be an object of named columns')];
      const v = reader.read(row, line, o.sensorPrefix ?? '', o.devicePrefix ?? '');
      return 'kind' in v ? [v] : visitSightings(v, o.zone);
    },
    end: () => [],
  };
}
