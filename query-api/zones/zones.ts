// Named zones (DESIGN.md, Space): districts, streets, sites — polygons loaded from GeoJSON
// FeatureCollections whose features carry `id`, `name` and `kind` properties. Passage ships the
// zones of the simulated city (copenhagen.geojson: hand-drawn approximate outlines, not official
// boundaries); PASSAGE_ZONES_FILE adds a FeatureCollection of the deployment's own, whose zones
// replace shipped ones of the same id. A zone is queried as the cells of a resolution whose centres
// lie inside it (query-api/areas.ts), computed once per zone and resolution.

import { readFile } from 'node:fs/promises';
import { check } from '@placemarkio/check-geojson';
import type { MultiPolygon } from 'geojson';
import { assetPath } from '../../shared/assets.js';
import { badRequest, PassageError } from '../../shared/errors.js';
import { areaBbox, coverArea, MAX_AREA_CELLS, parseArea } from '../areas.js';

export const SHIPPED_ZONES = assetPath('query-api', 'zones', 'copenhagen.geojson');

export const ZONE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Resolutions a zone is offered at (the release lattice, DESIGN.md Privacy). */
export const ZONE_RESOLUTIONS = [7, 8, 9, 10] as const;

export interface Zone {
  id: string;
  name: string;
  /** district, street, site, postcode, … as the file says. */
  kind: string;
  description: string | null;
  geometry: MultiPolygon;
  /** [west, south, east, north] */
  bbox: [number, number, number, number];
  /** The file it came from. */
  file: string;
}

export interface Coverage {
  resolution: number;
  /** Cells whose centres lie in the zone; null: more than MAX_AREA_CELLS, too large to query at this resolution. */
  cells: number | null;
}

/** The zones of one GeoJSON FeatureCollection text; throws an Error naming the file, feature and reason. */
export function parseZones(text: string, file: string): Zone[] {
  const fail = (where: string, reason: string) => new Error(`zones file ${file}: ${where}: ${reason}`);
  let fc;
  try {
    fc = check(text);
  } catch (err) {
    throw fail('the file', `is not valid GeoJSON (${err instanceof Error ? err.message.slice(0, 300) : String(err)})`);
  }
  if (fc.type !== 'FeatureCollection') throw fail('the file', `must be a FeatureCollection, not a ${fc.type}`);
  const seen = new Set<string>();
  return fc.features.map((f, i) => {
    const p = (f.properties ?? {}) as Record<string, unknown>;
    const id = p.id ?? f.id;
    const where = `feature ${i}${typeof id === 'string' ? ` (${id})` : ''}`;
    if (typeof id !== 'string' || !ZONE_ID.test(id))
      throw fail(where, 'needs properties.id: lower-case letters, digits, - and _ (at most 64), starting with a letter or digit');
    if (seen.has(id)) throw fail(where, `repeats the id ${id}`);
    seen.add(id);
    if (typeof p.name !== 'string' || p.name.trim() === '') throw fail(where, 'needs properties.name (text)');
    if (typeof p.kind !== 'string' || !/^[a-z][a-z0-9_-]{0,31}$/.test(p.kind))
      throw fail(where, 'needs properties.kind: a lower-case word such as district, street, site or postcode');
    if (p.description !== undefined && typeof p.description !== 'string') throw fail(where, 'properties.description must be text');
    let geometry: MultiPolygon;
    try {
      geometry = parseArea(f, 'geometry');
    } catch (err) {
      throw fail(where, err instanceof PassageError ? (err.fields[0]?.reason ?? err.message) : String(err));
    }
    return { id, name: p.name, kind: p.kind, description: p.description ?? null, geometry, bbox: areaBbox(geometry), file };
  });
}

export class Zones {
  private readonly byId: Map<string, Zone>;
  /** Cells (or the refusal) by zone, resolution and field. */
  private readonly covers = new Map<string, string[] | PassageError>();

  constructor(zones: readonly Zone[]) {
    this.byId = new Map(zones.map((z) => [z.id, z]));
  }

  /** The shipped zones plus those of `extraFile` (a FeatureCollection; its zones replace shipped ones of the same id). */
  static async load(extraFile: string | null): Promise<Zones> {
    const files = [SHIPPED_ZONES, ...(extraFile === null ? [] : [extraFile])];
    const zones: Zone[] = [];
    for (const file of files) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        throw new Error(`zones file ${file}: cannot be read (${err instanceof Error ? err.message : String(err)})`);
      }
      zones.push(...parseZones(text, file));
    }
    return new Zones(zones);
  }

  list(): Zone[] {
    return [...this.byId.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id));
  }

  get(id: string): Zone | undefined {
    return this.byId.get(id);
  }

  /**
   * The cells of `resolution` whose centres lie in zone `id`, sorted: 400 unknown_zone for no such
   * zone, area_too_large over MAX_AREA_CELLS, invalid_area when none (naming `field`).
   */
  cells(id: string, resolution: number, field = 'zone'): string[] {
    const zone = this.byId.get(id);
    if (zone === undefined)
      throw badRequest('unknown_zone', `there is no zone ${id}`, [{ field, reason: `is not a zone id (GET /v1/zones lists them)` }]);
    const key = `${id}|${resolution}|${field}`;
    let cover = this.covers.get(key);
    if (cover === undefined) {
      try {
        cover = coverArea(zone.geometry, resolution, field);
      } catch (err) {
        if (!(err instanceof PassageError)) throw err;
        cover = err;
      }
      this.covers.set(key, cover);
    }
    if (cover instanceof PassageError) throw cover;
    return cover;
  }

  /** Zone `id` at `resolution` as cells, or null for an unknown zone (the grants' ZoneResolver); a refusal rejects. */
  resolve(id: string, resolution: number): Promise<string[] | null> {
    try {
      return Promise.resolve(this.byId.has(id) ? this.cells(id, resolution) : null);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** How many cells cover zone `id` at each offered resolution (0: none, a finer resolution is needed). */
  coverage(id: string): Coverage[] {
    return ZONE_RESOLUTIONS.map((resolution) => {
      try {
        return { resolution, cells: this.cells(id, resolution).length };
      } catch (err) {
        if (err instanceof PassageError && err.code === 'invalid_area') return { resolution, cells: 0 };
        if (err instanceof PassageError && err.code === 'area_too_large') return { resolution, cells: null };
        throw err;
      }
    });
  }

  /** The bounding box [west, south, east, north] of every zone together (null: no zones). */
  extent(): [number, number, number, number] | null {
    const zones = [...this.byId.values()];
    if (zones.length === 0) return null;
    return [
      Math.min(...zones.map((z) => z.bbox[0])),
      Math.min(...zones.map((z) => z.bbox[1])),
      Math.max(...zones.map((z) => z.bbox[2])),
      Math.max(...zones.map((z) => z.bbox[3])),
    ];
  }
}

export { MAX_AREA_CELLS };
