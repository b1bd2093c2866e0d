//! The raw baseline's statements, for the tables of Wangge's migrations
//! (`crates/store/migrations/*/0001_init.sql`, `0002_cases.sql` and
//! `0008_case_rollups.sql`), and its look-ups of the ids they refer to.

/// The building's materialized path of unit ids, `/zone/street/…/building/`.
pub(super) const UNIT_PATH: &str = "SELECT path FROM units WHERE code = $1";

/// Category `0601`'s id.
pub(super) const CATEGORY_ID: &str = "SELECT id FROM case_categories WHERE code = '0601'";

/// The benchmark's account, which intake sets as the reporter of a staff report.
pub(super) const USER_ID: &str = "SELECT id FROM users WHERE username = 'wangge-bench'";

/// The end of the audit chain.
pub(super) const AUDIT_END: &str = "SELECT seq, hash FROM audit_head WHERE id = 1";

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
    VALUES ($1, $2, $3, $4, NULL, NULL, $5, '{}', 'staff', 'reported', 1, 0, $12,
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
