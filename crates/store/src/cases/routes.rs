//! Routing rules: (minor category, unit subtree) → default lead organisation.
//! The rule on the deepest unit above a case wins; with none, the dispatcher
//! chooses. Changing rules needs `UsersManage` (the zone administrator).

use super::categories::minor_for_report;
use crate::ctx::Ctx;
use crate::db::{Conn, Row, Value};
use crate::error::{Error, Result};
use crate::{audit, params, units};
use serde::Serialize;
use serde_json::json;
use wangge_core::auth::Permission;
use wangge_core::Error as CoreError;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Route {
    pub id: i64,
    /// The minor category's code.
    pub category: String,
    /// The unit whose subtree the rule covers.
    pub unit: String,
    pub unit_name: String,
    pub org_id: i64,
    pub org_name: String,
}

const ROUTE_SELECT: &str = "SELECT r.id, k.code, u.code, u.name, r.org_id, o.name
    FROM case_routes r JOIN case_categories k ON k.id = r.category_id
    JOIN units u ON u.id = r.unit_id JOIN organisations o ON o.id = r.org_id";

fn route_row(r: &Row) -> Result<Route> {
    Ok(Route {
        id: r.get(0)?,
        category: r.get(1)?,
        unit: r.get(2)?,
        unit_name: r.get(3)?,
        org_id: r.get(4)?,
        org_name: r.get(5)?,
    })
}

/// Sets the default lead organisation for a minor category in a unit's
/// subtree, replacing the rule the same pair had.
pub fn set_route(
    c: &mut dyn Conn,
    ctx: &Ctx,
    category: &str,
    unit: &str,
    org_id: i64,
) -> Result<Route> {
    ctx.require(Permission::UsersManage)?;
    super::lock_audit_chain(c)?;
    let cat = minor_for_report(c, category)?;
    let unit = units::resolve(c, ctx, "unit", unit)?;
    let org = c
        .query_opt(
            "SELECT id FROM organisations WHERE id = $1",
            params![org_id],
        )?
        .is_some();
    if !org {
        return Err(CoreError::invalid(
            "org_id",
            "unknown_organisation",
            format!("组织{org_id}不存在"),
            format!("no organisation {org_id}"),
        )
        .into());
    }
    let now = ctx.now_ms();
    let id: i64 = c
        .query_one(
            "INSERT INTO case_routes (category_id, unit_id, org_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $4)
             ON CONFLICT (category_id, unit_id) DO UPDATE SET org_id = excluded.org_id, updated_at = excluded.updated_at
             RETURNING id",
            params![cat.id, unit.id, org_id, now],
        )?
        .get(0)?;
    audit::record(
        c,
        ctx,
        "case_route",
        id,
        "set",
        json!({"category": cat.code, "unit": unit.code, "org_id": org_id}),
    )?;
    let r = c.query_one(&format!("{ROUTE_SELECT} WHERE r.id = $1"), params![id])?;
    route_row(&r)
}

pub fn delete_route(c: &mut dyn Conn, ctx: &Ctx, id: i64) -> Result<()> {
    ctx.require(Permission::UsersManage)?;
    super::lock_audit_chain(c)?;
    let n = c.execute("DELETE FROM case_routes WHERE id = $1", params![id])?;
    if n == 0 {
        return Err(Error::not_found("route"));
    }
    audit::record(c, ctx, "case_route", id, "delete", json!({}))?;
    Ok(())
}

/// The routing rules, optionally of one minor category, in category and unit order.
pub fn list_routes(c: &mut dyn Conn, category: Option<&str>) -> Result<Vec<Route>> {
    let rows = match category {
        Some(code) => c.query(
            &format!("{ROUTE_SELECT} WHERE k.code = $1 ORDER BY k.code, u.path"),
            params![code],
        )?,
        None => c.query(&format!("{ROUTE_SELECT} ORDER BY k.code, u.path"), &[])?,
    };
    rows.iter().map(route_row).collect()
}

/// The ids on a materialized path ('/1/5/23/' → [1, 5, 23]), root first.
pub(crate) fn path_ids(path: &str) -> Vec<i64> {
    path.split('/').filter_map(|s| s.parse().ok()).collect()
}

/// The rule that applies to a case of `category_id` at `unit_path`: the one on
/// the deepest unit above (or at) it.
pub(crate) fn route_rule(
    c: &mut dyn Conn,
    category_id: i64,
    unit_path: &str,
) -> Result<Option<Route>> {
    let ids = path_ids(unit_path);
    if ids.is_empty() {
        return Ok(None);
    }
    let mut args: Vec<Value> = vec![category_id.into()];
    let mut marks = Vec::new();
    for id in ids {
        args.push(id.into());
        marks.push(format!("${}", args.len()));
    }
    let sql = format!(
        "{ROUTE_SELECT} WHERE r.category_id = $1 AND r.unit_id IN ({}) ORDER BY u.depth DESC LIMIT 1",
        marks.join(", ")
    );
    c.query_opt(&sql, &args)?.map(|r| route_row(&r)).transpose()
}

/// The default lead organisation for a minor category at a unit, by the most
/// specific rule; `None` when no rule covers it (the dispatcher chooses).
pub fn route_for(c: &mut dyn Conn, ctx: &Ctx, category: &str, unit: &str) -> Result<Option<Route>> {
    let cat = minor_for_report(c, category)?;
    let unit = super::intake::unit_for_report(c, ctx, unit)?;
    route_rule(c, cat.id, &unit.path)
}
