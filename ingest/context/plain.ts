// The plain context formats: a JSON array (or `{"records": [...]}`) of records already in Passage's
// shape, for weather, events and incidents. Reads parsed JSON or JSON text; writes one record or
// the record's rejects per item, in order.

import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { parseInstant } from '../../shared/time.js';
import {
  bodyReject,
  checkCityEvent,
  checked,
  checkIncident,
  checkWeatherObservation,
  DEFAULT_LIMITS,
  hourStart,
  jsonBody,
  MAX_ATTENDANCE,
  MAX_CELLS,
  MAX_DELAY_MIN,
  MAX_LENGTH,
  MAX_RADIUS_M,
  recordList,
  rejectsOf,
  shapeErrors,
  TIME_REASON,
  type ContextLimits,
} from './checks.js';
import { INCIDENT_KINDS, SEVERITIES, type ContextKind, type ContextMapper, type ContextOutput } from './types.js';

const Instant = Type.Union([Type.String({ maxLength: 64 }), Type.Integer()], {
  description: 'an ISO-8601 time with an offset (2026-11-22T08:00:00+01:00) or epoch milliseconds',
});
const text = (max: number, what = 'a string') =>
  Type.String({ minLength: 1, maxLength: max, description: `${what} of 1 to ${max} characters` });
const num = (min: number, max: number) => Type.Number({ minimum: min, maximum: max, description: `a number from ${min} to ${max}` });
/** Optional fields may also be sent as null: senders serialise "absent" either way. */
const opt = <T extends TSchema>(t: T) =>
  Type.Optional(Type.Union([t, Type.Null()], { description: `${t.description ?? 'a value'} or null` }));
const Lat = num(-90, 90);
const Lng = num(-180, 180);
const Radius = Type.Number({
  exclusiveMinimum: 0,
  maximum: MAX_RADIUS_M,
  description: `a number of metres above 0 and at most ${MAX_RADIUS_M}`,
});

export const WeatherPlainInput = Type.Object(
  {
    stationId: text(MAX_LENGTH.stationId),
    lat: Lat,
    lng: Lng,
    observedAt: Instant,
    temperatureC: opt(num(-90, 60)),
    precipitationMm: opt(num(0, 500)),
    windSpeedMs: opt(num(0, 120)),
    cloudCoverPct: opt(num(0, 100)),
    condition: opt(text(MAX_LENGTH.condition)),
    provider: opt(text(MAX_LENGTH.provider)),
  },
  { additionalProperties: false },
);
export type WeatherPlainInput = Static<typeof WeatherPlainInput>;

export const EventPlainInput = Type.Object(
  {
    id: text(MAX_LENGTH.id),
    title: text(MAX_LENGTH.title),
    category: opt(text(MAX_LENGTH.category)),
    start: Instant,
    end: Instant,
    lat: opt(Lat),
    lng: opt(Lng),
    radiusM: opt(Radius),
    cells: opt(
      Type.Array(Type.String({ maxLength: 16, description: 'an H3 cell (15 hex digits)' }), {
        maxItems: MAX_CELLS,
        description: `an array of at most ${MAX_CELLS} H3 cells`,
      }),
    ),
    expectedAttendance: opt(Type.Integer({ minimum: 0, maximum: MAX_ATTENDANCE, description: `an integer from 0 to ${MAX_ATTENDANCE}` })),
    url: opt(text(MAX_LENGTH.url, 'an http(s) URL')),
  },
  { additionalProperties: false },
);
export type EventPlainInput = Static<typeof EventPlainInput>;

export const IncidentPlainInput = Type.Object(
  {
    id: text(MAX_LENGTH.id),
    kind: Type.Union(
      INCIDENT_KINDS.map((k) => Type.Literal(k)),
      { description: `one of ${INCIDENT_KINDS.join(', ')}` },
    ),
    start: Instant,
    end: opt(Instant),
    lat: opt(Lat),
    lng: opt(Lng),
    radiusM: opt(Radius),
    severity: opt(
      Type.Union(
        SEVERITIES.map((s) => Type.Literal(s)),
        { description: `one of ${SEVERITIES.join(', ')}` },
      ),
    ),
    line: opt(text(MAX_LENGTH.line)),
    delayMin: opt(Type.Integer({ minimum: 0, maximum: MAX_DELAY_MIN, description: `an integer from 0 to ${MAX_DELAY_MIN} (minutes)` })),
    description: opt(text(MAX_LENGTH.description)),
  },
  { additionalProperties: false },
);
export type IncidentPlainInput = Static<typeof IncidentPlainInput>;

export const LIST_BODY_REASON = 'must be a JSON array of records or {"records": [...]}';

/** The instants of `fields`, or a reject per field that holds no time. */
function instants<K extends string>(
  index: number,
  input: Partial<Record<K, unknown>>,
  fields: readonly K[],
): Record<K, number> | ContextOutput[] {
  const values = {} as Record<K, number>;
  const bad: { field: string; reason: string }[] = [];
  for (const f of fields) {
    const v = parseInstant(input[f]);
    if (v === null) bad.push({ field: f, reason: TIME_REASON });
    else values[f] = v;
  }
  return bad.length > 0 ? rejectsOf(index, bad) : values;
}

function listMapper<I extends TSchema>(
  kind: ContextKind,
  description: string,
  schema: I,
  convert: (input: Static<I>, index: number, nowMs: number) => ContextOutput[],
): ContextMapper {
  const check = TypeCompiler.Compile(schema);
  const fields = Object.keys(schema.properties as Record<string, unknown>);
  return {
    name: 'plain',
    kind,
    description,
    map(body, nowMs) {
      const json = jsonBody(body);
      if (!json.ok) return [bodyReject(json.reason)];
      const items = recordList(json.value);
      if (items === null) return [bodyReject(LIST_BODY_REASON)];
      return items.flatMap((item, i) => {
        const errors = shapeErrors(check, item, fields);
        return errors.length > 0 ? rejectsOf(i, errors) : convert(item, i, nowMs);
      });
    },
  };
}

export function weatherPlainMapper(limits: ContextLimits = DEFAULT_LIMITS.weather): ContextMapper {
  return listMapper(
    'weather',
    'JSON array or {records} of {stationId, lat, lng, observedAt, temperatureC?, precipitationMm?, windSpeedMs?, cloudCoverPct?, condition?, provider?}; observedAt is truncated to its hour',
    WeatherPlainInput,
    (v, i, nowMs) => {
      const t = instants(i, v, ['observedAt'] as const);
      if (Array.isArray(t)) return t;
      const observedAt = hourStart(t.observedAt);
      const record = {
        id: `${v.stationId}:${observedAt}`,
        stationId: v.stationId,
        lat: v.lat,
        lng: v.lng,
        observedAt,
        temperatureC: v.temperatureC ?? null,
        precipitationMm: v.precipitationMm ?? null,
        windSpeedMs: v.windSpeedMs ?? null,
        cloudCoverPct: v.cloudCoverPct ?? null,
        condition: v.condition ?? null,
        provider: v.provider ?? 'unknown',
        receivedAt: nowMs,
      };
      return checked(i, record, checkWeatherObservation(record, nowMs, limits));
    },
  );
}

export function eventsPlainMapper(limits: ContextLimits = DEFAULT_LIMITS.events): ContextMapper {
  return listMapper(
    'events',
    'JSON array or {records} of {id, title, category?, start, end, lat?, lng?, radiusM?, cells?, expectedAttendance?, url?}',
    EventPlainInput,
    (v, i, nowMs) => {
      const t = instants(i, v, ['start', 'end'] as const);
      if (Array.isArray(t)) return t;
      const record = {
        id: v.id,
        title: v.title,
        category: v.category ?? null,
        start: t.start,
        end: t.end,
        lat: v.lat ?? null,
        lng: v.lng ?? null,
        radiusM: v.radiusM ?? null,
        cells: (v.cells ?? []).map((c) => c.toLowerCase()),
        expectedAttendance: v.expectedAttendance ?? null,
        url: v.url ?? null,
        receivedAt: nowMs,
      };
      return checked(i, record, checkCityEvent(record, nowMs, limits));
    },
  );
}

export function incidentsPlainMapper(limits: ContextLimits = DEFAULT_LIMITS.incidents): ContextMapper {
  return listMapper(
    'incidents',
    'JSON array or {records} of {id, kind: train_delay|accident|closure|other, start, end? (null: ongoing), lat?, lng?, radiusM?, severity?, line?, delayMin?, description?}',
    IncidentPlainInput,
    (v, i, nowMs) => {
      const t = instants(i, v, ['start'] as const);
      if (Array.isArray(t)) return t;
      let end: number | null = null;
      if (v.end !== undefined && v.end !== null) {
        end = parseInstant(v.end);
        if (end === null) return rejectsOf(i, [{ field: 'end', reason: `${TIME_REASON}, or null while ongoing` }]);
      }
      const record = {
        id: v.id,
        kind: v.kind,
        start: t.start,
        end,
        lat: v.lat ?? null,
        lng: v.lng ?? null,
        radiusM: v.radiusM ?? null,
        severity: v.severity ?? null,
        line: v.line ?? null,
        delayMin: v.delayMin ?? null,
        description: v.description ?? null,
        receivedAt: nowMs,
      };
      return checked(i, record, checkIncident(record, nowMs, limits));
    },
  );
}
