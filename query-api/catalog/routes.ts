// GET /v1/catalog (DCAT-AP as JSON-LD), GET /v1/catalog/{dataset}, GET /v1/catalog/{dataset}/sample.
// The catalog is public metadata: no API key. The sample is public too — a shop window — but holds
// released values only: it asks the history route itself (app.inject with the service's admin key,
// a fixed small query: the cells of the sample zone at the sample resolution, hourly buckets up to
// the latest data) and passes on its answer only when that answer says `privacy.released: true`;
// otherwise it refuses with 503 release_layer_unavailable, never showing exact values. Samples are
// remembered for five minutes, so anonymous traffic cannot load the store.

import { Type, type Static } from '@sinclair/typebox';
import { cellToParent } from 'h3-js';
import { PassageError } from '../../shared/errors.js';
import { PUBLIC_ROUTE, type App } from '../../shared/http.js';
import type { Store } from '../../shared/store/types.js';
import { formatInstant, HOUR_MS } from '../../shared/time.js';
import { bucketStartOf } from '../history.js';
import { FLOW_SOURCES } from '../routes/flows/query.js';
import { SOURCES } from '../routes/footfall/query.js';
import type { Zones } from '../zones/zones.js';
import type { CatalogMeta } from './config.js';
import {
  CATALOG_DATASETS,
  catalogDocument,
  datasetDocument,
  datasetMeta,
  isCatalogDataset,
  type CatalogDataset,
  type CatalogInput,
} from './dcat.js';
import { cachedTemporal } from './temporal.js';

export interface CatalogRouteOptions {
  meta: CatalogMeta;
  zones: Zones;
  store: Store;
  /** The service's admin key: the sample asks the history routes with it (and passes on only released answers). */
  adminKey: string;
  timeZone: string;
  queryTimeoutMs: number;
  /** How long a sample is remembered (ms); default five minutes. */
  sampleTtlMs?: number;
}

/** Most rows a sample shows. */
export const SAMPLE_MAX_ROWS = 200;

const JSONLD = 'application/ld+json';

const DEFAULT_SOURCE: Record<CatalogDataset, string> = { footfall: 'camera', flows: 'ticketing' };
const DATASET_SOURCES: Record<CatalogDataset, readonly string[]> = { footfall: SOURCES, flows: FLOW_SOURCES };

const JsonLd = Type.Object(
  { '@context': Type.Unknown(), '@id': Type.String(), '@type': Type.String() },
  { additionalProperties: true, description: 'DCAT-AP as JSON-LD.' },
);

const DatasetParams = Type.Object({ dataset: Type.String({ maxLength: 64, description: `A dataset: ${CATALOG_DATASETS.join(', ')}.` }) });

/** The dataset named in the path; 404 unknown_dataset for another name. */
function datasetOf(name: string): CatalogDataset {
  if (!isCatalogDataset(name))
    throw new PassageError('unknown_dataset', `there is no dataset ${name} (${CATALOG_DATASETS.join(', ')})`, { status: 404 });
  return name;
}

const SampleBody = Type.Object(
  {
    dataset: Type.String(),
    source: Type.String(),
    description: Type.String(),
    request: Type.String({ description: 'The history request the sample is the answer of (a subscriber may repeat it).' }),
    query: Type.Optional(Type.Unknown()),
    privacy: Type.Unknown(),
    truncated: Type.Boolean({ description: `More than ${SAMPLE_MAX_ROWS} rows: only the first are shown.` }),
    data: Type.Array(Type.Unknown()),
  },
  { additionalProperties: false },
);

/** The cells of the sample: the sample zone's base cells rolled up to the sample resolution (every zone has some). */
function sampleCells(zones: Zones, zone: string, resolution: number): string[] {
  return [...new Set(zones.cells(zone, 10, 'sample.zone').map((c) => cellToParent(c, resolution)))].sort();
}

export function catalogRoutes(app: App, opts: CatalogRouteOptions): void {
  const { meta, zones } = opts;
  // A sample zone that is not there is a configuration error: found at start, not by a visitor.
  for (const name of CATALOG_DATASETS) {
    const s = datasetMeta(meta, name).sample;
    if (zones.get(s.zone) === undefined)
      throw new Error(`catalog: the sample zone ${s.zone} of ${name} is not a zone (PASSAGE_ZONES_FILE)`);
    sampleCells(zones, s.zone, s.resolution);
  }
  const temporal = cachedTemporal(opts.store, opts.queryTimeoutMs);
  const samples = new Map<string, { until: number; body: Static<typeof SampleBody> }>();

  const input = async (req: { protocol: string; host: string }): Promise<CatalogInput> => ({
    meta,
    base: (meta.baseUrl ?? `${req.protocol}://${req.host}`).replace(/\/+$/, ''),
    extent: zones.extent(),
    temporal: await temporal(),
    timeZone: opts.timeZone,
  });

  app.get(
    '/v1/catalog',
    {
      schema: {
        ...PUBLIC_ROUTE,
        summary: 'The dataset catalog (DCAT-AP, JSON-LD)',
        description:
          'A dcat:Catalog of the datasets (footfall, flows): publisher, licence, rights and terms (ODRL), price (schema.org Offer), spatial and temporal coverage, update frequency, distributions (history in JSON, CSV, GeoJSON, Parquet per source and metric; live SSE) and a released sample.',
        response: { 200: { content: { [JSONLD]: { schema: JsonLd } } } },
      },
    },
    async (req, reply) => reply.type(JSONLD).send(catalogDocument(await input(req))),
  );

  app.get(
    '/v1/catalog/:dataset',
    {
      schema: {
        ...PUBLIC_ROUTE,
        summary: 'One dataset of the catalog (DCAT-AP, JSON-LD)',
        params: DatasetParams,
        response: { 200: { content: { [JSONLD]: { schema: JsonLd } } } },
      },
    },
    async (req, reply) => reply.type(JSONLD).send(datasetDocument(await input(req), datasetOf(req.params.dataset))),
  );

  app.get(
    '/v1/catalog/:dataset/sample',
    {
      schema: {
        ...PUBLIC_ROUTE,
        summary: 'A sample of released values of a dataset',
        description:
          'The answer of a fixed small history query (the sample zone, hourly buckets up to the latest data), released like every answer: noisy, suppressed below k. 503 release_layer_unavailable when the history route does not release values.',
        params: DatasetParams,
        querystring: Type.Object(
          {
            source: Type.Optional(
              Type.Union(
                [...new Set([...SOURCES, ...FLOW_SOURCES])].map((s) => Type.Literal(s)),
                { description: 'footfall: camera (default), ticketing, wifi, telco; flows: ticketing (default), telco.' },
              ),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: SampleBody },
      },
    },
    async (req) => {
      const dataset = datasetOf(req.params.dataset);
      const source = req.query.source ?? DEFAULT_SOURCE[dataset];
      if (!DATASET_SOURCES[dataset].includes(source))
        throw new PassageError('invalid_request', `dataset ${dataset} has no source ${source}`, {
          status: 400,
          fields: [{ field: 'source', reason: `${dataset} has ${DATASET_SOURCES[dataset].join(', ')}` }],
        });
      const key = `${dataset}|${source}`;
      const hit = samples.get(key);
      if (hit !== undefined && hit.until > Date.now()) return hit.body;

      const s = datasetMeta(meta, dataset).sample;
      const cells = sampleCells(zones, s.zone, s.resolution);
      const latest = (await temporal())[dataset][source]?.end ?? Date.now();
      const hour = bucketStartOf(latest, '1h', opts.timeZone);
      const to = hour < latest ? hour + HOUR_MS : hour;
      const from = to - s.hours * HOUR_MS;
      const params = new URLSearchParams({
        [dataset === 'footfall' ? 'cells' : 'origin']: cells.join(','),
        from: formatInstant(from, opts.timeZone),
        to: formatInstant(to, opts.timeZone),
        bucket: '1h',
        resolution: String(s.resolution),
        source,
      });
      const request = `/v1/${dataset}?${params.toString()}`;
      const res = await app.inject({ method: 'GET', url: request, headers: { authorization: `Bearer ${opts.adminKey}` } });
      const answer = (() => {
        try {
          return res.json<{ code?: string; query?: unknown; privacy?: { released?: unknown }; data?: unknown[] }>();
        } catch {
          return {};
        }
      })();
      if (res.statusCode === 503 || (res.statusCode === 200 && answer.privacy?.released !== true))
        throw new PassageError(
          'release_layer_unavailable',
          res.statusCode === 200
            ? `the ${dataset} history does not release its values yet (privacy.released is not true): the sample shows released values only`
            : `the ${dataset} history cannot release values now (${answer.code ?? res.statusCode}): the sample shows released values only`,
          { status: 503, retriable: true },
        );
      if (res.statusCode !== 200 || !Array.isArray(answer.data)) {
        req.log.error({ status: res.statusCode, code: answer.code, request }, 'catalog sample: the history query failed');
        throw new PassageError('sample_failed', `the sample query failed (${answer.code ?? res.statusCode})`, { status: 500 });
      }
      const body: Static<typeof SampleBody> = {
        dataset,
        source,
        description: `Released ${dataset} of source ${source}: ${s.hours} hourly buckets up to the latest data, the cells of zone ${s.zone} at resolution ${s.resolution}.`,
        request,
        query: answer.query,
        privacy: answer.privacy,
        truncated: answer.data.length > SAMPLE_MAX_ROWS,
        data: answer.data.slice(0, SAMPLE_MAX_ROWS),
      };
      samples.set(key, { until: Date.now() + (opts.sampleTtlMs ?? 5 * 60_000), body });
      return body;
    },
  );
}
