// Test helpers for the live feeds: an API app with the hub and the live routes listening on a free
// port (SSE needs a real connection: inject cannot stream), an SSE reader over fetch, a WebSocket
// client (through fastify's injectWS, typed here by what the tests use), and synthetic releases.

import { KeyStore, authorize } from '../../shared/access.js';
import type { Bus } from '../../shared/bus/types.js';
import type { Access } from '../access/index.js';
import { createHttpServer, type App } from '../../shared/http.js';
import type { SchemaCodec } from '../../shared/registry/types.js';
import type { Store } from '../../shared/store/types.js';
import { quietLogger, TEST_ADMIN_KEY } from '../../shared/testing/fixtures.js';
import { subjectOf, type Topics } from '../../shared/topics.js';
import { LiveHub, type LiveHubOptions } from './hub.js';
import { liveRoutes } from './routes.js';

export const AUTH = { authorization: `Bearer ${TEST_ADMIN_KEY}` };

export interface LiveApp {
  app: App;
  hub: LiveHub;
  url: string;
  close(): Promise<void>;
}

/** The live feeds as shared/passage.ts wires them: admin key only, or with `access`, subscriber and vendor keys with a grant (metered). */
export async function liveApp(
  deps: { bus: Bus; codec: SchemaCodec; store: Store; topics: Topics },
  hubOptions: Partial<LiveHubOptions> = {},
  access?: Access,
): Promise<LiveApp> {
  const logger = quietLogger();
  const hub = new LiveHub({ bus: deps.bus, codec: deps.codec, topics: deps.topics, logger, timeZone: 'Europe/Copenhagen', ...hubOptions });
  const app = await createHttpServer({ logger, maxBodyBytes: 1 << 20, readiness: { live: () => hub.ready() } });
  const keys = access?.keys ?? new KeyStore(deps.store, TEST_ADMIN_KEY);
  await liveRoutes(
    app,
    access === undefined
      ? { hub, auth: authorize(keys, { roles: [] }) }
      : {
          hub,
          auth: authorize(keys, { roles: ['subscriber', 'vendor'] }),
          grants: access.grants,
          meter: (principal, dataset, rows) => access.usage.add(principal, dataset, rows),
        },
  );
  await hub.start();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    app,
    hub,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      // NOTE: fetch sometimes opens a connection it never sends a request on; the server would wait
      // for its headers timeout. Cut what is left once the streams have been ended.
      const cut = setTimeout(() => app.server.closeAllConnections(), 1_000);
      await app.close();
      clearTimeout(cut);
      await hub.stop();
    },
  };
}

export interface SseEvent {
  id: string | null;
  event: string;
  data: Record<string, unknown>;
}

export interface SseStream {
  status: number;
  contentType: string | null;
  events: SseEvent[];
  /** Releases only (window, correction). */
  releases(): SseEvent[];
  /** The id of the last event that had one (what a browser sends as Last-Event-ID). */
  lastId(): string | null;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

/** Opens an SSE stream; `read: false` leaves the body unread (a slow consumer) until `startReading`. */
export async function openSse(
  url: string,
  headers: Record<string, string> = {},
  opts: { read?: boolean } = {},
): Promise<SseStream & { startReading(): void; body: string }> {
  const ctrl = new AbortController();
  const res = await fetch(url, { headers: { ...AUTH, ...headers }, signal: ctrl.signal });
  const events: SseEvent[] = [];
  let lastId: string | null = null;
  let buf = '';
  let body = '';
  const decoder = new TextDecoder();
  let go!: () => void;
  const reading = new Promise<void>((r) => (go = r));
  if (opts.read !== false) go();
  const ended = (async () => {
    if (res.body === null) return;
    await reading;
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        const text = decoder.decode(value, { stream: true });
        if (events.length === 0) body += text.slice(0, 2000);
        buf += text;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let id: string | null = null;
          let event = 'message';
          const data: string[] = [];
          for (const line of frame.split('\n')) {
            if (line.startsWith('id: ')) id = line.slice(4);
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length === 0) continue;
          if (id !== null) lastId = id;
          events.push({ id, event, data: JSON.parse(data.join('\n')) as Record<string, unknown> });
        }
      }
    } catch {
      // aborted or cut by the server
    }
  })();
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    events,
    releases: () => events.filter((e) => e.event === 'window' || e.event === 'correction'),
    lastId: () => lastId,
    ended,
    close: () => ctrl.abort(),
    startReading: () => go(),
    get body() {
      return body;
    },
  };
}

export interface WsMessage {
  type: string;
  id?: string;
  data: Record<string, unknown>;
}

interface RawSocket {
  on(event: 'message', l: (data: Buffer) => void): void;
  on(event: 'close', l: () => void): void;
  send(data: string): void;
  close(): void;
}

export interface WsClient {
  messages: WsMessage[];
  send(msg: unknown): void;
  closed: Promise<void>;
  close(): void;
}

/** A WebSocket client on the live route, through fastify's injectWS (@fastify/websocket): the route, its hooks and the protocol, no TCP. */
export async function openWs(app: App, headers: Record<string, string> = AUTH): Promise<WsClient> {
  const socket = (await app.injectWS('/v1/live', { headers })) as unknown as RawSocket;
  const messages: WsMessage[] = [];
  socket.on('message', (d) => messages.push(JSON.parse(d.toString('utf8')) as WsMessage));
  const closed = new Promise<void>((r) => socket.on('close', () => r()));
  return { messages, send: (m) => socket.send(JSON.stringify(m)), closed, close: () => socket.close() };
}

/** A released footfall unit as the releaser produces it (for hub tests that need many releases fast). */
export function presence(cell: string, resolution: number, i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    dataset: 'footfall',
    metric: 'footfall',
    source: 'camera',
    cell,
    resolution,
    bucket: '5m',
    bucketStart: Date.UTC(2026, 10, 20, 10, 0) + i * 300_000,
    breakdown: null,
    value: 10 + (i % 50),
    suppressed: false,
    revision: 0,
    kind: 'window',
    releasedAt: Date.now(),
    ...extra,
  };
}

export async function produceReleases(bus: Bus, codec: SchemaCodec, topics: Topics, values: Record<string, unknown>[]): Promise<void> {
  const topic = topics.release('presence');
  const messages = await Promise.all(values.map(async (v) => ({ key: String(v.cell), value: await codec.encode(subjectOf(topic), v) })));
  for (let i = 0; i < messages.length; i += 5000) await bus.produce(topic, messages.slice(i, i + 5000));
}
