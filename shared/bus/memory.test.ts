import { describe, expect, it } from 'vitest';
import { MemoryBus } from './memory.js';
import { busContract } from './contract.js';

describe('in-process bus', () => {
  busContract(() => new MemoryBus({ retryBackoffMs: 10 }));

  it('refuses unknown topics and a second consumer in one group', async () => {
    const bus = new MemoryBus();
    await expect(bus.produce('nope', [{ key: null, value: null }])).rejects.toThrow(/does not exist/);
    await bus.ensureTopics([{ name: 't', partitions: 1, config: {} }]);
    const sub = await bus.consume({ groupId: 'g', topics: ['t'], fromBeginning: true, onBatch: () => Promise.resolve() });
    await expect(bus.consume({ groupId: 'g', topics: ['t'], fromBeginning: true, onBatch: () => Promise.resolve() })).rejects.toThrow(
      /one consumer per group/,
    );
    await sub.stop();
  });
});
