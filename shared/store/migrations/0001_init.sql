-- Sensor registry: the latest version of each sensor wins (ReplacingMergeTree on updated_at).
CREATE TABLE IF NOT EXISTS {db:Identifier}.sensors
(
    sensor_id  String,
    source     LowCardinality(String),
    lat        Float64,
    lng        Float64,
    cell       UInt64,
    site       String,
    owner      String,
    metadata   String,
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY sensor_id;

-- Exact counts per base cell (H3 res 10), 5-minute event-time window, source and breakdown
-- (camera class, ticketing mode, …; '' for none). Rows are partial sums that merges collapse;
-- queries always sum(). Inserts carry deduplication tokens (processors/footfall), so the table keeps
-- the hashes of its recent inserts.
CREATE TABLE IF NOT EXISTS {db:Identifier}.counts_5m
(
    source       LowCardinality(String),
    cell         UInt64,
    window_start DateTime('UTC'),
    breakdown    LowCardinality(String),
    entries      SimpleAggregateFunction(sum, UInt64),
    exits        SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(window_start)
ORDER BY (source, cell, window_start, breakdown)
SETTINGS non_replicated_deduplication_window = 10000;
