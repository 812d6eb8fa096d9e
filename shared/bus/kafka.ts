// Kafka bus on kafkajs: topic provisioning, an idempotent producer (acks=all), and group consumers
// that process per-partition batches with explicit offset commits (never auto-commit).
// kafkajs errors are translated to PassageError at this boundary, keeping their `retriable` flag.

import { Kafka, Partitioners, logLevel, type Admin, type Consumer, type Producer, type LogEntry } from 'kafkajs';
import { PassageError, errorMessage } from '../errors.js';
import { withRetry } from '../retry.js';
import type { Logger } from '../log.js';
import type { TopicSpec } from '../topics.js';
import type { Bus, CommittedOffset, ConsumeOptions, OutMessage, PartitionOffsets, Subscription } from './types.js';

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** Session timeout of group members (ms, default 30 s). */
  sessionTimeoutMs?: number;
}

function translate(err: unknown, what: string): PassageError {
  if (err instanceof PassageError) return err;
  const retriable = typeof err === 'object' && err !== null && 'retriable' in err ? Boolean(err.retriable) : true;
  return new PassageError(retriable ? 'bus_unavailable' : 'bus_error', `${what}: ${errorMessage(err)}`, {
    retriable,
    status: 503,
    cause: err,
  });
}

function headersOf(h: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) {
    if (v === undefined) continue;
    const first: unknown = Array.isArray(v) ? v[0] : v;
    out[k] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return out;
}

export class KafkaBus implements Bus {
  readonly kind = 'kafka' as const;
  private readonly kafka: Kafka;
  private readonly admin: Admin;
  private readonly producer: Producer;
  private connected: Promise<void> | null = null;
  private readonly consumers = new Set<Consumer>();

  constructor(private readonly opts: KafkaBusOptions) {
    const log = opts.logger.child({ component: 'kafkajs' });
    this.kafka = new Kafka({
      clientId: opts.clientId,
      brokers: opts.brokers,
      retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 30_000 },
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ level, log: entry }: LogEntry) => {
          const { message, ...rest } = entry;
          if (level <= logLevel.ERROR) log.error(rest, message);
          else log.warn(rest, message);
        },
    });
    this.admin = this.kafka.admin();
    this.producer = this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  }

  private connect(): Promise<void> {
    this.connected ??= Promise.all([this.admin.connect(), this.producer.connect()]).then(
      () => undefined,
      (err: unknown) => {
        this.connected = null;
        throw translate(err, `connecting to Kafka at ${this.opts.brokers.join(',')}`);
      },
    );
    return this.connected;
  }

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    await this.connect();
    try {
      const existing = new Set(await this.admin.listTopics());
      const missing = specs.filter((s) => !existing.has(s.name));
      if (missing.length === 0) return;
      await this.admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.name,
          numPartitions: s.partitions,
          configEntries: Object.entries(s.config).map(([name, value]) => ({ name, value })),
        })),
      });
    } catch (err) {
      // Another instance creating the same topics at the same moment is fine.
      if (typeof err === 'object' && err !== null && 'type' in err && err.type === 'TOPIC_ALREADY_EXISTS') return;
      throw translate(err, 'creating topics');
    }
  }

  async produce(topic: string, messages: OutMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.connect();
    try {
      await this.producer.send({
        topic,
        acks: -1,
        messages: messages.map((m) => ({
          key: m.key,
          value: m.value,
          headers: m.headers ?? {},
          ...(m.timestamp === undefined ? {} : { timestamp: String(m.timestamp) }),
        })),
      });
    } catch (err) {
      throw translate(err, `producing to ${topic}`);
    }
  }

  async consume(opts: ConsumeOptions): Promise<Subscription> {
    await this.connect();
    const consumer = this.kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: this.opts.sessionTimeoutMs ?? 30_000,
      allowAutoTopicCreation: false,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 30_000 },
    });
    let stopping = false;
    // Our own commits per partition: where a failed batch's partition is rewound to.
    const committedHere = new Map<string, number>();
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      committedHere.clear();
      const assignment = e.payload.memberAssignment as Record<string, number[]>;
      opts.onRewind?.(
        Object.entries(assignment).flatMap(([topic, parts]) => parts.map((partition) => ({ topic, partition }))),
        true,
      );
    });
    consumer.on(consumer.events.CRASH, (e) => opts.onError?.(e.payload.error));
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: opts.topics, fromBeginning: opts.fromBeginning });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 4,
        eachBatch: async (payload) => {
          const { batch } = payload;
          const isRunning = (): boolean => payload.isRunning();
          if (batch.messages.length === 0) return;
          const tpKey = `${batch.topic}:${batch.partition}`;
          let seekTo: number | null = null;
          try {
            await opts.onBatch(
              {
                topic: batch.topic,
                partition: batch.partition,
                messages: batch.messages.map((m) => ({
                  topic: batch.topic,
                  partition: batch.partition,
                  offset: Number(m.offset),
                  key: m.key,
                  value: m.value,
                  headers: headersOf(m.headers),
                  timestamp: Number(m.timestamp),
                })),
              },
              {
                resolve: (offset) => payload.resolveOffset(String(offset)),
                commit: async (nextOffset, metadata) => {
                  try {
                    await consumer.commitOffsets([
                      { topic: batch.topic, partition: batch.partition, offset: String(nextOffset), metadata: metadata ?? null },
                    ]);
                    committedHere.set(tpKey, nextOffset);
                  } catch (err) {
                    throw translate(err, `committing ${batch.topic}/${batch.partition}@${nextOffset}`);
                  }
                },
                heartbeat: () => payload.heartbeat(),
                seek: (offset) => {
                  seekTo = offset;
                },
                isRunning: () => !stopping && payload.isRunning() && !payload.isStale(),
              },
            );
            if (seekTo !== null && isRunning()) consumer.seek({ topic: batch.topic, partition: batch.partition, offset: String(seekTo) });
          } catch (err) {
            // NOTE: kafkajs would retry the batch from the last *resolved* offset; Passage's contract
            // is a rewind to the committed offset (processors hold uncommitted state), so seek there.
            opts.onError?.(err);
            if (stopping || !isRunning()) return;
            await new Promise((r) => setTimeout(r, 1000));
            const offset =
              committedHere.get(tpKey) ?? (await this.rewindTarget(opts.groupId, batch.topic, batch.partition, opts.fromBeginning));
            consumer.seek({ topic: batch.topic, partition: batch.partition, offset: String(offset) });
            opts.onRewind?.([{ topic: batch.topic, partition: batch.partition }], false);
          }
        },
      });
    } catch (err) {
      await consumer.disconnect().catch(() => undefined);
      throw translate(err, `starting consumer group ${opts.groupId}`);
    }
    this.consumers.add(consumer);
    return {
      stop: async () => {
        stopping = true;
        this.consumers.delete(consumer);
        await consumer.disconnect();
      },
    };
  }

  /** The committed offset of a partition, else where the group starts (earliest or latest). */
  private async rewindTarget(groupId: string, topic: string, partition: number, fromBeginning: boolean): Promise<number> {
    const c = (await this.committed(groupId, topic)).find((x) => x.partition === partition)?.offset ?? null;
    if (c !== null) return c;
    const offsets = await this.admin.fetchTopicOffsets(topic);
    const p = offsets.find((o) => o.partition === partition);
    return Number(fromBeginning ? (p?.low ?? 0) : (p?.high ?? 0));
  }

  /**
   * The group's committed offsets with their metadata. kafkajs's admin does not retry a coordinator
   * that is moving or still loading (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS), so retriable
   * errors are retried here for up to 15 s before they reach the caller.
   */
  async committed(groupId: string, topic: string): Promise<CommittedOffset[]> {
    await this.connect();
    const until = Date.now() + 15_000;
    try {
      const res = await withRetry(() => this.admin.fetchOffsets({ groupId, topics: [topic] }), {
        initialDelayMs: 100,
        maxDelayMs: 2_000,
        keepGoing: () => Date.now() < until,
      });
      return (res[0]?.partitions ?? []).map((p) => ({
        partition: p.partition,
        offset: Number(p.offset) < 0 ? null : Number(p.offset),
        metadata: p.metadata ?? null,
      }));
    } catch (err) {
      throw translate(err, `fetching offsets of ${groupId}`);
    }
  }

  /** The offsets of every partition of `topic`; a leader still moving (a topic just made) is retried for up to 15 s. */
  async offsets(topic: string): Promise<PartitionOffsets[]> {
    await this.connect();
    const until = Date.now() + 15_000;
    try {
      const res = await withRetry(() => this.admin.fetchTopicOffsets(topic), {
        initialDelayMs: 100,
        maxDelayMs: 2_000,
        keepGoing: () => Date.now() < until,
      });
      return res
        .map((p) => ({ partition: p.partition, low: Number(p.low), high: Number(p.high) }))
        .sort((a, b) => a.partition - b.partition);
    } catch (err) {
      throw translate(err, `fetching the offsets of ${topic}`);
    }
  }

  async ping(): Promise<boolean> {
    try {
      await this.connect();
      await this.admin.describeCluster();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.disconnect().catch(() => undefined)));
    this.consumers.clear();
    if (this.connected !== null) {
      await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
      this.connected = null;
    }
  }
}
