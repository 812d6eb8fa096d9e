// Tests of the mapper registry and format detection, and property tests that throw random JSON,
// random text and damaged versions of the real-looking fixtures at every mapper: none may throw,
// every reject names a field and a reason, every record passes the checks again.

import avro from 'avsc';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadSchema } from '../../schemas/index.js';
import { checkCityEvent, checkIncident, checkWeatherObservation, DEFAULT_LIMITS } from './checks.js';
import { CONTEXT_MAPPERS, contextMapper, detectContextFormat, neverThrows } from './index.js';
import type { CityEvent, ContextMapper, ContextOutput, Incident, WeatherObservation } from './types.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const ICS = fixture('copenhagen-events.ics');
const OPEN_METEO = JSON.parse(fixture('open-meteo-copenhagen-dst.json')) as Record<string, unknown>;
const DMI = JSON.parse(fixture('dmi-metobs-two-stations.json')) as { features: unknown[] };
const MAPPERS = Object.values(CONTEXT_MAPPERS);

describe('registry', () => {
  it('holds every mapper under kind/name', () => {
    expect(Object.keys(CONTEXT_MAPPERS).sort()).toEqual([
      'events/ics',
      'events/plain',
      'incidents/plain',
      'weather/dmi-metobs',
      'weather/open-meteo',
      'weather/plain',
    ]);
    for (const [key, m] of Object.entries(CONTEXT_MAPPERS)) expect(`${m.kind}/${m.name}`).toBe(key);
    expect(contextMapper('weather', 'ics')).toBeNull();
  });

  it('turns a mapper fault into a body reject, and a bad nowMs into a reject', () => {
    const broken: ContextMapper = {
      name: 'broken',
      kind: 'weather',
      description: '',
      map: () => {
        throw new Error('boom');
      },
    };
    expect(neverThrows(broken).map([], 0)).toEqual([
      { kind: 'reject', index: -1, field: 'body', reason: expect.stringContaining('boom') as string },
    ]);
    expect(CONTEXT_MAPPERS['weather/plain']!.map([], Number.NaN)).toEqual([
      { kind: 'reject', index: -1, field: 'nowMs', reason: 'must be the epoch milliseconds of receipt' },
    ]);
  });
});

describe('records against the Avro schemas', () => {
  it('every record of every fixture is valid for its schemas/ctx-*.avsc, field for field', () => {
    const incidents = [
      {
        id: 'dsb-1',
        kind: 'train_delay',
        start: '2026-11-22T07:40:00+01:00',
        severity: 'high',
        delayMin: 12,
        lat: 55.68,
        lng: 12.58,
        radiusM: 300,
      },
    ];
    const cases = [
      ['weather/open-meteo', OPEN_METEO, Date.parse('2026-03-27T06:00:00Z'), 'ctx-weather'],
      ['weather/dmi-metobs', DMI, Date.parse('2026-11-22T09:15:00Z'), 'ctx-weather'],
      ['events/ics', ICS, Date.parse('2026-11-01T10:00:00Z'), 'ctx-events'],
      ['incidents/plain', incidents, Date.parse('2026-11-22T09:15:00Z'), 'ctx-incidents'],
    ] as const;
    for (const [key, body, now, schema] of cases) {
      const type = avro.Type.forSchema(loadSchema(schema) as avro.Schema);
      const names = (type.schema() as { fields: { name: string }[] }).fields.map((f) => f.name).sort();
      const rs = CONTEXT_MAPPERS[key]!.map(body, now).flatMap((o) => (o.kind === 'record' ? [o.record] : []));
      expect(rs.length).toBeGreaterThan(0);
      for (const r of rs) {
        const bad: string[] = [];
        type.isValid(r, { errorHook: (path) => bad.push(path.join('.')) });
        expect({ key, bad }).toEqual({ key, bad: [] });
        expect(Object.keys(r).sort()).toEqual(names);
      }
    }
  });
});

describe('detectContextFormat', () => {
  const name = (kind: 'weather' | 'events' | 'incidents', type: string | null, body: unknown) =>
    detectContextFormat(kind, type, body)?.name ?? null;

  it('picks ics for text/calendar, or for a body that opens a VCALENDAR whatever its type', () => {
    expect(name('events', 'text/calendar; charset=utf-8', ICS)).toBe('ics');
    expect(name('events', 'application/octet-stream', Buffer.from(`\uFEFF${ICS}`))).toBe('ics');
    expect(name('events', 'text/plain', ICS)).toBe('ics');
    expect(name('events', 'text/calendar', 'garbage')).toBe('ics'); // the mapper then says why
    expect(name('weather', 'text/calendar', ICS)).toBeNull();
  });

  it('picks open-meteo for hourly + latitude (or a list of them, or its error answer)', () => {
    expect(name('weather', 'application/json', OPEN_METEO)).toBe('open-meteo');
    expect(name('weather', 'application/json', [OPEN_METEO, OPEN_METEO])).toBe('open-meteo');
    expect(name('weather', null, JSON.stringify(OPEN_METEO))).toBe('open-meteo');
    expect(name('weather', 'application/json', { error: true, reason: 'Latitude must be in range of -90 to 90°.' })).toBe('open-meteo');
  });

  it('picks dmi-metobs for a FeatureCollection whose features have parameterId and observed', () => {
    expect(name('weather', 'application/geo+json', DMI)).toBe('dmi-metobs');
    expect(name('weather', 'application/json', { type: 'FeatureCollection', features: [] })).toBe('dmi-metobs');
    expect(
      name('weather', 'application/json', { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { name: 'x' } }] }),
    ).toBeNull();
  });

  it('picks plain for an array or {records} of records, for every kind', () => {
    expect(name('weather', 'application/json', [{ stationId: 'a' }])).toBe('plain');
    expect(name('events', 'application/json', { records: [] })).toBe('plain');
    expect(name('incidents', 'application/json', '[{"id": "x"}]')).toBe('plain');
  });

  it('finds nothing for anything else', () => {
    expect(name('incidents', 'application/json', { id: 'x' })).toBeNull();
    expect(name('weather', 'text/plain', 'not json')).toBeNull();
    expect(name('events', 'application/json', 42)).toBeNull();
  });
});

/** The invariants of every answer: well-formed rejects, and records that pass their checks again. */
function assertWellFormed(mapper: ContextMapper, out: ContextOutput[], nowMs: number): void {
  for (const o of out) {
    if (o.kind === 'reject') {
      expect(Number.isInteger(o.index) && o.index >= -1).toBe(true);
      expect(typeof o.field === 'string' && o.field.length > 0).toBe(true);
      expect(typeof o.reason === 'string' && o.reason.length > 0).toBe(true);
      expect(o.reason).not.toMatch(/internal error/);
    } else {
      expect(o.record.receivedAt).toBe(nowMs);
      const errors =
        mapper.kind === 'weather'
          ? checkWeatherObservation(o.record as WeatherObservation, nowMs, DEFAULT_LIMITS.weather)
          : mapper.kind === 'events'
            ? checkCityEvent(o.record as CityEvent, nowMs, DEFAULT_LIMITS.events)
            : checkIncident(o.record as Incident, nowMs, DEFAULT_LIMITS.incidents);
      expect(errors).toEqual([]);
    }
  }
}

const nowArb = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) });
const settings = { numRuns: 150 };

describe('property: no mapper throws, whatever it is given', () => {
  it('random JSON values and random text', () => {
    const body = fc.oneof(fc.jsonValue(), fc.string(), fc.string({ unit: 'binary' }), fc.anything(), fc.json());
    fc.assert(
      fc.property(body, nowArb, (b, now) => {
        for (const m of MAPPERS) assertWellFormed(m, m.map(b, now), now);
      }),
      settings,
    );
  });

  it('lists of near-miss plain records', () => {
    const value = fc.oneof(
      fc.jsonValue(),
      fc.constantFrom('2026-11-22T08:00:00+01:00', '2026-11-22T08:00:00', 1795334400000, 55.68, 12.57, -1, 1e9, '', 'x'.repeat(600)),
      fc.constantFrom('train_delay', 'closure', 'high', '8a1f0583176ffff', 'https://example.com', null),
      fc.array(fc.constantFrom('8a1f0583176ffff', '8A1F0583176FFFF', 'zz', 7)),
    );
    const keys = [
      'id',
      'title',
      'stationId',
      'kind',
      'start',
      'end',
      'observedAt',
      'lat',
      'lng',
      'radiusM',
      'cells',
      'temperatureC',
      'severity',
      'delayMin',
      'url',
      'expectedAttendance',
      'lon',
    ];
    const record = fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 10 });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), fc.boolean(), nowArb, (records, wrap, now) => {
        for (const m of MAPPERS.filter((x) => x.name === 'plain')) assertWellFormed(m, m.map(wrap ? { records } : records, now), now);
      }),
      settings,
    );
  });

  it('damaged Open-Meteo and DMI responses', () => {
    const junk = fc.oneof(fc.jsonValue(), fc.constantFrom(null, 'km/h', 'bft', 3600, 1e12, -1, 'Europe/Copenhagen', '2026-03-29T25:00'));
    const path = fc.constantFrom(
      'utc_offset_seconds',
      'timezone',
      'latitude',
      'hourly_units.wind_speed_10m',
      'hourly.time',
      'hourly.temperature_2m',
      'hourly.weather_code',
    );
    const damageOpenMeteo = fc.array(fc.tuple(path, fc.nat(30), junk), { maxLength: 4 }).map((edits) => {
      const body = structuredClone(OPEN_METEO);
      for (const [p, i, v] of edits) {
        const [head, tail] = p.split('.') as [string, string | undefined];
        if (tail === undefined) body[head] = v;
        else {
          const obj = body[head] as Record<string, unknown>;
          if (Array.isArray(obj[tail]) && i < (obj[tail] as unknown[]).length) (obj[tail] as unknown[])[i] = v;
          else obj[tail] = v;
        }
      }
      return body;
    });
    const prop = fc.constantFrom('parameterId', 'stationId', 'observed', 'value', 'created');
    const damageDmi = fc.array(fc.tuple(fc.nat(DMI.features.length - 1), fc.option(prop), junk), { maxLength: 6 }).map((edits) => {
      const body = structuredClone(DMI);
      for (const [i, p, v] of edits) {
        const f = body.features[i] as { properties?: Record<string, unknown> } | null;
        if (p === null) body.features[i] = v;
        else if (typeof f?.properties === 'object' && f.properties !== null) f.properties[p] = v;
      }
      return body;
    });
    fc.assert(
      fc.property(damageOpenMeteo, damageDmi, nowArb, (om, dmi, now) => {
        const o = CONTEXT_MAPPERS['weather/open-meteo']!;
        const d = CONTEXT_MAPPERS['weather/dmi-metobs']!;
        assertWellFormed(o, o.map(om, now), now);
        assertWellFormed(d, d.map(dmi, now), now);
      }),
      settings,
    );
  });

  it('damaged calendars: lines dropped, repeated, reordered or replaced by junk', () => {
    const lines = ICS.split('\r\n').filter((l) => l.length > 0);
    const line = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...lines) },
      { weight: 1, arbitrary: fc.string() },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'RRULE:FREQ=DAILY',
          'RRULE:FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2',
          'DTSTART;VALUE=DATE:20261301',
          'GEO:;',
          'DURATION:P1Y',
          'TZID:Europe/Copenhagen',
          'X-WR-TIMEZONE:Nowhere',
          'RECURRENCE-ID:20261105T170000Z',
        ),
      },
    );
    const calendar = fc.array(line, { maxLength: 60 }).map((ls) => ['BEGIN:VCALENDAR', ...ls, 'END:VCALENDAR'].join('\r\n'));
    const m = CONTEXT_MAPPERS['events/ics']!;
    fc.assert(
      fc.property(calendar, fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2028, 0, 1) }), (text, now) => {
        assertWellFormed(m, m.map(text, now), now);
      }),
      settings,
    );
  });
});
