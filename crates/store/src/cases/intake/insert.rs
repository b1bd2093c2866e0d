//! The rows a report starts with: the day's tracking number, the case and its
//! first log entry.
//!
//! On PostgreSQL the three go to the server as one statement, since each
//! statement is a round trip on the one writer connection that every report
//! waits for; on SQLite, where a statement is a function call, as three.

use super::super::transitions::{event_values, insert_event, EventRow, EVENT_COLUMNS};
use crate::ctx::Ctx;
use crate::db::{placeholders, Backend, Conn, Value};
use crate::error::Result;
use crate::params;
use std::sync::OnceLock;

const CASE_COLUMNS: &str = "tracking_no, category_id, unit_id, description, lat, lon,
    address_detail, fields, source, state, version, confidential, reporter_user_id,
    reporter_name_enc, reporter_contact_enc, reporter_contact_hash, reporter_withheld,
    token_hash, reported_at, stage, stage_started_at, due_at, warn_at, escalate_at,
    attachment_ids, snapshot, created_at, updated_at";

/// Values of [`CASE_COLUMNS`] after the tracking number and before
/// `updated_at`, which is `created_at`.
pub(super) const CASE_VALUES: usize = 26;

/// What the database gave the new case.
pub(super) struct Inserted {
    pub id: i64,
    pub tracking_no: String,
}

/// `WG-YYYYMMDD-NNNNN`: the day's count, at least five digits.
fn tracking_no(day: i64, n: i64) -> String {
    format!("WG-{day}-{n:05}")
}

/// Numbers the report for its local `day`, inserts the case (`case`: the
/// [`CASE_VALUES`] values after its tracking number) and `first`, the case's
/// first log entry, whose `case_id` is filled in here.
pub(super) fn insert_report(
    c: &mut dyn Conn,
    ctx: &Ctx,
    day: i64,
    case: Vec<Value>,
    first: EventRow<'_>,
) -> Result<Inserted> {
    if c.backend() == Backend::Postgres {
        return in_one_statement(c, ctx, day, case, &first);
    }
    static SQL: OnceLock<String> = OnceLock::new();
    let n: i64 = c
        .query_one(
            "INSERT INTO case_numbers (day, last) VALUES ($1, 1)
             ON CONFLICT (day) DO UPDATE SET last = case_numbers.last + 1 RETURNING last",
            params![day],
        )?
        .get(0)?;
    let tracking_no = tracking_no(day, n);
    let mut args: Vec<Value> = Vec::with_capacity(1 + CASE_VALUES);
    args.push(tracking_no.as_str().into());
    args.extend(case);
    let sql = SQL.get_or_init(|| {
        format!(
            "INSERT INTO cases ({CASE_COLUMNS}) VALUES ({}, ${}) RETURNING id",
            placeholders(1, 1 + CASE_VALUES),
            1 + CASE_VALUES
        )
    });
    let id: i64 = c.query_one(sql, &args)?.get(0)?;
    insert_event(
        c,
        ctx,
        &EventRow {
            case_id: id,
            ..first
        },
    )?;
    Ok(Inserted { id, tracking_no })
}

/// The same rows in one statement. Its sub-statements run together, so the
/// case reads the number through the `n` it returns, and the entry the case's
/// id through `c`; the entry's foreign key is checked at the end of the
/// statement, when the case is there. The number is formatted as
/// [`tracking_no`] does (test `cases_numbers`).
fn in_one_statement(
    c: &mut dyn Conn,
    ctx: &Ctx,
    day: i64,
    case: Vec<Value>,
    first: &EventRow<'_>,
) -> Result<Inserted> {
    static SQL: OnceLock<String> = OnceLock::new();
    let event = event_values(ctx, first)?;
    let sql = SQL.get_or_init(|| {
        let case_from = 3;
        let event_from = case_from + CASE_VALUES;
        format!(
            "WITH n AS (
                INSERT INTO case_numbers (day, last) VALUES ($1, 1)
                ON CONFLICT (day) DO UPDATE SET last = case_numbers.last + 1 RETURNING last
             ), c AS (
                INSERT INTO cases ({CASE_COLUMNS}) VALUES (
                    (SELECT $2::text || CASE WHEN last < 100000 THEN lpad(last::text, 5, '0')
                                        ELSE last::text END FROM n),
                    {}, ${}) RETURNING id, tracking_no
             ), e AS (
                INSERT INTO case_events ({EVENT_COLUMNS})
                VALUES ((SELECT id FROM c), 1, {})
             )
             SELECT id, tracking_no FROM c",
            placeholders(case_from, CASE_VALUES),
            event_from - 1,
            placeholders(event_from, event.len()),
        )
    });
    let mut args: Vec<Value> = Vec::with_capacity(2 + CASE_VALUES + event.len());
    args.push(day.into());
    args.push(format!("WG-{day}-").into());
    args.extend(case);
    args.extend(event);
    let row = c.query_one(sql, &args)?;
    Ok(Inserted {
        id: row.get(0)?,
        tracking_no: row.get(1)?,
    })
}
