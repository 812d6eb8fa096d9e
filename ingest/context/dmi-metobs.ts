// DMI metObs API v2 observations (a GeoJSON FeatureCollection, one feature per station, parameter
// and time) become WeatherObservations: one per (station, UTC hour), parameters mapped to fields
// by DMI_PARAMETERS; parameters not in it are ignored. stationId `dmi:<stationId>`, provider 'dmi'.

import type { FieldError } from '../../shared/errors.js';
import { HOUR_MS, parseInstant } from '../../shared/time.js';
import {
  bodyReject,
  checked,
  checkWeatherObservation,
  checkWeatherValue,
  DEFAULT_LIMITS,
  hourStart,
  isObject,
  jsonBody,
  MAX_LENGTH,
  own,
  rejectsOf,
  round2,
  type ContextLimits,
  type WeatherValueField,
} from './checks.js';
import type { ContextMapper, ContextOutput, WeatherObservation } from './types.js';

/**
 * Which hour a value describes. `sample`: an instantaneous (10-minute) value describes the hour it
 * falls in; samples of one hour are averaged. `past1h`: a value over the hour *ending* at `observed`
 * describes the hour before it, and wins over samples of the same field.
 */
type Window = 'sample' | 'past1h';

export const DMI_PARAMETERS: Readonly<Record<string, { field: WeatherValueField; window: Window }>> = {
  temp_mean_past1h: { field: 'temperatureC', window: 'past1h' },
  temp_dry: { field: 'temperatureC', window: 'sample' },
  precip_past1h: { field: 'precipitationMm', window: 'past1h' },
  wind_speed_past1h: { field: 'windSpeedMs', window: 'past1h' },
  wind_speed: { field: 'windSpeedMs', window: 'sample' },
  cloud_cover: { field: 'cloudCoverPct', window: 'sample' },
};

/** DMI's cloud-cover code for "sky obscured by fog or other phenomena": no cover can be read, so no value. */
export const DMI_SKY_OBSCURED = 112;

const STATION_PREFIX = 'dmi:';

interface Value {
  value: number;
  /** When DMI created the value; of duplicates (same station, parameter, time) the latest is the correction. */
  created: number;
}

interface StationHour {
  index: number;
  stationId: string;
  lat: number;
  lng: number;
  hour: number;
  /** field → window → observed time → value */
  values: Map<WeatherValueField, Map<Window, Map<number, Value>>>;
}

function combine(byWindow: Map<Window, Map<number, Value>>): number | null {
  const hourly = byWindow.get('past1h');
  if (hourly !== undefined && hourly.size > 0) return [...hourly.values()][0]!.value;
  const samples = [...(byWindow.get('sample')?.values() ?? [])];
  return samples.length === 0 ? null : round2(samples.reduce((s, v) => s + v.value, 0) / samples.length);
}

const RENAME = {
  observedAt: 'properties.observed',
  lat: 'geometry.coordinates',
  lng: 'geometry.coordinates',
  stationId: 'properties.stationId',
};

/** One feature: its (station, hour) slot and value, a fault, or null when it is not mapped (unknown parameter). */
function readFeature(
  f: unknown,
):
  | { station: string; lat: number; lng: number; hour: number; field: WeatherValueField; window: Window; observed: number; value: Value }
  | FieldError
  | null {
  if (!isObject(f)) return { field: 'feature', reason: 'must be a GeoJSON Feature object' };
  const p = f.properties;
  if (!isObject(p)) return { field: 'properties', reason: 'must be an object' };
  if (typeof p.parameterId !== 'string') return { field: 'properties.parameterId', reason: 'must be a string' };
  const spec = own(DMI_PARAMETERS, p.parameterId);
  if (spec === undefined) return null;
  const station = p.stationId;
  if (typeof station !== 'string' || station.trim().length === 0 || station.length > MAX_LENGTH.stationId - STATION_PREFIX.length)
    return { field: 'properties.stationId', reason: `must be a string of 1 to ${MAX_LENGTH.stationId - STATION_PREFIX.length} characters` };
  const observed = parseInstant(p.observed);
  if (observed === null) return { field: 'properties.observed', reason: 'must be an RFC 3339 time with an offset' };
  if (typeof p.value !== 'number' || !Number.isFinite(p.value)) return { field: 'properties.value', reason: 'must be a number' };
  const geometry = f.geometry;
  const c = isObject(geometry) ? geometry.coordinates : undefined;
  if (!Array.isArray(c) || typeof c[0] !== 'number' || typeof c[1] !== 'number')
    return { field: 'geometry.coordinates', reason: 'must be a GeoJSON Point [longitude, latitude]' };
  if (!(c[0] >= -180 && c[0] <= 180 && c[1] >= -90 && c[1] <= 90))
    return { field: 'geometry.coordinates', reason: 'must be [longitude −180…180, latitude −90…90]' };
  if (spec.field === 'cloudCoverPct' && p.value === DMI_SKY_OBSCURED) return null;
  const [bad] = checkWeatherValue(spec.field, p.value);
  if (bad !== undefined) return { field: 'properties.value', reason: `${bad.reason} for ${p.parameterId}` };
  let hour: number;
  if (spec.window === 'sample') hour = hourStart(observed);
  else if (observed % HOUR_MS === 0) hour = observed - HOUR_MS;
  // A rolling hour that ends off the full hour straddles two hours; the full-hour values cover them.
  else return null;
  const created = parseInstant(p.created) ?? 0;
  return { station, lat: c[1], lng: c[0], hour, field: spec.field, window: spec.window, observed, value: { value: p.value, created } };
}

export function dmiMetObsMapper(limits: ContextLimits = DEFAULT_LIMITS.weather): ContextMapper {
  return {
    name: 'dmi-metobs',
    kind: 'weather',
    description:
      'DMI metObs API v2 observation items (GeoJSON FeatureCollection); temp_dry, temp_mean_past1h, precip_past1h, wind_speed, wind_speed_past1h and cloud_cover grouped per station and hour',
    map(body, nowMs) {
      const json = jsonBody(body);
      if (!json.ok) return [bodyReject(json.reason)];
      const fc = json.value;
      if (!isObject(fc) || fc.type !== 'FeatureCollection' || !Array.isArray(fc.features))
        return [bodyReject('must be a GeoJSON FeatureCollection with a features array (DMI metObs /collections/observation/items)')];
      const out: ContextOutput[] = [];
      const groups = new Map<string, StationHour>();
      (fc.features as unknown[]).forEach((f, i) => {
        const r = readFeature(f);
        if (r === null) return;
        if ('reason' in r) {
          out.push(...rejectsOf(i, [r]));
          return;
        }
        const key = `${r.station}\u0000${r.hour}`;
        let g = groups.get(key);
        if (g === undefined) {
          g = { index: i, stationId: r.station, lat: r.lat, lng: r.lng, hour: r.hour, values: new Map() };
          groups.set(key, g);
        }
        let byWindow = g.values.get(r.field);
        if (byWindow === undefined) g.values.set(r.field, (byWindow = new Map<Window, Map<number, Value>>()));
        let byTime = byWindow.get(r.window);
        if (byTime === undefined) byWindow.set(r.window, (byTime = new Map<number, Value>()));
        const prev = byTime.get(r.observed);
        if (prev === undefined || r.value.created >= prev.created) byTime.set(r.observed, r.value);
      });
      for (const g of groups.values()) {
        const get = (field: WeatherValueField) => {
          const byWindow = g.values.get(field);
          return byWindow === undefined ? null : combine(byWindow);
        };
        const stationId = `${STATION_PREFIX}${g.stationId}`;
        const record: WeatherObservation = {
          id: `${stationId}:${g.hour}`,
          stationId,
          lat: g.lat,
          lng: g.lng,
          observedAt: g.hour,
          temperatureC: get('temperatureC'),
          precipitationMm: get('precipitationMm'),
          windSpeedMs: get('windSpeedMs'),
          cloudCoverPct: get('cloudCoverPct'),
          condition: null,
          provider: 'dmi',
          receivedAt: nowMs,
        };
        out.push(...checked(g.index, record, checkWeatherObservation(record, nowMs, limits), RENAME));
      }
      return out;
    },
  };
}
