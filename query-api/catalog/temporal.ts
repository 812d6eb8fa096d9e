// The temporal coverage of the catalog's datasets: the first and last 5-minute window each source
// has in the store (footfall: the table of each source's metrics; flows: flows_5m). Read at most
// once a minute (the catalog is public and the scan is over every partition's min/max).

import type { Store } from '../../shared/store/types.js';
import { MINUTE_MS } from '../../shared/time.js';
import { FLOW_SOURCES } from '../routes/flows/query.js';
import { SOURCE_METRICS, SOURCES } from '../routes/footfall/query.js';
import type { CatalogDataset, Period, Temporal } from './dcat.js';

const WINDOW_MS = 5 * MINUTE_MS;

/** The tables each dataset's sources live in (fixed names, never from a request). */
function tables(): { dataset: CatalogDataset; table: string; sources: readonly string[] }[] {
  const footfall = [...new Set(SOURCES.map((s) => SOURCE_METRICS[s].table))].map((table) => ({
    dataset: 'footfall' as const,
    table,
    sources: SOURCES.filter((s) => SOURCE_METRICS[s].table === table),
  }));
  return [...footfall, { dataset: 'flows', table: 'flows_5m', sources: FLOW_SOURCES }];
}

export async function readTemporal(store: Store, timeoutMs: number): Promise<Temporal> {
  const out: Temporal = { footfall: {}, flows: {} };
  for (const { dataset, table, sources } of tables()) {
    const rows = await store.query<{ source: string; first: string | number; last: string | number }>(
      `SELECT source, toUnixTimestamp(min(window_start)) AS first, toUnixTimestamp(max(window_start)) AS last
       FROM {db:Identifier}.${table}
       WHERE source IN {sources:Array(String)}
       GROUP BY source`,
      { sources: [...sources] },
      { timeoutMs },
    );
    for (const r of rows) {
      const p: Period = { start: Number(r.first) * 1000, end: Number(r.last) * 1000 + WINDOW_MS };
      const had = out[dataset][r.source];
      out[dataset][r.source] = had === undefined ? p : { start: Math.min(had.start, p.start), end: Math.max(had.end, p.end) };
    }
  }
  return out;
}

/** readTemporal, remembered for `ttlMs`. */
export function cachedTemporal(store: Store, timeoutMs: number, ttlMs = 60_000): () => Promise<Temporal> {
  let hit: { until: number; value: Promise<Temporal> } | null = null;
  return () => {
    if (hit !== null && hit.until > Date.now()) return hit.value;
    const value = readTemporal(store, timeoutMs);
    hit = { until: Date.now() + ttlMs, value };
    value.catch(() => {
      hit = null;
    });
    return value;
  };
}
