//! The special-equipment registry (elevators, escalators) and the
//! construction-site registry, scoped by unit subtree like the rest of the
//! registry. The date rules and alert kinds are in `wangge_core::equipment`;
//! this module stores the dates and selects by them.
//!
//! Maintenance visits and periodic inspections are in `records`, the alert
//! list of a scope in `alerts`, construction sites in `sites`.

mod alerts;
mod list;
mod records;
mod sites;

pub use alerts::{alerts, AlertCounts, AlertList, EquipmentAlert};
pub use list::{list, ListFilter};
pub use records::{
    inspections, maintenance, record_inspection, record_maintenance, Maintenance, NewInspection,
    NewMaintenance, PeriodicInspection,
};
pub use sites::{site_status_zh, NewSite, Site, SiteFilter, SitePatch};

use crate::ctx::{ms_to_time, Ctx};
use crate::db::{Conn, Row, Value};
use crate::error::{Error, Result};
use crate::{audit, params, units};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::{Date, OffsetDateTime};
use wangge_core::auth::Permission;
use wangge_core::equipment::{
    self as rules, Alert, EquipmentKind, EquipmentStatus, DEFAULT_ALERT_DAYS,
    DEFAULT_MAINTENANCE_DAYS,
};
use wangge_core::people::{check_text, optional};
use wangge_core::Error as CoreError;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Equipment {
    pub id: i64,
    /// 使用登记证编号 or equipment code, normalised (unique).
    pub registration_code: String,
    pub kind: EquipmentKind,
    /// Code of the unit (compound, building, place) it stands in.
    pub unit: String,
    pub unit_name: String,
    /// Where in the unit: building, entrance, car number.
    pub location: String,
    /// The use unit (使用单位) answerable for it.
    pub use_org_id: i64,
    pub use_org_name: String,
    /// The maintenance company (维保单位).
    pub maintenance_org_id: Option<i64>,
    pub maintenance_org_name: Option<String>,
    /// Type and model (曳引式乘客电梯 / model number).
    pub model: String,
    /// YYYY-MM-DD.
    pub installed_on: String,
    pub last_inspected_on: Option<String>,
    pub next_inspection_due: String,
    pub maintenance_interval_days: i64,
    pub last_maintained_on: Option<String>,
    pub maintenance_due: String,
    pub status: EquipmentStatus,
    /// What needs attention today (30 days' look-ahead for inspections).
    pub alerts: Vec<Alert>,
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEquipment {
    pub registration_code: String,
    pub kind: EquipmentKind,
    /// Unit code.
    pub unit: String,
    pub location: Option<String>,
    pub use_org_id: i64,
    pub maintenance_org_id: Option<i64>,
    pub model: Option<String>,
    /// YYYY-MM-DD.
    pub installed_on: String,
    pub last_inspected_on: Option<String>,
    /// Defaults to a year after the last inspection (or the installation).
    pub next_inspection_due: Option<String>,
    /// Defaults to 15.
    pub maintenance_interval_days: Option<i64>,
    pub last_maintained_on: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EquipmentPatch {
    pub registration_code: Option<String>,
    pub location: Option<String>,
    pub use_org_id: Option<i64>,
    pub maintenance_org_id: Option<i64>,
    pub model: Option<String>,
    pub maintenance_interval_days: Option<i64>,
    pub status: Option<EquipmentStatus>,
}

pub(crate) const SELECT: &str =
    "SELECT e.id, e.registration_code, e.kind, u.code, u.name, e.location,
    e.use_org_id, uo.name, e.maintenance_org_id, mo.name, e.model, e.installed_on,
    e.last_inspected_on, e.next_inspection_due, e.maintenance_interval_days,
    e.last_maintained_on, e.maintenance_due, e.status, e.version, e.created_at, e.updated_at,
    e.unit_path
    FROM equipment e JOIN units u ON u.id = e.unit_id
    JOIN organisations uo ON uo.id = e.use_org_id
    LEFT JOIN organisations mo ON mo.id = e.maintenance_org_id";

pub(crate) fn from_row(r: &Row, today: Date) -> Result<(Equipment, String)> {
    let status = EquipmentStatus::parse(&r.get::<String>(17)?)?;
    let next: String = r.get(13)?;
    let maint: String = r.get(16)?;
    let alerts = rules::alerts(
        status,
        stored_date(&next)?,
        stored_date(&maint)?,
        today,
        DEFAULT_ALERT_DAYS,
    );
    Ok((
        Equipment {
            id: r.get(0)?,
            registration_code: r.get(1)?,
            kind: EquipmentKind::parse(&r.get::<String>(2)?)?,
            unit: r.get(3)?,
            unit_name: r.get(4)?,
            location: r.get(5)?,
            use_org_id: r.get(6)?,
            use_org_name: r.get(7)?,
            maintenance_org_id: r.get(8)?,
            maintenance_org_name: r.get(9)?,
            model: r.get(10)?,
            installed_on: r.get(11)?,
            last_inspected_on: r.get(12)?,
            next_inspection_due: next,
            maintenance_interval_days: r.get(14)?,
            last_maintained_on: r.get(15)?,
            maintenance_due: maint,
            status,
            alerts,
            version: r.get(18)?,
            created_at: ms_to_time(r.get(19)?),
            updated_at: ms_to_time(r.get(20)?),
        },
        r.get(21)?,
    ))
}

/// A date as stored: `YYYY-MM-DD`.
pub fn fmt_date(d: Date) -> String {
    d.format(rules::date_format::FORMAT)
        .unwrap_or_else(|_| d.to_string())
}

/// Reads a date the store wrote; a malformed one is damage, not user input.
pub(crate) fn stored_date(s: &str) -> Result<Date> {
    Date::parse(s, rules::date_format::FORMAT)
        .map_err(|_| Error::Db(format!("malformed stored date '{s}'")))
}

pub(crate) fn opt_date(field: &str, s: Option<&str>) -> Result<Option<Date>> {
    Ok(match optional(s) {
        Some(s) => Some(rules::parse_date(field, s)?),
        None => None,
    })
}

/// The name of an organisation referenced from an input field, within the
/// caller's scope (as `organisations::get` sees it). One outside is answered
/// like one that does not exist: a write must not learn, or point at, what
/// the caller cannot see.
pub(crate) fn org_ref(c: &mut dyn Conn, ctx: &Ctx, field: &str, id: i64) -> Result<String> {
    let found = c.query_opt(
        "SELECT name, unit_path FROM organisations WHERE id = $1",
        params![id],
    )?;
    match found {
        Some(r) if ctx.scope.contains(&r.get::<String>(1)?) => r.get(0),
        _ => Err(CoreError::invalid(
            field,
            "unknown_organisation",
            format!("组织{id}不存在"),
            format!("no organisation {id}"),
        )
        .into()),
    }
}

/// The organisation a form names by its exact name or credit code (the way
/// offices write the use and maintenance units), among those in the
/// caller's scope, as `org_ref`.
pub fn find_org(c: &mut dyn Conn, ctx: &Ctx, field: &str, text: &str) -> Result<i64> {
    let text = text.trim();
    let mut ids: Vec<i64> = Vec::new();
    for r in c.query(
        "SELECT id, unit_path FROM organisations WHERE name = $1 OR credit_code = $1 ORDER BY id",
        params![text],
    )? {
        if ctx.scope.contains(&r.get::<String>(1)?) {
            ids.push(r.get(0)?);
        }
    }
    match ids.as_slice() {
        [id] => Ok(*id),
        [] => Err(CoreError::invalid(
            field,
            "unknown_organisation",
            format!("组织“{text}”未登记"),
            format!("no organisation '{text}' is registered"),
        )
        .into()),
        _ => Err(CoreError::invalid(
            field,
            "ambiguous_organisation",
            format!("名为“{text}”的组织不止一个,请填写统一社会信用代码"),
            format!("more than one organisation is named '{text}'; give its credit code"),
        )
        .into()),
    }
}

fn code_taken(code: &str) -> impl Fn(Error) -> Error + '_ {
    move |e| match e {
        Error::Unique(_) => CoreError::conflict(
            "registration_code_taken",
            format!("注册代码“{code}”已登记在另一台设备上"),
            format!("registration code '{code}' is already registered to other equipment"),
        )
        .into(),
        other => other,
    }
}

pub fn create(c: &mut dyn Conn, ctx: &Ctx, new: NewEquipment) -> Result<Equipment> {
    ctx.require(Permission::EquipmentWrite)?;
    let code = rules::normalise_registration_code(&new.registration_code)?;
    let unit = units::resolve(c, ctx, "unit", &new.unit)?;
    let location = text_or_empty("location", new.location.as_deref(), 100)?;
    let model = text_or_empty("model", new.model.as_deref(), 100)?;
    org_ref(c, ctx, "use_org_id", new.use_org_id)?;
    if let Some(m) = new.maintenance_org_id {
        org_ref(c, ctx, "maintenance_org_id", m)?;
    }
    let installed_on = rules::parse_date("installed_on", &new.installed_on)?;
    let last = opt_date("last_inspected_on", new.last_inspected_on.as_deref())?;
    let next_given = opt_date("next_inspection_due", new.next_inspection_due.as_deref())?;
    let today = ctx.today();
    let next = rules::check_dates(
        rules::Dates {
            installed_on,
            last_inspected_on: last,
            next_inspection_due: next_given,
        },
        today,
    )?;
    let interval = rules::check_interval(
        new.maintenance_interval_days
            .unwrap_or(DEFAULT_MAINTENANCE_DAYS),
    )?;
    let last_maint = opt_date("last_maintained_on", new.last_maintained_on.as_deref())?;
    if let Some(m) = last_maint {
        rules::check_event_date("last_maintained_on", m, installed_on, today)?;
    }
    let maint_due = rules::maintenance_due(installed_on, last_maint, interval);
    let now = ctx.now_ms();
    let id: i64 = c
        .query_one(
            "INSERT INTO equipment (registration_code, kind, unit_id, unit_path, location, use_org_id,
                maintenance_org_id, model, installed_on, last_inspected_on, next_inspection_due,
                maintenance_interval_days, last_maintained_on, maintenance_due, status, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'in_use', $15, $15)
             RETURNING id",
            params![
                code.as_str(),
                new.kind.as_str(),
                unit.id,
                unit.path,
                location,
                new.use_org_id,
                new.maintenance_org_id,
                model,
                fmt_date(installed_on),
                last.map(fmt_date),
                fmt_date(next),
                interval,
                last_maint.map(fmt_date),
                fmt_date(maint_due),
                now
            ],
        )
        .map_err(code_taken(&code))?
        .get(0)?;
    audit::record(
        c,
        ctx,
        "equipment",
        id,
        "create",
        json!({"registration_code": code, "unit": unit.code}),
    )?;
    get(c, ctx, id)
}

fn text_or_empty(field: &str, s: Option<&str>, max: usize) -> Result<String> {
    Ok(match optional(s) {
        Some(s) => check_text(field, s, max)?,
        None => String::new(),
    })
}

/// One piece of equipment in the caller's scope.
pub fn get(c: &mut dyn Conn, ctx: &Ctx, id: i64) -> Result<Equipment> {
    ctx.require(Permission::EquipmentRead)?;
    let r = c
        .query_opt(&format!("{SELECT} WHERE e.id = $1"), params![id])?
        .ok_or_else(|| Error::not_found("equipment"))?;
    let (e, path) = from_row(&r, ctx.today())?;
    if ctx.scope.contains(&path) {
        Ok(e)
    } else {
        Err(Error::not_found("equipment"))
    }
}

pub fn update(c: &mut dyn Conn, ctx: &Ctx, id: i64, patch: EquipmentPatch) -> Result<Equipment> {
    ctx.require(Permission::EquipmentWrite)?;
    let current = get(c, ctx, id)?;
    let mut sets: Vec<(&'static str, Value)> = Vec::new();
    if let Some(code) = &patch.registration_code {
        let code = rules::normalise_registration_code(code)?;
        if code != current.registration_code {
            sets.push(("registration_code", code.into()));
        }
    }
    if let Some(l) = &patch.location {
        sets.push(("location", text_or_empty("location", Some(l), 100)?.into()));
    }
    if let Some(m) = &patch.model {
        sets.push(("model", text_or_empty("model", Some(m), 100)?.into()));
    }
    if let Some(o) = patch.use_org_id {
        org_ref(c, ctx, "use_org_id", o)?;
        sets.push(("use_org_id", o.into()));
    }
    if let Some(o) = patch.maintenance_org_id {
        org_ref(c, ctx, "maintenance_org_id", o)?;
        sets.push(("maintenance_org_id", o.into()));
    }
    if let Some(days) = patch.maintenance_interval_days {
        let days = rules::check_interval(days)?;
        let installed = stored_date(&current.installed_on)?;
        let last = opt_date("last_maintained_on", current.last_maintained_on.as_deref())?;
        sets.push(("maintenance_interval_days", days.into()));
        sets.push((
            "maintenance_due",
            fmt_date(rules::maintenance_due(installed, last, days)).into(),
        ));
    }
    if let Some(s) = patch.status {
        rules::check_status_change(current.status, s)?;
        if s != current.status {
            sets.push(("status", s.as_str().into()));
        }
    }
    if sets.is_empty() {
        return Ok(current);
    }
    let fields: Vec<&str> = sets.iter().map(|(f, _)| *f).collect();
    let mut args: Vec<Value> = sets.iter().map(|(_, v)| v.clone()).collect();
    let assign: Vec<String> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| format!("{f} = ${}", i + 1))
        .collect();
    args.push(ctx.now_ms().into());
    args.push(id.into());
    let sql = format!(
        "UPDATE equipment SET {}, version = version + 1, updated_at = ${} WHERE id = ${}",
        assign.join(", "),
        args.len() - 1,
        args.len()
    );
    let code = patch.registration_code.clone().unwrap_or_default();
    c.execute(&sql, &args).map_err(code_taken(code.trim()))?;
    let mut detail = json!({"fields": fields});
    if let Some(s) = patch.status.filter(|s| *s != current.status) {
        detail["status"] = json!({"from": current.status, "to": s});
    }
    audit::record(c, ctx, "equipment", id, "update", detail)?;
    get(c, ctx, id)
}
