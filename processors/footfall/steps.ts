// Count-specific processing steps (decoding is processors/raw/decode.ts): what the footfall
// aggregation reads of a camera count or a ticketing event, and its base cell (processors/core/locate.ts).

import { ok, type StepResult } from '../../shared/result.js';
import { place } from '../core/locate.js';
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
  const placed = await place(r.sensorId, r.lat, r.lng, sensors);
  return placed.kind === 'ok' ? ok(placed.value.cell) : placed;
}
