// (c) The same events stored the ClickHouse-native way in the benchmark's chDB (own database): raw rows in a
// MergeTree plus a materialized view summing per (geoToH3 res 10, 5-minute bucket, class); times the inserts and
// measures bytes on disk. Also Passage's own storage for runs without Kafka (the exact aggregate into counts_5m).

import { performance } from 'node:perf_hooks';
import { cellOf, cellToUInt64 } from '../../shared/h3.js';
import type { Config } from '../../shared/config.js';
import type { Store } from '../../shared/store/types.js';
import { migrate } from '../../shared/store/migrate.js';
import { clickhouseTime } from '../../shared/time.js';
import type { CameraCount } from '../../schemas/records.js';
import { CountAggregate } from '../footfall/aggregate.js';
import { tableStats, type TableStats } from './storage.js';
import { COUNTED_IDS_TABLE, hourOf } from '../core/counted.js';

export interface NativeResult {
  events: number;
  /** Building row objects, serialising them (JSONEachRow) and inserting, raw table + view. */
  seconds: number;
  eventsPerSec: number;
  /** Of `seconds`, inside store.insert (JSON serialisation and chDB, view included). */
  insertSeconds: number;
  batchSize: number;
  /** How this ClickHouse takes geoToH3's coordinates (checked against h3-js on a sensor). */
  geoToH3: string;
  storage: TableStats[];
  bytesOnDisk: number;
  check: { rows: number; entries: number; exits: number; ok: boolean };
}

/** geoToH3's argument order changed across ClickHouse versions (setting geotoh3_argument_order); find this one's. */
async function geoToH3Expression(store: Store, lat: number, lng: number): Promise<string> {
  const want = cellToUInt64(cellOf(lat, lng)).toString();
  const [r] = await store.query<{ a: string; b: string }>(
    'SELECT toString(geoToH3({lat:Float64}, {lng:Float64}, 10)) AS a, toString(geoToH3({lng:Float64}, {lat:Float64}, 10)) AS b',
    { lat, lng },
  );
  if (r?.a === want) return 'geoToH3(lat, lng, 10)';
  if (r?.b === want) return 'geoToH3(lng, lat, 10)';
  throw new Error(`geoToH3 agrees with h3-js in neither argument order (h3-js ${want}, got ${r?.a} / ${r?.b})`);
}

export async function measureNative(opts: {
  store: Store;
  records: CameraCount[];
  batchSize: number;
  progress: (stage: string, done: number, total: number) => void;
}): Promise<NativeResult> {
  const { store, records, batchSize } = opts;
  await store.command('CREATE DATABASE IF NOT EXISTS {db:Identifier}');
  await store.command(
    `CREATE TABLE {db:Identifier}.camera_raw
     (
         record_id   String,
         sensor_id   LowCardinality(String),
         ts          DateTime64(3, 'UTC'),
         ts_end      DateTime64(3, 'UTC'),
         \`in\`        UInt32,
         \`out\`       UInt32,
         line        Nullable(String),
         class       LowCardinality(Nullable(String)),
         lat         Float64,
         lng         Float64,
         received_at DateTime64(3, 'UTC')
     )
     ENGINE = MergeTree
     PARTITION BY toYYYYMM(ts)
     ORDER BY (sensor_id, ts)`,
  );
  await store.command(
    `CREATE TABLE {db:Identifier}.counts_native
     (
         cell         UInt64,
         window_start DateTime('UTC'),
         breakdown    LowCardinality(String),
         entries      UInt64,
         exits        UInt64
     )
     ENGINE = SummingMergeTree
     PARTITION BY toYYYYMM(window_start)
     ORDER BY (cell, window_start, breakdown)`,
  );
  const first = records[0]!;
  const h3 = await geoToH3Expression(store, first.lat!, first.lng!);
  // `h3` is one of two fixed expressions; the database is an Identifier parameter, substituted before the view is stored.
  await store.command(
    `CREATE MATERIALIZED VIEW {db:Identifier}.counts_native_mv TO {db:Identifier}.counts_native AS
     SELECT ${h3} AS cell, toDateTime(toStartOfFiveMinutes(ts)) AS window_start, ifNull(class, '') AS breakdown,
            sum(\`in\`) AS entries, sum(\`out\`) AS exits
     FROM {db:Identifier}.camera_raw
     GROUP BY cell, window_start, breakdown`,
  );

  let insertSeconds = 0;
  const t0 = performance.now();
  for (let i = 0; i < records.length; i += batchSize) {
    const rows = records.slice(i, i + batchSize).map((r) => ({
      record_id: r.recordId,
      sensor_id: r.sensorId,
      ts: clickhouseTime(r.start),
      ts_end: clickhouseTime(r.end),
      in: r.in,
      out: r.out,
      line: r.line,
      class: r.class,
      lat: r.lat,
      lng: r.lng,
      received_at: clickhouseTime(r.receivedAt),
    }));
    const i0 = performance.now();
    await store.insert('camera_raw', rows);
    insertSeconds += (performance.now() - i0) / 1000;
    opts.progress('native insert', Math.min(records.length, i + batchSize), records.length);
  }
  const seconds = (performance.now() - t0) / 1000;

  const storage = await tableStats(store, ['camera_raw', 'counts_native']);
  const [sums] = await store.query<{ rows: string; entries: string; exits: string }>(
    'SELECT count() AS rows, sum(entries) AS entries, sum(exits) AS exits FROM {db:Identifier}.counts_native FINAL',
  );
  let entries = 0;
  let exits = 0;
  for (const r of records) {
    entries += r.in;
    exits += r.out;
  }
  const check = { rows: Number(sums?.rows ?? 0), entries: Number(sums?.entries ?? 0), exits: Number(sums?.exits ?? 0), ok: false };
  check.ok = check.entries === entries && check.exits === exits;
  return {
    events: records.length,
    seconds,
    eventsPerSec: records.length / seconds,
    insertSeconds,
    batchSize,
    geoToH3: h3,
    storage,
    bytesOnDisk: storage.reduce((a, s) => a + s.bytesOnDisk, 0),
    check,
  };
}

/**
 * Passage's storage without a Kafka run: counts_5m holds one row per (cell, window, class) after
 * OPTIMIZE … FINAL however it was written, so the whole aggregate is written at once. counted_ids
 * gets one row per record, as the processor writes them (partitions assigned round-robin here).
 */
export async function passageStorageOffline(opts: {
  store: Store;
  records: CameraCount[];
  cells: Map<string, bigint>;
  processing: Config['processing'];
  partitions: number;
}): Promise<TableStats[]> {
  const { store, records } = opts;
  await migrate(store);
  const agg = new CountAggregate(opts.processing.windowMs);
  for (const r of records) agg.add(r, opts.cells.get(r.sensorId)!);
  const rows = [...agg.values()].map((r) => ({
    source: 'camera',
    cell: r.cell,
    window_start: r.windowStart / 1000,
    breakdown: r.breakdown,
    entries: r.entries,
    exits: r.exits,
  }));
  for (let i = 0; i < rows.length; i += 100_000) await store.insert('counts_5m', rows.slice(i, i + 100_000));
  for (let i = 0; i < records.length; i += 100_000) {
    await store.insert(
      COUNTED_IDS_TABLE,
      records.slice(i, i + 100_000).map((r, j) => ({
        source: 'camera',
        topic: 'pm.raw.camera.v1',
        partition: (i + j) % opts.partitions,
        hour: hourOf(r.start) / 1000,
        record_id: r.recordId,
        offset: Math.floor((i + j) / opts.partitions),
      })),
    );
  }
  return tableStats(store, ['counts_5m', COUNTED_IDS_TABLE]);
}
