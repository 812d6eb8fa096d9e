// Builds and runs the footfall history query: exact counts from counts_5m, rolled up at query time
// to the requested H3 resolution and time bucket (1d/1w in PASSAGE_TIMEZONE). Only fixed SQL
// fragments are chosen here; every value is a bound parameter.

import { cellResolution, cellToUInt64, uint64ToCell } from '../../../shared/h3.js';
import { badRequest, type FieldError } from '../../../shared/errors.js';
import type { Params, Store } from '../../../shared/store/types.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../../shared/time.js';

export const BUCKETS = {
  '5m': { sql: 'window_start', ms: 5 * MINUTE_MS },
  '15m': { sql: 'toStartOfInterval(window_start, INTERVAL 15 MINUTE, {tz:String})', ms: 15 * MINUTE_MS },
  '1h': { sql: 'toStartOfHour(window_start, {tz:String})', ms: HOUR_MS },
  '1d': { sql: 'toStartOfDay(window_start, {tz:String})', ms: DAY_MS + HOUR_MS },
  '1w': { sql: 'toDateTime(toMonday(window_start, {tz:String}), {tz:String})', ms: 7 * DAY_MS + HOUR_MS },
} as const;
export type Bucket = keyof typeof BUCKETS;

export type Metric = 'footfall' | 'entries' | 'exits';

export interface FootfallQuery {
  cells: string[];
  from: number;
  to: number;
  bucket: Bucket;
  resolution: number;
  source: 'camera' | 'ticketing';
  metric: Metric;
}

export interface FootfallRow {
  cell: string;
  bucketStartMs: number;
  value: number;
}

/** Checks the cells against the output resolution; returns the cells grouped by their own resolution. */
export function groupCells(cells: string[], resolution: number): Map<number, bigint[]> {
  const errors: FieldError[] = [];
  const byRes = new Map<number, bigint[]>();
  for (const c of cells) {
    const r = cellResolution(c);
    if (r === null || r < 7 || r > 10) errors.push({ field: 'cells', reason: `${c} is not an H3 cell of resolution 7 to 10` });
    else if (r > resolution)
      errors.push({ field: 'cells', reason: `${c} (resolution ${r}) is finer than the requested resolution ${resolution}` });
    else byRes.set(r, [...(byRes.get(r) ?? []), cellToUInt64(c.toLowerCase())]);
  }
  if (errors.length > 0) throw badRequest('invalid_cells', errors.map((e) => e.reason).join('; '), errors.slice(0, 20));
  return byRes;
}

export async function queryFootfall(
  store: Store,
  q: FootfallQuery,
  opts: { timeZone: string; maxRows: number; timeoutMs: number },
): Promise<FootfallRow[]> {
  const byRes = groupCells(q.cells, q.resolution);
  const params: Params = {
    resolution: q.resolution,
    source: q.source,
    tz: opts.timeZone,
    scanFrom: Math.floor(q.from / 1000),
    scanTo: Math.ceil((q.to + BUCKETS[q.bucket].ms) / 1000),
    fromS: Math.floor(q.from / 1000),
    toS: Math.ceil(q.to / 1000),
    limit: opts.maxRows + 1,
  };
  const conditions: string[] = [];
  for (const [res, cells] of byRes) {
    conditions.push(`h3ToParent(cell, {res${res}:UInt8}) IN {cells${res}:Array(UInt64)}`);
    params[`res${res}`] = res;
    params[`cells${res}`] = cells;
  }
  const value = q.metric === 'entries' ? 'sum(entries)' : q.metric === 'exits' ? 'sum(exits)' : 'sum(entries) + sum(exits)';
  const sql = `
    SELECT toString(h3ToParent(cell, {resolution:UInt8})) AS out_cell,
           toUnixTimestamp(${BUCKETS[q.bucket].sql}) AS bucket_s,
           ${value} AS value
    FROM {db:Identifier}.counts_5m
    WHERE source = {source:String}
      AND window_start >= toDateTime({scanFrom:Int64}, 'UTC') AND window_start < toDateTime({scanTo:Int64}, 'UTC')
      AND (${conditions.join(' OR ')})
    GROUP BY out_cell, bucket_s
    HAVING bucket_s >= {fromS:Int64} AND bucket_s < {toS:Int64}
    ORDER BY out_cell, bucket_s
    LIMIT {limit:UInt32}`;
  const rows = await store.query<{ out_cell: string; bucket_s: string | number; value: string | number }>(sql, params, {
    timeoutMs: opts.timeoutMs,
  });
  if (rows.length > opts.maxRows) {
    throw badRequest(
      'result_too_large',
      `the result has more than ${opts.maxRows} rows; ask for fewer cells, a shorter period or a coarser bucket or resolution`,
    );
  }
  return rows.map((r) => ({ cell: uint64ToCell(r.out_cell), bucketStartMs: Number(r.bucket_s) * 1000, value: Number(r.value) }));
}
