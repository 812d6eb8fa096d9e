// One part of `npm run bench:processor`, for iterating on a change without the whole run:
//
//   npx tsx processors/bench/part.ts hot [--events N] [--repeat N]   (a) the hot path, its stages and runs
//   npx tsx processors/bench/part.ts e2e [--events N]                (b) Kafka → processor → chDB (needs Kafka)
//
// Same input, same measurement code as the full benchmark; prints tables only (no JSON, no goals).
// (d) runs on its own already: npx tsx processors/bench/keys.ts --mode processor.

import os from 'node:os';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { destination, pino } from 'pino';
import { loadConfig } from '../../shared/config.js';
import { ChdbStore } from '../../shared/store/chdb.js';
import { measureEndToEnd, registryProblem } from './e2e.js';
import { generateInput } from './generate.js';
import { measureHotPath, type StageResult } from './hotpath.js';
import { fmtInt, pct, table } from './report.js';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    events: { type: 'string', default: '1000000' },
    repeat: { type: 'string', default: '2' },
    partitions: { type: 'string', default: '6' },
    profile: { type: 'boolean', default: false },
  },
});

const say = (line: string): void => void process.stderr.write(`[part] ${line}\n`);
const row = (s: StageResult): string[] => [s.stage, fmtInt(s.eventsPerSec), s.nsPerEvent.toFixed(0), fmtInt(s.eventsPerCpuSecond)];

async function main(): Promise<void> {
  const part = positionals[0];
  if (part !== 'hot' && part !== 'e2e') throw new Error('usage: part.ts hot|e2e [--events N] [--repeat N] [--profile]');
  const config = loadConfig();
  const events = Number(args.events);
  const input = await generateInput(events, 2000, 42, () => undefined);
  const progress = (stage: string, done: number, total: number): void => {
    if (done === total) say(`${stage} ${fmtInt(done)}`);
  };
  if (part === 'hot') {
    const hot = await measureHotPath({
      values: input.values,
      codec: input.codec,
      processing: config.processing,
      maxFutureMs: config.ingest.maxFutureMs,
      profile: args.profile,
      repeat: Number(args.repeat),
      progress,
    });
    process.stdout.write(`${table(['stage', 'events/s', 'ns/event', 'events/CPU-s'], [...hot.stages, ...hot.runs].map(row))}\n`);
    if (hot.profile !== null) process.stdout.write(`${hot.profile.byArea.map((a) => `${a.what} ${a.selfPct}%`).join('\n')}\n`);
    return;
  }
  const brokers = config.kafka?.brokers ?? ['127.0.0.1:19092'];
  const registryUrl = (config.schemaRegistryUrl ?? 'http://127.0.0.1:18081/apis/ccompat/v7').replace(/\/+$/, '');
  const runId = `part${Date.now().toString(36)}`;
  const chdbPath = path.join(os.tmpdir(), `passage-${runId}-chdb`);
  const store = new ChdbStore(chdbPath, `${runId}_passage`);
  try {
    const e2e = await measureEndToEnd({
      input,
      brokers,
      registryUrl: (await registryProblem(registryUrl)) === null ? registryUrl : null,
      partitions: Number(args.partitions),
      store,
      processing: config.processing,
      maxFutureMs: config.ingest.maxFutureMs,
      timeoutMs: 600_000,
      logger: pino({ level: 'warn' }, destination(2)),
      runId,
      profile: args.profile,
      progress,
      onProduced: () => {
        input.records.length = 0;
        input.values.length = 0;
      },
    });
    process.stdout.write(
      `${fmtInt(e2e.events)} events in ${e2e.seconds.toFixed(1)} s: ${fmtInt(e2e.eventsPerSec)} events/s (${e2e.check.ok ? 'exact' : 'WRONG'}); ` +
        `process ${e2e.processCores.toFixed(2)} cores, event loop ${pct(e2e.eventLoopUtilization)}; ` +
        `${e2e.batches} batches of ~${fmtInt(e2e.avgBatchMessages)}; lookup alone at end ${e2e.lookupAloneAtEndMs.toFixed(0)} ms; codec ${e2e.codec}\n`,
    );
    process.stdout.write(
      `${table(
        ['store call', 'calls', 'seconds', 'first 10% ms', 'last 10% ms'],
        Object.entries(e2e.store).map(([k, t]) => [
          k,
          fmtInt(t.calls),
          t.seconds.toFixed(1),
          (t.firstTenthMeanSeconds * 1000).toFixed(0),
          (t.lastTenthMeanSeconds * 1000).toFixed(0),
        ]),
      )}\n`,
    );
    process.stdout.write(
      `cpu: ${JSON.stringify(e2e.cpu)}; storage: ${JSON.stringify(e2e.storage.map((s) => [s.table, s.rows, s.bytesOnDisk]))}\n`,
    );
    if (e2e.profile !== null) process.stdout.write(`${e2e.profile.byArea.map((a) => `${a.what} ${a.selfPct}%`).join('\n')}\n`);
  } finally {
    await store.close();
    rmSync(chdbPath, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
