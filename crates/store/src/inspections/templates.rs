//! Checklist templates. A template is kept as versions: posting a changed
//! checklist under an existing code makes the next version, and nothing ever
//! rewrites a version, so every record and plan keeps the questions it was
//! made with.

use super::{from_json, invalid, ms_to_rfc3339, to_json};
use crate::ctx::Ctx;
use crate::db::{Conn, Row};
use crate::error::{Error, Result};
use crate::{audit, params};
use serde::Serialize;
use serde_json::json;
use wangge_core::auth::Permission;
use wangge_core::inspections::{check_template, TemplateBody};

/// One version of a checklist.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Template {
    pub id: i64,
    pub code: String,
    pub version: i64,
    pub name: String,
    pub created_by: String,
    /// RFC 3339
    pub created_at: String,
    pub body: TemplateBody,
}

/// A template in a list: its latest version.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TemplateSummary {
    pub code: String,
    pub name: String,
    pub latest_version: i64,
    pub items: i64,
}

const SELECT: &str =
    "SELECT id, code, version, name, created_by, created_at, body FROM inspection_templates";

fn from_row(r: &Row) -> Result<Template> {
    Ok(Template {
        id: r.get(0)?,
        code: r.get(1)?,
        version: r.get(2)?,
        name: r.get(3)?,
        created_by: r.get(4)?,
        created_at: ms_to_rfc3339(r.get(5)?),
        body: from_json("template", &r.get::<String>(6)?)?,
    })
}

pub(crate) fn by_id(c: &mut dyn Conn, id: i64) -> Result<Template> {
    let r = c
        .query_opt(&format!("{SELECT} WHERE id = $1"), params![id])?
        .ok_or_else(|| Error::not_found("inspection template"))?;
    from_row(&r)
}

fn latest(c: &mut dyn Conn, code: &str) -> Result<Option<Template>> {
    c.query_opt(
        &format!("{SELECT} WHERE code = $1 ORDER BY version DESC LIMIT 1"),
        params![code],
    )?
    .map(|r| from_row(&r))
    .transpose()
}

/// A minor case category that exists: findings must become cases.
fn check_category(c: &mut dyn Conn, field: &str, code: &str) -> Result<()> {
    let found = c.query_opt(
        "SELECT id FROM case_categories WHERE code = $1 AND parent_id IS NOT NULL",
        params![code],
    )?;
    if found.is_none() {
        return Err(invalid(
            field,
            "unknown_category",
            format!("案件小类“{code}”不存在"),
            format!("no minor case category '{code}'"),
        ));
    }
    Ok(())
}

/// Stores a new template, or the next version of an existing one. Posting a
/// checklist identical to the latest version answers that version and makes
/// no new one.
pub fn create_template(c: &mut dyn Conn, ctx: &Ctx, body: TemplateBody) -> Result<Template> {
    ctx.require(Permission::InspectionTemplatesWrite)?;
    let body = check_template(&body)?;
    if let Some(cat) = &body.category {
        check_category(c, "category", cat)?;
    }
    for (si, s) in body.sections.iter().enumerate() {
        for (ii, item) in s.items.iter().enumerate() {
            if let Some(cat) = &item.category {
                check_category(c, &format!("sections[{si}].items[{ii}].category"), cat)?;
            }
        }
    }
    let prev = latest(c, &body.code)?;
    if let Some(same) = prev.as_ref().filter(|p| p.body == body) {
        return Ok(same.clone());
    }
    let version = prev.as_ref().map_or(1, |p| p.version + 1);
    let id: i64 = c
        .query_one(
            "INSERT INTO inspection_templates (code, version, name, body, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            params![
                body.code.as_str(),
                version,
                body.name.as_str(),
                to_json(&body)?,
                ctx.actor.as_str(),
                ctx.now_ms()
            ],
        )
        .map_err(|e| match e {
            // Two editors saving the same code at once: the second is told.
            Error::Unique(_) => invalid(
                "code",
                "template_version_taken",
                "该模板刚被他人修改,请刷新后再保存",
                "someone else saved this template just now; reload it and save again",
            ),
            other => other,
        })?
        .get(0)?;
    audit::record(
        c,
        ctx,
        "inspection_template",
        id,
        "create",
        json!({"code": body.code, "version": version}),
    )?;
    by_id(c, id)
}

/// A template's latest version, or the version asked for.
pub fn get_template(
    c: &mut dyn Conn,
    ctx: &Ctx,
    code: &str,
    version: Option<i64>,
) -> Result<Template> {
    ctx.require(Permission::InspectionsRead)?;
    let found = match version {
        None => latest(c, code)?,
        Some(v) => c
            .query_opt(
                &format!("{SELECT} WHERE code = $1 AND version = $2"),
                params![code, v],
            )?
            .map(|r| from_row(&r))
            .transpose()?,
    };
    found.ok_or_else(|| Error::not_found("inspection template"))
}

/// Every template, by code, with its latest version.
pub fn list_templates(c: &mut dyn Conn, ctx: &Ctx) -> Result<Vec<TemplateSummary>> {
    ctx.require(Permission::InspectionsRead)?;
    let rows = c.query(
        &format!(
            "{SELECT} t WHERE version = (SELECT MAX(version) FROM inspection_templates x WHERE x.code = t.code)
             ORDER BY code LIMIT 1000"
        ),
        &[],
    )?;
    rows.iter()
        .map(|r| {
            let t = from_row(r)?;
            Ok(TemplateSummary {
                items: t.body.items().count() as i64,
                code: t.code,
                name: t.name,
                latest_version: t.version,
            })
        })
        .collect()
}

/// Adds the built-in templates (elevator use unit, construction-site dust
/// control) whose codes are not there yet; returns how many were added.
/// Needs the standard case categories.
pub fn seed_templates(c: &mut dyn Conn, ctx: &Ctx) -> Result<usize> {
    let mut added = 0;
    for t in wangge_core::inspections::seed_templates() {
        if latest(c, &t.code)?.is_none() {
            create_template(c, ctx, t)?;
            added += 1;
        }
    }
    Ok(added)
}
