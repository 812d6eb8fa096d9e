// The spatial coverage of an event or incident as H3 cells, in the two arrays the context tables keep
// (shared/store/migrations/0005_context.sql), so that "does this document's area intersect cell q
// (resolution 7–10)" is one array lookup in SQL for any q:
//
//   cover    the cells of the area at their own resolution: explicit cells as sent (any
//            resolution); a circle (lat/lng + radiusM) as the cells whose centre lies within it, at
//            the finest resolution ≤ 10 that keeps them at most MAX_CIRCLE_CELLS (a 500 m circle is
//            ~60 resolution-10 cells; a 100 km one ~870 resolution-6 cells); a point without
//            radius as its resolution-10 cell.
//   coverUp  every resolution 7–10 cell that contains or equals a cell of `cover`.
//
// q intersects the area iff has(coverUp, q) (some covering cell lies inside q) or `cover` holds q
// or one of its ancestors (q lies inside a covering cell). Containment is H3's logical parent
// relation (cellToParent), as everywhere in Passage's rollups.

import {
  cellToLatLng,
  cellToParent,
  getHexagonAreaAvg,
  getHexagonEdgeLengthAvg,
  getResolution,
  gridDisk,
  greatCircleDistance,
  latLngToCell,
} from 'h3-js';
import { BASE_RESOLUTION, cellToUInt64, MIN_RESOLUTION } from '../../shared/h3.js';

/** Most cells a circle is rasterised into; larger circles get coarser cells. */
export const MAX_CIRCLE_CELLS = 4000;

export interface Area {
  lat: number | null;
  lng: number | null;
  radiusM: number | null;
  /** Explicit H3 cells (hex strings, any resolution). */
  cells?: readonly string[];
}

export interface Cover {
  cover: bigint[];
  coverUp: bigint[];
}

/** The finest resolution ≤ 10 at which a circle of `radiusM` holds at most MAX_CIRCLE_CELLS average cells. */
export function circleResolution(radiusM: number): number {
  const area = Math.PI * radiusM * radiusM;
  for (let res = BASE_RESOLUTION; res > 0; res--) if (area / getHexagonAreaAvg(res, 'm2') <= MAX_CIRCLE_CELLS) return res;
  return 0;
}

/** Cells (at the resolution circleResolution picks) whose centre lies within `radiusM` of lat/lng; never empty. */
export function circleCells(lat: number, lng: number, radiusM: number): string[] {
  const res = circleResolution(radiusM);
  const centre = latLngToCell(lat, lng, res);
  // Neighbouring centres are ~1.5 average edges apart per ring; the factor 1.5 below leaves room for
  // H3's distortion (cells vary in size across the globe).
  const k = Math.ceil(radiusM / getHexagonEdgeLengthAvg(res, 'm')) + 1;
  const inside = gridDisk(centre, k).filter((c) => greatCircleDistance(cellToLatLng(c), [lat, lng], 'm') <= radiusM);
  return inside.includes(centre) ? inside : [centre, ...inside];
}

export function areaCover(a: Area): Cover {
  const cells = new Set<string>((a.cells ?? []).map((c) => c.toLowerCase()));
  if (a.lat !== null && a.lng !== null) {
    if (a.radiusM !== null && a.radiusM > 0) for (const c of circleCells(a.lat, a.lng, a.radiusM)) cells.add(c);
    else cells.add(latLngToCell(a.lat, a.lng, BASE_RESOLUTION));
  }
  const up = new Set<string>();
  for (const c of cells) {
    const res = getResolution(c);
    for (let r = MIN_RESOLUTION; r <= Math.min(res, BASE_RESOLUTION); r++) up.add(r === res ? c : cellToParent(c, r));
  }
  return { cover: [...cells].map(cellToUInt64), coverUp: [...up].map(cellToUInt64) };
}
