import { afterAll, describe, expect, it } from 'vitest';
import { ChdbStore } from '../../shared/store/chdb.js';
import { loadMigrations, migrate } from '../../shared/store/migrate.js';
import type { Store } from '../../shared/store/types.js';
import { CHDB_TEST_PATH, uid } from '../../shared/testing/fixtures.js';
import { alreadySeen, SEEN_IDS_INSERT_TABLE, type SeenQuery } from './seen.js';

const TOPIC = 'pm.raw.camera.v1';
const stores: Store[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
});

/** The lookup StreamProcessor.alreadyCounted runs on seen_records (the reference). */
async function reference(store: Store, q: SeenQuery): Promise<Set<string>> {
  if (q.ids.length === 0) return new Set();
  const rows = await store.query<{ record_id: string }>(
    `SELECT DISTINCT record_id FROM {db:Identifier}.seen_records
     WHERE source = {source:String} AND record_id IN {ids:Array(String)}
       AND NOT (topic = {topic:String} AND partition = {partition:UInt32} AND offset >= {from:UInt64})`,
    { source: q.source, ids: [...q.ids], topic: q.topic, partition: q.partition, from: q.from },
  );
  return new Set(rows.map((r) => r.record_id));
}

const row = (record_id: string, partition: number, offset: number, source = 'camera') => ({
  source,
  record_id,
  topic: TOPIC,
  partition,
  offset,
});

describe('alreadySeen (seen_ids)', () => {
  it('finds what the seen_records lookup finds, ids written before the migration and through either table included', async () => {
    const store = new ChdbStore(CHDB_TEST_PATH, uid('db_'));
    stores.push(store);
    const all = loadMigrations();
    await migrate(
      store,
      all.filter((m) => m.version < 6),
    );
    // Counted before migration 0006: copied into seen_ids by it.
    const before = [row('old-1', 0, 1), row('old-2', 1, 2), row('shared', 0, 3, 'ticketing')];
    await store.insert('seen_records', before);
    await migrate(store, all);
    // Written to seen_records by a processor not yet reading seen_ids, and to seen_ids_in by one that does (same rows).
    const later = [row('a', 0, 10), row('b', 0, 11), row('c', 1, 12), row('', 2, 13), row('with\nnewline', 2, 14), row('ü-é', 2, 15)];
    await store.insert('seen_records', later.slice(0, 3));
    await store.insert('seen_records', later.slice(3), { dedupToken: `${TOPIC}:2:13-15` });
    await store.insert(SEEN_IDS_INSERT_TABLE, later.slice(3), { dedupToken: `${TOPIC}:2:13-15` });
    const fresh = [row('d', 0, 20), row('e', 3, 21), row('shared', 3, 22)];
    await store.insert('seen_records', fresh);
    await store.insert(SEEN_IDS_INSERT_TABLE, fresh, { dedupToken: `${TOPIC}:3:20-22` });
    // A repeated write (same token) adds nothing.
    await store.insert(SEEN_IDS_INSERT_TABLE, fresh, { dedupToken: `${TOPIC}:3:20-22` });
    const [n] = await store.query<{ n: string }>('SELECT count() AS n FROM {db:Identifier}.seen_ids FINAL');
    expect(Number(n?.n)).toBe(3 + 6 + 3);

    const ids = ['old-1', 'old-2', 'shared', 'a', 'b', 'c', '', 'ü-é', 'd', 'e', 'never', 'never', 'a'];
    const queries: SeenQuery[] = [
      { source: 'camera', ids, topic: TOPIC, partition: 0, from: 1_000 },
      { source: 'camera', ids, topic: TOPIC, partition: 0, from: 11 }, // b (and later offsets of p0) are a repeat of this write
      { source: 'camera', ids, topic: TOPIC, partition: 2, from: 0 },
      { source: 'camera', ids: [...ids, 'with\nnewline'], topic: TOPIC, partition: 1, from: 5 },
      { source: 'ticketing', ids, topic: TOPIC, partition: 9, from: 0 },
      { source: 'camera', ids: ['never'], topic: TOPIC, partition: 0, from: 0 },
      { source: 'camera', ids: [], topic: TOPIC, partition: 0, from: 0 },
    ];
    for (const q of queries) expect(await alreadySeen(store, q), JSON.stringify(q)).toEqual(await reference(store, q));
    expect(await alreadySeen(store, queries[1]!)).toEqual(new Set(['old-1', 'old-2', 'shared', 'a', 'c', '', 'ü-é', 'e']));
    expect(await alreadySeen(store, queries[3]!)).toContain('with\nnewline');
  });
});
