// Window notices (schemas/windows.avsc) on pm.windows.v1: a processor says when a window closed on a
// partition and when a closed window was corrected, after the store write and before the offset
// commit (at least once), keyed by (source, dataset): every notice of one operator's table is on one
// partition, in order, so one releaser (processors/release) owns every release unit of it — a
// coarser bucket spans windows, and two releasers must never number its revisions at once. The
// releaser reads the stored aggregates of the windows named and releases them.

import type { Bus } from '../../shared/bus/types.js';
import { counter } from '../../shared/metrics.js';
import type { SchemaCodec } from '../../shared/registry/types.js';
import { subjectOf, type RawSource, type Topics } from '../../shared/topics.js';

const noticesTotal = counter('window_notices_total', 'Window notices sent to the live feeds, by change (closed, correction)', [
  'source',
  'operator',
  'change',
]);

export interface WindowChange {
  windowStart: number;
  change: 'closed' | 'correction';
  partition: number;
}

export class WindowNotices {
  constructor(
    private readonly bus: Bus,
    private readonly codec: SchemaCodec,
    private readonly topics: Topics,
    private readonly source: RawSource,
    private readonly dataset: string,
  ) {}

  async send(changes: readonly WindowChange[]): Promise<void> {
    if (changes.length === 0) return;
    const subject = subjectOf(this.topics.windows());
    const at = Date.now();
    const messages = await Promise.all(
      changes.map(async (c) => ({
        key: `${this.source}:${this.dataset}`,
        value: await this.codec.encode(subject, { source: this.source, dataset: this.dataset, ...c, at }),
      })),
    );
    await this.bus.produce(this.topics.windows(), messages);
    for (const c of changes) noticesTotal.inc({ source: this.source, operator: this.dataset, change: c.change });
  }
}
