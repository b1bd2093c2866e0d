//! The working-day calendar as a running server holds it: the built-in notices
//! (plus a `--calendar-file`, if given) as the base, and the later years a zone
//! administrator added in the web UI, kept in `calendar_years` so that every
//! node and every restart sees them.
//!
//! Deadlines read the calendar through [`LiveCalendar::current`], a snapshot
//! that an addition swaps atomically: a computation in flight keeps the
//! calendar it started with.

use crate::ctx::{ms_to_time, Ctx};
use crate::db::Conn;
use crate::error::{Error, Result};
use crate::{audit, params};
use serde_json::json;
use std::sync::{Arc, RwLock};
use time::OffsetDateTime;
use wangge_core::auth::Permission;
use wangge_core::calendar::{file, Calendar};
use wangge_core::Error as CoreError;

/// The longest notice text accepted; a real one is under 1,000 characters.
pub const MAX_NOTICE_CHARS: usize = 20_000;

struct Held {
    base: Arc<Calendar>,
    current: Arc<Calendar>,
}

/// The calendar deadlines are computed with; clones share it, so an addition
/// seen by one handler is seen by all.
#[derive(Clone)]
pub struct LiveCalendar(Arc<RwLock<Held>>);

impl std::fmt::Debug for LiveCalendar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveCalendar")
            .field("years", &self.current().years())
            .finish()
    }
}

impl Default for LiveCalendar {
    fn default() -> Self {
        LiveCalendar::new(Calendar::builtin())
    }
}

impl LiveCalendar {
    /// A calendar whose base (built-in notices and any file) is `base`.
    pub fn new(base: Calendar) -> LiveCalendar {
        let base = Arc::new(base);
        LiveCalendar(Arc::new(RwLock::new(Held {
            current: base.clone(),
            base,
        })))
    }

    /// The calendar as it is now.
    pub fn current(&self) -> Arc<Calendar> {
        // A panic while holding the lock cannot leave a half-made calendar
        // (the swap is one assignment), so a poisoned lock is still good.
        let held = self.0.read().unwrap_or_else(|p| p.into_inner());
        held.current.clone()
    }

    /// The years of the base alone (built-in and file).
    pub fn base_years(&self) -> Vec<i32> {
        let held = self.0.read().unwrap_or_else(|p| p.into_inner());
        held.base.years()
    }

    /// Makes the calendar the base plus these added notices; on error nothing
    /// changes.
    fn set_added(&self, notices: &[String]) -> Result<()> {
        let base = {
            let held = self.0.read().unwrap_or_else(|p| p.into_inner());
            held.base.clone()
        };
        let mut cal = (*base).clone();
        for text in notices {
            // A calendar file naming the same year wins: that is how a year
            // added in the web UI is corrected.
            let years = file::parse(text)?;
            if years.iter().any(|n| base.notice(n.year).is_some()) {
                continue;
            }
            cal.extend(text)?;
        }
        let mut held = self.0.write().unwrap_or_else(|p| p.into_inner());
        held.current = Arc::new(cal);
        Ok(())
    }
}

/// A year added by an administrator.
#[derive(Debug, Clone)]
pub struct AddedYear {
    pub year: i32,
    /// The notice in the file format of `docs/CALENDAR.md`.
    pub notice: String,
    pub created_by: String,
    pub created_at: OffsetDateTime,
}

/// The added years, oldest year first.
pub fn list_added(c: &mut dyn Conn) -> Result<Vec<AddedYear>> {
    c.query(
        "SELECT year, notice, created_by, created_at FROM calendar_years ORDER BY year",
        &[],
    )?
    .iter()
    .map(|r| {
        let year: i64 = r.get(0)?;
        Ok(AddedYear {
            year: i32::try_from(year).map_err(|_| Error::Db(format!("calendar year {year}")))?,
            notice: r.get(1)?,
            created_by: r.get(2)?,
            created_at: ms_to_time(r.get(3)?),
        })
    })
    .collect()
}

/// Reads the added years into `live`. A stored notice that no longer parses
/// (the parser grew stricter) is an error and the calendar stays as it was.
pub fn load(c: &mut dyn Conn, live: &LiveCalendar) -> Result<Vec<i32>> {
    let added = list_added(c)?;
    let texts: Vec<String> = added.iter().map(|a| a.notice.clone()).collect();
    live.set_added(&texts)?;
    Ok(added.iter().map(|a| a.year).collect())
}

fn notice_error(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Error {
    CoreError::invalid("notice", code, zh, en).into()
}

/// Adds one year's notice (zone administrators only). The text must hold
/// exactly one year, one the calendar does not have yet; it is checked line by
/// line like a calendar file. Answers the year; the caller then [`load`]s.
pub fn add_year(c: &mut dyn Conn, ctx: &Ctx, live: &LiveCalendar, text: &str) -> Result<i32> {
    ctx.require(Permission::UsersManage)?;
    // The audit chain's lock first, in the same order as every other writer.
    crate::audit::lock_chain(c)?;
    if text.trim().is_empty() {
        return Err(notice_error(
            "required",
            "请填写通知内容",
            "type in the notice",
        ));
    }
    if text.chars().count() > MAX_NOTICE_CHARS {
        return Err(notice_error(
            "too_long",
            format!("通知内容不能超过{MAX_NOTICE_CHARS}个字符"),
            format!("the notice may be at most {MAX_NOTICE_CHARS} characters"),
        ));
    }
    let notices = file::parse(text).map_err(|e| match e {
        CoreError::Invalid { code, zh, en, .. } => CoreError::Invalid {
            field: "notice".into(),
            code,
            zh,
            en,
        },
        other => other,
    })?;
    let [notice] = &notices[..] else {
        return Err(notice_error(
            "one_year",
            "一次只能添加一个年份的通知",
            "add one year's notice at a time",
        ));
    };
    let year = notice.year;
    if live.current().notice(year).is_some() {
        return Err(CoreError::conflict(
            "calendar_year_exists",
            format!("工作日历中已有{year}年的节假日安排"),
            format!("the calendar already has the holiday arrangements for {year}"),
        )
        .into());
    }
    // Stored as the canonical text, so what is shown is what is computed with.
    let canonical = file::format([notice]);
    c.execute(
        "INSERT INTO calendar_years (year, notice, created_by, created_at) VALUES ($1, $2, $3, $4)",
        params![
            i64::from(year),
            canonical.as_str(),
            ctx.actor.as_str(),
            ctx.now_ms()
        ],
    )
    .map_err(|e| match e {
        // Another node added the same year a moment ago.
        Error::Unique(_) => CoreError::conflict(
            "calendar_year_exists",
            format!("工作日历中已有{year}年的节假日安排"),
            format!("the calendar already has the holiday arrangements for {year}"),
        )
        .into(),
        other => other,
    })?;
    audit::record(
        c,
        ctx,
        "calendar_year",
        i64::from(year),
        "create",
        json!({"year": year, "days": notice.days.len(), "sources": notice.sources}),
    )?;
    Ok(year)
}
