import { describe, expect, it } from 'vitest';
import { spreadCount } from './spread.js';

const W = 5 * 60_000;
const T0 = Date.UTC(2026, 10, 22, 8, 0);

describe('spreadCount', () => {
  it('keeps a count inside one window whole', () => {
    expect(spreadCount(T0 + 60_000, T0 + 240_000, 17, W)).toEqual([{ windowStart: T0, count: 17 }]);
  });

  it('spreads an aligned hour evenly over its twelve windows, summing exactly', () => {
    const shares = spreadCount(T0, T0 + 3_600_000, 100, W);
    expect(shares).toHaveLength(12);
    expect(shares.reduce((s, x) => s + x.count, 0)).toBe(100);
    // 100 / 12 = 8.33: four windows get 9, eight get 8, spread out rather than bunched.
    expect(shares.map((s) => s.count)).toEqual([8, 9, 8, 8, 9, 8, 8, 9, 8, 8, 9, 8]);
    expect(shares.every((s) => s.windowStart >= T0 && s.windowStart < T0 + 3_600_000)).toBe(true);
  });

  it('splits an unaligned interval by overlap', () => {
    // 08:03–08:08: 2 minutes in the 08:00 window, 3 in the 08:05 window.
    expect(spreadCount(T0 + 3 * 60_000, T0 + 8 * 60_000, 10, W)).toEqual([
      { windowStart: T0, count: 4 },
      { windowStart: T0 + W, count: 6 },
    ]);
  });

  it('never loses or invents counts, and stays inside the interval (random cases)', () => {
    let seed = 42;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 500; i++) {
      const start = T0 + Math.floor(rnd() * 86_400_000);
      const end = start + 1 + Math.floor(rnd() * 6 * 3_600_000);
      const count = Math.floor(rnd() * 5000);
      const shares = spreadCount(start, end, count, W);
      expect(shares.reduce((s, x) => s + x.count, 0)).toBe(count);
      let prefix = 0;
      for (const s of shares) {
        prefix += s.count;
        // Every prefix holds its proportional part to within one count.
        const covered = Math.min(end, s.windowStart + W) - start;
        expect(Math.abs(prefix - (count * covered) / (end - start))).toBeLessThanOrEqual(1);
        expect(s.windowStart % W).toBe(0);
        expect(s.windowStart + W).toBeGreaterThan(start);
        expect(s.windowStart).toBeLessThan(end);
        expect(s.count).toBeGreaterThan(0);
      }
    }
  });

  it('keeps hourly sums exact for a count spanning whole hours', () => {
    const shares = spreadCount(T0, T0 + 3 * 3_600_000, 1000, W);
    const perHour = [0, 1, 2].map((h) =>
      shares.filter((s) => Math.floor((s.windowStart - T0) / 3_600_000) === h).reduce((a, s) => a + s.count, 0),
    );
    expect(perHour.reduce((a, b) => a + b, 0)).toBe(1000);
    // Proportional to the overlap: each hour gets a third, within one count of rounding.
    for (const h of perHour) expect(Math.abs(h - 1000 / 3)).toBeLessThanOrEqual(1);
    expect(perHour).toEqual([333, 334, 333]);
  });
});
