// The footfall processor: consumes pm.raw.camera.v1 (or pm.raw.ticketing.v1) as a group, aggregates
// exact counts per (base cell, 5-minute window, breakdown) and writes them to counts_5m exactly once, tracking event-time
// windows per partition (watermark, allowed lateness, idle timeout).
//
// Exactly-once effect (DESIGN.md, Reliability): every write covers a contiguous offset range
// [from, to] of one partition and carries the deduplication token topic:partition:from-to. Before
// writing, the range is announced by committing offset `from` with {pending: [from, to]} as commit
// metadata; after the write, `to + 1` is committed. A restart that finds a pending range repeats
// exactly that write (the store drops it if it had landed), so nothing is lost or counted twice.

import type { Bus, BatchContext, InMessage, PartitionBatch, Subscription } from '../../shared/bus/types.js';
import type { Config } from '../../shared/config.js';
import { DeadLetters, type DeadLetter } from '../../shared/dlq.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { counter, gauge, histogram } from '../../shared/metrics.js';
import type { SchemaCodec } from '../../shared/registry/types.js';
import { withRetry } from '../../shared/retry.js';
import type { SensorRegistry } from '../../shared/sensors.js';
import type { Store } from '../../shared/store/types.js';
import type { Topics } from '../../shared/topics.js';
import { decodeMeta, encodeMeta } from '../commit-meta.js';
import { WindowTracker, type TrackerState } from '../windows/tracker.js';
import { CountAggregate } from './aggregate.js';
import { locate, toCounted, type CountedRecord, type CountSource } from './steps.js';
import { decodeRaw } from '../raw/decode.js';
import { ok, type StepResult } from '../../shared/result.js';

const TABLE = 'counts_5m';

const recordsTotal = counter('processor_records_total', 'Records consumed by processors, by outcome (ok, dlq, drop)', [
  'source',
  'outcome',
]);
const lateTotal = counter('late_records_total', 'Records that arrived after their window closed (stored as corrections)', ['source']);
const windowsClosed = counter('windows_closed_total', 'Event-time windows closed, by what closed them', ['source', 'reason']);
const openWindowsGauge = gauge('open_windows', 'Event-time windows currently open', ['source']);
const writeSeconds = histogram('store_write_seconds', 'Duration of aggregate writes to the store', ['table']);
const storeRetries = counter('store_retries_total', 'Store writes retried after a retriable failure', ['table']);
const registryRetries = counter('registry_retries_total', 'Decodes retried because the schema registry was unreachable', ['source']);

interface PartitionState {
  tracker: WindowTracker;
  /** Tracker state as of the last committed offset (what a restart would resume with). */
  committedTracker: TrackerState;
  agg: CountAggregate;
  /** First offset whose record is in `agg` (not yet written), or null. */
  from: number | null;
  /** A range announced before a crash: the next write must end exactly here. */
  pendingTo: number | null;
  letters: DeadLetter[];
  /** Record ids counted in `agg`, with their offsets: written to seen_records after the aggregates. */
  ids: Map<string, number>;
}

export interface FootfallProcessorDeps {
  bus: Bus;
  codec: SchemaCodec;
  store: Store;
  sensors: SensorRegistry;
  topics: Topics;
  logger: Logger;
  processing: Config['processing'];
  maxFutureMs: number;
  /** Which raw topic this instance aggregates (default camera). */
  source?: CountSource;
  groupId?: string;
}

export class FootfallProcessor {
  readonly groupId: string;
  readonly source: CountSource;
  private readonly topic: string;
  private readonly log: Logger;
  private readonly dlq: DeadLetters;
  private states = new Map<number, PartitionState>();
  private assigned: number[] = [];
  private sub: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  private storeFailing = false;
  private registryFailing = false;

  constructor(private readonly deps: FootfallProcessorDeps) {
    this.source = deps.source ?? 'camera';
    this.topic = deps.topics.raw(this.source);
    this.groupId = deps.groupId ?? `${this.topic}.footfall`;
    this.log = deps.logger.child({ component: 'processor', source: this.source });
    this.dlq = new DeadLetters(deps.bus, deps.codec, deps.topics, 'processor');
  }

  async start(): Promise<void> {
    this.sub = await this.deps.bus.consume({
      groupId: this.groupId,
      topics: [this.topic],
      fromBeginning: true,
      onBatch: (batch, ctx) => this.onBatch(batch, ctx),
      // Rewound partitions restart from their committed offsets: state built past them is dropped.
      onRewind: (partitions, whole) => {
        if (whole) {
          this.states = new Map();
          this.assigned = partitions.map((p) => p.partition).sort((a, b) => a - b);
        }
        for (const p of partitions) this.states.delete(p.partition);
        this.log.info({ partitions: partitions.map((a) => a.partition), whole }, 'partitions rewound to committed offsets');
      },
      onError: (err) => this.log.error({ err: errorMessage(err) }, 'batch failed; restarting from committed offsets'),
    });
    this.timer = setInterval(() => this.tick(Date.now()), 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.sub?.stop();
    this.sub = null;
  }

  /** The partitions this instance was last assigned (scale-out shares them across a group). */
  assignedPartitions(): number[] {
    return [...this.assigned];
  }

  ready(): boolean {
    return this.sub !== null && !this.storeFailing && !this.registryFailing;
  }

  /** Closes windows by watermark or idleness (called every second). */
  tick(nowMs: number): void {
    let open = 0;
    for (const st of this.states.values()) {
      for (const c of st.tracker.advance(nowMs)) windowsClosed.inc({ source: this.source, reason: c.reason });
      open += st.tracker.openWindows();
    }
    openWindowsGauge.set({ source: this.source }, open);
  }

  private async stateFor(partition: number): Promise<PartitionState> {
    const existing = this.states.get(partition);
    if (existing !== undefined) return existing;
    const committed = (await withRetry(() => this.deps.bus.committed(this.groupId, this.topic))).find((c) => c.partition === partition);
    const meta = decodeMeta(committed?.metadata ?? null);
    const tracker = new WindowTracker(this.deps.processing, meta.tracker ?? undefined);
    const st: PartitionState = {
      tracker,
      committedTracker: tracker.state(),
      agg: new CountAggregate(this.deps.processing.windowMs),
      from: null,
      pendingTo: meta.pending !== null && meta.pending.from === committed?.offset ? meta.pending.to : null,
      letters: [],
      ids: new Map(),
    };
    if (st.pendingTo !== null)
      this.log.info({ partition, from: meta.pending?.from, to: st.pendingTo }, 'repeating an announced write after restart');
    this.states.set(partition, st);
    return st;
  }

  private async onBatch(batch: PartitionBatch, ctx: BatchContext): Promise<void> {
    const st = await this.stateFor(batch.partition);
    const decoded: StepResult<CountedRecord>[] = [];
    for (const m of batch.messages) {
      // A registry that is down is waited for (unready meanwhile), never taken for bad data.
      const d = await withRetry(() => decodeRaw(this.source, m, this.deps.codec, this.deps.maxFutureMs), {
        keepGoing: () => ctx.isRunning(),
        onRetry: (err, attempt, delayMs) => {
          this.registryFailing = true;
          registryRetries.inc({ source: this.source });
          this.log.warn({ err: errorMessage(err), attempt, delayMs }, 'schema registry unreachable; retrying');
        },
      });
      this.registryFailing = false;
      decoded.push(d.kind === 'ok' ? ok(toCounted(this.source, d.value)) : d);
    }
    const seen = await this.alreadyCounted(batch, st, decoded);
    for (const [i, m] of batch.messages.entries()) {
      if (!ctx.isRunning()) return;
      if (st.pendingTo !== null && m.offset > st.pendingTo) await this.write(st, batch.partition, ctx, st.pendingTo, true);
      if (st.from === null) st.from = m.offset;
      await this.process(st, m, decoded[i]!, seen);
      if (st.pendingTo !== null) {
        if (m.offset === st.pendingTo) await this.write(st, batch.partition, ctx, m.offset, true);
      } else if (st.agg.size() >= this.deps.processing.flushMaxRecords) {
        await this.write(st, batch.partition, ctx, m.offset, false);
      }
    }
    const last = batch.messages[batch.messages.length - 1]!.offset;
    if (!ctx.isRunning()) return;
    if (st.pendingTo === null && st.from !== null) await this.write(st, batch.partition, ctx, last, false);
    else ctx.resolve(last); // still reading towards an announced range: move on without committing
  }

  /**
   * Record ids of this batch already counted by an earlier write. Ids this partition wrote at or
   * after the first offset not yet committed are left out: they can only come from an attempt of
   * the same write before a crash, which must be repeated exactly (same rows, same token).
   */
  private async alreadyCounted(batch: PartitionBatch, st: PartitionState, decoded: StepResult<CountedRecord>[]): Promise<Set<string>> {
    const ids = decoded.flatMap((d) => (d.kind === 'ok' ? [d.value.recordId] : []));
    if (ids.length === 0) return new Set();
    const rows = await withRetry(() =>
      this.deps.store.query<{ record_id: string }>(
        `SELECT DISTINCT record_id FROM {db:Identifier}.seen_records
         WHERE source = {source:String} AND record_id IN {ids:Array(String)}
           AND NOT (topic = {topic:String} AND partition = {partition:UInt32} AND offset >= {from:UInt64})`,
        { source: this.source, ids, topic: this.topic, partition: batch.partition, from: st.from ?? batch.messages[0]!.offset },
      ),
    );
    return new Set(rows.map((r) => r.record_id));
  }

  private async process(st: PartitionState, m: InMessage, decoded: StepResult<CountedRecord>, seen: Set<string>): Promise<void> {
    const located = decoded.kind === 'ok' ? await withRetry(() => locate(decoded.value, this.deps.sensors)) : decoded;
    if (decoded.kind !== 'ok' || located.kind !== 'ok') {
      const bad = decoded.kind !== 'ok' ? decoded : located;
      if (bad.kind === 'dlq') st.letters.push({ sourceTopic: this.topic, message: m, reason: bad.reason, error: bad.error });
      recordsTotal.inc({ source: this.source, outcome: bad.kind });
      return;
    }
    const id = decoded.value.recordId;
    if (seen.has(id) || st.ids.has(id)) {
      recordsTotal.inc({ source: this.source, outcome: 'duplicate' });
      return;
    }
    // NOTE: `seen` too, not only st.ids: a write in the middle of this batch clears st.ids, and the
    // store query of this batch cannot see ids written at or after its first uncommitted offset.
    seen.add(id);
    st.ids.set(id, m.offset);
    const now = Date.now();
    let late = false;
    for (const w of st.agg.add(decoded.value, located.value)) late = st.tracker.observe(w, decoded.value.end, now) || late;
    if (late) lateTotal.inc({ source: this.source });
    recordsTotal.inc({ source: this.source, outcome: 'ok' });
  }

  /** Writes what `st` holds for offsets [st.from, to] exactly once, then commits to + 1. */
  private async write(st: PartitionState, partition: number, ctx: BatchContext, to: number, announced: boolean): Promise<void> {
    const from = st.from ?? to;
    const keepGoing = (): boolean => ctx.isRunning();
    if (st.letters.length > 0) await withRetry(() => this.dlq.send(st.letters), { keepGoing });
    st.letters = [];
    const rows = [...st.agg.values()].map((r) => ({
      source: this.source,
      cell: r.cell,
      window_start: r.windowStart / 1000,
      breakdown: r.breakdown,
      entries: r.entries,
      exits: r.exits,
    }));
    if (!announced && rows.length > 0) await ctx.commit(from, encodeMeta({ pending: { from, to }, tracker: st.committedTracker }));
    const end = writeSeconds.startTimer({ table: TABLE });
    const token = `${this.topic}:${partition}:${from}-${to}`;
    const retry = {
      keepGoing,
      onRetry: (err: unknown, attempt: number, delayMs: number) => {
        this.storeFailing = true;
        storeRetries.inc({ table: TABLE });
        this.log.warn({ err: errorMessage(err), attempt, delayMs }, 'store write failed; retrying');
      },
    };
    // Aggregates first, then the ids they counted: a crash between the two repeats both, and the
    // repeated aggregate insert is dropped by its token.
    await withRetry(() => this.deps.store.insert(TABLE, rows, { dedupToken: token }), retry);
    const ids = [...st.ids].map(([record_id, offset]) => ({ source: this.source, record_id, topic: this.topic, partition, offset }));
    await withRetry(() => this.deps.store.insert('seen_records', ids, { dedupToken: token }), retry);
    end();
    this.storeFailing = false;
    const tracker = st.tracker.state();
    await ctx.commit(to + 1, encodeMeta({ pending: null, tracker }));
    ctx.resolve(to);
    st.committedTracker = tracker;
    st.agg.clear();
    st.ids = new Map();
    st.from = null;
    st.pendingTo = null;
  }
}
