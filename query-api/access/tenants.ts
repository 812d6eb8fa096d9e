// Tenants: the organisations that keys and grants belong to, in `tenants` (latest version wins;
// deletion writes a version with deleted_at). Names are unique among tenants not deleted.

import { randomBytes } from 'node:crypto';
import { badRequest } from '../../shared/errors.js';
import type { Store } from '../../shared/store/types.js';
import { clickhouseTime } from '../../shared/time.js';

export interface Tenant {
  id: string;
  name: string;
  createdAt: string;
}

interface TenantRow {
  tenant_id: string;
  name: string;
  created_at: string;
  deleted_at: string | null;
  version: number;
}

export const ID_PATTERN = '^[0-9a-f]{16}$';

function tenantOf(r: TenantRow): Tenant {
  return { id: r.tenant_id, name: r.name, createdAt: new Date(`${r.created_at}Z`).toISOString() };
}

export class TenantStore {
  constructor(private readonly store: Store) {}

  /** A new tenant; 409 when another tenant has this name. */
  async create(name: string): Promise<Tenant> {
    const taken = await this.store.query<TenantRow>(
      'SELECT * FROM {db:Identifier}.tenants FINAL WHERE name = {name:String} AND deleted_at IS NULL',
      { name },
    );
    if (taken.length > 0)
      throw badRequest(
        'tenant_exists',
        `a tenant named ${name} exists (${taken[0]!.tenant_id})`,
        [{ field: 'name', reason: 'is taken' }],
        409,
      );
    const now = Date.now();
    const row = { tenant_id: randomBytes(8).toString('hex'), name, created_at: clickhouseTime(now), deleted_at: null, version: now };
    await this.store.insert('tenants', [row]);
    return tenantOf(row);
  }

  async list(): Promise<Tenant[]> {
    const rows = await this.store.query<TenantRow>(
      'SELECT * FROM {db:Identifier}.tenants FINAL WHERE deleted_at IS NULL ORDER BY created_at, tenant_id',
    );
    return rows.map(tenantOf);
  }

  /** The tenant, or null when there is none (or it was deleted). */
  async get(id: string): Promise<Tenant | null> {
    const [row] = await this.store.query<TenantRow>(
      'SELECT * FROM {db:Identifier}.tenants FINAL WHERE tenant_id = {id:String} AND deleted_at IS NULL',
      { id },
    );
    return row === undefined ? null : tenantOf(row);
  }

  /** Marks the tenant deleted; false when there is none. Its keys and grants are the caller's (Access.deleteTenant). */
  async delete(id: string): Promise<boolean> {
    const [row] = await this.store.query<TenantRow>(
      'SELECT * FROM {db:Identifier}.tenants FINAL WHERE tenant_id = {id:String} AND deleted_at IS NULL',
      { id },
    );
    if (row === undefined) return false;
    const now = Date.now();
    await this.store.insert('tenants', [{ ...row, deleted_at: clickhouseTime(now), version: Math.max(now, Number(row.version) + 1) }]);
    return true;
  }
}
