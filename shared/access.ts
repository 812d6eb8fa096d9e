// API keys and who may do what. The admin key comes from configuration; vendor, subscriber and
// further admin keys are created through the admin API and stored hashed (SHA-256) in `api_keys`.
// A vendor key may be limited to some sources and acts for its owner: it registers and feeds only
// the owner's sensors. A key belongs to a tenant, whose grants say which data it may read
// (query-api/access).

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { problem, sendProblem, type AuthHook } from './http.js';
import type { Store } from './store/types.js';
import { clickhouseTime } from './time.js';
import type { RawSource } from './topics.js';

export const ROLES = ['vendor', 'subscriber', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  keyId: string;
  role: Role;
  /** Whom the key acts for; sensors registered with it belong to this owner. */
  owner: string;
  /** The tenant the key belongs to ('' for none: the configured admin key, keys made before tenants). */
  tenantId: string;
  /** Sources a vendor key may send; empty: all. */
  sources: RawSource[];
}

export interface ApiKeyInfo extends Principal {
  createdAt: string;
  revokedAt: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

interface KeyRow {
  key_id: string;
  key_hash: string;
  role: Role;
  owner: string;
  tenant_id: string;
  sources: RawSource[];
  created_at: string;
  revoked_at: string | null;
  version: number | string;
}

function keyInfo(r: KeyRow): ApiKeyInfo {
  return {
    keyId: r.key_id,
    role: r.role,
    owner: r.owner,
    tenantId: r.tenant_id,
    sources: r.sources,
    createdAt: new Date(`${r.created_at}Z`).toISOString(),
    revokedAt: r.revoked_at === null ? null : new Date(`${r.revoked_at}Z`).toISOString(),
  };
}

export class KeyStore {
  private readonly cache = new Map<string, { principal: Principal | null; until: number }>();
  private readonly adminHash: Buffer;

  constructor(
    private readonly store: Store,
    adminKey: string,
    /** How long a looked-up key is trusted (ms): a revoked key stops working within this. */
    private readonly ttlMs = 10_000,
  ) {
    this.adminHash = Buffer.from(sha256(adminKey), 'hex');
  }

  async create(role: Role, owner: string, sources: RawSource[], tenantId = ''): Promise<{ key: string; info: ApiKeyInfo }> {
    const keyId = randomBytes(8).toString('hex');
    const key = `pk_${role}_${randomBytes(24).toString('base64url')}`;
    const now = Date.now();
    await this.store.insert('api_keys', [
      {
        key_id: keyId,
        key_hash: sha256(key),
        role,
        owner,
        tenant_id: tenantId,
        sources,
        created_at: clickhouseTime(now),
        revoked_at: null,
        version: now,
      },
    ]);
    return { key, info: { keyId, role, owner, tenantId, sources, createdAt: new Date(now).toISOString(), revokedAt: null } };
  }

  /** Every key (revoked ones too), or those of one tenant. */
  async list(filter: { tenantId?: string } = {}): Promise<ApiKeyInfo[]> {
    const rows = await this.store.query<KeyRow>(
      `SELECT * FROM {db:Identifier}.api_keys FINAL
       WHERE {all:Bool} OR tenant_id = {tenant:String}
       ORDER BY created_at, key_id`,
      { all: filter.tenantId === undefined, tenant: filter.tenantId ?? '' },
    );
    return rows.map(keyInfo);
  }

  async get(keyId: string): Promise<ApiKeyInfo | null> {
    const [row] = await this.store.query<KeyRow>('SELECT * FROM {db:Identifier}.api_keys FINAL WHERE key_id = {id:String}', { id: keyId });
    return row === undefined ? null : keyInfo(row);
  }

  /** Revokes every key of a tenant that is not revoked yet; returns how many. */
  async revokeTenant(tenantId: string): Promise<number> {
    const rows = await this.store.query<KeyRow>(
      'SELECT * FROM {db:Identifier}.api_keys FINAL WHERE tenant_id = {tenant:String} AND revoked_at IS NULL',
      { tenant: tenantId },
    );
    const now = Date.now();
    if (rows.length > 0)
      await this.store.insert(
        'api_keys',
        rows.map((r) => ({ ...r, revoked_at: clickhouseTime(now), version: Math.max(now, Number(r.version) + 1) })),
      );
    this.cache.clear();
    return rows.length;
  }

  /** Revokes a key; false when there is no such key. */
  async revoke(keyId: string): Promise<boolean> {
    const [row] = await this.store.query<KeyRow>('SELECT * FROM {db:Identifier}.api_keys FINAL WHERE key_id = {id:String}', { id: keyId });
    if (row === undefined) return false;
    const now = Date.now();
    await this.store.insert('api_keys', [{ ...row, revoked_at: clickhouseTime(now), version: now }]);
    this.cache.clear();
    return true;
  }

  /** Who `key` is, or null for an unknown or revoked key. */
  async principal(key: string): Promise<Principal | null> {
    const hash = sha256(key);
    if (timingSafeEqual(Buffer.from(hash, 'hex'), this.adminHash))
      return { keyId: 'admin', role: 'admin', owner: 'admin', tenantId: '', sources: [] };
    const hit = this.cache.get(hash);
    if (hit !== undefined && hit.until > Date.now()) return hit.principal;
    const [row] = await this.store.query<KeyRow>(
      'SELECT * FROM {db:Identifier}.api_keys FINAL WHERE key_hash = {hash:String} AND revoked_at IS NULL',
      { hash },
    );
    const principal =
      row === undefined ? null : { keyId: row.key_id, role: row.role, owner: row.owner, tenantId: row.tenant_id, sources: row.sources };
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { principal, until: Date.now() + this.ttlMs });
    return principal;
  }
}

export interface AuthRule {
  roles: readonly Role[];
  /** For vendor keys limited to some sources: the source this request is about. */
  source?: (req: FastifyRequest) => string | undefined;
}

/** preHandler: 401 without a valid key, 403 when the key's role or sources do not cover the request. */
export function authorize(keys: KeyStore, rule: AuthRule): AuthHook {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const header = req.headers.authorization;
    const m = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header);
    if (m === null) {
      void reply.header('www-authenticate', 'Bearer');
      await sendProblem(reply, problem(401, 'missing_api_key', 'send the key as Authorization: Bearer <key>'));
      return;
    }
    const principal = await keys.principal(m[1]!);
    if (principal === null) {
      void reply.header('www-authenticate', 'Bearer error="invalid_token"');
      await sendProblem(reply, problem(401, 'invalid_api_key', 'the API key is not valid (unknown or revoked)'));
      return;
    }
    if (principal.role !== 'admin' && !rule.roles.includes(principal.role)) {
      await sendProblem(
        reply,
        problem(403, 'forbidden_role', `a ${principal.role} key may not ${req.method} ${req.routeOptions.url ?? req.url}`),
      );
      return;
    }
    const source = rule.source?.(req);
    if (
      principal.role === 'vendor' &&
      source !== undefined &&
      principal.sources.length > 0 &&
      !principal.sources.includes(source as RawSource)
    ) {
      await sendProblem(
        reply,
        problem(403, 'source_not_allowed', `this key may send ${principal.sources.join(', ')}, not ${source}`, [
          { field: 'source', reason: 'is not allowed for this key' },
        ]),
      );
      return;
    }
    req.principal = principal;
  };
}
