import { cellToParent, latLngToCell } from 'h3-js';
import { afterEach, describe, expect, it } from 'vitest';
import { contextMapper } from '../../ingest/context/index.js';
import { produceContext } from '../../ingest/context-routes.js';
import { registerAll } from '../../schemas/index.js';
import { MemoryBus } from '../../shared/bus/memory.js';
import { REASON_HEADER } from '../../shared/dlq.js';
import { cellToUInt64 } from '../../shared/h3.js';
import { LocalSchemaRegistry } from '../../shared/registry/local.js';
import type { Store } from '../../shared/store/types.js';
import { chdbStore, eventually, quietLogger, uid } from '../../shared/testing/fixtures.js';
import { subjectOf, Topics, type ContextKind } from '../../shared/topics.js';
import { ContextSink } from './sink.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 10, 9); // 2026-11-10T10:00+01:00
const LAT = 55.6761;
const LNG = 12.5683;

async function setup() {
  const bus = new MemoryBus({ retryBackoffMs: 10 });
  const codec = new LocalSchemaRegistry();
  const topics = new Topics(`${uid()}.`);
  await bus.ensureTopics(topics.specs(2, 60_000));
  await registerAll(codec, topics);
  const store = await chdbStore();
  const sink = new ContextSink({ bus, codec, store, topics, logger: quietLogger() });
  /** Produces plain-format records through the same path as POST /v1/context/{kind}. */
  const send = async (kind: ContextKind, records: unknown[], receivedAt: number) => {
    const result = await produceContext({ bus, codec, topics }, kind, contextMapper(kind, 'plain')!.map(records, receivedAt));
    expect(result.rejected).toEqual([]);
  };
  const dlqReasons = () =>
    bus
      .allMessages()
      .filter((m) => m.topic === topics.dlq())
      .map((m) => m.headers[REASON_HEADER]);
  /** Waits until the sink has committed everything on the topic of `kind`. */
  const drained = async (kind: ContextKind) => {
    const end = bus.endOffsets(topics.context(kind))[0];
    const c = await eventually(
      () => bus.committed(sink.groupId, topics.context(kind)),
      (r) => r[0]?.offset === end,
    );
    expect(c[0]?.offset).toBe(end);
  };
  return { bus, codec, topics, store, sink, send, dlqReasons, drained };
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup) await c();
  cleanup = [];
});

async function start() {
  const t = await setup();
  cleanup.push(
    () => t.sink.stop(),
    () => t.store.close(),
  );
  await t.sink.start();
  return t;
}

function rows<T>(store: Store, sql: string): () => Promise<T[]> {
  return () => store.query<T>(sql);
}

describe('ContextSink', () => {
  it('lands weather, events and incidents in their tables with their coverage', async () => {
    const t = await start();
    expect(t.sink.ready()).toBe(true);
    await t.send(
      'weather',
      [
        {
          stationId: 'dmi:06180',
          lat: 55.6185,
          lng: 12.6453,
          observedAt: new Date(T0 + 25 * 60_000).toISOString(),
          temperatureC: 4.5,
          precipitationMm: 0.2,
          windSpeedMs: 6.7,
          cloudCoverPct: 80,
          condition: 'drizzle',
          provider: 'dmi',
        },
      ],
      T0 + HOUR,
    );
    const c8 = latLngToCell(55.7, 12.57, 8);
    await t.send(
      'events',
      [
        {
          id: 'match',
          title: 'FCK – Brøndby',
          category: 'sport',
          start: T0,
          end: T0 + 2 * HOUR,
          lat: LAT,
          lng: LNG,
          radiusM: 300,
          expectedAttendance: 35000,
          url: 'https://example.dk/m',
        },
        { id: 'market', title: 'Market', start: T0, end: T0 + 8 * HOUR, cells: [c8] },
      ],
      T0,
    );
    await t.send(
      'incidents',
      [{ id: 'dsb-1', kind: 'train_delay', start: T0, line: 'Kystbanen', delayMin: 25, severity: 'medium', lat: LAT, lng: LNG }],
      T0,
    );

    const weather = await eventually(
      rows<Record<string, unknown>>(
        t.store,
        `SELECT station_id, id, toUnixTimestamp(observed_at) AS hour, lat, lng, temperature_c, precipitation_mm, wind_speed_ms,
                cloud_cover_pct, condition, provider, toUnixTimestamp64Milli(received_at) AS received, version, deleted
         FROM {db:Identifier}.context_weather FINAL`,
      ),
      (r) => r.length === 1,
    );
    expect(weather).toEqual([
      {
        station_id: 'dmi:06180',
        id: `dmi:06180:${T0}`,
        hour: T0 / 1000,
        lat: 55.6185,
        lng: 12.6453,
        temperature_c: 4.5,
        precipitation_mm: 0.2,
        wind_speed_ms: 6.7,
        cloud_cover_pct: 80,
        condition: 'drizzle',
        provider: 'dmi',
        received: String(T0 + HOUR),
        version: String(T0 + HOUR),
        deleted: 0,
      },
    ]);

    const events = await eventually(
      rows<{ id: string; title: string; start: string; end: string; cover: string[]; cover_up: string[]; cells: string[] }>(
        t.store,
        `SELECT id, title, toUnixTimestamp64Milli(start_at) AS start, toUnixTimestamp64Milli(end_at) AS end, cover, cover_up, cells
         FROM {db:Identifier}.context_events FINAL ORDER BY id`,
      ),
      (r) => r.length === 2,
    );
    expect(events.map((e) => [e.id, e.title, Number(e.start), Number(e.end)])).toEqual([
      ['market', 'Market', T0, T0 + 8 * HOUR],
      ['match', 'FCK – Brøndby', T0, T0 + 2 * HOUR],
    ]);
    expect(events[0]!.cover).toEqual([String(cellToUInt64(c8))]);
    expect(events[0]!.cells).toEqual([c8]);
    expect([...events[0]!.cover_up].sort()).toEqual([String(cellToUInt64(c8)), String(cellToUInt64(cellToParent(c8, 7)))].sort());
    const centre = String(cellToUInt64(latLngToCell(LAT, LNG, 10)));
    expect(events[1]!.cover).toContain(centre);
    expect(events[1]!.cover.length).toBeGreaterThan(5);

    const incidents = await eventually(
      rows<Record<string, unknown>>(
        t.store,
        `SELECT id, kind, toUnixTimestamp64Milli(start_at) AS start, end_at, line, delay_min, severity, cover
         FROM {db:Identifier}.context_incidents FINAL`,
      ),
      (r) => r.length === 1,
    );
    expect(incidents).toEqual([
      {
        id: 'dsb-1',
        kind: 'train_delay',
        start: String(T0),
        end_at: null,
        line: 'Kystbanen',
        delay_min: 25,
        severity: 'medium',
        cover: [centre],
      },
    ]);
  });

  it('replaces a document by a newer version of the same id, and deletes it on a tombstone', async () => {
    const t = await start();
    const ev = { id: 'concert', title: 'Concert', start: T0, end: T0 + 2 * HOUR, lat: LAT, lng: LNG, radiusM: 200 };
    await t.send('events', [ev], T0);
    await t.send('events', [{ ...ev, title: 'Concert (moved)', start: T0 + 5 * HOUR, end: T0 + 7 * HOUR }], T0 + 60_000);
    await t.send('events', [{ ...ev, id: 'other', title: 'Other' }], T0);
    // An older version arriving after the newer one (a redelivery) changes nothing.
    await t.send('events', [{ ...ev, title: 'Concert (stale)' }], T0 - 60_000);
    const sql = `SELECT id, title, toUnixTimestamp64Milli(start_at) AS start FROM {db:Identifier}.context_events FINAL WHERE deleted = 0 ORDER BY id`;
    await t.drained('events');
    // The same across batches: the table, not the batch, decides.
    await t.send('events', [{ ...ev, title: 'Concert (stale again)' }], T0 - 60_000);
    await t.drained('events');
    expect(await t.store.query(sql)).toEqual([
      { id: 'concert', title: 'Concert (moved)', start: String(T0 + 5 * HOUR) },
      { id: 'other', title: 'Other', start: String(T0) },
    ]);

    // Weather: a corrected observation of the same station-hour replaces the first one.
    const obs = { stationId: 'roof-7', lat: LAT, lng: LNG, observedAt: T0, temperatureC: 4.5 };
    await t.send('weather', [obs], T0 + HOUR);
    await t.send('weather', [{ ...obs, observedAt: T0 + 59 * 60_000, temperatureC: 5.5 }], T0 + 2 * HOUR);
    const wsql = `SELECT station_id, temperature_c FROM {db:Identifier}.context_weather FINAL WHERE deleted = 0`;
    expect(await eventually(rows<{ temperature_c: number }>(t.store, wsql), (r) => r[0]?.temperature_c === 5.5)).toEqual([
      { station_id: 'roof-7', temperature_c: 5.5 },
    ]);

    // Tombstones: a null value under the key deletes the document.
    await t.bus.produce(t.topics.context('events'), [{ key: 'concert', value: null }]);
    await t.bus.produce(t.topics.context('weather'), [{ key: `roof-7:${T0}`, value: null }]);
    expect(await eventually(rows<{ id: string }>(t.store, sql), (r) => r.length === 1).then((r) => r.map((x) => x.id))).toEqual(['other']);
    expect(await eventually(rows(t.store, wsql), (r) => r.length === 0)).toEqual([]);
    expect(t.dlqReasons()).toEqual([]);
  });

  it('dead-letters unusable messages with their reason and keeps landing the good ones after them', async () => {
    const t = await start();
    const events = t.topics.context('events');
    const weatherSubject = subjectOf(t.topics.context('weather'));
    const eventsSubject = subjectOf(events);
    const weatherDoc = {
      id: `s:${T0}`,
      stationId: 's',
      lat: LAT,
      lng: LNG,
      observedAt: T0,
      temperatureC: null,
      precipitationMm: null,
      windSpeedMs: null,
      cloudCoverPct: null,
      condition: null,
      provider: 'x',
      receivedAt: T0,
    };
    const badEvent = {
      id: 'backwards',
      title: 'Ends before it starts',
      category: null,
      start: T0,
      end: T0 - HOUR,
      lat: null,
      lng: null,
      radiusM: null,
      cells: [],
      expectedAttendance: null,
      url: null,
      receivedAt: T0,
    };
    await t.send('events', [{ id: 'first', title: 'First', start: T0, end: T0 + HOUR, lat: LAT, lng: LNG }], T0);
    await t.bus.produce(events, [
      { key: 'x', value: Buffer.from('{"id":"not avro"}') },
      { key: 'w', value: await t.codec.encode(weatherSubject, weatherDoc) },
      { key: 'backwards', value: await t.codec.encode(eventsSubject, badEvent) },
      { key: null, value: null },
    ]);
    await t.bus.produce(t.topics.context('weather'), [{ key: 'no-hour-here', value: null }]);
    await t.send('events', [{ id: 'second', title: 'Second', start: T0, end: T0 + HOUR, lat: LAT, lng: LNG }], T0);
    await t.send('weather', [{ stationId: 'ok', lat: LAT, lng: LNG, observedAt: T0 }], T0);

    const sql = `SELECT id FROM {db:Identifier}.context_events FINAL WHERE deleted = 0 ORDER BY id`;
    expect(await eventually(rows<{ id: string }>(t.store, sql), (r) => r.length === 2)).toEqual([{ id: 'first' }, { id: 'second' }]);
    expect(
      await eventually(
        rows<{ station_id: string }>(t.store, `SELECT station_id FROM {db:Identifier}.context_weather FINAL`),
        (r) => r.length === 1,
      ),
    ).toEqual([{ station_id: 'ok' }]);
    const reasons = await eventually(
      () => Promise.resolve(t.dlqReasons()),
      (r) => r.length === 5,
    );
    expect([...reasons].sort()).toEqual(['bad_magic_byte', 'bad_tombstone_key', 'empty_value', 'out_of_range', 'wrong_schema']);
    const outOfRange = t.bus.allMessages().find((m) => m.topic === t.topics.dlq() && m.headers[REASON_HEADER] === 'out_of_range');
    expect(outOfRange?.headers['passage-error']).toContain('end must be after start');
    expect(t.sink.ready()).toBe(true);
  });

  it('commits what it wrote, so a restarted sink does not need to read it again', async () => {
    const t = await start();
    await t.send('incidents', [{ id: 'i1', kind: 'closure', start: T0, lat: LAT, lng: LNG, radiusM: 150 }], T0);
    await eventually(rows(t.store, `SELECT id FROM {db:Identifier}.context_incidents`), (r) => r.length === 1);
    const committed = await eventually(
      () => t.bus.committed(t.sink.groupId, t.topics.context('incidents')),
      (c) => c[0]?.offset === 1,
    );
    expect(committed.map((c) => c.offset)).toEqual([1]);
    expect(t.sink.groupId).toBe(`${t.topics.context('weather').split('pm.ctx.')[0]}pm.ctx.sink`);
  });
});
