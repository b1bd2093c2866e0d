//! The raw baseline's tables (those intake writes, as Wangge's migrations
//! define them, without foreign keys) and its statements.

use super::*;

/// The tables intake writes, as in `crates/store/migrations/*/0001_init.sql`,
/// `0002_cases.sql` and `0008_case_rollups.sql`, without foreign keys. `{ID}`,
/// `{C}`, `{REAL}` and `{BLOB}` are where the two backends' types differ.
pub(super) const RAW_DDL: &str = "
CREATE TABLE case_numbers (
    day  BIGINT PRIMARY KEY,
    last BIGINT NOT NULL
);
CREATE TABLE cases (
    id                    {ID},
    tracking_no           TEXT{C} NOT NULL UNIQUE,
    category_id           BIGINT NOT NULL,
    unit_id               BIGINT NOT NULL,
    description           TEXT NOT NULL,
    lat                   {REAL},
    lon                   {REAL},
    address_detail        TEXT,
    fields                TEXT NOT NULL DEFAULT '{}',
    source                TEXT NOT NULL,
    state                 TEXT NOT NULL,
    version               BIGINT NOT NULL,
    lead_org_id           BIGINT,
    co_handlers           TEXT NOT NULL DEFAULT '[]',
    confidential          BIGINT NOT NULL DEFAULT 0,
    reporter_user_id      BIGINT,
    reporter_name_enc     {BLOB},
    reporter_contact_enc  {BLOB},
    reporter_contact_hash {BLOB},
    reporter_withheld     BIGINT NOT NULL DEFAULT 0,
    token_hash            {BLOB} UNIQUE,
    reported_at           BIGINT NOT NULL,
    stage                 TEXT,
    stage_started_at      BIGINT,
    due_at                BIGINT,
    warn_at               BIGINT,
    escalate_at           BIGINT,
    warned                BIGINT NOT NULL DEFAULT 0,
    overdue               BIGINT NOT NULL DEFAULT 0,
    escalated             BIGINT NOT NULL DEFAULT 0,
    ever_overdue          BIGINT NOT NULL DEFAULT 0,
    suspended             BIGINT NOT NULL DEFAULT 0,
    suspension_requested  BIGINT NOT NULL DEFAULT 0,
    supervised            BIGINT NOT NULL DEFAULT 0,
    at_joint_meeting      BIGINT NOT NULL DEFAULT 0,
    rework_count          BIGINT NOT NULL DEFAULT 0,
    closed_at             BIGINT,
    close_kind            TEXT,
    rating                BIGINT,
    merged_into           BIGINT,
    attachment_ids        TEXT NOT NULL DEFAULT '[]',
    snapshot              TEXT NOT NULL,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);
CREATE INDEX cases_unit ON cases(unit_id, id);
CREATE INDEX cases_created ON cases(created_at, id);
CREATE INDEX cases_category ON cases(category_id, created_at);
CREATE INDEX cases_reporter ON cases(reporter_user_id);
CREATE INDEX cases_state ON cases(state, due_at);
CREATE INDEX cases_warn ON cases(warned, warn_at);
CREATE INDEX cases_due ON cases(overdue, due_at);
CREATE INDEX cases_escalate ON cases(escalated, escalate_at);
CREATE INDEX cases_dup_unit ON cases(unit_id, category_id, created_at);
CREATE INDEX cases_dup_geo ON cases(category_id, lat);
CREATE TABLE case_events (
    id               {ID},
    case_id          BIGINT NOT NULL,
    seq              BIGINT NOT NULL,
    version          BIGINT NOT NULL,
    at               BIGINT NOT NULL,
    actor            TEXT NOT NULL,
    actor_role       TEXT,
    from_state       TEXT,
    to_state         TEXT NOT NULL,
    action           TEXT NOT NULL,
    org_id           BIGINT,
    note             TEXT,
    event            TEXT,
    attachment_ids   TEXT NOT NULL DEFAULT '[]',
    handling_minutes BIGINT,
    UNIQUE (case_id, seq)
);
CREATE TABLE case_duplicates (
    case_id      BIGINT NOT NULL,
    candidate_id BIGINT NOT NULL,
    reason       TEXT NOT NULL,
    distance_m   {REAL},
    PRIMARY KEY (case_id, candidate_id)
);
CREATE TABLE case_counters (
    unit_id        BIGINT NOT NULL,
    day            BIGINT NOT NULL,
    category_id    BIGINT NOT NULL,
    received       BIGINT NOT NULL DEFAULT 0,
    accepted       BIGINT NOT NULL DEFAULT 0,
    rejected       BIGINT NOT NULL DEFAULT 0,
    withdrawn      BIGINT NOT NULL DEFAULT 0,
    handled        BIGINT NOT NULL DEFAULT 0,
    rework         BIGINT NOT NULL DEFAULT 0,
    closed         BIGINT NOT NULL DEFAULT 0,
    closed_on_time BIGINT NOT NULL DEFAULT 0,
    overdue        BIGINT NOT NULL DEFAULT 0,
    reopened       BIGINT NOT NULL DEFAULT 0,
    timed          BIGINT NOT NULL DEFAULT 0,
    time_sum_min   BIGINT NOT NULL DEFAULT 0,
    rating_count   BIGINT NOT NULL DEFAULT 0,
    rating_sum     BIGINT NOT NULL DEFAULT 0,
    escalations    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (unit_id, day, category_id)
);
CREATE TABLE case_counters_month (
    unit_id        BIGINT NOT NULL,
    month          BIGINT NOT NULL,
    category_id    BIGINT NOT NULL,
    received       BIGINT NOT NULL DEFAULT 0,
    accepted       BIGINT NOT NULL DEFAULT 0,
    rejected       BIGINT NOT NULL DEFAULT 0,
    withdrawn      BIGINT NOT NULL DEFAULT 0,
    handled        BIGINT NOT NULL DEFAULT 0,
    rework         BIGINT NOT NULL DEFAULT 0,
    closed         BIGINT NOT NULL DEFAULT 0,
    closed_on_time BIGINT NOT NULL DEFAULT 0,
    overdue        BIGINT NOT NULL DEFAULT 0,
    reopened       BIGINT NOT NULL DEFAULT 0,
    timed          BIGINT NOT NULL DEFAULT 0,
    time_sum_min   BIGINT NOT NULL DEFAULT 0,
    rating_count   BIGINT NOT NULL DEFAULT 0,
    rating_sum     BIGINT NOT NULL DEFAULT 0,
    escalations    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (unit_id, month, category_id)
);
CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    client_addr TEXT,
    entity      TEXT NOT NULL,
    entity_id   BIGINT NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_entity ON audit_log(entity, entity_id);
CREATE INDEX audit_actor ON audit_log(actor, seq);
CREATE TABLE audit_head (
    id   BIGINT PRIMARY KEY,
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');";

pub(super) fn raw_ddl(backend: Backend) -> String {
    let (id, c, real, blob) = match backend {
        Backend::Sqlite => ("INTEGER PRIMARY KEY AUTOINCREMENT", "", "REAL", "BLOB"),
        Backend::Postgres => (
            "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            " COLLATE \"C\"",
            "DOUBLE PRECISION",
            "BYTEA",
        ),
    };
    RAW_DDL
        .replace("{ID}", id)
        .replace("{C}", c)
        .replace("{REAL}", real)
        .replace("{BLOB}", blob)
}

/// The day's last tracking number, plus one.
pub(super) const NEXT_NUMBER: &str = "INSERT INTO case_numbers (day, last) VALUES ($1, 1)
    ON CONFLICT (day) DO UPDATE SET last = case_numbers.last + 1 RETURNING last";

/// The columns intake gives a case; what is the same for every report of this
/// benchmark (source, state, no coordinates, no reporter name, …) is written
/// as a literal.
pub(super) const INSERT_CASE: &str =
    "INSERT INTO cases (tracking_no, category_id, unit_id, description,
    lat, lon, address_detail, fields, source, state, version, confidential, reporter_user_id,
    reporter_name_enc, reporter_contact_enc, reporter_contact_hash, reporter_withheld,
    token_hash, reported_at, stage, stage_started_at, due_at, warn_at, escalate_at,
    attachment_ids, snapshot, created_at, updated_at)
    VALUES ($1, $2, $3, $4, NULL, NULL, $5, '{}', 'staff', 'reported', 1, 0, 1,
    NULL, NULL, NULL, 0, $6, $7, 'accept', $7, $8, $9, $10, '[]', $11, $7, $7)
    RETURNING id";

pub(super) const INSERT_EVENT: &str = "INSERT INTO case_events (case_id, seq, version, at, actor,
    actor_role, from_state, to_state, action, org_id, note, event, attachment_ids,
    handling_minutes)
    VALUES ($1, 1, 1, $2, 'wangge-bench', 'zone_admin', NULL, 'reported', 'report', NULL,
    NULL, $3, '[]', NULL)";

pub(super) const INSERT_AUDIT: &str = "INSERT INTO audit_log (seq, at, actor, client_addr, entity,
    entity_id, action, detail, prev_hash, hash)
    VALUES ($1, $2, 'wangge-bench', '127.0.0.1', 'case', $3, 'report', $4, $5, $6)";

pub(super) const AUDIT_HEAD: &str = "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1";

/// One counter row's upsert: all 15 columns, as `counters::batch` writes them.
pub(super) fn counter_upsert(table: &str, period: &str) -> String {
    const COLS: [&str; 15] = [
        "received",
        "accepted",
        "rejected",
        "withdrawn",
        "handled",
        "rework",
        "closed",
        "closed_on_time",
        "overdue",
        "reopened",
        "timed",
        "time_sum_min",
        "rating_count",
        "rating_sum",
        "escalations",
    ];
    let values: Vec<String> = std::iter::once("$4".to_string())
        .chain(std::iter::repeat_n("0".to_string(), COLS.len() - 1))
        .collect();
    let sets: Vec<String> = COLS
        .iter()
        .map(|k| format!("{k} = {table}.{k} + excluded.{k}"))
        .collect();
    format!(
        "INSERT INTO {table} (unit_id, {period}, category_id, {}) VALUES ($1, $2, $3, {})
         ON CONFLICT (unit_id, {period}, category_id) DO UPDATE SET {}",
        COLS.join(", "),
        values.join(", "),
        sets.join(", ")
    )
}
