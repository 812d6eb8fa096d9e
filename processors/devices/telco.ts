// Telco device events → presence (unique devices per base cell, 5-minute window and segment) and
// origin→destination flows: two successive events of one pseudonymous device in different cells at
// most PASSAGE_TRIP_GAP_MS apart make a trip from the first cell to the second, counted in the
// window of the departure (the device's last event in the origin cell) under the device's segment.
// Events older than the device's last one (out of order or repeated) count for presence but are not
// part of any trip. Records are keyed by device at ingest, so a device's events are in one
// partition, in order.

import { ok } from '../../shared/result.js';
import type { Config } from '../../shared/config.js';
import { windowStart } from '../../shared/time.js';
import { KeyedState, type KeyedEntry } from '../core/keyed-state.js';
import { baseCell } from '../core/locate.js';
import type { OperatorSpec, PartitionOperator, ReplayPoint, TableRows, Touch } from '../core/operator.js';
import { DeviceRows, FlowRows } from '../core/rows.js';

export interface DeviceEvent {
  device: string;
  cell: bigint;
  t: number;
  segment: string;
}

interface LastSeen extends KeyedEntry {
  cell: bigint;
}

class TelcoOperator implements PartitionOperator<DeviceEvent> {
  private readonly last: KeyedState<LastSeen>;
  private readonly presence = new DeviceRows('telco');
  private readonly flows = new FlowRows('telco');

  constructor(private readonly p: Config['processing']) {
    this.last = new KeyedState(p.tripGapMs + p.allowedLatenessMs);
  }

  add(r: DeviceEvent, offset: number, replay: boolean): Touch[] {
    const point = this.last.pointAt(offset);
    const prev = this.last.get(r.device);
    if (prev === undefined || r.t > prev.last) {
      if (!replay && prev !== undefined && r.cell !== prev.cell && r.t - prev.last <= this.p.tripGapMs)
        this.flows.trip(prev.cell, r.cell, windowStart(prev.last, this.p.windowMs), r.segment, r.t - prev.last);
      this.last.set(r.device, { last: r.t, cell: r.cell, point });
    }
    this.last.advance(r.t);
    const w = windowStart(r.t, this.p.windowMs);
    if (!replay) this.presence.device(r.cell, w, r.segment, r.device);
    return [{ windowStart: w, eventMs: r.t }];
  }

  take(): TableRows[] {
    this.last.sweep();
    return [this.presence.take(), this.flows.take()];
  }

  size(): number {
    return this.presence.size() + this.flows.size();
  }

  checkpoint(): ReplayPoint | null {
    return this.last.checkpoint();
  }

  restore(point: ReplayPoint): void {
    this.last.restore(point);
  }

  endReplay(): void {
    this.last.sweep();
  }
}

export function telcoOperator(processing: Config['processing']): OperatorSpec<'telco', DeviceEvent> {
  return {
    name: 'devices',
    source: 'telco',
    prepare: (e) => Promise.resolve(ok({ device: e.deviceHash, cell: baseCell(e.lat, e.lng), t: e.seenAt, segment: e.segment ?? '' })),
    create: () => new TelcoOperator(processing),
  };
}
