//! Maintenance visits and periodic inspections of one piece of equipment. Each
//! record moves the dates the alerts are computed from, in the same
//! transaction.

use super::{fmt_date, get, opt_date, org_ref, stored_date, Equipment};
use crate::ctx::{ms_to_time, Ctx};
use crate::db::{Conn, Row};
use crate::error::Result;
use crate::{audit, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use wangge_core::auth::Permission;
use wangge_core::equipment::{self as rules, EquipmentStatus, InspectionResult};
use wangge_core::people::{check_text, optional};
use wangge_core::Error as CoreError;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Maintenance {
    pub id: i64,
    pub equipment_id: i64,
    /// YYYY-MM-DD.
    pub done_on: String,
    pub org_id: Option<i64>,
    pub org_name: Option<String>,
    pub note: String,
    pub recorded_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMaintenance {
    /// YYYY-MM-DD, not before installation nor after today.
    pub done_on: String,
    /// The company that did it; by default the equipment's maintenance company.
    pub org_id: Option<i64>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PeriodicInspection {
    pub id: i64,
    pub equipment_id: i64,
    pub inspected_on: String,
    pub result: InspectionResult,
    pub next_due: String,
    pub report_no: String,
    pub note: String,
    pub recorded_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInspection {
    /// YYYY-MM-DD, not before installation nor after today.
    pub inspected_on: String,
    pub result: InspectionResult,
    /// Defaults to a year after `inspected_on`.
    pub next_due: Option<String>,
    /// The inspection body's report number.
    pub report_no: Option<String>,
    pub note: Option<String>,
}

fn note(field: &str, s: Option<&str>) -> Result<String> {
    Ok(match optional(s) {
        Some(s) => check_text(field, s, 500)?,
        None => String::new(),
    })
}

/// Records a maintenance visit. A visit older than the last one recorded is
/// kept in the history but does not move the due date back.
pub fn record_maintenance(
    c: &mut dyn Conn,
    ctx: &Ctx,
    equipment_id: i64,
    new: NewMaintenance,
) -> Result<Maintenance> {
    ctx.require(Permission::EquipmentWrite)?;
    let e = get(c, ctx, equipment_id)?;
    refuse_scrapped(&e)?;
    let done = rules::parse_date("done_on", &new.done_on)?;
    let installed = stored_date(&e.installed_on)?;
    rules::check_event_date("done_on", done, installed, ctx.today())?;
    let org_id = new.org_id.or(e.maintenance_org_id);
    if let Some(o) = new.org_id {
        org_ref(c, ctx, "org_id", o)?;
    }
    let note = note("note", new.note.as_deref())?;
    let last = opt_date("last_maintained_on", e.last_maintained_on.as_deref())?;
    let newest = last.map_or(done, |l| l.max(done));
    let due = rules::maintenance_due(installed, Some(newest), e.maintenance_interval_days);
    let now = ctx.now_ms();
    let id: i64 = c
        .query_one(
            "INSERT INTO equipment_maintenance (equipment_id, done_on, org_id, note, recorded_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            params![e.id, fmt_date(done), org_id, note, ctx.actor.as_str(), now],
        )?
        .get(0)?;
    c.execute(
        "UPDATE equipment SET last_maintained_on = $1, maintenance_due = $2, version = version + 1,
         updated_at = $3 WHERE id = $4",
        params![fmt_date(newest), fmt_date(due), now, e.id],
    )?;
    audit::record(
        c,
        ctx,
        "equipment",
        e.id,
        "maintenance",
        json!({"record": id, "done_on": fmt_date(done)}),
    )?;
    maintenance(c, ctx, e.id)?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or_else(|| crate::Error::not_found("maintenance record"))
}

fn refuse_scrapped(e: &Equipment) -> Result<()> {
    if e.status == EquipmentStatus::Scrapped {
        return Err(CoreError::conflict(
            "equipment_scrapped",
            "设备已报废,不能再登记维保或检验",
            "the equipment is scrapped; no more maintenance or inspections can be recorded",
        )
        .into());
    }
    Ok(())
}

/// Records a periodic inspection. The newest inspection sets the last and next
/// inspection dates; a failed one stops equipment that was in use.
pub fn record_inspection(
    c: &mut dyn Conn,
    ctx: &Ctx,
    equipment_id: i64,
    new: NewInspection,
) -> Result<PeriodicInspection> {
    ctx.require(Permission::EquipmentWrite)?;
    let e = get(c, ctx, equipment_id)?;
    refuse_scrapped(&e)?;
    let on = rules::parse_date("inspected_on", &new.inspected_on)?;
    let installed = stored_date(&e.installed_on)?;
    rules::check_event_date("inspected_on", on, installed, ctx.today())?;
    let next = match opt_date("next_due", new.next_due.as_deref())? {
        Some(n) if n <= on => {
            return Err(CoreError::invalid(
                "next_due",
                "dates_order",
                "下次检验日期必须晚于本次检验日期",
                "the next inspection must be after this one",
            )
            .into())
        }
        Some(n) => n,
        None => rules::next_inspection_after(on),
    };
    let report_no = match optional(new.report_no.as_deref()) {
        Some(s) => check_text("report_no", s, 60)?,
        None => String::new(),
    };
    let note = note("note", new.note.as_deref())?;
    let now = ctx.now_ms();
    let id: i64 = c
        .query_one(
            "INSERT INTO equipment_inspections (equipment_id, inspected_on, result, next_due, report_no,
                note, recorded_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            params![
                e.id,
                fmt_date(on),
                new.result.as_str(),
                fmt_date(next),
                report_no,
                note,
                ctx.actor.as_str(),
                now
            ],
        )?
        .get(0)?;
    let last = opt_date("last_inspected_on", e.last_inspected_on.as_deref())?;
    let newest = last.is_none_or(|l| on >= l);
    let mut detail = json!({"record": id, "inspected_on": fmt_date(on), "result": new.result});
    if newest {
        let status = rules::status_after_inspection(e.status, new.result);
        c.execute(
            "UPDATE equipment SET last_inspected_on = $1, next_inspection_due = $2, status = $3,
             version = version + 1, updated_at = $4 WHERE id = $5",
            params![fmt_date(on), fmt_date(next), status.as_str(), now, e.id],
        )?;
        if status != e.status {
            detail["status"] = json!({"from": e.status, "to": status});
        }
    }
    audit::record(c, ctx, "equipment", e.id, "inspection", detail)?;
    inspections(c, ctx, e.id)?
        .into_iter()
        .find(|i| i.id == id)
        .ok_or_else(|| crate::Error::not_found("inspection record"))
}

fn maintenance_row(r: &Row) -> Result<Maintenance> {
    Ok(Maintenance {
        id: r.get(0)?,
        equipment_id: r.get(1)?,
        done_on: r.get(2)?,
        org_id: r.get(3)?,
        org_name: r.get(4)?,
        note: r.get(5)?,
        recorded_by: r.get(6)?,
        created_at: ms_to_time(r.get(7)?),
    })
}

/// The maintenance history of one piece of equipment, newest first.
pub fn maintenance(c: &mut dyn Conn, ctx: &Ctx, equipment_id: i64) -> Result<Vec<Maintenance>> {
    get(c, ctx, equipment_id)?;
    c.query(
        "SELECT m.id, m.equipment_id, m.done_on, m.org_id, o.name, m.note, m.recorded_by, m.created_at
         FROM equipment_maintenance m LEFT JOIN organisations o ON o.id = m.org_id
         WHERE m.equipment_id = $1 ORDER BY m.done_on DESC, m.id DESC",
        params![equipment_id],
    )?
    .iter()
    .map(maintenance_row)
    .collect()
}

/// The periodic inspections of one piece of equipment, newest first.
pub fn inspections(
    c: &mut dyn Conn,
    ctx: &Ctx,
    equipment_id: i64,
) -> Result<Vec<PeriodicInspection>> {
    get(c, ctx, equipment_id)?;
    c.query(
        "SELECT id, equipment_id, inspected_on, result, next_due, report_no, note, recorded_by, created_at
         FROM equipment_inspections WHERE equipment_id = $1 ORDER BY inspected_on DESC, id DESC",
        params![equipment_id],
    )?
    .iter()
    .map(|r| {
        Ok(PeriodicInspection {
            id: r.get(0)?,
            equipment_id: r.get(1)?,
            inspected_on: r.get(2)?,
            result: InspectionResult::parse(&r.get::<String>(3)?)?,
            next_due: r.get(4)?,
            report_no: r.get(5)?,
            note: r.get(6)?,
            recorded_by: r.get(7)?,
            created_at: ms_to_time(r.get(8)?),
        })
    })
    .collect()
}
