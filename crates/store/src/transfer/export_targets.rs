//! Exports of one inspection plan's targets as the plan page lists them:
//! `inspections::list_targets` decides which targets the caller sees (staff
//! with a subtree: the targets inside it), in the page's order (group, unit,
//! target). Each row adds what the page shows as a badge and a link: the
//! status, how many records, and when the last was made. Targets carry no
//! personal data; the export is audited like every other.

use super::export::{ExportOptions, Exported};
use super::export_list::{allowed, audit_export, scope_line, write_list, ListFile};
use super::import::OnProgress;
use super::sink::Out;
use crate::ctx::{ms_to_time, Ctx};
use crate::error::Result;
use crate::inspections::{self, Target};
use crate::{params, Store};
use serde_json::json;
use std::collections::HashMap;
use std::path::Path;
use wangge_core::auth::Permission;

/// The columns of a plan-target export, in order.
pub const TARGET_HEADERS: &[&str] = &[
    "分组",
    "检查对象",
    "所在单元",
    "单元代码",
    "责任单位",
    "状态",
    "检查次数",
    "最近检查日期",
];

/// The sheet a plan-target export writes its rows to.
pub const TARGET_SHEET: &str = "检查对象";

/// When a target was last recorded (ms).
struct Recorded {
    last_ms: i64,
}

/// Exports the targets of plan `plan_id` that the caller sees on its page.
/// A plan the caller may not see is not found, and nothing is audited.
pub async fn export_plan_targets(
    store: &Store,
    ctx: &Ctx,
    plan_id: i64,
    opts: ExportOptions,
    out: &Path,
    progress: Option<OnProgress>,
) -> Result<Exported> {
    let reason = allowed(
        ctx,
        &opts,
        Permission::InspectionsRead,
        "检查对象导出没有筛选条件,导出您在该计划中可见的全部对象",
        "a plan-target export has no filters; it exports every target of the plan you may see",
    )?;
    let c0 = ctx.clone();
    let plan = store
        .db
        .read(move |c| inspections::get_plan(c, &c0, plan_id))
        .await?;
    let detail = json!({"plan": plan_id});
    audit_export(store, ctx, "plan_targets", detail, opts.format, reason).await?;
    let (cr, out) = (ctx.clone(), out.to_path_buf());
    store
        .db
        .read(move |c| {
            let targets = inspections::list_targets(c, &cr, plan_id)?;
            let recorded: HashMap<i64, Recorded> = c
                .query(
                    "SELECT target_id, CAST(MAX(recorded_at) AS BIGINT)
                     FROM inspection_records WHERE plan_id = $1 GROUP BY target_id",
                    params![plan_id],
                )?
                .iter()
                .map(|r| Ok((r.get(0)?, Recorded { last_ms: r.get(1)? })))
                .collect::<Result<_>>()?;
            let file = ListFile {
                sheet: TARGET_SHEET,
                headers: TARGET_HEADERS,
                title: "检查对象 (plan-targets)",
                out: &out,
            };
            let mut lines = vec![(
                "排查计划 / Plan".to_string(),
                format!("{} (#{})", plan.name, plan.id),
            )];
            lines.extend(scope_line(
                "该计划中您可见的全部对象 / every target of the plan you may see",
            ));
            write_list(file, &opts, &cr, &progress, lines, |sink| {
                for t in &targets {
                    sink.row(&target_row(t, recorded.get(&t.id)))?;
                }
                Ok(targets.len() as u64)
            })
        })
        .await
}

/// 未检查, 已检查, 发现问题 while a finding is being rectified, or 已销号 once
/// every finding's case was verified or closed, as the plan page shows it.
fn status(t: &Target) -> &'static str {
    t.status().label_zh()
}

fn target_row(t: &Target, r: Option<&Recorded>) -> Vec<Out> {
    vec![
        Out::text(&t.group),
        Out::text(&t.label),
        Out::text(&t.unit_name),
        Out::text(&t.unit),
        Out::opt(t.responsible_org_name.clone()),
        Out::text(status(t)),
        Out::Number(t.records as f64),
        Out::opt(r.map(|r| ms_to_time(r.last_ms).date().to_string())),
    ]
}
