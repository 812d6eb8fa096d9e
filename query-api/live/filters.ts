// What a live subscriber asks for, the same on the SSE routes (querystring) and the WebSocket
// (subscribe message): the fields and checks of the history routes (query-api/history.ts) minus
// time — a source and metric (footfall) or source (flows), cells (footfall) or origin/destination
// (flows) at resolution 7–10, the output resolution, the bucket (default 5m), the source's
// breakdown filter or split — and `lastEventId`. A subscription matches a released unit of its
// kind, source, metric, bucket and resolution whose cell (each end of a flow) is one of the
// requested cells or lies inside one (a requested cell coarser than the resolution), and whose
// breakdown is the one asked for: all values together by default, one value with a filter, each
// value with `breakdown=true`.

import { Type, type Static } from '@sinclair/typebox';
import { badRequest } from '../../shared/errors.js';
import { cellResolution } from '../../shared/h3.js';
import type { ReleaseKind } from '../../shared/topics.js';
import { BREAKDOWN_FIELDS, breakdownOf, cellList, parseCells } from '../history.js';
import { LATTICE_BUCKETS } from '../privacy/release.js';
import { groupCells } from '../rollup.js';
import { FLOW_SOURCES } from '../routes/flows/query.js';
import { MEASURE_FIELDS, metricOf } from '../routes/footfall/query.js';

const LIVE_FIELDS = {
  resolution: Type.Optional(
    Type.Integer({ minimum: 7, maximum: 10, description: 'Resolution of the units (default: the finest cell asked for, else 10).' }),
  ),
  bucket: Type.Union(
    LATTICE_BUCKETS.map((b) => Type.Literal(b)),
    { default: '5m', description: 'Bucket of the units: 5m (default), or 15m/1h/1d/1w, released once the bucket has passed.' },
  ),
  ...BREAKDOWN_FIELDS,
  lastEventId: Type.Optional(
    Type.String({
      maxLength: 64,
      description: 'Resume after this event id (as the Last-Event-ID header, which takes precedence): presence:<offset> or flows:<offset>.',
    }),
  ),
};

export const FootfallLiveQuery = Type.Object(
  {
    cells: Type.Optional(cellList('Comma-separated H3 cells (resolution 7–10); every cell when left out (admin keys only).')),
    ...MEASURE_FIELDS,
    ...LIVE_FIELDS,
  },
  { additionalProperties: false },
);
export type FootfallLiveQuery = Static<typeof FootfallLiveQuery>;

export const FlowsLiveQuery = Type.Object(
  {
    origin: Type.Optional(cellList('Comma-separated origin cells (resolution 7–10); every cell when left out (admin keys only).')),
    destination: Type.Optional(cellList('Comma-separated destination cells; every cell when left out.')),
    source: Type.Union(
      FLOW_SOURCES.map((s) => Type.Literal(s)),
      { default: 'ticketing' },
    ),
    ...LIVE_FIELDS,
  },
  { additionalProperties: false },
);
export type FlowsLiveQuery = Static<typeof FlowsLiveQuery>;

/** The breakdown units a subscription receives. */
export type BreakdownMatch = { mode: 'total' } | { mode: 'value'; value: string } | { mode: 'split' };

export interface LiveSpec {
  kind: ReleaseKind;
  /** indexKey of the units it may match. */
  key: string;
  source: string;
  /** The released metric (flows: trips). */
  metric: string;
  bucket: string;
  resolution: number;
  /**
   * Per cell axis of the unit (footfall: its cell; flows: origin, destination), the requested cells
   * by their resolution; null: any cell.
   */
  axes: (Map<number, Set<string>> | null)[];
  breakdown: BreakdownMatch;
  /** The cells asked for (grant checks): per axis, as given. */
  cells: { field: string; cells: string[] }[];
  /** The subscription as echoed to the subscriber. */
  query: Record<string, unknown>;
}

/** The key a unit and the subscriptions that may want it share: kind, source, metric, bucket, resolution. */
export function indexKey(kind: ReleaseKind, source: string, metric: string, bucket: string, resolution: number): string {
  return `${kind}|${source}|${metric}|${bucket}|${resolution}`;
}

function axisOf(field: string, value: string | undefined, resolution: number): { axis: Map<number, Set<string>> | null; cells: string[] } {
  if (value === undefined) return { axis: null, cells: [] };
  const cells = parseCells(field, value);
  if (cells.length === 0)
    throw badRequest('invalid_request', `${field} has no cells`, [{ field, reason: 'must name at least one H3 cell' }]);
  groupCells(field, cells, resolution); // resolution 7–10, none finer than the output
  const axis = new Map<number, Set<string>>();
  for (const c of cells) {
    const r = cellResolution(c)!;
    axis.set(r, (axis.get(r) ?? new Set()).add(c));
  }
  return { axis, cells };
}

function resolutionOf(asked: number | undefined, ...lists: (string | undefined)[]): number {
  if (asked !== undefined) return asked;
  const res = lists.flatMap((l) => (l === undefined ? [] : parseCells('cells', l).map((c) => cellResolution(c) ?? 10)));
  return res.length === 0 ? 10 : Math.max(...res);
}

function breakdownMatch(bd: { filter: string | null; split: boolean }): BreakdownMatch {
  if (bd.split) return bd.filter === null ? { mode: 'split' } : { mode: 'value', value: bd.filter };
  return bd.filter === null ? { mode: 'total' } : { mode: 'value', value: bd.filter };
}

export function footfallSpec(q: FootfallLiveQuery): LiveSpec {
  const metric = metricOf(q.source, q.metric);
  const bd = breakdownOf(q.source, q);
  const resolution = resolutionOf(q.resolution, q.cells);
  const cells = axisOf('cells', q.cells, resolution);
  return {
    kind: 'presence',
    key: indexKey('presence', q.source, metric, q.bucket, resolution),
    source: q.source,
    metric,
    bucket: q.bucket,
    resolution,
    axes: [cells.axis],
    breakdown: breakdownMatch(bd),
    cells: [{ field: 'cells', cells: cells.cells }],
    query: {
      dataset: 'footfall',
      source: q.source,
      metric,
      cells: cells.axis === null ? null : cells.cells,
      resolution,
      bucket: q.bucket,
      ...(bd.param !== null && bd.filter !== null ? { [bd.param]: bd.filter } : {}),
      breakdown: bd.split,
    },
  };
}

export function flowsSpec(q: FlowsLiveQuery): LiveSpec {
  const bd = breakdownOf(q.source, q);
  const resolution = resolutionOf(q.resolution, q.origin, q.destination);
  const origin = axisOf('origin', q.origin, resolution);
  const destination = axisOf('destination', q.destination, resolution);
  return {
    kind: 'flows',
    key: indexKey('flows', q.source, 'trips', q.bucket, resolution),
    source: q.source,
    metric: 'trips',
    bucket: q.bucket,
    resolution,
    axes: [origin.axis, destination.axis],
    breakdown: breakdownMatch(bd),
    cells: [
      { field: 'origin', cells: origin.cells },
      { field: 'destination', cells: destination.cells },
    ],
    query: {
      dataset: 'flows',
      source: q.source,
      origin: origin.axis === null ? null : origin.cells,
      destination: destination.axis === null ? null : destination.cells,
      resolution,
      bucket: q.bucket,
      ...(bd.param !== null && bd.filter !== null ? { [bd.param]: bd.filter } : {}),
      breakdown: bd.split,
    },
  };
}

/** An event id: the release topic's kind and the offset of the event on it. */
export interface EventId {
  kind: ReleaseKind;
  offset: number;
}

export function formatEventId(kind: ReleaseKind, offset: number): string {
  return `${kind}:${offset}`;
}

/**
 * The event a subscriber resumes after (`Last-Event-ID`, else `lastEventId`), checked against the
 * stream's kind; null: start with the next release.
 */
export function resumeAfter(kind: ReleaseKind, header: string | undefined, query: string | undefined): number | null {
  const raw = header ?? query;
  if (raw === undefined || raw.trim() === '') return null;
  const field = header !== undefined ? 'Last-Event-ID' : 'lastEventId';
  const m = /^(presence|flows):(-1|\d{1,15})$/.exec(raw.trim());
  if (m === null)
    throw badRequest('invalid_request', `${field} is not an event id of this feed`, [
      { field, reason: `must be ${kind}:<offset>, as sent in the id of an event` },
    ]);
  if (m[1] !== kind)
    throw badRequest('invalid_request', `${field} belongs to the ${m[1]} feed, not ${kind}`, [
      { field, reason: `must be ${kind}:<offset>; ${m[1]} ids resume the other feed` },
    ]);
  return Number(m[2]);
}
