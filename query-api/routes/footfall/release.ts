// /v1/footfall as releases (query-api/privacy/release.ts): every (output cell, bucket, breakdown)
// unit of the request — with data or not — gets its noisy value; per cell each is released on its
// own, for an area (aggregate=area) the noisy values of all the area's cells are summed per bucket
// and the sum is released. A count is one unit; a mean (Wi-Fi dwell) is two, its sum and its count.

import { DURATION_CAP_MS } from '../../../shared/privacy.js';
import { limitsOf, MAX_AREA_UNITS, type HistoryRouteOptions } from '../../history.js';
import { bucketStarts, checkSize, outputCellCount, outputCells, splitSize, splitValues, unionSorted } from '../../privacy/grid.js';
import { footfallKeys, releaseMean, releaseValue, SENSITIVITY, type LatticeBucket, type Releaser } from '../../privacy/release.js';
import { groupCells } from '../../rollup.js';
import { metricSql, queryFootfall, type FootfallQuery, type FootfallRow, type MetricSql, type Source } from './query.js';

/**
 * The released rows of a footfall query: per output cell (`cell`), or with `area` per bucket for
 * all cells together (`cells`: how many). The number of units is checked before the store is read
 * (it does not depend on the data): rows against the route's row limit, an area's units against
 * MAX_AREA_UNITS.
 */
export async function releaseFootfall(
  opts: HistoryRouteOptions,
  rel: Releaser,
  q: FootfallQuery,
  area: boolean,
): Promise<(ReleasedRow & { cell?: string; cells?: number })[]> {
  groupCells('cells', q.cells, q.resolution);
  const buckets = bucketStarts(q.from, q.to, q.bucket, opts.timeZone, area ? MAX_AREA_UNITS : opts.maxResultRows);
  const perBucket = !q.splitByBreakdown || q.breakdown !== null ? 1 : splitSize(q.source);
  const cellCount = outputCellCount(q.cells, q.resolution);
  checkSize((area ? 1 : cellCount) * buckets.length * perBucket, opts.maxResultRows, 'rows');
  if (area) checkSize(cellCount * buckets.length * perBucket, MAX_AREA_UNITS, 'lattice units');
  const rows = await queryFootfall(opts.store, q, { ...limitsOf(opts), maxRows: area ? MAX_AREA_UNITS : opts.maxResultRows });
  const g: FootfallGrid = {
    source: q.source,
    metric: q.metric,
    sql: metricSql(q.source, q.metric),
    resolution: q.resolution,
    bucket: q.bucket,
    cells: outputCells(q.cells, q.resolution),
    buckets,
    filter: q.breakdown,
    split: !q.splitByBreakdown
      ? null
      : q.breakdown !== null
        ? [q.breakdown]
        : splitValues(
            q.source,
            rows.map((r) => r.breakdown ?? ''),
          ),
  };
  // A split of free-text values (ticketing modes) may hold more values than the vocabulary.
  checkSize((area ? 1 : g.cells.length) * buckets.length * (g.split?.length ?? 1), opts.maxResultRows, 'rows');
  return area ? releaseArea(rows, g, rel) : releaseCells(rows, g, rel);
}

/** The units of a request. */
export interface FootfallGrid {
  source: Source;
  metric: string;
  sql: MetricSql;
  resolution: number;
  bucket: LatticeBucket;
  /** Output cells at `resolution`. */
  cells: string[];
  /** Bucket starts (epoch ms). */
  buckets: number[];
  /** The breakdown of an unsplit request: null for all values together, else the one filtered on. */
  filter: string | null;
  /** The values of a split ('' for none), or null when not split. */
  split: string[] | null;
}

export interface ReleasedRow {
  bucketStartMs: number;
  /** With a split: the value, null for records without one. */
  breakdown?: string | null;
  value: number | null;
  suppressed: boolean;
}

type Parts = FootfallRow['parts'];

/** The exact parts by split value ('' unsplit), cell and bucket start. */
function index(rows: readonly FootfallRow[], split: boolean): Map<string, Map<string, Map<number, Parts>>> {
  const exact = new Map<string, Map<string, Map<number, Parts>>>();
  for (const r of rows) {
    const part = split ? (r.breakdown ?? '') : '';
    let byCell = exact.get(part);
    if (byCell === undefined) exact.set(part, (byCell = new Map<string, Map<number, Parts>>()));
    let byBucket = byCell.get(r.cell);
    if (byBucket === undefined) byCell.set(r.cell, (byBucket = new Map<number, Parts>()));
    byBucket.set(r.bucketStartMs, r.parts);
  }
  return exact;
}

type Noisy = { value: number; sum: number; count: number };

/**
 * The noisy parts of the grid's units (exact 0 without data): for one breakdown value, a function of
 * (cell, bucket start, exact parts). The unit keys of a breakdown value are made once.
 */
function noiseOf(
  rel: Releaser,
  g: FootfallGrid,
): (bd: string | null) => (cell: string, bucketStartMs: number, parts: Parts | undefined) => Noisy {
  const keys = (breakdown: string | null, metric: string) =>
    footfallKeys({ dataset: 'footfall', source: g.source, metric, breakdown, resolution: g.resolution, bucket: g.bucket });
  const sql = g.sql;
  if (sql.kind === 'count')
    return (bd) => {
      const key = keys(bd, g.metric);
      return (cell, b, parts) => {
        const exact = parts !== undefined && 'value' in parts ? parts.value : 0;
        return { value: rel.noisy(key(cell, b), exact, SENSITIVITY.count), sum: 0, count: 0 };
      };
    };
  return (bd) => {
    const sumKey = keys(bd, sql.sum.metric);
    const countKey = keys(bd, sql.count.metric);
    return (cell, b, parts) => {
      const p = parts !== undefined && 'sum' in parts ? parts : { sum: 0, count: 0 };
      return {
        value: 0,
        sum: rel.noisy(sumKey(cell, b), p.sum, SENSITIVITY.duration),
        count: rel.noisy(countKey(cell, b), p.count, SENSITIVITY.count),
      };
    };
  };
}

function released(rel: Releaser, g: FootfallGrid, n: Noisy): { value: number | null; suppressed: boolean } {
  if (g.sql.kind === 'count') return releaseValue(n.value, rel.k);
  const m = releaseMean(n.sum, n.count, rel.k, DURATION_CAP_MS, g.sql.divisor);
  return { value: m.mean, suppressed: m.count.suppressed };
}

/** The breakdown of each unit of a bucket: the split's values, or the one unsplit unit. */
function breakdowns(g: FootfallGrid): (string | null)[] {
  return g.split ?? [g.filter];
}

/** A row's breakdown label: with a split the value (null for records without one); unsplit none. */
function label(g: FootfallGrid, bd: string | null): string | null | undefined {
  return g.split === null ? undefined : bd === '' ? null : bd;
}

/** One released row per (cell, bucket, breakdown) unit of the grid, cell by cell, in time order. */
export function releaseCells(rows: readonly FootfallRow[], g: FootfallGrid, rel: Releaser): (ReleasedRow & { cell: string })[] {
  const exact = index(rows, g.split !== null);
  const cells = [...new Set([...g.cells, ...rows.map((r) => r.cell)])].sort();
  const buckets = unionSorted(
    g.buckets,
    rows.map((r) => r.bucketStartMs),
  );
  const noise = noiseOf(rel, g);
  const units = breakdowns(g).map((bd) => ({
    label: label(g, bd),
    noisy: noise(bd),
    exact: exact.get(g.split === null ? '' : (bd ?? '')),
  }));
  const out: (ReleasedRow & { cell: string })[] = [];
  for (const cell of cells) {
    const cellUnits = units.map((u) => ({ ...u, exact: u.exact?.get(cell) }));
    for (const b of buckets)
      for (const u of cellUnits) {
        const r = released(rel, g, u.noisy(cell, b, u.exact?.get(b)));
        out.push(
          u.label === undefined
            ? { cell, bucketStartMs: b, value: r.value, suppressed: r.suppressed }
            : { cell, bucketStartMs: b, breakdown: u.label, value: r.value, suppressed: r.suppressed },
        );
      }
  }
  return out;
}

/** One released row per (bucket, breakdown): the sum of the noisy units of every cell of the area. */
export function releaseArea(rows: readonly FootfallRow[], g: FootfallGrid, rel: Releaser): (ReleasedRow & { cells: number })[] {
  const exact = index(rows, g.split !== null);
  const cells = [...new Set([...g.cells, ...rows.map((r) => r.cell)])];
  const buckets = unionSorted(
    g.buckets,
    rows.map((r) => r.bucketStartMs),
  );
  const noise = noiseOf(rel, g);
  const units = breakdowns(g).map((bd) => ({
    label: label(g, bd),
    noisy: noise(bd),
    exact: exact.get(g.split === null ? '' : (bd ?? '')),
  }));
  const out: (ReleasedRow & { cells: number })[] = [];
  for (const b of buckets)
    for (const u of units) {
      const total = { value: 0, sum: 0, count: 0 };
      for (const cell of cells) {
        const n = u.noisy(cell, b, u.exact?.get(cell)?.get(b));
        total.value += n.value;
        total.sum += n.sum;
        total.count += n.count;
      }
      const r = released(rel, g, total);
      out.push(
        u.label === undefined
          ? { cells: cells.length, bucketStartMs: b, value: r.value, suppressed: r.suppressed }
          : { cells: cells.length, bucketStartMs: b, breakdown: u.label, value: r.value, suppressed: r.suppressed },
      );
    }
  return out;
}
