// The releaser: turns window notices (pm.windows.v1, processors/core/notices.ts) into released units
// on the live topics — footfall-like metrics on pm.agg.presence.v1, flows on pm.agg.flows.v1 — for
// the live feeds (query-api/live). A consumer group on the notices topic; for each notice it reads
// the stored values of the units the window touched (processors/release/units.ts: every cell at
// resolutions 7–10, all breakdown values together and each one) and releases them through the
// privacy release layer, so nothing exact ever reaches a release topic.
//
// Which buckets a notice touches. The 5-minute bucket of its window, always. A coarser bucket
// (15m, 1h, 1d, 1w) is released once the stream's watermark — the end of the latest window a
// `closed` notice named — has passed its end (every bucket it passes, including ones whose last
// window had no data), and again whenever a notice names a window inside it after that. Notices are
// keyed by (source, dataset), so one stream is on one partition and one releaser owns each unit;
// the watermarks are kept in the commit metadata of that partition.
//
// Revisions. The last published revision and released value of every unit are in the `releases`
// table. A unit is published when its released value differs from the last one published: the
// first time as `window` (revision 0), afterwards as `correction` (revision + 1). A unit whose first
// release would be suppressed is not published at all — a live unit with data, unlike a history
// row that is listed with or without data, would otherwise say exactly that the cell had someone in
// it; once published, a unit that becomes suppressed is published as such (value null).
//
// Horizon. Live feeds are for what happens now: a bucket that ended longer than `horizonMs` ago
// (wall clock, PASSAGE_LIVE_HORIZON_MS) is not released live — a backfill of last year or a vendor's
// late upload reaches history (/v1/footfall, /v1/flows) only, counted in
// passage_release_beyond_horizon_total. Without it a backfill would publish every unit of its
// history on the live topics (a week of 82 turnstile stations is ~5 million units).
//
// Delivery: published, then recorded in `releases`, then the notice offset committed; a crash in
// between publishes a unit again with the same revision and value (at least once).

import type { BatchContext, PartitionBatch, Subscription } from '../../shared/bus/types.js';
import type { Bus } from '../../shared/bus/types.js';
import { errorMessage, PassageError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { counter, histogram } from '../../shared/metrics.js';
import type { SchemaCodec } from '../../shared/registry/types.js';
import { withRetry } from '../../shared/retry.js';
import type { Store } from '../../shared/store/types.js';
import { clickhouseTime, DAY_MS } from '../../shared/time.js';
import { RELEASE_KINDS, RELEASE_PARTITIONS, subjectOf, type ReleaseKind, type Topics } from '../../shared/topics.js';
import { LATTICE_BUCKETS, Releaser as NoiseReleaser, type LatticeBucket, type PrivacyOptions } from '../../query-api/privacy/release.js';
import { bucketEnd, bucketStartOf } from '../../query-api/history.js';
import { BUCKETS } from '../../query-api/rollup.js';
import { DATASET_OF, targetsOf, UnitReader, type Candidate, type Target, type UnitRange } from './units.js';

const publishedTotal = counter(
  'release_units_total',
  'Release units published on the live topics, by dataset and kind (window, correction)',
  ['dataset', 'kind'],
);
const hiddenTotal = counter(
  'release_hidden_total',
  'Release units with data whose first release was suppressed, so not published (a unit without data is never published either)',
  ['dataset'],
);
const noticesTotal = counter('release_notices_total', 'Window notices read by the releaser, by outcome (ok, unknown_stream, undecodable)', [
  'outcome',
]);
const skippedTotal = counter(
  'release_skipped_buckets_total',
  'Coarser buckets the watermark passed more than PASSAGE_RELEASE_CATCH_UP behind it, not released (a long outage or a jump in time)',
  ['bucket'],
);
const beyondHorizonTotal = counter(
  'release_beyond_horizon_total',
  'Bucket ranges named by window notices that ended longer than PASSAGE_LIVE_HORIZON_MS ago, not released live (history only)',
  ['bucket'],
);
const delaySeconds = histogram(
  'release_delay_seconds',
  'From a window notice being sent to its units being published',
  [],
  [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
);

export interface ReleaserOptions {
  bus: Bus;
  codec: SchemaCodec;
  store: Store;
  topics: Topics;
  logger: Logger;
  /**
   * The privacy release layer's secret and settings — the API's, so a unit released live has the
   * value /v1/footfall or /v1/flows gives for it. Null: the releaser refuses to start (it never
   * publishes an unreleased value).
   */
  privacy: PrivacyOptions | null;
  /** Zone of 1h/1d/1w bucket boundaries (PASSAGE_TIMEZONE). */
  timeZone: string;
  /** The processors' window (5 minutes). */
  windowMs: number;
  /** Buckets released (default all of the lattice's). */
  buckets?: readonly LatticeBucket[];
  groupId?: string;
  /** Most rows one unit query may return (default 1,000,000). */
  maxRows?: number;
  /** Store query timeout (ms, default 60 s). */
  queryTimeoutMs?: number;
  /** Coarser buckets the watermark passed longer ago than this are not released (ms, default 8 days). */
  catchUpMs?: number;
  /** Buckets that ended longer ago than this (wall clock) are not released (ms; 0 or unset: no limit). */
  horizonMs?: number;
  /** The wall clock (tests). */
  now?: () => number;
}

interface Notice {
  source: string;
  dataset: string;
  windowStart: number;
  change: 'closed' | 'correction';
  at: number;
}

/** Per notices partition: each stream's watermark (end of the latest closed window). */
interface PartitionState {
  watermarks: Map<string, number>;
}

/** The work of one batch for one stream: ranges of bucket starts per bucket. */
class StreamWork {
  readonly ranges = new Map<LatticeBucket, [number, number][]>();
  oldestNoticeAt = Infinity;

  constructor(readonly targets: Target[]) {}

  add(bucket: LatticeBucket, from: number, to: number): void {
    if (to <= from) return;
    this.ranges.set(bucket, [...(this.ranges.get(bucket) ?? []), [from, to]]);
  }

  /** The ranges of each bucket, overlapping ones and those of consecutive buckets joined. */
  merged(): UnitRange[] {
    const out: UnitRange[] = [];
    for (const [bucket, ranges] of this.ranges) {
      const gapMs = BUCKETS[bucket].ms;
      const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
      let cur: [number, number] | null = null;
      for (const r of sorted) {
        if (cur !== null && r[0] <= cur[1] + gapMs) cur[1] = Math.max(cur[1], r[1]);
        else {
          if (cur !== null) out.push({ bucket, from: cur[0], to: cur[1] });
          cur = [r[0], r[1]];
        }
      }
      if (cur !== null) out.push({ bucket, from: cur[0], to: cur[1] });
    }
    return out;
  }
}

interface LastRelease {
  revision: number;
  released: string;
}

export class Releaser {
  readonly groupId: string;
  private readonly log: Logger;
  private readonly buckets: readonly LatticeBucket[];
  private readonly catchUpMs: number;
  private readonly horizonMs: number;
  private readonly now: () => number;
  private reader: UnitReader | null = null;
  private sub: Subscription | null = null;
  private states = new Map<number, PartitionState>();
  private failing = false;

  constructor(private readonly opts: ReleaserOptions) {
    this.groupId = opts.groupId ?? `${opts.topics.windows()}.release`;
    this.log = opts.logger.child({ component: 'releaser' });
    this.buckets = opts.buckets ?? LATTICE_BUCKETS;
    this.catchUpMs = opts.catchUpMs ?? 8 * DAY_MS;
    this.horizonMs = opts.horizonMs ?? 0;
    this.now = opts.now ?? Date.now;
  }

  async start(): Promise<void> {
    if (this.opts.privacy === null)
      throw new PassageError(
        'privacy_layer_missing',
        'the releaser publishes only released values and has no privacy release settings (secret, k, ε); it does not start',
      );
    const { privacy } = this.opts;
    this.reader = new UnitReader(
      this.opts.store,
      { footfall: NoiseReleaser.of(privacy, 'footfall'), flows: NoiseReleaser.of(privacy, 'flows') },
      { timeZone: this.opts.timeZone, maxRows: this.opts.maxRows ?? 1_000_000, timeoutMs: this.opts.queryTimeoutMs ?? 60_000 },
    );
    for (const kind of RELEASE_KINDS) {
      const parts = await this.opts.bus.offsets(this.opts.topics.release(kind));
      if (parts.length !== RELEASE_PARTITIONS)
        throw new PassageError(
          'release_topic_partitions',
          `${this.opts.topics.release(kind)} has ${parts.length} partitions; the live feeds need exactly ${RELEASE_PARTITIONS} (its offsets are the event ids): recreate it`,
        );
    }
    this.sub = await this.opts.bus.consume({
      groupId: this.groupId,
      topics: [this.opts.topics.windows()],
      fromBeginning: true,
      onBatch: (batch, ctx) => this.onBatch(batch, ctx),
      onRewind: (partitions, whole) => {
        if (whole) this.states = new Map();
        for (const p of partitions) this.states.delete(p.partition);
      },
      onError: (err) => {
        this.failing = true;
        this.log.error({ err: errorMessage(err) }, 'release batch failed; restarting from the committed notice');
      },
    });
  }

  async stop(): Promise<void> {
    await this.sub?.stop();
    this.sub = null;
  }

  ready(): boolean {
    return this.sub !== null && !this.failing;
  }

  private async stateFor(partition: number): Promise<PartitionState> {
    const existing = this.states.get(partition);
    if (existing !== undefined) return existing;
    const committed = (await withRetry(() => this.opts.bus.committed(this.groupId, this.opts.topics.windows()))).find(
      (c) => c.partition === partition,
    );
    const st: PartitionState = { watermarks: decodeWatermarks(committed?.metadata ?? null) };
    this.states.set(partition, st);
    return st;
  }

  private async onBatch(batch: PartitionBatch, ctx: BatchContext): Promise<void> {
    const st = await this.stateFor(batch.partition);
    const watermarks = new Map(st.watermarks);
    const work = new Map<string, StreamWork>();
    const horizon = this.horizonMs > 0 ? this.now() - this.horizonMs : -Infinity;
    for (const m of batch.messages) {
      const n = await this.decode(m.value);
      if (n === null) continue;
      const stream = `${n.source}:${n.dataset}`;
      const targets = targetsOf(n.source, n.dataset);
      if (targets.length === 0) {
        noticesTotal.inc({ outcome: 'unknown_stream' });
        this.log.warn({ stream }, 'a window notice of a stream the releaser does not know; skipped');
        continue;
      }
      noticesTotal.inc({ outcome: 'ok' });
      const wk = work.get(stream) ?? new StreamWork(targets);
      work.set(stream, wk);
      wk.oldestNoticeAt = Math.min(wk.oldestNoticeAt, n.at);
      this.plan(wk, n, watermarks, horizon);
    }
    for (const wk of work.values()) {
      if (!ctx.isRunning()) return;
      await this.release(wk, ctx);
      if (Number.isFinite(wk.oldestNoticeAt)) delaySeconds.observe(Math.max(0, Date.now() - wk.oldestNoticeAt) / 1000);
    }
    if (!ctx.isRunning()) return;
    const last = batch.messages.at(-1)!.offset;
    await ctx.commit(last + 1, encodeWatermarks(watermarks));
    ctx.resolve(last);
    st.watermarks = watermarks;
    this.failing = false;
  }

  private async decode(value: Buffer | null): Promise<Notice | null> {
    try {
      if (value === null) throw new PassageError('empty_value', 'a notice without a value');
      const v = (await withRetry(() => this.opts.codec.decode(value))).value as unknown as Notice;
      return v;
    } catch (err) {
      noticesTotal.inc({ outcome: 'undecodable' });
      this.log.warn({ err: errorMessage(err) }, 'an unreadable window notice; skipped');
      return null;
    }
  }

  /**
   * Adds the bucket ranges notice `n` touches to `wk`, moving the stream's watermark; buckets that
   * ended before `horizon` (epoch ms) are left to history.
   */
  private plan(wk: StreamWork, n: Notice, watermarks: Map<string, number>, horizon: number): void {
    const { timeZone, windowMs } = this.opts;
    const stream = `${n.source}:${n.dataset}`;
    const w = n.windowStart;
    const before = watermarks.get(stream) ?? w;
    const after = n.change === 'closed' ? Math.max(before, w + windowMs) : before;
    watermarks.set(stream, after);
    for (const bucket of this.buckets) {
      // The first bucket that ends after the horizon: the one holding it.
      const live = Number.isFinite(horizon) ? bucketStartOf(horizon, bucket, timeZone) : -Infinity;
      const add = (from: number, to: number): void => {
        if (from < live && to > from) beyondHorizonTotal.inc({ bucket });
        wk.add(bucket, Math.max(from, live), to);
      };
      const own = bucketStartOf(w, bucket, timeZone);
      // The bucket of the window itself, once due (5m: always).
      if (bucket === '5m' || bucketEnd(own, bucket, timeZone) <= after) add(own, own + 1);
      // Buckets the watermark passed now: those ending in (before, after].
      if (bucket !== '5m' && after > before) {
        const from = bucketStartOf(before, bucket, timeZone);
        const to = bucketStartOf(after, bucket, timeZone);
        const floor = bucketStartOf(after - this.catchUpMs, bucket, timeZone);
        if (from < floor && floor >= live) {
          skippedTotal.inc({ bucket });
          this.log.warn(
            { stream, bucket, from: new Date(from).toISOString(), to: new Date(floor).toISOString() },
            'buckets passed too long ago; not released',
          );
        }
        add(Math.max(from, floor), to);
      }
    }
  }

  /** Reads, releases and publishes the units of one stream's ranges, then records what was published. */
  private async release(wk: StreamWork, ctx: BatchContext): Promise<void> {
    const keepGoing = (): boolean => ctx.isRunning();
    const candidates = new Map<string, Candidate>();
    for (const target of wk.targets)
      for (const range of wk.merged()) {
        const units = await withRetry(() => this.reader!.read(target, range), { keepGoing });
        for (const c of units) candidates.set(c.key, c);
      }
    if (candidates.size === 0) return;
    const last = await withRetry(() => this.lastReleases([...candidates.values()]), { keepGoing });
    const now = Date.now();
    const out = new Map<ReleaseKind, { c: Candidate; revision: number; kind: 'window' | 'correction' }[]>();
    for (const c of candidates.values()) {
      const prev = last.get(c.key);
      if (prev !== undefined && prev.released === c.released) continue;
      if (prev === undefined && c.suppressed) {
        hiddenTotal.inc({ dataset: DATASET_OF[c.kind] });
        continue;
      }
      const list = out.get(c.kind) ?? [];
      list.push({ c, revision: prev === undefined ? 0 : prev.revision + 1, kind: prev === undefined ? 'window' : 'correction' });
      out.set(c.kind, list);
    }
    if (!ctx.isRunning()) return;
    for (const [kind, list] of out) {
      const topic = this.opts.topics.release(kind);
      const subject = subjectOf(topic);
      // In bucket, resolution, cell order: subscribers see a window's units together.
      list.sort((a, b) => a.c.bucketStartMs - b.c.bucketStartMs || (a.c.key < b.c.key ? -1 : a.c.key > b.c.key ? 1 : 0));
      const messages = await Promise.all(
        list.map(async (p) => ({
          key: p.c.key,
          value: await this.opts.codec.encode(subject, { ...p.c.fields, revision: p.revision, kind: p.kind, releasedAt: now }),
          timestamp: now,
        })),
      );
      await withRetry(() => this.opts.bus.produce(topic, messages), { keepGoing });
      await withRetry(
        () =>
          this.opts.store.insert(
            'releases',
            list.map((p) => ({
              dataset: DATASET_OF[kind],
              source: p.c.source,
              bucket: p.c.bucket,
              bucket_start: p.c.bucketStartMs / 1000,
              unit_key: p.c.key,
              revision: p.revision,
              suppressed: p.c.suppressed,
              released: p.c.released,
              released_at: clickhouseTime(now),
            })),
          ),
        { keepGoing },
      );
      for (const p of list) publishedTotal.inc({ dataset: DATASET_OF[kind], kind: p.kind });
    }
  }

  /** The last published revision and released value of each candidate's unit that was published. */
  private async lastReleases(candidates: Candidate[]): Promise<Map<string, LastRelease>> {
    const groups = new Map<string, { kind: ReleaseKind; source: string; bucket: LatticeBucket; from: number; to: number }>();
    for (const c of candidates) {
      const k = `${c.kind}|${c.source}|${c.bucket}`;
      const g = groups.get(k);
      if (g === undefined) groups.set(k, { kind: c.kind, source: c.source, bucket: c.bucket, from: c.bucketStartMs, to: c.bucketStartMs });
      else {
        g.from = Math.min(g.from, c.bucketStartMs);
        g.to = Math.max(g.to, c.bucketStartMs);
      }
    }
    const out = new Map<string, LastRelease>();
    for (const g of groups.values()) {
      // NOTE: aliases that are not column names (an alias would shadow its column inside argMax).
      const rows = await this.opts.store.query<{ unit_key: string; rev: number; rel: string }>(
        `SELECT unit_key, max(revision) AS rev, argMax(released, revision) AS rel
         FROM {db:Identifier}.releases
         WHERE dataset = {dataset:String} AND source = {source:String} AND bucket = {bucket:String}
           AND bucket_start >= toDateTime({from:Int64}, 'UTC') AND bucket_start <= toDateTime({to:Int64}, 'UTC')
         GROUP BY unit_key`,
        { dataset: DATASET_OF[g.kind], source: g.source, bucket: g.bucket, from: g.from / 1000, to: g.to / 1000 },
      );
      for (const r of rows) out.set(r.unit_key, { revision: Number(r.rev), released: r.rel });
    }
    return out;
  }
}

function decodeWatermarks(metadata: string | null): Map<string, number> {
  if (metadata === null || metadata === '') return new Map();
  try {
    const v = JSON.parse(metadata) as { w?: Record<string, number> };
    return new Map(Object.entries(v.w ?? {}).filter(([, t]) => Number.isSafeInteger(t)));
  } catch {
    return new Map();
  }
}

function encodeWatermarks(w: Map<string, number>): string {
  return JSON.stringify({ w: Object.fromEntries(w) });
}
