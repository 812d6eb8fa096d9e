import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { getResolution, latLngToCell } from 'h3-js';
import jsonld from 'jsonld';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorize, KeyStore } from '../../shared/access.js';
import { cellToUInt64 } from '../../shared/h3.js';
import { DEFAULT_RELEASE } from '../../shared/privacy.js';
import { createHttpServer, type App } from '../../shared/http.js';
import type { ChdbStore } from '../../shared/store/chdb.js';
import { chdbStore, quietLogger, TEST_ADMIN_KEY } from '../../shared/testing/fixtures.js';
import { footfallRoute } from '../routes/footfall/route.js';
import { zoneRoutes } from '../zones/routes.js';
import { Zones } from '../zones/zones.js';
import { loadCatalogMeta, type CatalogMeta } from './config.js';
import { catalogDocument, JSONLD_CONTEXT } from './dcat.js';
import { catalogRoutes, SAMPLE_MAX_ROWS } from './routes.js';

const TZ = 'Europe/Copenhagen';
const T0 = Date.parse('2026-03-02T08:00:00+01:00');
const MIN = 60_000;
const NORREPORT = latLngToCell(55.68368, 12.57163, 10);

const DCAT = 'http://www.w3.org/ns/dcat#';
const DCT = 'http://purl.org/dc/terms/';
const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
const SCHEMA = 'https://schema.org/';
const ODRL = 'http://www.w3.org/ns/odrl/2/';

interface Quad {
  s: string;
  p: string;
  o: string;
}

/** The document as RDF triples (the JSON-LD must be valid to get here), blank nodes as _:bN. */
async function triples(doc: object): Promise<Quad[]> {
  const nquads = (await jsonld.toRDF(doc, { format: 'application/n-quads' })) as unknown as string;
  return nquads
    .trim()
    .split('\n')
    .map((line) => {
      const m = /^(\S+) (\S+) (.+) \.$/.exec(line)!;
      const strip = (t: string) => t.replace(/^<(.*)>$/, '$1');
      return { s: strip(m[1]!), p: strip(m[2]!), o: strip(m[3]!) };
    });
}

const objects = (g: Quad[], s: string, p: string) => g.filter((q) => q.s === s && q.p === p).map((q) => q.o);
const one = (g: Quad[], s: string, p: string) => {
  const os = objects(g, s, p);
  expect(os, `${s} ${p}`).toHaveLength(1);
  return os[0]!;
};
const literal = (o: string) => JSON.parse(o.replace(/\^\^<[^>]+>$/, '').replace(/@[a-z-]+$/, '')) as string;

describe('the catalog', () => {
  let store: ChdbStore;
  let zones: Zones;
  let meta: CatalogMeta;
  let app: App;
  let history: { url: string; authorization?: string }[];
  let answer: { status: number; body: unknown };

  beforeAll(async () => {
    store = await chdbStore();
    zones = await Zones.load(null);
    meta = await loadCatalogMeta(null);
    const s = (ms: number) => Math.floor(ms / 1000);
    await store.insert('counts_5m', [
      { source: 'camera', cell: cellToUInt64(NORREPORT), window_start: s(T0), breakdown: '', entries: 3, exits: 4 },
      { source: 'camera', cell: cellToUInt64(NORREPORT), window_start: s(T0 + 125 * MIN), breakdown: '', entries: 1, exits: 0 },
      { source: 'ticketing', cell: cellToUInt64(NORREPORT), window_start: s(T0 - 60 * MIN), breakdown: 'metro', entries: 1, exits: 0 },
    ]);
    await store.insert('devices_in', [
      {
        source: 'wifi',
        cell: cellToUInt64(NORREPORT),
        window_start: s(T0 + 30 * MIN),
        breakdown: '',
        device: 'd',
        sessions: 1,
        dwell_ms: 1,
      },
    ]);
    await store.insert('flows_5m', [
      {
        source: 'ticketing',
        origin_cell: cellToUInt64(NORREPORT),
        destination_cell: cellToUInt64(NORREPORT),
        window_start: s(T0 + 10 * MIN),
        breakdown: 'metro',
        trips: 1,
        duration_ms: 60_000,
      },
    ]);

    // The history routes stand in for the real ones: they record what the sample asks and answer as told.
    history = [];
    answer = { status: 200, body: {} };
    app = await createHttpServer({ logger: quietLogger(), maxBodyBytes: 1 << 20, readiness: {} });
    for (const route of ['/v1/footfall', '/v1/flows'])
      app.get(route, async (req, reply) => {
        history.push({ url: req.url, authorization: req.headers.authorization });
        return reply.status(answer.status).send(answer.body);
      });
    zoneRoutes(app, { zones });
    catalogRoutes(app, { meta, zones, store, adminKey: TEST_ADMIN_KEY, timeZone: TZ, queryTimeoutMs: 30_000, sampleTtlMs: 60_000 });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await store?.command('DROP DATABASE IF EXISTS {db:Identifier}');
    await store?.close();
  });

  it('is DCAT-AP as JSON-LD, public: a dcat:Catalog of the footfall and flows datasets served by the API', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/catalog', headers: { host: 'data.example.org' } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/ld\+json/);
    const g = await triples(r.json<object>());
    const base = 'http://data.example.org';
    const catalog = `${base}/v1/catalog`;
    expect(objects(g, catalog, RDF_TYPE)).toEqual([`${DCAT}Catalog`]);
    expect(literal(one(g, catalog, `${DCT}title`))).toBe(meta.title);
    expect(objects(g, catalog, `${DCAT}dataset`).sort()).toEqual([`${catalog}/flows`, `${catalog}/footfall`]);
    const service = one(g, catalog, `${DCAT}service`);
    expect(objects(g, service, RDF_TYPE)).toEqual([`${DCAT}DataService`]);
    expect(one(g, service, `${DCAT}endpointDescription`)).toBe(`${base}/openapi.json`);
    expect(objects(g, service, `${DCAT}servesDataset`)).toHaveLength(2);

    for (const name of ['footfall', 'flows']) {
      const ds = `${catalog}/${name}`;
      expect(objects(g, ds, RDF_TYPE)).toEqual([`${DCAT}Dataset`]);
      expect(literal(one(g, ds, `${DCT}title`))).toBe(meta.datasets[name as 'footfall'].title);
      expect(literal(one(g, ds, `${DCT}description`)).length).toBeGreaterThan(40);
      expect(one(g, ds, `${DCT}license`)).toBe(meta.licence);
      expect(one(g, ds, `${DCT}accessRights`)).toBe('http://publications.europa.eu/resource/authority/access-right/RESTRICTED');
      expect(one(g, ds, `${DCT}accrualPeriodicity`)).toBe('http://publications.europa.eu/resource/authority/frequency/UPDATE_CONT');
      const publisher = one(g, ds, `${DCT}publisher`);
      expect(literal(one(g, publisher, 'http://xmlns.com/foaf/0.1/name'))).toBe(meta.publisher.name);
      const rights = one(g, ds, `${DCT}rights`);
      expect(literal(one(g, rights, 'http://www.w3.org/2000/01/rdf-schema#label'))).toMatch(/Released values only/);
      // Terms: an ODRL offer permitting use (with duties) and prohibiting redistribution.
      const policy = one(g, ds, `${ODRL}hasPolicy`);
      expect(objects(g, policy, RDF_TYPE)).toEqual([`${ODRL}Offer`]);
      const permissions = objects(g, policy, `${ODRL}permission`);
      expect(permissions.map((p) => one(g, p, `${ODRL}action`)).sort()).toEqual([`${ODRL}derive`, `${ODRL}reproduce`, `${ODRL}use`]);
      expect(objects(g, permissions[0]!, `${ODRL}duty`).map((d) => one(g, d, `${ODRL}action`))).toContain(`${ODRL}compensate`);
      expect(one(g, one(g, policy, `${ODRL}prohibition`), `${ODRL}action`)).toBe(`${ODRL}distribute`);
      // Price: a schema.org Offer with a unit price.
      const spec = one(g, one(g, ds, `${SCHEMA}offers`), `${SCHEMA}priceSpecification`);
      expect(objects(g, spec, RDF_TYPE)).toEqual([`${SCHEMA}UnitPriceSpecification`]);
      expect(literal(one(g, spec, `${SCHEMA}priceCurrency`))).toBe(meta.price!.currency);
      // Spatial: the zones' bounding box.
      const bbox = literal(one(g, one(g, ds, `${DCT}spatial`), `${DCAT}bbox`));
      const [w, s, e, n] = zones.extent()!;
      expect(bbox).toBe(`POLYGON((${w} ${s}, ${e} ${s}, ${e} ${n}, ${w} ${n}, ${w} ${s}))`);
      expect(literal(one(g, ds, `${DCAT}temporalResolution`))).toBe('PT5M');
      // The released sample.
      const sample = one(g, ds, 'http://www.w3.org/ns/adms#sample');
      expect(one(g, sample, `${DCAT}accessURL`)).toBe(`${ds}/sample`);
    }
  });

  it('has a distribution per source, metric and format of the history, and the live feed', async () => {
    const g = await triples((await app.inject({ method: 'GET', url: '/v1/catalog/footfall' })).json<object>());
    const ds = 'http://localhost:80/v1/catalog/footfall';
    const dists = objects(g, ds, `${DCAT}distribution`);
    const media = (d: string) => one(g, d, `${DCAT}mediaType`).replace('https://www.iana.org/assignments/media-types/', '');
    const urls = dists.map((d) => one(g, d, `${DCAT}accessURL`));
    // camera, ticketing: footfall, entries, exits; wifi: unique_visitors, dwell_avg_min; telco: presence — × 4 formats, + live.
    expect(dists).toHaveLength(9 * 4 + 1);
    expect(urls).toContain('http://localhost:80/v1/footfall?source=wifi&metric=dwell_avg_min&format=parquet');
    expect(new Set(dists.map(media))).toEqual(
      new Set(['application/json', 'text/csv', 'application/geo+json', 'application/vnd.apache.parquet', 'text/event-stream']),
    );
    const live = dists.find((d) => media(d) === 'text/event-stream')!;
    expect(one(g, live, `${DCAT}accessURL`)).toBe('http://localhost:80/v1/live/footfall');
    for (const d of dists) {
      expect(objects(g, d, RDF_TYPE)).toEqual([`${DCAT}Distribution`]);
      expect(one(g, d, `${DCAT}accessService`)).toBe('http://localhost:80/v1#api');
    }
    const flows = await triples((await app.inject({ method: 'GET', url: '/v1/catalog/flows' })).json<object>());
    expect(objects(flows, 'http://localhost:80/v1/catalog/flows', `${DCAT}distribution`)).toHaveLength(2 * 4 + 1);
  });

  it('gives the temporal coverage of the store: first window to the end of the last, per dataset and per source', async () => {
    const g = await triples((await app.inject({ method: 'GET', url: '/v1/catalog' })).json<object>());
    const period = (node: string) => {
      const t = one(g, node, `${DCT}temporal`);
      return [literal(one(g, t, `${DCAT}startDate`)), literal(one(g, t, `${DCAT}endDate`))];
    };
    const footfall = 'http://localhost:80/v1/catalog/footfall';
    // ticketing's window an hour before, camera's last at +125 min (ends +130).
    expect(period(footfall)).toEqual(['2026-03-02T07:00:00+01:00', '2026-03-02T10:10:00+01:00']);
    expect(literal(one(g, footfall, `${DCT}modified`))).toBe('2026-03-02T10:10:00+01:00');
    expect(period(`${footfall}#camera.footfall.csv`)).toEqual(['2026-03-02T08:00:00+01:00', '2026-03-02T10:10:00+01:00']);
    expect(period(`${footfall}#wifi.unique_visitors.json`)).toEqual(['2026-03-02T08:30:00+01:00', '2026-03-02T08:35:00+01:00']);
    expect(objects(g, `${footfall}#telco.presence.json`, `${DCT}temporal`)).toEqual([]); // no telco data
    expect(period('http://localhost:80/v1/catalog/flows')).toEqual(['2026-03-02T08:10:00+01:00', '2026-03-02T08:15:00+01:00']);
    // No data at all: no temporal coverage rather than a made-up one.
    const empty = catalogDocument({ meta, base: 'http://x', extent: null, temporal: { footfall: {}, flows: {} }, timeZone: TZ });
    const eg = await triples(empty);
    expect(objects(eg, 'http://x/v1/catalog/footfall', `${DCT}temporal`)).toEqual([]);
    expect(objects(eg, 'http://x/v1/catalog/footfall', `${DCT}spatial`)).toEqual([]);
  });

  it('answers an unknown dataset with 404 problem+json', async () => {
    for (const url of ['/v1/catalog/weather', '/v1/catalog/weather/sample']) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode).toBe(404);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(r.json()).toMatchObject({ code: 'unknown_dataset' });
    }
  });

  it('samples released values: asks the history route with the admin key, shows its rows (at most SAMPLE_MAX_ROWS), remembers the answer', async () => {
    history.length = 0;
    const rows = Array.from({ length: SAMPLE_MAX_ROWS + 50 }, (_, i) => ({ cell: `c${i}`, value: i < 10 ? null : 12, suppressed: i < 10 }));
    answer = { status: 200, body: { query: { bucket: '1h' }, privacy: { released: true, k: 10, epsilon: 1 }, data: rows } };
    const r = await app.inject({ method: 'GET', url: '/v1/catalog/footfall/sample' });
    expect(r.statusCode).toBe(200);
    const body = r.json<{ source: string; request: string; privacy: unknown; truncated: boolean; data: unknown[] }>();
    expect(body).toMatchObject({ source: 'camera', privacy: { released: true }, truncated: true });
    expect(body.data).toEqual(rows.slice(0, SAMPLE_MAX_ROWS));
    expect(history).toHaveLength(1);
    expect(history[0]!.authorization).toBe(`Bearer ${TEST_ADMIN_KEY}`);
    expect(history[0]!.url).toBe(body.request);
    const q = new URL(body.request, 'http://x').searchParams;
    expect(q.get('source')).toBe('camera');
    expect(q.get('bucket')).toBe('1h');
    expect(q.get('resolution')).toBe('8');
    const cells = q.get('cells')!.split(',');
    expect(cells.every((c) => getResolution(c) === 8)).toBe(true);
    expect(cells).toContain(latLngToCell(55.68368, 12.57163, 8)); // Nørreport lies in Indre By, the sample zone
    // 24 hourly buckets up to the end of the latest camera window (10:10 → 11:00).
    expect([q.get('from'), q.get('to')]).toEqual(['2026-03-01T11:00:00+01:00', '2026-03-02T11:00:00+01:00']);
    // Remembered: a second visitor does not query the store again.
    expect((await app.inject({ method: 'GET', url: '/v1/catalog/footfall/sample' })).json()).toEqual(body);
    expect(history).toHaveLength(1);
    // Flows: origin cells, the flows source.
    const f = await app.inject({ method: 'GET', url: '/v1/catalog/flows/sample?source=telco' });
    expect(f.statusCode).toBe(200);
    expect(history[1]!.url).toMatch(/^\/v1\/flows\?origin=[0-9a-f,%C]+&from=.*&source=telco$/);
    const bad = await app.inject({ method: 'GET', url: '/v1/catalog/flows/sample?source=wifi' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ errors: [{ field: 'source' }] });
  });

  it('refuses with 503 release_layer_unavailable rather than show values the history route did not release', async () => {
    history.length = 0;
    answer = { status: 200, body: { privacy: { released: false }, data: [{ cell: NORREPORT, value: 7, suppressed: false }] } };
    const r = await app.inject({ method: 'GET', url: '/v1/catalog/footfall/sample?source=ticketing' });
    expect(r.statusCode).toBe(503);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r.json()).toMatchObject({ code: 'release_layer_unavailable' });
    expect(r.body).not.toContain(NORREPORT);
    answer = { status: 503, body: { code: 'privacy_not_configured' } };
    const down = await app.inject({ method: 'GET', url: '/v1/catalog/footfall/sample?source=wifi' });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({
      code: 'release_layer_unavailable',
      detail: expect.stringContaining('privacy_not_configured') as string,
    });
    // A refusal is not remembered.
    answer = { status: 200, body: { privacy: { released: true }, data: [] } };
    expect((await app.inject({ method: 'GET', url: '/v1/catalog/footfall/sample?source=wifi' })).statusCode).toBe(200);
  });

  it('is in the OpenAPI document: public operations (no key), JSON-LD and GeoJSON responses, the sample source parameter', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<
        string,
        { get: { security?: unknown[]; parameters?: { name: string; in: string }[]; responses: Record<string, { content?: object }> } }
      >;
    }>();
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
    for (const p of ['/v1/catalog', '/v1/catalog/{dataset}', '/v1/catalog/{dataset}/sample', '/v1/zones', '/v1/zones/{id}'])
      expect(doc.paths[p]?.get.security, p).toEqual([]);
    expect(Object.keys(doc.paths['/v1/catalog']!.get.responses['200']!.content!)).toEqual(['application/ld+json']);
    expect(Object.keys(doc.paths['/v1/zones/{id}']!.get.responses['200']!.content!)).toEqual(['application/geo+json']);
    expect(doc.paths['/v1/catalog/{dataset}/sample']!.get.parameters!.map((x) => `${x.in}:${x.name}`).sort()).toEqual([
      'path:dataset',
      'query:source',
    ]);
  });

  it('refuses at start a sample zone that does not exist', () => {
    const bad = { ...meta, sample: { ...meta.sample, zone: 'atlantis' } };
    expect(() => catalogRoutes(app, { meta: bad, zones, store, adminKey: 'x', timeZone: TZ, queryTimeoutMs: 1000 })).toThrow(
      /sample zone atlantis of footfall is not a zone/,
    );
  });
});

describe('the catalog with the real history route', () => {
  async function withRoute(privacy: boolean, fn: (app: App) => Promise<void>): Promise<void> {
    const store = await chdbStore();
    const app = await createHttpServer({ logger: quietLogger(), maxBodyBytes: 1 << 20, readiness: {} });
    try {
      const T = Math.floor(Date.parse('2026-03-02T08:00:00+01:00') / 1000);
      await store.insert('counts_5m', [
        { source: 'camera', cell: cellToUInt64(NORREPORT), window_start: T, breakdown: '', entries: 30, exits: 40 },
      ]);
      const auth = authorize(new KeyStore(store, TEST_ADMIN_KEY), { roles: [] });
      footfallRoute(app, {
        store,
        auth,
        timeZone: TZ,
        maxResultRows: 10_000,
        queryTimeoutMs: 30_000,
        ...(privacy
          ? { privacy: { secret: Buffer.from('catalog-test-privacy-secret-0123456789'), defaults: DEFAULT_RELEASE, datasets: {} } }
          : {}),
      });
      const [zones, meta] = [await Zones.load(null), await loadCatalogMeta(null)];
      catalogRoutes(app, { meta, zones, store, adminKey: TEST_ADMIN_KEY, timeZone: TZ, queryTimeoutMs: 30_000 });
      await app.ready();
      await fn(app);
    } finally {
      await app.close();
      await store.command('DROP DATABASE IF EXISTS {db:Identifier}');
      await store.close();
    }
  }

  it('samples the released values of the route: every unit of the sample, noisy, none below k', async () => {
    await withRoute(true, async (app) => {
      const r = await app.inject({ method: 'GET', url: '/v1/catalog/footfall/sample' });
      expect(r.statusCode).toBe(200);
      const body = r.json<{
        privacy: { released: boolean; k: number };
        query: { cells: string[] };
        data: { value: number | null; suppressed: boolean }[];
      }>();
      expect(body.privacy).toMatchObject({ released: true, k: DEFAULT_RELEASE.k });
      // Every (cell, hour) unit of the sample is there, with data or not.
      expect(body.data).toHaveLength(Math.min(SAMPLE_MAX_ROWS, body.query.cells.length * 24));
      for (const row of body.data) {
        if (row.suppressed) expect(row.value).toBeNull();
        else expect(row.value).toBeGreaterThanOrEqual(DEFAULT_RELEASE.k);
      }
    });
  });

  it('refuses when the route cannot release (no privacy settings): exact values never', async () => {
    await withRoute(false, async (app) => {
      const r = await app.inject({ method: 'GET', url: '/v1/catalog/footfall/sample' });
      expect(r.statusCode).toBe(503);
      expect(r.json()).toMatchObject({
        code: 'release_layer_unavailable',
        detail: expect.stringContaining('privacy_not_configured') as string,
      });
      expect(r.body).not.toContain(NORREPORT);
    });
  });
});

describe('PASSAGE_CATALOG_FILE', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'passage-catalog-'));
  });

  it('is merged over the shipped defaults, field by field', async () => {
    const file = path.join(dir, 'catalog.json');
    await writeFile(
      file,
      JSON.stringify({
        baseUrl: 'https://data.city.example/',
        publisher: { name: 'City of Copenhagen data exchange', url: 'https://city.example', email: 'data@city.example' },
        datasets: { flows: { price: null, licence: 'https://creativecommons.org/licenses/by-nc/4.0/' } },
      }),
    );
    const meta = await loadCatalogMeta(file);
    expect(meta.publisher).toEqual({ name: 'City of Copenhagen data exchange', url: 'https://city.example', email: 'data@city.example' });
    expect(meta.title).toBe((await loadCatalogMeta(null)).title);
    expect(meta.datasets.flows.title).toBe('Flows');
    const doc = catalogDocument({
      meta,
      base: 'https://data.city.example',
      extent: null,
      temporal: { footfall: {}, flows: {} },
      timeZone: TZ,
    });
    expect(doc['@context']).toEqual(JSONLD_CONTEXT);
    const g = await triples(doc);
    const flows = 'https://data.city.example/v1/catalog/flows';
    expect(objects(g, flows, `${SCHEMA}offers`)).toEqual([]);
    expect(one(g, flows, `${DCT}license`)).toBe('https://creativecommons.org/licenses/by-nc/4.0/');
    expect(one(g, flows, `${DCT}publisher`)).toBe('https://city.example');
    expect(one(g, one(g, flows, `${DCAT}contactPoint`), 'http://www.w3.org/2006/vcard/ns#hasEmail')).toBe('mailto:data@city.example');
    expect(objects(g, 'https://data.city.example/v1/catalog/footfall', `${SCHEMA}offers`)).toHaveLength(1);
  });

  it('refuses a file that is not JSON, or whose fields are unknown or out of range, naming the path', async () => {
    const bad: [string, RegExp][] = [
      ['{"title": ', /is not JSON/],
      ['[]', /must be a JSON object/],
      ['{"titel": "x"}', /titel/],
      ['{"price": {"amount": 1, "currency": "kr", "per": 1000, "unit": "rows"}}', /\/price/],
      ['{"datasets": {"weather": {"title": "x", "description": "y"}}}', /\/datasets\/weather/],
      ['{"licence": "CC-BY"}', /\/licence/],
    ];
    for (const [i, [text, reason]] of bad.entries()) {
      const file = path.join(dir, `bad${i}.json`);
      await writeFile(file, text);
      await expect(loadCatalogMeta(file), text).rejects.toThrow(reason);
      await expect(loadCatalogMeta(file), text).rejects.toThrow(file);
    }
  });
});
