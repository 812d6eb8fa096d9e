// The records of the context topics (pm.ctx.weather.v1, pm.ctx.events.v1, pm.ctx.incidents.v1;
// schemas/ctx-*.avsc) as TypeScript, and the one interface every context mapper implements: a
// provider's body in, records and per-record rejects out.

import type { ContextKind } from '../../shared/topics.js';

export type { ContextKind };

/** pm.ctx.weather.v1 (schemas/ctx-weather.avsc): one station-hour. Times are epoch milliseconds. */
export interface WeatherObservation {
  /** `${stationId}:${observedAt}`: the compacted topic keeps the latest version of each station-hour. */
  id: string;
  stationId: string;
  lat: number;
  lng: number;
  /** Start of the (UTC) hour observed. */
  observedAt: number;
  temperatureC: number | null;
  precipitationMm: number | null;
  windSpeedMs: number | null;
  cloudCoverPct: number | null;
  condition: string | null;
  provider: string;
  receivedAt: number;
}

/** pm.ctx.events.v1 (schemas/ctx-events.avsc). */
export interface CityEvent {
  id: string;
  title: string;
  category: string | null;
  start: number;
  end: number;
  lat: number | null;
  lng: number | null;
  radiusM: number | null;
  cells: string[];
  expectedAttendance: number | null;
  url: string | null;
  receivedAt: number;
}

export const INCIDENT_KINDS = ['train_delay', 'accident', 'closure', 'other'] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];
export const SEVERITIES = ['low', 'medium', 'high'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** pm.ctx.incidents.v1 (schemas/ctx-incidents.avsc). */
export interface Incident {
  id: string;
  kind: IncidentKind;
  start: number;
  /** Null while ongoing. */
  end: number | null;
  lat: number | null;
  lng: number | null;
  radiusM: number | null;
  severity: Severity | null;
  line: string | null;
  delayMin: number | null;
  description: string | null;
  receivedAt: number;
}

export type ContextRecord = WeatherObservation | CityEvent | Incident;

/** The index of a reject that concerns the whole body rather than one of its records. */
export const BODY_INDEX = -1;

/**
 * What a mapper yields, in input order. A record with several faults yields one reject per fault,
 * all with the record's index; a body that is not the mapper's format at all yields one reject with
 * index BODY_INDEX and field 'body'.
 */
export type ContextOutput = { kind: 'record'; record: ContextRecord } | { kind: 'reject'; index: number; field: string; reason: string };

export interface ContextMapper {
  /** Format name, unique within its kind ('plain', 'open-meteo', 'dmi-metobs', 'ics'). */
  name: string;
  kind: ContextKind;
  description: string;
  /**
   * Maps a body — parsed JSON, or text for text formats (iCalendar; JSON text is parsed too) —
   * received at `nowMs` (epoch ms; becomes every record's receivedAt). Never throws.
   */
  map(body: unknown, nowMs: number): ContextOutput[];
}
