// The ingest edge shared by HTTP push, the backfill CLI and the simulators: validates each plain
// record against its source's schema, converts it (times, location, pseudonymised identifiers,
// deterministic id), encodes it in Avro and produces the accepted ones to pm.raw.<source>.v1.

import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { TSchema } from '@sinclair/typebox';
import type { Bus, OutMessage } from '../shared/bus/types.js';
import type { Config } from '../shared/config.js';
import type { FieldError } from '../shared/errors.js';
import type { SchemaCodec } from '../shared/registry/types.js';
import type { SensorRegistry } from '../shared/sensors.js';
import { subjectOf, type RawSource, type Topics } from '../shared/topics.js';
import { limitsAt, type AdapterContext, type SourceAdapter } from './adapter.js';
import type { BodyItem } from './body.js';
import { cameraAdapter } from './camera/adapter.js';
import { Pseudonymiser } from './pseudonymise.js';
import type { Runtime } from '../shared/runtime.js';
import { rejection, type IngestResult, type Rejection } from './result.js';
import { telcoAdapter } from './telco/adapter.js';
import { ticketingAdapter } from './ticketing/adapter.js';
import { wifiAdapter } from './wifi/adapter.js';

export const ADAPTERS: Record<RawSource, SourceAdapter> = {
  camera: cameraAdapter,
  wifi: wifiAdapter,
  telco: telcoAdapter,
  ticketing: ticketingAdapter,
};

const checks = new Map<TSchema, TypeCheck<TSchema>>();

/** Shape errors of `value` against `schema`, as field + reason (at most ten). */
export function shapeErrors(schema: TSchema, value: unknown): FieldError[] {
  let check = checks.get(schema);
  if (check === undefined) {
    check = TypeCompiler.Compile(schema);
    checks.set(schema, check);
  }
  const errors: FieldError[] = [];
  for (const e of check.Errors(value)) {
    const field = e.path.replace(/^\//, '').replace(/\//g, '.') || 'record';
    if (!errors.some((x) => x.field === field)) errors.push({ field, reason: e.message.charAt(0).toLowerCase() + e.message.slice(1) });
    if (errors.length >= 10) break;
  }
  return errors;
}

export interface EdgeDeps {
  bus: Bus;
  codec: SchemaCodec;
  topics: Topics;
  sensors: SensorRegistry;
  pseudonymiser: Pseudonymiser;
  limits: Config['ingest'];
}

export class EdgeIngest {
  constructor(private readonly deps: EdgeDeps) {}

  /** The edge over a connected runtime (its bus, codec, topics, sensors and ingest limits). */
  static forRuntime(runtime: Runtime, pseudonymSecret: Buffer): EdgeIngest {
    const { config } = runtime;
    return new EdgeIngest({
      bus: runtime.bus,
      codec: runtime.codec,
      topics: runtime.topics,
      sensors: runtime.sensors,
      pseudonymiser: new Pseudonymiser({ secret: pseudonymSecret, rotation: config.pseudonym.rotation, timeZone: config.timeZone }),
      limits: config.ingest,
    });
  }

  /** Validates and produces `items` of `source`; returns what was accepted and what was rejected and why. */
  async ingest(source: RawSource, items: BodyItem[], owner: string | null = null, nowMs = Date.now()): Promise<IngestResult> {
    const adapter = ADAPTERS[source];
    const ctx: AdapterContext = {
      nowMs,
      owner,
      limits: limitsAt(nowMs, this.deps.limits),
      sensors: this.deps.sensors,
      pseudonymiser: this.deps.pseudonymiser,
    };
    const topic = this.deps.topics.raw(source);
    const subject = subjectOf(topic);
    const rejected: Rejection[] = [];
    const messages: OutMessage[] = [];
    for (let index = 0; index < items.length; index++) {
      const item = items[index]!;
      if (!item.ok) {
        rejected.push(rejection(index, [{ field: 'record', reason: item.error }]));
        continue;
      }
      const shape = shapeErrors(adapter.schema, item.value);
      if (shape.length > 0) {
        rejected.push(rejection(index, shape));
        continue;
      }
      const converted = await adapter.convert(item.value, ctx);
      if ('errors' in converted) {
        rejected.push(rejection(index, converted.errors));
        continue;
      }
      // NOTE: the Kafka timestamp is arrival time, not event time: topic retention works on it, and
      // a backfill of 2014 data must not be deleted by a 7-day retention before it is processed.
      messages.push({
        key: adapter.key(converted.record),
        value: await this.deps.codec.encode(subject, converted.record as Record<string, unknown>),
        timestamp: nowMs,
      });
    }
    await this.deps.bus.produce(topic, messages);
    return { accepted: messages.length, rejected };
  }
}
