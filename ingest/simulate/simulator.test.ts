// The simulator through the real ingest edge (in-process bus and registry, chDB store, the footfall
// processor): the backfill and a live tick reach all four raw topics and the three context topics
// with nothing rejected and no raw identifier on the bus; the recent-data marker stops a second fill.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemoryBus } from '../../shared/bus/memory.js';
import type { Passage } from '../../shared/passage.js';
import { embeddedPassage, eventually, quietLogger } from '../../shared/testing/fixtures.js';
import { HOUR_MS, MINUTE_MS } from '../../shared/time.js';
import { CONTEXT_KINDS, RAW_SOURCES } from '../../shared/topics.js';
import { DEFAULT_SEED, SIM_SOURCES, SimulatedCity } from './city.js';
import { embeddedSimulator, recentCameraData, SIM_STREAMS, Simulator } from './simulator.js';
import { edgeSimSink } from './sinks.js';
import { World } from './world.js';

/**
 * A past Sunday at 09:00 whose world (default seed) had a metro delay that morning and has events in
 * the week ahead, so every context topic gets something to carry; early on a Sunday, so the
 * three-hour fill is small.
 */
function quietSundayWithIncident(): number {
  const world = new World(DEFAULT_SEED);
  for (let day = world.dayIndexOf(Date.now()) - 8; ; day--) {
    if (world.day(day).weekday !== 7) continue;
    const at = world.at(day, 9);
    const upcoming = Array.from({ length: 8 }, (_, k) => world.events(day + k)).flat();
    if (upcoming.length > 0 && world.incidents(day).some((x) => x.start < at)) return at;
  }
}

describe('simulator against the ingest edge', () => {
  let p: Passage;
  const bus = (): MemoryBus => p.runtime.bus as MemoryBus;
  const onTopic = (topic: string): number =>
    bus()
      .endOffsets(topic)
      .reduce((a, b) => a + b, 0);
  const at = quietSundayWithIncident();

  beforeAll(async () => {
    p = await embeddedPassage();
  });
  afterAll(() => p?.close());

  it('fills the last three hours and then ticks: every source on its raw topic, context on pm.ctx.*, nothing rejected', async () => {
    const sim = embeddedSimulator(p.runtime, p.edge!, quietLogger());
    expect(await sim.start(at)).toEqual({ backfilled: true });
    await sim.tick(at + 2 * MINUTE_MS);
    await sim.stop();
    const stats = sim.stats();
    for (const s of SIM_STREAMS) {
      expect(stats[s], s).toMatchObject({ rejected: 0, failed: 0 });
      expect(stats[s].accepted, s).toBe(stats[s].sent);
      expect(stats[s].accepted, s).toBeGreaterThan(0);
    }
    expect(sim.topReasons()).toEqual([]);
    for (const s of RAW_SOURCES) expect(onTopic(p.runtime.topics.raw(s)), s).toBe(stats[s].accepted);
    for (const k of CONTEXT_KINDS) expect(onTopic(p.runtime.topics.context(k)), k).toBe(stats[k].accepted);
    // Three hours of one-minute counts at eight cameras, and the two minutes after.
    expect(stats.camera.accepted).toBe(8 * (180 + 2));
    const sensors = await p.runtime.sensors.list({ owner: 'simulator', limit: 1000, offset: 0 });
    expect(sensors.length).toBe(new SimulatedCity({ seed: DEFAULT_SEED, scale: 1, sources: SIM_SOURCES }).sensors().length);
  }, 60_000);

  it('puts no raw MAC, phone number or card number on the bus', () => {
    const s = new SimulatedCity({ seed: DEFAULT_SEED, scale: 1, sources: SIM_SOURCES }).slice(at - HOUR_MS, at);
    const raw = [
      ...s.wifi.slice(0, 50).map((r) => r.deviceId.replace(/:/g, '')),
      ...s.wifi.slice(0, 50).map((r) => r.deviceId),
      ...s.telco.slice(0, 50).map((r) => r.deviceId.replace(/^\+/, '')),
      ...s.ticketing
        .filter((r) => r.cardId !== undefined)
        .slice(0, 50)
        .map((r) => r.cardId!),
    ];
    expect(raw.length).toBeGreaterThan(150);
    const bytes = bus()
      .allMessages()
      .map((m) => `${m.key?.toString('latin1') ?? ''}|${m.value?.toString('latin1') ?? ''}|${JSON.stringify(m.headers)}`)
      .join('\n');
    for (const id of raw) expect(bytes.includes(id), id).toBe(false);
  });

  it('counts the camera records and takes them as the marker of recent data, so a restart does not fill again', async () => {
    const counted = (): Promise<boolean> => recentCameraData(p.runtime.store, Date.now() - at + 3 * HOUR_MS)();
    expect(await eventually(counted, (x) => x, 30_000)).toBe(true);
    // Those counts lie in that past Sunday: seen from now, the store has no recent data.
    expect(await recentCameraData(p.runtime.store)()).toBe(false);
    const sink = edgeSimSink({ edge: p.edge!, ...p.runtime });
    const again = new Simulator({ sink, logger: quietLogger(), hasRecentData: counted }, { sources: ['camera'] });
    const before = onTopic(p.runtime.topics.raw('camera'));
    expect(await again.start(at + 3 * MINUTE_MS)).toEqual({ backfilled: false });
    await again.stop();
    expect(onTopic(p.runtime.topics.raw('camera'))).toBe(before);
  }, 60_000);
});
