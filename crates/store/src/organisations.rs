//! Organisations attached to units, their party hierarchy, and alliance members.

use crate::ctx::{ms_to_time, Ctx};
use crate::db::{Conn, Row, Value};
use crate::error::{Error, Result};
use crate::paging::{self, Page};
use crate::{audit, params, units};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use wangge_core::auth::Permission;
use wangge_core::ids::parse_credit_code;
use wangge_core::organisations::OrgKind;
use wangge_core::people::{check_text, optional};
use wangge_core::Error as CoreError;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Organisation {
    pub id: i64,
    pub name: String,
    pub kind: OrgKind,
    /// Code of the unit the organisation belongs to.
    pub unit: String,
    pub unit_name: String,
    /// The organisation above it (a compound branch's community party committee).
    pub parent_org_id: Option<i64>,
    /// Unified social credit code (GB 32100).
    pub credit_code: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganisation {
    pub name: String,
    pub kind: OrgKind,
    pub unit: String,
    pub parent_org_id: Option<i64>,
    pub credit_code: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationPatch {
    pub name: Option<String>,
    pub credit_code: Option<String>,
}

const SELECT: &str = "SELECT o.id, o.name, o.kind, u.code, u.name, o.parent_org_id, o.credit_code,
    o.created_at, o.updated_at, o.unit_path
    FROM organisations o JOIN units u ON u.id = o.unit_id";

fn from_row(r: &Row) -> Result<(Organisation, String)> {
    Ok((
        Organisation {
            id: r.get(0)?,
            name: r.get(1)?,
            kind: OrgKind::parse(&r.get::<String>(2)?)?,
            unit: r.get(3)?,
            unit_name: r.get(4)?,
            parent_org_id: r.get(5)?,
            credit_code: r.get(6)?,
            created_at: ms_to_time(r.get(7)?),
            updated_at: ms_to_time(r.get(8)?),
        },
        r.get(9)?,
    ))
}

fn credit_code(kind: OrgKind, code: Option<&str>) -> Result<Option<String>> {
    match optional(code) {
        None => Ok(None),
        Some(_) if !kind.has_credit_code() => Err(CoreError::invalid(
            "credit_code",
            "credit_code_not_applicable",
            format!("{}没有统一社会信用代码", kind.label_zh()),
            format!("a {} has no unified social credit code", kind.as_str()),
        )
        .into()),
        Some(c) => Ok(Some(parse_credit_code(c)?.as_str().to_string())),
    }
}

fn credit_code_taken(e: Error) -> Error {
    match e {
        Error::Unique(_) => CoreError::conflict(
            "credit_code_taken",
            "该统一社会信用代码已被其他组织使用",
            "another organisation already has this credit code",
        )
        .into(),
        other => other,
    }
}

pub fn create(c: &mut dyn Conn, ctx: &Ctx, new: NewOrganisation) -> Result<Organisation> {
    ctx.require(Permission::RegistryWrite)?;
    let name = check_text("name", &new.name, 100)?;
    let code = credit_code(new.kind, new.credit_code.as_deref())?;
    let unit = units::resolve(c, ctx, "unit", &new.unit)?;
    if let Some(p) = new.parent_org_id {
        get(c, ctx, p).map_err(|e| unknown_org("parent_org_id", p, e))?;
    }
    let now = ctx.now_ms();
    let id: i64 = c
        .query_one(
            "INSERT INTO organisations (name, kind, unit_id, unit_path, parent_org_id, credit_code, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
            params![name, new.kind.as_str(), unit.id, unit.path, new.parent_org_id, code, now],
        )
        .map_err(credit_code_taken)?
        .get(0)?;
    audit::record(
        c,
        ctx,
        "organisation",
        id,
        "create",
        json!({"kind": new.kind, "unit": unit.code}),
    )?;
    get(c, ctx, id)
}

fn unknown_org(field: &str, id: i64, e: Error) -> Error {
    match e {
        Error::NotFound { .. } => CoreError::invalid(
            field,
            "unknown_organisation",
            format!("组织{id}不存在"),
            format!("no organisation {id}"),
        )
        .into(),
        other => other,
    }
}

pub fn get(c: &mut dyn Conn, ctx: &Ctx, id: i64) -> Result<Organisation> {
    ctx.require(Permission::RegistryRead)?;
    let r = c
        .query_opt(&format!("{SELECT} WHERE o.id = $1"), params![id])?
        .ok_or_else(|| Error::not_found("organisation"))?;
    let (o, path) = from_row(&r)?;
    if ctx.scope.contains(&path) {
        Ok(o)
    } else {
        Err(Error::not_found("organisation"))
    }
}

pub fn update(
    c: &mut dyn Conn,
    ctx: &Ctx,
    id: i64,
    patch: OrganisationPatch,
) -> Result<Organisation> {
    ctx.require(Permission::RegistryWrite)?;
    let current = get(c, ctx, id)?;
    let mut changed = Vec::new();
    if let Some(name) = &patch.name {
        let name = check_text("name", name, 100)?;
        c.execute(
            "UPDATE organisations SET name = $1 WHERE id = $2",
            params![name, id],
        )?;
        changed.push("name");
    }
    if let Some(code) = &patch.credit_code {
        let code = credit_code(current.kind, Some(code))?;
        c.execute(
            "UPDATE organisations SET credit_code = $1 WHERE id = $2",
            params![code, id],
        )
        .map_err(credit_code_taken)?;
        changed.push("credit_code");
    }
    if !changed.is_empty() {
        c.execute(
            "UPDATE organisations SET updated_at = $1 WHERE id = $2",
            params![ctx.now_ms(), id],
        )?;
        audit::record(
            c,
            ctx,
            "organisation",
            id,
            "update",
            json!({"fields": changed}),
        )?;
    }
    get(c, ctx, id)
}

#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub unit: Option<String>,
    pub kind: Option<OrgKind>,
    pub parent_org_id: Option<i64>,
}

pub fn list(
    c: &mut dyn Conn,
    ctx: &Ctx,
    f: &ListFilter,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> Result<Page<Organisation>> {
    ctx.require(Permission::RegistryRead)?;
    let limit = paging::limit(limit)?;
    let root = units::list_root(c, ctx, f.unit.as_deref())?;
    paging::subtree_page(
        c,
        SELECT,
        "organisations",
        "o",
        &root,
        |first| {
            let mut args: Vec<Value> = Vec::new();
            let mut sql = String::new();
            if let Some(kind) = f.kind {
                args.push(kind.as_str().into());
                sql.push_str(&format!(" AND o.kind = ${}", first + args.len() - 1));
            }
            if let Some(p) = f.parent_org_id {
                args.push(p.into());
                sql.push_str(&format!(
                    " AND o.parent_org_id = ${}",
                    first + args.len() - 1
                ));
            }
            (sql, args)
        },
        cursor,
        limit,
        from_row,
        |o| o.id,
    )
}

/// Adds a member organisation to an alliance.
pub fn add_member(c: &mut dyn Conn, ctx: &Ctx, alliance: i64, member: i64) -> Result<()> {
    ctx.require(Permission::RegistryWrite)?;
    let a = get(c, ctx, alliance)?;
    if a.kind != OrgKind::Alliance {
        return Err(CoreError::conflict(
            "not_an_alliance",
            format!("“{}”不是联盟,不能添加成员单位", a.name),
            format!(
                "'{}' is not an alliance and has no member organisations",
                a.name
            ),
        )
        .into());
    }
    let m = get(c, ctx, member).map_err(|e| unknown_org("member_id", member, e))?;
    if m.id == a.id {
        return Err(CoreError::invalid(
            "member_id",
            "self_member",
            "联盟不能成为自己的成员",
            "an alliance cannot be its own member",
        )
        .into());
    }
    c.execute(
        "INSERT INTO alliance_members (alliance_id, member_id, joined_at) VALUES ($1, $2, $3)
         ON CONFLICT (alliance_id, member_id) DO NOTHING",
        params![a.id, m.id, ctx.now_ms()],
    )?;
    audit::record(
        c,
        ctx,
        "organisation",
        a.id,
        "add_member",
        json!({"member_id": m.id}),
    )?;
    Ok(())
}

/// The member organisations of an alliance that the caller may see.
pub fn members(c: &mut dyn Conn, ctx: &Ctx, alliance: i64) -> Result<Vec<Organisation>> {
    ctx.require(Permission::RegistryRead)?;
    get(c, ctx, alliance)?;
    let rows = c.query(
        &format!("{SELECT} JOIN alliance_members am ON am.member_id = o.id WHERE am.alliance_id = $1 ORDER BY o.id"),
        params![alliance],
    )?;
    Ok(rows
        .iter()
        .map(from_row)
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .filter(|(_, path)| ctx.scope.contains(path))
        .map(|(o, _)| o)
        .collect())
}

/// The organisation id by exact name, for references in imports and demo data.
pub fn id_by_name(c: &mut dyn Conn, ctx: &Ctx, name: &str) -> Result<i64> {
    let rows = c.query(
        "SELECT id, unit_path FROM organisations WHERE name = $1 ORDER BY id",
        params![name],
    )?;
    for r in rows {
        if ctx.scope.contains(&r.get::<String>(1)?) {
            return r.get(0);
        }
    }
    Err(Error::not_found("organisation"))
}

/// At most this many organisations are offered at once; a search narrows them.
pub const HANDLER_CHOICES: i64 = 200;

/// Organisations of the given kinds, departments first, optionally only those
/// whose name contains `name_contains` (case-insensitive); `(id, name)` pairs.
/// The forms that hand work to an organisation offer these instead of every
/// organisation in the registry.
pub fn choices(
    c: &mut dyn Conn,
    kinds: &[OrgKind],
    name_contains: Option<&str>,
    limit: i64,
) -> Result<Vec<(i64, String)>> {
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let mut args: Vec<Value> = kinds.iter().map(|k| k.as_str().into()).collect();
    let marks: Vec<String> = (1..=args.len()).map(|i| format!("${i}")).collect();
    let mut sql = format!(
        "SELECT id, name FROM organisations WHERE kind IN ({})",
        marks.join(", ")
    );
    if let Some(q) = name_contains.map(str::trim).filter(|q| !q.is_empty()) {
        let escaped = q
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        args.push(format!("%{}%", escaped.to_lowercase()).into());
        sql.push_str(&format!(
            " AND LOWER(name) LIKE ${} ESCAPE '\\'",
            args.len()
        ));
    }
    args.push(limit.into());
    sql.push_str(&format!(
        " ORDER BY CASE kind WHEN 'department' THEN 0 WHEN 'property_company' THEN 1 ELSE 2 END, id LIMIT ${}",
        args.len()
    ));
    c.query(&sql, &args)?
        .iter()
        .map(|r| Ok((r.get(0)?, r.get(1)?)))
        .collect()
}
