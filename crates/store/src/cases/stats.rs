//! Statistics for any unit and period, from the counters (see `counters.rs`
//! for what each number counts): one index range per answer, whatever the
//! number of cases.
//!
//! Periods are whole local days: `[from_ms, to_ms)` covers the days from the
//! one holding `from_ms` to the one holding `to_ms - 1`. Callers need
//! `RegistryRead` and the unit in their scope (department handlers have no
//! statistics here).

use super::counters::{bucket_bounds, day_of, COLS};
use super::scope::Q;
use crate::ctx::{subtree_range, Ctx};
use crate::db::{Conn, Row};
use crate::error::Result;
use crate::{params, units};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use wangge_core::Error as CoreError;

/// The numbers of one unit (its whole subtree) or one category in a period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CaseStats {
    /// First and last local day covered, YYYY-MM-DD.
    pub from: String,
    pub to: String,
    /// 受理: reports received.
    pub received: i64,
    /// 立案
    pub accepted: i64,
    /// 不予立案
    pub rejected: i64,
    pub withdrawn: i64,
    /// Handling reports (处置反馈).
    pub handled: i64,
    /// 结案: closes as fixed, cannot fix or duplicate.
    pub closed: i64,
    /// Closes of cases none of whose stages was overdue (按期结案).
    pub closed_on_time: i64,
    /// 按期结案率 = closed_on_time / closed.
    pub on_time_rate: Option<f64>,
    /// Cases that went past a deadline for the first time.
    pub overdue: i64,
    /// Returns for rework (返工).
    pub rework: i64,
    /// 返工率 = rework / handled.
    pub rework_rate: Option<f64>,
    pub reopened: i64,
    /// Closes with a handling time (fixed, cannot fix).
    pub timed: i64,
    /// Mean working hours from report to close, suspensions left out.
    pub mean_handling_hours: Option<f64>,
    /// 90th percentile of the same, estimated from a histogram whose buckets
    /// are about 19% wide.
    pub p90_handling_hours: Option<f64>,
    pub rating_count: i64,
    /// 满意度: mean rating, 1–5.
    pub mean_rating: Option<f64>,
    /// Supervisions (督办), by people or by the sweep.
    pub escalations: i64,
    /// Compounds in the subtree (unit statistics only).
    pub compounds: Option<i64>,
    /// … of which none had an escalation in the period (零上访小区).
    pub compounds_without_escalation: Option<i64>,
}

/// The numbers of one child of a unit.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ChildStats {
    pub unit: String,
    pub unit_name: String,
    pub kind: String,
    pub stats: CaseStats,
}

/// The numbers of one minor category in a unit's subtree.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CategoryStats {
    pub category: String,
    pub category_name: String,
    /// The major category's code.
    pub major: Option<String>,
    pub stats: CaseStats,
}

fn ymd(day: i64) -> String {
    format!("{:04}-{:02}-{:02}", day / 10000, day / 100 % 100, day % 100)
}

fn period(from_ms: i64, to_ms: i64) -> Result<(i64, i64)> {
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

fn sums_sql() -> String {
    COLS.iter()
        .map(|c| format!("CAST(COALESCE(SUM({c}), 0) AS BIGINT)"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn ratio(a: i64, b: i64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// Builds the numbers from a row of sums (in `COLS` order from `first`) and a
/// histogram.
fn build(r: &Row, first: usize, hist: &BTreeMap<i64, i64>, days: (i64, i64)) -> Result<CaseStats> {
    let mut v = [0i64; 15];
    for (i, slot) in v.iter_mut().enumerate() {
        *slot = r.get(first + i)?;
    }
    let at = |name: &str| COLS.iter().position(|c| *c == name).map_or(0, |i| v[i]);
    let (timed, sum) = (at("timed"), at("time_sum_min"));
    Ok(CaseStats {
        from: ymd(days.0),
        to: ymd(days.1),
        received: at("received"),
        accepted: at("accepted"),
        rejected: at("rejected"),
        withdrawn: at("withdrawn"),
        handled: at("handled"),
        closed: at("closed"),
        closed_on_time: at("closed_on_time"),
        on_time_rate: ratio(at("closed_on_time"), at("closed")),
        overdue: at("overdue"),
        rework: at("rework"),
        rework_rate: ratio(at("rework"), at("handled")),
        reopened: at("reopened"),
        timed,
        mean_handling_hours: (timed > 0).then(|| sum as f64 / timed as f64 / 60.0),
        p90_handling_hours: percentile(hist, 0.9).map(|m| m / 60.0),
        rating_count: at("rating_count"),
        mean_rating: ratio(at("rating_sum"), at("rating_count")),
        escalations: at("escalations"),
        compounds: None,
        compounds_without_escalation: None,
    })
}

/// The `q`-quantile (in minutes) of a histogram of bucket → count,
/// interpolating geometrically inside the bucket where it falls.
pub(crate) fn percentile(hist: &BTreeMap<i64, i64>, q: f64) -> Option<f64> {
    let n: i64 = hist.values().sum();
    if n <= 0 {
        return None;
    }
    let target = (q * n as f64).ceil().max(1.0);
    let mut cum = 0.0;
    for (&b, &count) in hist {
        let count = count as f64;
        if cum + count >= target {
            let frac = ((target - cum) / count).clamp(0.0, 1.0);
            let (lo, hi) = bucket_bounds(b);
            return Some(match hi {
                None => lo,
                Some(hi) if lo <= 0.0 => hi * frac,
                Some(hi) => lo * (hi / lo).powf(frac),
            });
        }
        cum += count;
    }
    None
}

fn unit_for_stats(c: &mut dyn Conn, ctx: &Ctx, code: &str) -> Result<units::Unit> {
    units::get(c, ctx, code)
}

fn hist_for(
    c: &mut dyn Conn,
    unit_ids: &[i64],
    days: (i64, i64),
) -> Result<BTreeMap<(i64, i64), BTreeMap<i64, i64>>> {
    // Keyed by (unit, category); callers merge what they need.
    let mut q = Q::new("SELECT unit_id, category_id, bucket, CAST(SUM(n) AS BIGINT) FROM case_counter_hist WHERE unit_id IN (");
    let marks: Vec<String> = unit_ids.iter().map(|u| q.arg(*u)).collect();
    let (a, b) = (q.arg(days.0), q.arg(days.1));
    q.push(&format!(
        "{}) AND day >= {a} AND day <= {b} GROUP BY unit_id, category_id, bucket",
        marks.join(", ")
    ));
    let mut out: BTreeMap<(i64, i64), BTreeMap<i64, i64>> = BTreeMap::new();
    if unit_ids.is_empty() {
        return Ok(out);
    }
    for r in c.query(&q.sql, &q.args)? {
        *out.entry((r.get(0)?, r.get(1)?))
            .or_default()
            .entry(r.get(2)?)
            .or_default() += r.get::<i64>(3)?;
    }
    Ok(out)
}

fn merged(h: &BTreeMap<(i64, i64), BTreeMap<i64, i64>>, unit: i64) -> BTreeMap<i64, i64> {
    let mut out = BTreeMap::new();
    for ((u, _), buckets) in h {
        if *u == unit {
            for (b, n) in buckets {
                *out.entry(*b).or_default() += n;
            }
        }
    }
    out
}

/// Compounds under `path`, and how many had no escalation in the period;
/// `within` groups them by the child whose subtree holds them.
fn compounds(
    c: &mut dyn Conn,
    path: &str,
    days: (i64, i64),
) -> Result<(Vec<String>, HashSet<String>)> {
    let (lo, hi) = subtree_range(path);
    let all: Vec<String> = c
        .query(
            "SELECT path FROM units WHERE kind = 'compound' AND path >= $1 AND path < $2",
            params![lo.as_str(), hi.as_str()],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect::<Result<_>>()?;
    let escalated: HashSet<String> = c
        .query(
            "SELECT u.path FROM case_counters k JOIN units u ON u.id = k.unit_id
             WHERE u.kind = 'compound' AND u.path >= $1 AND u.path < $2 AND k.day >= $3 AND k.day <= $4
             GROUP BY u.path HAVING SUM(k.escalations) > 0",
            params![lo.as_str(), hi.as_str(), days.0, days.1],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect::<Result<_>>()?;
    Ok((all, escalated))
}

fn with_compounds(
    mut s: CaseStats,
    path: &str,
    all: &[String],
    escalated: &HashSet<String>,
) -> CaseStats {
    let mine: Vec<&String> = all.iter().filter(|p| p.starts_with(path)).collect();
    s.compounds = Some(mine.len() as i64);
    s.compounds_without_escalation = Some(
        mine.iter()
            .filter(|p| !escalated.contains(p.as_str()))
            .count() as i64,
    );
    s
}

/// The numbers of a unit's whole subtree for a period.
pub fn stats(
    c: &mut dyn Conn,
    ctx: &Ctx,
    unit_code: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<CaseStats> {
    let days = period(from_ms, to_ms)?;
    let unit = unit_for_stats(c, ctx, unit_code)?;
    let r = c.query_one(
        &format!(
            "SELECT {} FROM case_counters WHERE unit_id = $1 AND day >= $2 AND day <= $3",
            sums_sql()
        ),
        params![unit.id, days.0, days.1],
    )?;
    let hist = hist_for(c, &[unit.id], days)?;
    let s = build(&r, 0, &merged(&hist, unit.id), days)?;
    let (all, escalated) = compounds(c, &unit.path, days)?;
    Ok(with_compounds(s, &unit.path, &all, &escalated))
}

/// The numbers of each child of a unit (for drilling down a dashboard), in
/// code order; children without any case have zeros.
pub fn stats_by_child(
    c: &mut dyn Conn,
    ctx: &Ctx,
    unit_code: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<ChildStats>> {
    let days = period(from_ms, to_ms)?;
    let unit = unit_for_stats(c, ctx, unit_code)?;
    let children: Vec<(i64, String, String, String, String)> = c
        .query(
            "SELECT id, code, name, kind, path FROM units WHERE parent_id = $1 ORDER BY code",
            params![unit.id],
        )?
        .iter()
        .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .collect::<Result<_>>()?;
    let rows = c.query(
        &format!(
            "SELECT k.unit_id, {} FROM case_counters k JOIN units u ON u.id = k.unit_id
             WHERE u.parent_id = $1 AND k.day >= $2 AND k.day <= $3 GROUP BY k.unit_id",
            sums_sql()
        ),
        params![unit.id, days.0, days.1],
    )?;
    let mut sums: BTreeMap<i64, Row> = BTreeMap::new();
    for r in rows {
        sums.insert(r.get(0)?, r);
    }
    let ids: Vec<i64> = children.iter().map(|ch| ch.0).collect();
    let hist = hist_for(c, &ids, days)?;
    let (all, escalated) = compounds(c, &unit.path, days)?;
    children
        .into_iter()
        .map(|(id, code, name, kind, path)| {
            let s = match sums.get(&id) {
                Some(r) => build(r, 1, &merged(&hist, id), days)?,
                None => CaseStats {
                    from: ymd(days.0),
                    to: ymd(days.1),
                    ..CaseStats::default()
                },
            };
            Ok(ChildStats {
                unit: code,
                unit_name: name,
                kind,
                stats: with_compounds(s, &path, &all, &escalated),
            })
        })
        .collect()
}

/// The numbers of each minor category with any activity in a unit's subtree,
/// in code order.
pub fn stats_by_category(
    c: &mut dyn Conn,
    ctx: &Ctx,
    unit_code: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<CategoryStats>> {
    let days = period(from_ms, to_ms)?;
    let unit = unit_for_stats(c, ctx, unit_code)?;
    let rows = c.query(
        &format!(
            "SELECT x.category_id, cat.code, cat.name_zh, p.code, {} FROM case_counters x
             JOIN case_categories cat ON cat.id = x.category_id
             LEFT JOIN case_categories p ON p.id = cat.parent_id
             WHERE x.unit_id = $1 AND x.day >= $2 AND x.day <= $3
             GROUP BY x.category_id, cat.code, cat.name_zh, p.code ORDER BY cat.code",
            sums_sql()
        ),
        params![unit.id, days.0, days.1],
    )?;
    let hist = hist_for(c, &[unit.id], days)?;
    rows.iter()
        .map(|r| {
            let cat: i64 = r.get(0)?;
            let h = hist.get(&(unit.id, cat)).cloned().unwrap_or_default();
            Ok(CategoryStats {
                category: r.get(1)?,
                category_name: r.get(2)?,
                major: r.get(3)?,
                stats: build(r, 4, &h, days)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_fall_in_the_right_bucket() {
        let b = super::super::counters::bucket_of;
        let mut h = BTreeMap::new();
        for m in [60, 60, 60, 60, 60, 60, 60, 60, 60, 600] {
            *h.entry(b(m)).or_insert(0) += 1;
        }
        let p90 = percentile(&h, 0.9).unwrap_or_default();
        let (lo, hi) = bucket_bounds(b(60));
        assert!(lo <= p90 && p90 <= hi.unwrap_or(f64::MAX), "{p90}");
        let p100 = percentile(&h, 1.0).unwrap_or_default();
        let (lo, hi) = bucket_bounds(b(600));
        assert!(lo <= p100 && p100 <= hi.unwrap_or(f64::MAX), "{p100}");
        assert_eq!(percentile(&BTreeMap::new(), 0.9), None);
    }
}
