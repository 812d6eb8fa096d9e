import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemoryBus } from '../../shared/bus/memory.js';
import type { Passage } from '../../shared/passage.js';
import { embeddedPassage } from '../../shared/testing/fixtures.js';
import type { CONTEXT_KINDS } from '../../shared/topics.js';
import { edgeSink } from './sinks.js';

const FIXTURES = path.resolve(import.meta.dirname, '../context/fixtures');

describe('backfill of context documents', () => {
  let p: Passage;
  beforeAll(async () => {
    p = await embeddedPassage({ PASSAGE_SIMULATE: '0' });
  });
  afterAll(() => p?.close());

  it('detects each document format and puts its records on the context topic', async () => {
    const sink = edgeSink(p.edge!, p.runtime.sensors, () => Promise.resolve(), p.runtime);
    const bus = p.runtime.bus as MemoryBus;
    const count = (kind: (typeof CONTEXT_KINDS)[number]) =>
      bus.allMessages().filter((m) => m.topic === p.runtime.topics.context(kind)).length;
    for (const file of ['open-meteo-copenhagen-dst.json', 'dmi-metobs-two-stations.json']) {
      const before = count('weather');
      const r = await sink.contextDocument('weather', readFileSync(path.join(FIXTURES, file), 'utf8'), 'application/json');
      expect(r.accepted, file).toBeGreaterThan(0);
      expect(count('weather') - before).toBe(r.accepted);
    }
    const r = await sink.contextDocument('events', readFileSync(path.join(FIXTURES, 'copenhagen-events.ics'), 'utf8'), 'text/calendar');
    expect(r.accepted).toBeGreaterThan(0);
    expect(count('events')).toBe(r.accepted);
    const odd = await sink.contextDocument('incidents', '{"nothing": "here"}', 'application/json');
    expect(odd).toMatchObject({ accepted: 0, rejected: [{ errors: [{ field: 'body' }] }] });
  });
});
