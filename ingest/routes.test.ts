import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deflateSync, gzipSync } from 'node:zlib';
import { latLngToCell } from 'h3-js';
import type { Passage } from '../shared/passage.js';
import { embeddedPassage, TEST_ADMIN_KEY } from '../shared/testing/fixtures.js';

const auth = { authorization: `Bearer ${TEST_ADMIN_KEY}` };
const T = Date.parse('2026-11-20T08:00:00+01:00');

describe('POST /v1/ingest/{source} and the sensor registry', () => {
  let p: Passage;
  beforeAll(async () => {
    p = await embeddedPassage({ PASSAGE_MAX_RECORDS_PER_REQUEST: '100', PASSAGE_MAX_BODY_BYTES: '65536' });
    const res = await p.app.inject({
      method: 'PUT',
      url: '/v1/sensors/cam-1',
      headers: auth,
      payload: { source: 'camera', lat: 55.6786, lng: 12.5786, site: 'Strøget' },
    });
    expect(res.statusCode).toBe(200);
    await p.app.inject({ method: 'PUT', url: '/v1/sensors/wifi-1', headers: auth, payload: { source: 'wifi', lat: 55.68, lng: 12.57 } });
  });
  afterAll(() => p.close());

  const post = (payload: unknown, headers: Record<string, string> = {}, url = '/v1/ingest/camera') =>
    p.app.inject({
      method: 'POST',
      url,
      headers: { ...auth, 'content-type': 'application/json', ...headers },
      payload: typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload),
    });

  it('registers and lists sensors, with their H3 cell', async () => {
    const one = await p.app.inject({ method: 'GET', url: '/v1/sensors/cam-1', headers: auth });
    expect(one.json()).toMatchObject({ sensorId: 'cam-1', source: 'camera', site: 'Strøget', cell: latLngToCell(55.6786, 12.5786, 10) });
    const list = await p.app.inject({ method: 'GET', url: '/v1/sensors?source=camera', headers: auth });
    expect(list.json<{ data: { sensorId: string }[] }>().data.map((s) => s.sensorId)).toEqual(['cam-1']);
    const bad = await p.app.inject({
      method: 'PUT',
      url: '/v1/sensors/cam-2',
      headers: auth,
      payload: { source: 'radar', lat: 95, lng: 12 },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ errors: { field: string }[] }>().errors.map((e) => e.field)).toEqual(
      expect.arrayContaining(['body.source', 'body.lat']),
    );
  });

  it('accepts good records and explains each bad one by index, field and reason', async () => {
    const res = await post([
      { sensorId: 'cam-1', start: '2026-11-20T08:00:00+01:00', end: '2026-11-20T08:05:00+01:00', in: 4, out: 2 },
      { sensorId: 'cam-1', start: T, end: T - 1, in: 1, out: 1 },
      { sensorId: 'unknown-cam', start: T, end: T + 60_000, in: 1, out: 1 },
      { sensorId: 'unknown-cam', start: T, end: T + 60_000, in: 1, out: 1, lat: 55.7, lng: 12.6 },
      { sensorId: 'cam-1', start: '2026-11-20 08:00', end: T, in: 1, out: 1 },
      { sensorId: 'cam-1', start: T, end: T + 60_000, in: 1.5, out: 1, colour: 'red' },
      { sensorId: 'wifi-1', start: T, end: T + 60_000, in: 1, out: 1 },
      { sensorId: 'cam-1', start: Date.now() + 3_600_000, end: Date.now() + 7_200_000, in: 1, out: 1 },
      'not an object',
    ]);
    expect(res.statusCode).toBe(202);
    const body = res.json<{
      accepted: number;
      rejected: { index: number; error: string; errors: { field: string; reason: string }[] }[];
    }>();
    expect(body.accepted).toBe(2);
    const byIndex = new Map(body.rejected.map((r) => [r.index, r]));
    expect([...byIndex.keys()]).toEqual([1, 2, 4, 5, 6, 7, 8]);
    expect(byIndex.get(1)!.errors).toEqual([{ field: 'end', reason: 'must be after start' }]);
    expect(byIndex.get(2)!.error).toMatch(/^sensorId: unknown sensor unknown-cam/);
    expect(byIndex.get(4)!.errors[0]).toEqual({ field: 'start', reason: 'must be an ISO-8601 time with offset or epoch milliseconds' });
    expect(
      byIndex
        .get(5)!
        .errors.map((e) => e.field)
        .sort(),
    ).toEqual(['colour', 'in']);
    expect(byIndex.get(6)!.error).toContain('registered as a wifi sensor');
    expect(byIndex.get(7)!.errors).toEqual([{ field: 'end', reason: 'is in the future' }]);
    expect(byIndex.get(8)!.errors[0]!.field).toBe('record');
  });

  it('takes {records: [...]} and NDJSON, where a broken line is one rejection', async () => {
    const rec = { sensorId: 'cam-1', start: T, end: T + 60_000, in: 1, out: 0 };
    expect((await post({ records: [rec, rec] })).json()).toEqual({ accepted: 2, rejected: [] });
    const nd = await post(`${JSON.stringify(rec)}\n{broken\n\n${JSON.stringify(rec)}\n`, { 'content-type': 'application/x-ndjson' });
    expect(nd.statusCode).toBe(202);
    expect(nd.json()).toMatchObject({ accepted: 2, rejected: [{ index: 1, error: 'record: line 2 is not valid JSON' }] });
  });

  it('answers 400 with the same body when every record is rejected, and for bodies that hold no records', async () => {
    const res = await post([{ sensorId: 'cam-1', start: T, end: T, in: 1, out: 1 }]);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ accepted: 0, rejected: [{ index: 0 }] });
    for (const body of ['{"foo": 1}', '[]', '"text"']) {
      const r = await post(body);
      expect(r.statusCode).toBe(400);
      expect(r.headers['content-type']).toContain('application/problem+json');
      expect(r.json<{ errors: { field: string }[] }>().errors[0]!.field).toBe('body');
    }
    const broken = await post('[{"sensorId": ');
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ code: 'invalid_body' });
  });

  it('answers 413 for too many records or too many bytes', async () => {
    const rec = { sensorId: 'cam-1', start: T, end: T + 60_000, in: 1, out: 0 };
    const many = await post(Array.from({ length: 101 }, () => rec));
    expect(many.statusCode).toBe(413);
    expect(many.json()).toMatchObject({ code: 'too_many_records' });
    const big = await post(JSON.stringify([{ ...rec, line: 'x'.repeat(70_000) }]));
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ code: 'payload_too_large' });
  });

  it('accepts every source, gzip- and deflate-compressed bodies included', async () => {
    const wifi = await post([{ sensorId: 'wifi-1', deviceId: 'AA:BB:CC:00:11:22', seenAt: T, rssi: -60 }], {}, '/v1/ingest/wifi');
    expect(wifi.json()).toEqual({ accepted: 1, rejected: [] });
    const telco = await post(
      [
        {
          deviceId: '+4512345678',
          networkCellId: 'cell-17',
          seenAt: T,
          lat: 55.68,
          lng: 12.57,
          segment: 'international_visitor',
          homeCountry: 'SE',
        },
      ],
      {},
      '/v1/ingest/telco',
    );
    expect(telco.json()).toEqual({ accepted: 1, rejected: [] });
    await p.app.inject({
      method: 'PUT',
      url: '/v1/sensors/st-1',
      headers: auth,
      payload: { source: 'ticketing', lat: 55.6838, lng: 12.5716, site: 'Nørreport' },
    });
    const ticketing = await post(
      [
        { stationId: 'st-1', kind: 'tap_in', start: T, mode: 'metro', cardId: '4000123412341234' },
        { stationId: 'st-1', kind: 'gate_exit', start: T, end: T + 900_000, count: 57 },
        { stationId: 'st-1', kind: 'tap_out', start: T, count: 3 },
      ],
      {},
      '/v1/ingest/ticketing',
    );
    expect(ticketing.json()).toMatchObject({
      accepted: 2,
      rejected: [{ index: 2, errors: [{ field: 'count', reason: 'a tap counts one passage' }] }],
    });
    const rec = JSON.stringify([{ sensorId: 'cam-1', start: T, end: T + 60_000, in: 3, out: 1 }]);
    expect((await post(gzipSync(rec), { 'content-encoding': 'gzip' })).json()).toEqual({ accepted: 1, rejected: [] });
    expect((await post(deflateSync(rec), { 'content-encoding': 'deflate' })).json()).toEqual({ accepted: 1, rejected: [] });
  });

  it('refuses unknown sources (404), missing or bad keys (401), unknown media types and encodings (415), broken gzip (400)', async () => {
    expect((await post([], {}, '/v1/ingest/radar')).statusCode).toBe(404);
    const noKey = await p.app.inject({ method: 'POST', url: '/v1/ingest/camera', payload: [] });
    expect(noKey.statusCode).toBe(401);
    expect(noKey.json()).toMatchObject({ code: 'missing_api_key' });
    const badKey = await post([], { authorization: 'Bearer nope' });
    expect(badKey.statusCode).toBe(401);
    expect(badKey.json()).toMatchObject({ code: 'invalid_api_key' });
    const xml = await post('<records/>', { 'content-type': 'application/xml' });
    expect(xml.statusCode).toBe(415);
    const br = await post('[]', { 'content-encoding': 'br' });
    expect(br.statusCode).toBe(415);
    expect(br.json()).toMatchObject({ code: 'unsupported_content_encoding' });
    const broken = await post(Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' });
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ code: 'invalid_body' });
  });

  it('serves /healthz, /readyz and /metrics with ingest counters', async () => {
    expect((await p.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await p.app.inject({ method: 'GET', url: '/readyz' })).json()).toMatchObject({
      status: 'ready',
      checks: { store: true, bus: true, processor: true },
    });
    const metrics = (await p.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/passage_ingest_records_total\{source="camera",outcome="accepted",app="passage"\} \d+/);
    expect(metrics).toContain('passage_http_request_duration_seconds_bucket');
  });
});
