// Exact count aggregation (camera counts, ticketing entries/exits): each count is spread over the
// 5-minute windows of its interval and summed per (base cell, window, breakdown). Pure: the same
// records in the same order always give the same rows, which is what makes a repeated write deduplicate.

import type { CountedRecord } from './steps.js';
import { spreadCount } from '../windows/spread.js';

export interface CountRow {
  cell: bigint;
  windowStart: number;
  breakdown: string;
  entries: number;
  exits: number;
}

export class CountAggregate {
  private readonly rows = new Map<string, CountRow>();

  constructor(private readonly windowMs: number) {}

  /** Adds one located record; returns the windows it touched. */
  add(r: Pick<CountedRecord, 'start' | 'end' | 'in' | 'out' | 'class'>, cell: bigint): number[] {
    const breakdown = r.class ?? '';
    const touched = new Set<number>();
    for (const [field, shares] of [
      ['entries', spreadCount(r.start, r.end, r.in, this.windowMs)],
      ['exits', spreadCount(r.start, r.end, r.out, this.windowMs)],
    ] as const) {
      for (const s of shares) {
        const key = `${cell}|${s.windowStart}|${breakdown}`;
        let row = this.rows.get(key);
        if (row === undefined) {
          row = { cell, windowStart: s.windowStart, breakdown, entries: 0, exits: 0 };
          this.rows.set(key, row);
        }
        row[field] += s.count;
        touched.add(s.windowStart);
      }
    }
    // A record counting nobody still marks its window as seen.
    if (touched.size === 0) touched.add(Math.floor(r.start / this.windowMs) * this.windowMs);
    return [...touched];
  }

  size(): number {
    return this.rows.size;
  }

  values(): IterableIterator<CountRow> {
    return this.rows.values();
  }

  clear(): void {
    this.rows.clear();
  }
}
