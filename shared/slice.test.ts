import { afterAll, beforeAll, describe, it } from 'vitest';
import { MemoryBus } from './bus/memory.js';
import { startPassage, type Passage } from './passage.js';
import { LocalSchemaRegistry } from './registry/local.js';
import { chdbStore, quietLogger, testConfig } from './testing/fixtures.js';
import { runSlice } from './testing/slice.js';

const ADMIN = 'test-admin-key-0123456789';

describe('vertical slice, embedded mode (in-process bus and registry, chDB)', () => {
  let passage: Passage;
  beforeAll(async () => {
    passage = await startPassage(testConfig(), quietLogger(), {
      role: 'all',
      adminKey: ADMIN,
      overrides: { bus: new MemoryBus(), codec: new LocalSchemaRegistry(), store: await chdbStore() },
    });
  });
  afterAll(() => passage.close());

  it('returns exactly the independently computed sums by 5m, 1h and 1d', () => runSlice(passage, ADMIN), 180_000);
});
