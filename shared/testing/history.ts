// A bare API app for history-route tests: a fresh chDB database, the route under test registered
// as shared/passage.ts registers it (admin key only), no bus, processors or ingest. Its privacy
// release settings are exact by default (noise off, k = 1: every unit with data is released as its
// exact value) — tests of the release layer pass their own.

import { authorize, KeyStore } from '../access.js';
import { createHttpServer, type App } from '../http.js';
import type { ChdbStore } from '../store/chdb.js';
import { chdbStore, quietLogger, TEST_ADMIN_KEY, TEST_PRIVACY_SECRET } from './fixtures.js';
import type { HistoryRouteOptions } from '../../query-api/history.js';
import type { PrivacyOptions } from '../../query-api/privacy/release.js';
import type { ReleaseSettings } from '../privacy.js';
import type { Zones } from '../../query-api/zones/zones.js';

export const ADMIN_AUTH = { authorization: `Bearer ${TEST_ADMIN_KEY}` };

/** Release settings of a test app: the given defaults over exact ones (noise off, k = 1). */
export function testPrivacy(defaults: Partial<ReleaseSettings> = {}, more: Partial<PrivacyOptions> = {}): PrivacyOptions {
  return { secret: TEST_PRIVACY_SECRET, defaults: { k: 1, epsilon: 1, noise: 'off', ...defaults }, datasets: {}, ...more };
}

export interface HistoryApp {
  app: App;
  store: ChdbStore;
  close(): Promise<void>;
}

export async function historyApp(
  register: (app: App, opts: HistoryRouteOptions) => void,
  opts: {
    timeZone?: string;
    maxResultRows?: number;
    queryTimeoutMs?: number;
    privacy?: PrivacyOptions | null;
    store?: ChdbStore;
    zones?: Zones;
  } = {},
): Promise<HistoryApp> {
  const own = opts.store === undefined;
  const store = opts.store ?? (await chdbStore());
  const app = await createHttpServer({ logger: quietLogger(), maxBodyBytes: 1 << 20, readiness: {} });
  register(app, {
    store,
    auth: authorize(new KeyStore(store, TEST_ADMIN_KEY), { roles: [] }),
    timeZone: opts.timeZone ?? 'Europe/Copenhagen',
    maxResultRows: opts.maxResultRows ?? 1000,
    queryTimeoutMs: opts.queryTimeoutMs ?? 30_000,
    ...(opts.privacy === null ? {} : { privacy: opts.privacy ?? testPrivacy() }),
    ...(opts.zones === undefined ? {} : { zones: opts.zones }),
  });
  await app.ready();
  return {
    app,
    store,
    close: async () => {
      await app.close();
      if (!own) return;
      await store.command('DROP DATABASE IF EXISTS {db:Identifier}');
      await store.close();
    },
  };
}
