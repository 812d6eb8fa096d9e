// Backfill of the real datasets through the ingest edge (embedded mode): every file imports, the
// stored camera totals equal the sums computed here straight from the CSV text, an interrupted
// backfill resumes from its checkpoint, and re-running an import changes no count.

import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemoryBus } from '../../shared/bus/memory.js';
import type { Passage } from '../../shared/passage.js';
import { embeddedPassage, eventually, uid } from '../../shared/testing/fixtures.js';
import { backfill, type BackfillOptions, type BackfillSink } from './backfill.js';
import { edgeSink } from './sinks.js';

const REAL = path.resolve(import.meta.dirname, '../../../shared/data/real');
const MEL = `${REAL}/melbourne-pedestrian-counts`;
const MEL19 = `${REAL}/melbourne-pedestrian-counts-jan2019`;
const NYC = `${REAL}/nyc-mta-turnstile-partial-week-2017`;
const HOK = `${REAL}/hokuriku-wifi-packet-sensing-2024`;

/** Sum of the PedestrianCount column, read with a plain split (independent of the mapper). */
function csvColumnSum(file: string, column: string): number {
  const [header, ...rows] = readFileSync(file, 'utf8').trim().split(/\r?\n/);
  const i = header!.split(',').indexOf(column);
  return rows.reduce((a, r) => a + Number(r.split(',')[i]), 0);
}

// The data sits beside the repository (../shared/data/real), as on every project machine and in CI.
if (!existsSync(REAL)) process.stdout.write(`[backfill] ${REAL} not found: skipping the real-dataset backfill tests\n`);

describe.runIf(existsSync(REAL))('backfill of the real datasets', () => {
  let p: Passage;
  let sink: BackfillSink;
  const checkpointDir = path.join(os.tmpdir(), uid('passage-backfill-'));
  const opts = (o: Partial<BackfillOptions> & Pick<BackfillOptions, 'files' | 'mapper' | 'mapperOptions'>): BackfillOptions => ({
    batchSize: 2000,
    ratePerSecond: 0,
    checkpointDir,
    restart: false,
    ...o,
  });
  const cameraTotal = async (): Promise<number> => {
    const [r] = await p.runtime.store.query<{ n: string }>(
      "SELECT toString(sum(entries) + sum(exits)) AS n FROM {db:Identifier}.counts_5m WHERE source = 'camera'",
    );
    return Number(r?.n ?? 0);
  };

  beforeAll(async () => {
    p = await embeddedPassage({ PASSAGE_SIMULATE: '0' });
    sink = edgeSink(p.edge!, p.runtime.sensors, () => Promise.resolve());
  });
  afterAll(() => p?.close());

  it('imports the Melbourne hourly counts exactly, resumes after an interruption, and changes no count when re-run', async () => {
    const file = `${MEL}/hourly_counts_2014-09-01_2014-11-30.csv`;
    const expected = csvColumnSum(file, 'PedestrianCount');
    const mel = opts({ files: [file], mapper: 'melbourne-hourly', mapperOptions: { sensorLocations: `${MEL}/sensor_locations.csv` } });
    // Interrupted after three batches.
    let calls = 0;
    const flaky: BackfillSink = {
      ...sink,
      ingest: (s, r) => (++calls > 3 ? Promise.reject(new Error('connection lost')) : sink.ingest(s, r)),
    };
    await expect(backfill(flaky, mel)).rejects.toThrow('connection lost');
    const resumed = await backfill(sink, mel);
    expect(resumed.files[0]!.resumedFrom).toBeGreaterThan(0);
    expect(await eventually(cameraTotal, (n) => n >= expected, 60_000)).toBe(expected);

    const again = await backfill(sink, { ...mel, restart: true });
    expect(again.accepted).toBe(70_886);
    await eventually(
      () => Promise.resolve((p.runtime.bus as MemoryBus).endOffsets(p.runtime.topics.raw('camera')).reduce((a, b) => a + b, 0)),
      (n) => n >= 2 * 70_886,
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(await cameraTotal()).toBe(expected);
  }, 180_000);

  it('imports the other real files: Melbourne 2019, NYC turnstiles and Hokuriku stays, with the same ids when re-run', async () => {
    const runs: [BackfillOptions, string][] = [
      [
        opts({
          files: [`${MEL19}/January_2019.csv`],
          mapper: 'melbourne-monthly-wide',
          mapperOptions: { sensorLocations: `${MEL19}/sensor_locations.csv` },
        }),
        'camera',
      ],
      [
        opts({
          files: [`${NYC}/turnstile_170624_partial.csv`],
          mapper: 'nyc-mta-turnstile',
          mapperOptions: {
            stationLookup: `${NYC}/remote_booth_station_lookup.csv`,
            stations: `${NYC}/mta_gtfs_stations.csv`,
            booths: `${NYC}/booths_latlon.csv`,
          },
        }),
        'ticketing',
      ],
      [
        opts({
          files: [`${HOK}/move/1.csv`, `${HOK}/move/12.csv`],
          mapper: 'hokuriku-stays',
          mapperOptions: { facilities: `${HOK}/facility_list.csv` },
        }),
        'wifi',
      ],
    ];
    for (const [o, source] of runs) {
      const topic = p.runtime.topics.raw(source as 'camera');
      const bus = p.runtime.bus as MemoryBus;
      const before = bus.endOffsets(topic);
      const first = await backfill(sink, o);
      expect(first.accepted, o.mapper).toBeGreaterThan(1000);
      expect(first.accepted, o.mapper).toBeGreaterThan(first.rejected * 20);
      const second = await backfill(sink, { ...o, restart: true });
      expect(second.accepted).toBe(first.accepted);
      const messages = bus.allMessages().filter((m) => m.topic === topic && m.offset >= before[m.partition]!);
      expect(messages).toHaveLength(2 * first.accepted);
      const ids = await Promise.all(messages.map(async (m) => String((await p.runtime.codec.decode(m.value!)).value.recordId)));
      // The second run produced exactly the ids of the first (each id as often): processors drop them.
      const times = new Map<string, number>();
      for (const id of ids) times.set(id, (times.get(id) ?? 0) + 1);
      expect([...times.values()].filter((n) => n % 2 !== 0)).toEqual([]);
    }
  }, 180_000);
});
