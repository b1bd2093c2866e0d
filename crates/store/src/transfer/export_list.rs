//! What the exports of lists with their own filters (construction sites,
//! inspection plans, the audit log) share: the refusal of the registry's
//! filter, the audit entry written before a row leaves, progress, and the
//! lines of the second sheet.

use super::export::{ExportFormat, ExportOptions};
use super::import::{OnProgress, Progress, Stage};
use super::sink::exported_at;
use crate::ctx::Ctx;
use crate::error::Result;
use crate::{audit, Store};
use serde_json::json;
use wangge_core::Error as CoreError;

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
