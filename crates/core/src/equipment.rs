//! Special equipment (特种设备): elevators and escalators, their periodic
//! inspection (定期检验) and maintenance (维护保养) dates and the alerts those
//! dates raise; and the construction-site registry's few rules.
//!
//! Everything is a pure function of dates: "today" is always a parameter.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month};

mod kinds;

pub use kinds::{AlertKind, EquipmentKind, EquipmentStatus, InspectionResult, SiteStatus};

/// Maintenance every 15 days unless the equipment's record says otherwise
/// (the usual interval for elevators under TSG T5002).
pub const DEFAULT_MAINTENANCE_DAYS: i64 = 15;
/// The longest maintenance interval accepted; anything longer is a typo.
pub const MAX_MAINTENANCE_DAYS: i64 = 365;
/// Alerts look this many days ahead unless the caller asks otherwise.
pub const DEFAULT_ALERT_DAYS: i64 = 30;
pub const MAX_ALERT_DAYS: i64 = 365;

/// Checks a status change. A scrapped piece of equipment is gone for good: it
/// is re-registered under a new code if it ever returns.
pub fn check_status_change(from: EquipmentStatus, to: EquipmentStatus) -> Result<()> {
    if from == EquipmentStatus::Scrapped && to != EquipmentStatus::Scrapped {
        return Err(Error::conflict(
            "equipment_scrapped",
            "设备已报废,不能再改变状态",
            "the equipment is scrapped; its status cannot change any more",
        ));
    }
    Ok(())
}

/// The status after a periodic inspection: equipment that failed may not stay
/// in use (特种设备安全法 art. 40), so it is stopped; a pass does not restart a
/// stopped lift by itself, because the use unit decides when it runs again.
pub fn status_after_inspection(
    current: EquipmentStatus,
    result: InspectionResult,
) -> EquipmentStatus {
    match (current, result) {
        (EquipmentStatus::InUse, InspectionResult::Fail) => EquipmentStatus::Stopped,
        (s, _) => s,
    }
}

/// Normalises and checks a registration code (使用登记证编号 or the 20-digit
/// equipment code). Real codes mix digits, Latin letters, a CJK prefix and
/// brackets (梯11鲁R00123(20)); nothing more is known for sure, so the rule is
/// only: 4 to 40 such characters, no spaces. Full-width brackets become
/// ASCII and Latin letters upper case, so the same code typed two ways is one
/// code for the uniqueness check.
pub fn normalise_registration_code(s: &str) -> Result<String> {
    let bad = |code: &'static str, zh: String, en: String| {
        Err(Error::invalid("registration_code", code, zh, en))
    };
    let code: String = s
        .trim()
        .chars()
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '－' | '—' => '-',
            c => c.to_ascii_uppercase(),
        })
        .collect();
    let n = code.chars().count();
    if n == 0 {
        return bad(
            "required",
            "注册代码不能为空".into(),
            "the registration code must not be empty".into(),
        );
    }
    if !(4..=40).contains(&n) {
        return bad(
            "registration_code_length",
            format!("注册代码应为4到40个字符(现为{n}个)"),
            format!("a registration code has 4 to 40 characters (got {n})"),
        );
    }
    let allowed =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '(' | ')' | '-' | '/') || is_cjk(c);
    if let Some(c) = code.chars().find(|&c| !allowed(c)) {
        return bad(
            "registration_code_character",
            format!("注册代码不能包含“{c}”:只能使用数字、字母、汉字、括号、“-”和“/”"),
            format!(
                "a registration code may not contain '{c}': only digits, letters, Chinese characters, brackets, '-' and '/'"
            ),
        );
    }
    Ok(code)
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}')
}

/// Checks the maintenance interval in days.
pub fn check_interval(days: i64) -> Result<i64> {
    if (1..=MAX_MAINTENANCE_DAYS).contains(&days) {
        Ok(days)
    } else {
        Err(Error::invalid(
            "maintenance_interval_days",
            "maintenance_interval",
            format!("维保周期应在1到{MAX_MAINTENANCE_DAYS}天之间"),
            format!("the maintenance interval must be 1 to {MAX_MAINTENANCE_DAYS} days"),
        ))
    }
}

/// Checks the look-ahead of an alert list.
pub fn check_alert_days(days: i64) -> Result<i64> {
    if (0..=MAX_ALERT_DAYS).contains(&days) {
        Ok(days)
    } else {
        Err(Error::invalid(
            "within_days",
            "alert_days",
            format!("提前提醒天数应在0到{MAX_ALERT_DAYS}之间"),
            format!("the alert look-ahead must be 0 to {MAX_ALERT_DAYS} days"),
        ))
    }
}

/// The same day one year later (29 February becomes 28 February): periodic
/// inspection of elevators is annual.
pub fn next_inspection_after(last: Date) -> Date {
    let year = last.year() + 1;
    Date::from_calendar_date(year, last.month(), last.day())
        .or_else(|_| Date::from_calendar_date(year, Month::February, 28))
        .unwrap_or(last)
}

/// When the next maintenance is due: `interval` days after the last one, or
/// after installation if none is recorded yet.
pub fn maintenance_due(
    installed_on: Date,
    last_maintained_on: Option<Date>,
    interval: i64,
) -> Date {
    last_maintained_on.unwrap_or(installed_on) + Duration::days(interval)
}

/// The dates of a registration, checked together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dates {
    pub installed_on: Date,
    pub last_inspected_on: Option<Date>,
    /// `None` means "a year after the last inspection" (or after installation).
    pub next_inspection_due: Option<Date>,
}

/// Checks installation ≤ last inspection ≤ today and next inspection after
/// both, and answers the next inspection date (annual by default).
pub fn check_dates(d: Dates, today: Date) -> Result<Date> {
    if d.installed_on > today {
        return Err(Error::invalid(
            "installed_on",
            "date_in_future",
            "安装日期不能晚于今天",
            "the installation date cannot be in the future",
        ));
    }
    if let Some(last) = d.last_inspected_on {
        if last < d.installed_on {
            return Err(Error::invalid(
                "last_inspected_on",
                "dates_order",
                "上次检验日期不能早于安装日期",
                "the last inspection cannot be before the installation",
            ));
        }
        if last > today {
            return Err(Error::invalid(
                "last_inspected_on",
                "date_in_future",
                "上次检验日期不能晚于今天",
                "the last inspection cannot be in the future",
            ));
        }
    }
    let base = d.last_inspected_on.unwrap_or(d.installed_on);
    let next = d
        .next_inspection_due
        .unwrap_or_else(|| next_inspection_after(base));
    if next < d.installed_on {
        return Err(Error::invalid(
            "next_inspection_due",
            "dates_order",
            "下次检验日期不能早于安装日期",
            "the next inspection cannot be before the installation",
        ));
    }
    if d.last_inspected_on.is_some_and(|last| next <= last) {
        return Err(Error::invalid(
            "next_inspection_due",
            "dates_order",
            "下次检验日期必须晚于上次检验日期",
            "the next inspection must be after the last one",
        ));
    }
    Ok(next)
}

/// Checks the date of a maintenance visit or periodic inspection: not before
/// installation, not in the future.
pub fn check_event_date(field: &str, on: Date, installed_on: Date, today: Date) -> Result<()> {
    if on < installed_on {
        return Err(Error::invalid(
            field,
            "dates_order",
            "日期不能早于设备安装日期",
            "the date cannot be before the equipment was installed",
        ));
    }
    if on > today {
        return Err(Error::invalid(
            field,
            "date_in_future",
            "日期不能晚于今天",
            "the date cannot be in the future",
        ));
    }
    Ok(())
}

/// One alert with the day it concerns and how far that is from today
/// (negative: days left; positive: days overdue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Alert {
    pub kind: AlertKind,
    #[serde(with = "crate::equipment::date_format")]
    #[schema(value_type = String, format = Date)]
    pub due: Date,
    pub days_overdue: i64,
}

/// The last day whose inspection due date still raises an alert today: the
/// store's SQL selects `next_inspection_due <= horizon` with this value.
pub fn inspection_horizon(today: Date, within_days: i64) -> Date {
    today + Duration::days(within_days)
}

/// The alerts of one piece of equipment today, most urgent first. Only
/// equipment in use raises alerts: stopped equipment must be inspected before
/// it runs again anyway, and scrapped equipment is gone. The due day itself is
/// not overdue: an inspection due today can still be done today.
pub fn alerts(
    status: EquipmentStatus,
    next_inspection_due: Date,
    maintenance_due: Date,
    today: Date,
    within_days: i64,
) -> Vec<Alert> {
    let mut out = Vec::new();
    if status != EquipmentStatus::InUse {
        return out;
    }
    let late = |due: Date| (today - due).whole_days();
    if next_inspection_due < today {
        out.push(Alert {
            kind: AlertKind::InspectionOverdue,
            due: next_inspection_due,
            days_overdue: late(next_inspection_due),
        });
    } else if next_inspection_due <= inspection_horizon(today, within_days) {
        out.push(Alert {
            kind: AlertKind::InspectionDue,
            due: next_inspection_due,
            days_overdue: late(next_inspection_due),
        });
    }
    if maintenance_due < today {
        out.push(Alert {
            kind: AlertKind::MaintenanceOverdue,
            due: maintenance_due,
            days_overdue: late(maintenance_due),
        });
    }
    out.sort_by_key(|a| std::cmp::Reverse(a.days_overdue));
    out
}

/// Checks a construction period: the end, when known, is not before the start.
pub fn check_site_period(starts_on: Date, ends_on: Option<Date>) -> Result<()> {
    match ends_on {
        Some(end) if end < starts_on => Err(Error::invalid(
            "ends_on",
            "dates_order",
            "竣工日期不能早于开工日期",
            "the construction cannot end before it starts",
        )),
        _ => Ok(()),
    }
}

/// Parses a `YYYY-MM-DD` date, naming the field when it is not one.
pub fn parse_date(field: &str, s: &str) -> Result<Date> {
    Date::parse(s.trim(), date_format::FORMAT).map_err(|_| {
        Error::invalid(
            field,
            "date",
            format!("“{s}”不是有效日期,应为YYYY-MM-DD"),
            format!("'{s}' is not a valid date; use YYYY-MM-DD"),
        )
    })
}

/// `YYYY-MM-DD` in JSON, the way dates are stored.
pub mod date_format {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::format_description::FormatItem;
    use time::macros::format_description;
    use time::Date;

    pub const FORMAT: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]");

    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        let text = d.format(FORMAT).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        Date::parse(&s, FORMAT).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
