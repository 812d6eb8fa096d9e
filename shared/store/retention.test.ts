// Retention per dataset on chDB: the TTL shows in the table definition, is set once (a second start
// changes nothing), follows a change of the days, goes away at 0, and rows older than it are gone
// after a merge; PASSAGE_RETENTION_DAYS is checked like every other setting.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';
import { chdbStore } from '../testing/fixtures.js';
import { applyRetention, RETENTION_TABLES, ttlDays, type RetentionDays } from './retention.js';
import type { Store } from './types.js';

const FOREVER: RetentionDays = { counts: 0, devices: 0, flows: 0, context: 0 };
const DAY_S = 86_400;

async function createQuery(store: Store, table: string): Promise<string> {
  const [r] = await store.query<{ q: string }>(
    'SELECT create_table_query AS q FROM system.tables WHERE database = {db:String} AND name = {t:String}',
    {
      db: store.database,
      t: table,
    },
  );
  return r!.q;
}

async function rowCount(store: Store, table: string): Promise<number> {
  const [r] = await store.query<{ n: string }>('SELECT toString(count()) AS n FROM {db:Identifier}.{t:Identifier}', { t: table });
  return Number(r!.n);
}

describe('applyRetention on chDB', () => {
  let store: Store;
  beforeEach(async () => {
    store = await chdbStore();
  });
  afterEach(async () => {
    await store.close();
  });

  it('sets a TTL on every table of a dataset, once, and changes or removes it when the days change', async () => {
    expect(await applyRetention(store, FOREVER)).toEqual([]);
    const changes = await applyRetention(store, { ...FOREVER, counts: 30, context: 400 });
    expect(changes).toEqual([
      { table: 'counts_5m', fromDays: null, toDays: 30 },
      { table: 'counts_1h', fromDays: null, toDays: 30 },
      { table: 'context_weather', fromDays: null, toDays: 400 },
      { table: 'context_events', fromDays: null, toDays: 400 },
      { table: 'context_incidents', fromDays: null, toDays: 400 },
    ]);
    expect(await createQuery(store, 'counts_5m')).toMatch(/ TTL window_start \+ toIntervalDay\((_CAST\()?30\b/);
    expect(await createQuery(store, 'context_events')).toMatch(/ TTL toDateTime\(received_at\) \+ toIntervalDay\((_CAST\()?400\b/);
    expect(await createQuery(store, 'devices_5m')).not.toContain(' TTL ');
    // Idempotent: a second start with the same settings alters nothing.
    expect(await applyRetention(store, { ...FOREVER, counts: 30, context: 400 })).toEqual([]);
    expect(await applyRetention(store, { ...FOREVER, counts: 90 })).toEqual([
      { table: 'counts_5m', fromDays: 30, toDays: 90 },
      { table: 'counts_1h', fromDays: 30, toDays: 90 },
      { table: 'context_weather', fromDays: 400, toDays: null },
      { table: 'context_events', fromDays: 400, toDays: null },
      { table: 'context_incidents', fromDays: 400, toDays: null },
    ]);
    expect(await createQuery(store, 'context_events')).not.toContain(' TTL ');
    expect(await applyRetention(store, FOREVER)).toHaveLength(2);
    expect(await createQuery(store, 'counts_5m')).not.toContain(' TTL ');
    expect(await applyRetention(store, FOREVER)).toEqual([]);
  });

  it('rows older than the retention are gone after a merge; newer ones and other datasets stay', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cell = 623250002014175231n;
    const at = (daysAgo: number) => now - daysAgo * DAY_S;
    const counts = [40, 20, 1].map((d) => ({ source: 'camera', cell, window_start: at(d), breakdown: '', entries: 1, exits: 1 }));
    await store.insert('counts_5m', counts);
    await store.insert(
      'devices_in',
      [40, 1].map((d) => ({ source: 'wifi', cell, window_start: at(d), breakdown: '', device: 'x', sessions: 1, dwell_ms: 1 })),
    );
    const weather = (id: string, daysAgo: number) => ({
      observed_at: at(daysAgo + 1),
      station_id: id,
      id,
      lat: 55.6,
      lng: 12.5,
      provider: 'test',
      received_at: `${new Date(at(daysAgo) * 1000).toISOString().slice(0, 19).replace('T', ' ')}.000`,
      version: at(daysAgo) * 1000,
      deleted: 0,
    });
    await store.insert('context_weather', [weather('old', 40), weather('new', 1)]);

    await applyRetention(store, { ...FOREVER, counts: 30, context: 30 });
    for (const t of ['counts_5m', 'counts_1h', 'devices_5m', 'context_weather'])
      await store.command('OPTIMIZE TABLE {db:Identifier}.{t:Identifier} FINAL', { t });
    expect(await rowCount(store, 'counts_5m')).toBe(2);
    expect(await rowCount(store, 'counts_1h')).toBe(2);
    expect(await rowCount(store, 'devices_5m')).toBe(2);
    const stations = await store.query<{ station_id: string }>('SELECT station_id FROM {db:Identifier}.context_weather');
    expect(stations).toEqual([{ station_id: 'new' }]);

    // New rows already past the retention do not stay either.
    await store.insert('counts_5m', [{ ...counts[0]!, window_start: at(100) }]);
    await store.command('OPTIMIZE TABLE {db:Identifier}.counts_5m FINAL');
    expect(await rowCount(store, 'counts_5m')).toBe(2);
  });
});

describe('ttlDays and RETENTION_TABLES', () => {
  it('reads the days of a TTL however the server prints the bound parameter', () => {
    expect(
      ttlDays(
        "AggregatingMergeTree PARTITION BY toYYYYMM(window_start) ORDER BY (source) TTL window_start + toIntervalDay(_CAST(30, 'UInt32')) SETTINGS index_granularity = 8192",
      ),
    ).toBe(30);
    expect(ttlDays('MergeTree ORDER BY x TTL window_start + toIntervalDay(400)')).toBe(400);
    expect(ttlDays('MergeTree ORDER BY x SETTINGS index_granularity = 8192')).toBeNull();
    expect(Number.isNaN(ttlDays('MergeTree ORDER BY x TTL inserted_at + toIntervalMonth(3) SETTINGS a = 1'))).toBe(true);
  });

  it('covers every aggregate and context table', () => {
    expect(Object.values(RETENTION_TABLES).flatMap((ts) => ts.map((t) => t.table))).toEqual([
      'counts_5m',
      'counts_1h',
      'devices_5m',
      'flows_5m',
      'context_weather',
      'context_events',
      'context_incidents',
    ]);
  });
});

describe('PASSAGE_RETENTION_DAYS', () => {
  it('defaults to keeping every dataset forever; a dataset left out is kept forever', () => {
    expect(loadConfig({}).retentionDays).toEqual(FOREVER);
    expect(loadConfig({ PASSAGE_RETENTION_DAYS: '{"devices":400,"flows":0}' }).retentionDays).toEqual({ ...FOREVER, devices: 400 });
  });

  it.each([
    ['[1]', /JSON object/],
    ['{"count":30}', /no dataset "count"/],
    ['{"counts":-1}', /whole number of days/],
    ['{"counts":1.5}', /whole number of days/],
    ['{"counts":"30"}', /whole number of days/],
    ['{"counts":99999}', /whole number of days/],
    ['not json', /JSON object/],
  ])('refuses %s', (value, reason) => {
    try {
      loadConfig({ PASSAGE_RETENTION_DAYS: value });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual([
        { variable: 'PASSAGE_RETENTION_DAYS', reason: expect.stringMatching(reason) as string },
      ]);
    }
  });
});
