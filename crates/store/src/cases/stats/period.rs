//! Periods of whole local days, and how the roll-ups cut them: the whole
//! months inside from the monthly rows, the days left at either end from the
//! daily ones.

use super::super::counters::day_of;
use crate::error::Result;
use wangge_core::Error as CoreError;

pub(super) fn ymd(day: i64) -> String {
    format!("{:04}-{:02}-{:02}", day / 10000, day / 100 % 100, day % 100)
}

pub(super) fn period(from_ms: i64, to_ms: i64) -> Result<(i64, i64)> {
    if to_ms <= from_ms {
        return Err(CoreError::invalid(
            "to",
            "period",
            "统计区间的结束时间应晚于开始时间",
            "the end of the period must be after its start",
        )
        .into());
    }
    Ok((day_of(from_ms), day_of(to_ms - 1)))
}

/// A period cut for the roll-ups: the whole local months inside it
/// (YYYYMM, inclusive) and the day ranges (YYYYMMDD, inclusive) left over at
/// either end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Span {
    pub months: Option<(i64, i64)>,
    pub days: Vec<(i64, i64)>,
}

fn date_of(day: i64) -> Option<time::Date> {
    let month = time::Month::try_from(u8::try_from(day / 100 % 100).ok()?).ok()?;
    time::Date::from_calendar_date(
        i32::try_from(day / 10000).ok()?,
        month,
        u8::try_from(day % 100).ok()?,
    )
    .ok()
}

fn next_month(m: i64) -> i64 {
    if m % 100 == 12 {
        (m / 100 + 1) * 100 + 1
    } else {
        m + 1
    }
}

fn prev_month(m: i64) -> i64 {
    if m % 100 == 1 {
        (m / 100 - 1) * 100 + 12
    } else {
        m - 1
    }
}

pub(super) fn span(days: (i64, i64)) -> Span {
    let (d0, d1) = days;
    let first = if d0 % 100 == 1 {
        d0 / 100
    } else {
        next_month(d0 / 100)
    };
    let ends_month = date_of(d1)
        .and_then(|d| d.next_day())
        .is_some_and(|n| n.day() == 1);
    let last = if ends_month {
        d1 / 100
    } else {
        prev_month(d1 / 100)
    };
    if first > last {
        return Span {
            months: None,
            days: vec![(d0, d1)],
        };
    }
    // Day numbers are YYYYMMDD with DD ≤ 31, so `m * 100` sorts before the
    // first day of month m and `m * 100 + 32` after its last.
    let mut rest = Vec::new();
    if d0 <= first * 100 {
        rest.push((d0, first * 100));
    }
    if last * 100 + 32 <= d1 {
        rest.push((last * 100 + 32, d1));
    }
    Span {
        months: Some((first, last)),
        days: rest,
    }
}

impl Span {
    /// The (table, key column, low, high) ranges to read, with `day_table`
    /// for the days and `month_table` for the months.
    pub fn parts<'a>(
        &self,
        day_table: &'a str,
        month_table: &'a str,
    ) -> Vec<(&'a str, &'static str, i64, i64)> {
        let mut out: Vec<_> = self
            .days
            .iter()
            .map(|&(a, b)| (day_table, "day", a, b))
            .collect();
        if let Some((a, b)) = self.months {
            out.push((month_table, "month", a, b));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_split_into_whole_months_and_edge_days() {
        let whole = |m: Option<(i64, i64)>, d: &[(i64, i64)]| Span {
            months: m,
            days: d.to_vec(),
        };
        // A year ending yesterday: partial months at both ends.
        assert_eq!(
            span((20251125, 20261123)),
            whole(
                Some((202512, 202610)),
                &[(20251125, 20251200), (20261032, 20261123)]
            )
        );
        // Exactly whole months, across a year end and a leap February.
        assert_eq!(
            span((20231201, 20240229)),
            whole(Some((202312, 202402)), &[])
        );
        assert_eq!(
            span((20240201, 20240228)),
            whole(None, &[(20240201, 20240228)])
        );
        // Inside one month, and a single day.
        assert_eq!(
            span((20261105, 20261120)),
            whole(None, &[(20261105, 20261120)])
        );
        assert_eq!(
            span((20261130, 20261130)),
            whole(None, &[(20261130, 20261130)])
        );
        // The last day of a month alone, and a month that ends on Dec 31.
        assert_eq!(
            span((20261201, 20261231)),
            whole(Some((202612, 202612)), &[])
        );
        assert_eq!(
            span((20261130, 20270101)),
            whole(
                Some((202612, 202612)),
                &[(20261130, 20261200), (20261232, 20270101)]
            )
        );
    }
}
