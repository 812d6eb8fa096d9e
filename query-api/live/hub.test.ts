import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../shared/bus/memory.js';
import { cellOf, parentCell } from '../../shared/h3.js';
import { LocalSchemaRegistry } from '../../shared/registry/local.js';
import { registerAll } from '../../schemas/index.js';
import { KeyStore } from '../../shared/access.js';
import { chdbStore, eventually, quietLogger, TEST_ADMIN_KEY, uid } from '../../shared/testing/fixtures.js';
import { Access } from '../access/index.js';
import { Topics } from '../../shared/topics.js';
import type { LiveHubOptions } from './hub.js';
import { AUTH, liveApp, openSse, openWs, presence, produceReleases, type LiveApp } from './testing.js';

const A = cellOf(55.676, 12.568, 10);
const B = cellOf(55.7, 12.6, 10);

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setup(hub: Partial<LiveHubOptions> = {}, withAccess = false) {
  const bus = new MemoryBus({ retryBackoffMs: 10 });
  const codec = new LocalSchemaRegistry();
  const topics = new Topics(`${uid()}.`);
  await bus.ensureTopics(topics.specs(2, 60_000));
  await registerAll(codec, topics);
  const store = await chdbStore();
  const access = withAccess
    ? new Access(store, new KeyStore(store, TEST_ADMIN_KEY), {
        logger: quietLogger(),
        timeZone: 'Europe/Copenhagen',
        batch: { flushMs: 3_600_000 },
      })
    : undefined;
  const live: LiveApp = await liveApp({ bus, codec, store, topics }, hub, access);
  cleanup.push(
    () => store.close(),
    () => live.close(),
  );
  const produce = (values: Record<string, unknown>[]) => produceReleases(bus, codec, topics, values);
  return { bus, codec, topics, live, produce, url: live.url, access };
}

const ids = (evs: { id: string | null }[]) => evs.map((e) => e.id);

describe('live hub and routes', () => {
  it('streams matching releases as SSE: cells and their children at the resolution asked for, heartbeats with ids', async () => {
    const t = await setup({ heartbeatMs: 200 });
    const s = await openSse(`${t.url}/v1/live/footfall?cells=${parentCell(A, 9)}&resolution=10`);
    cleanup.push(() => Promise.resolve(s.close()));
    expect(s.status).toBe(200);
    expect(s.contentType).toMatch(/^text\/event-stream/);
    await eventually(
      () => Promise.resolve(s.events.length),
      (n) => n >= 1,
      5_000,
    );
    expect(s.events[0]).toMatchObject({ event: 'heartbeat', id: 'presence:-1' });
    await t.produce([
      presence(A, 10, 0),
      presence(B, 10, 1),
      presence(parentCell(A, 9), 9, 2), // resolution 9: not asked for
      presence(A, 10, 3, { metric: 'entries' }), // another metric
      presence(A, 10, 4, { breakdown: 'pedestrian' }), // a breakdown value: not the total asked for
      presence(A, 10, 5, { kind: 'correction', revision: 1, value: null, suppressed: true }),
    ]);
    const got = await eventually(
      () => Promise.resolve(s.releases()),
      (r) => r.length >= 2,
      5_000,
    );
    expect(got.map((e) => [e.event, e.id])).toEqual([
      ['window', 'presence:0'],
      ['correction', 'presence:5'],
    ]);
    expect(got[0]!.data).toMatchObject({
      cell: A,
      resolution: 10,
      metric: 'footfall',
      source: 'camera',
      value: 10,
      suppressed: false,
      revision: 0,
    });
    expect(got[0]!.data.bucketStart).toBe('2026-11-20T11:00:00+01:00');
    expect(got[1]!.data).toMatchObject({ value: null, suppressed: true, revision: 1 });
    expect(got[0]!.data).not.toHaveProperty('breakdown');
    // Heartbeats move the resume point past releases that did not match.
    const hb = await eventually(
      () => Promise.resolve(s.events.filter((e) => e.event === 'heartbeat').at(-1)),
      (e) => e?.id === 'presence:5',
      5_000,
    );
    expect(hb?.id).toBe('presence:5');

    // Splits, filters and errors.
    const split = await openSse(`${t.url}/v1/live/footfall?cells=${A}&breakdown=true`);
    const filtered = await openSse(`${t.url}/v1/live/footfall?cells=${A}&class=pedestrian`);
    cleanup.push(
      () => Promise.resolve(split.close()),
      () => Promise.resolve(filtered.close()),
    );
    await eventually(
      () => Promise.resolve(t.live.hub.subscribers()),
      (n) => n === 3,
      5_000,
    );
    await t.produce([
      presence(A, 10, 6, { breakdown: '' }),
      presence(A, 10, 7, { breakdown: 'cyclist' }),
      presence(A, 10, 8, { breakdown: 'pedestrian' }),
    ]);
    await eventually(
      () => Promise.resolve(split.releases().length + filtered.releases().length),
      (n) => n >= 4,
      5_000,
    );
    expect(split.releases().map((e) => e.data.breakdown)).toEqual([null, 'cyclist', 'pedestrian']);
    expect(ids(filtered.releases())).toEqual(['presence:8']);

    const bad = await fetch(`${t.url}/v1/live/footfall?cells=${A}&resolution=9`, { headers: AUTH });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'invalid_cells' });
    const wrongId = await fetch(`${t.url}/v1/live/footfall`, { headers: { ...AUTH, 'last-event-id': 'flows:3' } });
    expect(wrongId.status).toBe(400);
    expect(((await wrongId.json()) as { errors: { field: string }[] }).errors[0]!.field).toBe('Last-Event-ID');
    expect((await fetch(`${t.url}/v1/live/flows`)).status).toBe(401);
    expect((await fetch(`${t.url}/v1/live/footfall?source=wifi&metric=footfall`, { headers: AUTH })).status).toBe(400);
  });

  it('resumes after Last-Event-ID with exactly the missed events — from the buffer, from the topic, and with a reset beyond both', async () => {
    const t = await setup({ bufferEvents: 50, maxCatchUpEvents: 200 });
    const all = await openSse(`${t.url}/v1/live/footfall?cells=${A}`);
    const a = await openSse(`${t.url}/v1/live/footfall?cells=${A}`);
    cleanup.push(() => Promise.resolve(all.close()));
    const readUpTo = (offset: number) =>
      eventually(
        () => Promise.resolve(t.live.hub.position('presence')),
        (p) => p >= offset,
        5_000,
        10,
      );
    const batch = (from: number, n: number) => Array.from({ length: n }, (_, i) => presence((from + i) % 3 === 0 ? B : A, 10, from + i)); // a third do not match
    await t.produce(batch(0, 30));
    await eventually(
      () => Promise.resolve(a.releases().length),
      (n) => n >= 20,
      5_000,
    );
    a.close();
    const seen = a.releases();
    const resumeFrom = a.lastId()!;
    expect(resumeFrom).toBe('presence:29');

    // (1) Missed 20 releases: the buffer (50) still holds them.
    await t.produce(batch(30, 20));
    await readUpTo(49);
    const b = await openSse(`${t.url}/v1/live/footfall?cells=${A}`, { 'last-event-id': resumeFrom });
    await t.produce(batch(50, 10));
    await eventually(
      () => Promise.resolve(all.releases().length),
      (n) => n >= 40,
      5_000,
    );
    await eventually(
      () => Promise.resolve(b.releases().length),
      (n) => n >= all.releases().length - seen.length,
      5_000,
    );
    b.close();
    expect([...ids(seen), ...ids(b.releases())]).toEqual(ids(all.releases()));

    // (2) Missed 150 releases: more than the buffer, read again from the topic.
    const from2 = b.lastId()!;
    await t.produce(batch(60, 150));
    await readUpTo(209);
    const c = await openSse(`${t.url}/v1/live/footfall?cells=${A}`, { 'last-event-id': from2 });
    await t.produce(batch(210, 10));
    const total = await eventually(
      () => Promise.resolve(all.releases().length),
      (n) => n >= 146,
      5_000,
    );
    expect(total).toBe(146); // 220 releases, 2 of 3 match
    await eventually(
      () => Promise.resolve(c.releases().at(-1)?.id),
      (id) => id === all.releases().at(-1)?.id,
      10_000,
    );
    c.close();
    const resumed = [...ids(seen), ...ids(b.releases()), ...ids(c.releases())];
    expect(resumed).toEqual(ids(all.releases()));
    expect(new Set(resumed).size).toBe(resumed.length);
    expect(c.events.some((e) => e.event === 'reset')).toBe(false);

    // (3) Missed 400 releases: beyond the buffer and the 200 read again — a reset names what is lost.
    const from3 = c.lastId()!;
    await t.produce(batch(220, 400));
    await readUpTo(619);
    const d = await openSse(`${t.url}/v1/live/footfall?cells=${A}`, { 'last-event-id': from3 });
    cleanup.push(() => Promise.resolve(d.close()));
    const reset = await eventually(
      () => Promise.resolve(d.events.find((e) => e.event === 'reset')),
      (e) => e !== undefined,
      5_000,
    );
    const last = t.live.hub.position('presence');
    expect(last).toBe(619);
    const coverFrom = last - 50; // the buffer holds the last 50
    expect(reset).toMatchObject({
      id: `presence:${coverFrom - 200}`,
      data: {
        reason: 'too_old',
        lastEventId: from3,
        lost: { from: `presence:${Number(from3.split(':')[1]) + 1}`, to: `presence:${coverFrom - 200}` },
      },
    });
    const after = await eventually(
      () => Promise.resolve(d.releases()),
      (r) => r.at(-1)?.id === all.releases().at(-1)?.id,
      10_000,
    );
    const expected = all.releases().filter((e) => Number(e.id!.split(':')[1]) > coverFrom - 200);
    expect(ids(after)).toEqual(ids(expected));

    // (4) An id the topic never had (a topic made anew): a reset, then from now on.
    const e = await openSse(`${t.url}/v1/live/footfall?cells=${A}`, { 'last-event-id': 'presence:5000' });
    cleanup.push(() => Promise.resolve(e.close()));
    const unknown = await eventually(
      () => Promise.resolve(e.events.find((x) => x.event === 'reset')),
      (x) => x !== undefined,
      5_000,
    );
    expect(unknown).toMatchObject({ id: 'presence:619', data: { reason: 'unknown_id', lastEventId: 'presence:5000', lost: null } });
    await t.produce(batch(620, 2));
    await eventually(
      () => Promise.resolve(e.releases().length),
      (n) => n >= 1,
      5_000,
    );
    expect(ids(e.releases())).toEqual(['presence:620']);
  });

  it('disconnects a subscriber that does not read with a slow_consumer error, keeps the others going, memory bounded', async () => {
    const t = await setup({ maxQueueBytes: 256 * 1024, bufferEvents: 1000, closeGraceMs: 30_000 });
    const slow = await openSse(`${t.url}/v1/live/footfall`, {}, { read: false });
    const fast = await openSse(`${t.url}/v1/live/footfall`);
    cleanup.push(
      () => Promise.resolve(fast.close()),
      () => Promise.resolve(slow.close()),
    );
    await eventually(
      () => Promise.resolve(t.live.hub.subscribers()),
      (n) => n === 2,
      5_000,
    );
    // ~12 MB of releases: more than the kernel's socket buffers and the bound together.
    const n = 30_000;
    const rss0 = process.memoryUsage().rss;
    for (let i = 0; i < n; i += 5_000)
      await t.produce(Array.from({ length: 5_000 }, (_, k) => presence(cellOf(55.6 + ((i + k) % 500) * 0.001, 12.5, 10), 10, i + k)));
    await eventually(
      () => Promise.resolve(t.live.hub.subscribers()),
      (s) => s === 1,
      30_000,
    );
    expect(t.live.hub.subscribers()).toBe(1);
    await eventually(
      () => Promise.resolve(fast.releases().length),
      (r) => r >= n,
      60_000,
    );
    expect(fast.releases()).toHaveLength(n);
    expect(fast.events.some((e) => e.event === 'error')).toBe(false);
    // The slow one, read now, ends with the reason and nothing after it.
    slow.startReading();
    await slow.ended;
    expect(slow.events.at(-1)).toMatchObject({ event: 'error', data: { reason: 'slow_consumer' } });
    expect(slow.releases().length).toBeLessThan(n);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(400 * 1024 * 1024);
  });

  it('lets a subscriber key follow only cells its tenant has an open-ended grant for, and meters what it was sent', async () => {
    const t = await setup({}, true);
    const access = t.access!;
    const tenant = await access.tenants.create('acme');
    const { key, info } = await access.keys.create('subscriber', 'acme', [], tenant.id);
    await access.grants.create({ tenantId: tenant.id, dataset: 'footfall', cells: [parentCell(A, 8)], minResolution: 10 });
    const sub = { authorization: `Bearer ${key}` };
    const get = async (path: string) => {
      const r = await fetch(`${t.url}${path}`, { headers: sub });
      return { status: r.status, body: (await r.json()) as { code: string; errors?: { field: string }[] } };
    };
    expect(await get(`/v1/live/footfall?cells=${B}`)).toMatchObject({ status: 403, body: { code: 'outside_grant_area' } });
    expect(await get('/v1/live/footfall')).toMatchObject({ status: 400, body: { errors: [{ field: 'cells' }] } });
    expect(await get(`/v1/live/flows?origin=${A}`)).toMatchObject({ status: 403, body: { code: 'no_grant' } });
    const ws = await openWs(t.live.app, sub);
    cleanup.push(() => Promise.resolve(ws.close()));
    ws.send({ type: 'subscribe', dataset: 'footfall', cells: [B] });
    await eventually(
      () => Promise.resolve(ws.messages.length),
      (n) => n >= 1,
      5_000,
    );
    expect(ws.messages[0]).toMatchObject({ type: 'error', data: { reason: 'outside_grant_area' } });

    const s = await openSse(`${t.url}/v1/live/footfall?cells=${A}`, sub);
    expect(s.status).toBe(200);
    await t.produce([presence(A, 10, 0), presence(B, 10, 1), presence(A, 10, 2)]);
    await eventually(
      () => Promise.resolve(s.releases().length),
      (n) => n >= 2,
      5_000,
    );
    s.close();
    await eventually(
      () => Promise.resolve(t.live.hub.subscribers()),
      (n) => n === 0,
      5_000,
    );
    const usage = await access.usage.query({ keyId: info.keyId });
    expect(usage).toMatchObject([{ keyId: info.keyId, dataset: 'footfall', rows: 2 }]);
  });

  it('serves a WebSocket: subscribe with filters gets only matching units, resubscribes, refuses bad messages', async () => {
    const t = await setup();
    const ws = await openWs(t.live.app);
    cleanup.push(() => Promise.resolve(ws.close()));
    ws.send({ type: 'subscribe', dataset: 'footfall', cells: [parentCell(A, 8)], resolution: 9, metric: 'entries' });
    await eventually(
      () => Promise.resolve(ws.messages.length),
      (n) => n >= 2,
      5_000,
    );
    expect(ws.messages[0]).toMatchObject({
      type: 'subscribed',
      data: { query: { dataset: 'footfall', metric: 'entries', resolution: 9, bucket: '5m' } },
    });
    expect(ws.messages[1]).toMatchObject({ type: 'heartbeat', id: 'presence:-1' });
    await t.produce([
      presence(parentCell(A, 9), 9, 0, { metric: 'entries' }), // match
      presence(parentCell(A, 9), 9, 1), // footfall: no
      presence(A, 10, 2, { metric: 'entries' }), // resolution 10: no
      presence(parentCell(B, 9), 9, 3, { metric: 'entries' }), // elsewhere: no
      presence(parentCell(A, 9), 9, 4, { metric: 'entries', bucket: '1h' }), // another bucket: no
    ]);
    await eventually(
      () => Promise.resolve(ws.messages.filter((m) => m.type === 'window')),
      (w) => w.length >= 1,
      5_000,
    );
    await new Promise((r) => setTimeout(r, 200));
    const windows = ws.messages.filter((m) => m.type === 'window');
    expect(windows.map((m) => m.id)).toEqual(['presence:0']);
    expect(windows[0]!.data).toMatchObject({ cell: parentCell(A, 9), metric: 'entries', resolution: 9 });

    // A bad message is answered, the connection stays.
    ws.send({ type: 'subscribe', dataset: 'footfall', cells: 'zzzzzzzzzzzzzzz' });
    ws.send({ type: 'subscribe', dataset: 'flows', source: 'camera' });
    ws.send({ type: 'dance' });
    await eventually(
      () => Promise.resolve(ws.messages.filter((m) => m.type === 'error').length),
      (n) => n >= 3,
      5_000,
    );
    expect(ws.messages.filter((m) => m.type === 'error').map((m) => m.data.reason)).toEqual([
      'invalid_cells',
      'invalid_request',
      'invalid_request',
    ]);

    // Resubscribing replaces the subscription (and resumes where asked).
    ws.send({ type: 'subscribe', dataset: 'footfall', bucket: '1h', resolution: 9, metric: 'entries', lastEventId: 'presence:0' });
    await eventually(
      () => Promise.resolve(ws.messages.filter((m) => m.type === 'window').length),
      (n) => n >= 2,
      5_000,
    );
    expect(ws.messages.filter((m) => m.type === 'window').map((m) => m.id)).toEqual(['presence:0', 'presence:4']);
    expect(t.live.hub.subscribers()).toBe(1);

    // Without a key the upgrade is refused.
    await expect(openWs(t.live.app, {})).rejects.toThrow(/401/);
  });
});
