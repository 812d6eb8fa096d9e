// The simulated sources, without infrastructure: the same (seed, time) gives the same records however
// time is sliced, every record has its source's edge shape, and each source looks like its real
// counterpart (visits with several sightings, commuting subscribers, tap pairs with journey times).

import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { INPUT_SCHEMAS, type TelcoInput, type TicketingInput } from '../../schemas/inputs.js';
import { HOUR_MS, MINUTE_MS } from '../../shared/time.js';
import { contextMapper } from '../context/index.js';
import { shapeErrors } from '../edge.js';
import { estimateRate, scaleForRate, SIM_SOURCES, SimulatedCity, sliceSize, type Slice } from './city.js';
import { gateSensorId, METRO_STATIONS, WIFI_SITES } from './places.js';
import { rng } from './random.js';
import { LookbackStream } from './stream.js';
import { CITY_ZONE } from './world.js';

const SEED = 11;
/** A Thursday in May, from 06:00 local. */
const MORNING = DateTime.fromISO('2026-05-07T06:00', { zone: CITY_ZONE }).toMillis();
const city = (scale = 1): SimulatedCity => new SimulatedCity({ seed: SEED, scale, sources: SIM_SOURCES });
/** Order-free view of a slice, to compare slices generated in different steps. */
const canonical = (s: Slice): Record<string, string[]> =>
  Object.fromEntries(
    Object.entries({ ...s, ...s.context, context: [] }).map(([k, v]) => [k, (v as unknown[]).map((r) => JSON.stringify(r)).sort()]),
  );
const merge = (slices: Slice[]): Slice => ({
  camera: slices.flatMap((s) => s.camera),
  wifi: slices.flatMap((s) => s.wifi),
  telco: slices.flatMap((s) => s.telco),
  ticketing: slices.flatMap((s) => s.ticketing),
  context: {
    weather: slices.flatMap((s) => s.context.weather),
    events: slices.flatMap((s) => s.context.events),
    incidents: slices.flatMap((s) => s.context.incidents),
  },
});

describe('determinism', () => {
  it('gives the same records for the same seed and time, however the time is sliced', () => {
    const from = MORNING + 90 * MINUTE_MS;
    const to = from + 40 * MINUTE_MS;
    const whole = city().slice(from, to);
    expect(sliceSize(whole)).toBeGreaterThan(1000);
    const c = city();
    const parts: Slice[] = [];
    const r = rng('slicing');
    for (let t = from; t < to;) {
      const next = Math.min(to, t + 1000 + Math.floor(r() * 120_000));
      parts.push(c.slice(t, next));
      t = next;
    }
    expect(canonical(merge(parts))).toEqual(canonical(whole));
    // Asking for the past again (a restart) gives the same records too.
    expect(canonical(c.slice(from, to))).toEqual(canonical(whole));
  });

  it('gives other records for another seed', () => {
    const other = new SimulatedCity({ seed: SEED + 1, scale: 1, sources: SIM_SOURCES });
    expect(canonical(other.slice(MORNING, MORNING + 10 * MINUTE_MS))).not.toEqual(
      canonical(city().slice(MORNING, MORNING + 10 * MINUTE_MS)),
    );
  });

  it('LookbackStream hands out every due record exactly once for arbitrary slicing', () => {
    const make = (): LookbackStream<string> =>
      new LookbackStream(5, (m) =>
        Array.from({ length: 3 }, (_, k) => {
          const at = m * MINUTE_MS + Math.floor(rng('s', m, k)() * 6 * MINUTE_MS);
          return { at, record: `${m}:${k}:${at}` };
        }),
      );
    const t0 = 1000 * MINUTE_MS;
    const all = make().between(t0, t0 + 30 * MINUTE_MS);
    const s = make();
    const parts: string[] = [];
    for (let t = t0; t < t0 + 30 * MINUTE_MS; t += 7_000) parts.push(...s.between(t, Math.min(t + 7_000, t0 + 30 * MINUTE_MS)));
    expect(parts).toEqual(all);
    expect(new Set(all).size).toBe(all.length);
  });
});

describe('edge shapes', () => {
  it('makes every raw record valid for its source and every context record acceptable to the plain mappers', () => {
    const c = city();
    // A weekday and a Saturday (markets), a day each in samples every other hour.
    const samples = [MORNING, MORNING + 2 * 24 * HOUR_MS].flatMap((d) => Array.from({ length: 12 }, (_, h) => d + 2 * h * HOUR_MS));
    let n = 0;
    for (const t of samples) {
      const s = c.slice(t, t + 6 * MINUTE_MS);
      for (const source of ['camera', 'wifi', 'telco', 'ticketing'] as const)
        for (const r of s[source]) {
          expect(shapeErrors(INPUT_SCHEMAS[source], r)).toEqual([]);
          n++;
        }
    }
    expect(n).toBeGreaterThan(5000);
    const ctx = new SimulatedCity({ seed: SEED, scale: 1, sources: ['context'] }).slice(
      MORNING - 24 * HOUR_MS,
      MORNING + 24 * HOUR_MS,
    ).context;
    const now = MORNING + 24 * HOUR_MS;
    for (const kind of ['weather', 'events', 'incidents'] as const) {
      const out = contextMapper(kind, 'plain')!.map(ctx[kind], now);
      expect(out.filter((o) => o.kind === 'reject')).toEqual([]);
    }
    expect(ctx.weather.length).toBe(48 * 2);
    expect(ctx.events.length).toBeGreaterThan(0);
  });
});

describe('wifi', () => {
  const s = city().slice(MORNING + 4 * HOUR_MS, MORNING + 6 * HOUR_MS).wifi;
  const visits = new Map<string, number>();
  for (const r of s) visits.set(`${r.deviceId}|${r.sensorId}`, (visits.get(`${r.deviceId}|${r.sensorId}`) ?? 0) + 1);

  it('sights devices several times per visit and some at more than one site, with randomised MACs', () => {
    const counts = [...visits.values()];
    expect(counts.filter((n) => n >= 3).length / counts.length).toBeGreaterThan(0.5);
    const sitesPerDevice = new Map<string, Set<string>>();
    for (const r of s) sitesPerDevice.set(r.deviceId, (sitesPerDevice.get(r.deviceId) ?? new Set()).add(r.sensorId));
    expect([...sitesPerDevice.values()].filter((x) => x.size >= 2).length).toBeGreaterThan(10);
    for (const r of s.slice(0, 200)) {
      expect(r.deviceId).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
      // Locally administered (bit 1 set) and unicast (bit 0 clear), as phones' private addresses are.
      expect(parseInt(r.deviceId.slice(0, 2), 16) & 0x03).toBe(0x02);
    }
    expect(new Set(s.map((r) => r.sensorId)).size).toBe(WIFI_SITES.length);
  });

  it('has malls keeping visitors longer than streets', () => {
    const dwell = (sensorId: string): number => {
      const times = new Map<string, number[]>();
      for (const r of s.filter((x) => x.sensorId === sensorId))
        times.set(r.deviceId, [...(times.get(r.deviceId) ?? []), r.seenAt as number]);
      const spans = [...times.values()].filter((t) => t.length > 1).map((t) => Math.max(...t) - Math.min(...t));
      return spans.reduce((a, b) => a + b, 0) / spans.length;
    };
    expect(dwell('cph-wifi-fields')).toBeGreaterThan(2 * dwell('cph-wifi-kobmagergade'));
  });
});

describe('telco', () => {
  const c = city();
  const presence = (at: number): TelcoInput[] => c.slice(at, at + HOUR_MS).telco;

  it('has residents and visitors, the international ones with a home country and a foreign number', () => {
    const events = presence(MORNING + 5 * HOUR_MS);
    const segments = new Set(events.map((e) => e.segment));
    expect(segments).toEqual(new Set(['resident', 'domestic_visitor', 'international_visitor']));
    for (const e of events) {
      if (e.segment === 'international_visitor') {
        expect(e.homeCountry).toMatch(/^[A-Z]{2}$/);
        expect(e.homeCountry).not.toBe('DK');
        expect(e.deviceId).not.toMatch(/^\+45/);
      } else {
        expect(e.homeCountry).toBeUndefined();
        expect(e.deviceId).toMatch(/^\+45\d{8}$/);
      }
    }
  });

  it('moves commuters: more devices in the central work cells at 10:00 than at 4:00, fewer in the residential ones', () => {
    const share = (events: TelcoInput[], cell: string): number => {
      const where = new Map<string, string>();
      for (const e of events) where.set(e.deviceId, e.networkCellId);
      return [...where.values()].filter((x) => x === cell).length / where.size;
    };
    const night = presence(MORNING - 2 * HOUR_MS);
    const work = presence(MORNING + 4 * HOUR_MS);
    expect(share(work, 'cph-cell-indre-by')).toBeGreaterThan(1.5 * share(night, 'cph-cell-indre-by'));
    expect(share(work, 'cph-cell-norrebro')).toBeLessThan(share(night, 'cph-cell-norrebro'));
  });
});

describe('ticketing', () => {
  const s = city().slice(MORNING, MORNING + 5 * HOUR_MS).ticketing;

  it('pairs every tap-in with a tap-out of the same card at another station after a realistic journey', () => {
    const taps = s.filter((r) => r.kind === 'tap_in' || r.kind === 'tap_out');
    const byCard = new Map<string, TicketingInput[]>();
    for (const r of taps) byCard.set(r.cardId!, [...(byCard.get(r.cardId!) ?? []), r]);
    let pairs = 0;
    for (const rs of byCard.values()) {
      rs.sort((a, b) => (a.start as number) - (b.start as number));
      for (let i = 0; i + 1 < rs.length; i += 2) {
        const [a, b] = [rs[i]!, rs[i + 1]!];
        expect(a.kind).toBe('tap_in');
        expect(b.kind).toBe('tap_out');
        expect(b.stationId).not.toBe(a.stationId);
        const minutes = ((b.start as number) - (a.start as number)) / MINUTE_MS;
        expect(minutes).toBeGreaterThanOrEqual(3);
        expect(minutes).toBeLessThan(60);
        pairs++;
      }
    }
    expect(pairs).toBeGreaterThan(500);
    for (const r of taps) {
      expect(r.mode).toBe('metro');
      expect(r.count).toBeUndefined();
      expect(r.cardId).toMatch(/^\d{16}$/);
    }
  });

  it('counts gate entries and exits every 5 minutes at every station, more in the rush hour', () => {
    const gates = s.filter((r) => r.kind === 'gate_entry' || r.kind === 'gate_exit');
    expect(gates.length).toBe(5 * 12 * METRO_STATIONS.length * 2);
    for (const r of gates) expect((r.end as number) - (r.start as number)).toBe(5 * MINUTE_MS);
    const entries = (hour: number): number =>
      gates
        .filter((r) => r.kind === 'gate_entry' && r.stationId === gateSensorId('cph-metro-norreport'))
        .filter((r) => (r.start as number) >= MORNING + hour * HOUR_MS && (r.start as number) < MORNING + (hour + 1) * HOUR_MS)
        .reduce((a, r) => a + r.count!, 0);
    expect(entries(2)).toBeGreaterThan(2 * entries(0));
  });
});

describe('rate', () => {
  it('sizes the city so a day averages about the asked rate', () => {
    const start = MORNING - 6 * HOUR_MS;
    const est = estimateRate(SEED, SIM_SOURCES, start);
    expect(est.bySource.camera).toBe(8);
    const scale = scaleForRate(est, 10);
    const c = city(scale);
    let n = 0;
    // Ten minutes in every other hour of the day.
    for (let h = 0; h < 24; h += 2) n += sliceSize(c.slice(start + h * HOUR_MS, start + h * HOUR_MS + 10 * MINUTE_MS));
    expect(n / (12 * 10 * 60)).toBeGreaterThan(8);
    expect(n / (12 * 10 * 60)).toBeLessThan(12);
  });
});
