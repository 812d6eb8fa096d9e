// The footfall history query: the metrics of each source and how each is aggregated when rolled up
// (query-api/rollup.ts does the rolling up). Counts (camera, ticketing) are sums of counts_5m;
// unique devices (wifi unique_visitors, telco presence) merge the uniqCombined64 states of
// devices_5m over the bucket's windows and child cells — a device seen in several windows or cells
// of one bucket counts once — and Wi-Fi dwell is the mean over the sessions that started in the
// bucket and cell.

import { badRequest } from '../../../shared/errors.js';
import type { Store } from '../../../shared/store/types.js';
import { groupCells, runRollup, type Bucket, type RollupLimits, type RollupTable } from '../../rollup.js';

interface MetricSql {
  value: string;
  /** A group is returned only when this holds. */
  having?: string;
}

const COUNTS = {
  footfall: { value: 'sum(entries) + sum(exits)' },
  entries: { value: 'sum(entries)' },
  exits: { value: 'sum(exits)' },
} satisfies Record<string, MetricSql>;

const UNIQUE_DEVICES: MetricSql = { value: 'uniqCombined64Merge(devices)' };

/** The metrics of each source; the first is the default. */
export const SOURCE_METRICS = {
  camera: { table: 'counts_5m', metrics: COUNTS },
  ticketing: { table: 'counts_5m', metrics: COUNTS },
  wifi: {
    table: 'devices_5m',
    metrics: {
      unique_visitors: UNIQUE_DEVICES,
      // NOTE: a bucket without sessions has no mean dwell: no row, rather than 0 or null.
      dwell_avg_min: { value: 'sum(dwell_ms) / sum(sessions) / 60000', having: 'sum(sessions) > 0' },
    },
  },
  telco: { table: 'devices_5m', metrics: { presence: UNIQUE_DEVICES } },
} satisfies Record<string, { table: RollupTable; metrics: Record<string, MetricSql> }>;

export type Source = keyof typeof SOURCE_METRICS;
export const SOURCES = Object.keys(SOURCE_METRICS) as Source[];
export const METRICS = [...new Set(Object.values(SOURCE_METRICS).flatMap((s) => Object.keys(s.metrics)))];

/** The metric asked for, checked against the source (default: the source's first). */
export function metricOf(source: Source, metric: string | undefined): string {
  const metrics = Object.keys(SOURCE_METRICS[source].metrics);
  if (metric === undefined) return metrics[0]!;
  if (!metrics.includes(metric))
    throw badRequest('invalid_request', `source ${source} has no metric ${metric}`, [
      { field: 'metric', reason: `source ${source} has ${metrics.join(', ')}, not ${metric}` },
    ]);
  return metric;
}

export interface FootfallQuery {
  cells: string[];
  from: number;
  to: number;
  bucket: Bucket;
  resolution: number;
  source: Source;
  metric: string;
  /** Only this breakdown value (class, mode or segment); null: all. */
  breakdown: string | null;
  splitByBreakdown: boolean;
}

export interface FootfallRow {
  cell: string;
  bucketStartMs: number;
  breakdown?: string | null;
  value: number;
}

export async function queryFootfall(store: Store, q: FootfallQuery, limits: RollupLimits): Promise<FootfallRow[]> {
  const { table, metrics } = SOURCE_METRICS[q.source];
  const m = (metrics as Record<string, MetricSql>)[metricOf(q.source, q.metric)]!;
  const rows = await runRollup(
    store,
    {
      table,
      source: q.source,
      axes: [{ column: 'cell', cells: groupCells('cells', q.cells, q.resolution) }],
      resolution: q.resolution,
      bucket: q.bucket,
      from: q.from,
      to: q.to,
      breakdown: q.breakdown,
      splitByBreakdown: q.splitByBreakdown,
      values: { value: m.value },
      ...(m.having === undefined ? {} : { having: m.having }),
    },
    limits,
  );
  return rows.map((r) => ({
    cell: r.cells[0]!,
    bucketStartMs: r.bucketStartMs,
    ...('breakdown' in r ? { breakdown: r.breakdown } : {}),
    value: r.values.value!,
  }));
}
