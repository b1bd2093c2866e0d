-- Key canaries (PostgreSQL). Keep in step with ../sqlite/0012_key_canaries.sql.
-- A known text sealed by each encryption key this database uses. At every
-- start each canary must open with the key file's keys, and the key file's
-- current key must have one, so a key file with the right lookup secret but
-- another encryption key is refused before it seals anything. A database made
-- before this table gets its canaries at its first start.
CREATE TABLE key_canaries (
    key_id     TEXT PRIMARY KEY,
    sealed     BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
