// The simulated Copenhagen every simulator shares: the daily and weekly rhythm, hourly weather
// (seasonal temperature, rain spells), city events and metro incidents — each a pure function of
// (seed, time), so the sources agree with each other and tests can check properties. Reads nothing.

import { DateTime } from 'luxon';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../shared/time.js';
import { METRO_STATIONS, VENUES, type Venue } from './places.js';
import { between, distanceM, exponential, normal, pickWeighted, rng } from './random.js';

/** The simulated city's clock: rhythm, events and schedules are in Copenhagen local time whatever PASSAGE_TIMEZONE says. */
export const CITY_ZONE = 'Europe/Copenhagen';

/** Outdoor footfall in an hour with rain (≥ 0.1 mm) is this share of the same hour dry. */
export const RAIN_OUTDOOR_FACTOR = 0.6;
/** Malls, department stores and the metro get a little busier when it rains (people come in from the street). */
export const RAIN_INDOOR_FACTOR = 1.1;
/** Precipitation from which an hour counts as rainy (mm), as in weather statistics. */
export const RAIN_THRESHOLD_MM = 0.1;
/** An event multiplies footfall at its venue by up to 1 + this at its busiest moment. */
export const MAX_EVENT_BOOST = 4;
/** Tap-ins at a station with a train delay, as a share of normal (people walk or take the bus). */
export const INCIDENT_TAP_FACTOR = 0.6;

/** People per minute at `ms` relative to the peak: night low, morning and afternoon peaks, calmer weekends. */
export function rhythm(ms: number): number {
  const local = DateTime.fromMillis(ms, { zone: CITY_ZONE });
  const hour = local.hour + local.minute / 60;
  const weekend = local.weekday >= 6;
  const bump = (centre: number, width: number): number => Math.exp(-((hour - centre) ** 2) / (2 * width * width));
  const day = weekend ? 0.15 + 0.8 * bump(14, 3.5) : 0.1 + 0.9 * bump(8.2, 1.2) + 0.7 * bump(12.5, 2) + 0.95 * bump(16.8, 1.5);
  return Math.min(1, day);
}

export interface LocalDay {
  /** Days since 1970-01-01 in the city's calendar. */
  index: number;
  /** Local midnight and the next one (epoch ms; 23 or 25 hours apart on daylight-saving days). */
  startMs: number;
  endMs: number;
  /** 1 = Monday … 7 = Sunday. */
  weekday: number;
  /** ISO date, for ids. */
  date: string;
}

export interface HourWeather {
  /** Start of the (UTC = Copenhagen-local) hour. */
  hourStart: number;
  temperatureC: number;
  precipitationMm: number;
  windSpeedMs: number;
  cloudCoverPct: number;
  /** Open-Meteo's vocabulary (ingest/context/open-meteo.ts WMO_CONDITIONS). */
  condition: string;
  raining: boolean;
}

export interface EventProfile {
  /** Crowds gather this long before the start (minutes)… */
  leadInMin: number;
  /** …are this share of the peak while it runs (a concert crowd is inside)… */
  during: number;
  /** …and leave over this long after the end (minutes). */
  egressMin: number;
}

export interface SimEvent {
  id: string;
  title: string;
  category: 'concert' | 'market';
  venue: Venue;
  start: number;
  end: number;
  expectedAttendance: number;
  radiusM: number;
  profile: EventProfile;
}

export interface SimIncident {
  id: string;
  kind: 'train_delay';
  stationIndex: number;
  line: string;
  start: number;
  end: number;
  delayMin: number;
  severity: 'low' | 'medium' | 'high';
  description: string;
}

const CONCERTS = [
  'Nordic Lights Tour',
  'Øresund Symphony Night',
  'The Harbour Kings live',
  'Copenhagen Pop Festival',
  'Midnight Sun arena show',
];
const CONCERT_PROFILE: EventProfile = { leadInMin: 90, during: 0.35, egressMin: 45 };
const MARKET_PROFILE: EventProfile = { leadInMin: 30, during: 1, egressMin: 30 };

/** A small bounded memo: the world is pure, caching only saves recomputation. */
class Memo<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max = 4096) {}
  get(key: K, make: () => V): V {
    const hit = this.map.get(key);
    if (hit !== undefined) return hit;
    const v = make();
    if (this.map.size >= this.max) this.map.clear();
    this.map.set(key, v);
    return v;
  }
}

export class World {
  private readonly days = new Memo<number, LocalDay>();
  private readonly hours = new Memo<number, HourWeather>();
  private readonly dayEvents = new Memo<number, SimEvent[]>();
  private readonly dayIncidents = new Memo<number, SimIncident[]>();
  private readonly rhythms = new Memo<number, number>(10_000);
  private readonly hourDays = new Memo<number, number>();

  constructor(readonly seed: number) {}

  /** rhythm() per minute, memoised (luxon is the costly part). */
  rhythm(ms: number): number {
    const minute = Math.floor(ms / MINUTE_MS);
    return this.rhythms.get(minute, () => rhythm(minute * MINUTE_MS));
  }

  /** The city-calendar day of `ms` (memoised per hour: Copenhagen's offsets are whole hours). */
  dayIndexOf(ms: number): number {
    const hour = Math.floor(ms / HOUR_MS);
    return this.hourDays.get(hour, () => {
      const local = DateTime.fromMillis(hour * HOUR_MS, { zone: CITY_ZONE });
      return Math.round(Date.UTC(local.year, local.month - 1, local.day) / DAY_MS);
    });
  }

  day(index: number): LocalDay {
    return this.days.get(index, () => {
      const utc = DateTime.fromMillis(index * DAY_MS, { zone: 'UTC' });
      const start = DateTime.fromObject({ year: utc.year, month: utc.month, day: utc.day }, { zone: CITY_ZONE });
      return {
        index,
        startMs: start.toMillis(),
        endMs: start.plus({ days: 1 }).toMillis(),
        weekday: start.weekday,
        date: start.toISODate() ?? utc.toISODate() ?? String(index),
      };
    });
  }

  /** Local wall-clock `hour` (fractional) of day `index`, as epoch ms. */
  at(index: number, hour: number): number {
    const d = this.day(index);
    // Plain days are 24 hours from local midnight; only daylight-saving days need the calendar.
    if (d.endMs - d.startMs === DAY_MS) return d.startMs + Math.round(hour * 60) * MINUTE_MS;
    const minutes = Math.round(hour * 60);
    const h = Math.floor(minutes / 60);
    const m = minutes % 60;
    const utc = DateTime.fromMillis(index * DAY_MS, { zone: 'UTC' });
    const local = DateTime.fromObject({ year: utc.year, month: utc.month, day: utc.day, hour: h, minute: m }, { zone: CITY_ZONE });
    return local.isValid ? local.toMillis() : d.startMs + hour * HOUR_MS;
  }

  /** The weather of the hour containing `ms`. */
  weather(ms: number): HourWeather {
    const hour = Math.floor(ms / HOUR_MS);
    return this.hours.get(hour, () => this.makeWeather(hour));
  }

  /** Millimetres of rain in UTC hour `hour`: spells of 1–6 hours that start in 6-hour blocks, more often in autumn. */
  private precipitation(hour: number, doy: number): number {
    let mm = 0;
    const block = Math.floor(hour / 6);
    // A spell starting in the previous block can last into this one.
    for (const b of [block - 1, block]) {
      const r = rng(this.seed, 'rain', b);
      const chance = 0.22 + 0.08 * Math.cos((2 * Math.PI * (doy - 320)) / 365.25);
      if (r() >= chance) continue;
      const start = b * 6 + between(r, 0, 5);
      const length = between(r, 1, 6);
      const intensity = Math.min(6, 0.15 + exponential(r, 0.9));
      if (hour >= start && hour < start + length) {
        const h = rng(this.seed, 'rain-hour', hour)();
        mm = Math.max(mm, Math.round(intensity * (0.5 + h) * 10) / 10);
      }
    }
    return mm;
  }

  private makeWeather(hour: number): HourWeather {
    const ms = hour * HOUR_MS;
    const utc = DateTime.fromMillis(ms, { zone: 'UTC' });
    const doy = utc.ordinal;
    const localHour = DateTime.fromMillis(ms, { zone: CITY_ZONE }).hour;
    const precipitationMm = this.precipitation(hour, doy);
    const raining = precipitationMm >= RAIN_THRESHOLD_MM;
    // Copenhagen: about 1 °C in January, 17.5 °C in July; the day's swing is larger in summer.
    const seasonal = 8.9 + 8.3 * Math.cos((2 * Math.PI * (doy - 200)) / 365.25);
    const swing = 3 + 1.5 * Math.cos((2 * Math.PI * (doy - 172)) / 365.25);
    const diurnal = swing * Math.cos((2 * Math.PI * (localHour - 15)) / 24);
    // Day-to-day anomalies, interpolated through the day so temperatures do not jump at midnight.
    const dayNo = Math.floor(hour / 24);
    const anomaly = (d: number): number => 2.5 * normal(rng(this.seed, 'temp', d));
    const f = (hour % 24) / 24;
    const temperatureC =
      Math.round((seasonal + diurnal + (1 - f) * anomaly(dayNo) + f * anomaly(dayNo + 1) - (raining ? 1.5 : 0)) * 10) / 10;
    const dayR = rng(this.seed, 'sky', dayNo);
    const cloudiness = 10 + 85 * dayR();
    const windBase = 3 + 6 * dayR();
    const hr = rng(this.seed, 'sky-hour', hour);
    const cloudCoverPct = raining ? Math.round(90 + 10 * hr()) : Math.round(Math.min(100, Math.max(0, cloudiness + 20 * (hr() - 0.5))));
    const windSpeedMs = Math.round((windBase + (raining ? 2 : 0) + 2 * (hr() - 0.5)) * 10) / 10;
    let condition: string;
    if (raining && temperatureC < 0.5) condition = precipitationMm < 1 ? 'light_snow' : 'snow';
    else if (raining) condition = precipitationMm < 0.5 ? 'light_rain' : precipitationMm < 2.5 ? 'rain' : 'heavy_rain';
    else condition = cloudCoverPct < 20 ? 'clear' : cloudCoverPct < 45 ? 'mainly_clear' : cloudCoverPct < 75 ? 'partly_cloudy' : 'overcast';
    return {
      hourStart: ms,
      temperatureC,
      precipitationMm,
      windSpeedMs: Math.max(0, windSpeedMs),
      cloudCoverPct,
      condition,
      raining,
    };
  }

  /** The day's events: concerts at Royal Arena (mostly Thursday–Saturday) and weekend markets on Kongens Nytorv. */
  events(index: number): SimEvent[] {
    return this.dayEvents.get(index, () => {
      const d = this.day(index);
      const out: SimEvent[] = [];
      const r = rng(this.seed, 'events', index);
      if (r() < (d.weekday >= 4 && d.weekday <= 6 ? 0.55 : 0.25)) {
        const start = this.at(index, 20);
        out.push({
          id: `sim-event-${VENUES.royalArena.venueId}-${d.date}`,
          title: CONCERTS[between(r, 0, CONCERTS.length - 1)]!,
          category: 'concert',
          venue: VENUES.royalArena,
          start,
          end: start + (150 + 15 * between(r, 0, 2)) * MINUTE_MS,
          expectedAttendance: 1000 * between(r, 9, 16),
          radiusM: 1200,
          profile: CONCERT_PROFILE,
        });
      }
      if (d.weekday >= 6 && r() < 0.7) {
        out.push({
          id: `sim-event-${VENUES.kongensNytorv.venueId}-${d.date}`,
          title: 'Kongens Nytorv street food and music market',
          category: 'market',
          venue: VENUES.kongensNytorv,
          start: this.at(index, 11),
          end: this.at(index, 18),
          expectedAttendance: 1000 * between(r, 4, 8),
          radiusM: 600,
          profile: MARKET_PROFILE,
        });
      }
      return out;
    });
  }

  /** Events whose crowd (lead-in to egress) overlaps [fromMs, toMs). */
  eventsBetween(fromMs: number, toMs: number): SimEvent[] {
    const out: SimEvent[] = [];
    for (let i = this.dayIndexOf(fromMs) - 1; i <= this.dayIndexOf(toMs); i++)
      for (const e of this.events(i))
        if (e.start - e.profile.leadInMin * MINUTE_MS < toMs && e.end + e.profile.egressMin * MINUTE_MS > fromMs) out.push(e);
    return out;
  }

  /** How much of an event's crowd is around at `ms`: 0 outside, rising to 1 at the start, `during` inside, 1 → 0 after the end. */
  static crowd(e: SimEvent, ms: number): number {
    const lead = e.profile.leadInMin * MINUTE_MS;
    const egress = e.profile.egressMin * MINUTE_MS;
    if (ms < e.start - lead || ms >= e.end + egress) return 0;
    if (ms < e.start) return 1 - (e.start - ms) / lead;
    if (ms < e.end) return e.profile.during;
    return 1 - (ms - e.end) / egress;
  }

  /** Footfall multiplier from events at a place: 1 away from any event, up to 1 + MAX_EVENT_BOOST at a venue. */
  eventFactor(place: { lat: number; lng: number }, ms: number): number {
    let f = 1;
    for (const e of this.eventsBetween(ms, ms + 1)) {
      const near = 1 - distanceM(place, e.venue) / e.radiusM;
      if (near <= 0) continue;
      f += Math.min(MAX_EVENT_BOOST, e.expectedAttendance / 4000) * near * World.crowd(e, ms);
    }
    return f;
  }

  /** Footfall multiplier from the weather of `w`'s hour: outdoors RAIN_OUTDOOR_FACTOR in rain, indoors RAIN_INDOOR_FACTOR. */
  static weatherFactor(indoor: boolean, w: HourWeather): number {
    if (!w.raining) return 1;
    return indoor ? RAIN_INDOOR_FACTOR : RAIN_OUTDOOR_FACTOR;
  }

  /** Expected footfall at a place relative to its dry, event-free peak: rhythm × weather × events. */
  activity(place: { lat: number; lng: number; indoor: boolean }, ms: number): number {
    return this.rhythm(ms) * World.weatherFactor(place.indoor, this.weather(ms)) * this.eventFactor(place, ms);
  }

  /** The day's metro incidents: on about a third of days one train delay at a station, during service hours. */
  incidents(index: number): SimIncident[] {
    return this.dayIncidents.get(index, () => {
      const r = rng(this.seed, 'incidents', index);
      if (r() >= 0.35) return [];
      const stationIndex = pickWeighted(
        r,
        METRO_STATIONS.map((s) => s.peak),
      );
      const station = METRO_STATIONS[stationIndex]!;
      const line = station.lines[between(r, 0, station.lines.length - 1)]!;
      const start = this.at(index, 6.5 + Math.floor(r() * 31) / 2);
      const delayMin = between(r, 5, 25);
      const severity = delayMin < 10 ? 'low' : delayMin < 20 ? 'medium' : 'high';
      return [
        {
          id: `sim-incident-${this.day(index).date}-${line}`,
          kind: 'train_delay',
          stationIndex,
          line,
          start,
          end: start + between(r, 20, 90) * MINUTE_MS,
          delayMin,
          severity,
          description: `${line} delayed by about ${delayMin} minutes at ${station.name} (signal fault)`,
        },
      ];
    });
  }

  incidentsBetween(fromMs: number, toMs: number): SimIncident[] {
    const out: SimIncident[] = [];
    for (let i = this.dayIndexOf(fromMs) - 1; i <= this.dayIndexOf(toMs); i++)
      for (const x of this.incidents(i)) if (x.start < toMs && x.end > fromMs) out.push(x);
    return out;
  }

  /** Tap-in multiplier at a station: INCIDENT_TAP_FACTOR during a delay there, else 1. */
  incidentFactor(stationIndex: number, ms: number): number {
    return this.incidentsBetween(ms, ms + 1).some((x) => x.stationIndex === stationIndex) ? INCIDENT_TAP_FACTOR : 1;
  }
}
