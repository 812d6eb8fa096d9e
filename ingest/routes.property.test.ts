// Property test of the ingest edge: random and malformed bodies, headers and encodings thrown at
// every ingest route never produce a 5xx or a crash, and every rejection names a field and a reason.

import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Passage } from '../shared/passage.js';
import { embeddedPassage, TEST_ADMIN_KEY } from '../shared/testing/fixtures.js';
import { RAW_SOURCES } from '../shared/topics.js';

interface Answer {
  statusCode: number;
  body: string;
  headers: Record<string, unknown>;
}

function assertExplained(res: Answer): void {
  expect(res.statusCode).toBeLessThan(500);
  const body = JSON.parse(res.body) as { rejected?: { errors: { field: string; reason: string }[] }[]; code?: string; detail?: string };
  if (res.statusCode === 202 || body.rejected !== undefined) {
    for (const r of body.rejected ?? []) {
      expect(r.errors.length).toBeGreaterThan(0);
      for (const e of r.errors) {
        expect(e.field.length).toBeGreaterThan(0);
        expect(e.reason.length).toBeGreaterThan(0);
      }
    }
  } else {
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(body.code).toMatch(/^[a-z_]+$/);
    expect(body.detail?.length).toBeGreaterThan(0);
  }
}

const anyRecord = fc.oneof(
  fc.anything(),
  fc.record(
    {
      sensorId: fc.oneof(fc.string(), fc.constant('cam-1'), fc.integer()),
      stationId: fc.oneof(fc.string(), fc.constant('cam-1')),
      deviceId: fc.oneof(fc.string(), fc.constant('AA:BB:CC:DD:EE:FF')),
      start: fc.oneof(fc.string(), fc.integer(), fc.constant('2026-11-20T08:00:00+01:00'), fc.double()),
      end: fc.oneof(fc.string(), fc.integer(), fc.constant('2026-11-20T08:05:00+01:00')),
      seenAt: fc.oneof(fc.string(), fc.integer()),
      in: fc.oneof(fc.integer(), fc.double(), fc.string()),
      out: fc.oneof(fc.integer({ min: -5, max: 2_000_000 }), fc.constant(null)),
      kind: fc.oneof(fc.constant('tap_in'), fc.string()),
      lat: fc.oneof(fc.double(), fc.constant(55.68)),
      lng: fc.oneof(fc.double(), fc.constant(12.57)),
      networkCellId: fc.string(),
    },
    { requiredKeys: [] },
  ),
);

const anyBody = fc.oneof(
  fc.array(anyRecord, { maxLength: 20 }).map((rs) => ({ payload: JSON.stringify(rs), type: 'application/json' })),
  fc.array(anyRecord, { maxLength: 20 }).map((rs) => ({ payload: JSON.stringify({ records: rs }), type: 'application/json' })),
  fc
    .array(anyRecord, { maxLength: 20 })
    .map((rs) => ({ payload: rs.map((r) => JSON.stringify(r) ?? 'undefined').join('\n'), type: 'application/x-ndjson' })),
  fc.string().map((s) => ({ payload: s, type: 'application/json' })),
  fc.string().map((s) => ({ payload: s, type: 'application/x-ndjson' })),
  fc.uint8Array({ maxLength: 200 }).map((b) => ({ payload: Buffer.from(b), type: 'application/json' })),
  fc.tuple(fc.string(), fc.string()).map(([s, t]) => ({ payload: s, type: t })),
);

describe('ingest routes under random input', () => {
  let p: Passage;
  beforeAll(async () => {
    p = await embeddedPassage();
    await p.app.inject({
      method: 'PUT',
      url: '/v1/sensors/cam-1',
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
      payload: { source: 'camera', lat: 55.68, lng: 12.57 },
    });
  });
  afterAll(() => p?.close());

  it('never answers 5xx and always says which field and why', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...RAW_SOURCES, 'radar', '%00', 'camera%2F..'),
        anyBody,
        fc.constantFrom(undefined, 'gzip', 'deflate', 'br', 'gzip, gzip', 'identity'),
        fc.boolean(),
        async (source, body, encoding, compress) => {
          const payload = compress && encoding === 'gzip' ? gzipSync(body.payload) : body.payload;
          const res = await p.app.inject({
            method: 'POST',
            url: `/v1/ingest/${source}`,
            headers: {
              authorization: `Bearer ${TEST_ADMIN_KEY}`,
              'content-type': body.type,
              ...(encoding === undefined ? {} : { 'content-encoding': encoding }),
            },
            payload,
          });
          assertExplained(res);
        },
      ),
      { numRuns: 300 },
    );
  }, 120_000);
});
