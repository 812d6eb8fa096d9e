// Placing a record on the H3 base grid: its own location, else its sensor's (station's) from the
// registry; an unknown sensor without a location becomes a dead letter. A store failure during the
// lookup is thrown, retriable. Cells of fixed locations are cached (sensors report from the same
// coordinates again and again, and latLngToCell is the costliest step of the hot path).

import { cellOf, cellToUInt64 } from '../../shared/h3.js';
import { dlq, ok, type StepResult } from '../../shared/result.js';
import type { Sensor, SensorRegistry } from '../../shared/sensors.js';

const CACHE_LIMIT = 100_000;
/** lat → lng → cell. NOTE: numbers as keys, not a `${lat},${lng}` string: formatting two doubles cost 0.25 µs a lookup, a third of latLngToCell. */
const cells = new Map<number, Map<number, bigint>>();
let cached = 0;

/** The base cell (UInt64) of a coordinate, cached. */
export function baseCell(lat: number, lng: number): bigint {
  let cell = cells.get(lat)?.get(lng);
  if (cell !== undefined) return cell;
  if (cached >= CACHE_LIMIT) {
    cells.clear();
    cached = 0;
  }
  cell = cellToUInt64(cellOf(lat, lng));
  let byLng = cells.get(lat);
  if (byLng === undefined) {
    byLng = new Map();
    cells.set(lat, byLng);
  }
  byLng.set(lng, cell);
  cached += 1;
  return cell;
}

export interface Placed {
  cell: bigint;
  /** The registered sensor, when there is one (and it was looked up). */
  sensor: Sensor | null;
}

/**
 * The base cell of a record from `sensorId` with an optional own location. `lookup: 'always'` also
 * fetches the sensor when the record has a location (for its site); by default only when needed.
 */
export async function place(
  sensorId: string,
  lat: number | null,
  lng: number | null,
  sensors: SensorRegistry,
  lookup: 'always' | 'when-needed' = 'when-needed',
): Promise<StepResult<Placed>> {
  const own = lat !== null && lng !== null;
  const sensor = own && lookup === 'when-needed' ? null : await sensors.get(sensorId);
  if (own) return ok({ cell: baseCell(lat, lng), sensor });
  if (sensor === null) return dlq('unknown_sensor', `sensor ${sensorId} is not registered and the record has no location`);
  return ok({ cell: baseCell(sensor.lat, sensor.lng), sensor });
}
