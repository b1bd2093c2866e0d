//! Households (户): a number, the unit they live in, and their members.

use crate::ctx::{ms_to_time, Ctx};
use crate::db::{Conn, Row};
use crate::error::{Error, Result};
use crate::paging::{self, Page};
use crate::{audit, params, units};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use wangge_core::auth::Permission;
use wangge_core::people::{check_text, optional};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Household {
    pub id: i64,
    /// The household number (户号), if the office keeps one.
    pub number: Option<String>,
    pub unit: String,
    pub unit_name: String,
    pub members: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHousehold {
    pub number: Option<String>,
    /// Code of the unit (usually a building) where the household lives.
    pub unit: String,
}

const SELECT: &str = "SELECT h.id, h.number, u.code, u.name,
    (SELECT COUNT(*) FROM people m WHERE m.household_id = h.id), h.created_at, h.unit_path
    FROM households h JOIN units u ON u.id = h.unit_id";

fn from_row(r: &Row) -> Result<(Household, String)> {
    Ok((
        Household {
            id: r.get(0)?,
            number: r.get(1)?,
            unit: r.get(2)?,
            unit_name: r.get(3)?,
            members: r.get(4)?,
            created_at: ms_to_time(r.get(5)?),
        },
        r.get(6)?,
    ))
}

pub fn create(c: &mut dyn Conn, ctx: &Ctx, new: NewHousehold) -> Result<Household> {
    ctx.require(Permission::RegistryWrite)?;
    let number = optional(new.number.as_deref())
        .map(|n| check_text("number", n, 40))
        .transpose()?;
    let unit = units::resolve(c, ctx, "unit", &new.unit)?;
    let id: i64 = c
        .query_one(
            "INSERT INTO households (number, unit_id, unit_path, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $4) RETURNING id",
            params![number, unit.id, unit.path, ctx.now_ms()],
        )?
        .get(0)?;
    audit::record(
        c,
        ctx,
        "household",
        id,
        "create",
        json!({"unit": unit.code}),
    )?;
    get(c, ctx, id)
}

pub fn get(c: &mut dyn Conn, ctx: &Ctx, id: i64) -> Result<Household> {
    ctx.require(Permission::RegistryRead)?;
    let r = c
        .query_opt(&format!("{SELECT} WHERE h.id = $1"), params![id])?
        .ok_or_else(|| Error::not_found("household"))?;
    let (h, path) = from_row(&r)?;
    if ctx.scope.contains(&path) {
        Ok(h)
    } else {
        Err(Error::not_found("household"))
    }
}

pub fn list(
    c: &mut dyn Conn,
    ctx: &Ctx,
    unit: Option<&str>,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> Result<Page<Household>> {
    ctx.require(Permission::RegistryRead)?;
    let limit = paging::limit(limit)?;
    let root = units::list_root(c, ctx, unit)?;
    paging::subtree_page(
        c,
        SELECT,
        "households",
        "h",
        &root,
        |_| (String::new(), vec![]),
        cursor,
        limit,
        from_row,
        |h| h.id,
    )
}

/// The members of a household, head first.
pub fn members(c: &mut dyn Conn, ctx: &Ctx, id: i64) -> Result<Vec<crate::people::Person>> {
    ctx.require(Permission::RegistryRead)?;
    get(c, ctx, id)?;
    let ids = c.query(
        "SELECT id FROM people WHERE household_id = $1
         ORDER BY CASE WHEN relation = 'head' THEN 0 ELSE 1 END, id LIMIT 200",
        params![id],
    )?;
    ids.iter()
        .map(|r| crate::people::get(c, ctx, r.get(0)?))
        .collect()
}
