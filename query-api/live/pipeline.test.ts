// The live feed end to end, in process: raw camera records → footfall processor → window closes →
// releaser → release topic → hub → SSE subscribers.

import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../shared/bus/memory.js';
import { cellOf } from '../../shared/h3.js';
import { LocalSchemaRegistry } from '../../shared/registry/local.js';
import { registerAll } from '../../schemas/index.js';
import { SensorRegistry } from '../../shared/sensors.js';
import { chdbStore, eventually, quietLogger, testConfig, uid } from '../../shared/testing/fixtures.js';
import { subjectOf, Topics } from '../../shared/topics.js';
import { FootfallProcessor } from '../../processors/footfall/processor.js';
import { Releaser } from '../../processors/release/releaser.js';
import { liveApp, openSse } from './testing.js';

const T0 = Date.UTC(2026, 10, 20, 10, 0);
const MIN = 60_000;
const LAT = 55.676;
const LNG = 12.568;
const CELL = cellOf(LAT, LNG, 10);

function camera(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    recordId: `r${i}`,
    sensorId: 's0',
    start: T0 + i * MIN,
    end: T0 + (i + 1) * MIN,
    in: 3,
    out: 2,
    line: null,
    class: null,
    lat: LAT,
    lng: LNG,
    receivedAt: T0,
    ...extra,
  };
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe('live feed, end to end', () => {
  it('delivers a closed window within seconds, then its correction, and resumes after a reconnect without gaps or duplicates', async () => {
    const bus = new MemoryBus({ retryBackoffMs: 10 });
    const codec = new LocalSchemaRegistry();
    const topics = new Topics(`${uid()}.`);
    const config = testConfig();
    await bus.ensureTopics(topics.specs(2, 60_000));
    await registerAll(codec, topics);
    const store = await chdbStore();
    const deps = { bus, codec, store, topics, logger: quietLogger() };
    const processor = new FootfallProcessor({
      ...deps,
      sensors: new SensorRegistry(store),
      processing: config.processing,
      maxFutureMs: config.ingest.maxFutureMs,
    });
    const releaser = new Releaser({
      ...deps,
      // Noise off here, so the values can be checked by hand (releaser.test.ts checks the noise).
      privacy: { secret: Buffer.alloc(32, 7), defaults: { k: 1, epsilon: 1, noise: 'off' }, datasets: {} },
      timeZone: config.timeZone,
      windowMs: config.processing.windowMs,
    });
    const live = await liveApp(deps);
    cleanup.push(
      () => store.close(),
      () => processor.stop(),
      () => releaser.stop(),
      () => live.close(),
    );
    await processor.start();
    await releaser.start();
    const produce = async (records: Record<string, unknown>[]) =>
      bus.produce(
        topics.raw('camera'),
        await Promise.all(records.map(async (r) => ({ key: 's0', value: await codec.encode(subjectOf(topics.raw('camera')), r) }))),
      );
    const closedAt = async (windowStart: number): Promise<number | undefined> => {
      for (const m of bus.allMessages().filter((x) => x.topic === topics.windows())) {
        const v = (await codec.decode(m.value!)).value as { windowStart: number; change: string; at: number };
        if (v.windowStart === windowStart && v.change === 'closed') return v.at;
      }
      return undefined;
    };

    const url = `${live.url}/v1/live/footfall?cells=${CELL}`;
    const all = await openSse(url);
    const a = await openSse(url);
    cleanup.push(() => Promise.resolve(all.close()));
    const received = new Map<string, number>();
    const stamp = setInterval(() => {
      for (const e of all.releases()) if (!received.has(e.id!)) received.set(e.id!, Date.now());
    }, 5);
    cleanup.push(() => Promise.resolve(clearInterval(stamp)));

    // 20 minutes of counts: the first windows close once the watermark passes their end + 2 minutes.
    await produce(Array.from({ length: 20 }, (_, i) => camera(i)));
    const first = await eventually(
      () => Promise.resolve(all.releases()),
      (r) => r.some((e) => e.data.bucketStart === '2026-11-20T11:00:00+01:00'),
      20_000,
    );
    const w0 = first.find((e) => e.data.bucketStart === '2026-11-20T11:00:00+01:00')!;
    expect(w0).toMatchObject({
      event: 'window',
      data: { cell: CELL, resolution: 10, metric: 'footfall', value: 25, revision: 0, suppressed: false },
    });
    const closed = await closedAt(T0);
    expect(closed).toBeDefined();
    await eventually(
      () => Promise.resolve(received.get(w0.id!)),
      (t) => t !== undefined,
      2_000,
      5,
    );
    // Released and delivered within seconds of the window's close.
    expect(received.get(w0.id!)! - closed!).toBeLessThan(5_000);

    // A late record corrects the closed window: a correction of the same unit, revision 1.
    await produce([camera(1000, { start: T0 + MIN, end: T0 + 2 * MIN, in: 7, out: 0 })]);
    const corr = await eventually(
      () => Promise.resolve(all.releases().filter((e) => e.event === 'correction')),
      (r) => r.length >= 1,
      20_000,
    );
    expect(corr[0]).toMatchObject({ data: { cell: CELL, bucketStart: '2026-11-20T11:00:00+01:00', value: 32, revision: 1 } });

    // Disconnect `a`; more windows close (and another late record) while it is away; it resumes.
    await eventually(
      () => Promise.resolve(a.releases().length),
      (n) => n === all.releases().length,
      5_000,
    );
    a.close();
    const before = a.releases();
    const resumeFrom = a.lastId()!;
    const seenBefore = all.releases().length;
    await produce([
      ...Array.from({ length: 20 }, (_, i) => camera(20 + i)),
      camera(2000, { start: T0 + 6 * MIN, end: T0 + 7 * MIN, in: 1 }),
    ]);
    await eventually(
      () => Promise.resolve(all.releases().length),
      (n) => n >= seenBefore + 4,
      20_000,
    );
    const b = await openSse(url, { 'last-event-id': resumeFrom });
    cleanup.push(() => Promise.resolve(b.close()));
    await produce(Array.from({ length: 10 }, (_, i) => camera(40 + i)));
    await eventually(
      () => Promise.resolve(all.releases().length),
      (n) => n >= seenBefore + 6,
      20_000,
    );
    await new Promise((r) => setTimeout(r, 500));
    await eventually(
      () => Promise.resolve(b.releases().at(-1)?.id),
      (id) => id === all.releases().at(-1)?.id,
      10_000,
    );
    const ids = (evs: { id: string | null }[]) => evs.map((e) => e.id);
    const resumed = [...ids(before), ...ids(b.releases())];
    expect(resumed).toEqual(ids(all.releases()));
    expect(new Set(resumed).size).toBe(resumed.length);
    // Every window of the cell once as `window`, then only corrections.
    const windows = all.releases().filter((e) => e.event === 'window');
    expect(new Set(windows.map((e) => e.data.bucketStart)).size).toBe(windows.length);
  });
});
