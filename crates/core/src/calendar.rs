//! The working-day calendar: statutory holidays and make-up working days (调休)
//! from the State Council's yearly notices, and deadline arithmetic on it.
//!
//! The notices for 2020–2026 are built in; later years are added from a small
//! text file (see [`file`](mod@file) for its format) that an administrator types in from
//! the notice each November. A date whose year has no notice is an error
//! (`calendar_year_missing`), never a guess from weekends alone: a deadline
//! computed without the Spring Festival would be wrong by a week.
//!
//! Periods follow 《民法典》 Art. 201 and 203: the day an event happens does not
//! count, and a period whose last day is a rest day ends on the next working day.
//! Office-hour arithmetic lives in [`hours`]. Times are local (Asia/Shanghai);
//! [`to_local`] and [`from_local`] convert from and to the stored UTC.

mod builtin;
pub mod file;
pub mod hours;
#[cfg(test)]
mod tests;

pub use hours::OfficeHours;

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset, Weekday};

/// China has kept UTC+8 without daylight saving since 1991, so a fixed offset is
/// exact for every date the platform handles.
pub const SHANGHAI: UtcOffset = time::macros::offset!(+8);

/// The local (Asia/Shanghai) wall-clock time of an instant.
pub fn to_local(at: OffsetDateTime) -> PrimitiveDateTime {
    let local = at.to_offset(SHANGHAI);
    PrimitiveDateTime::new(local.date(), local.time())
}

/// The instant of a local (Asia/Shanghai) wall-clock time.
pub fn from_local(at: PrimitiveDateTime) -> OffsetDateTime {
    at.assume_offset(SHANGHAI)
}

crate::wire_enum! {
    /// The festival a notice item belongs to.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Festival {
        /// 元旦
        NewYear => "new_year",
        /// 春节
        SpringFestival => "spring_festival",
        /// 清明节
        Qingming => "qingming",
        /// 劳动节
        LabourDay => "labour_day",
        /// 端午节
        DragonBoat => "dragon_boat",
        /// 中秋节
        MidAutumn => "mid_autumn",
        /// 国庆节
        NationalDay => "national_day",
        /// 国庆节、中秋节: one item in the notices of years when the two run together.
        NationalDayMidAutumn => "national_day_mid_autumn",
        /// Anything else a later notice may add.
        Other => "other",
    }
}

impl Festival {
    pub fn label_zh(self) -> &'static str {
        match self {
            Festival::NewYear => "元旦",
            Festival::SpringFestival => "春节",
            Festival::Qingming => "清明节",
            Festival::LabourDay => "劳动节",
            Festival::DragonBoat => "端午节",
            Festival::MidAutumn => "中秋节",
            Festival::NationalDay => "国庆节",
            Festival::NationalDayMidAutumn => "国庆节、中秋节",
            Festival::Other => "其他",
        }
    }

    /// Accepts the code name or the Chinese name.
    pub fn parse(s: &str) -> Option<Festival> {
        Festival::ALL
            .into_iter()
            .find(|f| f.as_str() == s || f.label_zh() == s)
    }
}

crate::wire_enum! {
    /// What a notice makes of a day.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum DayKind {
        /// 放假: a day off, whatever day of the week it is.
        Holiday => "holiday",
        /// 调休上班: a Saturday or Sunday that is worked.
        Workday => "workday",
    }
}

impl DayKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            DayKind::Holiday => "放假",
            DayKind::Workday => "上班",
        }
    }
}

/// A day a notice names, with the notice year it came from (the 2023 notice
/// names 31 December 2022).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialDay {
    pub date: Date,
    pub kind: DayKind,
    pub festival: Festival,
    pub notice_year: i32,
}

/// One year's notice as the calendar holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub year: i32,
    /// Where the notice was published; the first is the notice itself, any
    /// later one amends it.
    pub sources: Vec<String>,
    /// True when the notice came from an extra file rather than the built-in table.
    pub from_file: bool,
    pub days: BTreeMap<Date, (DayKind, Festival)>,
}

/// Working days for the years whose notices it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    notices: BTreeMap<i32, Notice>,
    /// Every named day of every notice, later notices winning on a clash.
    days: BTreeMap<Date, SpecialDay>,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar::builtin()
    }
}

impl Calendar {
    /// The built-in notices, 2020–2026.
    pub fn builtin() -> Calendar {
        let notices = builtin::NOTICES.iter().map(|n| {
            let mut days = BTreeMap::new();
            for item in n.items {
                let mut d = item.first;
                while d <= item.last {
                    days.insert(d, (DayKind::Holiday, item.festival));
                    match d.next_day() {
                        Some(next) => d = next,
                        None => break,
                    }
                }
                for &m in item.make_up {
                    days.insert(m, (DayKind::Workday, item.festival));
                }
            }
            Notice {
                year: n.year,
                sources: n.sources.iter().map(|s| s.to_string()).collect(),
                from_file: false,
                days,
            }
        });
        Calendar::from_notices(notices)
    }

    /// The built-in notices plus those of an extra file; a year in the file
    /// replaces the built-in one.
    pub fn with_extra(text: &str) -> Result<Calendar> {
        let mut cal = Calendar::builtin();
        cal.extend(text)?;
        Ok(cal)
    }

    /// Adds (or replaces) the years of an extra file. Nothing changes on error.
    pub fn extend(&mut self, text: &str) -> Result<()> {
        let parsed = file::parse(text)?;
        let mut notices = std::mem::take(&mut self.notices);
        for n in parsed {
            notices.insert(n.year, n);
        }
        *self = Calendar::from_notices(notices.into_values());
        Ok(())
    }

    fn from_notices(notices: impl IntoIterator<Item = Notice>) -> Calendar {
        let notices: BTreeMap<i32, Notice> = notices.into_iter().map(|n| (n.year, n)).collect();
        let mut days = BTreeMap::new();
        for n in notices.values() {
            for (&date, &(kind, festival)) in &n.days {
                days.insert(
                    date,
                    SpecialDay {
                        date,
                        kind,
                        festival,
                        notice_year: n.year,
                    },
                );
            }
        }
        Calendar { notices, days }
    }

    /// The years this calendar can answer for.
    pub fn years(&self) -> Vec<i32> {
        self.notices.keys().copied().collect()
    }

    pub fn notice(&self, year: i32) -> Option<&Notice> {
        self.notices.get(&year)
    }

    /// All notices in the text format of [`file`](mod@file), for export and review.
    pub fn to_text(&self) -> String {
        file::format(self.notices.values())
    }

    fn check_year(&self, date: Date) -> Result<()> {
        let y = date.year();
        if self.notices.contains_key(&y) {
            return Ok(());
        }
        Err(Error::conflict(
            "calendar_year_missing",
            format!("工作日历中没有{y}年的节假日安排,请先导入国务院办公厅{y}年部分节假日安排的通知"),
            format!("the working-day calendar has no holiday arrangements for {y}; import the State Council's notice for {y} first"),
        ))
    }

    /// The notice's entry for a date, if it names it.
    pub fn special_day(&self, date: Date) -> Result<Option<SpecialDay>> {
        self.check_year(date)?;
        Ok(self.days.get(&date).copied())
    }

    pub fn is_workday(&self, date: Date) -> Result<bool> {
        Ok(match self.special_day(date)? {
            Some(s) => s.kind == DayKind::Workday,
            None => !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday),
        })
    }

    /// The date itself if it is a working day, else the next working day.
    pub fn workday_on_or_after(&self, date: Date) -> Result<Date> {
        let mut d = date;
        while !self.is_workday(d)? {
            d = next_day(d)?;
        }
        Ok(d)
    }

    /// The `n`-th working day after `start` (the start day itself never counts).
    /// With `n == 0` it is `start` when that is a working day, else the next one:
    /// a same-day deadline on a rest day falls due on the next working day.
    pub fn add_workdays(&self, start: Date, n: u32) -> Result<Date> {
        let mut d = start;
        let mut left = n;
        if left == 0 {
            return self.workday_on_or_after(d);
        }
        while left > 0 {
            d = next_day(d)?;
            if self.is_workday(d)? {
                left -= 1;
            }
        }
        Ok(d)
    }

    /// The last day of a period of `n` calendar days from `start` (《民法典》
    /// Art. 201, 203): `start + n`, moved to the next working day if it is a rest day.
    pub fn add_days(&self, start: Date, n: u32) -> Result<Date> {
        let end = start
            .checked_add(time::Duration::days(i64::from(n)))
            .ok_or_else(date_range_error)?;
        self.workday_on_or_after(end)
    }

    /// The working days in `(a, b]`: after `a`, up to and including `b`; negative
    /// when `b` is before `a`. So `workdays_between(d, add_workdays(d, n)) == n`.
    pub fn workdays_between(&self, a: Date, b: Date) -> Result<i64> {
        if b < a {
            return Ok(-self.workdays_between(b, a)?);
        }
        let mut count = 0;
        let mut d = a;
        while d < b {
            d = next_day(d)?;
            if self.is_workday(d)? {
                count += 1;
            }
        }
        Ok(count)
    }
}

fn date_range_error() -> Error {
    Error::invalid(
        "date",
        "date_range",
        "日期超出可计算的范围",
        "the date is outside the range that can be computed",
    )
}

fn next_day(d: Date) -> Result<Date> {
    d.next_day().ok_or_else(date_range_error)
}
