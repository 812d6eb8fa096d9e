// The privacy promise of the edge (DESIGN.md, Privacy): raw device, card and subscriber identifiers
// never reach Kafka (values, keys, headers), ClickHouse or the logs. Records with known raw
// identifiers go in over HTTP — accepted and rejected ones — and every byte written is scanned.

import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemoryBus } from '../shared/bus/memory.js';
import type { Passage } from '../shared/passage.js';
import { embeddedPassage, eventually, TEST_ADMIN_KEY } from '../shared/testing/fixtures.js';
import { pino } from 'pino';

const MACS = ['3C:22:FB:12:34:56', '3c-22-fb-98-76-54', 'a4b1.c2d3.e4f5'];
const PHONES = ['+4520304050', '238011234567890'];
const CARDS = ['4000123412349876', 'REJSEKORT-0042-1337'];
/** Every spelling a raw identifier could leak in: as sent, lower case, and without separators. */
const needles = [...MACS, ...PHONES, ...CARDS].flatMap((id) => [
  id,
  id.toLowerCase(),
  id.replace(/[:.-]/g, '').toLowerCase(),
  id.replace(/^\+/, ''),
]);

describe('raw identifiers never leave the edge', () => {
  let p: Passage;
  let logs = '';
  const auth = { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json' };
  const T = Date.parse('2026-11-20T08:00:00+01:00');

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs += chunk.toString('utf8');
        done();
      },
    });
    // The most verbose level, so that anything any component logs is scanned.
    p = await embeddedPassage({}, pino({ level: 'trace' }, sink));
  });
  afterAll(() => p?.close());

  it('finds none of them on the bus, in the store or in the logs', async () => {
    const post = (source: string, payload: unknown) =>
      p.app.inject({ method: 'POST', url: `/v1/ingest/${source}`, headers: auth, payload: JSON.stringify(payload) });
    await p.app.inject({ method: 'PUT', url: '/v1/sensors/ap-1', headers: auth, payload: { source: 'wifi', lat: 55.68, lng: 12.57 } });
    await p.app.inject({
      method: 'PUT',
      url: '/v1/sensors/st-1',
      headers: auth,
      payload: { source: 'ticketing', lat: 55.6838, lng: 12.5716 },
    });
    const wifi = await post('wifi', [
      ...MACS.map((m, i) => ({ sensorId: 'ap-1', deviceId: m, seenAt: T + i * 1000, rssi: -50 })),
      { sensorId: 'ap-1', deviceId: MACS[0], seenAt: 'not a time' },
      { sensorId: 'nowhere', deviceId: MACS[1], seenAt: T },
    ]);
    expect(wifi.json()).toMatchObject({ accepted: 3 });
    const telco = await post('telco', [
      ...PHONES.map((d, i) => ({ deviceId: d, networkCellId: `c${i}`, seenAt: T, lat: 55.68, lng: 12.57, homeCountry: 'DK' })),
      { deviceId: PHONES[0], networkCellId: 'c9', seenAt: T, lat: 95, lng: 12.57 },
    ]);
    expect(telco.json()).toMatchObject({ accepted: 2 });
    const tick = await post('ticketing', [
      ...CARDS.map((c) => ({ stationId: 'st-1', kind: 'tap_in', start: T, cardId: c, mode: 'metro' })),
      { stationId: 'st-1', kind: 'tap_in', start: T, cardId: CARDS[0], mode: 'x'.repeat(40) },
    ]);
    expect(tick.json()).toMatchObject({ accepted: 2 });
    // The rejection messages themselves must not echo an identifier back either.
    for (const r of [wifi, telco, tick]) for (const n of needles) expect(r.body).not.toContain(n);
    // Something went through the processor and the store too.
    await post('camera', [{ sensorId: 'cam-x', lat: 55.68, lng: 12.57, start: T, end: T + 60_000, in: 1, out: 2 }]);
    await eventually(
      () => p.runtime.store.query<{ n: string }>('SELECT toString(count()) AS n FROM {db:Identifier}.counts_5m'),
      (rows) => rows[0]?.n === '1',
    );

    const bus = p.runtime.bus as MemoryBus;
    const messages = bus.allMessages();
    expect(messages.length).toBeGreaterThanOrEqual(8);
    const busText = messages
      .flatMap((m) => [m.key?.toString('latin1') ?? '', m.value?.toString('latin1') ?? '', ...Object.entries(m.headers).flat()])
      .join('\n');
    const tables = await p.runtime.store.query<{ name: string }>('SELECT name FROM system.tables WHERE database = {db:String}');
    let storeText = '';
    for (const { name } of tables) {
      storeText += (await p.runtime.store.queryRaw('SELECT * FROM {db:Identifier}.{t:Identifier}', { t: name }, 'TSVRaw')).toString(
        'latin1',
      );
    }
    expect(storeText).toContain('ap-1'); // the scan reads real data
    expect(logs.length).toBeGreaterThan(0);
    for (const n of needles) {
      expect(busText, `bus holds ${n}`).not.toContain(n);
      expect(storeText, `store holds ${n}`).not.toContain(n);
      expect(logs, `logs hold ${n}`).not.toContain(n);
    }
  });
});
