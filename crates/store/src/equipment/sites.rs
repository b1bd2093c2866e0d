//! Construction sites (施工工地): the registry that dust-control inspections
//! (the 七个百分百 checklist) target, declared on the registry engine.

use super::{fmt_date, opt_date, org_ref, stored_date};
use crate::ctx::Ctx;
use crate::db::Conn;
use crate::error::Result;
use crate::registry::page::{Field, Input};
use crate::registry::{Fields, Filter, Line, Meta, Named, Pages, Registry, TargetSpec, Where};
use crate::transfer::Out;
use crate::units;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use wangge_core::auth::Permission;
use wangge_core::equipment::{self as rules, SiteStatus};
use wangge_core::people::{check_text, optional};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Site {
    pub id: i64,
    /// The project's name.
    pub name: String,
    /// The construction company (施工单位).
    pub builder_org_id: i64,
    pub builder_name: String,
    pub unit: String,
    pub unit_name: String,
    pub location: String,
    /// YYYY-MM-DD.
    pub starts_on: String,
    pub ends_on: Option<String>,
    pub status: SiteStatus,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSite {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    pub builder_org_id: i64,
    /// Unit code.
    pub unit: String,
    pub location: Option<String>,
    /// YYYY-MM-DD.
    pub starts_on: String,
    pub ends_on: Option<String>,
    /// Defaults to `active`.
    pub status: Option<SiteStatus>,
}

/// A change to a construction site: only the fields given change. An empty
/// `ends_on` ("") clears the planned end; `location` "" clears the location.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SitePatch {
    pub name: Option<String>,
    pub builder_org_id: Option<i64>,
    /// Unit code; must lie in the caller's scope, like the site's present unit.
    pub unit: Option<String>,
    pub location: Option<String>,
    /// YYYY-MM-DD.
    pub starts_on: Option<String>,
    /// YYYY-MM-DD, or "" for none.
    pub ends_on: Option<String>,
    pub status: Option<SiteStatus>,
}

#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SiteFilter {
    /// Unit code: sites anywhere in its subtree.
    pub unit: Option<String>,
    pub status: Option<SiteStatus>,
}

/// The status as the site pages name it.
pub fn site_status_zh(s: SiteStatus) -> &'static str {
    match s {
        SiteStatus::Planned => "未开工",
        SiteStatus::Active => "在建",
        SiteStatus::Suspended => "停工",
        SiteStatus::Finished => "完工",
    }
}

impl Filter for SiteFilter {
    fn unit(&self) -> Option<&str> {
        self.unit.as_deref()
    }

    fn conditions(&self, w: &mut Where) {
        if let Some(st) = self.status {
            w.eq("status", st.as_str());
        }
    }

    fn lines(&self) -> Vec<Line> {
        vec![Line {
            key: "status",
            label: ("状态", "Status"),
            value: self
                .status
                .map(|s| (site_status_zh(s).to_string(), s.as_str().to_string())),
        }]
    }
}

fn location(l: &str) -> Result<String> {
    Ok(match optional(Some(l)) {
        Some(l) => check_text("location", l, 100)?,
        None => String::new(),
    })
}

impl Registry for Site {
    const META: Meta = Meta {
        slug: "construction-sites",
        entity: "construction_site",
        table: "construction_sites",
        noun: ("建筑工地", "construction site"),
        list: ("建筑工地", "construction sites"),
        aliases: &["sites", "工地"],
        tag: "equipment",
        read: Permission::EquipmentRead,
        write: Permission::EquipmentWrite,
    };
    const COLUMNS: &'static [(&'static str, &'static str)] = &[
        ("name", "e.name"),
        ("builder_org_id", "e.builder_org_id"),
        ("builder_name", "o.name"),
        ("unit", "u.code"),
        ("unit_name", "u.name"),
        ("location", "e.location"),
        ("starts_on", "e.starts_on"),
        ("ends_on", "e.ends_on"),
        ("status", "e.status"),
        ("created_at", "e.created_at"),
        ("updated_at", "e.updated_at"),
    ];
    const JOINS: &'static str = "JOIN units u ON u.id = e.unit_id
        JOIN organisations o ON o.id = e.builder_org_id";
    const TRACKED: &'static [&'static str] = &["status"];
    const SHEET: &'static str = "建筑工地";
    const HEADERS: &'static [&'static str] = &[
        "项目名称",
        "施工单位",
        "所在单元",
        "单元代码",
        "具体位置",
        "开工日期",
        "计划完工日期",
        "状态",
    ];
    type New = NewSite;
    type Patch = SitePatch;
    type Filter = SiteFilter;

    fn from_row(r: &Named<'_>) -> Result<Site> {
        Ok(Site {
            id: r.id()?,
            name: r.get("name")?,
            builder_org_id: r.get("builder_org_id")?,
            builder_name: r.get("builder_name")?,
            unit: r.get("unit")?,
            unit_name: r.get("unit_name")?,
            location: r.get("location")?,
            starts_on: r.get("starts_on")?,
            ends_on: r.get("ends_on")?,
            status: SiteStatus::parse(&r.get::<String>("status")?)?,
            created_at: r.time("created_at")?,
            updated_at: r.time("updated_at")?,
        })
    }

    fn id(&self) -> i64 {
        self.id
    }

    fn unit(&self) -> &str {
        &self.unit
    }

    fn check_new(c: &mut dyn Conn, ctx: &Ctx, new: NewSite) -> Result<Fields> {
        let mut f = Fields::default();
        f.set("name", check_text("name", &new.name, 100)?);
        f.unit(units::resolve(c, ctx, "unit", &new.unit)?);
        org_ref(c, ctx, "builder_org_id", new.builder_org_id)?;
        f.set("builder_org_id", new.builder_org_id);
        f.note("builder_org_id", new.builder_org_id);
        f.set("location", location(new.location.as_deref().unwrap_or(""))?);
        let starts = rules::parse_date("starts_on", &new.starts_on)?;
        let ends = opt_date("ends_on", new.ends_on.as_deref())?;
        rules::check_site_period(starts, ends)?;
        f.set("starts_on", fmt_date(starts));
        f.set("ends_on", ends.map(fmt_date));
        f.set("status", new.status.unwrap_or(SiteStatus::Active).as_str());
        Ok(f)
    }

    /// A new unit must lie in the caller's scope (else it is unknown); the
    /// period is checked as a whole, the old end against a new start.
    fn check_patch(c: &mut dyn Conn, ctx: &Ctx, current: &Site, p: SitePatch) -> Result<Fields> {
        let mut f = Fields::default();
        if let Some(n) = &p.name {
            f.set("name", check_text("name", n, 100)?);
        }
        if let Some(o) = p.builder_org_id {
            org_ref(c, ctx, "builder_org_id", o)?;
            f.set("builder_org_id", o);
        }
        if let Some(code) = &p.unit {
            f.unit(units::resolve(c, ctx, "unit", code.trim())?);
        }
        if let Some(l) = &p.location {
            f.set("location", location(l)?);
        }
        let starts = match &p.starts_on {
            Some(s) => rules::parse_date("starts_on", s)?,
            None => stored_date(&current.starts_on)?,
        };
        let ends = match &p.ends_on {
            Some(e) => opt_date("ends_on", Some(e))?,
            None => current.ends_on.as_deref().map(stored_date).transpose()?,
        };
        rules::check_site_period(starts, ends)?;
        if p.starts_on.is_some() {
            f.set("starts_on", fmt_date(starts));
        }
        if p.ends_on.is_some() {
            f.set("ends_on", ends.map(fmt_date));
        }
        if let Some(st) = p.status {
            f.set("status", st.as_str());
        }
        Ok(f)
    }

    const PAGES: Option<Pages> = Some(Pages {
        prefix: "site",
        title: "equipment.sites_title",
        parent: Some(("/equipment", "equipment.title")),
        new_title: "equipment.new_site_title",
        register: "equipment.register",
        edit_link: "equipment.edit_site",
        edit_title: "equipment.edit_site_title",
        heading: "name",
        badge: Some("status"),
        note: Some("equipment.site_checks_hint"),
        fields: &[
            Field::text("name", "equipment.site_name", 100).required(),
            Field::new(
                "builder_org_id",
                "equipment.builder",
                Input::Org {
                    form: "builder",
                    shown: "builder_name",
                },
            )
            .required()
            .hint("equipment.org_hint"),
            Field::new(
                "unit",
                "equipment.unit_code",
                Input::Unit { shown: "unit_name" },
            )
            .required(),
            Field::text("location", "equipment.site_location", 100),
            Field::new("starts_on", "equipment.starts_on", Input::Date).required(),
            Field::new("ends_on", "equipment.ends_on", Input::Date).hint("equipment.ends_on_hint"),
            Field::new(
                "status",
                "equipment.status_label",
                Input::Choice(&[
                    ("planned", "equipment.site_status.planned"),
                    ("active", "equipment.site_status.active"),
                    ("suspended", "equipment.site_status.suspended"),
                    ("finished", "equipment.site_status.finished"),
                ]),
            )
            .edit_only(),
        ],
        columns: &["name", "builder_org_id", "unit", "starts_on", "status"],
    });

    // Dust-control plans inspect the sites still being built; the builder rectifies.
    const TARGET: Option<TargetSpec> = Some(TargetSpec {
        label: "e.name",
        responsible: Some("e.builder_org_id"),
        in_service: "e.status <> 'finished'",
    });

    fn export_row(&self) -> Vec<Out> {
        vec![
            Out::text(&self.name),
            Out::text(&self.builder_name),
            Out::text(&self.unit_name),
            Out::text(&self.unit),
            Out::text(&self.location),
            Out::text(&self.starts_on),
            Out::opt(self.ends_on.clone()),
            Out::text(site_status_zh(self.status)),
        ]
    }
}
