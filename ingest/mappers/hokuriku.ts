// hokuriku-stays: the Hokuriku Wi-Fi packet-sensing stays (move/<No>.csv: dt with +09:00, spend
// HH:MM:SS, integer userid) → WifiInput sightings through the wifi-visits rule, with the facility's
// location from facility_list.csv (No., 緯度, 経度, names) emitted as a SensorInput first.

import { Type, type Static } from '@sinclair/typebox';
import { basename } from 'node:path';
import type { SensorInput } from '../../schemas/inputs.js';
import { HOUR_MS } from '../../shared/time.js';
import { Bad, asRow, location, text } from './fields.js';
import { checkOptions, loadTable, optionsError, sideTable, Unlocated, ID_PREFIX } from './options.js';
import { SensorEmitter } from './sensors.js';
import { reject, type MapOutput, type Mapper } from './types.js';
import { VisitReader, visitSightings } from './wifi-visits.js';

export const HokurikuOptions = Type.Object(
  {
    facility: Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^\\d+$' })], {
      description: 'Facility No. of the move/<No>.csv file being mapped (see hokurikuFacilityFromPath)',
    }),
    facilities: Type.Optional(sideTable('facility_list.csv (No., 緯度 latitude, 経度 longitude, names)')),
    unlocated: Type.Optional(Unlocated),
    sensorPrefix: Type.Optional(
      Type.String({ maxLength: 64, pattern: ID_PREFIX, description: 'Prefix of sensor ids (default hokuriku-)' }),
    ),
  },
  { additionalProperties: false },
);
export type HokurikuOptions = Static<typeof HokurikuOptions>;

/** The facility No. a `move/<No>.csv` path names, or null. */
export function hokurikuFacilityFromPath(path: string): string | null {
  const m = /^(\d+)\.csv$/i.exec(basename(path));
  return m === null ? null : String(Number(m[1]));
}

function facilitySensor(mapper: string, o: HokurikuOptions, sensorId: string, no: string): SensorInput | undefined {
  if (o.facilities === undefined) return undefined;
  for (const r of loadTable(mapper, 'facilities', o.facilities)) {
    if (text(r['No.']) === undefined || String(Number(text(r['No.']))) !== no) continue;
    const loc = location(r['緯度'], r['経度']);
    if (loc === undefined || loc instanceof Bad) return undefined;
    const metadata: Record<string, unknown> = { facilityNo: Number(no) };
    for (const [k, f] of [
      ['nameJa', '施設名(日本語)'],
      ['area', 'エリア'],
      ['type', '業種'],
    ] as const) {
      const v = text(r[f]);
      if (v !== undefined) metadata[k] = v;
    }
    return {
      sensorId,
      source: 'wifi',
      ...loc,
      site: text(r['施設名(ローマ字)']) ?? sensorId,
      owner: 'Hokuriku Inbound Tourism DX/Data Consortium',
      metadata,
    };
  }
  return undefined;
}

export function createHokurikuStays(opts: HokurikuOptions): Mapper {
  const name = 'hokuriku-stays';
  const o = checkOptions(name, HokurikuOptions, opts);
  const no = String(Number(o.facility));
  const prefix = o.sensorPrefix ?? 'hokuriku-';
  const sensorId = `${prefix}${no}`;
  const sensor = facilitySensor(name, o, sensorId, no);
  // Without a location every record would be rejected at the edge: say so once, up front.
  if (sensor === undefined && (o.unlocated ?? 'reject') === 'reject')
    throw optionsError(name, [
      o.facilities === undefined
        ? { field: 'facilities', reason: "is required unless unlocated is 'keep'" }
        : { field: 'facility', reason: `facility ${no} has no row with coordinates in facilities` },
    ]);
  const sensors = new SensorEmitter(sensor === undefined ? new Map() : new Map([[sensorId, sensor]]));
  // The files are split at midnight (stays are per day), so no dwell reaches 24 h.
  const reader = new VisitReader({ device: 'userid', start: 'dt', dwell: 'spend' }, undefined, 24 * HOUR_MS);

  return {
    name,
    source: 'wifi',
    description:
      'Hokuriku Wi-Fi packet-sensing stays (move/<No>.csv) → WifiInput sightings at stay start and end, the facility as a sensor',
    push(value, line): MapOutput[] {
      const row = asRow(value);
      if (row === null) return [reject(line, 'row', 'must be an object of named columns')];
      const user = text(row.userid);
      if (user === undefined || !/^\d+$/.test(user))
        return [reject(line, 'userid', `must be an integer, got ${JSON.stringify(row.userid ?? null)}`)];
      // The facility comes from the file, not a column: give the reader a row that has one.
      const v = reader.read({ ...row, sensor: no, userid: user }, line, prefix, 'hokuriku-user-');
      if ('kind' in v) return [v];
      if (sensor !== undefined) {
        v.lat = sensor.lat;
        v.lng = sensor.lng;
      }
      return [...sensors.first(sensorId), ...visitSightings(v, undefined)];
    },
    end: () => [],
  };
}
