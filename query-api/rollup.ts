// The one query builder behind every history route: rows of a 5-minute table (counts_5m,
// devices_5m, flows_5m) rolled up at query time to an H3 resolution (h3ToParent on each cell column)
// and a time bucket (1d/1w in PASSAGE_TIMEZONE), filtered by cells, source and breakdown, optionally
// split by breakdown. Only fixed SQL fragments are chosen here (tables, columns and the aggregates
// the routes name); every value is a bound parameter.

import { cellResolution, cellToUInt64, uint64ToCell } from '../shared/h3.js';
import { badRequest, type FieldError } from '../shared/errors.js';
import type { Params, Store } from '../shared/store/types.js';
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

export async function runRollup(store: Store, q: Rollup, limits: RollupLimits): Promise<RollupRow[]> {
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
      anyOf.push(`h3ToParent(${axis.column}, {a${i}r${res}:UInt8}) IN {a${i}c${res}:Array(UInt64)}`);
      params[`a${i}r${res}`] = res;
      params[`a${i}c${res}`] = cells;
    }
    where.push(`(${anyOf.join(' OR ')})`);
  });
  if (q.breakdown !== null) {
    where.push('breakdown = {breakdown:String}');
    params.breakdown = q.breakdown;
  }
  const groups = [...q.axes.map((_, i) => `out_cell${i}`), 'bucket_s', ...(q.splitByBreakdown ? ['out_breakdown'] : [])];
  const names = Object.keys(q.values);
  // NOTE: values get a prefix so their aliases never shadow a column inside an aggregate.
  const sql = `
    SELECT ${q.axes.map((a, i) => `toString(h3ToParent(${a.column}, {resolution:UInt8})) AS out_cell${i}`).join(', ')},
           toUnixTimestamp(${BUCKETS[q.bucket].sql}) AS bucket_s,
           ${q.splitByBreakdown ? 'breakdown AS out_breakdown,' : ''}
           ${names.map((n) => `${q.values[n]} AS v_${n}`).join(', ')}
    FROM {db:Identifier}.${q.table}
    WHERE ${where.join('\n      AND ')}
    GROUP BY ${groups.join(', ')}
    HAVING bucket_s >= {fromS:Int64} AND bucket_s < {toS:Int64}${q.having === undefined ? '' : ` AND (${q.having})`}
    ORDER BY ${groups.join(', ')}
    LIMIT {limit:UInt32}`;
  const rows = await store.query<Record<string, string | number>>(sql, params, { timeoutMs: limits.timeoutMs });
  if (rows.length > limits.maxRows) {
    throw badRequest(
      'result_too_large',
      `the result has more than ${limits.maxRows} rows; ask for fewer cells, a shorter period or a coarser bucket or resolution`,
    );
  }
  return rows.map((r) => ({
    cells: q.axes.map((_, i) => uint64ToCell(r[`out_cell${i}`]!)),
    bucketStartMs: Number(r.bucket_s) * 1000,
    ...(q.splitByBreakdown ? { breakdown: r.out_breakdown === '' ? null : String(r.out_breakdown) } : {}),
    values: Object.fromEntries(names.map((n) => [n, Number(r[`v_${n}`])])),
  }));
}
