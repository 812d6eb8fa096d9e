import { cellToLatLng, getResolution, latLngToCell, polygonToCells } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { PassageError } from '../shared/errors.js';
import { areaCells, MAX_AREA_CELLS, parseArea } from './areas.js';

// About 450 m × 330 m around Amagertorv (Strøget), counter-clockwise.
const square = {
  type: 'Polygon',
  coordinates: [
    [
      [12.576, 55.677],
      [12.582, 55.677],
      [12.582, 55.68],
      [12.576, 55.68],
      [12.576, 55.677],
    ],
  ],
};

function refusal(fn: () => unknown): PassageError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PassageError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('areaCells', () => {
  it('covers a polygon with the cells of the resolution whose centres lie inside it', () => {
    const cells = areaCells(square, 10);
    expect(cells.length).toBeGreaterThan(5);
    expect(cells).toEqual([...cells].sort());
    expect(cells).toContain(latLngToCell(55.6785, 12.579, 10)); // the middle
    for (const c of cells) {
      expect(getResolution(c)).toBe(10);
      const [lat, lng] = cellToLatLng(c);
      expect(lat).toBeGreaterThan(55.677);
      expect(lat).toBeLessThan(55.68);
      expect(lng).toBeGreaterThan(12.576);
      expect(lng).toBeLessThan(12.582);
    }
    expect(new Set(areaCells(square, 9)).size).toBeLessThan(cells.length);
  });

  it('takes GeoJSON text or objects: a Polygon, a MultiPolygon or a Feature of one', () => {
    const cells = areaCells(square, 10);
    expect(areaCells(JSON.stringify(square), 10)).toEqual(cells);
    expect(areaCells({ type: 'Feature', properties: { name: 'x' }, geometry: square }, 10)).toEqual(cells);
    const far = square.coordinates[0]!.map(([lng, lat]) => [lng! + 0.02, lat!]);
    const multi = areaCells({ type: 'MultiPolygon', coordinates: [square.coordinates, [far]] }, 10);
    expect(multi).toEqual([...new Set([...cells, ...polygonToCells([far], 10, true)])].sort());
  });

  it('refuses what is not a valid polygon with a 400 naming the field and the reason', () => {
    const cases: [unknown, RegExp][] = [
      ['{"type": "Polygon", ', /not valid GeoJSON/],
      ['not json', /not valid GeoJSON/],
      [{ type: 'Point', coordinates: [12.5, 55.6] }, /must be a GeoJSON Polygon or MultiPolygon/],
      [{ type: 'Polygon', coordinates: [[[12.5, 55.6], [12.6, 55.6], [12.6, 55.7]]] }, /four or more positions/], // prettier-ignore
      [{ type: 'Polygon', coordinates: [[[12.5, 55.6], [12.6, 55.6], [12.6, 55.7], [12.5, 55.7]]] }, /should be the same/], // prettier-ignore
      [{ type: 'Polygon', coordinates: [[[12.5, 95], [12.6, 55.6], [12.6, 55.7], [12.5, 95]]] }, /outside longitude/], // prettier-ignore
      // A bow tie: the ring crosses itself.
      [{ type: 'Polygon', coordinates: [[[12.57, 55.67], [12.59, 55.69], [12.59, 55.67], [12.57, 55.69], [12.57, 55.67]]] }, /crosses itself near \[12\.58000, 55\.68/], // prettier-ignore
      [{ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: square }] }, /not FeatureCollection/],
      [{ type: 'Feature', properties: {}, geometry: null }, /without a geometry/],
    ];
    for (const [input, reason] of cases) {
      const err = refusal(() => areaCells(input, 10, 'area'));
      expect(err.status, JSON.stringify(input)).toBe(400);
      expect(err.code).toBe('invalid_area');
      expect(err.fields[0]?.field).toBe('area');
      expect(err.fields[0]?.reason, JSON.stringify(input)).toMatch(reason);
    }
    // The field is the caller's.
    expect(refusal(() => parseArea('x', 'grant.area')).fields[0]?.field).toBe('grant.area');
  });

  it('refuses an area of more than MAX_AREA_CELLS cells (a country at resolution 10 before computing it), and one with no cell centre', () => {
    const denmark = { type: 'Polygon', coordinates: [[[8, 54.5], [13, 54.5], [13, 57.8], [8, 57.8], [8, 54.5]]] }; // prettier-ignore
    const started = Date.now();
    const err = refusal(() => areaCells(denmark, 10));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(err).toMatchObject({ status: 400, code: 'area_too_large' });
    expect(err.fields[0]).toMatchObject({ field: 'area' });
    expect(err.fields[0]?.reason).toContain(`more than ${MAX_AREA_CELLS} cells at resolution 10`);
    // Within 4× of the limit by its bounding box: computed, then refused on the count.
    const near = { type: 'Polygon', coordinates: [[[12.45, 55.6], [12.7, 55.6], [12.7, 55.75], [12.45, 55.75], [12.45, 55.6]]] }; // prettier-ignore
    expect(polygonToCells(near.coordinates, 10, true).length).toBeGreaterThan(MAX_AREA_CELLS);
    expect(refusal(() => areaCells(near, 10)).code).toBe('area_too_large');
    expect(areaCells(near, 9).length).toBeLessThan(MAX_AREA_CELLS);
    const empty = refusal(() => areaCells(square, 7));
    expect(empty).toMatchObject({ status: 400, code: 'invalid_area' });
    expect(empty.fields[0]?.reason).toMatch(/no cell centre at resolution 7/);
  });
});
