// Dead letters: records Passage cannot use go to pm.dlq.v1 with the reason in the headers and in an
// Avro envelope that keeps the original bytes, and are counted by stage and reason.

import type { Bus, InMessage } from './bus/types.js';
import { counter } from './metrics.js';
import type { SchemaCodec } from './registry/types.js';
import { subjectOf, type Topics } from './topics.js';

const dlqRecords = counter('dlq_records_total', 'Records sent to the dead-letter topic', ['stage', 'reason']);

export interface DeadLetter {
  sourceTopic: string;
  message?: Pick<InMessage, 'partition' | 'offset' | 'key' | 'value'>;
  /** snake_case reason, e.g. bad_magic_byte. */
  reason: string;
  error: string;
}

export const REASON_HEADER = 'passage-reason';

export class DeadLetters {
  constructor(
    private readonly bus: Bus,
    private readonly codec: SchemaCodec,
    private readonly topics: Topics,
    private readonly stage: 'ingest' | 'processor',
  ) {}

  async send(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const subject = subjectOf(this.topics.dlq());
    const now = Date.now();
    const messages = await Promise.all(
      letters.map(async (l) => ({
        key: l.message?.key ?? null,
        value: await this.codec.encode(subject, {
          sourceTopic: l.sourceTopic,
          partition: l.message?.partition ?? null,
          offset: l.message === undefined ? null : String(l.message.offset),
          key: l.message?.key ?? null,
          value: l.message?.value ?? null,
          reason: l.reason,
          error: l.error,
          stage: this.stage,
          at: now,
        }),
        headers: {
          [REASON_HEADER]: l.reason,
          'passage-error': l.error.slice(0, 1000),
          'passage-stage': this.stage,
          'passage-source-topic': l.sourceTopic,
          ...(l.message === undefined
            ? {}
            : { 'passage-source-partition': String(l.message.partition), 'passage-source-offset': String(l.message.offset) }),
        },
      })),
    );
    await this.bus.produce(this.topics.dlq(), messages);
    for (const l of letters) dlqRecords.inc({ stage: this.stage, reason: l.reason });
  }
}
