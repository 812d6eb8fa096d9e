import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../shared/bus/memory.js';
import { PassageError } from '../../shared/errors.js';
import { LocalSchemaRegistry } from '../../shared/registry/local.js';
import { registerAll } from '../../schemas/index.js';
import { SensorRegistry } from '../../shared/sensors.js';
import type { Store } from '../../shared/store/types.js';
import { chdbStore, eventually, quietLogger, testConfig } from '../../shared/testing/fixtures.js';
import { REASON_HEADER } from '../../shared/dlq.js';
import { subjectOf, Topics } from '../../shared/topics.js';
import { FootfallProcessor } from './processor.js';

const T0 = Date.UTC(2026, 10, 20, 10, 0);
const MIN = 60_000;

function camera(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    recordId: `r${i}`,
    sensorId: `s${i % 3}`,
    start: T0 + i * MIN,
    end: T0 + (i + 1) * MIN,
    in: i % 7,
    out: (i * 3) % 5,
    line: null,
    class: null,
    lat: 55.676 + (i % 3) * 0.01,
    lng: 12.568,
    receivedAt: T0,
    ...extra,
  };
}

async function setup(storeWrapper?: (s: Store) => Store, env: Record<string, string> = {}) {
  const bus = new MemoryBus({ retryBackoffMs: 10 });
  const codec = new LocalSchemaRegistry();
  const topics = new Topics();
  const config = testConfig(env);
  await bus.ensureTopics(topics.specs(2, 60_000));
  await registerAll(codec, topics);
  const real = await chdbStore();
  const store = storeWrapper ? storeWrapper(real) : real;
  const processor = new FootfallProcessor({
    bus,
    codec,
    store,
    sensors: new SensorRegistry(real),
    topics,
    logger: quietLogger(),
    processing: config.processing,
    maxFutureMs: config.ingest.maxFutureMs,
  });
  const produce = async (records: Record<string, unknown>[]) =>
    bus.produce(
      topics.raw('camera'),
      await Promise.all(
        records.map(async (r) => ({ key: String(r.sensorId), value: await codec.encode(subjectOf(topics.raw('camera')), r) })),
      ),
    );
  const totals = async () => {
    const [r] = await real.query<{ e: string; x: string }>('SELECT sum(entries) AS e, sum(exits) AS x FROM {db:Identifier}.counts_5m');
    return { entries: Number(r?.e ?? 0), exits: Number(r?.x ?? 0) };
  };
  return { bus, codec, topics, store: real, processor, produce, totals };
}

/** `real` with its insert replaced (to inject failures around the write). */
function withInsert(real: Store, insert: Store['insert']): Store {
  return {
    kind: real.kind,
    database: real.database,
    command: (...a) => real.command(...a),
    query: (...a) => real.query(...a),
    queryRaw: (...a) => real.queryRaw(...a),
    ping: () => real.ping(),
    close: () => real.close(),
    insert,
  };
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup) await c();
  cleanup = [];
});

describe('FootfallProcessor', () => {
  it('sends unusable records to the DLQ with their reason and keeps counting the good ones', async () => {
    const t = await setup();
    cleanup.push(
      () => t.processor.stop(),
      () => t.store.close(),
    );
    await t.processor.start();
    const good = Array.from({ length: 20 }, (_, i) => camera(i));
    await t.produce(good.slice(0, 10));
    await t.bus.produce(t.topics.raw('camera'), [
      { key: 's0', value: Buffer.from('{"not":"avro"}') },
      { key: 's0', value: Buffer.from([0, 0, 0, 0x7f, 0x7f, 1, 2, 3]) },
      { key: 's0', value: null },
    ]);
    await t.produce([camera(99, { in: -5 }), camera(98, { lat: null, lng: null, sensorId: 'nowhere' })]);
    await t.produce(good.slice(10));
    const expected = { entries: good.reduce((a, r) => a + Number(r.in), 0), exits: good.reduce((a, r) => a + Number(r.out), 0) };
    expect(await eventually(t.totals, (v) => v.entries === expected.entries && v.exits === expected.exits, 20_000)).toEqual(expected);

    const reasons = await eventually(
      () => dlqReasons(t.bus, t.topics.dlq()),
      (r) => r.length >= 5,
      10_000,
    );
    expect(reasons).toEqual(['bad_magic_byte', 'empty_value', 'out_of_range', 'unknown_schema', 'unknown_sensor']);
  });

  it('announces closed windows, and a late record corrects its closed window and announces the correction', async () => {
    const t = await setup();
    cleanup.push(
      () => t.processor.stop(),
      () => t.store.close(),
    );
    await t.processor.start();
    const notices = async () => {
      const out: { windowStart: number; change: string }[] = [];
      for (const m of t.bus.allMessages().filter((x) => x.topic === t.topics.windows())) {
        const v = (await t.codec.decode(m.value!)).value as { windowStart: number; change: string; dataset: string; source: string };
        expect([v.source, v.dataset]).toEqual(['camera', 'footfall']);
        out.push({ windowStart: v.windowStart, change: v.change });
      }
      return out.sort((a, b) => a.windowStart - b.windowStart); // notices of different windows may be on different partitions
    };
    // One sensor (one partition), one record a minute for 30 minutes: the watermark passes the first windows' ends + 2 minutes.
    await t.produce(Array.from({ length: 30 }, (_, i) => camera(i, { sensorId: 's0' })));
    const closed = await eventually(notices, (n) => n.filter((x) => x.change === 'closed').length >= 5, 20_000);
    expect(closed.filter((x) => x.change === 'closed').map((x) => x.windowStart)).toEqual([0, 1, 2, 3, 4].map((k) => T0 + k * 5 * MIN));
    expect(closed.some((x) => x.change === 'correction')).toBe(false);
    const firstWindow = async () => {
      const [r] = await t.store.query<{ e: string }>(
        'SELECT sum(entries) AS e FROM {db:Identifier}.counts_5m WHERE window_start = toDateTime({w:Int64})',
        { w: T0 / 1000 },
      );
      return Number(r?.e ?? 0);
    };
    const before = await firstWindow();
    await t.produce([camera(1000, { sensorId: 's0', start: T0 + MIN, end: T0 + 2 * MIN, in: 7 })]);
    const after = await eventually(notices, (n) => n.some((x) => x.change === 'correction'), 20_000);
    expect(after.filter((x) => x.change === 'correction')).toEqual([{ windowStart: T0, change: 'correction' }]);
    expect(await firstWindow()).toBe(before + 7);
  });

  it('drops duplicate records — within a batch, across batches and after a restart — so retries change no count', async () => {
    const t = await setup();
    cleanup.push(
      () => t.processor.stop(),
      () => t.store.close(),
    );
    await t.processor.start();
    const records = Array.from({ length: 30 }, (_, i) => camera(i));
    const expected = { entries: records.reduce((a, r) => a + Number(r.in), 0), exits: records.reduce((a, r) => a + Number(r.out), 0) };
    await t.produce([...records, ...records.slice(0, 10)]); // a retry inside one batch
    expect(await eventually(t.totals, (v) => v.entries === expected.entries, 20_000)).toEqual(expected);
    await t.produce(records); // the whole batch again, later
    await t.processor.stop();
    await t.processor.start(); // and again after a restart
    await t.produce(records.slice(5, 15));
    await eventually(
      () => t.bus.committed(t.processor.groupId, t.topics.raw('camera')),
      (cs) => cs.reduce((a, c) => a + (c.offset ?? 0), 0) === 30 + 10 + 30 + 10,
      20_000,
    );
    expect(await t.totals()).toEqual(expected);
  });

  it('drops a duplicate that follows a write in the middle of the same batch', async () => {
    // Three aggregate rows per write: the batch below is written in many pieces.
    const t = await setup(undefined, { PASSAGE_FLUSH_MAX_RECORDS: '3' });
    cleanup.push(
      () => t.processor.stop(),
      () => t.store.close(),
    );
    const records = Array.from({ length: 20 }, (_, i) => camera(i * 5));
    const expected = { entries: records.reduce((a, r) => a + Number(r.in), 0), exits: records.reduce((a, r) => a + Number(r.out), 0) };
    await t.produce([...records, ...records.slice(0, 5)]); // one batch; the repeats come after several writes
    await t.processor.start();
    await eventually(
      () => t.bus.committed(t.processor.groupId, t.topics.raw('camera')),
      (cs) => cs.reduce((a, c) => a + (c.offset ?? 0), 0) === 25,
      20_000,
    );
    expect(await t.totals()).toEqual(expected);
  });

  it('repeats an announced write after a crash between write and commit, without double counting', async () => {
    let inserts = 0;
    const tokens: string[] = [];
    const t = await setup((real) =>
      withInsert(real, async (table, rows, opts) => {
        inserts += 1;
        tokens.push(opts?.dedupToken ?? '');
        await real.insert(table, rows, opts);
        // The first write lands, then the process "dies" before committing (a non-retriable failure).
        if (inserts === 1) throw new PassageError('simulated_crash', 'crash after the write, before the commit');
      }),
    );
    cleanup.push(
      () => t.processor.stop(),
      () => t.store.close(),
    );
    const records = Array.from({ length: 60 }, (_, i) => camera(i, { sensorId: 'same' }));
    await t.produce(records);
    await t.processor.start();
    const expected = { entries: records.reduce((a, r) => a + Number(r.in), 0), exits: records.reduce((a, r) => a + Number(r.out), 0) };
    await eventually(
      () => Promise.resolve(inserts),
      (n) => n >= 2,
      20_000,
    );
    expect(await eventually(t.totals, (v) => v.entries === expected.entries, 10_000)).toEqual(expected);
    expect(tokens[1]).toBe(tokens[0]); // the same range, the same token: the store dropped the repeat
  });

  it('waits for an unreachable schema registry, unready meanwhile, and loses nothing', async () => {
    const t = await setup();
    cleanup.push(
      () => t.processor.stop(),
      () => t.store.close(),
    );
    const records = Array.from({ length: 30 }, (_, i) => camera(i));
    await t.produce(records);
    let failures = 4;
    const decode = t.codec.decode.bind(t.codec);
    t.codec.decode = (buf) =>
      failures-- > 0 ? Promise.reject(new PassageError('registry_unavailable', 'connect ECONNREFUSED', { retriable: true })) : decode(buf);
    const readiness: boolean[] = [];
    const probe = setInterval(() => readiness.push(t.processor.ready()), 20);
    await t.processor.start();
    const expected = { entries: records.reduce((a, r) => a + Number(r.in), 0), exits: records.reduce((a, r) => a + Number(r.out), 0) };
    expect(await eventually(t.totals, (v) => v.entries === expected.entries, 20_000)).toEqual(expected);
    clearInterval(probe);
    expect(readiness).toContain(false);
    expect(t.processor.ready()).toBe(true);
    // Nothing was mistaken for bad data.
    expect(t.bus.endOffsets(t.topics.dlq()).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('recovers from a store outage without losing records', async () => {
    let failures = 3;
    const t = await setup((real) =>
      withInsert(real, async (table, rows, opts) => {
        if (failures-- > 0) throw new PassageError('store_unavailable', 'connection refused', { retriable: true });
        await real.insert(table, rows, opts);
      }),
    );
    cleanup.push(
      () => t.processor.stop(),
      () => t.store.close(),
    );
    await t.processor.start();
    const records = Array.from({ length: 30 }, (_, i) => camera(i));
    await t.produce(records);
    const expected = { entries: records.reduce((a, r) => a + Number(r.in), 0), exits: records.reduce((a, r) => a + Number(r.out), 0) };
    expect(await eventually(t.totals, (v) => v.entries === expected.entries, 20_000)).toEqual(expected);
    expect(t.processor.ready()).toBe(true);
  });
});

/** Reads the reason header of every message on the DLQ topic. */
async function dlqReasons(bus: MemoryBus, topic: string): Promise<string[]> {
  const reasons: string[] = [];
  const sub = await bus.consume({
    groupId: `dlq-reader-${Math.random()}`,
    topics: [topic],
    fromBeginning: true,
    onBatch: (batch, ctx) => {
      for (const m of batch.messages) reasons.push(m.headers[REASON_HEADER] ?? '');
      ctx.resolve(batch.messages.at(-1)!.offset);
      return Promise.resolve();
    },
  });
  await new Promise((r) => setTimeout(r, 300));
  await sub.stop();
  return reasons.sort();
}
