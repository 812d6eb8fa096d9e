import { describe, expect, it } from 'vitest';
import type { InMessage } from '../../shared/bus/types.js';
import { PassageError } from '../../shared/errors.js';
import { LocalSchemaRegistry } from '../../shared/registry/local.js';
import type { SchemaCodec } from '../../shared/registry/types.js';
import { subjectOf, Topics } from '../../shared/topics.js';
import { registerAll } from '../../schemas/index.js';
import { decodeRaw, decodeRawCached } from './decode.js';

const T0 = Date.UTC(2026, 10, 22, 8, 0);
const topics = new Topics();

const camera = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  recordId: 'r1',
  sensorId: 's1',
  start: T0,
  end: T0 + 60_000,
  in: 3,
  out: 1,
  line: null,
  class: 'pedestrian',
  lat: 55.676,
  lng: 12.568,
  receivedAt: T0,
  ...extra,
});

const message = (value: Buffer | null): InMessage => ({
  topic: topics.raw('camera'),
  partition: 0,
  offset: 0,
  key: null,
  value,
  headers: {},
  timestamp: T0 + 120_000,
});

describe('decodeRaw and decodeRawCached', () => {
  it('give the same result once the codec holds the schema, for good and bad messages alike', async () => {
    const codec = new LocalSchemaRegistry();
    await registerAll(codec, topics);
    const enc = (subject: string, v: Record<string, unknown>): Promise<Buffer> => codec.encode(subjectOf(subject), v);
    const good = await enc(topics.raw('camera'), camera());
    // Not decoded yet: the synchronous path hands over to decodeRaw (which may ask the registry).
    expect(decodeRawCached('camera', message(good), codec, 60_000)).toBeUndefined();
    expect(await decodeRaw('camera', message(good), codec, 60_000)).toMatchObject({ kind: 'ok', value: { recordId: 'r1', in: 3 } });
    const wifi = await enc(topics.raw('wifi'), {
      recordId: 'w1',
      sensorId: 's1',
      deviceHash: 'd',
      seenAt: T0,
      rssi: null,
      lat: null,
      lng: null,
      keyPeriod: '2026-11',
      receivedAt: T0,
    });
    await codec.decode(wifi);
    const cases: [string, Buffer | null][] = [
      ['good', good],
      ['out of range', await enc(topics.raw('camera'), camera({ in: -1, end: T0 + 3_600_000 }))],
      ['another source', wifi],
      ['no value', null],
      ['bad magic byte', Buffer.from('{"in":3}')],
      ['truncated', good.subarray(0, 12)],
    ];
    for (const [what, value] of cases) {
      const sync = decodeRawCached('camera', message(value), codec, 60_000);
      expect(sync, what).toBeDefined();
      expect(sync, what).toEqual(await decodeRaw('camera', message(value), codec, 60_000));
    }
    expect(decodeRawCached('camera', message(good), codec, 60_000)?.kind).toBe('ok');
    expect(decodeRawCached('camera', message(cases[1]![1]), codec, 60_000)).toMatchObject({ kind: 'dlq', reason: 'out_of_range' });
    expect(decodeRawCached('camera', message(wifi), codec, 60_000)).toMatchObject({ kind: 'dlq', reason: 'wrong_schema' });
    expect(decodeRawCached('camera', message(good.subarray(0, 12)), codec, 60_000)).toMatchObject({ kind: 'dlq', reason: 'undecodable' });
  });

  it('throw only what is retriable, and hand an unknown schema id to the registry', async () => {
    const unreachable: SchemaCodec = {
      register: () => Promise.reject(new Error('unused')),
      encode: () => Promise.reject(new Error('unused')),
      decode: () => Promise.reject(new PassageError('registry_unavailable', 'down', { retriable: true })),
      decodeCached: () => undefined,
      close: () => Promise.resolve(),
    };
    const value = Buffer.from([0, 0, 0, 0, 9, 2, 0x61]);
    expect(decodeRawCached('camera', message(value), unreachable, 60_000)).toBeUndefined();
    await expect(decodeRaw('camera', message(value), unreachable, 60_000)).rejects.toMatchObject({ code: 'registry_unavailable' });
    const withoutCache: SchemaCodec = { ...unreachable, decodeCached: undefined };
    expect(decodeRawCached('camera', message(value), withoutCache, 60_000)).toBeUndefined();
  });
});
