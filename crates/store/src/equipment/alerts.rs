//! The equipment alerts of a caller's scope: counts of each kind and the most
//! urgent items, for the alert API, the staff home page and the dashboard.

use super::list::scope_range;
use super::{fmt_date, from_row, SELECT};
use crate::ctx::Ctx;
use crate::db::Conn;
use crate::error::Result;
use crate::{paging, params};
use serde::Serialize;
use time::Date;
use wangge_core::auth::Permission;
use wangge_core::equipment::{self as rules, Alert, AlertKind, EquipmentKind};

/// One alert of one piece of equipment.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EquipmentAlert {
    pub equipment_id: i64,
    pub registration_code: String,
    pub kind: EquipmentKind,
    pub unit: String,
    pub unit_name: String,
    pub location: String,
    pub use_org_name: String,
    pub maintenance_org_name: Option<String>,
    pub alert: Alert,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct AlertCounts {
    pub inspection_overdue: i64,
    pub inspection_due: i64,
    pub maintenance_overdue: i64,
}

impl AlertCounts {
    pub fn total(&self) -> i64 {
        self.inspection_overdue + self.inspection_due + self.maintenance_overdue
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AlertList {
    /// YYYY-MM-DD: the day the alerts are computed for.
    pub today: String,
    pub within_days: i64,
    /// Every alert in scope, by kind.
    pub counts: AlertCounts,
    /// The most urgent first (most days overdue, then fewest days left), at
    /// most `limit`.
    pub items: Vec<EquipmentAlert>,
}

/// The alerts in the caller's scope on `today`, looking `within_days` ahead
/// for inspections. Only equipment in use can alert, and the query is bounded
/// by the scope's path range and the two due-date conditions, so it reads the
/// alerting rows and not the whole registry.
pub fn alerts(
    c: &mut dyn Conn,
    ctx: &Ctx,
    within_days: i64,
    today: Date,
    limit: Option<i64>,
) -> Result<AlertList> {
    ctx.require(Permission::EquipmentRead)?;
    let within = rules::check_alert_days(within_days)?;
    let limit = paging::limit(limit)?;
    let (lo, hi) = scope_range(ctx);
    let rows = c.query(
        &format!(
            "{SELECT} WHERE e.unit_path >= $1 AND e.unit_path < $2 AND e.status = 'in_use'
             AND (e.next_inspection_due <= $3 OR e.maintenance_due < $4)"
        ),
        params![
            lo,
            hi,
            fmt_date(rules::inspection_horizon(today, within)),
            fmt_date(today)
        ],
    )?;
    let mut counts = AlertCounts::default();
    let mut items = Vec::new();
    for r in &rows {
        let (e, _) = from_row(r, today)?;
        for a in rules::alerts(
            e.status,
            super::stored_date(&e.next_inspection_due)?,
            super::stored_date(&e.maintenance_due)?,
            today,
            within,
        ) {
            match a.kind {
                AlertKind::InspectionOverdue => counts.inspection_overdue += 1,
                AlertKind::InspectionDue => counts.inspection_due += 1,
                AlertKind::MaintenanceOverdue => counts.maintenance_overdue += 1,
            }
            items.push(EquipmentAlert {
                equipment_id: e.id,
                registration_code: e.registration_code.clone(),
                kind: e.kind,
                unit: e.unit.clone(),
                unit_name: e.unit_name.clone(),
                location: e.location.clone(),
                use_org_name: e.use_org_name.clone(),
                maintenance_org_name: e.maintenance_org_name.clone(),
                alert: a,
            });
        }
    }
    items.sort_by(|a, b| {
        b.alert
            .days_overdue
            .cmp(&a.alert.days_overdue)
            .then(a.equipment_id.cmp(&b.equipment_id))
    });
    items.truncate(limit as usize);
    Ok(AlertList {
        today: fmt_date(today),
        within_days: within,
        counts,
        items,
    })
}
