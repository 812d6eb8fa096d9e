// The release units a window notice touches, read from the store and released: for one notice
// stream (source, dataset — the operator whose table changed) the targets it feeds (presence on
// pm.agg.presence.v1, flows on pm.agg.flows.v1), and for a range of bucket starts the exact values
// of every unit with data — per cell at each lattice resolution 7–10, all breakdown values together
// and each one on its own — through the history routes' query builder (query-api/rollup.ts with
// the footfall metrics' SQL), then their released values through the privacy release layer
// (query-api/privacy/release.ts), exactly as /v1/footfall and /v1/flows release the same units.

import { DURATION_CAP_MS } from '../../shared/privacy.js';
import type { Store } from '../../shared/store/types.js';
import { BREAKDOWN_PARAM } from '../../query-api/history.js';
import {
  LATTICE_RESOLUTIONS,
  releaseMean,
  SENSITIVITY,
  unitKey,
  type FlowUnit,
  type FootfallUnit,
  type LatticeBucket,
  type Releaser as NoiseReleaser,
} from '../../query-api/privacy/release.js';
import { runRollup, type RollupLimits, type RollupRow } from '../../query-api/rollup.js';
import { FLOW_HAVING, FLOW_VALUES } from '../../query-api/routes/flows/query.js';
import { SOURCE_METRICS, type MetricSql, type Source } from '../../query-api/routes/footfall/query.js';
import type { ReleaseKind } from '../../shared/topics.js';

/** What one notice stream releases: per-cell metrics of a source (presence) or its flows. */
export interface Target {
  kind: ReleaseKind;
  source: Source;
}

/** The targets of each notice stream `source:dataset` (processors/core/notices.ts: the operator's name). */
const TARGETS: Record<string, Target[]> = {
  'camera:footfall': [{ kind: 'presence', source: 'camera' }],
  'ticketing:footfall': [{ kind: 'presence', source: 'ticketing' }],
  'wifi:devices': [{ kind: 'presence', source: 'wifi' }],
  // The telco operator writes presence (devices_5m) and trips (flows_5m) in one write.
  'telco:devices': [
    { kind: 'presence', source: 'telco' },
    { kind: 'flows', source: 'telco' },
  ],
  'ticketing:flows': [{ kind: 'flows', source: 'ticketing' }],
};

export function targetsOf(source: string, dataset: string): Target[] {
  return TARGETS[`${source}:${dataset}`] ?? [];
}

/** The dataset (catalog, grants, privacy settings) of each release kind. */
export const DATASET_OF = { presence: 'footfall', flows: 'flows' } as const satisfies Record<ReleaseKind, string>;

/** One unit as released: what goes on the release topic (without revision and kind) and its key. */
export interface Candidate {
  kind: ReleaseKind;
  key: string;
  source: string;
  bucket: LatticeBucket;
  bucketStartMs: number;
  /** The released fields of the topic's schema (agg-presence or agg-flows) other than revision, kind, releasedAt. */
  fields: Record<string, unknown>;
  suppressed: boolean;
  /** The released value(s), canonical: a unit is published again only when this changes. */
  released: string;
}

export interface UnitRange {
  bucket: LatticeBucket;
  /** Bucket starts in [from, to) (epoch ms). */
  from: number;
  to: number;
}

/** Metrics read by one query: those sharing a HAVING condition. */
function metricGroups(source: Source): { having: string | undefined; metrics: [string, MetricSql][] }[] {
  const groups = new Map<string | undefined, [string, MetricSql][]>();
  for (const [name, m] of Object.entries(SOURCE_METRICS[source].metrics) as [string, MetricSql][])
    groups.set(m.having, [...(groups.get(m.having) ?? []), [name, m]]);
  return [...groups].map(([having, metrics]) => ({ having, metrics }));
}

/** The rollup values of a metric: `name` for a count, `name__sum` and `name__count` for a mean. */
function valuesOf(metrics: [string, MetricSql][]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, m] of metrics) {
    if (m.kind === 'count') values[name] = m.value;
    else {
      values[`${name}__sum`] = m.sum.sql;
      values[`${name}__count`] = m.count.sql;
    }
  }
  return values;
}

/** The splits of a source: all breakdown values together, and each one when the source has a breakdown. */
function splitsOf(source: Source): boolean[] {
  return BREAKDOWN_PARAM[source] === null ? [false] : [false, true];
}

/** The unit's breakdown: null for all values together; a split row's value ('' for none). */
function breakdownOf(row: RollupRow, split: boolean): string | null {
  return split ? (row.breakdown ?? '') : null;
}

export class UnitReader {
  constructor(
    private readonly store: Store,
    private readonly noise: { footfall: NoiseReleaser; flows: NoiseReleaser },
    private readonly limits: RollupLimits,
  ) {}

  /** Every unit of `target` with data in `range`, at every lattice resolution, released. */
  async read(target: Target, range: UnitRange): Promise<Candidate[]> {
    return target.kind === 'presence' ? this.presence(target.source, range) : this.flows(target.source, range);
  }

  private async presence(source: Source, range: UnitRange): Promise<Candidate[]> {
    const rel = this.noise.footfall;
    const out: Candidate[] = [];
    for (const resolution of LATTICE_RESOLUTIONS)
      for (const split of splitsOf(source))
        for (const { having, metrics } of metricGroups(source)) {
          const rows = await runRollup(
            this.store,
            {
              table: SOURCE_METRICS[source].table,
              source,
              axes: [{ column: 'cell', cells: null }],
              resolution,
              bucket: range.bucket,
              from: range.from,
              to: range.to,
              breakdown: null,
              splitByBreakdown: split,
              values: valuesOf(metrics),
              ...(having === undefined ? {} : { having }),
            },
            this.limits,
          );
          for (const row of rows)
            for (const [metric, m] of metrics) {
              const unit = (name: string): FootfallUnit => ({
                dataset: 'footfall',
                source,
                metric: name,
                breakdown: breakdownOf(row, split),
                cell: row.cells[0]!,
                resolution,
                bucket: range.bucket,
                bucketStartMs: row.bucketStartMs,
              });
              let released: { value: number | null; suppressed: boolean };
              if (m.kind === 'count') released = rel.release(unit(metric), row.values[metric]!, SENSITIVITY.count);
              else {
                const mean = releaseMean(
                  rel.noisy(unit(m.sum.metric), row.values[`${metric}__sum`]!, SENSITIVITY.duration),
                  rel.noisy(unit(m.count.metric), row.values[`${metric}__count`]!, SENSITIVITY.count),
                  rel.k,
                  DURATION_CAP_MS,
                  m.divisor,
                );
                released = { value: mean.mean, suppressed: mean.count.suppressed };
              }
              const u = unit(metric);
              out.push({
                kind: 'presence',
                key: unitKey(u),
                source,
                bucket: range.bucket,
                bucketStartMs: row.bucketStartMs,
                fields: {
                  dataset: 'footfall',
                  metric,
                  source,
                  cell: u.cell,
                  resolution,
                  bucket: range.bucket,
                  bucketStart: row.bucketStartMs,
                  breakdown: u.breakdown,
                  value: released.value,
                  suppressed: released.suppressed,
                },
                suppressed: released.suppressed,
                released: JSON.stringify([released.value, released.suppressed]),
              });
            }
        }
    return out;
  }

  private async flows(source: Source, range: UnitRange): Promise<Candidate[]> {
    const rel = this.noise.flows;
    const out: Candidate[] = [];
    for (const resolution of LATTICE_RESOLUTIONS)
      for (const split of splitsOf(source)) {
        const rows = await runRollup(
          this.store,
          {
            table: 'flows_5m',
            source,
            axes: [
              { column: 'origin_cell', cells: null },
              { column: 'destination_cell', cells: null },
            ],
            resolution,
            bucket: range.bucket,
            from: range.from,
            to: range.to,
            breakdown: null,
            splitByBreakdown: split,
            values: { ...FLOW_VALUES },
            having: FLOW_HAVING,
          },
          this.limits,
        );
        for (const row of rows) {
          const unit = (metric: string): FlowUnit => ({
            dataset: 'flows',
            source,
            metric,
            breakdown: breakdownOf(row, split),
            originCell: row.cells[0]!,
            destinationCell: row.cells[1]!,
            resolution,
            bucket: range.bucket,
            bucketStartMs: row.bucketStartMs,
          });
          // As /v1/flows releases a pair: trips and the summed duration each with noise of their
          // own, the mean duration their quotient, suppressed with the trips.
          const m = releaseMean(
            rel.noisy(unit('duration_ms'), row.values.durationMs!, SENSITIVITY.duration),
            rel.noisy(unit('trips'), row.values.trips!, SENSITIVITY.count),
            rel.k,
            DURATION_CAP_MS,
            60_000,
          );
          const u = unit('trips');
          out.push({
            kind: 'flows',
            key: unitKey(u),
            source,
            bucket: range.bucket,
            bucketStartMs: row.bucketStartMs,
            fields: {
              source,
              originCell: u.originCell,
              destinationCell: u.destinationCell,
              resolution,
              bucket: range.bucket,
              bucketStart: row.bucketStartMs,
              breakdown: u.breakdown,
              mode: source === 'ticketing' ? u.breakdown : null,
              trips: m.count.value,
              avgDurationMin: m.mean,
              suppressed: m.count.suppressed,
            },
            suppressed: m.count.suppressed,
            released: JSON.stringify([m.count.value, m.mean, m.count.suppressed]),
          });
        }
      }
    return out;
  }
}
