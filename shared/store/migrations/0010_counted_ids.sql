-- The record ids a processor partition counted, by the hour of the record's event time: a
-- duplicate (a vendor's retry, a backfill re-run) is the same record, so it has the same id and the
-- same hour, on the same partition (records are keyed by sensor). A partition reads the ids of an
-- hour once, when its first record of that hour arrives, and keeps them in memory while that hour is
-- recent (processors/core/counted.ts): one range read per partition and hour instead of one lookup
-- per batch in an ever-growing table (seen_records, which no processor writes any more; its rows are
-- still consulted until its 90-day TTL empties it). Written after the aggregates with the same
-- deduplication token; kept 90 days after insertion.
CREATE TABLE IF NOT EXISTS {db:Identifier}.counted_ids
(
    source      LowCardinality(String),
    topic       LowCardinality(String),
    partition   UInt32,
    hour        DateTime('UTC'),
    record_id   String,
    offset      UInt64,
    inserted_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree
ORDER BY (source, topic, partition, hour, record_id)
TTL inserted_at + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 10000;

-- seen_ids (migration 0006, 128-bit hashes of seen_records) was never read by a processor.
DROP VIEW IF EXISTS {db:Identifier}.seen_records_ids_mv;
DROP VIEW IF EXISTS {db:Identifier}.seen_ids_mv;
DROP TABLE IF EXISTS {db:Identifier}.seen_ids_in;
DROP TABLE IF EXISTS {db:Identifier}.seen_ids;
