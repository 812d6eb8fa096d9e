// The one place that reads environment variables. Validates everything up front (no I/O) and fails
// with an error naming each bad variable; the rest of the code receives a typed, frozen Config.
// README's configuration table lists exactly the variables in `SPEC` (a test keeps them in sync).

import { cleanEnv, str, port, bool, makeValidator, EnvError, EnvMissingError } from 'envalid';
import { IANAZone } from 'luxon';
import path from 'node:path';
import { MAX_RETENTION_DAYS, RETENTION_DATASETS, type RetentionDays } from './store/retention.js';
import { DEFAULT_RELEASE, PRIVACY_DATASETS, type PrivacyDataset, type ReleaseSettings } from './privacy.js';

const positiveInt = makeValidator<number>((input) => {
  const n = Number(input);
  if (!Number.isInteger(n) || n <= 0) throw new EnvError(`must be a positive integer, got "${input}"`);
  return n;
});

const nonNegativeInt = makeValidator<number>((input) => {
  const n = Number(input);
  if (!Number.isInteger(n) || n < 0) throw new EnvError(`must be a non-negative integer, got "${input}"`);
  return n;
});

const timeZone = makeValidator<string>((input) => {
  if (!IANAZone.isValidZone(input)) throw new EnvError(`must be an IANA time zone such as Europe/Copenhagen, got "${input}"`);
  return input;
});

const brokerList = makeValidator<string[]>((input) => {
  const list = input
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const b of list) {
    if (!/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/.test(b)) throw new EnvError(`must be a comma-separated list of host:port, got "${b}"`);
  }
  return list;
});

const httpUrl = makeValidator<string>((input) => {
  let u: URL;
  try {
    u = new URL(input);
  } catch {
    throw new EnvError(`must be an http(s) URL, got "${input}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new EnvError(`must be an http(s) URL, got "${input}"`);
  return input.replace(/\/+$/, '');
});

const identifier = makeValidator<string>((input) => {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(input)) throw new EnvError(`must be a plain identifier (letters, digits, _), got "${input}"`);
  return input;
});

const rotation = makeValidator<'hourly' | 'daily' | 'weekly'>((input) => {
  if (input !== 'hourly' && input !== 'daily' && input !== 'weekly') throw new EnvError(`must be hourly, daily or weekly, got "${input}"`);
  return input;
});

const jsonObject = makeValidator<Record<string, Record<string, unknown>>>((input) => {
  let v: unknown;
  try {
    v = JSON.parse(input);
  } catch {
    throw new EnvError('must be a JSON object');
  }
  if (
    typeof v !== 'object' ||
    v === null ||
    Array.isArray(v) ||
    Object.values(v).some((x) => typeof x !== 'object' || x === null || Array.isArray(x))
  ) {
    throw new EnvError('must be a JSON object of objects, keyed by mapper name');
  }
  return v as Record<string, Record<string, unknown>>;
});

const positiveNumber = makeValidator<number>((input) => {
  const n = Number(input);
  if (input.trim() === '' || !Number.isFinite(n) || n <= 0) throw new EnvError(`must be a positive number, got "${input}"`);
  return n;
});

const onOff = makeValidator<'on' | 'off'>((input) => {
  if (input !== 'on' && input !== 'off') throw new EnvError(`must be on or off, got "${input}"`);
  return input;
});

/** Per-dataset release settings: {"flows":{"k":5,"epsilon":0.5,"noise":"on"}}, every field optional. */
const privacyDatasets = makeValidator<Partial<Record<PrivacyDataset, Partial<ReleaseSettings>>>>((input) => {
  let v: unknown;
  try {
    v = JSON.parse(input);
  } catch {
    throw new EnvError('must be a JSON object');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new EnvError('must be a JSON object keyed by dataset');
  const out: Partial<Record<PrivacyDataset, Partial<ReleaseSettings>>> = {};
  for (const [dataset, s] of Object.entries(v)) {
    if (!(PRIVACY_DATASETS as readonly string[]).includes(dataset))
      throw new EnvError(`has no dataset "${dataset}" (datasets: ${PRIVACY_DATASETS.join(', ')})`);
    if (typeof s !== 'object' || s === null || Array.isArray(s)) throw new EnvError(`${dataset} must be an object of k, epsilon, noise`);
    const settings: Partial<ReleaseSettings> = {};
    for (const [field, x] of Object.entries(s as Record<string, unknown>)) {
      if (field === 'k' && Number.isInteger(x) && (x as number) >= 1) settings.k = x as number;
      else if (field === 'epsilon' && typeof x === 'number' && Number.isFinite(x) && x > 0) settings.epsilon = x;
      else if (field === 'noise' && (x === 'on' || x === 'off')) settings.noise = x;
      else if (field === 'k' || field === 'epsilon' || field === 'noise')
        throw new EnvError(
          `${dataset}.${field} must be ${field === 'k' ? 'an integer ≥ 1' : field === 'epsilon' ? 'a positive number' : 'on or off'}`,
        );
      else throw new EnvError(`${dataset} has no setting "${field}" (k, epsilon, noise)`);
    }
    out[dataset as PrivacyDataset] = settings;
  }
  return out;
});

/** Days to keep each dataset, e.g. {"devices":400}; a dataset left out or 0 is kept forever. */
const retentionDays = makeValidator<RetentionDays>((input) => {
  let v: unknown;
  try {
    v = JSON.parse(input);
  } catch {
    throw new EnvError('must be a JSON object');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new EnvError('must be a JSON object of days by dataset');
  const out = Object.fromEntries(RETENTION_DATASETS.map((d) => [d, 0])) as RetentionDays;
  for (const [dataset, days] of Object.entries(v)) {
    if (!(RETENTION_DATASETS as readonly string[]).includes(dataset))
      throw new EnvError(`has no dataset "${dataset}" (datasets: ${RETENTION_DATASETS.join(', ')})`);
    if (!Number.isInteger(days) || (days as number) < 0 || (days as number) > MAX_RETENTION_DAYS)
      throw new EnvError(`${dataset} must be a whole number of days from 0 (keep forever) to ${MAX_RETENTION_DAYS}`);
    out[dataset as keyof RetentionDays] = days as number;
  }
  return out;
});

const logLevel = makeValidator<string>((input) => {
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  if (!levels.includes(input)) throw new EnvError(`must be one of ${levels.join(', ')}, got "${input}"`);
  return input;
});

/**
 * Every environment variable Passage reads, with its default and meaning. `desc` is what the README
 * table shows.
 */
export const SPEC = {
  PORT: port({ default: 8080, desc: 'HTTP port of the service (embedded mode: API, ingest and UI on one port).' }),
  HOST: str({ default: '127.0.0.1', desc: 'Address to listen on; 0.0.0.0 in containers.' }),
  PASSAGE_DATA_DIR: str({ default: '.data', desc: 'Folder for local state: the chDB store and the generated admin key in embedded mode.' }),
  PASSAGE_ADMIN_KEY: str({
    default: '',
    desc: 'Admin API key (Bearer). Embedded mode generates one on first start, keeps it in the data folder and prints it; stack mode requires it.',
  }),
  PASSAGE_PSEUDONYM_SECRET: str({
    default: '',
    desc: 'Secret (at least 32 characters) from which the rotating HMAC keys that pseudonymise device, card and subscriber ids are derived.',
  }),
  PASSAGE_PSEUDONYM_SECRET_FILE: str({
    default: '',
    desc: 'File holding that secret instead (e.g. a mounted Kubernetes secret). Embedded mode generates one in the data folder when neither is set.',
  }),
  PASSAGE_PSEUDONYM_ROTATION: rotation({
    default: 'daily',
    desc: 'How often the pseudonymisation key changes: hourly, daily or weekly (periods in PASSAGE_TIMEZONE).',
  }),
  PASSAGE_PRIVACY_K: positiveInt({
    default: DEFAULT_RELEASE.k,
    desc: 'Released values (noisy, rounded) below k are reported as suppressed (null), never as a number; the default for every dataset.',
  }),
  PASSAGE_PRIVACY_EPSILON: positiveNumber({
    default: DEFAULT_RELEASE.epsilon,
    desc: 'ε per release unit: Laplace noise of scale sensitivity/ε on every released value; the default for every dataset.',
  }),
  PASSAGE_PRIVACY_NOISE: onOff({
    default: DEFAULT_RELEASE.noise,
    desc: 'on: deterministic Laplace noise on every released value; off only for testing or a trusted deployment (k still applies).',
  }),
  PASSAGE_PRIVACY_DATASETS: privacyDatasets({
    default: {},
    desc: 'Per-dataset overrides of k, epsilon and noise, e.g. {"flows":{"k":5,"epsilon":0.5}} (datasets: footfall, flows).',
  }),
  PASSAGE_PRIVACY_SECRET: str({
    default: '',
    desc: 'Secret (at least 32 characters) that seeds the deterministic release noise; the api role requires it in stack mode.',
  }),
  PASSAGE_PRIVACY_SECRET_FILE: str({
    default: '',
    desc: 'File holding that secret instead. Embedded mode generates one in the data folder (privacy-secret) when neither is set.',
  }),
  PASSAGE_SIMULATE: bool({ default: true, desc: 'Embedded mode only: 1 runs the built-in simulators, 0 turns them off.' }),
  PASSAGE_TIMEZONE: timeZone({ default: 'Europe/Copenhagen', desc: 'Time zone of 1d/1w bucket boundaries and of times in responses.' }),
  PASSAGE_LOG_LEVEL: logLevel({ default: 'info', desc: 'pino log level: fatal, error, warn, info, debug, trace or silent.' }),
  KAFKA_BROKERS: brokerList({
    default: [],
    desc: 'Comma-separated Kafka bootstrap brokers (host:port). Set: stack mode bus; unset: in-process bus.',
  }),
  KAFKA_CLIENT_ID: str({ default: 'passage', desc: 'kafkajs client id.' }),
  KAFKA_TOPIC_PREFIX: str({
    default: '',
    desc: 'Prefix for every topic (and registry subject) name, so several deployments can share a cluster.',
  }),
  KAFKA_TOPIC_PARTITIONS: positiveInt({ default: 6, desc: 'Partitions of each topic Passage creates (raw, DLQ, released).' }),
  KAFKA_RAW_RETENTION_MS: positiveInt({ default: 7 * 24 * 3600 * 1000, desc: 'Retention of raw and DLQ topics in ms (default 7 days).' }),
  SCHEMA_REGISTRY_URL: httpUrl({ default: '', desc: 'Confluent-compatible Schema Registry base URL; required with KAFKA_BROKERS.' }),
  CLICKHOUSE_URL: httpUrl({ default: '', desc: 'ClickHouse HTTP URL (stack mode). Unset: the embedded chDB store in PASSAGE_DATA_DIR.' }),
  CLICKHOUSE_USER: str({ default: 'default', desc: 'ClickHouse user.' }),
  CLICKHOUSE_PASSWORD: str({ default: '', desc: 'ClickHouse password.' }),
  CLICKHOUSE_DATABASE: identifier({ default: 'passage', desc: 'ClickHouse database (created if missing).' }),
  PASSAGE_RETENTION_DAYS: retentionDays({
    default: Object.fromEntries(RETENTION_DATASETS.map((d) => [d, 0])) as RetentionDays,
    desc: 'Days to keep each dataset in the store, e.g. {"devices":400} (datasets: counts, devices, flows, context); left out or 0: forever.',
  }),
  PASSAGE_ALLOWED_LATENESS_MS: nonNegativeInt({ default: 120_000, desc: 'Allowed lateness after a window ends before it closes (ms).' }),
  PASSAGE_IDLE_TIMEOUT_MS: positiveInt({
    default: 10_000,
    desc: 'A partition with no new records for this long closes its open windows (ms).',
  }),
  PASSAGE_FLUSH_MAX_RECORDS: positiveInt({
    default: 50_000,
    desc: 'Most aggregate rows a processor partition holds before it writes them to the store.',
  }),
  PASSAGE_SESSION_GAP_MS: positiveInt({
    default: 30 * 60_000,
    desc: 'Wi-Fi: sightings of one device at one site at most this far apart belong to one visit (dwell session) (ms).',
  }),
  PASSAGE_TRIP_GAP_MS: positiveInt({
    default: 60 * 60_000,
    desc: 'Telco: successive cells of one device at most this far apart in time form an origin→destination trip (ms).',
  }),
  PASSAGE_MAX_JOURNEY_MS: positiveInt({
    default: 3 * 60 * 60_000,
    desc: "Ticketing: a tap-out is paired with the same card's tap-in at most this long before it (ms).",
  }),
  PASSAGE_MAX_BODY_BYTES: positiveInt({
    default: 10 * 1024 * 1024,
    desc: 'Largest accepted HTTP request body in bytes; larger bodies get 413.',
  }),
  PASSAGE_MAPPER_OPTIONS: jsonObject({
    default: {},
    desc: 'Server-side options of vendor-format mappers, by mapper name, that requests cannot override, e.g. {"wifi-meraki":{"secret":"…"}}.',
  }),
  PASSAGE_MERAKI_VALIDATOR: str({
    default: '',
    desc: 'The validator string the Meraki dashboard expects from GET /v1/ingest/wifi/meraki (unset: that endpoint is off).',
  }),
  PASSAGE_INGEST_RATE_LIMIT: positiveInt({
    default: 600,
    desc: 'Ingest requests one API key may make per minute; more get 429 with Retry-After.',
  }),
  PASSAGE_MAX_RECORDS_PER_REQUEST: positiveInt({ default: 50_000, desc: 'Most records one ingest request may carry; more gets 413.' }),
  PASSAGE_QUERY_TIMEOUT_MS: positiveInt({ default: 30_000, desc: 'Longest a history query may run in the store (ms).' }),
  PASSAGE_MAX_RESULT_ROWS: positiveInt({
    default: 100_000,
    desc: 'Most rows one history response may hold; larger results get 400 result_too_large.',
  }),
  PASSAGE_ZONES_FILE: str({
    default: '',
    desc: 'A GeoJSON FeatureCollection of extra named zones (properties id, name, kind; Polygon or MultiPolygon), added to the shipped Copenhagen zones; an id already shipped is replaced.',
  }),
  PASSAGE_CATALOG_FILE: str({
    default: '',
    desc: 'A JSON file of catalog metadata (title, publisher, licence, terms, price, per-dataset overrides) merged over the shipped defaults (query-api/catalog/defaults.json).',
  }),
  PASSAGE_LIVE_HORIZON_MS: nonNegativeInt({
    default: 2 * 24 * 3600 * 1000,
    desc: 'The live feeds carry buckets that ended at most this long ago (ms, default 2 days); older windows — a backfill, a late vendor upload — reach history only. 0: no limit.',
  }),
  PASSAGE_MAX_FUTURE_MS: positiveInt({
    default: 15 * 60 * 1000,
    desc: 'Records whose end is further than this in the future are rejected (ms).',
  }),
} as const;

/** Read by deploy/local/stack.sh, not by the services; listed so they are not mistaken for typos. */
export const SCRIPT_VARIABLES = [
  'PASSAGE_STACK_DIR',
  'PASSAGE_KAFKA_PORT',
  'PASSAGE_KAFKA_CONTROLLER_PORT',
  'PASSAGE_KAFKA_TIMEOUT',
  'PASSAGE_KAFKA_JAVA_OPTS',
  'PASSAGE_REGISTRY_PORT',
  'PASSAGE_REGISTRY_TIMEOUT',
  'PASSAGE_REGISTRY_JAVA_OPTS',
];

export type Role = 'all' | 'ingest' | 'processor' | 'api';

export interface Config {
  server: { port: number; host: string };
  dataDir: string;
  adminKey: string;
  pseudonym: { secret: string; secretFile: string; rotation: 'hourly' | 'daily' | 'weekly' };
  /** Release settings: global defaults and per-dataset overrides; the noise secret (or its file). */
  privacy: {
    secret: string;
    secretFile: string;
    defaults: ReleaseSettings;
    datasets: Partial<Record<PrivacyDataset, Partial<ReleaseSettings>>>;
  };
  simulate: boolean;
  timeZone: string;
  logLevel: string;
  kafka: { brokers: string[]; clientId: string; partitions: number; rawRetentionMs: number } | null;
  topicPrefix: string;
  schemaRegistryUrl: string | null;
  clickhouse: { url: string; user: string; password: string; database: string } | null;
  database: string;
  /** Days to keep each dataset in the store (0: forever); applied at start-up (shared/store/retention.ts). */
  retentionDays: RetentionDays;
  processing: {
    allowedLatenessMs: number;
    idleTimeoutMs: number;
    flushMaxRecords: number;
    windowMs: number;
    sessionGapMs: number;
    tripGapMs: number;
    maxJourneyMs: number;
  };
  ingest: {
    maxBodyBytes: number;
    maxRecordsPerRequest: number;
    maxFutureMs: number;
    rateLimitPerMinute: number;
    mapperOptions: Record<string, Record<string, unknown>>;
    merakiValidator: string;
  };
  query: { timeoutMs: number; maxResultRows: number };
  /** Live feeds: buckets that ended longer ago than this are not released live (ms; 0: no limit). */
  live: { horizonMs: number };
  /** Extra zones (GeoJSON FeatureCollection) and catalog metadata (JSON) files; null: the shipped ones only. */
  zonesFile: string | null;
  catalogFile: string | null;
}

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; reason: string }[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.reason}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validate `env` (default: process.env) without any I/O. Throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const problems: { variable: string; reason: string }[] = [];
  const e = cleanEnv(env, SPEC, {
    reporter: ({ errors }) => {
      for (const [variable, err] of Object.entries(errors)) {
        const reason = err instanceof EnvMissingError ? 'is required' : err instanceof Error ? err.message : String(err);
        problems.push({ variable, reason });
      }
    },
  });
  // Unknown PASSAGE_* variables are almost always typos; refusing them beats silently ignoring them.
  for (const name of Object.keys(env)) {
    if (name.startsWith('PASSAGE_') && !(name in SPEC) && !SCRIPT_VARIABLES.includes(name)) {
      problems.push({ variable: name, reason: 'is not a Passage setting (see the configuration table in README.md)' });
    }
  }
  if (problems.length === 0) {
    if (e.KAFKA_BROKERS.length > 0 && e.SCHEMA_REGISTRY_URL === '') {
      problems.push({ variable: 'SCHEMA_REGISTRY_URL', reason: 'is required when KAFKA_BROKERS is set' });
    }
    if (e.SCHEMA_REGISTRY_URL !== '' && e.KAFKA_BROKERS.length === 0) {
      problems.push({ variable: 'KAFKA_BROKERS', reason: 'is required when SCHEMA_REGISTRY_URL is set' });
    }
    if (e.PASSAGE_PSEUDONYM_SECRET !== '' && e.PASSAGE_PSEUDONYM_SECRET.length < 32) {
      problems.push({ variable: 'PASSAGE_PSEUDONYM_SECRET', reason: 'must be at least 32 characters' });
    }
    if (e.PASSAGE_PSEUDONYM_SECRET !== '' && e.PASSAGE_PSEUDONYM_SECRET_FILE !== '') {
      problems.push({
        variable: 'PASSAGE_PSEUDONYM_SECRET_FILE',
        reason: 'set either PASSAGE_PSEUDONYM_SECRET or PASSAGE_PSEUDONYM_SECRET_FILE, not both',
      });
    }
    if (e.PASSAGE_PRIVACY_SECRET !== '' && e.PASSAGE_PRIVACY_SECRET.length < 32) {
      problems.push({ variable: 'PASSAGE_PRIVACY_SECRET', reason: 'must be at least 32 characters' });
    }
    if (e.PASSAGE_PRIVACY_SECRET !== '' && e.PASSAGE_PRIVACY_SECRET_FILE !== '') {
      problems.push({
        variable: 'PASSAGE_PRIVACY_SECRET_FILE',
        reason: 'set either PASSAGE_PRIVACY_SECRET or PASSAGE_PRIVACY_SECRET_FILE, not both',
      });
    }
    if (e.PASSAGE_ADMIN_KEY !== '' && e.PASSAGE_ADMIN_KEY.length < 16) {
      problems.push({ variable: 'PASSAGE_ADMIN_KEY', reason: 'must be at least 16 characters' });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return Object.freeze({
    server: { port: e.PORT, host: e.HOST },
    dataDir: path.resolve(e.PASSAGE_DATA_DIR),
    adminKey: e.PASSAGE_ADMIN_KEY,
    pseudonym: { secret: e.PASSAGE_PSEUDONYM_SECRET, secretFile: e.PASSAGE_PSEUDONYM_SECRET_FILE, rotation: e.PASSAGE_PSEUDONYM_ROTATION },
    privacy: {
      secret: e.PASSAGE_PRIVACY_SECRET,
      secretFile: e.PASSAGE_PRIVACY_SECRET_FILE,
      defaults: { k: e.PASSAGE_PRIVACY_K, epsilon: e.PASSAGE_PRIVACY_EPSILON, noise: e.PASSAGE_PRIVACY_NOISE },
      datasets: e.PASSAGE_PRIVACY_DATASETS,
    },
    simulate: e.PASSAGE_SIMULATE,
    timeZone: e.PASSAGE_TIMEZONE,
    logLevel: e.PASSAGE_LOG_LEVEL,
    kafka:
      e.KAFKA_BROKERS.length > 0
        ? {
            brokers: e.KAFKA_BROKERS,
            clientId: e.KAFKA_CLIENT_ID,
            partitions: e.KAFKA_TOPIC_PARTITIONS,
            rawRetentionMs: e.KAFKA_RAW_RETENTION_MS,
          }
        : null,
    topicPrefix: e.KAFKA_TOPIC_PREFIX,
    schemaRegistryUrl: e.SCHEMA_REGISTRY_URL === '' ? null : e.SCHEMA_REGISTRY_URL,
    clickhouse:
      e.CLICKHOUSE_URL === ''
        ? null
        : { url: e.CLICKHOUSE_URL, user: e.CLICKHOUSE_USER, password: e.CLICKHOUSE_PASSWORD, database: e.CLICKHOUSE_DATABASE },
    database: e.CLICKHOUSE_DATABASE,
    retentionDays: e.PASSAGE_RETENTION_DAYS,
    processing: {
      allowedLatenessMs: e.PASSAGE_ALLOWED_LATENESS_MS,
      idleTimeoutMs: e.PASSAGE_IDLE_TIMEOUT_MS,
      flushMaxRecords: e.PASSAGE_FLUSH_MAX_RECORDS,
      windowMs: 5 * 60 * 1000,
      sessionGapMs: e.PASSAGE_SESSION_GAP_MS,
      tripGapMs: e.PASSAGE_TRIP_GAP_MS,
      maxJourneyMs: e.PASSAGE_MAX_JOURNEY_MS,
    },
    ingest: {
      maxBodyBytes: e.PASSAGE_MAX_BODY_BYTES,
      maxRecordsPerRequest: e.PASSAGE_MAX_RECORDS_PER_REQUEST,
      maxFutureMs: e.PASSAGE_MAX_FUTURE_MS,
      rateLimitPerMinute: e.PASSAGE_INGEST_RATE_LIMIT,
      mapperOptions: e.PASSAGE_MAPPER_OPTIONS,
      merakiValidator: e.PASSAGE_MERAKI_VALIDATOR,
    },
    query: { timeoutMs: e.PASSAGE_QUERY_TIMEOUT_MS, maxResultRows: e.PASSAGE_MAX_RESULT_ROWS },
    live: { horizonMs: e.PASSAGE_LIVE_HORIZON_MS },
    zonesFile: e.PASSAGE_ZONES_FILE === '' ? null : path.resolve(e.PASSAGE_ZONES_FILE),
    catalogFile: e.PASSAGE_CATALOG_FILE === '' ? null : path.resolve(e.PASSAGE_CATALOG_FILE),
  });
}
