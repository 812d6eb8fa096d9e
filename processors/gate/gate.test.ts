import { afterEach, describe, expect, it } from 'vitest';
import { registerAll } from '../../schemas/index.js';
import { MemoryBus } from '../../shared/bus/memory.js';
import { REASON_HEADER } from '../../shared/dlq.js';
import { LocalSchemaRegistry } from '../../shared/registry/local.js';
import { eventually, quietLogger } from '../../shared/testing/fixtures.js';
import { subjectOf, Topics } from '../../shared/topics.js';
import { RawGate } from './gate.js';

const T = Date.parse('2026-11-20T08:00:00+01:00');
const wifi = (extra: Record<string, unknown> = {}) => ({
  recordId: 'w1',
  sensorId: 'ap-1',
  deviceHash: 'h1',
  seenAt: T,
  rssi: -60,
  lat: null,
  lng: null,
  keyPeriod: '2026-11-20',
  receivedAt: T,
  ...extra,
});
const telco = (extra: Record<string, unknown> = {}) => ({
  recordId: 't1',
  deviceHash: 'h2',
  networkCellId: 'c1',
  seenAt: T,
  lat: 55.68,
  lng: 12.57,
  homeCountry: null,
  segment: null,
  keyPeriod: '2026-11-20',
  receivedAt: T,
  ...extra,
});

let stop: (() => Promise<void>) | null = null;
afterEach(async () => {
  await stop?.();
  stop = null;
});

describe('RawGate', () => {
  it('dead-letters unusable Kafka-native records of Wi-Fi, telco and ticketing with their reason, and commits past them', async () => {
    const bus = new MemoryBus({ retryBackoffMs: 10 });
    const codec = new LocalSchemaRegistry();
    const topics = new Topics();
    await bus.ensureTopics(topics.specs(1, 60_000));
    await registerAll(codec, topics);
    const gate = new RawGate({ bus, codec, topics, logger: quietLogger(), maxFutureMs: 900_000, sources: ['wifi', 'telco', 'ticketing'] });
    await gate.start();
    stop = () => gate.stop();
    const enc = (topic: string, v: Record<string, unknown>) => codec.encode(subjectOf(topic), v);
    await bus.produce(topics.raw('wifi'), [
      { key: 'a', value: await enc(topics.raw('wifi'), wifi()) },
      { key: 'a', value: Buffer.from('not avro') },
      { key: 'a', value: await enc(topics.raw('wifi'), wifi({ seenAt: Date.now() + 86_400_000 })) },
      // A telco record on the Wi-Fi topic: decodable, but not a Wi-Fi sighting.
      { key: 'a', value: await enc(topics.raw('telco'), telco()) },
    ]);
    await bus.produce(topics.raw('telco'), [
      { key: 'b', value: await enc(topics.raw('telco'), telco({ lat: 95 })) },
      { key: 'b', value: Buffer.from([0, 0, 0, 0x7f, 0x7f, 1]) },
      { key: 'b', value: await enc(topics.raw('telco'), telco()) },
    ]);
    const reasons: string[] = [];
    const sub = await bus.consume({
      groupId: 'reader',
      topics: [topics.dlq()],
      fromBeginning: true,
      onBatch: (b, ctx) => {
        for (const m of b.messages) reasons.push(`${m.headers['passage-source-topic']}:${m.headers[REASON_HEADER]}`);
        ctx.resolve(b.messages.at(-1)!.offset);
        return Promise.resolve();
      },
    });
    await eventually(
      () => Promise.resolve(reasons),
      (r) => r.length >= 5,
      10_000,
    );
    await sub.stop();
    expect(reasons.sort()).toEqual(
      [
        'pm.raw.telco.v1:out_of_range',
        'pm.raw.telco.v1:unknown_schema',
        'pm.raw.wifi.v1:bad_magic_byte',
        'pm.raw.wifi.v1:out_of_range',
        'pm.raw.wifi.v1:wrong_schema',
      ].sort(),
    );
    const committed = await eventually(
      () => bus.committed(gate.groupId, topics.raw('wifi')),
      (c) => c[0]?.offset === 4,
    );
    expect(committed[0]?.offset).toBe(4);
  });
});
