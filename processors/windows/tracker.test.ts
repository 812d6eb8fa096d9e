import { describe, expect, it } from 'vitest';
import { WindowTracker } from './tracker.js';

const W = 5 * 60_000;
const L = 2 * 60_000;
const T0 = Date.UTC(2026, 10, 22, 8, 0);
const opts = { windowMs: W, allowedLatenessMs: L, idleTimeoutMs: 10_000 };

describe('WindowTracker', () => {
  it('closes a window once the watermark passes its end plus the allowed lateness', () => {
    const t = new WindowTracker(opts, undefined, 0);
    expect(t.observe(T0, T0 + 60_000, 0)).toBe(false);
    expect(t.observe(T0 + W, T0 + W + 60_000, 0)).toBe(false);
    expect(t.advance(1)).toEqual([]);
    // Watermark at end + lateness - 1 ms: still open.
    t.observe(T0 + W, T0 + W + L - 1, 1);
    expect(t.advance(2)).toEqual([]);
    t.observe(T0 + W, T0 + W + L, 2);
    expect(t.advance(3)).toEqual([{ windowStart: T0, reason: 'watermark' }]);
    expect(t.openWindows()).toBe(1);
  });

  it('flags records for closed windows as late, and they do not reopen them', () => {
    const t = new WindowTracker(opts, undefined, 0);
    t.observe(T0, T0 + 1000, 0);
    t.observe(T0 + 3 * W, T0 + 3 * W + 1000, 0);
    t.advance(0);
    expect(t.observe(T0, T0 + 2000, 1)).toBe(true);
    expect(t.openWindows()).toBe(1);
  });

  it('closes every open window of an idle partition after the idle timeout', () => {
    const t = new WindowTracker(opts, undefined, 0);
    t.observe(T0, T0 + 1000, 0);
    t.observe(T0 + W, T0 + W + 1000, 0);
    expect(t.advance(9_999)).toEqual([]);
    expect(t.advance(10_000)).toEqual([
      { windowStart: T0, reason: 'idle' },
      { windowStart: T0 + W, reason: 'idle' },
    ]);
    expect(t.observe(T0 + W, T0 + W + 2000, 10_001)).toBe(true);
  });

  it('resumes from saved state', () => {
    const t = new WindowTracker(opts, undefined, 0);
    t.observe(T0 + 4 * W, T0 + 4 * W + 1, 0);
    t.advance(0);
    const resumed = new WindowTracker(opts, t.state(), 0);
    expect(resumed.state()).toEqual(t.state());
    expect(resumed.observe(T0, T0 + 1, 0)).toBe(true);
  });
});
