// (a) The processor's hot path on one core: the steps StreamProcessor runs per record for the
// footfall operator — decodeRaw (Avro + checks), the operator's prepare (toCounted + locate, with
// the base-cell cache of processors/core/locate.ts), CountOperator.add + WindowTracker.observe —
// timed stage by stage and together; also without the cell cache (latLngToCell for every record),
// plus a CPU profile summary.

import avro from 'avsc';
import { performance } from 'node:perf_hooks';
import type { InMessage } from '../../shared/bus/types.js';
import type { Config } from '../../shared/config.js';
import { cellOf, cellToUInt64 } from '../../shared/h3.js';
import type { SchemaCodec } from '../../shared/registry/types.js';
import { ok, type StepResult } from '../../shared/result.js';
import { SensorRegistry } from '../../shared/sensors.js';
import type { Store } from '../../shared/store/types.js';
import { loadSchema } from '../../schemas/index.js';
import type { CameraCount, TicketingEvent } from '../../schemas/records.js';
import { baseCell } from '../core/locate.js';
import type { OperatorSpec, PartitionOperator } from '../core/operator.js';
import { CountAggregate } from '../footfall/aggregate.js';
import { countOperator, type LocatedCount } from '../footfall/processor.js';
import { toCounted, type CountSource } from '../footfall/steps.js';
import { decodeRaw, decodeRawCached } from '../raw/decode.js';
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
  /**
   * decode + H3 + aggregate as StreamProcessor runs them for the footfall operator — without a
   * promise per record (the codec holds the schema, the record its location), base-cell cache
   * included: the best of `runs`.
   */
  asRun: StageResult;
  /** The same with the cell computed for every record (latLngToCell, no cache): the best of `runs`. */
  uncached: StageResult;
  /** The same through the asynchronous steps, which StreamProcessor takes when a step needs I/O: the best of `runs`. */
  promised: StageResult;
  /** Every timed run, in order. */
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

type Spec = OperatorSpec<CountSource, LocatedCount>;

/** The operator's prepare as it was before the base-cell cache: latLngToCell and BigInt for every record. */
function uncachedSpec(windowMs: number): Spec {
  const real = countOperator('camera', new SensorRegistry(NO_STORE), windowMs);
  const prepareNow = (value: CameraCount | TicketingEvent): StepResult<LocatedCount> => {
    const record = toCounted('camera', value);
    return ok({ record, cell: cellToUInt64(cellOf(record.lat!, record.lng!)) });
  };
  return { ...real, prepareNow, prepare: (value) => Promise.resolve(prepareNow(value)) };
}

interface Pipeline {
  op: PartitionOperator<LocatedCount>;
  tracker: WindowTracker;
  flushes: number;
}

function pipeline(spec: Spec, processing: Config['processing']): Pipeline {
  return { op: spec.create(), tracker: new WindowTracker(processing), flushes: 0 };
}

function fail(what: string, r: StepResult<unknown>): never {
  throw new Error(`benchmark record ${what}: ${r.kind === 'dlq' ? r.error : r.kind === 'drop' ? r.reason : 'ok'}`);
}

/**
 * What StreamProcessor.process does with a prepared record (the operator's add, the tracker), and its
 * flush by size: the operator's take() builds the rows; the write itself is I/O, not timed here.
 */
function aggregate(p: Pipeline, r: LocatedCount, offset: number, flushMaxRecords: number, nowMs: number): void {
  for (const t of p.op.add(r, offset, false)) p.tracker.observe(t.windowStart, t.eventMs, nowMs);
  if (p.op.size() >= flushMaxRecords) {
    p.op.take();
    p.flushes += 1;
  }
}

const AS_RUN = 'decode + H3 + aggregate, as the processor runs it (decodeRawCached + prepareNow, base-cell cache)';
const UNCACHED = 'decode + H3 + aggregate, latLngToCell for every record (no cache)';
const PROMISED = 'decode + H3 + aggregate with a promise per record (decodeRaw + prepare: a schema to fetch, a sensor to look up)';

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
  const spec = countOperator('camera', new SensorRegistry(NO_STORE), processing.windowMs);
  const slowSpec = uncachedSpec(processing.windowMs);
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

  /** StreamProcessor.prepare, the asynchronous path (without its withRetry wrappers, timed apart below), then process. */
  const runPipeline = async (msgs: InMessage[], s: Spec, p: Pipeline): Promise<void> => {
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i]!;
      const d = await decodeRaw('camera', m, codec, maxFutureMs);
      if (d.kind !== 'ok') fail('rejected', d);
      const r = await s.prepare(d.value);
      if (r.kind !== 'ok') fail('not located', r);
      aggregate(p, r.value, m.offset, flushMax, nowMs);
      if ((i + 1) % 200_000 === 0) opts.progress('hot path', i + 1, msgs.length);
    }
  };

  /** As StreamProcessor.prepareFast runs: the synchronous steps, falling back to the asynchronous ones. */
  const runSynchronous = async (msgs: InMessage[], s: Spec, p: Pipeline): Promise<void> => {
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i]!;
      const d = decodeRawCached('camera', m, codec, maxFutureMs) ?? (await decodeRaw('camera', m, codec, maxFutureMs));
      if (d.kind !== 'ok') fail('rejected', d);
      const r = s.prepareNow?.(d.value) ?? (await s.prepare(d.value));
      if (r.kind !== 'ok') fail('not located', r);
      aggregate(p, r.value, m.offset, flushMax, nowMs);
    }
  };

  // Warm-up: let the JIT optimise every step before anything is timed.
  const warm = messages.slice(0, Math.min(n, 100_000));
  await runPipeline(warm, spec, pipeline(spec, processing));
  await runPipeline(warm, slowSpec, pipeline(slowSpec, processing));
  await runSynchronous(warm, spec, pipeline(spec, processing));

  const stages: StageResult[] = [];
  // Timed loops drop what they produce, as the processor does within a batch: keeping a million
  // decoded records (or BigInt cells) alive would time their promotion to the old generation instead.
  let sink = 0;
  stages.push(
    await timed('decode: decodeRawCached (codec.decodeCached + checks), as run', n, () => {
      for (let i = 0; i < n; i++) {
        const d = decodeRawCached('camera', messages[i]!, codec, maxFutureMs);
        if (d?.kind !== 'ok') throw new Error('benchmark record not decoded synchronously');
        sink += d.value.in;
      }
    }),
  );
  stages.push(
    await timed('  decodeRaw, the same with a promise (a schema to fetch)', n, async () => {
      for (let i = 0; i < n; i++) {
        const d = await decodeRaw('camera', messages[i]!, codec, maxFutureMs);
        if (d.kind !== 'ok') fail('rejected', d);
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
  stages.push(
    await timed("H3: the operator's prepareNow (toCounted + locate, base-cell cache), as run", n, () => {
      for (let i = 0; i < n; i++) {
        const r = spec.prepareNow!(decoded[i]!);
        if (r?.kind !== 'ok') throw new Error('benchmark record not prepared synchronously');
        if (r.value.cell === 0n) sink += 1;
      }
    }),
  );
  stages.push(
    await timed("  the operator's prepare, the same with a promise (a sensor to look up)", n, async () => {
      for (let i = 0; i < n; i++) {
        const r = await spec.prepare(decoded[i]!);
        if (r.kind !== 'ok') fail('not located', r);
        if (r.value.cell === 0n) sink += 1;
      }
    }),
  );
  stages.push(
    await timed('  of which baseCell (cache lookup) alone', n, () => {
      for (let i = 0; i < n; i++) if (baseCell(decoded[i]!.lat!, decoded[i]!.lng!) === 0n) sink += 1;
    }),
  );
  stages.push(
    await timed('H3 without the cache: cellOf + cellToUInt64', n, () => {
      for (let i = 0; i < n; i++) if (cellToUInt64(cellOf(decoded[i]!.lat!, decoded[i]!.lng!)) === 0n) sink += 1;
    }),
  );
  stages.push(
    await timed('  of which cellOf (h3-js latLngToCell) alone', n, () => {
      for (let i = 0; i < n; i++) cellOf(decoded[i]!.lat!, decoded[i]!.lng!);
    }),
  );
  opts.progress('hot path stages', 3, 6);
  const located: LocatedCount[] = new Array<LocatedCount>(n);
  for (let i = 0; i < n; i++) {
    const r = await spec.prepare(decoded[i]!);
    if (r.kind === 'ok') located[i] = r.value;
  }
  const agg = pipeline(spec, processing);
  stages.push(
    await timed('aggregate: CountOperator.add + WindowTracker.observe', n, () => {
      for (let i = 0; i < n; i++) aggregate(agg, located[i]!, i, flushMax, nowMs);
    }),
  );
  const alone = new CountAggregate(processing.windowMs);
  stages.push(
    await timed('  of which CountAggregate.add alone', n, () => {
      for (let i = 0; i < n; i++) {
        sink += alone.add(located[i]!.record, located[i]!.cell).length;
        if (alone.size() >= flushMax) alone.clear();
      }
    }),
  );
  if (sink === 0) throw new Error('unreachable: the timed loops produced nothing');
  const ids = new Map<string, number>();
  stages.push(
    await timed('(not in goal) processor bookkeeping: the counted record ids (Map)', n, () => {
      for (let i = 0; i < n; i++) {
        ids.set(decoded[i]!.recordId, i);
        if (ids.size >= flushMax) ids.clear();
      }
    }),
  );
  opts.progress('hot path stages', 6, 6);

  const runs: StageResult[] = [];
  let aggregateFlushes = 0;
  const cpu0 = cpuSnapshot();
  for (let k = 0; k < opts.repeat; k++) {
    const p1 = pipeline(spec, processing);
    runs.push(await timed(AS_RUN, n, () => runSynchronous(messages, spec, p1)));
    aggregateFlushes = p1.flushes;
    const p2 = pipeline(slowSpec, processing);
    runs.push(await timed(UNCACHED, n, () => runSynchronous(messages, slowSpec, p2)));
    const p3 = pipeline(spec, processing);
    runs.push(await timed(PROMISED, n, () => runPipeline(messages, spec, p3)));
    opts.progress('hot path full runs', k + 1, opts.repeat);
  }
  const cpuDuringRuns = cpuBetween(cpu0, cpuSnapshot());
  const best = (name: string): StageResult =>
    runs.filter((r) => r.stage === name).reduce((a, b) => (b.eventsPerSec > a.eventsPerSec ? b : a));
  let profile: HotPathResult['profile'] = null;
  if (opts.profile) {
    const m = messages.slice(0, Math.min(n, 300_000));
    profile = { events: m.length, ...(await profiled(100, () => runSynchronous(m, spec, pipeline(spec, processing)))) };
  }
  return {
    events: n,
    asRun: best(AS_RUN),
    uncached: best(UNCACHED),
    promised: best(PROMISED),
    runs,
    cpuDuringRuns,
    stages,
    aggregateFlushes,
    profile,
  };
}
