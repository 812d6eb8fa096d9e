// GET /v1/flows: exact origin→destination trips per cell pair and bucket (ticketing tap-in→tap-out
// journeys, telco successive cells), both ends rolled up to one resolution, optionally filtered to
// or split by ticketing mode / telco segment. Until the privacy release layer lands (issue 5) it
// answers only the admin key and says `privacy.released: false`.

import { Type } from '@sinclair/typebox';
import type { App } from '../../../shared/http.js';
import { formatInstant } from '../../../shared/time.js';
import {
  BREAKDOWN_FIELDS,
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
import { FLOW_SOURCES, queryFlows } from './query.js';

export type FlowsRouteOptions = HistoryRouteOptions;

const { mode, segment, breakdown } = BREAKDOWN_FIELDS;

const Querystring = Type.Object(
  {
    origin: cellList('Comma-separated origin H3 cells (resolution 7–10).'),
    destination: Type.Optional(cellList('Comma-separated destination H3 cells (resolution 7–10); default: any.')),
    ...TIME_FIELDS,
    source: Type.Union(
      FLOW_SOURCES.map((s) => Type.Literal(s)),
      { default: 'ticketing' },
    ),
    mode,
    segment,
    breakdown,
    format: Type.Literal('json', { default: 'json' }),
  },
  { additionalProperties: false },
);

export function flowsRoute(app: App, opts: FlowsRouteOptions): void {
  app.get('/v1/flows', { preHandler: opts.auth, schema: { querystring: Querystring } }, async (req) => {
    const q = req.query;
    const range = timeRange(q);
    const bd = breakdownOf(q.source, q);
    const origin = parseCells('origin', q.origin);
    const destination = q.destination === undefined ? null : parseCells('destination', q.destination);
    const query = {
      origin,
      destination,
      ...range,
      bucket: q.bucket as Bucket,
      resolution: outputResolution(q.resolution, [...origin, ...(destination ?? [])]),
      source: q.source,
    };
    const rows = await queryFlows(opts.store, { ...query, breakdown: bd.filter, splitByBreakdown: bd.split }, limitsOf(opts));
    const param = bd.param!; // every flow source has a breakdown
    return {
      query: {
        ...query,
        ...(bd.filter !== null ? { [param]: bd.filter } : {}),
        breakdown: bd.split,
        ...echoTimes(range, opts.timeZone),
      },
      privacy: UNRELEASED,
      data: rows.map((r) => ({
        originCell: r.originCell,
        destinationCell: r.destinationCell,
        bucketStart: formatInstant(r.bucketStartMs, opts.timeZone),
        source: q.source,
        ...('breakdown' in r ? { [param]: r.breakdown } : {}),
        trips: r.trips,
        avgDurationMin: r.avgDurationMin,
        suppressed: false,
      })),
    };
  });
}
