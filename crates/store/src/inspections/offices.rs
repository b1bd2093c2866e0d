//! Which office supervises rectification where (属地监管): a bureau's problem
//! lists are supervised by its local office in the target's street, not by one
//! office for the whole plan. Each row says "for problems issued by this
//! organisation in this subtree, this office supervises". A target takes the
//! row of the deepest unit above it; without one, the plan's own office.

use super::{org_name, unit_in_scope};
use crate::ctx::{Ctx, Scope};
use crate::db::{Conn, Row};
use crate::error::{Error, Result};
use crate::{audit, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use wangge_core::auth::Permission;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetOffice {
    /// The organisation that issues problem lists (the bureau).
    pub issuing_org_id: i64,
    /// The unit (usually a street) whose subtree the office covers.
    pub unit: String,
    /// The office that supervises there (e.g. 佃户屯街道市场监管所).
    pub office_org_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SupervisingOffice {
    pub issuing_org_id: i64,
    pub issuing_org_name: String,
    pub unit: String,
    pub unit_name: String,
    pub office_org_id: i64,
    pub office_org_name: String,
}

const SELECT: &str =
    "SELECT s.issuing_org_id, io.name, u.code, u.name, s.office_org_id, oo.name, u.path
    FROM supervising_offices s JOIN units u ON u.id = s.unit_id
    JOIN organisations io ON io.id = s.issuing_org_id
    JOIN organisations oo ON oo.id = s.office_org_id";

/// Sets (or replaces) the office for an issuing organisation in a unit of the
/// caller's scope. Plans made afterwards use it; existing targets keep theirs.
pub fn set_office(c: &mut dyn Conn, ctx: &Ctx, new: SetOffice) -> Result<SupervisingOffice> {
    ctx.require(Permission::InspectionsManage)?;
    let (unit_id, _, _) = unit_in_scope(c, ctx, "unit", &new.unit)?;
    org_name(c, "issuing_org_id", new.issuing_org_id)?;
    org_name(c, "office_org_id", new.office_org_id)?;
    c.execute(
        "INSERT INTO supervising_offices (issuing_org_id, unit_id, office_org_id, updated_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (issuing_org_id, unit_id)
         DO UPDATE SET office_org_id = excluded.office_org_id, updated_at = excluded.updated_at",
        params![new.issuing_org_id, unit_id, new.office_org_id, ctx.now_ms()],
    )?;
    audit::record(
        c,
        ctx,
        "supervising_office",
        unit_id,
        "set",
        json!({"issuing_org_id": new.issuing_org_id, "office_org_id": new.office_org_id}),
    )?;
    get(c, new.issuing_org_id, unit_id)?.ok_or_else(|| Error::not_found("supervising office"))
}

/// Removes the office for an issuing organisation in a unit; not found if none.
pub fn remove_office(c: &mut dyn Conn, ctx: &Ctx, issuing_org_id: i64, unit: &str) -> Result<()> {
    ctx.require(Permission::InspectionsManage)?;
    let (unit_id, _, _) = unit_in_scope(c, ctx, "unit", unit)?;
    let n = c.execute(
        "DELETE FROM supervising_offices WHERE issuing_org_id = $1 AND unit_id = $2",
        params![issuing_org_id, unit_id],
    )?;
    if n == 0 {
        return Err(Error::not_found("supervising office"));
    }
    audit::record(
        c,
        ctx,
        "supervising_office",
        unit_id,
        "remove",
        json!({"issuing_org_id": issuing_org_id}),
    )
}

/// The offices configured in the caller's scope (or above it: a street's staff
/// see the zone-wide row that applies to them), by unit.
pub fn list_offices(c: &mut dyn Conn, ctx: &Ctx) -> Result<Vec<SupervisingOffice>> {
    ctx.require(Permission::InspectionsRead)?;
    let rows = c.query(
        &format!("{SELECT} ORDER BY u.path, s.issuing_org_id"),
        params![],
    )?;
    let mut out = Vec::new();
    for r in &rows {
        let path: String = r.get(6)?;
        let applies = match &ctx.scope {
            Scope::All => true,
            Scope::Subtree(root) => path.starts_with(root.as_str()) || root.starts_with(&path),
        };
        if applies {
            out.push(from_row(r)?);
        }
    }
    Ok(out)
}

fn from_row(r: &Row) -> Result<SupervisingOffice> {
    Ok(SupervisingOffice {
        issuing_org_id: r.get(0)?,
        issuing_org_name: r.get(1)?,
        unit: r.get(2)?,
        unit_name: r.get(3)?,
        office_org_id: r.get(4)?,
        office_org_name: r.get(5)?,
    })
}

fn get(c: &mut dyn Conn, issuing: i64, unit_id: i64) -> Result<Option<SupervisingOffice>> {
    c.query_opt(
        &format!("{SELECT} WHERE s.issuing_org_id = $1 AND s.unit_id = $2"),
        params![issuing, unit_id],
    )?
    .map(|r| from_row(&r))
    .transpose()
}

/// The office for a target at `target_path`: the deepest configured unit
/// above it for this issuing organisation, else `fallback` (the plan's).
pub(crate) fn office_for(
    c: &mut dyn Conn,
    issuing: i64,
    target_path: &str,
    fallback: Option<i64>,
) -> Result<Option<i64>> {
    let rows = c.query(
        "SELECT u.path, s.office_org_id FROM supervising_offices s
         JOIN units u ON u.id = s.unit_id WHERE s.issuing_org_id = $1",
        params![issuing],
    )?;
    let mut best: Option<(usize, i64)> = None;
    for r in &rows {
        let path: String = r.get(0)?;
        if target_path.starts_with(path.as_str()) && best.is_none_or(|(n, _)| path.len() > n) {
            best = Some((path.len(), r.get(1)?));
        }
    }
    Ok(best.map(|(_, o)| o).or(fallback))
}
