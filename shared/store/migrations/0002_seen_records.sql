-- Record ids a processor has counted, so a duplicate (a vendor's retry, a backfill re-run) is
-- dropped instead of counted twice. Written after the aggregates, with the same deduplication
-- token; kept 90 days after insertion (a duplicate arriving later than that counts again).
CREATE TABLE IF NOT EXISTS {db:Identifier}.seen_records
(
    source      LowCardinality(String),
    record_id   String,
    topic       String,
    partition   UInt32,
    offset      UInt64,
    inserted_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree
ORDER BY (source, record_id)
TTL inserted_at + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 10000;
