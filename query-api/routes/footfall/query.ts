// The footfall history query: the metrics of each source and how each is aggregated when rolled up
// (query-api/rollup.ts does the rolling up). Counts (camera, ticketing) are sums of counts_5m;
// unique devices (wifi unique_visitors, telco presence) merge the uniqCombined64 states of
// devices_5m over the bucket's windows and child cells — a device seen in several windows or cells
// of one bucket counts once — and Wi-Fi dwell is the mean over the sessions that started in the
// bucket and cell. Each metric is read as the exact parts the release layer noises one by one
// (query-api/routes/footfall/release.ts): one count, or a mean's sum and count.

import { Type } from '@sinclair/typebox';
import { badRequest } from '../../../shared/errors.js';
import type { Store } from '../../../shared/store/types.js';
import { groupCells, runRollup, type Bucket, type RollupLimits, type RollupTable } from '../../rollup.js';

/**
 * A metric as the store gives it: a count (`value`), or a mean — `sum` / `count` / `divisor` (a unit
 * change) — whose parts are returned separately, each named as the lattice metric it is released as.
 */
export type MetricSql =
  | { kind: 'count'; value: string; having?: string }
  | { kind: 'mean'; sum: { metric: string; sql: string }; count: { metric: string; sql: string }; divisor: number; having?: string };

const COUNTS = {
  footfall: { kind: 'count', value: 'sum(entries) + sum(exits)' },
  entries: { kind: 'count', value: 'sum(entries)' },
  exits: { kind: 'count', value: 'sum(exits)' },
} satisfies Record<string, MetricSql>;

const UNIQUE_DEVICES: MetricSql = { kind: 'count', value: 'uniqCombined64Merge(devices)' };

/** The metrics of each source; the first is the default. */
export const SOURCE_METRICS = {
  camera: { table: 'counts_5m', metrics: COUNTS },
  ticketing: { table: 'counts_5m', metrics: COUNTS },
  wifi: {
    table: 'devices_5m',
    metrics: {
      unique_visitors: UNIQUE_DEVICES,
      // NOTE: the store has no row for a bucket without sessions; the release layer releases it as
      // a unit of 0 sessions (suppressed), like any unit without data.
      dwell_avg_min: {
        kind: 'mean',
        sum: { metric: 'dwell_ms', sql: 'sum(dwell_ms)' },
        count: { metric: 'sessions', sql: 'sum(sessions)' },
        divisor: 60_000,
        having: 'sum(sessions) > 0',
      },
    },
  },
  telco: { table: 'devices_5m', metrics: { presence: UNIQUE_DEVICES } },
} satisfies Record<string, { table: RollupTable; metrics: Record<string, MetricSql> }>;

export type Source = keyof typeof SOURCE_METRICS;
export const SOURCES = Object.keys(SOURCE_METRICS) as Source[];
export const METRICS = [...new Set(Object.values(SOURCE_METRICS).flatMap((s) => Object.keys(s.metrics)))];

/** Querystring fields of what a footfall request measures, shared by the history route and the live feed. */
export const MEASURE_FIELDS = {
  source: Type.Union(
    SOURCES.map((s) => Type.Literal(s)),
    { default: 'camera' },
  ),
  metric: Type.Optional(
    Type.Union(
      METRICS.map((m) => Type.Literal(m)),
      {
        description:
          'camera, ticketing: footfall (default), entries, exits; wifi: unique_visitors (default), dwell_avg_min; telco: presence',
      },
    ),
  ),
};

/** How `metric` of `source` is read: a count, or a mean of a sum over a count. */
export function metricSql(source: Source, metric: string): MetricSql {
  return (SOURCE_METRICS[source].metrics as Record<string, MetricSql>)[metric]!;
}

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
  /** The exact value: the count, or the mean sum / count / divisor. */
  value: number;
  /** The exact parts: `value` of a count; `sum` and `count` of a mean. */
  parts: { value: number } | { sum: number; count: number };
}

export async function queryFootfall(store: Store, q: FootfallQuery, limits: RollupLimits): Promise<FootfallRow[]> {
  const { table } = SOURCE_METRICS[q.source];
  const m = metricSql(q.source, metricOf(q.source, q.metric));
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
      values: m.kind === 'count' ? { value: m.value } : { sum: m.sum.sql, count: m.count.sql },
      ...(m.having === undefined ? {} : { having: m.having }),
    },
    limits,
  );
  return rows.map((r) => ({
    cell: r.cells[0]!,
    bucketStartMs: r.bucketStartMs,
    ...('breakdown' in r ? { breakdown: r.breakdown } : {}),
    ...(m.kind === 'count'
      ? { value: r.values.value!, parts: { value: r.values.value! } }
      : { value: r.values.sum! / r.values.count! / m.divisor, parts: { sum: r.values.sum!, count: r.values.count! } }),
  }));
}
