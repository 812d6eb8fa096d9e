// `npm run bench:rollups`: query-time rollups over the 5-minute tables against materialized ones,
// measured on chDB. Generates a year of counts_5m (and smaller devices_5m and flows_5m) for fixed
// res-10 cells around Copenhagen, times the typical history queries through query-api/rollup.ts on
// each path (store alone and the whole rollup call, p50/p99), the insert cost of the views, and bytes
// on disk; prints a table and writes bench-results/rollups.json. README "Rollups" records the decision.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cellToChildren, cellToParent, gridDisk, latLngToCell } from 'h3-js';
import { loadConfig } from '../../shared/config.js';
import { errorMessage } from '../../shared/errors.js';
import { cellToUInt64 } from '../../shared/h3.js';
import { ChdbStore } from '../../shared/store/chdb.js';
import { loadMigrations, migrate } from '../../shared/store/migrate.js';
import type { Params, Store } from '../../shared/store/types.js';
import { DAY_MS } from '../../shared/time.js';
import { groupCells, rollupSql, runRollup, type Bucket, type Rollup, type RollupLimits, type RollupTable } from '../../query-api/rollup.js';
import { fmtBytes, fmtInt, fmtRatio, judge, table, verdict, type Goal } from './report.js';
import { tableStats, type TableStats } from './storage.js';
import { mulberry32 } from '../../ingest/simulate/random.js';

const HELP = `npm run bench:rollups -- [options]

  --cells N          res-10 cells with camera counts (default 200; 25 per res-8 district)
  --days N           days of 5-minute windows from 2025-01-01 (default 365)
  --device-cells N   res-10 cells with Wi-Fi unique devices (default 50; 0: none)
  --flow-cells N     res-10 cells with telco trips, 8 destinations each (default 50; 0: none)
  --runs N           timed runs of each query on each path (default 15; the largest query gets a fifth)
  --seed N           seed of the cell choice (default 42)
  --out FILE         JSON results (default bench-results/rollups.json)
  --keep             keep the chDB folder (printed) instead of removing it
`;

const { values: args } = parseArgs({
  options: {
    cells: { type: 'string', default: '200' },
    days: { type: 'string', default: '365' },
    'device-cells': { type: 'string', default: '50' },
    'flow-cells': { type: 'string', default: '50' },
    runs: { type: 'string', default: '15' },
    seed: { type: 'string', default: '42' },
    out: { type: 'string', default: 'bench-results/rollups.json' },
    keep: { type: 'boolean', default: false },
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
const PER_DISTRICT = 25;
const CHUNK_DAYS = 10;

/** `n` res-10 cells, PER_DISTRICT in each res-8 cell of a spiral around Copenhagen's centre (sensors cluster). */
function pickCells(n: number, seed: number, skipDistricts = 0): string[] {
  const random = mulberry32(seed);
  const districts = gridDisk(latLngToCell(55.6761, 12.5683, 8), 12).slice(skipDistricts);
  const cells: string[] = [];
  for (const d of districts) {
    const children = cellToChildren(d, 10);
    for (let i = children.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [children[i], children[j]] = [children[j]!, children[i]!];
    }
    cells.push(...children.slice(0, Math.min(PER_DISTRICT, n - cells.length)));
    if (cells.length === n) return cells;
  }
  throw new Error(`not enough districts for ${n} cells`);
}

// A weekday profile (morning and evening peaks, a midday shoulder, quiet nights) in the configured
// zone, weekends at 60 %; per cell a base rate of 1–20 people per 5 minutes at the peak.
const PROFILE = `(exp(-pow(h - 8.5, 2) / 3) + 1.2 * exp(-pow(h - 17, 2) / 4) + 0.4 * exp(-pow(h - 13, 2) / 10))
  * if(toDayOfWeek(ws, 0, {tz:String}) >= 6, 0.6, 1.0)`;

/** Camera counts (pedestrian 70 %, cyclist 30 %) for every cell and 5-minute window of [fromDay, toDay); zero rows left out. */
async function loadCounts(store: Store, cells: bigint[], fromDay: number, toDay: number, tz: string): Promise<void> {
  await store.command(
    `INSERT INTO {db:Identifier}.counts_5m (source, cell, window_start, breakdown, entries, exits)
     SELECT 'camera', cell, ws, cls, e, x FROM (
       SELECT {cells:Array(UInt64)}[1 + (number % {n:UInt32})] AS cell,
              toDateTime({start:Int64} + ({w0:UInt32} + intDiv(number, {n:UInt32})) * 300, 'UTC') AS ws,
              toHour(ws, {tz:String}) + toMinute(ws, {tz:String}) / 60 AS h,
              ${PROFILE} AS profile,
              1 + cityHash64(cell) % 20 AS base,
              arrayJoin([('pedestrian', 0.7), ('cyclist', 0.3)]) AS c,
              c.1 AS cls,
              toUInt64(floor(base * profile * c.2 * 2 * (cityHash64(number, cls, 1) % 1000) / 1000)) AS e,
              toUInt64(floor(base * profile * c.2 * 2 * (cityHash64(number, cls, 2) % 1000) / 1000)) AS x
       FROM numbers({rows:UInt64})
     ) WHERE e + x > 0`,
    { cells, n: cells.length, start: START_MS / 1000, w0: fromDay * 288, rows: (toDay - fromDay) * 288 * cells.length, tz },
  );
}

/**
 * Wi-Fi sightings into devices_in (the processors' path: its view makes devices_5m states): per cell
 * and window up to 12 devices at the peak from a pool of 400 pseudonyms per cell and day (they rotate
 * daily), so devices recur across a day's windows; one session per tenth sighting.
 */
async function loadDevices(store: Store, cells: bigint[], fromDay: number, toDay: number, tz: string): Promise<void> {
  await store.command(
    `INSERT INTO {db:Identifier}.devices_in (source, cell, window_start, breakdown, device, sessions, dwell_ms)
     SELECT 'wifi', cell, ws, '', concat(toString(cell), ':', toString(intDiv(toUnixTimestamp(ws), 86400)), ':',
              toString(cityHash64(number, j) % 400)) AS device,
            if(cityHash64(number, j, 1) % 10 = 0, 1, 0) AS sessions, sessions * (60000 + cityHash64(number, j, 2) % 3600000) AS dwell_ms
     FROM (
       SELECT number, {cells:Array(UInt64)}[1 + (number % {n:UInt32})] AS cell,
              toDateTime({start:Int64} + ({w0:UInt32} + intDiv(number, {n:UInt32})) * 300, 'UTC') AS ws,
              toHour(ws, {tz:String}) + toMinute(ws, {tz:String}) / 60 AS h,
              ${PROFILE} AS profile,
              arrayJoin(range(toUInt32(floor((1 + cityHash64(cell) % 12) * profile * (cityHash64(number, 3) % 1000) / 1000)))) AS j
       FROM numbers({rows:UInt64})
     )`,
    { cells, n: cells.length, start: START_MS / 1000, w0: fromDay * 288, rows: (toDay - fromDay) * 288 * cells.length, tz },
  );
}

/** Telco trips from each cell to 8 fixed destinations among the cells, sparse (most windows carry none), two segments. */
async function loadFlows(store: Store, cells: bigint[], fromDay: number, toDay: number, tz: string): Promise<void> {
  await store.command(
    `INSERT INTO {db:Identifier}.flows_5m (source, origin_cell, destination_cell, window_start, breakdown, trips, duration_ms)
     SELECT 'telco', o, d, ws, seg, trips, trips * (300000 + cityHash64(number, k, 5) % 1800000) FROM (
       SELECT number, {cells:Array(UInt64)}[1 + (number % {n:UInt32})] AS o,
              toDateTime({start:Int64} + ({w0:UInt32} + intDiv(number, {n:UInt32})) * 300, 'UTC') AS ws,
              toHour(ws, {tz:String}) + toMinute(ws, {tz:String}) / 60 AS h,
              ${PROFILE} AS profile,
              arrayJoin(range(8)) AS k,
              {cells:Array(UInt64)}[1 + (cityHash64(o, k) % {n:UInt32})] AS d,
              if(cityHash64(number, k, 4) % 4 = 0, 'domestic_visitor', 'resident') AS seg,
              toUInt64(floor(profile * 1.5 * (cityHash64(number, k, 3) % 1000) / 1000)) AS trips
       FROM numbers({rows:UInt64})
     ) WHERE trips > 0`,
    { cells, n: cells.length, start: START_MS / 1000, w0: fromDay * 288, rows: (toDay - fromDay) * 288 * cells.length, tz },
  );
}

// Tables measured but not adopted (created here, not by the migrations): a daily rollup of counts
// in the configured zone (its boundaries are the zone's, so it would have to be rebuilt when
// PASSAGE_TIMEZONE changes), an hourly one at res 8 (each res-8 cell stored as its centre res-10
// child, so rollup.ts's SQL runs on it unchanged), and hourly rollups of the unique-device sketches
// and of the flows, fed by views as counts_1h is. Each is read with rollup.ts's SQL, only the table
// name swapped.
const AGGREGATING = 'ENGINE = AggregatingMergeTree PARTITION BY toYYYYMM(window_start) ORDER BY (source, cell, window_start, breakdown)';
const COUNTS_COLUMNS = `(source LowCardinality(String), cell UInt64, window_start DateTime('UTC'), breakdown LowCardinality(String),
  entries SimpleAggregateFunction(sum, UInt64), exits SimpleAggregateFunction(sum, UInt64)) ${AGGREGATING}`;
const DEVICES_COLUMNS = `(source LowCardinality(String), cell UInt64, window_start DateTime('UTC'), breakdown LowCardinality(String),
  devices AggregateFunction(uniqCombined64, String), sessions SimpleAggregateFunction(sum, UInt64), dwell_ms SimpleAggregateFunction(sum, UInt64))
  ${AGGREGATING} SETTINGS non_replicated_deduplication_window = 10000`;
const FLOWS_COLUMNS = `(source LowCardinality(String), origin_cell UInt64, destination_cell UInt64, window_start DateTime('UTC'),
  breakdown LowCardinality(String), trips SimpleAggregateFunction(sum, UInt64), duration_ms SimpleAggregateFunction(sum, UInt64))
  ENGINE = AggregatingMergeTree PARTITION BY toYYYYMM(window_start) ORDER BY (source, origin_cell, destination_cell, window_start, breakdown)
  SETTINGS non_replicated_deduplication_window = 10000`;
const HOURLY_BUCKET = (q: Query): boolean => q.bucket === '1h' || q.bucket === '1d' || q.bucket === '1w';

interface AlternativeTable {
  of: RollupTable;
  what: string;
  columns: string;
  /** Fed by a view from the start (as in service), else filled by this INSERT … SELECT after the load. */
  view?: string;
  select?: string;
  /** The SQL it is read with: the query-time path's or the hourly path's, its table swapped for this one. */
  base: 'query-time' | 'hourly';
  swaps: string;
  fits: (q: Query) => boolean;
}

const ALTERNATIVES: Record<string, AlternativeTable> = {
  counts_1d_zone: {
    of: 'counts_5m',
    what: 'daily in the zone',
    columns: COUNTS_COLUMNS,
    select: `SELECT source, cell, toStartOfDay(window_start, {tz:String}) AS w, breakdown, sum(entries), sum(exits)
             FROM {db:Identifier}.counts_5m GROUP BY source, cell, w, breakdown`,
    base: 'query-time',
    swaps: 'counts_5m',
    fits: (q) => q.bucket === '1d' || q.bucket === '1w',
  },
  counts_1h_r8: {
    of: 'counts_5m',
    what: 'hourly at res 8',
    columns: COUNTS_COLUMNS,
    select: `SELECT source, h3ToCenterChild(h3ToParent(cell, 8), 10) AS c, window_start, breakdown, sum(entries), sum(exits)
             FROM {db:Identifier}.counts_1h GROUP BY source, c, window_start, breakdown`,
    base: 'hourly',
    swaps: 'counts_1h',
    fits: (q) => q.resolution <= 8 && HOURLY_BUCKET(q),
  },
  devices_1h: {
    of: 'devices_5m',
    what: 'hourly sketches',
    columns: DEVICES_COLUMNS,
    view: `SELECT source, cell, toStartOfHour(window_start) AS window_start, breakdown, uniqCombined64MergeState(devices) AS devices,
             sum(sessions) AS sessions, sum(dwell_ms) AS dwell_ms
           FROM {db:Identifier}.devices_5m GROUP BY source, cell, window_start, breakdown`,
    base: 'query-time',
    swaps: 'devices_5m',
    fits: HOURLY_BUCKET,
  },
  flows_1h: {
    of: 'flows_5m',
    what: 'hourly trips',
    columns: FLOWS_COLUMNS,
    view: `SELECT source, origin_cell, destination_cell, toStartOfHour(window_start) AS window_start, breakdown,
             sum(trips) AS trips, sum(duration_ms) AS duration_ms
           FROM {db:Identifier}.flows_5m GROUP BY source, origin_cell, destination_cell, window_start, breakdown`,
    base: 'query-time',
    swaps: 'flows_5m',
    fits: HOURLY_BUCKET,
  },
};

async function createAlternatives(store: Store, which: 'views' | 'all'): Promise<void> {
  for (const [name, alt] of Object.entries(ALTERNATIVES)) {
    if (which === 'views' && alt.view === undefined) continue;
    await store.command(`CREATE TABLE {db:Identifier}.${name} ${alt.columns}`);
    if (alt.view !== undefined)
      await store.command(`CREATE MATERIALIZED VIEW {db:Identifier}.${name}_mv TO {db:Identifier}.${name} AS ${alt.view}`);
  }
}

interface Query {
  id: string;
  what: string;
  table: RollupTable;
  /** Flows: trips from `cells` to anywhere. */
  toAnywhere?: boolean;
  source: string;
  value: string;
  cells: string[];
  resolution: number;
  bucket: Bucket;
  from: number;
  to: number;
  /** Fewer runs for the largest query. */
  runsDivisor: number;
}

interface Timing {
  runs: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

interface QueryResult {
  id: string;
  what: string;
  resultRows: number;
  /** Store alone (ClickHouse executes the query, output discarded: FORMAT Null). */
  store: Record<string, Timing>;
  /** runRollup: store, JSON transfer and parsing, row mapping. */
  api: Record<string, Timing>;
  /** Results of every path equal the query-time path's. */
  identical: Record<string, boolean>;
  speedupStoreP50: Record<string, number>;
}

function percentile(sorted: number[], p: number): number {
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

function rollupOf(q: Query): Rollup {
  return {
    table: q.table,
    source: q.source,
    axes: q.toAnywhere
      ? [
          { column: 'origin_cell', cells: groupCells('origin', q.cells, q.resolution) },
          { column: 'destination_cell', cells: null },
        ]
      : [{ column: 'cell', cells: groupCells('cells', q.cells, q.resolution) }],
    resolution: q.resolution,
    bucket: q.bucket,
    from: q.from,
    to: q.to,
    breakdown: null,
    splitByBreakdown: false,
    values: { value: q.value },
  };
}

/** The SQL of each path: query-time and hourly as rollup.ts builds them, the alternatives as theirs with the table swapped. */
function pathSql(q: Query, limits: RollupLimits, alternatives: boolean): Record<string, { sql: string; params: Params }> {
  const r = rollupOf(q);
  const queryTime = rollupSql(r, limits, { hourly: false });
  const hourly = rollupSql(r, limits);
  const out: Record<string, { sql: string; params: Params }> = { 'query-time': queryTime };
  if (hourly.tables.length > 1) out.hourly = hourly;
  for (const [name, alt] of Object.entries(ALTERNATIVES)) {
    if (!alternatives || alt.of !== q.table || !alt.fits(q) || (alt.base === 'hourly' && out.hourly === undefined)) continue;
    const base = alt.base === 'hourly' ? hourly : queryTime;
    out[name] = { sql: base.sql.split(`{db:Identifier}.${alt.swaps}`).join(`{db:Identifier}.${name}`), params: base.params };
  }
  return out;
}

async function measureQuery(store: Store, q: Query, limits: RollupLimits, runs: number, alternatives: boolean): Promise<QueryResult> {
  const sqls = pathSql(q, limits, alternatives);
  const paths = Object.keys(sqls);
  const apiPaths = paths.filter((p) => p === 'query-time' || p === 'hourly');
  const r = rollupOf(q);
  // Untimed first: results compared, caches warmed.
  const reference = JSON.stringify(await runRollup(store, r, limits, { hourly: false }));
  const identical: Record<string, boolean> = {};
  const canonical = (rows: Record<string, unknown>[]): string =>
    JSON.stringify(rows.map((x) => [x.out_cell0, x.out_cell1, x.bucket_s, Number(x.v_value)]));
  const base = canonical(await store.query(sqls['query-time']!.sql, sqls['query-time']!.params));
  for (const p of paths) {
    if (p === 'hourly') identical[p] = JSON.stringify(await runRollup(store, r, limits)) === reference;
    else if (p !== 'query-time') identical[p] = canonical(await store.query(sqls[p]!.sql, sqls[p]!.params)) === base;
  }
  const resultRows = (JSON.parse(reference) as unknown[]).length;
  const storeMs: Record<string, number[]> = Object.fromEntries(paths.map((p) => [p, []]));
  const apiMs: Record<string, number[]> = Object.fromEntries(apiPaths.map((p) => [p, []]));
  for (let i = 0; i < runs; i++) {
    // Interleaved, so load from elsewhere on the machine falls on every path alike.
    for (const p of paths) storeMs[p]!.push(await timed(() => store.queryRaw(sqls[p]!.sql, sqls[p]!.params, 'Null')));
    for (const p of apiPaths) apiMs[p]!.push(await timed(() => runRollup(store, r, limits, { hourly: p === 'hourly' })));
  }
  const storeT = Object.fromEntries(paths.map((p) => [p, timing(storeMs[p]!)]));
  return {
    id: q.id,
    what: q.what,
    resultRows,
    store: storeT,
    api: Object.fromEntries(apiPaths.map((p) => [p, timing(apiMs[p]!)])),
    identical,
    speedupStoreP50: Object.fromEntries(paths.map((p) => [p, storeT['query-time']!.p50Ms / storeT[p]!.p50Ms])),
  };
}

interface InsertResult {
  what: string;
  rowsPerInsert: number;
  inserts: number;
  /** Per insert, ms, without and with the hourly views. */
  plain: Timing;
  withViews: Timing;
  overheadP50: number;
}

/** Processor-like writes (JSONEachRow with a deduplication token), alternating between a database without and one with the hourly views. */
async function measureStreamInserts(
  plain: Store,
  withViews: Store,
  table: 'counts_5m' | 'devices_in' | 'flows_5m',
  cells: bigint[],
  inserts: number,
): Promise<InsertResult> {
  const windowsPerInsert = 12;
  const rowsFor = (k: number): Record<string, unknown>[] => {
    const rows: Record<string, unknown>[] = [];
    for (let w = 0; w < windowsPerInsert; w++) {
      const ws = START_MS / 1000 + (k * windowsPerInsert + w) * 300;
      for (const cell of cells) {
        if (table === 'counts_5m') {
          rows.push({ source: 'camera', cell, window_start: ws, breakdown: 'pedestrian', entries: 1 + (k % 7), exits: 1 + (w % 5) });
          rows.push({ source: 'camera', cell, window_start: ws, breakdown: 'cyclist', entries: 1 + (w % 3), exits: 1 });
        } else if (table === 'flows_5m') {
          for (let d = 0; d < 8; d += 2) {
            const destination = cells[(cells.indexOf(cell) + d + k) % cells.length]!;
            rows.push({
              source: 'telco',
              origin_cell: cell,
              destination_cell: destination,
              window_start: ws,
              breakdown: 'resident',
              trips: 1,
              duration_ms: 900_000,
            });
          }
        } else {
          for (let d = 0; d < 8; d++) {
            rows.push({
              source: 'wifi',
              cell,
              window_start: ws,
              breakdown: '',
              device: `${cell}:${k}:${(w * 3 + d) % 40}`,
              sessions: d === 0 ? 1 : 0,
              dwell_ms: d === 0 ? 600_000 : 0,
            });
          }
        }
      }
    }
    return rows;
  };
  const plainMs: number[] = [];
  const viewsMs: number[] = [];
  let rowsPerInsert = 0;
  for (let k = 0; k < inserts; k++) {
    const rows = rowsFor(k);
    rowsPerInsert = rows.length;
    const [first, second] = k % 2 === 0 ? [plain, withViews] : [withViews, plain];
    const a = await timed(() => first.insert(table, rows, { dedupToken: `bench:${table}:${k}` }));
    const b = await timed(() => second.insert(table, rows, { dedupToken: `bench:${table}:${k}` }));
    (first === plain ? plainMs : viewsMs).push(a);
    (second === plain ? plainMs : viewsMs).push(b);
  }
  const p = timing(plainMs);
  const v = timing(viewsMs);
  return {
    what: { counts_5m: 'counts_5m (→ counts_1h)', flows_5m: 'flows_5m (→ flows_1h)', devices_in: 'devices_in (→ devices_5m → devices_1h)' }[
      table
    ],
    rowsPerInsert,
    inserts,
    plain: p,
    withViews: v,
    overheadP50: v.p50Ms / p.p50Ms,
  };
}

interface BulkResult {
  what: string;
  rows: number;
  plainSeconds: number;
  withViewsSeconds: number;
  overhead: number;
}

/** The same generated chunk loaded 3 times into each database, alternating; medians. */
async function measureBulk(
  plain: Store,
  withViews: Store,
  what: string,
  load: (s: Store) => Promise<void>,
  rowsOf: (s: Store) => Promise<number>,
): Promise<BulkResult> {
  const p: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < 3; i++) {
    p.push(await timed(() => load(plain)));
    v.push(await timed(() => load(withViews)));
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[1]! / 1000;
  return { what, rows: (await rowsOf(plain)) / 3, plainSeconds: median(p), withViewsSeconds: median(v), overhead: median(v) / median(p) };
}

async function rowCount(s: Store, t: string): Promise<number> {
  const [r] = await s.query<{ n: string }>('SELECT count() AS n FROM {db:Identifier}.{t:Identifier}', { t });
  return Number(r?.n ?? 0);
}

async function main(): Promise<void> {
  if (args.help) {
    process.stdout.write(HELP);
    return;
  }
  const cellCount = count('cells', args.cells);
  const days = count('days', args.days, 35);
  const deviceCellCount = count('device-cells', args['device-cells'], 0);
  const flowCellCount = count('flow-cells', args['flow-cells'], 0);
  const runs = count('runs', args.runs);
  const seed = count('seed', args.seed);
  const config = loadConfig();
  const tz = config.timeZone;
  const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
  const outFile = path.resolve(repoRoot, args.out);
  const runId = `bench${Date.now().toString(36)}`;
  const chdbPath = path.join(os.tmpdir(), `passage-${runId}-chdb`);
  const started = new Date();
  const t0 = performance.now();
  const loadAtStart = os.loadavg();
  say(
    `${os.cpus().length} cpus (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}; ` +
      `${fmtInt(cellCount)} camera cells × ${days} days, ${fmtInt(deviceCellCount)} Wi-Fi cells, ${fmtInt(flowCellCount)} telco cells, zone ${tz}`,
  );

  const cells = pickCells(cellCount, seed);
  const cellIds = cells.map(cellToUInt64);
  const deviceCells = deviceCellCount === 0 ? [] : pickCells(deviceCellCount, seed + 1, Math.ceil(cellCount / PER_DISTRICT));
  const deviceIds = deviceCells.map(cellToUInt64);
  const flowCells = cells.slice(0, Math.min(flowCellCount, cells.length));
  const flowIds = flowCells.map(cellToUInt64);

  const main = new ChdbStore(chdbPath, `${runId}_main`);
  const plain = new ChdbStore(chdbPath, `${runId}_plain`);
  const withViews = new ChdbStore(chdbPath, `${runId}_views`);
  try {
    await migrate(main);
    await migrate(withViews);
    await migrate(
      plain,
      loadMigrations().filter((m) => m.version !== 7),
    );
    await createAlternatives(main, 'views');
    await createAlternatives(withViews, 'views');

    // Insert cost of the views.
    say('insert cost of the hourly views: bulk loads and processor-like writes, with and without them…');
    const bulk: BulkResult[] = [];
    const stream: InsertResult[] = [];
    bulk.push(
      await measureBulk(
        plain,
        withViews,
        `counts_5m, ${cellCount} cells × 30 days (INSERT … SELECT)`,
        (s) => loadCounts(s, cellIds, 0, 30, tz),
        (s) => rowCount(s, 'counts_5m'),
      ),
    );
    stream.push(await measureStreamInserts(plain, withViews, 'counts_5m', cellIds, 60));
    if (deviceIds.length > 0) {
      bulk.push(
        await measureBulk(
          plain,
          withViews,
          `devices_in, ${deviceIds.length} cells × 7 days (INSERT … SELECT)`,
          (s) => loadDevices(s, deviceIds, 0, 7, tz),
          (s) => rowCount(s, 'devices_5m'),
        ),
      );
      stream.push(await measureStreamInserts(plain, withViews, 'devices_in', deviceIds, 30));
    }
    if (flowIds.length > 0) {
      bulk.push(
        await measureBulk(
          plain,
          withViews,
          `flows_5m, ${flowIds.length} cells × 30 days (INSERT … SELECT)`,
          (s) => loadFlows(s, flowIds, 0, 30, tz),
          (s) => rowCount(s, 'flows_5m'),
        ),
      );
      stream.push(await measureStreamInserts(plain, withViews, 'flows_5m', flowIds, 30));
    }
    for (const b of bulk)
      say(
        `  bulk ${b.what}: ${b.plainSeconds.toFixed(2)} s plain, ${b.withViewsSeconds.toFixed(2)} s with views (${fmtRatio(b.overhead)})`,
      );
    for (const s of stream)
      say(
        `  writes ${s.what}, ${fmtInt(s.rowsPerInsert)} rows each: p50 ${s.plain.p50Ms.toFixed(1)} ms plain, ${s.withViews.p50Ms.toFixed(1)} ms with views`,
      );

    // The data set, through the views as in service.
    const loads: { what: string; cells: bigint[]; load: typeof loadCounts }[] = [
      { what: 'camera counts → counts_5m', cells: cellIds, load: loadCounts },
      { what: 'Wi-Fi sightings → devices_5m', cells: deviceIds, load: loadDevices },
      { what: 'telco trips → flows_5m', cells: flowIds, load: loadFlows },
    ];
    const loadSeconds: Record<string, number> = {};
    for (const l of loads.filter((x) => x.cells.length > 0)) {
      say(`generating ${fmtInt(l.cells.length)} cells × ${days} days of ${l.what}…`);
      let seconds = 0;
      for (let d = 0; d < days; d += CHUNK_DAYS) {
        seconds += (await timed(() => l.load(main, l.cells, d, Math.min(days, d + CHUNK_DAYS), tz))) / 1000;
        say(`  day ${Math.min(days, d + CHUNK_DAYS)}/${days} (${seconds.toFixed(1)} s)`);
      }
      loadSeconds[l.what] = seconds;
    }
    say('building the alternatives filled after the load (daily in the zone, hourly at res 8)…');
    for (const [name, alt] of Object.entries(ALTERNATIVES)) {
      if (alt.select === undefined) continue;
      await main.command(`CREATE TABLE {db:Identifier}.${name} ${alt.columns}`);
      await main.command(`INSERT INTO {db:Identifier}.${name} ${alt.select}`, { tz });
    }
    say('merging every table (OPTIMIZE … FINAL) and measuring bytes on disk…');
    const storage: TableStats[] = await tableStats(main, [
      'counts_5m',
      'counts_1h',
      'counts_1d_zone',
      'counts_1h_r8',
      ...(deviceIds.length > 0 ? ['devices_5m', 'devices_1h'] : []),
      ...(flowIds.length > 0 ? ['flows_5m', 'flows_1h'] : []),
    ]);

    // The queries.
    const limits: RollupLimits = { timeZone: tz, maxRows: 10_000_000, timeoutMs: 600_000 };
    const endMs = START_MS + days * DAY_MS;
    const monthFrom = START_MS + 31 * DAY_MS;
    const monthTo = monthFrom + 30 * DAY_MS;
    const district = [...new Set(cells.map((c) => cellToParent(c, 8)))].slice(0, 2);
    const res7 = [...new Set(cells.map((c) => cellToParent(c, 7)))];
    const span = `${days} days`;
    const queries: Query[] = [
      {
        id: 'all_cells_hourly',
        what: `${span}, hourly, all ${cellCount} cells, res 10`,
        table: 'counts_5m',
        source: 'camera',
        value: 'sum(entries) + sum(exits)',
        cells,
        resolution: 10,
        bucket: '1h',
        from: START_MS,
        to: endMs,
        runsDivisor: 5,
      },
      {
        id: 'month_100_cells_hourly',
        what: `30 days, hourly, ${Math.min(100, cellCount)} cells, res 10`,
        table: 'counts_5m',
        source: 'camera',
        value: 'sum(entries) + sum(exits)',
        cells: cells.slice(0, 100),
        resolution: 10,
        bucket: '1h',
        from: monthFrom,
        to: monthTo,
        runsDivisor: 1,
      },
      {
        id: 'district_daily_r8',
        what: `${span}, daily, a district (${district.length} res-8 cells), res 8`,
        table: 'counts_5m',
        source: 'camera',
        value: 'sum(entries) + sum(exits)',
        cells: district,
        resolution: 8,
        bucket: '1d',
        from: START_MS,
        to: endMs,
        runsDivisor: 1,
      },
      {
        id: 'city_weekly_r7',
        what: `${span}, weekly, all cells as ${res7.length} res-7 cells`,
        table: 'counts_5m',
        source: 'camera',
        value: 'sum(entries) + sum(exits)',
        cells: res7,
        resolution: 7,
        bucket: '1w',
        from: START_MS,
        to: endMs,
        runsDivisor: 1,
      },
      {
        id: 'month_100_cells_15m',
        what: `30 days, 15m, ${Math.min(100, cellCount)} cells, res 10 (5-minute table on every path)`,
        table: 'counts_5m',
        source: 'camera',
        value: 'sum(entries) + sum(exits)',
        cells: cells.slice(0, 100),
        resolution: 10,
        bucket: '15m',
        from: monthFrom,
        to: monthTo,
        runsDivisor: 1,
      },
    ];
    if (deviceIds.length > 0) {
      queries.push(
        {
          id: 'devices_month_hourly',
          what: `Wi-Fi unique visitors: 30 days, hourly, ${deviceIds.length} cells, res 10`,
          table: 'devices_5m',
          source: 'wifi',
          value: 'uniqCombined64Merge(devices)',
          cells: deviceCells,
          resolution: 10,
          bucket: '1h',
          from: monthFrom,
          to: monthTo,
          runsDivisor: 1,
        },
        {
          id: 'devices_weekly_r8',
          what: `Wi-Fi unique visitors: ${span}, weekly, ${deviceIds.length} cells as their res-8 cells`,
          table: 'devices_5m',
          source: 'wifi',
          value: 'uniqCombined64Merge(devices)',
          cells: [...new Set(deviceCells.map((c) => cellToParent(c, 8)))],
          resolution: 8,
          bucket: '1w',
          from: START_MS,
          to: endMs,
          runsDivisor: 1,
        },
      );
    }
    if (flowIds.length > 0) {
      const origins8 = [...new Set(flowCells.map((c) => cellToParent(c, 8)))];
      queries.push(
        {
          id: 'flows_month_hourly',
          what: `telco trips: 30 days, hourly, from ${flowIds.length} cells to anywhere, res 10`,
          table: 'flows_5m',
          toAnywhere: true,
          source: 'telco',
          value: 'sum(trips)',
          cells: flowCells,
          resolution: 10,
          bucket: '1h',
          from: monthFrom,
          to: monthTo,
          runsDivisor: 1,
        },
        {
          id: 'flows_weekly_r8',
          what: `telco trips: ${span}, weekly, from ${origins8.length} res-8 cells to anywhere, res 8`,
          table: 'flows_5m',
          toAnywhere: true,
          source: 'telco',
          value: 'sum(trips)',
          cells: origins8,
          resolution: 8,
          bucket: '1w',
          from: START_MS,
          to: endMs,
          runsDivisor: 1,
        },
      );
    }
    const results: QueryResult[] = [];
    for (const [i, q] of queries.entries()) {
      const n = Math.max(3, Math.round(runs / q.runsDivisor));
      say(`query ${i + 1}/${queries.length}: ${q.what} — ${n} runs per path…`);
      const r = await measureQuery(main, q, limits, n, true);
      results.push(r);
      say(
        `  ${fmtInt(r.resultRows)} rows; store p50 ` +
          Object.entries(r.store)
            .map(([p, t]) => `${p} ${t.p50Ms.toFixed(0)} ms`)
            .join(', '),
      );
    }

    const goals = evaluate(results);
    const result = {
      benchmark: 'rollups',
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
        timeZone: tz,
        from: new Date(START_MS).toISOString(),
        days,
        cameraCells: cellCount,
        wifiCells: deviceIds.length,
        telcoCells: flowIds.length,
        cellsPerDistrict: PER_DISTRICT,
        seed,
        loadSeconds,
      },
      storage,
      inserts: { bulk, stream },
      queries: results,
      goals,
    };
    mkdirSync(path.dirname(outFile), { recursive: true });
    writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
    printReport(result, results, storage, bulk, stream, goals);
    process.stdout.write(`\nJSON: ${path.relative(process.cwd(), outFile)} (${((performance.now() - t0) / 1000).toFixed(0)} s in all)\n`);
  } finally {
    await main.close();
    await plain.close();
    await withViews.close();
    if (args.keep) say(`chDB folder kept: ${chdbPath}`);
    else rmSync(chdbPath, { recursive: true, force: true });
  }
}

function evaluate(results: QueryResult[]): Goal[] {
  const month = results.find((r) => r.id === 'month_100_cells_hourly')!;
  const served = month.api.hourly ?? month.api['query-time']!;
  const servedStore = month.store.hourly ?? month.store['query-time']!;
  const qt = month.api['query-time']!;
  return [
    judge({
      id: 'month_100_cells_p99',
      what: 'one month × 100 cells hourly, rollup call p99 (as served: counts_1h)',
      goal: 'p99 < 100 ms (issue 5)',
      target: 100,
      direction: 'at most',
      unit: 'ms',
      measured: served.p99Ms,
      note: `Query-time path: p50 ${qt.p50Ms.toFixed(0)} ms, p99 ${qt.p99Ms.toFixed(0)} ms. ${month.resultRows} rows.`,
    }),
    judge({
      id: 'api_over_store',
      what: 'one month × 100 cells hourly, rollup call ÷ store alone (p50)',
      goal: '≤ 1.3× (issue 5)',
      target: 1.3,
      direction: 'at most',
      unit: '×',
      measured: served.p50Ms / servedStore.p50Ms,
      note:
        `Store alone p50 ${servedStore.p50Ms.toFixed(1)} ms, rollup call p50 ${served.p50Ms.toFixed(1)} ms: the rest is JSON transfer, ` +
        `parsing and mapping ${month.resultRows} rows in Node.`,
    }),
  ];
}

function ms(t: Timing | undefined): string {
  return t === undefined ? '-' : `${t.p50Ms.toFixed(0)} / ${t.p99Ms.toFixed(0)}`;
}

const PATH_NAMES: Record<string, string> = {
  'query-time': 'query time (5-minute table)',
  hourly: 'counts_1h (adopted; as served)',
  ...Object.fromEntries(Object.entries(ALTERNATIVES).map(([name, alt]) => [name, `${name}: ${alt.what} (not adopted)`])),
};

function printReport(
  result: {
    machine: { cpus: number; cpuModel: string | null; node: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
    input: { days: number; cameraCells: number; wifiCells: number; telcoCells: number; timeZone: string };
  },
  results: QueryResult[],
  storage: TableStats[],
  bulk: BulkResult[],
  stream: InsertResult[],
  goals: Goal[],
): void {
  const { machine, input } = result;
  const out: string[] = [];
  out.push(`Passage rollup benchmark — ${machine.cpus} cpus (${machine.cpuModel ?? '?'}), node ${machine.node}, chDB`);
  out.push(
    `Data: ${input.cameraCells} camera cells (2 classes), ${input.wifiCells} Wi-Fi cells, ${input.telcoCells} telco cells × ${input.days} days ` +
      `of 5-minute windows; zone ${input.timeZone}; load average ${machine.loadAverageAtStart.map((l) => l.toFixed(1)).join(' ')} at start, ` +
      `${machine.loadAverageAtEnd.map((l) => l.toFixed(1)).join(' ')} at end`,
  );
  out.push('');
  out.push('Queries, ms p50 / p99 — store: ClickHouse alone (FORMAT Null); call: runRollup (store, JSON transfer and parsing, mapping)');
  const rows: string[][] = [];
  for (const r of results) {
    for (const [p, t] of Object.entries(r.store)) {
      const call = r.api[p];
      rows.push([
        p === 'query-time' ? r.what : '',
        p === 'query-time' ? fmtInt(r.resultRows) : '',
        PATH_NAMES[p] ?? p,
        ms(t),
        p === 'query-time' ? '' : fmtRatio(r.speedupStoreP50[p]!),
        ms(call),
        p === 'query-time' ? '' : r.identical[p] ? 'yes' : 'NO',
      ]);
    }
  }
  out.push(table(['Query', 'Rows', 'Path', 'Store', 'Speed-up', 'Call', 'Same rows'], rows));
  out.push('');
  out.push('Bytes on disk (merged)');
  out.push(
    table(
      ['Table', 'Rows', 'Bytes', 'B/row'],
      storage.map((s) => [s.table, fmtInt(s.rows), fmtBytes(s.bytesOnDisk), s.rows === 0 ? '-' : (s.bytesOnDisk / s.rows).toFixed(1)]),
    ),
  );
  out.push('');
  out.push('Insert cost of the views');
  out.push(
    table(
      ['Insert', 'Rows', 'Without views', 'With views', 'Ratio'],
      [
        ...bulk.map((b) => [
          b.what,
          fmtInt(b.rows),
          `${b.plainSeconds.toFixed(2)} s`,
          `${b.withViewsSeconds.toFixed(2)} s`,
          fmtRatio(b.overhead),
        ]),
        ...stream.map((s) => [
          `${s.what}, ${s.inserts} processor-like writes, p50 / p99`,
          fmtInt(s.rowsPerInsert),
          `${s.plain.p50Ms.toFixed(1)} / ${s.plain.p99Ms.toFixed(1)} ms`,
          `${s.withViews.p50Ms.toFixed(1)} / ${s.withViews.p99Ms.toFixed(1)} ms`,
          fmtRatio(s.overheadP50),
        ]),
      ],
    ),
  );
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
  process.stderr.write(`bench:rollups failed: ${errorMessage(err)}\n${err instanceof Error ? (err.stack ?? '') : ''}\n`);
  process.exit(1);
});
