// The rules every context record obeys whichever format it came in (README: Validation), and the
// small helpers the mappers share: turning field errors into reject outputs, reading JSON bodies,
// and translating TypeBox shape errors into `{field, reason}`.

import type { TSchema } from '@sinclair/typebox';
import type { TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType } from '@sinclair/typebox/errors';
import type { FieldError } from '../../shared/errors.js';
import { cellResolution } from '../../shared/h3.js';
import { DAY_MS, HOUR_MS, MIN_TIME_MS } from '../../shared/time.js';
import { checkLocation } from '../../schemas/records.js';
import {
  BODY_INDEX,
  type CityEvent,
  type ContextKind,
  type ContextOutput,
  type ContextRecord,
  type Incident,
  type WeatherObservation,
} from './types.js';

export interface ContextLimits {
  /** Latest accepted time, as a distance after the moment of receipt (ms). */
  maxAheadMs: number;
}

/**
 * How far ahead of receipt a time may lie. Weather: forecasts reach 16 days (Open-Meteo's longest
 * ordinary forecast; ensembles 35), so 35 days. Events and incidents: announced events and planned
 * closures lie months or a few years ahead; five years is past anything real.
 */
export const DEFAULT_LIMITS: Readonly<Record<ContextKind, ContextLimits>> = {
  weather: { maxAheadMs: 35 * DAY_MS },
  events: { maxAheadMs: 5 * 365 * DAY_MS },
  incidents: { maxAheadMs: 5 * 365 * DAY_MS },
};

/** Longest strings accepted (characters). Ids leave room for Outlook's 100+ character UIDs plus `:occurrence`. */
export const MAX_LENGTH = {
  id: 300,
  stationId: 128,
  title: 500,
  category: 100,
  condition: 64,
  provider: 64,
  line: 64,
  description: 2000,
  url: 2048,
} as const;

/** Physically plausible ranges; a value outside is a unit mix-up or a sensor fault, not weather. */
export const WEATHER_RANGES = {
  temperatureC: [-90, 60],
  precipitationMm: [0, 500],
  windSpeedMs: [0, 120],
  cloudCoverPct: [0, 100],
} as const;
export type WeatherValueField = keyof typeof WEATHER_RANGES;

/** An "event" longer than a year is a data error (a DTEND in the wrong year), not an event. */
export const MAX_EVENT_DURATION_MS = 366 * DAY_MS;
export const MAX_RADIUS_M = 100_000;
export const MAX_CELLS = 2_000;
export const MAX_ATTENDANCE = 10_000_000;
/** A week, in minutes: longer "delays" are cancellations or closures. */
export const MAX_DELAY_MIN = 7 * 24 * 60;
/** Faults reported per record: enough to fix a record in one go, bounded for hostile input. */
export const MAX_FAULTS_PER_RECORD = 10;

export const TIME_REASON = 'must be an ISO-8601 time with an offset (2026-11-22T08:00:00+01:00) or epoch milliseconds';

/**
 * `table[key]` for keys that come from the sender: a plain lookup of "constructor" or "valueOf"
 * would find Object.prototype's functions.
 */
export function own<T>(table: Readonly<Record<string, T>>, key: string | number): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

export function hourStart(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/** Rounds converted units to 0.01 so km/h → m/s does not leave 5.111111111111111 in the store. */
export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

export function checkTime(field: string, ms: number, nowMs: number, limits: ContextLimits): FieldError[] {
  if (!Number.isSafeInteger(ms)) return [{ field, reason: TIME_REASON }];
  if (ms < MIN_TIME_MS) return [{ field, reason: 'must be after 2000-01-01T00:00:00Z' }];
  if (ms > nowMs + limits.maxAheadMs)
    return [{ field, reason: `must not be more than ${Math.round(limits.maxAheadMs / DAY_MS)} days after now` }];
  return [];
}

export function checkText(field: string, value: string | null, max: number, required = false): FieldError[] {
  if (value === null) return required ? [{ field, reason: 'is required' }] : [];
  if (value.trim().length === 0) return [{ field, reason: 'must not be empty' }];
  if (value.length > max) return [{ field, reason: `must be at most ${max} characters` }];
  return [];
}

export function checkWeatherValue(field: WeatherValueField, value: number | null): FieldError[] {
  if (value === null) return [];
  const [lo, hi] = WEATHER_RANGES[field];
  return Number.isFinite(value) && value >= lo && value <= hi ? [] : [{ field, reason: `must be a number from ${lo} to ${hi}` }];
}

function checkUrl(field: string, url: string | null): FieldError[] {
  const errors = checkText(field, url, MAX_LENGTH.url);
  if (errors.length > 0 || url === null) return errors;
  try {
    const u = new URL(url);
    if (u.protocol === 'http:' || u.protocol === 'https:') return [];
  } catch {
    // reported below
  }
  return [{ field, reason: 'must be an absolute http(s) URL' }];
}

function checkArea(r: { lat: number | null; lng: number | null; radiusM: number | null }): FieldError[] {
  const errors = checkLocation(r.lat, r.lng);
  if (r.radiusM !== null) {
    if (!(Number.isFinite(r.radiusM) && r.radiusM > 0 && r.radiusM <= MAX_RADIUS_M))
      errors.push({ field: 'radiusM', reason: `must be a number above 0 and at most ${MAX_RADIUS_M}` });
    else if (r.lat === null || r.lng === null) errors.push({ field: 'radiusM', reason: 'needs lat and lng (a radius around nothing)' });
  }
  return errors;
}

function checkInteger(field: string, value: number | null, max: number): FieldError[] {
  if (value === null) return [];
  return Number.isInteger(value) && value >= 0 && value <= max ? [] : [{ field, reason: `must be an integer from 0 to ${max}` }];
}

export function checkWeatherObservation(r: WeatherObservation, nowMs: number, limits: ContextLimits): FieldError[] {
  const errors = [
    ...checkText('stationId', r.stationId, MAX_LENGTH.stationId, true),
    ...checkLocation(r.lat, r.lng),
    ...checkTime('observedAt', r.observedAt, nowMs, limits),
    ...checkText('condition', r.condition, MAX_LENGTH.condition),
    ...checkText('provider', r.provider, MAX_LENGTH.provider, true),
  ];
  for (const f of Object.keys(WEATHER_RANGES) as WeatherValueField[]) errors.push(...checkWeatherValue(f, r[f]));
  return errors;
}

export function checkCityEvent(r: CityEvent, nowMs: number, limits: ContextLimits): FieldError[] {
  const errors = [
    ...checkText('id', r.id, MAX_LENGTH.id, true),
    ...checkText('title', r.title, MAX_LENGTH.title, true),
    ...checkText('category', r.category, MAX_LENGTH.category),
    ...checkTime('start', r.start, nowMs, limits),
    ...checkTime('end', r.end, nowMs, limits),
  ];
  if (r.end <= r.start) errors.push({ field: 'end', reason: 'must be after start' });
  else if (r.end - r.start > MAX_EVENT_DURATION_MS)
    errors.push({ field: 'end', reason: `must be within ${MAX_EVENT_DURATION_MS / DAY_MS} days of start` });
  errors.push(...checkArea(r));
  if (r.cells.length > MAX_CELLS) errors.push({ field: 'cells', reason: `must hold at most ${MAX_CELLS} cells` });
  else
    r.cells.forEach(
      (c, i) => cellResolution(c) === null && errors.push({ field: `cells.${i}`, reason: 'must be a valid H3 cell (15 hex digits)' }),
    );
  errors.push(...checkInteger('expectedAttendance', r.expectedAttendance, MAX_ATTENDANCE), ...checkUrl('url', r.url));
  return errors;
}

export function checkIncident(r: Incident, nowMs: number, limits: ContextLimits): FieldError[] {
  const errors = [...checkText('id', r.id, MAX_LENGTH.id, true), ...checkTime('start', r.start, nowMs, limits)];
  if (r.end !== null) {
    errors.push(...checkTime('end', r.end, nowMs, limits));
    if (r.end <= r.start) errors.push({ field: 'end', reason: 'must be after start (or null while ongoing)' });
  }
  errors.push(
    ...checkArea(r),
    ...checkText('line', r.line, MAX_LENGTH.line),
    ...checkInteger('delayMin', r.delayMin, MAX_DELAY_MIN),
    ...checkText('description', r.description, MAX_LENGTH.description),
  );
  return errors;
}

export function recordOutput(record: ContextRecord): ContextOutput {
  return { kind: 'record', record };
}

export function bodyReject(reason: string, field = 'body'): ContextOutput {
  return { kind: 'reject', index: BODY_INDEX, field, reason };
}

/**
 * One reject per fault of the record at `index` (the same field named twice only once). `rename`
 * maps record fields to the names the provider's format uses (start → DTSTART), so the sender can
 * find the fault in what it sent.
 */
export function rejectsOf(index: number, errors: readonly FieldError[], rename: Readonly<Record<string, string>> = {}): ContextOutput[] {
  const out: ContextOutput[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const head = e.field.split('.')[0]!;
    const whole = own(rename, e.field);
    const prefix = own(rename, head);
    const field = whole ?? (prefix !== undefined ? prefix + e.field.slice(head.length) : e.field);
    const key = `${field}\u0000${e.reason}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ kind: 'reject', index, field, reason: e.reason });
    if (out.length >= MAX_FAULTS_PER_RECORD) break;
  }
  return out;
}

/** Record on success, its rejects otherwise. */
export function checked<R extends ContextRecord>(
  index: number,
  record: R,
  errors: readonly FieldError[],
  rename?: Readonly<Record<string, string>>,
): ContextOutput[] {
  return errors.length === 0 ? [recordOutput(record)] : rejectsOf(index, errors, rename);
}

/**
 * The value of a JSON body: parsed already, or JSON text (string or bytes) to parse. NDJSON is the
 * route's to split (ingest/body.ts); it hands the lines over as an array.
 */
export type JsonBody = { ok: true; value: unknown } | { ok: false; reason: string };

export function jsonBody(body: unknown): JsonBody {
  let text: string | null = null;
  if (typeof body === 'string') text = body;
  else if (body instanceof Uint8Array) text = new TextDecoder('utf-8').decode(body);
  if (text === null) return { ok: true, value: body };
  try {
    return { ok: true, value: JSON.parse(text.replace(/^\uFEFF/, '')) as unknown };
  } catch (err) {
    return { ok: false, reason: `is not valid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
}

/** The items of a list body: a JSON array or `{"records": [...]}`; null for anything else. */
export function recordList(value: unknown): unknown[] | null {
  if (Array.isArray(value)) return value as unknown[];
  if (isObject(value) && Array.isArray(value.records)) return value.records as unknown[];
  return null;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * TypeBox shape errors as field errors: one per field (the first, which for a missing field is
 * "is required"), with the schema's description as the reason where it has one.
 */
export function shapeErrors(check: TypeCheck<TSchema>, value: unknown, fields: readonly string[]): FieldError[] {
  if (!isObject(value)) return [{ field: 'record', reason: 'must be a JSON object' }];
  const errors: FieldError[] = [];
  for (const e of check.Errors(value)) {
    const field = e.path.replace(/^\//, '').replace(/\//g, '.') || 'record';
    if (errors.some((x) => x.field === field)) continue;
    let reason: string;
    if (e.type === ValueErrorType.ObjectRequiredProperty) reason = 'is required';
    else if (e.type === ValueErrorType.ObjectAdditionalProperties) reason = `is not a field of this record (fields: ${fields.join(', ')})`;
    else if (typeof e.schema.description === 'string') reason = `must be ${e.schema.description}`;
    else reason = e.message.charAt(0).toLowerCase() + e.message.slice(1);
    errors.push({ field, reason });
    if (errors.length >= MAX_FAULTS_PER_RECORD) break;
  }
  return errors;
}
