// Validation gate for the raw topics whose aggregation is not built yet (Wi-Fi, telco and
// ticketing: their processors come with the processing issue). It decodes every record, sends an
// unusable one to pm.dlq.v1 with its reason, counts the rest and commits, so a vendor producing
// straight into Kafka learns of bad records at once and no partition stalls on one.

import type { BatchContext, Bus, PartitionBatch, Subscription } from '../../shared/bus/types.js';
import { DeadLetters, type DeadLetter } from '../../shared/dlq.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { counter } from '../../shared/metrics.js';
import type { SchemaCodec } from '../../shared/registry/types.js';
import { withRetry } from '../../shared/retry.js';
import type { RawSource, Topics } from '../../shared/topics.js';
import { decodeRaw } from '../raw/decode.js';

const gateRecords = counter('gate_records_total', 'Raw records checked by the validation gate, by outcome (ok, dlq)', [
  'source',
  'outcome',
]);

export interface GateDeps {
  bus: Bus;
  codec: SchemaCodec;
  topics: Topics;
  logger: Logger;
  maxFutureMs: number;
  sources: RawSource[];
}

export class RawGate {
  readonly groupId: string;
  private readonly dlq: DeadLetters;
  private readonly log: Logger;
  private sub: Subscription | null = null;

  constructor(private readonly deps: GateDeps) {
    this.groupId = `${deps.topics.dlq()}.gate`;
    this.dlq = new DeadLetters(deps.bus, deps.codec, deps.topics, 'processor');
    this.log = deps.logger.child({ component: 'gate' });
  }

  async start(): Promise<void> {
    const bySource = new Map(this.deps.sources.map((s) => [this.deps.topics.raw(s), s]));
    this.sub = await this.deps.bus.consume({
      groupId: this.groupId,
      topics: [...bySource.keys()],
      fromBeginning: true,
      onBatch: (batch, ctx) => this.onBatch(bySource.get(batch.topic)!, batch, ctx),
      onError: (err) => this.log.error({ err: errorMessage(err) }, 'gate batch failed; retrying from the committed offset'),
    });
  }

  async stop(): Promise<void> {
    await this.sub?.stop();
    this.sub = null;
  }

  ready(): boolean {
    return this.sub !== null;
  }

  private async onBatch(source: RawSource, batch: PartitionBatch, ctx: BatchContext): Promise<void> {
    const letters: DeadLetter[] = [];
    for (const m of batch.messages) {
      const r = await decodeRaw(source, m, this.deps.codec, this.deps.maxFutureMs);
      if (r.kind === 'dlq') letters.push({ sourceTopic: batch.topic, message: m, reason: r.reason, error: r.error });
      gateRecords.inc({ source, outcome: r.kind });
    }
    if (!ctx.isRunning()) return;
    if (letters.length > 0) await withRetry(() => this.dlq.send(letters), { keepGoing: () => ctx.isRunning() });
    const last = batch.messages.at(-1)!.offset;
    await ctx.commit(last + 1);
    ctx.resolve(last);
  }
}
