// A bare API app for history-route tests: a fresh chDB database, the route under test registered
// as shared/passage.ts registers it (admin key only), no bus, processors or ingest.

import { authorize, KeyStore } from '../access.js';
import { createHttpServer, type App } from '../http.js';
import type { ChdbStore } from '../store/chdb.js';
import { chdbStore, quietLogger, TEST_ADMIN_KEY } from './fixtures.js';
import type { HistoryRouteOptions } from '../../query-api/history.js';

export const ADMIN_AUTH = { authorization: `Bearer ${TEST_ADMIN_KEY}` };

export interface HistoryApp {
  app: App;
  store: ChdbStore;
  close(): Promise<void>;
}

export async function historyApp(
  register: (app: App, opts: HistoryRouteOptions) => void,
  opts: { timeZone?: string; maxResultRows?: number; queryTimeoutMs?: number } = {},
): Promise<HistoryApp> {
  const store = await chdbStore();
  const app = await createHttpServer({ logger: quietLogger(), maxBodyBytes: 1 << 20, readiness: {} });
  register(app, {
    store,
    auth: authorize(new KeyStore(store, TEST_ADMIN_KEY), { roles: [] }),
    timeZone: opts.timeZone ?? 'Europe/Copenhagen',
    maxResultRows: opts.maxResultRows ?? 1000,
    queryTimeoutMs: opts.queryTimeoutMs ?? 30_000,
  });
  await app.ready();
  return {
    app,
    store,
    close: async () => {
      await app.close();
      await store.command('DROP DATABASE IF EXISTS {db:Identifier}');
      await store.close();
    },
  };
}
