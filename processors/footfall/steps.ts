// Camera-specific processing step (decoding is processors/raw/decode.ts): place a count on the H3
// base grid — its own location, else the sensor registry's; an unknown sensor without a location
// becomes a dead letter. A store failure during the lookup is thrown, retriable.

import { cellOf, cellToUInt64 } from '../../shared/h3.js';
import { dlq, ok, type StepResult } from '../../shared/result.js';
import type { SensorRegistry } from '../../shared/sensors.js';
import type { CameraCount } from '../../schemas/records.js';

export async function locate(r: CameraCount, sensors: SensorRegistry): Promise<StepResult<bigint>> {
  if (r.lat !== null && r.lng !== null) return ok(cellToUInt64(cellOf(r.lat, r.lng)));
  const sensor = await sensors.get(r.sensorId);
  if (sensor === null) return dlq('unknown_sensor', `sensor ${r.sensorId} is not registered and the record has no location`);
  return ok(cellToUInt64(cellOf(sensor.lat, sensor.lng)));
}
