// GET /v1/footfall: released history per cell and bucket of every source's metrics — camera and
// ticketing footfall/entries/exits, Wi-Fi unique_visitors and dwell_avg_min, telco presence —
// optionally filtered to or split by the source's breakdown (camera class, ticketing mode, telco
// segment), each row with the weather, events and incidents of its cell and bucket (query-api/enrich.ts).
// Every value is a release (./release.ts, query-api/privacy/): one row per lattice unit the request
// covers, with data or not, noisy and suppressed below k; `aggregate=area` gives one row per bucket
// for all the cells together, summed from the noisy units.

import { Type } from '@sinclair/typebox';
import type { App } from '../../../shared/http.js';
import { formatInstant } from '../../../shared/time.js';
import { historyGrant, requireGrant } from '../../access/guard.js';
import { AREA_FIELDS } from '../../areas.js';
import { enrichRows } from '../../enrich.js';
import { FORMAT_FIELD, sendFormatted, type Column } from '../../formats.js';
import {
  AGGREGATE_FIELD,
  BREAKDOWN_FIELDS,
  bucketEnd,
  breakdownOf,
  cellList,
  echoTimes,
  requestedSpace,
  releaserFor,
  TIME_FIELDS,
  timeRange,
  type HistoryRouteOptions,
} from '../../history.js';
import type { Bucket } from '../../rollup.js';
import { MEASURE_FIELDS, metricOf } from './query.js';
import { releaseFootfall } from './release.js';

export type FootfallRouteOptions = HistoryRouteOptions;

const Querystring = Type.Object(
  {
    cells: Type.Optional(cellList('Comma-separated H3 cells (resolution 7–10); or give `area` or `zone`.')),
    ...AREA_FIELDS,
    ...TIME_FIELDS,
    ...MEASURE_FIELDS,
    ...BREAKDOWN_FIELDS,
    aggregate: AGGREGATE_FIELD,
    enrich: Type.Boolean({
      default: true,
      description:
        'Attach the weather, events and incidents of each row’s cell and bucket (false: leave them out, faster; area rows have none).',
    }),
    format: FORMAT_FIELD,
  },
  { additionalProperties: false },
);

export function footfallRoute(app: App, opts: FootfallRouteOptions): void {
  app.get('/v1/footfall', { preHandler: opts.auth, schema: { querystring: Querystring } }, async (req, reply) => {
    const q = req.query;
    const range = timeRange(q);
    const metric = metricOf(q.source, q.metric);
    const bd = breakdownOf(q.source, q);
    const space = requestedSpace(q, 'cells', q.resolution, opts.zones);
    const { cells } = space;
    const query = {
      cells,
      ...range,
      bucket: q.bucket as Bucket,
      resolution: space.resolution,
      source: q.source,
      metric,
    };
    await requireGrant(req, opts.grants, historyGrant('footfall', space.field, cells, query, opts.timeZone));
    const rel = releaserFor(opts, 'footfall');
    const area = q.aggregate === 'area';
    const released = await releaseFootfall(opts, rel, { ...query, breakdown: bd.filter, splitByBreakdown: bd.split }, area);
    const context =
      q.enrich && !area
        ? await enrichRows(
            opts.store,
            released.map((r) => ({
              cell: r.cell!,
              bucketStartMs: r.bucketStartMs,
              bucketEndMs: bucketEnd(r.bucketStartMs, query.bucket, opts.timeZone),
            })),
            { timeZone: opts.timeZone, timeoutMs: opts.queryTimeoutMs },
          )
        : null;
    const columns: Column[] = [
      area ? 'cells' : 'cell',
      'bucketStart',
      'source',
      'metric',
      ...(bd.split ? (['breakdown'] as const) : []),
      'value',
      'suppressed',
      ...(context === null ? [] : (['weather', 'events', 'incidents'] as const)),
    ];
    return sendFormatted(
      req,
      reply,
      opts.store,
      q.format,
      {
        query: {
          ...query,
          ...(bd.param !== null && bd.filter !== null ? { [bd.param]: bd.filter } : {}),
          breakdown: bd.split,
          aggregate: q.aggregate,
          ...(q.area === undefined ? {} : { area: q.area }),
          ...(q.zone === undefined ? {} : { zone: q.zone }),
          ...echoTimes(range, opts.timeZone),
        },
        privacy: rel.describe('footfall'),
        data: released.map((r, i) => {
          // NOTE: built field by field (no spreads): this runs once per row of answers of 100,000 rows.
          const row: Record<string, unknown> = area ? { cells: r.cells } : { cell: r.cell };
          row.bucketStart = formatInstant(r.bucketStartMs, opts.timeZone);
          row.source = q.source;
          row.metric = metric;
          if ('breakdown' in r) row.breakdown = r.breakdown;
          row.value = r.value;
          row.suppressed = r.suppressed;
          if (context !== null) Object.assign(row, context[i]);
          return row;
        }),
        columns,
      },
      { timeoutMs: opts.queryTimeoutMs },
    );
  });
}
