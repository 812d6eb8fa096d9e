// Simulated metro ticketing at real Copenhagen stations: tap-in/tap-out pairs of synthetic cards
// (commuters in the rush hours, other trips through the day, crowds to and from events) with journey
// times from the distance, and 5-minute gate entry/exit counts per station. Writes TicketingInput.

import type { SensorInput, TicketingInput } from '../../schemas/inputs.js';
import { MINUTE_MS } from '../../shared/time.js';
import { gateSensorId, METRO_STATIONS, type MetroStation } from './places.js';
import { distanceM, normal, pickWeighted, poisson, rng, type Rng } from './random.js';
import { LookbackStream, type Due } from './stream.js';
import type { World } from './world.js';

/** Longest journey from tap-in to tap-out (minutes), including a delay. */
export const TICKETING_MAX_JOURNEY_MIN = 60;
/** Gate counters report passages per interval of this length. */
export const GATE_INTERVAL_MS = 5 * MINUTE_MS;
/** Commuter cards per unit of scale: tap data is a sample of card holders; the gates count everyone. */
export const COMMUTER_CARDS_PER_SCALE = 800;
/** Other trips per minute from a station at the busiest hour, per passenger per minute of its gate peak. */
const TRIPS_PER_PEAK_PASSENGER = 0.027;
const MODE = 'metro';

export function ticketingSensors(): SensorInput[] {
  return METRO_STATIONS.flatMap((s) => [
    {
      sensorId: s.stationId,
      source: 'ticketing' as const,
      lat: s.lat,
      lng: s.lng,
      site: `${s.name} (card readers)`,
      owner: 'simulator',
      metadata: { simulated: true, lines: s.lines },
    },
    {
      sensorId: gateSensorId(s.stationId),
      source: 'ticketing' as const,
      lat: s.lat,
      lng: s.lng,
      site: `${s.name} (gate counter)`,
      owner: 'simulator',
      metadata: { simulated: true, lines: s.lines },
    },
  ]);
}

/** Tap-in to tap-out: walk to the platform, wait for a train (2–4 minute headways), ride, change lines if needed, walk out. */
export function journeyMinutes(from: MetroStation, to: MetroStation, r: Rng): number {
  const rideMin = distanceM(from, to) / 1000 / 0.6;
  const change = from.lines.some((l) => to.lines.includes(l)) ? 0 : 4;
  return Math.round(1.5 + 0.5 + 3.5 * r() + rideMin + change + 1);
}

/** A synthetic 16-digit travel card number (raw; the edge pseudonymises it). */
export function cardNumber(r: Rng): string {
  let s = '9208';
  while (s.length < 16) s += String(Math.floor(r() * 10));
  return s;
}

const homeWeights = METRO_STATIONS.map((s) => s.home);
const workWeights = METRO_STATIONS.map((s) => s.work);

export class TicketingModel {
  private readonly trips: LookbackStream<TicketingInput>;
  private readonly cards: number;
  private commuterDays = new Map<number, Due<TicketingInput>[]>();

  constructor(
    private readonly world: World,
    private readonly scale: number,
  ) {
    this.cards = Math.round(COMMUTER_CARDS_PER_SCALE * scale);
    this.trips = new LookbackStream(TICKETING_MAX_JOURNEY_MIN, (m) => this.tripsStarting(m));
  }

  /** Taps with start in [fromMs, toMs) and gate counts whose interval ends in [fromMs, toMs). */
  records(fromMs: number, toMs: number): TicketingInput[] {
    return [...this.gates(fromMs, toMs), ...this.commuterTaps(fromMs, toMs), ...this.trips.between(fromMs, toMs)];
  }

  private gates(fromMs: number, toMs: number): TicketingInput[] {
    const out: TicketingInput[] = [];
    const w = this.world;
    for (let end = Math.ceil(fromMs / GATE_INTERVAL_MS) * GATE_INTERVAL_MS; end < toMs; end += GATE_INTERVAL_MS) {
      const start = end - GATE_INTERVAL_MS;
      METRO_STATIONS.forEach((s, i) => {
        const r = rng(w.seed, 'gates', s.stationId, start);
        const mean = this.scale * s.peak * (GATE_INTERVAL_MS / MINUTE_MS) * w.activity({ ...s, indoor: true }, start);
        const stationId = gateSensorId(s.stationId);
        out.push(
          { stationId, kind: 'gate_entry', start, end, count: poisson(r, mean * w.incidentFactor(i, start)), mode: MODE },
          { stationId, kind: 'gate_exit', start, end, count: poisson(r, mean), mode: MODE },
        );
      });
    }
    return out;
  }

  /** A tap-in at `from` and the matching tap-out on arrival (later by the journey time and any delay). */
  private journey(r: Rng, card: string, from: number, to: number, at: number, out: Due<TicketingInput>[]): void {
    const a = METRO_STATIONS[from]!;
    const b = METRO_STATIONS[to]!;
    const delay = this.world.incidentsBetween(at, at + 1).find((x) => x.stationIndex === from)?.delayMin ?? 0;
    const arrive = at + Math.min(TICKETING_MAX_JOURNEY_MIN - 1, journeyMinutes(a, b, r) + delay) * MINUTE_MS + Math.floor(r() * 30_000);
    out.push(
      { at, record: { stationId: a.stationId, kind: 'tap_in', start: at, mode: MODE, cardId: card } },
      { at: arrive, record: { stationId: b.stationId, kind: 'tap_out', start: arrive, mode: MODE, cardId: card } },
    );
  }

  /** Commuter cards: home → work around 8:00 and back around 16:45 on weekdays. */
  private commuterTaps(fromMs: number, toMs: number): TicketingInput[] {
    const out: TicketingInput[] = [];
    for (let day = this.world.dayIndexOf(fromMs); day <= this.world.dayIndexOf(toMs - 1); day++) {
      const taps = this.commuterDay(day);
      // Binary search for the first tap at or after fromMs.
      let lo = 0;
      let hi = taps.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (taps[mid]!.at < fromMs) lo = mid + 1;
        else hi = mid;
      }
      for (let k = lo; k < taps.length && taps[k]!.at < toMs; k++) out.push(taps[k]!.record);
    }
    return out;
  }

  private commuterDay(day: number): Due<TicketingInput>[] {
    const hit = this.commuterDays.get(day);
    if (hit !== undefined) return hit;
    const w = this.world;
    const out: Due<TicketingInput>[] = [];
    if (w.day(day).weekday <= 5) {
      for (let c = 0; c < this.cards; c++) {
        const profile = rng(w.seed, 'commuter', c);
        const card = cardNumber(profile);
        const home = pickWeighted(profile, homeWeights);
        const work = pickWeighted(profile, workWeights);
        const r = rng(w.seed, 'commute', c, day);
        if (home === work || r() >= 0.9) continue;
        const leave = w.at(day, Math.min(10, Math.max(6, 8 + 0.6 * normal(r))));
        const back = w.at(day, Math.min(20, Math.max(14.5, 16.75 + 0.8 * normal(r))));
        this.journey(r, card, home, work, leave, out);
        this.journey(r, card, work, home, back, out);
      }
    }
    out.sort((a, b) => a.at - b.at);
    if (this.commuterDays.size >= 3) this.commuterDays = new Map([...this.commuterDays].filter(([d]) => Math.abs(d - day) <= 1));
    this.commuterDays.set(day, out);
    return out;
  }

  /** Other trips starting in minute `minute`: more in busy hours, towards an event before it and away after. */
  private tripsStarting(minute: number): Due<TicketingInput>[] {
    const w = this.world;
    const t0 = minute * MINUTE_MS;
    const out: Due<TicketingInput>[] = [];
    // Destinations: busy stations, and those near an event that is about to draw its crowd.
    const toWeights = METRO_STATIONS.map((s) => s.peak * w.eventFactor(s, t0 + 20 * MINUTE_MS));
    METRO_STATIONS.forEach((s, i) => {
      const lambda = this.scale * TRIPS_PER_PEAK_PASSENGER * s.peak * w.activity({ ...s, indoor: true }, t0) * w.incidentFactor(i, t0);
      const n = poisson(rng(w.seed, 'trips', i, minute), lambda);
      for (let k = 0; k < n; k++) {
        const r = rng(w.seed, 'trip', i, minute, k);
        const to = pickWeighted(
          r,
          toWeights.map((x, j) => (j === i ? 0 : x)),
        );
        this.journey(r, cardNumber(r), i, to, t0 + Math.floor(r() * MINUTE_MS), out);
      }
    });
    return out;
  }
}
