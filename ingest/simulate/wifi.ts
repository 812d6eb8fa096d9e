// Simulated Wi-Fi people counters on shopping streets and in malls (places.ts): synthetic devices
// (randomised MACs from the seeded PRNG) arrive, dwell and are sighted every minute or two; some walk
// on to a nearby site. Writes WifiInput plain records with raw MACs — the edge pseudonymises them.

import type { SensorInput, WifiInput } from '../../schemas/inputs.js';
import { MINUTE_MS } from '../../shared/time.js';
import { WIFI_SITES } from './places.js';
import { distanceM, exponential, normal, pickWeighted, poisson, rng, type Rng } from './random.js';
import { LookbackStream, type Due } from './stream.js';
import type { World } from './world.js';

const SECOND_MS = 1000;
/** Longest visit chain (first arrival to last sighting), minutes: bounds how far back a slice must look. */
export const WIFI_MAX_CHAIN_MIN = 150;
/** Share of visits that walk on to another site nearby (at most three sites per chain). */
export const WIFI_MOVE_SHARE = 0.3;
/** Devices in the simulated city per unit of scale: large, so one device is rarely at two sites at once. */
const DEVICES_PER_SCALE = 50_000;
/** Mean time between two probe-request sightings of one device (ms). */
const PROBE_INTERVAL_MS = 150 * SECOND_MS;
/** Sites farther apart than this are not walked between (m). */
const WALK_MAX_M = 2500;
/** Walking speed (m per minute). */
const WALK_M_PER_MIN = 75;

export function wifiSensors(): SensorInput[] {
  return WIFI_SITES.map((s) => ({
    sensorId: s.sensorId,
    source: 'wifi',
    lat: s.lat,
    lng: s.lng,
    site: s.site,
    owner: 'simulator',
    metadata: { simulated: true, indoor: s.indoor },
  }));
}

/** A randomised ("private") MAC, as phones send today: locally administered, unicast. */
export function macOf(seed: number, device: number): string {
  const r = rng(seed, 'mac', device);
  const bytes = Array.from({ length: 6 }, () => Math.floor(r() * 256));
  bytes[0] = (bytes[0]! & 0xfc) | 0x02;
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export class WifiModel {
  private readonly stream: LookbackStream<WifiInput>;
  private readonly devices: number;

  constructor(
    private readonly world: World,
    private readonly scale: number,
  ) {
    this.devices = Math.max(1000, Math.round(DEVICES_PER_SCALE * scale));
    this.stream = new LookbackStream(WIFI_MAX_CHAIN_MIN, (m) => this.arrivals(m));
  }

  /** Sightings with seenAt in [fromMs, toMs). */
  records(fromMs: number, toMs: number): WifiInput[] {
    return this.stream.between(fromMs, toMs);
  }

  /** Every sighting of the visits that begin in minute `minute`. */
  private arrivals(minute: number): Due<WifiInput>[] {
    const t0 = minute * MINUTE_MS;
    const out: Due<WifiInput>[] = [];
    WIFI_SITES.forEach((site, s) => {
      const n = poisson(rng(this.world.seed, 'wifi-arrivals', s, minute), this.scale * site.peakArrivals * this.world.activity(site, t0));
      for (let k = 0; k < n; k++) this.visit(rng(this.world.seed, 'wifi-visit', s, minute, k), s, t0, out);
    });
    return out;
  }

  /** One device's chain of visits: dwell at `first`, maybe walk on to one or two sites nearby. */
  private visit(r: Rng, first: number, t0: number, out: Due<WifiInput>[]): void {
    const device = Math.floor(r() * this.devices);
    const mac = macOf(this.world.seed, device);
    const last = t0 + WIFI_MAX_CHAIN_MIN * MINUTE_MS;
    let site = first;
    let t = t0 + Math.floor(r() * MINUTE_MS);
    for (let stop = 0; stop < 3 && t < last; stop++) {
      const here = WIFI_SITES[site]!;
      // Log-normal dwell around the site's mean: most visits short, a few long.
      const dwell = Math.min(120, Math.max(2, here.dwellMin * Math.exp(0.6 * normal(r) - 0.18))) * MINUTE_MS;
      const leave = Math.min(last, t + dwell);
      const baseRssi = -55 - 25 * r();
      for (let at = t + Math.floor(r() * 20 * SECOND_MS); at < leave; at += Math.floor(5 * SECOND_MS + exponential(r, PROBE_INTERVAL_MS))) {
        const rssi = Math.round(Math.min(-30, Math.max(-100, baseRssi + 6 * normal(r))));
        out.push({ at, record: { sensorId: here.sensorId, deviceId: mac, seenAt: at, rssi } });
      }
      if (r() >= WIFI_MOVE_SHARE) break;
      const weights = WIFI_SITES.map((o, i) => {
        const d = distanceM(here, o);
        return i === site || d > WALK_MAX_M ? 0 : o.peakArrivals / (1 + d / 500);
      });
      if (!weights.some((w) => w > 0)) break;
      const next = pickWeighted(r, weights);
      t = Math.round(leave + (1 + distanceM(here, WIFI_SITES[next]!) / WALK_M_PER_MIN) * MINUTE_MS);
      site = next;
    }
  }
}
