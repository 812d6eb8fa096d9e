// /v1/footfall over every source's metrics (Wi-Fi and telco unique devices, Wi-Fi dwell, counts by
// class and mode), against values computed here from the rows inserted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellToChildren, cellToParent, gridDisk, latLngToCell } from 'h3-js';
import { cellToUInt64 } from '../../../shared/h3.js';
import { ADMIN_AUTH, historyApp, type HistoryApp } from '../../../shared/testing/history.js';
import { footfallRoute } from './route.js';

const T = Date.parse('2026-11-20T08:00:00+01:00');
const MIN = 60_000;
const HOUR = 60 * MIN;
const cellA = latLngToCell(55.6786, 12.5786, 10);
const P9 = cellToParent(cellA, 9);
const cellB = cellToChildren(P9, 10).find((c) => c !== cellA)!;
const cellC = gridDisk(cellA, 3).find((c) => cellToParent(c, 9) !== P9)!; // outside P9

interface Sighting {
  source: 'wifi' | 'telco';
  cell: string;
  t: number;
  breakdown: string;
  device: string;
}
const s = (source: Sighting['source'], device: string, cell: string, t: number, breakdown = ''): Sighting => ({
  source,
  cell,
  t,
  breakdown,
  device,
});
const sightings: Sighting[] = [
  // d1: two windows and two child cells of P9 in one hour: one unique visitor of that hour.
  s('wifi', 'd1', cellA, T),
  s('wifi', 'd1', cellB, T + 5 * MIN),
  s('wifi', 'd2', cellA, T),
  s('wifi', 'd3', cellB, T + 10 * MIN),
  s('wifi', 'd4', cellA, T + 65 * MIN),
  s('wifi', 'd5', cellC, T),
  s('telco', 't1', cellA, T, 'resident'),
  s('telco', 't1', cellB, T + 5 * MIN, 'resident'),
  s('telco', 't2', cellA, T, 'domestic_visitor'),
  s('telco', 't3', cellB, T + 20 * MIN, 'resident'),
  s('telco', 't4', cellA, T, ''),
  // The same pseudonym under Wi-Fi is another source's device.
  s('telco', 'd1', cellA, T, 'international_visitor'),
];
// Wi-Fi sessions (at the window and cell of their first sighting) and their summed dwell.
const sessions = [
  { cell: cellA, t: T, sessions: 2, dwellMs: 10 * MIN + 20 * MIN },
  { cell: cellB, t: T + 5 * MIN, sessions: 1, dwellMs: 6 * MIN },
  { cell: cellC, t: T, sessions: 1, dwellMs: 50 * MIN },
];
const counts = [
  { source: 'camera', cell: cellA, t: T, breakdown: 'pedestrian', entries: 10, exits: 5 },
  { source: 'camera', cell: cellA, t: T, breakdown: 'cyclist', entries: 3, exits: 1 },
  { source: 'camera', cell: cellB, t: T + 5 * MIN, breakdown: 'pedestrian', entries: 4, exits: 4 },
  { source: 'camera', cell: cellA, t: T + 10 * MIN, breakdown: '', entries: 2, exits: 0 },
  { source: 'ticketing', cell: cellA, t: T, breakdown: 'metro', entries: 5, exits: 0 },
  { source: 'ticketing', cell: cellA, t: T + 5 * MIN, breakdown: 'train', entries: 7, exits: 2 },
];

interface Out {
  cell: string;
  bucketMs: number;
  breakdown?: string | null;
  value: number;
}
const byKey = (a: Out, b: Out) =>
  a.cell.localeCompare(b.cell) || a.bucketMs - b.bucketMs || (a.breakdown ?? '').localeCompare(b.breakdown ?? '');

/** Groups `items` by rolled-up cell, bucket (UTC-aligned here) and optionally breakdown, and reduces each group. */
function expected<I extends { cell: string; t: number; breakdown?: string }>(
  items: I[],
  res: number,
  bucketMs: number,
  value: (group: I[]) => number | null,
  split = false,
): Out[] {
  const groups = new Map<string, { key: Omit<Out, 'value'>; items: I[] }>();
  for (const i of items) {
    const key = {
      cell: cellToParent(i.cell, res),
      bucketMs: Math.floor(i.t / bucketMs) * bucketMs,
      ...(split ? { breakdown: i.breakdown === '' ? null : (i.breakdown ?? null) } : {}),
    };
    const k = JSON.stringify(key);
    groups.set(k, { key, items: [...(groups.get(k)?.items ?? []), i] });
  }
  return [...groups.values()]
    .flatMap((g) => {
      const v = value(g.items);
      return v === null ? [] : [{ ...g.key, value: v }];
    })
    .sort(byKey);
}
const uniques = (g: Sighting[]) => new Set(g.map((x) => x.device)).size;

describe('GET /v1/footfall: every metric, breakdowns', () => {
  let h: HistoryApp;
  const get = (qs: string) => h.app.inject({ method: 'GET', url: `/v1/footfall?${qs}`, headers: ADMIN_AUTH });
  const data = async (qs: string): Promise<Out[]> => {
    const r = await get(qs);
    expect(r.statusCode, r.body).toBe(200);
    const rows = r.json<{ data: (Omit<Out, 'value'> & { bucketStart: string; value: number | null; suppressed: boolean })[] }>().data;
    // Exact release settings (noise off, k = 1): every unit with data is released as its exact value;
    // the units of the grid without any are suppressed — null, never 0.
    expect(rows.filter((x) => x.suppressed).every((x) => x.value === null)).toBe(true);
    return rows
      .filter((x) => !x.suppressed)
      .map(({ cell, bucketStart, breakdown, value }) => ({
        cell,
        bucketMs: Date.parse(bucketStart),
        ...(breakdown !== undefined ? { breakdown } : {}),
        value: value!,
      }))
      .sort(byKey);
  };
  const twoHours = `from=${T}&to=${T + 2 * HOUR}`;

  beforeAll(async () => {
    h = await historyApp(footfallRoute);
    const device = (x: Sighting) => ({
      source: x.source,
      cell: cellToUInt64(x.cell),
      window_start: x.t / 1000,
      breakdown: x.breakdown,
      device: x.device,
      sessions: 0,
      dwell_ms: 0,
    });
    // Through the Null table, so the materialized view builds the uniqCombined64 states; in two
    // inserts, so states are merged across parts as well as within one.
    await h.store.insert('devices_in', sightings.slice(0, 3).map(device));
    await h.store.insert('devices_in', sightings.slice(3).map(device));
    await h.store.insert(
      'devices_in',
      sessions.map((x) => ({
        source: 'wifi',
        cell: cellToUInt64(x.cell),
        window_start: x.t / 1000,
        breakdown: '',
        device: '',
        sessions: x.sessions,
        dwell_ms: x.dwellMs,
      })),
    );
    await h.store.insert(
      'counts_5m',
      counts.map((x) => ({
        source: x.source,
        cell: cellToUInt64(x.cell),
        window_start: x.t / 1000,
        breakdown: x.breakdown,
        entries: x.entries,
        exits: x.exits,
      })),
    );
  });
  afterAll(() => h?.close());

  it('counts Wi-Fi unique visitors once per rolled-up cell and bucket, not once per window', async () => {
    const wifi = sightings.filter((x) => x.source === 'wifi');
    const inP9 = wifi.filter((x) => cellToParent(x.cell, 9) === P9);
    const hourly = await data(`cells=${P9}&${twoHours}&bucket=1h&resolution=9&source=wifi&metric=unique_visitors`);
    expect(hourly).toEqual(expected(inP9, 9, HOUR, uniques));
    expect(hourly.map((r) => r.value)).toEqual([3, 1]);
    // Not the sum of the per-window uniques (2 + 1 + 1 in the first hour).
    const perWindow = expected(inP9, 9, 5 * MIN, uniques).filter((r) => r.bucketMs < T + HOUR);
    expect(perWindow.reduce((a, r) => a + r.value, 0)).toBe(4);
    // unique_visitors is Wi-Fi's default metric; base cells per 5-minute window.
    expect(await data(`cells=${cellA},${cellB},${cellC}&${twoHours}&bucket=5m&source=wifi`)).toEqual(expected(wifi, 10, 5 * MIN, uniques));
    const r = await get(`cells=${P9}&from=${T}&to=${T + HOUR}&resolution=9&source=wifi`);
    expect(r.json<{ query: unknown; data: unknown[] }>()).toMatchObject({
      query: { source: 'wifi', metric: 'unique_visitors', breakdown: false },
      data: [
        { cell: P9, bucketStart: '2026-11-20T08:00:00+01:00', source: 'wifi', metric: 'unique_visitors', value: 3, suppressed: false },
      ],
    });
  });

  it('averages Wi-Fi dwell over sessions and suppresses a cell and bucket where no session started', async () => {
    const dwell = (g: typeof sessions) => {
      const n = g.reduce((a, x) => a + x.sessions, 0);
      return n === 0 ? null : g.reduce((a, x) => a + x.dwellMs, 0) / n / MIN;
    };
    const hourly = await data(`cells=${P9}&${twoHours}&bucket=1h&resolution=9&source=wifi&metric=dwell_avg_min`);
    expect(hourly).toEqual(
      expected(
        sessions.filter((x) => cellToParent(x.cell, 9) === P9),
        9,
        HOUR,
        dwell,
      ),
    );
    expect(hourly).toEqual([{ cell: P9, bucketMs: T, value: 12 }]); // (10 + 20 + 6) / 3; none in the second hour
    const base = await data(`cells=${cellA},${cellB},${cellC}&${twoHours}&bucket=5m&source=wifi&metric=dwell_avg_min`);
    expect(base).toEqual(expected(sessions, 10, 5 * MIN, dwell));
    // Devices were seen at cellA in the second hour, but no session started there: 0 sessions, suppressed.
    expect(base.some((r) => r.bucketMs >= T + HOUR)).toBe(false);
    const second = await get(`cells=${cellA}&from=${T + 65 * MIN}&to=${T + 70 * MIN}&bucket=5m&source=wifi&metric=dwell_avg_min`);
    expect(second.json<{ data: unknown[] }>().data).toMatchObject([{ cell: cellA, value: null, suppressed: true }]);
  });

  it('serves telco presence over all segments, one segment, or split by segment', async () => {
    const telco = sightings.filter((x) => x.source === 'telco');
    const q = `cells=${P9}&${twoHours}&bucket=1h&resolution=9&source=telco`;
    expect(await data(q)).toEqual(expected(telco, 9, HOUR, uniques));
    expect(await data(`${q}&metric=presence&segment=resident`)).toEqual(
      expected(
        telco.filter((x) => x.breakdown === 'resident'),
        9,
        HOUR,
        uniques,
      ),
    );
    const split = await data(`${q}&breakdown=true`);
    expect(split).toEqual(expected(telco, 9, HOUR, uniques, true));
    expect(split.map((r) => [r.breakdown, r.value])).toEqual([
      [null, 1],
      ['domestic_visitor', 1],
      ['international_visitor', 1],
      ['resident', 2],
    ]);
  });

  it('filters and splits camera counts by class and ticketing counts by mode', async () => {
    const footfall = (g: typeof counts) => g.reduce((a, x) => a + x.entries + x.exits, 0);
    const camera = counts.filter((x) => x.source === 'camera');
    const q = `cells=${P9}&${twoHours}&bucket=1h&resolution=9`;
    expect(await data(q)).toEqual(expected(camera, 9, HOUR, footfall));
    expect(await data(`${q}&class=pedestrian`)).toEqual(
      expected(
        camera.filter((x) => x.breakdown === 'pedestrian'),
        9,
        HOUR,
        footfall,
      ),
    );
    const split = await data(`${q}&breakdown=true`);
    expect(split).toEqual(expected(camera, 9, HOUR, footfall, true));
    expect(split.map((r) => [r.breakdown, r.value])).toEqual([
      [null, 2],
      ['cyclist', 4],
      ['pedestrian', 23],
    ]);
    const r = await get(`${q}&class=pedestrian&breakdown=true`);
    expect(r.json<{ query: unknown; data: unknown[] }>()).toMatchObject({
      query: { class: 'pedestrian', breakdown: true },
      data: [
        { cell: P9, source: 'camera', metric: 'footfall', breakdown: 'pedestrian', value: 23, suppressed: false },
        { cell: P9, source: 'camera', metric: 'footfall', breakdown: 'pedestrian', value: null, suppressed: true }, // the second hour
      ],
    });
    const ticketing = counts.filter((x) => x.source === 'ticketing');
    const entries = (g: typeof counts) => g.reduce((a, x) => a + x.entries, 0);
    expect(await data(`${q}&source=ticketing&metric=entries&mode=metro`)).toEqual(
      expected(
        ticketing.filter((x) => x.breakdown === 'metro'),
        9,
        HOUR,
        entries,
      ),
    );
    expect(await data(`${q}&source=ticketing&metric=entries&breakdown=true`)).toEqual(expected(ticketing, 9, HOUR, entries, true));
  });

  it('refuses a metric, filter or split that does not fit the source, naming the field', async () => {
    const q = `cells=${cellA}&${twoHours}`;
    const cases: [string, string, string][] = [
      [`${q}&source=wifi&metric=footfall`, 'metric', 'source wifi has unique_visitors, dwell_avg_min, not footfall'],
      [`${q}&source=telco&metric=unique_visitors`, 'metric', 'source telco has presence, not unique_visitors'],
      [`${q}&source=camera&metric=presence`, 'metric', 'source camera has footfall, entries, exits, not presence'],
      [`${q}&source=ticketing&metric=dwell_avg_min`, 'metric', 'source ticketing has footfall, entries, exits, not dwell_avg_min'],
      [`${q}&source=ticketing&class=pedestrian`, 'class', 'applies to source camera only, not ticketing'],
      [`${q}&source=wifi&segment=resident`, 'segment', 'applies to source telco only, not wifi'],
      [`${q}&mode=metro`, 'mode', 'applies to source ticketing only, not camera'],
      [`${q}&source=wifi&breakdown=true`, 'breakdown', 'source wifi has no breakdown to split by'],
    ];
    for (const [qs, field, reason] of cases) {
      const r = await get(qs);
      expect(r.statusCode, qs).toBe(400);
      expect(r.headers['content-type'], qs).toMatch(/^application\/problem\+json/);
      expect(r.json(), qs).toMatchObject({ code: 'invalid_request', errors: [{ field, reason }] });
    }
    for (const [qs, field] of [
      [`${q}&source=telco&segment=tourist`, 'querystring.segment'],
      [`${q}&class=bus`, 'querystring.class'],
      [`${q}&breakdown=maybe`, 'querystring.breakdown'],
      [`${q}&source=bluetooth`, 'querystring.source'],
    ]) {
      const r = await get(qs!);
      expect(r.statusCode, qs).toBe(400);
      expect(r.json<{ errors: { field: string }[] }>().errors.map((e) => e.field)).toContain(field);
    }
  });
});
