// In-process bus for embedded mode: the same contract as the Kafka bus (partitions by key, group
// offsets with metadata, redelivery of unresolved messages, a failed batch's partition rewound to
// its committed offset), kept in memory. One consumer per group.
//
// Retention, so a long-running embedded process does not grow without bound: a message is dropped
// once it is older than `retainMs` and every group that reads its topic is past it — running groups
// by what they have read and committed, stopped ones by what they committed (they may come back); a
// group that never commits (the live hub, its resume readers) is forgotten when it stops. A topic no
// group reads here (the DLQ) keeps its messages for its `retention.ms`. Compacted topics (context
// documents, a few an hour) are kept whole. A position below what a partition still holds starts at
// its earliest message, like Kafka's auto.offset.reset=earliest.

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
  /**
   * Messages every running consumer is past are kept this long for replays and resumes (ms, default
   * 4 h: the longest keyed state, a ticketing journey of 3 h, plus lateness; the live hub's resumes).
   */
  retainMs?: number;
  /** The clock of retention (tests). */
  now?: () => number;
}

/** FNV-1a over the key bytes: stable partitioning, like Kafka's keyed partitioner (not the same hash). */
function hashKey(key: Buffer): number {
  let h = 0x811c9dc5;
  for (const b of key) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/** One partition: its messages from offset `base` on. */
class Log {
  base = 0;
  messages: InMessage[] = [];

  get end(): number {
    return this.base + this.messages.length;
  }

  /** Up to `max` messages from `offset` (clamped to what is held). */
  read(offset: number, max: number): InMessage[] {
    const from = Math.max(offset, this.base) - this.base;
    return this.messages.slice(from, from + max);
  }

  /** Drops the messages before `offset`. */
  dropBefore(offset: number): void {
    const n = Math.min(offset, this.end) - this.base;
    if (n <= 0) return;
    this.messages = this.messages.slice(n);
    this.base += n;
  }
}

interface Topic {
  logs: Log[];
  /** Kafka's retention.ms of the topic; Infinity for compacted topics or none given. */
  retentionMs: number;
  compacted: boolean;
}

/** How far each running consumer of a topic is: per partition, the lower of its committed offset and its position. */
type Progress = (topic: string, partition: number) => number;

export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  private readonly topics = new Map<string, Topic>();
  private readonly commits = new Map<string, Map<string, { offset: number; metadata: string | null }>>();
  private readonly activeGroups = new Set<string>();
  /** How far each group reading here is (running, or stopped after committing), by group. */
  private readonly progress = new Map<string, { topics: Set<string>; at: Progress }>();
  private waiters: (() => void)[] = [];
  private roundRobin = 0;
  private lastTrim = 0;
  private readonly maxBatch: number;
  private readonly retryBackoffMs: number;
  private readonly retainMs: number;
  private readonly now: () => number;

  constructor(opts: MemoryBusOptions = {}) {
    this.maxBatch = opts.maxBatchMessages ?? 5000;
    this.retryBackoffMs = opts.retryBackoffMs ?? 500;
    this.retainMs = opts.retainMs ?? 4 * 3600_000;
    this.now = opts.now ?? Date.now;
  }

  ensureTopics(specs: TopicSpec[]): Promise<void> {
    for (const s of specs) {
      if (this.topics.has(s.name)) continue;
      const compacted = s.config['cleanup.policy'] === 'compact';
      const retention = Number(s.config['retention.ms']);
      this.topics.set(s.name, {
        logs: Array.from({ length: s.partitions }, () => new Log()),
        retentionMs: !compacted && Number.isFinite(retention) && retention > 0 ? retention : Infinity,
        compacted,
      });
    }
    return Promise.resolve();
  }

  produce(topic: string, messages: OutMessage[]): Promise<void> {
    const t = this.topics.get(topic);
    if (t === undefined) return Promise.reject(new PassageError('unknown_topic', `topic ${topic} does not exist`));
    const parts = t.logs;
    for (const m of messages) {
      const key = m.key === null ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key);
      const partition = key === null ? this.roundRobin++ % parts.length : hashKey(key) % parts.length;
      const log = parts[partition]!;
      log.messages.push({
        topic,
        partition,
        offset: log.end,
        key,
        value: m.value,
        headers: { ...(m.headers ?? {}) },
        timestamp: m.timestamp ?? Date.now(),
      });
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
    if (this.now() - this.lastTrim >= 1000) this.trim();
    return Promise.resolve();
  }

  /** Drops what retention allows (see the top of this file); called at most once a second by produce. */
  trim(): void {
    const now = this.now();
    this.lastTrim = now;
    for (const [name, t] of this.topics) {
      if (t.compacted) continue;
      const readers = [...this.progress.values()].filter((p) => p.topics.has(name));
      const keepMs = readers.length === 0 ? t.retentionMs : this.retainMs;
      t.logs.forEach((log, partition) => {
        const consumed = Math.min(...readers.map((r) => r.at(name, partition)));
        let drop = log.base;
        for (const m of log.messages) {
          if (m.offset < consumed && now - m.timestamp > keepMs) drop = m.offset + 1;
          else break;
        }
        log.dropBefore(drop);
      });
    }
  }

  /** Every message on every topic still held (tests scan them, e.g. for raw identifiers). */
  allMessages(): InMessage[] {
    return [...this.topics.values()].flatMap((t) => t.logs.flatMap((l) => l.messages));
  }

  /** Highest offset + 1 of every partition of `topic` (for tests and lag). */
  endOffsets(topic: string): number[] {
    return (this.topics.get(topic)?.logs ?? []).map((l) => l.end);
  }

  offsets(topic: string): Promise<PartitionOffsets[]> {
    const t = this.topics.get(topic);
    if (t === undefined) return Promise.reject(new PassageError('unknown_topic', `topic ${topic} does not exist`));
    return Promise.resolve(t.logs.map((l, partition) => ({ partition, low: l.base, high: l.end })));
  }

  committed(groupId: string, topic: string): Promise<CommittedOffset[]> {
    const logs = this.topics.get(topic)?.logs ?? [];
    const c = this.commits.get(groupId);
    return Promise.resolve(
      logs.map((_, partition) => {
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
    const logOf = (tp: TopicPartition): Log => this.topics.get(tp.topic)!.logs[tp.partition]!;
    const assigned: TopicPartition[] = opts.topics.flatMap((topic) =>
      this.topics.get(topic)!.logs.map((_, partition) => ({ topic, partition })),
    );
    const positions = new Map<string, number>();
    // A group that never commits (the live hub) is as far as it has read.
    this.progress.set(opts.groupId, {
      topics: new Set(opts.topics),
      at: (topic, partition) => {
        const k = `${topic}:${partition}`;
        const position = positions.get(k) ?? 0;
        return Math.min(position, commits.get(k)?.offset ?? position);
      },
    });
    const rewind = (tps: TopicPartition[], whole: boolean): void => {
      for (const tp of tps) {
        const k = `${tp.topic}:${tp.partition}`;
        positions.set(k, commits.get(k)?.offset ?? (opts.fromBeginning ? logOf(tp).base : logOf(tp).end));
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
          const log = logOf(tp);
          const messages = log.read(positions.get(k)!, this.maxBatch);
          if (messages.length === 0) continue;
          delivered = true;
          const from = messages[0]!.offset;
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
            // A batch that moved nothing forward (nothing resolved, or a seek back) comes again: let
            // timers and I/O run first rather than spin on promises.
            if (positions.get(k)! <= from) await new Promise((r) => setImmediate(r));
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
        // Its positions stay as they were; one that never committed will not come back for them.
        if (commits.size === 0) this.progress.delete(opts.groupId);
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
