-- 0004_transfers (SQLite): bulk import and export. Keep in step with
-- ../postgres/0004_transfers.sql.

-- 政治面貌 (GB/T 4762), as registries exchanged between offices carry it.
ALTER TABLE people ADD COLUMN political_status TEXT;

-- Imports find households by number and organisations by name, a chunk at a time.
CREATE INDEX households_number ON households(number, unit_id);
CREATE INDEX organisations_name ON organisations(name);

-- One row per import: who ran it, how far it got, what it did. `report` is the
-- workbook of rejected rows (it holds the rows' personal values), sealed with
-- the store's key like every other personal value.
CREATE TABLE import_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    file_name   TEXT,
    status      TEXT NOT NULL,
    skip_invalid BIGINT NOT NULL,
    rows_read   BIGINT NOT NULL DEFAULT 0,
    created     BIGINT NOT NULL DEFAULT 0,
    updated     BIGINT NOT NULL DEFAULT 0,
    unchanged   BIGINT NOT NULL DEFAULT 0,
    rejected    BIGINT NOT NULL DEFAULT 0,
    message     TEXT,
    report      BLOB,
    started_at  BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX import_runs_actor ON import_runs(actor, id);
