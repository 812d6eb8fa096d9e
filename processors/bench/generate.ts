// The benchmark's one input: camera counts from ~2,000 fixed-location sensors around Copenhagen, in
// event-time order, deterministic (seeded PRNG), Avro-encoded in the Confluent wire format with the
// registered pm.raw.camera.v1 schema. Pure apart from the progress callback; nothing reads the clock.

import { recordId } from '../../ingest/adapter.js';
import { CAMERA_PLACES } from '../../ingest/simulate/places.js';
import { mulberry32, poisson, type Rng } from '../../ingest/simulate/random.js';
import { LocalSchemaRegistry } from '../../shared/registry/local.js';
import { subjectOf, Topics } from '../../shared/topics.js';
import { MINUTE_MS } from '../../shared/time.js';
import { registerAll } from '../../schemas/index.js';
import type { CameraClass, CameraCount } from '../../schemas/records.js';

/** First interval start of the input: Monday 2026-10-05 00:00 UTC (a fixed past instant, so runs are identical). */
export const INPUT_START_MS = Date.UTC(2026, 9, 5);
/** Copenhagen is UTC+2 until the end of October; only the daily rhythm uses it. */
const LOCAL_OFFSET_H = 2;

export interface BenchSensor {
  sensorId: string;
  lat: number;
  lng: number;
  /** Reporting interval (minutes): 1, 5 or 15. */
  intervalMin: number;
  class: CameraClass | null;
  /** Indoor sensors (malls, stations' concourses) report only while open, 07–23 local time. */
  indoor: boolean;
  /** People per minute (both directions) at the busiest hour. */
  peak: number;
}

export interface Input {
  sensors: BenchSensor[];
  records: CameraCount[];
  /** Confluent-framed Avro values, one per record, framed with `schemaId`. */
  values: Buffer[];
  /** The codec the values were encoded with (schemas registered by registerAll). */
  codec: LocalSchemaRegistry;
  schemaId: number;
  topics: Topics;
  spanMs: number;
  totals: { in: number; out: number };
  intervalMix: Record<string, number>;
}

const CITY = { lat: 55.6761, lng: 12.5683 };
const M_PER_DEG_LAT = 111_320;

function offsetBy(r: Rng, lat: number, lng: number, radiusM: number): { lat: number; lng: number } {
  const d = radiusM * Math.sqrt(r());
  const a = 2 * Math.PI * r();
  return {
    lat: lat + (d * Math.cos(a)) / M_PER_DEG_LAT,
    lng: lng + (d * Math.sin(a)) / (M_PER_DEG_LAT * Math.cos((lat * Math.PI) / 180)),
  };
}

/** ~40% of sensors cluster (≤ 400 m) around the simulator's camera places, the rest spread over ~7 km of the city. */
export function makeSensors(count: number, seed: number): BenchSensor[] {
  const r = mulberry32(seed);
  const sensors: BenchSensor[] = [];
  for (let i = 0; i < count; i++) {
    const place = CAMERA_PLACES[i % CAMERA_PLACES.length]!;
    const at = r() < 0.4 ? offsetBy(r, place.lat, place.lng, 400) : offsetBy(r, CITY.lat, CITY.lng, 7000);
    const u = r();
    const intervalMin = u < 0.25 ? 1 : u < 0.9 ? 5 : 15;
    const c = r();
    sensors.push({
      sensorId: `bench-cam-${String(i).padStart(4, '0')}`,
      lat: Math.round(at.lat * 1e6) / 1e6,
      lng: Math.round(at.lng * 1e6) / 1e6,
      intervalMin,
      class: c < 0.7 ? 'pedestrian' : c < 0.85 ? 'cyclist' : null,
      indoor: r() < 0.3,
      // Log-normal-ish: most streets quiet, a few very busy.
      peak: Math.min(300, 2 * Math.exp(1.2 * Math.sqrt(-2 * Math.log(Math.max(r(), 1e-9))) * Math.cos(2 * Math.PI * r()) + 1)),
    });
  }
  return sensors;
}

/** Share of the peak at a local hour: quiet nights, a morning and a late-afternoon high. */
function rhythm(localHour: number): number {
  const h = ((localHour % 24) + 24) % 24;
  if (h < 6) return 0.03;
  return 0.1 + 0.5 * Math.exp(-((h - 8.5) ** 2) / 2) + 0.9 * Math.exp(-((h - 16.5) ** 2) / 6);
}

/**
 * Generates `n` records in event-time order: at each minute boundary every sensor whose interval
 * ends there (and that is open) reports the interval just finished.
 */
export async function generateInput(
  n: number,
  sensorCount: number,
  seed: number,
  progress: (done: number, phase: string) => void,
): Promise<Input> {
  const sensors = makeSensors(sensorCount, seed);
  const r = mulberry32(seed ^ 0x5eed);
  const records: CameraCount[] = [];
  const totals = { in: 0, out: 0 };
  const intervalMix: Record<string, number> = {};
  let minute = 1;
  while (records.length < n) {
    const end = INPUT_START_MS + minute * MINUTE_MS;
    const localHour = new Date(end).getUTCHours() + LOCAL_OFFSET_H + new Date(end).getUTCMinutes() / 60;
    for (const s of sensors) {
      if (records.length >= n) break;
      if (minute % s.intervalMin !== 0) continue;
      const hour = Math.floor(localHour) % 24;
      if (s.indoor && (hour < 7 || hour >= 23)) continue;
      const start = end - s.intervalMin * MINUTE_MS;
      const mean = (s.peak * rhythm(localHour) * s.intervalMin) / 2;
      const cin = poisson(r, mean);
      const cout = poisson(r, mean);
      totals.in += cin;
      totals.out += cout;
      intervalMix[`${s.intervalMin}m`] = (intervalMix[`${s.intervalMin}m`] ?? 0) + 1;
      records.push({
        recordId: recordId('camera', undefined, [s.sensorId, start, end, null, s.class]),
        sensorId: s.sensorId,
        start,
        end,
        in: cin,
        out: cout,
        line: null,
        class: s.class,
        lat: s.lat,
        lng: s.lng,
        receivedAt: end + 5_000 + Math.floor(r() * 55_000),
      });
      if (records.length % 100_000 === 0) progress(records.length, 'generated');
    }
    minute += 1;
  }
  const spanMs = records[records.length - 1]!.end - INPUT_START_MS;

  // The real schema through the real codec: registerAll registers every subject, as a service start does.
  const codec = new LocalSchemaRegistry();
  const topics = new Topics();
  const ids = await registerAll(codec, topics);
  const subject = subjectOf(topics.raw('camera'));
  const values: Buffer[] = new Array<Buffer>(records.length);
  for (let i = 0; i < records.length; i++) {
    values[i] = await codec.encode(subject, records[i] as unknown as Record<string, unknown>);
    if ((i + 1) % 100_000 === 0) progress(i + 1, 'encoded');
  }
  return { sensors, records, values, codec, schemaId: ids.get(subject)!, topics, spanMs, totals, intervalMix };
}

/** A copy of `value` framed with another schema id (the same Avro payload under a real registry's id). */
export function reframe(value: Buffer, schemaId: number): Buffer {
  const out = Buffer.from(value);
  out.writeUInt32BE(schemaId, 1);
  return out;
}
