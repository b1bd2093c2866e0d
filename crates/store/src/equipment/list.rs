//! The registry list: a page of a subtree's equipment, filtered by kind,
//! status and alert.

use super::{fmt_date, from_row, Equipment, SELECT};
use crate::ctx::{subtree_range, Ctx};
use crate::db::{Conn, Value};
use crate::error::Result;
use crate::paging::{self, Page};
use crate::units;
use time::Date;
use wangge_core::auth::Permission;
use wangge_core::equipment::{
    self as rules, AlertKind, EquipmentKind, EquipmentStatus, DEFAULT_ALERT_DAYS,
};

#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    /// Unit code: equipment anywhere in its subtree.
    pub unit: Option<String>,
    pub kind: Option<EquipmentKind>,
    pub status: Option<EquipmentStatus>,
    /// Only equipment with this alert today.
    pub alert: Option<AlertKind>,
    /// Look-ahead for `inspection_due` (30 days by default).
    pub within_days: Option<i64>,
}

/// The SQL condition (on alias `e`) selecting equipment with `alert` today,
/// the same rule as `wangge_core::equipment::alerts`.
pub(crate) fn alert_condition(
    alert: AlertKind,
    today: Date,
    within_days: i64,
    first: usize,
) -> (String, Vec<Value>) {
    let t = fmt_date(today);
    match alert {
        AlertKind::InspectionOverdue => (
            format!(" AND e.status = 'in_use' AND e.next_inspection_due < ${first}"),
            vec![t.into()],
        ),
        AlertKind::InspectionDue => (
            format!(
                " AND e.status = 'in_use' AND e.next_inspection_due >= ${first} AND e.next_inspection_due <= ${}",
                first + 1
            ),
            vec![
                t.into(),
                fmt_date(rules::inspection_horizon(today, within_days)).into(),
            ],
        ),
        AlertKind::MaintenanceOverdue => (
            format!(" AND e.status = 'in_use' AND e.maintenance_due < ${first}"),
            vec![t.into()],
        ),
    }
}

/// A page of the equipment in the caller's scope (or the given unit's subtree),
/// in (place, id) order.
pub fn list(
    c: &mut dyn Conn,
    ctx: &Ctx,
    f: &ListFilter,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> Result<Page<Equipment>> {
    ctx.require(Permission::EquipmentRead)?;
    let limit = paging::limit(limit)?;
    let within = rules::check_alert_days(f.within_days.unwrap_or(DEFAULT_ALERT_DAYS))?;
    let root = units::list_root(c, ctx, f.unit.as_deref())?;
    let today = ctx.today();
    paging::subtree_page(
        c,
        SELECT,
        "equipment",
        "e",
        &root,
        |first| {
            let mut args: Vec<Value> = Vec::new();
            let mut sql = String::new();
            if let Some(kind) = f.kind {
                args.push(kind.as_str().into());
                sql.push_str(&format!(" AND e.kind = ${}", first + args.len() - 1));
            }
            if let Some(s) = f.status {
                args.push(s.as_str().into());
                sql.push_str(&format!(" AND e.status = ${}", first + args.len() - 1));
            }
            if let Some(a) = f.alert {
                let (cond, vals) = alert_condition(a, today, within, first + args.len());
                sql.push_str(&cond);
                args.extend(vals);
            }
            (sql, args)
        },
        cursor,
        limit,
        |r| from_row(r, today),
        |e| e.id,
    )
}

/// The path range of the caller's scope, for queries that are not paged.
pub(crate) fn scope_range(ctx: &Ctx) -> (String, String) {
    match &ctx.scope {
        crate::Scope::All => subtree_range("/"),
        crate::Scope::Subtree(p) => subtree_range(p),
    }
}
