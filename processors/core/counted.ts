// Duplicate dropping for operators whose records carry no identity (counts): the ids a partition
// has counted, by the hour of the record's event time (counted_ids, migration 0010). A copy of a
// record has its id and its hour, and arrives on its partition (records are keyed by sensor), so a
// partition needs only its own ids of the hours its records fall in: it reads an hour's ids once,
// when the first record of that hour comes, and keeps them while the hour is among the latest few
// it has seen — a live stream reads each hour once, a late record of an older hour reads that hour
// again. Ids this partition wrote at or after its first uncommitted offset are left out of a read:
// only the repeat of an unfinished write (processors/core/processor.ts) can hold them.

import { HOUR_MS } from '../../shared/time.js';
import type { Store } from '../../shared/store/types.js';

/** Where a write inserts the ids it counted: {source, topic, partition, hour (s), record_id, offset}. */
export const COUNTED_IDS_TABLE = 'counted_ids';

/** Hours kept in memory behind the latest hour a partition has seen (the latest included). */
export const RECENT_HOURS = 3;

/** The ids of some hours of one partition: a range of the primary key per hour (counted.test.ts checks the plan). */
export const LOAD_SQL = `SELECT toUnixTimestamp(hour) AS h, record_id FROM {db:Identifier}.counted_ids
  WHERE source = {source:String} AND topic = {topic:String} AND partition = {partition:UInt32}
    AND hour IN {hours:Array(DateTime('UTC'))} AND offset < {from:UInt64}`;

export function hourOf(eventMs: number): number {
  return Math.floor(eventMs / HOUR_MS) * HOUR_MS;
}

export class CountedIds {
  private readonly hours = new Map<number, Set<string>>();
  private latest = -Infinity;

  constructor(
    private readonly store: Store,
    private readonly where: { source: string; topic: string; partition: number },
  ) {}

  /** The hours among `hours` (epoch ms, whole hours) not held in memory. */
  missing(hours: Iterable<number>): number[] {
    const out = new Set<number>();
    for (const h of hours) if (!this.hours.has(h)) out.add(h);
    return [...out];
  }

  /** Reads the ids counted in `hours`, leaving out those written at or after offset `from` (a range of the primary key per hour). */
  async load(hours: number[], from: number): Promise<void> {
    if (hours.length === 0) return;
    const rows = await this.store.query<{ h: number; record_id: string }>(LOAD_SQL, {
      ...this.where,
      hours: hours.map((h) => h / 1000),
      from,
    });
    for (const h of hours) this.hours.set(h, new Set());
    for (const r of rows) this.hours.get(Number(r.h) * 1000)?.add(r.record_id);
  }

  /** Whether `id` of hour `hour` was counted (its hour must be loaded). */
  has(hour: number, id: string): boolean {
    return this.hours.get(hour)?.has(id) ?? false;
  }

  /** Records `id` of hour `hour` as counted (its hour must be loaded). */
  add(hour: number, id: string): void {
    this.hours.get(hour)?.add(id);
    if (hour > this.latest) this.latest = hour;
  }

  /** Forgets the hours older than the RECENT_HOURS latest (a late record reads its hour again). */
  evict(): void {
    for (const h of this.hours.keys()) if (h <= this.latest - RECENT_HOURS * HOUR_MS) this.hours.delete(h);
  }

  /** Ids held in memory (metrics, tests). */
  size(): number {
    let n = 0;
    for (const s of this.hours.values()) n += s.size;
    return n;
  }
}
