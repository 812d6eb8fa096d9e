-- Device-based metric families (Wi-Fi, telco): unique devices as mergeable uniqCombined64 states
-- (HyperLogLog with an exact mode for small sets; merged across windows, cells and breakdowns by
-- uniqCombined64Merge) and Wi-Fi dwell (sessions and their summed dwell, attributed to the window
-- and cell of a session's first sighting). Processors insert one row per (cell, window, breakdown,
-- device) into the Null-engine `devices_in`; the materialized view turns them into states, so a
-- pseudonymous device hash is never stored, only inside a sketch. The insert's deduplication token
-- reaches the view's target (deduplicate_blocks_in_dependent_materialized_views), so a repeated
-- write is dropped there as in counts_5m.
CREATE TABLE IF NOT EXISTS {db:Identifier}.devices_5m
(
    source       LowCardinality(String),
    cell         UInt64,
    window_start DateTime('UTC'),
    breakdown    LowCardinality(String),
    devices      AggregateFunction(uniqCombined64, String),
    sessions     SimpleAggregateFunction(sum, UInt64),
    dwell_ms     SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(window_start)
ORDER BY (source, cell, window_start, breakdown)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS {db:Identifier}.devices_in
(
    source       LowCardinality(String),
    cell         UInt64,
    window_start DateTime('UTC'),
    breakdown    LowCardinality(String),
    device       String,
    sessions     UInt64,
    dwell_ms     UInt64
)
ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db:Identifier}.devices_mv TO {db:Identifier}.devices_5m AS
SELECT
    source,
    cell,
    window_start,
    breakdown,
    uniqCombined64StateIf(device, device != '') AS devices,
    sum(sessions) AS sessions,
    sum(dwell_ms) AS dwell_ms
FROM {db:Identifier}.devices_in
GROUP BY source, cell, window_start, breakdown;

-- Origin→destination trips per (origin cell, destination cell, 5-minute window of the trip's start,
-- breakdown: ticketing mode or telco segment). Telco: successive cells of one device within the trip
-- gap; ticketing: a tap-in paired with the same card's tap-out within the maximum journey time.
CREATE TABLE IF NOT EXISTS {db:Identifier}.flows_5m
(
    source           LowCardinality(String),
    origin_cell      UInt64,
    destination_cell UInt64,
    window_start     DateTime('UTC'),
    breakdown        LowCardinality(String),
    trips            SimpleAggregateFunction(sum, UInt64),
    duration_ms      SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(window_start)
ORDER BY (source, origin_cell, destination_cell, window_start, breakdown)
SETTINGS non_replicated_deduplication_window = 10000;
