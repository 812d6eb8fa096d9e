// POST /v1/ingest/{source}: records as a JSON array, {records: [...]} or NDJSON → 202 {accepted,
// rejected}; 400 with the same body when every record was rejected; 413 when too large; 404 for a
// source Passage does not know; 429 past the per-key rate. gzip/deflate bodies are inflated first.

import rateLimit from '@fastify/rate-limit';
import { Type } from '@sinclair/typebox';
import { createHash } from 'node:crypto';
import { authorize, type KeyStore } from '../shared/access.js';
import { badRequest, PassageError } from '../shared/errors.js';
import type { Config } from '../shared/config.js';
import type { SensorRegistry } from '../shared/sensors.js';
import type { App } from '../shared/http.js';
import { problem, sendProblem } from '../shared/http.js';
import { RAW_SOURCES } from '../shared/topics.js';
import { itemsFromBody } from './body.js';
import { ingestMapped, rowsOfBody } from './mapped.js';
import { createMapper } from './mappers/index.js';
import type { IngestResult } from './result.js';
import type { EdgeIngest } from './edge.js';
import { countOutcome, ingestBytes } from './result.js';

export interface IngestRoutesOptions {
  edge: EdgeIngest;
  keys: KeyStore;
  sensors: SensorRegistry;
  limits: Config['ingest'];
}

const MAPPER_OPTIONS_HEADER = 'x-passage-mapper-options';

/** Mapper options: the request's (a JSON header), overridden by the server's (PASSAGE_MAPPER_OPTIONS) — so a vendor cannot replace, say, a shared secret. */
function mapperOptions(header: string | string[] | undefined, server: Record<string, unknown> | undefined): Record<string, unknown> {
  let given: unknown = {};
  if (typeof header === 'string') {
    try {
      given = JSON.parse(header);
    } catch {
      throw badRequest('invalid_mapper_options', `${MAPPER_OPTIONS_HEADER} must be a JSON object`, [
        { field: MAPPER_OPTIONS_HEADER, reason: 'is not JSON' },
      ]);
    }
  }
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw badRequest('invalid_mapper_options', `${MAPPER_OPTIONS_HEADER} must be a JSON object`, [
      { field: MAPPER_OPTIONS_HEADER, reason: 'is not an object' },
    ]);
  }
  return { ...(given as Record<string, unknown>), ...(server ?? {}) };
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
      config: { rateLimit: { max: opts.limits.rateLimitPerMinute, timeWindow: 60_000 } },
      preHandler: authorize(opts.keys, { roles: ['vendor'], source: (req) => (req.params as { source?: string }).source }),
      schema: {
        params: Type.Object({ source: Type.String({ maxLength: 64 }) }),
        querystring: Type.Object({
          mapper: Type.Optional(
            Type.String({ maxLength: 64, description: "The vendor's format (ingest/mappers/README.md), e.g. camera-export." }),
          ),
        }),
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
      const owner = req.principal?.role === 'vendor' ? req.principal.owner : null;
      let result: IngestResult;
      if (req.query.mapper !== undefined) {
        const mapper = createMapper(
          req.query.mapper,
          mapperOptions(req.headers[MAPPER_OPTIONS_HEADER], opts.limits.mapperOptions[req.query.mapper]),
        );
        if (mapper.source !== source) {
          throw badRequest(
            'mapper_source_mismatch',
            `the ${mapper.name} mapper yields ${mapper.source} records; post them to /v1/ingest/${mapper.source}`,
            [{ field: 'mapper', reason: `is a ${mapper.source} mapper` }],
          );
        }
        result = await ingestMapped({ edge: opts.edge, sensors: opts.sensors }, mapper, rowsOfBody(req.body), source, owner);
      } else {
        result = await opts.edge.ingest(source, itemsFromBody(req.body, opts.limits.maxRecordsPerRequest), owner);
      }
      countOutcome(source, result);
      // Every record rejected: the same body, with 400 (fastify types status codes by response schema).
      if (result.accepted === 0) return reply.code(400 as 202).send(result);
      return reply.code(202).send(result);
    },
  );

  // Meraki Scanning API: the dashboard cannot send an API key, so this endpoint is authenticated by
  // the shared secret inside each payload (checked by the mapper against PASSAGE_MAPPER_OPTIONS).
  const merakiOptions = opts.limits.mapperOptions['wifi-meraki'];
  if (merakiOptions !== undefined) {
    if (opts.limits.merakiValidator !== '') {
      app.get('/v1/ingest/wifi/meraki', (_req, reply) => reply.type('text/plain').send(opts.limits.merakiValidator));
    }
    app.post(
      '/v1/ingest/wifi/meraki',
      { config: { rateLimit: { max: opts.limits.rateLimitPerMinute, timeWindow: 60_000 } } },
      async (req, reply) => {
        const result = await ingestMapped(
          { edge: opts.edge, sensors: opts.sensors },
          createMapper('wifi-meraki', merakiOptions),
          rowsOfBody(req.body),
          'wifi',
          null,
        );
        countOutcome('wifi', result);
        return reply.code(result.accepted === 0 && result.rejected.length > 0 ? 400 : 202).send(result);
      },
    );
  }
}
