// Areas as H3 cells (DESIGN.md, Space): a GeoJSON polygon is covered by the cells of the requested
// resolution whose centres lie inside it (h3-js polygonToCells), and so is a named zone
// (query-api/zones). The checking is the libraries': GeoJSON structure (RFC 7946) by
// @placemarkio/check-geojson, geometry validity (closed rings, no spikes, holes inside the shell)
// by @turf/boolean-valid, self-intersections by @turf/kinks. Every refusal is a 400 naming the field.

import { check, HintError } from '@placemarkio/check-geojson';
import bbox from '@turf/bbox';
import booleanValid from '@turf/boolean-valid';
import kinks from '@turf/kinks';
import { Type } from '@sinclair/typebox';
import type { Feature, GeoJSON, MultiPolygon, Polygon, Position } from 'geojson';
import { getHexagonAreaAvg, polygonToCells } from 'h3-js';
import { badRequest, type PassageError } from '../shared/errors.js';

/** Most cells one area or zone may cover at the requested resolution (Copenhagen municipality is about 6,000 at resolution 10). */
export const MAX_AREA_CELLS = 10_000;

/** Longest `area` querystring value (GeoJSON text); longer polygons are better drawn with fewer vertices. */
export const MAX_AREA_TEXT = 16_000;

/** Querystring fields naming an area instead of a cell list: a GeoJSON polygon or a zone id (give one of cells, area, zone). */
export const AREA_FIELDS = {
  area: Type.Optional(
    Type.String({
      minLength: 2,
      maxLength: MAX_AREA_TEXT,
      description:
        'A GeoJSON Polygon or MultiPolygon (or a Feature of one), WGS84 [longitude, latitude], covered by the cells of `resolution` whose centres lie inside it.',
    }),
  ),
  zone: Type.Optional(
    Type.String({
      pattern: '^[a-z0-9][a-z0-9_-]{0,63}$',
      description: 'A zone id (GET /v1/zones), covered by the cells of `resolution` whose centres lie inside it.',
    }),
  ),
};

function invalid(field: string, reason: string): PassageError {
  return badRequest('invalid_area', `${field} ${reason}`, [{ field, reason }]);
}

/** The polygons of a GeoJSON object that is a Polygon, a MultiPolygon or a Feature of one (field: where it came from, for errors). */
function polygonsOf(geo: GeoJSON, field: string, allowCollection: boolean): Position[][][] {
  switch (geo.type) {
    case 'Polygon':
      return [geo.coordinates];
    case 'MultiPolygon':
      return geo.coordinates;
    case 'Feature':
      if (geo.geometry === null) throw invalid(field, 'is a Feature without a geometry');
      return polygonsOf(geo.geometry, field, false);
    case 'FeatureCollection':
      if (!allowCollection) break;
      if (geo.features.length === 0) throw invalid(field, 'is an empty FeatureCollection');
      return geo.features.flatMap((f) => polygonsOf(f, field, false));
    default:
      break;
  }
  throw invalid(field, `must be a GeoJSON Polygon or MultiPolygon (or a Feature of one), not ${geo.type}`);
}

/**
 * Checks a GeoJSON area — text (a querystring value, a file) or a parsed object — and returns it as
 * one MultiPolygon: structure (RFC 7946), longitude −180..180 and latitude −90..90, closed rings of
 * at least four positions, holes inside their shell, no self-intersection. 400 invalid_area naming `field`.
 */
export function parseArea(input: unknown, field = 'area', opts: { allowCollection?: boolean } = {}): MultiPolygon {
  const text = typeof input === 'string' ? input : JSON.stringify(input);
  if (text === undefined) throw invalid(field, 'must be GeoJSON');
  let geo: GeoJSON;
  try {
    geo = check(text);
  } catch (err) {
    if (!(err instanceof HintError)) throw invalid(field, 'is not GeoJSON');
    const issues = err.issues.slice(0, 3).map((i) => `${i.message.replace(/\.$/, '')} (at character ${i.from})`);
    throw invalid(field, `is not valid GeoJSON: ${issues.join('; ')}`);
  }
  const polygons = polygonsOf(geo, field, opts.allowCollection ?? false);
  for (const rings of polygons)
    for (const ring of rings)
      for (const [lng, lat] of ring)
        if (!(lng! >= -180 && lng! <= 180 && lat! >= -90 && lat! <= 90))
          throw invalid(field, `has a position [${lng}, ${lat}] outside longitude −180..180, latitude −90..90`);
  const shape: Feature<MultiPolygon> = { type: 'Feature', properties: {}, geometry: { type: 'MultiPolygon', coordinates: polygons } };
  for (const [i, rings] of polygons.entries()) {
    const polygon: Feature<Polygon> = { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: rings } };
    const which = polygons.length > 1 ? `polygon ${i}` : 'the polygon';
    if (!booleanValid(polygon)) throw invalid(field, `${which} is not a valid geometry (a ring crosses itself or another, or has a spike)`);
    const crossing = kinks(polygon).features[0]?.geometry.coordinates;
    if (crossing !== undefined)
      throw invalid(field, `${which} crosses itself near [${crossing.map((n) => n.toFixed(5)).join(', ')}] (longitude, latitude)`);
  }
  return shape.geometry;
}

/** The bounding box [west, south, east, north] of an area. */
export function areaBbox(area: MultiPolygon): [number, number, number, number] {
  const [w, s, e, n] = bbox(area);
  return [w, s, e, n];
}

/**
 * The cells of `resolution` whose centres lie in `area`, sorted. More than MAX_AREA_CELLS → 400
 * area_too_large (estimated from the bounding box first, so a country at resolution 10 is refused
 * before it is computed); none → 400 invalid_area (a finer resolution may have some).
 */
export function coverArea(area: MultiPolygon, resolution: number, field = 'area'): string[] {
  const tooLarge = () =>
    badRequest('area_too_large', `${field} covers more than ${MAX_AREA_CELLS} cells at resolution ${resolution}`, [
      { field, reason: `covers more than ${MAX_AREA_CELLS} cells at resolution ${resolution}; use a coarser resolution or a smaller area` },
    ]);
  const [w, s, e, n] = areaBbox(area);
  const km2 = (n - s) * 111.2 * ((e - w) * 111.2 * Math.cos((((n + s) / 2) * Math.PI) / 180));
  if (km2 / getHexagonAreaAvg(resolution, 'km2') > 4 * MAX_AREA_CELLS) throw tooLarge();
  const cells = new Set<string>();
  for (const rings of area.coordinates) for (const c of polygonToCells(rings, resolution, true)) cells.add(c);
  if (cells.size > MAX_AREA_CELLS) throw tooLarge();
  if (cells.size === 0)
    throw badRequest('invalid_area', `${field} contains no cell centre at resolution ${resolution}`, [
      { field, reason: `contains no cell centre at resolution ${resolution}; use a finer resolution or a larger area` },
    ]);
  return [...cells].sort();
}

/** The cells of `resolution` covering a GeoJSON polygon given as text or object (parseArea, then coverArea). */
export function areaCells(geojson: unknown, resolution: number, field = 'area'): string[] {
  return coverArea(parseArea(geojson, field), resolution, field);
}
