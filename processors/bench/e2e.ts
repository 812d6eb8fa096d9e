// (b) End to end on real Kafka: produces the benchmark input to a fresh topic, then runs the real
// FootfallProcessor (KafkaBus, the schema registry, a ChdbStore) from the beginning and times it until
// its committed offsets reach the topic's end. Reads back counts_5m to check the totals.

import { Kafka, logLevel } from 'kafkajs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { KafkaBus } from '../../shared/bus/kafka.js';
import type { BatchContext, Bus, ConsumeOptions, OutMessage, PartitionBatch, Subscription } from '../../shared/bus/types.js';
import type { Config } from '../../shared/config.js';
import type { Logger } from '../../shared/log.js';
import { ConfluentSchemaRegistry } from '../../shared/registry/confluent.js';
import { LocalSchemaRegistry } from '../../shared/registry/local.js';
import type { SchemaCodec } from '../../shared/registry/types.js';
import { SensorRegistry } from '../../shared/sensors.js';
import type { ChdbStore } from '../../shared/store/chdb.js';
import { migrate } from '../../shared/store/migrate.js';
import { subjectOf, Topics } from '../../shared/topics.js';
import { registerAll } from '../../schemas/index.js';
import { CountedIds } from '../core/counted.js';
import { FootfallProcessor } from '../footfall/processor.js';
import { reframe, type Input } from './generate.js';
import { cpuBetween, cpuSnapshot } from './cpu.js';
import { profiled, type ProfileSummary } from './profile.js';
import { tableStats, TimedStore, type CallTiming, type TableStats } from './storage.js';

export interface E2eResult {
  topic: string;
  partitions: number;
  codec: string;
  produce: { events: number; seconds: number; eventsPerSec: number };
  events: number;
  seconds: number;
  eventsPerSec: number;
  /** False when the timeout stopped the run before every offset was committed (eventsPerSec is then the rate so far). */
  complete: boolean;
  /** CPU of this Node process over the run, in cores (1.0 = one core busy). */
  processCores: number;
  /** Cores used over the run by this process, the Kafka broker, the registry and everything else. */
  cpu: Record<string, number>;
  /** The same while producing. */
  cpuWhileProducing: Record<string, number>;
  /** Share of the run the Node event loop was busy (1.0: the single JS thread was saturated). */
  eventLoopUtilization: number;
  batches: number;
  avgBatchMessages: number;
  /** Summed over partitions handled concurrently, so it can exceed the run's length. */
  timeInOnBatchSeconds: number;
  timeInCommitsSeconds: number;
  commits: number;
  store: Record<string, CallTiming>;
  /** Wall time with at least one store call in flight, and the most calls in flight at once. */
  storeBusySeconds: number;
  storeMaxInFlight: number;
  /** CPU profile of this process's main thread over the run (null with --skip-profile). */
  profile: ProfileSummary | null;
  /** Reading the counted ids of partition 0's busiest hour (what a partition does once per hour), alone after the run: median of 3 (ms), and the ids read. */
  hourReadAloneAtEndMs: number;
  hourReadIds: number;
  check: { rows: number; entries: number; exits: number; expectedEntries: number; expectedExits: number; countedIds: number; ok: boolean };
  storage: TableStats[];
}

/** Whether something accepts TCP connections at host:port within `timeoutMs`. */
export function reachable(hostPort: string, timeoutMs = 3000): Promise<string | null> {
  const i = hostPort.lastIndexOf(':');
  const host = hostPort.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(hostPort.slice(i + 1));
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (problem: string | null): void => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer from ${hostPort} within ${timeoutMs} ms`));
    socket.once('connect', () => done(null));
    socket.once('error', (err) => done(`${hostPort}: ${err.message}`));
  });
}

export async function registryProblem(url: string): Promise<string | null> {
  try {
    const res = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(5000) });
    return res.ok ? null : `${url}/subjects answered ${res.status}`;
  } catch (err) {
    return `${url}: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** Counts batches and times onBatch and commits of the processor's subscription. */
class TimedBus implements Bus {
  readonly kind = 'kafka' as const;
  batches = 0;
  messages = 0;
  onBatchSeconds = 0;
  commitSeconds = 0;
  commits = 0;

  constructor(private readonly inner: Bus) {}

  ensureTopics(...a: Parameters<Bus['ensureTopics']>): Promise<void> {
    return this.inner.ensureTopics(...a);
  }
  produce(topic: string, messages: OutMessage[]): Promise<void> {
    return this.inner.produce(topic, messages);
  }
  committed(...a: Parameters<Bus['committed']>): ReturnType<Bus['committed']> {
    return this.inner.committed(...a);
  }
  offsets(topic: string): ReturnType<Bus['offsets']> {
    return this.inner.offsets(topic);
  }
  ping(): Promise<boolean> {
    return this.inner.ping();
  }
  close(): Promise<void> {
    return this.inner.close();
  }

  consume(opts: ConsumeOptions): Promise<Subscription> {
    return this.inner.consume({
      ...opts,
      onBatch: async (batch: PartitionBatch, ctx: BatchContext) => {
        const t0 = performance.now();
        this.batches += 1;
        this.messages += batch.messages.length;
        try {
          await opts.onBatch(batch, {
            ...ctx,
            commit: async (next, meta) => {
              const c0 = performance.now();
              try {
                await ctx.commit(next, meta);
              } finally {
                this.commits += 1;
                this.commitSeconds += (performance.now() - c0) / 1000;
              }
            },
          });
        } finally {
          this.onBatchSeconds += (performance.now() - t0) / 1000;
        }
      },
    });
  }
}

/**
 * Times what the processor reads for duplicate dropping, alone after the run: the counted ids of
 * partition 0's busiest hour (CountedIds.load, once per partition and hour). Median of 3 (ms).
 */
async function hourReadProbe(store: ChdbStore, topic: string): Promise<{ ms: number; ids: number }> {
  const [busiest] = await store.query<{ h: number; n: string }>(
    `SELECT toUnixTimestamp(hour) AS h, count() AS n FROM {db:Identifier}.counted_ids
     WHERE source = 'camera' AND topic = {topic:String} AND partition = 0 GROUP BY h ORDER BY n DESC LIMIT 1`,
    { topic },
  );
  if (busiest === undefined) return { ms: NaN, ids: 0 };
  const times: number[] = [];
  let ids = 0;
  for (let k = 0; k < 3; k++) {
    const counted = new CountedIds(store, { source: 'camera', topic, partition: 0 });
    const t0 = performance.now();
    await counted.load([Number(busiest.h) * 1000], Number.MAX_SAFE_INTEGER);
    times.push(performance.now() - t0);
    ids = counted.size();
  }
  return { ms: times.sort((a, b) => a - b)[1]!, ids };
}

export async function measureEndToEnd(opts: {
  input: Input;
  brokers: string[];
  registryUrl: string | null;
  partitions: number;
  store: ChdbStore;
  processing: Config['processing'];
  maxFutureMs: number;
  timeoutMs: number;
  logger: Logger;
  runId: string;
  progress: (stage: string, done: number, total: number, extra?: string) => void;
  profile: boolean;
  /** Called once everything is on Kafka (the caller may drop its copy of the input then). */
  onProduced?: () => void;
}): Promise<E2eResult> {
  const { input, brokers, logger } = opts;
  const topics = new Topics(`${opts.runId}.`);
  const topic = topics.raw('camera');
  const bus = new TimedBus(new KafkaBus({ brokers, clientId: `${opts.runId}-bench`, logger }));
  const admin = new Kafka({ clientId: `${opts.runId}-bench-admin`, brokers, logLevel: logLevel.NOTHING }).admin();
  const codec: SchemaCodec = opts.registryUrl !== null ? new ConfluentSchemaRegistry(opts.registryUrl) : new LocalSchemaRegistry();
  let processor: FootfallProcessor | null = null;
  try {
    await admin.connect();
    const wanted = new Set([topic, topics.dlq()]);
    await bus.ensureTopics(topics.specs(opts.partitions, 7 * 86_400_000).filter((s) => wanted.has(s.name)));
    const schemaId = (await registerAll(codec, topics)).get(subjectOf(topic))!;

    // Produce: the same Avro payloads, framed with the id the registry gave the schema.
    const n = input.values.length;
    const chunk = 20_000;
    const p0 = performance.now();
    const pc0 = cpuSnapshot();
    for (let i = 0; i < n; i += chunk) {
      const messages: OutMessage[] = [];
      for (let j = i; j < Math.min(n, i + chunk); j++) {
        messages.push({ key: input.records[j]!.sensorId, value: reframe(input.values[j]!, schemaId) });
      }
      await bus.produce(topic, messages);
      const done = Math.min(n, i + chunk);
      opts.progress('produce', done, n, `${Math.round(done / ((performance.now() - p0) / 1000)).toLocaleString('en')} events/s`);
    }
    const produceSeconds = (performance.now() - p0) / 1000;
    const cpuWhileProducing = cpuBetween(pc0, cpuSnapshot());
    opts.onProduced?.();
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
    const endTotal = [...ends.values()].reduce((a, b) => a + b, 0);

    const store = new TimedStore(opts.store);
    await migrate(opts.store);
    const groupId = `${topic}.footfall`;
    processor = new FootfallProcessor({
      bus,
      codec,
      store,
      sensors: new SensorRegistry(opts.store),
      topics,
      logger,
      processing: opts.processing,
      maxFutureMs: opts.maxFutureMs,
      groupId,
    });

    const cpu0 = process.cpuUsage();
    const c0 = cpuSnapshot();
    const elu0 = performance.eventLoopUtilization();
    const t0 = performance.now();
    let committedTotal = 0;
    let doneAt = t0;
    let complete = false;
    const consume = async (): Promise<void> => {
      await processor!.start();
      while (performance.now() - t0 < opts.timeoutMs) {
        await new Promise((r) => setTimeout(r, 250));
        const committed = await bus.committed(groupId, topic);
        const total = committed.reduce((a, c) => a + (c.offset ?? 0), 0);
        if (total !== committedTotal) doneAt = performance.now();
        committedTotal = total;
        const secs = (performance.now() - t0) / 1000;
        opts.progress('consume', committedTotal, endTotal, `${Math.round(committedTotal / secs).toLocaleString('en')} events/s`);
        if ([...ends].every(([p, high]) => (committed.find((c) => c.partition === p)?.offset ?? 0) >= high)) {
          complete = true;
          return;
        }
      }
    };
    // Sampling every millisecond costs the run about a percent.
    const profile = opts.profile ? await profiled(1000, consume) : (await consume(), null);
    const seconds = ((complete ? doneAt : performance.now()) - t0) / 1000;
    const elu = performance.eventLoopUtilization(elu0);
    const cpu = process.cpuUsage(cpu0);
    const cpuRun = cpuBetween(c0, cpuSnapshot());
    const wall = (performance.now() - t0) / 1000;
    await processor.stop();
    processor = null;

    const [sums] = await opts.store.query<{ rows: string; entries: string; exits: string }>(
      `SELECT count() AS rows, sum(entries) AS entries, sum(exits) AS exits FROM {db:Identifier}.counts_5m FINAL`,
    );
    const [seen] = await opts.store.query<{ n: string }>(`SELECT count() AS n FROM {db:Identifier}.counted_ids FINAL`);
    const check = {
      rows: Number(sums?.rows ?? 0),
      entries: Number(sums?.entries ?? 0),
      exits: Number(sums?.exits ?? 0),
      expectedEntries: input.totals.in,
      expectedExits: input.totals.out,
      countedIds: Number(seen?.n ?? 0),
      ok: false,
    };
    check.ok = complete && check.entries === check.expectedEntries && check.exits === check.expectedExits && check.countedIds === n;
    const storage = await tableStats(opts.store, ['counts_5m', 'counted_ids']);
    const probe = await hourReadProbe(opts.store, topic);
    return {
      topic,
      partitions: ends.size,
      codec: opts.registryUrl !== null ? `schema registry ${opts.registryUrl}` : 'in-process registry (no SCHEMA_REGISTRY_URL)',
      produce: { events: n, seconds: produceSeconds, eventsPerSec: n / produceSeconds },
      events: committedTotal,
      seconds,
      eventsPerSec: committedTotal / seconds,
      complete,
      processCores: (cpu.user + cpu.system) / 1e6 / wall,
      cpu: cpuRun,
      cpuWhileProducing,
      eventLoopUtilization: elu.utilization,
      batches: bus.batches,
      avgBatchMessages: bus.batches === 0 ? 0 : bus.messages / bus.batches,
      timeInOnBatchSeconds: bus.onBatchSeconds,
      timeInCommitsSeconds: bus.commitSeconds,
      commits: bus.commits,
      store: store.timings(),
      hourReadAloneAtEndMs: probe.ms,
      hourReadIds: probe.ids,
      storeBusySeconds: store.busySeconds,
      storeMaxInFlight: store.maxInFlight,
      profile,
      check,
      storage,
    };
  } finally {
    await processor?.stop().catch(() => undefined);
    await bus.close().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await codec.close().catch(() => undefined);
  }
}
