// The audit log: who asked what — one row per request to a data, usage or admin route (refused ones
// included), written in batches to `audit_log` (kept 400 days, migration 0008). Keys never appear:
// only key ids; query parameters and admin bodies are kept with anything named like a secret
// redacted, cut to 4 KB.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../shared/log.js';
import type { Store } from '../../shared/store/types.js';
import { clickhouseTime } from '../../shared/time.js';
import { BatchWriter, type BatchOptions } from './batch.js';

/** Routes not audited: vendors' pushes (high volume, counted in metrics) and operational routes. */
const UNAUDITED = [/^\/v1\/ingest\//, /^\/v1\/context\//];
/** Parameter and field names whose values are never logged (`keyId` is an id, not a secret, and is kept). */
const SECRET = /^(key|api[-_]?key|token|access[-_]?token|secret|password|auth|authorization)$/i;
const MAX_TEXT = 4096;

export interface AuditEntry {
  time: string;
  keyId: string;
  tenantId: string;
  role: string;
  method: string;
  route: string;
  path: string;
  query: string;
  detail: string;
  status: number;
  rows: number;
}

interface StoredAudit extends Record<string, unknown> {
  time: string;
  key_id: string;
  tenant_id: string;
  role: string;
  method: string;
  route: string;
  path: string;
  query: string;
  detail: string;
  status: number;
  rows: number;
  duration_ms: number;
}

/** Whether requests to `route` (a route pattern) are audited: every /v1 route but ingest pushes. */
export function audited(route: string | undefined): route is string {
  return route !== undefined && route.startsWith('/v1/') && !UNAUDITED.some((r) => r.test(route));
}

/** The query string with secret-looking parameters redacted. */
export function auditQuery(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return '';
  const params = new URLSearchParams(url.slice(at + 1));
  for (const name of [...params.keys()]) if (SECRET.test(name)) params.set(name, '[redacted]');
  return params.toString().slice(0, MAX_TEXT);
}

/** An admin request body with secret-looking fields redacted ('' for none). */
export function auditDetail(body: unknown): string {
  if (body === undefined || body === null || typeof body !== 'object') return '';
  const text = JSON.stringify(body, (k, v: unknown) => (k !== '' && SECRET.test(k) ? '[redacted]' : v));
  return text.slice(0, MAX_TEXT);
}

export class AuditLog {
  private readonly writer: BatchWriter<StoredAudit>;

  constructor(
    private readonly store: Store,
    logger: Logger,
    opts: BatchOptions = {},
  ) {
    this.writer = new BatchWriter(store, 'audit_log', logger, undefined, opts);
  }

  /** Records a finished request (the onResponse hook calls this). */
  record(req: FastifyRequest, reply: FastifyReply, rows: number): void {
    const p = req.principal;
    this.writer.add({
      time: clickhouseTime(Date.now()),
      key_id: p?.keyId ?? '',
      tenant_id: p?.tenantId ?? '',
      role: p?.role ?? '',
      method: req.method,
      route: req.routeOptions.url ?? '',
      path: req.url.split('?')[0]!,
      query: auditQuery(req.url),
      detail: req.method === 'GET' ? '' : auditDetail(req.body),
      status: reply.statusCode,
      rows,
      duration_ms: reply.elapsedTime,
    });
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  close(): Promise<void> {
    return this.writer.close();
  }

  /** The latest entries first (pending ones written first), optionally of one key or tenant. */
  async recent(filter: { keyId?: string; tenantId?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    await this.flush();
    const rows = await this.store.query<StoredAudit>(
      `SELECT * FROM {db:Identifier}.audit_log
       WHERE ({anyKey:Bool} OR key_id = {key:String}) AND ({anyTenant:Bool} OR tenant_id = {tenant:String})
       ORDER BY time DESC LIMIT {limit:UInt32}`,
      {
        anyKey: filter.keyId === undefined,
        key: filter.keyId ?? '',
        anyTenant: filter.tenantId === undefined,
        tenant: filter.tenantId ?? '',
        limit: filter.limit ?? 100,
      },
    );
    return rows.map((r) => ({
      time: new Date(`${r.time}Z`).toISOString(),
      keyId: r.key_id,
      tenantId: r.tenant_id,
      role: r.role,
      method: r.method,
      route: r.route,
      path: r.path,
      query: r.query,
      detail: r.detail,
      status: Number(r.status),
      rows: Number(r.rows),
    }));
  }
}
