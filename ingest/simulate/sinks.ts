// Where simulated records go: the ingest edge of this process (embedded mode, or straight into Kafka
// from the CLI) with context through the plain context mappers and produceContext, or a running
// Passage over HTTP (the backfill's httpSink for sensors and records, POST /v1/context/{kind}).

import type { SensorInput } from '../../schemas/inputs.js';
import type { Bus } from '../../shared/bus/types.js';
import { PassageError } from '../../shared/errors.js';
import type { SchemaCodec } from '../../shared/registry/types.js';
import type { SensorRegistry } from '../../shared/sensors.js';
import type { ContextKind, RawSource, Topics } from '../../shared/topics.js';
import { edgeSink, httpSink, passageClient } from '../backfill/sinks.js';
import { contextMapper } from '../context/index.js';
import { produceContext } from '../context-routes.js';
import type { EdgeIngest } from '../edge.js';
import type { IngestResult } from '../result.js';

export interface SimSink {
  putSensor(s: SensorInput): Promise<void>;
  ingest(source: RawSource, records: unknown[]): Promise<IngestResult>;
  /** Plain context records (ingest/context/plain.ts shapes) of `kind`. */
  context(kind: ContextKind, records: unknown[]): Promise<IngestResult>;
  close(): Promise<void>;
}

export interface EdgeSinkDeps {
  edge: EdgeIngest;
  sensors: SensorRegistry;
  bus: Bus;
  codec: SchemaCodec;
  topics: Topics;
}

export function edgeSimSink(deps: EdgeSinkDeps, close: () => Promise<void> = () => Promise.resolve()): SimSink {
  const base = edgeSink(deps.edge, deps.sensors, close);
  return {
    ...base,
    context: (kind, records) => {
      // The same mapper POST /v1/context/{kind} uses for plain bodies, so both paths judge alike.
      const mapper = contextMapper(kind, 'plain');
      if (mapper === null) return Promise.reject(new PassageError('unknown_context_format', `no plain mapper for ${kind}`));
      return produceContext(deps, kind, mapper.map(records, Date.now()));
    },
  };
}

export function httpSimSink(baseUrl: string, key: string, maxAttempts = 8): SimSink {
  const client = passageClient(baseUrl, key, maxAttempts);
  return {
    ...httpSink(baseUrl, key, maxAttempts),
    context: (kind, records) =>
      client.postRecords(`/v1/context/${kind}?format=plain`, JSON.stringify(records), { 'content-type': 'application/json' }),
  };
}
