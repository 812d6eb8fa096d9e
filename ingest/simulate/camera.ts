// A simple camera simulator for embedded mode: people-counting cameras at real Copenhagen places
// report one-minute line-crossing counts with a daily and weekly rhythm. On a store without recent
// camera data it first fills the last three hours (in 5-minute counts) so there is history to query.

import { DateTime } from 'luxon';
import type { Logger } from '../../shared/log.js';
import type { SensorRegistry } from '../../shared/sensors.js';
import type { Store } from '../../shared/store/types.js';
import { MINUTE_MS } from '../../shared/time.js';
import type { EdgeIngest } from '../edge.js';

export const COPENHAGEN_CAMERAS = [
  { sensorId: 'cph-cam-stroget-amagertorv', lat: 55.67862, lng: 12.57865, site: 'Strøget, Amagertorv', peak: 120 },
  { sensorId: 'cph-cam-norreport', lat: 55.68368, lng: 12.57163, site: 'Nørreport Station', peak: 160 },
  { sensorId: 'cph-cam-kongens-nytorv', lat: 55.68036, lng: 12.58566, site: 'Kongens Nytorv', peak: 90 },
  { sensorId: 'cph-cam-nyhavn', lat: 55.67976, lng: 12.59086, site: 'Nyhavn', peak: 70 },
  { sensorId: 'cph-cam-radhuspladsen', lat: 55.67568, lng: 12.56932, site: 'Rådhuspladsen', peak: 100 },
  { sensorId: 'cph-cam-istedgade', lat: 55.67081, lng: 12.55726, site: 'Istedgade, Vesterbro', peak: 45 },
  { sensorId: 'cph-cam-norrebrogade', lat: 55.68997, lng: 12.55383, site: 'Nørrebrogade', peak: 60 },
  { sensorId: 'cph-cam-fisketorvet', lat: 55.66195, lng: 12.56334, site: 'Fisketorvet', peak: 55 },
] as const;

/** People per minute at `ms` relative to the peak: night low, morning and afternoon peaks, calmer weekends. */
export function rhythm(ms: number): number {
  const local = DateTime.fromMillis(ms, { zone: 'Europe/Copenhagen' });
  const hour = local.hour + local.minute / 60;
  const weekend = local.weekday >= 6;
  const bump = (centre: number, width: number): number => Math.exp(-((hour - centre) ** 2) / (2 * width * width));
  const day = weekend ? 0.15 + 0.8 * bump(14, 3.5) : 0.1 + 0.9 * bump(8.2, 1.2) + 0.7 * bump(12.5, 2) + 0.95 * bump(16.8, 1.5);
  return Math.min(1, day);
}

/** Small seeded PRNG (mulberry32) so runs are reproducible per sensor and minute. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function simulatedCount(sensorIndex: number, startMs: number, endMs: number): { in: number; out: number } {
  const cam = COPENHAGEN_CAMERAS[sensorIndex]!;
  const minutes = (endMs - startMs) / MINUTE_MS;
  const mean = cam.peak * rhythm(startMs) * minutes;
  const rnd = random(sensorIndex * 1_000_003 + Math.floor(startMs / MINUTE_MS));
  const noisy = (m: number): number => Math.max(0, Math.round(m * (0.8 + 0.4 * rnd())));
  return { in: noisy(mean / 2), out: noisy(mean / 2) };
}

export class CameraSimulator {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: { ingest: EdgeIngest; sensors: SensorRegistry; store: Store; logger: Logger },
    private readonly intervalMs = MINUTE_MS,
  ) {}

  async start(nowMs = Date.now()): Promise<void> {
    for (const c of COPENHAGEN_CAMERAS) {
      await this.deps.sensors.put({
        sensorId: c.sensorId,
        source: 'camera',
        lat: c.lat,
        lng: c.lng,
        site: c.site,
        owner: 'simulator',
        metadata: { simulated: true },
      });
    }
    const recent = await this.deps.store.query<{ n: string }>(
      `SELECT count() AS n FROM {db:Identifier}.counts_5m WHERE source = 'camera' AND window_start >= now() - INTERVAL 3 HOUR`,
    );
    const end = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
    if (Number(recent[0]?.n ?? 0) === 0) {
      const records = [];
      for (let t = end - 180 * MINUTE_MS; t < end; t += 5 * MINUTE_MS) {
        for (let i = 0; i < COPENHAGEN_CAMERAS.length; i++)
          records.push({
            ok: true as const,
            value: {
              sensorId: COPENHAGEN_CAMERAS[i]!.sensorId,
              start: t,
              end: t + 5 * MINUTE_MS,
              ...simulatedCount(i, t, t + 5 * MINUTE_MS),
            },
          });
      }
      const r = await this.deps.ingest.ingest('camera', records);
      this.deps.logger.info({ accepted: r.accepted, rejected: r.rejected.length }, 'camera simulator filled the last three hours');
    }
    let last = end;
    this.timer = setInterval(
      () => {
        const now = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
        if (now <= last) return;
        const records = COPENHAGEN_CAMERAS.map((c, i) => ({
          ok: true as const,
          value: { sensorId: c.sensorId, start: last, end: now, ...simulatedCount(i, last, now) },
        }));
        last = now;
        this.deps.ingest
          .ingest('camera', records)
          .catch((err: unknown) => this.deps.logger.warn({ err: String(err) }, 'camera simulator could not ingest'));
      },
      Math.min(this.intervalMs, 5000),
    );
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
