// Local wall-clock time in a named IANA zone → instant, for vendors and datasets that write times
// without an offset. Reads zone rules through luxon; writes ISO-8601 strings with the offset in force.
// DST gaps and repeated hours are reported, never guessed silently (README: "Local times").

import { IANAZone } from 'luxon';
import { HOUR_MS, MINUTE_MS, parseInstant } from '../../shared/time.js';

/** One instant a local time can denote, with the zone's offset at that instant. */
export interface Candidate {
  ms: number;
  offsetMinutes: number;
}

/** What a local time denotes in a zone: one instant, two (a repeated hour at DST end) or none (a DST gap). */
export interface LocalCandidates {
  /** Ascending by instant: the first is the earlier occurrence (the offset before the transition). */
  candidates: Candidate[];
  /** Set when the local time does not exist: the instant it becomes when moved forward by the gap. */
  gap: (Candidate & { shiftMs: number }) | null;
}

export interface LocalInstant {
  ms: number;
  /** ISO-8601 with the offset in force at `ms`, e.g. 2014-10-05T03:30:00+11:00. */
  iso: string;
  offsetMinutes: number;
  /** 0, or how far (ms) a nonexistent local time (DST gap) was moved forward. */
  gapShiftMs: number;
  /** True when the local time occurs twice (DST end) and one of the two was chosen. */
  ambiguous: boolean;
}

export interface LocalTimeOptions {
  /** Which occurrence of a repeated local time to take (default `earlier`: the offset before the transition). */
  prefer?: 'earlier' | 'later';
}

const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;
// The offset must follow a clock time, so a bare date such as 2024-09-25 is not read as offset -25.
const OFFSET_RE = /(?<=\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}(?::?\d{2})?)$/i;

const zones = new Map<string, IANAZone | null>();

function zoneOf(name: string): IANAZone | null {
  let z = zones.get(name);
  if (z === undefined) {
    z = IANAZone.isValidZone(name) ? IANAZone.create(name) : null;
    zones.set(name, z);
  }
  return z;
}

// Offsets change only on whole minutes, so an offset looked up for one minute holds for all of it;
// the lookup itself goes through Intl and dominates mapping time without this cache.
const CACHE_MAX = 20_000;
const offsets = new Map<string, number>();

function offsetAt(zone: string, z: IANAZone, ms: number): number {
  const key = `${zone}|${Math.floor(ms / MINUTE_MS)}`;
  let off = offsets.get(key);
  if (off === undefined) {
    off = z.offset(ms);
    if (offsets.size >= CACHE_MAX) offsets.clear();
    offsets.set(key, off);
  }
  return off;
}

export function isValidZone(name: string): boolean {
  return zoneOf(name) !== null;
}

/** Wall-clock fields read as if they were UTC (ms), or null when `local` is not a valid local date-time. */
export function parseLocalWallClock(local: string): number | null {
  const m = LOCAL_RE.exec(local);
  if (m === null) return null;
  const n = (i: number): number => Number(m[i] ?? '0');
  const [y, mo, d, h, mi, sec] = [n(1), n(2), n(3), n(4), n(5), n(6)];
  const frac = Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3));
  const naive = Date.UTC(y, mo - 1, d, h, mi, sec, frac);
  const back = new Date(naive);
  // Date.UTC rolls 2014-02-30 over to March; a round trip catches such dates and 24:00-style hours.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || back.getUTCHours() !== h) return null;
  if (mi > 59 || sec > 59) return null;
  return naive;
}

// Zone lookups go through Intl and cost microseconds; hourly datasets ask for the same local hour once
// per sensor, so a bounded cache pays for itself.
const cache = new Map<string, LocalCandidates | null>();

/** Every instant a local date-time (`YYYY-MM-DDTHH:mm[:ss[.sss]]`) denotes in `zone`; null when either is invalid. */
export function localCandidates(local: string, zone: string): LocalCandidates | null {
  const key = `${zone}|${local}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const result = computeCandidates(local, zone);
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(key, result);
  return result;
}

function computeCandidates(local: string, zone: string): LocalCandidates | null {
  const z = zoneOf(zone);
  const naive = parseLocalWallClock(local);
  if (z === null || naive === null) return null;
  // NOTE: a day either side brackets any single transition near `local`; no zone changes its offset
  // twice within two days, so the offsets before and after are all the candidates there are.
  const before = offsetAt(zone, z, naive - 24 * HOUR_MS);
  const after = offsetAt(zone, z, naive + 24 * HOUR_MS);
  const candidates: Candidate[] = [];
  for (const off of before === after ? [before] : [before, after]) {
    const ms = naive - off * MINUTE_MS;
    if (offsetAt(zone, z, ms) === off) candidates.push({ ms, offsetMinutes: off });
  }
  candidates.sort((a, b) => a.ms - b.ms);
  if (candidates.length > 0) return { candidates, gap: null };
  // Read with the offset in force before the gap, the wall time lands past the transition, shown
  // with the new offset as `local` + gap: the shift a clock that had not yet jumped would make.
  const ms = naive - before * MINUTE_MS;
  return { candidates, gap: { ms, offsetMinutes: offsetAt(zone, z, ms), shiftMs: (after - before) * MINUTE_MS } };
}

/**
 * Converts a local wall-clock time in an IANA zone to an instant. A time in a DST gap (it never
 * happened) is moved forward by the gap and says so in `gapShiftMs`; a repeated time (DST end) takes
 * the earlier occurrence unless `prefer: 'later'`, and says so in `ambiguous`. Null when `local` or
 * `zone` is invalid.
 */
export function localToInstant(local: string, zone: string, opts: LocalTimeOptions = {}): LocalInstant | null {
  const found = localCandidates(local, zone);
  if (found === null) return null;
  if (found.gap !== null) {
    const g = found.gap;
    return { ms: g.ms, iso: isoWithOffset(g.ms, g.offsetMinutes), offsetMinutes: g.offsetMinutes, gapShiftMs: g.shiftMs, ambiguous: false };
  }
  const ambiguous = found.candidates.length > 1;
  const c = (opts.prefer === 'later' ? found.candidates[found.candidates.length - 1] : found.candidates[0])!;
  return { ms: c.ms, iso: isoWithOffset(c.ms, c.offsetMinutes), offsetMinutes: c.offsetMinutes, gapShiftMs: 0, ambiguous };
}

/** ISO-8601 for `ms` shown at a fixed offset: `2014-10-05T03:00:00+11:00` (milliseconds only when non-zero, `Z` for 0). */
export function isoWithOffset(ms: number, offsetMinutes: number): string {
  const shifted = new Date(ms + offsetMinutes * MINUTE_MS).toISOString();
  const body = shifted.endsWith('.000Z') ? shifted.slice(0, 19) : shifted.slice(0, 23);
  if (offsetMinutes === 0) return `${body}Z`;
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${body}${offsetMinutes < 0 ? '-' : '+'}${hh}:${mm}`;
}

/** ISO-8601 for `ms` with the offset `zone` has at that instant (null for an unknown zone). */
export function isoInZone(ms: number, zone: string): string | null {
  const z = zoneOf(zone);
  return z === null ? null : isoWithOffset(ms, offsetAt(zone, z, ms));
}

/** The offset (minutes) written in an ISO string (`+09:00` → 540, `Z` → 0), or null when it has none. */
export function writtenOffset(value: string): number | null {
  const m = OFFSET_RE.exec(value);
  if (m === null) return null;
  const t = m[1]!;
  if (t.toUpperCase() === 'Z') return 0;
  const digits = t.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0');
  return t.startsWith('-') ? -minutes : minutes;
}

/**
 * Picks one of several instants for a repeated local time. Returns the index to take, or a reason
 * to reject. Mappers pass arrival order (OccurrenceOrder) or "first after the previous reading".
 */
export type Chooser = (local: string, candidates: Candidate[]) => number | string;

export type TimeResult =
  { ok: true; ms: number; iso: string; offsetMinutes: number; gapShiftMs: number; ambiguous: boolean } | { ok: false; reason: string };

export interface ReadTimeOptions {
  /** Zone of times written without an offset; without it such times are rejected. */
  zone?: string | undefined;
  /** How to pick among the two instants of a repeated local time (default: the earlier). */
  choose?: Chooser;
  /** `shift` (default) moves a nonexistent local time forward by the gap; `reject` refuses it. */
  gap?: 'shift' | 'reject';
}

/**
 * Reads an instant from a vendor value: ISO-8601 with an offset or epoch milliseconds as they are,
 * a local date-time (`YYYY-MM-DD HH:mm[:ss]`) in `zone`. The result keeps the written offset so
 * records show the time as the vendor wrote it.
 */
export function readTime(value: unknown, opts: ReadTimeOptions = {}): TimeResult {
  if (typeof value === 'number' || (typeof value === 'string' && /^-?\d{1,16}$/.test(value))) {
    const ms = parseInstant(value);
    return ms === null ? { ok: false, reason: 'is not a valid epoch-milliseconds time' } : ok(ms, 0, 0, false);
  }
  if (typeof value !== 'string' || value.length === 0) return { ok: false, reason: 'is missing' };
  const offset = writtenOffset(value);
  if (offset !== null) {
    const ms = parseInstant(value);
    return ms === null ? { ok: false, reason: `is not a valid ISO-8601 time: ${clip(value)}` } : ok(ms, offset, 0, false);
  }
  if (opts.zone === undefined) return { ok: false, reason: `has no offset (${clip(value)}); give the zone option to read local times` };
  const found = localCandidates(value, opts.zone);
  if (found === null) return { ok: false, reason: `is not a valid local date-time (YYYY-MM-DD HH:mm[:ss]): ${clip(value)}` };
  if (found.gap !== null) {
    if (opts.gap === 'reject')
      return { ok: false, reason: `local time ${value} does not exist in ${opts.zone} (skipped by the DST change)` };
    return ok(found.gap.ms, found.gap.offsetMinutes, found.gap.shiftMs, false);
  }
  let index = 0;
  if (found.candidates.length > 1 && opts.choose !== undefined) {
    const picked = opts.choose(value, found.candidates);
    if (typeof picked === 'string') return { ok: false, reason: picked };
    index = picked;
  }
  const c = found.candidates[Math.min(index, found.candidates.length - 1)]!;
  return ok(c.ms, c.offsetMinutes, 0, found.candidates.length > 1);
}

function ok(ms: number, offsetMinutes: number, gapShiftMs: number, ambiguous: boolean): TimeResult {
  return { ok: true, ms, iso: isoWithOffset(ms, offsetMinutes), offsetMinutes, gapShiftMs, ambiguous };
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/**
 * Disambiguates repeated local times by arrival order per key (a sensor, a turnstile): the first row
 * with a given repeated local time takes the earlier instant, the second the later one, a third is
 * rejected. Memory: per key, the repeated times of the one DST-end night it last saw.
 */
export class OccurrenceOrder {
  private readonly seen = new Map<string, { night: string; counts: Map<string, number> }>();

  chooser(key: string): Chooser {
    return (local, candidates) => {
      const night = local.slice(0, 10);
      let entry = this.seen.get(key);
      if (entry === undefined || entry.night !== night) {
        entry = { night, counts: new Map() };
        this.seen.set(key, entry);
      }
      const n = entry.counts.get(local) ?? 0;
      if (n >= candidates.length) return `local time ${local} occurs ${candidates.length} times (DST end) but this is row ${n + 1} for it`;
      entry.counts.set(local, n + 1);
      return n;
    };
  }
}

/** For readings of one device: of a repeated local time, take the first instant after the device's previous reading. */
export function firstAfter(previousMs: number | undefined): Chooser {
  return (_local, candidates) => {
    if (previousMs === undefined) return 0;
    const i = candidates.findIndex((c) => c.ms > previousMs);
    return i === -1 ? candidates.length - 1 : i;
  };
}
