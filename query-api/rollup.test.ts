// The rollup query builder: the key ranges that stand in for h3ToParent, the time-zone check, and
// on chDB that reading counts_1h (migration 0007) gives exactly what the query-time rollup over
// counts_5m gives — every bucket it serves, every resolution, filters and splits — and that the
// coverage seam is honoured.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellToChildren, cellToParent, gridDisk, latLngToCell } from 'h3-js';
import { cellToUInt64 } from '../shared/h3.js';
import { loadMigrations, migrate } from '../shared/store/migrate.js';
import type { Store } from '../shared/store/types.js';
import { ChdbStore } from '../shared/store/chdb.js';
import { CHDB_TEST_PATH, chdbStore, uid } from '../shared/testing/fixtures.js';
import { DAY_MS, HOUR_MS } from '../shared/time.js';
import {
  descendantRange,
  groupCells,
  keyRanges,
  rollupSql,
  runRollup,
  wholeHourOffsets,
  type Bucket,
  type Rollup,
  type RollupLimits,
} from './rollup.js';

const u = (c: string): bigint => cellToUInt64(c);
const CPH = latLngToCell(55.6761, 12.5683, 8);

describe('descendantRange and keyRanges', () => {
  it('hold every res-10 descendant of a cell and no res-10 cell of its neighbours', () => {
    for (const [lat, lng] of [
      [55.6761, 12.5683],
      [-33.87, 151.21],
      [64.1, -21.9],
      [0.01, 0.01],
    ] as const) {
      for (const r of [7, 8, 9, 10]) {
        const cell = latLngToCell(lat, lng, r);
        const [lo, hi] = descendantRange(u(cell), r);
        for (const child of cellToChildren(cell, 10)) expect(u(child) >= lo && u(child) <= hi).toBe(true);
        for (const other of gridDisk(cell, 1).filter((c) => c !== cell)) {
          for (const child of cellToChildren(other, 10)) expect(u(child) >= lo && u(child) <= hi).toBe(false);
        }
      }
    }
  });

  it('joins overlapping ranges and caps their number with a superset', () => {
    const r8 = gridDisk(CPH, 6); // 127 res-8 cells
    const ranges = keyRanges(r8.map(u));
    expect(ranges.length).toBeLessThanOrEqual(32);
    for (const c of r8)
      for (const child of cellToChildren(c, 10).slice(0, 5)) expect(ranges.some(([lo, hi]) => u(child) >= lo && u(child) <= hi)).toBe(true);
    // A res-10 cell inside a res-8 cell adds no range.
    const child = cellToChildren(CPH, 10)[3]!;
    expect(keyRanges([u(CPH), u(child)])).toEqual([descendantRange(u(CPH), 8)]);
    expect(keyRanges([u(child)])).toEqual([[u(child), u(child)]]);
  });
});

describe('wholeHourOffsets', () => {
  const year = [Date.UTC(2025, 0, 1), Date.UTC(2026, 0, 1)] as const;
  it('is true for zones whose offsets, DST included, are whole hours', () => {
    for (const z of ['Europe/Copenhagen', 'UTC', 'America/New_York', 'Asia/Tokyo']) expect(wholeHourOffsets(z, ...year)).toBe(true);
  });
  it('is false for half- and quarter-hour zones and for Lord Howe’s half-hour DST', () => {
    for (const z of ['Asia/Kolkata', 'Asia/Kathmandu', 'America/St_Johns', 'Australia/Lord_Howe'])
      expect(wholeHourOffsets(z, ...year)).toBe(false);
  });
  it('looks only at the months of the range (Venezuela was UTC−4:30 from 2007 to 2016)', () => {
    expect(wholeHourOffsets('America/Caracas', Date.UTC(2020, 0, 1), Date.UTC(2020, 5, 1))).toBe(true);
    expect(wholeHourOffsets('America/Caracas', Date.UTC(2015, 0, 1), Date.UTC(2020, 5, 1))).toBe(false);
  });
});

const limits = (timeZone = 'Europe/Copenhagen'): RollupLimits => ({ timeZone, maxRows: 100_000, timeoutMs: 30_000 });

function countsRollup(over: Partial<Rollup> = {}): Rollup {
  return {
    table: 'counts_5m',
    source: 'camera',
    axes: [{ column: 'cell', cells: groupCells('cells', [CPH], 8) }],
    resolution: 8,
    bucket: '1h',
    from: Date.UTC(2026, 0, 1),
    to: Date.UTC(2026, 0, 2),
    breakdown: null,
    splitByBreakdown: false,
    values: { value: 'sum(entries) + sum(exits)' },
    ...over,
  };
}

describe('rollupSql', () => {
  it('reads the hourly table for 1h, 1d and 1w in a whole-hour zone, the 5-minute table otherwise and for devices and flows', () => {
    for (const bucket of ['1h', '1d', '1w'] as const)
      expect(rollupSql(countsRollup({ bucket }), limits()).tables).toEqual(['counts_5m', 'counts_1h']);
    for (const bucket of ['5m', '15m'] as const) expect(rollupSql(countsRollup({ bucket }), limits()).tables).toEqual(['counts_5m']);
    expect(rollupSql(countsRollup(), limits('Asia/Kolkata')).tables).toEqual(['counts_5m']);
    expect(rollupSql(countsRollup(), limits(), { hourly: false }).tables).toEqual(['counts_5m']);
    expect(rollupSql(countsRollup({ table: 'devices_5m' }), limits()).tables).toEqual(['devices_5m']);
    expect(rollupSql(countsRollup({ table: 'flows_5m' }), limits()).tables).toEqual(['flows_5m']);
  });

  it('binds cells and key ranges as parameters', () => {
    const { sql, params } = rollupSql(countsRollup(), limits());
    expect(sql).not.toContain(String(u(CPH)));
    const [lo, hi] = descendantRange(u(CPH), 8);
    expect(params.a0lo0).toBe(lo);
    expect(params.a0hi0).toBe(hi);
  });
});

// Data: 40 days from 2026-03-10 (over Copenhagen's change to summer time on 2026-03-29), irregular.
const FROM = Date.UTC(2026, 2, 10);
const DAYS = 40;
const base = cellToChildren(CPH, 10).slice(0, 6);
const near = gridDisk(CPH, 1)
  .filter((c) => c !== CPH)
  .slice(0, 2)
  .map((c) => cellToChildren(c, 10)[7]!);
const CELLS = [...base, ...near];

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (Math.imul(a ^ (a >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return a / 4294967296;
  };
}

async function fill(store: Store): Promise<void> {
  const rnd = random(7);
  const counts: Record<string, unknown>[] = [];
  for (let w = 0; w < DAYS * 288; w += 1 + Math.floor(rnd() * 9)) {
    const ws = FROM / 1000 + w * 300;
    const cell = u(CELLS[Math.floor(rnd() * CELLS.length)]!);
    for (const source of ['camera', 'ticketing']) {
      counts.push({
        source,
        cell,
        window_start: ws,
        breakdown: rnd() < 0.5 ? 'pedestrian' : '',
        entries: Math.floor(rnd() * 20),
        exits: Math.floor(rnd() * 20),
      });
    }
  }
  // Several inserts, as the processors write; each also feeds counts_1h through its view.
  for (let i = 0; i < 4; i++) {
    const part = <T>(xs: T[]): T[] => xs.slice((i * xs.length) / 4, ((i + 1) * xs.length) / 4);
    await store.insert('counts_5m', part(counts), { dedupToken: `t:c:${i}` });
  }
}

describe('counts_1h on chDB', () => {
  let store: Store;
  beforeAll(async () => {
    store = await chdbStore();
    await fill(store);
  }, 120_000);
  afterAll(async () => {
    await store.close();
  });

  const both = async (q: Rollup, tz = 'Europe/Copenhagen') => {
    const hourly = await runRollup(store, q, limits(tz));
    const queryTime = await runRollup(store, q, limits(tz), { hourly: false });
    return { hourly, queryTime };
  };

  it('a fresh database is covered from the start', async () => {
    const rows = await store.query<{ t: string; s: string }>(
      'SELECT rollup_table AS t, toString(toUnixTimestamp(max(complete_from))) AS s FROM {db:Identifier}.rollup_coverage GROUP BY rollup_table ORDER BY rollup_table',
    );
    expect(rows).toEqual([{ t: 'counts_1h', s: '0' }]);
  });

  it('counts: the same rows as the query-time rollup for every hourly bucket, resolution, filter and split', async () => {
    const areas: [string[], number][] = [
      [CELLS, 10],
      [[...new Set(CELLS.map((c) => cellToParent(c, 9)))], 9],
      [[CPH, ...near], 10],
      [[CPH], 8],
      [[cellToParent(CPH, 7)], 7],
    ];
    let compared = 0;
    for (const bucket of ['1h', '1d', '1w'] as Bucket[]) {
      for (const [cells, resolution] of areas) {
        for (const [breakdown, split] of [
          [null, false],
          ['pedestrian', false],
          [null, true],
        ] as const) {
          for (const source of ['camera', 'ticketing']) {
            // Unaligned ends: buckets starting in [from, to) come back whole on both paths.
            const q = countsRollup({
              source,
              axes: [{ column: 'cell', cells: groupCells('cells', cells, resolution) }],
              resolution,
              bucket,
              from: FROM + 3 * DAY_MS + 17 * 60_000,
              to: FROM + 33 * DAY_MS + 5 * HOUR_MS + 60_000,
              breakdown,
              splitByBreakdown: split,
              values: { value: 'sum(entries) + sum(exits)', entries: 'sum(entries)' },
            });
            const { hourly, queryTime } = await both(q);
            expect(hourly.length).toBeGreaterThan(0);
            expect(hourly).toEqual(queryTime);
            compared += hourly.length;
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(5000);
  });

  it('a half-hour zone reads the 5-minute table and still gets its own day boundaries', async () => {
    const q = countsRollup({ bucket: '1d', from: FROM, to: FROM + 10 * DAY_MS });
    expect(rollupSql(q, limits('Asia/Kolkata')).tables).toEqual(['counts_5m']);
    const rows = await runRollup(store, q, limits('Asia/Kolkata'));
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect((r.bucketStartMs + 5.5 * HOUR_MS) % DAY_MS).toBe(0);
  });

  it('reads the hourly table only from its coverage on: hours before come from the 5-minute table', async () => {
    const db = await chdbStore();
    try {
      await fill(db);
      const seam = FROM + 20 * DAY_MS + 7 * HOUR_MS;
      // Junk in the hourly table before the seam must not show; a later coverage row moves the seam.
      await db.insert('counts_1h', [
        { source: 'camera', cell: u(base[0]!), window_start: (seam - 5 * DAY_MS) / 1000, breakdown: '', entries: 1_000_000, exits: 0 },
      ]);
      await db.insert('rollup_coverage', [{ rollup_table: 'counts_1h', complete_from: seam / 1000 }]);
      const q = countsRollup({ bucket: '1d', from: FROM, to: FROM + DAYS * DAY_MS });
      const hourly = await runRollup(db, q, limits());
      expect(hourly).toEqual(await runRollup(db, q, limits(), { hourly: false }));
      // …while the same junk after the seam does (the hourly table is really read there).
      await db.insert('counts_1h', [
        { source: 'camera', cell: u(base[0]!), window_start: (seam + 5 * DAY_MS) / 1000, breakdown: '', entries: 1_000_000, exits: 0 },
      ]);
      const after = await runRollup(db, q, limits());
      expect(after.reduce((a, r) => a + r.values.value!, 0) - hourly.reduce((a, r) => a + r.values.value!, 0)).toBe(1_000_000);
    } finally {
      await db.close();
    }
  }, 60_000);

  it('a repeated write (same deduplication token) is dropped in counts_1h too', async () => {
    const db = await chdbStore();
    try {
      const cell = u(base[0]!);
      const ws = FROM / 1000;
      const count = { source: 'camera', cell, window_start: ws, breakdown: '', entries: 3, exits: 4 };
      for (let i = 0; i < 2; i++) await db.insert('counts_5m', [count], { dedupToken: 'p0:0-9' });
      await db.insert('counts_5m', [{ ...count, entries: 1 }], { dedupToken: 'p0:10-19' });
      const [c] = await db.query<{ e: string }>('SELECT toString(sum(entries)) AS e FROM {db:Identifier}.counts_1h');
      expect(c?.e).toBe('4');
    } finally {
      await db.close();
    }
  });
});

describe('migration 0007 on a database that already holds data', () => {
  it('covers counts_1h from a day after its view appeared (a fresh database: from the start)', async () => {
    const old = new ChdbStore(CHDB_TEST_PATH, uid('db_'));
    try {
      await migrate(
        old,
        loadMigrations().filter((m) => m.version < 7),
      );
      await old.insert('counts_5m', [
        { source: 'camera', cell: u(base[0]!), window_start: FROM / 1000, breakdown: '', entries: 1, exits: 1 },
      ]);
      expect(await migrate(old)).toContain(7);
      const rows = await old.query<{ t: string; ahead: string }>(
        `SELECT rollup_table AS t, toString(toUnixTimestamp(max(complete_from)) - toUnixTimestamp(toStartOfHour(now()))) AS ahead
         FROM {db:Identifier}.rollup_coverage GROUP BY rollup_table ORDER BY rollup_table`,
      );
      // (An hour may have begun between the migration and this read: then 23 hours ahead.)
      expect(['86400', '82800']).toContain(rows[0]?.ahead);
      // Its old rows are answered from counts_5m.
      const q = countsRollup({
        axes: [{ column: 'cell', cells: groupCells('cells', [base[0]!], 10) }],
        resolution: 10,
        from: FROM,
        to: FROM + DAY_MS,
      });
      expect((await runRollup(old, q, limits())).map((r) => r.values.value)).toEqual([2]);
    } finally {
      await old.close();
    }
  });
});
