// (d) Child process of the benchmark: fills the processor's in-memory state with N distinct open
// (cell, window, class) keys and prints one JSON line with its peak RSS. Mode `aggregate`: CountAggregate
// and WindowTracker only; mode `processor`: also the record ids (by hour, and the recent hours' counted
// ids) and the write of all of it, as FootfallProcessor does.

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { recordId } from '../../ingest/adapter.js';
import { cellOf, cellToUInt64 } from '../../shared/h3.js';
import { insertPayload } from '../../shared/store/payload.js';
import type { CameraCount } from '../../schemas/records.js';
import { CountAggregate } from '../footfall/aggregate.js';
import { CountedIds, hourOf } from '../core/counted.js';
import type { Store } from '../../shared/store/types.js';
import { WindowTracker } from '../windows/tracker.js';
import { INPUT_START_MS, makeSensors } from './generate.js';

const WINDOW_MS = 300_000;

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000' },
    mode: { type: 'string', default: 'aggregate' },
    sensors: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '42' },
  },
});
const target = Number(args.keys);
const withIds = args.mode === 'processor';

let peakRss = process.memoryUsage.rss();
const phases: Record<string, number> = {};
const sample = (): void => {
  const rss = process.memoryUsage.rss();
  if (rss > peakRss) peakRss = rss;
};
const phase = (name: string): void => {
  sample();
  phases[name] = process.memoryUsage.rss();
};

phase('baseline');
const t0 = performance.now();
const sensors = makeSensors(Number(args.sensors), Number(args.seed)).map((s) => ({ ...s, cell: cellToUInt64(cellOf(s.lat, s.lng)) }));
const agg = new CountAggregate(WINDOW_MS);
const tracker = new WindowTracker({ windowMs: WINDOW_MS, allowedLatenessMs: 120_000, idleTimeoutMs: 10_000 });
const ids = new Map<number, Map<string, number>>();
// The store has nothing counted yet: every hour reads as empty, as on a fresh deployment.
const counted = new CountedIds({ query: () => Promise.resolve([]) } as unknown as Store, {
  source: 'camera',
  topic: 'pm.raw.camera.v1',
  partition: 0,
});
let idsHeld = 0;
const now = Date.now();
let records = 0;
let payloadBytes = 0;
// One 5-minute count per sensor and window, window after window, until the aggregate holds `target` keys.
fill: for (let w = 0; ; w++) {
  const start = INPUT_START_MS + w * WINDOW_MS;
  for (const s of sensors) {
    const r: CameraCount = {
      recordId: withIds ? recordId('camera', undefined, [s.sensorId, start, start + WINDOW_MS, null, s.class]) : '',
      sensorId: s.sensorId,
      start,
      end: start + WINDOW_MS,
      in: 3 + (records % 7),
      out: 2 + (records % 5),
      line: null,
      class: s.class,
      lat: s.lat,
      lng: s.lng,
      receivedAt: start + WINDOW_MS + 10_000,
    };
    for (const win of agg.add(r, s.cell)) tracker.observe(win, r.end, now);
    if (withIds) {
      const hour = hourOf(r.start);
      await counted.load(counted.missing([hour]), 0);
      counted.add(hour, r.recordId);
      let ofHour = ids.get(hour);
      if (ofHour === undefined) ids.set(hour, (ofHour = new Map<string, number>()));
      ofHour.set(r.recordId, records);
      idsHeld += 1;
      if (idsHeld % 5000 === 0) counted.evict();
    }
    records += 1;
    if (records % 1000 === 0) sample();
    if (agg.size() >= target) break fill;
  }
}
phase('filled');
const fillSeconds = (performance.now() - t0) / 1000;

if (withIds) {
  // StreamProcessor.write: the rows, then ChdbStore.insert's payload Buffer (shared/store/payload.ts); then the ids likewise.
  let rows: Record<string, unknown>[] | null = [...agg.values()].map((r) => ({
    source: 'camera',
    cell: r.cell,
    window_start: r.windowStart / 1000,
    breakdown: r.breakdown,
    entries: r.entries,
    exits: r.exits,
  }));
  phase('write rows built');
  let payload: Buffer | null = Buffer.from(insertPayload(rows).body);
  phase('write counts_5m payload');
  payloadBytes += payload.length;
  rows = null;
  payload = null;
  let idRows: Record<string, unknown>[] | null = [];
  for (const [hour, ofHour] of ids)
    for (const [record_id, offset] of ofHour)
      idRows.push({ source: 'camera', topic: 'pm.raw.camera.v1', partition: 0, hour: hour / 1000, record_id, offset });
  let idPayload: Buffer | null = Buffer.from(insertPayload(idRows).body);
  phase('write counted_ids payload');
  payloadBytes += idPayload.length;
  idRows = null;
  idPayload = null;
}

const usage = process.memoryUsage();
// The kernel's high-water mark of this process's memory catches peaks between samples. NOTE: not
// getrusage's maxRSS, which on Linux keeps the pre-exec high-water mark, i.e. the forking parent's RSS.
let maxRss = 0;
try {
  const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  if (hwm !== null) maxRss = Number(hwm[1]) * 1024;
} catch {
  // Not Linux: the samples only.
}
process.stdout.write(
  `${JSON.stringify({
    mode: args.mode,
    keys: agg.size(),
    records,
    openWindows: tracker.openWindows(),
    idsHeld,
    fillSeconds,
    peakRssBytes: Math.max(peakRss, maxRss),
    sampledPeakRssBytes: peakRss,
    baselineRssBytes: phases.baseline,
    rssByPhase: phases,
    writePayloadBytes: payloadBytes,
    heapUsedBytes: usage.heapUsed,
    externalBytes: usage.external,
  })}\n`,
);
