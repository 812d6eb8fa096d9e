// Time helpers: parse ISO-8601-with-offset or epoch milliseconds, format instants as ISO-8601 with
// the offset of a time zone, and align to windows. Event time everywhere (DESIGN.md, Time).

import { DateTime } from 'luxon';

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

export function formatInstant(ms: number, timeZone: string): string {
  return DateTime.fromMillis(ms, { zone: timeZone }).toISO({ suppressMilliseconds: true }) ?? new Date(ms).toISOString();
}

export function windowStart(ms: number, windowMs: number): number {
  return Math.floor(ms / windowMs) * windowMs;
}

/** `YYYY-MM-DD hh:mm:ss.sss` in UTC: how DateTime/DateTime64 columns typed 'UTC' take an instant as text. */
export function clickhouseTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}
