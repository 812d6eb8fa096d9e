import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { cellToParent, latLngToCell } from 'h3-js';
import { cellToUInt64 } from '../../shared/h3.js';
import { accessApp, type AccessApp } from '../../shared/testing/access.js';
import { TEST_ADMIN_KEY, testConfig, uid } from '../../shared/testing/fixtures.js';
import { adminCommand } from './cli.js';

const T = Date.parse('2026-11-20T08:00:00+01:00');
const c10 = latLngToCell(55.6786, 12.5786, 10);
const P8 = cellToParent(c10, 8);

describe('passage admin', () => {
  let h: AccessApp;
  let url: string;
  const config = testConfig();

  /** Runs the command; returns its exit code, its parsed answer and its error text. */
  const run = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const code = await adminCommand([...argv, '--url', url, '--key', TEST_ADMIN_KEY], config, {
      write: (t) => (out += t),
      error: (t) => (err += t),
    });
    return { code, answer: out === '' ? null : (JSON.parse(out) as Record<string, unknown>), err };
  };

  beforeAll(async () => {
    h = await accessApp();
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    await h.store.insert('counts_5m', [
      { source: 'camera', cell: cellToUInt64(c10), window_start: T / 1000, breakdown: '', entries: 4, exits: 2 },
    ]);
  });
  afterAll(() => h?.close());

  it('creates a tenant, a key and a grant that then work against the API, and deletes them', async () => {
    const tenant = await run('tenants', 'create', '--name', 'Cli Co');
    expect(tenant).toMatchObject({ code: 0, answer: { name: 'Cli Co', id: expect.stringMatching(/^[0-9a-f]{16}$/) as unknown } });
    const key = await run('keys', 'create', '--tenant', 'Cli Co', '--role', 'subscriber');
    expect(key.answer).toMatchObject({
      tenantId: tenant.answer!.id,
      role: 'subscriber',
      key: expect.stringMatching(/^pk_subscriber_/) as unknown,
    });
    const auth = { authorization: `Bearer ${String(key.answer!.key)}` };
    const ask = () =>
      h.app.inject({ method: 'GET', url: `/v1/footfall?cells=${P8}&from=${T}&to=${T + 3_600_000}&enrich=false`, headers: auth });
    expect((await ask()).json()).toMatchObject({ status: 403, code: 'no_grant' });

    const area = path.join(os.tmpdir(), `${uid('area')}.geojson`);
    writeFileSync(
      area,
      JSON.stringify({
        type: 'Polygon',
        coordinates: [
          [
            [12.55, 55.66],
            [12.6, 55.66],
            [12.6, 55.7],
            [12.55, 55.7],
            [12.55, 55.66],
          ],
        ],
      }),
    );
    const grant = await run(
      'grants',
      'create',
      '--tenant',
      String(tenant.answer!.id),
      '--dataset',
      'footfall',
      '--area',
      area,
      '--min-resolution',
      '8',
    );
    expect(grant).toMatchObject({ code: 0, answer: { dataset: 'footfall', minResolution: 8 } });
    const ok = await ask();
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ data: [{ cell: P8, value: 6 }] });

    expect((await run('grants', 'list', '--tenant', 'Cli Co')).answer).toMatchObject({ data: [{ id: grant.answer!.id }] });
    expect((await run('keys', 'list', '--tenant', 'Cli Co')).answer).toMatchObject({ data: [{ keyId: key.answer!.keyId }] });
    const audit = await run('audit', '--key-id', String(key.answer!.keyId));
    expect(audit.answer).toMatchObject({ data: [{ route: '/v1/footfall', status: 200, rows: 1 }, { status: 403 }] });

    expect((await run('grants', 'delete', String(grant.answer!.id))).code).toBe(0);
    expect((await ask()).json()).toMatchObject({ status: 403, code: 'no_grant' });
    expect((await run('tenants', 'delete', 'Cli Co')).code).toBe(0);
    expect((await ask()).statusCode).toBe(401);
  });

  it('reports API refusals with the field and bad options before calling', async () => {
    const t = await run('tenants', 'create', '--name', 'Other Co');
    const bad = await run('grants', 'create', '--tenant', 'Other Co', '--dataset', 'footfall', '--cells', P8, '--min-resolution', '11');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/400 invalid_request.*\n {2}body\.minResolution: /);
    expect((await run('tenants', 'create', '--name', 'Other Co')).err).toMatch(/409 tenant_exists/);
    await expect(run('keys', 'create', '--tenant', 'No Such Co', '--role', 'subscriber')).rejects.toThrow(/--tenant No Such Co is neither/);
    await expect(run('tenants', 'create')).rejects.toThrow(/--name is required/);
    expect((await run('tenants', 'frobnicate')).code).toBe(2);
    expect((await run('tenants', 'get', String(t.answer!.id))).answer).toMatchObject({ name: 'Other Co', keys: [], grants: [] });
  });
});
