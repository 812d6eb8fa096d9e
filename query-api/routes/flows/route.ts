// GET /v1/flows: released origin→destination trips per cell pair and bucket (ticketing tap-in→tap-out
// journeys, telco successive cells), both ends rolled up to one resolution, optionally filtered to
// or split by ticketing mode / telco segment. Every value is a release (./release.ts,
// query-api/privacy/); `aggregate=area` (with a destination list) gives one row per bucket for all
// the cell pairs together, summed from the noisy units.

import { Type } from '@sinclair/typebox';
import type { App } from '../../../shared/http.js';
import { formatInstant } from '../../../shared/time.js';
import { historyGrant, requireGrant } from '../../access/guard.js';
import { AREA_FIELDS } from '../../areas.js';
import { FORMAT_FIELD, sendFormatted, type Column } from '../../formats.js';
import {
  AGGREGATE_FIELD,
  BREAKDOWN_FIELDS,
  breakdownOf,
  cellList,
  echoTimes,
  outputResolution,
  parseCells,
  requestedSpace,
  releaserFor,
  TIME_FIELDS,
  timeRange,
  type HistoryRouteOptions,
} from '../../history.js';
import type { Bucket } from '../../rollup.js';
import { FLOW_SOURCES } from './query.js';
import { releaseFlows } from './release.js';

export type FlowsRouteOptions = HistoryRouteOptions;

const { mode, segment, breakdown } = BREAKDOWN_FIELDS;

const Querystring = Type.Object(
  {
    origin: Type.Optional(cellList('Comma-separated origin H3 cells (resolution 7–10); or give the origin as `area` or `zone`.')),
    ...AREA_FIELDS,
    destination: Type.Optional(cellList('Comma-separated destination H3 cells (resolution 7–10); default: any.')),
    ...TIME_FIELDS,
    source: Type.Union(
      FLOW_SOURCES.map((s) => Type.Literal(s)),
      { default: 'ticketing' },
    ),
    mode,
    segment,
    breakdown,
    aggregate: AGGREGATE_FIELD,
    format: FORMAT_FIELD,
  },
  { additionalProperties: false },
);

export function flowsRoute(app: App, opts: FlowsRouteOptions): void {
  app.get('/v1/flows', { preHandler: opts.auth, schema: { querystring: Querystring } }, async (req, reply) => {
    const q = req.query;
    const range = timeRange(q);
    const bd = breakdownOf(q.source, q);
    const space = requestedSpace(q, 'origin', q.resolution, opts.zones);
    const origin = space.cells;
    const destination = q.destination === undefined ? null : parseCells('destination', q.destination);
    const query = {
      origin,
      destination,
      ...range,
      bucket: q.bucket as Bucket,
      resolution: space.field === 'origin' ? outputResolution(q.resolution, [...origin, ...(destination ?? [])]) : space.resolution,
      source: q.source,
    };
    await requireGrant(req, opts.grants, historyGrant('flows', space.field, origin, query, opts.timeZone));
    const rel = releaserFor(opts, 'flows');
    const area = q.aggregate === 'area';
    const released = await releaseFlows(opts, rel, { ...query, breakdown: bd.filter, splitByBreakdown: bd.split }, area);
    const param = bd.param!; // every flow source has a breakdown
    const columns: Column[] = [
      ...(area ? (['originCells', 'destinationCells'] as const) : (['originCell', 'destinationCell'] as const)),
      'bucketStart',
      'source',
      ...(bd.split ? [param] : []),
      'trips',
      'avgDurationMin',
      'suppressed',
    ];
    return sendFormatted(
      req,
      reply,
      opts.store,
      q.format,
      {
        query: {
          ...query,
          ...(bd.filter !== null ? { [param]: bd.filter } : {}),
          breakdown: bd.split,
          aggregate: q.aggregate,
          ...(q.area === undefined ? {} : { area: q.area }),
          ...(q.zone === undefined ? {} : { zone: q.zone }),
          ...echoTimes(range, opts.timeZone),
        },
        privacy: rel.describe('flows'),
        data: released.map((r) => ({
          ...(area
            ? { originCells: r.originCells, destinationCells: r.destinationCells }
            : { originCell: r.originCell, destinationCell: r.destinationCell }),
          bucketStart: formatInstant(r.bucketStartMs, opts.timeZone),
          source: q.source,
          ...('breakdown' in r ? { [param]: r.breakdown } : {}),
          trips: r.trips,
          avgDurationMin: r.avgDurationMin,
          suppressed: r.suppressed,
        })),
        columns,
      },
      { timeoutMs: opts.queryTimeoutMs },
    );
  });
}
