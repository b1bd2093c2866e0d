//! Exports of the construction-site list with the list's own filters (unit
//! subtree, status). Rows come from `equipment::list_sites` a page at a time,
//! so the file holds exactly the list's rows, in its order and scope. Sites
//! carry no personal data; the export is audited like every other.

use super::export::{ExportOptions, Exported};
use super::export_list::{allowed, audit_export, report, unit_line, write_list, ListFile};
use super::import::OnProgress;
use super::sink::Out;
use crate::ctx::Ctx;
use crate::equipment::{self, Site, SiteFilter};
use crate::error::Result;
use crate::paging::MAX_LIMIT;
use crate::Store;
use serde_json::json;
use std::path::Path;
use wangge_core::auth::Permission;
use wangge_core::equipment::SiteStatus;

/// The columns of a construction-site export, in order.
pub const SITE_HEADERS: &[&str] = &[
    "项目名称",
    "施工单位",
    "所在单元",
    "单元代码",
    "具体位置",
    "开工日期",
    "计划完工日期",
    "状态",
];

/// The sheet a construction-site export writes its rows to.
pub const SITE_SHEET: &str = "建筑工地";

/// The status as the site pages name it.
pub fn site_status_zh(s: SiteStatus) -> &'static str {
    match s {
        SiteStatus::Planned => "未开工",
        SiteStatus::Active => "在建",
        SiteStatus::Suspended => "停工",
        SiteStatus::Finished => "完工",
    }
}

/// Exports the construction sites `filter` selects in the caller's scope.
/// `opts.filter` (the registry filter) must be empty.
pub async fn export_sites(
    store: &Store,
    ctx: &Ctx,
    filter: SiteFilter,
    opts: ExportOptions,
    out: &Path,
    progress: Option<OnProgress>,
) -> Result<Exported> {
    let reason = allowed(
        ctx,
        &opts,
        Permission::EquipmentRead,
        "建筑工地导出使用工地列表的筛选条件",
        "a construction-site export takes the site list's filters",
    )?;
    // The list checks the unit (in scope) before anything is audited.
    let (c0, f0) = (ctx.clone(), filter.clone());
    store
        .db
        .read(move |c| equipment::list_sites(c, &c0, &f0, None, Some(1)).map(|_| ()))
        .await?;
    let detail = json!({"unit": filter.unit, "status": filter.status.map(SiteStatus::as_str)});
    audit_export(
        store,
        ctx,
        "construction_sites",
        detail,
        opts.format,
        reason,
    )
    .await?;
    let (cr, out) = (ctx.clone(), out.to_path_buf());
    store
        .db
        .read(move |c| {
            let mut lines = vec![unit_line(&filter.unit)];
            lines.push((
                "状态 / Status".to_string(),
                filter
                    .status
                    .map_or("全部 / any", site_status_zh)
                    .to_string(),
            ));
            let file = ListFile {
                sheet: SITE_SHEET,
                headers: SITE_HEADERS,
                title: "建筑工地 (construction-sites)",
                out: &out,
            };
            write_list(file, &opts, &cr, &progress, lines, |sink| {
                let mut cursor: Option<String> = None;
                let mut rows = 0u64;
                loop {
                    let page =
                        equipment::list_sites(c, &cr, &filter, cursor.as_deref(), Some(MAX_LIMIT))?;
                    for s in &page.items {
                        sink.row(&site_row(s))?;
                        rows += 1;
                    }
                    report(&progress, rows);
                    match page.next_cursor {
                        Some(next) => cursor = Some(next),
                        None => return Ok(rows),
                    }
                }
            })
        })
        .await
}

fn site_row(s: &Site) -> Vec<Out> {
    vec![
        Out::text(&s.name),
        Out::text(&s.builder_name),
        Out::text(&s.unit_name),
        Out::text(&s.unit),
        Out::text(&s.location),
        Out::text(&s.starts_on),
        Out::opt(s.ends_on.clone()),
        Out::text(site_status_zh(s.status)),
    ]
}
