// Processing steps of the camera path, each returning a StepResult: decode a Confluent-framed Avro
// value into a CameraCount, then place it on the H3 base grid (its own location, else the sensor
// registry's). Infrastructure failures (registry or store down) are thrown, retriable; bad records
// become dead letters with a snake_case reason.

import { PassageError, isRetriable, errorMessage } from '../../shared/errors.js';
import type { InMessage } from '../../shared/bus/types.js';
import { cellOf, cellToUInt64 } from '../../shared/h3.js';
import type { SchemaCodec } from '../../shared/registry/types.js';
import { dlq, ok, type StepResult } from '../../shared/result.js';
import type { SensorRegistry } from '../../shared/sensors.js';
import { checkCameraCount, DEFAULT_MAX_COUNT, DEFAULT_MAX_INTERVAL_MS, type CameraCount } from '../../schemas/records.js';

export async function decodeCameraCount(m: InMessage, codec: SchemaCodec, maxFutureMs: number): Promise<StepResult<CameraCount>> {
  if (m.value === null) return dlq('empty_value', 'message has no value');
  let value: Record<string, unknown>;
  try {
    value = (await codec.decode(m.value)).value;
  } catch (err) {
    if (isRetriable(err)) throw err;
    return dlq(err instanceof PassageError ? err.code : 'undecodable', errorMessage(err));
  }
  if (
    typeof value.sensorId !== 'string' ||
    typeof value.in !== 'number' ||
    typeof value.out !== 'number' ||
    typeof value.start !== 'number'
  ) {
    return dlq('wrong_schema', 'value was written with a schema that is not a camera count');
  }
  const r = value as unknown as CameraCount;
  const problems = checkCameraCount(r, {
    latestEndMs: m.timestamp + maxFutureMs,
    maxIntervalMs: DEFAULT_MAX_INTERVAL_MS,
    maxCount: DEFAULT_MAX_COUNT,
  });
  if (problems.length > 0) return dlq('out_of_range', problems.map((p) => `${p.field} ${p.reason}`).join('; '));
  return ok(r);
}

export async function locate(r: CameraCount, sensors: SensorRegistry): Promise<StepResult<bigint>> {
  if (r.lat !== null && r.lng !== null) return ok(cellToUInt64(cellOf(r.lat, r.lng)));
  const sensor = await sensors.get(r.sensorId);
  if (sensor === null) return dlq('unknown_sensor', `sensor ${r.sensorId} is not registered and the record has no location`);
  return ok(cellToUInt64(cellOf(sensor.lat, sensor.lng)));
}
