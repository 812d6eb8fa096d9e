// The context sink: consumes the compacted context topics (pm.ctx.weather.v1, pm.ctx.events.v1,
// pm.ctx.incidents.v1) as one consumer group and upserts every document into its table
// (context_weather, context_events, context_incidents; migration 0005), where aggregates are joined
// to them at query time (query-api/enrich.ts).
//
// At-least-once is enough here: the tables are ReplacingMergeTree keyed by document (events and
// incidents by id, weather by station-hour) with the document's receivedAt as version, so writing
// a batch again after a crash (offsets are committed only after the insert) leaves the same rows.
// A newer version of a document replaces the older one (an older version arriving later changes
// nothing; of equal versions the later write wins); a tombstone (a null value with a key, the
// compacted topic's deletion) writes a `deleted` row versioned by its Kafka timestamp, so it wins
// over versions received before it was produced. A document
// that is not usable (not Avro, another schema, values out of range) goes to pm.dlq.v1 with its
// reason and the partition goes on; a store or registry that is down is waited for (unready
// meanwhile), never taken for bad data.

import type { BatchContext, Bus, InMessage, PartitionBatch, Subscription } from '../../shared/bus/types.js';
import { DeadLetters, type DeadLetter } from '../../shared/dlq.js';
import { errorMessage, isRetriable, PassageError, type FieldError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { counter, histogram } from '../../shared/metrics.js';
import type { SchemaCodec } from '../../shared/registry/types.js';
import { dlq, ok, type StepResult } from '../../shared/result.js';
import { withRetry } from '../../shared/retry.js';
import type { Store } from '../../shared/store/types.js';
import { clickhouseTime, HOUR_MS } from '../../shared/time.js';
import { CONTEXT_KINDS, type ContextKind, type Topics } from '../../shared/topics.js';
import { checkCityEvent, checkIncident, checkWeatherObservation, DEFAULT_LIMITS } from '../../ingest/context/checks.js';
import type { CityEvent, Incident, WeatherObservation } from '../../ingest/context/types.js';
import { areaCover } from './cover.js';

export const CONTEXT_TABLES: Readonly<Record<ContextKind, string>> = {
  weather: 'context_weather',
  events: 'context_events',
  incidents: 'context_incidents',
};

const recordsTotal = counter('context_records_total', 'Context documents consumed by the context sink, by outcome (ok, deleted, dlq)', [
  'kind',
  'outcome',
]);
const writeSeconds = histogram('context_write_seconds', 'Duration of context upserts to the store', ['table']);
const storeRetries = counter('context_store_retries_total', 'Context upserts retried after a retriable store failure', ['table']);
const registryRetries = counter('context_registry_retries_total', 'Context decodes retried because the schema registry was unreachable', [
  'kind',
]);

/** One row of a context table, and the key it replaces by (later messages of a batch win). */
export interface ContextRow {
  key: string;
  /** The table's version column: receivedAt, or a tombstone's Kafka timestamp. */
  version: number;
  deleted: boolean;
  row: Record<string, unknown>;
}

/** Fields (and JavaScript types) that tell a document of each kind from a record of another schema. */
const REQUIRED: Record<ContextKind, [string, 'string' | 'number' | 'array'][]> = {
  weather: [
    ['id', 'string'],
    ['stationId', 'string'],
    ['lat', 'number'],
    ['lng', 'number'],
    ['observedAt', 'number'],
    ['receivedAt', 'number'],
  ],
  events: [
    ['id', 'string'],
    ['title', 'string'],
    ['start', 'number'],
    ['end', 'number'],
    ['cells', 'array'],
    ['receivedAt', 'number'],
  ],
  incidents: [
    ['id', 'string'],
    ['kind', 'string'],
    ['start', 'number'],
    ['receivedAt', 'number'],
  ],
};

function hasType(v: unknown, type: 'string' | 'number' | 'array'): boolean {
  return type === 'array' ? Array.isArray(v) : typeof v === type;
}

const hourStart = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;

export function weatherRow(r: WeatherObservation): ContextRow {
  const hour = hourStart(r.observedAt);
  return {
    key: `${r.stationId}\u0000${hour}`,
    version: r.receivedAt,
    deleted: false,
    row: {
      observed_at: hour / 1000,
      station_id: r.stationId,
      id: r.id,
      lat: r.lat,
      lng: r.lng,
      temperature_c: r.temperatureC,
      precipitation_mm: r.precipitationMm,
      wind_speed_ms: r.windSpeedMs,
      cloud_cover_pct: r.cloudCoverPct,
      condition: r.condition,
      provider: r.provider,
      received_at: clickhouseTime(r.receivedAt),
      version: r.receivedAt,
      deleted: 0,
    },
  };
}

export function eventRow(r: CityEvent): ContextRow {
  const { cover, coverUp } = areaCover(r);
  return {
    key: r.id,
    version: r.receivedAt,
    deleted: false,
    row: {
      id: r.id,
      title: r.title,
      category: r.category,
      start_at: clickhouseTime(r.start),
      end_at: clickhouseTime(r.end),
      lat: r.lat,
      lng: r.lng,
      radius_m: r.radiusM,
      cells: r.cells.map((c) => c.toLowerCase()),
      expected_attendance: r.expectedAttendance,
      url: r.url,
      cover,
      cover_up: coverUp,
      received_at: clickhouseTime(r.receivedAt),
      version: r.receivedAt,
      deleted: 0,
    },
  };
}

export function incidentRow(r: Incident): ContextRow {
  const { cover, coverUp } = areaCover({ lat: r.lat, lng: r.lng, radiusM: r.radiusM });
  return {
    key: r.id,
    version: r.receivedAt,
    deleted: false,
    row: {
      id: r.id,
      kind: r.kind,
      start_at: clickhouseTime(r.start),
      end_at: r.end === null ? null : clickhouseTime(r.end),
      lat: r.lat,
      lng: r.lng,
      radius_m: r.radiusM,
      severity: r.severity,
      line: r.line,
      delay_min: r.delayMin,
      description: r.description,
      cover,
      cover_up: coverUp,
      received_at: clickhouseTime(r.receivedAt),
      version: r.receivedAt,
      deleted: 0,
    },
  };
}

/** The deletion row of a tombstone (null value) with key `key`; weather keys are `${stationId}:${hourStartMs}`. */
export function tombstoneRow(kind: ContextKind, key: string, timestamp: number): StepResult<ContextRow> {
  const common = { id: key, received_at: clickhouseTime(timestamp), version: timestamp, deleted: 1 };
  if (kind !== 'weather') return ok({ key, version: timestamp, deleted: true, row: common });
  const colon = key.lastIndexOf(':');
  const hour = Number(key.slice(colon + 1));
  if (colon <= 0 || !/^\d+$/.test(key.slice(colon + 1)) || !Number.isSafeInteger(hour))
    return dlq(
      'bad_tombstone_key',
      `a weather tombstone's key must be <stationId>:<hourStartMs>, got ${JSON.stringify(key.slice(0, 200))}`,
    );
  const stationId = key.slice(0, colon);
  return ok({
    key: `${stationId}\u0000${hourStart(hour)}`,
    version: timestamp,
    deleted: true,
    row: { ...common, station_id: stationId, observed_at: hourStart(hour) / 1000 },
  });
}

/**
 * Decodes one message of a context topic into the row it writes. Only infrastructure failures (the
 * registry unreachable) are thrown, as retriable errors; everything else is a StepResult.
 */
export async function decodeContext(kind: ContextKind, m: InMessage, codec: SchemaCodec): Promise<StepResult<ContextRow>> {
  if (m.value === null) {
    if (m.key === null) return dlq('empty_value', 'message has neither value nor key');
    return tombstoneRow(kind, m.key.toString('utf8'), m.timestamp);
  }
  let value: Record<string, unknown>;
  try {
    value = (await codec.decode(m.value)).value;
  } catch (err) {
    if (isRetriable(err)) throw err;
    return dlq(err instanceof PassageError ? err.code : 'undecodable', errorMessage(err));
  }
  if (REQUIRED[kind].some(([field, type]) => !hasType(value[field], type)))
    return dlq('wrong_schema', `value was written with a schema that is not a ${kind} document`);
  // The same rules HTTP ingest applies; arrival (the Kafka timestamp) bounds how far ahead a time may lie.
  let problems: FieldError[];
  let build: () => ContextRow;
  try {
    if (kind === 'weather') {
      const r = value as unknown as WeatherObservation;
      problems = checkWeatherObservation(r, m.timestamp, DEFAULT_LIMITS.weather);
      build = () => weatherRow(r);
    } else if (kind === 'events') {
      const r = value as unknown as CityEvent;
      problems = checkCityEvent(r, m.timestamp, DEFAULT_LIMITS.events);
      build = () => eventRow(r);
    } else {
      const r = value as unknown as Incident;
      problems = checkIncident(r, m.timestamp, DEFAULT_LIMITS.incidents);
      build = () => incidentRow(r);
    }
    if (problems.length > 0) return dlq('out_of_range', problems.map((p) => `${p.field} ${p.reason}`).join('; '));
    return ok(build());
  } catch (err) {
    // A schema with the required fields but other types elsewhere (a string where a number belongs).
    return dlq('wrong_schema', `value does not have the shape of a ${kind} document: ${errorMessage(err)}`);
  }
}

export interface ContextSinkDeps {
  bus: Bus;
  codec: SchemaCodec;
  store: Store;
  topics: Topics;
  logger: Logger;
  groupId?: string;
}

export class ContextSink {
  readonly groupId: string;
  private readonly kindOf: Map<string, ContextKind>;
  private readonly log: Logger;
  private readonly dlq: DeadLetters;
  private sub: Subscription | null = null;
  private storeFailing = false;
  private registryFailing = false;

  constructor(private readonly deps: ContextSinkDeps) {
    this.kindOf = new Map(CONTEXT_KINDS.map((k) => [deps.topics.context(k), k]));
    // `<prefix>pm.ctx.sink`: the topics' prefix keeps deployments sharing a cluster apart.
    const weather = deps.topics.context('weather');
    this.groupId = deps.groupId ?? `${weather.slice(0, weather.length - 'pm.ctx.weather.v1'.length)}pm.ctx.sink`;
    this.log = deps.logger.child({ component: 'context-sink' });
    this.dlq = new DeadLetters(deps.bus, deps.codec, deps.topics, 'processor');
  }

  async start(): Promise<void> {
    this.sub = await this.deps.bus.consume({
      groupId: this.groupId,
      topics: [...this.kindOf.keys()],
      fromBeginning: true,
      onBatch: (batch, ctx) => this.onBatch(batch, ctx),
      // Nothing is held between batches: a rewound partition is simply read again.
      onRewind: (partitions, whole) =>
        this.log.info({ partitions: partitions.map((p) => `${p.topic}:${p.partition}`), whole }, 'context partitions rewound'),
      onError: (err) => this.log.error({ err: errorMessage(err) }, 'context batch failed; retrying from the committed offset'),
    });
  }

  async stop(): Promise<void> {
    await this.sub?.stop();
    this.sub = null;
  }

  ready(): boolean {
    return this.sub !== null && !this.storeFailing && !this.registryFailing;
  }

  private async onBatch(batch: PartitionBatch, ctx: BatchContext): Promise<void> {
    const kind = this.kindOf.get(batch.topic);
    if (kind === undefined) throw new Error(`context sink got a batch of ${batch.topic}, which it does not consume`);
    const keepGoing = (): boolean => ctx.isRunning();
    const rows = new Map<string, ContextRow>();
    const letters: DeadLetter[] = [];
    for (const m of batch.messages) {
      const d = await withRetry(() => decodeContext(kind, m, this.deps.codec), {
        keepGoing,
        onRetry: (err, attempt, delayMs) => {
          this.registryFailing = true;
          registryRetries.inc({ kind });
          this.log.warn({ err: errorMessage(err), attempt, delayMs }, 'schema registry unreachable; retrying');
        },
      });
      this.registryFailing = false;
      if (d.kind === 'ok') {
        // Of several versions of a document in one batch, the one the table would keep: the highest
        // version, of equal ones the last on the topic.
        const previous = rows.get(d.value.key);
        if (previous === undefined || d.value.version >= previous.version) rows.set(d.value.key, d.value);
        recordsTotal.inc({ kind, outcome: d.value.deleted ? 'deleted' : 'ok' });
      } else {
        if (d.kind === 'dlq') letters.push({ sourceTopic: batch.topic, message: m, reason: d.reason, error: d.error });
        recordsTotal.inc({ kind, outcome: d.kind });
      }
    }
    if (!ctx.isRunning()) return;
    if (letters.length > 0) await withRetry(() => this.dlq.send(letters), { keepGoing });
    if (rows.size > 0) {
      const table = CONTEXT_TABLES[kind];
      const end = writeSeconds.startTimer({ table });
      await withRetry(
        () =>
          this.deps.store.insert(
            table,
            [...rows.values()].map((r) => r.row),
          ),
        {
          keepGoing,
          onRetry: (err, attempt, delayMs) => {
            this.storeFailing = true;
            storeRetries.inc({ table });
            this.log.warn({ err: errorMessage(err), attempt, delayMs }, 'context upsert failed; retrying');
          },
        },
      );
      end();
      this.storeFailing = false;
    }
    if (!ctx.isRunning()) return;
    const last = batch.messages.at(-1)!.offset;
    await ctx.commit(last + 1);
    ctx.resolve(last);
  }
}
