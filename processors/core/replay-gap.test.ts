// A replay into keyed state whose start the topic no longer holds (retention dropped it): the
// processor says so (metric, log) and goes on from what the topic holds, instead of seeking for it
// forever and stalling the partition.

import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../shared/bus/memory.js';
import { registry } from '../../shared/metrics.js';
import { LocalSchemaRegistry } from '../../shared/registry/local.js';
import { registerAll } from '../../schemas/index.js';
import { chdbStore, eventually, quietLogger, testConfig } from '../../shared/testing/fixtures.js';
import type { ChdbStore } from '../../shared/store/chdb.js';
import { subjectOf, Topics } from '../../shared/topics.js';
import { telcoOperator } from '../devices/telco.js';
import { StreamProcessor } from './processor.js';

const T0 = Date.UTC(2026, 10, 20, 10, 0);
const MIN = 60_000;

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function gaps(): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === 'passage_processor_replay_gaps_total');
  return (m?.values ?? []).reduce((a, v) => a + Number(v.value), 0);
}

describe('a replay whose start the topic no longer holds', () => {
  it('is counted and skipped, and the partition goes on', async () => {
    let now = Date.now();
    const bus = new MemoryBus({ retryBackoffMs: 10, retainMs: 60_000, now: () => now });
    const codec = new LocalSchemaRegistry();
    const topics = new Topics();
    await bus.ensureTopics(topics.specs(1, 7 * 24 * 3600_000));
    await registerAll(codec, topics);
    const store: ChdbStore = await chdbStore();
    cleanup.push(() => store.close());
    const config = testConfig();
    const deps = {
      bus,
      codec,
      store,
      topics,
      logger: quietLogger(),
      processing: config.processing,
      maxFutureMs: Number.MAX_SAFE_INTEGER,
    };
    const event = (device: string, seenAt: number, lat: number) => ({
      recordId: `${device}:${seenAt}`,
      deviceHash: device,
      networkCellId: 'n',
      seenAt,
      lat,
      lng: 12.568,
      homeCountry: null,
      segment: 'resident',
      keyPeriod: 'p',
      receivedAt: T0,
    });
    const produce = async (records: ReturnType<typeof event>[]) =>
      bus.produce(
        topics.raw('telco'),
        await Promise.all(
          records.map(async (r) => ({ key: 'k', value: await codec.encode(subjectOf(topics.raw('telco')), r), timestamp: now })),
        ),
      );
    const devices = async () => {
      const [r] = await store.query<{ n: string }>("SELECT toString(count()) AS n FROM {db:Identifier}.devices_5m WHERE source = 'telco'");
      return Number(r?.n ?? 0);
    };

    // A device seen once: its open trip is keyed state, so the commit names its record as the replay start.
    const first = new StreamProcessor(deps, telcoOperator(config.processing));
    await first.start();
    await produce([event('d1', T0, 55.676)]);
    await eventually(devices, (n) => n >= 1);
    await first.stop();
    // An hour later retention has dropped that record: the topic holds none of the replay.
    now += 3600_000;
    bus.trim();
    expect((await bus.offsets(topics.raw('telco')))[0]!.low).toBe(1);

    const before = await gaps();
    const second = new StreamProcessor(deps, telcoOperator(config.processing));
    cleanup.push(() => second.stop());
    await second.start();
    await produce([event('d2', T0 + 30 * MIN, 55.7)]);
    // The new record is processed (the partition did not stall), and the gap was counted.
    expect(await eventually(devices, (n) => n >= 2, 10_000)).toBeGreaterThanOrEqual(2);
    expect(await gaps()).toBe(before + 1);
  });
});
