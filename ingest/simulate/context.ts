// Simulated context feeds from the same world the sources live in: hourly weather observations at
// two stations, events (the coming week's, announced at start and every local midnight) and metro
// delays (reported when they start, updated when they end). Writes the plain context input shapes.

import type { EventPlainInput, IncidentPlainInput, WeatherPlainInput } from '../context/index.js';
import { HOUR_MS } from '../../shared/time.js';
import { METRO_STATIONS, WEATHER_STATIONS } from './places.js';
import type { SimEvent, SimIncident, World } from './world.js';

export const WEATHER_PROVIDER = 'passage-simulator';
/** Event feeds list what is coming: each midnight (and at start) the events of the next week are (re)announced. */
export const EVENT_HORIZON_DAYS = 7;

export interface ContextBatch {
  weather: WeatherPlainInput[];
  events: EventPlainInput[];
  incidents: IncidentPlainInput[];
}

export function emptyContext(): ContextBatch {
  return { weather: [], events: [], incidents: [] };
}

function eventInput(e: SimEvent): EventPlainInput {
  return {
    id: e.id,
    title: e.title,
    category: e.category,
    start: e.start,
    end: e.end,
    lat: e.venue.lat,
    lng: e.venue.lng,
    radiusM: e.radiusM,
    expectedAttendance: e.expectedAttendance,
  };
}

function incidentInput(x: SimIncident, ended: boolean): IncidentPlainInput {
  const station = METRO_STATIONS[x.stationIndex]!;
  return {
    id: x.id,
    kind: x.kind,
    start: x.start,
    end: ended ? x.end : null,
    lat: station.lat,
    lng: station.lng,
    radiusM: 300,
    severity: x.severity,
    line: x.line,
    delayMin: x.delayMin,
    description: x.description,
  };
}

export class ContextModel {
  constructor(private readonly world: World) {}

  /** The observation of the hour starting at `hourStart` at every station (the airport is windier and a little colder). */
  weatherAt(hourStart: number): WeatherPlainInput[] {
    const w = this.world.weather(hourStart);
    return WEATHER_STATIONS.map((s, i) => ({
      stationId: s.stationId,
      lat: s.lat,
      lng: s.lng,
      observedAt: hourStart,
      temperatureC: Math.round((w.temperatureC - 0.5 * i) * 10) / 10,
      precipitationMm: w.precipitationMm,
      windSpeedMs: Math.round((w.windSpeedMs + 1.5 * i) * 10) / 10,
      cloudCoverPct: w.cloudCoverPct,
      condition: w.condition,
      provider: WEATHER_PROVIDER,
    }));
  }

  /** Context due in [fromMs, toMs): an hour's weather when it ends, the coming week's events at local midnight, incidents as they start and end. */
  records(fromMs: number, toMs: number): ContextBatch {
    const out = emptyContext();
    for (let end = Math.ceil(fromMs / HOUR_MS) * HOUR_MS; end < toMs; end += HOUR_MS) out.weather.push(...this.weatherAt(end - HOUR_MS));
    const w = this.world;
    for (let day = w.dayIndexOf(fromMs); day <= w.dayIndexOf(toMs - 1); day++) {
      const midnight = w.day(day).startMs;
      if (midnight >= fromMs && midnight < toMs) out.events.push(...this.upcoming(day));
    }
    for (const x of w.incidentsBetween(fromMs - 1, toMs)) {
      if (x.start >= fromMs && x.start < toMs) out.incidents.push(incidentInput(x, false));
      if (x.end >= fromMs && x.end < toMs) out.incidents.push(incidentInput(x, true));
    }
    return out;
  }

  /** Events of day `day` and the EVENT_HORIZON_DAYS after it. */
  private upcoming(day: number): EventPlainInput[] {
    return Array.from({ length: EVENT_HORIZON_DAYS + 1 }, (_, k) => this.world.events(day + k))
      .flat()
      .map(eventInput);
  }

  /** What a feed shows at `nowMs`: the last complete hour's weather, the coming week's events, today's incidents so far. */
  current(nowMs: number): ContextBatch {
    const w = this.world;
    const today = w.dayIndexOf(nowMs);
    return {
      weather: this.weatherAt(Math.floor(nowMs / HOUR_MS) * HOUR_MS - HOUR_MS),
      events: this.upcoming(today),
      incidents: w
        .incidents(today)
        .filter((x) => x.start < nowMs)
        .map((x) => incidentInput(x, x.end <= nowMs)),
    };
  }
}
