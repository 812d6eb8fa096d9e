// Grants: what a tenant may read — a dataset, inside an area (H3 cells, a GeoJSON area covered by
// cells, or a named zone), no finer than a resolution, within an optional period. Stored in `grants`
// (latest version wins; deletion writes a version with deleted_at). A tenant's grants are cached
// for a few seconds, so a deleted grant stops working within that on every instance (at once on
// the instance that deleted it).

import { randomBytes } from 'node:crypto';
import { badRequest } from '../../shared/errors.js';
import { cellToUInt64, uint64ToCell } from '../../shared/h3.js';
import type { Store } from '../../shared/store/types.js';
import { clickhouseTime, parseInstant } from '../../shared/time.js';
import { isDataset, DATASET_NAMES, type Dataset } from '../datasets.js';
import { areaCells } from '../areas.js';
import { CellCover, isAreaCell } from './area.js';
import type { TenantStore } from './tenants.js';

/** The cells of a named zone at `resolution`, or null for an unknown zone (the zones module provides it). */
export type ZoneResolver = (name: string, resolution: number) => Promise<string[] | null>;

export interface GrantInput {
  tenantId: string;
  dataset: string;
  cells?: string[];
  /** A GeoJSON Polygon or MultiPolygon (or a Feature of one), covered by the cells of minResolution whose centres lie in it. */
  area?: unknown;
  zone?: string;
  /** The finest H3 resolution (7–10) the tenant may ask for. */
  minResolution: number;
  /** Start of the period (inclusive) and its end (exclusive): ISO-8601 with offset or epoch ms; absent: unbounded. */
  from?: string | number;
  to?: string | number;
}

export interface Grant {
  id: string;
  tenantId: string;
  dataset: Dataset;
  /** The area's cells, compacted (mixed resolutions, none inside another). */
  cells: string[];
  area: unknown;
  zone: string | null;
  minResolution: number;
  from: string | null;
  to: string | null;
  createdAt: string;
}

/** A grant ready for checking requests against. */
export interface ActiveGrant {
  grant: Grant;
  fromMs: number | null;
  toMs: number | null;
  cover: CellCover;
}

interface GrantRow {
  grant_id: string;
  tenant_id: string;
  dataset: string;
  cells: (string | number)[];
  area: string;
  zone: string;
  min_resolution: number;
  valid_from: string | null;
  valid_to: string | null;
  created_at: string;
  deleted_at: string | null;
  version: number | string;
}

const iso = (t: string | null): string | null => (t === null ? null : new Date(`${t}Z`).toISOString());

function grantOf(r: GrantRow): Grant {
  return {
    id: r.grant_id,
    tenantId: r.tenant_id,
    dataset: r.dataset as Dataset,
    cells: r.cells.map((c) => uint64ToCell(c)),
    area: r.area === '' ? null : (JSON.parse(r.area) as unknown),
    zone: r.zone === '' ? null : r.zone,
    minResolution: Number(r.min_resolution),
    from: iso(r.valid_from),
    to: iso(r.valid_to),
    createdAt: iso(r.created_at)!,
  };
}

function activate(grant: Grant): ActiveGrant {
  return {
    grant,
    fromMs: grant.from === null ? null : Date.parse(grant.from),
    toMs: grant.to === null ? null : Date.parse(grant.to),
    cover: new CellCover(grant.cells),
  };
}

function instant(field: 'from' | 'to', value: string | number | undefined): number | null {
  if (value === undefined) return null;
  const ms = parseInstant(value);
  if (ms === null)
    throw badRequest('invalid_request', `${field} is not a time`, [
      { field, reason: 'must be ISO-8601 with offset or epoch milliseconds' },
    ]);
  return ms;
}

export interface GrantStoreOptions {
  zones?: ZoneResolver;
  /** How long a tenant's grants are trusted (ms). */
  cacheTtlMs?: number;
}

export class GrantStore {
  private readonly cache = new Map<string, { grants: Promise<ActiveGrant[]>; until: number }>();
  private readonly ttlMs: number;

  constructor(
    private readonly store: Store,
    private readonly tenants: TenantStore,
    private readonly opts: GrantStoreOptions = {},
  ) {
    this.ttlMs = opts.cacheTtlMs ?? 10_000;
  }

  /** A new grant; 400 naming the field at fault for a bad dataset, area, resolution or period, or an unknown tenant. */
  async create(input: GrantInput): Promise<Grant> {
    if (!isDataset(input.dataset))
      throw badRequest('unknown_dataset', `no dataset ${input.dataset}`, [
        { field: 'dataset', reason: `must be one of ${DATASET_NAMES.join(', ')}` },
      ]);
    if (!Number.isInteger(input.minResolution) || input.minResolution < 7 || input.minResolution > 10)
      throw badRequest('invalid_request', 'minResolution must be 7 to 10', [
        { field: 'minResolution', reason: 'must be an integer 7 to 10' },
      ]);
    const given = (['cells', 'area', 'zone'] as const).filter((f) => input[f] !== undefined);
    if (given.length !== 1)
      throw badRequest('invalid_request', 'give the area as one of cells, area or zone', [
        {
          field: given[1] ?? 'cells',
          reason: given.length === 0 ? 'one of cells, area or zone is required' : `give only one of ${given.join(', ')}`,
        },
      ]);
    const from = instant('from', input.from);
    const to = instant('to', input.to);
    if (from !== null && to !== null && to <= from)
      throw badRequest('invalid_request', 'to must be after from', [{ field: 'to', reason: 'must be after from' }]);
    if ((await this.tenants.get(input.tenantId)) === null)
      throw badRequest('unknown_tenant', `no tenant ${input.tenantId}`, [{ field: 'tenantId', reason: 'is not a tenant' }]);

    let cells: string[];
    if (input.cells !== undefined) {
      cells = input.cells.map((c) => c.trim().toLowerCase());
      const bad = cells.filter((c) => !isAreaCell(c));
      if (cells.length === 0 || bad.length > 0)
        throw badRequest(
          'invalid_cells',
          bad.length > 0 ? `${bad.slice(0, 5).join(', ')} not H3 cells of resolution 0 to 10` : 'no cells',
          [
            {
              field: 'cells',
              reason: bad.length > 0 ? `${bad[0]} is not an H3 cell of resolution 0 to 10` : 'must hold at least one cell',
            },
          ],
        );
    } else if (input.area !== undefined) {
      cells = areaCells(input.area, input.minResolution, 'area');
    } else {
      const zone = input.zone!;
      const zoneCells = this.opts.zones === undefined ? null : await this.opts.zones(zone, input.minResolution);
      if (zoneCells === null || zoneCells.length === 0)
        throw badRequest('unknown_zone', `no zone ${zone}`, [
          { field: 'zone', reason: this.opts.zones === undefined ? 'no zones are loaded' : 'is not a known zone' },
        ]);
      cells = zoneCells;
    }
    const cover = new CellCover(cells);
    const now = Date.now();
    const row = {
      grant_id: randomBytes(8).toString('hex'),
      tenant_id: input.tenantId,
      dataset: input.dataset,
      cells: cover.cells.map(cellToUInt64),
      area: input.area === undefined ? '' : JSON.stringify(input.area),
      zone: input.zone ?? '',
      min_resolution: input.minResolution,
      valid_from: from === null ? null : clickhouseTime(from),
      valid_to: to === null ? null : clickhouseTime(to),
      created_at: clickhouseTime(now),
      deleted_at: null,
      version: now,
    };
    await this.store.insert('grants', [row]);
    this.cache.delete(input.tenantId);
    return {
      id: row.grant_id,
      tenantId: row.tenant_id,
      dataset: input.dataset,
      cells: cover.cells.slice(),
      area: input.area ?? null,
      zone: input.zone ?? null,
      minResolution: input.minResolution,
      from: from === null ? null : new Date(from).toISOString(),
      to: to === null ? null : new Date(to).toISOString(),
      createdAt: new Date(now).toISOString(),
    };
  }

  /** Grants not deleted, optionally of one tenant and/or dataset. */
  async list(filter: { tenantId?: string; dataset?: string } = {}): Promise<Grant[]> {
    const rows = await this.store.query<GrantRow>(
      `SELECT * FROM {db:Identifier}.grants FINAL
       WHERE deleted_at IS NULL
         AND ({anyTenant:Bool} OR tenant_id = {tenant:String})
         AND ({anyDataset:Bool} OR dataset = {dataset:String})
       ORDER BY created_at, grant_id`,
      {
        anyTenant: filter.tenantId === undefined,
        tenant: filter.tenantId ?? '',
        anyDataset: filter.dataset === undefined,
        dataset: filter.dataset ?? '',
      },
    );
    return rows.map(grantOf);
  }

  async get(id: string): Promise<Grant | null> {
    const [row] = await this.row(id);
    return row === undefined ? null : grantOf(row);
  }

  /** Deletes a grant; false when there is none. */
  async delete(id: string): Promise<boolean> {
    const [row] = await this.row(id);
    if (row === undefined) return false;
    await this.markDeleted([row]);
    return true;
  }

  /** Deletes every grant of a tenant; returns how many. */
  async deleteTenant(tenantId: string): Promise<number> {
    const rows = await this.store.query<GrantRow>(
      'SELECT * FROM {db:Identifier}.grants FINAL WHERE tenant_id = {tenant:String} AND deleted_at IS NULL',
      { tenant: tenantId },
    );
    await this.markDeleted(rows);
    this.cache.delete(tenantId);
    return rows.length;
  }

  /** The grants of a tenant, ready for checking (cached; '' — a key without tenant — has none). */
  async active(tenantId: string): Promise<ActiveGrant[]> {
    if (tenantId === '') return [];
    const hit = this.cache.get(tenantId);
    if (hit !== undefined && hit.until > Date.now()) return hit.grants;
    const grants = this.list({ tenantId }).then((gs) => gs.map(activate));
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(tenantId, { grants, until: Date.now() + this.ttlMs });
    void grants.catch(() => this.cache.delete(tenantId));
    return grants;
  }

  private row(id: string): Promise<GrantRow[]> {
    return this.store.query<GrantRow>('SELECT * FROM {db:Identifier}.grants FINAL WHERE grant_id = {id:String} AND deleted_at IS NULL', {
      id,
    });
  }

  private async markDeleted(rows: GrantRow[]): Promise<void> {
    if (rows.length === 0) return;
    const now = Date.now();
    await this.store.insert(
      'grants',
      rows.map((r) => ({ ...r, deleted_at: clickhouseTime(now), version: Math.max(now, Number(r.version) + 1) })),
    );
    for (const r of rows) this.cache.delete(r.tenant_id);
  }
}
