// The live feeds over HTTP: Server-Sent Events on GET /v1/live/footfall and GET /v1/live/flows,
// and a WebSocket on GET /v1/live, all served by one LiveHub (query-api/live/hub.ts).
//
// SSE: the querystring holds the filters (query-api/live/filters.ts); events are `window` (a
// unit's first release), `correction` (a later release of it, revision + 1) and `heartbeat`, each
// with an `id:` (`presence:<offset>` / `flows:<offset>`); `Last-Event-ID` (or `lastEventId`)
// resumes after that id; `reset` says which ids could not be sent; a last `error` event says why
// the server closed the stream (slow_consumer, shutdown).
//
// WebSocket: the client sends `{"type":"subscribe","dataset":"footfall"|"flows", ...the same
// filters, "lastEventId"?}` (cells may be a list) and gets `{"type":"subscribed","data":{query}}`
// then `{"type":"window"|"correction"|"heartbeat"|"reset","id","data"}`; a new subscribe message
// replaces the subscription, `{"type":"unsubscribe"}` ends it; a bad message gets
// `{"type":"error","data":{reason,detail,errors}}` and the connection stays open.

import websocket from '@fastify/websocket';
import { Value } from '@sinclair/typebox/value';
import { Type, type TObject } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import { badRequest, PassageError, type FieldError } from '../../shared/errors.js';
import type { Principal } from '../../shared/access.js';
import type { App, AuthHook } from '../../shared/http.js';
import { requireGrant, type GrantSource } from '../access/guard.js';
import type { Dataset } from '../datasets.js';
import { flowsSpec, FlowsLiveQuery, footfallSpec, FootfallLiveQuery, resumeAfter, type LiveSpec } from './filters.js';
import type { LiveHub, LiveSubscriber, Sink } from './hub.js';

export interface LiveRouteOptions {
  hub: LiveHub;
  /** authorize(): which keys may subscribe (admin keys pass every grant check). */
  auth: AuthHook;
  /**
   * Grants of non-admin keys (query-api/access): a subscription needs a grant of its dataset, open
   * ended, allowing its resolution and covering its cells (footfall) or origin cells (flows).
   * Without it only admin keys may subscribe.
   */
  grants?: GrantSource;
  /** Meters the releases sent to a key (usage): called on heartbeats and when a subscription ends. */
  meter?: (principal: Principal, dataset: Dataset, rows: number) => void;
  /** What a client waits before reconnecting, sent as the SSE `retry:` (ms, default 2 s). */
  retryMs?: number;
  /** Largest WebSocket message a client may send (bytes, default 64 KiB). */
  maxMessageBytes?: number;
}

class SseSink implements Sink {
  readonly transport = 'sse' as const;

  constructor(
    private readonly res: ServerResponse,
    private readonly graceMs: number,
  ) {}

  /** Frames held while corked, and their bytes. */
  private held: Buffer[] | null = null;
  private heldBytes = 0;

  queued(): number {
    return this.res.writableLength + this.heldBytes;
  }

  send(frame: Buffer): void {
    if (this.held !== null) {
      this.held.push(frame);
      this.heldBytes += frame.length;
    } else if (!this.res.writableEnded && !this.res.destroyed) this.res.write(frame);
  }

  // SSE frames concatenate: a slice of releases is one write (one HTTP chunk) per connection.
  cork(): void {
    this.held ??= [];
  }

  uncork(): void {
    const held = this.held;
    this.held = null;
    this.heldBytes = 0;
    if (held !== null && held.length > 0) this.send(held.length === 1 ? held[0]! : Buffer.concat(held));
  }

  close(last: Buffer | null): void {
    // Frames still held are dropped with the connection (the client resumes after the last it got).
    this.held = null;
    this.heldBytes = 0;
    if (this.res.writableEnded || this.res.destroyed) return;
    // The connection goes with the stream: a keep-alive socket left idle after the server closed
    // the stream (shutdown, slow consumer) would hold the server open.
    const socket = this.res.socket;
    this.res.end(last ?? undefined, () => socket?.end());
    // A client that does not read never takes the last frame: cut it after the grace period.
    const t = setTimeout(() => {
      this.res.destroy();
      socket?.destroy();
    }, this.graceMs);
    t.unref();
    socket?.once('close', () => clearTimeout(t));
  }

  drained(): Promise<void> {
    if (this.res.writableLength === 0 || this.res.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }
}

/** What the live feed uses of a WebSocket (the `ws` library's, as @fastify/websocket hands it over). */
interface LiveSocket {
  readonly readyState: number;
  readonly OPEN: number;
  readonly bufferedAmount: number;
  send(data: Buffer, opts: { binary: boolean }): void;
  close(code: number, reason: string): void;
  terminate(): void;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'close', listener: () => void): void;
  once(event: 'close', listener: () => void): void;
}

class WsSink implements Sink {
  readonly transport = 'ws' as const;

  constructor(
    private readonly ws: LiveSocket,
    private readonly graceMs: number,
  ) {}

  queued(): number {
    return this.ws.bufferedAmount;
  }

  send(frame: Buffer): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(frame, { binary: false });
  }

  // ws writes each message through its socket's own queue; nothing to hold here.
  cork(): void {}

  uncork(): void {}

  close(last: Buffer | null, reason: string): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (last !== null) this.ws.send(last, { binary: false });
    this.ws.close(reason === 'shutdown' ? 1001 : 1008, reason.slice(0, 120));
    const t = setTimeout(() => this.ws.terminate(), this.graceMs);
    t.unref();
    this.ws.once('close', () => clearTimeout(t));
  }

  drained(): Promise<void> {
    if (this.ws.bufferedAmount === 0 || this.ws.readyState !== this.ws.OPEN) return Promise.resolve();
    return new Promise((resolve) => {
      const poll = setInterval(() => {
        if (this.ws.bufferedAmount === 0 || this.ws.readyState !== this.ws.OPEN) {
          clearInterval(poll);
          resolve();
        }
      }, 20);
      poll.unref();
    });
  }
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Field errors of `value` against `schema` (TypeBox), as the HTTP routes name them. */
function check<T>(schema: TObject, value: unknown): T {
  const v = Value.Default(schema, Value.Clone(value));
  if (Value.Check(schema, v)) return v as T;
  const errors: FieldError[] = [...Value.Errors(schema, v)].slice(0, 20).map((e) => ({
    field: e.path === '' ? 'message' : e.path.slice(1).replace(/\//g, '.'),
    reason: e.message,
  }));
  throw badRequest('invalid_request', 'the subscribe message does not match the subscription schema', errors);
}

/** A subscribe message's fields as a subscription of `dataset`. */
function specOf(dataset: 'footfall' | 'flows', fields: Record<string, unknown>): { spec: LiveSpec; lastEventId: string | undefined } {
  if (dataset === 'footfall') {
    const q = check<FootfallLiveQuery>(FootfallLiveQuery, fields);
    return { spec: footfallSpec(q), lastEventId: q.lastEventId };
  }
  const q = check<FlowsLiveQuery>(FlowsLiveQuery, fields);
  return { spec: flowsSpec(q), lastEventId: q.lastEventId };
}

/** A WebSocket subscribe message as a subscription: the SSE querystring's fields; cell lists as arrays or comma-separated. */
function wsSubscription(msg: Record<string, unknown>): { spec: LiveSpec; resume: number | null } {
  const { type: _type, dataset, ...fields } = msg;
  if (dataset !== 'footfall' && dataset !== 'flows')
    throw badRequest('invalid_request', 'dataset must be footfall or flows', [{ field: 'dataset', reason: 'must be footfall or flows' }]);
  for (const f of ['cells', 'origin', 'destination'])
    if (Array.isArray(fields[f])) fields[f] = (fields[f] as unknown[]).map(String).join(',');
  const { spec, lastEventId } = specOf(dataset, fields);
  return { spec, resume: resumeAfter(spec.kind, undefined, lastEventId) };
}

function problemOf(err: unknown): { reason: string; detail: string; errors?: FieldError[] } {
  if (err instanceof PassageError)
    return { reason: err.code, detail: err.message, ...(err.fields.length > 0 ? { errors: err.fields } : {}) };
  return { reason: 'internal_error', detail: 'internal error' };
}

const SSE_DESCRIPTION =
  'text/event-stream of released units: `window` (first release), `correction` (revision + 1), `heartbeat` (every 15 s), `reset` (ids that could not be sent), a last `error` (slow_consumer, shutdown). Every event id is <kind>:<offset>; Last-Event-ID resumes after it without gaps or duplicates.';

const LAST_EVENT_ID = Type.Object({
  'last-event-id': Type.Optional(
    Type.String({ maxLength: 64, description: 'Resume after this event id (presence:<offset> or flows:<offset>).' }),
  ),
});

const DATASET_OF = { presence: 'footfall', flows: 'flows' } as const satisfies Record<string, Dataset>;

/**
 * The grant check of a subscription (query-api/access/guard.ts): a non-admin key must name cells
 * (footfall) or origin cells (flows) — a grant covers an area, never "everything" — and hold an
 * open-ended grant of the dataset for them at the resolution asked. Resolves when the subscription
 * must end (null: never).
 */
async function admit(req: FastifyRequest, spec: LiveSpec, grants: GrantSource | undefined): Promise<number | null> {
  const area = spec.cells[0]!;
  if (req.principal !== undefined && req.principal.role !== 'admin' && area.cells.length === 0)
    throw badRequest('invalid_request', `${area.field} is required`, [
      { field: area.field, reason: 'name the cells to follow; a subscription covers cells of your grants' },
    ]);
  const { until } = await requireGrant(req, grants, {
    dataset: DATASET_OF[spec.kind],
    area,
    resolution: spec.resolution,
    from: Date.now(),
    to: null,
  });
  return until;
}

/** Wires a subscriber to the key's usage and ends it when its grant does. */
function account(sub: LiveSubscriber, req: FastifyRequest, until: number | null, opts: LiveRouteOptions): void {
  const principal = req.principal;
  const meter = opts.meter;
  if (principal !== undefined && meter !== undefined) sub.meter = (rows) => meter(principal, DATASET_OF[sub.spec.kind], rows);
  if (until !== null) {
    const t = setTimeout(
      () => sub.close('grant_ended', 'the grant allowing this subscription has ended'),
      Math.min(Math.max(0, until - Date.now()), 2 ** 31 - 1),
    );
    t.unref();
    sub.onClose(() => clearTimeout(t));
  }
}

export async function liveRoutes(app: App, opts: LiveRouteOptions): Promise<void> {
  const { hub } = opts;
  const retryMs = opts.retryMs ?? 2_000;
  await app.register(websocket, { options: { maxPayload: opts.maxMessageBytes ?? 64 * 1024 } });
  // Open streams would keep the server from closing: end them first (a last `error` event, reason shutdown).
  app.addHook('preClose', (done) => {
    hub.closeAll('shutdown', 'the server is shutting down; reconnect with Last-Event-ID');
    done();
  });

  /** Opens an SSE stream of `spec` on `reply`, after the event the client names, if any. */
  const stream = async (req: FastifyRequest, reply: FastifyReply, spec: LiveSpec, lastEventId: string | undefined): Promise<void> => {
    const resume = resumeAfter(spec.kind, header(req, 'last-event-id'), lastEventId);
    const until = await admit(req, spec, opts.grants);
    void reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: ${retryMs}\n: ${JSON.stringify(spec.query)}\n\n`);
    const sub = hub.subscribe(spec, new SseSink(res, hub.closeGraceMs), resume);
    account(sub, req, until, opts);
    res.on('close', () => sub.close('client'));
  };

  app.get(
    '/v1/live/footfall',
    {
      preHandler: opts.auth,
      schema: {
        summary: 'Live footfall releases (Server-Sent Events)',
        description: `${SSE_DESCRIPTION} Units: a source's metric per cell.`,
        querystring: FootfallLiveQuery,
        headers: LAST_EVENT_ID,
      },
    },
    (req, reply) => stream(req, reply, footfallSpec(req.query), req.query.lastEventId),
  );
  app.get(
    '/v1/live/flows',
    {
      preHandler: opts.auth,
      schema: {
        summary: 'Live flow releases (Server-Sent Events)',
        description: `${SSE_DESCRIPTION} Units: origin→destination trips (and mean duration) per cell pair.`,
        querystring: FlowsLiveQuery,
        headers: LAST_EVENT_ID,
      },
    },
    (req, reply) => stream(req, reply, flowsSpec(req.query), req.query.lastEventId),
  );

  const wsSchema = {
    summary: 'Live releases (WebSocket)',
    description:
      'Upgrade to a WebSocket, then send {"type":"subscribe","dataset":"footfall"|"flows", ...the filters of /v1/live/footfall or /v1/live/flows, "lastEventId"?}; messages are {"type":"subscribed"|"window"|"correction"|"heartbeat"|"reset"|"error","id"?,"data"}. {"type":"unsubscribe"} ends the subscription.',
  };
  app.get('/v1/live', { websocket: true, preHandler: opts.auth, schema: wsSchema }, (socket: LiveSocket, req: FastifyRequest) => {
    const sink = new WsSink(socket, hub.closeGraceMs);
    let sub: LiveSubscriber | null = null;
    // Messages are handled one at a time, in order (the grant check is asynchronous).
    let queue = Promise.resolve();
    const reply = (type: string, data: unknown): void => sink.send(Buffer.from(JSON.stringify({ type, data })));
    const handle = async (raw: Buffer, isBinary: boolean): Promise<void> => {
      try {
        let msg: unknown;
        try {
          msg = JSON.parse(isBinary ? '' : raw.toString('utf8'));
        } catch {
          throw badRequest('invalid_json', 'a message must be a JSON object', [{ field: 'message', reason: 'is not JSON' }]);
        }
        if (typeof msg !== 'object' || msg === null || Array.isArray(msg))
          throw badRequest('invalid_request', 'a message must be a JSON object', [{ field: 'message', reason: 'is not an object' }]);
        const m = msg as Record<string, unknown>;
        if (m.type === 'unsubscribe') {
          sub?.detach();
          sub = null;
          reply('unsubscribed', {});
          return;
        }
        if (m.type !== 'subscribe')
          throw badRequest('invalid_request', 'type must be subscribe or unsubscribe', [
            { field: 'type', reason: 'must be subscribe or unsubscribe' },
          ]);
        const { spec, resume } = wsSubscription(m);
        const until = await admit(req, spec, opts.grants);
        sub?.detach();
        if (socket.readyState !== socket.OPEN) return;
        reply('subscribed', { query: spec.query });
        sub = hub.subscribe(spec, sink, resume);
        account(sub, req, until, opts);
      } catch (err) {
        reply('error', problemOf(err));
      }
    };
    socket.on('message', (raw: Buffer, isBinary: boolean) => {
      queue = queue.then(() => handle(raw, isBinary));
    });
    socket.on('close', () => {
      void queue.then(() => sub?.close('client'));
    });
  });
}
