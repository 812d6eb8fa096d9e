-- Counted record ids in a compact form for duplicate dropping: a 128-bit hash of the id
-- (sipHash128 as UInt128: 16 bytes instead of a 32-character string, sorted and compared as an
-- integer) with the offset that counted it. Processors insert the same rows as into seen_records,
-- {source, record_id, topic, partition, offset}, into the Null-engine `seen_ids_in`; the view keeps
-- only the hash, and the insert's deduplication token reaches `seen_ids` as in devices_5m. Two ids
-- hashing alike would drop the later one as a duplicate: about 10^-15 for 10^12 ids.
-- A smaller index granularity keeps a lookup of a batch's ids to about (ids × 1,024) rows read
-- however large the table grows (8,192 rows per mark read a whole 1M-row table for one batch).
CREATE TABLE IF NOT EXISTS {db:Identifier}.seen_ids
(
    source      LowCardinality(String),
    id          UInt128,
    topic       LowCardinality(String),
    partition   UInt32,
    offset      UInt64,
    inserted_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree
ORDER BY (source, id)
TTL inserted_at + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 1024;

CREATE TABLE IF NOT EXISTS {db:Identifier}.seen_ids_in
(
    source      LowCardinality(String),
    record_id   String,
    topic       String,
    partition   UInt32,
    offset      UInt64
)
ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db:Identifier}.seen_ids_mv TO {db:Identifier}.seen_ids AS
SELECT source, reinterpretAsUInt128(sipHash128(record_id)) AS id, topic, partition, offset
FROM {db:Identifier}.seen_ids_in;

-- Until every processor writes seen_ids_in instead of seen_records, ids written to seen_records
-- reach seen_ids too (with their insertion time), so a processor reading seen_ids misses none of
-- them; the ids counted before this migration are copied once (a second copy, from two services
-- migrating at once, only adds rows the ReplacingMergeTree merges away).
CREATE MATERIALIZED VIEW IF NOT EXISTS {db:Identifier}.seen_records_ids_mv TO {db:Identifier}.seen_ids AS
SELECT source, reinterpretAsUInt128(sipHash128(record_id)) AS id, topic, partition, offset, inserted_at
FROM {db:Identifier}.seen_records;

INSERT INTO {db:Identifier}.seen_ids (source, id, topic, partition, offset, inserted_at)
SELECT source, reinterpretAsUInt128(sipHash128(record_id)), topic, partition, offset, inserted_at
FROM {db:Identifier}.seen_records;
