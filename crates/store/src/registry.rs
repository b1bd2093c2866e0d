//! Registries declared once. A registry (organisations and construction sites
//! today, every programme's registries next) implements [`Registry`]: its
//! table, names, permissions, columns by name, filters, checks and export
//! columns. From that one declaration come its list, get, create and patch
//! here; its API routes and OpenAPI entries, its export (API, web and command
//! line), its audit entity and its not-found message elsewhere. Unit move and
//! delete already find its `unit_path` and `unit_id` columns from the schema.
//!
//! Tables stay typed tables: a registry's row is its own struct, read by
//! column name from the descriptor's column list.

use crate::ctx::{ms_to_time, Ctx};
use crate::db::{Conn, Row, Value};
use crate::error::{Error, Result};
use crate::paging::{self, Page};
use crate::transfer::Out;
use crate::units::{self, Unit};
use crate::{audit, params};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map};
use std::fmt::Debug;
use time::OffsetDateTime;
use wangge_core::auth::Permission;

pub mod page;
pub use page::Pages;

/// What the rest of the product knows of a registry without its types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// In URLs and file names: `construction-sites`.
    pub slug: &'static str,
    /// In the audit log and in not-found answers: `construction_site`.
    pub entity: &'static str,
    pub table: &'static str,
    /// One record, Chinese and English: 建筑工地, construction site.
    pub noun: (&'static str, &'static str),
    /// The list, Chinese and English: 建筑工地, construction sites.
    pub list: (&'static str, &'static str),
    /// Other names a person may type for the list (`sites`, 工地).
    pub aliases: &'static [&'static str],
    /// The OpenAPI tag its routes are listed under.
    pub tag: &'static str,
    pub read: Permission,
    pub write: Permission,
}

/// One registry. `Self` is its record as the API answers it.
pub trait Registry: Serialize + utoipa::ToSchema + Debug + Send + Sync + Sized + 'static {
    const META: Meta;
    /// The columns read for a record, `(name, SQL expression)`. The table is
    /// aliased `e`; `e.id` and `e.unit_path` are read besides.
    const COLUMNS: &'static [(&'static str, &'static str)];
    /// Joins after `FROM <table> e` for the columns that need them.
    const JOINS: &'static str;
    /// Columns whose old and new values an update's audit entry names.
    const TRACKED: &'static [&'static str];
    /// The export: its sheet and column headers, in order.
    const SHEET: &'static str;
    const HEADERS: &'static [&'static str];

    type New: DeserializeOwned + utoipa::ToSchema + Debug + Send + 'static;
    type Patch: DeserializeOwned + utoipa::ToSchema + Debug + Send + 'static;
    /// The list's filters beside the unit subtree, as the API query names them.
    type Filter: Filter;

    fn from_row(r: &Named<'_>) -> Result<Self>;
    fn id(&self) -> i64;
    /// The code of the unit the record belongs to.
    fn unit(&self) -> &str;
    /// Checks a new record and answers what to store.
    fn check_new(c: &mut dyn Conn, ctx: &Ctx, new: Self::New) -> Result<Fields>;
    /// Checks a change against the current record and answers the values the
    /// patch gives; those equal to the stored ones are dropped by the engine.
    fn check_patch(
        c: &mut dyn Conn,
        ctx: &Ctx,
        current: &Self,
        patch: Self::Patch,
    ) -> Result<Fields>;
    /// The record's export row, one cell per header.
    fn export_row(&self) -> Vec<Out>;

    /// What a failed INSERT or UPDATE of a record answers: a registry whose
    /// table has a unique column names the conflict here (a unique violation
    /// arrives as `Error::Unique`); by default the error as it came.
    fn stored_error(e: Error) -> Error {
        e
    }

    /// Its staff pages; a registry without them has only the API and exports.
    const PAGES: Option<Pages> = None;

    /// How inspection plans target its records (kind = `META.entity`); a
    /// registry without it is no inspection target.
    const TARGET: Option<TargetSpec> = None;
}

/// What the inspection engine reads of a registry's record to make it a
/// target. Each is SQL on the table aliased `e`, without joins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetSpec {
    /// The target's label in lists and problem lists.
    pub label: &'static str,
    /// The organisation that rectifies its findings; none: the case is led
    /// as its category decides.
    pub responsible: Option<&'static str>,
    /// The records a filter without ids chooses (an "in service" condition).
    pub in_service: &'static str,
}

/// A registry's list filter.
pub trait Filter:
    DeserializeOwned + utoipa::IntoParams + Default + Clone + Debug + Send + Sync + 'static
{
    /// Unit code: records anywhere in its subtree (blank: the caller's scope).
    fn unit(&self) -> Option<&str>;
    /// Its conditions on the table `e`.
    fn conditions(&self, w: &mut Where);
    /// Each filter beside the unit, whether given or not, for an export's
    /// second sheet and audit entry and the web export page.
    fn lines(&self) -> Vec<Line>;
}

/// One of a filter's parameters, as people read it.
pub struct Line {
    /// The query parameter: `status`.
    pub key: &'static str,
    /// Chinese and English.
    pub label: (&'static str, &'static str),
    /// The value given, as the pages name it in Chinese and as the API
    /// writes it; none for "any".
    pub value: Option<(String, String)>,
}

/// A row read by the names of a registry's columns.
pub struct Named<'a> {
    row: &'a Row,
    columns: &'static [(&'static str, &'static str)],
}

/// `e.id` and `e.unit_path` come before the descriptor's columns.
const LEADING: usize = 2;

impl Named<'_> {
    pub fn get<T: crate::db::FromValue>(&self, name: &str) -> Result<T> {
        let i = self
            .columns
            .iter()
            .position(|(n, _)| *n == name)
            .ok_or_else(|| Error::Db(format!("no column named {name}")))?;
        self.row.get(i + LEADING)
    }

    pub fn id(&self) -> Result<i64> {
        self.row.get(0)
    }

    pub fn time(&self, name: &str) -> Result<OffsetDateTime> {
        Ok(ms_to_time(self.get(name)?))
    }
}

/// The values a create or a patch stores, by column.
#[derive(Default)]
pub struct Fields {
    sets: Vec<(&'static str, Value)>,
    unit: Option<Unit>,
    /// What else the create's audit entry names (the unit is named anyway).
    note: Map<String, serde_json::Value>,
}

impl Fields {
    pub fn set(&mut self, column: &'static str, v: impl Into<Value>) {
        self.sets.push((column, v.into()));
    }

    pub fn unit(&mut self, u: Unit) {
        self.unit = Some(u);
    }

    pub fn note(&mut self, key: &str, v: impl Into<serde_json::Value>) {
        self.note.insert(key.to_string(), v.into());
    }
}

/// A filter's SQL conditions, numbered after the engine's own placeholders.
pub struct Where {
    next: usize,
    sql: String,
    args: Vec<Value>,
}

impl Where {
    /// `e.<column> = value`.
    pub fn eq(&mut self, column: &str, v: impl Into<Value>) {
        self.sql
            .push_str(&format!(" AND e.{column} = ${}", self.next));
        self.next += 1;
        self.args.push(v.into());
    }
}

fn select<R: Registry>() -> String {
    let cols: Vec<&str> = R::COLUMNS.iter().map(|(_, sql)| *sql).collect();
    format!(
        "SELECT e.id, e.unit_path, {} FROM {} e {}",
        cols.join(", "),
        R::META.table,
        R::JOINS
    )
}

fn read<R: Registry>(r: &Row) -> Result<(R, String)> {
    let named = Named {
        row: r,
        columns: R::COLUMNS,
    };
    Ok((R::from_row(&named)?, r.get(1)?))
}

fn not_found<R: Registry>() -> Error {
    Error::not_found(R::META.noun.1)
}

pub fn get<R: Registry>(c: &mut dyn Conn, ctx: &Ctx, id: i64) -> Result<R> {
    ctx.require(R::META.read)?;
    let r = c
        .query_opt(&format!("{} WHERE e.id = $1", select::<R>()), params![id])?
        .ok_or_else(not_found::<R>)?;
    let (rec, path) = read::<R>(&r)?;
    if ctx.scope.contains(&path) {
        Ok(rec)
    } else {
        Err(not_found::<R>())
    }
}

pub fn create<R: Registry>(c: &mut dyn Conn, ctx: &Ctx, new: R::New) -> Result<R> {
    ctx.require(R::META.write)?;
    let f = R::check_new(c, ctx, new)?;
    let unit = f
        .unit
        .ok_or_else(|| Error::Db(format!("{} without a unit", R::META.entity)))?;
    let now = ctx.now_ms();
    let mut cols: Vec<&str> = f.sets.iter().map(|(c, _)| *c).collect();
    let mut args: Vec<Value> = f.sets.into_iter().map(|(_, v)| v).collect();
    cols.extend(["unit_id", "unit_path", "created_at", "updated_at"]);
    args.extend([unit.id.into(), unit.path.into(), now.into(), now.into()]);
    let marks: Vec<String> = (1..=args.len()).map(|i| format!("${i}")).collect();
    let id: i64 = c
        .query_one(
            &format!(
                "INSERT INTO {} ({}) VALUES ({}) RETURNING id",
                R::META.table,
                cols.join(", "),
                marks.join(", ")
            ),
            &args,
        )
        .map_err(R::stored_error)?
        .get(0)?;
    let mut detail = Map::new();
    detail.insert("unit".into(), json!(unit.code));
    detail.extend(f.note);
    audit::record(c, ctx, R::META.entity, id, "create", detail.into())?;
    get(c, ctx, id)
}

/// Changes what `patch` gives. The record must be in the caller's scope (else
/// it is not found). Only values that differ from the stored ones are written;
/// the audit entry names the changed fields (a unit move and the tracked
/// columns with their old and new values), and a patch that changes nothing
/// writes nothing.
pub fn update<R: Registry>(c: &mut dyn Conn, ctx: &Ctx, id: i64, patch: R::Patch) -> Result<R> {
    ctx.require(R::META.write)?;
    let current: R = get(c, ctx, id)?;
    let f = R::check_patch(c, ctx, &current, patch)?;
    let mut sets = f.sets;
    let moved = f.unit.filter(|u| u.code != current.unit());
    if let Some(u) = &moved {
        sets.push(("unit_id", u.id.into()));
        sets.push(("unit_path", u.path.clone().into()));
    }
    let columns: Vec<&str> = sets.iter().map(|(c, _)| *c).collect();
    let stored = c.query_one(
        &format!(
            "SELECT {} FROM {} WHERE id = $1",
            columns.join(", "),
            R::META.table
        ),
        params![id],
    )?;
    let mut changed: Vec<(&'static str, Value, Value)> = Vec::new();
    for (i, (col, v)) in sets.into_iter().enumerate() {
        let old: Value = stored.value(i)?;
        if old != v {
            changed.push((col, old, v));
        }
    }
    if changed.is_empty() {
        return Ok(current);
    }
    let assign: Vec<String> = changed
        .iter()
        .enumerate()
        .map(|(i, (col, _, _))| format!("{col} = ${}", i + 1))
        .collect();
    let mut args: Vec<Value> = changed.iter().map(|(_, _, v)| v.clone()).collect();
    args.push(ctx.now_ms().into());
    args.push(id.into());
    c.execute(
        &format!(
            "UPDATE {} SET {}, updated_at = ${} WHERE id = ${}",
            R::META.table,
            assign.join(", "),
            args.len() - 1,
            args.len()
        ),
        &args,
    )
    .map_err(R::stored_error)?;
    audit::record(
        c,
        ctx,
        R::META.entity,
        id,
        "update",
        update_detail::<R>(&current, &changed, moved.as_ref()),
    )?;
    get(c, ctx, id)
}

/// The changed fields by their API names (`unit_id` and `unit_path` are one
/// change, the API's `unit`), with a unit move and the tracked columns' old
/// and new values.
fn update_detail<R: Registry>(
    current: &R,
    changed: &[(&'static str, Value, Value)],
    moved: Option<&Unit>,
) -> serde_json::Value {
    let mut fields: Vec<&str> = Vec::new();
    for (col, _, _) in changed {
        let f = if matches!(*col, "unit_id" | "unit_path") {
            "unit"
        } else {
            col
        };
        if !fields.contains(&f) {
            fields.push(f);
        }
    }
    let mut detail = json!({ "fields": fields });
    if let Some(u) = moved {
        detail["unit"] = json!({"from": current.unit(), "to": u.code});
    }
    for (col, old, new) in changed.iter().filter(|(c, _, _)| R::TRACKED.contains(c)) {
        detail[*col] = json!({"from": plain(old), "to": plain(new)});
    }
    detail
}

fn plain(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Int(i) => json!(i),
        Value::Real(f) => json!(f),
        Value::Text(s) => json!(s),
        Value::Blob(_) => json!("…"),
    }
}

/// One page of the records in the filter's unit subtree (else the caller's
/// scope), in (place, id) order.
pub fn list<R: Registry>(
    c: &mut dyn Conn,
    ctx: &Ctx,
    f: &R::Filter,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> Result<Page<R>> {
    ctx.require(R::META.read)?;
    let limit = paging::limit(limit)?;
    let unit = f.unit().map(str::trim).filter(|u| !u.is_empty());
    let root = units::list_root(c, ctx, unit)?;
    paging::subtree_page(
        c,
        &select::<R>(),
        R::META.table,
        "e",
        &root,
        |first| {
            let mut w = Where {
                next: first,
                sql: String::new(),
                args: Vec::new(),
            };
            f.conditions(&mut w);
            (w.sql, w.args)
        },
        cursor,
        limit,
        read::<R>,
        R::id,
    )
}

/// Something done for one registry type, or for each ([`each`]).
pub trait Visit {
    fn visit<R: Registry>(&mut self);
}

/// Every registry, in the order menus and documents list them: the one list.
pub fn each(v: &mut impl Visit) {
    v.visit::<crate::organisations::Organisation>();
    v.visit::<crate::equipment::Site>();
}

/// Visits the registry whose slug is `slug`; false if there is none.
pub fn with(slug: &str, v: &mut impl Visit) -> bool {
    struct One<'a, V> {
        slug: &'a str,
        v: &'a mut V,
        found: bool,
    }
    impl<V: Visit> Visit for One<'_, V> {
        fn visit<R: Registry>(&mut self) {
            if R::META.slug == self.slug {
                self.found = true;
                self.v.visit::<R>();
            }
        }
    }
    let mut one = One {
        slug,
        v,
        found: false,
    };
    each(&mut one);
    one.found
}

/// Every registry's names.
pub fn metas() -> Vec<Meta> {
    struct All(Vec<Meta>);
    impl Visit for All {
        fn visit<R: Registry>(&mut self) {
            self.0.push(R::META);
        }
    }
    let mut all = All(Vec::new());
    each(&mut all);
    all.0
}

/// The Chinese noun of the registry whose English noun a not-found error
/// carries.
pub fn noun_zh(en: &str) -> Option<&'static str> {
    metas()
        .into_iter()
        .find(|m| m.noun.1 == en)
        .map(|m| m.noun.0)
}
