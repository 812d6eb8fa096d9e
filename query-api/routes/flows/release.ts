// /v1/flows as releases (query-api/privacy/release.ts). A flow unit is (source, breakdown, origin
// cell, destination cell, resolution, bucket, bucket start); its trips and its summed duration are
// two lattice metrics with noise of their own, and the mean duration is the released sum over the
// released trips (suppressed with them).
//
// With a destination list, every (origin, destination, bucket, breakdown) unit of the request is
// released, with data or not, like /v1/footfall, and `aggregate=area` sums the noisy units of all
// the pairs per bucket. Without one (trips to anywhere) the destinations cannot be listed, so only
// the pairs with data are candidates and a pair is listed only when its release is not suppressed:
// a pair with one trip shows with the probability that its noise reaches k (README, Privacy).

import { badRequest } from '../../../shared/errors.js';
import { DURATION_CAP_MS } from '../../../shared/privacy.js';
import { limitsOf, MAX_AREA_UNITS, type HistoryRouteOptions } from '../../history.js';
import { bucketStarts, checkSize, outputCellCount, outputCells, splitSize, splitValues, unionSorted } from '../../privacy/grid.js';
import { releaseMean, SENSITIVITY, type FlowUnit, type Releaser } from '../../privacy/release.js';
import { groupCells } from '../../rollup.js';
import { queryFlows, type FlowRow, type FlowsQuery } from './query.js';

export interface ReleasedFlow {
  bucketStartMs: number;
  /** With a split: the value, null for trips without one. */
  breakdown?: string | null;
  trips: number | null;
  avgDurationMin: number | null;
  suppressed: boolean;
}

export type ReleasedFlowRow = ReleasedFlow & {
  originCell?: string;
  destinationCell?: string;
  originCells?: number;
  destinationCells?: number;
};

interface Noisy {
  trips: number;
  durationMs: number;
}

function noisyFlow(
  rel: Releaser,
  q: FlowsQuery,
  originCell: string,
  destinationCell: string,
  bucketStartMs: number,
  breakdown: string | null,
  exact: FlowRow | undefined,
): Noisy {
  const unit = (metric: string): FlowUnit => ({
    dataset: 'flows',
    source: q.source,
    metric,
    breakdown,
    originCell,
    destinationCell,
    resolution: q.resolution,
    bucket: q.bucket,
    bucketStartMs,
  });
  return {
    trips: rel.noisy(unit('trips'), exact?.trips ?? 0, SENSITIVITY.count),
    durationMs: rel.noisy(unit('duration_ms'), exact?.durationMs ?? 0, SENSITIVITY.duration),
  };
}

function released(rel: Releaser, n: Noisy): Pick<ReleasedFlow, 'trips' | 'avgDurationMin' | 'suppressed'> {
  const m = releaseMean(n.durationMs, n.trips, rel.k, DURATION_CAP_MS, 60_000);
  return { trips: m.count.value, avgDurationMin: m.mean, suppressed: m.count.suppressed };
}

const labelled = (split: boolean, bd: string | null): { breakdown?: string | null } => (split ? { breakdown: bd === '' ? null : bd } : {});

/**
 * The released rows of a flows query: per cell pair, or with `area` per bucket for all pairs
 * together (`originCells`, `destinationCells`: how many). Sizes are checked before the store is
 * read where they do not depend on the data (a destination list).
 */
export async function releaseFlows(opts: HistoryRouteOptions, rel: Releaser, q: FlowsQuery, area: boolean): Promise<ReleasedFlowRow[]> {
  groupCells('origin', q.origin, q.resolution);
  if (q.destination !== null) groupCells('destination', q.destination, q.resolution);
  if (q.destination === null) {
    if (area)
      throw badRequest('invalid_request', 'aggregate=area needs a destination area', [
        {
          field: 'aggregate',
          reason: 'area totals of flows need destination cells (trips to anywhere cannot be summed from released units)',
        },
      ]);
    return releaseSeen(await queryFlows(opts.store, q, limitsOf(opts)), q, rel);
  }
  const buckets = bucketStarts(q.from, q.to, q.bucket, opts.timeZone, area ? MAX_AREA_UNITS : opts.maxResultRows);
  const perBucket = !q.splitByBreakdown || q.breakdown !== null ? 1 : splitSize(q.source);
  const pairs = outputCellCount(q.origin, q.resolution) * outputCellCount(q.destination, q.resolution);
  checkSize((area ? 1 : pairs) * buckets.length * perBucket, opts.maxResultRows, 'rows');
  if (area) checkSize(pairs * buckets.length * perBucket, MAX_AREA_UNITS, 'lattice units');
  const rows = await queryFlows(opts.store, q, { ...limitsOf(opts), maxRows: area ? MAX_AREA_UNITS : opts.maxResultRows });
  const split = !q.splitByBreakdown
    ? null
    : q.breakdown !== null
      ? [q.breakdown]
      : splitValues(
          q.source,
          rows.map((r) => r.breakdown ?? ''),
        );
  const origins = [...new Set([...outputCells(q.origin, q.resolution), ...rows.map((r) => r.originCell)])].sort();
  const destinations = [...new Set([...outputCells(q.destination, q.resolution), ...rows.map((r) => r.destinationCell)])].sort();
  checkSize((area ? 1 : origins.length * destinations.length) * buckets.length * (split?.length ?? 1), opts.maxResultRows, 'rows');
  const exact = new Map(
    rows.map((r) => [`${r.originCell}|${r.destinationCell}|${r.bucketStartMs}|${split === null ? '' : (r.breakdown ?? '')}`, r]),
  );
  const allBuckets = unionSorted(
    buckets,
    rows.map((r) => r.bucketStartMs),
  );
  const breakdowns = split ?? [q.breakdown];
  const noisy = (o: string, d: string, b: number, bd: string | null): Noisy =>
    noisyFlow(rel, q, o, d, b, bd, exact.get(`${o}|${d}|${b}|${split === null ? '' : bd}`));
  const out: ReleasedFlowRow[] = [];
  if (area) {
    for (const b of allBuckets)
      for (const bd of breakdowns) {
        const total = { trips: 0, durationMs: 0 };
        for (const o of origins)
          for (const d of destinations) {
            const n = noisy(o, d, b, bd);
            total.trips += n.trips;
            total.durationMs += n.durationMs;
          }
        out.push({
          originCells: origins.length,
          destinationCells: destinations.length,
          bucketStartMs: b,
          ...labelled(split !== null, bd),
          ...released(rel, total),
        });
      }
    return out;
  }
  for (const o of origins)
    for (const d of destinations)
      for (const b of allBuckets)
        for (const bd of breakdowns)
          out.push({
            originCell: o,
            destinationCell: d,
            bucketStartMs: b,
            ...labelled(split !== null, bd),
            ...released(rel, noisy(o, d, b, bd)),
          });
  return out;
}

/** Trips to anywhere: the pairs with data, each listed only when its release is not suppressed. */
function releaseSeen(rows: FlowRow[], q: FlowsQuery, rel: Releaser): ReleasedFlowRow[] {
  const out: ReleasedFlowRow[] = [];
  for (const r of rows) {
    const bd = q.splitByBreakdown ? (r.breakdown ?? '') : q.breakdown;
    const rel1 = released(rel, noisyFlow(rel, q, r.originCell, r.destinationCell, r.bucketStartMs, bd, r));
    if (!rel1.suppressed)
      out.push({
        originCell: r.originCell,
        destinationCell: r.destinationCell,
        bucketStartMs: r.bucketStartMs,
        ...labelled(q.splitByBreakdown, bd),
        ...rel1,
      });
  }
  return out;
}
