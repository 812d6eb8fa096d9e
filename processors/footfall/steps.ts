// Count-specific processing steps (decoding is processors/raw/decode.ts): what the footfall
// aggregation reads of a camera count or a ticketing event, and placing it on the H3 base grid —
// its own location, else the sensor (station) registry's; an unknown sensor without a location
// becomes a dead letter. A store failure during the lookup is thrown, retriable.

import { cellOf, cellToUInt64 } from '../../shared/h3.js';
import { dlq, ok, type StepResult } from '../../shared/result.js';
import type { SensorRegistry } from '../../shared/sensors.js';
import type { CameraCount, TicketingEvent } from '../../schemas/records.js';

export const COUNT_SOURCES = ['camera', 'ticketing'] as const;
export type CountSource = (typeof COUNT_SOURCES)[number];

/**
 * A record as the footfall aggregation sees it (a CameraCount has exactly this shape): `in` counts
 * entries, `out` exits, over [start, end]; `class` is the breakdown (camera class, ticketing mode).
 */
export interface CountedRecord {
  recordId: string;
  sensorId: string;
  lat: number | null;
  lng: number | null;
  start: number;
  end: number;
  in: number;
  out: number;
  class: string | null;
}

export function toCounted(source: CountSource, r: CameraCount | TicketingEvent): CountedRecord {
  if (source === 'camera') return r as CameraCount;
  const t = r as TicketingEvent;
  const entering = t.kind === 'tap_in' || t.kind === 'gate_entry';
  return {
    recordId: t.recordId,
    sensorId: t.stationId,
    lat: t.lat,
    lng: t.lng,
    start: t.start,
    end: t.end,
    in: entering ? t.count : 0,
    out: entering ? 0 : t.count,
    class: t.mode,
  };
}

export async function locate(r: CountedRecord, sensors: SensorRegistry): Promise<StepResult<bigint>> {
  if (r.lat !== null && r.lng !== null) return ok(cellToUInt64(cellOf(r.lat, r.lng)));
  const sensor = await sensors.get(r.sensorId);
  if (sensor === null) return dlq('unknown_sensor', `sensor ${r.sensorId} is not registered and the record has no location`);
  return ok(cellToUInt64(cellOf(sensor.lat, sensor.lng)));
}
