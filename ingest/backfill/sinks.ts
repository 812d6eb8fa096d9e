// The two places a backfill can deliver to: the ingest edge of this process (stack mode: straight
// into Kafka, through the same validation and pseudonymisation as HTTP), or a running Passage over
// HTTP (embedded mode or a remote stack), with retries on 429/5xx that honour Retry-After.

import { gzipSync } from 'node:zlib';
import type { SensorInput } from '../../schemas/inputs.js';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../shared/config.js';
import { badRequest, PassageError } from '../../shared/errors.js';
import type { SensorRegistry } from '../../shared/sensors.js';
import type { RawSource } from '../../shared/topics.js';
import { detectContextFormat } from '../context/index.js';
import { produceContext } from '../context-routes.js';
import { rejection } from '../result.js';
import type { EdgeIngest } from '../edge.js';
import type { IngestResult } from '../result.js';
import type { BackfillSink } from './backfill.js';

type ContextDeps = Parameters<typeof produceContext>[0];

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function edgeSink(edge: EdgeIngest, sensors: SensorRegistry, close: () => Promise<void>, context?: ContextDeps): BackfillSink {
  return {
    contextDocument: (kind, body, contentType) => {
      if (context === undefined) return Promise.reject(new PassageError('no_context_sink', 'this sink takes no context documents'));
      const parsed = contentType.includes('json') ? parseJson(body) : body;
      const mapper = detectContextFormat(kind, contentType, parsed);
      if (mapper === null) {
        return Promise.resolve({ accepted: 0, rejected: [rejection(0, [{ field: 'body', reason: `is not a known ${kind} format` }])] });
      }
      return produceContext(context, kind, mapper.map(parsed, Date.now()));
    },
    putSensor: async (s) => {
      await sensors.putFor(null, s);
    },
    ingest: (source, records) =>
      edge.ingest(
        source,
        records.map((value) => ({ ok: true as const, value })),
      ),
    close,
  };
}

/** Requests to a running Passage: retried on network errors, 429 and 5xx, honouring Retry-After. */
export function passageClient(baseUrl: string, key: string, maxAttempts = 8) {
  const send = async (method: string, url: string, body: Buffer | string, headers: Record<string, string>): Promise<Response> => {
    for (let attempt = 1; ; attempt++) {
      let res: Response | null = null;
      try {
        res = await fetch(`${baseUrl}${url}`, { method, body, headers: { authorization: `Bearer ${key}`, ...headers } });
      } catch (err) {
        if (attempt >= maxAttempts)
          throw new PassageError('passage_unreachable', `${method} ${baseUrl}${url} failed: ${String(err)}`, { retriable: true });
      }
      if (res !== null && res.status !== 429 && res.status < 500) return res;
      if (attempt >= maxAttempts)
        throw new PassageError('passage_unavailable', `${method} ${url} answered ${res?.status} ${await res?.text()}`, { retriable: true });
      const retryAfter = Number(res?.headers.get('retry-after') ?? NaN);
      await new Promise((r) => setTimeout(r, Number.isFinite(retryAfter) ? retryAfter * 1000 : Math.min(30_000, 250 * 2 ** attempt)));
    }
  };
  /** POSTs records; the ingest answer when some or none were accepted, an error for anything else. */
  const postRecords = async (url: string, body: Buffer | string, headers: Record<string, string>): Promise<IngestResult> => {
    const res = await send('POST', url, body, headers);
    const json = (await res.json()) as IngestResult & { detail?: string };
    if (res.status !== 202 && !(res.status === 400 && Array.isArray(json.rejected))) {
      throw new PassageError('ingest_refused', `POST ${url} answered ${res.status}: ${json.detail ?? JSON.stringify(json)}`);
    }
    return json;
  };
  return { send, postRecords };
}

export function httpSink(baseUrl: string, key: string, maxAttempts = 8): BackfillSink {
  const client = passageClient(baseUrl, key, maxAttempts);
  return {
    putSensor: async (s: SensorInput) => {
      const { sensorId, ...body } = s;
      const res = await client.send('PUT', `/v1/sensors/${encodeURIComponent(sensorId)}`, JSON.stringify(body), {
        'content-type': 'application/json',
      });
      if (!res.ok) throw new PassageError('sensor_refused', `PUT /v1/sensors/${sensorId} answered ${res.status}: ${await res.text()}`);
    },
    contextDocument: (kind, body, contentType) => client.postRecords(`/v1/context/${kind}`, body, { 'content-type': contentType }),
    ingest: (source: RawSource, records: unknown[]): Promise<IngestResult> =>
      client.postRecords(`/v1/ingest/${source}`, gzipSync(records.map((r) => JSON.stringify(r)).join('\n')), {
        'content-type': 'application/x-ndjson',
        'content-encoding': 'gzip',
      }),
    close: () => Promise.resolve(),
  };
}

/**
 * Where the CLIs send over HTTP, and with which key: --url (default this machine's PORT) and --key,
 * else PASSAGE_ADMIN_KEY, else the admin key embedded mode keeps in the data folder.
 */
export function passageTarget(
  url: string | undefined,
  key: string | undefined,
  config: Config,
  optionCode: string,
): { baseUrl: string; apiKey: string } {
  const keyFile = path.join(config.dataDir, 'admin-key');
  const apiKey = key ?? (config.adminKey !== '' ? config.adminKey : existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : '');
  if (apiKey === '') {
    throw badRequest(optionCode, '--key is needed (or PASSAGE_ADMIN_KEY, or a data folder with admin-key)', [
      { field: 'key', reason: 'is required' },
    ]);
  }
  return { baseUrl: url ?? `http://127.0.0.1:${config.server.port}`, apiKey };
}
