import { cellToChildren, cellToLatLng, cellToParent, getResolution, greatCircleDistance, gridDisk, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { cellToUInt64, uint64ToCell } from '../../shared/h3.js';
import { areaCover, circleCells, circleResolution, MAX_CIRCLE_CELLS } from './cover.js';

const LAT = 55.6761;
const LNG = 12.5683;

const strings = (xs: bigint[]): string[] => xs.map((x) => uint64ToCell(x)).sort();

describe('areaCover', () => {
  it('rasterises a circle into exactly the resolution-10 cells whose centre lies within the radius', () => {
    const cells = circleCells(LAT, LNG, 800);
    expect(circleResolution(800)).toBe(10);
    // Independently: every cell of a generous disk around the centre, kept by its centre's distance.
    const expected = gridDisk(latLngToCell(LAT, LNG, 10), 20).filter((c) => greatCircleDistance(cellToLatLng(c), [LAT, LNG], 'm') <= 800);
    expect([...cells].sort()).toEqual(expected.sort());
    expect(cells.length).toBeGreaterThan(100);
  });

  it('keeps the centre cell of a circle smaller than a cell', () => {
    expect(circleCells(LAT, LNG, 1)).toEqual([latLngToCell(LAT, LNG, 10)]);
  });

  it('covers large circles with coarser cells, never more than MAX_CIRCLE_CELLS', () => {
    for (const radius of [5_000, 30_000, 100_000]) {
      const cells = circleCells(LAT, LNG, radius);
      const res = circleResolution(radius);
      expect(res).toBeLessThan(10);
      expect(cells.length).toBeLessThanOrEqual(MAX_CIRCLE_CELLS * 1.2);
      expect(cells.every((c) => getResolution(c) === res)).toBe(true);
      expect(cells).toContain(latLngToCell(LAT, LNG, res));
    }
  });

  it('lists a point as its resolution-10 cell and every containing cell down to resolution 7', () => {
    const c = latLngToCell(LAT, LNG, 10);
    const { cover, coverUp } = areaCover({ lat: LAT, lng: LNG, radiusM: null });
    expect(strings(cover)).toEqual([c]);
    expect(strings(coverUp)).toEqual([c, cellToParent(c, 9), cellToParent(c, 8), cellToParent(c, 7)].sort());
  });

  it('keeps explicit cells at their own resolution, with containing cells of resolution 7–10 only', () => {
    const c10 = latLngToCell(LAT, LNG, 10);
    const fine = cellToChildren(c10, 12)[0]!;
    const coarse = cellToParent(c10, 5);
    const c8 = latLngToCell(55.7, 12.6, 8).toUpperCase();
    const { cover, coverUp } = areaCover({ lat: null, lng: null, radiusM: null, cells: [fine, coarse, c8] });
    expect(strings(cover)).toEqual([fine, coarse, c8.toLowerCase()].sort());
    expect(strings(coverUp)).toEqual(
      [c10, cellToParent(c10, 9), cellToParent(c10, 8), cellToParent(c10, 7), c8.toLowerCase(), cellToParent(c8.toLowerCase(), 7)].sort(),
    );
  });

  it('is empty for an area without a place', () => {
    expect(areaCover({ lat: null, lng: null, radiusM: null, cells: [] })).toEqual({ cover: [], coverUp: [] });
  });

  it('stores cells as the UInt64 of their hex index', () => {
    const c = latLngToCell(LAT, LNG, 10);
    expect(areaCover({ lat: LAT, lng: LNG, radiusM: null }).cover).toEqual([cellToUInt64(c)]);
  });
});
