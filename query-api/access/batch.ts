// Batched inserts off the request path: rows wait in memory and are written every `flushMs` (and
// on flush()/close()). A batch keeps its deduplication token until it is written, so a retried
// insert that had in fact landed is not written twice. While the store is down, batches wait (up to
// `maxPending` rows; beyond that the oldest are dropped and counted).

import { randomUUID } from 'node:crypto';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { counter } from '../../shared/metrics.js';
import type { Store } from '../../shared/store/types.js';

const written = counter('access_rows_written_total', 'Usage and audit rows written to the store', ['table']);
const dropped = counter('access_rows_dropped_total', 'Usage and audit rows dropped while the store was unavailable', ['table']);
const failures = counter('access_flush_failures_total', 'Failed usage and audit flushes (retried)', ['table']);

export interface BatchOptions {
  /** Write every this many ms (default 1000). */
  flushMs?: number;
  /** Rows kept while the store is down before the oldest are dropped (default 100,000). */
  maxPending?: number;
}

export class BatchWriter<R extends Record<string, unknown>> {
  private pending: R[] = [];
  /** Batches cut for writing, each with its token, oldest first. */
  private readonly cut: { token: string; rows: R[] }[] = [];
  private flushing: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;
  private readonly maxPending: number;

  constructor(
    private readonly store: Store,
    private readonly table: string,
    private readonly logger: Logger,
    /** Folds rows before writing (usage sums per key and day); identity by default. */
    private readonly fold: (rows: R[]) => R[] = (rows) => rows,
    opts: BatchOptions = {},
  ) {
    this.maxPending = opts.maxPending ?? 100_000;
    this.timer = setInterval(() => void this.flush().catch(() => undefined), opts.flushMs ?? 1000);
    this.timer.unref();
  }

  add(row: R): void {
    this.pending.push(row);
    const waiting = this.pending.length + this.cut.reduce((n, b) => n + b.rows.length, 0);
    if (waiting > this.maxPending) {
      const drop = this.cut.length > 0 ? this.cut.shift()!.rows.length : this.pending.splice(0, waiting - this.maxPending).length;
      dropped.inc({ table: this.table }, drop);
      this.logger.warn({ table: this.table, dropped: drop }, 'store unavailable: dropped the oldest pending rows');
    }
  }

  /** Writes everything added so far; rejects (keeping the rows) when the store fails. */
  async flush(): Promise<void> {
    while (this.flushing !== null) await this.flushing.catch(() => undefined);
    if (this.pending.length > 0) {
      this.cut.push({ token: `${this.table}:${randomUUID()}`, rows: this.fold(this.pending) });
      this.pending = [];
    }
    if (this.cut.length === 0) return;
    this.flushing = (async () => {
      while (this.cut.length > 0) {
        const batch = this.cut[0]!;
        try {
          await this.store.insert(this.table, batch.rows, { dedupToken: batch.token });
        } catch (err) {
          failures.inc({ table: this.table });
          this.logger.warn({ table: this.table, err: errorMessage(err) }, 'flush failed; retrying on the next tick');
          throw err;
        }
        this.cut.shift();
        written.inc({ table: this.table }, batch.rows.length);
      }
    })().finally(() => (this.flushing = null));
    return this.flushing;
  }

  /** Stops the timer and writes what is left (best effort: a failure is logged). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush().catch(() => undefined);
  }
}
