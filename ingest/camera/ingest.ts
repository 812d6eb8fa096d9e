// Camera ingest at the edge: validates line-crossing counts ({sensorId, start, end, in, out, …}),
// resolves each record's location (its own, else the sensor registry's), gives it a deterministic
// id, encodes it in Avro and produces it to pm.raw.camera.v1 keyed by sensor.

import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { createHash } from 'node:crypto';
import type { Bus, OutMessage } from '../../shared/bus/types.js';
import type { Config } from '../../shared/config.js';
import type { FieldError } from '../../shared/errors.js';
import type { SchemaCodec } from '../../shared/registry/types.js';
import type { SensorRegistry } from '../../shared/sensors.js';
import { parseInstant } from '../../shared/time.js';
import { subjectOf, type Topics } from '../../shared/topics.js';
import { CAMERA_CLASSES, checkCameraCount, DEFAULT_MAX_COUNT, DEFAULT_MAX_INTERVAL_MS, type CameraCount } from '../../schemas/records.js';
import type { BodyItem } from '../body.js';
import { rejection, type IngestResult, type Rejection } from '../result.js';

const Instant = Type.Union([Type.String({ maxLength: 64 }), Type.Integer()], {
  description: 'ISO-8601 with offset (2026-11-22T08:00:00+01:00) or epoch milliseconds',
});

export const CameraRecordInput = Type.Object(
  {
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "The vendor's own record id; makes retries harmless." })),
    sensorId: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:/-]+$' }),
    start: Instant,
    end: Instant,
    in: Type.Integer({ minimum: 0, maximum: DEFAULT_MAX_COUNT }),
    out: Type.Integer({ minimum: 0, maximum: DEFAULT_MAX_COUNT }),
    line: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    class: Type.Optional(Type.Union(CAMERA_CLASSES.map((c) => Type.Literal(c)))),
    lat: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
    lng: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
  },
  { additionalProperties: false },
);
export type CameraRecordInput = Static<typeof CameraRecordInput>;

const checkShape = TypeCompiler.Compile(CameraRecordInput);

function shapeErrors(value: unknown): FieldError[] {
  const errors: FieldError[] = [];
  for (const e of checkShape.Errors(value)) {
    const field = e.path.replace(/^\//, '').replace(/\//g, '.') || 'record';
    if (!errors.some((x) => x.field === field)) errors.push({ field, reason: e.message.charAt(0).toLowerCase() + e.message.slice(1) });
    if (errors.length >= 10) break;
  }
  return errors;
}

export function cameraRecordId(r: {
  id?: string | undefined;
  sensorId: string;
  start: number;
  end: number;
  line: string | null;
  class: string | null;
}): string {
  const natural =
    r.id !== undefined ? `vendor|${r.sensorId}|${r.id}` : `natural|${r.sensorId}|${r.start}|${r.end}|${r.line ?? ''}|${r.class ?? ''}`;
  return createHash('sha256').update(`camera|${natural}`).digest('hex').slice(0, 32);
}

export interface CameraIngestDeps {
  bus: Bus;
  codec: SchemaCodec;
  topics: Topics;
  sensors: SensorRegistry;
  limits: Config['ingest'];
}

export class CameraIngest {
  constructor(private readonly deps: CameraIngestDeps) {}

  /** Validates and produces `items`; returns what was accepted and what was rejected and why. */
  async ingest(items: BodyItem[], nowMs = Date.now()): Promise<IngestResult> {
    const rejected: Rejection[] = [];
    const messages: OutMessage[] = [];
    const subject = subjectOf(this.deps.topics.raw('camera'));
    for (let index = 0; index < items.length; index++) {
      const item = items[index]!;
      if (!item.ok) {
        rejected.push(rejection(index, [{ field: 'record', reason: item.error }]));
        continue;
      }
      const result = await this.toRecord(item.value, nowMs);
      if ('errors' in result) {
        rejected.push(rejection(index, result.errors));
        continue;
      }
      messages.push({
        key: result.record.sensorId,
        value: await this.deps.codec.encode(subject, result.record as unknown as Record<string, unknown>),
        timestamp: result.record.end,
      });
    }
    await this.deps.bus.produce(this.deps.topics.raw('camera'), messages);
    return { accepted: messages.length, rejected };
  }

  private async toRecord(value: unknown, nowMs: number): Promise<{ record: CameraCount } | { errors: FieldError[] }> {
    const shape = shapeErrors(value);
    if (shape.length > 0) return { errors: shape };
    const v = value as CameraRecordInput;
    const start = parseInstant(v.start);
    const end = parseInstant(v.end);
    const errors: FieldError[] = [];
    if (start === null) errors.push({ field: 'start', reason: 'must be an ISO-8601 time with offset or epoch milliseconds' });
    if (end === null) errors.push({ field: 'end', reason: 'must be an ISO-8601 time with offset or epoch milliseconds' });
    if (start === null || end === null) return { errors };
    let lat = v.lat ?? null;
    let lng = v.lng ?? null;
    const sensor = await this.deps.sensors.get(v.sensorId);
    if (sensor !== null && sensor.source !== 'camera') {
      return { errors: [{ field: 'sensorId', reason: `sensor ${v.sensorId} is registered as a ${sensor.source} sensor, not a camera` }] };
    }
    if (lat === null && lng === null) {
      if (sensor === null)
        return {
          errors: [
            {
              field: 'sensorId',
              reason: `unknown sensor ${v.sensorId}: register it (PUT /v1/sensors/{id}) or send lat and lng with the record`,
            },
          ],
        };
      lat = sensor.lat;
      lng = sensor.lng;
    }
    const line = v.line ?? null;
    const cls = v.class ?? null;
    const record: CameraCount = {
      recordId: cameraRecordId({ id: v.id, sensorId: v.sensorId, start, end, line, class: cls }),
      sensorId: v.sensorId,
      start,
      end,
      in: v.in,
      out: v.out,
      line,
      class: cls,
      lat,
      lng,
      receivedAt: nowMs,
    };
    errors.push(
      ...checkCameraCount(record, {
        latestEndMs: nowMs + this.deps.limits.maxFutureMs,
        maxIntervalMs: DEFAULT_MAX_INTERVAL_MS,
        maxCount: DEFAULT_MAX_COUNT,
      }),
    );
    return errors.length > 0 ? { errors } : { record };
  }
}
