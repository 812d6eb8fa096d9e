// The HTTP server every service builds on: fastify with TypeBox schemas, pino JSON logs, errors as
// application/problem+json with stable codes (and the field and reason where a field is at fault),
// and the operational routes /healthz, /readyz and /metrics.

import compress from '@fastify/compress';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
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

  app.get('/healthz', { logLevel: 'warn' }, () => ({ status: 'ok' }));
  app.get('/readyz', { logLevel: 'warn' }, async (_req, reply) => {
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
  });
  app.get('/metrics', { logLevel: 'warn' }, async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));

  return app;
}
