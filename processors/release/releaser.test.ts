import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../shared/bus/memory.js';
import { LocalSchemaRegistry } from '../../shared/registry/local.js';
import { registerAll } from '../../schemas/index.js';
import { SensorRegistry } from '../../shared/sensors.js';
import { chdbStore, eventually, quietLogger, testConfig } from '../../shared/testing/fixtures.js';
import { subjectOf, Topics } from '../../shared/topics.js';
import { cellOf, cellToUInt64 } from '../../shared/h3.js';
import { Releaser as NoiseReleaser, SENSITIVITY, unitKey, type PrivacyOptions } from '../../query-api/privacy/release.js';
import { StreamProcessor } from '../core/processor.js';
import { telcoOperator } from '../devices/telco.js';
import { FootfallProcessor } from '../footfall/processor.js';
import { Releaser, type ReleaserOptions } from './releaser.js';

const T0 = Date.UTC(2026, 10, 20, 10, 0);
const MIN = 60_000;
const LAT = 55.676;
const LNG = 12.568;
const SECRET = Buffer.from('live-release-test-secret-0123456789abcdef');

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

interface Released {
  dataset: string;
  metric: string;
  source: string;
  cell: string;
  resolution: number;
  bucket: string;
  bucketStart: number;
  breakdown: string | null;
  value: number | null;
  suppressed: boolean;
  revision: number;
  kind: 'window' | 'correction';
}

async function setup(privacy: Partial<PrivacyOptions['defaults']>, releaserOptions: Partial<ReleaserOptions> = {}) {
  const bus = new MemoryBus({ retryBackoffMs: 10 });
  const codec = new LocalSchemaRegistry();
  const topics = new Topics();
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
  const options: PrivacyOptions = { secret: SECRET, defaults: { k: 1, epsilon: 1, noise: 'on', ...privacy }, datasets: {} };
  const releaser = new Releaser({
    ...deps,
    privacy: options,
    timeZone: config.timeZone,
    windowMs: config.processing.windowMs,
    ...releaserOptions,
  });
  const produce = async (records: Record<string, unknown>[]) =>
    bus.produce(
      topics.raw('camera'),
      await Promise.all(
        records.map(async (r) => ({ key: String(r.sensorId), value: await codec.encode(subjectOf(topics.raw('camera')), r) })),
      ),
    );
  const released = async (): Promise<Released[]> => {
    const out: Released[] = [];
    for (const m of bus.allMessages().filter((x) => x.topic === topics.release('presence')))
      out.push((await codec.decode(m.value!)).value as unknown as Released);
    return out;
  };
  const exact = async (resolution: number, windowStart: number): Promise<number> => {
    const [r] = await store.query<{ v: string }>(
      `SELECT sum(entries) + sum(exits) AS v FROM {db:Identifier}.counts_5m
       WHERE h3ToParent(cell, {r:UInt8}) = {c:UInt64} AND window_start = toDateTime({w:Int64}, 'UTC')`,
      { r: resolution, c: cellToUInt64(cellOf(LAT, LNG, resolution)), w: windowStart / 1000 },
    );
    return Number(r?.v ?? 0);
  };
  return { bus, codec, topics, store, processor, releaser, produce, released, exact, options };
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe('Releaser', () => {
  it('releases telco presence and origin→destination flows (trips and mean duration), all together and by segment', async () => {
    const t = await setup({ noise: 'off' });
    const config = testConfig();
    const telco = new StreamProcessor(
      {
        bus: t.bus,
        codec: t.codec,
        store: t.store,
        topics: t.topics,
        logger: quietLogger(),
        processing: config.processing,
        maxFutureMs: config.ingest.maxFutureMs,
      },
      telcoOperator(config.processing),
    );
    cleanup.push(
      () => t.store.close(),
      () => telco.stop(),
      () => t.releaser.stop(),
    );
    await telco.start();
    await t.releaser.start();
    const B = { lat: 55.7, lng: 12.6 };
    const event = (device: string, seenAt: number, at: { lat: number; lng: number }, segment: string) => ({
      recordId: `${device}:${seenAt}`,
      deviceHash: device,
      networkCellId: 'n',
      seenAt,
      lat: at.lat,
      lng: at.lng,
      homeCountry: null,
      segment,
      keyPeriod: 'p',
      receivedAt: T0,
    });
    // 12 devices go from A to B, two minutes later; one more stays at A for 20 minutes (the clock).
    const records = [
      ...Array.from({ length: 12 }, (_, d) => [
        event(`d${d}`, T0 + d * 1000, { lat: LAT, lng: LNG }, d < 8 ? 'resident' : 'domestic_visitor'),
        event(`d${d}`, T0 + 2 * MIN + d * 1000, B, d < 8 ? 'resident' : 'domestic_visitor'),
      ]).flat(),
      ...Array.from({ length: 20 }, (_, i) => event('clock', T0 + i * MIN, { lat: LAT, lng: LNG }, 'unknown')),
    ];
    // All on one partition (the same key), in time order.
    records.sort((x, y) => x.seenAt - y.seenAt);
    await t.bus.produce(
      t.topics.raw('telco'),
      await Promise.all(records.map(async (r) => ({ key: 'all', value: await t.codec.encode(subjectOf(t.topics.raw('telco')), r) }))),
    );
    const flows = async () => {
      const out: Record<string, unknown>[] = [];
      for (const m of t.bus.allMessages().filter((x) => x.topic === t.topics.release('flows')))
        out.push((await t.codec.decode(m.value!)).value);
      return out;
    };
    const got = await eventually(flows, (f) => f.some((x) => x.bucket === '5m' && x.resolution === 10 && x.breakdown === null), 20_000);
    const a10 = cellOf(LAT, LNG, 10);
    const b10 = cellOf(B.lat, B.lng, 10);
    const total = got.find((x) => x.bucket === '5m' && x.resolution === 10 && x.breakdown === null);
    expect(total).toMatchObject({
      source: 'telco',
      originCell: a10,
      destinationCell: b10,
      bucketStart: T0,
      trips: 12,
      suppressed: false,
      kind: 'window',
      revision: 0,
      mode: null,
    });
    // Mean duration: 2 minutes each.
    expect(total!.avgDurationMin).toBeCloseTo(2, 6);
    const split = got.filter((x) => x.bucket === '5m' && x.resolution === 10 && x.breakdown !== null);
    expect(split.map((x) => [x.breakdown, x.trips]).sort()).toEqual([
      ['domestic_visitor', 4],
      ['resident', 8],
    ]);
    const presence = await eventually(
      t.released,
      (r) => r.some((x) => x.source === 'telco' && x.bucketStart === T0 && x.resolution === 10),
      10_000,
    );
    const atA = presence.find(
      (x) =>
        x.source === 'telco' &&
        x.metric === 'presence' &&
        x.bucketStart === T0 &&
        x.resolution === 10 &&
        x.cell === a10 &&
        x.breakdown === null,
    );
    expect(atA?.value).toBe(13);
  });

  it('releases a closed window at every resolution, coarser buckets once passed, and a late record as a correction', async () => {
    const t = await setup({ noise: 'off' });
    cleanup.push(
      () => t.store.close(),
      () => t.processor.stop(),
      () => t.releaser.stop(),
    );
    await t.processor.start();
    await t.releaser.start();
    // One record a minute for 40 minutes: the first windows close (watermark past end + 2 min).
    await t.produce(Array.from({ length: 40 }, (_, i) => camera(i)));
    const first = await eventually(t.released, (r) => r.some((x) => x.bucket === '15m' && x.bucketStart === T0 + 15 * MIN), 20_000);
    const w0 = first.filter((x) => x.bucket === '5m' && x.bucketStart === T0 && x.metric === 'footfall' && x.breakdown === null);
    expect(w0.map((x) => x.resolution).sort((a, b) => a - b)).toEqual([7, 8, 9, 10]);
    for (const x of w0) {
      expect(x).toMatchObject({ kind: 'window', revision: 0, value: 25, suppressed: false, source: 'camera', dataset: 'footfall' });
      expect(x.cell).toBe(cellOf(LAT, LNG, x.resolution));
    }
    // The split unit of records without a class.
    expect(first.some((x) => x.bucket === '5m' && x.bucketStart === T0 && x.breakdown === '' && x.resolution === 10)).toBe(true);
    // 15m bucket [T0, T0+15m) released once the watermark passed its end, whole: 15 records × 5.
    const q0 = first.filter((x) => x.bucket === '15m' && x.bucketStart === T0 && x.metric === 'footfall' && x.breakdown === null);
    expect(q0.map((x) => x.value)).toEqual([75, 75, 75, 75]);
    // Nothing of the open windows; no bucket released twice without a change.
    expect(first.some((x) => x.bucketStart >= T0 + 35 * MIN)).toBe(false);
    const keys = first.map((x) => `${x.metric}|${x.cell}|${x.bucket}|${x.bucketStart}|${x.breakdown}|${x.revision}`);
    expect(new Set(keys).size).toBe(keys.length);

    // A late record in the first window: a correction of the 5m and 15m units, revision 1.
    await t.produce([camera(1000, { start: T0 + MIN, end: T0 + 2 * MIN, in: 7, out: 0 })]);
    const after = await eventually(t.released, (r) => r.filter((x) => x.kind === 'correction').length >= 8, 20_000);
    const corrections = after.filter((x) => x.kind === 'correction' && x.metric === 'footfall' && x.breakdown === null);
    expect(corrections.map((x) => `${x.bucket}:${x.resolution}:${x.value}:${x.revision}`).sort()).toEqual(
      ['15m', '5m'].flatMap((b) => [7, 8, 9, 10].map((r) => `${b}:${r}:${b === '5m' ? 32 : 82}:1`)).sort(),
    );
    // exits did not change: not published again.
    expect(after.filter((x) => x.kind === 'correction' && x.metric === 'exits')).toEqual([]);
  });

  it('leaves buckets that ended before the live horizon to history', async () => {
    // The wall clock a day and 20 minutes after T0, a horizon of a day: live from T0 + 20 min.
    const t = await setup({ noise: 'off' }, { horizonMs: 24 * 60 * MIN, now: () => T0 + 24 * 60 * MIN + 20 * MIN });
    cleanup.push(
      () => t.store.close(),
      () => t.processor.stop(),
      () => t.releaser.stop(),
    );
    await t.processor.start();
    await t.releaser.start();
    await t.produce(Array.from({ length: 40 }, (_, i) => camera(i)));
    const out = await eventually(t.released, (r) => r.some((x) => x.bucket === '15m' && x.bucketStart === T0 + 15 * MIN), 20_000);
    const starts = (bucket: string) =>
      [...new Set(out.filter((x) => x.bucket === bucket && x.metric === 'footfall').map((x) => (x.bucketStart - T0) / MIN))].sort(
        (a, b) => a - b,
      );
    // 5m windows ending at or before T0 + 20 min are history only; the 15m bucket [T0+15, T0+30) ends after it.
    // ([T0+35, T0+40) may close by idleness meanwhile.)
    expect(starts('5m').filter((m) => m < 35)).toEqual([20, 25, 30]);
    expect(starts('15m')).toEqual([15]);
    // The stored aggregates have every window: the horizon only limits what goes live.
    expect(await t.exact(10, T0)).toBe(25);
  });

  it('publishes only released values: noisy, never below k, a suppressed first release not at all', async () => {
    const t = await setup({ k: 10, epsilon: 1, noise: 'on' });
    cleanup.push(
      () => t.store.close(),
      () => t.processor.stop(),
      () => t.releaser.stop(),
    );
    await t.processor.start();
    await t.releaser.start();
    // Busy and quiet cells: 5 people a minute near one sensor, one person a window at another.
    await t.produce([
      ...Array.from({ length: 40 }, (_, i) => camera(i)),
      ...Array.from({ length: 8 }, (_, i) =>
        camera(500 + i, { sensorId: 's1', start: T0 + i * 5 * MIN, end: T0 + i * 5 * MIN + MIN, in: 1, out: 0, lat: 55.7, lng: 12.6 }),
      ),
    ]);
    const out = await eventually(t.released, (r) => r.filter((x) => x.bucket === '5m').length >= 20, 20_000);
    const noise = NoiseReleaser.of(t.options, 'footfall');
    let differs = 0;
    for (const x of out.filter((y) => y.bucket === '5m' && y.metric === 'footfall' && y.breakdown === null)) {
      const exact = await t.exact(x.resolution, x.bucketStart);
      const unit = {
        dataset: 'footfall' as const,
        source: 'camera',
        metric: 'footfall',
        breakdown: null,
        cell: x.cell,
        resolution: x.resolution,
        bucket: '5m' as const,
        bucketStartMs: x.bucketStart,
      };
      // Exactly what the release layer gives for the unit (and so /v1/footfall).
      expect({ value: x.value, suppressed: x.suppressed }).toEqual(noise.release(unitKey(unit), exact, SENSITIVITY.count));
      if (x.value !== exact) differs += 1;
      expect(x.value === null || x.value >= 10).toBe(true);
      expect(x.suppressed).toBe(x.value === null);
    }
    expect(differs).toBeGreaterThan(0);
    // The quiet sensor's cell (1 person a window) never shows a first release: suppressed ones are not published.
    const quiet = cellOf(55.7, 12.6, 10);
    expect(out.filter((x) => x.resolution === 10 && x.cell === quiet && x.bucket === '5m')).toEqual([]);
    expect(out.filter((x) => x.kind === 'window').every((x) => !x.suppressed)).toBe(true);
  });
});
