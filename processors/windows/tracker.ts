// Event-time window bookkeeping for one partition: the watermark (largest event time seen), which
// windows are open, and when they close — once the watermark passes their end plus the allowed
// lateness, or when the partition has been idle for the idle timeout (so history posted in one go
// still closes). A record for a closed window is late: it still counts, as a correction.

export interface TrackerOptions {
  windowMs: number;
  allowedLatenessMs: number;
  idleTimeoutMs: number;
}

export interface TrackerState {
  /** Largest event time seen (ms), or null before the first record. */
  watermark: number | null;
  /** Every window ending at or before this instant is closed (ms). */
  closedBefore: number;
}

export interface Closed {
  windowStart: number;
  reason: 'watermark' | 'idle';
}

export class WindowTracker {
  private watermark: number | null;
  private closedBefore: number;
  private readonly open = new Set<number>();
  private lastActivityMs: number;

  constructor(
    private readonly opts: TrackerOptions,
    state: TrackerState = { watermark: null, closedBefore: Number.NEGATIVE_INFINITY },
    nowMs = Date.now(),
  ) {
    this.watermark = state.watermark;
    this.closedBefore = state.closedBefore;
    this.lastActivityMs = nowMs;
  }

  /** Notes a record's contribution to `windowStart` at event time `eventMs`; returns true when that window had already closed (a late record). */
  observe(windowStart: number, eventMs: number, nowMs: number): boolean {
    this.lastActivityMs = nowMs;
    if (this.watermark === null || eventMs > this.watermark) this.watermark = eventMs;
    if (windowStart + this.opts.windowMs <= this.closedBefore) return true;
    this.open.add(windowStart);
    return false;
  }

  /** Closes what the watermark or idleness allows; returns the windows closed now, oldest first. */
  advance(nowMs: number): Closed[] {
    const closed: Closed[] = [];
    if (this.watermark !== null) this.closedBefore = Math.max(this.closedBefore, this.watermark - this.opts.allowedLatenessMs);
    this.collect(closed, 'watermark');
    if (this.open.size > 0 && nowMs - this.lastActivityMs >= this.opts.idleTimeoutMs) {
      this.closedBefore = Math.max(this.closedBefore, Math.max(...this.open) + this.opts.windowMs);
      this.collect(closed, 'idle');
    }
    return closed.sort((a, b) => a.windowStart - b.windowStart);
  }

  private collect(into: Closed[], reason: Closed['reason']): void {
    for (const w of this.open) {
      if (w + this.opts.windowMs <= this.closedBefore) {
        this.open.delete(w);
        into.push({ windowStart: w, reason });
      }
    }
  }

  openWindows(): number {
    return this.open.size;
  }

  state(): TrackerState {
    return { watermark: this.watermark, closedBefore: this.closedBefore };
  }
}
