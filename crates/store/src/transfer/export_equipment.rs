//! Exports of the special-equipment list (elevators, escalators) with the
//! list's own filters (unit subtree, kind, status, alert). Rows come from
//! `equipment::list` itself, a page at a time, so the file holds exactly the
//! list's rows in its order and scope. Equipment carries no personal data;
//! the export is audited like every other.

use super::export::{unmask_reason, ExportOptions, Exported};
use super::import::{OnProgress, Progress, Stage};
use super::sink::{exported_at, Out, Sink};
use crate::ctx::Ctx;
use crate::equipment::{self, Equipment, ListFilter};
use crate::error::Result;
use crate::paging::MAX_LIMIT;
use crate::{audit, Store};
use serde_json::json;
use std::path::Path;
use wangge_core::auth::Permission;
use wangge_core::equipment::AlertKind;
use wangge_core::Error as CoreError;

/// The columns of an equipment export, in order.
pub const EQUIPMENT_HEADERS: &[&str] = &[
    "使用登记证编号",
    "设备类别",
    "所在单元",
    "单元代码",
    "位置",
    "使用单位",
    "维保单位",
    "型号",
    "安装日期",
    "上次检验日期",
    "下次检验日期",
    "维保周期(天)",
    "上次维保日期",
    "下次维保日期",
    "状态",
    "提醒",
];

/// The sheet an equipment export writes its rows to.
pub const EQUIPMENT_SHEET: &str = "特种设备";

fn alert_label(k: AlertKind) -> &'static str {
    match k {
        AlertKind::InspectionOverdue => "检验超期",
        AlertKind::InspectionDue => "检验即将到期",
        AlertKind::MaintenanceOverdue => "维保超期",
    }
}

/// Exports the equipment `filter` selects in the caller's scope to `out`.
/// `opts.filter` (the registry filter) must be empty: equipment uses `filter`.
pub async fn export_equipment(
    store: &Store,
    ctx: &Ctx,
    filter: ListFilter,
    opts: ExportOptions,
    out: &Path,
    progress: Option<OnProgress>,
) -> Result<Exported> {
    ctx.require(Permission::Export)?;
    ctx.require(Permission::EquipmentRead)?;
    // Nothing to unmask, but a request to unmask is held to the same rule.
    let reason = unmask_reason(ctx, &opts)?;
    let f = &opts.filter;
    if f.unit.is_some() || f.kind.is_some() || f.q.is_some() {
        return Err(CoreError::invalid(
            "filter",
            "filter_not_applicable",
            "特种设备导出使用设备列表的筛选条件",
            "an equipment export takes the equipment list's filters",
        )
        .into());
    }
    // The list checks the filter (the unit in scope, the look-ahead) before
    // anything is audited.
    let (c0, f0) = (ctx.clone(), filter.clone());
    store
        .db
        .read(move |c| equipment::list(c, &c0, &f0, None, Some(1)).map(|_| ()))
        .await?;
    let (ca, detail, format) = (ctx.clone(), filter_json(&filter), opts.format);
    store
        .db
        .write(move |c| {
            audit::record(
                c,
                &ca,
                "export",
                0,
                "export",
                json!({"kind": "equipment", "filter": detail, "format": format, "unmasked": false, "reason": reason}),
            )
        })
        .await?;
    let (cr, out) = (ctx.clone(), out.to_path_buf());
    store
        .db
        .read(move |c| {
            let mut sink = Sink::new(
                opts.format,
                opts.encoding,
                &out,
                EQUIPMENT_SHEET,
                EQUIPMENT_HEADERS,
            )?;
            let mut cursor: Option<String> = None;
            let mut rows = 0u64;
            loop {
                let page = equipment::list(c, &cr, &filter, cursor.as_deref(), Some(MAX_LIMIT))?;
                for e in &page.items {
                    sink.row(&equipment_row(e))?;
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
            let mut info = vec![(
                "数据类别 / Kind".to_string(),
                "特种设备 (equipment)".to_string(),
            )];
            info.extend(filter_lines(&filter));
            info.extend([
                ("导出时间 / Exported at".to_string(), exported_at(&cr)),
                ("导出人 / Exported by".to_string(), cr.actor.clone()),
                ("行数 / Rows".to_string(), rows.to_string()),
            ]);
            sink.finish(&out, &info)?;
            Ok(Exported {
                rows,
                unmasked: false,
            })
        })
        .await
}

fn filter_json(f: &ListFilter) -> serde_json::Value {
    json!({
        "unit": f.unit,
        "kind": f.kind.map(|k| k.as_str()),
        "status": f.status.map(|s| s.as_str()),
        "alert": f.alert.map(|a| a.as_str()),
        "within_days": f.within_days,
    })
}

fn filter_lines(f: &ListFilter) -> Vec<(String, String)> {
    let mut out = vec![(
        "单元范围 / Unit".to_string(),
        f.unit
            .clone()
            .unwrap_or_else(|| "(您的全部管辖范围 / your whole scope)".into()),
    )];
    if let Some(k) = f.kind {
        out.push(("设备类别 / Kind".into(), k.label_zh().into()));
    }
    if let Some(s) = f.status {
        out.push(("状态 / Status".into(), s.label_zh().into()));
    }
    if let Some(a) = f.alert {
        out.push(("提醒 / Alert".into(), alert_label(a).into()));
    }
    if let Some(d) = f.within_days {
        out.push(("提前天数 / Look-ahead days".into(), d.to_string()));
    }
    out
}

fn equipment_row(e: &Equipment) -> Vec<Out> {
    let alerts: Vec<&str> = e.alerts.iter().map(|a| alert_label(a.kind)).collect();
    vec![
        Out::text(&e.registration_code),
        Out::text(e.kind.label_zh()),
        Out::text(&e.unit_name),
        Out::text(&e.unit),
        Out::text(&e.location),
        Out::text(&e.use_org_name),
        Out::opt(e.maintenance_org_name.clone()),
        Out::text(&e.model),
        Out::text(&e.installed_on),
        Out::opt(e.last_inspected_on.clone()),
        Out::text(&e.next_inspection_due),
        Out::Number(e.maintenance_interval_days as f64),
        Out::opt(e.last_maintained_on.clone()),
        Out::text(&e.maintenance_due),
        Out::text(e.status.label_zh()),
        Out::text(alerts.join("、")),
    ]
}
