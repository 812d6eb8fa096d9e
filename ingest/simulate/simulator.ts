// Runs the simulated city on one timer: registers the simulator's sensors, fills the last three
// hours on a store without recent data, then every tick sends what became due since the last one —
// raw records of every source through a sink (the ingest edge or HTTP) and context to pm.ctx.*.

import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { Runtime } from '../../shared/runtime.js';
import type { Store } from '../../shared/store/types.js';
import { HOUR_MS, MINUTE_MS } from '../../shared/time.js';
import { CONTEXT_KINDS, RAW_SOURCES, type ContextKind, type RawSource } from '../../shared/topics.js';
import type { EdgeIngest } from '../edge.js';
import type { IngestResult } from '../result.js';
import { DEFAULT_SEED, SIM_SOURCES, SimulatedCity, type SimSource, type Slice } from './city.js';
import type { ContextBatch } from './context.js';
import { edgeSimSink, type SimSink } from './sinks.js';

export const SIM_STREAMS = [...RAW_SOURCES, ...CONTEXT_KINDS] as const;
export type SimStream = RawSource | ContextKind;

export interface StreamStats {
  sent: number;
  accepted: number;
  rejected: number;
  /** Records in batches the sink could not deliver at all (logged). */
  failed: number;
}

export interface SimulatorOptions {
  /** Same seed, same city: every record is a function of (seed, scale, time). */
  seed?: number;
  /** Crowd size (1: the embedded default, see README of this folder). */
  scale?: number;
  sources?: readonly SimSource[];
  /** How often due records are sent (ms). */
  tickMs?: number;
  /** How far back start() fills a store without recent data (ms); 0: never. */
  backfillMs?: number;
}

export interface SimulatorDeps {
  sink: SimSink;
  logger: Logger;
  /**
   * True when the store already holds recent simulated data, so start() must not fill the past
   * again. Absent: never fill.
   */
  hasRecentData?: () => Promise<boolean>;
}

/** Largest batch handed to the sink at once (well under PASSAGE_MAX_RECORDS_PER_REQUEST). */
const MAX_BATCH = 5000;
/** The backfill is sent in steps of this length, oldest first, so partition watermarks advance in order. */
const BACKFILL_STEP_MS = 10 * MINUTE_MS;

export class Simulator {
  readonly city: SimulatedCity;
  readonly tickMs: number;
  readonly backfillMs: number;
  private timer: NodeJS.Timeout | null = null;
  private last = 0;
  private inFlight: Promise<void> | null = null;
  private readonly totals = Object.fromEntries(SIM_STREAMS.map((s) => [s, { sent: 0, accepted: 0, rejected: 0, failed: 0 }])) as Record<
    SimStream,
    StreamStats
  >;
  private readonly reasons = new Map<string, number>();

  constructor(
    private readonly deps: SimulatorDeps,
    opts: SimulatorOptions = {},
  ) {
    this.city = new SimulatedCity({ seed: opts.seed ?? DEFAULT_SEED, scale: opts.scale ?? 1, sources: opts.sources ?? SIM_SOURCES });
    this.tickMs = opts.tickMs ?? 5000;
    this.backfillMs = opts.backfillMs ?? 3 * HOUR_MS;
  }

  /** Registers the sensors, fills the past when the store has no recent data, sends the current context, then ticks. */
  async start(nowMs = Date.now()): Promise<{ backfilled: boolean }> {
    for (const s of this.city.sensors()) await this.deps.sink.putSensor(s);
    this.last = nowMs;
    let backfilled = false;
    if (this.backfillMs > 0 && this.deps.hasRecentData !== undefined && !(await this.deps.hasRecentData())) {
      for (let t = nowMs - this.backfillMs; t < nowMs; t += BACKFILL_STEP_MS)
        await this.send(this.city.slice(t, Math.min(nowMs, t + BACKFILL_STEP_MS)));
      backfilled = true;
      this.deps.logger.info({ hours: this.backfillMs / HOUR_MS, ...this.summary() }, 'simulator filled the recent past');
    }
    await this.sendContext(this.city.currentContext(nowMs));
    this.timer = setInterval(() => {
      // deliver() already turns send failures into counts and log lines; this catches generator bugs.
      this.tick().catch((err: unknown) => this.deps.logger.error({ err: errorMessage(err) }, 'simulator tick failed'));
    }, this.tickMs);
    // The simulator never keeps a process alive on its own: embedded mode has its server, the CLI its own timer.
    this.timer.unref();
    const { seed, scale, sources } = this.city.options;
    this.deps.logger.info({ seed, scale, sources }, 'simulator running');
    return { backfilled };
  }

  /** Sends what became due since the last tick; skipped while the previous tick is still sending. */
  async tick(nowMs = Date.now()): Promise<void> {
    if (this.inFlight !== null || nowMs <= this.last) return;
    const slice = this.city.slice(this.last, nowMs);
    this.last = nowMs;
    this.inFlight = this.send(slice).finally(() => {
      this.inFlight = null;
    });
    await this.inFlight;
  }

  /** Stops the timer and waits for the batch being sent. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.inFlight;
  }

  /** Records sent, accepted, rejected and failed so far, per stream (raw source or context kind). */
  stats(): Record<SimStream, StreamStats> {
    return Object.fromEntries(SIM_STREAMS.map((s) => [s, { ...this.totals[s] }])) as Record<SimStream, StreamStats>;
  }

  /** The most frequent rejection reasons (`field: reason`) with their counts. */
  topReasons(n = 5): [string, number][] {
    return [...this.reasons].sort((a, b) => b[1] - a[1]).slice(0, n);
  }

  private summary(): Record<string, number> {
    return Object.fromEntries(SIM_STREAMS.map((s) => [s, this.totals[s].accepted]));
  }

  private async send(slice: Slice): Promise<void> {
    for (const source of RAW_SOURCES) {
      const records: unknown[] = slice[source];
      await this.deliver(source, records, (batch) => this.deps.sink.ingest(source, batch));
    }
    await this.sendContext(slice.context);
  }

  private async sendContext(c: ContextBatch): Promise<void> {
    for (const kind of CONTEXT_KINDS) await this.deliver(kind, c[kind], (batch) => this.deps.sink.context(kind, batch));
  }

  private async deliver(stream: SimStream, records: unknown[], send: (batch: unknown[]) => Promise<IngestResult>): Promise<void> {
    const t = this.totals[stream];
    for (let i = 0; i < records.length; i += MAX_BATCH) {
      const batch = records.slice(i, i + MAX_BATCH);
      try {
        const r = await send(batch);
        t.sent += batch.length;
        t.accepted += r.accepted;
        t.rejected += r.rejected.length;
        for (const e of r.rejected.flatMap((x) => x.errors)) {
          const reason = `${stream} ${e.field}: ${e.reason}`;
          this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
        }
        // A simulated record is made to pass; a rejection is a bug worth a line in the log.
        if (r.rejected.length > 0)
          this.deps.logger.warn({ stream, rejected: r.rejected.length, first: r.rejected[0]?.error }, 'simulated records rejected');
      } catch (err) {
        t.failed += batch.length;
        this.deps.logger.warn({ stream, records: batch.length, err: errorMessage(err) }, 'simulator could not send');
      }
    }
  }
}

/**
 * Whether the store holds camera aggregates from the last `withinMs`. NOTE: the camera rows are the
 * marker for every source: the embedded simulator sends all sources together, so recent camera data
 * means it ran recently; Wi-Fi, telco, ticketing and context have no store table yet to ask.
 */
export function recentCameraData(store: Store, withinMs = 3 * HOUR_MS): () => Promise<boolean> {
  return async () => {
    const rows = await store.query<{ n: string }>(
      `SELECT count() AS n FROM {db:Identifier}.counts_5m WHERE source = 'camera' AND window_start >= now() - toIntervalSecond({s:UInt32})`,
      { s: Math.round(withinMs / 1000) },
    );
    return Number(rows[0]?.n ?? 0) > 0;
  };
}

/** The simulator of embedded mode: every source into this process's ingest edge, filling the last three hours on a fresh store. */
export function embeddedSimulator(runtime: Runtime, edge: EdgeIngest, logger: Logger): Simulator {
  return new Simulator(
    {
      sink: edgeSimSink({ edge, sensors: runtime.sensors, bus: runtime.bus, codec: runtime.codec, topics: runtime.topics }),
      logger: logger.child({ component: 'simulator' }),
      hasRecentData: recentCameraData(runtime.store),
    },
    {},
  );
}
