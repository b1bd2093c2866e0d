//! Exports of the audit log with the auditor page's filters (actor, record
//! kind and id, action, entries before a sequence number), newest first, as
//! the page shows them, and every page of them. Audit entries name fields,
//! never personal values, so there is nothing to mask.
//!
//! Who may: the audit-log readers (`AuditRead`), without `Export`. The
//! auditor role must be able to take the log away as a file, yet giving it
//! `Export` would let it take the registry's lists too, which it only reads
//! masked on screen; the log is the one list whose readers are exactly the
//! people it is exported for. The export is itself audited before a row is
//! read, so the file holds its own entry when the filter admits it.

use super::export::{unmask_reason, ExportOptions, Exported};
use super::export_list::{audit_export, own_filters_only, report, write_list, ListFile};
use super::import::OnProgress;
use super::sink::Out;
use crate::audit::{self, Entry, Filter};
use crate::ctx::{Ctx, CST};
use crate::error::Result;
use crate::paging::MAX_LIMIT;
use crate::Store;
use serde_json::json;
use std::path::Path;
use wangge_core::auth::Permission;

/// The columns of an audit-log export, in order (the page's, with the
/// record split into kind and id, and each entry's chain hash, so that a
/// copy can be checked against the database later).
pub const AUDIT_HEADERS: &[&str] = &[
    "序号",
    "时间",
    "操作人",
    "来源地址",
    "对象",
    "编号",
    "操作",
    "内容",
    "哈希",
];

/// The sheet an audit-log export writes its rows to.
pub const AUDIT_SHEET: &str = "审计日志";

/// Exports the audit entries `filter` selects, newest first, to `out`.
/// `opts.filter` (the registry filter) must be empty.
pub async fn export_audit(
    store: &Store,
    ctx: &Ctx,
    filter: Filter,
    opts: ExportOptions,
    out: &Path,
    progress: Option<OnProgress>,
) -> Result<Exported> {
    ctx.require(Permission::AuditRead)?;
    let reason = unmask_reason(ctx, &opts)?;
    own_filters_only(
        &opts,
        "审计日志导出使用审计日志的筛选条件(操作人、对象、操作)",
        "an audit-log export takes the audit log's filters (actor, record, action)",
    )?;
    let detail = json!({
        "actor": filter.actor,
        "entity": filter.entity,
        "entity_id": filter.entity_id,
        "action": filter.action,
        "before": filter.before,
    });
    audit_export(store, ctx, "audit", detail, opts.format, reason).await?;
    let (cr, out) = (ctx.clone(), out.to_path_buf());
    store
        .db
        .read(move |c| {
            // The page shows the chain's verdict on top; the file keeps it.
            let verdict = audit::verify(c)?;
            let mut lines = filter_lines(&filter);
            lines.push((
                "哈希链校验 / Chain check".to_string(),
                match verdict.first_bad {
                    None => format!(
                        "通过,共{}条 / intact, {} entries",
                        verdict.entries, verdict.entries
                    ),
                    Some(b) => format!("失败:{} / broken at entry {}: {}", b.zh, b.seq, b.en),
                },
            ));
            let file = ListFile {
                sheet: AUDIT_SHEET,
                headers: AUDIT_HEADERS,
                title: "审计日志 (audit)",
                out: &out,
            };
            write_list(file, &opts, &cr, &progress, lines, |sink| {
                let mut page_filter = filter.clone();
                let mut rows = 0u64;
                loop {
                    let entries = audit::list(c, &cr, &page_filter, MAX_LIMIT)?;
                    for e in &entries {
                        sink.row(&entry_row(e))?;
                        rows += 1;
                    }
                    report(&progress, rows);
                    match entries.last() {
                        Some(last) if entries.len() as i64 == MAX_LIMIT => {
                            page_filter.before = Some(last.seq)
                        }
                        _ => return Ok(rows),
                    }
                }
            })
        })
        .await
}

fn filter_lines(f: &Filter) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut line = |k: &str, v: String| out.push((k.to_string(), v));
    if let Some(a) = &f.actor {
        line("操作人 / Actor", a.clone());
    }
    if let Some(e) = &f.entity {
        line("对象 / Record", e.clone());
    }
    if let Some(id) = f.entity_id {
        line("编号 / Record id", id.to_string());
    }
    if let Some(a) = &f.action {
        line("操作 / Action", a.clone());
    }
    if let Some(b) = f.before {
        line("早于序号 / Before entry", b.to_string());
    }
    if out.is_empty() {
        out.push((
            "筛选 / Filter".to_string(),
            "全部记录 / every entry".to_string(),
        ));
    }
    out
}

/// A time as the zone reads it, to the second.
fn local(at: time::OffsetDateTime) -> String {
    let l = at.to_offset(CST);
    format!(
        "{} {:02}:{:02}:{:02}",
        l.date(),
        l.hour(),
        l.minute(),
        l.second()
    )
}

fn entry_row(e: &Entry) -> Vec<Out> {
    vec![
        Out::Number(e.seq as f64),
        Out::text(local(e.at)),
        Out::text(&e.actor),
        Out::opt(e.client_addr.clone()),
        Out::text(&e.entity),
        Out::Number(e.entity_id as f64),
        Out::text(&e.action),
        Out::text(e.detail.to_string()),
        Out::text(&e.hash),
    ]
}
