import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellToChildren, cellToParent, latLngToCell } from 'h3-js';
import { cellToUInt64 } from '../../shared/h3.js';
import { accessApp, ADMIN, type AccessApp } from '../../shared/testing/access.js';

const T = Date.parse('2026-11-20T08:00:00+01:00');
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const MIDNIGHT = Date.parse('2026-11-20T00:00:00+01:00');
const c10 = latLngToCell(55.6786, 12.5786, 10); // Strøget
const P8 = cellToParent(c10, 8);
const P9 = cellToParent(c10, 9);
const P7 = cellToParent(c10, 7);
const inP8 = cellToChildren(P8, 10).filter((c) => cellToParent(c, 9) !== P9)[0]!; // same res-8 cell, another res-9 one
const sibling8 = cellToChildren(P7, 8).find((c) => c !== P8)!;
const outside = cellToChildren(sibling8, 10)[0]!;
const dest = latLngToCell(55.6867, 12.5701, 10); // Nørreport

const as = (key: string) => ({ authorization: `Bearer ${key}` });

interface Key {
  key: string;
  keyId: string;
  tenantId: string;
}

describe('access: tenants, keys, grants, metering and audit', () => {
  let h: AccessApp;
  let acme: { id: string; sub: Key; vendor: Key };
  let beta: { id: string; sub: Key };
  let none: { id: string; sub: Key; vendor: Key };

  const post = async <T>(url: string, payload: unknown, status = 201): Promise<T> => {
    const r = await h.app.inject({ method: 'POST', url, headers: ADMIN, payload: payload as Record<string, unknown> });
    expect(r.statusCode, r.body).toBe(status);
    return r.json<T>();
  };
  const tenant = (name: string) => post<{ id: string }>('/v1/admin/tenants', { name }).then((t) => t.id);
  const key = (tenantId: string, role = 'subscriber') => post<Key>('/v1/admin/keys', { tenantId, role });
  const get = (path: string, key?: Key) => h.app.inject({ method: 'GET', url: path, headers: key === undefined ? ADMIN : as(key.key) });

  /** Rows released per key id and dataset, as the tests saw them. */
  const seen = new Map<string, number>();
  const data = async (path: string, k: Key | null) => {
    const r = await h.app.inject({ method: 'GET', url: path, headers: k === null ? ADMIN : as(k.key) });
    expect(r.statusCode, r.body).toBe(200);
    const rows = r.json<{ data: unknown[] }>().data;
    const tag = `${k === null ? 'admin' : k.keyId}|${path.slice(4, path.indexOf('?'))}`;
    seen.set(tag, (seen.get(tag) ?? 0) + rows.length);
    return rows;
  };
  const refused = async (path: string, k: Key, code: string, field: string) => {
    const r = await get(path, k);
    expect(r.statusCode, `${path}: ${r.body}`).toBe(403);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(r.json(), path).toMatchObject({ status: 403, code, errors: [{ field }] });
  };

  const hours = `from=${T}&to=${T + 2 * HOUR}&bucket=1h`;
  const ff = (qs: string) => `/v1/footfall?${qs}&enrich=false`;
  const fl = (qs: string) => `/v1/flows?${qs}`;

  beforeAll(async () => {
    h = await accessApp();
    await h.store.insert(
      'counts_5m',
      [
        { cell: c10, t: T, entries: 10, exits: 5 },
        { cell: c10, t: T + 65 * MIN, entries: 1, exits: 2 },
        { cell: inP8, t: T + 5 * MIN, entries: 7, exits: 0 },
        { cell: outside, t: T, entries: 3, exits: 3 },
      ].map((x) => ({
        source: 'camera',
        cell: cellToUInt64(x.cell),
        window_start: x.t / 1000,
        breakdown: '',
        entries: x.entries,
        exits: x.exits,
      })),
    );
    await h.store.insert(
      'flows_5m',
      [
        { origin: c10, t: T, trips: 3 },
        { origin: inP8, t: T + 70 * MIN, trips: 2 },
        { origin: outside, t: T, trips: 4 },
      ].map((f) => ({
        source: 'ticketing',
        origin_cell: cellToUInt64(f.origin),
        destination_cell: cellToUInt64(dest),
        window_start: f.t / 1000,
        breakdown: 'metro',
        trips: f.trips,
        duration_ms: f.trips * 10 * MIN,
      })),
    );
    const acmeId = await tenant('Acme Retail');
    acme = { id: acmeId, sub: await key(acmeId), vendor: await key(acmeId, 'vendor') };
    const betaId = await tenant('Beta Transit');
    beta = { id: betaId, sub: await key(betaId) };
    const noneId = await tenant('Nobody');
    none = { id: noneId, sub: await key(noneId), vendor: await key(noneId, 'vendor') };
    await post('/v1/admin/grants', {
      tenantId: acmeId,
      dataset: 'footfall',
      cells: [P8],
      minResolution: 9,
      from: '2026-11-20T00:00:00+01:00',
      to: MIDNIGHT + DAY,
    });
    await post('/v1/admin/grants', { tenantId: betaId, dataset: 'flows', cells: [P8], minResolution: 9, to: '2026-11-20T12:00:00+01:00' });
  });
  afterAll(() => h?.close());

  it('refuses every data route to a key without a fitting grant, naming the reason and the field', async () => {
    for (const path of [ff(`cells=${P8}&${hours}`), fl(`origin=${P8}&${hours}`)]) {
      await refused(path, none.sub, 'no_grant', 'dataset');
      await refused(path, none.vendor, 'no_grant', 'dataset'); // vendors read nothing without a grant either
    }
    // A grant for another dataset.
    await refused(ff(`cells=${P8}&${hours}`), beta.sub, 'no_grant', 'dataset');
    await refused(fl(`origin=${P8}&${hours}`), acme.sub, 'no_grant', 'dataset');
    // Outside the area: another cell, or a coarser cell only partly granted.
    await refused(ff(`cells=${P8},${sibling8}&${hours}`), acme.sub, 'outside_grant_area', 'cells');
    await refused(ff(`cells=${P7}&${hours}&resolution=7`), acme.sub, 'outside_grant_area', 'cells');
    await refused(fl(`origin=${sibling8}&${hours}`), beta.sub, 'outside_grant_area', 'origin');
    // Finer than the grant's finest resolution.
    await refused(ff(`cells=${P8}&${hours}&resolution=10`), acme.sub, 'resolution_too_fine', 'resolution');
    await refused(ff(`cells=${c10}&${hours}`), acme.sub, 'resolution_too_fine', 'resolution');
    await refused(fl(`origin=${P8}&${hours}&resolution=10`), beta.sub, 'resolution_too_fine', 'resolution');
    // Outside the period, including a last bucket that reaches past the grant's end.
    await refused(ff(`cells=${P8}&from=${MIDNIGHT - 1}&to=${T}`), acme.sub, 'outside_grant_period', 'from');
    await refused(ff(`cells=${P8}&from=${T}&to=${MIDNIGHT + DAY + HOUR}`), acme.sub, 'outside_grant_period', 'to');
    await refused(fl(`origin=${P8}&from=${MIDNIGHT}&to=${T}&bucket=1d`), beta.sub, 'outside_grant_period', 'to');
    // Without a key, or with a bad one.
    expect((await h.app.inject({ method: 'GET', url: ff(`cells=${P8}&${hours}`) })).statusCode).toBe(401);
    // A bad query is still a 400, whoever asks.
    const bad = await get(ff(`cells=${P8}&from=${T}&to=${T}`), acme.sub);
    expect(bad.json()).toMatchObject({ status: 400, errors: [{ field: 'to' }] });
  });

  it('answers within the grant, to subscriber and vendor keys of the tenant alike, and to the admin key', async () => {
    // Released rows: one per unit asked for (each res-9 cell of P8 and bucket), with data or not.
    const rows = await data(ff(`cells=${P8}&${hours}&resolution=9`), acme.sub);
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ cell: P9, bucketStart: '2026-11-20T08:00:00+01:00', value: 15 }),
        expect.objectContaining({ cell: P9, bucketStart: '2026-11-20T09:00:00+01:00', value: 3 }),
      ]),
    );
    expect(await data(ff(`cells=${P9}&from=${T}&to=${T + HOUR}&bucket=5m&resolution=9`), acme.sub)).not.toEqual([]);
    expect(await data(ff(`cells=${P8}&bucket=1d&from=${MIDNIGHT}&to=${MIDNIGHT + DAY}`), acme.vendor)).toEqual([
      expect.objectContaining({ cell: P8, value: 25 }),
    ]);
    expect(await data(fl(`origin=${P8}&${hours}`), beta.sub)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ originCell: P8, trips: 3 }),
        expect.objectContaining({ originCell: P8, trips: 2 }),
      ]),
    );
    // The admin key passes every check.
    expect(await data(ff(`cells=${P8}&${hours}&resolution=10`), null)).toEqual(
      expect.arrayContaining([expect.objectContaining({ cell: c10, value: 15 }), expect.objectContaining({ cell: inP8, value: 7 })]),
    );
  });

  it('meters exactly the rows released, per key and dataset, and shows each tenant its own usage', async () => {
    const usage = async (qs: string, k?: Key) => {
      const r = await get(`/v1/usage?${qs}`, k);
      expect(r.statusCode, r.body).toBe(200);
      return r.json<{ data: { tenantId: string; keyId: string; dataset: string; day: string; rows: number }[] }>().data;
    };
    const sum = (rows: { keyId: string; dataset: string; rows: number }[]) => {
      const m = new Map<string, number>();
      for (const r of rows) m.set(`${r.keyId}|${r.dataset}`, (m.get(`${r.keyId}|${r.dataset}`) ?? 0) + r.rows);
      return m;
    };
    const expected = (keyIds: string[]) => new Map([...seen].filter(([k, v]) => keyIds.includes(k.split('|')[0]!) && v > 0));

    const mine = await usage('', acme.sub);
    expect(new Set(mine.map((r) => r.tenantId))).toEqual(new Set([acme.id]));
    expect(sum(mine)).toEqual(expected([acme.sub.keyId, acme.vendor.keyId]));
    expect(sum(await usage(`keyId=${acme.vendor.keyId}`, acme.sub))).toEqual(expected([acme.vendor.keyId]));
    expect(mine[0]!.day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(sum(await usage(`tenantId=${beta.id}`))).toEqual(expected([beta.sub.keyId]));
    expect(sum(await usage('dataset=footfall'))).toEqual(new Map([...seen].filter(([k, v]) => k.endsWith('footfall') && v > 0)));
    expect(await usage('', none.sub)).toEqual([]); // refused requests release nothing

    const other = await get(`/v1/usage?tenantId=${beta.id}`, acme.sub);
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({ code: 'forbidden_usage', errors: [{ field: 'tenantId' }] });
    expect((await h.app.inject({ method: 'GET', url: '/v1/usage' })).statusCode).toBe(401);
    expect((await get('/v1/usage?from=2026-11-21&to=2026-11-20')).json()).toMatchObject({ status: 400, errors: [{ field: 'to' }] });
  });

  it('audits who asked what, refusals included, without ever storing a key', async () => {
    const log = await h.access.audit.recent({ keyId: acme.sub.keyId, limit: 1000 });
    const footfall = log.filter((e) => e.route === '/v1/footfall');
    expect(footfall.filter((e) => e.status === 403).length).toBeGreaterThanOrEqual(6);
    const ok = footfall.filter((e) => e.status === 200);
    expect(ok.reduce((n, e) => n + e.rows, 0)).toBe(seen.get(`${acme.sub.keyId}|footfall`));
    expect(ok[0]).toMatchObject({ tenantId: acme.id, role: 'subscriber', method: 'GET', path: '/v1/footfall' });
    expect(ok.some((e) => e.query.includes(`cells=${P8}`))).toBe(true);
    const usage = log.find((e) => e.route === '/v1/usage' && e.status === 403);
    expect(usage).toMatchObject({ query: `tenantId=${beta.id}` });

    const all = await h.access.audit.recent({ limit: 10_000 });
    expect(all.find((e) => e.status === 401 && e.route === '/v1/footfall')).toMatchObject({ keyId: '', role: '' });
    expect(all.find((e) => e.route === '/v1/admin/grants' && e.method === 'POST')).toMatchObject({ keyId: 'admin', status: 201 });
    expect(all.find((e) => e.route === '/v1/admin/tenants' && e.method === 'POST')!.detail).toContain('"name"');
    const text = JSON.stringify(all);
    for (const k of [acme.sub, acme.vendor, beta.sub, none.sub, none.vendor]) expect(text).not.toContain(k.key);
    expect(text).not.toContain('test-admin-key');
  });

  it('creates, reads and deletes tenants, keys and grants, with 4xx naming the field', async () => {
    const t = await post<{ id: string; name: string; createdAt: string }>('/v1/admin/tenants', { name: 'Gamma' });
    expect(t).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{16}$/) as unknown, name: 'Gamma' });
    expect(await post('/v1/admin/tenants', { name: 'Gamma' }, 409)).toMatchObject({ code: 'tenant_exists', errors: [{ field: 'name' }] });
    expect((await get('/v1/admin/tenants')).json<{ data: { id: string }[] }>().data.map((x) => x.id)).toContain(t.id);

    const k = await key(t.id);
    expect(k).toMatchObject({ tenantId: t.id, owner: t.id, role: 'subscriber' });
    expect((await get(`/v1/admin/keys/${k.keyId}`)).json()).toMatchObject({ keyId: k.keyId, tenantId: t.id, revokedAt: null });
    expect((await get(`/v1/admin/keys/${k.keyId}`)).body).not.toContain(k.key);
    expect((await get(`/v1/admin/keys?tenantId=${t.id}`)).json<{ data: unknown[] }>().data).toHaveLength(1);
    expect(await post('/v1/admin/keys', { tenantId: '00000000000000ff', role: 'subscriber' }, 400)).toMatchObject({
      code: 'unknown_tenant',
      errors: [{ field: 'tenantId' }],
    });
    expect(await post('/v1/admin/keys', { role: 'subscriber' }, 400)).toMatchObject({ errors: [{ field: 'tenantId' }] });

    const square = {
      type: 'Polygon',
      coordinates: [
        [
          [12.57, 55.675],
          [12.585, 55.675],
          [12.585, 55.683],
          [12.57, 55.683],
          [12.57, 55.675],
        ],
      ],
    };
    const g = await post<{ id: string; cells: string[]; area: unknown }>('/v1/admin/grants', {
      tenantId: t.id,
      dataset: 'footfall',
      area: square,
      minResolution: 10,
    });
    expect(g.cells.length).toBeGreaterThan(0);
    expect(g.area).toEqual(square);
    expect((await get(`/v1/admin/grants/${g.id}`)).json()).toEqual(g);
    expect((await get(`/v1/admin/grants?tenantId=${t.id}`)).json()).toEqual({ data: [g] });
    expect((await get(`/v1/admin/tenants/${t.id}`)).json()).toMatchObject({ id: t.id, keys: [{ keyId: k.keyId }], grants: [{ id: g.id }] });
    expect(await data(ff(`cells=${c10}&${hours}`), k)).toEqual([
      expect.objectContaining({ cell: c10, value: 15 }),
      expect.objectContaining({ cell: c10, value: 3 }),
    ]);

    const bad = async (body: Record<string, unknown>, code: string, field: string) =>
      expect(await post('/v1/admin/grants', { tenantId: t.id, dataset: 'footfall', minResolution: 9, ...body }, 400)).toMatchObject({
        code,
        errors: expect.arrayContaining([expect.objectContaining({ field })]) as unknown,
      });
    await bad({ cells: [P8], zone: 'indre-by' }, 'invalid_request', 'zone');
    await bad({}, 'invalid_request', 'cells');
    await bad({ zone: 'atlantis' }, 'unknown_zone', 'zone');
    await bad({ cells: ['zzzzzzzzzzzzzzz'] }, 'invalid_cells', 'cells');
    await bad({ cells: [P8], from: T, to: T }, 'invalid_request', 'to');
    await bad({ cells: [P8], from: 'yesterday' }, 'invalid_request', 'from');
    await bad({ area: { type: 'Point', coordinates: [12, 55] } }, 'invalid_area', 'area');
    await bad({ cells: [P8], dataset: 'weather' }, 'invalid_request', 'body.dataset');
    await bad({ cells: [P8], minResolution: 11 }, 'invalid_request', 'body.minResolution');
    await bad({ cells: [P8], tenantId: '00000000000000ff' }, 'unknown_tenant', 'tenantId');
    for (const path of ['/v1/admin/tenants', '/v1/admin/grants', '/v1/admin/keys', '/v1/admin/audit'])
      expect((await get(path, k)).json()).toMatchObject({ status: 403, code: 'forbidden_role' });

    expect((await h.app.inject({ method: 'DELETE', url: `/v1/admin/grants/${g.id}`, headers: ADMIN })).statusCode).toBe(204);
    expect((await get(`/v1/admin/grants/${g.id}`)).statusCode).toBe(404);
    await refused(ff(`cells=${c10}&${hours}`), k, 'no_grant', 'dataset');

    // A zone's cells at the grant's resolution: Strøget lies in Indre By.
    const z = await post<{ zone: string; cells: string[] }>('/v1/admin/grants', {
      tenantId: t.id,
      dataset: 'flows',
      zone: 'indre-by',
      minResolution: 9,
    });
    expect(z.zone).toBe('indre-by');
    expect(await data(fl(`origin=${P9}&${hours}`), k)).toEqual([expect.objectContaining({ originCell: P9, trips: 3 })]);
    await refused(fl(`origin=${P7}&${hours}`), k, 'outside_grant_area', 'origin'); // P7 reaches beyond the zone
    expect((await h.app.inject({ method: 'DELETE', url: `/v1/admin/tenants/${t.id}`, headers: ADMIN })).statusCode).toBe(204);
    expect((await h.app.inject({ method: 'DELETE', url: `/v1/admin/tenants/${t.id}`, headers: ADMIN })).statusCode).toBe(404);
    expect((await get(`/v1/admin/tenants/${t.id}`)).json()).toMatchObject({ status: 404, code: 'unknown_tenant' });
    expect((await get(`/v1/admin/grants?tenantId=${t.id}`)).json()).toEqual({ data: [] });
    expect((await get(`/v1/admin/keys/${k.keyId}`)).json<{ revokedAt: string | null }>().revokedAt).not.toBeNull();
    expect((await get(fl(`origin=${P8}&${hours}`), k)).json()).toMatchObject({ status: 401, code: 'invalid_api_key' });
  });
});
