import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellToChildren, cellToParent, latLngToCell } from 'h3-js';
import { cellToUInt64 } from '../../../shared/h3.js';
import { ADMIN_AUTH, historyApp, type HistoryApp } from '../../../shared/testing/history.js';
import { flowsRoute } from './route.js';

const T = Date.parse('2026-11-20T08:00:00+01:00');
const MIN = 60_000;
const HOUR = 60 * MIN;
const o1 = latLngToCell(55.6786, 12.5786, 10); // Strøget
const o2 = cellToChildren(cellToParent(o1, 8), 10).find((c) => c !== o1)!;
const d1 = latLngToCell(55.6867, 12.5701, 10); // Nørreport, about 1 km away
const d2 = cellToChildren(cellToParent(d1, 8), 10).find((c) => c !== d1)!;
const x1 = latLngToCell(55.6726, 12.5646, 10); // Copenhagen Central
const [O8, D8, X8] = [o1, d1, x1].map((c) => cellToParent(c, 8));

interface Flow {
  source: string;
  origin: string;
  destination: string;
  t: number;
  breakdown: string;
  trips: number;
  durationMs: number;
}
const flows: Flow[] = [
  { source: 'ticketing', origin: o1, destination: d1, t: T, breakdown: 'metro', trips: 3, durationMs: 3 * 10 * MIN },
  { source: 'ticketing', origin: o2, destination: d2, t: T + 5 * MIN, breakdown: 'metro', trips: 1, durationMs: 20 * MIN },
  { source: 'ticketing', origin: o1, destination: d2, t: T + 10 * MIN, breakdown: 'train', trips: 2, durationMs: 2 * 15 * MIN },
  { source: 'ticketing', origin: o1, destination: d1, t: T + 65 * MIN, breakdown: 'metro', trips: 4, durationMs: 4 * 7 * MIN },
  { source: 'ticketing', origin: o1, destination: x1, t: T, breakdown: 'metro', trips: 5, durationMs: 5 * 12 * MIN },
  { source: 'ticketing', origin: o1, destination: d1, t: T + 15 * MIN, breakdown: '', trips: 1, durationMs: 9 * MIN },
  { source: 'telco', origin: o1, destination: d1, t: T, breakdown: 'resident', trips: 7, durationMs: 7 * 30 * MIN },
  { source: 'telco', origin: o2, destination: d2, t: T + 20 * MIN, breakdown: 'international_visitor', trips: 2, durationMs: 2 * 5 * MIN },
];

interface Row {
  originCell: string;
  destinationCell: string;
  bucketStart: string;
  source: string;
  mode?: string | null;
  segment?: string | null;
  trips: number | null;
  avgDurationMin: number | null;
  suppressed: boolean;
}

/** What the API should answer, computed here from `flows` directly (1h buckets are UTC hours here). */
function expected(
  pick: (f: Flow) => boolean,
  res: number,
  bucketMs: number,
  split?: 'mode' | 'segment',
): { originCell: string; destinationCell: string; bucketMs: number; breakdown?: string | null; trips: number; avgDurationMin: number }[] {
  const groups = new Map<string, { o: string; d: string; b: number; bd: string; trips: number; ms: number }>();
  for (const f of flows.filter(pick)) {
    const g = {
      o: cellToParent(f.origin, res),
      d: cellToParent(f.destination, res),
      b: Math.floor(f.t / bucketMs) * bucketMs,
      bd: split === undefined ? '' : f.breakdown,
    };
    const key = `${g.o}|${g.d}|${g.b}|${g.bd}`;
    const acc = groups.get(key) ?? { ...g, trips: 0, ms: 0 };
    acc.trips += f.trips;
    acc.ms += f.durationMs;
    groups.set(key, acc);
  }
  return [...groups.values()]
    .map((g) => ({
      originCell: g.o,
      destinationCell: g.d,
      bucketMs: g.b,
      ...(split === undefined ? {} : { breakdown: g.bd === '' ? null : g.bd }),
      trips: g.trips,
      avgDurationMin: g.ms / g.trips / MIN,
    }))
    .sort(byKey);
}

function byKey(a: { originCell: string; destinationCell: string; bucketMs: number; breakdown?: string | null }, b: typeof a): number {
  return (
    a.originCell.localeCompare(b.originCell) ||
    a.destinationCell.localeCompare(b.destinationCell) ||
    a.bucketMs - b.bucketMs ||
    (a.breakdown ?? '').localeCompare(b.breakdown ?? '')
  );
}

describe('GET /v1/flows', () => {
  let h: HistoryApp;
  const get = (qs: string, headers: Record<string, string> = ADMIN_AUTH) =>
    h.app.inject({ method: 'GET', url: `/v1/flows?${qs}`, headers });
  const data = async (qs: string) => {
    const r = await get(qs);
    expect(r.statusCode, r.body).toBe(200);
    const rows = r.json<{ data: Row[] }>().data;
    // Exact release settings (noise off, k = 1): pairs with trips are released exactly; the other
    // units of the grid are suppressed, null and never 0.
    expect(rows.filter((x) => x.suppressed).every((x) => x.trips === null && x.avgDurationMin === null)).toBe(true);
    return rows
      .filter((x) => !x.suppressed)
      .map(({ bucketStart, mode, segment, source: _s, suppressed: _x, ...rest }) => ({
        ...rest,
        bucketMs: Date.parse(bucketStart),
        ...(mode !== undefined ? { breakdown: mode } : segment !== undefined ? { breakdown: segment } : {}),
      }))
      .sort(byKey);
  };
  const hour = `from=${T}&to=${T + 2 * HOUR}&bucket=1h`;

  beforeAll(async () => {
    expect(new Set([O8, D8, X8]).size).toBe(3);
    h = await historyApp(flowsRoute, { maxResultRows: 200 });
    // Two inserts, so the rolled-up sums span parts.
    for (const part of [flows.slice(0, 4), flows.slice(4)]) {
      await h.store.insert(
        'flows_5m',
        part.map((f) => ({
          source: f.source,
          origin_cell: cellToUInt64(f.origin),
          destination_cell: cellToUInt64(f.destination),
          window_start: f.t / 1000,
          breakdown: f.breakdown,
          trips: f.trips,
          duration_ms: f.durationMs,
        })),
      );
    }
  });
  afterAll(() => h?.close());

  it('returns trips and mean duration per cell pair and bucket, rolled up at both ends', async () => {
    const r = await get(`origin=${O8}&destination=${D8}&${hour}&resolution=8`);
    expect(r.statusCode).toBe(200);
    const body = r.json<{ query: Record<string, unknown>; privacy: unknown; data: Row[] }>();
    expect(body.privacy).toEqual({ released: true, dataset: 'flows', k: 1, epsilon: 1, noise: 'off' });
    expect(body.query).toMatchObject({
      origin: [O8],
      destination: [D8],
      from: '2026-11-20T08:00:00+01:00',
      bucket: '1h',
      resolution: 8,
      source: 'ticketing',
      breakdown: false,
      timeZone: 'Europe/Copenhagen',
    });
    expect(body.data[0]).toEqual({
      originCell: O8,
      destinationCell: D8,
      bucketStart: '2026-11-20T08:00:00+01:00',
      source: 'ticketing',
      trips: 7,
      avgDurationMin: (30 + 20 + 30 + 9) / 7,
      suppressed: false,
    });
    const pick = (f: Flow) => f.source === 'ticketing' && cellToParent(f.destination, 8) === D8;
    expect(await data(`origin=${O8}&destination=${D8}&${hour}&resolution=8`)).toEqual(expected(pick, 8, HOUR));
    // Any destination when none is given; base cells at their own resolution by default.
    expect(await data(`origin=${O8}&${hour}`)).toEqual(expected((f) => f.source === 'ticketing', 8, HOUR));
    expect(await data(`origin=${o1}&destination=${d1}&from=${T}&to=${T + HOUR}&bucket=5m`)).toEqual(
      expected((f) => f.source === 'ticketing' && f.origin === o1 && f.destination === d1 && f.t < T + HOUR, 10, 5 * MIN),
    );
    // Finer output inside coarse requested cells.
    expect(await data(`origin=${O8}&destination=${D8}&from=${T}&to=${T + HOUR}&resolution=9`)).toEqual(
      expected((f) => pick(f) && f.t < T + HOUR, 9, HOUR),
    );
  });

  it('filters by and splits by ticketing mode or telco segment', async () => {
    const ticketing = (f: Flow) => f.source === 'ticketing' && cellToParent(f.destination, 8) === D8;
    expect(await data(`origin=${O8}&destination=${D8}&${hour}&mode=metro`)).toEqual(
      expected((f) => ticketing(f) && f.breakdown === 'metro', 8, HOUR),
    );
    const split = await data(`origin=${O8}&destination=${D8}&${hour}&breakdown=true`);
    expect(split).toEqual(expected(ticketing, 8, HOUR, 'mode'));
    expect(split.map((s) => s.breakdown)).toContain(null); // a journey without a mode
    const telco = await get(`origin=${O8}&${hour}&source=telco&breakdown=true`);
    expect(telco.json<{ data: Row[] }>().data.map((d) => [d.segment, d.trips, d.source])).toEqual([
      ['international_visitor', 2, 'telco'],
      ['resident', 7, 'telco'],
    ]);
    expect(await data(`origin=${O8}&${hour}&source=telco&segment=resident`)).toEqual(
      expected((f) => f.source === 'telco' && f.breakdown === 'resident', 8, HOUR),
    );
    const echoed = await get(`origin=${O8}&${hour}&source=telco&segment=resident`);
    expect(echoed.json<{ query: unknown }>().query).toMatchObject({ segment: 'resident', source: 'telco' });
  });

  it('rejects bad queries with the field and the reason', async () => {
    const cases: [string, string, string][] = [
      [`${hour}`, 'origin', 'invalid_request'],
      [`origin=${o1}&${hour}&resolution=8`, 'origin', 'invalid_cells'],
      [`origin=${O8}&destination=${d1}&${hour}&resolution=8`, 'destination', 'invalid_cells'],
      [`origin=${O8}&destination=${'8'.repeat(15)}&${hour}`, 'destination', 'invalid_cells'],
      [`origin=${O8}&${hour}&source=telco&mode=metro`, 'mode', 'invalid_request'],
      [`origin=${O8}&${hour}&segment=resident`, 'segment', 'invalid_request'],
      [`origin=${O8}&${hour}&class=pedestrian`, 'querystring.class', 'invalid_request'],
      [`origin=${O8}&${hour}&source=wifi`, 'querystring.source', 'invalid_request'],
      [`origin=${O8}&${hour}&source=telco&segment=tourist`, 'querystring.segment', 'invalid_request'],
      [`origin=${O8}&from=${T}&to=${T}`, 'to', 'invalid_request'],
      [`origin=${O8}&from=later&to=${T}`, 'from', 'invalid_request'],
      [`origin=${O8}&${hour}`.replace('1h', '2h'), 'querystring.bucket', 'invalid_request'],
    ];
    for (const [qs, field, code] of cases) {
      const r = await get(qs);
      expect(r.statusCode, qs).toBe(400);
      expect(r.headers['content-type'], qs).toMatch(/^application\/problem\+json/);
      const body = r.json<{ code: string; errors: { field: string; reason: string }[] }>();
      expect(body.code, qs).toBe(code);
      expect(
        body.errors.map((e) => e.field),
        qs,
      ).toContain(field);
    }
    const mode = (await get(`origin=${O8}&${hour}&source=telco&mode=metro`)).json<{ errors: { reason: string }[] }>();
    expect(mode.errors[0]!.reason).toBe('applies to source ticketing only, not telco');
  });

  it('refuses results larger than the limit instead of truncating them', async () => {
    // 49 × 49 res-10 pairs × 24 buckets, whatever the data: refused before the store is read.
    const r = await get(`origin=${O8}&destination=${D8}&from=${T}&to=${T + 2 * HOUR}&bucket=5m&resolution=10`);
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ code: 'result_too_large' });
  });

  it('answers only the admin key for now', async () => {
    expect((await get(`origin=${O8}&${hour}`, {})).statusCode).toBe(401);
    expect((await get(`origin=${O8}&${hour}`, { authorization: 'Bearer someone-else-key' })).statusCode).toBe(401);
  });
});
