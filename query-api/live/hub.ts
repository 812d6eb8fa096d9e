// The live hub: one per API instance. It reads the release topics (pm.agg.presence.v1,
// pm.agg.flows.v1 — one partition each, so an offset orders every release of a kind and is the
// event id `<kind>:<offset>`) with a consumer group of its own that never commits, starting a
// retained buffer's length before the end, and fans every release out to the subscribers whose
// filters match it (query-api/live/filters.ts).
//
// Fan-out cost: each release is decoded and serialised once — its JSON, its SSE frame and its
// WebSocket frame are built once and the same bytes are written to every subscriber — and only
// the subscribers of its (kind, source, metric, bucket, resolution) are looked at.
//
// Resume: a subscriber that gives the id of the last event it saw gets every later matching event
// exactly once. From the buffer (the last `bufferEvents` releases of each kind) when it still
// covers that id; otherwise the gap is read again from the topic by a short-lived reader of its own
// (at most `maxCatchUpEvents` back), and what the topic no longer holds (retention) or what lies
// beyond that limit is announced with a `reset` event naming the ids lost — never skipped silently.
// Heartbeats carry an id too: the offset up to which the subscriber has been sent everything it
// matches, so a quiet subscription resumes from there rather than from its last matching event.
//
// Slow consumers: what a subscriber's connection has not taken yet is bounded (`maxQueueBytes`);
// past it the subscriber gets a last `error` event (reason slow_consumer) and is disconnected.

import { randomBytes } from 'node:crypto';
import type { Bus, InMessage, Subscription } from '../../shared/bus/types.js';
import { errorMessage, PassageError } from '../../shared/errors.js';
import { parentCell } from '../../shared/h3.js';
import type { Logger } from '../../shared/log.js';
import { counter, gauge, histogram } from '../../shared/metrics.js';
import type { SchemaCodec } from '../../shared/registry/types.js';
import { formatInstant } from '../../shared/time.js';
import { RELEASE_KINDS, RELEASE_PARTITIONS, type ReleaseKind, type Topics } from '../../shared/topics.js';
import { BREAKDOWN_PARAM } from '../history.js';
import { formatEventId, indexKey, type LiveSpec } from './filters.js';

const DATASET = { presence: 'footfall', flows: 'flows' } as const;

const subscribersGauge = gauge('live_subscribers', 'Live feed subscribers connected, by dataset and transport (sse, ws)', [
  'dataset',
  'transport',
]);
const disconnectsTotal = counter(
  'live_disconnects_total',
  'Live subscribers disconnected by the server, by reason (slow_consumer, shutdown, grant_ended, resume_failed)',
  ['reason'],
);
const eventsTotal = counter('live_events_total', 'Releases read by the live hub, by dataset and kind (window, correction)', [
  'dataset',
  'kind',
]);
const undecodableTotal = counter('live_undecodable_total', 'Messages on the release topics the live hub could not read (skipped)', [
  'dataset',
]);
const resumesTotal = counter(
  'live_resumes_total',
  'Subscribers that resumed after an event id, by where the missed events came from (buffer, topic, reset)',
  ['from'],
);
const fanoutSeconds = histogram(
  'live_fanout_seconds',
  'From a release being produced (releasedAt) to its frames being written to every matching subscriber',
  [],
  [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
);

/** Releases fanned out between two turns of the event loop. */
const FANOUT_SLICE = 128;

/** A release as the hub holds it: what filters look at, and its frames, built once. */
export class Entry {
  readonly id: string;
  readonly indexKey: string;
  /** Bytes the frames take (buffer accounting). */
  readonly bytes: number;
  private sseFrame: Buffer | null = null;
  private wsFrame: Buffer | null = null;
  private readonly parents: Map<number, string>[];

  constructor(
    readonly kind: ReleaseKind,
    readonly offset: number,
    readonly type: 'window' | 'correction',
    readonly source: string,
    readonly metric: string,
    readonly bucket: string,
    readonly resolution: number,
    /** The unit's cells: footfall [cell], flows [origin, destination]. */
    readonly cells: string[],
    /** null: all breakdown values together; else one value ('' for none). */
    readonly breakdown: string | null,
    readonly releasedAt: number,
    /** The event's data, as JSON. */
    readonly data: string,
  ) {
    this.id = formatEventId(kind, offset);
    this.indexKey = indexKey(kind, source, metric, bucket, resolution);
    this.bytes = 2 * data.length + 64;
    this.parents = cells.map(() => new Map<number, string>());
  }

  /** The unit's cell on `axis` at resolution `r` (≤ its own): itself or its parent, computed once. */
  cellAt(axis: number, r: number): string {
    const own = this.cells[axis]!;
    if (r >= this.resolution) return own;
    const cache = this.parents[axis]!;
    let p = cache.get(r);
    if (p === undefined) {
      p = parentCell(own, r);
      cache.set(r, p);
    }
    return p;
  }

  sse(): Buffer {
    this.sseFrame ??= Buffer.from(`id: ${this.id}\nevent: ${this.type}\ndata: ${this.data}\n\n`);
    return this.sseFrame;
  }

  ws(): Buffer {
    this.wsFrame ??= Buffer.from(`{"type":"${this.type}","id":"${this.id}","data":${this.data}}`);
    return this.wsFrame;
  }
}

export function matches(spec: LiveSpec, e: Entry): boolean {
  if (e.indexKey !== spec.key) return false;
  switch (spec.breakdown.mode) {
    case 'total':
      if (e.breakdown !== null) return false;
      break;
    case 'value':
      if (e.breakdown !== spec.breakdown.value) return false;
      break;
    case 'split':
      if (e.breakdown === null) return false;
  }
  for (let a = 0; a < spec.axes.length; a++) {
    const axis = spec.axes[a];
    if (axis === null || axis === undefined) continue;
    let hit = false;
    for (const [r, cells] of axis)
      if (cells.has(e.cellAt(a, r))) {
        hit = true;
        break;
      }
    if (!hit) return false;
  }
  return true;
}

/** Where a subscriber's frames go: an SSE response or a WebSocket. */
export interface Sink {
  readonly transport: 'sse' | 'ws';
  /** Bytes written but not yet taken by the connection. */
  queued(): number;
  send(frame: Buffer): void;
  /** Holds what is sent until uncork(), to hand it to the connection in one write. */
  cork(): void;
  uncork(): void;
  /** Sends `last` (if any) and closes; a connection that does not take it is cut after a grace period. */
  close(last: Buffer | null, reason: string): void;
  /** Resolves once the connection has taken what was written (or closed). */
  drained(): Promise<void>;
}

/** Control frames of a transport (everything but releases). */
function controlFrame(transport: 'sse' | 'ws', type: string, id: string | null, data: unknown): Buffer {
  const json = JSON.stringify(data);
  if (transport === 'sse') return Buffer.from(`${id === null ? '' : `id: ${id}\n`}event: ${type}\ndata: ${json}\n\n`);
  return Buffer.from(JSON.stringify({ type, ...(id === null ? {} : { id }), data }));
}

export class LiveSubscriber {
  /** Every release of the kind up to this offset has been considered for this subscriber. */
  after: number;
  live = false;
  closed = false;
  /** Called once when the subscriber is closed or detached. */
  private readonly listeners: (() => void)[] = [];
  /** Releases sent and not yet metered. */
  private unmetered = 0;
  /** Meters releases sent (usage): called on heartbeats and when the subscription ends. */
  meter: ((rows: number) => void) | null = null;

  constructor(
    private readonly hub: LiveHub,
    readonly spec: LiveSpec,
    readonly sink: Sink,
    after: number,
  ) {
    this.after = after;
  }

  /** Sends `e` if it is new to this subscriber and matches; false once the subscriber is gone. */
  offer(e: Entry): boolean {
    if (this.closed) return false;
    if (e.offset <= this.after) return true;
    if (!this.live) this.after = e.offset; // a catching-up reader sees every offset
    if (!matches(this.spec, e)) return true;
    this.after = e.offset;
    this.unmetered += 1;
    return this.write(this.sink.transport === 'sse' ? e.sse() : e.ws());
  }

  /** Hands the releases sent since the last call to the meter. */
  flushMeter(): void {
    if (this.unmetered === 0 || this.meter === null) return;
    const n = this.unmetered;
    this.unmetered = 0;
    this.meter(n);
  }

  /** Writes a frame; a connection past its bound is closed as a slow consumer. */
  write(frame: Buffer): boolean {
    if (this.closed) return false;
    this.sink.send(frame);
    if (this.sink.queued() > this.hub.maxQueueBytes) {
      this.close('slow_consumer', `more than ${this.hub.maxQueueBytes} bytes were waiting for this connection to read them`);
      return false;
    }
    return true;
  }

  control(type: string, id: string | null, data: unknown): boolean {
    return this.write(controlFrame(this.sink.transport, type, id, data));
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.listeners.push(listener);
  }

  /**
   * Ends the subscription and closes its connection; with a reason other than `client` (the client
   * went away) the subscriber first gets a last `error` event saying why.
   */
  close(reason: string, detail = ''): void {
    if (this.closed) return;
    if (reason !== 'client') disconnectsTotal.inc({ reason });
    this.end();
    this.sink.close(reason === 'client' ? null : controlFrame(this.sink.transport, 'error', null, { reason, detail }), reason);
  }

  /** Ends the subscription, leaving its connection open (a WebSocket client subscribing anew). */
  detach(): void {
    this.end();
  }

  private end(): void {
    if (this.closed) return;
    this.closed = true;
    this.flushMeter();
    this.hub.remove(this);
    for (const l of this.listeners.splice(0)) l();
  }
}

/** One release kind: its topic, the retained buffer and the subscribers by index key. */
class Feed {
  readonly dataset: 'footfall' | 'flows';
  /** Retained entries, oldest first (a ring: `head` is the first live index). */
  private entries: Entry[] = [];
  private head = 0;
  private bytes = 0;
  /** Offset of the last release read (−1: none). */
  position = -1;
  /** The buffer holds every release after this offset (up to `position`). */
  coverFrom = -1;
  /** The reader starts here. */
  startAt = 0;
  /** The end of the topic when the hub started: the buffer is loaded once `position` reaches it. */
  loadedAt = 0;
  readonly index = new Map<string, Set<LiveSubscriber>>();
  readonly catchingUp = new Set<LiveSubscriber>();

  constructor(
    readonly kind: ReleaseKind,
    readonly topic: string,
    private readonly maxEvents: number,
    private readonly maxBytes: number,
  ) {
    this.dataset = DATASET[kind];
  }

  append(e: Entry): void {
    this.entries.push(e);
    this.bytes += e.bytes;
    this.position = e.offset;
    while (this.entries.length - this.head > this.maxEvents || (this.bytes > this.maxBytes && this.entries.length - this.head > 1)) {
      const old = this.entries[this.head]!;
      this.bytes -= old.bytes;
      this.coverFrom = old.offset;
      this.head += 1;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /** A release that could not be read: the position moves on, nothing is kept. */
  skip(offset: number): void {
    this.position = offset;
  }

  /** Retained entries after `offset`, oldest first. */
  *since(offset: number): Generator<Entry> {
    // Binary search for the first entry past `offset`.
    let lo = this.head;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid]!.offset <= offset) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.entries.length; i++) yield this.entries[i]!;
  }

  fanOut(e: Entry): void {
    const subs = this.index.get(e.indexKey);
    if (subs !== undefined) for (const s of subs) s.offer(e);
  }

  size(): number {
    return this.entries.length - this.head;
  }
}

export interface LiveHubOptions {
  bus: Bus;
  codec: SchemaCodec;
  topics: Topics;
  logger: Logger;
  /** Zone of the bucket starts shown in events (PASSAGE_TIMEZONE). */
  timeZone: string;
  /** Releases of each kind kept in memory for resuming subscribers (default 10,000). */
  bufferEvents?: number;
  /** Most bytes the buffer of each kind holds (default 64 MiB). */
  bufferBytes?: number;
  /** Most bytes a subscriber's connection may leave unread before it is disconnected (default 1 MiB). */
  maxQueueBytes?: number;
  /** Heartbeat interval (ms, default 15 s). */
  heartbeatMs?: number;
  /** A resume further back than the buffer reads the topic again up to this many releases back (default 100,000); beyond, reset. */
  maxCatchUpEvents?: number;
  /** Topic re-reads running at once (default 4); more wait. */
  maxCatchUps?: number;
  /** Grace for a closed connection to take its last frame (ms, default 5 s). */
  closeGraceMs?: number;
}

export class LiveHub {
  readonly maxQueueBytes: number;
  readonly closeGraceMs: number;
  private readonly feeds: Map<ReleaseKind, Feed>;
  private readonly byTopic = new Map<string, Feed>();
  private readonly log: Logger;
  private readonly groupId: string;
  private readonly heartbeatMs: number;
  private readonly maxCatchUpEvents: number;
  private readonly maxCatchUps: number;
  private catchUps = 0;
  private readonly waiting: (() => void)[] = [];
  private sub: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  private loaded = false;
  private stopping = false;
  private readonly all = new Set<LiveSubscriber>();

  constructor(private readonly opts: LiveHubOptions) {
    this.maxQueueBytes = opts.maxQueueBytes ?? 1 << 20;
    this.closeGraceMs = opts.closeGraceMs ?? 5_000;
    this.heartbeatMs = opts.heartbeatMs ?? 15_000;
    this.maxCatchUpEvents = opts.maxCatchUpEvents ?? 100_000;
    this.maxCatchUps = opts.maxCatchUps ?? 4;
    this.log = opts.logger.child({ component: 'live' });
    this.groupId = `${opts.topics.release('presence')}.live.${randomBytes(6).toString('hex')}`;
    this.feeds = new Map(
      RELEASE_KINDS.map((k) => [k, new Feed(k, opts.topics.release(k), opts.bufferEvents ?? 10_000, opts.bufferBytes ?? 64 << 20)]),
    );
    for (const f of this.feeds.values()) this.byTopic.set(f.topic, f);
  }

  /** Starts reading the release topics; resolves once each buffer holds what the topic had at the start (or after `loadTimeoutMs`). */
  async start(loadTimeoutMs = 30_000): Promise<void> {
    for (const feed of this.feeds.values()) {
      const parts = await this.opts.bus.offsets(feed.topic);
      if (parts.length !== RELEASE_PARTITIONS)
        throw new PassageError(
          'release_topic_partitions',
          `${feed.topic} has ${parts.length} partitions; the live feeds need exactly ${RELEASE_PARTITIONS} (its offsets are the event ids): recreate it`,
        );
      const { low, high } = parts[0]!;
      feed.startAt = Math.max(low, high - (this.opts.bufferEvents ?? 10_000));
      feed.position = feed.startAt - 1;
      feed.coverFrom = feed.startAt - 1;
      feed.loadedAt = high - 1;
    }
    this.sub = await this.opts.bus.consume({
      groupId: this.groupId,
      topics: [...this.feeds.values()].map((f) => f.topic),
      fromBeginning: true,
      onBatch: async (batch, ctx) => {
        const feed = this.byTopic.get(batch.topic)!;
        const last = batch.messages.at(-1)!.offset;
        const next = Math.max(feed.startAt, feed.position + 1);
        // Before the start, or already read (a rebalance sends a group that never commits back to the beginning).
        if (last < next) {
          ctx.seek(next);
          return;
        }
        const fresh = batch.messages.filter((m) => m.offset >= next);
        // In slices, letting connections take what was written in between: a large batch (a busy
        // window's units) neither blocks the event loop nor lands on every connection at once.
        for (let i = 0; i < fresh.length; i += FANOUT_SLICE) {
          if (i > 0) await new Promise((r) => setImmediate(r));
          const slice = fresh.slice(i, i + FANOUT_SLICE);
          const entries = await Promise.all(slice.map((m) => this.entryOf(feed, m)));
          // A slice's frames go to each connection in one write (one syscall), not one write per frame.
          const corked = [...this.all];
          for (const s of corked) s.sink.cork();
          try {
            for (const [k, e] of entries.entries()) {
              if (e === null) feed.skip(slice[k]!.offset);
              else this.publish(feed, e);
            }
          } finally {
            for (const s of corked) s.sink.uncork();
          }
          if (this.loaded) {
            const now = Date.now();
            for (const e of entries) if (e !== null) fanoutSeconds.observe(Math.max(0, now - e.releasedAt) / 1000);
          }
          ctx.resolve(slice.at(-1)!.offset);
        }
      },
      onError: (err) => this.log.error({ err: errorMessage(err) }, 'reading the release topics failed; retrying'),
    });
    const until = Date.now() + loadTimeoutMs;
    while (![...this.feeds.values()].every((f) => f.position >= f.loadedAt) && Date.now() < until)
      await new Promise((r) => setTimeout(r, 20));
    if (![...this.feeds.values()].every((f) => f.position >= f.loadedAt))
      this.log.warn('the live buffers are not loaded yet; serving meanwhile');
    this.loaded = true;
    this.timer = setInterval(() => this.heartbeat(), this.heartbeatMs);
    this.timer.unref();
  }

  /** Closes every subscriber, each with a last `error` event giving `reason`. */
  closeAll(reason: string, detail: string): void {
    for (const s of [...this.all]) s.close(reason, detail);
  }

  /** Closes every subscriber (reason shutdown) and stops reading. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.closeAll('shutdown', 'the server is shutting down; reconnect with Last-Event-ID');
    await this.sub?.stop();
    this.sub = null;
  }

  ready(): boolean {
    return this.sub !== null && this.loaded && !this.stopping;
  }

  /** The offset of the last release of `kind` read. */
  position(kind: ReleaseKind): number {
    return this.feeds.get(kind)!.position;
  }

  /** Retained releases of `kind` (tests, metrics). */
  buffered(kind: ReleaseKind): number {
    return this.feeds.get(kind)!.size();
  }

  subscribers(): number {
    return this.all.size;
  }

  /**
   * Subscribes `sink` to `spec`: after `resume` (the offset of the last event the subscriber saw),
   * or from the next release. The subscriber is sent a heartbeat with its starting id at once.
   */
  subscribe(spec: LiveSpec, sink: Sink, resume: number | null): LiveSubscriber {
    if (this.stopping) throw new PassageError('shutting_down', 'the server is shutting down', { status: 503, retriable: true });
    const feed = this.feeds.get(spec.kind)!;
    const sub = new LiveSubscriber(this, spec, sink, resume ?? feed.position);
    this.all.add(sub);
    subscribersGauge.inc({ dataset: feed.dataset, transport: sink.transport });
    if (resume === null || (resume >= feed.coverFrom && resume <= feed.position)) {
      if (resume !== null && resume < feed.position) resumesTotal.inc({ from: 'buffer' });
      this.join(feed, sub);
    } else {
      feed.catchingUp.add(sub);
      void this.catchUp(feed, sub).catch((err: unknown) => {
        this.log.error({ err: errorMessage(err) }, 'reading missed releases failed');
        sub.close('resume_failed', 'the missed events could not be read; reconnect with Last-Event-ID');
      });
    }
    return sub;
  }

  /** Replays the buffer after the subscriber's position and adds it to the live fan-out (synchronously: no gap). */
  private join(feed: Feed, sub: LiveSubscriber): void {
    feed.catchingUp.delete(sub);
    sub.live = false;
    for (const e of feed.since(sub.after)) if (!sub.offer(e)) return;
    sub.live = true;
    sub.after = Math.max(sub.after, feed.position);
    const key = sub.spec.key;
    const set = feed.index.get(key) ?? new Set();
    set.add(sub);
    feed.index.set(key, set);
    sub.control('heartbeat', formatEventId(feed.kind, sub.after), { at: new Date().toISOString() });
  }

  /** Forgets a closed subscriber. */
  remove(sub: LiveSubscriber): void {
    if (!this.all.delete(sub)) return;
    const feed = this.feeds.get(sub.spec.kind)!;
    feed.catchingUp.delete(sub);
    const key = sub.spec.key;
    const set = feed.index.get(key);
    set?.delete(sub);
    if (set?.size === 0) feed.index.delete(key);
    subscribersGauge.dec({ dataset: feed.dataset, transport: sub.sink.transport });
  }

  private publish(feed: Feed, e: Entry): void {
    feed.append(e);
    eventsTotal.inc({ dataset: feed.dataset, kind: e.type });
    feed.fanOut(e);
  }

  private heartbeat(): void {
    const at = new Date().toISOString();
    for (const feed of this.feeds.values()) {
      const shared = { sse: controlFrame('sse', 'heartbeat', formatEventId(feed.kind, feed.position), { at }), ws: null as Buffer | null };
      for (const set of feed.index.values())
        for (const s of set) {
          s.flushMeter();
          if (s.after > feed.position) s.control('heartbeat', formatEventId(feed.kind, s.after), { at });
          else if (s.sink.transport === 'sse') s.write(shared.sse);
          else s.write((shared.ws ??= controlFrame('ws', 'heartbeat', formatEventId(feed.kind, feed.position), { at })));
        }
      for (const s of feed.catchingUp) {
        s.flushMeter();
        s.control('heartbeat', formatEventId(feed.kind, s.after), { at });
      }
    }
  }

  /**
   * Sends a subscriber the releases after its position that the buffer no longer holds, read again
   * from the topic, then joins it to the live fan-out. Releases the topic no longer holds, or more
   * than maxCatchUpEvents back, are announced with a `reset` event; so is an id the topic never had.
   */
  private async catchUp(feed: Feed, sub: LiveSubscriber): Promise<void> {
    const lost = (from: number, to: number, reason: 'too_old' | 'expired'): void => {
      resumesTotal.inc({ from: 'reset' });
      sub.after = to;
      sub.control('reset', formatEventId(feed.kind, to), {
        reason,
        lastEventId: formatEventId(feed.kind, from - 1),
        lost: { from: formatEventId(feed.kind, from), to: formatEventId(feed.kind, to), events: to - from + 1 },
        resumeAfter: formatEventId(feed.kind, to),
      });
    };
    const { low, high } = (await this.opts.bus.offsets(feed.topic))[0] ?? { low: 0, high: 0 };
    if (sub.closed) return;
    if (sub.after > feed.position) {
      // Ahead of this instance: an id another instance sent (this one catches up), unless the topic
      // never had it (it was made anew): then the client is told, and starts from now.
      if (sub.after >= high) {
        const from = sub.after;
        sub.after = feed.position;
        resumesTotal.inc({ from: 'reset' });
        sub.control('reset', formatEventId(feed.kind, feed.position), {
          reason: 'unknown_id',
          lastEventId: formatEventId(feed.kind, from),
          lost: null,
          detail: `the release topic holds no event ${formatEventId(feed.kind, from)} (its last is ${formatEventId(feed.kind, high - 1)}); was it made anew?`,
          resumeAfter: formatEventId(feed.kind, feed.position),
        });
      }
      return this.join(feed, sub);
    }
    const floor = feed.coverFrom - this.maxCatchUpEvents;
    if (sub.after < floor) lost(sub.after + 1, floor, 'too_old');
    if (sub.after + 1 < low) lost(sub.after + 1, Math.min(low - 1, feed.coverFrom), 'expired');
    if (sub.closed) return;
    if (sub.after >= feed.coverFrom) return this.join(feed, sub);

    await this.slot();
    let reader: Subscription | null = null;
    try {
      if (sub.closed) return;
      resumesTotal.inc({ from: 'topic' });
      let finish!: () => void;
      const finished = new Promise<void>((r) => (finish = r));
      sub.onClose(() => finish());
      const target = sub.after + 1;
      reader = await this.opts.bus.consume({
        groupId: `${this.groupId}.resume.${randomBytes(4).toString('hex')}`,
        topics: [feed.topic],
        fromBeginning: true,
        onBatch: async (batch, ctx) => {
          if (sub.closed || sub.live) return finish();
          const first = batch.messages[0]!.offset;
          const last = batch.messages.at(-1)!.offset;
          if (first > sub.after + 1) lost(sub.after + 1, first - 1, 'expired');
          if (last <= sub.after) {
            ctx.seek(Math.max(target, sub.after + 1));
            return;
          }
          const fresh = batch.messages.filter((m) => m.offset > sub.after);
          for (const m of fresh) {
            if (sub.closed) return finish();
            // The buffer covers the rest: join now (synchronously, so nothing falls in between).
            if (sub.after >= feed.coverFrom) {
              this.join(feed, sub);
              return finish();
            }
            const e = await this.entryOf(feed, m);
            if (e === null) sub.after = Math.max(sub.after, m.offset);
            else if (!sub.offer(e)) return finish();
            if (sub.sink.queued() > this.maxQueueBytes / 2) await sub.sink.drained();
          }
          ctx.resolve(last);
          if (!sub.closed && sub.after >= feed.coverFrom) {
            this.join(feed, sub);
            finish();
          }
        },
        onError: (err) => this.log.warn({ err: errorMessage(err) }, 'reading missed releases failed; retrying'),
      });
      await finished;
    } finally {
      await reader?.stop();
      this.release();
    }
  }

  private async slot(): Promise<void> {
    while (this.catchUps >= this.maxCatchUps) await new Promise<void>((r) => this.waiting.push(r));
    this.catchUps += 1;
  }

  private release(): void {
    this.catchUps -= 1;
    this.waiting.shift()?.();
  }

  /** A release message as an entry, or null when it cannot be read. */
  private async entryOf(feed: Feed, m: InMessage): Promise<Entry | null> {
    try {
      if (m.value === null) throw new PassageError('empty_value', 'a release without a value');
      const v = (await this.opts.codec.decode(m.value)).value;
      return feed.kind === 'presence' ? this.presenceEntry(m.offset, v) : this.flowEntry(m.offset, v);
    } catch (err) {
      undecodableTotal.inc({ dataset: feed.dataset });
      this.log.warn({ err: errorMessage(err), topic: m.topic, offset: m.offset }, 'an unreadable release; skipped');
      return null;
    }
  }

  private presenceEntry(offset: number, v: Record<string, unknown>): Entry {
    const breakdown = v.breakdown as string | null;
    const data = {
      id: formatEventId('presence', offset),
      dataset: 'footfall',
      source: v.source,
      metric: v.metric,
      cell: v.cell,
      resolution: v.resolution,
      bucket: v.bucket,
      bucketStart: formatInstant(Number(v.bucketStart), this.opts.timeZone),
      ...(breakdown === null ? {} : { breakdown: breakdown === '' ? null : breakdown }),
      value: v.value,
      suppressed: v.suppressed,
      revision: v.revision,
      releasedAt: formatInstant(Number(v.releasedAt), this.opts.timeZone),
    };
    return new Entry(
      'presence',
      offset,
      v.kind as 'window' | 'correction',
      String(v.source),
      String(v.metric),
      String(v.bucket),
      Number(v.resolution),
      [String(v.cell)],
      breakdown,
      Number(v.releasedAt),
      JSON.stringify(data),
    );
  }

  private flowEntry(offset: number, v: Record<string, unknown>): Entry {
    const breakdown = v.breakdown as string | null;
    const param = BREAKDOWN_PARAM[v.source as keyof typeof BREAKDOWN_PARAM] ?? 'breakdown';
    const data = {
      id: formatEventId('flows', offset),
      dataset: 'flows',
      source: v.source,
      originCell: v.originCell,
      destinationCell: v.destinationCell,
      resolution: v.resolution,
      bucket: v.bucket,
      bucketStart: formatInstant(Number(v.bucketStart), this.opts.timeZone),
      ...(breakdown === null ? {} : { [param]: breakdown === '' ? null : breakdown }),
      trips: v.trips,
      avgDurationMin: v.avgDurationMin,
      suppressed: v.suppressed,
      revision: v.revision,
      releasedAt: formatInstant(Number(v.releasedAt), this.opts.timeZone),
    };
    return new Entry(
      'flows',
      offset,
      v.kind as 'window' | 'correction',
      String(v.source),
      'trips',
      String(v.bucket),
      Number(v.resolution),
      [String(v.originCell), String(v.destinationCell)],
      breakdown,
      Number(v.releasedAt),
      JSON.stringify(data),
    );
  }
}
