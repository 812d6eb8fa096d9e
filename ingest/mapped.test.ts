import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Passage } from '../shared/passage.js';
import { embeddedPassage, TEST_ADMIN_KEY } from '../shared/testing/fixtures.js';

const auth = { authorization: `Bearer ${TEST_ADMIN_KEY}` };
const SECRET = 'meraki-shared-secret';

const merakiV2 = (secret: string) => ({
  version: '2.0',
  secret,
  type: 'DevicesSeen',
  data: {
    apMac: '00:18:0A:13:DD:B0',
    apFloors: [],
    apTags: [],
    observations: [
      {
        clientMac: '18:fe:34:fc:5a:7f',
        seenTime: '2026-11-20T07:06:23Z',
        seenEpoch: 1795158383,
        rssi: 47,
        location: { lat: 55.6786, lng: 12.5786, unc: 1.2 },
      },
      {
        clientMac: '18:fe:34:fc:5a:80',
        seenTime: '2026-11-20T07:06:25Z',
        seenEpoch: 1795158385,
        rssi: 30,
        location: { lat: 55.6786, lng: 12.5786, unc: 3 },
      },
    ],
  },
});

describe('vendor formats over HTTP (?mapper= and the Meraki endpoint)', () => {
  let p: Passage;
  beforeAll(async () => {
    p = await embeddedPassage({
      PASSAGE_MAPPER_OPTIONS: JSON.stringify({ 'wifi-meraki': { secret: SECRET } }),
      PASSAGE_MERAKI_VALIDATOR: 'validator-123',
    });
  });
  afterAll(() => p?.close());

  it('maps a camera CSV export in a local time zone, reporting rejects by row', async () => {
    const csv = [
      'sensor,start,end,line,in,out,class',
      'cam-7,2026-11-20 08:00,2026-11-20 08:15,door-north,42,17,person',
      'cam-7,2026-03-29 02:15,2026-03-29 02:30,door-north,3,1,bike',
      'cam-7,2026-11-20 08:15,2026-11-20 08:30,door-north,5,-1,person',
    ].join('\n');
    const res = await p.app.inject({
      method: 'POST',
      url: '/v1/ingest/camera?mapper=camera-export',
      headers: { ...auth, 'content-type': 'text/csv', 'x-passage-mapper-options': JSON.stringify({ zone: 'Europe/Copenhagen' }) },
      payload: csv,
    });
    // Rows 2 and 3 of the data (lines 3 and 4) are refused; the unknown sensor has no location either.
    const body = res.json<{ accepted: number; rejected: { index: number; errors: { field: string; reason: string }[] }[] }>();
    expect(body.rejected.map((r) => r.index)).toEqual([1, 2, 3]);
    expect(body.rejected[1]!.errors[0]!.field).toBe('start');
    expect(body.rejected[0]!.errors[0]!.reason).toMatch(/unknown sensor cam-7/);

    await p.app.inject({ method: 'PUT', url: '/v1/sensors/cam-7', headers: auth, payload: { source: 'camera', lat: 55.68, lng: 12.57 } });
    const again = await p.app.inject({
      method: 'POST',
      url: '/v1/ingest/camera?mapper=camera-export',
      headers: { ...auth, 'content-type': 'text/csv', 'x-passage-mapper-options': '{"zone":"Europe/Copenhagen"}' },
      payload: csv,
    });
    expect(again.json()).toMatchObject({ accepted: 1, rejected: [{ index: 2 }, { index: 3 }] });
  });

  it('refuses an unknown mapper, a mapper of another source and bad options with 400', async () => {
    const post = (url: string, headers: Record<string, string> = {}) =>
      p.app.inject({ method: 'POST', url, headers: { ...auth, 'content-type': 'application/json', ...headers }, payload: '[]' });
    expect((await post('/v1/ingest/camera?mapper=nope')).json()).toMatchObject({ status: 400, code: 'unknown_mapper' });
    expect((await post('/v1/ingest/wifi?mapper=camera-export')).json()).toMatchObject({ status: 400, code: 'mapper_source_mismatch' });
    expect((await post('/v1/ingest/camera?mapper=camera-export', { 'x-passage-mapper-options': '{bad' })).json()).toMatchObject({
      status: 400,
      code: 'invalid_mapper_options',
    });
    expect(
      (await post('/v1/ingest/camera?mapper=camera-export', { 'x-passage-mapper-options': '{"zone":"Mars/Base"}' })).json(),
    ).toMatchObject({ status: 400 });
  });

  it('takes Meraki Scanning API posts authenticated by the shared secret only, and answers the validator', async () => {
    expect((await p.app.inject({ method: 'GET', url: '/v1/ingest/wifi/meraki' })).body).toBe('validator-123');
    const ok = await p.app.inject({ method: 'POST', url: '/v1/ingest/wifi/meraki', payload: merakiV2(SECRET) });
    expect(ok.statusCode, ok.body).toBe(202);
    expect(ok.json()).toMatchObject({ accepted: 2, rejected: [] });
    const wrong = await p.app.inject({ method: 'POST', url: '/v1/ingest/wifi/meraki', payload: merakiV2('guess') });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json()).toMatchObject({ accepted: 0, rejected: [{ index: 0, errors: [{ field: 'secret' }] }] });
    // A vendor cannot override the server's secret through the options header.
    const override = await p.app.inject({
      method: 'POST',
      url: '/v1/ingest/wifi?mapper=wifi-meraki',
      headers: { ...auth, 'x-passage-mapper-options': JSON.stringify({ secret: 'guess' }) },
      payload: merakiV2('guess'),
    });
    expect(override.json()).toMatchObject({ accepted: 0, rejected: [{ errors: [{ field: 'secret' }] }] });
  });
});
