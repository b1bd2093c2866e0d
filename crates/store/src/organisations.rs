//! Organisations attached to units, their party hierarchy, and alliance
//! members. The registry itself (list, get, create, patch, export) is declared
//! on the registry engine; alliance members, look-ups by name and the choices
//! offered to forms are its own.

use crate::ctx::Ctx;
use crate::db::{Conn, Value};
use crate::error::{Error, Result};
use crate::registry::page::{Field, Input};
use crate::registry::{self, Fields, Filter, Line, Meta, Named, Pages, Registry, Where};
use crate::transfer::Out;
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
    /// What only the export shows; never in the API's answer.
    #[serde(skip)]
    names: ExportNames,
}

/// The names the export writes beside the record's own fields, as the
/// import template reads them back: the community and compound at or above
/// the unit, and the parent organisation's name.
#[derive(Debug, Clone, Default)]
struct ExportNames {
    community: Option<String>,
    compound: Option<String>,
    parent: Option<String>,
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

/// The kinds as the pages name them (catalogue keys).
const KIND_LABELS: &[(&str, &str)] = &[
    ("department", "inspection_pages.org_department"),
    ("party_committee", "inspection_pages.org_party_committee"),
    ("party_branch", "inspection_pages.org_party_branch"),
    ("party_group", "inspection_pages.org_party_group"),
    (
        "neighbourhood_committee",
        "inspection_pages.org_neighbourhood_committee",
    ),
    ("property_company", "inspection_pages.org_property_company"),
    ("owners_committee", "inspection_pages.org_owners_committee"),
    ("enterprise", "inspection_pages.org_enterprise"),
    (
        "social_organisation",
        "inspection_pages.org_social_organisation",
    ),
    ("alliance", "inspection_pages.org_alliance"),
];

#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OrgFilter {
    /// Unit code: organisations anywhere in its subtree.
    pub unit: Option<String>,
    pub kind: Option<OrgKind>,
    /// Organisations directly under this one.
    pub parent_org_id: Option<i64>,
}

impl Filter for OrgFilter {
    fn unit(&self) -> Option<&str> {
        self.unit.as_deref()
    }

    fn conditions(&self, w: &mut Where) {
        if let Some(kind) = self.kind {
            w.eq("kind", kind.as_str());
        }
        if let Some(p) = self.parent_org_id {
            w.eq("parent_org_id", p);
        }
    }

    fn lines(&self) -> Vec<Line> {
        vec![
            Line {
                key: "kind",
                label: ("组织类型", "Kind"),
                value: self
                    .kind
                    .map(|k| (k.label_zh().to_string(), k.as_str().to_string())),
            },
            Line {
                key: "parent_org_id",
                label: ("上级组织", "Parent organisation"),
                value: self.parent_org_id.map(|p| (p.to_string(), p.to_string())),
            },
        ]
    }
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

impl Registry for Organisation {
    const META: Meta = Meta {
        slug: "organisations",
        entity: "organisation",
        table: "organisations",
        noun: ("组织", "organisation"),
        list: ("组织", "organisations"),
        // The names `transfer::Kind` has always accepted for them.
        aliases: &[
            "organizations",
            "organisation",
            "organization",
            "orgs",
            "单位",
        ],
        tag: "organisations",
        read: Permission::RegistryRead,
        write: Permission::RegistryWrite,
    };
    const COLUMNS: &'static [(&'static str, &'static str)] = &[
        ("name", "e.name"),
        ("kind", "e.kind"),
        ("unit", "u.code"),
        ("unit_name", "u.name"),
        ("parent_org_id", "e.parent_org_id"),
        ("credit_code", "e.credit_code"),
        ("created_at", "e.created_at"),
        ("updated_at", "e.updated_at"),
        // Units nest strictly (community > compound > building, community >
        // grid), so the community is at most two steps up and the compound one.
        (
            "community",
            "CASE WHEN u.kind = 'community' THEN u.name WHEN up.kind = 'community' THEN up.name
             WHEN up2.kind = 'community' THEN up2.name END",
        ),
        (
            "compound",
            "CASE WHEN u.kind = 'compound' THEN u.name WHEN up.kind = 'compound' THEN up.name END",
        ),
        ("parent_name", "po.name"),
    ];
    const JOINS: &'static str = "JOIN units u ON u.id = e.unit_id
        LEFT JOIN units up ON up.id = u.parent_id
        LEFT JOIN units up2 ON up2.id = up.parent_id
        LEFT JOIN organisations po ON po.id = e.parent_org_id";
    const TRACKED: &'static [&'static str] = &[];
    const SHEET: &'static str = "组织";
    /// The import template's columns that an export fills, in its order, so
    /// that an export imports back unchanged.
    const HEADERS: &'static [&'static str] = &[
        "组织名称",
        "组织类型",
        "统一社会信用代码",
        "所属社区",
        "所属小区",
        "单元代码",
        "上级组织",
        "所属单元",
    ];
    type New = NewOrganisation;
    type Patch = OrganisationPatch;
    type Filter = OrgFilter;

    fn from_row(r: &Named<'_>) -> Result<Organisation> {
        Ok(Organisation {
            id: r.id()?,
            name: r.get("name")?,
            kind: OrgKind::parse(&r.get::<String>("kind")?)?,
            unit: r.get("unit")?,
            unit_name: r.get("unit_name")?,
            parent_org_id: r.get("parent_org_id")?,
            credit_code: r.get("credit_code")?,
            created_at: r.time("created_at")?,
            updated_at: r.time("updated_at")?,
            names: ExportNames {
                community: r.get("community")?,
                compound: r.get("compound")?,
                parent: r.get("parent_name")?,
            },
        })
    }

    fn id(&self) -> i64 {
        self.id
    }

    fn unit(&self) -> &str {
        &self.unit
    }

    fn check_new(c: &mut dyn Conn, ctx: &Ctx, new: NewOrganisation) -> Result<Fields> {
        let mut f = Fields::default();
        f.set("name", check_text("name", &new.name, 100)?);
        let code = credit_code(new.kind, new.credit_code.as_deref())?;
        f.unit(units::resolve(c, ctx, "unit", &new.unit)?);
        if let Some(p) = new.parent_org_id {
            registry::get::<Organisation>(c, ctx, p)
                .map_err(|e| unknown_org("parent_org_id", p, e))?;
        }
        f.set("kind", new.kind.as_str());
        f.note("kind", new.kind.as_str());
        f.set("parent_org_id", new.parent_org_id);
        f.set("credit_code", code);
        Ok(f)
    }

    /// The kind stays, so a credit code is checked against the present one;
    /// "" clears the code.
    fn check_patch(
        _c: &mut dyn Conn,
        _ctx: &Ctx,
        current: &Organisation,
        p: OrganisationPatch,
    ) -> Result<Fields> {
        let mut f = Fields::default();
        if let Some(name) = &p.name {
            f.set("name", check_text("name", name, 100)?);
        }
        if let Some(code) = &p.credit_code {
            f.set("credit_code", credit_code(current.kind, Some(code))?);
        }
        Ok(f)
    }

    fn export_row(&self) -> Vec<Out> {
        vec![
            Out::text(&self.name),
            Out::text(self.kind.label_zh()),
            Out::opt(self.credit_code.clone()),
            Out::opt(self.names.community.clone()),
            Out::opt(self.names.compound.clone()),
            Out::text(&self.unit),
            Out::opt(self.names.parent.clone()),
            Out::text(&self.unit_name),
        ]
    }

    /// The credit code is the table's one unique column besides the id.
    const PAGES: Option<Pages> = Some(Pages {
        prefix: "org",
        title: "orgs.list_title",
        parent: Some(("/units", "units.title")),
        new_title: "orgs.new_title",
        register: "orgs.register",
        edit_link: "orgs.edit",
        edit_title: "orgs.edit",
        heading: "name",
        badge: Some("kind"),
        note: None,
        fields: &[
            Field::text("name", "orgs.name", 100).required(),
            Field::new("kind", "orgs.kind", Input::Choice(KIND_LABELS))
                .required()
                .new_only(),
            Field::new("unit", "orgs.unit", Input::Unit { shown: "unit_name" })
                .required()
                .new_only(),
            Field::text("credit_code", "orgs.credit_code", 40).hint("orgs.credit_code_hint"),
        ],
        columns: &["name", "kind", "unit", "credit_code"],
    });

    fn stored_error(e: Error) -> Error {
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
}

fn get(c: &mut dyn Conn, ctx: &Ctx, id: i64) -> Result<Organisation> {
    registry::get::<Organisation>(c, ctx, id)
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

/// The member organisations of an alliance that the caller may see, in id
/// order. Alliances have tens of members, so each is read as the registry
/// reads one; those outside the caller's scope are left out.
pub fn members(c: &mut dyn Conn, ctx: &Ctx, alliance: i64) -> Result<Vec<Organisation>> {
    ctx.require(Permission::RegistryRead)?;
    get(c, ctx, alliance)?;
    let ids = c.query(
        "SELECT member_id FROM alliance_members WHERE alliance_id = $1 ORDER BY member_id",
        params![alliance],
    )?;
    let mut out = Vec::with_capacity(ids.len());
    for r in ids {
        match get(c, ctx, r.get(0)?) {
            Ok(o) => out.push(o),
            Err(Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transfer::{columns, Kind};

    /// An export must import back unchanged, so it writes the template's
    /// columns in the template's order (less the combined place column,
    /// which only imports read).
    #[test]
    fn the_export_writes_the_import_templates_columns() {
        let template: Vec<&str> = columns(Kind::Organisations)
            .iter()
            .filter(|c| c.key != "place")
            .map(|c| c.zh)
            .collect();
        assert_eq!(Organisation::HEADERS, template.as_slice());
        assert_eq!(Organisation::SHEET, Kind::Organisations.label_zh());
    }
}
