import { afterAll, describe, expect, it } from 'vitest';
import { chdbStore } from '../testing/fixtures.js';
import type { Store } from './types.js';
import { toJsonEachRow } from './json.js';
import { insertPayload, toTabSeparated } from './payload.js';

const stores: Store[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
});

const TRICKY = ['plain', '', 'tab\there', 'new\nline', 'back\\slash', '\\N', 'it\'s "quoted"', 'cr\rnul\0bs\bff\f', 'ü € ø', '{x:String}'];

describe('insert payloads', () => {
  it('uses TabSeparated only for plain rows of strings, finite numbers and bigints with the same keys in the same order', () => {
    const ok = [
      { a: 'x', b: 1, c: 2n },
      { a: 'y\tz', b: -0.5, c: 0n },
    ];
    expect(toTabSeparated(ok)).toEqual({ format: 'TabSeparated', columns: ['a', 'b', 'c'], body: 'x\t1\t2\ny\\tz\t-0.5\t0\n' });
    expect(insertPayload(ok).format).toBe('TabSeparated');
    class Row {
      a = 'x';
    }
    const json: Record<string, unknown>[][] = [
      [],
      [{}],
      [{ a: 'x', b: null }],
      [{ a: 'x', b: true }],
      [{ a: 'x', b: new Date(0) }],
      [{ a: 'x', b: [1, 2] }],
      [{ a: 'x', b: { c: 1 } }],
      [{ a: 'x', b: undefined }],
      [{ a: 'x', b: Number.NaN }],
      [{ a: 'x', b: Infinity }],
      [{ a: 'emoji 🙂' }],
      [{ a: 'lone \ud800' }],
      [{ 'not a column': 1 }],
      [new Row()],
      [{ a: 'x', b: 1 }, { a: 'y' }],
      [{ a: 'x' }, { a: 'y', b: 1 }],
      [
        { a: 'x', b: 1 },
        { b: 1, a: 'y' },
      ],
    ];
    for (const rows of json) {
      expect(
        toTabSeparated(rows),
        JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)),
      ).toBeNull();
      if (rows.length > 0) expect(insertPayload(rows)).toEqual({ format: 'JSONEachRow', columns: null, body: toJsonEachRow(rows) });
    }
  });

  it('stores exactly what the same rows sent as JSONEachRow store', async () => {
    const store = await chdbStore();
    stores.push(store);
    const columns = `(k UInt32, s String, lc LowCardinality(String), u UInt64, i Int32, f Float64, t DateTime('UTC'), c UInt64)`;
    await store.command(`CREATE TABLE {db:Identifier}.via_tsv ${columns} ENGINE = MergeTree ORDER BY k`);
    await store.command(`CREATE TABLE {db:Identifier}.via_json ${columns} ENGINE = MergeTree ORDER BY k`);
    const rows = TRICKY.map((s, k) => ({
      k,
      s,
      lc: TRICKY[(k + 3) % TRICKY.length]!,
      u: k % 2 === 0 ? 2n ** 64n - 1n - BigInt(k) : BigInt(k),
      i: k % 3 === 0 ? -2_147_483_648 : -k,
      f: [0, -0, 1.5, -3, 1e-7, 123_456_789.123, 55.676123, 12.568, 1e21, -2.5e-300][k]!,
      t: `2026-11-22 08:0${k % 10}:00`,
      c: 0x8a1f05a4a0dffffn,
    }));
    expect(insertPayload(rows).format).toBe('TabSeparated');
    await store.insert('via_tsv', rows);
    // The reference: the JSONEachRow text of the same rows, inserted as data of an INSERT.
    await store.command(`INSERT INTO {db:Identifier}.via_json FORMAT JSONEachRow\n${toJsonEachRow(rows)}`);
    const read = (t: string): Promise<Record<string, unknown>[]> =>
      store.query(`SELECT k, s, lc, toString(u) AS u, i, f, t, toString(c) AS c FROM {db:Identifier}.{t:Identifier} ORDER BY k`, { t });
    const viaTsv = await read('via_tsv');
    expect(viaTsv).toHaveLength(rows.length);
    expect(viaTsv).toEqual(await read('via_json'));
    expect(viaTsv.map((r) => r.s)).toEqual(TRICKY);
  });
});
