// (a) The processor's hot path on one core: the real steps FootfallProcessor runs per record —
// decodeRaw (Avro + checks), locate (H3 cell), CountAggregate.add + WindowTracker.observe — timed
// stage by stage and together, with and without a sensor→cell cache, plus a CPU profile summary.

import avro from 'avsc';
import { performance } from 'node:perf_hooks';
import type { InMessage } from '../../shared/bus/types.js';
import type { Config } from '../../shared/config.js';
import { cellOf, cellToUInt64 } from '../../shared/h3.js';
import { counter } from '../../shared/metrics.js';
import type { SchemaCodec } from '../../shared/registry/types.js';
import { withRetry } from '../../shared/retry.js';
import { SensorRegistry } from '../../shared/sensors.js';
import type { Store } from '../../shared/store/types.js';
import { loadSchema } from '../../schemas/index.js';
import type { CameraCount } from '../../schemas/records.js';
import { CountAggregate } from '../footfall/aggregate.js';
import { locate } from '../footfall/steps.js';
import { decodeRaw } from '../raw/decode.js';
import { spreadCount } from '../windows/spread.js';
import { WindowTracker } from '../windows/tracker.js';
import { cpuBetween, cpuSnapshot } from './cpu.js';
import { profiled, type ProfileSummary } from './profile.js';

export interface StageResult {
  stage: string;
  events: number;
  seconds: number;
  eventsPerSec: number;
  nsPerEvent: number;
  /** CPU seconds of the whole process over the stage (above `seconds`: GC and other helper threads). */
  cpuSeconds: number;
  /** Events per CPU-second of this process: the rate per core had the thread not shared its core. */
  eventsPerCpuSecond: number;
}

export interface HotPathResult {
  events: number;
  /** decode + H3 + aggregate as FootfallProcessor runs them today (no cell cache): the best of `runs`. */
  uncached: StageResult;
  /** The same with a sensor→cell cache (what a processor of fixed-location sensors could do): the best of `runs`. */
  cached: StageResult;
  /** Every timed run of the two, in order. */
  runs: StageResult[];
  /** Cores used by each group of processes over the timed runs (other load on the machine slows a single thread). */
  cpuDuringRuns: Record<string, number>;
  stages: StageResult[];
  aggregateFlushes: number;
  profile: (ProfileSummary & { events: number }) | null;
}

/** The processor looks sensors up only for records without a location; every benchmark record has one. */
const NO_STORE: Store = {
  kind: 'chdb',
  database: 'none',
  command: () => Promise.reject(new Error('unused')),
  query: () => Promise.reject(new Error('unused')),
  queryRaw: () => Promise.reject(new Error('unused')),
  insert: () => Promise.reject(new Error('unused')),
  ping: () => Promise.resolve(false),
  close: () => Promise.resolve(),
};

// Same name and labels as the processor's own counter would clash in the shared registry.
const benchRecordsTotal = counter('bench_processor_records_total', 'Bench copy of processor_records_total', ['source', 'outcome']);

type Progress = (stage: string, done: number, total: number) => void;

async function timed(stage: string, events: number, run: () => Promise<void> | void): Promise<StageResult> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    stage,
    events,
    seconds,
    eventsPerSec: events / seconds,
    nsPerEvent: (seconds * 1e9) / events,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    eventsPerCpuSecond: events / ((cpu.user + cpu.system) / 1e6),
  };
}

interface CellCache {
  get(r: CameraCount): Promise<bigint>;
}

function uncachedCells(sensors: SensorRegistry): CellCache {
  return {
    get: async (r) => {
      const l = await locate(r, sensors);
      if (l.kind !== 'ok') throw new Error(`benchmark record not located: ${l.kind}`);
      return l.value;
    },
  };
}

/** Fixed-location sensors: the cell is computed once per (sensor, location) and reused. */
function cachedCells(sensors: SensorRegistry): { get(r: CameraCount): bigint | Promise<bigint> } {
  const cache = new Map<string, { lat: number | null; lng: number | null; cell: bigint }>();
  const slow = uncachedCells(sensors);
  return {
    get: (r) => {
      const hit = cache.get(r.sensorId);
      if (hit !== undefined && hit.lat === r.lat && hit.lng === r.lng) return hit.cell;
      return slow.get(r).then((cell) => {
        cache.set(r.sensorId, { lat: r.lat, lng: r.lng, cell });
        return cell;
      });
    },
  };
}

interface Pipeline {
  agg: CountAggregate;
  tracker: WindowTracker;
  flushes: number;
}

function pipeline(processing: Config['processing']): Pipeline {
  return { agg: new CountAggregate(processing.windowMs), tracker: new WindowTracker(processing), flushes: 0 };
}

/** What FootfallProcessor.process does with a located record, and its flush by size (the write itself is I/O, not timed here). */
function aggregate(p: Pipeline, r: CameraCount, cell: bigint, flushMaxRecords: number, nowMs: number): void {
  for (const w of p.agg.add(r, cell)) p.tracker.observe(w, r.end, nowMs);
  if (p.agg.size() >= flushMaxRecords) {
    p.agg.clear();
    p.flushes += 1;
  }
}

export async function measureHotPath(opts: {
  values: Buffer[];
  codec: SchemaCodec;
  processing: Config['processing'];
  maxFutureMs: number;
  profile: boolean;
  /** Timed runs of each full path; the best counts (noise on a shared machine only ever slows a run). */
  repeat: number;
  progress: Progress;
}): Promise<HotPathResult> {
  const { values, codec, processing, maxFutureMs } = opts;
  const n = values.length;
  const nowMs = Date.now();
  const sensors = new SensorRegistry(NO_STORE);
  const messages: InMessage[] = values.map((value, offset) => ({
    topic: 'pm.raw.camera.v1',
    partition: 0,
    offset,
    key: null,
    value,
    headers: {},
    timestamp: nowMs,
  }));
  const flushMax = processing.flushMaxRecords;

  const runPipeline = async (msgs: InMessage[], cells: { get(r: CameraCount): bigint | Promise<bigint> }, p: Pipeline): Promise<void> => {
    for (let i = 0; i < msgs.length; i++) {
      const d = await decodeRaw('camera', msgs[i]!, codec, maxFutureMs);
      if (d.kind !== 'ok') throw new Error(`benchmark record rejected: ${d.kind === 'dlq' ? d.error : d.reason}`);
      const c = cells.get(d.value);
      aggregate(p, d.value, typeof c === 'bigint' ? c : await c, flushMax, nowMs);
      if ((i + 1) % 200_000 === 0) opts.progress('hot path', i + 1, msgs.length);
    }
  };

  // Warm-up: let the JIT optimise every step before anything is timed.
  await runPipeline(messages.slice(0, Math.min(n, 100_000)), uncachedCells(sensors), pipeline(processing));
  await runPipeline(messages.slice(0, Math.min(n, 100_000)), cachedCells(sensors), pipeline(processing));

  const stages: StageResult[] = [];
  // Timed loops drop what they produce, as the processor does within a batch: keeping a million
  // decoded records (or BigInt cells) alive would time their promotion to the old generation instead.
  let sink = 0;
  stages.push(
    await timed('decode: decodeRaw (codec.decode + checks)', n, async () => {
      for (let i = 0; i < n; i++) {
        const d = await decodeRaw('camera', messages[i]!, codec, maxFutureMs);
        if (d.kind !== 'ok') throw new Error('benchmark record rejected');
        sink += d.value.in;
      }
    }),
  );
  const decoded: CameraCount[] = new Array<CameraCount>(n);
  for (let i = 0; i < n; i++) {
    const d = await decodeRaw('camera', messages[i]!, codec, maxFutureMs);
    if (d.kind === 'ok') decoded[i] = d.value;
  }
  opts.progress('hot path stages', 1, 6);
  const type = avro.Type.forSchema(loadSchema('raw-camera') as avro.Schema);
  stages.push(
    await timed('  of which avsc fromBuffer alone', n, () => {
      for (let i = 0; i < n; i++) type.fromBuffer(values[i]!.subarray(5));
    }),
  );
  const slow = uncachedCells(sensors);
  stages.push(
    await timed('H3: locate (latLngToCell + BigInt), uncached', n, async () => {
      for (let i = 0; i < n; i++) if ((await slow.get(decoded[i]!)) === 0n) sink += 1;
    }),
  );
  stages.push(
    await timed('  of which cellOf (h3-js latLngToCell) alone', n, () => {
      for (let i = 0; i < n; i++) cellOf(decoded[i]!.lat!, decoded[i]!.lng!);
    }),
  );
  const hex = cellOf(decoded[0]!.lat!, decoded[0]!.lng!);
  stages.push(
    await timed('  of which cellToUInt64 (hex → BigInt) alone', n, () => {
      for (let i = 0; i < n; i++) cellToUInt64(hex);
    }),
  );
  opts.progress('hot path stages', 3, 6);
  const fast = cachedCells(sensors);
  stages.push(
    await timed('H3: sensor→cell Map cache', n, async () => {
      for (let i = 0; i < n; i++) {
        const c = fast.get(decoded[i]!);
        if ((typeof c === 'bigint' ? c : await c) === 0n) sink += 1;
      }
    }),
  );
  const cells: bigint[] = new Array<bigint>(n);
  for (let i = 0; i < n; i++) {
    const c = fast.get(decoded[i]!);
    cells[i] = typeof c === 'bigint' ? c : await c;
  }
  const agg = pipeline(processing);
  stages.push(
    await timed('aggregate: CountAggregate.add + WindowTracker.observe', n, () => {
      for (let i = 0; i < n; i++) aggregate(agg, decoded[i]!, cells[i]!, flushMax, nowMs);
    }),
  );
  stages.push(
    await timed('  of which spreadCount (in and out) alone', n, () => {
      for (let i = 0; i < n; i++) {
        const r = decoded[i]!;
        spreadCount(r.start, r.end, r.in, processing.windowMs);
        spreadCount(r.start, r.end, r.out, processing.windowMs);
      }
    }),
  );
  stages.push(
    await timed('  of which its row key `${cell}|${window}|${class}` alone (replica)', n, () => {
      for (let i = 0; i < n; i++) {
        const r = decoded[i]!;
        sink += `${cells[i]!}|${r.start - (r.start % processing.windowMs)}|${r.class ?? ''}`.length;
      }
    }),
  );
  if (sink === 0) throw new Error('unreachable: the timed loops produced nothing');
  const ids = new Map<string, number>();
  stages.push(
    await timed('(not in goal) processor bookkeeping: ids Map + metric inc', n, () => {
      for (let i = 0; i < n; i++) {
        ids.set(decoded[i]!.recordId, i);
        benchRecordsTotal.inc({ source: 'camera', outcome: 'ok' });
        if (ids.size >= flushMax) ids.clear();
      }
    }),
  );
  const resolved = Promise.resolve(0);
  stages.push(
    await timed('(not in goal) processor per-record withRetry around decode and locate', n, async () => {
      for (let i = 0; i < n; i++) {
        sink += await withRetry(() => resolved, { keepGoing: () => true, onRetry: () => undefined });
        sink += await withRetry(() => resolved);
      }
    }),
  );
  opts.progress('hot path stages', 6, 6);

  const runs: StageResult[] = [];
  let aggregateFlushes = 0;
  const cpu0 = cpuSnapshot();
  for (let k = 0; k < opts.repeat; k++) {
    const p1 = pipeline(processing);
    runs.push(await timed('decode + H3 (uncached) + aggregate', n, () => runPipeline(messages, uncachedCells(sensors), p1)));
    aggregateFlushes = p1.flushes;
    const p2 = pipeline(processing);
    runs.push(await timed('decode + H3 (cached) + aggregate', n, () => runPipeline(messages, cachedCells(sensors), p2)));
    opts.progress('hot path full runs', k + 1, opts.repeat);
  }
  const cpuDuringRuns = cpuBetween(cpu0, cpuSnapshot());
  const best = (name: string): StageResult =>
    runs.filter((r) => r.stage === name).reduce((a, b) => (b.eventsPerSec > a.eventsPerSec ? b : a));
  const uncached = best('decode + H3 (uncached) + aggregate');
  const cached = best('decode + H3 (cached) + aggregate');
  let profile: HotPathResult['profile'] = null;
  if (opts.profile) {
    const m = messages.slice(0, Math.min(n, 300_000));
    profile = { events: m.length, ...(await profiled(100, () => runPipeline(m, uncachedCells(sensors), pipeline(processing)))) };
  }
  return { events: n, uncached, cached, runs, cpuDuringRuns, stages, aggregateFlushes, profile };
}
