// The answer formats of the history routes (/v1/footfall, /v1/flows): `format=json|csv|geojson|parquet`.
// Every format carries the same released rows (query-api/privacy/): a suppressed row has an empty
// (null) value and suppressed=true.
//
// - json: `{query, privacy, data}`, unchanged.
// - csv and parquet: written by ClickHouse from the released rows, which are computed in JS and so
//   cannot come from the exact tables: they are bound as one String parameter of JSONEachRow and read
//   back through the `format` table function with an explicit structure (COLUMN_TYPES), so that
//   every column has its type whatever the rows hold (a nullable value for suppressed rows, an empty
//   answer still has its header). Nested values (weather, events, incidents) are JSON text columns.
//   The privacy summary goes in the `Passage-Privacy` header, e.g. `released; dataset=footfall;
//   k=10; epsilon=1; noise=laplace`; the query is the request itself and is not echoed.
// - geojson: a FeatureCollection with `query` and `privacy` as foreign members and one Feature per
//   row: a cell's boundary polygon, a flow's line from the origin's centre to the destination's,
//   and no geometry (null) for area-aggregated rows (the union of the cells is not drawn).
//
// Metering: a JSON answer's rows are counted by the access hook on `{data: [...]}`; the other
// formats are not that object, so their rows are counted here with countReleased.

import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Feature, FeatureCollection, Geometry, Position } from 'geojson';
import { cellToBoundary, cellToLatLng } from 'h3-js';
import type { PrivacyDataset } from '../shared/privacy.js';
import type { Store } from '../shared/store/types.js';
import { countReleased } from './access/guard.js';

export const FORMATS = ['json', 'csv', 'geojson', 'parquet'] as const;
export type Format = (typeof FORMATS)[number];

export const FORMAT_FIELD = Type.Union(
  FORMATS.map((f) => Type.Literal(f)),
  {
    default: 'json',
    description:
      'json: {query, privacy, data}; csv (text/csv) and parquet (application/vnd.apache.parquet) with the privacy summary in the Passage-Privacy header; geojson: a FeatureCollection, one Feature per row (cell polygon, or origin→destination line), query and privacy as foreign members.',
  },
);

/** ClickHouse type of every field a history row may have (csv and parquet columns). */
export const COLUMN_TYPES = {
  cell: 'String',
  cells: 'Int64',
  originCell: 'String',
  destinationCell: 'String',
  originCells: 'Int64',
  destinationCells: 'Int64',
  bucketStart: 'String',
  source: 'String',
  metric: 'String',
  breakdown: 'Nullable(String)',
  class: 'Nullable(String)',
  mode: 'Nullable(String)',
  segment: 'Nullable(String)',
  value: 'Nullable(Float64)',
  trips: 'Nullable(Int64)',
  avgDurationMin: 'Nullable(Float64)',
  suppressed: 'Bool',
  weather: 'Nullable(String)',
  events: 'String',
  incidents: 'String',
} as const;
export type Column = keyof typeof COLUMN_TYPES;

/** Fields holding objects or arrays: JSON text in csv and parquet. */
const JSON_COLUMNS = new Set<Column>(['weather', 'events', 'incidents']);

export const MEDIA_TYPES: Record<Format, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  geojson: 'application/geo+json; charset=utf-8',
  parquet: 'application/vnd.apache.parquet',
};

export interface Privacy {
  released: true;
  dataset: PrivacyDataset;
  k: number;
  epsilon: number;
  noise: string;
}

export interface HistoryAnswer {
  query: Record<string, unknown>;
  privacy: Privacy;
  /** The fields of every row, in order (the csv and parquet columns). */
  columns: readonly Column[];
  data: Record<string, unknown>[];
}

/** The `Passage-Privacy` header: `released; dataset=…; k=…; epsilon=…; noise=…`. */
export function privacyHeader(p: Privacy): string {
  return `released; dataset=${p.dataset}; k=${p.k}; epsilon=${p.epsilon}; noise=${p.noise}`;
}

/**
 * Sends `answer` in `format`: the JSON object is returned as is (serialised and metered by the
 * hooks); the others are sent as text or bytes, their rows counted as released.
 */
export async function sendFormatted(
  req: FastifyRequest,
  reply: FastifyReply,
  store: Store,
  format: Format,
  answer: HistoryAnswer,
  opts: { timeoutMs?: number } = {},
): Promise<unknown> {
  const { query, privacy, data } = answer;
  if (format === 'json') return { query, privacy, data };
  countReleased(req, data.length);
  reply.type(MEDIA_TYPES[format]).header('passage-privacy', privacyHeader(privacy));
  if (format === 'geojson') return JSON.stringify(featureCollection(answer));
  reply.header('content-disposition', `attachment; filename="${privacy.dataset}.${format}"`);
  return store.queryRaw(
    // The format function reads no structure from empty data; an empty table of the columns does.
    `SELECT * FROM ${data.length === 0 ? 'null({structure:String})' : 'format(JSONEachRow, {structure:String}, {rows:String})'}
     SETTINGS format_csv_null_representation = '', output_format_parquet_string_as_string = 1`,
    { structure: answer.columns.map((c) => `${c} ${COLUMN_TYPES[c]}`).join(', '), rows: jsonEachRow(answer) },
    format === 'csv' ? 'CSVWithNames' : 'Parquet',
    opts,
  );
}

/** The rows as JSONEachRow text of the columns, nested values as JSON text. */
function jsonEachRow({ columns, data }: HistoryAnswer): string {
  return data
    .map((row) =>
      JSON.stringify(
        Object.fromEntries(columns.map((c) => [c, JSON_COLUMNS.has(c) && row[c] != null ? JSON.stringify(row[c]) : (row[c] ?? null)])),
      ),
    )
    .join('\n');
}

export function featureCollection({
  query,
  privacy,
  data,
}: HistoryAnswer): FeatureCollection<Geometry | null> & { query: unknown; privacy: Privacy } {
  return {
    type: 'FeatureCollection',
    query,
    privacy,
    features: data.map((row): Feature<Geometry | null> => ({ type: 'Feature', geometry: geometryOf(row), properties: row })),
  };
}

/** A cell's boundary, a flow's line between its cells' centres, or null (area rows). */
export function geometryOf(row: Record<string, unknown>): Geometry | null {
  if (typeof row.cell === 'string') {
    const ring = cellToBoundary(row.cell, true);
    const [first, last] = [ring[0]!, ring[ring.length - 1]!];
    if (first[0] !== last[0] || first[1] !== last[1]) ring.push(first);
    return { type: 'Polygon', coordinates: [ring] };
  }
  if (typeof row.originCell === 'string' && typeof row.destinationCell === 'string')
    return { type: 'LineString', coordinates: [centre(row.originCell), centre(row.destinationCell)] };
  return null;
}

function centre(cell: string): Position {
  const [lat, lng] = cellToLatLng(cell);
  return [lng, lat];
}
