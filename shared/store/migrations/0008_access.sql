-- Access (query-api/access): tenants, the tenant of each API key, grants, metered usage and the
-- audit log. Tenants and grants are versioned like api_keys: the row with the highest `version`
-- wins, and deletion writes a new version with deleted_at set.

-- A tenant: the organisation keys and grants belong to (a subscriber, a vendor).
CREATE TABLE IF NOT EXISTS {db:Identifier}.tenants
(
    tenant_id  String,
    name       String,
    created_at DateTime64(3, 'UTC'),
    deleted_at Nullable(DateTime64(3, 'UTC')),
    version    UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY tenant_id;

-- The tenant of each key ('' for keys made before tenants, and for admin keys made without one).
ALTER TABLE {db:Identifier}.api_keys ADD COLUMN IF NOT EXISTS tenant_id String DEFAULT '' AFTER owner;

-- A grant: a tenant may read `dataset` inside an area, no finer than `min_resolution` (the finest
-- H3 resolution allowed, 7–10), in [valid_from, valid_to) (null: unbounded). The area is kept as
-- its covering H3 cells, compacted (mixed resolutions, none inside another); `area` keeps the
-- GeoJSON it was covered from and `zone` the zone name ('' for neither).
CREATE TABLE IF NOT EXISTS {db:Identifier}.grants
(
    grant_id       String,
    tenant_id      String,
    dataset        LowCardinality(String),
    cells          Array(UInt64),
    area           String,
    zone           String,
    min_resolution UInt8,
    valid_from     Nullable(DateTime64(3, 'UTC')),
    valid_to       Nullable(DateTime64(3, 'UTC')),
    created_at     DateTime64(3, 'UTC'),
    deleted_at     Nullable(DateTime64(3, 'UTC')),
    version        UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY grant_id;

-- Rows released per key, tenant, dataset and day (in PASSAGE_TIMEZONE). Partial sums that merges
-- collapse; queries always sum(). Each flushed batch carries a deduplication token, so a retried
-- flush is not counted twice.
CREATE TABLE IF NOT EXISTS {db:Identifier}.usage
(
    day       Date,
    tenant_id String,
    key_id    String,
    dataset   LowCardinality(String),
    rows      UInt64
)
ENGINE = SummingMergeTree(rows)
ORDER BY (tenant_id, key_id, dataset, day)
SETTINGS non_replicated_deduplication_window = 1000;

-- Who asked what: one row per request to a data, usage or admin route (not ingest), refused ones
-- included. Kept 400 days (a year and a bit, for yearly audits), then dropped by partition.
CREATE TABLE IF NOT EXISTS {db:Identifier}.audit_log
(
    time       DateTime64(3, 'UTC'),
    key_id     String,
    tenant_id  String,
    role       LowCardinality(String),
    method     LowCardinality(String),
    route      LowCardinality(String),
    path       String,
    query      String,
    detail     String,
    status     UInt16,
    rows       UInt64,
    duration_ms Float64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (time, key_id)
TTL toDateTime(time) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 1000, ttl_only_drop_parts = 1;
