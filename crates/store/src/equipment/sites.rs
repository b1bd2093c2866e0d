//! Construction sites (施工工地): the registry that dust-control inspections
//! (the 七个百分百 checklist) target.

use super::{fmt_date, opt_date, org_ref, stored_date};
use crate::ctx::{ms_to_time, Ctx};
use crate::db::{Conn, Row, Value};
use crate::error::{Error, Result};
use crate::paging::{self, Page};
use crate::{audit, params, units};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use wangge_core::auth::Permission;
use wangge_core::equipment::{self as rules, SiteStatus};
use wangge_core::people::{check_text, optional};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Site {
    pub id: i64,
    /// The project's name.
    pub name: String,
    /// The construction company (施工单位).
    pub builder_org_id: i64,
    pub builder_name: String,
    pub unit: String,
    pub unit_name: String,
    pub location: String,
    /// YYYY-MM-DD.
    pub starts_on: String,
    pub ends_on: Option<String>,
    pub status: SiteStatus,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSite {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    pub builder_org_id: i64,
    /// Unit code.
    pub unit: String,
    pub location: Option<String>,
    /// YYYY-MM-DD.
    pub starts_on: String,
    pub ends_on: Option<String>,
    /// Defaults to `active`.
    pub status: Option<SiteStatus>,
}

/// A change to a construction site: only the fields given change. An empty
/// `ends_on` ("") clears the planned end; `location` "" clears the location.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SitePatch {
    pub name: Option<String>,
    pub builder_org_id: Option<i64>,
    /// Unit code; must lie in the caller's scope, like the site's present unit.
    pub unit: Option<String>,
    pub location: Option<String>,
    /// YYYY-MM-DD.
    pub starts_on: Option<String>,
    /// YYYY-MM-DD, or "" for none.
    pub ends_on: Option<String>,
    pub status: Option<SiteStatus>,
}

const SELECT: &str = "SELECT s.id, s.name, s.builder_org_id, o.name, u.code, u.name, s.location,
    s.starts_on, s.ends_on, s.status, s.created_at, s.updated_at, s.unit_path
    FROM construction_sites s JOIN units u ON u.id = s.unit_id
    JOIN organisations o ON o.id = s.builder_org_id";

fn from_row(r: &Row) -> Result<(Site, String)> {
    Ok((
        Site {
            id: r.get(0)?,
            name: r.get(1)?,
            builder_org_id: r.get(2)?,
            builder_name: r.get(3)?,
            unit: r.get(4)?,
            unit_name: r.get(5)?,
            location: r.get(6)?,
            starts_on: r.get(7)?,
            ends_on: r.get(8)?,
            status: SiteStatus::parse(&r.get::<String>(9)?)?,
            created_at: ms_to_time(r.get(10)?),
            updated_at: ms_to_time(r.get(11)?),
        },
        r.get(12)?,
    ))
}

pub fn create_site(c: &mut dyn Conn, ctx: &Ctx, new: NewSite) -> Result<Site> {
    ctx.require(Permission::EquipmentWrite)?;
    let name = check_text("name", &new.name, 100)?;
    let unit = units::resolve(c, ctx, "unit", &new.unit)?;
    org_ref(c, ctx, "builder_org_id", new.builder_org_id)?;
    let location = match optional(new.location.as_deref()) {
        Some(l) => check_text("location", l, 100)?,
        None => String::new(),
    };
    let starts = rules::parse_date("starts_on", &new.starts_on)?;
    let ends = opt_date("ends_on", new.ends_on.as_deref())?;
    rules::check_site_period(starts, ends)?;
    let status = new.status.unwrap_or(SiteStatus::Active);
    let now = ctx.now_ms();
    let id: i64 = c
        .query_one(
            "INSERT INTO construction_sites (name, builder_org_id, unit_id, unit_path, location,
                starts_on, ends_on, status, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
            params![
                name,
                new.builder_org_id,
                unit.id,
                unit.path,
                location,
                fmt_date(starts),
                ends.map(fmt_date),
                status.as_str(),
                now
            ],
        )?
        .get(0)?;
    audit::record(
        c,
        ctx,
        "construction_site",
        id,
        "create",
        json!({"unit": unit.code, "builder_org_id": new.builder_org_id}),
    )?;
    get_site(c, ctx, id)
}

pub fn get_site(c: &mut dyn Conn, ctx: &Ctx, id: i64) -> Result<Site> {
    ctx.require(Permission::EquipmentRead)?;
    let r = c
        .query_opt(&format!("{SELECT} WHERE s.id = $1"), params![id])?
        .ok_or_else(|| Error::not_found("construction site"))?;
    let (s, path) = from_row(&r)?;
    if ctx.scope.contains(&path) {
        Ok(s)
    } else {
        Err(Error::not_found("construction site"))
    }
}

/// Changes the fields `patch` gives. The site must be in the caller's scope
/// (else it is not found) and so must a new unit (else the unit is unknown);
/// the period is checked as a whole, the old end against a new start. The
/// audit entry names the changed fields (and the unit and status moves),
/// never their values otherwise; a patch that changes nothing writes nothing.
pub fn update_site(c: &mut dyn Conn, ctx: &Ctx, id: i64, patch: SitePatch) -> Result<Site> {
    ctx.require(Permission::EquipmentWrite)?;
    let current = get_site(c, ctx, id)?;
    let mut sets: Vec<(&'static str, Value)> = Vec::new();
    if let Some(n) = &patch.name {
        let n = check_text("name", n, 100)?;
        if n != current.name {
            sets.push(("name", n.into()));
        }
    }
    if let Some(o) = patch.builder_org_id {
        org_ref(c, ctx, "builder_org_id", o)?;
        if o != current.builder_org_id {
            sets.push(("builder_org_id", o.into()));
        }
    }
    let mut moved = None;
    if let Some(code) = &patch.unit {
        let unit = units::resolve(c, ctx, "unit", code.trim())?;
        if unit.code != current.unit {
            sets.push(("unit_id", unit.id.into()));
            sets.push(("unit_path", unit.path.clone().into()));
            moved = Some(unit.code);
        }
    }
    if let Some(l) = &patch.location {
        let l = match optional(Some(l)) {
            Some(l) => check_text("location", l, 100)?,
            None => String::new(),
        };
        if l != current.location {
            sets.push(("location", l.into()));
        }
    }
    let starts = match &patch.starts_on {
        Some(s) => rules::parse_date("starts_on", s)?,
        None => stored_date(&current.starts_on)?,
    };
    let ends = match &patch.ends_on {
        Some(e) => opt_date("ends_on", Some(e))?,
        None => current.ends_on.as_deref().map(stored_date).transpose()?,
    };
    rules::check_site_period(starts, ends)?;
    let (starts, ends) = (fmt_date(starts), ends.map(fmt_date));
    if patch.starts_on.is_some() && starts != current.starts_on {
        sets.push(("starts_on", starts.into()));
    }
    if patch.ends_on.is_some() && ends != current.ends_on {
        sets.push(("ends_on", ends.into()));
    }
    if let Some(st) = patch.status.filter(|s| *s != current.status) {
        sets.push(("status", st.as_str().into()));
    }
    if sets.is_empty() {
        return Ok(current);
    }
    let assign: Vec<String> = sets
        .iter()
        .enumerate()
        .map(|(i, (f, _))| format!("{f} = ${}", i + 1))
        .collect();
    let mut args: Vec<Value> = sets.iter().map(|(_, v)| v.clone()).collect();
    args.push(ctx.now_ms().into());
    args.push(id.into());
    c.execute(
        &format!(
            "UPDATE construction_sites SET {}, updated_at = ${} WHERE id = ${}",
            assign.join(", "),
            args.len() - 1,
            args.len()
        ),
        &args,
    )?;
    // unit_id and unit_path are one change: the API's "unit".
    let mut fields: Vec<&str> = Vec::new();
    for (f, _) in &sets {
        let f = if *f == "unit_path" || *f == "unit_id" {
            "unit"
        } else {
            *f
        };
        if !fields.contains(&f) {
            fields.push(f);
        }
    }
    let mut detail = json!({ "fields": fields });
    if let Some(to) = moved {
        detail["unit"] = json!({"from": current.unit, "to": to});
    }
    if let Some(st) = patch.status.filter(|s| *s != current.status) {
        detail["status"] = json!({"from": current.status, "to": st});
    }
    audit::record(c, ctx, "construction_site", id, "update", detail)?;
    get_site(c, ctx, id)
}

#[derive(Debug, Default, Clone)]
pub struct SiteFilter {
    pub unit: Option<String>,
    pub status: Option<SiteStatus>,
}

pub fn list_sites(
    c: &mut dyn Conn,
    ctx: &Ctx,
    f: &SiteFilter,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> Result<Page<Site>> {
    ctx.require(Permission::EquipmentRead)?;
    let limit = paging::limit(limit)?;
    let root = units::list_root(c, ctx, f.unit.as_deref())?;
    paging::subtree_page(
        c,
        SELECT,
        "construction_sites",
        "s",
        &root,
        |first| match f.status {
            Some(st) => (
                format!(" AND s.status = ${first}"),
                vec![Value::from(st.as_str())],
            ),
            None => (String::new(), Vec::new()),
        },
        cursor,
        limit,
        from_row,
        |s| s.id,
    )
}
