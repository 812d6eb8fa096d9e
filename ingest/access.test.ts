import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Passage } from '../shared/passage.js';
import { embeddedPassage, TEST_ADMIN_KEY } from '../shared/testing/fixtures.js';

const T = Date.parse('2026-11-20T08:00:00+01:00');
const admin = { authorization: `Bearer ${TEST_ADMIN_KEY}` };

describe('vendor keys: roles, sources, owners, revocation and rate limits', () => {
  let p: Passage;
  const keyFor = async (body: Record<string, unknown>) => {
    const res = await p.app.inject({ method: 'POST', url: '/v1/admin/keys', headers: admin, payload: body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ key: string; keyId: string }>();
  };
  const as = (key: string) => ({ authorization: `Bearer ${key}` });

  beforeAll(async () => {
    p = await embeddedPassage({ PASSAGE_INGEST_RATE_LIMIT: '5' });
  });
  afterAll(() => p?.close());

  it('lets a vendor register and feed its own sensors of its own sources only', async () => {
    const acme = await keyFor({ role: 'vendor', owner: 'acme', sources: ['camera'] });
    const other = await keyFor({ role: 'vendor', owner: 'other' });
    const put = (key: string, id: string, source = 'camera') =>
      p.app.inject({
        method: 'PUT',
        url: `/v1/sensors/${id}`,
        headers: as(key),
        payload: { source, lat: 55.68, lng: 12.57, owner: 'someone-else' },
      });
    const mine = await put(acme.key, 'acme-cam');
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toMatchObject({ owner: 'acme' }); // the key's owner, not the body's
    expect((await put(acme.key, 'acme-wifi', 'wifi')).json()).toMatchObject({ status: 403, code: 'source_not_allowed' });
    expect((await put(other.key, 'acme-cam')).json()).toMatchObject({ status: 403, code: 'sensor_of_another_owner' });

    const post = (key: string, source: string, records: unknown[]) =>
      p.app.inject({ method: 'POST', url: `/v1/ingest/${source}`, headers: as(key), payload: records });
    const rec = { sensorId: 'acme-cam', start: T, end: T + 60_000, in: 2, out: 1 };
    expect((await post(acme.key, 'camera', [rec])).json()).toEqual({ accepted: 1, rejected: [] });
    const wifi = await post(acme.key, 'wifi', [{ sensorId: 'x', deviceId: 'AA:BB:CC:DD:EE:FF', seenAt: T }]);
    expect(wifi.statusCode).toBe(403);
    expect(wifi.json()).toMatchObject({ code: 'source_not_allowed', errors: [{ field: 'source' }] });
    const foreign = await post(other.key, 'camera', [rec]);
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json()).toMatchObject({
      rejected: [{ index: 0, errors: [{ field: 'sensorId', reason: 'sensor acme-cam belongs to another owner' }] }],
    });

    const listed = await p.app.inject({ method: 'GET', url: '/v1/sensors', headers: as(other.key) });
    expect(listed.json<{ data: unknown[] }>().data).toEqual([]);
    expect((await p.app.inject({ method: 'GET', url: '/v1/sensors/acme-cam', headers: as(other.key) })).statusCode).toBe(404);
  });

  it('refuses vendor and subscriber keys on admin routes and, without a grant, on history routes (403), and revoked keys (401)', async () => {
    const vendor = await keyFor({ role: 'vendor', owner: 'v' });
    const subscriber = await keyFor({ role: 'subscriber', owner: 's' });
    for (const key of [vendor.key, subscriber.key]) {
      expect((await p.app.inject({ method: 'GET', url: '/v1/admin/keys', headers: as(key) })).statusCode).toBe(403);
      const ff = await p.app.inject({ method: 'GET', url: `/v1/footfall?cells=8a1f0583176ffff&from=${T}&to=${T + 1}`, headers: as(key) });
      expect(ff.json()).toMatchObject({ status: 403, code: 'no_grant' });
    }
    expect((await p.app.inject({ method: 'POST', url: '/v1/ingest/camera', headers: as(subscriber.key), payload: [] })).statusCode).toBe(
      403,
    );
    const listed = await p.app.inject({ method: 'GET', url: '/v1/admin/keys', headers: admin });
    const keys = listed.json<{ data: { keyId: string; owner: string }[] }>().data;
    expect(keys.map((k) => k.keyId)).toContain(vendor.keyId);
    expect(listed.body).not.toContain(vendor.key); // only hashes are stored
    expect((await p.app.inject({ method: 'DELETE', url: `/v1/admin/keys/${vendor.keyId}`, headers: admin })).statusCode).toBe(204);
    const revoked = await p.app.inject({ method: 'GET', url: '/v1/sensors', headers: as(vendor.key) });
    expect(revoked.json()).toMatchObject({ status: 401, code: 'invalid_api_key' });
    expect((await p.app.inject({ method: 'DELETE', url: '/v1/admin/keys/0000000000000000', headers: admin })).statusCode).toBe(404);
  });

  it('limits ingest requests per key with 429 and Retry-After, without affecting other keys', async () => {
    const busy = await keyFor({ role: 'vendor', owner: 'busy' });
    const calm = await keyFor({ role: 'vendor', owner: 'calm' });
    const post = (key: string) =>
      p.app.inject({
        method: 'POST',
        url: '/v1/ingest/camera',
        headers: as(key),
        payload: [{ sensorId: 'z', lat: 55.7, lng: 12.6, start: T, end: T + 1000, in: 1, out: 0 }],
      });
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) codes.push((await post(busy.key)).statusCode);
    expect(codes).toEqual([202, 202, 202, 202, 202, 429, 429]);
    const limited = await post(busy.key);
    expect(limited.headers['retry-after']).toBeDefined();
    expect(limited.json()).toMatchObject({ status: 429, code: 'rate_limited' });
    expect((await post(calm.key)).statusCode).toBe(202);
  });
});
