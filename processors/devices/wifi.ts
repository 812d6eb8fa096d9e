// Wi-Fi sightings → unique visitors per (base cell, 5-minute window) and dwell. A visit (dwell
// session) is the sightings of one pseudonymous device at one site (the sensor registry's `site`,
// else the sensor itself) at most PASSAGE_SESSION_GAP_MS apart; its dwell is the time from its first
// to its last sighting (a device seen once dwells 0). A visit closes when a later sighting comes
// more than the gap after it, or once the partition's event-time clock is past its last sighting by
// the gap plus the allowed lateness; it is then counted in the cell and window of its first sighting
// (for a live feed: a correction of that window). Sightings older than a visit's last one (out of
// order or repeated) count as visitors but do not move the visit. Records are keyed by device at
// ingest, so a device's sightings are in one partition, in order.

import type { SensorRegistry } from '../../shared/sensors.js';
import { ok } from '../../shared/result.js';
import type { Config } from '../../shared/config.js';
import { windowStart } from '../../shared/time.js';
import { KeyedState, type KeyedEntry } from '../core/keyed-state.js';
import { place } from '../core/locate.js';
import type { OperatorSpec, PartitionOperator, ReplayPoint, TableRows, Touch } from '../core/operator.js';
import { DeviceRows } from '../core/rows.js';

export interface Sighting {
  device: string;
  site: string;
  cell: bigint;
  t: number;
}

interface Visit extends KeyedEntry {
  first: number;
  cell: bigint;
}

class WifiOperator implements PartitionOperator<Sighting> {
  private readonly visits: KeyedState<Visit>;
  private readonly out = new DeviceRows('wifi');

  constructor(private readonly p: Config['processing']) {
    this.visits = new KeyedState(p.sessionGapMs + p.allowedLatenessMs);
  }

  private close(v: Visit): void {
    this.out.session(v.cell, windowStart(v.first, this.p.windowMs), v.last - v.first);
  }

  add(r: Sighting, offset: number, replay: boolean): Touch[] {
    const key = `${r.device}|${r.site}`;
    const point = this.visits.pointAt(offset);
    const v = this.visits.get(key, (stale) => {
      if (!replay) this.close(stale);
    });
    if (v !== undefined && r.t <= v.last + this.p.sessionGapMs) {
      if (r.t > v.last) v.last = r.t;
    } else {
      if (v !== undefined && !replay) this.close(v);
      this.visits.set(key, { first: r.t, last: r.t, cell: r.cell, point });
    }
    this.visits.advance(r.t);
    const w = windowStart(r.t, this.p.windowMs);
    if (!replay) this.out.device(r.cell, w, '', r.device);
    return [{ windowStart: w, eventMs: r.t }];
  }

  take(): TableRows[] {
    for (const v of this.visits.sweep()) this.close(v);
    return [this.out.take()];
  }

  size(): number {
    return this.out.size();
  }

  checkpoint(): ReplayPoint | null {
    return this.visits.checkpoint();
  }

  restore(point: ReplayPoint): void {
    this.visits.restore(point);
  }

  endReplay(): void {
    this.visits.sweep();
  }
}

export function wifiOperator(sensors: SensorRegistry, processing: Config['processing']): OperatorSpec<'wifi', Sighting> {
  return {
    name: 'devices',
    source: 'wifi',
    prepare: async (s) => {
      const placed = await place(s.sensorId, s.lat, s.lng, sensors, 'always');
      if (placed.kind !== 'ok') return placed;
      const site = placed.value.sensor?.site || s.sensorId;
      return ok({ device: s.deviceHash, site, cell: placed.value.cell, t: s.seenAt });
    },
    create: () => new WifiOperator(processing),
  };
}
