// Turns "what starts in minute m" (a visit, a journey, a subscriber's minute) into "what is due in
// [from, to)": a visit that began an hour ago still yields sightings now. Deterministic: the records
// of any time range are the same whichever ranges were asked before. Reads and writes nothing.

import { MINUTE_MS } from '../../shared/time.js';

export interface Due<T> {
  /** When the record is due (its event time, or the end of its interval), epoch ms. */
  at: number;
  record: T;
}

export class LookbackStream<T> {
  /** Generated records by the minute they are due in, for minutes not yet handed out. */
  private buckets = new Map<number, Due<T>[]>();
  /** Start minutes generated so far: [genFrom, genTo). */
  private genFrom = Number.NaN;
  private genTo = Number.NaN;
  /** Buckets before this minute were handed out and dropped. */
  private prunedBefore = Number.NaN;

  constructor(
    /** Longest time from a start minute to the last record it yields (minutes). */
    private readonly lookbackMin: number,
    /** Records that start in minute `minute` (epoch minutes); each due in [minute, minute + lookbackMin). */
    private readonly generate: (minute: number) => Due<T>[],
  ) {}

  /** Records due in [fromMs, toMs), in time order. */
  between(fromMs: number, toMs: number): T[] {
    if (toMs <= fromMs) return [];
    const first = Math.floor(fromMs / MINUTE_MS);
    const last = Math.floor((toMs - 1) / MINUTE_MS);
    const warmFrom = first - this.lookbackMin;
    // Start over when asked for the past (already dropped) or far ahead (a gap not worth generating).
    if (Number.isNaN(this.genFrom) || first < this.prunedBefore || warmFrom < this.genFrom || warmFrom > this.genTo) {
      this.buckets = new Map();
      this.genFrom = this.genTo = warmFrom;
      this.prunedBefore = warmFrom;
    }
    for (let m = this.genTo; m <= last; m++) {
      for (const d of this.generate(m)) {
        // NOTE: a generator must keep its records inside its window; one outside could be lost or repeated.
        if (d.at < m * MINUTE_MS || d.at >= (m + this.lookbackMin + 1) * MINUTE_MS) continue;
        const key = Math.floor(d.at / MINUTE_MS);
        const bucket = this.buckets.get(key);
        if (bucket === undefined) this.buckets.set(key, [d]);
        else bucket.push(d);
      }
    }
    this.genTo = Math.max(this.genTo, last + 1);
    const out: Due<T>[] = [];
    for (let m = first; m <= last; m++) for (const d of this.buckets.get(m) ?? []) if (d.at >= fromMs && d.at < toMs) out.push(d);
    const keep = Math.floor(toMs / MINUTE_MS);
    for (const k of this.buckets.keys()) if (k < keep) this.buckets.delete(k);
    this.prunedBefore = Math.max(this.prunedBefore, keep);
    return out.sort((a, b) => a.at - b.at).map((d) => d.record);
  }
}
