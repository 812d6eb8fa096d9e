// CountedIds on chDB: an hour's ids of one partition are read once, ids of other partitions, sources
// and hours are not, ids at or after the first uncommitted offset are left out, and hours older than
// the latest few are forgotten (and read again when asked for).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChdbStore } from '../../shared/store/chdb.js';
import { chdbStore } from '../../shared/testing/fixtures.js';
import { HOUR_MS } from '../../shared/time.js';
import { COUNTED_IDS_TABLE, CountedIds, hourOf, LOAD_SQL, RECENT_HOURS } from './counted.js';

const H0 = Date.UTC(2026, 10, 20, 10);
const topic = 'pm.raw.camera.v1';

describe('CountedIds', () => {
  let store: ChdbStore;
  beforeAll(async () => {
    store = await chdbStore();
    const row = (record_id: string, hour: number, offset: number, partition = 0, source = 'camera') => ({
      source,
      topic,
      partition,
      hour: hour / 1000,
      record_id,
      offset,
    });
    await store.insert(COUNTED_IDS_TABLE, [
      row('a', H0, 1),
      row('b', H0, 2),
      row('late', H0, 50), // written by an unfinished write at or after the first uncommitted offset
      row('c', H0 + HOUR_MS, 3),
      row('other-partition', H0, 4, 1),
      row('other-source', H0, 5, 0, 'ticketing'),
      row('with\nnewline ü', H0, 6),
    ]);
  });
  afterAll(() => store.close());

  it('reads the ids of the hours asked for, of its own partition and source, written before `from`', async () => {
    const counted = new CountedIds(store, { source: 'camera', topic, partition: 0 });
    expect(counted.missing([H0, H0, H0 + HOUR_MS])).toEqual([H0, H0 + HOUR_MS]);
    await counted.load([H0], 10);
    expect(counted.missing([H0, H0 + HOUR_MS])).toEqual([H0 + HOUR_MS]);
    for (const id of ['a', 'b', 'with\nnewline ü']) expect(counted.has(H0, id), id).toBe(true);
    for (const id of ['late', 'c', 'other-partition', 'other-source']) expect(counted.has(H0, id), id).toBe(false);
    expect(counted.has(H0 + HOUR_MS, 'c')).toBe(false); // not read yet
    await counted.load([H0 + HOUR_MS], 10);
    expect(counted.has(H0 + HOUR_MS, 'c')).toBe(true);
    // An hour without ids reads as empty, and is not read again.
    await counted.load([H0 - HOUR_MS], 10);
    expect(counted.missing([H0 - HOUR_MS])).toEqual([]);
    expect(counted.size()).toBe(4);
  });

  it('remembers what it is told was counted, and forgets hours older than the latest few', async () => {
    const counted = new CountedIds(store, { source: 'camera', topic, partition: 0 });
    await counted.load([H0], 10);
    counted.add(H0, 'new');
    expect(counted.has(H0, 'new')).toBe(true);
    const latest = H0 + RECENT_HOURS * HOUR_MS;
    await counted.load([latest], 10);
    counted.add(latest, 'newest');
    counted.evict();
    expect(counted.missing([H0, latest])).toEqual([H0]);
    // Read again from the store: what was written there comes back, what was only remembered does not.
    await counted.load([H0], 10);
    expect(counted.has(H0, 'a')).toBe(true);
    expect(counted.has(H0, 'new')).toBe(false);
  });

  it('reads an hour as a range of the primary key, not the whole partition', async () => {
    const plan = await store.query<{ explain: string }>(`EXPLAIN indexes = 1 ${LOAD_SQL}`, {
      source: 'camera',
      topic,
      partition: 0,
      hours: [H0 / 1000, (H0 + HOUR_MS) / 1000],
      from: 10,
    });
    const condition = plan.map((r) => r.explain).find((l) => l.includes('Condition:')) ?? '';
    expect(condition).toMatch(/hour in/);
    expect(condition).toMatch(/partition in/);
  });

  it('puts a record in the hour of its event time', () => {
    expect(hourOf(H0 + 59 * 60_000 + 59_999)).toBe(H0);
    expect(hourOf(H0 + HOUR_MS)).toBe(H0 + HOUR_MS);
  });
});
