// The HTTP server every service builds on: fastify with TypeBox schemas, pino JSON logs, errors as
// application/problem+json with stable codes (and the field and reason where a field is at fault),
// the operational routes /healthz, /readyz and /metrics, and the OpenAPI document of the service's
// own routes (/openapi.json, browsable at /docs), generated from the route schemas.

import compress from '@fastify/compress';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { assetPath } from './assets.js';
import { PassageError, type FieldError } from './errors.js';
import type { Logger } from './log.js';
import { histogram, registry } from './metrics.js';

export type App = FastifyInstance<Server, IncomingMessage, ServerResponse, Logger, TypeBoxTypeProvider>;

/** An NDJSON request body, kept as text so the route can judge it line by line. */
export class NdjsonBody {
  constructor(readonly text: string) {}
}

/** A CSV request body (text/csv), kept as text for a mapper's CSV reader. */
export class CsvBody {
  constructor(readonly text: string) {}
}

export type AuthHook = (req: FastifyRequest, reply: FastifyReply) => Promise<void>;

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors?: FieldError[];
}

/** The problem+json body of every error response, as the OpenAPI document describes it. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'urn:passage:problem:<code>' }),
    title: Type.String(),
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    code: Type.String({ description: 'Stable snake_case error code, e.g. invalid_request, missing_api_key, not_found.' }),
    detail: Type.String(),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          field: Type.String({ description: 'The parameter or body path at fault, e.g. from or records.3.start.' }),
          reason: Type.String(),
        }),
        { description: 'The fields at fault and why.' },
      ),
    ),
  },
  { title: 'Problem', description: 'An error (RFC 9457 application/problem+json).' },
);

/** The security scheme of API keys in the OpenAPI document; a public route says `security: []` in its schema. */
export const API_KEY_SCHEME = 'apiKey';

/** Route schema fields of a route that needs no API key (the document requires one by default). */
export const PUBLIC_ROUTE = { security: [] as { [scheme: string]: string[] }[] };

const requestSeconds = histogram('http_request_duration_seconds', 'HTTP request latency', ['method', 'route', 'status']);

export function problem(status: number, code: string, detail: string, errors: FieldError[] = []): Problem {
  return {
    type: `urn:passage:problem:${code}`,
    title: code.replace(/_/g, ' '),
    status,
    code,
    detail,
    ...(errors.length > 0 ? { errors } : {}),
  };
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.status(p.status).type('application/problem+json').send(p);
}

/** Field errors from an Ajv validation failure: `/records/0/in` style paths plus the missing property. */
function validationFields(err: FastifyError): FieldError[] {
  return (err.validation ?? []).map((v) => {
    const missing = (v.params as { missingProperty?: string; additionalProperty?: string } | undefined) ?? {};
    const base = `${err.validationContext ?? 'body'}${v.instancePath.replace(/\//g, '.')}`;
    if (missing.missingProperty !== undefined) return { field: `${base}.${missing.missingProperty}`, reason: 'is required' };
    if (missing.additionalProperty !== undefined) return { field: `${base}.${missing.additionalProperty}`, reason: 'is not a known field' };
    return { field: base, reason: v.message ?? 'is invalid' };
  });
}

const OPENAPI_DESCRIPTION = `Passage: privacy-safe people-movement data on an H3 grid — footfall and origin→destination flows per cell and time bucket, live and historical, with zones and a dataset catalog.

Authenticate with an API key as \`Authorization: Bearer <key>\` (operations marked with a lock). Times are ISO-8601 with an offset, or epoch milliseconds. Every error is \`application/problem+json\` with a stable \`code\` and, where a field is at fault, \`errors: [{field, reason}]\`.`;

/** The response every operation may give on an error, referenced by all of them. */
const PROBLEM_RESPONSE = {
  description: 'An error: application/problem+json with a stable code (and the fields at fault).',
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
};

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Every operation gets the problem+json responses (4XX, 5XX) unless it describes its own. */
function withProblemResponses<T extends { paths?: unknown }>(doc: T): T {
  for (const item of Object.values((doc.paths ?? {}) as Record<string, Record<string, unknown>>)) {
    for (const method of HTTP_METHODS) {
      const op = item[method] as { responses?: Record<string, unknown> } | undefined;
      if (op === undefined) continue;
      op.responses ??= {};
      for (const range of ['4XX', '5XX']) op.responses[range] ??= { $ref: '#/components/responses/Problem' };
    }
  }
  return doc;
}

/** The tag of a route in the document: its first path segment after /v1 (footfall, zones, …), else operations. */
function routeTag(url: string): string {
  const m = /^\/v1\/([^/]+)/.exec(url);
  return m === null ? 'operations' : m[1]!;
}

let packageVersion: string | null = null;
function version(): string {
  packageVersion ??= (JSON.parse(readFileSync(assetPath('package.json'), 'utf8')) as { version: string }).version;
  return packageVersion;
}

export interface HttpOptions {
  logger: Logger;
  maxBodyBytes: number;
  /** Named readiness checks; /readyz is 200 only when all pass. */
  readiness: Record<string, () => Promise<boolean> | boolean>;
}

export async function createHttpServer(opts: HttpOptions): Promise<App> {
  const app = Fastify({
    loggerInstance: opts.logger,
    bodyLimit: opts.maxBodyBytes,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // gzip/deflate request bodies are inflated before parsing (bodyLimit applies to the inflated
  // bytes); responses are compressed when the client accepts it.
  // NOTE: awaited, so its hooks apply to every route declared afterwards.
  await app.register(compress, {
    global: true,
    threshold: 1024,
    requestEncodings: ['gzip', 'deflate'],
    onUnsupportedRequestEncoding: (encoding) =>
      new PassageError('unsupported_content_encoding', `content-encoding ${encoding} is not supported; use gzip or deflate`, {
        status: 415,
      }),
    onInvalidRequestPayload: (encoding, _req, err) =>
      new PassageError('invalid_body', `the body is not valid ${encoding}: ${err.message}`, {
        status: 400,
        fields: [{ field: 'body', reason: `is not valid ${encoding}` }],
      }),
  });

  // The OpenAPI document collects every route declared from here on (its onRoute hook), so each
  // service documents exactly its own routes. Every operation needs an API key unless its schema
  // says `security: []` (PUBLIC_ROUTE); every one may answer a problem+json error.
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Passage API', version: version(), description: OPENAPI_DESCRIPTION },
      components: {
        securitySchemes: {
          [API_KEY_SCHEME]: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'API key',
            description: 'An API key (vendor, subscriber or admin) made by POST /v1/admin/keys, or the configured admin key.',
          },
        },
        schemas: { Problem: ProblemSchema },
        responses: { Problem: PROBLEM_RESPONSE },
      },
      security: [{ [API_KEY_SCHEME]: [] }],
    },
    transform: ({ schema, url }) => ({ schema: { ...schema, tags: schema?.tags ?? [routeTag(url)] }, url }),
    transformObject: (d) => withProblemResponses('openapiObject' in d ? d.openapiObject : d.swaggerObject),
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true } });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());

  // NDJSON bodies arrive as text; the route parses them line by line so a bad line is one rejection.
  app.addContentTypeParser(
    ['application/x-ndjson', 'application/ndjson', 'application/jsonl'],
    { parseAs: 'string' },
    (_req, body, done) => {
      done(null, new NdjsonBody(body as string));
    },
  );

  // CSV bodies (vendor exports through a mapper) arrive as text, wrapped so they are not taken for JSON.
  app.addContentTypeParser(['text/csv'], { parseAs: 'string' }, (_req, body, done) => {
    done(null, new CsvBody(body as string));
  });

  // iCalendar feeds (context events) arrive as text.
  app.addContentTypeParser(['text/calendar', 'application/ics'], { parseAs: 'string' }, (_req, body, done) => {
    done(null, body);
  });

  app.addHook('onResponse', (req, reply, done) => {
    requestSeconds.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unknown', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });

  app.setErrorHandler((err: FastifyError | PassageError, req, reply) => {
    if (err instanceof PassageError) {
      if (err.status >= 500) req.log.error({ err: err.message, code: err.code }, 'request failed');
      if (err.retriable) void reply.header('retry-after', '5');
      return sendProblem(reply, problem(err.status, err.code, err.message, err.fields));
    }
    if (err.validation)
      return sendProblem(reply, problem(400, 'invalid_request', 'the request does not match the route schema', validationFields(err)));
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return sendProblem(reply, problem(413, 'payload_too_large', `body exceeds ${opts.maxBodyBytes} bytes`));
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendProblem(reply, problem(415, 'unsupported_media_type', err.message));
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      return sendProblem(reply, problem(err.statusCode, 'invalid_body', err.message));
    }
    req.log.error({ err }, 'unhandled error');
    return sendProblem(reply, problem(500, 'internal_error', 'internal error'));
  });

  app.setNotFoundHandler((req, reply) => sendProblem(reply, problem(404, 'not_found', `no route ${req.method} ${req.url.split('?')[0]}`)));

  const ops = (summary: string) => ({ ...PUBLIC_ROUTE, tags: ['operations'], summary });
  app.get('/healthz', { logLevel: 'warn', schema: ops('Liveness: 200 while the process runs') }, () => ({ status: 'ok' }));
  app.get(
    '/readyz',
    { logLevel: 'warn', schema: ops('Readiness: 200 when every check passes, else 503 with the checks') },
    async (_req, reply) => {
      const checks: Record<string, boolean> = {};
      for (const [name, check] of Object.entries(opts.readiness)) {
        try {
          checks[name] = await check();
        } catch {
          checks[name] = false;
        }
      }
      const ready = Object.values(checks).every(Boolean);
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
    },
  );
  app.get('/metrics', { logLevel: 'warn', schema: ops('Prometheus metrics (text exposition format)') }, async (_req, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );

  return app;
}
