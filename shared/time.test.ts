// ZoneCalendar against luxon: the same text and the same instants for random times and for the
// instants around DST changes, in zones with whole-hour, half-hour and 45-minute offsets, half-hour
// DST shifts, and the fixed zone UTC.

import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { DAY_MS, formatInstant, HOUR_MS, MIN_TIME_MS, MINUTE_MS, ZoneCalendar } from './time.js';

const ZONES = [
  'Europe/Copenhagen',
  'UTC',
  'Etc/UTC',
  'Europe/London',
  'America/New_York',
  'America/Sao_Paulo', // DST changes at midnight until 2019: days whose midnight does not exist
  'America/St_Johns', // -03:30 / -02:30
  'Asia/Kolkata', // +05:30
  'Asia/Kathmandu', // +05:45
  'Australia/Lord_Howe', // a half-hour DST shift
  'Pacific/Chatham', // +12:45 / +13:45
  'Pacific/Apia', // skipped a whole day (2011-12-30)
];
const MAX_MS = Date.UTC(2040, 0, 1);

const luxon = {
  format: (ms: number, z: string) => DateTime.fromMillis(ms, { zone: z }).toISO({ suppressMilliseconds: true }),
  startOf: (ms: number, z: string, unit: 'hour' | 'day' | 'week') => DateTime.fromMillis(ms, { zone: z }).startOf(unit).toMillis(),
  plusDays: (ms: number, z: string, days: number) => DateTime.fromMillis(ms, { zone: z }).plus({ days }).toMillis(),
};

function check(ms: number, zone: string): void {
  const c = ZoneCalendar.of(zone);
  expect(c.format(ms), `${zone} ${ms}`).toBe(luxon.format(ms, zone));
  for (const unit of ['hour', 'day', 'week'] as const)
    expect(c.startOf(ms, unit), `${zone} ${ms} ${unit}`).toBe(luxon.startOf(ms, zone, unit));
  for (const days of [1, 7]) expect(c.plusDays(ms, days), `${zone} ${ms} +${days}d`).toBe(luxon.plusDays(ms, zone, days));
}

/** The instants at which `zone` changes its offset between `from` and `to` (to the minute). */
function transitions(zone: string, from: number, to: number): number[] {
  const out: number[] = [];
  const off = (ms: number) => DateTime.fromMillis(ms, { zone }).offset;
  for (let t = from; t < to; t += 6 * HOUR_MS) {
    if (off(t) === off(t + 6 * HOUR_MS)) continue;
    let lo = t;
    let hi = t + 6 * HOUR_MS;
    while (hi - lo > MINUTE_MS) {
      const mid = lo + Math.floor((hi - lo) / 2 / MINUTE_MS) * MINUTE_MS || lo + MINUTE_MS;
      if (off(mid) === off(lo)) lo = mid;
      else hi = mid;
    }
    out.push(hi);
  }
  return out;
}

describe('ZoneCalendar', () => {
  it('gives what luxon gives at random instants', () => {
    fc.assert(
      fc.property(fc.integer({ min: MIN_TIME_MS, max: MAX_MS }), fc.constantFrom(...ZONES), (ms, zone) => check(ms, zone)),
      { numRuns: 5000 },
    );
  });

  it('gives what luxon gives around every offset change, and at whole hours and days next to them', () => {
    let changes = 0;
    for (const zone of ZONES) {
      for (const t of transitions(zone, Date.UTC(2009, 0, 1), Date.UTC(2013, 0, 1))) {
        changes += 1;
        for (const d of [-DAY_MS, -HOUR_MS, -30 * MINUTE_MS, -1, 0, 1, 30 * MINUTE_MS, HOUR_MS, 90 * MINUTE_MS, DAY_MS]) check(t + d, zone);
      }
    }
    // Every DST zone above changes twice a year (Apia and Sao Paulo included): the search found them.
    expect(changes).toBeGreaterThan(60);
  });

  it('writes UTC as Z, other zones with their offset, milliseconds only when there are some', () => {
    const t = Date.UTC(2026, 10, 22, 7, 5, 9);
    expect(formatInstant(t, 'UTC')).toBe('2026-11-22T07:05:09Z');
    expect(formatInstant(t, 'Europe/Copenhagen')).toBe('2026-11-22T08:05:09+01:00');
    expect(formatInstant(t + 7, 'Asia/Kathmandu')).toBe('2026-11-22T12:50:09.007+05:45');
    expect(formatInstant(t, 'America/St_Johns')).toBe('2026-11-22T03:35:09-03:30');
  });
});
