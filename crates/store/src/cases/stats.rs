//! Statistics for any unit and period, from the counters (see `counters.rs`
//! for what each number counts) and their roll-ups (migration 0008): the
//! whole months inside a period are read from the monthly rows, only the days
//! of the partial months at either end from the daily ones, so a year is
//! about 12 + 60 rows per category whatever the number of cases.
//!
//! Periods are whole local days: `[from_ms, to_ms)` covers the days from the
//! one holding `from_ms` to the one holding `to_ms - 1`. Callers need
//! `RegistryRead` and the unit in their scope (department handlers have no
//! statistics here).

mod period;

use super::counters::{bucket_bounds, COLS, NCOLS};
use super::scope::Q;
use crate::ctx::{subtree_range, Ctx};
use crate::db::Conn;
use crate::error::Result;
use crate::{params, units};
use period::{period, span, ymd, Span};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

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
    /// 自行处置: closes by the staff who reported the problem and dealt with
    /// it there; they are also in `closed`.
    pub on_spot: i64,
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

fn sums_sql() -> String {
    COLS.iter()
        .map(|c| format!("CAST(COALESCE(SUM({c}), 0) AS BIGINT)"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn ratio(a: i64, b: i64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

type Sums = [i64; NCOLS];

fn add_into(acc: &mut Sums, r: &crate::db::Row, first: usize) -> Result<()> {
    for (i, slot) in acc.iter_mut().enumerate() {
        *slot += r.get::<i64>(first + i)?;
    }
    Ok(())
}

/// Builds the numbers from the sums (in `COLS` order) and a histogram.
fn build(v: &Sums, hist: &BTreeMap<i64, i64>, days: (i64, i64)) -> CaseStats {
    let at = |name: &str| COLS.iter().position(|c| *c == name).map_or(0, |i| v[i]);
    let (timed, sum) = (at("timed"), at("time_sum_min"));
    CaseStats {
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
        on_spot: at("on_spot"),
        compounds: None,
        compounds_without_escalation: None,
    }
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

/// The handling-time histogram of each of `unit_ids` (without the category).
fn hist_for(
    c: &mut dyn Conn,
    unit_ids: &[i64],
    sp: &Span,
) -> Result<BTreeMap<i64, BTreeMap<i64, i64>>> {
    let mut out: BTreeMap<i64, BTreeMap<i64, i64>> = BTreeMap::new();
    if unit_ids.is_empty() {
        return Ok(out);
    }
    for (table, key, lo, hi) in sp.parts("case_hist_day", "case_hist_month") {
        let mut q = Q::new(format!(
            "SELECT unit_id, bucket, CAST(SUM(n) AS BIGINT) FROM {table} WHERE unit_id IN ("
        ));
        let marks: Vec<String> = unit_ids.iter().map(|u| q.arg(*u)).collect();
        let (a, b) = (q.arg(lo), q.arg(hi));
        q.push(&format!(
            "{}) AND {key} >= {a} AND {key} <= {b} GROUP BY unit_id, bucket",
            marks.join(", ")
        ));
        for r in c.query(&q.sql, &q.args)? {
            *out.entry(r.get(0)?)
                .or_default()
                .entry(r.get(1)?)
                .or_default() += r.get::<i64>(2)?;
        }
    }
    Ok(out)
}

/// The histogram of each category in one unit's subtree.
fn hist_by_category(
    c: &mut dyn Conn,
    unit_id: i64,
    sp: &Span,
) -> Result<BTreeMap<i64, BTreeMap<i64, i64>>> {
    let mut out: BTreeMap<i64, BTreeMap<i64, i64>> = BTreeMap::new();
    for (table, key, lo, hi) in sp.parts("case_counter_hist", "case_hist_cat_month") {
        let rows = c.query(
            &format!(
                "SELECT category_id, bucket, CAST(SUM(n) AS BIGINT) FROM {table}
                 WHERE unit_id = $1 AND {key} >= $2 AND {key} <= $3 GROUP BY category_id, bucket"
            ),
            params![unit_id, lo, hi],
        )?;
        for r in rows {
            *out.entry(r.get(0)?)
                .or_default()
                .entry(r.get(1)?)
                .or_default() += r.get::<i64>(2)?;
        }
    }
    Ok(out)
}

/// Compounds under `path`, and those with an escalation in the period.
fn compounds(c: &mut dyn Conn, path: &str, sp: &Span) -> Result<(Vec<String>, HashSet<String>)> {
    let (lo, hi) = subtree_range(path);
    let all: Vec<String> = c
        .query(
            "SELECT path FROM units WHERE kind = 'compound' AND path >= $1 AND path < $2",
            params![lo.as_str(), hi.as_str()],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect::<Result<_>>()?;
    // Summed over both parts before testing, as a moved case can leave a
    // negative day beside a positive month.
    let mut sums: BTreeMap<String, i64> = BTreeMap::new();
    for (table, key, a, b) in sp.parts("case_esc_day", "case_esc_month") {
        let rows = c.query(
            &format!(
                "SELECT u.path, CAST(SUM(k.n) AS BIGINT) FROM {table} k JOIN units u ON u.id = k.unit_id
                 WHERE u.kind = 'compound' AND u.path >= $1 AND u.path < $2 AND k.{key} >= $3 AND k.{key} <= $4
                 GROUP BY u.path"
            ),
            params![lo.as_str(), hi.as_str(), a, b],
        )?;
        for r in rows {
            *sums.entry(r.get(0)?).or_default() += r.get::<i64>(1)?;
        }
    }
    let escalated = sums
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(p, _)| p)
        .collect();
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
    let sp = span(days);
    let unit = unit_for_stats(c, ctx, unit_code)?;
    let mut sums = [0i64; NCOLS];
    for (table, key, lo, hi) in sp.parts("case_counters", "case_counters_month") {
        let r = c.query_one(
            &format!(
                "SELECT {} FROM {table} WHERE unit_id = $1 AND {key} >= $2 AND {key} <= $3",
                sums_sql()
            ),
            params![unit.id, lo, hi],
        )?;
        add_into(&mut sums, &r, 0)?;
    }
    let hist = hist_for(c, &[unit.id], &sp)?;
    let s = build(
        &sums,
        &hist.get(&unit.id).cloned().unwrap_or_default(),
        days,
    );
    let (all, escalated) = compounds(c, &unit.path, &sp)?;
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
    let sp = span(days);
    let unit = unit_for_stats(c, ctx, unit_code)?;
    let children: Vec<(i64, String, String, String, String)> = c
        .query(
            "SELECT id, code, name, kind, path FROM units WHERE parent_id = $1 ORDER BY code",
            params![unit.id],
        )?
        .iter()
        .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .collect::<Result<_>>()?;
    let mut sums: BTreeMap<i64, Sums> = BTreeMap::new();
    for (table, key, lo, hi) in sp.parts("case_counters", "case_counters_month") {
        let rows = c.query(
            &format!(
                "SELECT k.unit_id, {} FROM {table} k JOIN units u ON u.id = k.unit_id
                 WHERE u.parent_id = $1 AND k.{key} >= $2 AND k.{key} <= $3 GROUP BY k.unit_id",
                sums_sql()
            ),
            params![unit.id, lo, hi],
        )?;
        for r in rows {
            add_into(sums.entry(r.get(0)?).or_default(), &r, 1)?;
        }
    }
    let ids: Vec<i64> = children.iter().map(|ch| ch.0).collect();
    let hist = hist_for(c, &ids, &sp)?;
    let (all, escalated) = compounds(c, &unit.path, &sp)?;
    Ok(children
        .into_iter()
        .map(|(id, code, name, kind, path)| {
            let s = match sums.get(&id) {
                Some(v) => build(v, &hist.get(&id).cloned().unwrap_or_default(), days),
                None => CaseStats {
                    from: ymd(days.0),
                    to: ymd(days.1),
                    ..CaseStats::default()
                },
            };
            ChildStats {
                unit: code,
                unit_name: name,
                kind,
                stats: with_compounds(s, &path, &all, &escalated),
            }
        })
        .collect())
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
    let sp = span(days);
    let unit = unit_for_stats(c, ctx, unit_code)?;
    let mut sums: BTreeMap<i64, Sums> = BTreeMap::new();
    for (table, key, lo, hi) in sp.parts("case_counters", "case_counters_month") {
        let rows = c.query(
            &format!(
                "SELECT category_id, {} FROM {table}
                 WHERE unit_id = $1 AND {key} >= $2 AND {key} <= $3 GROUP BY category_id",
                sums_sql()
            ),
            params![unit.id, lo, hi],
        )?;
        for r in rows {
            add_into(sums.entry(r.get(0)?).or_default(), &r, 1)?;
        }
    }
    let hist = hist_by_category(c, unit.id, &sp)?;
    let mut out = Vec::with_capacity(sums.len());
    for r in c.query(
        "SELECT cat.id, cat.code, cat.name_zh, p.code FROM case_categories cat
         LEFT JOIN case_categories p ON p.id = cat.parent_id ORDER BY cat.code",
        &[],
    )? {
        let cat: i64 = r.get(0)?;
        let Some(v) = sums.get(&cat) else { continue };
        out.push(CategoryStats {
            category: r.get(1)?,
            category_name: r.get(2)?,
            major: r.get(3)?,
            stats: build(v, &hist.get(&cat).cloned().unwrap_or_default(), days),
        });
    }
    Ok(out)
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
