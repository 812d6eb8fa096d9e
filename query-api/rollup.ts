// The one query builder behind every history route: rows of a 5-minute table (counts_5m,
// devices_5m, flows_5m) rolled up at query time to an H3 resolution (h3ToParent on each cell column)
// and a time bucket (1d/1w in PASSAGE_TIMEZONE), filtered by cells, source and breakdown, optionally
// split by breakdown. 1h/1d/1w buckets of counts read their hourly rollup (migration 0007) for the
// hours it holds completely, when the time zone's offsets are whole hours (README, "Rollups"). Only fixed
// SQL fragments are chosen here (tables, columns and the aggregates the routes name); every value is
// a bound parameter.

import { BASE_RESOLUTION, cellResolution, cellToUInt64, uint64ToCell } from '../shared/h3.js';
import { badRequest, type FieldError } from '../shared/errors.js';
import type { Params, Store } from '../shared/store/types.js';
import { IANAZone } from 'luxon';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../shared/time.js';

export const BUCKETS = {
  '5m': { sql: 'window_start', ms: 5 * MINUTE_MS },
  '15m': { sql: 'toStartOfInterval(window_start, INTERVAL 15 MINUTE, {tz:String})', ms: 15 * MINUTE_MS },
  '1h': { sql: 'toStartOfHour(window_start, {tz:String})', ms: HOUR_MS },
  '1d': { sql: 'toStartOfDay(window_start, {tz:String})', ms: DAY_MS + HOUR_MS },
  '1w': { sql: 'toDateTime(toMonday(window_start, {tz:String}), {tz:String})', ms: 7 * DAY_MS + HOUR_MS },
} as const;
export type Bucket = keyof typeof BUCKETS;

export type RollupTable = 'counts_5m' | 'devices_5m' | 'flows_5m';

/**
 * The hourly rollup of each 5-minute table (migration 0007): the same columns, window_start the UTC
 * hour. NOTE: only counts have one. Measured (bench:rollups), merging hourly unique-device sketches
 * was no faster than merging the 5-minute ones (the work is in the sketches' elements, not the
 * rows), and sparse flows shrink only 2.3× per hour: 1.4–1.8× faster for half as many bytes again.
 */
export const HOURLY: Record<RollupTable, { table: string; columns: readonly string[] } | null> = {
  counts_5m: { table: 'counts_1h', columns: ['source', 'cell', 'window_start', 'breakdown', 'entries', 'exits'] },
  devices_5m: null,
  flows_5m: null,
};

/** Buckets that are whole UTC hours wherever the zone's offset is a whole number of hours. */
const HOURLY_BUCKETS: ReadonlySet<Bucket> = new Set(['1h', '1d', '1w']);

/**
 * Checks requested cells (of parameter `field`) against the output resolution; returns them grouped
 * by their own resolution, as the store holds cells (UInt64).
 */
export function groupCells(field: string, cells: string[], resolution: number): Map<number, bigint[]> {
  const errors: FieldError[] = [];
  const byRes = new Map<number, bigint[]>();
  for (const c of cells) {
    const r = cellResolution(c);
    if (r === null || r < 7 || r > 10) errors.push({ field, reason: `${c} is not an H3 cell of resolution 7 to 10` });
    else if (r > resolution) errors.push({ field, reason: `${c} (resolution ${r}) is finer than the requested resolution ${resolution}` });
    else byRes.set(r, [...(byRes.get(r) ?? []), cellToUInt64(c.toLowerCase())]);
  }
  if (errors.length > 0) throw badRequest('invalid_cells', errors.map((e) => e.reason).join('; '), errors.slice(0, 20));
  return byRes;
}

const DIGIT_BITS = 3n;
const RES_SHIFT = 52n;

/**
 * The UInt64 range [lo, hi] holding every base-resolution (10) descendant of `cell` (resolution
 * r ≤ 10) and no other base cell: the same mode, base cell and digits 1..r, resolution 10, digits
 * r+1..10 anything, digits 11..15 unused (7).
 */
export function descendantRange(cell: bigint, resolution: number): [bigint, bigint] {
  const free = ((1n << (DIGIT_BITS * BigInt(15 - resolution))) - 1n) ^ ((1n << (DIGIT_BITS * BigInt(15 - BASE_RESOLUTION))) - 1n);
  const lo = ((cell & ~(0xfn << RES_SHIFT)) | (BigInt(BASE_RESOLUTION) << RES_SHIFT)) & ~free;
  return [lo, lo | free];
}

/** At most this many key ranges per cell column; more are joined across their smallest gaps. */
const MAX_KEY_RANGES = 32;

/** The descendant ranges of `cells`, sorted, overlapping ones joined, at most MAX_KEY_RANGES (a superset). */
export function keyRanges(cells: bigint[]): [bigint, bigint][] {
  const ranges = cells
    .map((c) => descendantRange(c, cellResolution(uint64ToCell(c)) ?? BASE_RESOLUTION))
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const merged: [bigint, bigint][] = [];
  for (const [lo, hi] of ranges) {
    const last = merged.at(-1);
    if (last !== undefined && lo <= last[1] + 1n) last[1] = hi > last[1] ? hi : last[1];
    else merged.push([lo, hi]);
  }
  while (merged.length > MAX_KEY_RANGES) {
    let best = 1;
    for (let k = 2; k < merged.length; k++) if (merged[k]![0] - merged[k - 1]![1] < merged[best]![0] - merged[best - 1]![1]) best = k;
    merged[best - 1]![1] = merged[best]![1];
    merged.splice(best, 1);
  }
  return merged;
}

/** One cell column of the table: rolled up to the output resolution, kept to the requested cells. */
export interface CellAxis {
  column: 'cell' | 'origin_cell' | 'destination_cell';
  /** Requested cells by resolution (groupCells); null: any cell. */
  cells: Map<number, bigint[]> | null;
}

export interface Rollup {
  table: RollupTable;
  source: string;
  /** The cell columns; each output row has one rolled-up cell per axis, in this order. */
  axes: CellAxis[];
  resolution: number;
  bucket: Bucket;
  /** Buckets starting in [from, to) are returned, each whole. */
  from: number;
  to: number;
  /** Only rows of this breakdown value (null: all). */
  breakdown: string | null;
  /** One output row per breakdown value instead of one over all of them. */
  splitByBreakdown: boolean;
  /** Output values: name → aggregate over the table's columns (a fixed fragment). */
  values: Record<string, string>;
  /** A group is returned only when this aggregate condition holds (a fixed fragment). */
  having?: string;
}

export interface RollupRow {
  cells: string[];
  bucketStartMs: number;
  /** With splitByBreakdown: the breakdown value, null for rows that carried none (''). */
  breakdown?: string | null;
  values: Record<string, number>;
}

export interface RollupLimits {
  timeZone: string;
  maxRows: number;
  timeoutMs: number;
}

const wholeHourMonths = new Map<string, boolean>();

/**
 * True when every offset of `timeZone` from `fromMs` to `toMs` is a whole number of hours, so its
 * hour, day and week boundaries fall on UTC hours. Checked per UTC month (its first instant, every
 * 7 days, its last; Intl is slow) and cached.
 */
export function wholeHourOffsets(timeZone: string, fromMs: number, toMs: number): boolean {
  const zone = IANAZone.create(timeZone);
  const first = new Date(fromMs);
  const monthStart = (m: number): number => Date.UTC(Math.floor(m / 12), m % 12);
  for (let month = first.getUTCFullYear() * 12 + first.getUTCMonth(); monthStart(month) < toMs; month++) {
    const key = `${timeZone}:${month}`;
    let whole = wholeHourMonths.get(key);
    if (whole === undefined) {
      const start = monthStart(month);
      const end = monthStart(month + 1) - 1;
      whole = true;
      for (let t = start; whole && t < end; t += 7 * DAY_MS) whole = zone.offset(t) % 60 === 0;
      whole &&= zone.offset(end) % 60 === 0;
      wholeHourMonths.set(key, whole);
    }
    if (!whole) return false;
  }
  return true;
}

export interface RollupPlan {
  /** The tables read: the 5-minute table, its hourly rollup, or both (split at the hourly one's coverage). */
  tables: string[];
}

/**
 * The SQL and parameters of a rollup (what runRollup runs). `hourly: false` keeps to the 5-minute
 * table (the query-time rollup the hourly tables must agree with).
 */
export function rollupSql(q: Rollup, limits: RollupLimits, opts: { hourly?: boolean } = {}): { sql: string; params: Params } & RollupPlan {
  const params: Params = {
    resolution: q.resolution,
    source: q.source,
    tz: limits.timeZone,
    // Windows of buckets that start before `to` may reach past it (a whole 1w bucket at most).
    scanFrom: Math.floor(q.from / 1000),
    scanTo: Math.ceil((q.to + BUCKETS[q.bucket].ms) / 1000),
    fromS: Math.floor(q.from / 1000),
    toS: Math.ceil(q.to / 1000),
    limit: limits.maxRows + 1,
  };
  const where = [
    'source = {source:String}',
    "window_start >= toDateTime({scanFrom:Int64}, 'UTC') AND window_start < toDateTime({scanTo:Int64}, 'UTC')",
  ];
  q.axes.forEach((axis, i) => {
    if (axis.cells === null) return;
    const anyOf: string[] = [];
    for (const [res, cells] of axis.cells) {
      params[`a${i}c${res}`] = cells;
      if (res === BASE_RESOLUTION) anyOf.push(`${axis.column} IN {a${i}c${res}:Array(UInt64)}`);
      else {
        anyOf.push(`h3ToParent(${axis.column}, {a${i}r${res}:UInt8}) IN {a${i}c${res}:Array(UInt64)}`);
        params[`a${i}r${res}`] = res;
      }
    }
    where.push(`(${anyOf.join(' OR ')})`);
    // h3ToParent hides the cell from the primary key; the ranges that hold each coarser cell's
    // base-resolution descendants let ClickHouse skip the granules of other cells.
    if ([...axis.cells.keys()].some((r) => r !== BASE_RESOLUTION)) {
      const ranges = keyRanges([...axis.cells.values()].flat());
      where.push(`(${ranges.map((_, k) => `${axis.column} BETWEEN {a${i}lo${k}:UInt64} AND {a${i}hi${k}:UInt64}`).join(' OR ')})`);
      ranges.forEach(([lo, hi], k) => {
        params[`a${i}lo${k}`] = lo;
        params[`a${i}hi${k}`] = hi;
      });
    }
  });
  if (q.breakdown !== null) {
    where.push('breakdown = {breakdown:String}');
    params.breakdown = q.breakdown;
  }
  const filter = where.join('\n      AND ');
  const hourly =
    opts.hourly !== false && HOURLY_BUCKETS.has(q.bucket) && wholeHourOffsets(limits.timeZone, q.from, q.to + BUCKETS[q.bucket].ms)
      ? HOURLY[q.table]
      : null;
  let from = `{db:Identifier}.${q.table}\n    WHERE ${filter}`;
  if (hourly !== null) {
    // NOTE: the coverage is read inside the query (a scalar subquery, a constant by the time the
    // primary key is consulted), so it is never stale; no row means no coverage (far future).
    params.hourly = hourly.table;
    const seam =
      "coalesce((SELECT maxOrNull(complete_from) FROM {db:Identifier}.rollup_coverage WHERE rollup_table = {hourly:String}), toDateTime(4294967295, 'UTC'))";
    const columns = hourly.columns.join(', ');
    from = `(
      SELECT ${columns} FROM {db:Identifier}.${q.table} WHERE ${filter} AND window_start < ${seam}
      UNION ALL
      SELECT ${columns} FROM {db:Identifier}.${hourly.table} WHERE ${filter} AND window_start >= ${seam}
    )`;
  }
  const groups = [...q.axes.map((_, i) => `out_cell${i}`), 'bucket_s', ...(q.splitByBreakdown ? ['out_breakdown'] : [])];
  const names = Object.keys(q.values);
  // NOTE: values get a prefix so their aliases never shadow a column inside an aggregate.
  const sql = `
    SELECT ${q.axes.map((a, i) => `h3ToString(h3ToParent(${a.column}, {resolution:UInt8})) AS out_cell${i}`).join(', ')},
           toUnixTimestamp(${BUCKETS[q.bucket].sql}) AS bucket_s,
           ${q.splitByBreakdown ? 'breakdown AS out_breakdown,' : ''}
           ${names.map((n) => `${q.values[n]} AS v_${n}`).join(', ')}
    FROM ${from}
    GROUP BY ${groups.join(', ')}
    HAVING bucket_s >= {fromS:Int64} AND bucket_s < {toS:Int64}${q.having === undefined ? '' : ` AND (${q.having})`}
    ORDER BY ${groups.join(', ')}
    LIMIT {limit:UInt32}`;
  return { sql, params, tables: hourly === null ? [q.table] : [q.table, hourly.table] };
}

export async function runRollup(store: Store, q: Rollup, limits: RollupLimits, opts: { hourly?: boolean } = {}): Promise<RollupRow[]> {
  const { sql, params } = rollupSql(q, limits, opts);
  const names = Object.keys(q.values);
  // NOTE: one JSON array per column (in SELECT order) parses about 3× faster than a JSON object per
  // row, which is most of a large answer's time outside the store (bench:rollups).
  const raw = await store.queryRaw(sql, params, 'JSONCompactColumns', { timeoutMs: limits.timeoutMs });
  const columns = JSON.parse(raw.toString('utf8')) as (string | number)[][];
  const n = columns[0]?.length ?? 0;
  if (n > limits.maxRows) {
    throw badRequest(
      'result_too_large',
      `the result has more than ${limits.maxRows} rows; ask for fewer cells, a shorter period or a coarser bucket or resolution`,
    );
  }
  const cellCols = q.axes.map((_, i) => columns[i]!);
  const bucketCol = columns[q.axes.length]!;
  const breakdownCol = q.splitByBreakdown ? columns[q.axes.length + 1]! : null;
  const valueCols = names.map((_, k) => columns[q.axes.length + 1 + (q.splitByBreakdown ? 1 : 0) + k]!);
  const rows: RollupRow[] = new Array<RollupRow>(n);
  for (let j = 0; j < n; j++) {
    const values: Record<string, number> = {};
    names.forEach((name, k) => (values[name] = Number(valueCols[k]![j])));
    rows[j] = {
      cells: cellCols.map((c) => String(c[j])),
      bucketStartMs: Number(bucketCol[j]) * 1000,
      ...(breakdownCol === null ? {} : { breakdown: breakdownCol[j] === '' ? null : String(breakdownCol[j]) }),
      values,
    };
  }
  return rows;
}
