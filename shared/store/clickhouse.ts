// Store on a ClickHouse server through @clickhouse/client (HTTP): stack mode and scale-out.

import { Readable } from 'node:stream';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import type { InsertOptions, Params, QueryOptions, Store } from './types.js';
import { translateStoreError } from './errors.js';
import { insertPayload } from './payload.js';

export interface ClickHouseStoreOptions {
  url: string;
  user: string;
  password: string;
  database: string;
  /** HTTP request timeout (ms); default 60 s. */
  requestTimeoutMs?: number;
}

export class ClickHouseStore implements Store {
  readonly kind = 'clickhouse' as const;
  readonly database: string;
  private readonly client: ClickHouseClient;

  constructor(opts: ClickHouseStoreOptions) {
    this.database = opts.database;
    // NOTE: no `database` on the client: Passage creates its database itself and addresses tables
    // as {db:Identifier}.table, exactly as on chDB.
    this.client = createClient({
      url: opts.url,
      username: opts.user,
      password: opts.password,
      request_timeout: opts.requestTimeoutMs ?? 60_000,
      clickhouse_settings: { date_time_input_format: 'best_effort' },
    });
  }

  async command(sql: string, params: Params = {}): Promise<void> {
    try {
      await this.client.command({ query: sql, query_params: { db: this.database, ...params } });
    } catch (err) {
      throw translateStoreError(err, 'ClickHouse command failed');
    }
  }

  async query<T>(sql: string, params: Params = {}, opts: QueryOptions = {}): Promise<T[]> {
    try {
      const rs = await this.client.query({
        query: sql,
        query_params: { db: this.database, ...params },
        format: 'JSONEachRow',
        ...(opts.timeoutMs === undefined ? {} : { clickhouse_settings: { max_execution_time: Math.ceil(opts.timeoutMs / 1000) } }),
      });
      return await rs.json<T>();
    } catch (err) {
      throw translateStoreError(err, 'ClickHouse query failed');
    }
  }

  async queryRaw(sql: string, params: Params, format: string, opts: QueryOptions = {}): Promise<Buffer> {
    try {
      const rs = await this.client.exec({
        query: `${sql} FORMAT ${format}`,
        query_params: { db: this.database, ...params },
        ...(opts.timeoutMs === undefined ? {} : { clickhouse_settings: { max_execution_time: Math.ceil(opts.timeoutMs / 1000) } }),
      });
      const chunks: Buffer[] = [];
      for await (const chunk of rs.stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    } catch (err) {
      throw translateStoreError(err, 'ClickHouse query failed');
    }
  }

  async insert(table: string, rows: readonly Record<string, unknown>[], opts: InsertOptions = {}): Promise<void> {
    if (rows.length === 0) return;
    try {
      const payload = insertPayload(rows);
      await this.client.insert({
        table: `${this.database}.${table}`,
        values: Readable.from([payload.body]),
        format: payload.format,
        ...(payload.columns === null ? {} : { columns: payload.columns as [string, ...string[]] }),
        ...(opts.dedupToken === undefined
          ? {}
          : {
              clickhouse_settings: {
                insert_deduplicate: 1,
                insert_deduplication_token: opts.dedupToken,
                deduplicate_blocks_in_dependent_materialized_views: 1,
              },
            }),
      });
    } catch (err) {
      throw translateStoreError(err, `ClickHouse insert into ${table} failed`);
    }
  }

  async ping(): Promise<boolean> {
    const r = await this.client.ping();
    return r.success;
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
