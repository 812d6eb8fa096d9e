// The grant check every data route runs (history now, live later): may this key read this dataset,
// in these cells, at this resolution, over this period? Admin keys may read everything; any other
// key needs a grant of its tenant for the dataset that allows the resolution and the whole period,
// and every requested cell inside the area of such a grant. A refusal is a 403 naming the field
// and the reason: no_grant, resolution_too_fine, outside_grant_period, outside_grant_area.

import type { FastifyRequest } from 'fastify';
import { PassageError } from '../../shared/errors.js';
import { cellResolution } from '../../shared/h3.js';
import { bucketEnd, bucketStartOf } from '../history.js';
import type { Bucket } from '../rollup.js';
import type { Dataset } from '../datasets.js';
import type { ActiveGrant } from './grants.js';

export interface GrantRequest {
  dataset: Dataset;
  /** The requested cells (H3, resolution 7–10) and the parameter they came from (cells, origin, area, zone). */
  area: { field: string; cells: readonly string[] };
  /** The output resolution. */
  resolution: number;
  /**
   * The period whose data the answer holds: [from, to) in epoch ms. `to` null is a live stream from
   * `from` on: any grant still running at `from` allows it, and the stream ends at `until`.
   */
  from: number;
  to: number | null;
}

export type GrantRefusal = 'no_grant' | 'resolution_too_fine' | 'outside_grant_period' | 'outside_grant_area';

export type GrantDecision =
  | { ok: true; /** When the grants allowing the request end (null: never); a live stream stops then. */ until: number | null }
  | { ok: false; code: GrantRefusal; field: string; reason: string };

/** Where a tenant's grants come from (GrantStore). */
export interface GrantSource {
  active(tenantId: string): Promise<ActiveGrant[]>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by requireGrant: the dataset this request releases rows of, and how many (metered on response). */
    release?: { dataset: Dataset; rows: number };
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();

function period(g: ActiveGrant): string {
  return `${g.fromMs === null ? 'the beginning' : iso(g.fromMs)} to ${g.toMs === null ? 'no end' : iso(g.toMs)}`;
}

/** Whether `grants` (one tenant's) allow `req`; the refusal names the first condition no grant meets. */
export function decide(grants: readonly ActiveGrant[], req: GrantRequest): GrantDecision {
  const ofDataset = grants.filter((g) => g.grant.dataset === req.dataset);
  if (ofDataset.length === 0) return { ok: false, code: 'no_grant', field: 'dataset', reason: `no grant for ${req.dataset}` };

  const fine = ofDataset.filter((g) => req.resolution <= g.grant.minResolution);
  if (fine.length === 0) {
    const finest = Math.max(...ofDataset.map((g) => g.grant.minResolution));
    return {
      ok: false,
      code: 'resolution_too_fine',
      field: 'resolution',
      reason: `resolution ${req.resolution} is finer than the finest granted for ${req.dataset} (${finest})`,
    };
  }

  const startsIn = (g: ActiveGrant) => g.fromMs === null || req.from >= g.fromMs;
  const endsIn = (g: ActiveGrant) => g.toMs === null || (req.to === null ? req.from < g.toMs : req.to <= g.toMs);
  const inPeriod = fine.filter((g) => startsIn(g) && endsIn(g));
  if (inPeriod.length === 0) {
    const field = fine.some(startsIn) && req.to !== null ? 'to' : 'from';
    const asked = field === 'from' ? `starts ${iso(req.from)}` : `reaches ${iso(req.to ?? req.from)}`;
    return {
      ok: false,
      code: 'outside_grant_period',
      field,
      reason: `the data asked for ${asked}, outside the period granted (${fine.map(period).join('; ')})`,
    };
  }

  const outside: string[] = [];
  for (const c of req.area.cells) {
    const cell = c.toLowerCase();
    if (cellResolution(cell) === null) continue; // not a cell: the route refuses it with 400
    if (!inPeriod.some((g) => g.cover.covers(cell))) outside.push(cell);
  }
  if (outside.length > 0) {
    const more = outside.length > 5 ? ` and ${outside.length - 5} more` : '';
    return {
      ok: false,
      code: 'outside_grant_area',
      field: req.area.field,
      reason: `${outside.slice(0, 5).join(', ')}${more} ${outside.length === 1 ? 'is' : 'are'} outside the area granted for ${req.dataset}`,
    };
  }
  const until = inPeriod.some((g) => g.toMs === null) ? null : Math.max(...inPeriod.map((g) => g.toMs!));
  return { ok: true, until };
}

/**
 * The grant check of a data route, after its authorize() preHandler: throws a 403 problem when the
 * key's tenant has no grant for `request` (fail closed: without a grant source only admin keys
 * pass), and marks the request as releasing rows of the dataset (metered on response).
 */
export async function requireGrant(
  req: FastifyRequest,
  grants: GrantSource | undefined,
  request: GrantRequest,
): Promise<{ until: number | null }> {
  const p = req.principal;
  if (p === undefined) throw new PassageError('missing_api_key', 'send the key as Authorization: Bearer <key>', { status: 401 });
  let until: number | null = null;
  if (p.role !== 'admin') {
    const d: GrantDecision =
      grants === undefined
        ? {
            ok: false,
            code: 'no_grant',
            field: 'dataset',
            reason: `grants are not checked on this route; ${request.dataset} is admin only`,
          }
        : decide(await grants.active(p.tenantId), request);
    if (!d.ok) throw new PassageError(d.code, d.reason, { status: 403, fields: [{ field: d.field, reason: d.reason }] });
    until = d.until;
  }
  req.release = { dataset: request.dataset, rows: 0 };
  return { until };
}

/**
 * The end of the data a history query releases: buckets starting in [from, to) are returned whole,
 * so the last one (the bucket holding to − 1 ms) may reach past `to`.
 */
export function releasedUntil(to: number, bucket: Bucket, timeZone: string): number {
  return bucketEnd(bucketStartOf(to - 1, bucket, timeZone), bucket, timeZone);
}

/** The grant request of a history route: its cells (parameter `field`), output resolution and whole buckets. */
export function historyGrant(
  dataset: Dataset,
  field: string,
  cells: readonly string[],
  q: { from: number; to: number; bucket: Bucket; resolution: number },
  timeZone: string,
): GrantRequest {
  return { dataset, area: { field, cells }, resolution: q.resolution, from: q.from, to: releasedUntil(q.to, q.bucket, timeZone) };
}

/** Counts `rows` more released by a request that passed requireGrant (a live stream, per event; metered when it ends). */
export function countReleased(req: FastifyRequest, rows: number): void {
  if (req.release !== undefined) req.release.rows += rows;
}
