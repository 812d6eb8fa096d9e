// Per-key state of the keyed operators (a device's open visit, last cell, open journey) with the
// rules that make it rebuildable by replay after a restart:
// - the clock is the largest event time of the records added so far, so every decision is a
//   function of the partition's record sequence alone (no wall clock);
// - an entry is stale once the clock is more than `horizonMs` past its last event time; stale
//   entries behave as absent, whether or not a sweep has removed them yet;
// - every entry remembers the replay point of the record its chain started at (offset and the clock
//   just before it), and the partition's checkpoint is the oldest of those, so replaying from there
//   with that clock rebuilds exactly the live entries.
// Operators keep an entry's `last` monotonic (records older than it do not move it), which is what
// makes a replay that starts without older entries converge to the same state.

import type { ReplayPoint } from './operator.js';

export interface KeyedEntry {
  /** Event time of the latest record that moved this entry (ms). */
  last: number;
  /** Replay point of the record this entry's chain started at. */
  point: ReplayPoint;
}

export class KeyedState<V extends KeyedEntry> {
  private readonly entries = new Map<string, V>();
  private clockMs: number | null = null;

  constructor(private readonly horizonMs: number) {}

  get clock(): number | null {
    return this.clockMs;
  }

  /** The replay point of a record about to be added at `offset`. */
  pointAt(offset: number): ReplayPoint {
    return { offset, clock: this.clockMs };
  }

  /** Moves the clock past a record's event time (after the record was handled). */
  advance(eventMs: number): void {
    if (this.clockMs === null || eventMs > this.clockMs) this.clockMs = eventMs;
  }

  restore(point: ReplayPoint): void {
    this.entries.clear();
    this.clockMs = point.clock;
  }

  isStale(v: V): boolean {
    return this.clockMs !== null && this.clockMs - v.last > this.horizonMs;
  }

  /** The live entry of `key`. A stale one is removed and handed to `onStale` first (it is closing). */
  get(key: string, onStale?: (v: V) => void): V | undefined {
    const v = this.entries.get(key);
    if (v === undefined || !this.isStale(v)) return v;
    this.entries.delete(key);
    onStale?.(v);
    return undefined;
  }

  set(key: string, v: V): void {
    this.entries.set(key, v);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Removes and returns every stale entry, in insertion order (deterministic). */
  sweep(): V[] {
    const out: V[] = [];
    for (const [k, v] of this.entries) {
      if (this.isStale(v)) {
        this.entries.delete(k);
        out.push(v);
      }
    }
    return out;
  }

  /** The oldest replay point among the entries (after a sweep: the live ones), or null. */
  checkpoint(): ReplayPoint | null {
    let oldest: ReplayPoint | null = null;
    for (const v of this.entries.values()) if (oldest === null || v.point.offset < oldest.offset) oldest = v.point;
    return oldest;
  }

  size(): number {
    return this.entries.size;
  }
}
