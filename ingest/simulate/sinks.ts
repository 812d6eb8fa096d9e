// Where simulated records go: the ingest edge of this process (embedded mode, or straight into Kafka
// from the CLI) with context through the plain context mappers and produceContext, or a running
// Passage over HTTP (the backfill's httpSink for sensors and records, POST /v1/context/{kind}).

import type { SensorInput } from '../../schemas/inputs.js';
import type { Bus } from '../../shared/bus/types.js';
import { PassageError } from '../../shared/errors.js';
import type { SchemaCodec } from '../../shared/registry/types.js';
import type { SensorRegistry } from '../../shared/sensors.js';
import type { ContextKind, RawSource, Topics } from '../../shared/topics.js';
import { edgeSink, httpSink } from '../backfill/sinks.js';
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
  const base = httpSink(baseUrl, key, maxAttempts);
  return {
    ...base,
    context: async (kind, records) => {
      const url = `${baseUrl}/v1/context/${kind}?format=plain`;
      for (let attempt = 1; ; attempt++) {
        let res: Response | null = null;
        try {
          res = await fetch(url, {
            method: 'POST',
            body: JSON.stringify(records),
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          });
        } catch (err) {
          if (attempt >= maxAttempts)
            throw new PassageError('passage_unreachable', `POST ${url} failed: ${String(err)}`, { retriable: true });
        }
        if (res !== null && res.status !== 429 && res.status < 500) {
          const json = (await res.json()) as IngestResult & { detail?: string };
          if (res.status === 202 || (res.status === 400 && Array.isArray(json.rejected))) return json;
          throw new PassageError(
            'ingest_refused',
            `POST /v1/context/${kind} answered ${res.status}: ${json.detail ?? JSON.stringify(json)}`,
          );
        }
        if (attempt >= maxAttempts)
          throw new PassageError('passage_unavailable', `POST ${url} answered ${res?.status} ${await res?.text()}`, { retriable: true });
        const retryAfter = Number(res?.headers.get('retry-after') ?? NaN);
        await new Promise((r) => setTimeout(r, Number.isFinite(retryAfter) ? retryAfter * 1000 : Math.min(30_000, 250 * 2 ** attempt)));
      }
    },
  };
}
