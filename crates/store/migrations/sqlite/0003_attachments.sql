-- Wangge schema v3: attachments (SQLite). Keep in step with
-- ../postgres/0003_attachments.sql: same table, columns and indexes; only types
-- and identity syntax differ.

-- One row per upload. The bytes live outside the database, content-addressed
-- by SHA-256 in the attachment directory, so identical uploads share files and
-- a row never changes what its hashes point to. `display_sha256` is the copy
-- shown to others (images re-encoded: orientation applied, every metadata
-- segment, EXIF location and device data included, dropped); `original_sha256`
-- is the upload as received, restricted (it may carry the camera's location);
-- `thumbnail_sha256` is a small JPEG for images, NULL for documents.
--
-- The owner (`owner_kind`, `owner_id`: 'case', 42) is NULL until the upload is
-- linked to what it belongs to; when cases merge, attachments are re-pointed to
-- the surviving owner, never deleted. There is no foreign key because owners
-- are of several kinds.
CREATE TABLE attachments (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT NOT NULL CHECK (kind IN ('image', 'document')),
    content_type     TEXT NOT NULL,
    display_sha256   TEXT NOT NULL,
    display_size     BIGINT NOT NULL,
    original_type    TEXT NOT NULL,
    original_sha256  TEXT NOT NULL,
    original_size    BIGINT NOT NULL,
    thumbnail_sha256 TEXT,
    width            BIGINT,
    height           BIGINT,
    file_name        TEXT NOT NULL,
    uploaded_by      TEXT NOT NULL,
    uploaded_at      BIGINT NOT NULL,
    owner_kind       TEXT,
    owner_id         BIGINT,
    linked_at        BIGINT,
    CHECK ((owner_kind IS NULL) = (owner_id IS NULL))
);
CREATE INDEX attachments_owner ON attachments(owner_kind, owner_id, id);
