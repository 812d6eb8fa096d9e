// The keyed operators' exactness contract (processors/keyed-contract.ts) on the in-process bus.

import { MemoryBus } from '../shared/bus/memory.js';
import { LocalSchemaRegistry } from '../shared/registry/local.js';
import { registerAll } from '../schemas/index.js';
import { Topics } from '../shared/topics.js';
import { harness, keyedContract } from './keyed-contract.js';

keyedContract(async () => {
  const bus = new MemoryBus({ retryBackoffMs: 10, maxBatchMessages: 40 });
  const codec = new LocalSchemaRegistry();
  const topics = new Topics();
  await bus.ensureTopics(topics.specs(3, 60_000));
  await registerAll(codec, topics);
  return harness(bus, codec, topics, () => bus.close());
}, 4);
