-- What the releaser (processors/release) last published for each release unit on the live topics
-- (pm.agg.presence.v1, pm.agg.flows.v1): its revision and released value(s) as canonical JSON
-- (never an exact value), so a unit is published again — as a correction, revision + 1 — only when
-- what it releases changed.
-- One row per published revision; the newest revision of a unit wins. Rows of buckets older than a
-- year and a month are dropped: a correction that late is published as a first release again.
CREATE TABLE IF NOT EXISTS {db:Identifier}.releases
(
    dataset      LowCardinality(String),
    source       LowCardinality(String),
    bucket       LowCardinality(String),
    bucket_start DateTime('UTC'),
    unit_key     String,
    revision     UInt32,
    suppressed   Bool,
    released     String,
    released_at  DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(revision)
PARTITION BY toYYYYMM(bucket_start)
ORDER BY (dataset, source, bucket, bucket_start, unit_key)
TTL bucket_start + INTERVAL 400 DAY;
