// The keyed operators' exactness contract (processors/keyed-contract.ts) on real Kafka and a real
// Schema Registry: the replay after each restart seeks back on the broker.

import { describe, inject } from 'vitest';
import { KafkaBus } from '../shared/bus/kafka.js';
import { ConfluentSchemaRegistry } from '../shared/registry/confluent.js';
import { registerAll } from '../schemas/index.js';
import { quietLogger, uid } from '../shared/testing/fixtures.js';
import { Topics } from '../shared/topics.js';
import { harness, keyedContract } from './keyed-contract.js';

const brokers = inject('kafkaBrokers');
const registryUrl = inject('registryUrl');

// Skips only without Kafka or a registry; the global setup printed why, and CI's REQUIRE_* makes that a failure.
describe.runIf(brokers !== null && registryUrl !== null)('on real Kafka', () => {
  keyedContract(async () => {
    const bus = new KafkaBus({ brokers: brokers!, clientId: uid('keyed-'), logger: quietLogger(), sessionTimeoutMs: 6_000 });
    const codec = new ConfluentSchemaRegistry(registryUrl!);
    const topics = new Topics(`${uid()}.`);
    await bus.ensureTopics(topics.specs(3, 3_600_000));
    await registerAll(codec, topics);
    return harness(bus, codec, topics, async () => {
      await bus.close();
      await codec.close();
    });
  }, 2);
});
