import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellToLatLng, cellToParent, gridDisk, latLngToCell } from 'h3-js';
import type { Passage } from '../../../shared/passage.js';
import { embeddedPassage, eventually, TEST_ADMIN_KEY } from '../../../shared/testing/fixtures.js';

const auth = { authorization: `Bearer ${TEST_ADMIN_KEY}` };
const T = Date.parse('2026-11-20T08:00:00+01:00');
const A = { lat: 55.6786, lng: 12.5786 };
const cellA = latLngToCell(A.lat, A.lng, 10);
const parent8 = cellToParent(cellA, 8);
// A neighbouring res-10 cell under the same res-8 parent.
const cellB = gridDisk(cellA, 1).find((c) => c !== cellA && cellToParent(c, 8) === parent8)!;
const [bLat, bLng] = cellToLatLng(cellB);
const B = { lat: bLat, lng: bLng };

interface Row {
  cell: string;
  bucketStart: string;
  value: number | null;
  suppressed: boolean;
  source: string;
}

describe('GET /v1/footfall', () => {
  let p: Passage;
  const get = (qs: string, headers: Record<string, string> = auth) => p.app.inject({ method: 'GET', url: `/v1/footfall?${qs}`, headers });
  /** The released rows (exact here: noise off, k = 1); the others are units without data, suppressed as null. */
  const released = (r: { json<T>(): T }): Row[] => {
    const rows = r.json<{ data: Row[] }>().data;
    expect(rows.filter((x) => x.suppressed).every((x) => x.value === null)).toBe(true);
    return rows.filter((x) => !x.suppressed);
  };

  beforeAll(async () => {
    expect(cellB).not.toBe(cellA);
    expect(cellToParent(cellB, 8)).toBe(parent8);
    // Exact release settings, so values can be checked; the release layer itself: query-api/privacy/.
    p = await embeddedPassage({ PASSAGE_MAX_RESULT_ROWS: '30', PASSAGE_PRIVACY_NOISE: 'off', PASSAGE_PRIVACY_K: '1' });
    const records = [
      { sensorId: 'a', ...A, start: T, end: T + 300_000, in: 10, out: 5 },
      { sensorId: 'a', ...A, start: T + 300_000, end: T + 600_000, in: 1, out: 2 },
      { sensorId: 'b', ...B, start: T, end: T + 300_000, in: 7, out: 0 },
    ];
    const res = await p.app.inject({ method: 'POST', url: '/v1/ingest/camera', headers: auth, payload: records });
    expect(res.statusCode).toBe(202);
    await eventually(
      () => get(`cells=${cellA},${cellB}&from=${T}&to=${T + 3_600_000}&bucket=1h`),
      (r) => r.statusCode === 200 && released(r).length === 2,
    );
  });
  afterAll(() => p?.close());

  it('returns footfall, entries and exits per cell and bucket, with times in the configured zone', async () => {
    const r = await get(`cells=${cellA}&from=2026-11-20T08:00:00%2B01:00&to=2026-11-20T09:00:00%2B01:00&bucket=5m`);
    expect(r.statusCode).toBe(200);
    const body = r.json<{ query: Record<string, unknown>; privacy: unknown; data: unknown[] }>();
    expect(body.privacy).toEqual({ released: true, dataset: 'footfall', k: 1, epsilon: 1, noise: 'off' });
    expect(body.query).toMatchObject({
      cells: [cellA],
      bucket: '5m',
      resolution: 10,
      source: 'camera',
      metric: 'footfall',
      from: '2026-11-20T08:00:00+01:00',
    });
    expect(body.data).toHaveLength(12); // every 5-minute bucket of the hour, with data or not
    expect(released(r)).toEqual([
      {
        cell: cellA,
        bucketStart: '2026-11-20T08:00:00+01:00',
        source: 'camera',
        metric: 'footfall',
        value: 15,
        suppressed: false,
        weather: null,
        events: [],
        incidents: [],
      },
      {
        cell: cellA,
        bucketStart: '2026-11-20T08:05:00+01:00',
        source: 'camera',
        metric: 'footfall',
        value: 3,
        suppressed: false,
        weather: null,
        events: [],
        incidents: [],
      },
    ]);
    const entries = await get(`cells=${cellA}&from=${T}&to=${T + 3_600_000}&bucket=15m&metric=entries`);
    expect(entries.json<{ data: { value: number | null }[] }>().data.map((d) => d.value)).toEqual([11, null, null, null]);
    const exits = await get(`cells=${cellA}&from=${T}&to=${T + 3_600_000}&bucket=1h&metric=exits`);
    expect(exits.json<{ data: { value: number }[] }>().data.map((d) => d.value)).toEqual([7]);
  });

  it('rolls base cells up to a coarser resolution', async () => {
    const day = Date.parse('2026-11-20T00:00:00+01:00');
    const r = await get(`cells=${parent8}&from=${day}&to=${day + 86_400_000}&bucket=1d&resolution=8`);
    expect(r.json<{ data: unknown[] }>().data).toEqual([
      {
        cell: parent8,
        bucketStart: '2026-11-20T00:00:00+01:00',
        source: 'camera',
        metric: 'footfall',
        value: 25,
        suppressed: false,
        weather: null,
        events: [],
        incidents: [],
      },
    ]);
    // Finer output inside a coarse cell: one row per res-9 child, those with data summing to the parent.
    const r9 = await get(`cells=${parent8}&from=${day}&to=${day + 86_400_000}&bucket=1d&resolution=9`);
    expect(r9.json<{ data: Row[] }>().data).toHaveLength(7);
    const rows = released(r9);
    expect(rows.every((x) => cellToParent(x.cell, 8) === parent8)).toBe(true);
    expect(rows.reduce((a, x) => a + x.value!, 0)).toBe(25);
    // The whole area in one row per bucket.
    const area = await get(`cells=${parent8}&from=${day}&to=${day + 86_400_000}&bucket=1d&resolution=9&aggregate=area`);
    expect(area.json<{ data: unknown[] }>().data).toEqual([
      { cells: 7, bucketStart: '2026-11-20T00:00:00+01:00', source: 'camera', metric: 'footfall', value: 25, suppressed: false },
    ]);
    // A bucket that starts before `from` is not returned; the next day's (no data) is, suppressed.
    expect((await get(`cells=${parent8}&from=${T}&to=${T + 86_400_000}&bucket=1d`)).json<{ data: unknown[] }>().data).toMatchObject([
      { bucketStart: '2026-11-21T00:00:00+01:00', value: null, suppressed: true },
    ]);
  });

  it('rejects bad queries with the field and the reason', async () => {
    const cases: [string, string, string][] = [
      [`cells=zzz&from=${T}&to=${T + 1}`, 'querystring.cells', 'invalid_request'],
      [`cells=${'8'.repeat(15)}&from=${T}&to=${T + 1}`, 'cells', 'invalid_cells'],
      [`cells=${cellA}&from=${T}&to=${T + 1}&resolution=8`, 'cells', 'invalid_cells'],
      [`cells=${cellA}&from=yesterday&to=${T}`, 'from', 'invalid_request'],
      [`cells=${cellA}&from=${T}&to=${T}`, 'to', 'invalid_request'],
      [`cells=${cellA}&from=${T}&to=${T + 1}&bucket=2h`, 'querystring.bucket', 'invalid_request'],
      [`cells=${cellA}&from=${T}&to=${T + 1}&metric=dwell`, 'querystring.metric', 'invalid_request'],
      [`cells=${cellA}&from=${T}&to=${T + 1}&colour=red`, 'querystring.colour', 'invalid_request'],
      [`from=${T}&to=${T + 1}`, 'cells', 'invalid_request'],
    ];
    for (const [qs, field, code] of cases) {
      const r = await get(qs);
      expect(r.statusCode, qs).toBe(400);
      const body = r.json<{ code: string; errors: { field: string; reason: string }[] }>();
      expect(body.code, qs).toBe(code);
      expect(
        body.errors.map((e) => e.field),
        qs,
      ).toContain(field);
    }
  });

  it('refuses results larger than the limit instead of truncating them', async () => {
    // Rows are cells × buckets, with data or not: known before anything is read.
    const r = await get(`cells=${cellA},${cellB}&from=${T}&to=${T + 3_600_000}&bucket=5m&resolution=10`);
    expect(r.statusCode).toBe(200); // 24 rows ≤ 30
    const tooMany = await get(`cells=${cellA},${cellB}&from=${T}&to=${T + 2 * 3_600_000}&bucket=5m&resolution=10`);
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json()).toMatchObject({ code: 'result_too_large' });
  });

  it('serves ticketing entries and exits from taps and gate counts, by mode', async () => {
    await p.app.inject({ method: 'PUT', url: '/v1/sensors/st-n', headers: auth, payload: { source: 'ticketing', ...A } });
    const res = await p.app.inject({
      method: 'POST',
      url: '/v1/ingest/ticketing',
      headers: auth,
      payload: [
        { stationId: 'st-n', kind: 'tap_in', start: T + 60_000, mode: 'metro', cardId: 'c1' },
        { stationId: 'st-n', kind: 'tap_in', start: T + 61_000, mode: 'metro', cardId: 'c2' },
        { stationId: 'st-n', kind: 'tap_out', start: T + 62_000, mode: 'metro', cardId: 'c3' },
        { stationId: 'st-n', kind: 'gate_entry', start: T, end: T + 3_600_000, count: 120, mode: 'train' },
        { stationId: 'st-n', kind: 'gate_exit', start: T, end: T + 3_600_000, count: 90, mode: 'train' },
      ],
    });
    expect(res.json()).toEqual({ accepted: 5, rejected: [] });
    const hourly = (metric: string, value: number) =>
      eventually(
        () => get(`cells=${cellA}&from=${T}&to=${T + 3_600_000}&bucket=1h&source=ticketing&metric=${metric}`),
        (r) => r.json<{ data: Row[] }>().data[0]?.value === value,
      );
    expect((await hourly('entries', 122)).json<{ data: Row[] }>().data[0]!.value).toBe(122);
    expect((await hourly('exits', 91)).json<{ data: Row[] }>().data[0]!.value).toBe(91);
    expect((await hourly('footfall', 213)).json<{ data: Row[] }>().data[0]).toMatchObject({
      value: 213,
      source: 'ticketing',
    });
    // Camera counts of the same cell are a different source: never summed blindly.
    expect(
      (await get(`cells=${cellA}&from=${T}&to=${T + 3_600_000}&bucket=1h`)).json<{ data: { value: number }[] }>().data[0]!.value,
    ).not.toBe(213);
  });

  it('answers only the admin key for now', async () => {
    expect((await get(`cells=${cellA}&from=${T}&to=${T + 1}`, {})).statusCode).toBe(401);
    expect((await get(`cells=${cellA}&from=${T}&to=${T + 1}`, { authorization: 'Bearer someone-else-key' })).statusCode).toBe(401);
  });
});
