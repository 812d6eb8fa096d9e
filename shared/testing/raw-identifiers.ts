// The raw-identifier scan (issue 3, DESIGN.md Privacy), shared by the embedded and the Kafka test:
// records with known raw identifiers (accepted and rejected ones) go in over HTTP, then every byte
// written — bus keys, values and headers, every store table, the logs — is searched for them.

import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { expect } from 'vitest';
import type { InMessage } from '../bus/types.js';
import type { Passage } from '../passage.js';
import { eventually, TEST_ADMIN_KEY } from './fixtures.js';

const MACS = ['3C:22:FB:12:34:56', '3c-22-fb-98-76-54', 'a4b1.c2d3.e4f5'];
const PHONES = ['+4520304050', '238011234567890'];
const CARDS = ['4000123412349876', 'REJSEKORT-0042-1337'];
/** Every spelling a raw identifier could leak in: as sent, lower case, without separators or plus sign. */
export const NEEDLES = [...MACS, ...PHONES, ...CARDS].flatMap((id) => [
  id,
  id.toLowerCase(),
  id.replace(/[:.-]/g, '').toLowerCase(),
  id.replace(/^\+/, ''),
]);

/** A logger at the most verbose level whose every line is kept, so that anything logged is scanned. */
export function capturingLogger(): { logger: Logger; text: () => string } {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, sink), text: () => text };
}

/** Posts identified records of every kind (some rejected); checks no answer echoes an identifier. */
export async function sendIdentifiedRecords(p: Passage): Promise<void> {
  const auth = { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json' };
  const T = Date.parse('2026-11-20T08:00:00+01:00');
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
  for (const r of [wifi, telco, tick]) for (const n of NEEDLES) expect(r.body).not.toContain(n);
  // Something goes through the processor and into the store too.
  await post('camera', [{ sensorId: 'cam-x', lat: 55.68, lng: 12.57, start: T, end: T + 60_000, in: 1, out: 2 }]);
  await eventually(
    () => p.runtime.store.query<{ n: string }>('SELECT toString(count()) AS n FROM {db:Identifier}.counts_5m'),
    (rows) => rows[0]?.n === '1',
    60_000,
  );
}

export function messagesText(messages: InMessage[]): string {
  return messages
    .flatMap((m) => [m.key?.toString('latin1') ?? '', m.value?.toString('latin1') ?? '', ...Object.entries(m.headers).flat()])
    .join('\n');
}

/** Every row of every table of the store, as text. */
export async function storeText(p: Passage): Promise<string> {
  const tables = await p.runtime.store.query<{ name: string }>('SELECT name FROM system.tables WHERE database = {db:String}');
  let text = '';
  for (const { name } of tables)
    text += (await p.runtime.store.queryRaw('SELECT * FROM {db:Identifier}.{t:Identifier}', { t: name }, 'TSVRaw')).toString('latin1');
  return text;
}

export function expectNoRawIdentifiers(texts: Record<string, string>): void {
  for (const [where, text] of Object.entries(texts)) {
    expect(text.length, `${where} is empty: the scan would prove nothing`).toBeGreaterThan(0);
    for (const n of NEEDLES) expect(text, `${where} holds ${n}`).not.toContain(n);
  }
}
