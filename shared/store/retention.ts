// Retention per dataset (PASSAGE_RETENTION_DAYS): a table TTL on every table of the dataset, set at
// start-up after the migrations, changed only when the configured days differ from the table's, and
// removed when they are 0 (keep forever). ClickHouse drops expired rows when it merges parts (and,
// after a change, in a background mutation), so expiry is not to the minute.

import { PassageError } from '../errors.js';
import type { Store } from './types.js';

export const RETENTION_DATASETS = ['counts', 'devices', 'flows', 'context'] as const;
export type RetentionDataset = (typeof RETENTION_DATASETS)[number];
/** Days to keep each dataset; 0: forever. */
export type RetentionDays = Record<RetentionDataset, number>;

/** Longest retention accepted (100 years); DateTime ends in 2106. */
export const MAX_RETENTION_DAYS = 36_500;

/**
 * The tables of each dataset and the time their rows expire by. Aggregates expire by their window;
 * context documents by when they were last received (their version time): a newer version of a
 * document never expires before an older one, so an expiry cannot bring a replaced version back, and
 * a tombstone outlives what it deletes.
 */
export const RETENTION_TABLES: Record<RetentionDataset, { table: string; time: string }[]> = {
  counts: [
    { table: 'counts_5m', time: 'window_start' },
    { table: 'counts_1h', time: 'window_start' },
  ],
  devices: [{ table: 'devices_5m', time: 'window_start' }],
  flows: [{ table: 'flows_5m', time: 'window_start' }],
  context: [
    { table: 'context_weather', time: 'toDateTime(received_at)' },
    { table: 'context_events', time: 'toDateTime(received_at)' },
    { table: 'context_incidents', time: 'toDateTime(received_at)' },
  ],
};

export interface RetentionChange {
  table: string;
  /** Days before the change (null: no TTL). */
  fromDays: number | null;
  /** Days after (null: TTL removed). */
  toDays: number | null;
}

/** The days of a table's TTL as Passage sets it (`<time> + toIntervalDay(n)`), null without a TTL, NaN for any other TTL. */
export function ttlDays(engineFull: string): number | null {
  const ttl = /\sTTL\s(.*?)(?:\sSETTINGS\s|$)/.exec(engineFull)?.[1];
  if (ttl === undefined) return null;
  const days = /^.* \+ toIntervalDay\((?:_CAST\()?(\d+)/.exec(ttl)?.[1];
  return days === undefined ? NaN : Number(days);
}

/** Sets, changes or removes each dataset's TTL to match `days`; idempotent. Returns what it changed. */
export async function applyRetention(store: Store, days: RetentionDays): Promise<RetentionChange[]> {
  const wanted = RETENTION_DATASETS.flatMap((d) => RETENTION_TABLES[d].map((t) => ({ ...t, days: days[d] })));
  const rows = await store.query<{ name: string; engine_full: string }>(
    'SELECT name, engine_full FROM system.tables WHERE database = {db:String} AND name IN {names:Array(String)}',
    { db: store.database, names: wanted.map((w) => w.table) },
  );
  const current = new Map(rows.map((r) => [r.name, ttlDays(r.engine_full)]));
  const changes: RetentionChange[] = [];
  for (const w of wanted) {
    if (!Number.isInteger(w.days) || w.days < 0 || w.days > MAX_RETENTION_DAYS)
      throw new PassageError('invalid_retention', `retention of ${w.table} must be 0–${MAX_RETENTION_DAYS} days, got ${w.days}`);
    if (!current.has(w.table))
      throw new PassageError('missing_table', `table ${store.database}.${w.table} does not exist; migrations first`);
    const now = current.get(w.table)!;
    if (w.days === 0) {
      if (now === null) continue;
      await store.command('ALTER TABLE {db:Identifier}.{t:Identifier} REMOVE TTL', { t: w.table });
      changes.push({ table: w.table, fromDays: Number.isNaN(now) ? null : now, toDays: null });
    } else if (now !== w.days) {
      // NOTE: `time` is a fixed fragment of RETENTION_TABLES; the days are a bound parameter.
      await store.command(`ALTER TABLE {db:Identifier}.{t:Identifier} MODIFY TTL ${w.time} + toIntervalDay({days:UInt32})`, {
        t: w.table,
        days: w.days,
      });
      changes.push({ table: w.table, fromDays: now === null || Number.isNaN(now) ? null : now, toDays: w.days });
    }
  }
  return changes;
}
