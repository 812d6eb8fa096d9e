// A stream processor: consumes one raw topic as a consumer group and runs an operator per partition
// (counts, unique devices and dwell, flows — processors/core/operator.ts), writing its rows to the
// store exactly once, while tracking event-time windows per partition (watermark, allowed lateness,
// idle timeout).
//
// Exactly-once effect (DESIGN.md, Reliability): every write covers a contiguous offset range
// [from, to] of one partition and carries the deduplication token topic:partition:from-to. Before
// writing, the range is announced by committing offset `from` with {pending: [from, to]} as commit
// metadata; after the write, `to + 1` is committed. A restart that finds a pending range repeats
// exactly that write (the store drops it if it had landed), so nothing is lost or counted twice.
//
// Keyed state (a device's open visit or trip) outlives writes. Each commit also names the oldest
// offset that state depends on (with the operator's clock there); a restart seeks back to it and
// replays the messages before the committed offset into the state without emitting anything, which
// rebuilds exactly the state a clean run holds at that offset (processors/core/keyed-state.ts).
//
// Window notices (processors/core/notices.ts) tell the live feeds when a window closed on a
// partition and when a closed window was corrected (a late record, or a visit or trip counted in an
// earlier window); they are sent after the write and before the commit, so at least once.

import type { Bus, BatchContext, InMessage, PartitionBatch, Subscription } from '../../shared/bus/types.js';
import type { Config } from '../../shared/config.js';
import { DeadLetters, type DeadLetter } from '../../shared/dlq.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { counter, gauge, histogram } from '../../shared/metrics.js';
import type { SchemaCodec } from '../../shared/registry/types.js';
import type { StepResult } from '../../shared/result.js';
import { withRetry, type RetryOptions } from '../../shared/retry.js';
import type { Store } from '../../shared/store/types.js';
import type { RawSource, Topics } from '../../shared/topics.js';
import { decodeMeta, encodeMeta } from '../commit-meta.js';
import { decodeRaw, decodeRawCached } from '../raw/decode.js';
import { COUNTED_IDS_TABLE, CountedIds, hourOf } from './counted.js';
import { WindowTracker, type TrackerState } from '../windows/tracker.js';
import type { OperatorSpec, PartitionOperator, ReplayPoint, TableRows } from './operator.js';
import { WindowNotices, type WindowChange } from './notices.js';

const recordsTotal = counter('processor_records_total', 'Records consumed by processors, by outcome (ok, dlq, drop, duplicate)', [
  'source',
  'operator',
  'outcome',
]);
const replayedTotal = counter('processor_replayed_records_total', 'Records replayed into keyed state after a restart or rebalance', [
  'source',
  'operator',
]);
const replayGapTotal = counter(
  'processor_replay_gaps_total',
  'Replays into keyed state that could not start where they should: the topic no longer held the records (retention)',
  ['source', 'operator'],
);
/** Seeks towards a replay's start before taking what the topic holds as the start. */
const MAX_REPLAY_SEEKS = 3;
const lateTotal = counter('late_records_total', 'Records that arrived after their window closed (stored as corrections)', [
  'source',
  'operator',
]);
const windowsClosed = counter('windows_closed_total', 'Event-time windows closed, by what closed them', ['source', 'operator', 'reason']);
const openWindowsGauge = gauge('open_windows', 'Event-time windows currently open', ['source', 'operator']);
const writeSeconds = histogram('store_write_seconds', 'Duration of aggregate writes to the store', ['table']);
const storeRetries = counter('store_retries_total', 'Store writes retried after a retriable failure', ['table']);
const registryRetries = counter('registry_retries_total', 'Decodes retried because the schema registry was unreachable', ['source']);

interface PartitionState<R> {
  tracker: WindowTracker;
  /** Tracker state as of the last committed offset (what a restart would resume with). */
  committedTracker: TrackerState;
  op: PartitionOperator<R>;
  /** The operator's replay point as of the last committed offset. */
  committedReplay: ReplayPoint | null;
  /** First offset whose record is in `op`'s output (not yet written), or null. */
  from: number | null;
  /** A range announced before a crash: the next write must end exactly here. */
  pendingTo: number | null;
  /** Replaying towards the committed offset: records before it rebuild keyed state only. */
  replayUntil: number | null;
  /** The replay starts here: batches beginning after it seek back first. */
  seekTo: number | null;
  /** Seeks made towards seekTo (a batch after a seek may still start later: the topic lost it, or an older fetch). */
  seekAttempts: number;
  letters: DeadLetter[];
  /** Windows closed while rows were buffered: their `closed` notices go out after the write that stores those rows. */
  closedSinceWrite: Set<number>;
  /** Record ids in `op`'s output by hour, with their offsets (operators with dedup): written to counted_ids after the rows. */
  ids: Map<number, Map<string, number>>;
  /** The ids this partition counted in its recent hours (operators with dedup). */
  counted: CountedIds | null;
}

/** A batch's record outcomes, counted in the metrics once per batch rather than once per record. */
class Outcomes {
  ok = 0;
  dlq = 0;
  drop = 0;
  duplicate = 0;
  late = 0;
  replayed = 0;

  flush(labels: { source: string; operator: string }): void {
    for (const outcome of ['ok', 'dlq', 'drop', 'duplicate'] as const)
      if (this[outcome] > 0) recordsTotal.inc({ ...labels, outcome }, this[outcome]);
    if (this.late > 0) lateTotal.inc(labels, this.late);
    if (this.replayed > 0) replayedTotal.inc(labels, this.replayed);
  }
}

export interface ProcessorDeps {
  bus: Bus;
  codec: SchemaCodec;
  store: Store;
  topics: Topics;
  logger: Logger;
  processing: Config['processing'];
  maxFutureMs: number;
  groupId?: string;
}

/** A running processor, whatever its operator. */
export interface Processor {
  readonly groupId: string;
  readonly source: RawSource;
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  ready(): boolean;
  assignedPartitions(): number[];
}

export class StreamProcessor<S extends RawSource, R> implements Processor {
  readonly groupId: string;
  readonly source: S;
  private readonly topic: string;
  private readonly log: Logger;
  private readonly dlq: DeadLetters;
  private readonly notices: WindowNotices;
  /** Notices of windows closed on idle partitions, sent in order in the background. */
  private noticeChain: Promise<void> = Promise.resolve();
  private readonly labels: { source: S; operator: string };
  private states = new Map<number, PartitionState<R>>();
  private assigned: number[] = [];
  private sub: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  private storeFailing = false;
  /** Whether seen_records (before migration 0010) still holds ids of this source; asked once. */
  private legacy: boolean | null = null;
  private registryFailing = false;

  constructor(
    private readonly deps: ProcessorDeps,
    private readonly spec: OperatorSpec<S, R>,
  ) {
    this.source = spec.source;
    this.topic = deps.topics.raw(this.source);
    this.groupId = deps.groupId ?? `${this.topic}.${spec.name}`;
    this.labels = { source: this.source, operator: spec.name };
    this.log = deps.logger.child({ component: 'processor', source: this.source, operator: spec.name });
    this.dlq = new DeadLetters(deps.bus, deps.codec, deps.topics, 'processor');
    this.notices = new WindowNotices(deps.bus, deps.codec, deps.topics, this.source, spec.name);
  }

  get name(): string {
    return this.spec.name;
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
    await this.noticeChain;
  }

  /** The partitions this instance was last assigned (scale-out shares them across a group). */
  assignedPartitions(): number[] {
    return [...this.assigned];
  }

  ready(): boolean {
    return this.sub !== null && !this.storeFailing && !this.registryFailing;
  }

  /**
   * Closes windows by watermark or idleness (called every second). A partition holding no unwritten
   * rows announces its closed windows now; otherwise after its next write.
   */
  tick(nowMs: number): void {
    let open = 0;
    const now: WindowChange[] = [];
    for (const [partition, st] of this.states) {
      for (const c of st.tracker.advance(nowMs)) {
        windowsClosed.inc({ ...this.labels, reason: c.reason });
        if (st.from === null && st.replayUntil === null) now.push({ windowStart: c.windowStart, change: 'closed', partition });
        else st.closedSinceWrite.add(c.windowStart);
      }
      open += st.tracker.openWindows();
    }
    openWindowsGauge.set(this.labels, open);
    if (now.length > 0) {
      this.noticeChain = this.noticeChain
        .then(() => withRetry(() => this.notices.send(now), { keepGoing: () => this.sub !== null }))
        .catch((err: unknown) => this.log.warn({ err: errorMessage(err), windows: now.length }, 'window notices not sent'));
    }
  }

  /** The notices a write of `tables` makes: windows closed since the last write, and closed windows the rows changed. */
  private changes(st: PartitionState<R>, partition: number, tables: TableRows[]): WindowChange[] {
    const changed = new Map<number, WindowChange['change']>();
    for (const w of st.closedSinceWrite) changed.set(w, 'closed');
    const { closedBefore } = st.tracker.state();
    for (const t of tables) {
      for (const r of t.rows) {
        const w = Number(r.window_start) * 1000;
        if (!changed.has(w) && w + this.deps.processing.windowMs <= closedBefore) changed.set(w, 'correction');
      }
    }
    return [...changed].sort(([a], [b]) => a - b).map(([windowStart, change]) => ({ windowStart, change, partition }));
  }

  private async stateFor(partition: number): Promise<PartitionState<R>> {
    const existing = this.states.get(partition);
    if (existing !== undefined) return existing;
    const committed = (await withRetry(() => this.deps.bus.committed(this.groupId, this.topic))).find((c) => c.partition === partition);
    const meta = decodeMeta(committed?.metadata ?? null);
    const tracker = new WindowTracker(this.deps.processing, meta.tracker ?? undefined);
    const op = this.spec.create();
    const at = committed?.offset ?? null;
    const replay = meta.replay !== null && at !== null && meta.replay.offset < at ? meta.replay : null;
    if (replay !== null) op.restore(replay);
    const st: PartitionState<R> = {
      tracker,
      committedTracker: tracker.state(),
      op,
      committedReplay: meta.replay,
      from: null,
      pendingTo: meta.pending !== null && meta.pending.from === at ? meta.pending.to : null,
      replayUntil: replay === null ? null : at,
      seekTo: replay?.offset ?? null,
      seekAttempts: 0,
      letters: [],
      closedSinceWrite: new Set(),
      ids: new Map(),
      counted:
        this.spec.dedup === undefined ? null : new CountedIds(this.deps.store, { source: this.source, topic: this.topic, partition }),
    };
    if (st.pendingTo !== null)
      this.log.info({ partition, from: meta.pending?.from, to: st.pendingTo }, 'repeating an announced write after restart');
    if (replay !== null) this.log.info({ partition, from: replay.offset, to: at }, 'replaying into keyed state');
    this.states.set(partition, st);
    return st;
  }

  /**
   * Retry options inside a batch: stop once the batch is stale, and keep the group membership alive
   * while waiting (a long outage would otherwise outlast the session timeout and cost a rebalance).
   */
  private inBatch(ctx: BatchContext, onRetry?: (err: unknown, attempt: number, delayMs: number) => void): RetryOptions {
    return {
      keepGoing: () => ctx.isRunning(),
      // Heartbeats at least this often, well inside the session timeout.
      maxDelayMs: 5_000,
      onRetry: (err, attempt, delayMs) => {
        onRetry?.(err, attempt, delayMs);
        ctx.heartbeat().catch(() => undefined);
      },
    };
  }

  /**
   * Decodes and prepares one message, without a promise when neither step needs I/O (the codec holds
   * the schema, the operator needs no lookup): the common case, about half the per-record cost.
   */
  private prepareFast(m: InMessage, ctx: BatchContext): StepResult<R> | Promise<StepResult<R>> {
    const decoded = decodeRawCached(this.source, m, this.deps.codec, this.deps.maxFutureMs);
    if (decoded === undefined) return this.prepare(m, ctx);
    if (decoded.kind !== 'ok') return decoded;
    return this.spec.prepareNow?.(decoded.value) ?? withRetry(() => this.spec.prepare(decoded.value), this.inBatch(ctx));
  }

  /** Decodes and prepares one message. A registry that is down is waited for (unready meanwhile), never taken for bad data. */
  private async prepare(m: InMessage, ctx: BatchContext): Promise<StepResult<R>> {
    const decoded = await withRetry(
      () => decodeRaw(this.source, m, this.deps.codec, this.deps.maxFutureMs),
      this.inBatch(ctx, (err, attempt, delayMs) => {
        this.registryFailing = true;
        registryRetries.inc({ source: this.source });
        this.log.warn({ err: errorMessage(err), attempt, delayMs }, 'schema registry unreachable; retrying');
      }),
    );
    this.registryFailing = false;
    if (decoded.kind !== 'ok') return decoded;
    return withRetry(() => this.spec.prepare(decoded.value), this.inBatch(ctx));
  }

  private async onBatch(batch: PartitionBatch, ctx: BatchContext): Promise<void> {
    const st = await this.stateFor(batch.partition);
    if (st.seekTo !== null) {
      const first = batch.messages[0]!.offset;
      if (first > st.seekTo && st.seekAttempts < MAX_REPLAY_SEEKS) {
        st.seekAttempts += 1;
        ctx.seek(st.seekTo);
        return;
      }
      // NOTE: the topic no longer holds the replay's start (retention): the state is rebuilt from
      // what it holds, and visits or trips that began before that are lost — said, not hidden.
      if (first > st.seekTo) {
        replayGapTotal.inc(this.labels);
        this.log.warn(
          { partition: batch.partition, from: st.seekTo, held: first },
          'the replay start is no longer on the topic; replaying from its earliest message',
        );
      }
      st.seekTo = null;
    }
    const prepared: StepResult<R>[] = new Array<StepResult<R>>(batch.messages.length);
    for (let i = 0; i < batch.messages.length; i++) {
      const p = this.prepareFast(batch.messages[i]!, ctx);
      prepared[i] = p instanceof Promise ? await p : p;
    }
    this.registryFailing = false;
    const seen = await this.loadCounted(batch, st, prepared, ctx);
    const outcomes = new Outcomes();
    try {
      await this.apply(batch, ctx, st, prepared, seen, outcomes);
    } finally {
      outcomes.flush(this.labels);
    }
    st.counted?.evict();
  }

  /** Runs the batch's prepared records through the partition's operator, writing when due. */
  private async apply(
    batch: PartitionBatch,
    ctx: BatchContext,
    st: PartitionState<R>,
    prepared: StepResult<R>[],
    seen: Set<string>,
    outcomes: Outcomes,
  ): Promise<void> {
    for (const [i, m] of batch.messages.entries()) {
      if (!ctx.isRunning()) return;
      const p = prepared[i]!;
      if (st.replayUntil !== null) {
        if (m.offset < st.replayUntil) {
          if (p.kind === 'ok') st.op.add(p.value, m.offset, true);
          outcomes.replayed += 1;
          continue;
        }
        st.op.endReplay();
        st.replayUntil = null;
      }
      if (st.pendingTo !== null && m.offset > st.pendingTo) await this.write(st, batch.partition, ctx, st.pendingTo, true);
      if (st.from === null) st.from = m.offset;
      this.process(st, m, p, seen, outcomes);
      if (st.pendingTo !== null) {
        if (m.offset === st.pendingTo) await this.write(st, batch.partition, ctx, m.offset, true);
      } else if (st.op.size() >= this.deps.processing.flushMaxRecords) {
        await this.write(st, batch.partition, ctx, m.offset, false);
      }
    }
    const last = batch.messages[batch.messages.length - 1]!.offset;
    if (!ctx.isRunning()) return;
    if (st.replayUntil === null && st.pendingTo === null && st.from !== null) await this.write(st, batch.partition, ctx, last, false);
    else ctx.resolve(last); // replaying, or still reading towards an announced range: move on without committing
  }

  /**
   * Makes sure the ids counted in the hours of this batch's records are at hand (operators with
   * dedup only; processors/core/counted.ts), and returns the ids of the batch the legacy
   * seen_records table still holds (deployments from before migration 0010, until its TTL empties
   * it). Ids this partition wrote at or after the first offset not yet committed are left out: they
   * can only come from an attempt of the same write before a crash, which must be repeated exactly
   * (same rows, same token).
   */
  private async loadCounted(
    batch: PartitionBatch,
    st: PartitionState<R>,
    prepared: StepResult<R>[],
    ctx: BatchContext,
  ): Promise<Set<string>> {
    const dedup = this.spec.dedup;
    if (dedup === undefined || st.counted === null) return new Set();
    const counting = prepared.flatMap((p, i) =>
      p.kind === 'ok' && (st.replayUntil === null || batch.messages[i]!.offset >= st.replayUntil) ? [p.value] : [],
    );
    if (counting.length === 0) return new Set();
    const from = st.from ?? batch.messages[0]!.offset;
    const retry = this.inBatch(ctx, () => {
      this.storeFailing = true;
    });
    const missing = st.counted.missing(counting.map((r) => hourOf(dedup.time(r))));
    await withRetry(() => st.counted!.load(missing, from), retry);
    this.legacy ??= await withRetry(() => this.hasLegacyIds(), retry);
    if (!this.legacy) return new Set();
    const rows = await withRetry(
      () =>
        this.deps.store.query<{ record_id: string }>(
          `SELECT DISTINCT record_id FROM {db:Identifier}.seen_records
         WHERE source = {source:String} AND record_id IN {ids:Array(String)}
           AND NOT (topic = {topic:String} AND partition = {partition:UInt32} AND offset >= {from:UInt64})`,
          { source: this.source, ids: counting.map((r) => dedup.id(r)), topic: this.topic, partition: batch.partition, from },
        ),
      retry,
    );
    return new Set(rows.map((r) => r.record_id));
  }

  /** Whether seen_records (before migration 0010) holds ids of this source: then they are looked up too. */
  private async hasLegacyIds(): Promise<boolean> {
    const rows = await this.deps.store.query<{ x: number }>(
      'SELECT 1 AS x FROM {db:Identifier}.seen_records WHERE source = {source:String} LIMIT 1',
      { source: this.source },
    );
    return rows.length > 0;
  }

  private process(st: PartitionState<R>, m: InMessage, p: StepResult<R>, seen: Set<string>, outcomes: Outcomes): void {
    if (p.kind !== 'ok') {
      if (p.kind === 'dlq') st.letters.push({ sourceTopic: this.topic, message: m, reason: p.reason, error: p.error });
      outcomes[p.kind] += 1;
      return;
    }
    if (this.spec.dedup !== undefined && st.counted !== null) {
      const id = this.spec.dedup.id(p.value);
      const hour = hourOf(this.spec.dedup.time(p.value));
      if (seen.has(id) || st.counted.has(hour, id) || st.ids.get(hour)?.has(id) === true) {
        outcomes.duplicate += 1;
        return;
      }
      // NOTE: into `counted` at once, not only st.ids: a write in the middle of this batch clears st.ids.
      st.counted.add(hour, id);
      let ofHour = st.ids.get(hour);
      if (ofHour === undefined) st.ids.set(hour, (ofHour = new Map<string, number>()));
      ofHour.set(id, m.offset);
    }
    const now = Date.now();
    let late = false;
    for (const t of st.op.add(p.value, m.offset, false)) late = st.tracker.observe(t.windowStart, t.eventMs, now) || late;
    if (late) outcomes.late += 1;
    outcomes.ok += 1;
  }

  /** Writes what `st` holds for offsets [st.from, to] exactly once, then commits to + 1. */
  private async write(st: PartitionState<R>, partition: number, ctx: BatchContext, to: number, announced: boolean): Promise<void> {
    const from = st.from ?? to;
    if (st.letters.length > 0) await withRetry(() => this.dlq.send(st.letters), this.inBatch(ctx));
    st.letters = [];
    const tables = st.op.take();
    const replay = st.op.checkpoint();
    const ids: Record<string, unknown>[] = [];
    for (const [hour, ofHour] of st.ids)
      for (const [record_id, offset] of ofHour)
        ids.push({ source: this.source, topic: this.topic, partition, hour: hour / 1000, record_id, offset });
    const writes = this.spec.dedup === undefined ? tables : [...tables, { table: COUNTED_IDS_TABLE, rows: ids }];
    if (!announced && writes.some((w) => w.rows.length > 0)) {
      await ctx.commit(from, encodeMeta({ pending: { from, to }, tracker: st.committedTracker, replay: st.committedReplay }));
    }
    const token = `${this.topic}:${partition}:${from}-${to}`;
    // In order (for counts: the aggregates, then the ids they counted): a crash between two inserts
    // repeats all of them, and the repeated ones are dropped by their token.
    for (const w of writes) {
      const end = writeSeconds.startTimer({ table: w.table });
      await withRetry(
        () => this.deps.store.insert(w.table, w.rows, { dedupToken: token }),
        this.inBatch(ctx, (err, attempt, delayMs) => {
          this.storeFailing = true;
          storeRetries.inc({ table: w.table });
          this.log.warn({ err: errorMessage(err), table: w.table, attempt, delayMs }, 'store write failed; retrying');
        }),
      );
      end();
    }
    this.storeFailing = false;
    // Before the commit: a crash in between repeats the write and the notices (at least once).
    await withRetry(() => this.notices.send(this.changes(st, partition, tables)), this.inBatch(ctx));
    st.closedSinceWrite.clear();
    const tracker = st.tracker.state();
    await ctx.commit(to + 1, encodeMeta({ pending: null, tracker, replay }));
    ctx.resolve(to);
    st.committedTracker = tracker;
    st.committedReplay = replay;
    st.ids = new Map();
    st.from = null;
    st.pendingTo = null;
  }
}
