//! Progress and statistics, per plan and per unit subtree: targets by group
//! and kind inspected, findings by severity and by item, rectified (on time)
//! and open. A finding repeated by a later record joins its earlier case, so
//! findings are counted by case: one problem, counted once.

use super::plans;
use super::targets::target_scope;
use super::{path_condition, unit_in_scope};
use crate::ctx::{subtree_range, Ctx};
use crate::db::{Conn, Value};
use crate::error::Result;
use serde::Serialize;
use std::collections::BTreeMap;
use wangge_core::auth::Permission;
use wangge_core::cases::CaseState;
use wangge_core::inspections::Severity;

#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = InspectionProgress)]
pub struct Progress {
    pub targets: i64,
    /// Targets with at least one record.
    pub done: i64,
    /// Targets with at least one record that found something.
    pub with_findings: i64,
    pub remaining: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GroupStats {
    /// The filter's label (人员密集场所, 大型小区).
    pub group: String,
    /// `unit` or `organisation`.
    pub kind: String,
    pub targets: i64,
    pub inspected: i64,
    pub with_findings: i64,
    /// Records that found something: each is one problem list.
    pub problem_lists: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SeverityStats {
    pub severity: Severity,
    pub label: String,
    pub findings: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ItemStats {
    pub item_code: String,
    pub item_text: String,
    pub findings: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PlanStats {
    pub progress: Progress,
    pub groups: Vec<GroupStats>,
    pub by_severity: Vec<SeverityStats>,
    pub by_item: Vec<ItemStats>,
    /// Distinct problems (cases).
    pub findings: i64,
    /// Closed as fixed.
    pub rectified: i64,
    /// Closed as fixed without any stage of the case running out.
    pub rectified_on_time: i64,
    /// Still being worked on.
    pub open: i64,
    pub problem_lists: i64,
    /// Scored records (templates with points): how many, their average total
    /// and how many passed the pass mark. Absent when nothing was scored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scored: Option<ScoreStats>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ScoreStats {
    pub records: i64,
    pub average: f64,
    /// Records of templates with a pass mark that reached it.
    pub passed: i64,
    /// Records of templates with a pass mark that did not.
    pub failed: i64,
}

/// A target condition (SQL on `g`) with its values.
struct Cond {
    sql: String,
    args: Vec<Value>,
}

fn compute(c: &mut dyn Conn, cond: &Cond) -> Result<PlanStats> {
    let mut s = PlanStats::default();
    let rows = c.query(
        &format!(
            "SELECT g.grp, g.kind, COUNT(*),
                CAST(COALESCE(SUM(CASE WHEN x.n > 0 THEN 1 ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN x.nf > 0 THEN 1 ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(x.nf), 0) AS BIGINT)
             FROM inspection_targets g
             LEFT JOIN (SELECT target_id, COUNT(*) AS n,
                    SUM(CASE WHEN findings > 0 THEN 1 ELSE 0 END) AS nf
                FROM inspection_records GROUP BY target_id) x ON x.target_id = g.id
             WHERE {} GROUP BY g.grp, g.kind ORDER BY g.grp, g.kind",
            cond.sql
        ),
        &cond.args,
    )?;
    for r in &rows {
        let g = GroupStats {
            group: r.get(0)?,
            kind: r.get(1)?,
            targets: r.get(2)?,
            inspected: r.get(3)?,
            with_findings: r.get(4)?,
            problem_lists: r.get(5)?,
        };
        s.progress.targets += g.targets;
        s.progress.done += g.inspected;
        s.progress.with_findings += g.with_findings;
        s.problem_lists += g.problem_lists;
        s.groups.push(g);
    }
    s.progress.remaining = s.progress.targets - s.progress.done;

    let rows = c.query(
        &format!(
            "SELECT f.case_id, MIN(f.severity), MIN(f.item_code), MIN(f.item_text), MIN(c.state),
                MIN(c.close_kind), MAX(c.ever_overdue)
             FROM inspection_findings f JOIN inspection_targets g ON g.id = f.target_id
             JOIN cases c ON c.id = f.case_id
             WHERE {} GROUP BY f.case_id",
            cond.sql
        ),
        &cond.args,
    )?;
    let mut sev: BTreeMap<Severity, i64> = BTreeMap::new();
    let mut items: BTreeMap<String, (String, i64)> = BTreeMap::new();
    for r in &rows {
        s.findings += 1;
        let severity = Severity::parse(&r.get::<String>(1)?)?;
        *sev.entry(severity).or_default() += 1;
        let e = items
            .entry(r.get::<String>(2)?)
            .or_insert_with(|| (String::new(), 0));
        e.0 = r.get(3)?;
        e.1 += 1;
        let state = r.get::<String>(4)?;
        let open = CaseState::ALL
            .into_iter()
            .find(|x| x.as_str() == state)
            .is_some_and(CaseState::is_open);
        let fixed = r.get::<Option<String>>(5)?.as_deref() == Some("fixed")
            && (state == "closed" || state == "rated");
        if open {
            s.open += 1;
        }
        if fixed {
            s.rectified += 1;
            if r.get::<i64>(6)? == 0 {
                s.rectified_on_time += 1;
            }
        }
    }
    s.by_severity = sev
        .into_iter()
        .rev()
        .map(|(severity, findings)| SeverityStats {
            severity,
            label: severity.label_zh().to_string(),
            findings,
        })
        .collect();
    let mut by_item: Vec<ItemStats> = items
        .into_iter()
        .map(|(item_code, (item_text, findings))| ItemStats {
            item_code,
            item_text,
            findings,
        })
        .collect();
    by_item.sort_by(|a, b| {
        b.findings
            .cmp(&a.findings)
            .then(a.item_code.cmp(&b.item_code))
    });
    s.by_item = by_item;
    s.scored = scores(c, cond)?;
    Ok(s)
}

fn scores(c: &mut dyn Conn, cond: &Cond) -> Result<Option<ScoreStats>> {
    // Sums are cast: PostgreSQL sums BIGINT to NUMERIC.
    let r = c.query_one(
        &format!(
            "SELECT COUNT(r.score), CAST(COALESCE(SUM(r.score), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN r.passed = 1 THEN 1 ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN r.passed = 0 THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM inspection_records r JOIN inspection_targets g ON g.id = r.target_id
             WHERE r.score IS NOT NULL AND {}",
            cond.sql
        ),
        &cond.args,
    )?;
    let records: i64 = r.get(0)?;
    if records == 0 {
        return Ok(None);
    }
    Ok(Some(ScoreStats {
        records,
        average: r.get::<i64>(1)? as f64 / records as f64,
        passed: r.get(2)?,
        failed: r.get(3)?,
    }))
}

/// A plan's progress and statistics, over the targets the caller sees.
pub fn plan_stats(c: &mut dyn Conn, ctx: &Ctx, plan_id: i64) -> Result<PlanStats> {
    plans::load(c, ctx, plan_id)?;
    let (sql, vals) = target_scope(ctx, "g.unit_path", 2);
    let mut args = vec![Value::from(plan_id)];
    args.extend(vals.into_iter().map(Value::from));
    compute(
        c,
        &Cond {
            sql: format!("g.plan_id = $1 AND {sql}"),
            args,
        },
    )
}

/// Statistics of every plan's targets under a unit (the caller's scope when
/// absent), optionally of one checklist only.
pub fn subtree_stats(
    c: &mut dyn Conn,
    ctx: &Ctx,
    unit: Option<&str>,
    template_code: Option<&str>,
) -> Result<PlanStats> {
    ctx.require(Permission::InspectionsRead)?;
    let (mut sql, vals) = path_condition(ctx, "g.unit_path", 1);
    let mut args: Vec<Value> = vals.into_iter().map(Value::from).collect();
    if let Some(code) = unit {
        let (_, path, _) = unit_in_scope(c, ctx, "unit", code)?;
        let (lo, hi) = subtree_range(&path);
        args.push(Value::from(lo));
        args.push(Value::from(hi));
        sql = format!(
            "{sql} AND g.unit_path >= ${} AND g.unit_path < ${}",
            args.len() - 1,
            args.len()
        );
    }
    if ctx.role == Some(wangge_core::auth::Role::DeptHandler) {
        args.push(Value::from(ctx.org_id.unwrap_or(-1)));
        let n = args.len();
        sql = format!(
            "{sql} AND (g.supervising_org_id = ${n} OR g.plan_id IN (SELECT p.id FROM inspection_plans p
                WHERE p.issuing_org_id = ${n} OR p.supervising_org_id = ${n} OR p.inspector_org_id = ${n}))"
        );
    }
    if let Some(t) = template_code {
        args.push(Value::from(t));
        sql = format!(
            "{sql} AND g.plan_id IN (SELECT p.id FROM inspection_plans p JOIN inspection_templates t
                ON t.id = p.template_id WHERE t.code = ${})",
            args.len()
        );
    }
    compute(c, &Cond { sql, args })
}
