// In-process bus for embedded mode: the same contract as the Kafka bus (partitions by key, group
// offsets with metadata, redelivery of unresolved messages, a failed batch's partition rewound to
// its committed offset), kept in memory. One consumer per group.

import { PassageError } from '../errors.js';
import type { TopicSpec } from '../topics.js';
import type {
  Bus,
  CommittedOffset,
  ConsumeOptions,
  InMessage,
  OutMessage,
  PartitionOffsets,
  Subscription,
  TopicPartition,
} from './types.js';

export interface MemoryBusOptions {
  /** Most messages handed to one onBatch call (default 5000). */
  maxBatchMessages?: number;
  /** Wait after a failed batch before restarting from the committed offsets (ms, default 500). */
  retryBackoffMs?: number;
}

/** FNV-1a over the key bytes: stable partitioning, like Kafka's keyed partitioner (not the same hash). */
function hashKey(key: Buffer): number {
  let h = 0x811c9dc5;
  for (const b of key) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  private readonly topics = new Map<string, InMessage[][]>();
  private readonly commits = new Map<string, Map<string, { offset: number; metadata: string | null }>>();
  private readonly activeGroups = new Set<string>();
  private waiters: (() => void)[] = [];
  private roundRobin = 0;
  private readonly maxBatch: number;
  private readonly retryBackoffMs: number;

  constructor(opts: MemoryBusOptions = {}) {
    this.maxBatch = opts.maxBatchMessages ?? 5000;
    this.retryBackoffMs = opts.retryBackoffMs ?? 500;
  }

  ensureTopics(specs: TopicSpec[]): Promise<void> {
    for (const s of specs) {
      if (!this.topics.has(s.name))
        this.topics.set(
          s.name,
          Array.from({ length: s.partitions }, () => []),
        );
    }
    return Promise.resolve();
  }

  produce(topic: string, messages: OutMessage[]): Promise<void> {
    const parts = this.topics.get(topic);
    if (parts === undefined) return Promise.reject(new PassageError('unknown_topic', `topic ${topic} does not exist`));
    for (const m of messages) {
      const key = m.key === null ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key);
      const partition = key === null ? this.roundRobin++ % parts.length : hashKey(key) % parts.length;
      const log = parts[partition]!;
      log.push({
        topic,
        partition,
        offset: log.length,
        key,
        value: m.value,
        headers: { ...(m.headers ?? {}) },
        timestamp: m.timestamp ?? Date.now(),
      });
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
    return Promise.resolve();
  }

  /** Every message on every topic (tests scan them, e.g. for raw identifiers). */
  allMessages(): InMessage[] {
    return [...this.topics.values()].flatMap((parts) => parts.flat());
  }

  /** Highest offset + 1 of every partition of `topic` (for tests and lag). */
  endOffsets(topic: string): number[] {
    return (this.topics.get(topic) ?? []).map((p) => p.length);
  }

  offsets(topic: string): Promise<PartitionOffsets[]> {
    const parts = this.topics.get(topic);
    if (parts === undefined) return Promise.reject(new PassageError('unknown_topic', `topic ${topic} does not exist`));
    // Nothing is ever deleted here: every partition still holds its offset 0.
    return Promise.resolve(parts.map((p, partition) => ({ partition, low: 0, high: p.length })));
  }

  committed(groupId: string, topic: string): Promise<CommittedOffset[]> {
    const parts = this.topics.get(topic) ?? [];
    const c = this.commits.get(groupId);
    return Promise.resolve(
      parts.map((_, partition) => {
        const e = c?.get(`${topic}:${partition}`);
        return { partition, offset: e?.offset ?? null, metadata: e?.metadata ?? null };
      }),
    );
  }

  consume(opts: ConsumeOptions): Promise<Subscription> {
    if (this.activeGroups.has(opts.groupId)) {
      return Promise.reject(
        new PassageError('group_busy', `the in-process bus runs one consumer per group; ${opts.groupId} already has one`),
      );
    }
    for (const t of opts.topics)
      if (!this.topics.has(t)) return Promise.reject(new PassageError('unknown_topic', `topic ${t} does not exist`));
    this.activeGroups.add(opts.groupId);
    let running = true;
    const commits = this.commits.get(opts.groupId) ?? new Map<string, { offset: number; metadata: string | null }>();
    this.commits.set(opts.groupId, commits);
    const assigned: TopicPartition[] = opts.topics.flatMap((topic) =>
      this.topics.get(topic)!.map((_, partition) => ({ topic, partition })),
    );
    const positions = new Map<string, number>();
    const rewind = (tps: TopicPartition[], whole: boolean): void => {
      for (const tp of tps) {
        const k = `${tp.topic}:${tp.partition}`;
        positions.set(k, commits.get(k)?.offset ?? (opts.fromBeginning ? 0 : this.topics.get(tp.topic)![tp.partition]!.length));
      }
      opts.onRewind?.(tps, whole);
    };

    const loop = async (): Promise<void> => {
      rewind(assigned, true);
      while (running) {
        let delivered = false;
        for (const tp of assigned) {
          if (!running) break;
          const k = `${tp.topic}:${tp.partition}`;
          const log = this.topics.get(tp.topic)![tp.partition]!;
          const from = positions.get(k)!;
          if (from >= log.length) continue;
          delivered = true;
          const messages = log.slice(from, from + this.maxBatch);
          let resolved = from;
          let seekTo: number | null = null;
          try {
            await opts.onBatch(
              { topic: tp.topic, partition: tp.partition, messages },
              {
                resolve: (offset) => {
                  resolved = Math.max(resolved, offset + 1);
                },
                commit: (nextOffset, metadata) => {
                  commits.set(k, { offset: nextOffset, metadata: metadata ?? null });
                  return Promise.resolve();
                },
                heartbeat: () => Promise.resolve(),
                seek: (offset) => {
                  seekTo = offset;
                },
                isRunning: () => running,
              },
            );
            positions.set(k, seekTo ?? resolved);
          } catch (err) {
            opts.onError?.(err);
            await new Promise((r) => setTimeout(r, this.retryBackoffMs));
            rewind([tp], false);
          }
        }
        if (!delivered && running)
          await new Promise<void>((r) => {
            const t = setTimeout(r, 200);
            this.waiters.push(() => {
              clearTimeout(t);
              r();
            });
          });
      }
    };
    const done = loop();
    return Promise.resolve({
      stop: async () => {
        running = false;
        for (const w of this.waiters.splice(0)) w();
        await done;
        this.activeGroups.delete(opts.groupId);
      },
    });
  }

  ping(): Promise<boolean> {
    return Promise.resolve(true);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
