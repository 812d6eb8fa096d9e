// POST /v1/ingest/{source}: records as a JSON array, {records: [...]} or NDJSON → 202 {accepted,
// rejected}; 400 with the same body when every record was rejected; 413 when too large; 404 for a
// source Passage does not know; 429 past the per-key rate. gzip/deflate bodies are inflated first.

import rateLimit from '@fastify/rate-limit';
import { Type } from '@sinclair/typebox';
import { createHash } from 'node:crypto';
import { authorize, type KeyStore } from '../shared/access.js';
import { PassageError } from '../shared/errors.js';
import type { App } from '../shared/http.js';
import { problem, sendProblem } from '../shared/http.js';
import { RAW_SOURCES } from '../shared/topics.js';
import { itemsFromBody } from './body.js';
import type { EdgeIngest } from './edge.js';
import { countOutcome, ingestBytes } from './result.js';

export interface IngestRoutesOptions {
  edge: EdgeIngest;
  keys: KeyStore;
  maxRecordsPerRequest: number;
  rateLimitPerMinute: number;
}

const IngestResultSchema = Type.Object({
  accepted: Type.Integer(),
  rejected: Type.Array(
    Type.Object({
      index: Type.Integer(),
      error: Type.String(),
      errors: Type.Array(Type.Object({ field: Type.String(), reason: Type.String() })),
    }),
  ),
});

export async function ingestRoutes(app: App, opts: IngestRoutesOptions): Promise<void> {
  // Limits count per API key (a digest of the Authorization header), or per address without one.
  await app.register(rateLimit, {
    global: false,
    keyGenerator: (req) =>
      createHash('sha256')
        .update(req.headers.authorization ?? `ip:${req.ip}`)
        .digest('hex'),
    errorResponseBuilder: (_req, ctx) =>
      new PassageError(
        'rate_limited',
        `more than ${ctx.max} ingest requests per minute for this key; retry in ${Math.ceil(ctx.ttl / 1000)} s`,
        {
          status: 429,
        },
      ),
  });
  app.post(
    '/v1/ingest/:source',
    {
      config: { rateLimit: { max: opts.rateLimitPerMinute, timeWindow: 60_000 } },
      preHandler: authorize(opts.keys, { roles: ['vendor'], source: (req) => (req.params as { source?: string }).source }),
      schema: {
        params: Type.Object({ source: Type.String({ maxLength: 64 }) }),
        // NOTE: no response schema for 400: that status carries either an IngestResult (every
        // record rejected) or a problem document, and a schema would strip one of them.
        response: { 202: IngestResultSchema },
      },
    },
    async (req, reply) => {
      const source = RAW_SOURCES.find((s) => s === req.params.source);
      if (source === undefined) {
        return sendProblem(
          reply,
          problem(404, 'unknown_source', `unknown source ${req.params.source}; sources are ${RAW_SOURCES.join(', ')}`, [
            { field: 'source', reason: 'is not a known source' },
          ]),
        );
      }
      ingestBytes.inc({ source }, Number(req.headers['content-length'] ?? 0));
      const items = itemsFromBody(req.body, opts.maxRecordsPerRequest);
      const result = await opts.edge.ingest(source, items, req.principal?.role === 'vendor' ? req.principal.owner : null);
      countOutcome(source, result);
      // Every record rejected: the same body, with 400 (fastify types status codes by response schema).
      if (result.accepted === 0) return reply.code(400 as 202).send(result);
      return reply.code(202).send(result);
    },
  );
}
