//! Case categories, a two-level tree (major → minor) kept as data. Routing
//! rules are in `routes.rs`.
//!
//! Anyone may read categories (a resident's report form lists them). Changing
//! them is the zone administrator's work, so it needs `UsersManage`, the
//! permission only the zone administrator holds.

use super::tip_readers::{self, TipReaders};
use crate::ctx::{ms_to_time, Ctx};
use crate::db::{Conn, Row};
use crate::error::{Error, Result};
use crate::{audit, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use wangge_core::auth::Permission;
use wangge_core::people::check_text;
use wangge_core::Error as CoreError;

/// How a stage's time limit is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineUnit {
    /// Office hours on working days.
    WorkingHours,
    /// Whole working days after the start day (which does not count), ending
    /// at the close of office on the last one.
    WorkingDays,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Deadline {
    pub amount: u32,
    pub unit: DeadlineUnit,
}

impl Deadline {
    pub const fn hours(amount: u32) -> Deadline {
        Deadline {
            amount,
            unit: DeadlineUnit::WorkingHours,
        }
    }
    pub const fn days(amount: u32) -> Deadline {
        Deadline {
            amount,
            unit: DeadlineUnit::WorkingDays,
        }
    }
}

/// Time limits per stage; an absent one falls back to the major category's,
/// and a stage with none at all runs without a deadline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Deadlines {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept: Option<Deadline>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispatch: Option<Deadline>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<Deadline>,
}

impl Deadlines {
    pub fn for_stage(&self, stage: super::Stage) -> Option<Deadline> {
        match stage {
            super::Stage::Accept => self.accept,
            super::Stage::Dispatch => self.dispatch,
            super::Stage::Handle => self.handle,
        }
    }

    fn or(self, fallback: Deadlines) -> Deadlines {
        Deadlines {
            accept: self.accept.or(fallback.accept),
            dispatch: self.dispatch.or(fallback.dispatch),
            handle: self.handle.or(fallback.handle),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Category {
    pub id: i64,
    /// Two digits for a major category, its major's code plus two for a minor.
    pub code: String,
    /// The major category's code; absent for a major.
    pub parent: Option<String>,
    pub name_zh: String,
    pub name_en: String,
    /// What residents see: plain words, no jargon.
    pub public_name: String,
    /// Tips (扫黑除恶线索, 养老金冒领举报): read only by the category's tip
    /// readers (see `tip_readers.rs`). A minor is confidential if it or its
    /// major is.
    pub confidential: bool,
    /// The category's own reader set for tips; absent, it inherits.
    pub tip_readers: Option<TipReaders>,
    /// The set its tips are held to: its own, else its major's, else zone
    /// administrators and street staff.
    pub tip_readers_effective: TipReaders,
    /// Staff's own tasks (会议交办事项, 上级交办事项): never offered to the
    /// public, refused from residents, and their cases never listed to
    /// anonymous callers. A minor is internal if it or its major is.
    pub internal: bool,
    /// Extra fields a report must carry (names of `NewCase::fields`).
    pub required_fields: Vec<String>,
    pub deadlines: Deadlines,
    pub active: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    pub code: String,
    /// The major category's code, for a minor.
    #[serde(default)]
    pub parent: Option<String>,
    pub name_zh: String,
    pub name_en: String,
    pub public_name: String,
    #[serde(default)]
    pub confidential: bool,
    #[serde(default)]
    pub internal: bool,
    /// Who reads its tips; absent, inherited (see [`Category::tip_readers`]).
    #[serde(default)]
    pub tip_readers: Option<TipReaders>,
    #[serde(default)]
    pub required_fields: Vec<String>,
    #[serde(default)]
    pub deadlines: Deadlines,
}

/// Fields to change; absent ones stay. Code and parent never change: cases
/// and statistics refer to them.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryPatch {
    pub name_zh: Option<String>,
    pub name_en: Option<String>,
    pub public_name: Option<String>,
    pub confidential: Option<bool>,
    pub internal: Option<bool>,
    /// A new reader set for its tips; `null` makes it inherit again.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<TipReaders>)]
    pub tip_readers: Option<Option<TipReaders>>,
    pub required_fields: Option<Vec<String>>,
    pub deadlines: Option<Deadlines>,
    pub active: Option<bool>,
}

/// A field given, `null` included (absent stays `None` by `default`).
fn present<'de, D, T>(d: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

const SELECT: &str =
    "SELECT k.id, k.code, p.code, k.name_zh, k.name_en, k.public_name, k.confidential,
    k.required_fields, k.deadlines, k.active, k.created_at, k.updated_at, k.internal,
    k.tip_readers, p.tip_readers
    FROM case_categories k LEFT JOIN case_categories p ON p.id = k.parent_id";

fn from_row(r: &Row) -> Result<Category> {
    let own = tip_readers::parse(r.get(13)?)?;
    let major = tip_readers::parse(r.get(14)?)?;
    Ok(Category {
        tip_readers_effective: own.clone().or(major).unwrap_or_default(),
        tip_readers: own,
        id: r.get(0)?,
        code: r.get(1)?,
        parent: r.get(2)?,
        name_zh: r.get(3)?,
        name_en: r.get(4)?,
        public_name: r.get(5)?,
        confidential: r.get(6)?,
        internal: r.get(12)?,
        required_fields: super::from_json("required_fields", &r.get::<String>(7)?)?,
        deadlines: super::from_json("deadlines", &r.get::<String>(8)?)?,
        active: r.get(9)?,
        created_at: ms_to_time(r.get(10)?),
        updated_at: ms_to_time(r.get(11)?),
    })
}

/// Every category in code order (each major followed by its minors).
pub fn list_categories(c: &mut dyn Conn, include_inactive: bool) -> Result<Vec<Category>> {
    let sql = if include_inactive {
        format!("{SELECT} ORDER BY k.code")
    } else {
        format!("{SELECT} WHERE k.active = 1 ORDER BY k.code")
    };
    c.query(&sql, &[])?.iter().map(from_row).collect()
}

pub fn get_category(c: &mut dyn Conn, code: &str) -> Result<Category> {
    let r = c
        .query_opt(&format!("{SELECT} WHERE k.code = $1"), params![code])?
        .ok_or_else(|| Error::not_found("category"))?;
    from_row(&r)
}

fn by_id(c: &mut dyn Conn, id: i64) -> Result<Category> {
    let r = c
        .query_opt(&format!("{SELECT} WHERE k.id = $1"), params![id])?
        .ok_or_else(|| Error::not_found("category"))?;
    from_row(&r)
}

/// What a case of a minor category is held to: its own settings with the
/// major's filling the gaps.
#[derive(Debug, Clone)]
pub(crate) struct Effective {
    pub confidential: bool,
    pub internal: bool,
    pub required_fields: Vec<String>,
    pub deadlines: Deadlines,
}

pub(crate) fn effective(c: &mut dyn Conn, category_id: i64) -> Result<Effective> {
    let minor = by_id(c, category_id)?;
    let major = match &minor.parent {
        Some(code) => Some(get_category(c, code)?),
        None => None,
    };
    Ok(combine(&minor, major.as_ref()))
}

fn combine(minor: &Category, major: Option<&Category>) -> Effective {
    let mut required = major.map(|m| m.required_fields.clone()).unwrap_or_default();
    for f in &minor.required_fields {
        if !required.contains(f) {
            required.push(f.clone());
        }
    }
    Effective {
        confidential: minor.confidential || major.is_some_and(|m| m.confidential),
        internal: minor.internal || major.is_some_and(|m| m.internal),
        required_fields: required,
        deadlines: minor
            .deadlines
            .or(major.map(|m| m.deadlines).unwrap_or_default()),
    }
}

/// Whether a resident (or anyone else outside the staff) may report in a
/// category: not when it is internal, refused with 422 on `category`.
pub(crate) fn check_public(cat: &Category, eff: &Effective) -> Result<()> {
    if !eff.internal {
        return Ok(());
    }
    Err(CoreError::invalid(
        "category",
        "internal_category",
        format!("“{}”是内部交办事项,不接受群众反映;请选择其他类别", cat.public_name),
        format!(
            "'{}' is an internal task category and takes no reports from the public; choose another category",
            cat.name_en
        ),
    )
    .into())
}

/// The minor category a report names, refused (422, field `category`) when it
/// is unknown, inactive or a major.
pub(crate) fn minor_for_report(c: &mut dyn Conn, code: &str) -> Result<Category> {
    minor_and_effective(c, code).map(|(minor, _)| minor)
}

/// [`minor_for_report`] with what a case of it is held to, the minor and its
/// major read in one query (one round trip per report on PostgreSQL).
pub(crate) fn minor_and_effective(c: &mut dyn Conn, code: &str) -> Result<(Category, Effective)> {
    let unknown = || -> Error {
        CoreError::invalid(
            "category",
            "unknown_category",
            format!("事件类别“{code}”不存在或已停用"),
            format!("no active case category '{code}'"),
        )
        .into()
    };
    let rows = c.query(
        &format!(
            "{SELECT} WHERE k.code = $1
             OR k.id = (SELECT parent_id FROM case_categories WHERE code = $1)"
        ),
        params![code.trim()],
    )?;
    let mut found = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    let at = found
        .iter()
        .position(|k| k.code == code.trim())
        .ok_or_else(unknown)?;
    let cat = found.swap_remove(at);
    let major = found.pop();
    if !cat.active {
        return Err(unknown());
    }
    if cat.parent.is_none() {
        return Err(CoreError::invalid(
            "category",
            "category_not_minor",
            format!("“{}”是大类,请选择其下的小类", cat.name_zh),
            format!(
                "'{}' is a major category; choose one of its minor categories",
                cat.name_en
            ),
        )
        .into());
    }
    let eff = combine(&cat, major.as_ref());
    Ok((cat, eff))
}

fn check_code(code: &str, parent: Option<&Category>) -> Result<String> {
    let code = code.trim();
    let digits = code.bytes().all(|b| b.is_ascii_digit());
    let ok = match parent {
        None => code.len() == 2 && digits,
        Some(p) => code.len() == p.code.len() + 2 && digits && code.starts_with(&p.code),
    };
    if ok {
        return Ok(code.to_string());
    }
    let (zh, en) = match parent {
        None => (
            "大类代码应为两位数字".to_string(),
            "a major category's code is two digits".to_string(),
        ),
        Some(p) => (
            format!("小类代码应为大类代码{}后加两位数字", p.code),
            format!(
                "a minor category's code is its major's code {} followed by two digits",
                p.code
            ),
        ),
    };
    Err(CoreError::invalid("code", "category_code", zh, en).into())
}

fn check_fields(fields: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for f in fields {
        let f = f.trim();
        let ok = (1..=40).contains(&f.len())
            && f.starts_with(|ch: char| ch.is_ascii_lowercase())
            && f.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(CoreError::invalid(
                "required_fields",
                "field_name",
                format!("字段名“{f}”无效:应为小写字母开头的字母、数字和下划线"),
                format!("field name '{f}' is not valid: lower-case letters, digits and _ starting with a letter"),
            )
            .into());
        }
        if !out.iter().any(|o| o == f) {
            out.push(f.to_string());
        }
    }
    if out.len() > 20 {
        return Err(CoreError::invalid(
            "required_fields",
            "too_many",
            "最多20个必填字段",
            "at most 20 required fields",
        )
        .into());
    }
    Ok(out)
}

fn check_deadlines(d: &Deadlines) -> Result<()> {
    for (name, v) in [
        ("accept", d.accept),
        ("dispatch", d.dispatch),
        ("handle", d.handle),
    ] {
        let Some(v) = v else { continue };
        let max = match v.unit {
            DeadlineUnit::WorkingHours => 2000,
            DeadlineUnit::WorkingDays => 250,
        };
        if !(1..=max).contains(&v.amount) {
            return Err(CoreError::invalid(
                format!("deadlines.{name}.amount"),
                "deadline_range",
                format!("时限应在1到{max}之间"),
                format!("a time limit is between 1 and {max}"),
            )
            .into());
        }
    }
    Ok(())
}

fn check_names(zh: &str, en: &str, public: &str) -> Result<(String, String, String)> {
    Ok((
        check_text("name_zh", zh, 50)?,
        check_text("name_en", en, 100)?,
        check_text("public_name", public, 50)?,
    ))
}

pub fn create_category(c: &mut dyn Conn, ctx: &Ctx, new: NewCategory) -> Result<Category> {
    ctx.require(Permission::UsersManage)?;
    super::lock_audit_chain(c)?;
    let parent = match new.parent.as_deref().map(str::trim) {
        Some(code) => {
            let p = get_category(c, code).map_err(|e| match e {
                Error::NotFound { .. } => CoreError::invalid(
                    "parent",
                    "unknown_category",
                    format!("大类“{code}”不存在"),
                    format!("no major category '{code}'"),
                )
                .into(),
                other => other,
            })?;
            if p.parent.is_some() {
                return Err(CoreError::invalid(
                    "parent",
                    "category_depth",
                    "类别只有大类和小类两级,小类下不能再建类别",
                    "categories have two levels; a minor category cannot have children",
                )
                .into());
            }
            Some(p)
        }
        None => None,
    };
    let code = check_code(&new.code, parent.as_ref())?;
    let (zh, en, public) = check_names(&new.name_zh, &new.name_en, &new.public_name)?;
    let fields = check_fields(&new.required_fields)?;
    check_deadlines(&new.deadlines)?;
    let readers = new
        .tip_readers
        .as_ref()
        .map(|r| tip_readers::check(c, r))
        .transpose()?;
    let now = ctx.now_ms();
    let id: i64 = c
        .query_one(
            "INSERT INTO case_categories (code, parent_id, name_zh, name_en, public_name, confidential,
                required_fields, deadlines, active, created_at, updated_at, internal, tip_readers)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9, $10, $11) RETURNING id",
            params![
                code.as_str(),
                parent.as_ref().map(|p| p.id),
                zh,
                en,
                public,
                new.confidential,
                super::to_json(&fields)?,
                super::to_json(&new.deadlines)?,
                now,
                new.internal,
                readers.as_ref().map(super::to_json).transpose()?
            ],
        )
        .map_err(|e| match e {
            Error::Unique(_) => CoreError::conflict(
                "category_code_taken",
                format!("类别代码{code}已被使用"),
                format!("category code {code} is already in use"),
            )
            .into(),
            other => other,
        })?
        .get(0)?;
    audit::record(
        c,
        ctx,
        "case_category",
        id,
        "create",
        json!({"code": code, "confidential": new.confidential, "internal": new.internal,
            "tip_readers": readers}),
    )?;
    by_id(c, id)
}

pub fn update_category(
    c: &mut dyn Conn,
    ctx: &Ctx,
    code: &str,
    patch: CategoryPatch,
) -> Result<Category> {
    ctx.require(Permission::UsersManage)?;
    super::lock_audit_chain(c)?;
    let cat = get_category(c, code)?;
    let (zh, en, public) = check_names(
        patch.name_zh.as_deref().unwrap_or(&cat.name_zh),
        patch.name_en.as_deref().unwrap_or(&cat.name_en),
        patch.public_name.as_deref().unwrap_or(&cat.public_name),
    )?;
    let fields = match &patch.required_fields {
        Some(f) => check_fields(f)?,
        None => cat.required_fields.clone(),
    };
    let deadlines = patch.deadlines.unwrap_or(cat.deadlines);
    check_deadlines(&deadlines)?;
    let readers = match &patch.tip_readers {
        Some(Some(r)) => Some(tip_readers::check(c, r)?),
        Some(None) => None,
        None => cat.tip_readers.clone(),
    };
    let mut changed: Vec<&str> = Vec::new();
    for (name, is) in [
        ("name_zh", patch.name_zh.is_some()),
        ("name_en", patch.name_en.is_some()),
        ("public_name", patch.public_name.is_some()),
        ("confidential", patch.confidential.is_some()),
        ("internal", patch.internal.is_some()),
        ("tip_readers", patch.tip_readers.is_some()),
        ("required_fields", patch.required_fields.is_some()),
        ("deadlines", patch.deadlines.is_some()),
        ("active", patch.active.is_some()),
    ] {
        if is {
            changed.push(name);
        }
    }
    c.execute(
        "UPDATE case_categories SET name_zh = $1, name_en = $2, public_name = $3, confidential = $4,
            required_fields = $5, deadlines = $6, active = $7, updated_at = $8, internal = $10,
            tip_readers = $11
         WHERE id = $9",
        params![
            zh,
            en,
            public,
            patch.confidential.unwrap_or(cat.confidential),
            super::to_json(&fields)?,
            super::to_json(&deadlines)?,
            patch.active.unwrap_or(cat.active),
            ctx.now_ms(),
            cat.id,
            patch.internal.unwrap_or(cat.internal),
            readers.as_ref().map(super::to_json).transpose()?
        ],
    )?;
    audit::record(
        c,
        ctx,
        "case_category",
        cat.id,
        "update",
        json!({"code": cat.code, "fields": changed,
            "tip_readers": patch.tip_readers.as_ref().map(|_| &readers)}),
    )?;
    by_id(c, cat.id)
}
