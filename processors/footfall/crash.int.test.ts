// Crash test (exactly-once effect, DESIGN.md Reliability): replays 200,000 camera counts (+ ~3 % exact
// duplicates) through real Kafka into a footfall processor in a child process, kills it with SIGKILL
// at random points at least five times, and checks the final counts_5m equals an independent reference.

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { latLngToCell } from 'h3-js';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadSchema } from '../../schemas/index.js';
import { KafkaBus } from '../../shared/bus/kafka.js';
import type { CommittedOffset } from '../../shared/bus/types.js';
import { ConfluentSchemaRegistry } from '../../shared/registry/confluent.js';
import { ChdbStore } from '../../shared/store/chdb.js';
import { quietLogger, uid } from '../../shared/testing/fixtures.js';
import { subjectOf, Topics } from '../../shared/topics.js';
import { decodeMeta } from '../commit-meta.js';
import { mulberry32 } from '../../ingest/simulate/random.js';

const brokers = inject('kafkaBrokers');
const registryUrl = inject('registryUrl');

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));

const UNIQUE_RECORDS = 200_000;
const DUPLICATE_SHARE = 0.03;
const PARTITIONS = 3;
const SENSORS = 1000;
const LOCATIONS = 60;
/** Kills attempted (the acceptance needs at least 5), spread over the replay. */
const KILLS = 7;
const MIN_KILLS = 5;
const FLUSH_MAX_RECORDS = 5000;
const SESSION_TIMEOUT_MS = 6000;
const WINDOW_MS = 5 * 60_000;
const T0 = Date.UTC(2025, 8, 1, 4, 0);
const DATA_SEED = 20_251_122;
/** Kill timing: a fresh seed every run, printed so a run's choices can be replayed by pinning it here. */
const KILL_SEED = Date.now() % 2 ** 31;

const prng = mulberry32;

interface Camera {
  recordId: string;
  sensorId: string;
  start: number;
  end: number;
  in: number;
  out: number;
  line: string | null;
  class: 'pedestrian' | 'cyclist' | null;
  lat: number;
  lng: number;
  receivedAt: number;
}

/** Interval lengths (ms) with their weights: aligned 1/5/15/60 min, unaligned odd lengths, and long ones (up to 6 h) that get spread. */
const LENGTHS: [number, number][] = [
  [300_000, 45],
  [60_000, 10],
  [900_000, 15],
  [3_600_000, 10],
  [437_000, 8],
  [1_234_567, 4],
  [9_420_000, 5],
  [21_600_000, 3],
];

function pick<T>(rand: () => number, weighted: [T, number][]): T {
  const total = weighted.reduce((s, [, w]) => s + w, 0);
  let x = rand() * total;
  for (const [v, w] of weighted) {
    if (x < w) return v;
    x -= w;
  }
  return weighted[weighted.length - 1]![0];
}

/**
 * Deterministic input: `unique` records (round-robin over sensors, each sensor's intervals back to back
 * with occasional gaps, so the replay runs roughly in event-time order) and the sequence to produce,
 * in which ~3 % of the records appear again, unchanged, 1 to 65,000 positions after the original.
 */
function generate(): { unique: Camera[]; sequence: Camera[] } {
  const rand = prng(DATA_SEED);
  const locations = Array.from({ length: LOCATIONS }, () => ({ lat: 55.64 + rand() * 0.06, lng: 12.52 + rand() * 0.1 }));
  const sensors = Array.from({ length: SENSORS }, (_, i) => {
    const loc = locations[Math.floor(rand() * LOCATIONS)]!;
    return {
      id: `crash-cam-${i}`,
      // ±~20 m around the location: mostly the same cell as the other sensors there, sometimes a neighbour.
      lat: loc.lat + (rand() - 0.5) * 0.0004,
      lng: loc.lng + (rand() - 0.5) * 0.0006,
      class: pick<Camera['class']>(rand, [
        [null, 1],
        ['pedestrian', 2],
        ['cyclist', 1],
      ]),
      line: rand() < 0.3 ? 'A' : null,
      cursor: T0 + Math.floor(rand() * 7200) * 1000,
    };
  });
  const unique: Camera[] = [];
  for (let i = 0; i < UNIQUE_RECORDS; i++) {
    const s = sensors[i % SENSORS]!;
    if (rand() < 0.05) s.cursor += Math.floor(rand() * 4) * WINDOW_MS + Math.floor(rand() * 60) * 1000;
    const len = pick(rand, LENGTHS);
    const scale = Math.ceil((len / 60_000) * 6) + 3;
    const start = s.cursor;
    s.cursor += len;
    unique.push({
      recordId: `${s.id}:${start}:${len}`,
      sensorId: s.id,
      start,
      end: start + len,
      in: Math.floor(rand() * scale),
      out: Math.floor(rand() * scale),
      line: s.line,
      class: s.class,
      lat: s.lat,
      lng: s.lng,
      receivedAt: start + len + 1000,
    });
  }
  const after = new Map<number, Camera[]>();
  for (const [i, r] of unique.entries()) {
    if (rand() >= DUPLICATE_SHARE) continue;
    const x = rand();
    const distance = x < 0.5 ? 1 + Math.floor(rand() * 50) : x < 0.8 ? 50 + Math.floor(rand() * 5000) : 5000 + Math.floor(rand() * 60_000);
    const at = Math.min(UNIQUE_RECORDS - 1, i + distance);
    after.set(at, [...(after.get(at) ?? []), r]);
  }
  const sequence: Camera[] = [];
  for (const [i, r] of unique.entries()) sequence.push(r, ...(after.get(i) ?? []));
  return { unique, sequence };
}

/**
 * Independent reference of the spreading rule (README, Spreading): the cumulative count up to the end
 * of each overlapped window is count × overlap-so-far / span rounded half up, in exact BigInt
 * arithmetic; a window's share is the difference. Zero shares make no row.
 */
function spreadReference(start: number, end: number, count: number): [number, number][] {
  const shares: [number, number][] = [];
  const span = BigInt(end - start);
  let previous = 0n;
  for (let w = Math.floor(start / WINDOW_MS) * WINDOW_MS; w < end; w += WINDOW_MS) {
    const covered = BigInt(Math.min(end, w + WINDOW_MS) - start);
    const cumulative = (2n * BigInt(count) * covered + span) / (2n * span);
    if (cumulative > previous) shares.push([w, Number(cumulative - previous)]);
    previous = cumulative;
  }
  return shares;
}

type Totals = Map<string, { entries: number; exits: number }>;

function cellOfRecord(r: Camera): string {
  return BigInt(`0x${latLngToCell(r.lat, r.lng, 10)}`).toString();
}

function keyOf(cell: string, windowStartMs: number, breakdown: string): string {
  return `${cell}|${windowStartMs / 1000}|${breakdown}`;
}

/** Expected counts_5m: every unique record once, per (H3 res-10 cell, 5-minute window, class). */
function reference(unique: Camera[]): Totals {
  const totals: Totals = new Map();
  for (const r of unique) {
    const cell = cellOfRecord(r);
    for (const [field, count] of [
      ['entries', r.in],
      ['exits', r.out],
    ] as const) {
      for (const [w, share] of spreadReference(r.start, r.end, count)) {
        const key = keyOf(cell, w, r.class ?? '');
        const t = totals.get(key) ?? { entries: 0, exits: 0 };
        t[field] += share;
        totals.set(key, t);
      }
    }
  }
  return totals;
}

interface Child {
  n: number;
  proc: ChildProcess;
  exited: { code: number | null; signal: NodeJS.Signals | null } | null;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

interface Kill {
  n: number;
  mode: 'delay' | 'pending';
  delayMs: number;
  progressBefore: number;
  offsets: (number | null)[];
  pending: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const sum = (xs: (number | null)[]): number => xs.reduce<number>((s, x) => s + (x ?? 0), 0);

describe.runIf(brokers !== null && registryUrl !== null)(
  'footfall processor killed with SIGKILL during a replay through real Kafka',
  () => {
    const prefix = `${uid('crash')}.`;
    const topics = new Topics(prefix);
    const rawTopic = topics.raw('camera');
    const groupId = `${rawTopic}.footfall`;
    const database = uid('crash_');
    let workDir: string | null = null;
    let bus: KafkaBus | null = null;
    let admin: Admin | null = null;
    let log: WriteStream | null = null;
    let child: Child | null = null;
    let passed = false;

    afterAll(async () => {
      if (child !== null && child.exited === null) {
        child.proc.kill('SIGKILL');
        await child.exit;
      }
      if (passed) await admin?.deleteTopics({ topics: [rawTopic, topics.dlq()] }).catch(() => undefined);
      await admin?.disconnect();
      await bus?.close();
      await new Promise<void>((r) => (log === null ? r() : log.end(r)));
      if (workDir !== null && passed) rmSync(workDir, { recursive: true, force: true });
      else if (workDir !== null) console.log(`[crash] kept ${workDir} (chDB data and children.log) for inspection`);
    });

    it('stores exactly the reference counts after at least five SIGKILLs at random points', async () => {
      const t0 = Date.now();
      const elapsed = (): string => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
      const say = (s: string): void => console.log(`[crash ${elapsed()}] ${s}`);
      const killRand = prng(KILL_SEED);
      workDir = mkdtempSync(path.join(os.tmpdir(), 'passage-crash-'));
      const dataDir = path.join(workDir, 'chdb');
      const logPath = path.join(workDir, 'children.log');
      say(`kill seed ${KILL_SEED}, topic ${rawTopic}, work dir ${workDir}`);

      // Input and reference.
      const { unique, sequence } = generate();
      const expected = reference(unique);
      say(`generated ${unique.length} unique records, ${sequence.length - unique.length} duplicates; ${expected.size} reference rows`);

      // Topics, schemas and the replay, produced before the processor starts.
      bus = new KafkaBus({ brokers: brokers!, clientId: uid('passage-crash-test-'), logger: quietLogger() });
      admin = new Kafka({ clientId: uid('passage-crash-admin-'), brokers: brokers!, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await bus.ensureTopics(
        topics
          .specs(PARTITIONS, 7 * 86_400_000)
          .filter((s) => s.name === rawTopic || s.name === topics.dlq() || s.name === topics.windows()),
      );
      const codec = new ConfluentSchemaRegistry(registryUrl!);
      await codec.register(subjectOf(rawTopic), loadSchema('raw-camera'));
      await codec.register(subjectOf(topics.dlq()), loadSchema('dlq'));
      await codec.register(subjectOf(topics.windows()), loadSchema('windows'));
      for (let i = 0; i < sequence.length; i += 5000) {
        const chunk = sequence.slice(i, i + 5000);
        const messages = await Promise.all(
          chunk.map(async (r) => ({ key: r.sensorId, value: await codec.encode(subjectOf(rawTopic), { ...r }) })),
        );
        await bus.produce(rawTopic, messages);
      }
      const ends = (await admin.fetchTopicOffsets(rawTopic)).sort((a, b) => a.partition - b.partition).map((o) => Number(o.high));
      const total = sum(ends);
      expect(total).toBe(sequence.length);
      say(`produced ${total} messages; end offsets ${JSON.stringify(ends)}`);

      // Children: node + tsx running crash-child.ts; their output goes to children.log.
      log = createWriteStream(logPath);
      const repeats: string[] = [];
      const errorLines: string[] = [];
      let started = 0;
      const startChild = (): Child => {
        const n = ++started;
        const proc = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            CHILD,
            ...['--brokers', brokers!.join(','), '--registry', registryUrl!, '--prefix', prefix],
            ...['--data-dir', dataDir, '--database', database],
            ...['--flush-max-records', String(FLUSH_MAX_RECORDS), '--session-timeout-ms', String(SESSION_TIMEOUT_MS)],
          ],
          { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        const c: Child = {
          n,
          proc,
          exited: null,
          exit: new Promise((resolve) =>
            proc.once('exit', (code, signal) => {
              c.exited = { code, signal };
              resolve(c.exited);
            }),
          ),
        };
        for (const stream of [proc.stdout, proc.stderr]) {
          createInterface({ input: stream }).on('line', (line) => {
            log?.write(`[child ${n}] ${line}\n`);
            try {
              const o = JSON.parse(line) as { level?: number; msg?: string; partition?: number; from?: number; to?: number };
              if (o.msg === 'repeating an announced write after restart') repeats.push(`child ${n}: p${o.partition} [${o.from}, ${o.to}]`);
              if ((o.level ?? 0) >= 50) errorLines.push(`child ${n}: ${line}`);
            } catch {
              if (line.trim() !== '') errorLines.push(`child ${n} (not JSON): ${line}`);
            }
          });
        }
        return c;
      };

      const committed = async (): Promise<CommittedOffset[]> =>
        (await bus!.committed(groupId, rawTopic)).sort((a, b) => a.partition - b.partition);
      const offsetsOf = (cs: CommittedOffset[]): (number | null)[] =>
        Array.from({ length: PARTITIONS }, (_, p) => cs.find((c) => c.partition === p)?.offset ?? null);
      const pendingOf = (cs: CommittedOffset[]): string[] =>
        cs.flatMap((c) => {
          const m = decodeMeta(c.metadata);
          return m.pending === null ? [] : [`p${c.partition} [${m.pending.from}, ${m.pending.to}]`];
        });
      /** Polls the group's committed offsets until `done`, failing if the child exits or `timeoutMs` passes. */
      const waitFor = async (c: Child, done: (cs: CommittedOffset[]) => boolean, timeoutMs: number, everyMs: number) => {
        const until = Date.now() + timeoutMs;
        for (;;) {
          if (c.exited !== null) throw new Error(`child ${c.n} exited on its own (${JSON.stringify(c.exited)}); see ${logPath}`);
          const cs = await committed();
          if (done(cs)) return cs;
          if (Date.now() > until) return null;
          await sleep(everyMs);
        }
      };

      // Kill i waits until the group has committed a random point of the i-th slice of the replay (and
      // past the previous kill), then either kills after a random delay or as soon as a write is
      // announced but not finished (a pending range in the commit metadata).
      const kills: Kill[] = [];
      let lastKillProgress = 0;
      for (let i = 0; i < KILLS; i++) {
        child = startChild();
        const target = Math.max(lastKillProgress + 1, Math.floor((total * (i + 0.15 + 0.7 * killRand())) / (KILLS + 1)));
        const reached = await waitFor(child, (cs) => sum(offsetsOf(cs)) >= target, 120_000, 50);
        if (reached === null) throw new Error(`child ${child.n} made no progress to ${target} in 120 s; see ${logPath}`);
        const progressBefore = sum(offsetsOf(reached));
        if (progressBefore >= total) {
          say(`replay finished before kill ${i + 1} could land`);
          break;
        }
        const mode = i % 2 === 0 ? 'delay' : 'pending';
        const killAt = Date.now();
        if (mode === 'delay') await sleep(Math.floor(killRand() * 500));
        else await waitFor(child, (cs) => pendingOf(cs).length > 0, 3000, 10);
        const delayMs = Date.now() - killAt;
        child.proc.kill('SIGKILL');
        const exit = await child.exit;
        expect(exit.signal).toBe('SIGKILL');
        const after = await committed();
        const kill: Kill = { n: child.n, mode, delayMs, progressBefore, offsets: offsetsOf(after), pending: pendingOf(after) };
        kills.push(kill);
        lastKillProgress = sum(kill.offsets);
        say(
          `kill ${kills.length} (child ${kill.n}, ${mode}, +${delayMs} ms after ${progressBefore}/${total} committed): ` +
            `offsets ${JSON.stringify(kill.offsets)}, pending ${kill.pending.length === 0 ? 'none' : kill.pending.join(' ')}`,
        );
      }

      // The last child runs to the end of every partition, then stops on SIGTERM (chDB closes cleanly).
      child = startChild();
      const done = await waitFor(child, (cs) => offsetsOf(cs).every((o, p) => o === ends[p]) && pendingOf(cs).length === 0, 300_000, 200);
      if (done === null) throw new Error(`the last child did not reach the end offsets ${JSON.stringify(ends)} in 300 s; see ${logPath}`);
      say(`replay complete: committed ${JSON.stringify(offsetsOf(done))}`);
      child.proc.kill('SIGTERM');
      const stopped = await Promise.race([child.exit, sleep(30_000).then(() => null)]);
      expect(stopped, 'the last child stops within 30 s of SIGTERM').toEqual({ code: 0, signal: null });
      const dlqEnds = await admin.fetchTopicOffsets(topics.dlq());

      // Only now does this process open the chDB directory (one process at a time).
      const store = new ChdbStore(dataDir, database);
      try {
        const rows = await store.query<{ cell: string; w: number; breakdown: string; e: string; x: string }>(
          `SELECT toString(cell) AS cell, toUnixTimestamp(window_start) AS w, breakdown, sum(entries) AS e, sum(exits) AS x
           FROM {db:Identifier}.counts_5m WHERE source = 'camera' GROUP BY cell, w, breakdown`,
        );
        const actual: Totals = new Map(
          rows.map((r) => [keyOf(r.cell, Number(r.w) * 1000, r.breakdown), { entries: Number(r.e), exits: Number(r.x) }]),
        );
        const [seen] = await store.query<{ ids: string }>(
          "SELECT toString(uniqExact(record_id)) AS ids FROM {db:Identifier}.counted_ids WHERE source = 'camera'",
        );

        // Rows counting nobody (a record with in = out = 0 in one window) are left out on both sides.
        const nonZero = (m: Totals): Totals => new Map([...m].filter(([, t]) => t.entries !== 0 || t.exits !== 0));
        const exp = nonZero(expected);
        const act = nonZero(actual);
        const diffs: {
          key: string;
          expected: { entries: number; exits: number } | null;
          actual: { entries: number; exits: number } | null;
        }[] = [];
        for (const key of new Set([...exp.keys(), ...act.keys()])) {
          const e = exp.get(key) ?? null;
          const a = act.get(key) ?? null;
          if (e?.entries !== a?.entries || e?.exits !== a?.exits) diffs.push({ key, expected: e, actual: a });
        }
        const grand = (m: Totals) =>
          [...m.values()].reduce((s, t) => ({ entries: s.entries + t.entries, exits: s.exits + t.exits }), { entries: 0, exits: 0 });

        say(`kills: ${kills.length}; children started: ${started}; announced writes repeated after a restart: ${repeats.length}`);
        for (const r of repeats) say(`  repeated ${r}`);
        say(`error lines in children's logs: ${errorLines.length}${errorLines.length > 0 ? ` (first: ${errorLines[0]})` : ''}`);
        say(`expected totals ${JSON.stringify(grand(exp))} in ${exp.size} rows; stored ${JSON.stringify(grand(act))} in ${act.size} rows`);
        say(`record ids in counted_ids: ${seen?.ids}; DLQ end offsets ${JSON.stringify(dlqEnds.map((o) => o.high))}`);
        if (diffs.length > 0) {
          say(`${diffs.length} rows differ; the first 20 (key = cell|window start s|class):`);
          for (const d of diffs.slice(0, 20)) say(`  ${d.key}: expected ${JSON.stringify(d.expected)}, stored ${JSON.stringify(d.actual)}`);
          // Evidence: the records touching the first differing rows, where the processor placed them.
          const suspects = new Set(diffs.slice(0, 5).map((d) => d.key));
          const touching = unique.filter((r) => {
            for (let w = Math.floor(r.start / WINDOW_MS) * WINDOW_MS; w < r.end; w += WINDOW_MS)
              if (suspects.has(keyOf(cellOfRecord(r), w, r.class ?? ''))) return true;
            return false;
          });
          const where = await store.query<{ record_id: string; partition: number; offset: string }>(
            `SELECT record_id, partition, toString(offset) AS offset FROM {db:Identifier}.counted_ids
             WHERE source = 'camera' AND record_id IN {ids:Array(String)} ORDER BY partition, offset`,
            { ids: touching.map((r) => r.recordId) },
          );
          const sent = new Map<string, number>();
          for (const r of sequence) sent.set(r.recordId, (sent.get(r.recordId) ?? 0) + 1);
          for (const w of where.slice(0, 60))
            say(`  ${w.record_id}: p${w.partition}@${w.offset}${(sent.get(w.record_id) ?? 0) > 1 ? ' (sent twice)' : ''}`);
        }

        expect(kills.length, 'SIGKILLs landed mid-replay').toBeGreaterThanOrEqual(MIN_KILLS);
        expect(
          dlqEnds.every((o) => Number(o.high) === 0),
          'no record went to the DLQ',
        ).toBe(true);
        expect(Number(seen?.ids), 'every unique record id is in counted_ids').toBe(UNIQUE_RECORDS);
        expect(grand(act)).toEqual(grand(exp));
        expect(diffs.length, 'rows of counts_5m that differ from the reference').toBe(0);
        passed = true;
      } finally {
        await store.close();
      }
    }, 600_000);
  },
);
