// /v1/footfall as releases (query-api/privacy/release.ts): every (output cell, bucket, breakdown)
// unit of the request — with data or not — gets its noisy value; per cell each is released on its
// own, for an area (aggregate=area) the noisy values of all the area's cells are summed per bucket
// and the sum is released. A count is one unit; a mean (Wi-Fi dwell) is two, its sum and its count.

import { DURATION_CAP_MS } from '../../../shared/privacy.js';
import { limitsOf, MAX_AREA_UNITS, type HistoryRouteOptions } from '../../history.js';
import { bucketStarts, checkSize, outputCellCount, outputCells, splitSize, splitValues, unionSorted } from '../../privacy/grid.js';
import { releaseMean, releaseValue, SENSITIVITY, type FootfallUnit, type LatticeBucket, type Releaser } from '../../privacy/release.js';
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

/** The exact parts by (cell, bucket, split value; '' unsplit). */
function index(rows: readonly FootfallRow[], split: boolean) {
  const exact = new Map<string, Parts>();
  for (const r of rows) exact.set(`${r.cell}|${r.bucketStartMs}|${split ? (r.breakdown ?? '') : ''}`, r.parts);
  return exact;
}

/** Noisy parts of one unit (exact 0 without data). */
function noisyParts(
  rel: Releaser,
  g: FootfallGrid,
  cell: string,
  bucketStartMs: number,
  breakdown: string | null,
  parts: Parts | undefined,
) {
  const unit = (metric: string): FootfallUnit => ({
    dataset: 'footfall',
    source: g.source,
    metric,
    breakdown,
    cell,
    resolution: g.resolution,
    bucket: g.bucket,
    bucketStartMs,
  });
  if (g.sql.kind === 'count') {
    const exact = parts !== undefined && 'value' in parts ? parts.value : 0;
    return { value: rel.noisy(unit(g.metric), exact, SENSITIVITY.count), sum: 0, count: 0 };
  }
  const p = parts !== undefined && 'sum' in parts ? parts : { sum: 0, count: 0 };
  return {
    value: 0,
    sum: rel.noisy(unit(g.sql.sum.metric), p.sum, SENSITIVITY.duration),
    count: rel.noisy(unit(g.sql.count.metric), p.count, SENSITIVITY.count),
  };
}

function released(
  rel: Releaser,
  g: FootfallGrid,
  n: { value: number; sum: number; count: number },
): { value: number | null; suppressed: boolean } {
  if (g.sql.kind === 'count') return releaseValue(n.value, rel.k);
  const m = releaseMean(n.sum, n.count, rel.k, DURATION_CAP_MS, g.sql.divisor);
  return { value: m.mean, suppressed: m.count.suppressed };
}

/** The breakdown of each unit of a bucket: the split's values, or the one unsplit unit. */
function breakdowns(g: FootfallGrid): (string | null)[] {
  return g.split ?? [g.filter];
}

function labelled(g: FootfallGrid, bd: string | null): { breakdown?: string | null } {
  return g.split === null ? {} : { breakdown: bd === '' ? null : bd };
}

/** One released row per (cell, bucket, breakdown) unit of the grid, cell by cell, in time order. */
export function releaseCells(rows: readonly FootfallRow[], g: FootfallGrid, rel: Releaser): (ReleasedRow & { cell: string })[] {
  const exact = index(rows, g.split !== null);
  const cells = [...new Set([...g.cells, ...rows.map((r) => r.cell)])].sort();
  const buckets = unionSorted(
    g.buckets,
    rows.map((r) => r.bucketStartMs),
  );
  const out: (ReleasedRow & { cell: string })[] = [];
  for (const cell of cells)
    for (const b of buckets)
      for (const bd of breakdowns(g)) {
        const n = noisyParts(rel, g, cell, b, bd, exact.get(`${cell}|${b}|${g.split === null ? '' : bd}`));
        out.push({ cell, bucketStartMs: b, ...labelled(g, bd), ...released(rel, g, n) });
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
  const out: (ReleasedRow & { cells: number })[] = [];
  for (const b of buckets)
    for (const bd of breakdowns(g)) {
      const total = { value: 0, sum: 0, count: 0 };
      for (const cell of cells) {
        const n = noisyParts(rel, g, cell, b, bd, exact.get(`${cell}|${b}|${g.split === null ? '' : bd}`));
        total.value += n.value;
        total.sum += n.sum;
        total.count += n.count;
      }
      out.push({ cells: cells.length, bucketStartMs: b, ...labelled(g, bd), ...released(rel, g, total) });
    }
  return out;
}
