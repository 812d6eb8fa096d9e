import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { KafkaBus } from './bus/kafka.js';
import { startPassage, type Passage } from './passage.js';
import { ConfluentSchemaRegistry } from './registry/confluent.js';
import { chdbStore, quietLogger, testConfig, TEST_ADMIN_KEY, TEST_PSEUDONYM_SECRET, uid } from './testing/fixtures.js';
import { runSlice } from './testing/slice.js';

const brokers = inject('kafkaBrokers');
const registryUrl = inject('registryUrl');
const ADMIN = TEST_ADMIN_KEY;

// Skips only without Kafka or a registry; the global setup printed why, and CI's REQUIRE_* makes that a failure.
describe.runIf(brokers !== null && registryUrl !== null)('vertical slice through real Kafka and the Schema Registry', () => {
  let passage: Passage;
  beforeAll(async () => {
    const config = testConfig({
      KAFKA_BROKERS: brokers!.join(','),
      SCHEMA_REGISTRY_URL: registryUrl!,
      KAFKA_TOPIC_PREFIX: `${uid()}.`,
      KAFKA_TOPIC_PARTITIONS: '3',
    });
    const logger = quietLogger();
    passage = await startPassage(config, logger, {
      role: 'all',
      adminKey: ADMIN,
      pseudonymSecret: TEST_PSEUDONYM_SECRET,
      overrides: {
        bus: new KafkaBus({ brokers: brokers!, clientId: 'passage-slice-test', logger, sessionTimeoutMs: 10_000 }),
        codec: new ConfluentSchemaRegistry(registryUrl!),
        store: await chdbStore(),
      },
    });
  });
  afterAll(() => passage?.close());

  it('returns exactly the independently computed sums by 5m, 1h and 1d', () => runSlice(passage, ADMIN), 240_000);
});
