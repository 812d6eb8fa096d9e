// Time helpers: parse ISO-8601-with-offset or epoch milliseconds, format instants as ISO-8601 with
// the offset of a time zone, and align to windows. Event time everywhere (DESIGN.md, Time).

import { DateTime, type Zone } from 'luxon';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** Earliest instant Passage accepts anywhere (2000-01-01T00:00:00Z). */
export const MIN_TIME_MS = Date.UTC(2000, 0, 1);

/**
 * Parses an instant: an ISO-8601 string that carries an offset (`Z` or `+01:00`) or epoch
 * milliseconds (number or digit string). Returns null when `value` is neither; a local time without
 * an offset is refused because it is ambiguous.
 */
export function parseInstant(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : null;
  if (typeof value !== 'string') return null;
  if (/^-?\d{1,16}$/.test(value)) return Number(value);
  if (!/(Z|[+-]\d{2}(:?\d{2})?)$/i.test(value)) return null;
  const dt = DateTime.fromISO(value, { setZone: true });
  return dt.isValid ? dt.toMillis() : null;
}

/** `ms` as ISO-8601 with the offset of `timeZone` (luxon's `toISO({suppressMilliseconds: true})`). */
export function formatInstant(ms: number, timeZone: string): string {
  return ZoneCalendar.of(timeZone).format(ms);
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/**
 * Calendar arithmetic in one time zone, giving exactly what luxon gives (startOf hour/day/ISO week,
 * calendar days added, ISO-8601 text) but with the zone's offset looked up once per UTC hour:
 * luxon asks Intl for the offset of every instant (~5 µs), which dominated history answers (a
 * bucket start formatted per row) and the releaser's bucket arithmetic. An hour whose offset is not
 * the same at both ends (a DST change inside it) is never cached: its instants go to luxon.
 * time.test.ts compares every function with luxon over DST changes and odd offsets.
 */
export class ZoneCalendar {
  private static readonly calendars = new Map<string, ZoneCalendar>();
  /** Offset in minutes by UTC hour (ms / HOUR_MS), NaN when it changes inside that hour. */
  private readonly hours = new Map<number, number>();
  private readonly zone: Zone;
  /** A fixed zero offset written `Z` (the zone `UTC`), as luxon writes it. */
  private readonly zulu: boolean;

  private constructor(readonly timeZone: string) {
    this.zone = DateTime.fromMillis(0, { zone: timeZone }).zone;
    if (!this.zone.isValid) throw new Error(`unknown time zone ${timeZone}`);
    this.zulu = this.zone.isUniversal && this.zone.offset(0) === 0;
  }

  static of(timeZone: string): ZoneCalendar {
    let c = ZoneCalendar.calendars.get(timeZone);
    if (c === undefined) {
      c = new ZoneCalendar(timeZone);
      ZoneCalendar.calendars.set(timeZone, c);
    }
    return c;
  }

  /** The zone's offset from UTC at `ms`, in minutes. */
  offset(ms: number): number {
    const hour = Math.floor(ms / HOUR_MS);
    let o = this.hours.get(hour);
    if (o === undefined) {
      const start = this.zone.offset(hour * HOUR_MS);
      o = this.zone.offset(hour * HOUR_MS + HOUR_MS - 1) === start ? start : NaN;
      if (this.hours.size >= 1_000_000) this.hours.clear();
      this.hours.set(hour, o);
    }
    return Number.isNaN(o) ? this.zone.offset(ms) : o;
  }

  /** ISO-8601 with the zone's offset, milliseconds only when not 0. */
  format(ms: number): string {
    const o = this.offset(ms);
    const d = new Date(ms + o * MINUTE_MS);
    const year = d.getUTCFullYear();
    if (!Number.isInteger(o) || year < 1000 || year > 9999)
      return DateTime.fromMillis(ms, { zone: this.zone }).toISO({ suppressMilliseconds: true }) ?? new Date(ms).toISOString();
    const milli = d.getUTCMilliseconds();
    const abs = Math.abs(o);
    const zone = this.zulu ? 'Z' : `${o < 0 ? '-' : '+'}${pad2(Math.trunc(abs / 60))}:${pad2(abs % 60)}`;
    return (
      `${year}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:` +
      `${pad2(d.getUTCSeconds())}${milli === 0 ? '' : `.${String(milli).padStart(3, '0')}`}${zone}`
    );
  }

  /** The start of the local hour, day or ISO week (Monday) holding `ms`. */
  startOf(ms: number, unit: 'hour' | 'day' | 'week'): number {
    const o = this.offset(ms);
    const local = ms + o * MINUTE_MS;
    let start: number;
    if (unit === 'hour') start = Math.floor(local / HOUR_MS) * HOUR_MS;
    else {
      start = Math.floor(local / DAY_MS) * DAY_MS;
      // 1970-01-01 was a Thursday: (day index + 3) mod 7 is 0 on Mondays.
      if (unit === 'week') start -= ((((start / DAY_MS + 3) % 7) + 7) % 7) * DAY_MS;
    }
    return this.fromLocal(start, o);
  }

  /** `ms` plus `days` calendar days: the same local time (luxon's `plus({days})`; 23 or 25 hours over a DST change). */
  plusDays(ms: number, days: number): number {
    const o = this.offset(ms);
    return this.fromLocal(ms + o * MINUTE_MS + days * DAY_MS, o);
  }

  /**
   * The instant of local time `local` (ms of the wall clock read as UTC), preferring offset `guess`
   * where the wall time is ambiguous; a wall time a DST change skips moves forward. luxon's fixOffset.
   */
  private fromLocal(local: number, guess: number): number {
    let utc = local - guess * MINUTE_MS;
    const o2 = this.offset(utc);
    if (o2 === guess) return utc;
    utc -= (o2 - guess) * MINUTE_MS;
    const o3 = this.offset(utc);
    if (o3 === o2) return utc;
    return local - Math.min(o2, o3) * MINUTE_MS;
  }
}

export function windowStart(ms: number, windowMs: number): number {
  return Math.floor(ms / windowMs) * windowMs;
}

/** `YYYY-MM-DD hh:mm:ss.sss` in UTC: how DateTime/DateTime64 columns typed 'UTC' take an instant as text. */
export function clickhouseTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}
