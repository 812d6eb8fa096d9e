// Open-Meteo forecast/archive API responses (hourly JSON, one location or a list of them) become
// WeatherObservations: one per hour that holds any value, stationId `open-meteo:<lat>,<lng>`,
// units converted to °C, mm, m/s and %, WMO weather codes to a short condition.

import { DateTime, FixedOffsetZone, IANAZone } from 'luxon';
import type { FieldError } from '../../shared/errors.js';
import {
  bodyReject,
  checked,
  checkWeatherObservation,
  DEFAULT_LIMITS,
  hourStart,
  isObject,
  jsonBody,
  own,
  rejectsOf,
  round2,
  type ContextLimits,
} from './checks.js';
import type { ContextMapper, ContextOutput, WeatherObservation } from './types.js';

/**
 * WMO weather interpretation codes (WW, as Open-Meteo documents them) → condition. Intensity is
 * kept for rain and snow because it is what moves people indoors.
 */
export const WMO_CONDITIONS: Readonly<Record<number, string>> = {
  0: 'clear',
  1: 'mainly_clear',
  2: 'partly_cloudy',
  3: 'overcast',
  45: 'fog',
  48: 'rime_fog',
  51: 'light_drizzle',
  53: 'drizzle',
  55: 'dense_drizzle',
  56: 'light_freezing_drizzle',
  57: 'freezing_drizzle',
  61: 'light_rain',
  63: 'rain',
  65: 'heavy_rain',
  66: 'light_freezing_rain',
  67: 'freezing_rain',
  71: 'light_snow',
  73: 'snow',
  75: 'heavy_snow',
  77: 'snow_grains',
  80: 'light_rain_showers',
  81: 'rain_showers',
  82: 'violent_rain_showers',
  85: 'light_snow_showers',
  86: 'heavy_snow_showers',
  95: 'thunderstorm',
  96: 'thunderstorm_light_hail',
  99: 'thunderstorm_heavy_hail',
};

type ValueField = 'temperatureC' | 'precipitationMm' | 'windSpeedMs' | 'cloudCoverPct';

/** Hourly variables read, by record field; later names are the legacy spellings Open-Meteo still answers to. */
const VARIABLES: readonly {
  field: ValueField | 'condition';
  names: readonly string[];
  units: Readonly<Record<string, (x: number) => number>>;
}[] = [
  { field: 'temperatureC', names: ['temperature_2m'], units: { '°C': (x) => x, '°F': (x) => round2(((x - 32) * 5) / 9) } },
  { field: 'precipitationMm', names: ['precipitation'], units: { mm: (x) => x, inch: (x) => round2(x * 25.4) } },
  {
    field: 'windSpeedMs',
    names: ['wind_speed_10m', 'windspeed_10m'],
    units: { 'km/h': (x) => round2(x / 3.6), 'm/s': (x) => x, mph: (x) => round2(x * 0.44704), kn: (x) => round2((x * 1852) / 3600) },
  },
  { field: 'cloudCoverPct', names: ['cloud_cover', 'cloudcover'], units: { '%': (x) => x } },
  { field: 'condition', names: ['weather_code', 'weathercode'], units: { 'wmo code': (x) => x } },
];

/** Open-Meteo's defaults when hourly_units does not name a unit. */
const DEFAULT_UNITS: Readonly<Record<string, string>> = {
  temperatureC: '°C',
  precipitationMm: 'mm',
  windSpeedMs: 'km/h',
  cloudCoverPct: '%',
  condition: 'wmo code',
};

export function openMeteoStationId(lat: number, lng: number): string {
  // Three decimals (~100 m) is finer than any model grid Open-Meteo serves (≥ 1 km), so distinct
  // grid points never share an id, and 12.579999 and 12.58 do.
  return `open-meteo:${Number(lat.toFixed(3))},${Number(lng.toFixed(3))}`;
}

interface Series {
  field: ValueField | 'condition';
  name: string;
  values: readonly unknown[];
  convert: (x: number) => number;
}

/**
 * How the `time` entries become instants. Local ISO strings are shifted by the response's one
 * utc_offset_seconds — Open-Meteo applies the offset valid at request time to the whole series,
 * with no DST change inside it (open-meteo/open-meteo#261, #1255) — so reading them in the IANA
 * zone would misplace every hour on the far side of a DST change.
 */
function timeReader(loc: Record<string, unknown>, prefix: string, localTimes: boolean): ((t: unknown) => number | null) | FieldError {
  const offset = loc.utc_offset_seconds;
  let zone: FixedOffsetZone | IANAZone;
  if (!localTimes) zone = FixedOffsetZone.utcInstance;
  else if (typeof offset === 'number' && Number.isInteger(offset) && Math.abs(offset) <= 18 * 3600)
    zone = FixedOffsetZone.instance(offset / 60);
  else if (offset === undefined && typeof loc.timezone === 'string' && IANAZone.isValidZone(loc.timezone))
    zone = IANAZone.create(loc.timezone);
  else
    return { field: `${prefix}utc_offset_seconds`, reason: 'must be an integer number of seconds (or absent, with timezone an IANA zone)' };
  return (t) => {
    // timeformat=unixtime: epoch seconds, already UTC.
    if (typeof t === 'number') return Number.isSafeInteger(t) ? t * 1000 : null;
    if (typeof t !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(t)) return null;
    const dt = DateTime.fromISO(t, { zone });
    return dt.isValid ? dt.toMillis() : null;
  };
}

function mapLocation(loc: unknown, prefix: string, nowMs: number, limits: ContextLimits): ContextOutput[] {
  if (!isObject(loc)) return [bodyReject('must be an Open-Meteo response object', prefix === '' ? 'body' : prefix.slice(0, -1))];
  if (loc.error === true)
    return [bodyReject(`Open-Meteo answered with an error: ${typeof loc.reason === 'string' ? loc.reason : 'no reason given'}`)];
  const lat = loc.latitude;
  const lng = loc.longitude;
  if (typeof lat !== 'number' || !(lat >= -90 && lat <= 90)) return [bodyReject('must be a number from -90 to 90', `${prefix}latitude`)];
  if (typeof lng !== 'number' || !(lng >= -180 && lng <= 180))
    return [bodyReject('must be a number from -180 to 180', `${prefix}longitude`)];
  const hourly = loc.hourly;
  if (!isObject(hourly) || !Array.isArray(hourly.time))
    return [bodyReject('must hold an hourly object with a time array', `${prefix}hourly`)];
  const times = hourly.time as unknown[];
  const units = isObject(loc.hourly_units) ? loc.hourly_units : {};

  const series: Series[] = [];
  for (const v of VARIABLES) {
    const name = v.names.find((n) => n in hourly);
    if (name === undefined) continue;
    const values = hourly[name];
    if (!Array.isArray(values) || values.length !== times.length)
      return [bodyReject(`must be an array with one value per time (${times.length})`, `${prefix}hourly.${name}`)];
    const unit = units[name] ?? DEFAULT_UNITS[v.field]!;
    const convert = typeof unit === 'string' ? own(v.units, unit) : undefined;
    if (convert === undefined)
      return [bodyReject(`unit ${JSON.stringify(unit)} is not one of ${Object.keys(v.units).join(', ')}`, `${prefix}hourly_units.${name}`)];
    series.push({ field: v.field, name, values: values as unknown[], convert });
  }
  if (series.length === 0) return [bodyReject(`holds none of ${VARIABLES.map((v) => v.names[0]).join(', ')}`, `${prefix}hourly`)];
  const read = timeReader(
    loc,
    prefix,
    times.some((t) => typeof t === 'string'),
  );
  if (typeof read !== 'function') return [bodyReject(read.reason, read.field)];

  const stationId = openMeteoStationId(lat, lng);
  const rename: Record<string, string> = {
    observedAt: `${prefix}hourly.time`,
    lat: `${prefix}latitude`,
    lng: `${prefix}longitude`,
    stationId: `${prefix}latitude`,
  };
  for (const s of series) rename[s.field] = `${prefix}hourly.${s.name}`;

  const out: ContextOutput[] = [];
  times.forEach((t, i) => {
    const ms = read(t);
    if (ms === null) {
      out.push(...rejectsOf(i, [{ field: `${prefix}hourly.time`, reason: 'must be a local time like 2026-03-29T02:00 or epoch seconds' }]));
      return;
    }
    // Hours the source has no data for yet (the archive lags by days) carry only nulls: no record.
    if (series.every((s) => s.values[i] === null || s.values[i] === undefined)) return;
    const values: Partial<Record<ValueField, number>> = {};
    let condition: string | null = null;
    const bad: FieldError[] = [];
    for (const s of series) {
      const raw = s.values[i];
      if (raw === null || raw === undefined) continue;
      if (typeof raw !== 'number' || !Number.isFinite(raw)) {
        bad.push({ field: s.field, reason: 'must be a number or null' });
        continue;
      }
      // An unknown or fractional weather code leaves the condition unknown rather than rejecting the hour.
      if (s.field === 'condition') condition = own(WMO_CONDITIONS, raw) ?? null;
      else values[s.field] = s.convert(raw);
    }
    if (bad.length > 0) {
      out.push(...rejectsOf(i, bad, rename));
      return;
    }
    const observedAt = hourStart(ms);
    const record: WeatherObservation = {
      id: `${stationId}:${observedAt}`,
      stationId,
      lat,
      lng,
      observedAt,
      temperatureC: values.temperatureC ?? null,
      precipitationMm: values.precipitationMm ?? null,
      windSpeedMs: values.windSpeedMs ?? null,
      cloudCoverPct: values.cloudCoverPct ?? null,
      condition,
      provider: 'open-meteo',
      receivedAt: nowMs,
    };
    out.push(...checked(i, record, checkWeatherObservation(record, nowMs, limits), rename));
  });
  return out;
}

export function openMeteoMapper(limits: ContextLimits = DEFAULT_LIMITS.weather): ContextMapper {
  return {
    name: 'open-meteo',
    kind: 'weather',
    description:
      'Open-Meteo forecast or archive API JSON with hourly temperature_2m, precipitation, wind_speed_10m, cloud_cover, weather_code (one location, or the list a multi-location request returns)',
    map(body, nowMs) {
      const json = jsonBody(body);
      if (!json.ok) return [bodyReject(json.reason)];
      // A multi-location request answers with a list; faults then name the location: `[1].hourly.time`.
      if (Array.isArray(json.value)) return json.value.flatMap((loc, k) => mapLocation(loc, `[${k}].`, nowMs, limits));
      return mapLocation(json.value, '', nowMs, limits);
    },
  };
}
