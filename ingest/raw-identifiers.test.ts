// Raw identifiers never reach the bus, the store or the logs (embedded mode; the same scan runs on
// real Kafka in raw-identifiers.int.test.ts).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemoryBus } from '../shared/bus/memory.js';
import type { Passage } from '../shared/passage.js';
import { embeddedPassage } from '../shared/testing/fixtures.js';
import {
  capturingLogger,
  expectNoRawIdentifiers,
  messagesText,
  sendIdentifiedRecords,
  storeText,
} from '../shared/testing/raw-identifiers.js';

describe('raw identifiers never leave the edge', () => {
  let p: Passage;
  const logs = capturingLogger();
  beforeAll(async () => {
    p = await embeddedPassage({}, logs.logger);
  });
  afterAll(() => p?.close());

  it('finds none of them on the bus, in the store or in the logs', async () => {
    await sendIdentifiedRecords(p);
    const messages = (p.runtime.bus as MemoryBus).allMessages();
    expect(messages.length).toBeGreaterThanOrEqual(8);
    const store = await storeText(p);
    expect(store).toContain('ap-1'); // the scan reads real data
    expectNoRawIdentifiers({ bus: messagesText(messages), store, logs: logs.text() });
  }, 120_000);
});
