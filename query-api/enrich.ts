// Query-time enrichment: the weather, events and incidents of each aggregate row (a cell of
// resolution 7–10 and a bucket [start, end)), read from the context tables the context sink fills
// (processors/context/sink.ts, migration 0005).
//
// Decision: enrichment is applied when a query is answered, not when aggregates are processed.
// Context arrives late (the weather archive lags by days, events are announced, moved and
// cancelled, incidents get their end afterwards) and is corrected on its compacted topics; joined
// at query time, every such change applies at once to all history without reprocessing or
// rewriting aggregates, and the aggregate tables stay free of context columns. The cost is a few
// extra queries per answer over tables that stay small (one row per station-hour, event and
// incident), against the size of the aggregates.
//
// Each kind is one ClickHouse query for all rows (per chunk of CHUNK distinct (cell, bucket)
// pairs, so that the bound parameters stay well within an HTTP URL); every value is a bound
// parameter.

import { cellToLatLng } from 'h3-js';
import { badRequest } from '../shared/errors.js';
import { cellResolution, cellToUInt64, MIN_RESOLUTION, BASE_RESOLUTION } from '../shared/h3.js';
import type { Params, Store } from '../shared/store/types.js';
import { formatInstant, HOUR_MS } from '../shared/time.js';

export interface EnrichInput {
  /** H3 cell (hex string) of resolution 7–10. */
  cell: string;
  bucketStartMs: number;
  /** Exclusive. */
  bucketEndMs: number;
}

/**
 * The weather of a bucket at the station nearest to the cell's centre among those with at least one
 * hourly observation in an hour overlapping the bucket (a 5-minute bucket gets the one hour it lies
 * in; a day 24 hours — 23 or 25 on DST days). Over several hours: temperature, wind speed and cloud
 * cover are the means of the hours that report them, precipitation is the sum of the hours that
 * report it (hours without a value are not filled in), and the condition is the most frequent
 * reported one (a tie goes to the one reported last). A value no hour reports is null. Values are
 * rounded to 0.01, the distance to 1 m.
 */
export interface WeatherEnrichment {
  stationId: string;
  provider: string;
  distanceKm: number;
  temperatureC: number | null;
  precipitationMm: number | null;
  windSpeedMs: number | null;
  cloudCoverPct: number | null;
  condition: string | null;
  /** Hourly observations of that station the values summarise. */
  hours: number;
}

export interface EventEnrichment {
  id: string;
  title: string;
  category: string | null;
  /** ISO-8601 in the time zone asked for. */
  start: string;
  end: string;
  lat: number | null;
  lng: number | null;
  radiusM: number | null;
  expectedAttendance: number | null;
  url: string | null;
}

export interface IncidentEnrichment {
  id: string;
  kind: string;
  severity: string | null;
  start: string;
  /** Null while ongoing. */
  end: string | null;
  line: string | null;
  delayMin: number | null;
  description: string | null;
  lat: number | null;
  lng: number | null;
  radiusM: number | null;
}

/**
 * Events and incidents are those whose [start, end) overlaps the bucket (an ongoing incident has
 * no end) and whose area intersects the cell: for a resolution-10 cell, the area covers it; for a
 * coarser cell, the area covers some part of it (processors/context/cover.ts). An event or incident
 * without a place (no cells, no lat/lng) is attached to no cell. Both lists are ordered by start,
 * then id.
 */
export interface Enrichment {
  weather: WeatherEnrichment | null;
  events: EventEnrichment[];
  incidents: IncidentEnrichment[];
}

export interface EnrichOptions {
  /** Zone of the event and incident times in the answer. */
  timeZone: string;
  /** A station further than this from the cell's centre is not the cell's weather (default 100 km). */
  maxStationDistanceKm?: number;
  timeoutMs?: number;
}

/** Distinct (cell, bucket) pairs per query. */
export const CHUNK = 5000;
export const DEFAULT_MAX_STATION_DISTANCE_KM = 100;

interface Item {
  cell: bigint;
  lat: number;
  lng: number;
  startMs: number;
  endMs: number;
}

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;
const numOrNull = (v: unknown, digits?: number): number | null =>
  v === null || v === undefined ? null : digits === undefined ? Number(v) : round(Number(v), digits);

/** Enriches `rows` (same order out as in). Identical (cell, bucket) pairs are looked up once. */
export async function enrichRows(store: Store, rows: readonly EnrichInput[], opts: EnrichOptions): Promise<Enrichment[]> {
  const index = new Map<string, number>();
  const items: Item[] = [];
  const itemOf: number[] = [];
  for (const r of rows) {
    const cell = r.cell.toLowerCase();
    const res = cellResolution(cell);
    if (res === null || res < MIN_RESOLUTION || res > BASE_RESOLUTION)
      throw badRequest('invalid_cells', `${r.cell} is not an H3 cell of resolution 7 to 10`, [
        { field: 'cell', reason: 'must be an H3 cell of resolution 7 to 10' },
      ]);
    if (!(Number.isSafeInteger(r.bucketStartMs) && Number.isSafeInteger(r.bucketEndMs) && r.bucketEndMs > r.bucketStartMs))
      throw badRequest('invalid_request', 'a bucket must end after it starts', [
        { field: 'bucketEndMs', reason: 'must be after bucketStartMs' },
      ]);
    const key = `${cell}/${r.bucketStartMs}/${r.bucketEndMs}`;
    let i = index.get(key);
    if (i === undefined) {
      i = items.length;
      index.set(key, i);
      const [lat, lng] = cellToLatLng(cell);
      items.push({ cell: cellToUInt64(cell), lat, lng, startMs: r.bucketStartMs, endMs: r.bucketEndMs });
    }
    itemOf.push(i);
  }
  const out: Enrichment[] = items.map(() => ({ weather: null, events: [], incidents: [] }));
  for (let from = 0; from < items.length; from += CHUNK) {
    const chunk = items.slice(from, from + CHUNK);
    const [weather, events, incidents] = await Promise.all([
      queryWeather(store, chunk, opts),
      queryEvents(store, chunk, opts),
      queryIncidents(store, chunk, opts),
    ]);
    for (const [i, w] of weather) out[from + i]!.weather = w;
    for (const [i, e] of events) out[from + i]!.events.push(e);
    for (const [i, e] of incidents) out[from + i]!.incidents.push(e);
  }
  return itemOf.map((i) => out[i]!);
}

function span(items: readonly Item[]): { scanFrom: number; scanTo: number } {
  return { scanFrom: Math.min(...items.map((i) => i.startMs)), scanTo: Math.max(...items.map((i) => i.endMs)) };
}

/** Most frequent condition of `hourly` ([hour, condition] pairs); a tie goes to the one reported last. */
export function modeCondition(hourly: readonly [number, string | null][]): string | null {
  const stats = new Map<string, { n: number; last: number }>();
  for (const [hour, c] of hourly) {
    if (c === null) continue;
    const s = stats.get(c) ?? { n: 0, last: -Infinity };
    stats.set(c, { n: s.n + 1, last: Math.max(s.last, hour) });
  }
  let best: [string, { n: number; last: number }] | null = null;
  for (const e of stats) if (best === null || e[1].n > best[1].n || (e[1].n === best[1].n && e[1].last > best[1].last)) best = e;
  return best?.[0] ?? null;
}

async function queryWeather(store: Store, items: readonly Item[], opts: EnrichOptions): Promise<Map<number, WeatherEnrichment>> {
  // Buckets are shared by many cells: their hours are joined to the observations once per bucket.
  const bucketIndex = new Map<string, number>();
  const bFrom: number[] = [];
  const bTo: number[] = [];
  const rowBucket = items.map((it) => {
    const key = `${it.startMs}/${it.endMs}`;
    let b = bucketIndex.get(key);
    if (b === undefined) {
      b = bFrom.length;
      bucketIndex.set(key, b);
      bFrom.push(it.startMs);
      bTo.push(it.endMs);
    }
    return b;
  });
  const { scanFrom, scanTo } = span(items);
  const params: Params = {
    idx: items.map((_, i) => i),
    rowBucket,
    lat: items.map((i) => i.lat),
    lng: items.map((i) => i.lng),
    bucket: bFrom.map((_, i) => i),
    bFrom,
    bTo,
    scanFromS: Math.floor(scanFrom / HOUR_MS) * (HOUR_MS / 1000),
    scanToS: Math.ceil(scanTo / 1000),
    maxDistM: (opts.maxStationDistanceKm ?? DEFAULT_MAX_STATION_DISTANCE_KM) * 1000,
  };
  // Per bucket, its hours — every hour start h with h < to and h + 1 h > from — are joined to the
  // observations and summarised per station; per row, the nearest of those stations is kept.
  // NOTE: one argMin over a tuple: argMin of a Nullable value alone skips NULLs, and would take a
  // farther station's value where the nearest one reports none.
  const sql = `
    SELECT idx, best.1 AS o_station_id, best.2 AS o_provider, o_dist_m, best.3 AS o_temperature_c, best.4 AS o_precipitation_mm,
           best.5 AS o_wind_speed_ms, best.6 AS o_cloud_cover_pct, best.7 AS o_conditions, best.8 AS o_hours
    FROM (
      SELECT idx,
             argMin((station_id, provider, temperature_c, precipitation_mm, wind_speed_ms, cloud_cover_pct, conditions, hours),
                    (dist_m, station_id)) AS best,
             min(dist_m) AS o_dist_m
      FROM (
        SELECT r.idx AS idx, s.station_id AS station_id, s.provider AS provider,
               greatCircleDistance(r.lng, r.lat, s.lng, s.lat) AS dist_m,
               s.temperature_c AS temperature_c, s.precipitation_mm AS precipitation_mm,
               s.wind_speed_ms AS wind_speed_ms, s.cloud_cover_pct AS cloud_cover_pct,
               s.conditions AS conditions, s.hours AS hours
        FROM (
          SELECT t.1 AS idx, t.2 AS bucket, t.3 AS lat, t.4 AS lng
          FROM (SELECT arrayJoin(arrayZip({idx:Array(UInt32)}, {rowBucket:Array(UInt32)}, {lat:Array(Float64)}, {lng:Array(Float64)})) AS t)
        ) AS r
        INNER JOIN (
          SELECT b.bucket AS bucket, w.station_id AS station_id, any(w.provider) AS provider,
                 avg(w.lat) AS lat, avg(w.lng) AS lng,
                 avg(w.temperature_c) AS temperature_c, sum(w.precipitation_mm) AS precipitation_mm,
                 avg(w.wind_speed_ms) AS wind_speed_ms, avg(w.cloud_cover_pct) AS cloud_cover_pct,
                 groupArray((toUnixTimestamp(w.observed_at), w.condition)) AS conditions, count() AS hours
          FROM (
            SELECT t.1 AS bucket,
                   toDateTime(arrayJoin(range(intDiv(t.2, 3600000) * 3600, intDiv(t.3 - 1, 3600000) * 3600 + 1, 3600)), 'UTC') AS hour
            FROM (SELECT arrayJoin(arrayZip({bucket:Array(UInt32)}, {bFrom:Array(Int64)}, {bTo:Array(Int64)})) AS t)
          ) AS b
          INNER JOIN (
            SELECT observed_at, station_id, provider, lat, lng, temperature_c, precipitation_mm, wind_speed_ms, cloud_cover_pct, condition
            FROM {db:Identifier}.context_weather FINAL
            WHERE deleted = 0
              AND observed_at >= toDateTime({scanFromS:Int64}, 'UTC') AND observed_at < toDateTime({scanToS:Int64}, 'UTC')
          ) AS w ON w.observed_at = b.hour
          GROUP BY bucket, station_id
        ) AS s ON r.bucket = s.bucket
        WHERE dist_m <= {maxDistM:Float64}
      )
      GROUP BY idx
    )`;
  const rows = await store.query<{
    idx: number | string;
    o_station_id: string;
    o_provider: string;
    o_dist_m: number;
    o_temperature_c: number | null;
    o_precipitation_mm: number | null;
    o_wind_speed_ms: number | null;
    o_cloud_cover_pct: number | null;
    o_conditions: [number | string, string | null][];
    o_hours: number | string;
  }>(sql, params, { ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }) });
  return new Map(
    rows.map((r) => [
      Number(r.idx),
      {
        stationId: r.o_station_id,
        provider: r.o_provider,
        distanceKm: round(Number(r.o_dist_m) / 1000, 3),
        temperatureC: numOrNull(r.o_temperature_c, 2),
        precipitationMm: numOrNull(r.o_precipitation_mm, 2),
        windSpeedMs: numOrNull(r.o_wind_speed_ms, 2),
        cloudCoverPct: numOrNull(r.o_cloud_cover_pct, 2),
        condition: modeCondition(r.o_conditions.map(([h, c]) => [Number(h), c])),
        hours: Number(r.o_hours),
      },
    ]),
  );
}

/**
 * The rows side of the spatial join: each (cell q, bucket) as (tag 0, q) — matched against
 * `cover_up`, the resolution 7–10 cells containing a covering cell — and (tag 1, a) for q and each
 * of its ancestors a — matched against `cover`, the covering cells themselves.
 */
const ROW_KEYS = `
  SELECT t.1 AS idx, t.2 AS from_ms, t.3 AS to_ms, k.1 AS tag, k.2 AS key
  FROM (SELECT arrayJoin(arrayZip({idx:Array(UInt32)}, {from:Array(Int64)}, {to:Array(Int64)}, {cells:Array(UInt64)})) AS t)
  ARRAY JOIN arrayPushFront(arrayMap(res -> (1, h3ToParent(t.4, res)), range(toUInt8(h3GetResolution(t.4) + 1))), (0, t.4)) AS k`;

const COVER_KEYS = `ARRAY JOIN arrayConcat(arrayMap(c -> (0, c), cover_up), arrayMap(c -> (1, c), cover)) AS k`;

function rowParams(items: readonly Item[]): Params {
  const { scanFrom, scanTo } = span(items);
  return {
    idx: items.map((_, i) => i),
    from: items.map((i) => i.startMs),
    to: items.map((i) => i.endMs),
    cells: items.map((i) => i.cell),
    scanFrom,
    scanTo,
  };
}

async function queryEvents(store: Store, items: readonly Item[], opts: EnrichOptions): Promise<[number, EventEnrichment][]> {
  const sql = `
    SELECT DISTINCT r.idx AS idx, e.id AS id, e.title AS title, e.category AS category, e.start_ms AS start_ms, e.end_ms AS end_ms,
           e.lat AS lat, e.lng AS lng, e.radius_m AS radius_m, e.expected_attendance AS expected_attendance, e.url AS url
    FROM (${ROW_KEYS}) AS r
    INNER JOIN (
      SELECT id, title, category, toUnixTimestamp64Milli(start_at) AS start_ms, toUnixTimestamp64Milli(end_at) AS end_ms,
             lat, lng, radius_m, expected_attendance, url, k.1 AS tag, k.2 AS key
      FROM {db:Identifier}.context_events FINAL
      ${COVER_KEYS}
      WHERE deleted = 0
        AND start_at < fromUnixTimestamp64Milli({scanTo:Int64}, 'UTC') AND end_at > fromUnixTimestamp64Milli({scanFrom:Int64}, 'UTC')
    ) AS e ON r.tag = e.tag AND r.key = e.key
    WHERE e.start_ms < r.to_ms AND e.end_ms > r.from_ms
    ORDER BY idx, start_ms, id`;
  const rows = await store.query<{
    idx: number | string;
    id: string;
    title: string;
    category: string | null;
    start_ms: string | number;
    end_ms: string | number;
    lat: number | null;
    lng: number | null;
    radius_m: number | null;
    expected_attendance: number | string | null;
    url: string | null;
  }>(sql, rowParams(items), { ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }) });
  return rows.map((r) => [
    Number(r.idx),
    {
      id: r.id,
      title: r.title,
      category: r.category,
      start: formatInstant(Number(r.start_ms), opts.timeZone),
      end: formatInstant(Number(r.end_ms), opts.timeZone),
      lat: numOrNull(r.lat),
      lng: numOrNull(r.lng),
      radiusM: numOrNull(r.radius_m),
      expectedAttendance: numOrNull(r.expected_attendance),
      url: r.url,
    },
  ]);
}

async function queryIncidents(store: Store, items: readonly Item[], opts: EnrichOptions): Promise<[number, IncidentEnrichment][]> {
  const sql = `
    SELECT DISTINCT r.idx AS idx, e.id AS id, e.kind AS kind, e.severity AS severity, e.start_ms AS start_ms, e.end_ms AS end_ms,
           e.line AS line, e.delay_min AS delay_min, e.description AS description,
           e.lat AS lat, e.lng AS lng, e.radius_m AS radius_m
    FROM (${ROW_KEYS}) AS r
    INNER JOIN (
      SELECT id, kind, severity, toUnixTimestamp64Milli(start_at) AS start_ms, toUnixTimestamp64Milli(end_at) AS end_ms,
             line, delay_min, description, lat, lng, radius_m, k.1 AS tag, k.2 AS key
      FROM {db:Identifier}.context_incidents FINAL
      ${COVER_KEYS}
      WHERE deleted = 0
        AND start_at < fromUnixTimestamp64Milli({scanTo:Int64}, 'UTC')
        AND (end_at IS NULL OR end_at > fromUnixTimestamp64Milli({scanFrom:Int64}, 'UTC'))
    ) AS e ON r.tag = e.tag AND r.key = e.key
    WHERE e.start_ms < r.to_ms AND (e.end_ms IS NULL OR e.end_ms > r.from_ms)
    ORDER BY idx, start_ms, id`;
  const rows = await store.query<{
    idx: number | string;
    id: string;
    kind: string;
    severity: string | null;
    start_ms: string | number;
    end_ms: string | number | null;
    line: string | null;
    delay_min: number | string | null;
    description: string | null;
    lat: number | null;
    lng: number | null;
    radius_m: number | null;
  }>(sql, rowParams(items), { ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }) });
  return rows.map((r) => [
    Number(r.idx),
    {
      id: r.id,
      kind: r.kind,
      severity: r.severity,
      start: formatInstant(Number(r.start_ms), opts.timeZone),
      end: r.end_ms === null ? null : formatInstant(Number(r.end_ms), opts.timeZone),
      line: r.line,
      delayMin: numOrNull(r.delay_min),
      description: r.description,
      lat: numOrNull(r.lat),
      lng: numOrNull(r.lng),
      radiusM: numOrNull(r.radius_m),
    },
  ]);
}
