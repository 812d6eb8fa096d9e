// What every source's edge adapter provides (ingest/<source>/adapter.ts): the plain input schema,
// the step from a validated input to the raw Avro record (times parsed, location resolved,
// identifiers pseudonymised, deterministic id), and the Kafka key.

import type { TSchema } from '@sinclair/typebox';
import { createHash } from 'node:crypto';
import type { Config } from '../shared/config.js';
import type { FieldError } from '../shared/errors.js';
import type { SensorRegistry } from '../shared/sensors.js';
import { parseInstant } from '../shared/time.js';
import type { RawSource } from '../shared/topics.js';
import { DEFAULT_MAX_COUNT, DEFAULT_MAX_INTERVAL_MS, type RecordLimits } from '../schemas/records.js';
import type { Pseudonymiser } from './pseudonymise.js';

export interface AdapterContext {
  nowMs: number;
  /** Set for vendor keys: records may only name sensors of this owner. */
  owner: string | null;
  limits: RecordLimits;
  sensors: SensorRegistry;
  pseudonymiser: Pseudonymiser;
}

export type Converted<R> = { record: R } | { errors: FieldError[] };

export interface SourceAdapter<I = unknown, R = unknown> {
  source: RawSource;
  /** The plain edge shape (schemas/inputs.ts). */
  schema: TSchema;
  /** Turns a shape-valid input into the raw record, or says which fields are wrong and why. */
  convert(input: I, ctx: AdapterContext): Promise<Converted<R>>;
  /** Kafka key: keeps one sensor's (or device's) records in one partition, in order. */
  key(record: R): string;
}

export function limitsAt(nowMs: number, ingest: Config['ingest']): RecordLimits {
  return { latestEndMs: nowMs + ingest.maxFutureMs, maxIntervalMs: DEFAULT_MAX_INTERVAL_MS, maxCount: DEFAULT_MAX_COUNT };
}

/** Deterministic record id: the vendor's id when given, else the source's natural key. */
export function recordId(source: RawSource, vendorId: string | undefined, natural: readonly (string | number | null)[]): string {
  const basis = vendorId !== undefined ? `vendor|${natural[0]}|${vendorId}` : `natural|${natural.map((p) => p ?? '').join('|')}`;
  return createHash('sha256').update(`${source}|${basis}`).digest('hex').slice(0, 32);
}

/** Parses the named instants of an input, collecting a field error for each that is not a time. */
export function instants<K extends string>(
  input: Partial<Record<K, unknown>>,
  fields: readonly K[],
): { values: Record<K, number> } | { errors: FieldError[] } {
  const values = {} as Record<K, number>;
  const errors: FieldError[] = [];
  for (const f of fields) {
    const v = parseInstant(input[f]);
    if (v === null) errors.push({ field: f, reason: 'must be an ISO-8601 time with offset or epoch milliseconds' });
    else values[f] = v;
  }
  return errors.length > 0 ? { errors } : { values };
}

/**
 * The location of a sensor's record: its own lat/lng, else the sensor registry's. A sensor
 * registered under another source is refused, and so is an unknown sensor without a location.
 */
export async function sensorLocation(
  source: RawSource,
  field: string,
  sensorId: string,
  lat: number | undefined,
  lng: number | undefined,
  ctx: Pick<AdapterContext, 'sensors' | 'owner'>,
): Promise<{ lat: number | null; lng: number | null } | { errors: FieldError[] }> {
  const sensor = await ctx.sensors.get(sensorId);
  if (sensor !== null && ctx.owner !== null && sensor.owner !== ctx.owner) {
    return { errors: [{ field, reason: `sensor ${sensorId} belongs to another owner` }] };
  }
  if (sensor !== null && sensor.source !== source) {
    return { errors: [{ field, reason: `sensor ${sensorId} is registered as a ${sensor.source} sensor, not ${source}` }] };
  }
  if (lat !== undefined && lng !== undefined) return { lat, lng };
  if (lat !== undefined || lng !== undefined)
    return { errors: [{ field: lat === undefined ? 'lat' : 'lng', reason: 'lat and lng must be given together' }] };
  if (sensor === null) {
    return {
      errors: [{ field, reason: `unknown sensor ${sensorId}: register it (PUT /v1/sensors/{id}) or send lat and lng with the record` }],
    };
  }
  return { lat: sensor.lat, lng: sensor.lng };
}
