// Grant areas as H3 cells: the smallest disjoint cell set of an area (compactArea) and deciding
// whether a requested cell of any resolution lies inside a grant's cells (CellCover). GeoJSON areas
// and zones become cells in query-api/areas.ts and query-api/zones. Pure; h3-js only.

import { cellToChildrenSize, cellToParent, getResolution, isValidCell } from 'h3-js';

/**
 * The smallest disjoint set of cells covering the same area as `cells` (valid H3 cells, any
 * resolution): a cell inside another given cell is dropped, and complete sets of siblings are
 * replaced by their parent, repeatedly.
 */
export function compactArea(cells: readonly string[]): string[] {
  const sorted = [...new Set(cells.map((c) => c.toLowerCase()))].sort((a, b) => getResolution(a) - getResolution(b));
  const kept = new Set<string>();
  const resolutions = new Set<number>();
  for (const c of sorted) {
    const r = getResolution(c);
    let inside = false;
    for (const k of resolutions) if (k < r && kept.has(cellToParent(c, k))) inside = true;
    if (!inside) {
      kept.add(c);
      resolutions.add(r);
    }
  }
  const byRes = new Map<number, Set<string>>();
  for (const c of kept) {
    const r = getResolution(c);
    byRes.set(r, (byRes.get(r) ?? new Set()).add(c));
  }
  for (let r = Math.max(0, ...byRes.keys()); r > 0; r--) {
    const level = byRes.get(r);
    if (level === undefined) continue;
    const children = new Map<string, string[]>();
    for (const c of level) {
      const p = cellToParent(c, r - 1);
      children.set(p, [...(children.get(p) ?? []), c]);
    }
    for (const [p, cs] of children) {
      if (cs.length !== cellToChildrenSize(p, r)) continue;
      for (const c of cs) level.delete(c);
      byRes.set(r - 1, (byRes.get(r - 1) ?? new Set()).add(p));
    }
  }
  return [...byRes.values()].flatMap((s) => [...s]).sort();
}

/**
 * Which cells lie inside an area given as cells: a cell is inside when it or one of its ancestors is
 * an area cell, or when all of its descendants at the area's finest resolution are. The area is
 * compacted first (compactArea), which merges every complete set of siblings into their parent, so
 * a cell whose descendants are all in the area is itself an area cell: the ancestor test decides both.
 */
export class CellCover {
  readonly cells: readonly string[];
  private readonly set: Set<string>;
  private readonly resolutions: number[];

  constructor(cells: readonly string[]) {
    this.cells = compactArea(cells);
    this.set = new Set(this.cells);
    this.resolutions = [...new Set(this.cells.map(getResolution))].sort((a, b) => a - b);
  }

  /** Whether `cell` (a valid H3 cell, lower case) lies wholly inside the area. */
  covers(cell: string): boolean {
    const r = getResolution(cell);
    for (const k of this.resolutions) {
      if (k > r) break;
      if (this.set.has(k === r ? cell : cellToParent(cell, k))) return true;
    }
    return false;
  }
}

/** Whether `cell` is a valid H3 cell of resolution 0..10, lower case. */
export function isAreaCell(cell: string): boolean {
  return /^[0-9a-f]{15}$/.test(cell) && isValidCell(cell) && getResolution(cell) <= 10;
}
