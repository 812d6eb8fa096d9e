// GET /v1/footfall: exact history per cell and bucket of every source's metrics — camera and
// ticketing footfall/entries/exits, Wi-Fi unique_visitors and dwell_avg_min, telco presence —
// optionally filtered to or split by the source's breakdown (camera class, ticketing mode, telco
// segment), each row with the weather, events and incidents of its cell and bucket (query-api/enrich.ts).
// Until the privacy release layer lands (issue 5) it answers only the admin key and says
// `privacy.released: false`.

import { Type } from '@sinclair/typebox';
import type { App } from '../../../shared/http.js';
import { formatInstant } from '../../../shared/time.js';
import { enrichRows } from '../../enrich.js';
import {
  BREAKDOWN_FIELDS,
  bucketEnd,
  breakdownOf,
  cellList,
  echoTimes,
  limitsOf,
  outputResolution,
  parseCells,
  TIME_FIELDS,
  timeRange,
  UNRELEASED,
  type HistoryRouteOptions,
} from '../../history.js';
import type { Bucket } from '../../rollup.js';
import { METRICS, metricOf, queryFootfall, SOURCES } from './query.js';

export type FootfallRouteOptions = HistoryRouteOptions;

const Querystring = Type.Object(
  {
    cells: cellList('Comma-separated H3 cells (resolution 7–10).'),
    ...TIME_FIELDS,
    source: Type.Union(
      SOURCES.map((s) => Type.Literal(s)),
      { default: 'camera' },
    ),
    metric: Type.Optional(
      Type.Union(
        METRICS.map((m) => Type.Literal(m)),
        {
          description:
            'camera, ticketing: footfall (default), entries, exits; wifi: unique_visitors (default), dwell_avg_min; telco: presence',
        },
      ),
    ),
    ...BREAKDOWN_FIELDS,
    enrich: Type.Boolean({
      default: true,
      description: 'Attach the weather, events and incidents of each row’s cell and bucket (false: leave them out, faster).',
    }),
    format: Type.Literal('json', { default: 'json' }),
  },
  { additionalProperties: false },
);

export function footfallRoute(app: App, opts: FootfallRouteOptions): void {
  app.get('/v1/footfall', { preHandler: opts.auth, schema: { querystring: Querystring } }, async (req) => {
    const q = req.query;
    const range = timeRange(q);
    const metric = metricOf(q.source, q.metric);
    const bd = breakdownOf(q.source, q);
    const cells = parseCells('cells', q.cells);
    const query = {
      cells,
      ...range,
      bucket: q.bucket as Bucket,
      resolution: outputResolution(q.resolution, cells),
      source: q.source,
      metric,
    };
    const rows = await queryFootfall(opts.store, { ...query, breakdown: bd.filter, splitByBreakdown: bd.split }, limitsOf(opts));
    const context = q.enrich
      ? await enrichRows(
          opts.store,
          rows.map((r) => ({
            cell: r.cell,
            bucketStartMs: r.bucketStartMs,
            bucketEndMs: bucketEnd(r.bucketStartMs, query.bucket, opts.timeZone),
          })),
          { timeZone: opts.timeZone, timeoutMs: opts.queryTimeoutMs },
        )
      : null;
    return {
      query: {
        ...query,
        ...(bd.param !== null && bd.filter !== null ? { [bd.param]: bd.filter } : {}),
        breakdown: bd.split,
        ...echoTimes(range, opts.timeZone),
      },
      privacy: UNRELEASED,
      data: rows.map((r, i) => ({
        cell: r.cell,
        bucketStart: formatInstant(r.bucketStartMs, opts.timeZone),
        source: q.source,
        metric,
        ...('breakdown' in r ? { breakdown: r.breakdown } : {}),
        value: r.value,
        suppressed: false,
        ...(context === null ? {} : context[i]),
      })),
    };
  });
}
