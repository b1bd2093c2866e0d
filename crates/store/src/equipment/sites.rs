//! Construction sites (施工工地): the registry that dust-control inspections
//! (the 七个百分百 checklist) target.

use super::{fmt_date, opt_date, org_ref};
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
    org_ref(c, "builder_org_id", new.builder_org_id)?;
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
