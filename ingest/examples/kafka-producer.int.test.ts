import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REASON_HEADER } from '../../shared/dlq.js';
import type { Passage } from '../../shared/passage.js';
import { eventually, kafkaPassage, uid } from '../../shared/testing/fixtures.js';
import { produceCameraCounts } from './kafka-producer.js';

const brokers = inject('kafkaBrokers');
const registryUrl = inject('registryUrl');

// Skips only without Kafka or a registry; the global setup printed why, and CI's REQUIRE_* makes that a failure.
describe.runIf(brokers !== null && registryUrl !== null)('Kafka-native ingest (the example vendor producer)', () => {
  let passage: Passage;
  beforeAll(async () => {
    passage = await kafkaPassage(brokers!, registryUrl!);
  });
  afterAll(() => passage?.close());

  it('counts what the vendor produced, once even when it is produced twice, and dead-letters a non-Avro message', async () => {
    const topic = passage.runtime.topics.raw('camera');
    const opts = {
      brokers: brokers!,
      registryUrl: registryUrl!,
      topic,
      sensorId: 'vendor-cam',
      lat: 55.6786,
      lng: 12.5786,
      count: 12,
      endMs: Date.now(),
    };
    const total = await produceCameraCounts(opts);
    await produceCameraCounts(opts); // a vendor retry: same record ids
    await passage.runtime.bus.produce(topic, [{ key: 'vendor-cam', value: Buffer.from('{"in": 3}') }]);
    const sum = async () => {
      const [r] = await passage.runtime.store.query<{ n: string }>(
        'SELECT toString(sum(entries) + sum(exits)) AS n FROM {db:Identifier}.counts_5m',
      );
      return Number(r?.n ?? 0);
    };
    expect(await eventually(sum, (n) => n >= total, 60_000)).toBe(total);

    const reasons: string[] = [];
    const sub = await passage.runtime.bus.consume({
      groupId: uid('dlq-reader.'),
      topics: [passage.runtime.topics.dlq()],
      fromBeginning: true,
      onBatch: (batch, ctx) => {
        for (const m of batch.messages) reasons.push(m.headers[REASON_HEADER] ?? '');
        ctx.resolve(batch.messages.at(-1)!.offset);
        return Promise.resolve();
      },
    });
    try {
      expect(
        await eventually(
          () => Promise.resolve(reasons),
          (r) => r.length >= 1,
          60_000,
        ),
      ).toEqual(['bad_magic_byte']);
    } finally {
      await sub.stop();
    }
    // Give the second copy time to be processed too, then the sum must not have moved.
    await new Promise((r) => setTimeout(r, 2000));
    expect(await sum()).toBe(total);
  }, 120_000);
});
