// Every admin route: tenants, keys, grants and the audit log (admin key only).

import type { App } from '../../../shared/http.js';
import type { Access } from '../../access/index.js';
import { adminAuditRoutes } from './audit.js';
import { adminGrantRoutes } from './grants.js';
import { adminKeyRoutes } from './keys.js';
import { adminTenantRoutes } from './tenants.js';

export function adminRoutes(app: App, access: Access): void {
  adminTenantRoutes(app, access);
  adminKeyRoutes(app, access.keys, access.tenants);
  adminGrantRoutes(app, access);
  adminAuditRoutes(app, access);
}
