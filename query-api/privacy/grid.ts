// The lattice units a history request covers: every output cell of its cells at the requested
// resolution, every bucket whose start lies in [from, to), every breakdown value of a split. The
// release layer releases all of them — units without data too (exact 0, with noise of their own,
// suppressed unless that noise reaches k) — so whether a cell, bucket or breakdown value has any
// data at all is never visible by a row being there or not.

import { cellToChildren, cellToChildrenSize } from 'h3-js';
import { CAMERA_CLASSES } from '../../schemas/records.js';
import { TELCO_SEGMENTS } from '../../schemas/inputs.js';
import { badRequest } from '../../shared/errors.js';
import { cellResolution } from '../../shared/h3.js';
import { HOUR_MS, MINUTE_MS, ZoneCalendar } from '../../shared/time.js';
import type { LatticeBucket } from './release.js';

/** The output cells of `cells` (resolution 7–10, none finer than `resolution`): themselves or their children, sorted, without repeats. */
export function outputCells(cells: readonly string[], resolution: number): string[] {
  const out = new Set<string>();
  for (const c of cells) {
    if (cellResolution(c) === resolution) out.add(c);
    else for (const child of cellToChildren(c, resolution)) out.add(child);
  }
  return [...out].sort();
}

/** How many output cells `cells` have at most (before removing overlaps), without listing them. */
export function outputCellCount(cells: readonly string[], resolution: number): number {
  return cells.reduce((n, c) => n + cellToChildrenSize(c, resolution), 0);
}

const UNIT = { '1d': 'day', '1w': 'week' } as const;

/**
 * The starts of the buckets that start in [from, to), as the rollup computes them: 5m and 15m on
 * the UTC grid (every zone's offset is a multiple of 15 minutes), hours, days and ISO weeks in
 * `timeZone` (grid.test.ts checks them against ClickHouse over DST changes and half-hour zones; in
 * a zone with a half-hour DST shift, Australia/Lord_Howe, ClickHouse's hours differ around the
 * shift — the routes also list every bucket the data holds, so nothing is lost). More than `limit`
 * → 400 result_too_large.
 */
export function bucketStarts(from: number, to: number, bucket: LatticeBucket, timeZone: string, limit: number): number[] {
  const out: number[] = [];
  const push = (t: number): void => {
    if (out.length >= limit)
      throw badRequest(
        'result_too_large',
        `the period holds more than ${limit} ${bucket} buckets; ask for a shorter period or a coarser bucket`,
      );
    out.push(t);
  };
  if (bucket === '5m' || bucket === '15m') {
    const step = (bucket === '5m' ? 5 : 15) * MINUTE_MS;
    for (let t = Math.ceil(from / step) * step; t < to; t += step) push(t);
    return out;
  }
  const cal = ZoneCalendar.of(timeZone);
  if (bucket === '1h') {
    // Local hours: sampled every 15 minutes, so zones with half-hour offsets and changes come out right.
    let last = -Infinity;
    for (let t = Math.floor(from / (15 * MINUTE_MS)) * 15 * MINUTE_MS; t < to; t += 15 * MINUTE_MS) {
      const start = cal.startOf(t, 'hour');
      if (start > last && start >= from && start < to) push(start);
      last = Math.max(last, start);
    }
    return out;
  }
  const unit = UNIT[bucket];
  const days = unit === 'day' ? 1 : 7;
  const next = (ms: number): number => {
    const n = cal.startOf(cal.plusDays(ms, days), unit);
    // NOTE: a day whose midnight is skipped by a DST change can start after it; never go back.
    return n > ms ? n : cal.startOf(cal.plusDays(ms, days) + 2 * HOUR_MS, unit);
  };
  let t = cal.startOf(from, unit);
  if (t < from) t = next(t);
  for (; t < to; t = next(t)) push(t);
  return out;
}

/** The breakdown values every split lists, whether or not they have data (ticketing modes are free text: only the ones seen). */
const VOCABULARY: Record<string, readonly string[]> = { camera: CAMERA_CLASSES, telco: TELCO_SEGMENTS };

/**
 * The breakdown values of a split (store values; '' for records that carried none): '' and the
 * source's fixed vocabulary always, then any other value the data holds.
 */
export function splitValues(source: string, seen: Iterable<string>): string[] {
  const values = new Set<string>(['', ...(VOCABULARY[source] ?? [])]);
  const extra = [...new Set(seen)].filter((v) => !values.has(v)).sort();
  return [...values, ...extra];
}

/** The number of breakdown values a split lists before the data is read. */
export function splitSize(source: string): number {
  return 1 + (VOCABULARY[source]?.length ?? 0);
}

/** Refuses an answer of more than `limit` rows (or internal units), naming what makes it large. */
export function checkSize(n: number, limit: number, what: string): void {
  if (n > limit)
    throw badRequest(
      'result_too_large',
      `the answer covers ${n} ${what}, more than ${limit}; ask for fewer cells, a shorter period or a coarser bucket or resolution`,
    );
}

/** Sorted union of two sorted-or-not lists of numbers. */
export function unionSorted(a: Iterable<number>, b: Iterable<number>): number[] {
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}
