//! Stage deadlines in working time, and the sweep that warns, marks overdue
//! and escalates.
//!
//! A stage's clock starts when the case enters it (the report time for the
//! first stage). The warning falls when `warn_percent` of the stage's working
//! time is used; escalation `escalate_after_minutes` working minutes after the
//! due time. While a case is suspended the sweep leaves it alone, and on
//! resuming every pending time is pushed by the working time the suspension
//! took: what was left of the stage when it was suspended is left again.
//!
//! Warnings and overdue marks are not steps of the core state machine, so the
//! sweep records them as the store's own log entries (`warn`, `overdue`), which
//! leave the case's version alone. Escalation is the core's `supervise` step,
//! taken by the system; when the core cannot take it (a case not yet accepted,
//! or one already supervised) the store records its own `escalate` entry or,
//! if a person already supervises the case, only sets the flag.
//!
//! A year missing from the calendar leaves the stage without a deadline (and
//! logs it): the calendar never guesses holidays, and a report must not be
//! refused because the State Council's notice was not yet imported.

use super::categories::Deadline;
use super::transitions::{append, mark_overdue, system_event, write_row};
use super::view::{load_any, Raw};
use super::{categories::DeadlineUnit, Config};
use crate::ctx::{ms_to_time, Ctx};
use crate::db::Conn;
use crate::error::{Error, Result};
use crate::{audit, params};
use serde::Serialize;
use serde_json::json;
use time::PrimitiveDateTime;
use wangge_core::auth::Role;
use wangge_core::calendar::{from_local, to_local};
use wangge_core::cases::{decide, Action, Case, Command};

fn local(ms: i64) -> PrimitiveDateTime {
    to_local(ms_to_time(ms))
}

fn ms(p: PrimitiveDateTime) -> i64 {
    (from_local(p).unix_timestamp_nanos() / 1_000_000) as i64
}

/// The times of a stage's clock, in UTC milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Clock {
    pub due: i64,
    pub warn: i64,
    pub escalate: i64,
}

fn compute(cfg: &Config, d: Deadline, start_ms: i64) -> wangge_core::Result<Clock> {
    let (cal, hours) = (cfg.calendar.current(), &cfg.hours);
    let start = local(start_ms);
    let (due, total) = match d.unit {
        DeadlineUnit::WorkingHours => {
            let m = d.amount.saturating_mul(60);
            (cal.add_working_minutes(hours, start, m)?, i64::from(m))
        }
        DeadlineUnit::WorkingDays => {
            let day = cal.add_workdays(start.date(), d.amount)?;
            let close = hours.periods().last().map_or(time::Time::MIDNIGHT, |p| p.1);
            let due = day.with_time(close);
            (due, cal.working_minutes_between(hours, start, due)?)
        }
    };
    let share = total * i64::from(cfg.warn_percent.min(100)) / 100;
    let warn = cal.add_working_minutes(hours, start, u32::try_from(share).unwrap_or(u32::MAX))?;
    let escalate = cal.add_working_minutes(hours, due, cfg.escalate_after_minutes)?;
    Ok(Clock {
        due: ms(due),
        warn: ms(warn),
        escalate: ms(escalate),
    })
}

/// The clock of a stage with limit `d` started at `start_ms`; `None` when the
/// stage has no limit or the calendar cannot answer.
pub(crate) fn start_clock(cfg: &Config, d: Option<Deadline>, start_ms: i64) -> Option<Clock> {
    let d = d?;
    match compute(cfg, d, start_ms) {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!(error = %e, "no deadline: the working-day calendar cannot compute it");
            None
        }
    }
}

/// A time pushed by a suspension from `from_ms` to `now_ms`: the working time
/// it still had at `from_ms` is counted again from `now_ms`. Times already
/// past when the suspension began stay.
pub(crate) fn push(cfg: &Config, t: Option<i64>, from_ms: i64, now_ms: i64) -> Option<i64> {
    let t = t?;
    if t <= from_ms {
        return Some(t);
    }
    let (cal, hours) = (cfg.calendar.current(), &cfg.hours);
    let pushed = cal
        .working_minutes_between(hours, local(from_ms), local(t))
        .and_then(|left| {
            cal.add_working_minutes(hours, local(now_ms), u32::try_from(left).unwrap_or(0))
        });
    match pushed {
        Ok(p) => Some(ms(p)),
        Err(e) => {
            tracing::warn!(error = %e, "deadline kept: the working-day calendar cannot push it");
            Some(t)
        }
    }
}

/// Working minutes from the report to `now_ms`, leaving out suspensions; `None`
/// when the calendar cannot answer.
pub(crate) fn handling_minutes(
    cfg: &Config,
    case: &Case,
    reported_ms: i64,
    now_ms: i64,
) -> Option<i64> {
    let now = ms_to_time(now_ms);
    let excluded: Vec<(PrimitiveDateTime, PrimitiveDateTime)> = case
        .suspensions
        .iter()
        .map(|s| (to_local(s.from), to_local(s.until.unwrap_or(now))))
        .collect();
    cfg.calendar
        .current()
        .working_minutes_between_excluding(&cfg.hours, local(reported_ms), local(now_ms), &excluded)
        .ok()
        .map(|m| m.max(0))
}

/// What one sweep did: the ids of the cases warned, marked overdue and escalated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SweepReport {
    pub warned: Vec<i64>,
    pub overdue: Vec<i64>,
    pub escalated: Vec<i64>,
    /// A queue had more than `sweep_batch` cases: run again.
    pub more: bool,
}

fn queue(c: &mut dyn Conn, sql: &str, now: i64, batch: i64) -> Result<(Vec<i64>, bool)> {
    let rows = c.query(sql, params![now, batch + 1])?;
    let mut ids = rows
        .iter()
        .map(|r| r.get::<i64>(0))
        .collect::<Result<Vec<_>>>()?;
    let more = ids.len() as i64 > batch;
    ids.truncate(batch.max(0) as usize);
    Ok((ids, more))
}

/// Warns, marks overdue and escalates every case whose time has come, as of
/// `ctx.now`. Only the system (no role) or a zone administrator runs it. Run
/// twice, the second run finds nothing to do: each step sets the flag that
/// takes the case out of its queue.
pub fn sweep(c: &mut dyn Conn, ctx: &Ctx, cfg: &Config) -> Result<SweepReport> {
    if ctx.role.is_some_and(|r| r != Role::ZoneAdmin) {
        return Err(Error::Forbidden);
    }
    super::lock_audit_chain(c)?;
    let now = ctx.now_ms();
    let batch = cfg.sweep_batch.max(1);
    let mut report = SweepReport::default();

    let (ids, more) = queue(
        c,
        "SELECT id FROM cases WHERE warned = 0 AND warn_at <= $1 AND suspended = 0 ORDER BY warn_at, id LIMIT $2",
        now,
        batch,
    )?;
    report.more |= more;
    for id in ids {
        let mut raw = load_any(c, id)?;
        raw.warned = true;
        system_event(c, ctx, &raw, "warn", None, &[])?;
        write_row(c, &raw, raw.version)?;
        audit::record(c, ctx, "case", id, "warn", json!({"stage": raw.stage}))?;
        report.warned.push(id);
    }

    let (ids, more) = queue(
        c,
        "SELECT id FROM cases WHERE overdue = 0 AND due_at <= $1 AND suspended = 0 ORDER BY due_at, id LIMIT $2",
        now,
        batch,
    )?;
    report.more |= more;
    for id in ids {
        let mut raw = load_any(c, id)?;
        mark_overdue(c, ctx, &mut raw)?;
        write_row(c, &raw, raw.version)?;
        report.overdue.push(id);
    }

    let (ids, more) = queue(
        c,
        "SELECT id FROM cases WHERE escalated = 0 AND overdue = 1 AND escalate_at <= $1 AND suspended = 0
         ORDER BY escalate_at, id LIMIT $2",
        now,
        batch,
    )?;
    report.more |= more;
    for id in ids {
        let mut raw = load_any(c, id)?;
        escalate(c, ctx, cfg, &mut raw)?;
        report.escalated.push(id);
    }
    Ok(report)
}

fn escalate(c: &mut dyn Conn, ctx: &Ctx, cfg: &Config, raw: &mut Raw) -> Result<()> {
    let stage = raw.stage.map_or("", |s| s.label_zh());
    let reason = format!("超过{stage}时限未办理,系统自动督办");
    let cmd = Command::new(Action::Supervise).reason(&reason);
    match decide(
        &raw.snapshot,
        &cmd,
        &super::scope::SYSTEM_ACTOR,
        ctx.now,
        &cfg.policy,
    ) {
        Ok(event) => append(c, ctx, cfg, raw, event),
        Err(_) if raw.snapshot.supervised => {
            // A person already supervises it; the stage is escalated all the same.
            raw.escalated = true;
            write_row(c, raw, raw.version)?;
            audit::record(
                c,
                ctx,
                "case",
                raw.id,
                "escalate",
                json!({"already_supervised": true}),
            )
        }
        Err(_) => {
            raw.escalated = true;
            system_event(c, ctx, raw, "escalate", Some(reason), &[])?;
            write_row(c, raw, raw.version)?;
            audit::record(
                c,
                ctx,
                "case",
                raw.id,
                "escalate",
                json!({"stage": raw.stage}),
            )
        }
    }
}
