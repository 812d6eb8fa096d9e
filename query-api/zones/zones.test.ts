import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { check } from '@placemarkio/check-geojson';
import { cellToParent, latLngToCell } from 'h3-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAMERA_PLACES, CELL_SITES, METRO_STATIONS, WIFI_SITES } from '../../ingest/simulate/places.js';
import { PassageError } from '../../shared/errors.js';
import { createHttpServer, type App } from '../../shared/http.js';
import { quietLogger } from '../../shared/testing/fixtures.js';
import { zoneRoutes } from './routes.js';
import { parseZones, SHIPPED_ZONES, Zones } from './zones.js';

const polygon = (w: number, s: number, e: number, n: number) => ({
  type: 'Polygon',
  coordinates: [
    [
      [w, s],
      [e, s],
      [e, n],
      [w, n],
      [w, s],
    ],
  ],
});
const fc = (...features: unknown[]) => JSON.stringify({ type: 'FeatureCollection', features });
const zone = (properties: Record<string, unknown>, geometry: unknown = polygon(12.55, 55.66, 12.56, 55.67)) => ({
  type: 'Feature',
  properties,
  geometry,
});

function refusal(fn: () => unknown): PassageError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PassageError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('the shipped Copenhagen zones', () => {
  let zones: Zones;
  beforeAll(async () => {
    zones = await Zones.load(null);
  });

  it('hold the districts, a street and a site of the simulated city, each covered at resolutions 8–10', () => {
    const list = zones.list();
    expect(list.map((z) => z.id)).toEqual(expect.arrayContaining(['indre-by', 'vesterbro', 'norrebro', 'osterbro', 'stroget', 'airport']));
    expect(new Set(list.map((z) => z.kind))).toEqual(new Set(['district', 'street', 'site']));
    for (const z of list) {
      const coverage = zones.coverage(z.id);
      expect(coverage.map((c) => c.resolution)).toEqual([7, 8, 9, 10]);
      expect(coverage.find((c) => c.resolution === 10)!.cells, z.id).toBeGreaterThan(0);
      if (z.kind === 'district') expect(coverage.find((c) => c.resolution === 8)!.cells, z.id).toBeGreaterThan(0);
    }
    // A street is too narrow for the centre of a resolution-7 cell.
    expect(zones.coverage('stroget')[0]).toEqual({ resolution: 7, cells: 0 });
  });

  it('districts do not overlap, and the simulated places lie in the district they are named after', () => {
    const districts = zones.list().filter((z) => z.kind === 'district');
    const owner = new Map<string, string>();
    for (const d of districts)
      for (const c of zones.cells(d.id, 10)) {
        expect(owner.get(c), `${c} in ${d.id} and ${owner.get(c)}`).toBeUndefined();
        owner.set(c, d.id);
      }
    const at = (lat: number, lng: number) => owner.get(latLngToCell(lat, lng, 10));
    const place = <T extends { lat: number; lng: number }>(list: readonly T[], key: keyof T, id: string) => {
      const p = list.find((x) => x[key] === id)!;
      return at(p.lat, p.lng);
    };
    expect(place(CAMERA_PLACES, 'sensorId', 'cph-cam-stroget-amagertorv')).toBe('indre-by');
    expect(place(CAMERA_PLACES, 'sensorId', 'cph-cam-norreport')).toBe('indre-by');
    expect(place(CAMERA_PLACES, 'sensorId', 'cph-cam-istedgade')).toBe('vesterbro');
    expect(place(CAMERA_PLACES, 'sensorId', 'cph-cam-norrebrogade')).toBe('norrebro');
    expect(place(WIFI_SITES, 'sensorId', 'cph-wifi-fields')).toBe('orestad');
    expect(place(WIFI_SITES, 'sensorId', 'cph-wifi-frederiksberg-centret')).toBe('frederiksberg');
    expect(place(METRO_STATIONS, 'stationId', 'cph-metro-christianshavn')).toBe('christianshavn');
    expect(place(METRO_STATIONS, 'stationId', 'cph-metro-amagerbro')).toBe('amagerbro');
    for (const site of CELL_SITES.filter((c) => c.cellId !== 'cph-cell-airport'))
      expect(at(site.lat, site.lng), site.cellId).toBe(site.cellId.replace('cph-cell-', ''));
    const airport = CELL_SITES.find((c) => c.cellId === 'cph-cell-airport')!;
    expect(zones.cells('airport', 10)).toContain(latLngToCell(airport.lat, airport.lng, 10));
  });

  it('gives the cells of a zone at a resolution, and refuses an unknown zone or one without cells there, naming the field', async () => {
    const r8 = zones.cells('indre-by', 8);
    expect(zones.cells('indre-by', 8)).toBe(r8); // computed once
    const r10 = zones.cells('indre-by', 10);
    expect(new Set(r10.map((c) => cellToParent(c, 8))).size).toBeGreaterThanOrEqual(r8.length);
    expect(refusal(() => zones.cells('atlantis', 9))).toMatchObject({ status: 400, code: 'unknown_zone', fields: [{ field: 'zone' }] });
    const none = refusal(() => zones.cells('stroget', 7, 'grant.zone'));
    expect(none).toMatchObject({ status: 400, code: 'invalid_area', fields: [{ field: 'grant.zone' }] });
    expect(refusal(() => zones.cells('stroget', 7))).toMatchObject({ code: 'invalid_area', fields: [{ field: 'zone' }] }); // cached refusal
    await expect(zones.resolve('atlantis', 9)).resolves.toBeNull();
    await expect(zones.resolve('stroget', 7)).rejects.toMatchObject({ code: 'invalid_area', fields: [{ field: 'zone' }] });
    await expect(zones.resolve('indre-by', 8)).resolves.toEqual(r8);
    const [w, s, e, n] = zones.extent()!;
    expect(w).toBeLessThan(12.5);
    expect(e).toBeGreaterThan(12.65);
    expect(s).toBeLessThan(55.62);
    expect(n).toBeGreaterThan(55.72);
  });
});

describe('PASSAGE_ZONES_FILE', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'passage-zones-'));
  });

  it('adds the zones of a FeatureCollection; one with a shipped id replaces it', async () => {
    const file = path.join(dir, 'extra.geojson');
    await writeFile(
      file,
      fc(
        zone({ id: '1050', name: 'København K 1050', kind: 'postcode' }),
        zone({ id: 'indre-by', name: 'Inner city (official)', kind: 'district', description: 'ours' }, polygon(12.56, 55.67, 12.6, 55.69)),
      ),
    );
    const zones = await Zones.load(file);
    expect(zones.get('1050')).toMatchObject({ name: 'København K 1050', kind: 'postcode', file });
    expect(zones.get('indre-by')).toMatchObject({ name: 'Inner city (official)', description: 'ours', file });
    expect(zones.get('vesterbro')?.file).toBe(SHIPPED_ZONES);
    expect(zones.cells('1050', 10).length).toBeGreaterThan(0);
  });

  it('refuses a bad file at start naming the file, the feature and the reason', async () => {
    const bad: [string, RegExp][] = [
      ['{"type": "Polygon"', /is not valid GeoJSON/],
      [JSON.stringify(polygon(12, 55, 13, 56)), /must be a FeatureCollection, not a Polygon/],
      [fc(zone({ name: 'x', kind: 'district' })), /feature 0: needs properties.id/],
      [fc(zone({ id: 'Bad Id', name: 'x', kind: 'district' })), /feature 0 \(Bad Id\): needs properties.id/],
      [
        fc(zone({ id: 'a', name: 'x', kind: 'district' }), zone({ id: 'a', name: 'y', kind: 'district' })),
        /feature 1 \(a\): repeats the id a/,
      ],
      [fc(zone({ id: 'a', kind: 'district' })), /feature 0 \(a\): needs properties.name/],
      [fc(zone({ id: 'a', name: 'x' })), /feature 0 \(a\): needs properties.kind/],
      [
        fc(zone({ id: 'a', name: 'x', kind: 'district' }, { type: 'Point', coordinates: [12, 55] })),
        /feature 0 \(a\): must be a GeoJSON Polygon/,
      ],
      [
        fc(zone({ id: 'a', name: 'x', kind: 'district' }, { type: 'Polygon', coordinates: [[[12.57, 55.67], [12.59, 55.69], [12.59, 55.67], [12.57, 55.69], [12.57, 55.67]]] })), // prettier-ignore
        /feature 0 \(a\): the polygon crosses itself/,
      ],
    ];
    for (const [text, reason] of bad) {
      expect(() => parseZones(text, 'zones.geojson'), text).toThrow(/^zones file zones.geojson: /);
      expect(() => parseZones(text, 'zones.geojson'), text).toThrow(reason);
    }
    await expect(Zones.load(path.join(dir, 'missing.geojson'))).rejects.toThrow(/missing.geojson: cannot be read/);
  });
});

describe('GET /v1/zones', () => {
  let app: App;
  let zones: Zones;
  beforeAll(async () => {
    zones = await Zones.load(null);
    app = await createHttpServer({ logger: quietLogger(), maxBodyBytes: 1 << 20, readiness: {} });
    zoneRoutes(app, { zones });
    await app.ready();
  });
  afterAll(() => app?.close());

  it('lists the zones without a key: id, name, kind, bounding box and cells per resolution', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/zones' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    const { data } = r.json<{ data: { id: string; kind: string; bbox: number[]; coverage: { resolution: number; cells: number }[] }[] }>();
    expect(data.length).toBe(zones.list().length);
    const indre = data.find((z) => z.id === 'indre-by')!;
    expect(indre).toMatchObject({ name: 'Indre By', kind: 'district' });
    expect(indre.bbox).toHaveLength(4);
    expect(indre.coverage).toEqual(zones.coverage('indre-by'));
    const streets = await app.inject({ method: 'GET', url: '/v1/zones?kind=street' });
    expect(streets.json<{ data: { id: string }[] }>().data.map((z) => z.id)).toEqual(['stroget']);
  });

  it('gives every zone as a GeoJSON FeatureCollection, and one as a Feature (with its cells at a resolution)', async () => {
    const all = await app.inject({ method: 'GET', url: '/v1/zones?format=geojson' });
    expect(all.statusCode).toBe(200);
    expect(all.headers['content-type']).toMatch(/^application\/geo\+json/);
    const collection = check(all.body);
    expect(collection.type).toBe('FeatureCollection');
    const one = await app.inject({ method: 'GET', url: '/v1/zones/vesterbro' });
    expect(one.statusCode).toBe(200);
    expect(one.headers['content-type']).toMatch(/^application\/geo\+json/);
    const f = check(one.body) as unknown as { type: string; id: string; properties: Record<string, unknown>; geometry: { type: string } };
    expect(f).toMatchObject({ type: 'Feature', id: 'vesterbro', properties: { name: 'Vesterbro', kind: 'district' } });
    expect(f.geometry.type).toBe('MultiPolygon');
    expect(f.properties.cells).toBeUndefined();
    const withCells = (await app.inject({ method: 'GET', url: '/v1/zones/vesterbro?resolution=9' })).json<{
      properties: { cells: string[] };
    }>();
    expect(withCells.properties).toMatchObject({ resolution: 9, cells: zones.cells('vesterbro', 9) });
    const none = (await app.inject({ method: 'GET', url: '/v1/zones/stroget?resolution=7' })).json<{ properties: { cells: string[] } }>();
    expect(none.properties.cells).toEqual([]);
  });

  it('answers an unknown zone with 404 and a bad parameter with 400, as problem+json', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/zones/atlantis' });
    expect(r.statusCode).toBe(404);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r.json()).toMatchObject({ code: 'unknown_zone' });
    const bad = await app.inject({ method: 'GET', url: '/v1/zones/indre-by?resolution=11' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ errors: { field: string }[] }>().errors[0]!.field).toBe('querystring.resolution');
  });
});
