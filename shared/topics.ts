// Topic names and their settings (DESIGN.md, Data flow). An optional prefix lets several deployments
// (or tests) share one cluster; subjects follow TopicNameStrategy: `<topic>-value`.

export const RAW_SOURCES = ['camera', 'wifi', 'telco', 'ticketing'] as const;
export type RawSource = (typeof RAW_SOURCES)[number];
export const CONTEXT_KINDS = ['weather', 'events', 'incidents'] as const;
export type ContextKind = (typeof CONTEXT_KINDS)[number];
export const RELEASE_KINDS = ['presence', 'flows'] as const;
export type ReleaseKind = (typeof RELEASE_KINDS)[number];

/** Partitions of each release topic (pm.agg.<kind>.v1): one, so an offset orders every release of the kind. */
export const RELEASE_PARTITIONS = 1;

export interface TopicSpec {
  name: string;
  partitions: number;
  /** Kafka topic configs, e.g. retention.ms, cleanup.policy. */
  config: Record<string, string>;
}

export class Topics {
  constructor(private readonly prefix = '') {}

  raw(source: RawSource): string {
    return `${this.prefix}pm.raw.${source}.v1`;
  }
  context(kind: ContextKind): string {
    return `${this.prefix}pm.ctx.${kind}.v1`;
  }
  release(kind: ReleaseKind): string {
    return `${this.prefix}pm.agg.${kind}.v1`;
  }
  dlq(): string {
    return `${this.prefix}pm.dlq.v1`;
  }
  /** Processors' window notices (closed, correction) for the live feeds (schemas/windows.avsc). */
  windows(): string {
    return `${this.prefix}pm.windows.v1`;
  }

  /**
   * Every topic Passage owns, with partitions and configs: raw/DLQ/release/window notices delete by
   * age, context compacts by id. Release topics have one partition: their offsets are a total order,
   * the ids a live subscriber resumes from (query-api/live).
   */
  specs(partitions: number, rawRetentionMs: number): TopicSpec[] {
    const byAge = { 'cleanup.policy': 'delete', 'retention.ms': String(rawRetentionMs) };
    return [
      ...RAW_SOURCES.map((s) => ({ name: this.raw(s), partitions, config: byAge })),
      ...CONTEXT_KINDS.map((k) => ({ name: this.context(k), partitions: 1, config: { 'cleanup.policy': 'compact' } })),
      ...RELEASE_KINDS.map((k) => ({ name: this.release(k), partitions: RELEASE_PARTITIONS, config: byAge })),
      { name: this.dlq(), partitions, config: byAge },
      { name: this.windows(), partitions, config: byAge },
    ];
  }
}

export function subjectOf(topic: string): string {
  return `${topic}-value`;
}
