// Opens the configured store (ClickHouse over HTTP when CLICKHOUSE_URL is set, chDB in the data
// folder otherwise) and brings its schema up to date.

import path from 'node:path';
import type { Config } from '../config.js';
import { ChdbStore } from './chdb.js';
import { ClickHouseStore } from './clickhouse.js';
import { migrate } from './migrate.js';
import type { Store } from './types.js';

export type { Store, Params, InsertOptions, QueryOptions } from './types.js';

export async function openStore(config: Config): Promise<Store> {
  const store: Store = config.clickhouse
    ? new ClickHouseStore(config.clickhouse)
    : new ChdbStore(path.join(config.dataDir, 'chdb'), config.database);
  await migrate(store);
  return store;
}
