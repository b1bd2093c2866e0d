//! Exports of the case list with the list's own filters (state, category,
//! unit subtree, overdue, source, confidential, text), to `.xlsx` or `.csv`
//! with Chinese headers. Rows come from `cases::list` itself, a page at a time,
//! so an export holds exactly the rows the list shows for the same filters,
//! in the same order, with the same scope applied in SQL.
//!
//! The reporter's name and contact are masked unless the caller may see
//! personal data, asks, and gives a reason; a reporter hidden from the caller
//! (a confidential tip without the tip permission, or a reporter who withheld
//! their name from departments) stays hidden either way. The export is audited
//! before a row leaves.

use super::export::{unmask_reason, ExportOptions, Exported};
use super::import::{OnProgress, Progress, Stage};
use super::sink::{exported_at, Out, Sink};
use crate::cases::{self, CaseView, ListFilter, Order};
use crate::ctx::{Ctx, CST};
use crate::db::{Conn, Value};
use crate::error::Result;
use crate::paging::MAX_LIMIT;
use crate::{audit, Store};
use serde_json::json;
use std::collections::HashMap;
use std::path::Path;
use time::OffsetDateTime;
use wangge_core::auth::Permission;
use wangge_core::Error as CoreError;

// The encryption domains of the reporter's values: the same strings as in
// `cases/view.rs` (the store tests prove an unmasked export opens what intake
// sealed).
const F_NAME: &str = "cases.reporter_name";
const F_CONTACT: &str = "cases.reporter_contact";

/// A reporter's name and contact in full.
type Reporter = (Option<String>, Option<String>);

/// The columns of a case export, in order.
pub const CASE_HEADERS: &[&str] = &[
    "编号",
    "分类",
    "分类代码",
    "来源",
    "状态",
    "所在单位",
    "单元代码",
    "问题描述",
    "地点",
    "受理时间",
    "当前环节",
    "期限",
    "是否超期",
    "是否督办",
    "办理单位",
    "结案时间",
    "满意度",
    "反映人",
    "反映人联系方式",
    "是否涉密",
];

/// The sheet a case export writes its rows to.
pub const CASE_SHEET: &str = "事件";

/// Exports the cases `filter` selects, as the caller may see them, to `out`.
/// `opts.filter` (the registry filter) must be empty: cases use `filter`.
pub async fn export_cases(
    store: &Store,
    ctx: &Ctx,
    filter: ListFilter,
    opts: ExportOptions,
    out: &Path,
    progress: Option<OnProgress>,
) -> Result<Exported> {
    ctx.require(Permission::Export)?;
    let reason = unmask_reason(ctx, &opts)?;
    let f = &opts.filter;
    if f.unit.is_some() || f.kind.is_some() || f.q.is_some() {
        return Err(CoreError::invalid(
            "filter",
            "filter_not_applicable",
            "事件导出使用事件列表的筛选条件",
            "a case export takes the case list's filters",
        )
        .into());
    }
    // The list checks the filter (category, unit in scope, the tip permission
    // for `confidential`): a bad one is refused before anything is audited.
    let (c0, f0) = (ctx.clone(), filter.clone());
    store
        .db
        .read(move |c| cases::list(c, &c0, &f0, None, Some(1)).map(|_| ()))
        .await?;
    let unmask = reason.is_some();
    let (ca, detail) = (ctx.clone(), filter_json(&filter));
    let format = opts.format;
    store
        .db
        .write(move |c| {
            audit::record(
                c,
                &ca,
                "export",
                0,
                if unmask { "export_unmasked" } else { "export" },
                json!({"kind": "cases", "filter": detail, "format": format, "unmasked": unmask, "reason": reason}),
            )
        })
        .await?;
    let (cr, out) = (ctx.clone(), out.to_path_buf());
    store
        .db
        .read(move |c| write_cases(c, &cr, &filter, &opts, unmask, &out, progress))
        .await
}

fn filter_json(f: &ListFilter) -> serde_json::Value {
    json!({
        "states": f.states.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "category": f.category,
        "unit": f.unit,
        "overdue": f.overdue,
        "source": f.source.map(|s| s.as_str()),
        "confidential": f.confidential,
        "text": f.text,
        "order": match f.order { Order::Due => "due", Order::Newest => "newest" },
    })
}

fn write_cases(
    c: &mut dyn Conn,
    ctx: &Ctx,
    filter: &ListFilter,
    opts: &ExportOptions,
    unmask: bool,
    out: &Path,
    progress: Option<OnProgress>,
) -> Result<Exported> {
    let mut sink = Sink::new(opts.format, opts.encoding, out, CASE_SHEET, CASE_HEADERS)?;
    let mut cursor: Option<String> = None;
    let mut rows = 0u64;
    loop {
        let page = cases::list(c, ctx, filter, cursor.as_deref(), Some(MAX_LIMIT))?;
        let full = if unmask {
            reporters(c, ctx, &page.items)?
        } else {
            HashMap::new()
        };
        for v in &page.items {
            sink.row(&case_row(v, full.get(&v.id)))?;
            rows += 1;
        }
        if let Some(f) = &progress {
            f(&Progress {
                run_id: 0,
                stage: Stage::Writing,
                rows,
                bytes: 0,
                total_bytes: 0,
            });
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let mut info = vec![("数据类别 / Kind".to_string(), "事件 (cases)".to_string())];
    info.extend(filter_lines(filter));
    info.extend([
        ("导出时间 / Exported at".to_string(), exported_at(ctx)),
        ("导出人 / Exported by".to_string(), ctx.actor.clone()),
        (
            "反映人信息 / Reporters".to_string(),
            if unmask {
                format!(
                    "完整显示(已记入审计日志,理由:{}) / shown in full (audited)",
                    opts.reason.clone().unwrap_or_default()
                )
            } else {
                "已脱敏 / masked".to_string()
            },
        ),
        ("行数 / Rows".to_string(), rows.to_string()),
    ]);
    sink.finish(out, &info)?;
    Ok(Exported {
        rows,
        unmasked: unmask,
    })
}

/// The filter as the second sheet states it, one line per condition given.
fn filter_lines(f: &ListFilter) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let any = |v: &mut Vec<(String, String)>, k: &str, val: String| v.push((k.to_string(), val));
    if f.states.is_empty() {
        any(&mut out, "状态 / State", "全部 / any".into());
    } else {
        let s: Vec<&str> = f.states.iter().map(|s| s.label_zh()).collect();
        any(&mut out, "状态 / State", s.join("、"));
    }
    if let Some(k) = &f.category {
        any(&mut out, "分类 / Category", k.clone());
    }
    any(
        &mut out,
        "单元范围 / Unit",
        f.unit
            .clone()
            .unwrap_or_else(|| "(您的全部管辖范围 / your whole scope)".into()),
    );
    if f.overdue == Some(true) {
        any(&mut out, "超期 / Overdue", "只看超期 / overdue only".into());
    } else if f.overdue == Some(false) {
        any(&mut out, "超期 / Overdue", "未超期 / not overdue".into());
    }
    if let Some(s) = f.source {
        any(&mut out, "来源 / Source", s.label_zh().into());
    }
    match f.confidential {
        Some(true) => any(&mut out, "涉密 / Confidential", "只看涉密 / only".into()),
        Some(false) => any(&mut out, "涉密 / Confidential", "不含涉密 / none".into()),
        None => {}
    }
    if let Some(t) = &f.text {
        any(&mut out, "搜索 / Search", t.clone());
    }
    out
}

/// A time as the zone reads it, to the minute.
fn local(at: OffsetDateTime) -> String {
    let l = at.to_offset(CST);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        l.year(),
        u8::from(l.month()),
        l.day(),
        l.hour(),
        l.minute()
    )
}

fn yes_no(b: bool) -> Out {
    Out::text(if b { "是" } else { "否" })
}

/// "张*" / "欧阳**": the first character kept, the rest masked.
fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => format!("{first}{}", "*".repeat(chars.count().max(1))),
        None => String::new(),
    }
}

fn case_row(v: &CaseView, full: Option<&Reporter>) -> Vec<Out> {
    let (name, contact) = if v.reporter.hidden {
        (Out::text("(保密)"), Out::text(""))
    } else if let Some((name, contact)) = full {
        (Out::opt(name.clone()), Out::opt(contact.clone()))
    } else {
        (
            Out::opt(v.reporter.name.as_deref().map(mask_name)),
            // The view already masks the contact.
            Out::opt(v.reporter.contact.clone()),
        )
    };
    vec![
        Out::text(&v.tracking_no),
        Out::text(&v.category_name),
        Out::text(&v.category),
        Out::text(v.source.label_zh()),
        Out::text(v.state.label_zh()),
        Out::text(&v.unit_name),
        Out::text(&v.unit),
        Out::text(&v.description),
        Out::opt(v.address_detail.clone()),
        Out::text(local(v.reported_at)),
        Out::opt(v.stage.map(|s| s.label_zh())),
        Out::opt(v.due_at.map(local)),
        yes_no(v.overdue),
        yes_no(v.supervised),
        Out::opt(v.lead_org_name.clone()),
        Out::opt(v.closed_at.map(local)),
        match v.rating {
            Some(r) => Out::Number(r as f64),
            None => Out::text(""),
        },
        name,
        contact,
        yes_no(v.confidential),
    ]
}

/// The reporters of a page's cases in full, for the cases whose reporter the
/// caller may see (the ids come from the scoped list).
fn reporters(c: &mut dyn Conn, ctx: &Ctx, page: &[CaseView]) -> Result<HashMap<i64, Reporter>> {
    let ids: Vec<i64> = page
        .iter()
        .filter(|v| !v.reporter.hidden)
        .map(|v| v.id)
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let args: Vec<Value> = ids.iter().map(|&i| Value::from(i)).collect();
    let sql = format!(
        "SELECT id, reporter_name_enc, reporter_contact_enc FROM cases WHERE id IN ({})",
        marks.join(", ")
    );
    let keys = ctx.keys();
    let open = |field: &str, v: Option<Vec<u8>>| -> Result<Option<String>> {
        v.map(|b| keys.open(field, &b)).transpose()
    };
    let mut out = HashMap::new();
    for r in c.query(&sql, &args)? {
        let id: i64 = r.get(0)?;
        let name = open(F_NAME, r.get(1)?)?;
        let contact = open(F_CONTACT, r.get(2)?)?;
        out.insert(id, (name, contact));
    }
    Ok(out)
}
