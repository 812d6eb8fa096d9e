// iCalendar (RFC 5545, text/calendar) VEVENTs become CityEvents, parsed by ical.js: UID, SUMMARY,
// CATEGORIES, DTSTART/DTEND or DURATION (TZID, UTC, floating or all-day), GEO, URL and the X-PASSAGE-
// RADIUS-M / X-EXPECTED-ATTENDANCE extensions; recurring events expand within a window around now.

import ICAL from 'ical.js';
import { DateTime, IANAZone } from 'luxon';
import type { FieldError } from '../../shared/errors.js';
import { DAY_MS } from '../../shared/time.js';
import { bodyReject, checked, checkCityEvent, DEFAULT_LIMITS, rejectsOf, type ContextLimits } from './checks.js';
import type { CityEvent, ContextMapper, ContextOutput } from './types.js';

type Component = ICAL.Component;
type Time = ICAL.Time;
type Event = ICAL.Event;

export interface IcsOptions {
  /** Zone of floating times and all-day dates when neither the value nor the calendar (X-WR-TIMEZONE) names one. */
  defaultTimeZone?: string;
  /** radiusM of an event with GEO but no X-PASSAGE-RADIUS-M (metres); null leaves it null. */
  defaultRadiusM?: number | null;
  /** Recurring events expand to the occurrences overlapping [now − windowBeforeMs, now + windowAfterMs). */
  windowBeforeMs?: number;
  windowAfterMs?: number;
  /** Occurrences one recurring event may yield in the window; more is refused as a runaway rule. */
  maxOccurrencesPerEvent?: number;
  /** Recurrence steps walked per event before giving up: a SECONDLY rule from years ago never reaches the window. */
  maxExpansionSteps?: number;
  limits?: ContextLimits;
}

export const ICS_DEFAULTS = {
  defaultTimeZone: 'Europe/Copenhagen',
  defaultRadiusM: 500,
  windowBeforeMs: 30 * DAY_MS,
  windowAfterMs: 365 * DAY_MS,
  maxOccurrencesPerEvent: 1000,
  // A DAILY rule from 2000 takes ~10,000 steps to reach today; 100,000 cost about a second.
  maxExpansionSteps: 100_000,
} as const;

/** Record fields → the iCalendar properties they come from, so a reject names what the sender wrote. */
const RENAME: Readonly<Record<string, string>> = {
  id: 'UID',
  title: 'SUMMARY',
  category: 'CATEGORIES',
  start: 'DTSTART',
  end: 'DTEND',
  lat: 'GEO',
  lng: 'GEO',
  radiusM: 'X-PASSAGE-RADIUS-M',
  expectedAttendance: 'X-EXPECTED-ATTENDANCE',
  url: 'URL',
};

interface Vevent {
  index: number;
  comp: Component;
  /** The VEVENT's own lines, unfolded: GEO is read from them (see readGeo). */
  raw: string;
  /** IANA zone of floating and all-day values in this VEVENT's calendar. */
  zone: string;
}

interface TimeValue {
  time: Time;
  tzid: string | null;
}

/** Everything of an event but its times. */
type Details = Omit<CityEvent, 'start' | 'end' | 'receivedAt'>;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function ianaZone(tzid: string | null): string | null {
  if (tzid === null) return null;
  // Some producers quote the TZID or prefix it with a slash (/Europe/Copenhagen).
  const z = tzid.replace(/^"|"$/g, '').replace(/^\//, '');
  return IANAZone.isValidZone(z) ? z : null;
}

/**
 * Splits the text into the calendar without its VEVENTs and the VEVENT blocks, so that one broken
 * VEVENT is one reject and not a lost calendar. Only BEGIN/END:VEVENT lines are looked at; all
 * parsing is ical.js's.
 */
function splitCalendar(text: string): { skeleton: string; blocks: { text: string; root: number }[] } {
  const skeleton: string[] = [];
  const blocks: { text: string; root: number }[] = [];
  let current: string[] | null = null;
  let roots = 0;
  const close = () => {
    if (current !== null) blocks.push({ text: current.join('\r\n'), root: Math.max(roots - 1, 0) });
    current = null;
  };
  for (const line of text.split(/\r\n|\n|\r/)) {
    // A line starting with white space continues the previous one (folding), so it is never BEGIN/END.
    const tag = /^\S/.test(line) ? line.trimEnd().toUpperCase() : '';
    if (tag === 'BEGIN:VEVENT') {
      close();
      current = [line];
    } else if (current !== null && tag === 'END:VEVENT') {
      current.push(line);
      close();
    } else if (current !== null && tag === 'END:VCALENDAR') {
      // An unterminated VEVENT: its block fails to parse on its own, the calendar survives.
      close();
      skeleton.push(line);
    } else if (current !== null) current.push(line);
    else {
      if (tag === 'BEGIN:VCALENDAR') roots++;
      skeleton.push(line);
    }
  }
  close();
  return { skeleton: skeleton.join('\r\n'), blocks };
}

/** ical.js answers one component as its jCal and several as a list of them. */
function components(jcal: unknown): unknown[][] {
  if (!Array.isArray(jcal)) return [];
  return typeof jcal[0] === 'string' ? [jcal] : (jcal.filter(Array.isArray) as unknown[][]);
}

function readTime(comp: Component, name: string): TimeValue | FieldError | null {
  const prop = comp.getFirstProperty(name);
  if (prop === null) return null;
  try {
    const value = prop.getFirstValue();
    if (!(value instanceof ICAL.Time)) return { field: name.toUpperCase(), reason: 'must be a DATE or DATE-TIME value' };
    const tzid = prop.getParameter('tzid');
    return { time: value, tzid: typeof tzid === 'string' ? tzid : null };
  } catch (err) {
    return { field: name.toUpperCase(), reason: `is not a valid DATE or DATE-TIME (${message(err)})` };
  }
}

/**
 * Epoch ms of an ical.js time. UTC values are exact; values in a zone the calendar defines
 * (VTIMEZONE) go through ical.js; TZIDs naming an IANA zone without a VTIMEZONE, floating times and
 * all-day dates are read in that zone by luxon (ical.js would read them as UTC).
 */
function instant(t: Time, tzid: string | null, calendarZone: string): number | string {
  if (t.zone === ICAL.Timezone.utcTimezone) return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
  let zone = calendarZone;
  if (!t.isDate && t.zone !== ICAL.Timezone.localTimezone) return t.toUnixTime() * 1000;
  if (tzid !== null) {
    const iana = ianaZone(tzid);
    if (iana !== null) zone = iana;
    // A DATE carries no zone by the RFC; a stray TZID on one is ignored rather than fatal.
    else if (!t.isDate) return `names the time zone "${tzid}", which is neither defined by a VTIMEZONE in the calendar nor an IANA zone`;
  }
  const fields = t.isDate
    ? { year: t.year, month: t.month, day: t.day }
    : { year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute, second: t.second };
  const dt = DateTime.fromObject(fields, { zone });
  return dt.isValid ? dt.toMillis() : `is not a valid time (${dt.invalidExplanation ?? 'invalid'})`;
}

function text(comp: Component, name: string): string | null {
  const v = comp.getFirstPropertyValue(name);
  return typeof v === 'string' && v.trim().length > 0 ? v.trim() : null;
}

/**
 * GEO read from the VEVENT's own text: ical.js reads an unparsable float as 0, which would put a
 * mistyped GEO on Null Island. "lat,lng" (a common slip for "lat;lng") is accepted as well.
 */
function readGeo(raw: string): { lat: number; lng: number } | FieldError | null {
  const line = raw.split(/\r\n|\n|\r/).find((l) => /^GEO[;:]/i.test(l));
  if (line === undefined) return null;
  const m = /^\s*([+-]?\d+(?:\.\d+)?)\s*[;,]\s*([+-]?\d+(?:\.\d+)?)\s*$/.exec(line.slice(line.indexOf(':') + 1));
  if (m === null) return { field: 'GEO', reason: 'must be "latitude;longitude" in decimal degrees' };
  return { lat: Number(m[1]), lng: Number(m[2]) };
}

function readNumber(comp: Component, name: string, integer: boolean): number | FieldError | null {
  const v = comp.getFirstPropertyValue(name);
  if (v === null || v === undefined) return null;
  const s = String(v).trim();
  if (!(integer ? /^\d+$/ : /^\d+(\.\d+)?$/).test(s))
    return { field: name.toUpperCase(), reason: integer ? 'must be a whole number' : 'must be a number' };
  return Number(s);
}

function readDetails(ev: Vevent, uid: string, defaultRadiusM: number | null): Details | FieldError[] {
  const { comp } = ev;
  const errors: FieldError[] = [];
  const geo = readGeo(ev.raw);
  const radius = readNumber(comp, 'x-passage-radius-m', false);
  const attendance = readNumber(comp, 'x-expected-attendance', true);
  for (const x of [geo, radius, attendance]) if (x !== null && typeof x === 'object' && 'reason' in x) errors.push(x);
  const title = text(comp, 'summary');
  if (title === null) errors.push({ field: 'SUMMARY', reason: 'is required' });
  if (errors.length > 0 || title === null) return errors;
  const location = geo as { lat: number; lng: number } | null;
  const categories = comp.getAllProperties('categories').flatMap((p) => p.getValues() as unknown[]);
  const category = categories.map((c) => String(c).trim()).find((c) => c.length > 0) ?? null;
  return {
    id: uid,
    title,
    category,
    lat: location?.lat ?? null,
    lng: location?.lng ?? null,
    radiusM: (radius as number | null) ?? (location !== null ? defaultRadiusM : null),
    cells: [],
    expectedAttendance: attendance as number | null,
    url: text(comp, 'url'),
  };
}

function isCancelled(comp: Component): boolean {
  return text(comp, 'status')?.toUpperCase() === 'CANCELLED';
}

/** The end of a non-recurring event: DTEND, DTSTART + DURATION, or the day of an all-day DTSTART. */
function endOf(ev: Vevent, start: TimeValue): { value: TimeValue; field: string } | FieldError {
  const dtend = readTime(ev.comp, 'dtend');
  if (dtend !== null) return 'reason' in dtend ? dtend : { value: dtend, field: 'DTEND' };
  const prop = ev.comp.getFirstProperty('duration');
  let duration: ICAL.Duration | null = null;
  if (prop !== null) {
    try {
      const v = prop.getFirstValue();
      if (v instanceof ICAL.Duration) duration = v;
    } catch {
      // reported below
    }
    if (duration === null) return { field: 'DURATION', reason: 'must be an RFC 5545 duration (PT2H, P1D)' };
  } else if (start.time.isDate) duration = new ICAL.Duration({ days: 1 });
  else return { field: 'DTEND', reason: 'is required (or DURATION): a DATE-TIME event without either has no length' };
  const end = start.time.clone();
  end.addDuration(duration);
  return { value: { time: end, tzid: start.tzid }, field: prop !== null ? 'DURATION' : 'DTEND' };
}

/**
 * Rewrites UTC (and other-zone) UNTIL, EXDATE, RDATE and RECURRENCE-ID values of a recurring event
 * whose DTSTART ical.js holds as floating (an IANA TZID without VTIMEZONE, or no TZID) into the
 * same floating wall-clock time: ical.js compares floating against UTC as if floating were UTC,
 * which drops the last occurrence before UNTIL and misses EXDATEs by the zone's offset.
 */
function alignRecurrence(master: Vevent, exceptions: readonly Vevent[], startTzid: string | null): void {
  const zone = ianaZone(startTzid) ?? master.zone;
  const floating = (t: Time, tzid: string | null): Time => {
    if (t.isDate || (t.zone === ICAL.Timezone.localTimezone && (tzid === null || ianaZone(tzid) === zone))) return t;
    const ms = instant(t, tzid, master.zone);
    if (typeof ms === 'string') return t;
    const local = DateTime.fromMillis(ms, { zone });
    return ICAL.Time.fromData({
      year: local.year,
      month: local.month,
      day: local.day,
      hour: local.hour,
      minute: local.minute,
      second: local.second,
      isDate: false,
    });
  };
  for (const prop of master.comp.getAllProperties('rrule')) {
    const recur = prop.getFirstValue();
    if (recur instanceof ICAL.Recur && recur.until !== null && recur.until !== undefined && !recur.until.isDate) {
      recur.until = floating(recur.until, null);
      prop.setValue(recur);
    }
  }
  for (const name of ['exdate', 'rdate']) {
    for (const prop of master.comp.getAllProperties(name)) {
      const tzid = prop.getParameter('tzid');
      const values = prop.getValues() as unknown[];
      prop.setValues(values.map((v) => (v instanceof ICAL.Time ? floating(v, typeof tzid === 'string' ? tzid : null) : v)));
    }
  }
  for (const ex of exceptions) {
    const rid = readTime(ex.comp, 'recurrence-id');
    if (rid !== null && !('reason' in rid)) ex.comp.getFirstProperty('recurrence-id')?.setValue(floating(rid.time, rid.tzid));
  }
}

interface Ctx {
  nowMs: number;
  opts: Required<Omit<IcsOptions, 'limits'>> & { limits: ContextLimits };
}

function record(d: Details, id: string, start: number, end: number, nowMs: number): CityEvent {
  return {
    id,
    title: d.title,
    category: d.category,
    start,
    end,
    lat: d.lat,
    lng: d.lng,
    radiusM: d.radiusM,
    cells: d.cells,
    expectedAttendance: d.expectedAttendance,
    url: d.url,
    receivedAt: nowMs,
  };
}

function single(ev: Vevent, uid: string, ctx: Ctx): ContextOutput[] {
  const start = readTime(ev.comp, 'dtstart');
  if (start === null) return rejectsOf(ev.index, [{ field: 'DTSTART', reason: 'is required' }]);
  if ('reason' in start) return rejectsOf(ev.index, [start]);
  const end = endOf(ev, start);
  const details = readDetails(ev, uid, ctx.opts.defaultRadiusM);
  const errors = Array.isArray(details) ? [...details] : [];
  if ('reason' in end) errors.push(end);
  const startMs = instant(start.time, start.tzid, ev.zone);
  if (typeof startMs === 'string') errors.push({ field: 'DTSTART', reason: startMs });
  // An end derived from a start that failed would only repeat the start's fault.
  const derived = !ev.comp.hasProperty('dtend');
  const endMs = 'reason' in end || (typeof startMs === 'string' && derived) ? null : instant(end.value.time, end.value.tzid, ev.zone);
  if (typeof endMs === 'string') errors.push({ field: 'reason' in end ? 'DTEND' : end.field, reason: endMs });
  let id = uid;
  // An occurrence override whose recurring event is not in this calendar stands alone, under the id
  // its occurrence has when the whole series is sent.
  const rid = readTime(ev.comp, 'recurrence-id');
  if (rid !== null) {
    const ridMs = 'reason' in rid ? rid.reason : instant(rid.time, rid.tzid, ev.zone);
    if (typeof ridMs === 'string') errors.push({ field: 'RECURRENCE-ID', reason: ridMs });
    else id = `${uid}:${ridMs}`;
  }
  if (errors.length > 0 || Array.isArray(details) || typeof startMs !== 'number' || typeof endMs !== 'number')
    return rejectsOf(ev.index, errors);
  const r = record(details, id, startMs, endMs, ctx.nowMs);
  const rename = 'reason' in end ? RENAME : { ...RENAME, end: end.field };
  return checked(ev.index, r, checkCityEvent(r, ctx.nowMs, ctx.opts.limits), rename);
}

/**
 * The occurrences of a recurring event (RRULE/RDATE, minus EXDATE, with RECURRENCE-ID overrides)
 * that overlap the window, each with id `${uid}:${original start ms}` — the original start, so a
 * moved occurrence keeps its id and replaces its earlier version on the compacted topic.
 */
function recurring(master: Vevent, exceptions: readonly Vevent[], uid: string, ctx: Ctx): ContextOutput[] {
  const start = readTime(master.comp, 'dtstart');
  if (start === null) return rejectsOf(master.index, [{ field: 'DTSTART', reason: 'is required' }]);
  if ('reason' in start) return rejectsOf(master.index, [start]);
  const masterEnd = endOf(master, start);
  if ('reason' in masterEnd) return rejectsOf(master.index, [masterEnd]);
  const masterDetails = readDetails(master, uid, ctx.opts.defaultRadiusM);
  if (Array.isArray(masterDetails)) return rejectsOf(master.index, masterDetails);

  const out: ContextOutput[] = [];
  const related: Vevent[] = [];
  for (const ex of exceptions) {
    const rid = readTime(ex.comp, 'recurrence-id');
    if (rid !== null && 'reason' in rid) out.push(...rejectsOf(ex.index, [rid]));
    else related.push(ex);
  }
  if (start.time.zone === ICAL.Timezone.localTimezone) alignRecurrence(master, related, start.tzid);

  let event: Event;
  const byComp = new Map<Component, Vevent>([[master.comp, master]]);
  try {
    event = new ICAL.Event(master.comp);
    for (const ex of related) {
      event.relateException(ex.comp);
      byComp.set(ex.comp, ex);
    }
  } catch (err) {
    return [...out, ...rejectsOf(master.index, [{ field: 'RRULE', reason: `cannot be expanded (${message(err)})` }])];
  }

  const windowStart = ctx.nowMs - ctx.opts.windowBeforeMs;
  const windowEnd = ctx.nowMs + ctx.opts.windowAfterMs;
  const detailsOf = new Map<Vevent, Details | FieldError[]>([[master, masterDetails]]);
  let count = 0;
  try {
    const it = event.iterator();
    for (let steps = 0; ; steps++) {
      if (steps >= ctx.opts.maxExpansionSteps) {
        out.push(
          ...rejectsOf(master.index, [
            { field: 'RRULE', reason: `does not reach the window within ${ctx.opts.maxExpansionSteps} occurrences; the rest are left out` },
          ]),
        );
        break;
      }
      const next = it.next();
      if (!next) break;
      const original = instant(next, start.tzid, master.zone);
      if (typeof original === 'string') {
        out.push(...rejectsOf(master.index, [{ field: 'DTSTART', reason: original }]));
        break;
      }
      // Occurrences come in order of their original start.
      if (original >= windowEnd) break;
      // ical.js's declaration of occurrenceDetails does not resolve; this is its documented shape.
      const occ = event.getOccurrenceDetails(next) as unknown as { item: Event; startDate: Time; endDate: Time };
      const ev = byComp.get(occ.item.component) ?? master;
      if (ev !== master && isCancelled(ev.comp)) continue;
      let details = detailsOf.get(ev);
      if (details === undefined) detailsOf.set(ev, (details = readDetails(ev, uid, ctx.opts.defaultRadiusM)));
      if (Array.isArray(details)) continue; // an override's faults are reported once, below
      const own = ev === master ? null : readTime(ev.comp, 'dtstart');
      const startTzid = own !== null && !('reason' in own) ? own.tzid : start.tzid;
      const ownEnd = ev === master ? null : readTime(ev.comp, 'dtend');
      const endTzid = ownEnd !== null && !('reason' in ownEnd) ? ownEnd.tzid : startTzid;
      const s = instant(occ.startDate, startTzid, ev.zone);
      const e = instant(occ.endDate, endTzid, ev.zone);
      if (typeof s === 'string' || typeof e === 'string') {
        out.push(
          ...rejectsOf(ev.index, [{ field: typeof s === 'string' ? 'DTSTART' : 'DTEND', reason: typeof s === 'string' ? s : String(e) }]),
        );
        continue;
      }
      if (e <= windowStart || s >= windowEnd) continue;
      if (++count > ctx.opts.maxOccurrencesPerEvent) {
        out.push(
          ...rejectsOf(master.index, [
            { field: 'RRULE', reason: `has more than ${ctx.opts.maxOccurrencesPerEvent} occurrences in the window; the rest are left out` },
          ]),
        );
        break;
      }
      const r = record(details, `${uid}:${original}`, s, e, ctx.nowMs);
      out.push(
        ...checked(ev.index, r, checkCityEvent(r, ctx.nowMs, ctx.opts.limits), {
          ...RENAME,
          end: ev === master ? masterEnd.field : 'DTEND',
        }),
      );
    }
  } catch (err) {
    out.push(...rejectsOf(master.index, [{ field: 'RRULE', reason: `cannot be expanded (${message(err)})` }]));
  }
  for (const [ev, details] of detailsOf) if (ev !== master && Array.isArray(details)) out.push(...rejectsOf(ev.index, details));
  return out;
}

function parseCalendar(body: unknown, defaultZone: string): { events: (Vevent | ContextOutput[])[] } | ContextOutput {
  let textBody: string;
  if (typeof body === 'string') textBody = body;
  else if (body instanceof Uint8Array) textBody = new TextDecoder('utf-8').decode(body);
  else return bodyReject('must be iCalendar text (text/calendar)');
  textBody = textBody.replace(/^\uFEFF/, '');
  if (!/^BEGIN:VCALENDAR\s*$/im.test(textBody)) return bodyReject('is not an iCalendar document (no BEGIN:VCALENDAR)');
  const { skeleton, blocks } = splitCalendar(textBody);
  let roots: Component[];
  try {
    roots = components(ICAL.parse(skeleton)).map((j) => new ICAL.Component(j));
  } catch (err) {
    return bodyReject(`is not a valid iCalendar document (${message(err)})`);
  }
  const calendars = roots.filter((r) => r.name === 'vcalendar');
  if (calendars.length === 0) return bodyReject('is not an iCalendar document (no VCALENDAR)');
  const zones = calendars.map((c) => ianaZone(text(c, 'x-wr-timezone')) ?? defaultZone);
  const events = blocks.map((b, index): Vevent | ContextOutput[] => {
    const calendar = Math.min(b.root, calendars.length - 1);
    try {
      const [jcal, ...more] = components(ICAL.parse(b.text));
      if (jcal === undefined || more.length > 0 || jcal[0] !== 'vevent') throw new Error('not one VEVENT');
      return { index, comp: new ICAL.Component(jcal, calendars[calendar]), raw: b.text.replace(/\r?\n[ \t]/g, ''), zone: zones[calendar]! };
    } catch (err) {
      return rejectsOf(index, [{ field: 'VEVENT', reason: `is not a valid VEVENT (${message(err)})` }]);
    }
  });
  return { events };
}

export function icsMapper(options: IcsOptions = {}): ContextMapper {
  const opts: Ctx['opts'] = {
    defaultTimeZone: options.defaultTimeZone ?? ICS_DEFAULTS.defaultTimeZone,
    defaultRadiusM: options.defaultRadiusM === undefined ? ICS_DEFAULTS.defaultRadiusM : options.defaultRadiusM,
    windowBeforeMs: options.windowBeforeMs ?? ICS_DEFAULTS.windowBeforeMs,
    windowAfterMs: options.windowAfterMs ?? ICS_DEFAULTS.windowAfterMs,
    maxOccurrencesPerEvent: options.maxOccurrencesPerEvent ?? ICS_DEFAULTS.maxOccurrencesPerEvent,
    maxExpansionSteps: options.maxExpansionSteps ?? ICS_DEFAULTS.maxExpansionSteps,
    limits: options.limits ?? DEFAULT_LIMITS.events,
  };
  // Bad options are a configuration error: refuse them when the mapper is built, not per body.
  if (!IANAZone.isValidZone(opts.defaultTimeZone))
    throw new Error(`icsMapper: defaultTimeZone ${opts.defaultTimeZone} is not an IANA time zone`);
  if (opts.windowBeforeMs < 0 || opts.windowAfterMs <= 0 || !(opts.maxOccurrencesPerEvent >= 1) || !(opts.maxExpansionSteps >= 1))
    throw new Error('icsMapper: windowBeforeMs must be ≥ 0, windowAfterMs > 0, maxOccurrencesPerEvent and maxExpansionSteps ≥ 1');
  return {
    name: 'ics',
    kind: 'events',
    description: `iCalendar (RFC 5545) VEVENTs; recurring events expand to occurrences from ${opts.windowBeforeMs / DAY_MS} days before to ${opts.windowAfterMs / DAY_MS} days after receipt`,
    map(body, nowMs) {
      const parsed = parseCalendar(body, opts.defaultTimeZone);
      if (!('events' in parsed)) return [parsed];
      const ctx: Ctx = { nowMs, opts };
      const vevents = parsed.events.filter((e): e is Vevent => !Array.isArray(e));
      const uidOf = new Map<Vevent, string | null>(vevents.map((v) => [v, text(v.comp, 'uid')]));
      const masters = new Set<string>();
      const overrides = new Map<string, Vevent[]>();
      for (const v of vevents) {
        const uid = uidOf.get(v);
        if (uid === null || uid === undefined) continue;
        if (!v.comp.hasProperty('recurrence-id')) {
          if (v.comp.hasProperty('rrule') || v.comp.hasProperty('rdate')) masters.add(uid);
        } else overrides.set(uid, [...(overrides.get(uid) ?? []), v]);
      }
      return parsed.events.flatMap((v) => {
        if (Array.isArray(v)) return v;
        const uid = uidOf.get(v) ?? null;
        if (uid === null) return rejectsOf(v.index, [{ field: 'UID', reason: 'is required' }]);
        const isOverride = v.comp.hasProperty('recurrence-id');
        if (isOverride && masters.has(uid)) return []; // expanded with its recurring event
        if (isCancelled(v.comp)) return [];
        if (!isOverride && masters.has(uid)) return recurring(v, overrides.get(uid) ?? [], uid, ctx);
        return single(v, uid, ctx);
      });
    },
  };
}
