// Exact count aggregation (camera counts, ticketing entries/exits): each count is spread over the
// 5-minute windows of its interval and summed per (base cell, window, breakdown). Pure: the same
// records in the same order always give the same rows, which is what makes a repeated write deduplicate.
//
// Rows are found through nested Maps (cell → window index → a short chain of rows, one per
// breakdown) rather than a `${cell}|${window}|${breakdown}` string key, and an interval inside one
// window (the common case) skips the spreading: no key strings, no share arrays, no Set per record.

import type { CountedRecord } from './steps.js';
import { spreadCount } from '../windows/spread.js';

export interface CountRow {
  cell: bigint;
  windowStart: number;
  breakdown: string;
  entries: number;
  exits: number;
}

/** A row and the next row of the same (cell, window) under another breakdown. */
interface Slot extends CountRow {
  next: Slot | null;
}

export class CountAggregate {
  /** cell → window index (windowStart / windowMs) → the first row of that (cell, window). */
  private readonly cells = new Map<bigint, Map<number, Slot>>();
  /** Every row in the order it was created: the order `values()` gives them in. */
  private readonly order: Slot[] = [];

  constructor(private readonly windowMs: number) {}

  /** Adds one located record; returns the windows it touched. */
  add(r: Pick<CountedRecord, 'start' | 'end' | 'in' | 'out' | 'class'>, cell: bigint): number[] {
    const breakdown = r.class ?? '';
    const w = this.windowMs;
    const index = Math.floor(r.start / w);
    const first = index * w;
    // One window (spreadCount's own test): both counts, zero or not, land whole in it.
    if (r.end - r.start <= 0 || r.end <= first + w) {
      const row = this.row(cell, index, first, breakdown);
      row.entries += r.in;
      row.exits += r.out;
      return [first];
    }
    const touched = new Set<number>();
    for (const s of spreadCount(r.start, r.end, r.in, w)) {
      this.row(cell, s.windowStart / w, s.windowStart, breakdown).entries += s.count;
      touched.add(s.windowStart);
    }
    for (const s of spreadCount(r.start, r.end, r.out, w)) {
      this.row(cell, s.windowStart / w, s.windowStart, breakdown).exits += s.count;
      touched.add(s.windowStart);
    }
    // A record counting nobody still marks its window as seen.
    if (touched.size === 0) touched.add(first);
    return [...touched];
  }

  private row(cell: bigint, index: number, windowStart: number, breakdown: string): Slot {
    let windows = this.cells.get(cell);
    if (windows === undefined) {
      windows = new Map();
      this.cells.set(cell, windows);
    }
    const head = windows.get(index);
    let last: Slot | null = null;
    for (let s: Slot | null = head ?? null; s !== null; s = s.next) {
      if (s.breakdown === breakdown) return s;
      last = s;
    }
    const row: Slot = { cell, windowStart, breakdown, entries: 0, exits: 0, next: null };
    if (last === null) windows.set(index, row);
    else last.next = row;
    this.order.push(row);
    return row;
  }

  size(): number {
    return this.order.length;
  }

  values(): IterableIterator<CountRow> {
    return this.order.values();
  }

  clear(): void {
    this.cells.clear();
    this.order.length = 0;
  }
}
