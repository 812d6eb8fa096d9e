// Exactness contract of the keyed operators (Wi-Fi visitors and dwell, telco presence and flows,
// ticketing journeys), run on the in-process bus (keyed.test.ts) and on real Kafka
// (keyed.int.test.ts): duplicates, out-of-order records, many small writes and restarts at random
// points (a restart drops all in-memory state, so keyed state is rebuilt by replay). Stored
// aggregates are compared with references computed here from the generated records by the
// documented rules, independently of the operators' code.

import { latLngToCell } from 'h3-js';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bus } from '../shared/bus/types.js';
import type { SchemaCodec } from '../shared/registry/types.js';
import type { TelcoEvent, TicketingEvent, WifiSighting } from '../schemas/records.js';
import { DURATION_CAP_MS } from '../shared/privacy.js';
import { SensorRegistry } from '../shared/sensors.js';
import type { Store } from '../shared/store/types.js';
import { chdbStore, eventually, quietLogger, testConfig } from '../shared/testing/fixtures.js';
import type { Topics} from '../shared/topics.js';
import { subjectOf, type RawSource } from '../shared/topics.js';
import { mulberry32, type Rng } from '../ingest/simulate/random.js';
import { StreamProcessor, type ProcessorDeps } from './core/processor.js';
import type { OperatorSpec } from './core/operator.js';
import { wifiOperator } from './devices/wifi.js';
import { telcoOperator } from './devices/telco.js';
import { journeyOperator } from './flows/journeys.js';

const T0 = Date.UTC(2026, 10, 20, 6, 0);
const MIN = 60_000;
const W = 5 * MIN;
const win = (t: number): number => Math.floor(t / W) * W;
const cellOf = (lat: number, lng: number): string => BigInt(`0x${latLngToCell(lat, lng, 10)}`).toString();
const PLACES = Array.from({ length: 6 }, (_, i) => ({ lat: 55.67 + i * 0.004, lng: 12.56 + (i % 2) * 0.006 }));
/** Arrival jitter: a record arrives at most this long after its event time (below the 2-minute allowed lateness). */
const MAX_DELAY = 90_000;

interface Sent<T> {
  arrival: number;
  record: T;
}

/** Orders records by arrival: event time plus a delay (0 for most, up to MAX_DELAY for some); duplicates arrive again later. */
function arrivals<T extends { recordId: string }>(rng: Rng, records: T[], time: (r: T) => number): T[] {
  const sent: Sent<T>[] = [];
  for (const r of records) {
    const arrival = time(r) + (rng() < 0.15 ? Math.floor(rng() * MAX_DELAY) : 0);
    sent.push({ arrival, record: r });
    if (rng() < 0.08) sent.push({ arrival: arrival + Math.floor(rng() * MAX_DELAY), record: r });
  }
  return sent.sort((a, b) => a.arrival - b.arrival).map((s) => s.record);
}

/** Records of `key` in arrival order, keeping only those later than every earlier one of the key (the documented rule). */
function acceptedInOrder<T>(stream: T[], key: (r: T) => string, time: (r: T) => number): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of stream) {
    const list = out.get(key(r)) ?? [];
    if (list.length === 0 || time(r) > time(list[list.length - 1]!)) list.push(r);
    out.set(key(r), list);
  }
  return out;
}

const sortRows = <T>(rows: T[]): T[] =>
  rows
    .map((r) => JSON.stringify(r))
    .sort()
    .map((s) => JSON.parse(s) as T);

export interface Harness {
  bus: Bus;
  codec: SchemaCodec;
  topics: Topics;
  store: Store;
  sensors: SensorRegistry;
  deps: ProcessorDeps;
  close(): Promise<void>;
}

/** What a harness needs besides the store: a bus and registry with the topics created and schemas registered. */
export async function harness(bus: Bus, codec: SchemaCodec, topics: Topics, close: () => Promise<void>): Promise<Harness> {
  const store = await chdbStore();
  const config = testConfig({ PASSAGE_FLUSH_MAX_RECORDS: '25' });
  const deps: ProcessorDeps = {
    bus,
    codec,
    store,
    topics,
    logger: quietLogger(),
    processing: config.processing,
    maxFutureMs: 365 * 86_400_000,
  };
  return {
    bus,
    codec,
    topics,
    store,
    sensors: new SensorRegistry(store),
    deps,
    close: async () => {
      await close();
      await store.close();
    },
  };
}

async function produce(h: Harness, source: RawSource, key: (r: Record<string, unknown>) => string, records: object[]): Promise<void> {
  const topic = h.topics.raw(source);
  const messages = [];
  for (const r of records as Record<string, unknown>[]) messages.push({ key: key(r), value: await h.codec.encode(subjectOf(topic), r) });
  for (let i = 0; i < messages.length; i += 500) await h.bus.produce(topic, messages.slice(i, i + 500));
}

/** Runs processors of `spec` one after another, stopping each at a random point of the `total` messages, until everything is committed. */
async function runWithRestarts<S extends RawSource, R>(
  h: Harness,
  spec: OperatorSpec<S, R>,
  rng: Rng,
  restarts: number,
  total: number,
): Promise<void> {
  const topic = h.topics.raw(spec.source);
  const progress = async (groupId: string): Promise<number> =>
    (await h.bus.committed(groupId, topic)).reduce((s, c) => s + (c.offset ?? 0), 0);
  for (let i = 0; i <= restarts; i++) {
    const p = new StreamProcessor(h.deps, spec);
    await p.start();
    try {
      const target = i === restarts ? total : Math.floor(total * ((i + rng()) / (restarts + 1)));
      await eventually(
        () => progress(p.groupId),
        (n) => n >= target,
        90_000,
        5,
      );
    } finally {
      await p.stop();
    }
  }
}

export function keyedContract(makeHarness: () => Promise<Harness>, restarts: number): void {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });

  describe('keyed operators: exact results with duplicates, out-of-order records and restarts', () => {
    it('telco: presence per cell, window and segment, and origin→destination trips', async () => {
      const h = await makeHarness();
      cleanup.push(() => h.close());
      const rng = mulberry32(7);
      const segments = ['resident', 'domestic_visitor', 'international_visitor', null] as const;
      const events: TelcoEvent[] = [];
      for (let d = 0; d < 40; d++) {
        let t = T0 + Math.floor(rng() * 60 * MIN);
        const segment = segments[d % segments.length]!;
        for (let k = 0; k < 12 + Math.floor(rng() * 12); k++) {
          const place = PLACES[Math.floor(rng() * PLACES.length)]!;
          events.push({
            recordId: `t${d}-${k}`,
            deviceHash: `dev${d}`,
            networkCellId: `nc${place.lat}`,
            seenAt: t,
            lat: place.lat,
            lng: place.lng,
            homeCountry: null,
            segment,
            keyPeriod: '2026-11-20',
            receivedAt: t,
          });
          t += (rng() < 0.1 ? 70 : 1 + Math.floor(rng() * 40)) * MIN; // some gaps longer than the 60-minute trip gap
        }
      }
      const stream = arrivals(rng, events, (e) => e.seenAt);
      await produce(h, 'telco', (r) => String(r.deviceHash), stream);
      await runWithRestarts(h, telcoOperator(h.deps.processing), rng, restarts, stream.length);

      const presence = new Map<string, Set<string>>();
      for (const e of stream) {
        const k = `${cellOf(e.lat, e.lng)}|${win(e.seenAt) / 1000}|${e.segment ?? ''}`;
        presence.set(k, (presence.get(k) ?? new Set()).add(e.deviceHash));
      }
      const trips = new Map<string, { trips: number; duration: number }>();
      const gap = h.deps.processing.tripGapMs;
      for (const list of acceptedInOrder(
        stream,
        (e) => e.deviceHash,
        (e) => e.seenAt,
      ).values()) {
        for (let i = 1; i < list.length; i++) {
          const [a, b] = [list[i - 1]!, list[i]!];
          if (cellOf(a.lat, a.lng) === cellOf(b.lat, b.lng) || b.seenAt - a.seenAt > gap) continue;
          const k = `${cellOf(a.lat, a.lng)}|${cellOf(b.lat, b.lng)}|${win(a.seenAt) / 1000}|${b.segment ?? ''}`;
          const f = trips.get(k) ?? { trips: 0, duration: 0 };
          trips.set(k, { trips: f.trips + 1, duration: f.duration + (b.seenAt - a.seenAt) });
        }
      }
      expect(trips.size).toBeGreaterThan(50);

      const storedPresence = await h.store.query<{ k: string; n: string }>(
        `SELECT concat(toString(cell), '|', toString(toUnixTimestamp(window_start)), '|', breakdown) AS k, toString(uniqCombined64Merge(devices)) AS n
       FROM {db:Identifier}.devices_5m WHERE source = 'telco' GROUP BY k`,
      );
      expect(sortRows(storedPresence.map((r) => [r.k, Number(r.n)]))).toEqual(sortRows([...presence].map(([k, s]) => [k, s.size])));
      const storedTrips = await h.store.query<{ k: string; trips: string; d: string }>(
        `SELECT concat(toString(origin_cell), '|', toString(destination_cell), '|', toString(toUnixTimestamp(window_start)), '|', breakdown) AS k,
              toString(sum(trips)) AS trips, toString(sum(duration_ms)) AS d
       FROM {db:Identifier}.flows_5m WHERE source = 'telco' GROUP BY k`,
      );
      expect(sortRows(storedTrips.map((r) => [r.k, Number(r.trips), Number(r.d)]))).toEqual(
        sortRows([...trips].map(([k, f]) => [k, f.trips, f.duration])),
      );
    }, 300_000);

    it('Wi-Fi: unique visitors per cell and window, and visits with their dwell per site', async () => {
      const h = await makeHarness();
      cleanup.push(() => h.close());
      const rng = mulberry32(11);
      // Two sites of two sensors each; sightings carry no location, so the registry places them.
      const sensors = [0, 1, 2, 3].map((i) => ({ id: `ap${i}`, site: `site${i % 2}`, ...PLACES[i]! }));
      for (const s of sensors)
        await h.sensors.put({ sensorId: s.id, source: 'wifi', lat: s.lat, lng: s.lng, site: s.site, owner: 'o', metadata: {} });
      const gap = h.deps.processing.sessionGapMs;
      const sightings: WifiSighting[] = [];
      for (let d = 0; d < 30; d++) {
        let t = T0 + Math.floor(rng() * 30 * MIN);
        for (let k = 0; k < 15 + Math.floor(rng() * 20); k++) {
          const s = sensors[(d + (rng() < 0.2 ? 1 : 0) + Math.floor(k / 8)) % sensors.length]!;
          sightings.push({
            recordId: `w${d}-${k}`,
            sensorId: s.id,
            deviceHash: `mac${d}`,
            seenAt: t,
            rssi: null,
            lat: null,
            lng: null,
            keyPeriod: '2026-11-20',
            receivedAt: t,
          });
          t += (rng() < 0.15 ? 25 + Math.floor(rng() * 20) : 1 + Math.floor(rng() * 8)) * MIN; // some gaps around the 30-minute session gap
        }
      }
      const end = Math.max(...sightings.map((s) => s.seenAt));
      // Late sightings of other devices move every partition's clock past the last visit, so all visits close.
      const closers = Array.from({ length: 24 }, (_, i) => ({
        ...sightings[0]!,
        recordId: `closer${i}`,
        deviceHash: `closer${i}`,
        seenAt: end + 10 * 60 * MIN,
      }));
      const stream = [...arrivals(rng, sightings, (s) => s.seenAt), ...closers];
      await produce(h, 'wifi', (r) => String(r.deviceHash), stream);
      await runWithRestarts(h, wifiOperator(h.sensors, h.deps.processing), rng, restarts, stream.length);

      const siteOf = new Map(sensors.map((s) => [s.id, s]));
      const visitors = new Map<string, Set<string>>();
      for (const s of stream) {
        if (s.seenAt > end) continue;
        const p = siteOf.get(s.sensorId)!;
        const k = `${cellOf(p.lat, p.lng)}|${win(s.seenAt) / 1000}`;
        visitors.set(k, (visitors.get(k) ?? new Set()).add(s.deviceHash));
      }
      // Visits: per (device, site) in arrival order, a sighting more than the gap after the visit's last starts a new one.
      const dwell = new Map<string, { sessions: number; ms: number }>();
      const open = new Map<string, { first: number; last: number; cell: string }>();
      const close = (v: { first: number; last: number; cell: string }): void => {
        const k = `${v.cell}|${win(v.first) / 1000}`;
        const e = dwell.get(k) ?? { sessions: 0, ms: 0 };
        dwell.set(k, { sessions: e.sessions + 1, ms: e.ms + Math.min(v.last - v.first, DURATION_CAP_MS) }); // clamped (shared/privacy.ts)
      };
      for (const s of stream) {
        if (s.seenAt > end) continue;
        const p = siteOf.get(s.sensorId)!;
        const key = `${s.deviceHash}|${p.site}`;
        const v = open.get(key);
        if (v !== undefined && s.seenAt <= v.last + gap) v.last = Math.max(v.last, s.seenAt);
        else {
          if (v !== undefined) close(v);
          open.set(key, { first: s.seenAt, last: s.seenAt, cell: cellOf(p.lat, p.lng) });
        }
      }
      for (const v of open.values()) close(v);
      expect(dwell.size).toBeGreaterThan(20);

      const stored = await h.store.query<{ k: string; u: string; s: string; ms: string }>(
        `SELECT concat(toString(cell), '|', toString(toUnixTimestamp(window_start))) AS k, toString(uniqCombined64Merge(devices)) AS u,
              toString(sum(sessions)) AS s, toString(sum(dwell_ms)) AS ms
       FROM {db:Identifier}.devices_5m WHERE source = 'wifi' AND window_start <= toDateTime({end:Int64}) GROUP BY k`,
        { end: Math.floor(end / 1000) },
      );
      expect(sortRows(stored.filter((r) => r.u !== '0').map((r) => [r.k, Number(r.u)]))).toEqual(
        sortRows([...visitors].map(([k, s]) => [k, s.size])),
      );
      expect(sortRows(stored.filter((r) => r.s !== '0').map((r) => [r.k, Number(r.s), Number(r.ms)]))).toEqual(
        sortRows([...dwell].map(([k, d]) => [k, d.sessions, d.ms])),
      );
    }, 300_000);

    it('ticketing: a tap-in paired with the same card’s tap-out within the maximum journey time', async () => {
      const h = await makeHarness();
      cleanup.push(() => h.close());
      const rng = mulberry32(13);
      const modes = ['metro', 'bus', 'train'];
      const taps: TicketingEvent[] = [];
      const tap = (card: number, i: number, kind: 'tap_in' | 'tap_out', t: number, place: number, mode: string | null): TicketingEvent => ({
        recordId: `c${card}-${i}`,
        stationId: `st${place}`,
        kind,
        start: t,
        end: t,
        count: 1,
        mode,
        cardHash: `card${card}`,
        lat: PLACES[place]!.lat,
        lng: PLACES[place]!.lng,
        keyPeriod: '2026-11-20',
        receivedAt: t,
      });
      for (let c = 0; c < 40; c++) {
        let t = T0 + Math.floor(rng() * 60 * MIN);
        let i = 0;
        for (let j = 0; j < 3 + Math.floor(rng() * 5); j++) {
          const mode = modes[Math.floor(rng() * modes.length)]!;
          const from = Math.floor(rng() * PLACES.length);
          const roll = rng();
          if (roll > 0.1) taps.push(tap(c, i++, 'tap_in', t, from, mode)); // 10 %: no tap-in (a tap-out alone)
          const ride = (rng() < 0.1 ? 200 : 3 + Math.floor(rng() * 60)) * MIN; // 10 % longer than the 3-hour maximum
          if (roll < 0.9 || roll > 0.95)
            taps.push(tap(c, i++, 'tap_out', t + ride, (from + 1 + Math.floor(rng() * 5)) % 6, rng() < 0.3 ? null : mode)); // 5 %: no tap-out
          t += ride + (5 + Math.floor(rng() * 90)) * MIN;
        }
      }
      // Gate counts have no card: not journeys.
      taps.push({ ...tap(99, 0, 'tap_in', T0, 0, 'metro'), kind: 'gate_entry', cardHash: null, count: 12, end: T0 + 5 * MIN });
      const stream = arrivals(rng, taps, (r) => r.end);
      await produce(h, 'ticketing', (r) => String(r.cardHash ?? r.stationId), stream);
      await runWithRestarts(h, journeyOperator(h.sensors, h.deps.processing), rng, restarts, stream.length);

      const max = h.deps.processing.maxJourneyMs;
      const trips = new Map<string, { trips: number; duration: number }>();
      const cards = acceptedInOrder(
        stream.filter((r) => r.cardHash !== null),
        (r) => r.cardHash!,
        (r) => r.end,
      );
      for (const list of cards.values()) {
        for (let i = 1; i < list.length; i++) {
          const [a, b] = [list[i - 1]!, list[i]!];
          if (a.kind !== 'tap_in' || b.kind !== 'tap_out' || b.end - a.end > max) continue;
          const k = `${cellOf(a.lat!, a.lng!)}|${cellOf(b.lat!, b.lng!)}|${win(a.end) / 1000}|${a.mode ?? b.mode ?? ''}`;
          const f = trips.get(k) ?? { trips: 0, duration: 0 };
          trips.set(k, { trips: f.trips + 1, duration: f.duration + (b.end - a.end) });
        }
      }
      expect(trips.size).toBeGreaterThan(50);
      const stored = await h.store.query<{ k: string; trips: string; d: string }>(
        `SELECT concat(toString(origin_cell), '|', toString(destination_cell), '|', toString(toUnixTimestamp(window_start)), '|', breakdown) AS k,
              toString(sum(trips)) AS trips, toString(sum(duration_ms)) AS d
       FROM {db:Identifier}.flows_5m WHERE source = 'ticketing' GROUP BY k`,
      );
      expect(sortRows(stored.map((r) => [r.k, Number(r.trips), Number(r.d)]))).toEqual(
        sortRows([...trips].map(([k, f]) => [k, f.trips, f.duration])),
      );
    }, 300_000);
  });
}
