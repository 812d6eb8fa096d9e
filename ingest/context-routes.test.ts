import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemoryBus } from '../shared/bus/memory.js';
import type { Passage } from '../shared/passage.js';
import { embeddedPassage, TEST_ADMIN_KEY } from '../shared/testing/fixtures.js';

const auth = { authorization: `Bearer ${TEST_ADMIN_KEY}` };

const ICS = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//test//EN',
  'BEGIN:VEVENT',
  'UID:concert-1@example.org',
  'DTSTAMP:20261101T120000Z',
  'DTSTART;TZID=Europe/Copenhagen:20261205T200000',
  'DTEND;TZID=Europe/Copenhagen:20261205T230000',
  'SUMMARY:Concert at Royal Arena',
  'GEO:55.6256;12.5744',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

describe('POST /v1/context/{kind}', () => {
  let p: Passage;
  beforeAll(async () => {
    p = await embeddedPassage();
  });
  afterAll(() => p?.close());

  const decodedOn = async (topic: string) => {
    const bus = p.runtime.bus as MemoryBus;
    const out: Record<string, unknown>[] = [];
    for (const m of bus.allMessages().filter((x) => x.topic === topic))
      out.push({ key: m.key?.toString(), ...(await p.runtime.codec.decode(m.value!)).value });
    return out;
  };

  it('takes plain weather, incidents and an iCalendar feed onto the compacted context topics, keyed by id', async () => {
    const obs = Date.parse('2026-11-22T08:00:00+01:00');
    const weather = await p.app.inject({
      method: 'POST',
      url: '/v1/context/weather',
      headers: auth,
      payload: [
        { stationId: 'cph-1', lat: 55.68, lng: 12.57, observedAt: obs, temperatureC: 4.5, precipitationMm: 1.2 },
        { stationId: 'cph-2', lat: 95, lng: 12.57, observedAt: obs },
      ],
    });
    expect(weather.statusCode, weather.body).toBe(202);
    expect(weather.json()).toMatchObject({ accepted: 1, rejected: [{ index: 1, errors: [{ field: 'lat' }] }] });
    const [w] = await decodedOn(p.runtime.topics.context('weather'));
    expect(w).toMatchObject({ stationId: 'cph-1', observedAt: obs, temperatureC: 4.5, precipitationMm: 1.2 });
    expect(w!.key).toBe(w!.id);

    const ics = await p.app.inject({
      method: 'POST',
      url: '/v1/context/events',
      headers: { ...auth, 'content-type': 'text/calendar' },
      payload: ICS,
    });
    expect(ics.statusCode, ics.body).toBe(202);
    const [e] = await decodedOn(p.runtime.topics.context('events'));
    expect(e).toMatchObject({
      title: 'Concert at Royal Arena',
      start: Date.parse('2026-12-05T20:00:00+01:00'),
      end: Date.parse('2026-12-05T23:00:00+01:00'),
      lat: 55.6256,
      lng: 12.5744,
    });

    const inc = await p.app.inject({
      method: 'POST',
      url: '/v1/context/incidents',
      headers: auth,
      payload: { records: [{ id: 'delay-7', kind: 'train_delay', start: obs, line: 'M2', delayMin: 12, lat: 55.68, lng: 12.57 }] },
    });
    expect(inc.json()).toEqual({ accepted: 1, rejected: [] });
    expect(await decodedOn(p.runtime.topics.context('incidents'))).toMatchObject([
      { key: 'delay-7', id: 'delay-7', kind: 'train_delay', end: null },
    ]);
  });

  it('answers 404 for an unknown kind, 415 when no format fits, 400 when nothing is accepted', async () => {
    expect((await p.app.inject({ method: 'POST', url: '/v1/context/traffic', headers: auth, payload: [] })).statusCode).toBe(404);
    const odd = await p.app.inject({ method: 'POST', url: '/v1/context/weather', headers: auth, payload: { hello: 'world' } });
    expect(odd.statusCode).toBe(415);
    expect(odd.json()).toMatchObject({ code: 'unknown_context_format' });
    const bad = await p.app.inject({
      method: 'POST',
      url: '/v1/context/incidents',
      headers: auth,
      payload: [{ id: 'x', kind: 'meteor', start: 'soon' }],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ rejected: { errors: { field: string }[] }[] }>().rejected[0]!.errors.length).toBeGreaterThan(0);
  });
});
