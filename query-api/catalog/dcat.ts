// The catalog as DCAT-AP in JSON-LD: a dcat:Catalog of the datasets Passage publishes (footfall,
// flows), each a dcat:Dataset with its publisher, licence (dct:license), access rights and rights
// statement, terms as an ODRL offer (odrl:hasPolicy), price as a schema.org Offer with a
// UnitPriceSpecification (schema:offers), spatial coverage (dct:spatial: the bounding box of the
// zones), temporal coverage (dct:temporal: first and last window in the store), update frequency
// (dct:accrualPeriodicity: continuous), and one dcat:Distribution per source, metric and format of
// the history endpoint plus the live feed, all served by one dcat:DataService (the API, described
// by /openapi.json); adms:sample points at the released sample. Pure: built from its inputs.

import { FLOW_SOURCES } from '../routes/flows/query.js';
import { SOURCE_METRICS, SOURCES } from '../routes/footfall/query.js';
import type { CatalogMeta } from './config.js';
import { formatInstant } from '../../shared/time.js';

export const CATALOG_DATASETS = ['footfall', 'flows'] as const;
export type CatalogDataset = (typeof CATALOG_DATASETS)[number];

export function isCatalogDataset(name: string): name is CatalogDataset {
  return (CATALOG_DATASETS as readonly string[]).includes(name);
}

export const JSONLD_CONTEXT = {
  dcat: 'http://www.w3.org/ns/dcat#',
  dct: 'http://purl.org/dc/terms/',
  foaf: 'http://xmlns.com/foaf/0.1/',
  vcard: 'http://www.w3.org/2006/vcard/ns#',
  odrl: 'http://www.w3.org/ns/odrl/2/',
  schema: 'https://schema.org/',
  adms: 'http://www.w3.org/ns/adms#',
  gsp: 'http://www.opengis.net/ont/geosparql#',
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
} as const;

const EU = 'http://publications.europa.eu/resource/authority/';
const IANA = 'https://www.iana.org/assignments/media-types/';

/** The formats of the history endpoints: IANA media type and EU file-type authority code. */
export const FORMATS = {
  json: { mediaType: 'application/json', fileType: 'JSON', label: 'JSON' },
  csv: { mediaType: 'text/csv', fileType: 'CSV', label: 'CSV' },
  geojson: { mediaType: 'application/geo+json', fileType: 'GEOJSON', label: 'GeoJSON' },
  parquet: { mediaType: 'application/vnd.apache.parquet', fileType: 'PARQUET', label: 'Parquet' },
} as const;
export type Format = keyof typeof FORMATS;

const SOURCE_LABELS: Record<string, string> = {
  camera: 'People-counting cameras',
  ticketing: 'Public-transport ticketing',
  wifi: 'Wi-Fi counters',
  telco: 'Telco network events',
};

const METRIC_LABELS: Record<string, [string, string]> = {
  footfall: ['footfall', 'People passing: entries plus exits (camera line crossings both ways; ticketing gates and taps, in and out).'],
  entries: ['entries', 'People entering: camera crossings inwards; ticketing tap-ins and gate entries.'],
  exits: ['exits', 'People leaving: camera crossings outwards; ticketing tap-outs and gate exits.'],
  unique_visitors: ['unique visitors', 'Distinct devices seen in the cell and bucket (a device seen several times counts once).'],
  dwell_avg_min: ['mean dwell time', 'Mean visit length in minutes of the visits that started in the cell and bucket.'],
  presence: ['presence', 'Distinct devices present in the cell and bucket.'],
};

/** Base window of every aggregate (DESIGN.md, Time) and average edge of an H3 resolution-10 cell (m). */
const TEMPORAL_RESOLUTION = 'PT5M';
const SPATIAL_RESOLUTION_M = '75.9';

/** A period of data: first window start and last window end (epoch ms). */
export interface Period {
  start: number;
  end: number;
}

/** The periods in the store, by dataset and source. */
export type Temporal = Record<CatalogDataset, Record<string, Period>>;

export interface CatalogInput {
  meta: CatalogMeta;
  /** Absolute base URL of the API, without a trailing slash. */
  base: string;
  /** [west, south, east, north] of the zones; null: none. */
  extent: [number, number, number, number] | null;
  temporal: Temporal;
  timeZone: string;
}

type Node = Record<string, unknown>;

/** A JSON-LD document: a node with its @context. */
export type JsonLdDocument = Node & { '@context': typeof JSONLD_CONTEXT; '@id': string; '@type': string };

const iri = (id: string) => ({ '@id': id });

function dateTime(ms: number, timeZone: string): Node {
  return { '@type': 'xsd:dateTime', '@value': formatInstant(ms, timeZone) };
}

function union(periods: (Period | undefined)[]): Period | null {
  const ps = periods.filter((p): p is Period => p !== undefined);
  if (ps.length === 0) return null;
  return { start: Math.min(...ps.map((p) => p.start)), end: Math.max(...ps.map((p) => p.end)) };
}

function periodNode(p: Period | null, timeZone: string): Node | null {
  return p === null
    ? null
    : { '@type': 'dct:PeriodOfTime', 'dcat:startDate': dateTime(p.start, timeZone), 'dcat:endDate': dateTime(p.end, timeZone) };
}

/** The dataset settings with the catalog's as defaults. */
export function datasetMeta(meta: CatalogMeta, name: CatalogDataset) {
  const d = meta.datasets[name];
  return {
    title: d.title,
    description: d.description,
    keywords: d.keywords ?? meta.keywords,
    licence: d.licence ?? meta.licence,
    accessRights: d.accessRights ?? meta.accessRights,
    rights: d.rights ?? meta.rights,
    policy: d.policy ?? meta.policy,
    price: d.price === undefined ? meta.price : d.price,
    sample: d.sample ?? meta.sample,
  };
}

function publisher(input: CatalogInput): Node {
  const p = input.meta.publisher;
  return {
    '@id': p.url ?? `${input.base}/v1/catalog#publisher`,
    '@type': 'foaf:Agent',
    'foaf:name': p.name,
    ...(p.url === null ? {} : { 'foaf:homepage': iri(p.url) }),
  };
}

function contactPoint(input: CatalogInput): Node | null {
  const p = input.meta.publisher;
  return p.email === null ? null : { '@type': 'vcard:Organization', 'vcard:fn': p.name, 'vcard:hasEmail': iri(`mailto:${p.email}`) };
}

function spatial(input: CatalogInput): Node | null {
  if (input.extent === null) return null;
  const [w, s, e, n] = input.extent;
  return {
    '@type': 'dct:Location',
    'rdfs:label': 'The area of the named zones (GET /v1/zones); data lie on the H3 cells inside it',
    'dcat:bbox': { '@type': 'gsp:wktLiteral', '@value': `POLYGON((${w} ${s}, ${e} ${s}, ${e} ${n}, ${w} ${n}, ${w} ${s}))` },
    'rdfs:seeAlso': iri(`${input.base}/v1/zones`),
  };
}

const serviceId = (base: string) => `${base}/v1#api`;
const datasetId = (base: string, name: CatalogDataset) => `${base}/v1/catalog/${name}`;

function policy(input: CatalogInput, name: CatalogDataset): Node {
  const { policy: p } = datasetMeta(input.meta, name);
  const target = iri(datasetId(input.base, name));
  const action = (a: string) => iri(`odrl:${a}`);
  return {
    '@id': `${datasetId(input.base, name)}#policy`,
    '@type': 'odrl:Offer',
    'odrl:assigner': iri(publisher(input)['@id'] as string),
    'odrl:permission': p.permissions.map((a) => ({
      'odrl:target': target,
      'odrl:action': action(a),
      ...(p.duties.length === 0 ? {} : { 'odrl:duty': p.duties.map((d) => ({ 'odrl:action': action(d) })) }),
    })),
    'odrl:prohibition': p.prohibitions.map((a) => ({ 'odrl:target': target, 'odrl:action': action(a) })),
  };
}

function offer(input: CatalogInput, name: CatalogDataset): Node | null {
  const { price } = datasetMeta(input.meta, name);
  if (price === null) return null;
  return {
    '@type': 'schema:Offer',
    'schema:seller': iri(publisher(input)['@id'] as string),
    ...(price.description === undefined ? {} : { 'schema:description': price.description }),
    'schema:priceSpecification': {
      '@type': 'schema:UnitPriceSpecification',
      'schema:price': price.amount,
      'schema:priceCurrency': price.currency,
      'schema:referenceQuantity': { '@type': 'schema:QuantitativeValue', 'schema:value': price.per, 'schema:unitText': price.unit },
    },
  };
}

function distribution(
  input: CatalogInput,
  name: CatalogDataset,
  key: string,
  fields: { title: string; description: string; url: string; mediaType: string; fileType?: string; period?: Period | null },
): Node {
  const licence = datasetMeta(input.meta, name).licence;
  return {
    '@id': `${datasetId(input.base, name)}#${key}`,
    '@type': 'dcat:Distribution',
    'dct:identifier': `${name}.${key}`,
    'dct:title': fields.title,
    'dct:description': fields.description,
    'dcat:accessURL': iri(fields.url),
    'dcat:accessService': iri(serviceId(input.base)),
    'dcat:mediaType': iri(`${IANA}${fields.mediaType}`),
    ...(fields.fileType === undefined ? {} : { 'dct:format': iri(`${EU}file-type/${fields.fileType}`) }),
    'dct:license': iri(licence),
    ...(fields.period === undefined || fields.period === null ? {} : { 'dct:temporal': periodNode(fields.period, input.timeZone) }),
  };
}

function distributions(input: CatalogInput, name: CatalogDataset): Node[] {
  const out: Node[] = [];
  const api = `${input.base}/v1/${name}`;
  if (name === 'footfall') {
    for (const source of SOURCES)
      for (const metric of Object.keys(SOURCE_METRICS[source].metrics)) {
        const [label, description] = METRIC_LABELS[metric] ?? [metric, metric];
        for (const [fmt, f] of Object.entries(FORMATS))
          out.push(
            distribution(input, name, `${source}.${metric}.${fmt}`, {
              title: `${SOURCE_LABELS[source] ?? source}: ${label} (${f.label})`,
              description,
              url: `${api}?source=${source}&metric=${metric}&format=${fmt}`,
              mediaType: f.mediaType,
              fileType: f.fileType,
              period: input.temporal.footfall[source] ?? null,
            }),
          );
      }
  } else {
    for (const source of FLOW_SOURCES)
      for (const [fmt, f] of Object.entries(FORMATS))
        out.push(
          distribution(input, name, `${source}.trips.${fmt}`, {
            title: `${SOURCE_LABELS[source] ?? source}: origin→destination trips (${f.label})`,
            description:
              source === 'ticketing'
                ? 'Journeys from tap-in to tap-out per station cell pair, by mode, with mean duration.'
                : 'Movements of devices between successive network cells, by subscriber segment, with mean duration.',
            url: `${api}?source=${source}&format=${fmt}`,
            mediaType: f.mediaType,
            fileType: f.fileType,
            period: input.temporal.flows[source] ?? null,
          }),
        );
  }
  out.push(
    distribution(input, name, 'live', {
      title: `Live ${name} (Server-Sent Events)`,
      description:
        'Released windows as they close, corrections by late data, heartbeats (Last-Event-ID resumes); also on the WebSocket /v1/live.',
      url: `${input.base}/v1/live/${name}`,
      mediaType: 'text/event-stream',
    }),
  );
  return out;
}

/** One dataset as a DCAT node (without @context). */
export function datasetNode(input: CatalogInput, name: CatalogDataset): Node {
  const d = datasetMeta(input.meta, name);
  const id = datasetId(input.base, name);
  const period = union(Object.values(input.temporal[name]));
  const contact = contactPoint(input);
  const where = spatial(input);
  const price = offer(input, name);
  return {
    '@id': id,
    '@type': 'dcat:Dataset',
    'dct:identifier': name,
    'dct:title': d.title,
    'dct:description': d.description,
    'dcat:keyword': d.keywords,
    'dct:publisher': publisher(input),
    ...(contact === null ? {} : { 'dcat:contactPoint': contact }),
    ...(input.meta.homepage === null ? {} : { 'dcat:landingPage': iri(input.meta.homepage) }),
    'dct:language': iri(`http://id.loc.gov/vocabulary/iso639-1/${input.meta.language}`),
    'dct:license': iri(d.licence),
    'dct:accessRights': iri(`${EU}access-right/${d.accessRights}`),
    'dct:rights': { '@type': 'dct:RightsStatement', 'rdfs:label': d.rights },
    'odrl:hasPolicy': policy(input, name),
    ...(price === null ? {} : { 'schema:offers': price }),
    ...(where === null ? {} : { 'dct:spatial': where }),
    ...(period === null
      ? {}
      : { 'dct:temporal': periodNode(period, input.timeZone), 'dct:modified': dateTime(period.end, input.timeZone) }),
    'dct:accrualPeriodicity': iri(`${EU}frequency/UPDATE_CONT`),
    'dcat:temporalResolution': { '@type': 'xsd:duration', '@value': TEMPORAL_RESOLUTION },
    'dcat:spatialResolutionInMeters': { '@type': 'xsd:decimal', '@value': SPATIAL_RESOLUTION_M },
    'dcat:distribution': distributions(input, name),
    'adms:sample': {
      '@id': `${id}/sample`,
      '@type': 'dcat:Distribution',
      'dct:title': `Sample of ${d.title.toLowerCase()}: released values, ${d.sample.hours} hourly buckets in zone ${d.sample.zone} at resolution ${d.sample.resolution}`,
      'dcat:accessURL': iri(`${id}/sample`),
      'dcat:mediaType': iri(`${IANA}application/json`),
      'dct:format': iri(`${EU}file-type/JSON`),
      'dct:license': iri(d.licence),
    },
  };
}

function service(input: CatalogInput): Node {
  return {
    '@id': serviceId(input.base),
    '@type': 'dcat:DataService',
    'dct:title': 'Passage API',
    'dcat:endpointURL': iri(`${input.base}/v1`),
    'dcat:endpointDescription': iri(`${input.base}/openapi.json`),
    'dct:conformsTo': iri('https://spec.openapis.org/oas/v3.1.0'),
    'dct:license': iri(input.meta.licence),
    'dct:accessRights': iri(`${EU}access-right/${input.meta.accessRights}`),
    'dcat:servesDataset': CATALOG_DATASETS.map((n) => iri(datasetId(input.base, n))),
  };
}

/** The whole catalog, JSON-LD with its @context. */
export function catalogDocument(input: CatalogInput): JsonLdDocument {
  const { meta } = input;
  const where = spatial(input);
  const period = union(CATALOG_DATASETS.flatMap((n) => Object.values(input.temporal[n])));
  return {
    '@context': JSONLD_CONTEXT,
    '@id': `${input.base}/v1/catalog`,
    '@type': 'dcat:Catalog',
    'dct:title': meta.title,
    'dct:description': meta.description,
    'dct:publisher': publisher(input),
    ...(meta.homepage === null ? {} : { 'foaf:homepage': iri(meta.homepage) }),
    'dct:language': iri(`http://id.loc.gov/vocabulary/iso639-1/${meta.language}`),
    'dct:license': iri(meta.licence),
    'dcat:keyword': meta.keywords,
    ...(where === null ? {} : { 'dct:spatial': where }),
    ...(period === null ? {} : { 'dct:modified': dateTime(period.end, input.timeZone) }),
    'dcat:service': [service(input)],
    'dcat:dataset': CATALOG_DATASETS.map((n) => datasetNode(input, n)),
  };
}

/** One dataset, JSON-LD with its @context. */
export function datasetDocument(input: CatalogInput, name: CatalogDataset): JsonLdDocument {
  return { '@context': JSONLD_CONTEXT, '@id': datasetId(input.base, name), '@type': 'dcat:Dataset', ...datasetNode(input, name) };
}
