//! Recurring plans: a target is due again one interval after its last visit
//! (a yearly certification, a monthly assessment, a visit every 60 days).

use crate::error::{Error, Result};
use time::{Date, Duration, Month};

crate::wire_enum! {
    /// How often a recurring plan's targets are due.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Recurrence {
        /// 每年: on the same day a year later.
        Yearly => "yearly",
        /// 每月: on the same day the next month (the month's last day when it
        /// has no such day).
        Monthly => "monthly",
        /// 每N天: `recurrence_days` after the last visit.
        EveryNDays => "every_n_days",
    }
    parse: exact;
}

/// The longest interval in days (ten years).
pub const MAX_DAYS: i64 = 3660;

/// A checked recurrence: what a plan stores and how due dates follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    Yearly,
    Monthly,
    Days(i64),
}

/// Checks a plan's `recurrence` and `recurrence_days` together; none when the
/// plan does not recur.
pub fn check_recurrence(every: Option<Recurrence>, days: Option<i64>) -> Result<Option<Cadence>> {
    match (every, days) {
        (None, None) => Ok(None),
        (Some(Recurrence::Yearly), None) => Ok(Some(Cadence::Yearly)),
        (Some(Recurrence::Monthly), None) => Ok(Some(Cadence::Monthly)),
        (Some(Recurrence::EveryNDays), Some(n)) if (1..=MAX_DAYS).contains(&n) => {
            Ok(Some(Cadence::Days(n)))
        }
        (Some(Recurrence::EveryNDays), Some(n)) => Err(Error::invalid(
            "recurrence_days",
            "recurrence_days_range",
            format!("周期天数{n}应在1到{MAX_DAYS}之间"),
            format!("recurrence_days {n} must be between 1 and {MAX_DAYS}"),
        )),
        (Some(Recurrence::EveryNDays), None) => Err(Error::invalid(
            "recurrence_days",
            "required",
            "按天循环的计划须给出周期天数",
            "a plan recurring every N days needs recurrence_days",
        )),
        (_, Some(_)) => Err(Error::invalid(
            "recurrence_days",
            "recurrence_days_unused",
            "只有按天循环(every_n_days)的计划才有周期天数",
            "recurrence_days goes only with recurrence every_n_days",
        )),
    }
}

impl Cadence {
    /// What a plan row stores: the wire name and the days.
    pub fn stored(self) -> (Recurrence, Option<i64>) {
        match self {
            Cadence::Yearly => (Recurrence::Yearly, None),
            Cadence::Monthly => (Recurrence::Monthly, None),
            Cadence::Days(n) => (Recurrence::EveryNDays, Some(n)),
        }
    }

    /// Reads what [`Cadence::stored`] wrote; none for a value no version wrote.
    pub fn from_stored(every: &str, days: Option<i64>) -> Option<Cadence> {
        match (Recurrence::parse(every)?, days) {
            (Recurrence::Yearly, _) => Some(Cadence::Yearly),
            (Recurrence::Monthly, _) => Some(Cadence::Monthly),
            (Recurrence::EveryNDays, Some(n)) if n > 0 => Some(Cadence::Days(n)),
            (Recurrence::EveryNDays, _) => None,
        }
    }

    /// The date one interval after `from`.
    pub fn next(self, from: Date) -> Date {
        match self {
            Cadence::Yearly => add_months(from, 12),
            Cadence::Monthly => add_months(from, 1),
            Cadence::Days(n) => from.checked_add(Duration::days(n)).unwrap_or(Date::MAX),
        }
    }
}

/// `months` later, on the same day or the month's last day.
fn add_months(d: Date, months: i32) -> Date {
    let index = d.year() * 12 + (d.month() as i32 - 1) + months;
    let (year, month0) = (index.div_euclid(12), index.rem_euclid(12));
    let month = Month::try_from(month0 as u8 + 1).unwrap_or(Month::December);
    let last = month.length(year);
    Date::from_calendar_date(year, month, d.day().min(last)).unwrap_or(Date::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn intervals_follow_the_calendar() {
        assert_eq!(
            Cadence::Monthly.next(date!(2026 - 01 - 31)),
            date!(2026 - 02 - 28)
        );
        assert_eq!(
            Cadence::Monthly.next(date!(2026 - 12 - 15)),
            date!(2027 - 01 - 15)
        );
        assert_eq!(
            Cadence::Yearly.next(date!(2024 - 02 - 29)),
            date!(2025 - 02 - 28)
        );
        assert_eq!(
            Cadence::Days(60).next(date!(2026 - 01 - 01)),
            date!(2026 - 03 - 02)
        );
    }

    #[test]
    fn a_recurrence_is_checked_with_its_days() {
        use Recurrence::*;
        assert_eq!(check_recurrence(None, None), Ok(None));
        assert_eq!(
            check_recurrence(Some(EveryNDays), Some(60)),
            Ok(Some(Cadence::Days(60)))
        );
        let code = |e: Option<Recurrence>, d: Option<i64>| match check_recurrence(e, d) {
            Err(Error::Invalid { code, .. }) => code,
            other => panic!("{other:?}"),
        };
        assert_eq!(code(Some(EveryNDays), None), "required");
        assert_eq!(code(Some(EveryNDays), Some(0)), "recurrence_days_range");
        assert_eq!(code(Some(Monthly), Some(30)), "recurrence_days_unused");
        assert_eq!(code(None, Some(30)), "recurrence_days_unused");
    }
}
