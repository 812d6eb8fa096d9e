// Simulated telco network events: synthetic subscribers (phone-number-like ids) with a day plan —
// residents commute between home and work cells in the rush hours, visitors move between hotel and
// sights, arriving and leaving by airport or train; some go to the day's events. Writes TelcoInput.

import type { TelcoInput } from '../../schemas/inputs.js';
import { HOUR_MS, MINUTE_MS } from '../../shared/time.js';
import { AIRPORT_CELL, CELL_SITES, CENTRAL_STATION_CELL, VISITOR_COUNTRIES } from './places.js';
import { between, distanceM, normal, pickWeighted, rng, type Rng } from './random.js';
import { LookbackStream, type Due } from './stream.js';
import type { World } from './world.js';

/** Subscribers per unit of scale (a sample of one operator's customers). */
export const SUBSCRIBERS_PER_SCALE = 1500;
/** Shares of the population: residents, domestic visitors, international visitors (the rest). */
export const RESIDENT_SHARE = 0.75;
export const DOMESTIC_VISITOR_SHARE = 0.15;
/** Chance per minute that an idle phone produces an event (data session, call, periodic update): day / night. */
const ACTIVITY_DAY = 1 / 18;
const ACTIVITY_NIGHT = 1 / 90;

type Segment = 'resident' | 'domestic_visitor' | 'international_visitor';

interface Subscriber {
  segment: Segment;
  /** Residents: home and work cells; whether they commute at all. */
  home: number;
  work: number;
  commuter: boolean;
  /** Visitors: days per stay and the phase of this slot's stays. */
  stayDays: number;
  phase: number;
}

/** Where a subscriber is over one local day: a base cell and later overlays that win. */
interface DayPlan {
  base: number | null;
  overlays: { from: number; to: number; cell: number | null }[];
  deviceId: string;
  homeCountry: string | undefined;
  segment: Segment;
}

const leisureWeights = CELL_SITES.map((c) => c.leisure);
const homeWeights = CELL_SITES.map((c) => c.home);
const workWeights = CELL_SITES.map((c) => c.work);
const hotelWeights = CELL_SITES.map((c) => c.hotel);

/** The cell a commute between two cells passes through: the one nearest their midpoint, when it is neither. */
const VIA: number[][] = CELL_SITES.map((a, i) =>
  CELL_SITES.map((b, j) => {
    const mid = { lat: (a.lat + b.lat) / 2, lng: (a.lng + b.lng) / 2 };
    let best = -1;
    let bestD = 2000;
    CELL_SITES.forEach((c, k) => {
      const d = distanceM(mid, c);
      if (k !== i && k !== j && d < bestD) {
        best = k;
        bestD = d;
      }
    });
    return best;
  }),
);

/** The cell nearest a point (where an event crowd's phones attach). */
export function nearestCell(p: { lat: number; lng: number }): number {
  let best = 0;
  CELL_SITES.forEach((c, i) => {
    if (distanceM(p, c) < distanceM(p, CELL_SITES[best]!)) best = i;
  });
  return best;
}

function digits(r: Rng, n: number): string {
  let s = String(between(r, 1, 9));
  while (s.length < n) s += String(between(r, 0, 9));
  return s;
}

export class TelcoModel {
  private readonly stream: LookbackStream<TelcoInput>;
  private readonly subscribers: Subscriber[];
  private plans = new Map<number, (DayPlan | undefined)[]>();

  constructor(
    private readonly world: World,
    scale: number,
  ) {
    const n = Math.max(10, Math.round(SUBSCRIBERS_PER_SCALE * scale));
    this.subscribers = Array.from({ length: n }, (_, i) => this.subscriber(i));
    this.stream = new LookbackStream(0, (m) => this.minute(m));
  }

  /** Events with seenAt in [fromMs, toMs). */
  records(fromMs: number, toMs: number): TelcoInput[] {
    return this.stream.between(fromMs, toMs);
  }

  private subscriber(i: number): Subscriber {
    const r = rng(this.world.seed, 'subscriber', i);
    const x = r();
    const segment: Segment =
      x < RESIDENT_SHARE ? 'resident' : x < RESIDENT_SHARE + DOMESTIC_VISITOR_SHARE ? 'domestic_visitor' : 'international_visitor';
    const home = pickWeighted(r, homeWeights);
    const stayDays = segment === 'international_visitor' ? between(r, 2, 5) : between(r, 1, 3);
    return { segment, home, work: pickWeighted(r, workWeights), commuter: r() < 0.7, stayDays, phase: between(r, 0, stayDays - 1) };
  }

  /** The cell of subscriber `i` at `ms`, or null when they are not in the city. */
  cellAt(i: number, ms: number): number | null {
    const plan = this.plan(i, this.world.dayIndexOf(ms));
    for (let k = plan.overlays.length - 1; k >= 0; k--) {
      const o = plan.overlays[k]!;
      if (ms >= o.from && ms < o.to) return o.cell;
    }
    return plan.base;
  }

  private plan(i: number, day: number): DayPlan {
    let plans = this.plans.get(day);
    if (plans === undefined) {
      // Three days are enough: the slice being generated and the day before it.
      if (this.plans.size >= 3) this.plans = new Map([...this.plans].filter(([d]) => Math.abs(d - day) <= 1));
      plans = new Array<DayPlan | undefined>(this.subscribers.length);
      this.plans.set(day, plans);
    }
    let p = plans[i];
    if (p === undefined) {
      p = this.makePlan(i, day);
      plans[i] = p;
    }
    return p;
  }

  private makePlan(i: number, day: number): DayPlan {
    const s = this.subscribers[i]!;
    const w = this.world;
    const r = rng(w.seed, 'plan', i, day);
    const at = (hour: number): number => w.at(day, hour);
    const raining = (hour: number): boolean => w.weather(at(hour)).raining;
    const overlays: DayPlan['overlays'] = [];
    const go = (from: number, to: number, cell: number | null): void => {
      if (to > from) overlays.push({ from, to, cell });
    };
    const weekday = w.day(day).weekday <= 5;
    let plan: DayPlan;
    if (s.segment === 'resident') {
      plan = { base: s.home, overlays, deviceId: `+45${digits(rng(w.seed, 'phone', i), 8)}`, homeCountry: undefined, segment: s.segment };
      if (weekday && s.commuter && r() < 0.9 && s.work !== s.home) {
        const leave = at(Math.min(10, Math.max(6, 8 + 0.6 * normal(r))));
        const back = at(Math.min(20, Math.max(14.5, 16.75 + 0.8 * normal(r))));
        const commute = between(r, 20, 45) * MINUTE_MS;
        const via = VIA[s.home]![s.work]!;
        // The phone hands over from home to (a cell on the way to) work during the commute, and back.
        go(leave + commute / 3, back, via >= 0 ? via : s.work);
        go(leave + (2 * commute) / 3, back, s.work);
        go(back + commute / 3, back + (2 * commute) / 3, via >= 0 ? via : s.home);
        if (r() < (raining(19) ? 0.07 : 0.15)) {
          const out = at(19 + r() * 1.5);
          go(out, out + between(r, 60, 180) * MINUTE_MS, pickWeighted(r, leisureWeights));
        }
      } else if (r() < (raining(13) ? 0.35 : 0.6)) {
        const out = at(10 + r() * 6);
        go(out, out + between(r, 60, 240) * MINUTE_MS, pickWeighted(r, leisureWeights));
      }
    } else {
      // A visitor slot holds one visitor per stay; a new stay brings a new phone.
      const stay = Math.floor((day + s.phase) / s.stayDays);
      const first = stay * s.stayDays - s.phase;
      const sr = rng(w.seed, 'stay', i, stay);
      const international = s.segment === 'international_visitor';
      const country = international
        ? VISITOR_COUNTRIES[
            pickWeighted(
              sr,
              VISITOR_COUNTRIES.map((c) => c.share),
            )
          ]!
        : null;
      const hotel = pickWeighted(sr, hotelWeights);
      const gateway = international ? AIRPORT_CELL : CENTRAL_STATION_CELL;
      const arrival = at(between(sr, 9, 20));
      // A one-day visit leaves at least four hours after it arrived.
      const departure = Math.max(at(between(sr, 8, 18)), s.stayDays === 1 ? arrival + 4 * HOUR_MS : 0);
      plan = {
        base: hotel,
        overlays,
        deviceId: country === null ? `+45${digits(sr, 8)}` : `+${country.callingCode}${digits(sr, 9)}`,
        homeCountry: country?.country,
        segment: s.segment,
      };
      // Out to two to four sights between mid-morning and late evening.
      let t = at(9 + r() * 1.5);
      for (let k = between(r, 2, 4); k > 0; k--) {
        const stayMin = between(r, 60, raining(13) ? 120 : 180);
        go(t, t + stayMin * MINUTE_MS, pickWeighted(r, leisureWeights));
        t += (stayMin + between(r, 10, 40)) * MINUTE_MS;
      }
      if (day === first) {
        go(w.day(day).startMs, arrival, null);
        go(arrival, arrival + 45 * MINUTE_MS, gateway);
      }
      if (day === first + s.stayDays - 1) {
        go(departure, departure + 60 * MINUTE_MS, gateway);
        go(departure + 60 * MINUTE_MS, w.day(day).endMs, null);
      }
    }
    // The day's events draw a small share of everyone in town to the venue.
    for (const e of w.events(day)) {
      const share = (e.expectedAttendance / 600_000) * (plan.segment === 'resident' ? 1 : 1.5);
      if (r() < share) go(e.start - 60 * MINUTE_MS, e.end + 20 * MINUTE_MS, nearestCell(e.venue));
    }
    return plan;
  }

  /** Every subscriber's events in minute `minute`: on a cell change, and at random while active. */
  private minute(minute: number): Due<TelcoInput>[] {
    const t = minute * MINUTE_MS;
    const day = this.world.day(this.world.dayIndexOf(t));
    const hour = (t - day.startMs) / HOUR_MS;
    // Phones wake up between 6 and 8 and go quiet between 22 and midnight.
    const awake = Math.min(1, Math.max(0, hour - 6) / 2, Math.max(0, 24 - hour) / 2);
    const activity = ACTIVITY_NIGHT + (ACTIVITY_DAY - ACTIVITY_NIGHT) * awake;
    const out: Due<TelcoInput>[] = [];
    for (let i = 0; i < this.subscribers.length; i++) {
      const cell = this.cellAt(i, t);
      if (cell === null) continue;
      const r = rng(this.world.seed, 'telco', i, minute);
      const moved = this.cellAt(i, t - MINUTE_MS) !== cell;
      if (!moved && r() >= activity) continue;
      const plan = this.plan(i, day.index);
      const site = CELL_SITES[cell]!;
      const seenAt = t + Math.floor(r() * MINUTE_MS);
      out.push({
        at: seenAt,
        record: {
          deviceId: plan.deviceId,
          networkCellId: site.cellId,
          seenAt,
          lat: site.lat,
          lng: site.lng,
          segment: plan.segment,
          ...(plan.homeCountry === undefined ? {} : { homeCountry: plan.homeCountry }),
        },
      });
    }
    return out;
  }
}
