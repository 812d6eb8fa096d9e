-- Hourly rollup of counts_5m (README, Design notes, "Rollups": chosen by measurement with
-- `npm run bench:rollups`, which found no such gain for devices_5m or flows_5m). The same columns and
-- key as counts_5m, window_start being the UTC hour; fed by a materialized view on every insert into
-- counts_5m, so an insert's deduplication token reaches it too. query-api/rollup.ts reads it for
-- 1h/1d/1w buckets in a time zone whose offsets are whole hours, for the hours it holds completely
-- (rollup_coverage); 5m/15m buckets always come from counts_5m.
CREATE TABLE IF NOT EXISTS {db:Identifier}.counts_1h
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

CREATE MATERIALIZED VIEW IF NOT EXISTS {db:Identifier}.counts_1h_mv TO {db:Identifier}.counts_1h AS
SELECT source, cell, toStartOfHour(window_start) AS window_start, breakdown, sum(entries) AS entries, sum(exits) AS exits
FROM {db:Identifier}.counts_5m
GROUP BY source, cell, window_start, breakdown;

-- From which hour on each hourly table holds every row of its 5-minute table. A view sees only the
-- inserts after its creation, and copying the older rows here could count them twice (two services
-- migrating at once, or a retry after a failed copy), so the older hours are read from the 5-minute
-- table instead. A table that was empty when its view appeared is complete from the start; otherwise
-- from a day after (a record may lie up to PASSAGE_MAX_FUTURE_MS, default 15 minutes, ahead of the
-- clock, so a write made before the view can hold later windows; a day covers any sensible setting).
-- Rows only ever get added (by a concurrent or retried migration, each computed after its view
-- existed): readers take the latest `complete_from`.
CREATE TABLE IF NOT EXISTS {db:Identifier}.rollup_coverage
(
    rollup_table  LowCardinality(String),
    complete_from DateTime('UTC'),
    recorded_at   DateTime('UTC') DEFAULT now()
)
ENGINE = MergeTree
ORDER BY rollup_table;

INSERT INTO {db:Identifier}.rollup_coverage (rollup_table, complete_from)
SELECT 'counts_1h', if(count() = 0, toDateTime(0, 'UTC'), toStartOfHour(now('UTC')) + INTERVAL 1 DAY) FROM {db:Identifier}.counts_5m;

