// The behaviour both store implementations must show, as one suite run against chDB (always) and a
// ClickHouse server (whenever one is reachable): migrations, parameters, deduplicated inserts.

import { describe, expect, it } from 'vitest';
import { loadMigrations, migrate } from './migrate.js';
import type { Store } from './types.js';

export function storeContract(makeStore: () => Promise<Store>): void {
  describe('store contract', () => {
    it('applies migrations once and refuses a changed migration', async () => {
      const store = await makeStore();
      try {
        expect(await migrate(store)).toEqual([]); // makeStore already migrated
        const tables = await store.query<{ name: string }>('SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name');
        expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['counts_5m', 'schema_migrations', 'sensors']));
        const changed = loadMigrations().map((m) => (m.version === 1 ? { ...m, checksum: 'different' } : m));
        await expect(migrate(store, changed)).rejects.toThrow(/was changed after it was applied/);
      } finally {
        await store.close();
      }
    });

    it('drops a repeated insert with the same deduplication token', async () => {
      const store = await makeStore();
      try {
        const row = { source: 'camera', cell: 623250002014175231n, window_start: 1_763_800_000, breakdown: '', entries: 3, exits: 4 };
        await store.insert('counts_5m', [row], { dedupToken: 'p0:0-9' });
        await store.insert('counts_5m', [row], { dedupToken: 'p0:0-9' });
        await store.insert('counts_5m', [{ ...row, entries: 1, exits: 1 }], { dedupToken: 'p0:10-19' });
        const [sum] = await store.query<{ e: string; x: string; c: string }>(
          'SELECT sum(entries) AS e, sum(exits) AS x, toString(any(cell)) AS c FROM {db:Identifier}.counts_5m',
        );
        expect(sum).toEqual({ e: '4', x: '5', c: '623250002014175231' });
      } finally {
        await store.close();
      }
    });

    it('binds values as parameters: an injection attempt is just a string', async () => {
      const store = await makeStore();
      try {
        const evil = "x' OR 1=1; DROP TABLE sensors; --\t\\";
        const [r] = await store.query<{ s: string; n: string }>(
          'SELECT {s:String} AS s, toString(count()) AS n FROM {db:Identifier}.sensors WHERE sensor_id = {s:String}',
          { s: evil },
        );
        expect(r).toEqual({ s: evil, n: '0' });
        const tables = await store.query<{ name: string }>(
          "SELECT name FROM system.tables WHERE database = {db:String} AND name = 'sensors'",
        );
        expect(tables).toHaveLength(1);
        const [a] = await store.query<{ n: string }>('SELECT toString(length({cells:Array(UInt64)})) AS n', {
          cells: [623250002014175231n, 1n],
        });
        expect(a?.n).toBe('2');
      } finally {
        await store.close();
      }
    });

    it('produces raw output formats', async () => {
      const store = await makeStore();
      try {
        const csv = await store.queryRaw('SELECT number AS n FROM numbers({k:UInt32})', { k: 3 }, 'CSV');
        expect(csv.toString()).toBe('0\n1\n2\n');
      } finally {
        await store.close();
      }
    });
  });
}
