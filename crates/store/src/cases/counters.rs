//! Statistics counters, kept in the transaction that appends each event.
//!
//! Each log entry adds a small delta to one row per ancestor of the case's unit
//! (zone, street, community, compound, building), keyed by (unit, local day,
//! minor category). A row therefore holds its unit's whole subtree, and the
//! numbers of any unit for any period are one index range: (unit_id, day
//! between …). With ten million cases a zone-wide year is at most 365 × the
//! number of categories rows.
//!
//! What each entry counts, on the day it happens:
//!
//! | entry | counter |
//! |---|---|
//! | report | received |
//! | accept / reject / withdraw | accepted / rejected / withdrawn |
//! | handle | handled |
//! | return | rework (返工) |
//! | close (fixed, cannot_fix, duplicate) | closed; closed_on_time if no stage of the case was ever overdue before it |
//! | close (fixed, cannot_fix) | timed, time_sum_min and a histogram bucket: working minutes from report to close, suspensions left out |
//! | rate | rating_count, rating_sum |
//! | reopen | reopened |
//! | resolve_on_spot (自行处置) | on_spot, closed and closed_on_time as for close: a close like any other in the totals, with its own count; no handling time, since nothing waited for a department |
//! | supervise (by anyone), the store's own escalate | escalations |
//! | the store's own overdue | overdue, the first time the case goes overdue |
//!
//! Beside the daily rows the same deltas go to roll-ups (migration 0008),
//! written by [`Batch::flush`] in the same transaction: per (unit, local month,
//! category), the handling-time histogram per (unit, day) and (unit, month)
//! without the category and per (unit, month, category), and the escalations
//! per (unit, day) and (unit, month) where there were any. `stats.rs` reads
//! whole months from them. Each table takes one multi-row upsert per event.
//!
//! The counters are derived: `rebuild_counters` recomputes them all from the
//! log (after a unit moves, its cases' ancestors change).
//!
//! In a writer's transaction the deltas of all its writes are added up and
//! written just before its commit, by a pre-commit hook (`deferred.rs`).

mod batch;
mod deferred;

use crate::ctx::{ms_to_time, Ctx};
use crate::db::Conn;
use crate::error::Result;
use crate::{audit, params};
pub(crate) use batch::{Batch, TABLES};
use serde_json::json;
use wangge_core::auth::Permission;
use wangge_core::calendar::SHANGHAI;
use wangge_core::cases::{CloseKind, Event};

/// The counter columns, in table order.
pub(crate) const COLS: [&str; NCOLS] = [
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
    "on_spot",
];

/// How many counter columns there are.
pub(crate) const NCOLS: usize = 16;

/// What one entry adds, in the order of [`COLS`], plus its histogram bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Delta {
    pub values: [i64; NCOLS],
    pub bucket: Option<i64>,
}

impl Delta {
    fn set(&mut self, col: &str, v: i64) {
        if let Some(i) = COLS.iter().position(|c| *c == col) {
            self.values[i] += v;
        }
    }

    fn is_zero(&self) -> bool {
        self.values.iter().all(|v| *v == 0) && self.bucket.is_none()
    }

    fn add(&mut self, o: &Delta) {
        for (a, b) in self.values.iter_mut().zip(o.values.iter()) {
            *a += b;
        }
    }
}

/// The delta of one log entry: `action` is a core action or one of the
/// store's own (`overdue`, `escalate`, …).
pub(crate) fn for_event(
    action: &str,
    close_kind: Option<&CloseKind>,
    ever_overdue_before: bool,
    handling_minutes: Option<i64>,
    rating: Option<u8>,
) -> Delta {
    let mut d = Delta::default();
    match action {
        "report" => d.set("received", 1),
        "accept" => d.set("accepted", 1),
        "reject" => d.set("rejected", 1),
        "withdraw" => d.set("withdrawn", 1),
        "handle" => d.set("handled", 1),
        "return" => d.set("rework", 1),
        "reopen" => d.set("reopened", 1),
        "supervise" | "escalate" => d.set("escalations", 1),
        "resolve_on_spot" => {
            d.set("on_spot", 1);
            d.set("closed", 1);
            // Only a report entered long after it was made can be late here.
            if !ever_overdue_before {
                d.set("closed_on_time", 1);
            }
        }
        "overdue" if !ever_overdue_before => d.set("overdue", 1),
        "rate" => {
            d.set("rating_count", 1);
            d.set("rating_sum", i64::from(rating.unwrap_or(0)));
        }
        "close" if !matches!(close_kind, Some(CloseKind::NotResponsible { .. }) | None) => {
            d.set("closed", 1);
            if !ever_overdue_before {
                d.set("closed_on_time", 1);
            }
            if matches!(
                close_kind,
                Some(CloseKind::Fixed | CloseKind::CannotFix { .. })
            ) {
                if let Some(m) = handling_minutes {
                    d.set("timed", 1);
                    d.set("time_sum_min", m);
                    d.bucket = Some(bucket_of(m));
                }
            }
        }
        _ => {}
    }
    d
}

/// The local (Asia/Shanghai) day of an instant as YYYYMMDD.
pub(crate) fn day_of(ms: i64) -> i64 {
    let d = ms_to_time(ms).to_offset(SHANGHAI).date();
    i64::from(d.year()) * 10000 + i64::from(u8::from(d.month())) * 100 + i64::from(d.day())
}

/// Number of histogram buckets.
pub const HIST_BUCKETS: i64 = 64;

/// The histogram bucket of a handling time: 0 for under 15 working minutes,
/// then four buckets per doubling (each about 19% wide) from 15 minutes up;
/// the last bucket takes everything beyond (about 8,000 working hours).
pub fn bucket_of(minutes: i64) -> i64 {
    if minutes < 15 {
        return 0;
    }
    let k = (4.0 * (minutes as f64 / 15.0).log2()).floor() as i64 + 1;
    k.clamp(1, HIST_BUCKETS - 1)
}

/// A bucket's range of working minutes, `[low, high)`; the last has no high end.
pub fn bucket_bounds(b: i64) -> (f64, Option<f64>) {
    if b <= 0 {
        return (0.0, Some(15.0));
    }
    let at = |k: i64| 15.0 * 2f64.powf((k - 1) as f64 / 4.0);
    let hi = (b < HIST_BUCKETS - 1).then(|| at(b + 1));
    (at(b), hi)
}

/// Moves everything one case has counted from the ancestors of `from_path` to
/// those of `to_path` (when staff move a case to another unit); ancestors the
/// two share net out.
pub(crate) fn move_case(
    c: &mut dyn Conn,
    case_id: i64,
    category_id: i64,
    from_path: &str,
    to_path: &str,
) -> Result<()> {
    let rows = c.query(
        "SELECT action, event, at, handling_minutes FROM case_events WHERE case_id = $1 ORDER BY seq",
        params![case_id],
    )?;
    let mut batch = Batch::default();
    let mut ever_overdue = false;
    for r in &rows {
        let action: String = r.get(0)?;
        let event: Option<Event> = r
            .get::<Option<String>>(1)?
            .map(|e| super::from_json("event", &e))
            .transpose()?;
        let cmd = event.as_ref().map(|e| &e.command);
        let d = for_event(
            &action,
            cmd.and_then(|c| c.close_kind.as_ref()),
            ever_overdue,
            r.get(3)?,
            cmd.and_then(|c| c.rating),
        );
        let at: i64 = r.get(2)?;
        batch.add_signed(from_path, category_id, at, &d, -1);
        batch.add_signed(to_path, category_id, at, &d, 1);
        if action == "overdue" {
            ever_overdue = true;
        }
    }
    batch.flush(c)
}

/// Adds one entry's delta for a case at `unit_path`, on the day of `at_ms`.
pub(crate) fn bump(
    c: &mut dyn Conn,
    unit_path: &str,
    category_id: i64,
    at_ms: i64,
    d: &Delta,
) -> Result<()> {
    if deferred::keep(c, unit_path, category_id, at_ms, d) {
        return Ok(());
    }
    let mut b = Batch::default();
    b.add(unit_path, category_id, at_ms, d);
    b.flush(c)
}

/// Recomputes every counter from the event log, with each case's current unit
/// (and so its unit's current place in the tree) and category; returns the number of entries counted. For the zone
/// administrator or the system; runs in the caller's transaction, a thousand
/// cases at a time in memory.
pub fn rebuild_counters(c: &mut dyn Conn, ctx: &Ctx) -> Result<i64> {
    ctx.require(Permission::UsersManage)?;
    super::lock_audit_chain(c)?;
    deferred::recounted(c);
    for t in TABLES {
        c.execute(&format!("DELETE FROM {t}"), &[])?;
    }
    let mut after = 0i64;
    let mut counted = 0i64;
    loop {
        let ids = c.query(
            "SELECT id FROM cases WHERE id > $1 ORDER BY id LIMIT 1000",
            params![after],
        )?;
        let Some(last) = ids.last() else { break };
        let last: i64 = last.get(0)?;
        let rows = c.query(
            "SELECT e.case_id, e.action, e.event, e.at, e.handling_minutes, u.path, c.category_id
             FROM case_events e JOIN cases c ON c.id = e.case_id JOIN units u ON u.id = c.unit_id
             WHERE e.case_id > $1 AND e.case_id <= $2 ORDER BY e.case_id, e.seq",
            params![after, last],
        )?;
        let mut batch = Batch::default();
        let mut current = 0i64;
        let mut ever_overdue = false;
        for r in &rows {
            let case_id: i64 = r.get(0)?;
            if case_id != current {
                current = case_id;
                ever_overdue = false;
            }
            let action: String = r.get(1)?;
            let event: Option<Event> = r
                .get::<Option<String>>(2)?
                .map(|e| super::from_json("event", &e))
                .transpose()?;
            let cmd = event.as_ref().map(|e| &e.command);
            let d = for_event(
                &action,
                cmd.and_then(|c| c.close_kind.as_ref()),
                ever_overdue,
                r.get(4)?,
                cmd.and_then(|c| c.rating),
            );
            let path: String = r.get(5)?;
            batch.add(&path, r.get(6)?, r.get(3)?, &d);
            if action == "overdue" {
                ever_overdue = true;
            }
            counted += 1;
        }
        batch.flush(c)?;
        after = last;
    }
    audit::record(
        c,
        ctx,
        "case_counters",
        0,
        "rebuild",
        json!({"entries": counted}),
    )?;
    Ok(counted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_ordered_and_bounded() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(14), 0);
        assert_eq!(bucket_of(15), 1);
        for m in [15, 20, 29, 30, 61, 450, 4500, 100_000] {
            let b = bucket_of(m);
            let (lo, hi) = bucket_bounds(b);
            assert!(lo <= m as f64, "{m} in {b}");
            assert!(hi.is_none_or(|h| (m as f64) < h), "{m} in {b}");
        }
        assert_eq!(bucket_of(i64::MAX / 2), HIST_BUCKETS - 1);
        assert!(bucket_bounds(HIST_BUCKETS - 1).1.is_none());
    }

    #[test]
    fn days_are_local() {
        // 2026-11-24 16:30 UTC is 00:30 on the 25th in Beijing.
        let at = time::macros::datetime!(2026-11-24 16:30 UTC);
        let ms = (at.unix_timestamp_nanos() / 1_000_000) as i64;
        assert_eq!(day_of(ms), 20261125);
        assert_eq!(day_of(ms - 3_600_000), 20261124);
    }

    #[test]
    fn a_close_after_an_overdue_stage_is_not_on_time() {
        let on_time = for_event("close", Some(&CloseKind::Fixed), false, Some(90), None);
        let late = for_event("close", Some(&CloseKind::Fixed), true, Some(90), None);
        let at = |d: &Delta, col: &str| d.values[COLS.iter().position(|c| *c == col).unwrap_or(0)];
        assert_eq!(at(&on_time, "closed_on_time"), 1);
        assert_eq!(at(&late, "closed_on_time"), 0);
        assert_eq!(at(&late, "closed"), 1);
        let moved = for_event(
            "close",
            Some(&CloseKind::NotResponsible {
                reassign_to: Some(3),
            }),
            false,
            None,
            None,
        );
        assert_eq!(moved, Delta::default());
    }

    #[test]
    fn an_on_spot_close_counts_as_a_close_and_on_its_own() {
        let d = for_event("resolve_on_spot", None, false, None, None);
        let at = |col: &str| d.values[COLS.iter().position(|c| *c == col).unwrap_or(0)];
        assert_eq!(
            (
                at("on_spot"),
                at("closed"),
                at("closed_on_time"),
                at("timed")
            ),
            (1, 1, 1, 0)
        );
        assert_eq!(at("received"), 0, "the report counts itself");
    }
}
