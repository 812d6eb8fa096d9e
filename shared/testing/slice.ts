// The backbone's acceptance scenario (issue 2): about 1,000 camera records from 20 sensors over
// three hours, posted over HTTP in every body format, then footfall by 5m, 1h and 1d compared with
// sums computed here, independently of Passage's code, from the records themselves.

import { DateTime } from 'luxon';
import { latLngToCell } from 'h3-js';
import { expect } from 'vitest';
import type { Passage } from '../passage.js';
import { eventually } from './fixtures.js';

const T0 = Date.parse('2026-11-21T22:00:00+01:00'); // crosses midnight in Copenhagen: two 1d buckets
const MIN = 60_000;
const TZ = 'Europe/Copenhagen';

interface Rec {
  sensorId: string;
  start: number;
  end: number;
  in: number;
  out: number;
  lat?: number;
  lng?: number;
}

export interface Scenario {
  sensors: { id: string; lat: number; lng: number; cell: string; registered: boolean; fine: boolean }[];
  records: Rec[];
}

/** Deterministic scenario: sensors 0–14 send counts inside single 5-minute windows, 15–19 send 15-minute and hourly counts. */
export function makeScenario(seed = 7): Scenario {
  let s = seed;
  const rnd = (): number => (s = (s * 48271) % 2147483647) / 2147483647;
  const sensors = Array.from({ length: 20 }, (_, i) => {
    const lat = 55.66 + (i % 5) * 0.006 + rnd() * 0.001;
    const lng = 12.55 + Math.floor(i / 5) * 0.01 + rnd() * 0.001;
    return { id: `slice-cam-${i}`, lat, lng, cell: latLngToCell(lat, lng, 10), registered: i < 18, fine: i < 15 };
  });
  const records: Rec[] = [];
  for (const [i, sensor] of sensors.entries()) {
    const own = sensor.registered ? {} : { lat: sensor.lat, lng: sensor.lng };
    if (sensor.fine) {
      // 5-minute windows: a full 5-minute count, or three shorter counts inside the window.
      for (let t = T0; t < T0 + 180 * MIN; t += 5 * MIN) {
        if (rnd() < 0.5)
          records.push({
            sensorId: sensor.id,
            start: t,
            end: t + 5 * MIN,
            in: Math.floor(rnd() * 40),
            out: Math.floor(rnd() * 40),
            ...own,
          });
        else {
          records.push({ sensorId: sensor.id, start: t, end: t + MIN, in: Math.floor(rnd() * 9), out: Math.floor(rnd() * 9), ...own });
          records.push({
            sensorId: sensor.id,
            start: t + MIN,
            end: t + 2 * MIN,
            in: Math.floor(rnd() * 9),
            out: Math.floor(rnd() * 9),
            ...own,
          });
          records.push({
            sensorId: sensor.id,
            start: t + 3 * MIN,
            end: t + 5 * MIN,
            in: Math.floor(rnd() * 9),
            out: Math.floor(rnd() * 9),
            ...own,
          });
        }
      }
    } else {
      const len = i % 2 === 0 ? 15 * MIN : 60 * MIN;
      for (let t = T0; t < T0 + 180 * MIN; t += len)
        records.push({ sensorId: sensor.id, start: t, end: t + len, in: Math.floor(rnd() * 500), out: Math.floor(rnd() * 500), ...own });
    }
  }
  return { sensors, records };
}

type Sums = Map<string, number>;

/** Reference sums per (cell, bucket start) computed straight from the records, without Passage code. */
export function referenceSums(sc: Scenario, bucket: '5m' | '1h' | '1d', onlyFine: boolean): Sums {
  const cellOf = new Map(sc.sensors.map((x) => [x.id, x]));
  const sums: Sums = new Map();
  for (const r of sc.records) {
    const sensor = cellOf.get(r.sensorId)!;
    if (onlyFine && !sensor.fine) continue;
    const b =
      bucket === '5m'
        ? Math.floor(r.start / (5 * MIN)) * 5 * MIN
        : bucket === '1h'
          ? Math.floor(r.start / (60 * MIN)) * 60 * MIN
          : DateTime.fromMillis(r.start, { zone: TZ }).startOf('day').toMillis();
    const key = `${sensor.cell}|${b}`;
    sums.set(key, (sums.get(key) ?? 0) + r.in + r.out);
  }
  return sums;
}

export async function runSlice(passage: Passage, adminKey: string): Promise<void> {
  const sc = makeScenario();
  const auth = { authorization: `Bearer ${adminKey}` };
  for (const s of sc.sensors.filter((x) => x.registered)) {
    const res = await passage.app.inject({
      method: 'PUT',
      url: `/v1/sensors/${s.id}`,
      headers: auth,
      payload: { source: 'camera', lat: s.lat, lng: s.lng, site: 'slice test' },
    });
    expect(res.statusCode, res.body).toBe(200);
  }
  expect(sc.records.length).toBeGreaterThan(900);
  expect(sc.records.length).toBeLessThan(1200);
  // Post in three body formats.
  const chunks = [sc.records.slice(0, 400), sc.records.slice(400, 800), sc.records.slice(800)];
  const bodies = [
    { payload: JSON.stringify(chunks[0]), type: 'application/json' },
    { payload: JSON.stringify({ records: chunks[1] }), type: 'application/json' },
    { payload: chunks[2]!.map((r) => JSON.stringify(r)).join('\n') + '\n', type: 'application/x-ndjson' },
  ];
  for (const [i, b] of bodies.entries()) {
    const res = await passage.app.inject({
      method: 'POST',
      url: '/v1/ingest/camera',
      headers: { ...auth, 'content-type': b.type },
      payload: b.payload,
    });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toEqual({ accepted: chunks[i]!.length, rejected: [] });
  }

  const cells = [...new Set(sc.sensors.map((x) => x.cell))].join(',');
  // Buckets whose start lies in [from, to) are returned: for 1d, ask from the start of the first day.
  const query = async (bucket: string, from = T0, to = T0 + 180 * MIN): Promise<Sums> => {
    const res = await passage.app.inject({
      method: 'GET',
      url: `/v1/footfall?cells=${cells}&from=${from}&to=${to}&bucket=${bucket}&resolution=10&source=camera&metric=footfall`,
      headers: auth,
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{
      privacy: { released: boolean; k: number; noise: string };
      data: { cell: string; bucketStart: string; value: number | null; suppressed: boolean }[];
    }>();
    // The passage runs with exact release settings (noise off, k = 1): every unit with people in it
    // is released as its exact count, the others (0) are suppressed.
    expect(body.privacy).toMatchObject({ released: true, k: 1, noise: 'off' });
    expect(body.data.filter((d) => d.suppressed).every((d) => d.value === null)).toBe(true);
    return new Map(body.data.filter((d) => !d.suppressed).map((d) => [`${d.cell}|${Date.parse(d.bucketStart)}`, d.value!]));
  };
  const nonZero = (m: Sums): Sums => new Map([...m].filter(([, v]) => v !== 0));
  const total = (m: Sums): number => [...m.values()].reduce((a, b) => a + b, 0);
  const expectedTotal = sc.records.reduce((a, r) => a + r.in + r.out, 0);
  const hourly = await eventually(
    () => query('1h'),
    (m) => total(m) === expectedTotal,
    120_000,
    250,
  );
  expect(hourly).toEqual(nonZero(referenceSums(sc, '1h', false)));
  const day0 = DateTime.fromMillis(T0, { zone: TZ }).startOf('day');
  expect(await query('1d', day0.toMillis(), day0.plus({ days: 2 }).toMillis())).toEqual(nonZero(referenceSums(sc, '1d', false)));
  const fine = new Set(sc.sensors.filter((x) => x.fine).map((x) => x.cell));
  const fiveMin = await query('5m');
  expect(new Map([...fiveMin].filter(([k]) => fine.has(k.split('|')[0]!)))).toEqual(nonZero(referenceSums(sc, '5m', true)));
  expect(total(fiveMin)).toBe(expectedTotal);
}
