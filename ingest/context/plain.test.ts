// Tests of the plain weather, events and incidents mappers: records as Passage's own shape in a
// JSON array or {records}, the hour truncation of weather, and the per-field rejects of bad ones.

import { describe, expect, it } from 'vitest';
import { eventsPlainMapper, incidentsPlainMapper, weatherPlainMapper } from './plain.js';
import type { CityEvent, ContextOutput, Incident, WeatherObservation } from './types.js';

const NOW = Date.parse('2026-11-22T09:30:00Z');
const weather = weatherPlainMapper();
const events = eventsPlainMapper();
const incidents = incidentsPlainMapper();

const records = <R>(out: ContextOutput[]) => out.flatMap((o) => (o.kind === 'record' ? [o.record as R] : []));
const faults = (out: ContextOutput[]) => out.flatMap((o) => (o.kind === 'reject' ? [[o.index, o.field]] : []));
function reasonOf(out: ContextOutput[], field: string): string | undefined {
  for (const o of out) if (o.kind === 'reject' && o.field === field) return o.reason;
  return undefined;
}

describe('weather plain', () => {
  const station = { stationId: 'roof-7', lat: 55.6761, lng: 12.5683 };

  it('truncates observedAt to its hour, which makes the id; absent values are null, provider defaults to unknown', () => {
    const out = weather.map([{ ...station, observedAt: '2026-11-22T09:50:00+01:00', temperatureC: 4.5, condition: 'drizzle' }], NOW);
    expect(records<WeatherObservation>(out)).toEqual([
      {
        id: `roof-7:${Date.parse('2026-11-22T08:00:00Z')}`,
        stationId: 'roof-7',
        lat: 55.6761,
        lng: 12.5683,
        observedAt: Date.parse('2026-11-22T08:00:00Z'),
        temperatureC: 4.5,
        precipitationMm: null,
        windSpeedMs: null,
        cloudCoverPct: null,
        condition: 'drizzle',
        provider: 'unknown',
        receivedAt: NOW,
      },
    ]);
  });

  it('takes {records}, JSON text, epoch milliseconds and explicit nulls', () => {
    const body = JSON.stringify({
      records: [{ ...station, observedAt: Date.parse('2026-11-22T07:15:00Z'), windSpeedMs: null, provider: 'netatmo' }],
    });
    const [r] = records<WeatherObservation>(weather.map(body, NOW));
    expect([r!.observedAt, r!.windSpeedMs, r!.provider]).toEqual([Date.parse('2026-11-22T07:00:00Z'), null, 'netatmo']);
  });

  it('rejects each fault of each bad record at its index, and keeps the good ones', () => {
    const out = weather.map(
      [
        { ...station, observedAt: '2026-11-22T08:00:00' },
        { ...station, lon: 12.5, observedAt: '2026-11-22T08:00:00Z' },
        { ...station, observedAt: '2026-11-22T08:00:00Z', temperatureC: 200, cloudCoverPct: -1 },
        { stationId: '', lat: 95, observedAt: '1999-12-31T23:00:00Z' },
        { ...station, observedAt: '2027-11-22T08:00:00Z' },
        { ...station, observedAt: '2026-11-22T08:00:00Z' },
        'not a record',
      ],
      NOW,
    );
    expect(faults(out)).toEqual([
      [0, 'observedAt'],
      [1, 'lon'],
      [2, 'temperatureC'],
      [2, 'cloudCoverPct'],
      [3, 'lng'],
      [3, 'stationId'],
      [3, 'lat'],
      [4, 'observedAt'],
      [6, 'record'],
    ]);
    expect(reasonOf(out, 'lon')).toMatch(/^is not a field of this record \(fields: stationId, lat, lng/);
    expect(reasonOf(out, 'temperatureC')).toBe('must be a number from -90 to 60 or null');
    expect(reasonOf(out, 'lng')).toBe('is required');
    expect(records(out)).toHaveLength(1);
  });

  it('names a stray field even when it is called like an Object.prototype member (found by the property test)', () => {
    const out = weather.map([{ ...station, observedAt: '2026-11-22T08:00:00Z', valueOf: '' }], NOW);
    expect(faults(out)).toEqual([[0, 'valueOf']]);
  });

  it('rejects a body that is not a list of records', () => {
    for (const body of [{ stationId: 'x' }, 'nope', 7, null])
      expect(weather.map(body, NOW)).toEqual([{ kind: 'reject', index: -1, field: 'body', reason: expect.any(String) as string }]);
    expect(weather.map([], NOW)).toEqual([]);
  });
});

describe('events plain', () => {
  const event = { id: 'ev-1', title: 'Julemarked', start: '2026-12-01T10:00:00+01:00', end: '2026-12-01T18:00:00+01:00' };

  it('maps a full event, lower-casing H3 cells', () => {
    const out = events.map(
      [
        {
          ...event,
          category: 'market',
          lat: 55.6786,
          lng: 12.5786,
          radiusM: 250,
          cells: ['8A1F0583176FFFF'],
          expectedAttendance: 4000,
          url: 'https://kk.dk/jul',
        },
      ],
      NOW,
    );
    expect(records<CityEvent>(out)).toEqual([
      {
        id: 'ev-1',
        title: 'Julemarked',
        category: 'market',
        start: Date.parse('2026-12-01T09:00:00Z'),
        end: Date.parse('2026-12-01T17:00:00Z'),
        lat: 55.6786,
        lng: 12.5786,
        radiusM: 250,
        cells: ['8a1f0583176ffff'],
        expectedAttendance: 4000,
        url: 'https://kk.dk/jul',
        receivedAt: NOW,
      },
    ]);
  });

  it('rejects a bad end, a lone lat, a radius without a place, invalid cells, a non-http URL, a fractional attendance and a long title', () => {
    const out = events.map(
      [
        { ...event, end: '2026-12-01T09:00:00+01:00' },
        { ...event, lat: 55.6 },
        { ...event, radiusM: 100 },
        { ...event, cells: ['8a1f0583176ffff', 'ffffffffffffffff', 'x'] },
        { ...event, url: 'javascript:alert(1)' },
        { ...event, expectedAttendance: 12.5 },
        { ...event, title: 'x'.repeat(501) },
        { ...event, start: '2026-01-01T00:00:00Z', end: '2027-06-01T00:00:00Z' },
      ],
      NOW,
    );
    expect(faults(out)).toEqual([
      [0, 'end'],
      [1, 'lng'],
      [2, 'radiusM'],
      [3, 'cells.1'],
      [3, 'cells.2'],
      [4, 'url'],
      [5, 'expectedAttendance'],
      [6, 'title'],
      [7, 'end'],
    ]);
    expect(reasonOf(out, 'lng')).toBe('lat and lng must be given together');
    expect(reasonOf(out, 'title')).toBe('must be a string of 1 to 500 characters');
  });
});

describe('incidents plain', () => {
  const incident = { id: 'dsb-4711', kind: 'train_delay', start: '2026-11-22T07:40:00+01:00' };

  it('maps an ongoing incident (end absent or null) and a closed one', () => {
    const out = incidents.map(
      [
        {
          ...incident,
          line: 'Kystbanen',
          delayMin: 25,
          severity: 'medium',
          lat: 55.6888,
          lng: 12.5865,
          description: 'Signalfejl ved Østerport',
        },
        { ...incident, id: 'vd-12', kind: 'closure', end: null, radiusM: 150, lat: 55.67, lng: 12.57 },
        { ...incident, id: 'pol-3', kind: 'accident', end: '2026-11-22T08:30:00+01:00' },
      ],
      NOW,
    );
    const rs = records<Incident>(out);
    expect(faults(out)).toEqual([]);
    expect(rs[0]).toEqual({
      id: 'dsb-4711',
      kind: 'train_delay',
      start: Date.parse('2026-11-22T06:40:00Z'),
      end: null,
      lat: 55.6888,
      lng: 12.5865,
      radiusM: null,
      severity: 'medium',
      line: 'Kystbanen',
      delayMin: 25,
      description: 'Signalfejl ved Østerport',
      receivedAt: NOW,
    });
    expect(rs.map((r) => r.end)).toEqual([null, null, Date.parse('2026-11-22T07:30:00Z')]);
  });

  it('rejects unknown kinds and severities, an end before the start, a negative delay and a bad end', () => {
    const out = incidents.map(
      [
        { ...incident, kind: 'strike' },
        { ...incident, severity: 'extreme' },
        { ...incident, end: '2026-11-22T07:00:00+01:00' },
        { ...incident, delayMin: -3 },
        { ...incident, end: 'soon' },
        { ...incident, id: '' },
      ],
      NOW,
    );
    expect(faults(out)).toEqual([
      [0, 'kind'],
      [1, 'severity'],
      [2, 'end'],
      [3, 'delayMin'],
      [4, 'end'],
      [5, 'id'],
    ]);
    expect(reasonOf(out, 'kind')).toBe('must be one of train_delay, accident, closure, other');
    expect(reasonOf(out, 'severity')).toBe('must be one of low, medium, high or null');
  });
});
