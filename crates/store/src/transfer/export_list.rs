//! What the exports of lists with their own filters share (construction
//! sites, inspection plans and one plan's targets, accounts, categories, the
//! audit log): who may, the refusal of the registry's filter, the audit entry
//! written before a row leaves, the file with its second sheet, and progress.

use super::export::{unmask_reason, ExportFormat, ExportOptions, Exported};
use super::import::{OnProgress, Progress, Stage};
use super::sink::{exported_at, Sink};
use crate::ctx::Ctx;
use crate::error::Result;
use crate::{audit, Store};
use serde_json::json;
use std::path::Path;
use wangge_core::auth::Permission;
use wangge_core::Error as CoreError;

/// Who may export such a list: `Export` and the list's own permission; its
/// filters are the list's (see [`own_filters_only`], whose message `zh`/`en`
/// is). Answers the reason to audit if unmasking was asked for.
pub(super) fn allowed(
    ctx: &Ctx,
    opts: &ExportOptions,
    list: Permission,
    zh: &str,
    en: &str,
) -> Result<Option<String>> {
    ctx.require(Permission::Export)?;
    ctx.require(list)?;
    let reason = unmask_reason(ctx, opts)?;
    own_filters_only(opts, zh, en)?;
    Ok(reason)
}

/// A list's file: its sheet, column headers and the kind the second sheet names.
pub(super) struct ListFile<'a> {
    pub sheet: &'static str,
    pub headers: &'static [&'static str],
    pub title: &'a str,
    pub out: &'a Path,
}

/// Writes a list's file: `fill` writes the rows and answers how many (a list
/// read a page at a time reports progress itself), then the second sheet
/// with the filter's `lines`.
pub(super) fn write_list(
    file: ListFile<'_>,
    opts: &ExportOptions,
    ctx: &Ctx,
    progress: &Option<OnProgress>,
    lines: Vec<(String, String)>,
    fill: impl FnOnce(&mut Sink) -> Result<u64>,
) -> Result<Exported> {
    let mut sink = Sink::new(
        opts.format,
        opts.encoding,
        file.out,
        file.sheet,
        file.headers,
    )?;
    let rows = fill(&mut sink)?;
    report(progress, rows);
    let info = info_lines(file.title, lines, ctx, rows);
    sink.finish(file.out, &info)?;
    Ok(Exported {
        rows,
        unmasked: false,
    })
}

/// The one line of the second sheet for a list without filters.
pub(super) fn scope_line(what: &str) -> Vec<(String, String)> {
    vec![("范围 / Scope".to_string(), what.to_string())]
}

/// These lists take their own filters: a registry filter (unit, kind, q in
/// `opts.filter`) is refused rather than ignored, so nobody believes a file
/// narrower than it is.
pub(super) fn own_filters_only(opts: &ExportOptions, zh: &str, en: &str) -> Result<()> {
    let f = &opts.filter;
    if f.unit.is_some() || f.kind.is_some() || f.q.is_some() {
        return Err(CoreError::invalid("filter", "filter_not_applicable", zh, en).into());
    }
    Ok(())
}

/// Audits an export before its first row is read: none of these lists holds
/// personal values, so it is never unmasked; a request to unmask has already
/// been held to the rule (`unmask_reason`) and its reason is kept.
pub(super) async fn audit_export(
    store: &Store,
    ctx: &Ctx,
    kind: &'static str,
    filter: serde_json::Value,
    format: ExportFormat,
    reason: Option<String>,
) -> Result<()> {
    let ctx = ctx.clone();
    store
        .db
        .write(move |c| {
            audit::record(
                c,
                &ctx,
                "export",
                0,
                "export",
                json!({"kind": kind, "filter": filter, "format": format, "unmasked": false, "reason": reason}),
            )
        })
        .await
}

pub(super) fn report(progress: &Option<OnProgress>, rows: u64) {
    if let Some(f) = progress {
        f(&Progress {
            run_id: 0,
            stage: Stage::Writing,
            rows,
            bytes: 0,
            total_bytes: 0,
        });
    }
}

/// The second sheet: the kind, the filter's lines, when, by whom, how many.
pub(super) fn info_lines(
    kind: &str,
    filter: Vec<(String, String)>,
    ctx: &Ctx,
    rows: u64,
) -> Vec<(String, String)> {
    let mut info = vec![("数据类别 / Kind".to_string(), kind.to_string())];
    info.extend(filter);
    info.extend([
        ("导出时间 / Exported at".to_string(), exported_at(ctx)),
        ("导出人 / Exported by".to_string(), ctx.actor.clone()),
        (
            "个人信息 / Personal data".to_string(),
            "无 / none".to_string(),
        ),
        ("行数 / Rows".to_string(), rows.to_string()),
    ]);
    info
}

/// The whole scope, as the second sheet says it when no unit is given.
pub(super) fn unit_line(unit: &Option<String>) -> (String, String) {
    (
        "单元范围 / Unit".to_string(),
        unit.clone()
            .unwrap_or_else(|| "(您的全部管辖范围 / your whole scope)".into()),
    )
}
