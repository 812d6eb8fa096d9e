// Properties of the simulated world and what the sources make of it: rush hours busier than the
// night, rain lowering outdoor footfall by the stated factor, events raising footfall near their
// venue only, plausible Copenhagen weather, and everything determined by the seed.

import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { HOUR_MS, MINUTE_MS } from '../../shared/time.js';
import { cameraCount } from './camera.js';
import { SimulatedCity } from './city.js';
import { CAMERA_PLACES, METRO_STATIONS, VENUES } from './places.js';
import { distanceM } from './random.js';
import { CITY_ZONE, RAIN_INDOOR_FACTOR, RAIN_OUTDOOR_FACTOR, World, rhythm } from './world.js';

const SEED = 7;
const local = (iso: string): number => DateTime.fromISO(iso, { zone: CITY_ZONE }).toMillis();
/** 2026-03-02 is a Monday. */
const MONDAY = local('2026-03-02T00:00');

describe('rhythm', () => {
  it('makes every weekday 8–9 busier than 3–4 at night, in the rhythm and in the camera counts', () => {
    const world = new World(SEED);
    for (let d = 0; d < 5; d++) {
      const day = MONDAY + d * 24 * HOUR_MS;
      expect(rhythm(day + 8.5 * HOUR_MS)).toBeGreaterThan(4 * rhythm(day + 3.5 * HOUR_MS));
      const hourTotal = (startHour: number): number => {
        let n = 0;
        for (let m = 0; m < 60; m++)
          CAMERA_PLACES.forEach((_, i) => {
            const c = cameraCount(world, 1, i, day + startHour * HOUR_MS + m * MINUTE_MS);
            n += c.in + c.out;
          });
        return n;
      };
      expect(hourTotal(8)).toBeGreaterThan(2 * hourTotal(3));
    }
  });

  it('has calmer weekend mornings than weekday mornings', () => {
    expect(rhythm(MONDAY + 5 * 24 * HOUR_MS + 8.5 * HOUR_MS)).toBeLessThan(rhythm(MONDAY + 8.5 * HOUR_MS) / 2);
  });
});

describe('weather', () => {
  const world = new World(SEED);
  const year = Array.from({ length: 365 * 24 }, (_, h) => world.weather(local('2026-01-01T00:00') + h * HOUR_MS));

  it('rains in a plausible share of hours, with rain in mm and a rain condition', () => {
    const rainy = year.filter((w) => w.raining);
    expect(rainy.length / year.length).toBeGreaterThan(0.05);
    expect(rainy.length / year.length).toBeLessThan(0.25);
    for (const w of rainy) {
      expect(w.precipitationMm).toBeGreaterThanOrEqual(0.1);
      expect(w.condition).toMatch(/rain|snow/);
    }
    for (const w of year.filter((x) => !x.raining)) expect(w.condition).not.toMatch(/rain|snow/);
  });

  it('is warmer in July than in January and warmer in the afternoon than before dawn', () => {
    const mean = (ws: typeof year): number => ws.reduce((a, w) => a + w.temperatureC, 0) / ws.length;
    const month = (m: number): typeof year => year.filter((w) => new Date(w.hourStart).getUTCMonth() === m);
    expect(mean(month(6)) - mean(month(0))).toBeGreaterThan(10);
    expect(mean(month(0))).toBeGreaterThan(-5);
    expect(mean(month(6))).toBeLessThan(25);
    const at = (h: number): typeof year => year.filter((w) => DateTime.fromMillis(w.hourStart, { zone: CITY_ZONE }).hour === h);
    expect(mean(at(15))).toBeGreaterThan(mean(at(5)) + 2);
  });

  it('lowers outdoor footfall in a rain hour to the stated share of the same hour dry, and raises indoor footfall', () => {
    const rainy = year.filter((w) => w.raining);
    expect(RAIN_OUTDOOR_FACTOR).toBeLessThan(1);
    for (const w of rainy.slice(0, 50)) {
      const dry = { ...w, precipitationMm: 0, raining: false };
      expect(World.weatherFactor(false, w) / World.weatherFactor(false, dry)).toBeCloseTo(RAIN_OUTDOOR_FACTOR);
      expect(World.weatherFactor(true, w) / World.weatherFactor(true, dry)).toBeCloseTo(RAIN_INDOOR_FACTOR);
    }
  });

  it('shows the rain in the simulated camera counts: rainy daytime hours count about the stated share of dry ones', () => {
    // Counts divided by everything but the weather (rhythm, events): what is left is the weather factor and noise.
    const cam = CAMERA_PLACES.findIndex((c) => c.sensorId === 'cph-cam-stroget-amagertorv');
    const ratios = { rain: [] as number[], dry: [] as number[] };
    for (let h = 0; h < 120 * 24; h++) {
      const t = local('2026-04-01T00:00') + h * HOUR_MS + 30 * MINUTE_MS;
      const r = world.rhythm(t);
      if (r < 0.5) continue;
      const c = cameraCount(world, 1, cam, t);
      const expected = CAMERA_PLACES[cam]!.peak * r * world.eventFactor(CAMERA_PLACES[cam]!, t);
      (world.weather(t).raining ? ratios.rain : ratios.dry).push((c.in + c.out) / expected);
    }
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(ratios.rain.length).toBeGreaterThan(20);
    expect(mean(ratios.dry)).toBeCloseTo(1, 1);
    expect(mean(ratios.rain)).toBeCloseTo(RAIN_OUTDOOR_FACTOR, 1);
  });
});

describe('events', () => {
  const world = new World(SEED);
  const days = Array.from({ length: 60 }, (_, d) => world.dayIndexOf(MONDAY) + d);
  const events = days.flatMap((d) => world.events(d));

  it('holds concerts at Royal Arena and weekend markets on Kongens Nytorv, inside their day', () => {
    expect(events.some((e) => e.category === 'concert')).toBe(true);
    expect(events.some((e) => e.category === 'market')).toBe(true);
    for (const e of events) {
      expect(e.end).toBeGreaterThan(e.start);
      expect(world.dayIndexOf(e.start)).toBe(world.dayIndexOf(e.end - 1));
      if (e.category === 'market') expect(world.day(world.dayIndexOf(e.start)).weekday).toBeGreaterThanOrEqual(6);
    }
  });

  it('raises footfall near the venue during the event window and nowhere far away', () => {
    const far = METRO_STATIONS.find((s) => s.name === 'Flintholm')!;
    for (const e of events) {
      const peak = e.category === 'concert' ? e.start : (e.start + e.end) / 2;
      expect(world.eventFactor(e.venue, peak)).toBeGreaterThan(1.5);
      expect(world.eventFactor(far, peak)).toBe(1);
      // Before the crowd gathers and after it has left, nothing.
      expect(world.eventFactor(e.venue, e.start - 3 * HOUR_MS)).toBe(1);
      expect(world.eventFactor(e.venue, e.end + 2 * HOUR_MS)).toBe(1);
    }
    const market = events.find((e) => e.category === 'market')!;
    const cam = CAMERA_PLACES.find((c) => c.sensorId === 'cph-cam-kongens-nytorv')!;
    expect(distanceM(cam, VENUES.kongensNytorv)).toBeLessThan(100);
    expect(world.activity({ ...cam, indoor: false }, (market.start + market.end) / 2)).toBeGreaterThan(
      world.rhythm((market.start + market.end) / 2) * World.weatherFactor(false, world.weather((market.start + market.end) / 2)),
    );
  });

  it('draws phones to the venue cell: more devices in Ørestad during a concert than the same hour a week without one', () => {
    const city = new SimulatedCity({ seed: SEED, scale: 1, sources: ['telco'] });
    const concert = events.find(
      (e) => e.category === 'concert' && !world.events(world.dayIndexOf(e.start) - 7).some((x) => x.category === 'concert'),
    );
    expect(concert).toBeDefined();
    const devices = (from: number): number =>
      new Set(
        city
          .slice(from, from + HOUR_MS)
          .telco.filter((r) => r.networkCellId === 'cph-cell-orestad')
          .map((r) => r.deviceId),
      ).size;
    const during = devices(concert!.start - HOUR_MS / 2);
    const weekBefore = devices(concert!.start - HOUR_MS / 2 - 7 * 24 * HOUR_MS);
    expect(during).toBeGreaterThan(weekBefore * 1.3);
  });
});

describe('determinism', () => {
  it('gives the same weather, events and incidents for the same seed, and others for another seed', () => {
    const a = new World(SEED);
    const b = new World(SEED);
    const c = new World(SEED + 1);
    const hours = Array.from({ length: 500 }, (_, h) => MONDAY + h * HOUR_MS);
    const days = Array.from({ length: 30 }, (_, d) => a.dayIndexOf(MONDAY) + d);
    expect(hours.map((t) => a.weather(t))).toEqual(hours.map((t) => b.weather(t)));
    expect(days.map((d) => [a.events(d), a.incidents(d)])).toEqual(days.map((d) => [b.events(d), b.incidents(d)]));
    expect(hours.map((t) => c.weather(t))).not.toEqual(hours.map((t) => a.weather(t)));
  });

  it('has incidents at metro stations during service hours, some days', () => {
    const world = new World(SEED);
    const incidents = Array.from({ length: 60 }, (_, d) => world.incidents(world.dayIndexOf(MONDAY) + d)).flat();
    expect(incidents.length).toBeGreaterThan(5);
    expect(incidents.length).toBeLessThan(40);
    for (const x of incidents) {
      const hour = DateTime.fromMillis(x.start, { zone: CITY_ZONE }).hour;
      expect(hour).toBeGreaterThanOrEqual(6);
      expect(hour).toBeLessThanOrEqual(22);
      expect(METRO_STATIONS[x.stationIndex]!.lines).toContain(x.line);
      expect(world.incidentFactor(x.stationIndex, x.start + 1)).toBeLessThan(1);
      expect(world.incidentFactor(x.stationIndex, x.end + 1)).toBe(1);
    }
  });
});
