// Ticketing taps → station-to-station flows: a card's tap-in paired with the same card's next
// tap-out at most PASSAGE_MAX_JOURNEY_MS later is one trip from the tap-in station's cell to the
// tap-out station's, counted in the window of the tap-in under its mode (else the tap-out's). A
// newer tap-in replaces an unmatched one; a tap-out without an open tap-in pairs with nothing; taps
// older than the card's latest accepted tap (out of order or repeated) are ignored, so a repeated
// tap can never make a second trip. Gate counts and taps without a card are not journeys (dropped here; they are
// counted by the footfall processor). Records are keyed by card at ingest, so a card's taps are in
// one partition, in order.

import type { SensorRegistry } from '../../shared/sensors.js';
import { drop, ok } from '../../shared/result.js';
import type { Config } from '../../shared/config.js';
import { windowStart } from '../../shared/time.js';
import { KeyedState, type KeyedEntry } from '../core/keyed-state.js';
import { place } from '../core/locate.js';
import type { OperatorSpec, PartitionOperator, ReplayPoint, TableRows, Touch } from '../core/operator.js';
import { FlowRows } from '../core/rows.js';

export interface Tap {
  card: string;
  kind: 'in' | 'out';
  cell: bigint;
  t: number;
  mode: string;
}

interface Journey extends KeyedEntry {
  /** The latest tap was a tap-in, still waiting for its tap-out (a tap-out is kept too, so older taps stay ignored). */
  open: boolean;
  cell: bigint;
  mode: string;
}

class JourneyOperator implements PartitionOperator<Tap> {
  private readonly journeys: KeyedState<Journey>;
  private readonly flows = new FlowRows('ticketing');

  constructor(private readonly p: Config['processing']) {
    this.journeys = new KeyedState(p.maxJourneyMs + p.allowedLatenessMs);
  }

  add(r: Tap, offset: number, replay: boolean): Touch[] {
    const point = this.journeys.pointAt(offset);
    const j = this.journeys.get(r.card);
    if (j === undefined || r.t > j.last) {
      if (r.kind === 'out' && j?.open === true && r.t - j.last <= this.p.maxJourneyMs && !replay)
        this.flows.trip(j.cell, r.cell, windowStart(j.last, this.p.windowMs), j.mode || r.mode, r.t - j.last);
      this.journeys.set(r.card, { open: r.kind === 'in', last: r.t, cell: r.cell, mode: r.mode, point });
    }
    this.journeys.advance(r.t);
    return [{ windowStart: windowStart(r.t, this.p.windowMs), eventMs: r.t }];
  }

  take(): TableRows[] {
    this.journeys.sweep();
    return [this.flows.take()];
  }

  size(): number {
    return this.flows.size();
  }

  checkpoint(): ReplayPoint | null {
    return this.journeys.checkpoint();
  }

  restore(point: ReplayPoint): void {
    this.journeys.restore(point);
  }

  endReplay(): void {
    this.journeys.sweep();
  }
}

export function journeyOperator(sensors: SensorRegistry, processing: Config['processing']): OperatorSpec<'ticketing', Tap> {
  return {
    name: 'flows',
    source: 'ticketing',
    prepare: async (e) => {
      if (e.cardHash === null || (e.kind !== 'tap_in' && e.kind !== 'tap_out')) return drop('not_a_card_tap');
      const placed = await place(e.stationId, e.lat, e.lng, sensors);
      if (placed.kind !== 'ok') return placed;
      return ok({ card: e.cardHash, kind: e.kind === 'tap_in' ? 'in' : 'out', cell: placed.value.cell, t: e.end, mode: e.mode ?? '' });
    },
    create: () => new JourneyOperator(processing),
  };
}
