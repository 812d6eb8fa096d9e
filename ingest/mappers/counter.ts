// Cumulative counters (turnstile ENTRIES/EXITS registers read every few hours) → counts per interval
// between consecutive readings of the same device. Keeps only the last reading per device and
// counter; implausible differences are rejected with the reason and the counter re-bases.

import { HOUR_MS, MINUTE_MS } from '../../shared/time.js';
import { DEFAULT_MAX_COUNT } from '../../schemas/records.js';

export interface CounterLimits {
  /** Most passages per minute one counter can plausibly register; a larger difference is rejected. */
  maxPerMinute: number;
  /** Longest interval between two readings that still yields a count (ms); longer gaps are rejected. */
  maxGapMs: number;
}

export const DEFAULT_COUNTER_LIMITS: CounterLimits = { maxPerMinute: 60, maxGapMs: 24 * HOUR_MS };

/** One counter value read at one time; `value` undefined when this reading lacks the counter. */
export interface CounterValue {
  name: string;
  value: number | undefined;
}

export type CounterResult =
  | { kind: 'interval'; counter: string; startMs: number; startOffset: number; endMs: number; endOffset: number; count: number }
  | { kind: 'reject'; field: string; reason: string };

interface Last {
  ms: number;
  offset: number;
  value: number;
}

interface DeviceState {
  /** Time of the device's latest accepted reading: later readings must be after it. */
  ms: number;
  counters: Map<string, Last>;
}

/**
 * Differences consecutive readings per device and counter. Rows must arrive in time order per
 * device (the order devices report and MTA files are written): an older reading is rejected as out
 * of order, one at the same time as the previous as a duplicate; neither moves the base. Sorting
 * instead would need the whole input in memory.
 */
export class CumulativeCounters {
  private readonly devices = new Map<string, DeviceState>();

  constructor(private readonly limits: CounterLimits = DEFAULT_COUNTER_LIMITS) {}

  /** Time of the device's last accepted reading (to place a repeated local hour after it). */
  previousMs(device: string): number | undefined {
    return this.devices.get(device)?.ms;
  }

  push(device: string, ms: number, offset: number, values: CounterValue[], timeField: string): CounterResult[] {
    let state = this.devices.get(device);
    if (state !== undefined && ms < state.ms)
      return [{ kind: 'reject', field: timeField, reason: `reading is older than the previous reading of this device (out of order)` }];
    if (state !== undefined && ms === state.ms)
      return [{ kind: 'reject', field: timeField, reason: 'duplicate reading: this device already reported at this time' }];
    if (state === undefined) {
      state = { ms, counters: new Map() };
      this.devices.set(device, state);
    }
    state.ms = ms;
    const out: CounterResult[] = [];
    for (const { name, value } of values) {
      if (value === undefined) continue;
      const last = state.counters.get(name);
      state.counters.set(name, { ms, offset, value });
      if (last === undefined) continue;
      const elapsed = ms - last.ms;
      const diff = value - last.value;
      const minutes = Math.max(1, elapsed / MINUTE_MS);
      const allowed = Math.min(DEFAULT_MAX_COUNT, Math.floor(this.limits.maxPerMinute * minutes));
      if (elapsed > this.limits.maxGapMs)
        out.push({
          kind: 'reject',
          field: timeField,
          reason: `${name}: readings ${hours(elapsed)} apart, more than ${hours(this.limits.maxGapMs)} (maxGapMs); counting resumes from this reading`,
        });
      else if (diff < 0)
        out.push({
          kind: 'reject',
          field: name,
          reason: `counter went backwards by ${-diff} since the previous reading (reset or rollback); counting resumes from this reading`,
        });
      else if (diff > allowed)
        out.push({
          kind: 'reject',
          field: name,
          reason: `counter rose by ${diff} in ${hours(elapsed)}, more than ${this.limits.maxPerMinute} per minute (maxPerMinute); counting resumes from this reading`,
        });
      else
        out.push({
          kind: 'interval',
          counter: name,
          startMs: last.ms,
          startOffset: last.offset,
          endMs: ms,
          endOffset: offset,
          count: diff,
        });
    }
    return out;
  }
}

function hours(ms: number): string {
  const h = ms / HOUR_MS;
  return h >= 1 ? `${Number(h.toFixed(2))} h` : `${Number((ms / MINUTE_MS).toFixed(1))} min`;
}
