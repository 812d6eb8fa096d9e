// Store on chDB: ClickHouse's engine in-process (embedded mode and every test run). libchdb binds one
// data directory per process, so stores opened on the same path share one session (ref-counted)
// and tell themselves apart by database.

import { Session } from 'chdb';
import { mkdirSync } from 'node:fs';
import type { InsertOptions, Params, QueryOptions, Store } from './types.js';
import { translateStoreError } from './errors.js';
import { parseJsonEachRow } from './json.js';
import { insertPayload } from './payload.js';

let shared: { path: string; session: Session; refs: number } | null = null;

function openSession(dataPath: string): Session {
  if (shared !== null) {
    if (shared.path !== dataPath) {
      throw new Error(
        `chDB already has ${shared.path} open in this process; it binds one data directory per process (asked for ${dataPath})`,
      );
    }
    shared.refs += 1;
    return shared.session;
  }
  mkdirSync(dataPath, { recursive: true });
  // NOTE: quote 64-bit integers in JSON output as ClickHouse server does by default, so H3 cells
  // (UInt64) survive JSON.parse exactly on both stores.
  const session = new Session(dataPath, { connectionArgs: ['--output_format_json_quote_64bit_integers=1'] });
  shared = { path: dataPath, session, refs: 1 };
  return session;
}

function releaseSession(dataPath: string): void {
  if (shared === null || shared.path !== dataPath) return;
  shared.refs -= 1;
  if (shared.refs === 0) {
    shared.session.close();
    shared = null;
  }
}

export class ChdbStore implements Store {
  readonly kind = 'chdb' as const;
  private readonly session: Session;
  private closed = false;

  constructor(
    private readonly dataPath: string,
    readonly database: string,
  ) {
    this.session = openSession(dataPath);
  }

  async command(sql: string, params: Params = {}): Promise<void> {
    try {
      await this.session.queryBindAsync(sql, { db: this.database, ...params }, { format: 'Null' });
    } catch (err) {
      throw translateStoreError(err, 'chDB command failed');
    }
  }

  async query<T>(sql: string, params: Params = {}, opts: QueryOptions = {}): Promise<T[]> {
    const buf = await this.queryRaw(sql, params, 'JSONEachRow', opts);
    return parseJsonEachRow<T>(buf.toString('utf8'));
  }

  async queryRaw(sql: string, params: Params, format: string, opts: QueryOptions = {}): Promise<Buffer> {
    try {
      const res = await this.session.queryBindAsync(
        sql,
        { db: this.database, ...params },
        {
          format,
          ...(opts.timeoutMs === undefined ? {} : { timeout: opts.timeoutMs }),
        },
      );
      return Buffer.from(res.bytes());
    } catch (err) {
      throw translateStoreError(err, 'chDB query failed');
    }
  }

  async insert(table: string, rows: readonly Record<string, unknown>[], opts: InsertOptions = {}): Promise<void> {
    if (rows.length === 0) return;
    try {
      const payload = insertPayload(rows);
      await this.session.insert({
        table: `${this.database}.${table}`,
        values: Buffer.from(payload.body),
        format: payload.format,
        ...(payload.columns === null ? {} : { columns: payload.columns }),
        settings:
          opts.dedupToken === undefined
            ? {}
            : { insert_deduplicate: 1, insert_deduplication_token: opts.dedupToken, deduplicate_blocks_in_dependent_materialized_views: 1 },
      });
    } catch (err) {
      throw translateStoreError(err, `chDB insert into ${table} failed`);
    }
  }

  async ping(): Promise<boolean> {
    try {
      await this.session.queryAsync('SELECT 1', { format: 'Null' });
      return true;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      releaseSession(this.dataPath);
    }
    return Promise.resolve();
  }
}
