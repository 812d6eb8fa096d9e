// The context feeds' edge: every mapper by `${kind}/${name}`, and detectContextFormat, which picks
// the mapper for an HTTP body from its content type and shape. Reads bodies; writes nothing — the
// route produces the records the mappers return to pm.ctx.<kind>.v1.

import type { ContextKind } from '../../shared/topics.js';
import { bodyReject, isObject, jsonBody, own, recordList } from './checks.js';
import { dmiMetObsMapper } from './dmi-metobs.js';
import { icsMapper } from './ics.js';
import { openMeteoMapper } from './open-meteo.js';
import { eventsPlainMapper, incidentsPlainMapper, weatherPlainMapper } from './plain.js';
import type { ContextMapper, ContextOutput } from './types.js';

export * from './types.js';
export { DEFAULT_LIMITS, type ContextLimits } from './checks.js';
export { icsMapper, ICS_DEFAULTS, type IcsOptions } from './ics.js';
export { openMeteoMapper, WMO_CONDITIONS } from './open-meteo.js';
export { dmiMetObsMapper, DMI_PARAMETERS } from './dmi-metobs.js';
export {
  weatherPlainMapper,
  eventsPlainMapper,
  incidentsPlainMapper,
  WeatherPlainInput,
  EventPlainInput,
  IncidentPlainInput,
} from './plain.js';

/**
 * The last line of "never throws": a fault in a mapper becomes a body reject naming it instead of a
 * failed request. The tests assert that it never fires on any input they can generate.
 */
export function neverThrows(mapper: ContextMapper): ContextMapper {
  return {
    ...mapper,
    map(body, nowMs): ContextOutput[] {
      if (!Number.isSafeInteger(nowMs)) return [bodyReject('must be the epoch milliseconds of receipt', 'nowMs')];
      try {
        return mapper.map(body, nowMs);
      } catch (err) {
        return [
          bodyReject(
            `could not be mapped (internal error in ${mapper.kind}/${mapper.name}: ${err instanceof Error ? err.message : String(err)})`,
          ),
        ];
      }
    },
  };
}

const ALL: readonly ContextMapper[] = [
  weatherPlainMapper(),
  openMeteoMapper(),
  dmiMetObsMapper(),
  eventsPlainMapper(),
  icsMapper(),
  incidentsPlainMapper(),
];

/** Every mapper with its default options, by `${kind}/${name}` (weather/open-meteo, events/ics, …). */
export const CONTEXT_MAPPERS: Readonly<Record<string, ContextMapper>> = Object.fromEntries(
  ALL.map((m) => [`${m.kind}/${m.name}`, neverThrows(m)]),
);

export function contextMapper(kind: ContextKind, name: string): ContextMapper | null {
  return own(CONTEXT_MAPPERS, `${kind}/${name}`) ?? null;
}

function mediaType(contentType: string | null | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function textOf(body: unknown): string | null {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return new TextDecoder('utf-8').decode(body);
  return null;
}

function looksLikeOpenMeteo(v: unknown): boolean {
  return isObject(v) && ((isObject(v.hourly) && typeof v.latitude === 'number') || (v.error === true && typeof v.reason === 'string'));
}

function looksLikeDmi(v: unknown): boolean {
  if (!isObject(v) || v.type !== 'FeatureCollection' || !Array.isArray(v.features)) return false;
  const first: unknown = v.features[0];
  // An empty page (numberReturned 0) is still a metObs answer.
  if (first === undefined) return true;
  return isObject(first) && isObject(first.properties) && 'parameterId' in first.properties && 'observed' in first.properties;
}

/**
 * The mapper for an HTTP body of context `kind`, or null when none fits (README: Format detection).
 * `body` is what the route has: parsed JSON, or text/bytes for anything else.
 */
export function detectContextFormat(kind: ContextKind, contentType: string | null | undefined, body: unknown): ContextMapper | null {
  const type = mediaType(contentType);
  const text = textOf(body);
  if (
    kind === 'events' &&
    (type === 'text/calendar' || type === 'application/ics' || (text !== null && /^\uFEFF?\s*BEGIN:VCALENDAR/i.test(text)))
  )
    return contextMapper('events', 'ics');
  const json = jsonBody(body);
  if (!json.ok) return null;
  const value = json.value;
  if (kind === 'weather') {
    if (looksLikeOpenMeteo(value) || (Array.isArray(value) && value.length > 0 && value.every(looksLikeOpenMeteo)))
      return contextMapper('weather', 'open-meteo');
    if (looksLikeDmi(value)) return contextMapper('weather', 'dmi-metobs');
  }
  return recordList(value) !== null ? contextMapper(kind, 'plain') : null;
}
