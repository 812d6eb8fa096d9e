-- API keys: only a SHA-256 of each key is stored (the key is shown once, at creation). The latest
-- version of a key row wins; revocation writes a new version with revoked_at set.
CREATE TABLE IF NOT EXISTS {db:Identifier}.api_keys
(
    key_id     String,
    key_hash   String,
    role       LowCardinality(String),
    owner      String,
    sources    Array(LowCardinality(String)),
    created_at DateTime64(3, 'UTC'),
    revoked_at Nullable(DateTime64(3, 'UTC')),
    version    UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY key_id;
