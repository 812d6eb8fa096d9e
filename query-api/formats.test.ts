import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check } from '@placemarkio/check-geojson';
import { parse } from 'csv-parse/sync';
import { cellToBoundary, cellToLatLng, cellToParent, latLngToCell } from 'h3-js';
import { cellToUInt64 } from '../shared/h3.js';
import { accessApp, ADMIN, type AccessApp } from '../shared/testing/access.js';
import { COLUMN_TYPES, type Column } from './formats.js';

const T = Date.parse('2026-11-20T08:00:00+01:00');
const MIN = 60_000;
const HOUR = 60 * MIN;
const c10 = latLngToCell(55.6786, 12.5786, 10); // Strøget
const P8 = cellToParent(c10, 8);
const dest = latLngToCell(55.6867, 12.5701, 10); // Nørreport
const D8 = cellToParent(dest, 8);

type Row = Record<string, unknown>;

/** A CSV field back as the JSON value of its column: '' is null (suppressed value, no breakdown, no weather). */
function fromCsv(column: Column, text: string): unknown {
  const type: string = COLUMN_TYPES[column];
  if (text === '' && type.startsWith('Nullable')) return null;
  if (column === 'weather' || column === 'events' || column === 'incidents') return JSON.parse(text);
  if (type === 'Bool') return text === 'true';
  if (type.includes('Int') || type.includes('Float')) return Number(text);
  return text;
}

describe('history answer formats: json, csv, geojson, parquet', () => {
  let h: AccessApp;
  const get = (url: string) => h.app.inject({ method: 'GET', url, headers: ADMIN });
  const json = async (url: string): Promise<{ query: unknown; privacy: unknown; data: Row[] }> => {
    const r = await get(url);
    expect(r.statusCode, r.body).toBe(200);
    return r.json();
  };
  const csv = async (url: string): Promise<Row[]> => {
    const r = await get(`${url}&format=csv`);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(r.headers['content-disposition']).toMatch(/^attachment; filename="(footfall|flows)\.csv"$/);
    expect(r.headers['passage-privacy']).toMatch(/^released; dataset=(footfall|flows); k=1; epsilon=1; noise=off$/);
    const records = parse<Record<string, string>>(r.body, { columns: true });
    return records.map((rec) => Object.fromEntries(Object.entries(rec).map(([c, v]) => [c, fromCsv(c as Column, v)])));
  };
  const parquet = async (url: string): Promise<{ rows: Row[]; types: Record<string, string> }> => {
    const r = await get(`${url}&format=parquet`);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['content-type']).toBe('application/vnd.apache.parquet');
    expect(r.headers['content-disposition']).toMatch(/filename="(footfall|flows)\.parquet"/);
    expect(r.headers['passage-privacy']).toMatch(/^released; /);
    const d = r.rawPayload.toString('base64');
    const types = await h.store.query<{ name: string; type: string }>('DESCRIBE format(Parquet, base64Decode({d:String}))', { d });
    const rows = await h.store.query<Row>('SELECT * FROM format(Parquet, base64Decode({d:String}))', { d });
    const json = new Set<string>(['weather', 'events', 'incidents']);
    return {
      types: Object.fromEntries(types.map((t) => [t.name, t.type])),
      rows: rows.map((row) =>
        Object.fromEntries(
          Object.entries(row).map(([c, v]) => [
            c,
            json.has(c) && typeof v === 'string'
              ? JSON.parse(v)
              : COLUMN_TYPES[c as Column].includes('Int64') && v !== null
                ? Number(v)
                : v,
          ]),
        ),
      ),
    };
  };
  const geojson = async (url: string) => {
    const r = await get(`${url}&format=geojson`);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['content-type']).toBe('application/geo+json; charset=utf-8');
    check(r.body); // throws on invalid GeoJSON
    return r.json<{
      type: string;
      query: unknown;
      privacy: unknown;
      features: { type: string; geometry: { type: string; coordinates: number[][] | number[][][] } | null; properties: Row }[];
    }>();
  };

  /** Every format answers the JSON's released rows, suppressed ones as null with suppressed=true. */
  async function same(url: string) {
    const j = await json(url);
    expect(j.data.some((r) => r.suppressed === false)).toBe(true);
    expect(j.data.some((r) => r.suppressed === true)).toBe(true);
    expect(j.data.filter((r) => r.suppressed).every((r) => ('value' in r ? r.value : r.trips) === null)).toBe(true);
    expect(await csv(url)).toEqual(j.data);
    const pq = await parquet(url);
    expect(pq.rows).toEqual(j.data);
    const g = await geojson(url);
    expect(g).toMatchObject({ type: 'FeatureCollection', query: j.query, privacy: j.privacy });
    expect(g.features.map((f) => f.properties)).toEqual(j.data);
    return { json: j, types: pq.types, features: g.features };
  }

  const hours = `from=${T}&to=${T + 2 * HOUR}&bucket=1h`;

  beforeAll(async () => {
    h = await accessApp();
    await h.store.insert(
      'counts_5m',
      [
        { cell: c10, t: T, entries: 10, exits: 5, breakdown: 'pedestrian' },
        { cell: c10, t: T + 65 * MIN, entries: 1, exits: 2, breakdown: 'cyclist' },
      ].map((x) => ({
        source: 'camera',
        cell: cellToUInt64(x.cell),
        window_start: x.t / 1000,
        breakdown: x.breakdown,
        entries: x.entries,
        exits: x.exits,
      })),
    );
    await h.store.insert(
      'flows_5m',
      [
        { origin: c10, t: T, trips: 3, breakdown: 'metro' },
        { origin: c10, t: T + 70 * MIN, trips: 2, breakdown: '' },
      ].map((f) => ({
        source: 'ticketing',
        origin_cell: cellToUInt64(f.origin),
        destination_cell: cellToUInt64(dest),
        window_start: f.t / 1000,
        breakdown: f.breakdown,
        trips: f.trips,
        duration_ms: f.trips * 10 * MIN,
      })),
    );
  });
  afterAll(() => h?.close());

  it('footfall: the same released rows in every format, a cell polygon per feature', async () => {
    const url = `/v1/footfall?cells=${P8}&${hours}&resolution=9`;
    const { json: j, types, features } = await same(url);
    expect(j.data[0]).toHaveProperty('weather', null); // enriched: nested values as JSON text columns
    expect(types).toMatchObject({ cell: 'String', value: 'Nullable(Float64)', suppressed: 'Bool', weather: 'Nullable(String)' });
    const f = features[0]!;
    expect(f.geometry?.type).toBe('Polygon');
    const ring = (f.geometry!.coordinates as number[][][])[0]!;
    expect(ring[0]).toEqual(ring[ring.length - 1]);
    expect(ring.slice(0, -1)).toEqual(cellToBoundary(f.properties.cell as string, true).slice(0, ring.length - 1));
    // Split by class, without enrichment; area rows have no geometry.
    await same(`/v1/footfall?cells=${P8}&${hours}&resolution=10&breakdown=true&enrich=false`);
    const area = await same(`/v1/footfall?cells=${P8}&from=${T}&to=${T + 3 * HOUR}&resolution=9&aggregate=area`);
    expect(area.features.every((x) => x.geometry === null)).toBe(true);
  });

  it('flows: the same released rows in every format, an origin→destination line per feature', async () => {
    const { types, features } = await same(`/v1/flows?origin=${P8}&destination=${D8},${P8}&${hours}&breakdown=true`);
    expect(types).toMatchObject({ trips: 'Nullable(Int64)', avgDurationMin: 'Nullable(Float64)', mode: 'Nullable(String)' });
    const line = features.find((x) => !x.properties.suppressed)!;
    const [lat, lng] = cellToLatLng(line.properties.originCell as string);
    expect(line.geometry).toMatchObject({ type: 'LineString' });
    expect((line.geometry!.coordinates as number[][])[0]).toEqual([lng, lat]);
    expect(features.map((x) => x.properties.mode)).toContain(null); // a journey without a mode
    await same(`/v1/flows?origin=${P8}&destination=${D8}&from=${T}&to=${T + 3 * HOUR}&aggregate=area`);
  });

  it('answers an empty csv with its header, and meters the rows of every format', async () => {
    const empty = await get(`/v1/flows?origin=${P8}&from=${T - 2 * HOUR}&to=${T - HOUR}&format=csv`);
    expect(empty.statusCode, empty.body).toBe(200);
    expect(empty.body).toBe('"originCell","destinationCell","bucketStart","source","trips","avgDurationMin","suppressed"\n');
    const before = async () => {
      const r = await get('/v1/usage?dataset=footfall');
      return r.json<{ data: { rows: number }[] }>().data.reduce((n, x) => n + x.rows, 0);
    };
    const start = await before();
    const url = `/v1/footfall?cells=${P8}&${hours}&resolution=9&enrich=false`;
    const n = (await json(url)).data.length;
    await csv(url);
    await parquet(url);
    await geojson(url);
    expect(await before()).toBe(start + 4 * n);
  });
});
