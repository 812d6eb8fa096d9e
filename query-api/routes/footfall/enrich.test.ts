// /v1/footfall rows carry the weather, events and incidents of their cell and bucket, including
// context that arrived after the aggregates (enrichment is applied at query time).
import { cellToLatLng, latLngToCell } from 'h3-js';
import { afterEach, describe, expect, it } from 'vitest';
import { eventRow, weatherRow } from '../../../processors/context/sink.js';
import { cellToUInt64 } from '../../../shared/h3.js';
import { ADMIN_AUTH, historyApp, type HistoryApp } from '../../../shared/testing/history.js';
import { footfallRoute } from './route.js';

const T = Date.parse('2026-11-20T08:00:00+01:00');
const HOUR = 3_600_000;
const cell = latLngToCell(55.6786, 12.5786, 10);
const [lat, lng] = cellToLatLng(cell);

let h: HistoryApp | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

interface Row {
  bucketStart: string;
  value: number;
  weather?: { stationId: string; temperatureC: number | null; hours: number } | null;
  events?: { id: string }[];
  incidents?: unknown[];
}

describe('GET /v1/footfall enrichment', () => {
  it('attaches the weather of each bucket and the events overlapping it, also when the context came later', async () => {
    h = await historyApp(footfallRoute);
    const store = h.store;
    await store.insert(
      'counts_5m',
      [0, 1].map((k) => ({
        source: 'camera',
        cell: cellToUInt64(cell),
        window_start: (T + k * HOUR) / 1000,
        breakdown: '',
        entries: 10 + k,
        exits: 1,
      })),
    );
    const get = async (extra = ''): Promise<Row[]> => {
      const res = await h!.app.inject({
        method: 'GET',
        url: `/v1/footfall?cells=${cell}&from=${T}&to=${T + 2 * HOUR}&bucket=1h${extra}`,
        headers: ADMIN_AUTH,
      });
      expect(res.statusCode).toBe(200);
      return res.json<{ data: Row[] }>().data;
    };
    const before = await get();
    expect(before.map((r) => [r.value, r.weather, r.events])).toEqual([
      [11, null, []],
      [12, null, []],
    ]);
    // Context arriving after the aggregates: a station 1 km north reporting both hours, an event in the second hour.
    const obs = (hour: number, temperatureC: number) =>
      weatherRow({
        id: `st1:${hour}`,
        stationId: 'st1',
        lat: lat + 0.009,
        lng,
        observedAt: hour,
        temperatureC,
        precipitationMm: null,
        windSpeedMs: null,
        cloudCoverPct: null,
        condition: null,
        provider: 'test',
        receivedAt: hour + HOUR,
      }).row;
    await store.insert('context_weather', [obs(T, 4.5), obs(T + HOUR, 6)]);
    await store.insert('context_events', [
      eventRow({
        id: 'concert',
        title: 'Concert',
        category: null,
        start: T + HOUR + 15 * 60_000,
        end: T + 3 * HOUR,
        lat,
        lng,
        radiusM: 300,
        cells: [],
        expectedAttendance: null,
        url: null,
        receivedAt: T,
      }).row,
    ]);
    const after = await get();
    expect(after.map((r) => [r.value, r.weather?.stationId, r.weather?.temperatureC, r.events?.map((e) => e.id), r.incidents])).toEqual([
      [11, 'st1', 4.5, [], []],
      [12, 'st1', 6, ['concert'], []],
    ]);
    const plain = await get('&enrich=false');
    expect(plain.map((r) => ['weather' in r, 'events' in r, r.value])).toEqual([
      [false, false, 11],
      [false, false, 12],
    ]);
  });
});
