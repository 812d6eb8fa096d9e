// Simulated people-counting cameras at real Copenhagen places (places.ts): one-minute line-crossing
// counts in and out, following the world's rhythm, rain (outdoors: fewer people) and events nearby.
// Writes CameraInput plain records; a pure function of (seed, scale, time).

import type { CameraInput, SensorInput } from '../../schemas/inputs.js';
import { MINUTE_MS } from '../../shared/time.js';
import { CAMERA_PLACES } from './places.js';
import { poisson, rng } from './random.js';
import type { World } from './world.js';

export const CAMERA_INTERVAL_MS = MINUTE_MS;

export function cameraSensors(): SensorInput[] {
  return CAMERA_PLACES.map((c) => ({
    sensorId: c.sensorId,
    source: 'camera',
    lat: c.lat,
    lng: c.lng,
    site: c.site,
    owner: 'simulator',
    metadata: { simulated: true },
  }));
}

/** The count of camera `index` over one interval starting at `startMs`. */
export function cameraCount(world: World, scale: number, index: number, startMs: number): { in: number; out: number } {
  const cam = CAMERA_PLACES[index]!;
  const mean = scale * cam.peak * world.activity({ ...cam, indoor: false }, startMs) * (CAMERA_INTERVAL_MS / MINUTE_MS);
  const r = rng(world.seed, 'camera', cam.sensorId, startMs);
  // Mornings lean inbound towards the centre and stations, evenings outbound; the split stays near half.
  const inShare = 0.5 + 0.06 * Math.sin((2 * Math.PI * (startMs / 3_600_000 - 1)) / 24);
  return { in: poisson(r, mean * inShare), out: poisson(r, mean * (1 - inShare)) };
}

/** Counts of every camera for the intervals that end in [fromMs, toMs). */
export function cameraRecords(world: World, scale: number, fromMs: number, toMs: number): CameraInput[] {
  const out: CameraInput[] = [];
  // Interval ends are multiples of the interval; the first one at or after fromMs.
  for (let end = Math.ceil(fromMs / CAMERA_INTERVAL_MS) * CAMERA_INTERVAL_MS; end < toMs; end += CAMERA_INTERVAL_MS) {
    const start = end - CAMERA_INTERVAL_MS;
    CAMERA_PLACES.forEach((c, i) => out.push({ sensorId: c.sensorId, start, end, ...cameraCount(world, scale, i, start) }));
  }
  return out;
}
