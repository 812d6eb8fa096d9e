import { describe, inject } from 'vitest';
import { quietLogger } from '../testing/fixtures.js';
import { KafkaBus } from './kafka.js';
import { busContract } from './contract.js';

const brokers = inject('kafkaBrokers');

// Skips only when no Kafka could be found; the global setup printed why, and REQUIRE_KAFKA=1 (CI)
// makes that a failure.
describe.runIf(brokers !== null)('Kafka bus (kafkajs, real broker)', () => {
  busContract(() => new KafkaBus({ brokers: brokers!, clientId: 'passage-test', logger: quietLogger(), sessionTimeoutMs: 10_000 }));
});
