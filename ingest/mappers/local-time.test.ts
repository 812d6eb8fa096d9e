// Local wall-clock → instant: DST gaps (moved forward, flagged), repeated hours (earlier by
// default, later on request, or by arrival order), checked against hand-derived instants and
// against Intl's own formatting of random instants (an implementation independent of luxon).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstAfter, isoWithOffset, localCandidates, localToInstant, OccurrenceOrder, readTime } from './local-time.js';

const H = 3_600_000;

describe('localToInstant', () => {
  it('Europe/Copenhagen spring gap: 02:30 on 2026-03-29 never happened; moved forward by the hour and flagged', () => {
    const r = localToInstant('2026-03-29T02:30', 'Europe/Copenhagen');
    // 02:00 CET = 01:00Z is when the clocks jumped to 03:00 CEST; 02:30 read in CET is 01:30Z = 03:30 CEST.
    expect(r).toEqual({
      ms: Date.UTC(2026, 2, 29, 1, 30),
      iso: '2026-03-29T03:30:00+02:00',
      offsetMinutes: 120,
      gapShiftMs: H,
      ambiguous: false,
    });
  });

  it('Europe/Copenhagen autumn repeat: 02:30 on 2026-10-25 happens twice; earlier by default, later on request', () => {
    const earlier = localToInstant('2026-10-25 02:30', 'Europe/Copenhagen');
    const later = localToInstant('2026-10-25 02:30', 'Europe/Copenhagen', { prefer: 'later' });
    expect(earlier).toMatchObject({ ms: Date.UTC(2026, 9, 25, 0, 30), iso: '2026-10-25T02:30:00+02:00', ambiguous: true, gapShiftMs: 0 });
    expect(later).toMatchObject({ ms: Date.UTC(2026, 9, 25, 1, 30), iso: '2026-10-25T02:30:00+01:00', ambiguous: true, gapShiftMs: 0 });
  });

  it('Australia/Melbourne: the 2014-10-05 gap (no 02:00 hour) and the 2014-04-06 repeated 02:00 hour', () => {
    const gap = localToInstant('2014-10-05T02:00', 'Australia/Melbourne');
    expect(gap).toMatchObject({ ms: Date.UTC(2014, 9, 4, 16, 0), iso: '2014-10-05T03:00:00+11:00', gapShiftMs: H });
    expect(localCandidates('2014-10-05T02:59:59', 'Australia/Melbourne')?.candidates).toEqual([]);
    expect(localToInstant('2014-10-05T01:59', 'Australia/Melbourne')).toMatchObject({
      iso: '2014-10-05T01:59:00+10:00',
      gapShiftMs: 0,
      ambiguous: false,
    });
    expect(localToInstant('2014-10-05T03:00', 'Australia/Melbourne')).toMatchObject({ ms: Date.UTC(2014, 9, 4, 16, 0), gapShiftMs: 0 });
    const both = localCandidates('2014-04-06T02:30', 'Australia/Melbourne');
    expect(both?.candidates).toEqual([
      { ms: Date.UTC(2014, 3, 5, 15, 30), offsetMinutes: 660 },
      { ms: Date.UTC(2014, 3, 5, 16, 30), offsetMinutes: 600 },
    ]);
  });

  it('ordinary times are exact; invalid dates and zones give null', () => {
    expect(localToInstant('2019-01-15T12:00:00', 'Australia/Melbourne')).toEqual({
      ms: Date.UTC(2019, 0, 15, 1),
      iso: '2019-01-15T12:00:00+11:00',
      offsetMinutes: 660,
      gapShiftMs: 0,
      ambiguous: false,
    });
    expect(localToInstant('2014-02-30T00:00', 'Australia/Melbourne')).toBeNull();
    expect(localToInstant('2014-02-03T24:00', 'Australia/Melbourne')).toBeNull();
    expect(localToInstant('2014-02-03', 'Australia/Melbourne')).toBeNull();
    expect(localToInstant('2014-02-03T10:00', 'Mars/Olympus_Mons')).toBeNull();
  });

  const ZONES = ['Europe/Copenhagen', 'Australia/Melbourne', 'America/New_York', 'Asia/Tokyo', 'Australia/Lord_Howe', 'UTC'];

  const formats = new Map<string, Intl.DateTimeFormat>();
  function wallClock(ms: number, zone: string): string {
    let f = formats.get(zone);
    if (f === undefined) {
      f = new Intl.DateTimeFormat('en-CA', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
      formats.set(zone, f);
    }
    const parts = f.formatToParts(new Date(ms));
    const get = (t: string): string => parts.find((p) => p.type === t)!.value;
    return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}:${get('second')}`;
  }

  it('every instant is one of the candidates of its own wall-clock time, and every candidate shows that wall-clock time (Intl)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1) / 1000, max: Date.UTC(2035, 0, 1) / 1000 }),
        fc.constantFrom(...ZONES),
        (sec, zone) => {
          const ms = sec * 1000;
          const local = wallClock(ms, zone);
          const found = localCandidates(local, zone)!;
          expect(found.gap).toBeNull();
          expect(found.candidates.map((c) => c.ms)).toContain(ms);
          for (const c of found.candidates) expect(wallClock(c.ms, zone)).toBe(local);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('around transitions: a gap time never shows as itself, and its shifted instant shows as itself + the gap', () => {
    // Every quarter hour across the spring and autumn changes of three zones.
    const starts = [
      ['Europe/Copenhagen', '2026-03-29'],
      ['Europe/Copenhagen', '2026-10-25'],
      ['Australia/Melbourne', '2014-10-05'],
      ['Australia/Melbourne', '2014-04-06'],
      ['America/New_York', '2017-03-12'],
      ['America/New_York', '2017-11-05'],
      ['Australia/Lord_Howe', '2014-10-05'],
    ] as const;
    let gaps = 0;
    let repeats = 0;
    for (const [zone, day] of starts) {
      for (let m = 0; m < 24 * 60; m += 15) {
        const local = `${day}T${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}:00`;
        const r = localToInstant(local, zone)!;
        if (r.gapShiftMs > 0) {
          gaps++;
          expect(wallClock(r.ms, zone)).not.toBe(local);
          expect(wallClock(r.ms - r.gapShiftMs, zone)).not.toBe(local);
          expect(Date.parse(`${wallClock(r.ms, zone)}Z`) - Date.parse(`${local}Z`)).toBe(r.gapShiftMs);
        } else expect(wallClock(r.ms, zone)).toBe(local);
        if (r.ambiguous) repeats++;
      }
    }
    // One hour (four quarters) per change, Lord Howe's half hour (two quarters) once.
    expect(gaps).toBe(4 + 4 + 4 + 2);
    expect(repeats).toBe(4 + 4 + 4);
  });
});

describe('readTime', () => {
  it('keeps the offset a vendor wrote, reads epoch ms, and refuses a local time without a zone', () => {
    expect(readTime('2024-09-25T14:56:24+09:00')).toMatchObject({
      ok: true,
      ms: Date.UTC(2024, 8, 25, 5, 56, 24),
      iso: '2024-09-25T14:56:24+09:00',
    });
    expect(readTime(Date.UTC(2020, 0, 1))).toMatchObject({ ok: true, iso: '2020-01-01T00:00:00Z' });
    expect(readTime('1577836800000')).toMatchObject({ ok: true, ms: Date.UTC(2020, 0, 1) });
    expect(readTime('2020-01-01T00:00:00')).toMatchObject({ ok: false });
    expect(readTime('2024-09-25')).toMatchObject({ ok: false });
    expect(readTime(undefined)).toEqual({ ok: false, reason: 'is missing' });
    expect(readTime('2026-03-29T02:30', { zone: 'Europe/Copenhagen', gap: 'reject' })).toMatchObject({ ok: false });
    expect(readTime('2026-03-29T02:30', { zone: 'Europe/Copenhagen' })).toMatchObject({ ok: true, gapShiftMs: H });
  });

  it('arrival order per key: the first repeated 02:30 is the earlier instant, the second the later, a third is refused', () => {
    const order = new OccurrenceOrder();
    const read = (key: string): ReturnType<typeof readTime> =>
      readTime('2026-10-25T02:30', { zone: 'Europe/Copenhagen', choose: order.chooser(key) });
    expect(read('a')).toMatchObject({ ok: true, ms: Date.UTC(2026, 9, 25, 0, 30) });
    expect(read('b')).toMatchObject({ ok: true, ms: Date.UTC(2026, 9, 25, 0, 30) });
    expect(read('a')).toMatchObject({ ok: true, ms: Date.UTC(2026, 9, 25, 1, 30) });
    expect(read('a')).toMatchObject({ ok: false });
  });

  it('firstAfter picks the first occurrence after a previous reading', () => {
    const prev = Date.UTC(2026, 9, 25, 0, 30);
    expect(readTime('2026-10-25T02:30', { zone: 'Europe/Copenhagen', choose: firstAfter(prev) })).toMatchObject({ ms: prev + H });
    expect(readTime('2026-10-25T02:30', { zone: 'Europe/Copenhagen', choose: firstAfter(prev - 1) })).toMatchObject({ ms: prev });
  });

  it('isoWithOffset writes negative, half-hour and zero offsets', () => {
    expect(isoWithOffset(Date.UTC(2017, 5, 17, 4), -240)).toBe('2017-06-17T00:00:00-04:00');
    expect(isoWithOffset(Date.UTC(2014, 9, 4, 15, 30), 630)).toBe('2014-10-05T02:00:00+10:30');
    expect(isoWithOffset(Date.UTC(2020, 0, 1, 0, 0, 0, 5), 0)).toBe('2020-01-01T00:00:00.005Z');
  });
});
