//! Deadlines in working hours: time counts only inside office hours on working
//! days, so nights, the lunch break, weekends and holidays are skipped and a
//! make-up Saturday counts like any weekday. All times are local wall-clock
//! times (Asia/Shanghai).
//!
//! Suspended time (挂起) is passed in as intervals and left out of the count. A
//! deadline under suspension is found by subtracting what has been used so far:
//! `due = add_working_minutes(now, limit - used)` with `used` from
//! [`Calendar::working_minutes_between_excluding`].

use super::Calendar;
use crate::error::{Error, Result};
use std::fmt;
use time::{macros::format_description, Duration, PrimitiveDateTime, Time};

/// The periods of a working day, in order and not overlapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeHours {
    periods: Vec<(Time, Time)>,
}

impl Default for OfficeHours {
    /// 08:30–12:00 and 13:30–17:30, the usual hours of a street office.
    fn default() -> Self {
        OfficeHours {
            periods: vec![
                (time::macros::time!(08:30), time::macros::time!(12:00)),
                (time::macros::time!(13:30), time::macros::time!(17:30)),
            ],
        }
    }
}

fn hours_error(zh: impl Into<String>, en: impl Into<String>) -> Error {
    Error::invalid("office_hours", "office_hours", zh, en)
}

impl OfficeHours {
    pub fn new(periods: Vec<(Time, Time)>) -> Result<OfficeHours> {
        if periods.is_empty() {
            return Err(hours_error(
                "办公时间至少需要一个时段",
                "office hours need at least one period",
            ));
        }
        for (i, &(start, end)) in periods.iter().enumerate() {
            if start >= end {
                return Err(hours_error(
                    format!("时段{start}–{end}的结束时间应晚于开始时间"),
                    format!("the period {start}–{end} must end after it starts"),
                ));
            }
            if i > 0 && periods[i - 1].1 > start {
                return Err(hours_error(
                    "办公时段应按时间先后排列且不重叠",
                    "office periods must be in order and must not overlap",
                ));
            }
        }
        Ok(OfficeHours { periods })
    }

    /// Reads `08:30-12:00,13:30-17:30`, the form used in settings.
    pub fn parse(s: &str) -> Result<OfficeHours> {
        let fmt = format_description!("[hour]:[minute]");
        let bad = || {
            hours_error(
                format!("无法识别办公时间“{s}”,应写作 08:30-12:00,13:30-17:30"),
                format!("cannot read office hours '{s}'; write e.g. 08:30-12:00,13:30-17:30"),
            )
        };
        let mut periods = Vec::new();
        for part in s.split(',') {
            let (a, b) = part.trim().split_once('-').ok_or_else(bad)?;
            let a = Time::parse(a.trim(), fmt).map_err(|_| bad())?;
            let b = Time::parse(b.trim(), fmt).map_err(|_| bad())?;
            periods.push((a, b));
        }
        OfficeHours::new(periods)
    }

    pub fn periods(&self) -> &[(Time, Time)] {
        &self.periods
    }

    pub fn minutes_per_day(&self) -> i64 {
        self.periods
            .iter()
            .map(|&(a, b)| (b - a).whole_minutes())
            .sum()
    }
}

impl fmt::Display for OfficeHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (a, b)) in self.periods.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(
                f,
                "{:02}:{:02}-{:02}:{:02}",
                a.hour(),
                a.minute(),
                b.hour(),
                b.minute()
            )?;
        }
        Ok(())
    }
}

impl Calendar {
    /// The instant `minutes` working minutes after `start`. A deadline that
    /// uses up a period exactly ends at that period's end (12:00, not 13:30).
    pub fn add_working_minutes(
        &self,
        hours: &OfficeHours,
        start: PrimitiveDateTime,
        minutes: u32,
    ) -> Result<PrimitiveDateTime> {
        let mut left = Duration::minutes(i64::from(minutes));
        if left.is_zero() {
            return Ok(start);
        }
        let mut day = start.date();
        loop {
            if self.is_workday(day)? {
                for &(a, b) in &hours.periods {
                    let from = day.with_time(a).max(start);
                    let to = day.with_time(b);
                    if to <= from {
                        continue;
                    }
                    let available = to - from;
                    if left <= available {
                        return Ok(from + left);
                    }
                    left -= available;
                }
            }
            day = super::next_day(day)?;
        }
    }

    /// Whole working minutes from `a` to `b`; negative when `b` is before `a`.
    pub fn working_minutes_between(
        &self,
        hours: &OfficeHours,
        a: PrimitiveDateTime,
        b: PrimitiveDateTime,
    ) -> Result<i64> {
        if b < a {
            return Ok(-self.working_minutes_between(hours, b, a)?);
        }
        Ok(self.working_time(hours, a, b)?.whole_minutes())
    }

    /// Like [`Calendar::working_minutes_between`], leaving out the working time
    /// inside `excluded` (suspensions). Overlapping intervals count once, and
    /// parts outside `a..b` are ignored.
    pub fn working_minutes_between_excluding(
        &self,
        hours: &OfficeHours,
        a: PrimitiveDateTime,
        b: PrimitiveDateTime,
        excluded: &[(PrimitiveDateTime, PrimitiveDateTime)],
    ) -> Result<i64> {
        if b < a {
            return Ok(-self.working_minutes_between_excluding(hours, b, a, excluded)?);
        }
        let mut spans: Vec<(PrimitiveDateTime, PrimitiveDateTime)> = excluded
            .iter()
            .map(|&(s, e)| (s.max(a), e.min(b)))
            .filter(|(s, e)| s < e)
            .collect();
        spans.sort();
        let mut merged: Vec<(PrimitiveDateTime, PrimitiveDateTime)> = Vec::new();
        for (s, e) in spans {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        let mut total = self.working_time(hours, a, b)?;
        for (s, e) in merged {
            total -= self.working_time(hours, s, e)?;
        }
        Ok(total.whole_minutes())
    }

    /// Working time in `a..b`, for `a <= b`.
    fn working_time(
        &self,
        hours: &OfficeHours,
        a: PrimitiveDateTime,
        b: PrimitiveDateTime,
    ) -> Result<Duration> {
        let mut total = Duration::ZERO;
        let mut day = a.date();
        while day <= b.date() {
            if self.is_workday(day)? {
                for &(s, e) in &hours.periods {
                    let from = day.with_time(s).max(a);
                    let to = day.with_time(e).min(b);
                    if to > from {
                        total += to - from;
                    }
                }
            }
            if day == b.date() {
                break;
            }
            day = super::next_day(day)?;
        }
        Ok(total)
    }
}
