// TypeScript shapes of the records on the raw topics (mirroring the .avsc files) and the semantic
// checks every path applies to them (HTTP ingest before producing, processors after decoding),
// so a record is judged by one rule wherever it enters.

import type { FieldError } from '../shared/errors.js';
import { DAY_MS, MIN_TIME_MS } from '../shared/time.js';

export const CAMERA_CLASSES = ['pedestrian', 'cyclist', 'vehicle', 'unknown'] as const;
export type CameraClass = (typeof CAMERA_CLASSES)[number];

/** pm.raw.camera.v1 (schemas/raw-camera.avsc). */
export interface CameraCount {
  recordId: string;
  sensorId: string;
  start: number;
  end: number;
  in: number;
  out: number;
  line: string | null;
  class: CameraClass | null;
  lat: number | null;
  lng: number | null;
  receivedAt: number;
}

export interface RecordLimits {
  /** Latest accepted end: now + allowed clock skew (ms since epoch). */
  latestEndMs: number;
  /** Longest interval one count may cover (ms). */
  maxIntervalMs: number;
  /** Largest count per direction in one record. */
  maxCount: number;
}

export const DEFAULT_MAX_INTERVAL_MS = 31 * DAY_MS;
export const DEFAULT_MAX_COUNT = 1_000_000;

export function checkLocation(lat: number | null, lng: number | null): FieldError[] {
  const errors: FieldError[] = [];
  if ((lat === null) !== (lng === null)) errors.push({ field: lat === null ? 'lat' : 'lng', reason: 'lat and lng must be given together' });
  if (lat !== null && !(lat >= -90 && lat <= 90)) errors.push({ field: 'lat', reason: 'must be between -90 and 90' });
  if (lng !== null && !(lng >= -180 && lng <= 180)) errors.push({ field: 'lng', reason: 'must be between -180 and 180' });
  return errors;
}

/** Semantic checks of a camera count; empty when the record is usable. */
export function checkCameraCount(r: CameraCount, limits: RecordLimits): FieldError[] {
  const errors: FieldError[] = [];
  if (r.sensorId.length === 0) errors.push({ field: 'sensorId', reason: 'must not be empty' });
  if (r.start < MIN_TIME_MS) errors.push({ field: 'start', reason: 'must be after 2000-01-01T00:00:00Z' });
  if (r.end <= r.start) errors.push({ field: 'end', reason: 'must be after start' });
  else if (r.end - r.start > limits.maxIntervalMs)
    errors.push({ field: 'end', reason: `interval must not exceed ${limits.maxIntervalMs / DAY_MS} days` });
  if (r.end > limits.latestEndMs) errors.push({ field: 'end', reason: 'is in the future' });
  for (const f of ['in', 'out'] as const) {
    if (!Number.isInteger(r[f]) || r[f] < 0) errors.push({ field: f, reason: 'must be a non-negative integer' });
    else if (r[f] > limits.maxCount) errors.push({ field: f, reason: `must not exceed ${limits.maxCount}` });
  }
  errors.push(...checkLocation(r.lat, r.lng));
  return errors;
}

/** pm.raw.wifi.v1 (schemas/raw-wifi.avsc). */
export interface WifiSighting {
  recordId: string;
  sensorId: string;
  deviceHash: string;
  seenAt: number;
  rssi: number | null;
  lat: number | null;
  lng: number | null;
  keyPeriod: string;
  receivedAt: number;
}

/** pm.raw.telco.v1 (schemas/raw-telco.avsc). */
export interface TelcoEvent {
  recordId: string;
  deviceHash: string;
  networkCellId: string;
  seenAt: number;
  lat: number;
  lng: number;
  homeCountry: string | null;
  segment: 'resident' | 'domestic_visitor' | 'international_visitor' | 'unknown' | null;
  keyPeriod: string;
  receivedAt: number;
}

/** pm.raw.ticketing.v1 (schemas/raw-ticketing.avsc). */
export interface TicketingEvent {
  recordId: string;
  stationId: string;
  kind: 'tap_in' | 'tap_out' | 'gate_entry' | 'gate_exit';
  start: number;
  end: number;
  count: number;
  mode: string | null;
  cardHash: string | null;
  lat: number | null;
  lng: number | null;
  keyPeriod: string | null;
  receivedAt: number;
}

function checkInstant(field: string, ms: number, limits: RecordLimits): FieldError[] {
  if (ms < MIN_TIME_MS) return [{ field, reason: 'must be after 2000-01-01T00:00:00Z' }];
  if (ms > limits.latestEndMs) return [{ field, reason: 'is in the future' }];
  return [];
}

export function checkWifiSighting(r: WifiSighting, limits: RecordLimits): FieldError[] {
  return [...checkInstant('seenAt', r.seenAt, limits), ...checkLocation(r.lat, r.lng)];
}

export function checkTelcoEvent(r: TelcoEvent, limits: RecordLimits): FieldError[] {
  return [...checkInstant('seenAt', r.seenAt, limits), ...checkLocation(r.lat, r.lng)];
}

export function checkTicketingEvent(r: TicketingEvent, limits: RecordLimits): FieldError[] {
  const errors = checkInstant('start', r.start, limits);
  if (r.end < r.start) errors.push({ field: 'end', reason: 'must not be before start' });
  else if (r.end - r.start > limits.maxIntervalMs)
    errors.push({ field: 'end', reason: `interval must not exceed ${limits.maxIntervalMs / DAY_MS} days` });
  if (r.end > limits.latestEndMs) errors.push({ field: 'end', reason: 'is in the future' });
  if (!Number.isInteger(r.count) || r.count < 0 || r.count > limits.maxCount)
    errors.push({ field: 'count', reason: `must be an integer from 0 to ${limits.maxCount}` });
  if ((r.kind === 'tap_in' || r.kind === 'tap_out') && r.count !== 1) errors.push({ field: 'count', reason: 'a tap counts one passage' });
  errors.push(...checkLocation(r.lat, r.lng));
  return errors;
}
