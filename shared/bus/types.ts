// The bus interface: produce with key and headers; consume as a group in per-partition batches;
// commit offsets explicitly, with metadata. Implemented on Kafka (kafkajs) and in-process.

import type { TopicSpec } from '../topics.js';

export interface OutMessage {
  key: string | Buffer | null;
  value: Buffer | null;
  headers?: Record<string, string>;
  /** Event time of the message (ms); defaults to now. */
  timestamp?: number;
}

export interface InMessage {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  timestamp: number;
}

export interface PartitionBatch {
  topic: string;
  partition: number;
  /** In offset order; never empty. */
  messages: InMessage[];
}

export interface BatchContext {
  /** Moves this consumer's position past `offset` (not durable; see commit). Unresolved messages are delivered again. */
  resolve(offset: number): void;
  /** Durably commits `nextOffset` (the first offset not yet processed) with optional metadata. */
  commit(nextOffset: number, metadata?: string): Promise<void>;
  heartbeat(): Promise<void>;
  /**
   * After this batch returns, read the partition again from `offset` (the rest of this batch is
   * dropped). Processors with keyed state use it to replay messages before their committed offset
   * into that state after a restart or rebalance.
   */
  seek(offset: number): void;
  /** False once the consumer is stopping or a rebalance made this batch stale: stop work, commit nothing. */
  isRunning(): boolean;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface ConsumeOptions {
  groupId: string;
  topics: string[];
  /** Where a group without committed offsets starts. */
  fromBeginning: boolean;
  onBatch(batch: PartitionBatch, ctx: BatchContext): Promise<void>;
  /**
   * Called when the positions of `partitions` go back to their committed offsets — a new assignment
   * (`whole`: these are all the member's partitions now) or a failed batch — so state built from
   * their uncommitted messages must be dropped.
   */
  onRewind?(partitions: TopicPartition[], whole: boolean): void;
  /** Called when onBatch threw; that partition is then rewound to its committed offset after a backoff. */
  onError?(err: unknown): void;
}

export interface Subscription {
  stop(): Promise<void>;
}

export interface CommittedOffset {
  partition: number;
  /** Next offset to read; null when the group never committed on this partition. */
  offset: number | null;
  metadata: string | null;
}

/** The offsets a partition holds: `low` is its earliest retained offset, `high` the next offset to be written. */
export interface PartitionOffsets {
  partition: number;
  low: number;
  high: number;
}

export interface Bus {
  readonly kind: 'kafka' | 'memory';
  /** Creates missing topics with their partitions and configs (existing ones are left alone). */
  ensureTopics(specs: TopicSpec[]): Promise<void>;
  produce(topic: string, messages: OutMessage[]): Promise<void>;
  consume(opts: ConsumeOptions): Promise<Subscription>;
  committed(groupId: string, topic: string): Promise<CommittedOffset[]>;
  /** The earliest retained and the next offset of every partition of `topic` (readers that start near the end). */
  offsets(topic: string): Promise<PartitionOffsets[]>;
  /** True when the bus can take and serve messages now. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
