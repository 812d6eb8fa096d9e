-- Context documents from the compacted pm.ctx.<kind>.v1 topics, written by the context sink
-- (processors/context/sink.ts) and joined to aggregates at query time (query-api/enrich.ts). Each
-- document is one row per key; the row with the highest `version` (the document's receivedAt, or a
-- tombstone's Kafka timestamp) wins, so a re-sent or corrected document replaces the old one and
-- a redelivered one changes nothing. Readers use FINAL and skip `deleted = 1` rows: a tombstone
-- (null value) on the compacted topic deletes its key.

-- Hourly weather per station. Keyed by (hour start, station): the station-hour is what the id
-- `${stationId}:${hourStartMs}` names, and queries select by hour.
CREATE TABLE IF NOT EXISTS {db:Identifier}.context_weather
(
    observed_at      DateTime('UTC'),
    station_id       String,
    id               String,
    lat              Float64,
    lng              Float64,
    temperature_c    Nullable(Float64),
    precipitation_mm Nullable(Float64),
    wind_speed_ms    Nullable(Float64),
    cloud_cover_pct  Nullable(Float64),
    condition        LowCardinality(Nullable(String)),
    provider         LowCardinality(String),
    received_at      DateTime64(3, 'UTC'),
    version          UInt64,
    deleted          UInt8
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (observed_at, station_id);

-- City events. Spatial coverage as H3 cells (UInt64): `cover` holds the cells of the area at their
-- own resolution (explicit cells as sent; a circle lat/lng + radiusM as the cells whose centre lies
-- within it, at the finest resolution ≤ 10 that keeps their number bounded; a point without radius
-- as its resolution-10 cell); `cover_up` holds every resolution 7–10 cell that contains or equals a
-- cell of `cover`. A query cell q intersects the area iff has(cover_up, q) (a covering cell lies
-- inside q) or cover holds q or one of its ancestors (q lies inside a covering cell).
CREATE TABLE IF NOT EXISTS {db:Identifier}.context_events
(
    id                  String,
    title               String,
    category            Nullable(String),
    start_at            DateTime64(3, 'UTC'),
    end_at              DateTime64(3, 'UTC'),
    lat                 Nullable(Float64),
    lng                 Nullable(Float64),
    radius_m            Nullable(Float64),
    cells               Array(String),
    expected_attendance Nullable(UInt32),
    url                 Nullable(String),
    cover               Array(UInt64),
    cover_up            Array(UInt64),
    received_at         DateTime64(3, 'UTC'),
    version             UInt64,
    deleted             UInt8,
    INDEX start_idx start_at TYPE minmax GRANULARITY 1,
    INDEX end_idx end_at TYPE minmax GRANULARITY 1
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id;

-- Incidents (train delays, accidents, closures); end_at NULL while ongoing. Coverage as for events.
CREATE TABLE IF NOT EXISTS {db:Identifier}.context_incidents
(
    id          String,
    kind        LowCardinality(String),
    start_at    DateTime64(3, 'UTC'),
    end_at      Nullable(DateTime64(3, 'UTC')),
    lat         Nullable(Float64),
    lng         Nullable(Float64),
    radius_m    Nullable(Float64),
    severity    LowCardinality(Nullable(String)),
    line        Nullable(String),
    delay_min   Nullable(UInt32),
    description Nullable(String),
    cover       Array(UInt64),
    cover_up    Array(UInt64),
    received_at DateTime64(3, 'UTC'),
    version     UInt64,
    deleted     UInt8,
    INDEX start_idx start_at TYPE minmax GRANULARITY 1
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id;
