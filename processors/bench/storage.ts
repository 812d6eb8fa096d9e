// Bytes a set of tables takes on disk: merges each down (OPTIMIZE … FINAL) and sums the active parts
// in system.parts. Also a Store wrapper that times every call by operation and table, to show how
// much of an end-to-end run the store took.

import { performance } from 'node:perf_hooks';
import type { InsertOptions, Params, QueryOptions, Store } from '../../shared/store/types.js';

export interface TableStats {
  table: string;
  rows: number;
  parts: number;
  bytesOnDisk: number;
  compressedBytes: number;
  uncompressedBytes: number;
}

export async function tableStats(store: Store, tables: string[]): Promise<TableStats[]> {
  for (const t of tables) await store.command('OPTIMIZE TABLE {db:Identifier}.{t:Identifier} FINAL', { t });
  const rows = await store.query<Record<string, string | number>>(
    `SELECT table, sum(rows) AS rows, count() AS parts, sum(bytes_on_disk) AS bytes,
            sum(data_compressed_bytes) AS compressed, sum(data_uncompressed_bytes) AS uncompressed
     FROM system.parts WHERE database = {db:String} AND table IN {tables:Array(String)} AND active
     GROUP BY table`,
    { tables },
  );
  return tables.map((table) => {
    const r = rows.find((x) => x.table === table);
    return {
      table,
      rows: Number(r?.rows ?? 0),
      parts: Number(r?.parts ?? 0),
      bytesOnDisk: Number(r?.bytes ?? 0),
      compressedBytes: Number(r?.compressed ?? 0),
      uncompressedBytes: Number(r?.uncompressed ?? 0),
    };
  });
}

export interface CallTiming {
  calls: number;
  seconds: number;
  rows: number;
  /** Mean duration (s) of the first and of the last tenth of the calls: growth means the call slows as tables grow. */
  firstTenthMeanSeconds: number;
  lastTenthMeanSeconds: number;
}

/** Delegates to `inner`, adding up time per `<operation> <table>` (seconds overlap when callers run concurrently). */
export class TimedStore implements Store {
  private readonly calls = new Map<string, { rows: number; durations: number[] }>();
  private inFlight = 0;
  private busySince = 0;
  /** Wall time (s) during which at least one store call was in flight. */
  busySeconds = 0;
  maxInFlight = 0;

  constructor(private readonly inner: Store) {}

  timings(): Record<string, CallTiming> {
    const out: Record<string, CallTiming> = {};
    for (const [key, c] of this.calls) {
      const tenth = Math.max(1, Math.floor(c.durations.length / 10));
      const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
      out[key] = {
        calls: c.durations.length,
        seconds: c.durations.reduce((a, b) => a + b, 0),
        rows: c.rows,
        firstTenthMeanSeconds: mean(c.durations.slice(0, tenth)),
        lastTenthMeanSeconds: mean(c.durations.slice(-tenth)),
      };
    }
    return out;
  }

  get kind(): Store['kind'] {
    return this.inner.kind;
  }

  get database(): string {
    return this.inner.database;
  }

  private async time<T>(key: string, rows: number, run: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    if (this.inFlight === 0) this.busySince = t0;
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      return await run();
    } finally {
      const t1 = performance.now();
      this.inFlight -= 1;
      if (this.inFlight === 0) this.busySeconds += (t1 - this.busySince) / 1000;
      const c = this.calls.get(key) ?? { rows: 0, durations: [] };
      c.durations.push((t1 - t0) / 1000);
      c.rows += rows;
      this.calls.set(key, c);
    }
  }

  command(sql: string, params?: Params): Promise<void> {
    return this.time('command', 0, () => this.inner.command(sql, params));
  }

  query<T = Record<string, unknown>>(sql: string, params?: Params, opts?: QueryOptions): Promise<T[]> {
    const table = /\.(\w+)/.exec(sql)?.[1] ?? '?';
    return this.time(`query ${table}`, 0, () => this.inner.query<T>(sql, params, opts));
  }

  queryRaw(sql: string, params: Params, format: string, opts?: QueryOptions): Promise<Buffer> {
    return this.time('queryRaw', 0, () => this.inner.queryRaw(sql, params, format, opts));
  }

  insert(table: string, rows: readonly Record<string, unknown>[], opts?: InsertOptions): Promise<void> {
    return this.time(`insert ${table}`, rows.length, () => this.inner.insert(table, rows, opts));
  }

  ping(): Promise<boolean> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
