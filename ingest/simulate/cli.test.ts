// `passage simulate` and the embedded wiring: a Passage started with simulate on fills every raw
// topic before it answers; the CLI sends to it over HTTP at a chosen rate, prints progress per
// source, stops at --duration or on a signal, and refuses bad options with the option's name.

import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../shared/bus/memory.js';
import { startPassage, type Passage } from '../../shared/passage.js';
import { LocalSchemaRegistry } from '../../shared/registry/local.js';
import {
  chdbStore,
  quietLogger,
  TEST_ADMIN_KEY,
  TEST_PRIVACY_SECRET,
  TEST_PSEUDONYM_SECRET,
  testConfig,
} from '../../shared/testing/fixtures.js';
import { RAW_SOURCES } from '../../shared/topics.js';
import { simulateCommand } from './cli.js';

describe('passage simulate', () => {
  let p: Passage;
  let url = '';
  const config = testConfig();
  const onTopic = (topic: string): number => (p.runtime.bus as MemoryBus).endOffsets(topic).reduce((a, b) => a + b, 0);
  const run = (argv: string[], signal?: AbortSignal): Promise<{ code: number; lines: string[] }> => {
    const lines: string[] = [];
    return simulateCommand(argv, config, quietLogger(), () => TEST_PSEUDONYM_SECRET, {
      write: (l) => lines.push(l),
      progressMs: 500,
      ...(signal ? { signal } : {}),
    }).then((code) => ({ code, lines }));
  };

  beforeAll(async () => {
    p = await startPassage(testConfig(), quietLogger(), {
      role: 'all',
      adminKey: TEST_ADMIN_KEY,
      pseudonymSecret: TEST_PSEUDONYM_SECRET,
      privacySecret: TEST_PRIVACY_SECRET,
      overrides: { bus: new MemoryBus(), codec: new LocalSchemaRegistry(), store: await chdbStore() },
      simulate: true,
    });
    await p.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(p.app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => p?.close());

  it('embedded mode runs the simulator: every raw topic holds the last three hours when startPassage returns', () => {
    for (const s of RAW_SOURCES) expect(onTopic(p.runtime.topics.raw(s)), s).toBeGreaterThan(0);
    expect(onTopic(p.runtime.topics.context('weather'))).toBeGreaterThan(0);
  });

  it('sends to a running Passage over HTTP, prints progress per source and stops after --duration', async () => {
    const before = onTopic(p.runtime.topics.raw('wifi'));
    const { code, lines } = await run([
      '--url',
      url,
      '--key',
      TEST_ADMIN_KEY,
      '--rate',
      '100',
      '--duration',
      '1.5',
      '--sources',
      'wifi,telco,context',
    ]);
    expect(code).toBe(0);
    expect(lines[0]).toMatch(/^simulating wifi, telco, context into http:\/\/127\.0\.0\.1:\d+ at about 100 records\/s/);
    expect(lines.some((l) => /sent wifi \d+ · telco \d+ · context \d+/.test(l))).toBe(true);
    const done = lines.find((l) => l.startsWith('simulate done'));
    expect(done).toMatch(/wifi \d+, telco \d+, context \d+$/);
    const sent = Number(/wifi (\d+)/.exec(done!)![1]);
    expect(sent).toBeGreaterThan(0);
    expect(onTopic(p.runtime.topics.raw('wifi')) - before).toBe(sent);
  }, 30_000);

  it('stops cleanly when signalled, as on Ctrl-C', async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 1000);
    const { code, lines } = await run(['--url', url, '--key', TEST_ADMIN_KEY, '--sources', 'camera,ticketing'], stop.signal);
    expect(code).toBe(0);
    expect(lines.at(-1)).toMatch(/^simulate done in [01]\.\d s: camera \d+, ticketing \d+$/);
  }, 30_000);

  it('refuses bad options, naming the option', async () => {
    await expect(run(['--sources', 'camera,bogus'])).rejects.toMatchObject({
      code: 'invalid_simulate_option',
      fields: [{ field: 'sources' }],
    });
    await expect(run(['--rate', '0'])).rejects.toMatchObject({ fields: [{ field: 'rate' }] });
    await expect(run(['--duration', '0'])).rejects.toMatchObject({ fields: [{ field: 'duration' }] });
    await expect(run(['--seed', '1.5'])).rejects.toMatchObject({ fields: [{ field: 'seed' }] });
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.lines[0]).toMatch(/^usage: passage simulate/);
  });
});
