//! The org tree in SQL: units with materialized paths, so that any subtree is one
//! index range whatever its depth.

use crate::ctx::{ms_to_time, subtree_range, Ctx};
use crate::db::{Conn, Row};
use crate::error::{Error, Result};
use crate::paging::{self, Page};
use crate::{audit, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use wangge_core::auth::Permission;
use wangge_core::units::{self as rules, UnitKind};
use wangge_core::Error as CoreError;

mod position;
pub mod schema;

pub use position::{check_in_zone, nearest, set_position, Near, ZONE_MARGIN_M};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Unit {
    pub id: i64,
    /// 6-digit county + 3-digit street + 3-digit community + 3-digit grid/compound (+ 3-digit building).
    pub code: String,
    pub kind: UnitKind,
    pub name: String,
    pub parent_code: Option<String>,
    pub depth: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    /// Where the unit is (WGS-84 degrees), when staff have set it.
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    #[serde(skip)]
    pub path: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUnit {
    pub kind: UnitKind,
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// The parent's code; absent only for a zone.
    pub parent: Option<String>,
    /// Only for a zone: its 6-digit county code. Other codes are assigned.
    pub code: Option<String>,
}

const SELECT: &str =
    "SELECT u.id, u.code, u.kind, u.name, p.code, u.depth, u.created_at, u.updated_at, u.path,
        u.lat, u.lon
    FROM units u LEFT JOIN units p ON p.id = u.parent_id";

fn from_row(r: &Row) -> Result<Unit> {
    Ok(Unit {
        id: r.get(0)?,
        code: r.get(1)?,
        kind: UnitKind::parse(&r.get::<String>(2)?)?,
        name: r.get(3)?,
        parent_code: r.get(4)?,
        depth: r.get(5)?,
        created_at: ms_to_time(r.get(6)?),
        updated_at: ms_to_time(r.get(7)?),
        path: r.get(8)?,
        lat: r.get(9)?,
        lon: r.get(10)?,
    })
}

/// Finds a unit by its code (or a code it had before a move), within scope.
pub fn get(c: &mut dyn Conn, ctx: &Ctx, code: &str) -> Result<Unit> {
    ctx.require(Permission::RegistryRead)?;
    let row = match c.query_opt(&format!("{SELECT} WHERE u.code = $1"), params![code])? {
        Some(r) => Some(r),
        None => c.query_opt(
            &format!("{SELECT} JOIN unit_aliases a ON a.unit_id = u.id WHERE a.code = $1"),
            params![code],
        )?,
    };
    match row {
        Some(r) => {
            let unit = from_row(&r)?;
            if ctx.scope.contains(&unit.path) {
                Ok(unit)
            } else {
                Err(Error::not_found("unit"))
            }
        }
        None => Err(Error::not_found("unit")),
    }
}

pub fn get_by_id(c: &mut dyn Conn, ctx: &Ctx, id: i64) -> Result<Unit> {
    ctx.require(Permission::RegistryRead)?;
    let r = c
        .query_opt(&format!("{SELECT} WHERE u.id = $1"), params![id])?
        .ok_or_else(|| Error::not_found("unit"))?;
    let unit = from_row(&r)?;
    if ctx.scope.contains(&unit.path) {
        Ok(unit)
    } else {
        Err(Error::not_found("unit"))
    }
}

/// Takes the next number of a unit's child sequence. The number comes from the
/// UPDATE itself, whose row lock orders concurrent writers: a `next_seq` read
/// before the lock may be stale (PostgreSQL, READ COMMITTED, several writer
/// threads) and would hand two units the same code.
fn take_seq(c: &mut dyn Conn, unit_id: i64) -> Result<i64> {
    c.query_one(
        "UPDATE units SET next_seq = next_seq + 1 WHERE id = $1 RETURNING next_seq - 1",
        params![unit_id],
    )?
    .get(0)
}

/// Creates a unit under its parent, assigning the next code in the parent's sequence.
pub fn create(c: &mut dyn Conn, ctx: &Ctx, new: NewUnit) -> Result<Unit> {
    ctx.require(Permission::TreeWrite)?;
    let name = rules::check_name(&new.name)?;
    let parent = match &new.parent {
        Some(code) => Some(get(c, ctx, code).map_err(|e| {
            match e {
                Error::NotFound { .. } => CoreError::invalid(
                    "parent",
                    "unknown_unit",
                    format!("上级单元“{code}”不存在"),
                    format!("no parent unit with code '{code}'"),
                )
                .into(),
                other => other,
            }
        })?),
        None => None,
    };
    rules::check_nesting(new.kind, parent.as_ref().map(|p| p.kind))?;
    let code = match &parent {
        Some(p) => {
            if new.code.is_some() {
                return Err(CoreError::invalid(
                    "code",
                    "code_assigned",
                    "只有区的代码可以指定,其他单元的代码自动分配",
                    "only a zone's code is given; other units' codes are assigned",
                )
                .into());
            }
            rules::child_code(&p.code, take_seq(c, p.id)?)?
        }
        None => {
            if ctx.scope != crate::Scope::All {
                return Err(Error::not_found("unit"));
            }
            let code = new.code.clone().unwrap_or_default();
            rules::check_zone_code(&code)?;
            code
        }
    };
    let now = ctx.now_ms();
    // The path needs the new id, so the row is inserted with a unique placeholder first.
    let id: i64 = c
        .query_one(
            "INSERT INTO units (code, kind, name, parent_id, path, depth, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
            params![
                code.as_str(),
                new.kind.as_str(),
                name.as_str(),
                parent.as_ref().map(|p| p.id),
                format!("pending:{code}"),
                parent.as_ref().map_or(0, |p| p.depth + 1),
                now
            ],
        )
        .map_err(|e| match e {
            Error::Unique(_) => CoreError::conflict(
                "unit_code_taken",
                format!("单元代码{code}已被使用"),
                format!("unit code {code} is already in use"),
            )
            .into(),
            other => other,
        })?
        .get(0)?;
    let path = format!("{}{id}/", parent.as_ref().map_or("/", |p| p.path.as_str()));
    c.execute(
        "UPDATE units SET path = $1 WHERE id = $2",
        params![path, id],
    )?;
    audit::record(
        c,
        ctx,
        "unit",
        id,
        "create",
        json!({"code": code, "kind": new.kind}),
    )?;
    get_by_id(c, ctx, id)
}

#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    /// Direct children of this unit.
    pub parent: Option<String>,
    /// Anywhere in the subtree below this unit.
    pub under: Option<String>,
    pub kind: Option<UnitKind>,
    /// Name contains this text, or code starts with it.
    pub q: Option<String>,
}

/// Lists units, ordered by code, a page at a time.
pub fn list(
    c: &mut dyn Conn,
    ctx: &Ctx,
    f: &ListFilter,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> Result<Page<Unit>> {
    ctx.require(Permission::RegistryRead)?;
    let limit = paging::limit(limit)?;
    let mut sql = format!("{SELECT} WHERE 1 = 1");
    let mut args: Vec<crate::db::Value> = Vec::new();
    let mut arg = |sql: &mut String, clause: &str, v: crate::db::Value| {
        args.push(v);
        sql.push_str(&clause.replace('?', &format!("${}", args.len())));
    };
    if let Some(code) = &f.parent {
        let p = get(c, ctx, code)?;
        arg(&mut sql, " AND u.parent_id = ?", p.id.into());
    }
    let root = match (&f.under, &ctx.scope) {
        (Some(code), _) => Some(get(c, ctx, code)?.path),
        (None, crate::Scope::Subtree(p)) => Some(p.clone()),
        (None, crate::Scope::All) => None,
    };
    if let Some(path) = root {
        let (lo, hi) = subtree_range(&path);
        arg(&mut sql, " AND u.path >= ?", lo.into());
        arg(&mut sql, " AND u.path < ?", hi.into());
    }
    if f.parent.is_none() && f.under.is_none() && f.kind.is_none() && f.q.is_none() {
        // With no filter at all, list the top of what the caller may see.
        match &ctx.scope {
            crate::Scope::All => sql.push_str(" AND u.parent_id IS NULL"),
            crate::Scope::Subtree(p) => arg(&mut sql, " AND u.path = ?", p.clone().into()),
        }
    }
    if let Some(kind) = f.kind {
        arg(&mut sql, " AND u.kind = ?", kind.as_str().into());
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let escaped = q
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        arg(
            &mut sql,
            " AND (u.name LIKE ? ESCAPE '\\'",
            format!("%{escaped}%").into(),
        );
        arg(
            &mut sql,
            " OR u.code LIKE ? ESCAPE '\\')",
            format!("{escaped}%").into(),
        );
    }
    if let Some(cur) = cursor {
        let (code, _) = paging::decode(cur)?;
        arg(&mut sql, " AND u.code > ?", code.into());
    }
    arg(&mut sql, " ORDER BY u.code LIMIT ?", (limit + 1).into());
    let rows = c.query(&sql, &args)?;
    let items = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    Ok(paging::page(items, limit, |u| (u.code.clone(), u.id)))
}

/// A unit with its descendants down to a depth, for tree browsers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TreeNode {
    #[serde(flatten)]
    pub unit: Unit,
    #[schema(no_recursion)]
    pub children: Vec<TreeNode>,
}

/// The subtree under `code`, at most `depth` levels below it (one indexed range query).
pub fn tree(c: &mut dyn Conn, ctx: &Ctx, code: &str, depth: i64) -> Result<TreeNode> {
    ctx.require(Permission::RegistryRead)?;
    let root = get(c, ctx, code)?;
    let (lo, hi) = subtree_range(&root.path);
    let rows = c.query(
        &format!("{SELECT} WHERE u.path >= $1 AND u.path < $2 AND u.depth <= $3 ORDER BY u.depth, u.code LIMIT 5001"),
        params![lo, hi, root.depth + depth.clamp(0, 3)],
    )?;
    if rows.len() > 5000 {
        return Err(CoreError::invalid(
            "depth",
            "tree_too_large",
            "该层级下单元过多,请减小层级深度",
            "too many units below this level; ask for a smaller depth",
        )
        .into());
    }
    let units = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    Ok(build_tree(root, units))
}

fn build_tree(root: Unit, all: Vec<Unit>) -> TreeNode {
    let mut by_parent: std::collections::HashMap<String, Vec<Unit>> = Default::default();
    for u in all {
        if let Some(p) = u.parent_code.clone() {
            by_parent.entry(p).or_default().push(u);
        }
    }
    fn attach(u: Unit, by_parent: &mut std::collections::HashMap<String, Vec<Unit>>) -> TreeNode {
        let kids = by_parent.remove(&u.code).unwrap_or_default();
        TreeNode {
            children: kids.into_iter().map(|k| attach(k, by_parent)).collect(),
            unit: u,
        }
    }
    attach(root, &mut by_parent)
}

pub fn rename(c: &mut dyn Conn, ctx: &Ctx, code: &str, name: &str) -> Result<Unit> {
    ctx.require(Permission::TreeWrite)?;
    let unit = get(c, ctx, code)?;
    let name = rules::check_name(name)?;
    c.execute(
        "UPDATE units SET name = $1, updated_at = $2 WHERE id = $3",
        params![name, ctx.now_ms(), unit.id],
    )?;
    audit::record(
        c,
        ctx,
        "unit",
        unit.id,
        "rename",
        json!({"fields": ["name"]}),
    )?;
    get_by_id(c, ctx, unit.id)
}

/// Moves a unit and its whole subtree under a new parent. The unit gets a code in
/// the new parent's sequence, its descendants' codes follow, and every old code
/// stays resolvable; people, organisations and history stay attached.
pub fn move_to(c: &mut dyn Conn, ctx: &Ctx, code: &str, new_parent: &str) -> Result<Unit> {
    ctx.require(Permission::TreeWrite)?;
    let unit = get(c, ctx, code)?;
    let parent = get(c, ctx, new_parent).map_err(|e| match e {
        Error::NotFound { .. } => CoreError::invalid(
            "parent",
            "unknown_unit",
            format!("目标上级单元“{new_parent}”不存在"),
            format!("no unit with code '{new_parent}' to move under"),
        )
        .into(),
        other => other,
    })?;
    if parent.path.starts_with(&unit.path) {
        return Err(CoreError::conflict(
            "unit_move_cycle",
            "不能把单元移动到它自己或它的下级单元之下",
            "a unit cannot be moved under itself or one of its descendants",
        )
        .into());
    }
    rules::check_nesting(unit.kind, Some(parent.kind))?;
    if unit.parent_code.as_deref() == Some(parent.code.as_str()) {
        return Ok(unit);
    }
    let new_code = rules::child_code(&parent.code, take_seq(c, parent.id)?)?;
    let new_path = format!("{}{}/", parent.path, unit.id);
    let (lo, hi) = subtree_range(&unit.path);
    let old_len = unit.path.chars().count() as i64;
    let old_code_len = unit.code.chars().count() as i64;
    c.execute(
        "INSERT INTO unit_aliases (code, unit_id) SELECT code, id FROM units WHERE path >= $1 AND path < $2
         ON CONFLICT (code) DO UPDATE SET unit_id = excluded.unit_id",
        params![lo.as_str(), hi.as_str()],
    )?;
    // A code that comes back to a unit that held it before is no longer an alias.
    c.execute(
        "UPDATE units SET code = CAST($1 AS TEXT) || substr(code, $2), depth = depth + $3
         WHERE path >= $4 AND path < $5",
        params![
            new_code.as_str(),
            old_code_len + 1,
            parent.depth + 1 - unit.depth,
            lo.as_str(),
            hi.as_str()
        ],
    )?;
    c.execute(
        "DELETE FROM unit_aliases WHERE code IN (SELECT code FROM units WHERE path >= $1 AND path < $2)",
        params![lo.as_str(), hi.as_str()],
    )?;
    c.execute(
        "UPDATE units SET path = CAST($1 AS TEXT) || substr(path, $2) WHERE path >= $3 AND path < $4",
        params![new_path.as_str(), old_len + 1, lo.as_str(), hi.as_str()],
    )?;
    // Every table that records where its rows sit carries `unit_path`; asking
    // the schema, not a list, means a new registry cannot be left behind.
    for table in schema::tables_with_unit_path(c)? {
        c.execute(
            &format!(
                "UPDATE {table} SET unit_path = CAST($1 AS TEXT) || substr(unit_path, $2) \
                 WHERE unit_path >= $3 AND unit_path < $4"
            ),
            params![new_path.as_str(), old_len + 1, lo.as_str(), hi.as_str()],
        )?;
    }
    c.execute(
        "UPDATE units SET parent_id = $1, updated_at = $2 WHERE id = $3",
        params![parent.id, ctx.now_ms(), unit.id],
    )?;
    // Case statistics are counted per ancestor: past cases of the moved subtree
    // now count under the new parent. Moves are rare; recounting is simplest.
    let mut system = ctx.clone();
    system.role = None;
    crate::cases::rebuild_counters(c, &system)?;
    crate::facts::rebuild(c)?;
    audit::record(
        c,
        ctx,
        "unit",
        unit.id,
        "move",
        json!({"from_parent": unit.parent_code, "to_parent": parent.code, "old_code": unit.code, "new_code": new_code}),
    )?;
    get_by_id(c, ctx, unit.id)
}

/// Deletes an empty unit. A unit that any other row still refers to (child
/// units, people, cases, plans, accounts scoped to it …, found from the schema's
/// foreign keys) is refused, with what it still holds.
pub fn delete(c: &mut dyn Conn, ctx: &Ctx, code: &str) -> Result<()> {
    ctx.require(Permission::TreeWrite)?;
    let unit = get(c, ctx, code)?;
    let mut held = Vec::new();
    for (table, col) in schema::unit_references(c)? {
        let Some((zh, en)) = schema::holder_name(&table) else {
            continue;
        };
        let n: i64 = c
            .query_one(
                &format!("SELECT COUNT(*) FROM {table} WHERE {col} = $1"),
                params![unit.id],
            )?
            .get(0)?;
        if n > 0 {
            held.push((n, zh, en));
        }
    }
    if !held.is_empty() {
        let zh: Vec<String> = held.iter().map(|(n, zh, _)| format!("{n}个{zh}")).collect();
        let en: Vec<String> = held.iter().map(|(n, _, en)| format!("{n} {en}")).collect();
        return Err(CoreError::conflict(
            "unit_not_empty",
            format!("该单元下还有{},不能删除", zh.join("、")),
            format!(
                "the unit still holds {}; it cannot be deleted",
                en.join(", ")
            ),
        )
        .into());
    }
    c.execute(
        "DELETE FROM unit_aliases WHERE unit_id = $1",
        params![unit.id],
    )?;
    c.execute("DELETE FROM units WHERE id = $1", params![unit.id])?;
    audit::record(
        c,
        ctx,
        "unit",
        unit.id,
        "delete",
        json!({"code": unit.code}),
    )?;
    Ok(())
}

/// Resolves a unit code given as a reference in another record's input, naming
/// the field when the code is unknown or outside the caller's scope.
pub fn resolve(c: &mut dyn Conn, ctx: &Ctx, field: &str, code: &str) -> Result<Unit> {
    get(c, ctx, code).map_err(|e| match e {
        Error::NotFound { .. } => CoreError::invalid(
            field,
            "unknown_unit",
            format!("单元“{code}”不存在"),
            format!("no unit with code '{code}'"),
        )
        .into(),
        other => other,
    })
}

/// The path of the subtree a list covers: the given unit's (which must be in
/// scope), or else the caller's whole scope.
pub fn list_root(c: &mut dyn Conn, ctx: &Ctx, unit: Option<&str>) -> Result<String> {
    Ok(match (unit, &ctx.scope) {
        (Some(code), _) => get(c, ctx, code)?.path,
        (None, crate::Scope::Subtree(p)) => p.clone(),
        (None, crate::Scope::All) => "/".to_string(),
    })
}

/// The units above `unit` that the caller may see, from the top down (breadcrumbs).
pub fn ancestors(c: &mut dyn Conn, ctx: &Ctx, unit: &Unit) -> Result<Vec<Unit>> {
    let mut out = Vec::new();
    for id in unit.path.split('/').filter_map(|s| s.parse::<i64>().ok()) {
        if id == unit.id {
            break;
        }
        match get_by_id(c, ctx, id) {
            Ok(u) => out.push(u),
            Err(Error::NotFound { .. }) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}
