// The live hub on real Kafka and a real schema registry: it starts a buffer's length before the end
// of the release topic, and a subscriber resuming from further back is sent exactly the missed
// releases, read again from the broker.

import { afterEach, describe, expect, inject, it } from 'vitest';
import { KafkaBus } from '../../shared/bus/kafka.js';
import { cellOf } from '../../shared/h3.js';
import { ConfluentSchemaRegistry } from '../../shared/registry/confluent.js';
import { registerAll } from '../../schemas/index.js';
import { chdbStore, eventually, quietLogger, uid } from '../../shared/testing/fixtures.js';
import { Topics } from '../../shared/topics.js';
import { liveApp, openSse, presence, produceReleases } from './testing.js';

const brokers = inject('kafkaBrokers');
const registryUrl = inject('registryUrl');
const A = cellOf(55.676, 12.568, 10);
const B = cellOf(55.7, 12.6, 10);

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe.runIf(brokers !== null && registryUrl !== null)('live hub on Kafka', () => {
  it('loads the end of the release topic, streams, and resumes from the broker beyond its buffer', { timeout: 120_000 }, async () => {
    const logger = quietLogger();
    const bus = new KafkaBus({ brokers: brokers!, clientId: uid('live-test-'), logger, sessionTimeoutMs: 10_000 });
    const codec = new ConfluentSchemaRegistry(registryUrl!);
    const topics = new Topics(`${uid()}.`);
    await bus.ensureTopics(topics.specs(2, 3_600_000));
    expect(await bus.offsets(topics.release('presence'))).toHaveLength(1);
    await registerAll(codec, topics);
    const store = await chdbStore();
    cleanup.push(
      () => bus.close(),
      () => codec.close(),
      () => store.close(),
    );
    const produce = (from: number, n: number) =>
      produceReleases(
        bus,
        codec,
        topics,
        Array.from({ length: n }, (_, i) => presence((from + i) % 2 === 0 ? A : B, 10, from + i)),
      );
    // 100 releases before the hub starts: it keeps the last 30.
    await produce(0, 100);
    const live = await liveApp({ bus, codec, store, topics }, { bufferEvents: 30 });
    cleanup.push(() => live.close());
    expect(live.hub.position('presence')).toBe(99);
    expect(live.hub.buffered('presence')).toBe(30);

    const all = await openSse(`${live.url}/v1/live/footfall?cells=${A}`, { 'last-event-id': 'presence:79' });
    cleanup.push(() => Promise.resolve(all.close()));
    await produce(100, 20);
    await eventually(
      () => Promise.resolve(all.releases().length),
      (n) => n >= 20,
      30_000,
    );
    // From the buffer: 80–99, then live: 100–119, every other one (cell A).
    expect(all.releases().map((e) => e.id)).toEqual(Array.from({ length: 20 }, (_, i) => `presence:${80 + 2 * i}`));

    // Resuming after presence:9: 10–89 are not in the buffer any more and are read from the broker.
    const back = await openSse(`${live.url}/v1/live/footfall?cells=${A}`, { 'last-event-id': 'presence:9' });
    cleanup.push(() => Promise.resolve(back.close()));
    const got = await eventually(
      () => Promise.resolve(back.releases()),
      (r) => r.at(-1)?.id === 'presence:118',
      60_000,
    );
    expect(got.map((e) => e.id)).toEqual(Array.from({ length: 55 }, (_, i) => `presence:${10 + 2 * i}`));
    expect(back.events.some((e) => e.event === 'reset')).toBe(false);
  });
});
