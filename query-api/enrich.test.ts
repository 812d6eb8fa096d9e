import { cellToChildren, cellToLatLng, cellToParent, latLngToCell } from 'h3-js';
import { DateTime } from 'luxon';
import { afterEach, describe, expect, it } from 'vitest';
import { contextMapper } from '../ingest/context/index.js';
import { produceContext } from '../ingest/context-routes.js';
import type { CityEvent, Incident, WeatherObservation } from '../ingest/context/types.js';
import { eventRow, incidentRow, tombstoneRow, weatherRow, ContextSink } from '../processors/context/sink.js';
import { registerAll } from '../schemas/index.js';
import { MemoryBus } from '../shared/bus/memory.js';
import { cellToUInt64, uint64ToCell } from '../shared/h3.js';
import { LocalSchemaRegistry } from '../shared/registry/local.js';
import type { Store } from '../shared/store/types.js';
import { chdbStore, eventually, quietLogger, uid } from '../shared/testing/fixtures.js';
import { formatInstant, HOUR_MS, MINUTE_MS } from '../shared/time.js';
import { Topics, type ContextKind } from '../shared/topics.js';
import { enrichRows, modeCondition, type EventEnrichment } from './enrich.js';

const TZ = 'Europe/Copenhagen';
const C = latLngToCell(55.6761, 12.5683, 10);
const [CLAT, CLNG] = cellToLatLng(C);
const P7 = cellToParent(C, 7);
const AARHUS = latLngToCell(56.1572, 10.2107, 10);

const local = (y: number, mo: number, d: number, h = 0, mi = 0): number =>
  DateTime.fromObject({ year: y, month: mo, day: d, hour: h, minute: mi }, { zone: TZ }).toMillis();
const D1 = local(2026, 11, 10);
const D1_END = local(2026, 11, 11);

/** Great-circle distance on the mean Earth radius (haversine), in km: the test's own reference. */
function haversineKm(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const r = (x: number): number => (x * Math.PI) / 180;
  const h = Math.sin(r(lat2 - lat1) / 2) ** 2 + Math.cos(r(lat1)) * Math.cos(r(lat2)) * Math.sin(r(lng2 - lng1) / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.sqrt(h));
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup) await c();
  cleanup = [];
});

async function store(): Promise<Store> {
  const s = await chdbStore();
  cleanup.push(() => s.close());
  return s;
}

function obs(stationId: string, lat: number, lng: number, hour: number, v: Partial<WeatherObservation> = {}): WeatherObservation {
  return {
    id: `${stationId}:${hour}`,
    stationId,
    lat,
    lng,
    observedAt: hour,
    temperatureC: null,
    precipitationMm: null,
    windSpeedMs: null,
    cloudCoverPct: null,
    condition: null,
    provider: 'test',
    receivedAt: hour + HOUR_MS,
    ...v,
  };
}

function event(id: string, start: number, end: number, area: Partial<CityEvent> = {}, receivedAt = D1): CityEvent {
  return {
    id,
    title: `Event ${id}`,
    category: null,
    start,
    end,
    lat: null,
    lng: null,
    radiusM: null,
    cells: [],
    expectedAttendance: null,
    url: null,
    receivedAt,
    ...area,
  };
}

function incident(id: string, start: number, end: number | null, area: Partial<Incident> = {}): Incident {
  return {
    id,
    kind: 'closure',
    start,
    end,
    lat: null,
    lng: null,
    radiusM: null,
    severity: 'high',
    line: null,
    delayMin: null,
    description: null,
    receivedAt: D1,
    ...area,
  };
}

describe('enrichRows: weather', () => {
  // Station N ~1.5 km north of C's centre, F ~5.6 km east.
  const N = { id: 'near', lat: CLAT + 0.0135, lng: CLNG };
  const F = { id: 'far', lat: CLAT, lng: CLNG + 0.09 };
  const nValues = (h: number): Partial<WeatherObservation> => ({
    temperatureC: 3 + (h % 7) * 0.5,
    precipitationMm: h % 5 === 0 ? null : h % 4 === 0 ? 0.3 : 0.1,
    windSpeedMs: h % 6 === 0 ? null : 2 + h * 0.1,
    cloudCoverPct: (h * 13) % 101,
    condition: h % 9 === 0 ? null : h < 10 ? 'clear' : h < 20 ? 'rain' : 'overcast',
  });
  const fValues = (h: number): Partial<WeatherObservation> => ({ temperatureC: -10 - h, precipitationMm: 5, condition: 'snow' });

  /** N and F report every hour from two hours before D1 to two hours after it; only F reports on 12 November. */
  async function seeded(): Promise<{ s: Store; nObs: WeatherObservation[] }> {
    const s = await store();
    const nObs: WeatherObservation[] = [];
    const rows = [];
    for (let i = -2; i < 26; i++) {
      const hour = D1 + i * HOUR_MS;
      nObs.push(obs(N.id, N.lat, N.lng, hour, nValues(i)));
      rows.push(weatherRow(obs(F.id, F.lat, F.lng, hour, fValues(i))).row);
    }
    for (let i = 0; i < 24; i++) rows.push(weatherRow(obs(F.id, F.lat, F.lng, local(2026, 11, 12) + i * HOUR_MS, fValues(i))).row);
    await s.insert('context_weather', [...nObs.map((o) => weatherRow(o).row), ...rows]);
    return { s, nObs };
  }

  it("summarises the nearest station's 24 hours of a day bucket: mean temperature/wind/cloud, summed precipitation, most frequent condition", async () => {
    const { s, nObs } = await seeded();
    const [w] = await enrichRows(s, [{ cell: C, bucketStartMs: D1, bucketEndMs: D1_END }], { timeZone: TZ });
    const day = nObs.filter((o) => o.observedAt >= D1 && o.observedAt < D1_END);
    expect(day.length).toBe(24);
    const present = (f: (o: WeatherObservation) => number | null): number[] => day.map(f).filter((x): x is number => x !== null);
    const counts = new Map<string, number>();
    for (const o of day) if (o.condition !== null) counts.set(o.condition, (counts.get(o.condition) ?? 0) + 1);
    const mode = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    expect(mode).toBe('rain'); // 9 rain hours against 8 clear and 4 overcast (hours 0, 9 and 18 report none)

    expect(w!.weather).not.toBeNull();
    const got = w!.weather!;
    expect(got.stationId).toBe('near');
    expect(got.provider).toBe('test');
    expect(got.hours).toBe(24);
    expect(got.distanceKm).toBeCloseTo(haversineKm(CLAT, CLNG, N.lat, N.lng), 2);
    expect(got.temperatureC).toBeCloseTo(mean(present((o) => o.temperatureC)), 2);
    expect(got.windSpeedMs).toBeCloseTo(mean(present((o) => o.windSpeedMs)), 2);
    expect(got.cloudCoverPct).toBeCloseTo(mean(present((o) => o.cloudCoverPct)), 2);
    expect(got.precipitationMm).toBeCloseTo(
      present((o) => o.precipitationMm).reduce((a, b) => a + b, 0),
      2,
    );
    expect(got.condition).toBe(mode);
  });

  it('gives a 5-minute bucket the values of the hour it lies in', async () => {
    const { s, nObs } = await seeded();
    const start = local(2026, 11, 10, 10, 35);
    const [w] = await enrichRows(s, [{ cell: C, bucketStartMs: start, bucketEndMs: start + 5 * MINUTE_MS }], { timeZone: TZ });
    const hour = nObs.find((o) => o.observedAt === local(2026, 11, 10, 10))!;
    // N reports no precipitation that hour: it stays null rather than taking F's.
    expect(hour.precipitationMm).toBeNull();
    expect(w!.weather).toMatchObject({
      stationId: 'near',
      hours: 1,
      temperatureC: hour.temperatureC,
      precipitationMm: hour.precipitationMm,
      windSpeedMs: hour.windSpeedMs,
      cloudCoverPct: hour.cloudCoverPct,
      condition: hour.condition,
    });
  });

  it('takes the nearest station that has observations in the bucket, and none beyond the distance limit', async () => {
    const { s } = await seeded();
    const d3 = local(2026, 11, 12);
    const res = await enrichRows(
      s,
      [
        { cell: C, bucketStartMs: d3, bucketEndMs: local(2026, 11, 13) },
        { cell: AARHUS, bucketStartMs: D1, bucketEndMs: D1_END },
        { cell: C, bucketStartMs: local(2026, 11, 20), bucketEndMs: local(2026, 11, 21) },
      ],
      { timeZone: TZ },
    );
    expect(res[0]!.weather).toMatchObject({ stationId: 'far', hours: 24, precipitationMm: 120, condition: 'snow' });
    expect(res[0]!.weather!.distanceKm).toBeCloseTo(haversineKm(CLAT, CLNG, F.lat, F.lng), 2);
    expect(res[0]!.weather!.temperatureC).toBeCloseTo(mean(Array.from({ length: 24 }, (_, i) => -10 - i)), 2);
    expect(res[1]!.weather).toBeNull(); // ~150 km away: beyond the default 100 km
    expect(res[2]!.weather).toBeNull(); // no observations at all
    const [aarhus] = await enrichRows(s, [{ cell: AARHUS, bucketStartMs: D1, bucketEndMs: D1_END }], {
      timeZone: TZ,
      maxStationDistanceKm: 500,
    });
    const [aLat, aLng] = cellToLatLng(AARHUS);
    expect(aarhus!.weather!.stationId).toBe('near');
    expect(aarhus!.weather!.distanceKm).toBeCloseTo(haversineKm(aLat, aLng, N.lat, N.lng), 0);
  });

  it('counts the 25 hours of the day the clocks go back', async () => {
    const s = await store();
    const start = local(2026, 10, 25);
    const end = local(2026, 10, 26);
    expect((end - start) / HOUR_MS).toBe(25);
    await s.insert(
      'context_weather',
      Array.from({ length: 27 }, (_, i) => weatherRow(obs(N.id, N.lat, N.lng, start + (i - 1) * HOUR_MS, { temperatureC: i })).row),
    );
    const [w] = await enrichRows(s, [{ cell: P7, bucketStartMs: start, bucketEndMs: end }], { timeZone: TZ });
    expect(w!.weather).toMatchObject({ stationId: 'near', hours: 25, temperatureC: 13 }); // mean of 1..25
  });
});

describe('enrichRows: events and incidents', () => {
  const h = (hour: number, minute = 0): number => local(2026, 11, 10, hour, minute);
  // A resolution-10 cell of P7 other than C, as far from C as P7 allows.
  const K = cellToChildren(P7, 10)
    .filter((k) => k !== C)
    .map((k) => ({ k, d: haversineKm(CLAT, CLNG, ...cellToLatLng(k)) }))
    .sort((a, b) => b.d - a.d)[0]!.k;
  const [KLAT, KLNG] = cellToLatLng(K);

  async function seeded(): Promise<Store> {
    const s = await store();
    await s.insert(
      'context_events',
      [
        event('circle', h(9, 30), h(10, 30), { lat: CLAT + 0.0027, lng: CLNG, radiusM: 800 }), // centre ~300 m from C's
        event('cells8', h(10), h(12), { cells: [cellToParent(C, 8)] }),
        event('fine', h(10, 59), h(11, 30), { cells: [cellToChildren(C, 12)[3]!] }),
        event('later', h(14), h(16), { lat: CLAT, lng: CLNG }),
        event('ended', h(9), h(10), { lat: CLAT, lng: CLNG }),
        event('far', h(10), h(11), { lat: 56.1572, lng: 10.2107, radiusM: 1000 }),
        event('corner', h(10, 15), h(10, 45), { lat: KLAT, lng: KLNG }),
        event('noplace', h(10), h(11)),
        // ~20 km away with a 30 km radius: rasterised into resolution-7 cells, one of which holds C.
        event('big', h(0), h(23, 59), { lat: CLAT + 0.18, lng: CLNG, radiusM: 30_000 }),
        event('deleted', h(10), h(11), { lat: CLAT, lng: CLNG }),
        event('moved', h(10), h(11), { lat: CLAT, lng: CLNG }),
      ].map((e) => eventRow(e).row),
    );
    // Later versions: 'moved' goes to the next day, 'deleted' gets a tombstone.
    await s.insert('context_events', [
      eventRow(event('moved', h(10) + 86_400_000, h(11) + 86_400_000, { lat: CLAT, lng: CLNG }, D1 + 1)).row,
    ]);
    const tomb = tombstoneRow('events', 'deleted', D1 + 1);
    if (tomb.kind !== 'ok') throw new Error('tombstone');
    await s.insert('context_events', [tomb.value.row]);
    await s.insert(
      'context_incidents',
      [
        incident('ongoing', h(8), null, { lat: CLAT, lng: CLNG, line: 'M2', delayMin: 12, description: 'signal fault' }),
        incident('over', h(8), h(9), { lat: CLAT, lng: CLNG, radiusM: 200 }),
        incident('noplace', h(8), null),
      ].map((i) => incidentRow(i).row),
    );
    return s;
  }

  const ids = (es: { id: string }[]): string[] => es.map((e) => e.id);

  it('returns the events overlapping each bucket whose area covers (or, for a coarse cell, intersects) the cell, in input order', async () => {
    const s = await seeded();
    const hour = { bucketStartMs: h(10), bucketEndMs: h(11) };
    const res = await enrichRows(
      s,
      [
        { cell: C, ...hour },
        { cell: P7, ...hour },
        { cell: C, bucketStartMs: D1, bucketEndMs: D1_END },
        { cell: AARHUS, bucketStartMs: h(10, 30), bucketEndMs: h(10, 35) },
        { cell: K, ...hour },
        { cell: C.toUpperCase(), ...hour },
      ],
      { timeZone: TZ },
    );
    expect(ids(res[0]!.events)).toEqual(['big', 'circle', 'cells8', 'fine']);
    expect(ids(res[1]!.events)).toEqual(['big', 'circle', 'cells8', 'corner', 'fine']);
    expect(ids(res[2]!.events)).toEqual(['big', 'ended', 'circle', 'cells8', 'fine', 'later']);
    expect(ids(res[3]!.events)).toEqual(['far']);
    expect(ids(res[4]!.events)).toEqual(expect.arrayContaining(['big', 'corner']));
    expect(ids(res[4]!.events)).not.toContain('fine');
    expect(res[5]).toEqual(res[0]);
    const circle = res[0]!.events.find((e) => e.id === 'circle')!;
    expect(circle).toEqual<EventEnrichment>({
      id: 'circle',
      title: 'Event circle',
      category: null,
      start: formatInstant(h(9, 30), TZ),
      end: formatInstant(h(10, 30), TZ),
      lat: CLAT + 0.0027,
      lng: CLNG,
      radiusM: 800,
      expectedAttendance: null,
      url: null,
    });
    expect(circle.start).toBe('2026-11-10T09:30:00+01:00');
  });

  it('returns ongoing incidents and those overlapping the bucket, nothing for ended or unplaced ones', async () => {
    const s = await seeded();
    const res = await enrichRows(
      s,
      [
        { cell: C, bucketStartMs: h(10), bucketEndMs: h(11) },
        { cell: P7, bucketStartMs: h(8, 30), bucketEndMs: h(8, 45) },
        { cell: C, bucketStartMs: local(2026, 11, 20), bucketEndMs: local(2026, 11, 21) },
        { cell: AARHUS, bucketStartMs: h(10), bucketEndMs: h(11) },
      ],
      { timeZone: TZ },
    );
    expect(res[0]!.incidents).toEqual([
      {
        id: 'ongoing',
        kind: 'closure',
        severity: 'high',
        start: '2026-11-10T08:00:00+01:00',
        end: null,
        line: 'M2',
        delayMin: 12,
        description: 'signal fault',
        lat: CLAT,
        lng: CLNG,
        radiusM: null,
      },
    ]);
    expect(ids(res[1]!.incidents)).toEqual(['ongoing', 'over']);
    expect(ids(res[2]!.incidents)).toEqual(['ongoing']);
    expect(res[3]!.incidents).toEqual([]);
    expect(res[3]!.weather).toBeNull();
  });

  it('answers an empty list with an empty list and refuses cells outside resolutions 7–10', async () => {
    const s = await store();
    expect(await enrichRows(s, [], { timeZone: TZ })).toEqual([]);
    await expect(
      enrichRows(s, [{ cell: cellToParent(C, 6), bucketStartMs: D1, bucketEndMs: D1_END }], { timeZone: TZ }),
    ).rejects.toMatchObject({
      code: 'invalid_cells',
    });
    await expect(enrichRows(s, [{ cell: C, bucketStartMs: D1, bucketEndMs: D1 }], { timeZone: TZ })).rejects.toMatchObject({
      code: 'invalid_request',
    });
  });
});

describe('modeCondition', () => {
  it('picks the most frequent condition, a tie going to the one reported last, ignoring nulls', () => {
    expect(
      modeCondition([
        [1, 'rain'],
        [2, 'clear'],
        [3, 'rain'],
        [4, 'clear'],
        [5, null],
        [6, null],
      ]),
    ).toBe('clear');
    expect(
      modeCondition([
        [1, 'fog'],
        [2, 'rain'],
        [3, 'fog'],
      ]),
    ).toBe('fog');
    expect(modeCondition([[1, null]])).toBeNull();
    expect(modeCondition([])).toBeNull();
  });
});

describe('enrichRows: late context', () => {
  it('applies context that arrives after the aggregates, and its corrections, without touching them', async () => {
    const bus = new MemoryBus({ retryBackoffMs: 10 });
    const codec = new LocalSchemaRegistry();
    const topics = new Topics(`${uid()}.`);
    await bus.ensureTopics(topics.specs(2, 60_000));
    await registerAll(codec, topics);
    const s = await store();
    const sink = new ContextSink({ bus, codec, store: s, topics, logger: quietLogger() });
    cleanup.unshift(() => sink.stop());
    const send = async (kind: ContextKind, records: unknown[], receivedAt: number): Promise<void> => {
      const r = await produceContext({ bus, codec, topics }, kind, contextMapper(kind, 'plain')!.map(records, receivedAt));
      expect(r.rejected).toEqual([]);
    };
    const drained = async (): Promise<void> => {
      for (const kind of ['weather', 'events'] as const) {
        const end = bus.endOffsets(topics.context(kind))[0];
        await eventually(
          () => bus.committed(sink.groupId, topics.context(kind)),
          (c) => c[0]?.offset === end,
        );
      }
    };

    // Aggregates first: camera counts for C, 10:00–11:00 on D1.
    const t10 = local(2026, 11, 10, 10);
    await s.insert(
      'counts_5m',
      Array.from({ length: 12 }, (_, i) => ({
        source: 'camera',
        cell: cellToUInt64(C),
        window_start: (t10 + i * 5 * MINUTE_MS) / 1000,
        breakdown: '',
        entries: 5,
        exits: 3,
      })),
    );
    const aggregates = async (): Promise<{ cell: string; bucketStartMs: number; bucketEndMs: number; value: number }[]> =>
      (
        await s.query<{ cell: string; b: number; v: string }>(
          `SELECT toString(cell) AS cell, toUnixTimestamp(toStartOfHour(window_start)) AS b, sum(entries) + sum(exits) AS v
           FROM {db:Identifier}.counts_5m WHERE source = 'camera' GROUP BY cell, b ORDER BY cell, b`,
        )
      ).map((r) => ({ cell: uint64ToCell(r.cell), bucketStartMs: r.b * 1000, bucketEndMs: r.b * 1000 + HOUR_MS, value: Number(r.v) }));
    const rows = await aggregates();
    expect(rows).toEqual([{ cell: C, bucketStartMs: t10, bucketEndMs: t10 + HOUR_MS, value: 96 }]);
    expect(await enrichRows(s, rows, { timeZone: TZ })).toEqual([{ weather: null, events: [], incidents: [] }]);

    // Context for that hour arrives days later, through the topics and the sink.
    await sink.start();
    const now = D1 + 3 * 86_400_000;
    await send('weather', [{ stationId: 'roof', lat: CLAT, lng: CLNG + 0.01, observedAt: t10, temperatureC: 4.5, condition: 'rain' }], now);
    await send(
      'events',
      [{ id: 'gig', title: 'Gig', start: t10 - HOUR_MS, end: t10 + 30 * MINUTE_MS, lat: CLAT, lng: CLNG, radiusM: 400 }],
      now,
    );
    await drained();
    const [late] = await enrichRows(s, await aggregates(), { timeZone: TZ });
    expect(late!.weather).toMatchObject({ stationId: 'roof', temperatureC: 4.5, condition: 'rain', hours: 1 });
    expect(late!.weather!.distanceKm).toBeCloseTo(haversineKm(CLAT, CLNG, CLAT, CLNG + 0.01), 2);
    expect(late!.events.map((e) => [e.id, e.title])).toEqual([['gig', 'Gig']]);

    // Corrections: the station's value is revised, the gig is moved to the evening.
    await send(
      'weather',
      [{ stationId: 'roof', lat: CLAT, lng: CLNG + 0.01, observedAt: t10, temperatureC: 3.9, condition: 'rain' }],
      now + 1,
    );
    await send(
      'events',
      [{ id: 'gig', title: 'Gig', start: t10 + 9 * HOUR_MS, end: t10 + 11 * HOUR_MS, lat: CLAT, lng: CLNG, radiusM: 400 }],
      now + 1,
    );
    await drained();
    const [corrected] = await enrichRows(s, await aggregates(), { timeZone: TZ });
    expect(corrected!.weather).toMatchObject({ stationId: 'roof', temperatureC: 3.9 });
    expect(corrected!.events).toEqual([]);
    expect(await aggregates()).toEqual(rows);
  });
});
