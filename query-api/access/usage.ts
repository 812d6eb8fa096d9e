// Metering: rows released per key, tenant, dataset and day (in PASSAGE_TIMEZONE), summed in memory
// and written in batches to `usage` (SummingMergeTree); read back for GET /v1/usage.

import { DateTime } from 'luxon';
import type { Principal } from '../../shared/access.js';
import type { Logger } from '../../shared/log.js';
import type { Store } from '../../shared/store/types.js';
import type { Dataset } from '../datasets.js';
import { BatchWriter, type BatchOptions } from './batch.js';

export interface UsageRow {
  tenantId: string;
  keyId: string;
  dataset: string;
  /** YYYY-MM-DD in the configured time zone. */
  day: string;
  rows: number;
}

interface StoredUsage extends Record<string, unknown> {
  day: string;
  tenant_id: string;
  key_id: string;
  dataset: string;
  rows: number;
}

export interface UsageFilter {
  tenantId?: string;
  keyId?: string;
  dataset?: string;
  /** First and last day (inclusive), YYYY-MM-DD. */
  from?: string;
  to?: string;
}

/** Sums rows of the same key, dataset and day. */
function fold(rows: StoredUsage[]): StoredUsage[] {
  const sums = new Map<string, StoredUsage>();
  for (const r of rows) {
    const k = `${r.tenant_id}\u0000${r.key_id}\u0000${r.dataset}\u0000${r.day}`;
    const acc = sums.get(k);
    if (acc === undefined) sums.set(k, { ...r });
    else acc.rows += r.rows;
  }
  return [...sums.values()];
}

export class UsageMeter {
  private readonly writer: BatchWriter<StoredUsage>;

  constructor(
    private readonly store: Store,
    logger: Logger,
    private readonly timeZone: string,
    opts: BatchOptions = {},
  ) {
    this.writer = new BatchWriter(store, 'usage', logger, fold, opts);
  }

  /** Counts `rows` released to the key of `principal` from `dataset` now. */
  add(principal: Principal, dataset: Dataset, rows: number, at = Date.now()): void {
    if (rows <= 0) return;
    this.writer.add({
      day: DateTime.fromMillis(at, { zone: this.timeZone }).toISODate()!,
      tenant_id: principal.tenantId,
      key_id: principal.keyId,
      dataset,
      rows,
    });
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  close(): Promise<void> {
    return this.writer.close();
  }

  /** Metered rows per key, dataset and day, counted so far (pending rows written first). */
  async query(filter: UsageFilter = {}): Promise<UsageRow[]> {
    await this.flush();
    const rows = await this.store.query<{ tenant_id: string; key_id: string; dataset: string; day_text: string; total: string | number }>(
      `SELECT tenant_id, key_id, dataset, toString(day) AS day_text, sum(rows) AS total
       FROM {db:Identifier}.usage
       WHERE ({anyTenant:Bool} OR tenant_id = {tenant:String})
         AND ({anyKey:Bool} OR key_id = {key:String})
         AND ({anyDataset:Bool} OR dataset = {dataset:String})
         AND day >= {from:Date} AND day <= {to:Date}
       GROUP BY tenant_id, key_id, dataset, day
       ORDER BY day, tenant_id, key_id, dataset`,
      {
        anyTenant: filter.tenantId === undefined,
        tenant: filter.tenantId ?? '',
        anyKey: filter.keyId === undefined,
        key: filter.keyId ?? '',
        anyDataset: filter.dataset === undefined,
        dataset: filter.dataset ?? '',
        from: filter.from ?? '1970-01-01',
        to: filter.to ?? '2149-06-06',
      },
    );
    return rows.map((r) => ({ tenantId: r.tenant_id, keyId: r.key_id, dataset: r.dataset, day: r.day_text, rows: Number(r.total) }));
  }
}
