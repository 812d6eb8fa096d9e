// The catalog's metadata: shipped defaults (defaults.json) with PASSAGE_CATALOG_FILE merged over
// them — objects field by field, anything else (text, numbers, lists, null) replaced — and the
// result checked against CatalogMeta, so a typo in the file stops the start with its path.

import { readFile } from 'node:fs/promises';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { assetPath } from '../../shared/assets.js';

export const CATALOG_DEFAULTS = assetPath('query-api', 'catalog', 'defaults.json');

const Iri = Type.String({ pattern: '^https?://[^\\s]+$', description: 'An http(s) IRI.' });
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Text = Type.String({ minLength: 1 });

/** ODRL actions by their name in the ODRL common vocabulary (use, reproduce, distribute, attribute, compensate, …). */
const OdrlAction = Type.String({ pattern: '^[a-zA-Z]+$' });

const Policy = Type.Object(
  { permissions: Type.Array(OdrlAction), duties: Type.Array(OdrlAction), prohibitions: Type.Array(OdrlAction) },
  { additionalProperties: false, description: 'The terms as an ODRL offer: actions permitted, the duties they carry, actions prohibited.' },
);

const Price = Nullable(
  Type.Object(
    {
      amount: Type.Number({ minimum: 0 }),
      currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217' }),
      per: Type.Integer({ minimum: 1, description: 'The amount is for this many units.' }),
      unit: Text,
      description: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
);

const AccessRights = Type.Union([Type.Literal('PUBLIC'), Type.Literal('RESTRICTED'), Type.Literal('NON_PUBLIC')], {
  description: 'EU access-right authority table code.',
});

const Sample = Type.Object(
  {
    zone: Type.String({ description: 'The zone whose cells the sample covers.' }),
    resolution: Type.Integer({ minimum: 7, maximum: 10 }),
    hours: Type.Integer({ minimum: 1, maximum: 168, description: 'Hourly buckets up to the latest data.' }),
  },
  { additionalProperties: false },
);

const DatasetMeta = Type.Object(
  {
    title: Text,
    description: Text,
    keywords: Type.Optional(Type.Array(Text)),
    licence: Type.Optional(Iri),
    accessRights: Type.Optional(AccessRights),
    rights: Type.Optional(Text),
    policy: Type.Optional(Policy),
    price: Type.Optional(Price),
    sample: Type.Optional(Sample),
  },
  { additionalProperties: false },
);

export const CatalogMeta = Type.Object(
  {
    title: Text,
    description: Text,
    homepage: Nullable(Iri),
    /** Absolute base of every @id; null: taken from each request (scheme and host). */
    baseUrl: Nullable(Iri),
    language: Type.String({ pattern: '^[a-z]{2}$', description: 'ISO 639-1 code of the metadata text.' }),
    keywords: Type.Array(Text),
    publisher: Type.Object(
      { name: Text, url: Nullable(Iri), email: Nullable(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$' })) },
      { additionalProperties: false },
    ),
    licence: Iri,
    accessRights: AccessRights,
    rights: Text,
    policy: Policy,
    price: Price,
    sample: Sample,
    datasets: Type.Object({ footfall: DatasetMeta, flows: DatasetMeta }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);
export type CatalogMeta = Static<typeof CatalogMeta>;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `over` merged into `base`: objects field by field, anything else replaced. */
export function mergeMeta(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? mergeMeta(base[k], v) : v;
  return out;
}

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`${what} ${file}: cannot be read (${err instanceof Error ? err.message : String(err)})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`${what} ${file}: is not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** Checks merged metadata; throws an Error naming `source`, each bad path and why. */
export function checkMeta(meta: unknown, source: string): CatalogMeta {
  if (Value.Check(CatalogMeta, meta)) return meta;
  const problems = [...Value.Errors(CatalogMeta, meta)].slice(0, 5).map((e) => `${e.path === '' ? '(top)' : e.path}: ${e.message}`);
  throw new Error(`catalog file ${source}: ${problems.join('; ')}`);
}

/** The shipped defaults with `file` (PASSAGE_CATALOG_FILE, a partial object) merged over them. */
export async function loadCatalogMeta(file: string | null): Promise<CatalogMeta> {
  const defaults = await readJson(CATALOG_DEFAULTS, 'catalog defaults');
  if (file === null) return checkMeta(defaults, CATALOG_DEFAULTS);
  const over = await readJson(file, 'catalog file');
  if (!isObject(over)) throw new Error(`catalog file ${file}: must be a JSON object`);
  return checkMeta(mergeMeta(defaults, over), file);
}
