// The flows history query: origin→destination trips of flows_5m rolled up at both ends to one
// resolution and to a time bucket (by the 5-minute window of each trip's start), with their mean
// duration (query-api/rollup.ts does the rolling up). Trips and the summed duration are returned
// as the exact parts the release layer noises one by one (./release.ts).

import type { Store } from '../../../shared/store/types.js';
import { groupCells, runRollup, type Bucket, type RollupLimits } from '../../rollup.js';

export const FLOW_SOURCES = ['ticketing', 'telco'] as const;
export type FlowSource = (typeof FLOW_SOURCES)[number];

export interface FlowsQuery {
  origin: string[];
  /** Null: trips to anywhere. */
  destination: string[] | null;
  from: number;
  to: number;
  bucket: Bucket;
  resolution: number;
  source: FlowSource;
  /** Only this breakdown value (ticketing mode, telco segment); null: all. */
  breakdown: string | null;
  splitByBreakdown: boolean;
}

export interface FlowRow {
  originCell: string;
  destinationCell: string;
  bucketStartMs: number;
  breakdown?: string | null;
  trips: number;
  /** Summed trip duration (ms). */
  durationMs: number;
  /** Exact mean duration: durationMs / trips, in minutes. */
  avgDurationMin: number;
}

/** The exact parts of a flow unit, as the store sums them (shared with the live releaser). */
export const FLOW_VALUES = { trips: 'sum(trips)', durationMs: 'sum(duration_ms)' } as const;
/** A cell pair and bucket is read only when it has trips. */
export const FLOW_HAVING = 'sum(trips) > 0';

export async function queryFlows(store: Store, q: FlowsQuery, limits: RollupLimits): Promise<FlowRow[]> {
  const rows = await runRollup(
    store,
    {
      table: 'flows_5m',
      source: q.source,
      axes: [
        { column: 'origin_cell', cells: groupCells('origin', q.origin, q.resolution) },
        { column: 'destination_cell', cells: q.destination === null ? null : groupCells('destination', q.destination, q.resolution) },
      ],
      resolution: q.resolution,
      bucket: q.bucket,
      from: q.from,
      to: q.to,
      breakdown: q.breakdown,
      splitByBreakdown: q.splitByBreakdown,
      values: { ...FLOW_VALUES },
      having: FLOW_HAVING,
    },
    limits,
  );
  return rows.map((r) => ({
    originCell: r.cells[0]!,
    destinationCell: r.cells[1]!,
    bucketStartMs: r.bucketStartMs,
    ...('breakdown' in r ? { breakdown: r.breakdown } : {}),
    trips: r.values.trips!,
    durationMs: r.values.durationMs!,
    avgDurationMin: r.values.durationMs! / r.values.trips! / 60_000,
  }));
}
