// The lattice units a request covers: bucket starts listed here must be the buckets the rollup
// computes in ClickHouse (checked on chDB over DST changes and half-hour zones), and output cells
// the children of the requested cells.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellToChildren, cellToParent, latLngToCell } from 'h3-js';
import { chdbStore } from '../../shared/testing/fixtures.js';
import type { ChdbStore } from '../../shared/store/chdb.js';
import { BUCKETS } from '../rollup.js';
import { bucketStarts, outputCellCount, outputCells, splitValues } from './grid.js';
import { LATTICE_BUCKETS } from './release.js';

describe('bucketStarts', () => {
  let store: ChdbStore;
  beforeAll(async () => {
    store = await chdbStore();
  });
  afterAll(async () => {
    await store.command('DROP DATABASE IF EXISTS {db:Identifier}');
    await store.close();
  });

  /** The distinct buckets ClickHouse gives the 5-minute windows of [from - 8 days, to + 8 days) that start in [from, to). */
  async function clickhouse(from: number, to: number, bucket: keyof typeof BUCKETS, tz: string): Promise<number[]> {
    const rows = await store.query<{ b: string }>(
      `SELECT DISTINCT toUnixTimestamp(${BUCKETS[bucket].sql}) AS b
       FROM (SELECT toDateTime({start:Int64} + number * 300, 'UTC') AS window_start FROM numbers({n:UInt64}))
       WHERE b >= {fromS:Int64} AND b < {toS:Int64} ORDER BY b`,
      {
        start: Math.floor(from / 1000) - 8 * 86400,
        n: Math.ceil((to - from) / 300_000) + 2 * 8 * 288,
        tz,
        fromS: from / 1000,
        toS: to / 1000,
      },
    );
    return rows.map((r) => Number(r.b) * 1000);
  }

  const cases: [string, string, string][] = [
    ['Europe/Copenhagen', '2026-03-27T13:10:00Z', '2026-04-08T00:00:00Z'], // spring forward
    ['Europe/Copenhagen', '2026-10-20T00:00:00Z', '2026-11-10T07:00:00Z'], // fall back
    ['America/New_York', '2026-10-28T05:00:00Z', '2026-11-05T00:00:00Z'],
    ['Asia/Kolkata', '2026-01-01T00:10:00Z', '2026-01-19T00:00:00Z'], // +05:30
    ['America/St_Johns', '2026-10-28T00:00:00Z', '2026-11-06T00:00:00Z'], // -03:30 and DST
    ['UTC', '2026-02-23T00:00:00Z', '2026-03-10T00:00:00Z'],
  ];
  it.each(cases)('lists the buckets the rollup computes (%s, from %s)', async (tz, fromIso, toIso) => {
    const from = Date.parse(fromIso);
    const to = Date.parse(toIso);
    for (const bucket of LATTICE_BUCKETS) {
      expect(bucketStarts(from, to, bucket, tz, 100_000), `${tz} ${bucket}`).toEqual(await clickhouse(from, to, bucket, tz));
    }
  });

  it('refuses more buckets than the limit', () => {
    const from = Date.parse('2026-01-01T00:00:00Z');
    expect(bucketStarts(from, from + 3_600_000, '5m', 'UTC', 12)).toHaveLength(12);
    expect(() => bucketStarts(from, from + 3_600_000 + 1, '5m', 'UTC', 12)).toThrow(/more than 12/);
  });
});

describe('outputCells', () => {
  const a10 = latLngToCell(55.6786, 12.5786, 10);
  const p8 = cellToParent(a10, 8);
  it('lists requested cells at the output resolution, children of coarser ones, once each', () => {
    expect(outputCells([a10], 10)).toEqual([a10]);
    const cells = outputCells([p8, a10], 10);
    expect(cells).toEqual([...cellToChildren(p8, 10)].sort());
    expect(cells).toHaveLength(49);
    expect(outputCellCount([p8, a10], 10)).toBe(50); // an upper bound: overlaps counted twice
    expect(outputCells([p8], 9)).toHaveLength(7);
  });
});

describe('splitValues', () => {
  it('lists none, the vocabulary, then any other value seen', () => {
    expect(splitValues('camera', ['pedestrian'])).toEqual(['', 'pedestrian', 'cyclist', 'vehicle', 'unknown']);
    expect(splitValues('telco', [])).toEqual(['', 'resident', 'domestic_visitor', 'international_visitor', 'unknown']);
    expect(splitValues('ticketing', ['train', 'metro', '', 'metro'])).toEqual(['', 'metro', 'train']);
  });
});
