// `npm run bench:api`: the query API's own cost, measured on chDB in process.
//
// History: a year of hourly camera counts is generated straight into counts_1h (what 1h buckets read;
// the 5-minute rows of bench:rollups' generator would be 210 million for 1,000 cells × a year, more
// than this machine makes in minutes), then GET /v1/footfall (the route as shared/testing/history.ts
// builds it, the service's privacy defaults: noise on, k 10, enrich=false) is timed over HTTP on a real
// port against the same query run on the store directly — queryFootfall (runRollup: the same SQL, the
// answer read into Node) and the SQL alone (FORMAT Null). Runs interleaved; p50/p99; API ÷ store.
//
// Fan-out: the live hub and routes (query-api/live/testing.ts's liveApp) on an in-process MemoryBus,
// N SSE subscribers connected from a worker thread over raw HTTP (so the clients have their own event
// loop), released units produced on pm.agg.presence.v1 as the releaser does (releasedAt set, encoded,
// produced as one batch), latency from releasedAt to each subscriber's receipt of the frame.
//
// Prints a table and writes bench-results/api.json.

import { rmSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { cellToChildren, cellToParent, gridDisk, latLngToCell } from 'h3-js';
import { MemoryBus } from '../../shared/bus/memory.js';
import { errorMessage } from '../../shared/errors.js';
import { cellToUInt64 } from '../../shared/h3.js';
import { registry } from '../../shared/metrics.js';
import { DEFAULT_RELEASE } from '../../shared/privacy.js';
import { LocalSchemaRegistry } from '../../shared/registry/local.js';
import type { Store } from '../../shared/store/types.js';
import { CHDB_TEST_PATH, chdbStore, uid } from '../../shared/testing/fixtures.js';
import { ADMIN_AUTH, historyApp, testPrivacy } from '../../shared/testing/history.js';
import { DAY_MS } from '../../shared/time.js';
import { Topics } from '../../shared/topics.js';
import { registerAll } from '../../schemas/index.js';
import { fmtInt, fmtRatio, judge, table, verdict, type Goal } from '../../processors/bench/report.js';
import { liveApp, presence, produceReleases } from '../live/testing.js';
import { footfallRoute } from '../routes/footfall/route.js';
import { metricSql, queryFootfall, type FootfallQuery } from '../routes/footfall/query.js';
import { groupCells, rollupSql, type Rollup, type RollupLimits } from '../rollup.js';

const HELP = `npm run bench:api -- [options]

  --cells N          res-10 cells with a year of hourly counts in counts_1h (default 1000)
  --days N           days of hours from 2025-01-01 (default 365)
  --year-cells N     cells of the year-long query through the API (default 10: 87,600 rows, under the
                     API's 100,000-row limit; the store alone is also timed on all --cells)
  --month-cells N    cells of the one-month query (default 100)
  --runs N           timed runs of each query on each path (default 20; the year query gets a quarter)
  --subscribers N    SSE subscribers of the fan-out (default 1000)
  --units N          released units per batch, each matching every subscriber (default 100)
  --batches N        release batches (default 20), one every --interval-ms (default 1000)
  --interval-ms N
  --skip-history / --skip-fanout
  --out FILE         JSON results (default bench-results/api.json)
`;

const { values: args } = parseArgs({
  options: {
    cells: { type: 'string', default: '1000' },
    days: { type: 'string', default: '365' },
    'year-cells': { type: 'string', default: '10' },
    'month-cells': { type: 'string', default: '100' },
    runs: { type: 'string', default: '20' },
    subscribers: { type: 'string', default: '1000' },
    units: { type: 'string', default: '100' },
    batches: { type: 'string', default: '20' },
    'interval-ms': { type: 'string', default: '1000' },
    'skip-history': { type: 'boolean', default: false },
    'skip-fanout': { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench-results/api.json' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

function count(name: string, value: string, min = 1): number {
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`--${name} must be an integer ≥ ${min}, got "${value}"\n\n${HELP}`);
    process.exit(2);
  }
  return n;
}

const say = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
const START_MS = Date.UTC(2025, 0, 1);
const TZ = 'Europe/Copenhagen';
const PER_DISTRICT = 25;
const CHUNK_DAYS = 30;
const MAX_RESULT_ROWS = 100_000; // PASSAGE_MAX_RESULT_ROWS' default
const TIMEOUT_MS = 30_000; // PASSAGE_QUERY_TIMEOUT_MS' default

/** `n` res-10 cells, the first PER_DISTRICT children of each res-8 cell of a spiral around Copenhagen's centre. */
function benchCells(n: number): string[] {
  const cells: string[] = [];
  for (const d of gridDisk(latLngToCell(55.6761, 12.5683, 8), 12)) {
    cells.push(...cellToChildren(d, 10).slice(0, Math.min(PER_DISTRICT, n - cells.length)));
    if (cells.length === n) return cells;
  }
  throw new Error(`not enough districts for ${n} cells`);
}

/** Hourly camera counts (pedestrian, cyclist) of every cell and hour of [fromDay, toDay) straight into counts_1h; a weekday profile, 1–240 people an hour at the peak. */
async function loadHourly(store: Store, cells: bigint[], fromDay: number, toDay: number): Promise<void> {
  await store.command(
    `INSERT INTO {db:Identifier}.counts_1h (source, cell, window_start, breakdown, entries, exits)
     SELECT 'camera', cell, ws, cls, e, x FROM (
       SELECT {cells:Array(UInt64)}[1 + (number % {n:UInt32})] AS cell,
              toDateTime({start:Int64} + ({h0:UInt32} + intDiv(number, {n:UInt32})) * 3600, 'UTC') AS ws,
              toHour(ws, {tz:String}) AS h,
              (exp(-pow(h - 8.5, 2) / 3) + 1.2 * exp(-pow(h - 17, 2) / 4) + 0.4 * exp(-pow(h - 13, 2) / 10))
                * if(toDayOfWeek(ws, 0, {tz:String}) >= 6, 0.6, 1.0) AS profile,
              12 * (1 + cityHash64(cell) % 20) AS base,
              arrayJoin([('pedestrian', 0.7), ('cyclist', 0.3)]) AS c,
              c.1 AS cls,
              toUInt64(floor(base * profile * c.2 * 2 * (cityHash64(number, cls, 1) % 1000) / 1000)) AS e,
              toUInt64(floor(base * profile * c.2 * 2 * (cityHash64(number, cls, 2) % 1000) / 1000)) AS x
       FROM numbers({rows:UInt64})
     ) WHERE e + x > 0`,
    { cells, n: cells.length, start: START_MS / 1000, h0: fromDay * 24, rows: (toDay - fromDay) * 24 * cells.length, tz: TZ },
  );
}

interface Timing {
  runs: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

function percentile(sorted: ArrayLike<number>, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

function timing(ms: number[]): Timing {
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    runs: ms.length,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    meanMs: ms.reduce((a, b) => a + b, 0) / ms.length,
  };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

interface HistoryQuery {
  id: string;
  what: string;
  cells: string[];
  from: number;
  to: number;
  runs: number;
}

interface HistoryResult {
  id: string;
  what: string;
  rows: number;
  responseBytes: number;
  /** GET /v1/footfall over HTTP: validation, grant, store, release (noise, k), JSON, transfer. */
  api: Timing;
  /** queryFootfall on the store: the route's store call (runRollup: the SQL, its answer read into Node). */
  query: Timing;
  /** The SQL alone, its output discarded (FORMAT Null). */
  sql: Timing;
  apiOverQueryP50: number;
  apiOverQueryP99: number;
  apiOverSqlP50: number;
}

function footfallQuery(q: HistoryQuery): FootfallQuery {
  return {
    cells: q.cells,
    from: q.from,
    to: q.to,
    bucket: '1h',
    resolution: 10,
    source: 'camera',
    metric: 'footfall',
    breakdown: null,
    splitByBreakdown: false,
  };
}

/** The rollup queryFootfall runs for `q` (the same SQL). */
function rollupOf(q: HistoryQuery): Rollup {
  const m = metricSql('camera', 'footfall');
  if (m.kind !== 'count') throw new Error('camera footfall is a count');
  return {
    table: 'counts_5m',
    source: 'camera',
    axes: [{ column: 'cell', cells: groupCells('cells', q.cells, 10) }],
    resolution: 10,
    bucket: '1h',
    from: q.from,
    to: q.to,
    breakdown: null,
    splitByBreakdown: false,
    values: { value: m.value },
    ...(m.having === undefined ? {} : { having: m.having }),
  };
}

async function measureHistory(store: Store, baseUrl: string, q: HistoryQuery, limits: RollupLimits): Promise<HistoryResult> {
  const url = `${baseUrl}/v1/footfall?cells=${q.cells.join(',')}&from=${q.from}&to=${q.to}&bucket=1h&resolution=10&source=camera&enrich=false`;
  const get = async (): Promise<{ rows: number; bytes: number }> => {
    const res = await fetch(url, { headers: ADMIN_AUTH });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`GET /v1/footfall: ${res.status} ${body.slice(0, 300)}`);
    return { rows: (JSON.parse(body) as { data: unknown[] }).data.length, bytes: Buffer.byteLength(body) };
  };
  const getTimed = async (): Promise<void> => {
    const res = await fetch(url, { headers: ADMIN_AUTH });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`GET /v1/footfall: ${res.status}`);
  };
  const fq = footfallQuery(q);
  const { sql, params } = rollupSql(rollupOf(q), limits);
  // Untimed first: caches warmed, the answer checked.
  const first = await get();
  const direct = await queryFootfall(store, fq, limits);
  const api: number[] = [];
  const query: number[] = [];
  const sqlMs: number[] = [];
  for (let i = 0; i < q.runs; i++) {
    // Interleaved, so load from elsewhere on the machine falls on every path alike.
    api.push(await timed(getTimed));
    query.push(await timed(() => queryFootfall(store, fq, limits)));
    sqlMs.push(await timed(() => store.queryRaw(sql, params, 'Null', { timeoutMs: limits.timeoutMs })));
    if ((i + 1) % 5 === 0 || i + 1 === q.runs) say(`  run ${i + 1}/${q.runs}`);
  }
  const a = timing(api);
  const d = timing(query);
  const s = timing(sqlMs);
  say(
    `  ${fmtInt(first.rows)} rows (${fmtInt(direct.length)} with data); API p50 ${a.p50Ms.toFixed(1)} ms, query ${d.p50Ms.toFixed(1)} ms, SQL ${s.p50Ms.toFixed(1)} ms`,
  );
  return {
    id: q.id,
    what: q.what,
    rows: first.rows,
    responseBytes: first.bytes,
    api: a,
    query: d,
    sql: s,
    apiOverQueryP50: a.p50Ms / d.p50Ms,
    apiOverQueryP99: a.p99Ms / d.p99Ms,
    apiOverSqlP50: a.p50Ms / s.p50Ms,
  };
}

// The SSE clients, in a worker thread (plain JS: a worker evaluated from a string is CommonJS).
const CLIENT = `
const http = require('node:http');
const { parentPort, workerData } = require('node:worker_threads');
const { url, headers, n } = workerData;
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
const latencies = [];
const lastById = new Map();
let connected = 0, failed = 0, events = 0;
const reqs = [];
function open() {
  return new Promise((resolve) => {
    const req = http.get(url, { agent, headers }, (res) => {
      if (res.statusCode !== 200) { failed++; res.resume(); resolve(); return; }
      res.setEncoding('utf8');
      let buf = '', first = true;
      res.on('data', (chunk) => {
        if (first) { first = false; connected++; resolve(); }
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\\n\\n')) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (!frame.includes('event: window')) continue;
          const m = /"releasedAt":"([^"]+)"/.exec(frame);
          const id = /^id: (\\S+)/m.exec(frame);
          if (m === null || id === null) continue;
          const ms = Date.now() - Date.parse(m[1]);
          latencies.push(ms);
          events++;
          const prev = lastById.get(id[1]);
          if (prev === undefined || ms > prev) lastById.set(id[1], ms);
        }
      });
      res.on('error', () => {});
    });
    req.on('error', () => { failed++; resolve(); });
    reqs.push(req);
  });
}
(async () => {
  for (let i = 0; i < n; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, n - i) }, open));
    parentPort.postMessage({ type: 'progress', connected, failed });
  }
  parentPort.postMessage({ type: 'ready', connected, failed });
})();
const tick = setInterval(() => parentPort.postMessage({ type: 'count', events }), 250);
parentPort.on('message', (m) => {
  if (m === 'collect') {
    clearInterval(tick);
    for (const r of reqs) r.destroy();
    parentPort.postMessage({ type: 'result', latencies: Float64Array.from(latencies), lastOfEach: Float64Array.from(lastById.values()), connected, failed });
  }
});
`;

interface FanoutResult {
  subscribers: number;
  connected: number;
  failed: number;
  unitsPerBatch: number;
  batches: number;
  intervalMs: number;
  expectedDeliveries: number;
  deliveries: number;
  /** Per subscriber and unit: releasedAt → the frame read by the subscriber. */
  perDelivery: Timing;
  /** Per unit: releasedAt → the last subscriber's receipt. */
  lastSubscriber: Timing;
  /** passage_live_fanout_seconds (releasedAt → frames written to every matching subscriber), bucket bounds of p50/p99. */
  hubHistogram: { count: number; p50UpperS: number | null; p99UpperS: number | null };
}

type ClientMessage =
  | { type: 'progress' | 'ready'; connected: number; failed: number }
  | { type: 'count'; events: number }
  | { type: 'result'; latencies: Float64Array; lastOfEach: Float64Array; connected: number; failed: number };

function timingOf(xs: Float64Array): Timing {
  const sorted = Float64Array.from(xs).sort();
  let sum = 0;
  for (const x of sorted) sum += x;
  return { runs: sorted.length, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), meanMs: sum / Math.max(1, sorted.length) };
}

async function hubHistogram(): Promise<FanoutResult['hubHistogram']> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'passage_live_fanout_seconds');
  const values = (metric?.values ?? []) as { metricName?: string; labels: Record<string, string | number>; value: number }[];
  const buckets = values
    .filter((v) => v.metricName === 'passage_live_fanout_seconds_bucket')
    .map((v) => ({ le: v.labels.le === '+Inf' ? Infinity : Number(v.labels.le), n: v.value }));
  const total = buckets.find((b) => b.le === Infinity)?.n ?? 0;
  const upper = (p: number): number | null => (total === 0 ? null : (buckets.find((b) => b.n >= p * total)?.le ?? null));
  return { count: total, p50UpperS: upper(0.5), p99UpperS: upper(0.99) };
}

async function measureFanout(
  store: Store,
  cells: string[],
  o: { subscribers: number; units: number; batches: number; intervalMs: number },
): Promise<FanoutResult> {
  const bus = new MemoryBus({ retryBackoffMs: 10 });
  const codec = new LocalSchemaRegistry();
  const topics = new Topics(`${uid('bench')}.`);
  await bus.ensureTopics(topics.specs(2, 60_000));
  await registerAll(codec, topics);
  const live = await liveApp({ bus, codec, store, topics });
  live.app.server.maxConnections = o.subscribers + 100;
  const units = cells.slice(0, o.units);
  const districts = [...new Set(units.map((c) => cellToParent(c, 8)))];
  const url = `${live.url}/v1/live/footfall?cells=${districts.join(',')}&resolution=10`;
  const worker = new Worker(CLIENT, { eval: true, workerData: { url, headers: ADMIN_AUTH, n: o.subscribers } });
  let events = 0;
  let ready!: (m: { connected: number; failed: number }) => void;
  const readyP = new Promise<{ connected: number; failed: number }>((r) => (ready = r));
  let result!: (m: Extract<ClientMessage, { type: 'result' }>) => void;
  const resultP = new Promise<Extract<ClientMessage, { type: 'result' }>>((r) => (result = r));
  worker.on('message', (m: ClientMessage) => {
    if (m.type === 'progress' && m.connected % 200 === 0) say(`  ${fmtInt(m.connected)} subscribers connected (${m.failed} failed)`);
    else if (m.type === 'ready') ready(m);
    else if (m.type === 'count') events = m.events;
    else if (m.type === 'result') result(m);
  });
  try {
    const conn = await readyP;
    say(
      `  ${fmtInt(conn.connected)} connected, ${conn.failed} failed; releasing ${o.batches} batches of ${o.units} units, one every ${o.intervalMs} ms…`,
    );
    const expected = conn.connected * o.units * o.batches;
    for (let b = 0; b < o.batches; b++) {
      const t = performance.now();
      // As the releaser does: releasedAt set, the batch encoded and produced at once.
      const now = Date.now();
      await produceReleases(
        bus,
        codec,
        topics,
        units.map((c, j) => presence(c, 10, b * o.units + j, { releasedAt: now })),
      );
      if ((b + 1) % 5 === 0 || b + 1 === o.batches)
        say(`  batch ${b + 1}/${o.batches}: ${fmtInt(events)}/${fmtInt(expected)} frames received`);
      await new Promise((r) => setTimeout(r, Math.max(0, o.intervalMs - (performance.now() - t))));
    }
    const until = Date.now() + 30_000;
    while (events < expected && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    worker.postMessage('collect');
    const r = await resultP;
    return {
      subscribers: o.subscribers,
      connected: r.connected,
      failed: r.failed,
      unitsPerBatch: o.units,
      batches: o.batches,
      intervalMs: o.intervalMs,
      expectedDeliveries: expected,
      deliveries: r.latencies.length,
      perDelivery: timingOf(r.latencies),
      lastSubscriber: timingOf(r.lastOfEach),
      hubHistogram: await hubHistogram(),
    };
  } finally {
    await worker.terminate();
    await live.close();
  }
}

async function main(): Promise<void> {
  if (args.help) {
    process.stdout.write(HELP);
    return;
  }
  const cellCount = count('cells', args.cells);
  const days = count('days', args.days, 31);
  const yearCells = Math.min(cellCount, count('year-cells', args['year-cells']));
  const monthCells = Math.min(cellCount, count('month-cells', args['month-cells']));
  const runs = count('runs', args.runs, 2);
  const subscribers = count('subscribers', args.subscribers);
  const units = count('units', args.units);
  const batches = count('batches', args.batches);
  const intervalMs = count('interval-ms', args['interval-ms'], 0);
  const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
  const outFile = path.resolve(repoRoot, args.out);
  const started = new Date();
  const t0 = performance.now();
  const loadAtStart = os.loadavg();
  say(
    `${os.cpus().length} cpus (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}`,
  );

  const cells = benchCells(Math.max(cellCount, units));
  const store = await chdbStore(uid('bench_api_'));
  let history: { loadSeconds: number; rowsLoaded: number; queries: HistoryResult[]; fullYearSql: Timing | null } | null = null;
  let fanout: FanoutResult | null = null;
  try {
    if (!args['skip-history']) {
      const ids = cells.slice(0, cellCount).map(cellToUInt64);
      say(`generating ${fmtInt(cellCount)} cells × ${days} days of hourly camera counts into counts_1h…`);
      let loadSeconds = 0;
      for (let d = 0; d < days; d += CHUNK_DAYS) {
        loadSeconds += (await timed(() => loadHourly(store, ids, d, Math.min(days, d + CHUNK_DAYS)))) / 1000;
        say(`  day ${Math.min(days, d + CHUNK_DAYS)}/${days} (${loadSeconds.toFixed(1)} s)`);
      }
      const [{ n } = { n: '0' }] = await store.query<{ n: string }>('SELECT count() AS n FROM {db:Identifier}.counts_1h');
      say(`  ${fmtInt(Number(n))} rows; merging…`);
      await store.command('OPTIMIZE TABLE {db:Identifier}.counts_1h FINAL');

      const h = await historyApp(footfallRoute, {
        store,
        timeZone: TZ,
        maxResultRows: MAX_RESULT_ROWS,
        queryTimeoutMs: TIMEOUT_MS,
        privacy: testPrivacy(DEFAULT_RELEASE),
      });
      try {
        await h.app.listen({ port: 0, host: '127.0.0.1' });
        const address = h.app.server.address();
        const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
        const limits: RollupLimits = { timeZone: TZ, maxRows: MAX_RESULT_ROWS, timeoutMs: TIMEOUT_MS };
        const endMs = START_MS + days * DAY_MS;
        const monthFrom = START_MS + 31 * DAY_MS;
        const queries: HistoryQuery[] = [
          {
            id: 'month_cells_hourly',
            what: `30 days, hourly, ${monthCells} cells`,
            cells: cells.slice(0, monthCells),
            from: monthFrom,
            to: monthFrom + 30 * DAY_MS,
            runs,
          },
          {
            id: 'year_cells_hourly',
            what: `${days} days, hourly, ${yearCells} cells`,
            cells: cells.slice(0, yearCells),
            from: START_MS,
            to: endMs,
            runs: Math.max(3, Math.round(runs / 4)),
          },
        ];
        const results: HistoryResult[] = [];
        for (const [i, q] of queries.entries()) {
          say(`history query ${i + 1}/${queries.length}: ${q.what} — ${q.runs} runs per path…`);
          results.push(await measureHistory(store, baseUrl, q, limits));
        }
        // The year for every cell: beyond the API's row limit (cells × 8,760 rows), so the store alone.
        let fullYearSql: Timing | null = null;
        if (cellCount > yearCells) {
          say(
            `store alone: ${days} days, hourly, all ${fmtInt(cellCount)} cells (${fmtInt(cellCount * days * 24)} rows, FORMAT Null) — 5 runs…`,
          );
          const q: HistoryQuery = { id: 'year_all', what: '', cells: cells.slice(0, cellCount), from: START_MS, to: endMs, runs: 5 };
          const { sql, params } = rollupSql(rollupOf(q), { ...limits, maxRows: 100_000_000 });
          const ms: number[] = [];
          for (let i = 0; i < 5; i++) ms.push(await timed(() => store.queryRaw(sql, params, 'Null', { timeoutMs: 600_000 })));
          fullYearSql = timing(ms);
          say(`  p50 ${fullYearSql.p50Ms.toFixed(0)} ms`);
        }
        history = { loadSeconds, rowsLoaded: Number(n), queries: results, fullYearSql };
      } finally {
        await h.close();
      }
    }
    if (!args['skip-fanout']) {
      say(`fan-out: live hub on a MemoryBus, ${fmtInt(subscribers)} SSE subscribers (a worker thread)…`);
      fanout = await measureFanout(store, cells, { subscribers, units, batches, intervalMs });
      say(`  p50 ${fanout.perDelivery.p50Ms.toFixed(0)} ms, p99 ${fanout.perDelivery.p99Ms.toFixed(0)} ms`);
    }
  } finally {
    await store.command('DROP DATABASE IF EXISTS {db:Identifier}').catch(() => undefined);
    await store.close();
    rmSync(CHDB_TEST_PATH, { recursive: true, force: true });
  }

  const goals = evaluate(history?.queries ?? [], fanout);
  const result = {
    benchmark: 'api',
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
      timeZone: TZ,
      from: new Date(START_MS).toISOString(),
      days,
      cells: cellCount,
      yearCells,
      monthCells,
      runs,
      privacy: DEFAULT_RELEASE,
    },
    history,
    fanout,
    goals,
  };
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
  printReport(result.machine, history, fanout, goals);
  process.stdout.write(`\nJSON: ${path.relative(process.cwd(), outFile)} (${((performance.now() - t0) / 1000).toFixed(0)} s in all)\n`);
}

function evaluate(queries: HistoryResult[], fanout: FanoutResult | null): Goal[] {
  const month = queries.find((q) => q.id === 'month_cells_hourly');
  const year = queries.find((q) => q.id === 'year_cells_hourly');
  const goals: Goal[] = [];
  for (const q of [month, year]) {
    if (q === undefined) continue;
    goals.push(
      judge({
        id: `${q.id}_api_over_store`,
        what: `${q.what}: API ÷ store (p50)`,
        goal: '≤ 1.3× (issue 5)',
        target: 1.3,
        direction: 'at most',
        unit: '×',
        measured: q.apiOverQueryP50,
        note:
          `API p50 ${q.api.p50Ms.toFixed(1)} ms vs queryFootfall p50 ${q.query.p50Ms.toFixed(1)} ms (p99 ${fmtRatio(q.apiOverQueryP99)}); ` +
          `vs the SQL alone (FORMAT Null, ${q.sql.p50Ms.toFixed(1)} ms) ${fmtRatio(q.apiOverSqlP50)}. ${fmtInt(q.rows)} rows, ${fmtInt(q.responseBytes)} bytes of JSON.`,
      }),
    );
  }
  if (month !== undefined)
    goals.push(
      judge({
        id: 'month_cells_p99',
        what: `${month.what}: API p99`,
        goal: 'p99 < 100 ms (issue 5)',
        target: 100,
        direction: 'at most',
        unit: 'ms',
        measured: month.api.p99Ms,
        note: `API p50 ${month.api.p50Ms.toFixed(1)} ms.`,
      }),
    );
  if (fanout !== null)
    goals.push(
      judge({
        id: 'fanout_p99',
        what: `live fan-out to ${fmtInt(fanout.connected)} SSE subscribers: p99 releasedAt → received`,
        goal: 'p99 < 250 ms (issue 5)',
        target: 250,
        direction: 'at most',
        unit: 'ms',
        measured: fanout.perDelivery.p99Ms,
        note:
          `p50 ${fanout.perDelivery.p50Ms.toFixed(0)} ms; last subscriber of each unit p50 ${fanout.lastSubscriber.p50Ms.toFixed(0)} / p99 ` +
          `${fanout.lastSubscriber.p99Ms.toFixed(0)} ms; ${fmtInt(fanout.deliveries)}/${fmtInt(fanout.expectedDeliveries)} frames; ` +
          `hub histogram p99 ≤ ${fanout.hubHistogram.p99UpperS ?? '-'} s.`,
      }),
    );
  return goals;
}

function ms(t: Timing): string {
  return `${t.p50Ms.toFixed(1)} / ${t.p99Ms.toFixed(1)}`;
}

function printReport(
  machine: { cpus: number; cpuModel: string | null; node: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] },
  history: { loadSeconds: number; rowsLoaded: number; queries: HistoryResult[]; fullYearSql: Timing | null } | null,
  fanout: FanoutResult | null,
  goals: Goal[],
): void {
  const out: string[] = [];
  out.push(`Passage API benchmark — ${machine.cpus} cpus (${machine.cpuModel ?? '?'}), node ${machine.node}, chDB`);
  out.push(
    `load average ${machine.loadAverageAtStart.map((l) => l.toFixed(1)).join(' ')} at start, ${machine.loadAverageAtEnd.map((l) => l.toFixed(1)).join(' ')} at end`,
  );
  if (history !== null) {
    out.push('');
    out.push(`History (counts_1h: ${fmtInt(history.rowsLoaded)} rows, generated in ${history.loadSeconds.toFixed(1)} s), ms p50 / p99`);
    out.push(
      table(
        ['Query', 'Rows', 'API (HTTP)', 'queryFootfall', 'SQL alone', 'API ÷ query p50', 'API ÷ query p99'],
        history.queries.map((q) => [
          q.what,
          fmtInt(q.rows),
          ms(q.api),
          ms(q.query),
          ms(q.sql),
          fmtRatio(q.apiOverQueryP50),
          fmtRatio(q.apiOverQueryP99),
        ]),
      ),
    );
    if (history.fullYearSql !== null) out.push(`  the year for every cell, SQL alone: ${ms(history.fullYearSql)} ms`);
  }
  if (fanout !== null) {
    out.push('');
    out.push(
      `Live fan-out: ${fmtInt(fanout.connected)} SSE subscribers (${fanout.failed} failed), ${fanout.batches} batches × ${fanout.unitsPerBatch} units, ` +
        `${fmtInt(fanout.deliveries)}/${fmtInt(fanout.expectedDeliveries)} frames`,
    );
    out.push(
      table(
        ['Latency from releasedAt', 'p50 ms', 'p99 ms'],
        [
          ['each subscriber, each unit', fanout.perDelivery.p50Ms.toFixed(0), fanout.perDelivery.p99Ms.toFixed(0)],
          ['last subscriber of each unit', fanout.lastSubscriber.p50Ms.toFixed(0), fanout.lastSubscriber.p99Ms.toFixed(0)],
        ],
      ),
    );
  }
  out.push('');
  out.push(
    table(
      ['Goal', 'Value', 'Target', 'Result'],
      goals.map((g) => [g.what, g.unit === 'ms' ? `${g.measured?.toFixed(0)} ms` : fmtRatio(g.measured ?? NaN), g.goal, verdict(g)]),
    ),
  );
  for (const g of goals) out.push(`  ${g.id}: ${g.note}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:api failed: ${errorMessage(err)}\n${err instanceof Error ? (err.stack ?? '') : ''}\n`);
  process.exit(1);
});
