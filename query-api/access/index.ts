// Access as one piece for the API: tenants, keys (shared/access.ts), grants, metering and the audit
// log over one store, and register(app) adding the hooks that meter released rows and audit every
// data, usage and admin request once it is answered. The grant check itself is requireGrant
// (./guard.ts), called by each data route.

import type { App } from '../../shared/http.js';
import type { KeyStore } from '../../shared/access.js';
import type { Logger } from '../../shared/log.js';
import type { Store } from '../../shared/store/types.js';
import { AuditLog, audited } from './audit.js';
import type { BatchOptions } from './batch.js';
import { GrantStore, type ZoneResolver } from './grants.js';
import { TenantStore } from './tenants.js';
import { UsageMeter } from './usage.js';

export { countReleased, decide, historyGrant, requireGrant, type GrantRequest, type GrantSource } from './guard.js';

export interface AccessOptions {
  logger: Logger;
  /** Usage days are counted in this zone (PASSAGE_TIMEZONE). */
  timeZone: string;
  /** Resolves zone names for grants given by zone. */
  zones?: ZoneResolver;
  /** How long a tenant's grants are trusted (ms, default 10,000). */
  grantCacheTtlMs?: number;
  /** Usage and audit batching. */
  batch?: BatchOptions;
}

export class Access {
  readonly tenants: TenantStore;
  readonly grants: GrantStore;
  readonly usage: UsageMeter;
  readonly audit: AuditLog;

  constructor(
    store: Store,
    readonly keys: KeyStore,
    opts: AccessOptions,
  ) {
    this.tenants = new TenantStore(store);
    this.grants = new GrantStore(store, this.tenants, { zones: opts.zones, cacheTtlMs: opts.grantCacheTtlMs });
    this.usage = new UsageMeter(store, opts.logger, opts.timeZone, opts.batch);
    this.audit = new AuditLog(store, opts.logger, opts.batch);
  }

  /** Deletes a tenant with its grants, and revokes its keys; false when there is none. */
  async deleteTenant(id: string): Promise<{ keys: number; grants: number } | false> {
    if (!(await this.tenants.delete(id))) return false;
    return { keys: await this.keys.revokeTenant(id), grants: await this.grants.deleteTenant(id) };
  }

  /** Writes pending usage and audit rows. */
  async flush(): Promise<void> {
    await Promise.all([this.usage.flush(), this.audit.flush()]);
  }

  /**
   * Hooks on `app`: the rows of a JSON answer `{data: [...]}` of a request that passed requireGrant
   * are counted as released; a successful answer is metered; every audited request is logged. On
   * close, pending rows are written.
   */
  register(app: App): void {
    app.addHook('preSerialization', async (req, _reply, payload: unknown) => {
      if (req.release !== undefined && typeof payload === 'object' && payload !== null) {
        const data = (payload as { data?: unknown }).data;
        if (Array.isArray(data)) req.release.rows = data.length;
      }
      return payload;
    });
    app.addHook('onResponse', async (req, reply) => {
      const ok = reply.statusCode >= 200 && reply.statusCode < 300;
      const rows = ok && req.release !== undefined ? req.release.rows : 0;
      if (rows > 0 && req.principal !== undefined) this.usage.add(req.principal, req.release!.dataset, rows);
      if (audited(req.routeOptions.url)) this.audit.record(req, reply, rows);
    });
    app.addHook('onClose', async () => {
      await Promise.all([this.usage.close(), this.audit.close()]);
    });
  }
}
