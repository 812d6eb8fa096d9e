// GET /v1/zones: the named zones (id, name, kind, bounding box, how many cells cover each at
// resolutions 7–10), or all of them as a GeoJSON FeatureCollection (format=geojson);
// GET /v1/zones/{id}: one zone as a GeoJSON Feature, with its cells at a resolution when asked.
// Zones are public metadata: no API key (their outlines say nothing about people).

import { Type } from '@sinclair/typebox';
import { PUBLIC_ROUTE, type App } from '../../shared/http.js';
import { badRequest, PassageError } from '../../shared/errors.js';
import { MAX_AREA_CELLS, type Zone, type Zones } from './zones.js';

export interface ZoneRouteOptions {
  zones: Zones;
}

const Bbox = Type.Array(Type.Number(), { minItems: 4, maxItems: 4, description: '[west, south, east, north] (WGS84)' });

const CoverageSchema = Type.Array(
  Type.Object({
    resolution: Type.Integer({ minimum: 7, maximum: 10 }),
    cells: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      description: `Cells whose centres lie in the zone: what a query with zone= covers at this resolution (0: none, use a finer one; null: more than ${MAX_AREA_CELLS}, use a coarser one).`,
    }),
  }),
);

const ZoneSummary = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Type.String({ description: 'district, street, site, … as the zones file says' }),
  description: Type.Union([Type.String(), Type.Null()]),
  bbox: Bbox,
  coverage: CoverageSchema,
});

/** A GeoJSON Feature; the geometry is free-form (a MultiPolygon). */
const ZoneFeature = Type.Object(
  {
    type: Type.Literal('Feature'),
    id: Type.String(),
    bbox: Bbox,
    properties: Type.Object(
      {
        id: Type.String(),
        name: Type.String(),
        kind: Type.String(),
        description: Type.Union([Type.String(), Type.Null()]),
        coverage: CoverageSchema,
        resolution: Type.Optional(Type.Integer()),
        cells: Type.Optional(Type.Array(Type.String(), { description: 'The covering cells at `resolution` (when asked).' })),
      },
      { additionalProperties: true },
    ),
    geometry: Type.Object({ type: Type.Literal('MultiPolygon'), coordinates: Type.Array(Type.Unknown()) }),
  },
  { description: 'A GeoJSON Feature (RFC 7946).' },
);

const GEOJSON = 'application/geo+json';

function summary(zones: Zones, z: Zone) {
  return { id: z.id, name: z.name, kind: z.kind, description: z.description, bbox: z.bbox, coverage: zones.coverage(z.id) };
}

function feature(zones: Zones, z: Zone, cells?: { resolution: number; cells: string[] }) {
  const properties = { id: z.id, name: z.name, kind: z.kind, description: z.description, coverage: zones.coverage(z.id), ...cells };
  return { type: 'Feature' as const, id: z.id, bbox: z.bbox, properties, geometry: z.geometry };
}

/** The cells of a zone at `resolution` for its Feature: none when no cell centre lies in it. */
function featureCells(zones: Zones, id: string, resolution: number): string[] {
  try {
    return zones.cells(id, resolution, 'resolution');
  } catch (err) {
    if (err instanceof PassageError && err.code === 'invalid_area') return [];
    throw err;
  }
}

export function zoneRoutes(app: App, opts: ZoneRouteOptions): void {
  const { zones } = opts;
  app.get(
    '/v1/zones',
    {
      schema: {
        ...PUBLIC_ROUTE,
        summary: 'The named zones',
        description:
          'Districts, streets and sites usable as `zone=` in history queries, with the number of cells covering each at resolutions 7–10. `format=geojson`: every zone as a GeoJSON FeatureCollection (for a map).',
        querystring: Type.Object(
          {
            kind: Type.Optional(Type.String({ maxLength: 32, description: 'Only zones of this kind (district, street, site, …).' })),
            format: Type.Union([Type.Literal('json'), Type.Literal('geojson')], { default: 'json' }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: {
            content: {
              'application/json': { schema: Type.Object({ data: Type.Array(ZoneSummary) }) },
              [GEOJSON]: {
                schema: Type.Object({ type: Type.Literal('FeatureCollection'), features: Type.Array(ZoneFeature) }),
              },
            },
          },
        },
      },
    },
    async (req, reply) => {
      const list = zones.list().filter((z) => req.query.kind === undefined || z.kind === req.query.kind);
      if (req.query.format === 'geojson')
        return reply.type(GEOJSON).send({ type: 'FeatureCollection', features: list.map((z) => feature(zones, z)) });
      return reply.type('application/json').send({ data: list.map((z) => summary(zones, z)) });
    },
  );

  app.get(
    '/v1/zones/:id',
    {
      schema: {
        ...PUBLIC_ROUTE,
        summary: 'One zone as a GeoJSON Feature',
        description: 'With `resolution`, the Feature also lists the cells covering the zone at that resolution (what `zone=` queries).',
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        querystring: Type.Object(
          {
            resolution: Type.Optional(
              Type.Integer({ minimum: 7, maximum: 10, description: 'List the covering cells at this resolution.' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: { content: { [GEOJSON]: { schema: ZoneFeature } } } },
      },
    },
    async (req, reply) => {
      const zone = zones.get(req.params.id);
      if (zone === undefined) throw badRequest('unknown_zone', `there is no zone ${req.params.id}`, [], 404);
      const r = req.query.resolution;
      const cells = r === undefined ? undefined : { resolution: r, cells: featureCells(zones, zone.id, r) };
      return reply.type(GEOJSON).send(feature(zones, zone, cells));
    },
  );
}
