// Tests of the iCalendar mapper on a Google-style calendar of Copenhagen events (fixtures/
// copenhagen-events.ics) and on small calendars for each rule: zones, all-day, DURATION,
// recurrence and its window, and per-VEVENT rejects.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { icsMapper } from './ics.js';
import type { CityEvent, ContextOutput } from './types.js';

const NOW = Date.parse('2026-11-01T10:00:00Z');
const FIXTURE = readFileSync(new URL('./fixtures/copenhagen-events.ics', import.meta.url), 'utf8');
const ics = icsMapper();

const records = (out: ContextOutput[]) => out.flatMap((o) => (o.kind === 'record' ? [o.record as CityEvent] : []));
const rejects = (out: ContextOutput[]) => out.flatMap((o) => (o.kind === 'reject' ? [o] : []));
const iso = (ms: number) => new Date(ms).toISOString();

function calendar(...vevents: string[][]): string {
  const body = vevents.flatMap((v) => ['BEGIN:VEVENT', ...v, 'END:VEVENT']);
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Passage//tests//EN', ...body, 'END:VCALENDAR'].join('\r\n');
}

describe('ics mapper on a real-looking calendar', () => {
  const out = ics.map(FIXTURE, NOW);
  const byId = new Map(records(out).map((r) => [r.id, r]));

  it('maps a TZID event (zone from the VTIMEZONE) with GEO, radius, attendance, category and URL', () => {
    expect(byId.get('parken-2026-11-22-fck-bif@events.example.dk')).toEqual({
      id: 'parken-2026-11-22-fck-bif@events.example.dk',
      title: 'F.C. København – Brøndby IF',
      category: 'SPORT',
      start: Date.parse('2026-11-22T17:00:00Z'),
      end: Date.parse('2026-11-22T19:00:00Z'),
      lat: 55.702512,
      lng: 12.572062,
      radiusM: 800,
      cells: [],
      expectedAttendance: 35000,
      url: 'https://events.example.dk/parken/2026-11-22',
      receivedAt: NOW,
    });
  });

  it('spans an all-day event from local midnight to local midnight, with the default radius', () => {
    const r = byId.get('tivoli-jul-2026@events.example.dk')!;
    expect(iso(r.start)).toBe('2026-11-13T23:00:00.000Z');
    expect(iso(r.end)).toBe('2027-01-03T23:00:00.000Z');
    expect(r.radiusM).toBe(500);
  });

  it('takes UTC times as they are', () => {
    const r = byId.get('lysfest-raadhuspladsen-2026@events.example.dk')!;
    expect([iso(r.start), iso(r.end), r.expectedAttendance]).toEqual(['2026-11-27T16:00:00.000Z', '2026-11-27T19:00:00.000Z', 8000]);
  });

  it('expands the weekly event within the window: EXDATE out, override moved, local time kept across the DST change, UNTIL inclusive', () => {
    const runs = records(out).filter((r) => r.id.startsWith('faelledparken-loeb@events.example.dk:'));
    // Oct 1 ends before the window (now − 30 days); Oct 15 is an EXDATE.
    expect(runs.map((r) => iso(r.start))).toEqual([
      '2026-10-08T16:00:00.000Z',
      '2026-10-22T16:00:00.000Z',
      '2026-10-29T17:00:00.000Z',
      '2026-11-05T18:00:00.000Z',
      '2026-11-12T17:00:00.000Z',
      '2026-11-19T17:00:00.000Z',
      '2026-11-26T17:00:00.000Z',
      '2026-12-03T17:00:00.000Z',
      '2026-12-10T17:00:00.000Z',
      '2026-12-17T17:00:00.000Z',
    ]);
    const moved = runs[3]!;
    expect(moved.id).toBe(`faelledparken-loeb@events.example.dk:${Date.parse('2026-11-05T17:00:00Z')}`);
    expect([moved.title, iso(moved.end), moved.expectedAttendance]).toEqual([
      'Torsdagsløb i Fælledparken (sen start)',
      '2026-11-05T19:30:00.000Z',
      null,
    ]);
    expect(runs[0]!.end - runs[0]!.start).toBe(90 * 60_000);
    expect(runs.every((r) => r.radiusM === 400 && r.lat === 55.7001)).toBe(true);
  });

  it('keeps an event without GEO, with no place', () => {
    const r = byId.get('borgerrepraesentationen-2026-11-26@events.example.dk')!;
    expect([r.lat, r.lng, r.radiusM, r.category, r.url]).toEqual([null, null, null, null, null]);
    expect(iso(r.start)).toBe('2026-11-26T16:00:00.000Z');
  });

  it('rejects the malformed VEVENT and the bad DTSTART by index, skips the cancelled one, keeps the rest', () => {
    expect(rejects(out).map((r) => [r.index, r.field])).toEqual([
      [6, 'VEVENT'],
      [7, 'DTSTART'],
    ]);
    expect(rejects(out)[0]!.reason).toMatch(/LOCATION Assistens/);
    expect(byId.has('aflyst-optog-2026@events.example.dk')).toBe(false);
    expect(byId.size).toBe(5 + 10 - 1);
    expect(records(out).every((r) => r.receivedAt === NOW)).toBe(true);
  });

  it('reads bytes as well as text', () => {
    expect(ics.map(Buffer.from(FIXTURE, 'utf8'), NOW)).toEqual(out);
  });
});

describe('ics zones', () => {
  it('reads an IANA TZID without VTIMEZONE in that zone, DST included', () => {
    const out = ics.map(
      calendar(
        ['UID:a', 'SUMMARY:Summer', 'DTSTART;TZID=Europe/Copenhagen:20260701T190000', 'DTEND;TZID=Europe/Copenhagen:20260701T220000'],
        ['UID:b', 'SUMMARY:Winter', 'DTSTART;TZID="/Europe/Copenhagen":20261201T190000', 'DTEND;TZID=Europe/Copenhagen:20261201T220000'],
      ),
      NOW,
    );
    expect(records(out).map((r) => [iso(r.start), iso(r.end)])).toEqual([
      ['2026-07-01T17:00:00.000Z', '2026-07-01T20:00:00.000Z'],
      ['2026-12-01T18:00:00.000Z', '2026-12-01T21:00:00.000Z'],
    ]);
  });

  it('uses a VTIMEZONE the calendar defines under a non-IANA name (Outlook)', () => {
    const text = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN',
      'BEGIN:VTIMEZONE',
      'TZID:W. Europe Standard Time',
      'BEGIN:STANDARD',
      'DTSTART:16011028T030000',
      'RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10',
      'TZOFFSETFROM:+0200',
      'TZOFFSETTO:+0100',
      'END:STANDARD',
      'BEGIN:DAYLIGHT',
      'DTSTART:16010325T020000',
      'RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3',
      'TZOFFSETFROM:+0100',
      'TZOFFSETTO:+0200',
      'END:DAYLIGHT',
      'END:VTIMEZONE',
      'BEGIN:VEVENT',
      'UID:040000008200E00074C5B7101A82E00800000000D0A6A2D1C1F4DA01000000000000000010000000A1B2C3D4E5F60718293A4B5C6D7E8F90',
      'SUMMARY:Møde',
      'DTSTART;TZID=W. Europe Standard Time:20260610T090000',
      'DTEND;TZID=W. Europe Standard Time:20260610T100000',
      'END:VEVENT',
      'END:VCALENDAR',
    ].join('\r\n');
    const [r] = records(ics.map(text, NOW));
    expect(iso(r!.start)).toBe('2026-06-10T07:00:00.000Z');
  });

  it('rejects a TZID that is neither defined nor IANA', () => {
    const out = ics.map(calendar(['UID:a', 'SUMMARY:x', 'DTSTART;TZID=Romance Standard Time:20261201T190000', 'DURATION:PT1H']), NOW);
    expect(rejects(out)).toEqual([
      { kind: 'reject', index: 0, field: 'DTSTART', reason: expect.stringMatching(/Romance Standard Time.*VTIMEZONE/) as string },
    ]);
  });

  it('reads floating times and all-day dates in X-WR-TIMEZONE, else the default zone option', () => {
    const vevents = [
      ['UID:f', 'SUMMARY:Floating', 'DTSTART:20261201T190000', 'DTEND:20261201T200000'],
      ['UID:d', 'SUMMARY:Day', 'DTSTART;VALUE=DATE:20261201'],
    ];
    const withWr = calendar(...vevents).replace('VERSION:2.0', 'VERSION:2.0\r\nX-WR-TIMEZONE:Europe/London');
    expect(records(ics.map(withWr, NOW)).map((r) => [iso(r.start), iso(r.end)])).toEqual([
      ['2026-12-01T19:00:00.000Z', '2026-12-01T20:00:00.000Z'],
      ['2026-12-01T00:00:00.000Z', '2026-12-02T00:00:00.000Z'],
    ]);
    const ny = icsMapper({ defaultTimeZone: 'America/New_York' });
    expect(records(ny.map(calendar(...vevents), NOW)).map((r) => iso(r.start))).toEqual([
      '2026-12-02T00:00:00.000Z',
      '2026-12-01T05:00:00.000Z',
    ]);
  });

  it('leaves radiusM null for GEO without radius when the default radius is switched off', () => {
    const out = icsMapper({ defaultRadiusM: null }).map(
      calendar(['UID:a', 'SUMMARY:x', 'DTSTART:20261201T190000Z', 'DURATION:PT1H', 'GEO:55.6;12.5']),
      NOW,
    );
    expect(records(out).map((r) => [r.lat, r.radiusM])).toEqual([[55.6, null]]);
  });

  it('refuses a default zone that is not an IANA zone when the mapper is built', () => {
    expect(() => icsMapper({ defaultTimeZone: 'Mars/Olympus' })).toThrow(/IANA/);
  });
});

describe('ics event fields', () => {
  const one = (...props: string[]) => ics.map(calendar(props), NOW);

  it('takes DURATION instead of DTEND and names it in rejects', () => {
    expect(records(one('UID:a', 'SUMMARY:x', 'DTSTART:20261201T190000Z', 'DURATION:PT2H30M')).map((r) => iso(r.end))).toEqual([
      '2026-12-01T21:30:00.000Z',
    ]);
    expect(rejects(one('UID:a', 'SUMMARY:x', 'DTSTART:20261201T190000Z', 'DURATION:-PT1H')).map((r) => [r.field, r.reason])).toEqual([
      ['DURATION', 'must be after start'],
    ]);
  });

  it('rejects a DATE-TIME event with neither DTEND nor DURATION, and an end before the start', () => {
    expect(rejects(one('UID:a', 'SUMMARY:x', 'DTSTART:20261201T190000Z')).map((r) => r.field)).toEqual(['DTEND']);
    expect(
      rejects(one('UID:a', 'SUMMARY:x', 'DTSTART:20261201T190000Z', 'DTEND:20261201T180000Z')).map((r) => [r.field, r.reason]),
    ).toEqual([['DTEND', 'must be after start']]);
  });

  it('rejects missing UID, SUMMARY and DTSTART', () => {
    expect(rejects(one('SUMMARY:x', 'DTSTART:20261201T190000Z', 'DURATION:PT1H')).map((r) => r.field)).toEqual(['UID']);
    expect(rejects(one('UID:a', 'DTSTART:20261201T190000Z', 'DURATION:PT1H')).map((r) => r.field)).toEqual(['SUMMARY']);
    expect(rejects(one('UID:a', 'SUMMARY:x', 'DURATION:PT1H')).map((r) => r.field)).toEqual(['DTSTART']);
  });

  it('reads GEO strictly: out of range and unparsable are rejected, "lat,lng" is accepted', () => {
    const base = ['UID:a', 'SUMMARY:x', 'DTSTART:20261201T190000Z', 'DURATION:PT1H'];
    expect(rejects(one(...base, 'GEO:95.1;12.5')).map((r) => [r.field, r.reason])).toEqual([['GEO', 'must be between -90 and 90']]);
    // ical.js alone would read this as 0;0.
    expect(rejects(one(...base, 'GEO:abc;def')).map((r) => r.field)).toEqual(['GEO']);
    expect(records(one(...base, 'GEO:55.67,12.56')).map((r) => [r.lat, r.lng])).toEqual([[55.67, 12.56]]);
  });

  it('rejects malformed extension values and a radius without GEO', () => {
    const base = ['UID:a', 'SUMMARY:x', 'DTSTART:20261201T190000Z', 'DURATION:PT1H'];
    expect(rejects(one(...base, 'X-EXPECTED-ATTENDANCE:many')).map((r) => r.field)).toEqual(['X-EXPECTED-ATTENDANCE']);
    expect(rejects(one(...base, 'X-PASSAGE-RADIUS-M:-5')).map((r) => r.field)).toEqual(['X-PASSAGE-RADIUS-M']);
    expect(rejects(one(...base, 'X-PASSAGE-RADIUS-M:300')).map((r) => [r.field, r.reason])).toEqual([
      ['X-PASSAGE-RADIUS-M', 'needs lat and lng (a radius around nothing)'],
    ]);
    expect(rejects(one(...base, 'URL:ftp://example.com/x')).map((r) => r.field)).toEqual(['URL']);
  });

  it('rejects times before 2000 and absurdly far ahead', () => {
    expect(rejects(one('UID:a', 'SUMMARY:x', 'DTSTART:19991231T190000Z', 'DTEND:20000101T190000Z')).map((r) => r.field)).toEqual([
      'DTSTART',
    ]);
    expect(rejects(one('UID:a', 'SUMMARY:x', 'DTSTART:20451231T190000Z', 'DURATION:PT1H')).map((r) => r.field)).toEqual([
      'DTSTART',
      'DURATION',
    ]);
  });
});

describe('ics recurrence', () => {
  it('aligns UTC UNTIL and EXDATE with an IANA TZID that has no VTIMEZONE, and honours a cancelled override', () => {
    const out = ics.map(
      calendar(
        [
          'UID:w',
          'SUMMARY:Weekly',
          'DTSTART;TZID=Europe/Copenhagen:20261015T180000',
          'DTEND;TZID=Europe/Copenhagen:20261015T200000',
          'RRULE:FREQ=WEEKLY;UNTIL=20261112T170000Z',
          'EXDATE:20261022T160000Z',
        ],
        [
          'UID:w',
          'RECURRENCE-ID;TZID=Europe/Copenhagen:20261105T180000',
          'DTSTART;TZID=Europe/Copenhagen:20261105T180000',
          'SUMMARY:Weekly',
          'STATUS:CANCELLED',
        ],
      ),
      NOW,
    );
    expect(rejects(out)).toEqual([]);
    expect(records(out).map((r) => iso(r.start))).toEqual([
      '2026-10-15T16:00:00.000Z',
      '2026-10-29T17:00:00.000Z',
      '2026-11-12T17:00:00.000Z',
    ]);
  });

  it('expands an endless rule only within [now − 30 days, now + 365 days)', () => {
    const out = ics.map(calendar(['UID:d', 'SUMMARY:Daily', 'DTSTART:20200101T120000Z', 'DURATION:PT1H', 'RRULE:FREQ=DAILY']), NOW);
    const starts = records(out).map((r) => r.start);
    expect(starts.length).toBe(395);
    expect(iso(starts[0]!)).toBe('2026-10-02T12:00:00.000Z');
    expect(iso(starts.at(-1)!)).toBe('2027-10-31T12:00:00.000Z');
  });

  it('expands all-day recurring dates in the calendar zone', () => {
    const out = ics.map(calendar(['UID:m', 'SUMMARY:Market', 'DTSTART;VALUE=DATE:20261205', 'RRULE:FREQ=WEEKLY;COUNT=2']), NOW);
    expect(records(out).map((r) => [r.id, iso(r.start), iso(r.end)])).toEqual([
      [`m:${Date.parse('2026-12-04T23:00:00Z')}`, '2026-12-04T23:00:00.000Z', '2026-12-05T23:00:00.000Z'],
      [`m:${Date.parse('2026-12-11T23:00:00Z')}`, '2026-12-11T23:00:00.000Z', '2026-12-12T23:00:00.000Z'],
    ]);
  });

  it('stops a rule with too many occurrences in the window, and one that never reaches it', () => {
    const small = icsMapper({ maxOccurrencesPerEvent: 5 });
    const out = small.map(calendar(['UID:h', 'SUMMARY:Hourly', 'DTSTART:20261101T000000Z', 'DURATION:PT30M', 'RRULE:FREQ=HOURLY']), NOW);
    expect(records(out)).toHaveLength(5);
    expect(rejects(out).map((r) => r.field)).toEqual(['RRULE']);
    const slow = icsMapper({ maxExpansionSteps: 2000 }).map(
      calendar(['UID:s', 'SUMMARY:Secondly', 'DTSTART:20250101T000000Z', 'DURATION:PT1S', 'RRULE:FREQ=SECONDLY']),
      NOW,
    );
    expect(records(slow)).toHaveLength(0);
    expect(rejects(slow)).toEqual([
      { kind: 'reject', index: 0, field: 'RRULE', reason: expect.stringContaining('within 2000 occurrences') as string },
    ]);
  });

  it('maps an override whose series is not in the calendar on its own, under the occurrence id', () => {
    const out = ics.map(
      calendar(['UID:o', 'RECURRENCE-ID:20261105T170000Z', 'SUMMARY:Moved', 'DTSTART:20261105T190000Z', 'DTEND:20261105T200000Z']),
      NOW,
    );
    expect(records(out).map((r) => r.id)).toEqual([`o:${Date.parse('2026-11-05T17:00:00Z')}`]);
  });
});

describe('ics bodies that are not calendars', () => {
  it('answers one body reject', () => {
    for (const body of ['hello', '', { events: [] }, 42, 'BEGIN:VCARD\r\nEND:VCARD', 'BEGIN:VCALENDAR\r\nnot a line\r\nEND:VCALENDAR']) {
      const out = ics.map(body, NOW);
      expect(out).toEqual([{ kind: 'reject', index: -1, field: 'body', reason: expect.any(String) as string }]);
    }
  });

  it('answers nothing for an empty calendar', () => {
    expect(ics.map(calendar(), NOW)).toEqual([]);
  });
});
