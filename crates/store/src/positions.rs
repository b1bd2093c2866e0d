//! Positions: who holds which titled post in which organisation, and when.

use crate::ctx::Ctx;
use crate::db::{Conn, Row};
use crate::error::{Error, Result};
use crate::organisations::Organisation;
use crate::{audit, params, people, registry};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::Date;
use wangge_core::auth::Permission;
use wangge_core::people::check_text;
use wangge_core::positions::{check_period, PositionKind};
use wangge_core::Error as CoreError;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Position {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub org_id: i64,
    pub org_name: String,
    pub kind: PositionKind,
    /// The title as the organisation writes it: 书记, 网格员, 业委会委员 …
    pub title: String,
    /// YYYY-MM-DD
    pub from: String,
    /// YYYY-MM-DD; absent while the position is held.
    pub to: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPosition {
    pub person_id: i64,
    pub org_id: i64,
    pub kind: PositionKind,
    #[schema(min_length = 1, max_length = 50)]
    pub title: String,
    /// YYYY-MM-DD
    pub from: String,
    /// YYYY-MM-DD
    pub to: Option<String>,
}

const SELECT: &str = "SELECT ps.id, ps.person_id, p.name, ps.org_id, o.name, ps.kind, ps.title,
    ps.from_date, ps.to_date, p.unit_path, o.unit_path
    FROM positions ps JOIN people p ON p.id = ps.person_id JOIN organisations o ON o.id = ps.org_id";

fn from_row(r: &Row) -> Result<(Position, String, String)> {
    Ok((
        Position {
            id: r.get(0)?,
            person_id: r.get(1)?,
            person_name: r.get(2)?,
            org_id: r.get(3)?,
            org_name: r.get(4)?,
            kind: PositionKind::parse(&r.get::<String>(5)?)?,
            title: r.get(6)?,
            from: r.get(7)?,
            to: r.get(8)?,
        },
        r.get(9)?,
        r.get(10)?,
    ))
}

pub fn parse_date(field: &str, s: &str) -> Result<Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), &fmt).map_err(|_| {
        CoreError::invalid(
            field,
            "date_format",
            format!("日期“{s}”格式不正确,应为 YYYY-MM-DD"),
            format!("'{s}' is not a date in the form YYYY-MM-DD"),
        )
        .into()
    })
}

pub fn create(c: &mut dyn Conn, ctx: &Ctx, new: NewPosition) -> Result<Position> {
    ctx.require(Permission::RegistryWrite)?;
    let title = check_text("title", &new.title, 50)?;
    let from = parse_date("from", &new.from)?;
    let to = new.to.as_deref().map(|t| parse_date("to", t)).transpose()?;
    check_period(from, to)?;
    let reference = |field: &'static str, id: i64| {
        move |e: Error| match e {
            Error::NotFound { what } => CoreError::invalid(
                field,
                "unknown_reference",
                format!("引用的记录{id}不存在"),
                format!("no {what} {id}"),
            )
            .into(),
            other => other,
        }
    };
    people::get(c, ctx, new.person_id).map_err(reference("person_id", new.person_id))?;
    registry::get::<Organisation>(c, ctx, new.org_id).map_err(reference("org_id", new.org_id))?;
    let id: i64 = c
        .query_one(
            "INSERT INTO positions (person_id, org_id, kind, title, from_date, to_date, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            params![
                new.person_id,
                new.org_id,
                new.kind.as_str(),
                title,
                from.to_string(),
                to.map(|d| d.to_string()),
                ctx.now_ms()
            ],
        )?
        .get(0)?;
    audit::record(
        c,
        ctx,
        "position",
        id,
        "create",
        json!({"person_id": new.person_id, "org_id": new.org_id}),
    )?;
    get(c, ctx, id)
}

/// A position is visible when its person or its organisation is in scope.
pub fn get(c: &mut dyn Conn, ctx: &Ctx, id: i64) -> Result<Position> {
    ctx.require(Permission::RegistryRead)?;
    let r = c
        .query_opt(&format!("{SELECT} WHERE ps.id = $1"), params![id])?
        .ok_or_else(|| Error::not_found("position"))?;
    let (p, person_path, org_path) = from_row(&r)?;
    if ctx.scope.contains(&person_path) || ctx.scope.contains(&org_path) {
        Ok(p)
    } else {
        Err(Error::not_found("position"))
    }
}

/// Ends a position on a date.
pub fn end(c: &mut dyn Conn, ctx: &Ctx, id: i64, to: &str) -> Result<Position> {
    ctx.require(Permission::RegistryWrite)?;
    let p = get(c, ctx, id)?;
    let to = parse_date("to", to)?;
    check_period(parse_date("from", &p.from)?, Some(to))?;
    c.execute(
        "UPDATE positions SET to_date = $1 WHERE id = $2",
        params![to.to_string(), id],
    )?;
    audit::record(c, ctx, "position", id, "end", json!({"fields": ["to"]}))?;
    get(c, ctx, id)
}

/// Positions of a person or of an organisation, oldest first.
pub fn list(
    c: &mut dyn Conn,
    ctx: &Ctx,
    person_id: Option<i64>,
    org_id: Option<i64>,
) -> Result<Vec<Position>> {
    ctx.require(Permission::RegistryRead)?;
    let rows = match (person_id, org_id) {
        (Some(p), _) => {
            people::get(c, ctx, p)?;
            c.query(
                &format!(
                    "{SELECT} WHERE ps.person_id = $1 ORDER BY ps.from_date, ps.id LIMIT 1000"
                ),
                params![p],
            )?
        }
        (None, Some(o)) => {
            registry::get::<Organisation>(c, ctx, o)?;
            c.query(
                &format!("{SELECT} WHERE ps.org_id = $1 ORDER BY ps.from_date, ps.id LIMIT 1000"),
                params![o],
            )?
        }
        (None, None) => {
            return Err(CoreError::invalid(
                "person_id",
                "required",
                "请指定人员(person_id)或组织(org_id)",
                "give a person_id or an org_id",
            )
            .into())
        }
    };
    Ok(rows
        .iter()
        .map(from_row)
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .filter(|(_, pp, op)| ctx.scope.contains(pp) || ctx.scope.contains(op))
        .map(|(p, _, _)| p)
        .collect())
}
