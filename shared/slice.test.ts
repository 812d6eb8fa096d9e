import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Passage } from './passage.js';
import { embeddedPassage, TEST_ADMIN_KEY } from './testing/fixtures.js';
import { runSlice } from './testing/slice.js';

describe('vertical slice, embedded mode (in-process bus and registry, chDB)', () => {
  let passage: Passage;
  beforeAll(async () => {
    passage = await embeddedPassage({ PASSAGE_PRIVACY_NOISE: 'off', PASSAGE_PRIVACY_K: '1' });
  });
  afterAll(() => passage.close());

  it('returns exactly the independently computed sums by 5m, 1h and 1d', () => runSlice(passage, TEST_ADMIN_KEY), 180_000);
});
