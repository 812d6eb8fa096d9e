// The first processing step of every raw topic: decode a Confluent-framed Avro value and check it
// is a usable record of that source (the fields its schema requires, values in range, a time not
// too far in the future or before 2000). Returns a StepResult; only infrastructure failures (the
// registry unreachable) are thrown, as retriable errors.

import type { InMessage } from '../../shared/bus/types.js';
import { errorMessage, isRetriable, PassageError, type FieldError } from '../../shared/errors.js';
import type { SchemaCodec } from '../../shared/registry/types.js';
import { dlq, ok, type StepResult } from '../../shared/result.js';
import type { RawSource } from '../../shared/topics.js';
import {
  checkCameraCount,
  checkTelcoEvent,
  checkTicketingEvent,
  checkWifiSighting,
  DEFAULT_MAX_COUNT,
  DEFAULT_MAX_INTERVAL_MS,
  type CameraCount,
  type RecordLimits,
  type TelcoEvent,
  type TicketingEvent,
  type WifiSighting,
} from '../../schemas/records.js';

export interface RawRecords {
  camera: CameraCount;
  wifi: WifiSighting;
  telco: TelcoEvent;
  ticketing: TicketingEvent;
}

/** Fields (and their JavaScript types) that tell a record of each source from anything else. */
const REQUIRED: { [S in RawSource]: [string, 'string' | 'number'][] } = {
  camera: [
    ['sensorId', 'string'],
    ['start', 'number'],
    ['end', 'number'],
    ['in', 'number'],
    ['out', 'number'],
  ],
  wifi: [
    ['sensorId', 'string'],
    ['deviceHash', 'string'],
    ['seenAt', 'number'],
  ],
  telco: [
    ['deviceHash', 'string'],
    ['networkCellId', 'string'],
    ['seenAt', 'number'],
    ['lat', 'number'],
    ['lng', 'number'],
  ],
  ticketing: [
    ['stationId', 'string'],
    ['kind', 'string'],
    ['start', 'number'],
    ['end', 'number'],
    ['count', 'number'],
  ],
};

const CHECKS: { [S in RawSource]: (r: RawRecords[S], limits: RecordLimits) => FieldError[] } = {
  camera: checkCameraCount,
  wifi: checkWifiSighting,
  telco: checkTelcoEvent,
  ticketing: checkTicketingEvent,
};

/**
 * Decodes and checks a raw message; only an unreachable registry is thrown (retriable). Decoding is
 * synchronous when the codec already holds the message's schema (SchemaCodec.decodeCached).
 */
export async function decodeRaw<S extends RawSource>(
  source: S,
  m: InMessage,
  codec: SchemaCodec,
  maxFutureMs: number,
): Promise<StepResult<RawRecords[S]>> {
  if (m.value === null) return dlq('empty_value', 'message has no value');
  let value: Record<string, unknown>;
  try {
    value = (codec.decodeCached?.(m.value) ?? (await codec.decode(m.value))).value;
  } catch (err) {
    return undecodable(err);
  }
  return check(source, m, value, maxFutureMs);
}

/**
 * decodeRaw without a promise: the same result when the codec holds the message's schema, else
 * undefined (call decodeRaw, which may have to ask the registry).
 */
export function decodeRawCached<S extends RawSource>(
  source: S,
  m: InMessage,
  codec: SchemaCodec,
  maxFutureMs: number,
): StepResult<RawRecords[S]> | undefined {
  if (m.value === null) return dlq('empty_value', 'message has no value');
  if (codec.decodeCached === undefined) return undefined;
  let decoded;
  try {
    decoded = codec.decodeCached(m.value);
  } catch (err) {
    return undecodable(err);
  }
  return decoded === undefined ? undefined : check(source, m, decoded.value, maxFutureMs);
}

function undecodable(err: unknown): StepResult<never> {
  if (isRetriable(err)) throw err;
  return dlq(err instanceof PassageError ? err.code : 'undecodable', errorMessage(err));
}

function check<S extends RawSource>(
  source: S,
  m: InMessage,
  value: Record<string, unknown>,
  maxFutureMs: number,
): StepResult<RawRecords[S]> {
  const required = REQUIRED[source];
  for (let i = 0; i < required.length; i++) {
    const [field, type] = required[i]!;
    if (typeof value[field] !== type) return dlq('wrong_schema', `value was written with a schema that is not a ${source} record`);
  }
  const r = value as unknown as RawRecords[S];
  // Arrival (the Kafka timestamp) bounds how far in the future an event may lie.
  const problems = (CHECKS[source] as (r: RawRecords[S], l: RecordLimits) => FieldError[])(r, {
    latestEndMs: m.timestamp + maxFutureMs,
    maxIntervalMs: DEFAULT_MAX_INTERVAL_MS,
    maxCount: DEFAULT_MAX_COUNT,
  });
  if (problems.length > 0) return dlq('out_of_range', problems.map((p) => `${p.field} ${p.reason}`).join('; '));
  return ok(r);
}
