// The store interface: one over ClickHouse, implemented by chDB (in-process) and by
// @clickhouse/client (HTTP). SQL is written once; every value is a `{name:Type}` parameter and
// tables are addressed as `{db:Identifier}.table` (the store binds `db` itself).

export type ParamValue = string | number | bigint | boolean | null | Date | readonly (string | number | bigint)[];
export type Params = Record<string, ParamValue>;

export interface QueryOptions {
  /** Abort the query after this long (ms). */
  timeoutMs?: number;
}

export interface InsertOptions {
  /**
   * ClickHouse insert deduplication token: a repeated insert with the same token is a no-op
   * (tables carry `non_replicated_deduplication_window`; materialized views' targets too). Same token
   * must mean same rows.
   */
  dedupToken?: string;
}

export interface Store {
  readonly kind: 'chdb' | 'clickhouse';
  /** The database all Passage tables live in. */
  readonly database: string;
  /** Runs a statement that returns no rows (DDL, ALTER, INSERT … SELECT). */
  command(sql: string, params?: Params): Promise<void>;
  /** Runs a query and returns its rows as parsed JSONEachRow objects. */
  query<T = Record<string, unknown>>(sql: string, params?: Params, opts?: QueryOptions): Promise<T[]>;
  /** Runs a query and returns the raw bytes in a ClickHouse output format (CSV, Parquet, …). */
  queryRaw(sql: string, params: Params, format: string, opts?: QueryOptions): Promise<Buffer>;
  /** Inserts rows (objects keyed by column name) into `table` of this store's database. */
  insert(table: string, rows: readonly Record<string, unknown>[], opts?: InsertOptions): Promise<void>;
  /** True when the store answers a trivial query. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
