import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { spreadCount } from '../windows/spread.js';
import { CountAggregate, type CountRow } from './aggregate.js';

const W = 5 * 60_000;
const T0 = Date.UTC(2026, 10, 22, 8, 0);

type Counted = { start: number; end: number; in: number; out: number; class: string | null };

/** The aggregate as first written (string keys, spreadCount for every record): the reference. */
class Reference {
  readonly rows = new Map<string, CountRow>();

  add(r: Counted, cell: bigint): number[] {
    const breakdown = r.class ?? '';
    const touched = new Set<number>();
    for (const [field, shares] of [
      ['entries', spreadCount(r.start, r.end, r.in, W)],
      ['exits', spreadCount(r.start, r.end, r.out, W)],
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
    if (touched.size === 0) touched.add(Math.floor(r.start / W) * W);
    return [...touched];
  }
}

const plain = (rows: Iterable<CountRow>): CountRow[] =>
  [...rows].map(({ cell, windowStart, breakdown, entries, exits }) => ({ cell, windowStart, breakdown, entries, exits }));

describe('CountAggregate', () => {
  it('sums a count inside one window whole, per (cell, window, breakdown), zero counts included', () => {
    const agg = new CountAggregate(W);
    expect(agg.add({ start: T0 + 60_000, end: T0 + 120_000, in: 3, out: 1, class: 'pedestrian' }, 7n)).toEqual([T0]);
    expect(agg.add({ start: T0 + 180_000, end: T0 + 300_000, in: 2, out: 2, class: 'pedestrian' }, 7n)).toEqual([T0]);
    expect(agg.add({ start: T0, end: T0 + 60_000, in: 5, out: 0, class: 'cyclist' }, 7n)).toEqual([T0]);
    expect(agg.add({ start: T0 + W, end: T0 + W, in: 0, out: 0, class: null }, 8n)).toEqual([T0 + W]);
    expect(plain(agg.values())).toEqual([
      { cell: 7n, windowStart: T0, breakdown: 'pedestrian', entries: 5, exits: 3 },
      { cell: 7n, windowStart: T0, breakdown: 'cyclist', entries: 5, exits: 0 },
      { cell: 8n, windowStart: T0 + W, breakdown: '', entries: 0, exits: 0 },
    ]);
    expect(agg.size()).toBe(3);
    agg.clear();
    expect(agg.size()).toBe(0);
    expect([...agg.values()]).toEqual([]);
  });

  it('spreads a longer interval over its windows; one counting nobody still touches its first window', () => {
    const agg = new CountAggregate(W);
    expect(agg.add({ start: T0 + 3 * 60_000, end: T0 + 8 * 60_000, in: 10, out: 0, class: null }, 1n)).toEqual([T0, T0 + W]);
    expect(agg.add({ start: T0 + 3 * 60_000, end: T0 + 18 * 60_000, in: 0, out: 0, class: null }, 2n)).toEqual([T0]);
    expect(plain(agg.values())).toEqual([
      { cell: 1n, windowStart: T0, breakdown: '', entries: 4, exits: 0 },
      { cell: 1n, windowStart: T0 + W, breakdown: '', entries: 6, exits: 0 },
    ]);
  });

  it('gives the same rows, in the same order, and the same touched windows as the reference (random records)', () => {
    const record = fc.record({
      cell: fc.constantFrom(1n, 2n, 0x8a1f05a4a0dffffn, 2n ** 63n + 5n),
      start: fc.integer({ min: 0, max: 6 * W }).map((d) => T0 + d),
      // Mostly inside one window; sometimes zero-length, sometimes hours long.
      length: fc.oneof(fc.integer({ min: 0, max: W }), fc.constant(0), fc.integer({ min: 0, max: 3 * 3_600_000 })),
      in: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 500 })),
      out: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 500 })),
      class: fc.constantFrom(null, 'pedestrian', 'cyclist', 'metro'),
    });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 60 }), fc.integer({ min: 0, max: 60 }), (records, clearAt) => {
        const agg = new CountAggregate(W);
        let ref = new Reference();
        records.forEach((r, i) => {
          if (i === clearAt) {
            agg.clear();
            ref = new Reference();
          }
          const c = { start: r.start, end: r.start + r.length, in: r.in, out: r.out, class: r.class };
          expect(agg.add(c, r.cell)).toEqual(ref.add(c, r.cell));
        });
        expect(plain(agg.values())).toEqual([...ref.rows.values()]);
        expect(agg.size()).toBe(ref.rows.size);
      }),
      { numRuns: 300 },
    );
  });
});
