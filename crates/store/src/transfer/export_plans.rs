//! Exports of the inspection-plan list as the inspections page shows it: the
//! plans the caller may see, newest first, each with its progress counted over
//! the targets in the caller's scope (`inspections::list_plans` and
//! `inspections::plan_stats`, the page's own calls). The list has no filters.
//! Plans carry no personal data; the export is audited like every other.

use super::export::{ExportOptions, Exported};
use super::export_list::{allowed, audit_export, scope_line, write_list, ListFile};
use super::import::OnProgress;
use super::sink::Out;
use crate::ctx::Ctx;
use crate::error::Result;
use crate::inspections::{self, Plan, PlanStats};
use crate::Store;
use serde_json::json;
use std::path::Path;
use wangge_core::auth::Permission;

/// The columns of an inspection-plan export, in order.
pub const PLAN_HEADERS: &[&str] = &[
    "计划名称",
    "检查表",
    "检查表版本",
    "所在单元",
    "单元代码",
    "下达单位",
    "监督单位",
    "检查单位",
    "检查人员",
    "截止日期",
    "检查对象",
    "已检查",
    "发现问题",
    "未检查",
];

/// The sheet an inspection-plan export writes its rows to.
pub const PLAN_SHEET: &str = "排查计划";

/// Exports the inspection plans the caller may see to `out`. `opts.filter`
/// (the registry filter) must be empty: the plan list has no filters.
pub async fn export_plans(
    store: &Store,
    ctx: &Ctx,
    opts: ExportOptions,
    out: &Path,
    progress: Option<OnProgress>,
) -> Result<Exported> {
    let reason = allowed(
        ctx,
        &opts,
        Permission::InspectionsRead,
        "排查计划列表没有筛选条件,导出您可见的全部计划",
        "the inspection-plan list has no filters; it exports every plan you may see",
    )?;
    audit_export(
        store,
        ctx,
        "inspection_plans",
        json!({}),
        opts.format,
        reason,
    )
    .await?;
    let (cr, out) = (ctx.clone(), out.to_path_buf());
    store
        .db
        .read(move |c| {
            let file = ListFile {
                sheet: PLAN_SHEET,
                headers: PLAN_HEADERS,
                title: "排查计划 (inspection-plans)",
                out: &out,
            };
            let lines = scope_line("您可见的全部计划 / every plan you may see");
            write_list(file, &opts, &cr, &progress, lines, |sink| {
                let mut rows = 0u64;
                for plan in inspections::list_plans(c, &cr)? {
                    let stats = inspections::plan_stats(c, &cr, plan.id)?;
                    sink.row(&plan_row(&plan, &stats))?;
                    rows += 1;
                }
                Ok(rows)
            })
        })
        .await
}

fn plan_row(p: &Plan, s: &PlanStats) -> Vec<Out> {
    let n = |v: i64| Out::Number(v as f64);
    vec![
        Out::text(&p.name),
        Out::text(&p.template_name),
        n(p.template_version),
        Out::text(&p.unit_name),
        Out::text(&p.unit),
        Out::text(&p.issuing_org_name),
        Out::opt(p.supervising_org_name.clone()),
        Out::opt(p.inspector_org_name.clone()),
        Out::text(p.inspectors.join("、")),
        Out::text(&p.due_date),
        n(s.progress.targets),
        n(s.progress.done),
        n(s.progress.with_findings),
        n(s.progress.remaining),
    ]
}
