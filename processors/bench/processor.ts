// `npm run bench:processor`: one generated input (camera counts of ~2,000 fixed Copenhagen sensors) measured
// four ways — (a) hot path per core, (b) Kafka → ClickHouse end to end, (c) vs the ClickHouse-native way, (d) peak
// RSS at a million open keys — printed as a table and written as JSON with the goals, met or missed, and why.

import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { destination, pino } from 'pino';
import { loadConfig, type Config } from '../../shared/config.js';
import { errorMessage } from '../../shared/errors.js';
import { cellOf, cellToUInt64 } from '../../shared/h3.js';
import { ChdbStore } from '../../shared/store/chdb.js';
import { measureEndToEnd, reachable, registryProblem, type E2eResult } from './e2e.js';
import { generateInput, type Input } from './generate.js';
import { measureHotPath, type HotPathResult, type StageResult } from './hotpath.js';
import { measureNative, passageStorageOffline, type NativeResult } from './native.js';
import { fmtBytes, fmtInt, fmtRatio, judge, pct, table, verdict, type Goal } from './report.js';
import type { TableStats } from './storage.js';

const HELP = `npm run bench:processor -- [options]

  --events N         camera counts in the generated input (default 1000000)
  --sensors N        fixed-location sensors (default 2000)
  --seed N           PRNG seed (default 42)
  --out FILE         JSON results (default bench-results/processor.json)
  --skip-e2e         skip (b), the Kafka → ClickHouse run
  --require-kafka    fail instead of skipping (b) when Kafka is not reachable
  --brokers LIST     Kafka brokers (default: KAFKA_BROKERS, else the local stack's 127.0.0.1:19092)
  --registry URL     schema registry (default: SCHEMA_REGISTRY_URL, else the local stack's)
  --partitions N     partitions of the benchmark topic (default: KAFKA_TOPIC_PARTITIONS, 6)
  --e2e-timeout S    stop (b) after S seconds and report the rate so far (default 420)
  --keys N           open (cell, window) keys for (d) (default 1000000)
  --native-batch N   rows per insert for (c) (default 100000)
  --repeat N         timed runs of each full hot path, best counts (default 3)
  --skip-profile     no CPU profile of the hot path
`;

const LOCAL_STACK = { brokers: ['127.0.0.1:19092'], registry: 'http://127.0.0.1:18081/apis/ccompat/v7' };
const GIB = 1024 ** 3;

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    sensors: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '42' },
    out: { type: 'string', default: 'bench-results/processor.json' },
    'skip-e2e': { type: 'boolean', default: false },
    'require-kafka': { type: 'boolean', default: false },
    brokers: { type: 'string' },
    registry: { type: 'string' },
    partitions: { type: 'string' },
    'e2e-timeout': { type: 'string', default: '420' },
    keys: { type: 'string', default: '1000000' },
    'native-batch': { type: 'string', default: '100000' },
    'skip-profile': { type: 'boolean', default: false },
    repeat: { type: 'string', default: '3' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

function positive(name: string, value: string): number {
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0) {
    process.stderr.write(`--${name} must be a positive integer, got "${value}"\n\n${HELP}`);
    process.exit(2);
  }
  return n;
}

const say = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

/** Progress lines at most every 3 s per stage (and at the end of each). */
function progressPrinter(): (stage: string, done: number, total: number, extra?: string) => void {
  const last = new Map<string, number>();
  return (stage, done, total, extra) => {
    const now = performance.now();
    if (done < total && now - (last.get(stage) ?? 0) < 3000) return;
    last.set(stage, now);
    say(`${stage}: ${fmtInt(done)}/${fmtInt(total)} (${pct(done / total)})${extra === undefined ? '' : `, ${extra}`}`);
  };
}

interface KeysResult {
  mode: string;
  keys: number;
  records: number;
  idsHeld: number;
  fillSeconds: number;
  peakRssBytes: number;
  baselineRssBytes: number;
  heapUsedBytes: number;
  rssByPhase: Record<string, number>;
  writePayloadBytes: number;
}

function runKeys(repoRoot: string, mode: string, keys: number, sensors: number, seed: number): Promise<KeysResult> {
  // keys.ts beside this file, or keys.js when running compiled (tsc output, no tsx needed).
  const ext = path.extname(fileURLToPath(import.meta.url));
  const script = fileURLToPath(new URL(`./keys${ext}`, import.meta.url));
  const argv = [
    ...(ext === '.ts' ? ['--import', 'tsx'] : []),
    script,
    '--mode',
    mode,
    '--keys',
    String(keys),
    '--sensors',
    String(sensors),
    '--seed',
    String(seed),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`keys.ts --mode ${mode} exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as KeysResult);
      } catch (err) {
        reject(new Error(`keys.ts printed no JSON: ${errorMessage(err)}`));
      }
    });
  });
}

function stageRow(s: StageResult): string[] {
  return [s.stage, fmtInt(s.eventsPerSec), s.nsPerEvent.toFixed(0), fmtInt(s.eventsPerCpuSecond), (s.cpuSeconds / s.seconds).toFixed(2)];
}

function storageRows(label: string, stats: TableStats[]): string[][] {
  return stats.map((s) => [
    `${label}.${s.table}`,
    fmtInt(s.rows),
    fmtBytes(s.bytesOnDisk),
    s.rows === 0 ? '-' : (s.bytesOnDisk / s.rows).toFixed(1),
  ]);
}

async function main(): Promise<void> {
  if (args.help) {
    process.stdout.write(HELP);
    return;
  }
  const events = positive('events', args.events);
  const sensorCount = positive('sensors', args.sensors);
  const seed = positive('seed', args.seed);
  const keysTarget = positive('keys', args.keys);
  const nativeBatch = positive('native-batch', args['native-batch']);
  const e2eTimeoutMs = positive('e2e-timeout', args['e2e-timeout']) * 1000;
  const repeat = positive('repeat', args.repeat);
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`${errorMessage(err)}\n`);
    process.exit(2);
  }
  const partitions = args.partitions !== undefined ? positive('partitions', args.partitions) : (config.kafka?.partitions ?? 6);
  const brokers = args.brokers?.split(',').map((b) => b.trim()) ?? config.kafka?.brokers ?? LOCAL_STACK.brokers;
  const brokersFrom = args.brokers !== undefined ? '--brokers' : config.kafka !== null ? 'KAFKA_BROKERS' : 'local stack default';
  const registryUrl = (args.registry ?? config.schemaRegistryUrl ?? LOCAL_STACK.registry).replace(/\/+$/, '');
  const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
  const outFile = path.resolve(repoRoot, args.out);
  const runId = `bench${Date.now().toString(36)}`;
  const chdbPath = path.join(os.tmpdir(), `passage-${runId}-chdb`);
  const progress = progressPrinter();
  const logger = pino({ level: 'warn', base: { service: 'passage-bench' } }, destination(2));
  const started = new Date();
  const t0 = performance.now();

  const loadAtStart = os.loadavg();
  say(
    `${os.cpus().length} cpus (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}; ` +
      `${fmtInt(events)} events, ${sensorCount} sensors`,
  );
  const input: Input = await generateInput(events, sensorCount, seed, (done, phase) => progress(phase, done, events));
  const valueBytes = input.values.reduce((a, v) => a + v.length, 0);
  say(`input: ${fmtInt(events)} counts over ${(input.spanMs / 3_600_000).toFixed(1)} h, ${fmtBytes(valueBytes)} of Avro`);

  // (a)
  say('(a) hot path on one core…');
  const hot: HotPathResult = await measureHotPath({
    values: input.values,
    codec: input.codec,
    processing: config.processing,
    maxFutureMs: config.ingest.maxFutureMs,
    profile: !args['skip-profile'],
    repeat,
    progress,
  });
  say(
    `(a) ${fmtInt(hot.asRun.eventsPerSec)} events/s as the processor runs it, ${fmtInt(hot.uncached.eventsPerSec)} events/s without the cell cache`,
  );

  const store = new ChdbStore(chdbPath, `${runId}_passage`);
  const nativeStore = new ChdbStore(chdbPath, `${runId}_native`);
  let e2e: E2eResult | null = null;
  let e2eSkipped: string | null = null;
  let passageStorage: TableStats[];
  let passageStorageFrom: string;
  try {
    // (c)
    say('(c) ClickHouse-native: raw rows + materialized view…');
    const native: NativeResult = await measureNative({ store: nativeStore, records: input.records, batchSize: nativeBatch, progress });
    say(`(c) ${fmtInt(native.eventsPerSec)} events/s, ${fmtBytes(native.bytesOnDisk)} on disk`);

    // (b)
    if (args['skip-e2e']) e2eSkipped = '--skip-e2e';
    else {
      const problems = (await Promise.all(brokers.map((b) => reachable(b)))).filter((p) => p !== null);
      if (problems.length === brokers.length) e2eSkipped = `Kafka not reachable (${brokersFrom}): ${problems.join('; ')}`;
    }
    if (e2eSkipped !== null && args['require-kafka'] && !args['skip-e2e']) throw new Error(`${e2eSkipped} (--require-kafka)`);
    if (e2eSkipped === null) {
      const regProblem = await registryProblem(registryUrl);
      if (regProblem !== null) say(`schema registry not reachable (${regProblem}); the processor uses the in-process registry`);
      say(`(b) end to end: producing to Kafka at ${brokers.join(',')} (${brokersFrom}), then the processor…`);
      e2e = await measureEndToEnd({
        input,
        brokers,
        registryUrl: regProblem === null ? registryUrl : null,
        partitions,
        store,
        processing: config.processing,
        maxFutureMs: config.ingest.maxFutureMs,
        timeoutMs: e2eTimeoutMs,
        logger,
        runId,
        profile: !args['skip-profile'],
        progress,
        // The processor should not run beside the benchmark's own copy of the input (GC scans it).
        onProduced: () => {
          input.records.length = 0;
          input.values.length = 0;
        },
      });
      say(`(b) ${fmtInt(e2e.eventsPerSec)} events/s end to end${e2e.complete ? '' : ' (timed out: rate so far)'}`);
      passageStorage = e2e.storage;
      passageStorageFrom = 'the end-to-end run';
    } else {
      say(`(b) skipped: ${e2eSkipped}`);
      const cells = new Map(input.sensors.map((s) => [s.sensorId, cellToUInt64(cellOf(s.lat, s.lng))]));
      passageStorage = await passageStorageOffline({ store, records: input.records, cells, processing: config.processing, partitions });
      passageStorageFrom = 'the exact aggregate written directly (no Kafka run)';
    }

    // (d)
    say(`(d) peak RSS with ${fmtInt(keysTarget)} open keys (child processes)…`);
    const keysAgg = await runKeys(repoRoot, 'aggregate', keysTarget, sensorCount, seed);
    const keysProc = await runKeys(repoRoot, 'processor', keysTarget, sensorCount, seed);
    say(`(d) ${fmtBytes(keysAgg.peakRssBytes)} aggregate only, ${fmtBytes(keysProc.peakRssBytes)} with record ids and the write`);

    const [zero] = await store.query<{ z: string }>('SELECT countIf(entries = 0 AND exits = 0) AS z FROM {db:Identifier}.counts_5m FINAL');
    const zeroRows = Number(zero?.z ?? 0);
    const counts = passageStorage.find((s) => s.table === 'counts_5m')!;
    const seen = passageStorage.find((s) => s.table === 'counted_ids')!;
    const raw = native.storage.find((s) => s.table === 'camera_raw')!;
    const nativeAgg = native.storage.find((s) => s.table === 'counts_native')!;
    const goals = evaluate({
      events,
      hot,
      e2e,
      e2eSkipped,
      native,
      counts,
      zeroRows,
      seen,
      raw,
      nativeAgg,
      keysProc,
      keysAgg,
      keysTarget,
    });

    const result = {
      benchmark: 'processor',
      startedAt: started.toISOString(),
      durationSeconds: (performance.now() - t0) / 1000,
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? null,
        totalMemoryBytes: os.totalmem(),
        node: process.version,
        platform: `${os.platform()} ${os.release()} ${os.arch()}`,
        loadAverageAtStart: loadAtStart,
        loadAverageAtEnd: os.loadavg(),
      },
      input: {
        events,
        sensors: sensorCount,
        seed,
        spanHours: input.spanMs / 3_600_000,
        intervalMix: input.intervalMix,
        avroBytes: valueBytes,
        avgAvroBytesPerEvent: valueBytes / events,
        totals: input.totals,
      },
      hotPath: hot,
      endToEnd: e2e ?? { skipped: e2eSkipped },
      native,
      passageStorage: { from: passageStorageFrom, tables: passageStorage, allZeroRows: zeroRows },
      keys: { aggregateOnly: keysAgg, processorState: keysProc },
      goals,
    };
    mkdirSync(path.dirname(outFile), { recursive: true });
    writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
    printReport(
      result.machine,
      input,
      valueBytes,
      events,
      hot,
      e2e,
      e2eSkipped,
      native,
      passageStorage,
      passageStorageFrom,
      keysAgg,
      keysProc,
      goals,
    );
    process.stdout.write(`\nJSON: ${path.relative(process.cwd(), outFile)} (${((performance.now() - t0) / 1000).toFixed(0)} s in all)\n`);
  } finally {
    await store.close();
    await nativeStore.close();
    rmSync(chdbPath, { recursive: true, force: true });
  }
}

function evaluate(m: {
  events: number;
  hot: HotPathResult;
  e2e: E2eResult | null;
  e2eSkipped: string | null;
  native: NativeResult;
  counts: TableStats;
  zeroRows: number;
  seen: TableStats;
  raw: TableStats;
  nativeAgg: TableStats;
  keysProc: KeysResult;
  keysAgg: KeysResult;
  keysTarget: number;
}): Goal[] {
  const { hot, e2e, native, counts, seen, raw, nativeAgg } = m;
  const stage = (prefix: string): StageResult | undefined => hot.stages.find((s) => s.stage.startsWith(prefix));
  const ns = (prefix: string): string => `${(stage(prefix)?.nsPerEvent ?? NaN).toFixed(0)} ns`;
  const profileTop = hot.profile?.byArea
    .slice(0, 5)
    .map((a) => `${a.what} ${a.selfPct}%`)
    .join(', ');
  const goals: Goal[] = [];

  goals.push(
    judge({
      id: 'hot_path',
      what: '(a) hot path, events/s on one core (decode + H3 + aggregate, as the processor runs it)',
      goal: '≥ 1,000,000 events/s per core for fixed-location sensors',
      target: 1_000_000,
      direction: 'at least',
      unit: 'events/s',
      measured: hot.asRun.eventsPerSec,
      note:
        `Per event: decode ${ns('decode')} (avsc alone ${ns('  of which avsc')}), H3 ${ns('H3: the operator')} ` +
        `(baseCell cache lookup alone ${ns('  of which baseCell')}; without the cache ${ns('H3 without')}, latLngToCell alone ${ns('  of which cellOf')}), ` +
        `aggregate ${ns('aggregate')} (CountAggregate.add alone ${ns('  of which CountAggregate')}). ` +
        `Without the cell cache the whole path runs at ${fmtInt(hot.uncached.eventsPerSec)} events/s; with a promise per record ` +
        `(decodeRaw + prepare, the path of a record whose schema or sensor must be fetched) at ${fmtInt(hot.promised.eventsPerSec)} events/s.` +
        (profileTop === undefined ? '' : ` Profile (self time, as run): ${profileTop}.`) +
        ` Best of ${hot.runs.length / 3} runs (${fmtInt(hot.asRun.eventsPerCpuSecond)} events per CPU-second of this process); ` +
        `CPU in cores during the runs: ${cpuText(hot.cpuDuringRuns)}.`,
    }),
  );

  const storeTime = (key: string): string => `${(e2e?.store[key]?.seconds ?? 0).toFixed(1)} s`;
  const reads = e2e?.store['query counted_ids'];
  const e2eTop = e2e?.profile?.byArea
    .slice(0, 6)
    .map((a) => `${a.what} ${a.selfPct}%`)
    .join(', ');
  goals.push(
    judge({
      id: 'end_to_end',
      what: '(b) end to end Kafka → processor → ClickHouse (chDB), events/s',
      goal: '≥ 100,000 events/s on this 2-core machine with Kafka beside it',
      target: 100_000,
      direction: 'at least',
      unit: 'events/s',
      measured: e2e?.eventsPerSec ?? null,
      note:
        e2e === null
          ? `Skipped: ${m.e2eSkipped}.`
          : `${fmtInt(e2e.events)} events in ${e2e.seconds.toFixed(1)} s${e2e.complete ? '' : ' (timed out)'}; ` +
            `the Node process used ${e2e.processCores.toFixed(2)} cores (event loop busy ${pct(e2e.eventLoopUtilization)}); ` +
            `CPU in cores over the run: ${cpuText(e2e.cpu)}. ` +
            `A store call was in flight ${pct(e2e.storeBusySeconds / e2e.seconds)} of the run (up to ${e2e.storeMaxInFlight} at once); ` +
            `summed over partitions: counts_5m inserts ${storeTime('insert counts_5m')}, counted_ids inserts ${storeTime('insert counted_ids')}, ` +
            `reads of an hour's counted ids ${storeTime('query counted_ids')} (${fmtInt(reads?.calls ?? 0)}, once per partition and hour); ` +
            `one such read alone after the run: ${e2e.hourReadAloneAtEndMs.toFixed(0)} ms (${fmtInt(e2e.hourReadIds)} ids). ` +
            `${e2e.commits} offset commits ${e2e.timeInCommitsSeconds.toFixed(1)} s; ${e2e.batches} batches of ~${fmtInt(e2e.avgBatchMessages)}. ` +
            `The hot path alone needs ${(m.events / hot.asRun.eventsPerSec).toFixed(1)} s of it.` +
            (e2eTop === undefined ? '' : ` Main-thread profile (self time, ${e2e.profile!.idlePct}% idle): ${e2eTop}.`) +
            ` Totals ${e2e.check.ok ? 'exact' : 'WRONG'}.`,
    }),
  );

  const throughputRatio = e2e === null ? null : e2e.eventsPerSec / native.eventsPerSec;
  goals.push(
    judge({
      id: 'vs_native_throughput',
      what: '(c) throughput vs ClickHouse-native (Passage end to end ÷ native insert)',
      goal: '≥ 1.0× the ClickHouse-native throughput',
      target: 1,
      direction: 'at least',
      unit: '×',
      measured: throughputRatio,
      note:
        `Native: ${fmtInt(native.eventsPerSec)} events/s (${native.seconds.toFixed(1)} s, of which store.insert ${native.insertSeconds.toFixed(1)} s; ` +
        `batches of ${fmtInt(native.batchSize)} rows, JSONEachRow, ${native.geoToH3}). ` +
        (e2e === null ? 'Passage side not measured (no Kafka run).' : `Passage: ${fmtInt(e2e.eventsPerSec)} events/s.`),
    }),
  );

  const storageRatio = counts.bytesOnDisk === 0 ? null : (raw.bytesOnDisk + nativeAgg.bytesOnDisk) / counts.bytesOnDisk;
  const withSeen = (raw.bytesOnDisk + nativeAgg.bytesOnDisk) / (counts.bytesOnDisk + seen.bytesOnDisk);
  goals.push(
    judge({
      id: 'vs_native_storage',
      what: '(c) bytes stored: native (raw + view) ÷ Passage counts_5m',
      goal: '≥ 20× fewer bytes stored than ClickHouse-native',
      target: 20,
      direction: 'at least',
      unit: '×',
      measured: storageRatio,
      note:
        `counts_5m: ${fmtInt(counts.rows)} rows for ${fmtInt(m.events)} events (${(m.events / Math.max(1, counts.rows)).toFixed(2)} events per row), ` +
        `${fmtBytes(counts.bytesOnDisk)} (${(counts.bytesOnDisk / Math.max(1, counts.rows)).toFixed(1)} B/row); native raw ${fmtBytes(raw.bytesOnDisk)} ` +
        `(${(raw.bytesOnDisk / Math.max(1, raw.rows)).toFixed(1)} B/row) + view ${fmtBytes(nativeAgg.bytesOnDisk)} (${fmtInt(nativeAgg.rows)} rows). ` +
        `${fmtInt(m.zeroRows)} counts_5m rows are all zero (a record that counted nobody; the native SummingMergeTree drops such rows). ` +
        `The ratio can be no more than events per row × raw bytes per event ÷ aggregate bytes per row. ` +
        `Passage also keeps counted_ids (the counted record ids by hour, for duplicate dropping; 90 days): ${fmtBytes(seen.bytesOnDisk)} for ${fmtInt(seen.rows)} rows; counted in, the ratio is ${fmtRatio(withSeen)}.`,
    }),
  );

  const phases = Object.entries(m.keysProc.rssByPhase)
    .map(([k, v]) => `${k} ${fmtBytes(v)}`)
    .join(', ');
  goals.push(
    judge({
      id: 'peak_rss_1m_keys',
      what: `(d) peak RSS with ${fmtInt(m.keysTarget)} open (cell, window) keys in CountAggregate + WindowTracker`,
      goal: '≤ 1 GB peak RSS at one million keys',
      target: 1e9,
      direction: 'at most',
      unit: 'bytes',
      measured: m.keysAgg.peakRssBytes,
      note:
        `${fmtInt(m.keysAgg.keys)} keys from ${fmtInt(m.keysAgg.records)} records in ${m.keysAgg.fillSeconds.toFixed(1)} s; ` +
        `RSS ${fmtBytes(m.keysAgg.baselineRssBytes)} before filling (node, tsx, modules), ${fmtBytes(m.keysAgg.peakRssBytes)} at peak ` +
        `(${((m.keysAgg.peakRssBytes - m.keysAgg.baselineRssBytes) / m.keysAgg.keys).toFixed(0)} B per key). 1 GB = 10^9 bytes.`,
    }),
  );
  goals.push(
    judge({
      id: 'peak_rss_1m_keys_processor',
      what: `(d) the same keys as FootfallProcessor holds and writes them (+ record-id map, rows, insert payload)`,
      goal: '≤ 1 GB peak RSS at one million keys (stricter reading)',
      target: 1e9,
      direction: 'at most',
      unit: 'bytes',
      measured: m.keysProc.peakRssBytes,
      note:
        `A partition holding ${fmtInt(m.keysProc.keys)} keys also holds the ${fmtInt(m.keysProc.idsHeld)} record ids it counted (by hour, and the latest hours' counted ids), ` +
        `and its write builds every row and the insert's Buffer (TabSeparated; ${fmtBytes(m.keysProc.writePayloadBytes)} for counts_5m + counted_ids; ` +
        `chDB's own parsing memory not included). RSS by phase: ${phases}. The processor writes at PASSAGE_FLUSH_MAX_RECORDS ` +
        `(default 50,000 rows) per partition, so by default it never holds a million keys.`,
    }),
  );
  return goals;
}

function cpuText(c: Record<string, number>): string {
  return Object.entries(c)
    .filter(([k]) => k !== 'machineCores')
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(', ')
    .concat(` (of ${c.machineCores ?? os.cpus().length})`);
}

function printReport(
  machine: { cpus: number; cpuModel: string | null; node: string },
  input: Input,
  valueBytes: number,
  events: number,
  hot: HotPathResult,
  e2e: E2eResult | null,
  e2eSkipped: string | null,
  native: NativeResult,
  passageStorage: TableStats[],
  passageStorageFrom: string,
  keysAgg: KeysResult,
  keysProc: KeysResult,
  goals: Goal[],
): void {
  const out: string[] = [];
  out.push(`Passage processor benchmark — ${machine.cpus} cpus (${machine.cpuModel ?? '?'}), node ${machine.node}`);
  out.push(
    `Input: ${fmtInt(events)} camera counts, ${input.sensors.length} fixed sensors, ${(input.spanMs / 3_600_000).toFixed(1)} h of event time, ` +
      `intervals ${Object.entries(input.intervalMix)
        .map(([k, v]) => `${k} ${pct(v / events)}`)
        .join(' / ')}, Avro (Confluent wire format) ${(valueBytes / events).toFixed(1)} B/event`,
  );
  out.push('');
  const value = (g: Goal): string => {
    if (g.measured === null) return 'skipped';
    if (g.unit === 'events/s') return `${fmtInt(g.measured)} events/s`;
    if (g.unit === 'bytes') return fmtBytes(g.measured);
    return fmtRatio(g.measured);
  };
  out.push(
    table(
      ['Measurement', 'Value', 'Goal', 'Result'],
      goals.map((g) => [g.what, value(g), g.goal, verdict(g)]),
    ),
  );
  out.push('');
  out.push(
    table(
      ['Hot path stage (one thread)', 'events/s', 'ns/event', 'events/CPU-s', 'cpu/wall'],
      [...hot.stages.map(stageRow), ...hot.runs.map(stageRow)],
    ),
  );
  if (hot.profile !== null) {
    out.push('');
    out.push(`Where the hot path spends its time (CPU profile of ${fmtInt(hot.profile.events)} events, self time):`);
    out.push(
      table(
        ['Area', 'self %'],
        hot.profile.byArea.map((a) => [a.what, `${a.selfPct}%`]),
      ),
    );
  }
  out.push('');
  if (e2e === null) out.push(`End to end: skipped (${e2eSkipped}).`);
  else {
    out.push(
      `End to end: produced ${fmtInt(e2e.produce.events)} in ${e2e.produce.seconds.toFixed(1)} s (${fmtInt(e2e.produce.eventsPerSec)}/s) to ` +
        `${e2e.partitions} partitions; processed ${fmtInt(e2e.events)} in ${e2e.seconds.toFixed(1)} s (${fmtInt(e2e.eventsPerSec)} events/s), ` +
        `totals ${e2e.check.ok ? 'exact' : `MISMATCH ${JSON.stringify(e2e.check)}`}; codec: ${e2e.codec}.`,
    );
    out.push(
      table(
        ['Processor time in', 'calls', 'seconds', 'first 10% ms/call', 'last 10% ms/call'],
        [
          ...Object.entries(e2e.store).map(([k, t]) => [
            `store ${k}`,
            fmtInt(t.calls),
            t.seconds.toFixed(1),
            (t.firstTenthMeanSeconds * 1000).toFixed(0),
            (t.lastTenthMeanSeconds * 1000).toFixed(0),
          ]),
          ['store: any call in flight (wall)', '', e2e.storeBusySeconds.toFixed(1), '', ''],
          ["one hour's counted ids read alone after the run", '1', (e2e.hourReadAloneAtEndMs / 1000).toFixed(2), '', ''],
          ['offset commits', fmtInt(e2e.commits), e2e.timeInCommitsSeconds.toFixed(1), '', ''],
          ['onBatch in all (summed over partitions)', fmtInt(e2e.batches), e2e.timeInOnBatchSeconds.toFixed(1), '', ''],
        ],
      ),
    );
    if (e2e.profile !== null) {
      out.push('');
      out.push(`Where the processor's main thread spends its time end to end (CPU profile, self time; idle ${e2e.profile.idlePct}%):`);
      out.push(
        table(
          ['Area', 'self %'],
          e2e.profile.byArea.map((a) => [a.what, `${a.selfPct}%`]),
        ),
      );
    }
  }
  out.push('');
  out.push(`Storage (after OPTIMIZE … FINAL; Passage from ${passageStorageFrom}):`);
  out.push(
    table(['Table', 'rows', 'on disk', 'B/row'], [...storageRows('passage', passageStorage), ...storageRows('native', native.storage)]),
  );
  out.push('');
  out.push(
    `Open keys: aggregate only ${fmtBytes(keysAgg.peakRssBytes)} peak RSS (${fmtInt(keysAgg.keys)} keys, baseline ${fmtBytes(keysAgg.baselineRssBytes)}); ` +
      `processor state + write ${fmtBytes(keysProc.peakRssBytes)}; 1 GiB = ${fmtInt(GIB)} B.`,
  );
  out.push('');
  out.push('Notes:');
  for (const g of goals) out.push(`- ${g.id}: ${verdict(g)}. ${g.note}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    process.stderr.write(`bench:processor failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
