// One part of `npm run bench:processor`, for iterating on a change without the whole run:
//
//   npx tsx processors/bench/part.ts hot [--events N] [--repeat N]   (a) the hot path, its stages and runs
//   npx tsx processors/bench/part.ts e2e [--events N]                (b) Kafka → processor → chDB (needs Kafka)
//   npx tsx processors/bench/part.ts seen [--events N]               dedup reads: an hour of counted_ids vs a batch's seen_records lookup
//
// Same input, same measurement code as the full benchmark; prints tables only (no JSON, no goals).
// (d) runs on its own already: npx tsx processors/bench/keys.ts --mode processor.

import os from 'node:os';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { destination, pino } from 'pino';
import { loadConfig } from '../../shared/config.js';
import { recordId } from '../../ingest/adapter.js';
import { ChdbStore } from '../../shared/store/chdb.js';
import { migrate } from '../../shared/store/migrate.js';
import { CountedIds, COUNTED_IDS_TABLE } from '../core/counted.js';
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
  if (part !== 'hot' && part !== 'e2e' && part !== 'seen')
    throw new Error('usage: part.ts hot|e2e|seen [--events N] [--repeat N] [--profile]');
  const config = loadConfig();
  const events = Number(args.events);
  if (part === 'seen') return seen(events);
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
        `${e2e.batches} batches of ~${fmtInt(e2e.avgBatchMessages)}; an hour's counted ids read alone at end ${e2e.hourReadAloneAtEndMs.toFixed(0)} ms (${fmtInt(e2e.hourReadIds)} ids); codec ${e2e.codec}\n`,
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

/**
 * What duplicate dropping reads, against N counted ids over 25 hours and 6 partitions: the counted
 * ids of one partition's hour (CountedIds.load, once per partition and hour since migration 0010),
 * and the per-batch lookup of 6,757 ids (1% already counted) on seen_records that it replaced (still
 * run while seen_records holds ids from before 0010); and the insert of a batch's ids into each.
 */
async function seen(n: number): Promise<void> {
  const runId = `part${Date.now().toString(36)}`;
  const chdbPath = path.join(os.tmpdir(), `passage-${runId}-chdb`);
  const store = new ChdbStore(chdbPath, `${runId}_seen`);
  const topic = 'pm.raw.camera.v1';
  const batch = 6757;
  const hours = 25;
  const T0 = Date.UTC(2026, 10, 1);
  try {
    await migrate(store);
    const ids = Array.from({ length: n }, (_, i) => recordId('camera', undefined, ['bench', i]));
    const hourOfIndex = (i: number) => T0 + Math.floor((i * hours) / n) * 3600_000;
    const legacyRows = (from: number, to: number, partition: number) =>
      ids.slice(from, to).map((record_id, j) => ({ source: 'camera', record_id, topic, partition, offset: from + j }));
    const countedRows = (from: number, to: number, partition: number) =>
      ids.slice(from, to).map((record_id, j) => ({
        source: 'camera',
        topic,
        partition,
        hour: hourOfIndex(from + j) / 1000,
        record_id,
        offset: from + j,
      }));
    for (let i = 0; i < n; i += batch) {
      await store.insert('seen_records', legacyRows(i, Math.min(n, i + batch), (i / batch) % 6), { dedupToken: `w${i}` });
      await store.insert(COUNTED_IDS_TABLE, countedRows(i, Math.min(n, i + batch), (i / batch) % 6), { dedupToken: `w${i}` });
    }
    await store.command('OPTIMIZE TABLE {db:Identifier}.seen_records FINAL');
    await store.command('OPTIMIZE TABLE {db:Identifier}.counted_ids FINAL');
    const sizes = await store.query<{ table: string; b: string; r: string }>(
      `SELECT table, sum(bytes_on_disk) AS b, sum(rows) AS r FROM system.parts
       WHERE database = {db:String} AND active AND table IN ('seen_records', 'counted_ids') GROUP BY table`,
    );
    const probe = (k: number): string[] =>
      Array.from({ length: batch }, (_, j) =>
        j % 100 === 0 ? ids[(k * 7919 + j * 131) % n]! : recordId('camera', undefined, ['new', k, j]),
      );
    const legacy = async (q: string[]): Promise<number> =>
      (
        await store.query(
          `SELECT DISTINCT record_id FROM {db:Identifier}.seen_records
           WHERE source = {source:String} AND record_id IN {ids:Array(String)}
             AND NOT (topic = {topic:String} AND partition = {partition:UInt32} AND offset >= {from:UInt64})`,
          { source: 'camera', ids: q, topic, partition: 0, from: n + 1 },
        )
      ).length;
    const hour = async (k: number): Promise<number> => {
      const counted = new CountedIds(store, { source: 'camera', topic, partition: k % 6 });
      await counted.load([T0 + (k % hours) * 3600_000], n + 1);
      return counted.size();
    };
    const time = async (f: () => Promise<unknown>): Promise<[number, number]> => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await f();
      const c = process.cpuUsage(c0);
      return [performance.now() - t0, (c.user + c.system) / 1000];
    };
    const results: Record<string, [number, number][]> = {
      "an hour's counted ids of one partition (counted_ids, as run)": [],
      "a batch's lookup on seen_records (before migration 0010)": [],
    };
    const found = [0, 0];
    for (let k = 0; k < 9; k++) {
      const q = probe(k);
      results["an hour's counted ids of one partition (counted_ids, as run)"]!.push(
        await time(async () => void (found[0] = await hour(k))),
      );
      results["a batch's lookup on seen_records (before migration 0010)"]!.push(await time(async () => void (found[1] = await legacy(q))));
    }
    const inserts: Record<string, [number, number][]> = { 'insert a batch into counted_ids': [], 'insert a batch into seen_records': [] };
    for (let k = 0; k < 5; k++) {
      const r = probe(100 + k);
      inserts['insert a batch into counted_ids']!.push(
        await time(() =>
          store.insert(
            COUNTED_IDS_TABLE,
            r.map((record_id, j) => ({ source: 'camera', topic, partition: 7, hour: T0 / 1000, record_id, offset: n + k * batch + j })),
            { dedupToken: `a${k}` },
          ),
        ),
      );
      inserts['insert a batch into seen_records']!.push(
        await time(() =>
          store.insert(
            'seen_records',
            r.map((record_id, j) => ({ source: 'camera', record_id, topic, partition: 7, offset: n + k * batch + j })),
            { dedupToken: `b${k}` },
          ),
        ),
      );
    }
    const median = (xs: [number, number][], i: 0 | 1): string => {
      const sorted = xs.map((x) => x[i]).sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length / 2)]!.toFixed(1);
    };
    process.stdout.write(
      `${table(
        ['dedup read or write', 'wall ms (median)', 'process CPU ms (median)'],
        [...Object.entries(results), ...Object.entries(inserts)].map(([k, v]) => [k, median(v, 0), median(v, 1)]),
      )}\nlast reads: ${fmtInt(found[0]!)} ids of an hour; ${found[1]} of ~${Math.ceil(batch / 100)} counted ids found by the lookup; on disk: ${sizes
        .map((s) => `${s.table} ${(Number(s.b) / 2 ** 20).toFixed(1)} MiB (${fmtInt(Number(s.r))} rows)`)
        .join(', ')}\n`,
    );
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
