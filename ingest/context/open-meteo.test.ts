// Tests of the Open-Meteo mapper on a forecast for Copenhagen (55.68, 12.57) over the spring DST
// change (fixtures/open-meteo-copenhagen-dst.json, fetched before the change: one +01:00 offset),
// in ISO and unixtime form, and on units, legacy names, lists of locations and faults.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openMeteoMapper, openMeteoStationId } from './open-meteo.js';
import type { ContextOutput, WeatherObservation } from './types.js';

const NOW = Date.parse('2026-03-27T06:00:00Z');
const FIXTURE = readFileSync(new URL('./fixtures/open-meteo-copenhagen-dst.json', import.meta.url), 'utf8');
const load = () => JSON.parse(FIXTURE) as { hourly: Record<string, unknown[]>; hourly_units: Record<string, string>; [k: string]: unknown };
const mapper = openMeteoMapper();

const records = (out: ContextOutput[]) => out.flatMap((o) => (o.kind === 'record' ? [o.record as WeatherObservation] : []));
const rejects = (out: ContextOutput[]) => out.flatMap((o) => (o.kind === 'reject' ? [o] : []));
const iso = (ms: number) => new Date(ms).toISOString();

describe('open-meteo mapper on Copenhagen over the DST change', () => {
  const out = mapper.map(load(), NOW);
  const rs = records(out);

  it('yields one record per hour with data; the two all-null hours at the end yield none', () => {
    expect(rejects(out)).toEqual([]);
    expect(rs).toHaveLength(22);
  });

  it('places every hour with the response offset, not the zone: 24 consecutive UTC hours, no gap or overlap at 02:00', () => {
    // Read in Europe/Copenhagen, 02:00 (which does not exist that night) and 03:00 would both be 01:00Z.
    expect(rs.slice(0, 5).map((r) => iso(r.observedAt))).toEqual([
      '2026-03-28T23:00:00.000Z',
      '2026-03-29T00:00:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-29T02:00:00.000Z',
      '2026-03-29T03:00:00.000Z',
    ]);
    expect(rs.every((r, i) => r.observedAt === rs[0]!.observedAt + i * 3_600_000)).toBe(true);
    expect(new Set(rs.map((r) => r.id)).size).toBe(22);
  });

  it('converts km/h to m/s, maps weather codes, keeps nulls as null', () => {
    expect(rs[0]).toEqual({
      id: `open-meteo:55.68,12.58:${Date.parse('2026-03-28T23:00:00Z')}`,
      stationId: 'open-meteo:55.68,12.58',
      lat: 55.68,
      lng: 12.579999,
      observedAt: Date.parse('2026-03-28T23:00:00Z'),
      temperatureC: 3.1,
      precipitationMm: 0,
      windSpeedMs: 4.11,
      cloudCoverPct: 100,
      condition: 'overcast',
      provider: 'open-meteo',
      receivedAt: NOW,
    });
    expect(rs[3]!.condition).toBe('light_rain');
    expect(rs[4]!.condition).toBe('rain');
    expect(rs[21]!.precipitationMm).toBeNull();
    expect(rs[21]!.temperatureC).toBe(4.6);
  });

  it('gives the same records for timeformat=unixtime', () => {
    const unix = load();
    unix.hourly.time = (unix.hourly.time as string[]).map((t) => Date.parse(`${t}:00+01:00`) / 1000);
    unix.hourly_units.time = 'unixtime';
    expect(mapper.map(unix, NOW)).toEqual(out);
  });

  it('accepts the response as JSON text', () => {
    expect(mapper.map(FIXTURE, NOW)).toEqual(out);
  });
});

describe('open-meteo units, names and locations', () => {
  const small = (hourly: Record<string, unknown[]>, units: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({
    latitude: 55.68,
    longitude: 12.57,
    utc_offset_seconds: 0,
    timezone: 'GMT',
    hourly_units: { time: 'iso8601', ...units },
    hourly: { time: ['2026-03-27T00:00', '2026-03-27T01:00'], ...hourly },
    ...extra,
  });

  it('converts °F, inches, mph and knots; leaves m/s alone', () => {
    const f = records(
      mapper.map(
        small(
          { temperature_2m: [50, 32], precipitation: [0.1, 0], wind_speed_10m: [10, 0] },
          { temperature_2m: '°F', precipitation: 'inch', wind_speed_10m: 'mph' },
        ),
        NOW,
      ),
    );
    expect(f.map((r) => [r.temperatureC, r.precipitationMm, r.windSpeedMs])).toEqual([
      [10, 2.54, 4.47],
      [0, 0, 0],
    ]);
    expect(records(mapper.map(small({ wind_speed_10m: [10, 5] }, { wind_speed_10m: 'kn' }), NOW)).map((r) => r.windSpeedMs)).toEqual([
      5.14, 2.57,
    ]);
    expect(records(mapper.map(small({ wind_speed_10m: [10, 5] }, { wind_speed_10m: 'm/s' }), NOW)).map((r) => r.windSpeedMs)).toEqual([
      10, 5,
    ]);
  });

  it('reads the legacy variable names and ignores unknown weather codes', () => {
    const rs = records(mapper.map(small({ windspeed_10m: [36, 18], cloudcover: [10, 20], weathercode: [95, 42] }), NOW));
    expect(rs.map((r) => [r.windSpeedMs, r.cloudCoverPct, r.condition])).toEqual([
      [10, 10, 'thunderstorm'],
      [5, 20, null],
    ]);
  });

  it('maps a multi-location list, naming the location in rejects', () => {
    const a = small({ temperature_2m: [1, 2] });
    const b = { ...small({ temperature_2m: [3, 4] }), latitude: 56.15, longitude: 10.2 };
    (b.hourly.time as unknown[])[1] = 'yesterday';
    const out = mapper.map([a, b], NOW);
    expect(records(out).map((r) => r.stationId)).toEqual([
      openMeteoStationId(55.68, 12.57),
      'open-meteo:55.68,12.57',
      'open-meteo:56.15,10.2',
    ]);
    expect(rejects(out)).toEqual([{ kind: 'reject', index: 1, field: '[1].hourly.time', reason: expect.any(String) as string }]);
  });

  it('rejects one hour for a value out of range or of the wrong type', () => {
    const out = mapper.map(small({ temperature_2m: [99, 2], cloud_cover: [10, 'x'] }), NOW);
    expect(rejects(out).map((r) => [r.index, r.field])).toEqual([
      [0, 'hourly.temperature_2m'],
      [1, 'hourly.cloud_cover'],
    ]);
  });

  it('rejects the body for unknown units, arrays of the wrong length, no variables, a missing offset and an API error', () => {
    const bodyFault = (body: unknown) => rejects(mapper.map(body, NOW)).map((r) => [r.index, r.field]);
    expect(bodyFault(small({ wind_speed_10m: [1, 2] }, { wind_speed_10m: 'bft' }))).toEqual([[-1, 'hourly_units.wind_speed_10m']]);
    expect(bodyFault(small({ wind_speed_10m: [1, 2] }, { wind_speed_10m: 'toString' }))).toEqual([[-1, 'hourly_units.wind_speed_10m']]);
    expect(bodyFault(small({ temperature_2m: [1] }))).toEqual([[-1, 'hourly.temperature_2m']]);
    expect(bodyFault(small({ relative_humidity_2m: [80, 81] }))).toEqual([[-1, 'hourly']]);
    expect(bodyFault(small({ temperature_2m: [1, 2] }, {}, { utc_offset_seconds: undefined, timezone: 'Nowhere/Special' }))).toEqual([
      [-1, 'utc_offset_seconds'],
    ]);
    expect(bodyFault({ latitude: 200, longitude: 0, hourly: { time: [] } })).toEqual([[-1, 'latitude']]);
    const err = mapper.map(
      { error: true, reason: 'Cannot initialize WeatherVariable from invalid String value tempeture_2m for key hourly' },
      NOW,
    );
    expect(err).toEqual([{ kind: 'reject', index: -1, field: 'body', reason: expect.stringContaining('tempeture_2m') as string }]);
    expect(bodyFault('{"latitude": 55')).toEqual([[-1, 'body']]);
    expect(bodyFault([1, 2])).toEqual([
      [-1, '[0]'],
      [-1, '[1]'],
    ]);
  });

  it('reads local times in the IANA zone only when the response has no utc_offset_seconds', () => {
    const body = small({ temperature_2m: [1, 2] }, {}, { utc_offset_seconds: undefined, timezone: 'Europe/Copenhagen' });
    expect(records(mapper.map(body, NOW)).map((r) => iso(r.observedAt))).toEqual(['2026-03-26T23:00:00.000Z', '2026-03-27T00:00:00.000Z']);
  });

  it('rejects forecast hours more than 35 days ahead', () => {
    const body = small({ temperature_2m: [1, 2] });
    body.hourly.time[1] = '2026-06-01T00:00';
    expect(rejects(mapper.map(body, NOW)).map((r) => [r.index, r.field, r.reason])).toEqual([
      [1, 'hourly.time', 'must not be more than 35 days after now'],
    ]);
  });
});
