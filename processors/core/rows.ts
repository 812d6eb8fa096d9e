// Output buffers of the device and flow operators: rows for devices_in (one per distinct
// (source, cell, window, breakdown, device), plus summed sessions/dwell with device '') and for
// flows_5m (trips and their summed duration per origin, destination, window, breakdown). Rows are
// returned in insertion order, so the same records always produce the same write. A visit's dwell
// and a trip's duration count for at most DURATION_CAP_MS (the sensitivity the privacy release layer
// assumes for a duration sum).

import { DURATION_CAP_MS } from '../../shared/privacy.js';
import type { TableRows } from './operator.js';

export class DeviceRows {
  private readonly devices = new Map<string, Record<string, unknown>>();
  private readonly sessions = new Map<string, { cell: bigint; windowStart: number; sessions: number; dwellMs: number }>();

  constructor(private readonly source: string) {}

  /** A device seen in (cell, window) under `breakdown`. */
  device(cell: bigint, windowStart: number, breakdown: string, device: string): void {
    const key = `${cell}|${windowStart}|${breakdown}|${device}`;
    if (!this.devices.has(key))
      this.devices.set(key, { source: this.source, cell, window_start: windowStart / 1000, breakdown, device, sessions: 0, dwell_ms: 0 });
  }

  /** A closed visit of `dwellMs` (clamped to DURATION_CAP_MS), attributed to the cell and window of its first sighting. */
  session(cell: bigint, windowStart: number, dwell: number): void {
    const dwellMs = Math.min(dwell, DURATION_CAP_MS);
    const key = `${cell}|${windowStart}`;
    const s = this.sessions.get(key);
    if (s === undefined) this.sessions.set(key, { cell, windowStart, sessions: 1, dwellMs });
    else {
      s.sessions += 1;
      s.dwellMs += dwellMs;
    }
  }

  size(): number {
    return this.devices.size + this.sessions.size;
  }

  take(): TableRows {
    const rows = [
      ...this.devices.values(),
      ...[...this.sessions.values()].map((s) => ({
        source: this.source,
        cell: s.cell,
        window_start: s.windowStart / 1000,
        breakdown: '',
        device: '',
        sessions: s.sessions,
        dwell_ms: s.dwellMs,
      })),
    ];
    this.devices.clear();
    this.sessions.clear();
    return { table: 'devices_in', rows };
  }
}

export class FlowRows {
  private readonly flows = new Map<
    string,
    { origin: bigint; destination: bigint; windowStart: number; breakdown: string; trips: number; durationMs: number }
  >();

  constructor(private readonly source: string) {}

  /** A trip of `duration` (clamped to DURATION_CAP_MS) in the window of its start. */
  trip(origin: bigint, destination: bigint, windowStart: number, breakdown: string, duration: number): void {
    const durationMs = Math.min(duration, DURATION_CAP_MS);
    const key = `${origin}|${destination}|${windowStart}|${breakdown}`;
    const f = this.flows.get(key);
    if (f === undefined) this.flows.set(key, { origin, destination, windowStart, breakdown, trips: 1, durationMs });
    else {
      f.trips += 1;
      f.durationMs += durationMs;
    }
  }

  size(): number {
    return this.flows.size;
  }

  take(): TableRows {
    const rows = [...this.flows.values()].map((f) => ({
      source: this.source,
      origin_cell: f.origin,
      destination_cell: f.destination,
      window_start: f.windowStart / 1000,
      breakdown: f.breakdown,
      trips: f.trips,
      duration_ms: f.durationMs,
    }));
    this.flows.clear();
    return { table: 'flows_5m', rows };
  }
}
