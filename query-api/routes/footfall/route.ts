// GET /v1/footfall: exact footfall history per cell and bucket. Until the privacy release layer
// lands (issue 5) it answers only the admin key and says `privacy.released: false`.

import { Type } from '@sinclair/typebox';
import { badRequest } from '../../../shared/errors.js';
import { cellResolution } from '../../../shared/h3.js';
import type { App, AuthHook } from '../../../shared/http.js';
import type { Store } from '../../../shared/store/types.js';
import { formatInstant, parseInstant } from '../../../shared/time.js';
import { BUCKETS, queryFootfall, type Bucket } from './query.js';

export interface FootfallRouteOptions {
  store: Store;
  auth: AuthHook;
  timeZone: string;
  maxResultRows: number;
  queryTimeoutMs: number;
}

const Querystring = Type.Object(
  {
    cells: Type.String({ minLength: 15, maxLength: 40_000, description: 'Comma-separated H3 cells (resolution 7–10).' }),
    from: Type.String({ description: 'Start (inclusive) of the first bucket: ISO-8601 with offset or epoch ms.' }),
    to: Type.String({ description: 'Buckets starting before this instant are returned.' }),
    bucket: Type.Union(
      Object.keys(BUCKETS).map((b) => Type.Literal(b)),
      { default: '1h' },
    ),
    resolution: Type.Optional(Type.Integer({ minimum: 7, maximum: 10 })),
    source: Type.Union([Type.Literal('camera'), Type.Literal('ticketing')], { default: 'camera' }),
    metric: Type.Union([Type.Literal('footfall'), Type.Literal('entries'), Type.Literal('exits')], { default: 'footfall' }),
    format: Type.Literal('json', { default: 'json' }),
  },
  { additionalProperties: false },
);

export function footfallRoute(app: App, opts: FootfallRouteOptions): void {
  app.get('/v1/footfall', { preHandler: opts.auth, schema: { querystring: Querystring } }, async (req) => {
    const q = req.query;
    const from = parseInstant(q.from);
    const to = parseInstant(q.to);
    if (from === null)
      throw badRequest('invalid_request', 'from is not a time', [
        { field: 'from', reason: 'must be ISO-8601 with offset or epoch milliseconds' },
      ]);
    if (to === null)
      throw badRequest('invalid_request', 'to is not a time', [
        { field: 'to', reason: 'must be ISO-8601 with offset or epoch milliseconds' },
      ]);
    if (to <= from) throw badRequest('invalid_request', 'to must be after from', [{ field: 'to', reason: 'must be after from' }]);
    const cells = [
      ...new Set(
        q.cells
          .split(',')
          .map((c) => c.trim().toLowerCase())
          .filter((c) => c.length > 0),
      ),
    ];
    if (cells.length > 2000)
      throw badRequest('invalid_request', 'too many cells', [{ field: 'cells', reason: 'at most 2000 cells per query' }]);
    const resolution = q.resolution ?? Math.max(...cells.map((c) => cellResolution(c) ?? 10));
    const query = { cells, from, to, bucket: q.bucket as Bucket, resolution, source: q.source, metric: q.metric };
    const rows = await queryFootfall(opts.store, query, {
      timeZone: opts.timeZone,
      maxRows: opts.maxResultRows,
      timeoutMs: opts.queryTimeoutMs,
    });
    return {
      query: { ...query, from: formatInstant(from, opts.timeZone), to: formatInstant(to, opts.timeZone), timeZone: opts.timeZone },
      privacy: { released: false, note: 'exact aggregates, served to the admin key only until the privacy release layer is in place' },
      data: rows.map((r) => ({
        cell: r.cell,
        bucketStart: formatInstant(r.bucketStartMs, opts.timeZone),
        source: q.source,
        metric: q.metric,
        value: r.value,
        suppressed: false,
      })),
    };
  });
}
