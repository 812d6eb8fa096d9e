// Tests of the DMI metObs mapper on a FeatureCollection of two Copenhagen stations (fixtures/
// dmi-metobs-two-stations.json: 10-minute samples, hourly values, a corrected duplicate, sky
// obscured, parameters Passage does not map) and on faulty features.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dmiMetObsMapper } from './dmi-metobs.js';
import type { ContextOutput, WeatherObservation } from './types.js';

const NOW = Date.parse('2026-11-22T09:15:00Z');
const FIXTURE = readFileSync(new URL('./fixtures/dmi-metobs-two-stations.json', import.meta.url), 'utf8');
const mapper = dmiMetObsMapper();
const H8 = Date.parse('2026-11-22T08:00:00Z');
const H9 = Date.parse('2026-11-22T09:00:00Z');

const records = (out: ContextOutput[]) => out.flatMap((o) => (o.kind === 'record' ? [o.record as WeatherObservation] : []));
const rejects = (out: ContextOutput[]) => out.flatMap((o) => (o.kind === 'reject' ? [o] : []));

function feature(
  parameterId: string,
  observed: string,
  value: unknown,
  stationId: unknown = '06180',
  coordinates: unknown = [12.6453, 55.6185],
) {
  return {
    type: 'Feature',
    geometry: { type: 'Point', coordinates },
    properties: { parameterId, stationId, observed, value, created: '2026-11-22T09:02:00Z' },
  };
}
const fc = (...features: unknown[]) => ({ type: 'FeatureCollection', features, numberReturned: features.length });

describe('dmi-metobs mapper on two stations', () => {
  const out = mapper.map(JSON.parse(FIXTURE), NOW);
  const byId = new Map(records(out).map((r) => [r.id, r]));

  it('groups the features into one observation per station and hour', () => {
    expect(rejects(out)).toEqual([]);
    expect([...byId.keys()]).toEqual([`dmi:06180:${H8}`, `dmi:06180:${H9}`, `dmi:06186:${H8}`]);
  });

  it('prefers the hourly values (reported at the hour end) over the mean of samples', () => {
    expect(byId.get(`dmi:06180:${H8}`)).toEqual({
      id: `dmi:06180:${H8}`,
      stationId: 'dmi:06180',
      lat: 55.6185,
      lng: 12.6453,
      observedAt: H8,
      temperatureC: 4.2,
      precipitationMm: 0.4,
      windSpeedMs: 6.7,
      cloudCoverPct: 88,
      condition: null,
      provider: 'dmi',
      receivedAt: NOW,
    });
  });

  it('averages samples, takes the latest-created duplicate, reads 112 as no cloud cover', () => {
    const r = byId.get(`dmi:06186:${H8}`)!;
    // temp_dry 08:00 was corrected from 3.2 to 3.5; the mean with 08:30's 3.9 is 3.7.
    expect([r.temperatureC, r.precipitationMm, r.windSpeedMs, r.cloudCoverPct]).toEqual([3.7, 1.2, 4.1, null]);
    expect([r.lat, r.lng]).toEqual([55.6836, 12.5361]);
  });

  it('puts samples taken at 09:00 in the hour from 09:00', () => {
    const r = byId.get(`dmi:06180:${H9}`)!;
    expect([r.temperatureC, r.precipitationMm, r.windSpeedMs, r.cloudCoverPct]).toEqual([4.8, null, null, 75]);
  });

  it('ignores unknown parameters and rolling hours that end off the full hour, without rejecting them', () => {
    const out2 = mapper.map(
      fc(
        feature('humidity', '2026-11-22T08:00:00Z', 93),
        feature('constructor', '2026-11-22T08:00:00Z', 1),
        feature('precip_past1h', '2026-11-22T08:10:00Z', 0.2),
      ),
      NOW,
    );
    expect(out2).toEqual([]);
  });

  it('answers nothing for an empty page', () => {
    expect(mapper.map(fc(), NOW)).toEqual([]);
  });
});

describe('dmi-metobs faults', () => {
  it('rejects faulty features by index and keeps the good ones', () => {
    const out = mapper.map(
      fc(
        feature('temp_dry', '2026-11-22T08:00:00Z', 4.1),
        feature('temp_dry', '2026-11-22T08:00', 4.1),
        feature('temp_dry', '2026-11-22T08:10:00Z', '4.1'),
        feature('temp_dry', '2026-11-22T08:20:00Z', 4.1, '06180', null),
        feature('temp_dry', '2026-11-22T08:30:00Z', 4.1, ''),
        feature('temp_dry', '2026-11-22T08:40:00Z', 140),
        feature('wind_speed', '2026-11-22T08:40:00Z', 5, '06180', [200, 55]),
        { type: 'Feature', geometry: null },
        'feature',
      ),
      NOW,
    );
    expect(rejects(out).map((r) => [r.index, r.field])).toEqual([
      [1, 'properties.observed'],
      [2, 'properties.value'],
      [3, 'geometry.coordinates'],
      [4, 'properties.stationId'],
      [5, 'properties.value'],
      [6, 'geometry.coordinates'],
      [7, 'properties'],
      [8, 'feature'],
    ]);
    expect(rejects(out).find((r) => r.index === 5)!.reason).toBe('must be a number from -90 to 60 for temp_dry');
    expect(records(out).map((r) => r.temperatureC)).toEqual([4.1]);
  });

  it('rejects a station-hour outside the time bounds at its first feature', () => {
    const out = mapper.map(fc(feature('humidity', '1999-01-01T00:00:00Z', 1), feature('temp_dry', '1999-01-01T00:00:00Z', 1)), NOW);
    expect(out).toEqual([{ kind: 'reject', index: 1, field: 'properties.observed', reason: 'must be after 2000-01-01T00:00:00Z' }]);
  });

  it('rejects a body that is not a FeatureCollection', () => {
    for (const body of [{ type: 'Feature' }, [], 'x', null, { type: 'FeatureCollection' }])
      expect(mapper.map(body, NOW)).toEqual([{ kind: 'reject', index: -1, field: 'body', reason: expect.any(String) as string }]);
  });
});
