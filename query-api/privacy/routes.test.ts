// The release layer through /v1/footfall and /v1/flows: the same question gets the same answer; no
// released value is below k; differencing areas (with and without a cell, a parent against its
// children) does not give a suppressed cell's count back; with noise off and k = 1 every value is
// the exact aggregate. Several apps share one store, each with its own release settings.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellToChildren, cellToParent, latLngToCell } from 'h3-js';
import { cellToUInt64 } from '../../shared/h3.js';
import { ADMIN_AUTH, historyApp, testPrivacy, type HistoryApp } from '../../shared/testing/history.js';
import type { App } from '../../shared/http.js';
import type { HistoryRouteOptions } from '../history.js';
import { flowsRoute } from '../routes/flows/route.js';
import { queryFlows } from '../routes/flows/query.js';
import { footfallRoute } from '../routes/footfall/route.js';
import { queryFootfall } from '../routes/footfall/query.js';
import type { Bucket } from '../rollup.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const H0 = Date.parse('2026-01-05T00:00:00+01:00'); // a Monday in Copenhagen
const HOURS = 100;
const P9 = cellToParent(latLngToCell(55.6786, 12.5786, 10), 9);
const CHILDREN = [...cellToChildren(P9, 10)].sort();
const X = CHILDREN[0]!; // 3 people an hour: below k
const EMPTY = CHILDREN[6]!; // never any data
const OTHERS = CHILDREN.slice(1, 6);
const exactOf = (cell: string, h: number): number =>
  cell === X ? 3 : cell === EMPTY ? 0 : 20 + ((h * 7 + CHILDREN.indexOf(cell) * 13) % 50);
const D9 = cellToParent(latLngToCell(55.6867, 12.5701, 10), 9);
const DEST = [...cellToChildren(D9, 10)].sort();

interface FootfallBody {
  privacy: Record<string, unknown>;
  data: { cell?: string; cells?: number; bucketStart: string; value: number | null; suppressed: boolean; breakdown?: string | null }[];
}
interface FlowsBody {
  privacy: Record<string, unknown>;
  data: {
    originCell?: string;
    destinationCell?: string;
    bucketStart: string;
    trips: number | null;
    avgDurationMin: number | null;
    suppressed: boolean;
  }[];
}

describe('privacy release through the history routes', () => {
  const apps: HistoryApp[] = [];
  let noisy: HistoryApp; // k 10, ε 1, noise on
  let otherSecret: HistoryApp;
  let thresholdOnly: HistoryApp; // k 10, noise off
  let exact: HistoryApp; // k 1, noise off
  let noisyFlows: HistoryApp;
  let exactFlows: HistoryApp;
  let unconfigured: HistoryApp;
  const both = (app: App, opts: HistoryRouteOptions) => {
    footfallRoute(app, opts);
    flowsRoute(app, opts);
  };
  const get = async <T>(h: HistoryApp, url: string): Promise<T> => {
    const r = await h.app.inject({ method: 'GET', url, headers: ADMIN_AUTH });
    expect(r.statusCode, `${url}: ${r.body}`).toBe(200);
    return r.json<T>();
  };
  const footfall = (h: HistoryApp, qs: string) => get<FootfallBody>(h, `/v1/footfall?enrich=false&${qs}`);
  const flows = (h: HistoryApp, qs: string) => get<FlowsBody>(h, `/v1/flows?${qs}`);
  const hours = `from=${H0}&to=${H0 + HOURS * HOUR}&bucket=1h`;

  beforeAll(async () => {
    noisy = await historyApp(both, {
      maxResultRows: 20_000,
      privacy: testPrivacy({ k: 10, epsilon: 1, noise: 'on' }, { datasets: { flows: { k: 5 } } }),
    });
    apps.push(noisy);
    const store = noisy.store;
    const more = async (privacy: Parameters<typeof testPrivacy>[0] | null, secret?: Buffer) => {
      const h = await historyApp(both, {
        store,
        maxResultRows: 20_000,
        privacy: privacy === null ? null : testPrivacy(privacy, secret === undefined ? {} : { secret }),
      });
      apps.push(h);
      return h;
    };
    otherSecret = await more({ k: 10, epsilon: 1, noise: 'on' }, Buffer.from('another-privacy-secret-0123456789abcdef'));
    thresholdOnly = await more({ k: 10, epsilon: 1, noise: 'off' });
    exact = await more({});
    unconfigured = await more(null);
    noisyFlows = noisy;
    exactFlows = exact;

    const counts = [];
    for (let h = 0; h < HOURS; h++)
      for (const cell of CHILDREN) {
        const n = exactOf(cell, h);
        if (n > 0)
          counts.push({
            source: 'camera',
            cell: cellToUInt64(cell),
            window_start: (H0 + h * HOUR + ((h * 5) % 60) * MIN) / 1000,
            breakdown: h % 3 === 0 ? 'pedestrian' : '',
            entries: n - Math.floor(n / 3),
            exits: Math.floor(n / 3),
          });
      }
    await store.insert('counts_5m', counts);
    const devices = [];
    for (let h = 0; h < 24; h++)
      for (const [i, cell] of OTHERS.entries())
        for (let d = 0; d < 5 + i * 3; d++)
          devices.push({
            source: 'wifi',
            cell: cellToUInt64(cell),
            window_start: (H0 + h * HOUR) / 1000,
            breakdown: '',
            device: `d${h}-${i}-${d}`,
            sessions: 0,
            dwell_ms: 0,
          });
    const sessions = OTHERS.flatMap((cell, i) =>
      Array.from({ length: 24 }, (_, h) => ({
        source: 'wifi',
        cell: cellToUInt64(cell),
        window_start: (H0 + h * HOUR) / 1000,
        breakdown: '',
        device: '',
        sessions: 4 + i * 5,
        dwell_ms: (4 + i * 5) * (10 + h) * MIN,
      })),
    );
    await store.insert('devices_in', [...devices, ...sessions]);
    const trips = [];
    for (let h = 0; h < 24; h++)
      for (const [i, o] of CHILDREN.entries())
        trips.push({
          source: 'ticketing',
          origin_cell: cellToUInt64(o),
          destination_cell: cellToUInt64(DEST[i % DEST.length]!),
          window_start: (H0 + h * HOUR) / 1000,
          breakdown: i % 2 === 0 ? 'metro' : 'bus',
          trips: o === X ? 2 : 10 + i * 4,
          duration_ms: (o === X ? 2 : 10 + i * 4) * (12 + i) * MIN,
        });
    await store.insert('flows_5m', trips);
  });
  afterAll(async () => {
    for (const h of apps.reverse()) await h.close();
  });

  it('says how it released, per dataset', async () => {
    expect((await footfall(noisy, `cells=${X}&${hours}`)).privacy).toEqual({
      released: true,
      dataset: 'footfall',
      k: 10,
      epsilon: 1,
      noise: 'laplace',
    });
    expect((await flows(noisyFlows, `origin=${P9}&destination=${D9}&${hours}`)).privacy).toEqual({
      released: true,
      dataset: 'flows',
      k: 5,
      epsilon: 1,
      noise: 'laplace',
    });
    expect((await footfall(exact, `cells=${X}&${hours}`)).privacy).toMatchObject({ k: 1, noise: 'off' });
  });

  it('releases nothing without a secret and settings (503), and refuses area totals of flows to anywhere', async () => {
    for (const url of [`/v1/footfall?cells=${X}&${hours}`, `/v1/flows?origin=${X}&${hours}`]) {
      const r = await unconfigured.app.inject({ method: 'GET', url, headers: ADMIN_AUTH });
      expect(r.statusCode).toBe(503);
      expect(r.json()).toMatchObject({ code: 'privacy_not_configured' });
    }
    const r = await noisyFlows.app.inject({ method: 'GET', url: `/v1/flows?origin=${P9}&${hours}&aggregate=area`, headers: ADMIN_AUTH });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ code: 'invalid_request', errors: [{ field: 'aggregate' }] });
  });

  it('gives the same question the same answer, and another secret other answers', async () => {
    const queries = [
      `cells=${P9}&${hours}&resolution=10`,
      `cells=${P9}&${hours}&resolution=10&aggregate=area`,
      `cells=${P9}&from=${H0}&to=${H0 + 2 * HOUR}&bucket=5m&resolution=10&breakdown=true`,
      `cells=${P9}&from=${H0}&to=${H0 + 24 * HOUR}&bucket=1h&source=wifi&metric=dwell_avg_min`,
    ];
    for (const q of queries) {
      const a = await noisy.app.inject({ method: 'GET', url: `/v1/footfall?${q}`, headers: ADMIN_AUTH });
      const b = await noisy.app.inject({ method: 'GET', url: `/v1/footfall?${q}`, headers: ADMIN_AUTH });
      expect(a.statusCode, a.body).toBe(200);
      expect(b.body).toBe(a.body);
    }
    const fq = `origin=${P9}&destination=${D9}&from=${H0}&to=${H0 + 24 * HOUR}&resolution=10`;
    expect((await flows(noisyFlows, fq)).data).toEqual((await flows(noisyFlows, fq)).data);

    const mine = (await footfall(noisy, `cells=${P9}&${hours}&resolution=10`)).data;
    const theirs = (await footfall(otherSecret, `cells=${P9}&${hours}&resolution=10`)).data;
    const released = mine.filter((r, i) => !r.suppressed && !theirs[i]!.suppressed);
    expect(released.length).toBeGreaterThan(400);
    const differ = mine.filter((r, i) => !r.suppressed && !theirs[i]!.suppressed && r.value !== theirs[i]!.value).length;
    expect(differ / released.length).toBeGreaterThan(0.5);
  });

  it('never releases a value below k, per cell or per area, whatever is asked', async () => {
    const query = fc.record({
      cells: fc.subarray([P9, ...CHILDREN], { minLength: 1 }),
      bucket: fc.constantFrom('5m', '15m', '1h', '1d'),
      startHour: fc.integer({ min: 0, max: HOURS - 1 }),
      hours: fc.integer({ min: 1, max: 24 }),
      metric: fc.constantFrom('footfall', 'entries', 'exits', 'unique_visitors'),
      aggregate: fc.constantFrom('cell', 'area'),
      split: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(query, async (q) => {
        const source = q.metric === 'unique_visitors' ? 'wifi' : 'camera';
        const qs =
          `cells=${q.cells.join(',')}&from=${H0 + q.startHour * HOUR}&to=${H0 + (q.startHour + q.hours) * HOUR}&bucket=${q.bucket}` +
          `&resolution=10&source=${source}&metric=${q.metric}&aggregate=${q.aggregate}${q.split && source === 'camera' ? '&breakdown=true' : ''}`;
        const body = await footfall(noisy, qs); // no rows only when no bucket starts in the period (1d)
        for (const r of body.data) {
          if (r.suppressed) expect(r.value).toBeNull();
          else expect(Number.isInteger(r.value) && r.value! >= 10, qs).toBe(true);
        }
      }),
      { numRuns: 20 },
    );
    // Means: the count behind them is thresholded (the mean itself may be any number of minutes).
    const dwell = await footfall(noisy, `cells=${P9}&from=${H0}&to=${H0 + 24 * HOUR}&resolution=10&source=wifi&metric=dwell_avg_min`);
    expect(dwell.data.filter((r) => !r.suppressed).length).toBeGreaterThan(50);
    expect(dwell.data.every((r) => (r.value === null) === r.suppressed)).toBe(true);
    const f = await flows(noisyFlows, `origin=${P9}&destination=${D9}&from=${H0}&to=${H0 + 24 * HOUR}&resolution=10&breakdown=true`);
    expect(f.data.length).toBe(7 * 7 * 24 * 3); // every pair, hour and mode ('', bus, metro), with trips or not
    for (const r of f.data) {
      if (r.suppressed) expect([r.trips, r.avgDurationMin]).toEqual([null, null]);
      else expect(r.trips! >= 5 && r.avgDurationMin! >= 0).toBe(true);
    }
    // Trips to anywhere: only pairs released above k are listed.
    const anywhere = await flows(noisyFlows, `origin=${P9}&from=${H0}&to=${H0 + 24 * HOUR}&resolution=10`);
    expect(anywhere.data.length).toBeGreaterThan(100);
    expect(anywhere.data.every((r) => !r.suppressed && r.trips! >= 5)).toBe(true);
    // X has 2 trips an hour: listed only in the hours its noise reaches k = 5 (P ≈ e^{-2.5}/2 ≈ 4 %).
    expect(anywhere.data.filter((r) => r.originCell === X).length).toBeLessThanOrEqual(4);
  });

  describe('differencing a suppressed cell (3 people an hour) over 100 hours', () => {
    const recover = async (h: HistoryApp) => {
      const cellRows = (await footfall(h, `cells=${CHILDREN.join(',')}&${hours}`)).data;
      const withX = (await footfall(h, `cells=${CHILDREN.join(',')}&${hours}&aggregate=area`)).data;
      const without = (await footfall(h, `cells=${CHILDREN.filter((c) => c !== X).join(',')}&${hours}&aggregate=area`)).data;
      const parent = (await footfall(h, `cells=${P9}&${hours}&resolution=9`)).data;
      expect([withX.length, without.length, parent.length]).toEqual([HOURS, HOURS, HOURS]);
      expect(withX.every((r) => r.cells === 7) && without.every((r) => r.cells === 6)).toBe(true);
      const byHour = (cell: string) => cellRows.filter((r) => r.cell === cell);
      const children = OTHERS.map(byHour);
      return {
        x: byHour(X),
        empty: byHour(EMPTY),
        area: withX.map((r, i) => r.value! - without[i]!.value!),
        parent: parent.map((r, i) => r.value! - children.reduce((a, c) => a + (c[i]!.value ?? 0), 0)),
      };
    };

    it('with noise: the cell reads like an empty one, and neither attack gets its count back', async () => {
      const { x, empty, area, parent } = await recover(noisy);
      // Suppressed as null, like a cell that never had anyone: nothing tells 3 from 0.
      expect(x.filter((r) => r.suppressed && r.value === null).length).toBeGreaterThanOrEqual(HOURS - 2);
      expect(empty.every((r) => r.suppressed && r.value === null)).toBe(true);
      for (const recovered of [area, parent]) {
        const errors = recovered.map((v) => v - 3);
        // Exact in a minority of hours (3 + Laplace(1) rounds to 3 about 37 % of the time), and the
        // attacker cannot tell which: the errors spread like the noise of the units differenced.
        expect(recovered.filter((v) => v === 3).length).toBeLessThan(HOURS / 2);
        const m = errors.reduce((a, e) => a + e, 0) / HOURS;
        expect(errors.reduce((a, e) => a + (e - m) ** 2, 0) / HOURS).toBeGreaterThan(1);
      }
    });

    it('without noise the threshold alone leaks the exact count: noise off is for trusted deployments only', async () => {
      const { x, area } = await recover(thresholdOnly);
      expect(x.every((r) => r.suppressed)).toBe(true);
      expect(area.every((v) => v === 3)).toBe(true);
    });
  });

  describe('with noise off and k = 1', () => {
    const limits = { timeZone: 'Europe/Copenhagen', maxRows: 100_000, timeoutMs: 30_000 };
    const cases: { cells: string[]; bucket: Bucket; resolution: number; source: 'camera' | 'wifi'; metric: string; split: boolean }[] = [
      { cells: [P9], bucket: '1h', resolution: 10, source: 'camera', metric: 'footfall', split: false },
      { cells: [P9], bucket: '1d', resolution: 9, source: 'camera', metric: 'entries', split: false },
      { cells: CHILDREN.slice(0, 4), bucket: '15m', resolution: 10, source: 'camera', metric: 'exits', split: true },
      { cells: [P9], bucket: '1h', resolution: 10, source: 'wifi', metric: 'unique_visitors', split: false },
      { cells: [P9], bucket: '1w', resolution: 9, source: 'wifi', metric: 'dwell_avg_min', split: false },
    ];
    it.each(cases)('every value is the exact aggregate: $source $metric by $bucket at $resolution', async (c) => {
      const from = H0;
      const to = c.bucket === '1w' ? H0 + 7 * 24 * HOUR : H0 + 48 * HOUR;
      const q = { ...c, from, to, breakdown: null, splitByBreakdown: c.split };
      const truth = await queryFootfall(exact.store, q, limits);
      expect(truth.length).toBeGreaterThan(0);
      const key = (r: { cell?: string; bucketStartMs: number; breakdown?: string | null }) =>
        `${r.cell}|${r.bucketStartMs}|${r.breakdown ?? ''}`;
      const want = new Map(truth.map((r) => [key(r), r.value]));
      const qs = `cells=${c.cells.join(',')}&from=${from}&to=${to}&bucket=${c.bucket}&resolution=${c.resolution}&source=${c.source}&metric=${c.metric}${c.split ? '&breakdown=true' : ''}`;
      const got = (await footfall(exact, qs)).data;
      const released = got.filter((r) => !r.suppressed);
      expect(new Map(released.map((r) => [key({ ...r, bucketStartMs: Date.parse(r.bucketStart) }), r.value]))).toEqual(want);
      expect(got.filter((r) => r.suppressed).every((r) => r.value === null)).toBe(true); // units without data
      // Area totals: the sums of the exact parts.
      const area = (await footfall(exact, `${qs}&aggregate=area`)).data;
      for (const r of area.filter((x) => !x.suppressed)) {
        const parts = truth.filter((t) => t.bucketStartMs === Date.parse(r.bucketStart) && (t.breakdown ?? null) === (r.breakdown ?? null));
        const sum = (f: (p: { value: number } | { sum: number; count: number }) => number) => parts.reduce((a, t) => a + f(t.parts), 0);
        if (c.metric === 'dwell_avg_min')
          expect(r.value).toBeCloseTo(sum((p) => ('sum' in p ? p.sum : 0)) / sum((p) => ('count' in p ? p.count : 0)) / MIN, 9);
        else expect(r.value).toBe(sum((p) => ('value' in p ? p.value : 0)));
      }
      expect(area.filter((r) => !r.suppressed).length).toBeGreaterThan(0);
    });

    it('every flow is the exact aggregate, to listed destinations and to anywhere', async () => {
      const q = {
        origin: [P9],
        destination: [D9],
        from: H0,
        to: H0 + 24 * HOUR,
        bucket: '1h' as Bucket,
        resolution: 10,
        source: 'ticketing' as const,
      };
      const truth = await queryFlows(exactFlows.store, { ...q, breakdown: null, splitByBreakdown: false }, limits);
      const want = new Map(truth.map((r) => [`${r.originCell}|${r.destinationCell}|${r.bucketStartMs}`, [r.trips, r.avgDurationMin]]));
      const key = (r: FlowsBody['data'][number]) => `${r.originCell}|${r.destinationCell}|${Date.parse(r.bucketStart)}`;
      for (const qs of [`origin=${P9}&destination=${D9}`, `origin=${P9}`]) {
        const got = (await flows(exactFlows, `${qs}&from=${H0}&to=${H0 + 24 * HOUR}&resolution=10`)).data;
        expect(new Map(got.filter((r) => !r.suppressed).map((r) => [key(r), [r.trips, r.avgDurationMin]]))).toEqual(want);
      }
      const area = (await flows(exactFlows, `origin=${P9}&destination=${D9}&from=${H0}&to=${H0 + 24 * HOUR}&resolution=10&aggregate=area`))
        .data;
      expect(area).toHaveLength(24);
      for (const r of area) {
        const parts = truth.filter((t) => t.bucketStartMs === Date.parse(r.bucketStart));
        expect(r.trips).toBe(parts.reduce((a, t) => a + t.trips, 0));
        expect(r.avgDurationMin).toBeCloseTo(parts.reduce((a, t) => a + t.durationMs, 0) / r.trips! / MIN, 9);
      }
    });
  });
});
