// A bare API app for access tests: a fresh chDB database, the admin, usage and history routes with
// grants checked — wired as shared/passage.ts wires them — and no bus, processors or ingest. Releases
// are exact (shared/testing/history.ts, testPrivacy).

import { authorize, KeyStore } from '../access.js';
import { createHttpServer, type App } from '../http.js';
import type { ChdbStore } from '../store/chdb.js';
import { chdbStore, quietLogger, TEST_ADMIN_KEY } from './fixtures.js';
import { testPrivacy } from './history.js';
import { Access } from '../../query-api/access/index.js';
import { Zones } from '../../query-api/zones/zones.js';
import { adminRoutes } from '../../query-api/routes/admin/index.js';
import { usageRoute } from '../../query-api/routes/usage/route.js';
import { footfallRoute } from '../../query-api/routes/footfall/route.js';
import { flowsRoute } from '../../query-api/routes/flows/route.js';

export const ADMIN = { authorization: `Bearer ${TEST_ADMIN_KEY}` };

export interface AccessApp {
  app: App;
  store: ChdbStore;
  access: Access;
  close(): Promise<void>;
}

export async function accessApp(opts: { timeZone?: string } = {}): Promise<AccessApp> {
  const store = await chdbStore();
  const timeZone = opts.timeZone ?? 'Europe/Copenhagen';
  const logger = quietLogger();
  const app = await createHttpServer({ logger, maxBodyBytes: 1 << 20, readiness: {} });
  const keys = new KeyStore(store, TEST_ADMIN_KEY);
  // Batches are written when read (usage, audit) or on close, not on a timer, so tests see exact sums.
  const zones = await Zones.load(null); // the shipped Copenhagen zones
  const access = new Access(store, keys, {
    logger,
    timeZone,
    zones: (id, resolution) => zones.resolve(id, resolution),
    batch: { flushMs: 3_600_000 },
  });
  access.register(app);
  adminRoutes(app, access);
  usageRoute(app, access);
  const history = {
    store,
    auth: authorize(keys, { roles: ['subscriber', 'vendor'] }),
    grants: access.grants,
    timeZone,
    maxResultRows: 1000,
    queryTimeoutMs: 30_000,
    privacy: testPrivacy(),
  };
  footfallRoute(app, history);
  flowsRoute(app, history);
  await app.ready();
  return {
    app,
    store,
    access,
    close: async () => {
      await app.close();
      await store.command('DROP DATABASE IF EXISTS {db:Identifier}');
      await store.close();
    },
  };
}
