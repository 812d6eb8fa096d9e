// What the history routes (/v1/footfall, /v1/flows) share on the HTTP side: their options, the
// querystring fields of time, space and breakdown, and checking those fields. Every value they
// answer is a release of the privacy layer (query-api/privacy/release.ts), with `privacy.released: true`.

import { Type } from '@sinclair/typebox';
import { TELCO_SEGMENTS } from '../schemas/inputs.js';
import { CAMERA_CLASSES } from '../schemas/records.js';
import { badRequest, PassageError } from '../shared/errors.js';
import { BASE_RESOLUTION, cellResolution } from '../shared/h3.js';
import { areaCells } from './areas.js';
import type { Zones } from './zones/zones.js';
import type { AuthHook } from '../shared/http.js';
import type { GrantSource } from './access/guard.js';
import type { Store } from '../shared/store/types.js';
import { formatInstant, HOUR_MS, MINUTE_MS, parseInstant, ZoneCalendar } from '../shared/time.js';
import type { PrivacyDataset } from '../shared/privacy.js';
import { Releaser, type PrivacyOptions } from './privacy/release.js';
import { BUCKETS, type Bucket, type RollupLimits } from './rollup.js';

export interface HistoryRouteOptions {
  store: Store;
  auth: AuthHook;
  /** Grants of non-admin keys (query-api/access); without it only admin keys pass the grant check. */
  grants?: GrantSource;
  timeZone: string;
  maxResultRows: number;
  queryTimeoutMs: number;
  /** The noise secret and release settings. Without them the routes release nothing: 503 privacy_not_configured. */
  privacy?: PrivacyOptions;
  /** Named zones (GET /v1/zones) that `zone=` resolves; without them a zone is unknown. */
  zones?: Zones;
}

/** The releaser of `dataset`; a route without privacy options answers 503 rather than anything unreleased. */
export function releaserFor(opts: HistoryRouteOptions, dataset: PrivacyDataset): Releaser {
  if (opts.privacy === undefined)
    throw new PassageError('privacy_not_configured', 'the privacy release layer has no secret and settings; nothing can be released', {
      status: 503,
    });
  return Releaser.of(opts.privacy, dataset);
}

/** Most lattice units one area total may sum: each is one keyed hash (a few µs), so about a second of CPU at most. */
export const MAX_AREA_UNITS = 200_000;

/** `aggregate`: one row per cell (default), or one per bucket for the whole area, summed from the noisy units. */
export const AGGREGATE_FIELD = Type.Union([Type.Literal('cell'), Type.Literal('area')], {
  default: 'cell',
  description:
    'cell: a row per cell and bucket; area: a row per bucket for all the cells together — the sum of their noisy lattice units, then rounded and thresholded.',
});

export const MAX_CELLS = 2000;

export function cellList(description: string) {
  return Type.String({ minLength: 15, maxLength: 40_000, description });
}

/** Querystring fields of time and resolution, shared by every history route. */
export const TIME_FIELDS = {
  from: Type.String({ description: 'Start (inclusive) of the first bucket: ISO-8601 with offset or epoch ms.' }),
  to: Type.String({ description: 'Buckets starting before this instant are returned.' }),
  bucket: Type.Union(
    Object.keys(BUCKETS).map((b) => Type.Literal(b)),
    { default: '1h' },
  ),
  resolution: Type.Optional(
    Type.Integer({ minimum: 7, maximum: 10, description: 'Output H3 resolution (default: the finest asked for).' }),
  ),
};

/** The breakdown of each source: the querystring parameter that filters on it (null: none). */
export const BREAKDOWN_PARAM = { camera: 'class', ticketing: 'mode', telco: 'segment', wifi: null } as const;
export type BreakdownParam = 'class' | 'mode' | 'segment';

/** Querystring fields of the breakdown filters and the split. */
export const BREAKDOWN_FIELDS = {
  class: Type.Optional(
    Type.Union(
      CAMERA_CLASSES.map((c) => Type.Literal(c)),
      { description: 'Camera class (source camera).' },
    ),
  ),
  mode: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'Transport mode (source ticketing).' })),
  segment: Type.Optional(
    Type.Union(
      TELCO_SEGMENTS.map((s) => Type.Literal(s)),
      { description: 'Subscriber segment (source telco).' },
    ),
  ),
  breakdown: Type.Boolean({ default: false, description: 'One row per breakdown value (class, mode or segment).' }),
};

export interface Breakdown {
  /** The parameter naming this source's breakdown (null: the source has none). */
  param: BreakdownParam | null;
  /** Only rows of this value (null: all). */
  filter: string | null;
  split: boolean;
}

/**
 * The breakdown asked of `source`: a filter parameter of another source's breakdown, or a split of a
 * source without one, is refused with the field at fault.
 */
export function breakdownOf(
  source: keyof typeof BREAKDOWN_PARAM,
  q: { class?: string; mode?: string; segment?: string; breakdown: boolean },
): Breakdown {
  const param = BREAKDOWN_PARAM[source];
  for (const p of ['class', 'mode', 'segment'] as const) {
    if (q[p] !== undefined && p !== param) {
      const fits = Object.entries(BREAKDOWN_PARAM).find(([, v]) => v === p)![0];
      throw badRequest('invalid_request', `${p} filters source ${fits}, not ${source}`, [
        { field: p, reason: `applies to source ${fits} only, not ${source}` },
      ]);
    }
  }
  if (q.breakdown && param === null)
    throw badRequest('invalid_request', `source ${source} has no breakdown`, [
      { field: 'breakdown', reason: `source ${source} has no breakdown to split by` },
    ]);
  return { param, filter: param === null ? null : (q[param] ?? null), split: q.breakdown };
}

/** `from` and `to` as epoch ms, to after from. */
export function timeRange(q: { from: string; to: string }): { from: number; to: number } {
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
  return { from, to };
}

/** A comma-separated cell list (parameter `field`): trimmed, lower-cased, without repeats. */
export function parseCells(field: string, value: string): string[] {
  const cells = [
    ...new Set(
      value
        .split(',')
        .map((c) => c.trim().toLowerCase())
        .filter((c) => c.length > 0),
    ),
  ];
  if (cells.length > MAX_CELLS)
    throw badRequest('invalid_request', `too many ${field} cells`, [{ field, reason: `at most ${MAX_CELLS} cells per query` }]);
  return cells;
}

/** Where a history request asks about: one of a cell list (parameter `cellsField`), a GeoJSON `area` or a `zone`. */
export interface Space {
  field: string;
  cells: string[];
  resolution: number;
}

/**
 * The cells of a request given as `cellsField` (a list), `area` (GeoJSON) or `zone` (exactly one of
 * them), and its output resolution: the one asked for, else the finest listed cell, else 10 for an
 * area or zone (covered by the cells of that resolution whose centres lie inside it).
 */
export function requestedSpace(
  q: { area?: string; zone?: string } & Record<string, unknown>,
  cellsField: string,
  resolution: number | undefined,
  zones: Zones | undefined,
): Space {
  const given = [cellsField, 'area', 'zone'].filter((f) => q[f] !== undefined);
  if (given.length !== 1) {
    const reason = given.length === 0 ? `one of ${cellsField}, area, zone is required` : `give only one of ${cellsField}, area, zone`;
    throw badRequest('invalid_request', reason, [{ field: given[1] ?? cellsField, reason }]);
  }
  const r = resolution ?? BASE_RESOLUTION;
  if (q.area !== undefined) return { field: 'area', cells: areaCells(q.area, r, 'area'), resolution: r };
  if (q.zone !== undefined) {
    if (zones === undefined) throw badRequest('unknown_zone', 'no zones are loaded', [{ field: 'zone', reason: 'is not a zone id' }]);
    return { field: 'zone', cells: zones.cells(q.zone, r, 'zone'), resolution: r };
  }
  const cells = parseCells(cellsField, String(q[cellsField]));
  return { field: cellsField, cells, resolution: outputResolution(resolution, cells) };
}

/** The output resolution: the one asked for, else the finest of the requested cells. */
export function outputResolution(asked: number | undefined, cells: string[]): number {
  return asked ?? Math.max(...cells.map((c) => cellResolution(c) ?? 10));
}

export function limitsOf(opts: HistoryRouteOptions): RollupLimits {
  return { timeZone: opts.timeZone, maxRows: opts.maxResultRows, timeoutMs: opts.queryTimeoutMs };
}

/** The query as echoed in a response: times in the configured zone. */
export function echoTimes(range: { from: number; to: number }, timeZone: string) {
  return { from: formatInstant(range.from, timeZone), to: formatInstant(range.to, timeZone), timeZone };
}

/** The start of the `bucket` holding `ms`: 5m and 15m on the UTC grid (every zone's offset is a multiple of 15 minutes), hours, days and ISO weeks (Monday) in `timeZone`. */
export function bucketStartOf(ms: number, bucket: Bucket, timeZone: string): number {
  switch (bucket) {
    case '5m':
    case '15m': {
      const step = (bucket === '5m' ? 5 : 15) * MINUTE_MS;
      return Math.floor(ms / step) * step;
    }
    case '1h':
      return ZoneCalendar.of(timeZone).startOf(ms, 'hour');
    case '1d':
      return ZoneCalendar.of(timeZone).startOf(ms, 'day');
    case '1w':
      return ZoneCalendar.of(timeZone).startOf(ms, 'week');
  }
}

/** The end (exclusive) of the bucket starting at `startMs`: calendar days and weeks in `timeZone` (23 or 25 hours on DST days). */
export function bucketEnd(startMs: number, bucket: Bucket, timeZone: string): number {
  switch (bucket) {
    case '5m':
      return startMs + 5 * MINUTE_MS;
    case '15m':
      return startMs + 15 * MINUTE_MS;
    case '1h':
      return startMs + HOUR_MS;
    case '1d':
      return ZoneCalendar.of(timeZone).plusDays(startMs, 1);
    case '1w':
      return ZoneCalendar.of(timeZone).plusDays(startMs, 7);
  }
}
