//! The new-plan form of the inspections home page: what was typed (kept as
//! typed when refused), how it becomes a `NewPlan`, and the store's message
//! placed next to the field it names.

use super::super::i18n::T;
use super::super::org_choice::{self, Purpose};
use super::super::session::PageSession;
use super::{home_with, message, see_other};
use crate::error::ApiError;
use crate::web::CheckedForm;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::HashMap;
use wangge_core::auth::Permission;
use wangge_core::organisations::OrgKind;
use wangge_core::units::UnitKind;
use wangge_store::inspections::{self, NewPlan, TargetFilter, TargetKind};
use wangge_store::{Ctx, Error as StoreError};

/// The two target groups the form offers (the elevator investigation has
/// two: crowded places and large compounds).
pub const GROUPS: usize = 2;

/// One target filter as typed.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct GroupDraft {
    pub kind: String,
    pub group: String,
    pub under: String,
    pub unit_kind: String,
    pub org_kind: String,
    /// Unit codes or organisation ids, separated by commas or spaces.
    pub refs: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Draft {
    pub csrf: String,
    pub name: String,
    pub template: String,
    pub unit: String,
    pub issuing_org: String,
    pub supervising_org: String,
    pub inspector_org: String,
    /// Usernames separated by commas or spaces.
    pub inspectors: String,
    pub due_date: String,
    pub g0_kind: String,
    pub g0_group: String,
    pub g0_under: String,
    pub g0_unit_kind: String,
    pub g0_org_kind: String,
    pub g0_refs: String,
    pub g1_kind: String,
    pub g1_group: String,
    pub g1_under: String,
    pub g1_unit_kind: String,
    pub g1_org_kind: String,
    pub g1_refs: String,
    /// The organisation search above the form (a GET form on the home page).
    pub org_q: String,
}

impl Draft {
    pub fn groups(&self) -> [GroupDraft; GROUPS] {
        let g = |kind: &str, group: &str, under: &str, uk: &str, ok: &str, refs: &str| GroupDraft {
            kind: kind.into(),
            group: group.into(),
            under: under.into(),
            unit_kind: uk.into(),
            org_kind: ok.into(),
            refs: refs.into(),
        };
        [
            g(
                &self.g0_kind,
                &self.g0_group,
                &self.g0_under,
                &self.g0_unit_kind,
                &self.g0_org_kind,
                &self.g0_refs,
            ),
            g(
                &self.g1_kind,
                &self.g1_group,
                &self.g1_under,
                &self.g1_unit_kind,
                &self.g1_org_kind,
                &self.g1_refs,
            ),
        ]
    }
}

/// The form as shown: the draft, the choices and the messages by field.
pub struct PlanForm {
    pub d: Draft,
    pub groups: [GroupDraft; GROUPS],
    pub templates: Vec<(String, String)>,
    pub orgs: Vec<(String, String)>,
    pub unit_kinds: Vec<(&'static str, &'static str)>,
    pub org_kinds: Vec<(&'static str, &'static str)>,
    pub errors: HashMap<String, String>,
    pub form_error: Option<String>,
}

impl PlanForm {
    pub async fn blank(s: &AppState, ctx: &Ctx, unit: Option<String>, org_q: String) -> PlanForm {
        let d = Draft {
            org_q,
            template: wangge_core::inspections::ELEVATOR_USE_UNIT.into(),
            unit: unit.unwrap_or_default(),
            g0_kind: "organisation".into(),
            g1_kind: "unit".into(),
            ..Draft::default()
        };
        PlanForm::with(s, ctx, d).await
    }

    async fn with(s: &AppState, ctx: &Ctx, d: Draft) -> PlanForm {
        let c2 = ctx.clone();
        let templates = s
            .store
            .db
            .read(move |c| inspections::list_templates(c, &c2))
            .await
            .map(|l| l.into_iter().map(|t| (t.code, t.name)).collect())
            .unwrap_or_default();
        // Issuing bureaus and expert firms usually sit above the user's
        // subtree, as the case engine's lead organisations do. What the
        // draft already names stays listed whatever the search shows.
        let chosen: Vec<i64> = [&d.issuing_org, &d.supervising_org, &d.inspector_org]
            .iter()
            .filter_map(|v| v.trim().parse().ok())
            .collect();
        let orgs = org_choice::handlers(s, Purpose::Plan, &d.org_q, &chosen)
            .await
            .into_iter()
            .map(|(id, name)| (id.to_string(), name))
            .collect();
        PlanForm {
            groups: d.groups(),
            d,
            templates,
            orgs,
            unit_kinds: UnitKind::ALL
                .iter()
                .map(|k| (k.as_str(), unit_kind_key(*k)))
                .collect(),
            org_kinds: OrgKind::ALL
                .iter()
                .map(|k| (k.as_str(), org_kind_key(*k)))
                .collect(),
            errors: HashMap::new(),
            form_error: None,
        }
    }

    pub fn err(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }

    pub fn group_err(&self, n: usize) -> Option<&String> {
        self.errors.get(&format!("g{n}"))
    }
}

fn unit_kind_key(k: UnitKind) -> &'static str {
    match k {
        UnitKind::Zone => "kind.zone",
        UnitKind::Street => "kind.street",
        UnitKind::Community => "kind.community",
        UnitKind::Compound => "kind.compound",
        UnitKind::Building => "kind.building",
        UnitKind::Grid => "kind.grid",
    }
}

fn org_kind_key(k: OrgKind) -> &'static str {
    match k {
        OrgKind::Department => "inspection_pages.org_department",
        OrgKind::PartyCommittee => "inspection_pages.org_party_committee",
        OrgKind::PartyBranch => "inspection_pages.org_party_branch",
        OrgKind::PartyGroup => "inspection_pages.org_party_group",
        OrgKind::NeighbourhoodCommittee => "inspection_pages.org_neighbourhood_committee",
        OrgKind::PropertyCompany => "inspection_pages.org_property_company",
        OrgKind::OwnersCommittee => "inspection_pages.org_owners_committee",
        OrgKind::Enterprise => "inspection_pages.org_enterprise",
        OrgKind::SocialOrganisation => "inspection_pages.org_social_organisation",
        OrgKind::Alliance => "inspection_pages.org_alliance",
    }
}

fn words(s: &str) -> Vec<String> {
    s.split([',', ',', ' ', '、', '\n'])
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim()).filter(|v| !v.is_empty()).map(str::to_string)
}

/// The typed form as the store's input, or the first field that is not
/// even of the right shape (a word where an id belongs), with its message key.
fn to_new(d: &Draft) -> Result<NewPlan, (String, &'static str)> {
    let org = |field: &str, v: &str| -> Result<Option<i64>, (String, &'static str)> {
        match opt(v) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| (field.to_string(), "inspection_pages.choose_org")),
        }
    };
    let issuing = org("issuing_org", &d.issuing_org)?
        .ok_or(("issuing_org".to_string(), "inspection_pages.choose_org"))?;
    let mut targets = Vec::new();
    for (i, g) in d.groups().iter().enumerate() {
        let field = format!("g{i}");
        if opt(&g.group).is_none() && opt(&g.under).is_none() && opt(&g.refs).is_none() {
            continue;
        }
        let kind =
            TargetKind::parse(&g.kind).map_err(|_| (field.clone(), "inspection_pages.bad_kind"))?;
        let refs = words(&g.refs);
        let (codes, ids) = match kind {
            TargetKind::Unit => (refs, Vec::new()),
            TargetKind::Organisation | TargetKind::Equipment | TargetKind::ConstructionSite => {
                let ids = refs
                    .iter()
                    .map(|r| r.parse::<i64>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| (field.clone(), "inspection_pages.bad_ids"))?;
                (Vec::new(), ids)
            }
        };
        targets.push(TargetFilter {
            kind,
            group: g.group.clone(),
            under: opt(&g.under),
            unit_kind: opt(&g.unit_kind).and_then(|k| UnitKind::parse(&k).ok()),
            codes,
            org_kind: opt(&g.org_kind).and_then(|k| OrgKind::parse(&k).ok()),
            ids,
        });
    }
    Ok(NewPlan {
        name: d.name.clone(),
        template: d.template.trim().to_string(),
        template_version: None,
        unit: d.unit.trim().to_string(),
        issuing_org_id: issuing,
        supervising_org_id: org("supervising_org", &d.supervising_org)?,
        inspector_org_id: org("inspector_org", &d.inspector_org)?,
        inspectors: words(&d.inspectors),
        due_date: d.due_date.trim().to_string(),
        targets,
        recurrence: None,
        recurrence_days: None,
    })
}

/// The form field a store error names: `targets[1].under` → `g1`.
fn form_field(store_field: &str) -> String {
    if let Some(rest) = store_field.strip_prefix("targets[") {
        return format!("g{}", rest.chars().next().unwrap_or('0'));
    }
    match store_field.split(['[', '.']).next().unwrap_or_default() {
        "targets" => "g0".into(),
        "template_version" => "template".into(),
        "issuing_org_id" => "issuing_org".into(),
        "supervising_org_id" => "supervising_org".into(),
        "inspector_org_id" => "inspector_org".into(),
        f @ ("name" | "template" | "unit" | "inspectors" | "due_date") => f.into(),
        _ => String::new(),
    }
}

pub async fn submit(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    CheckedForm(d): CheckedForm<Draft>,
) -> Response {
    if !session.ctx.can(Permission::InspectionsManage) {
        return super::super::not_found_page(t);
    }
    let mut form = PlanForm::with(&s, &session.ctx, d).await;
    match to_new(&form.d) {
        Err((field, key)) => {
            form.errors.insert(field, t.t(key).to_string());
        }
        Ok(new) => {
            let ctx = session.ctx.clone();
            match s
                .store
                .db
                .write(move |c| inspections::create_plan(c, &ctx, new))
                .await
            {
                Ok(plan) => return see_other(&format!("/inspections/plans/{}", plan.id)),
                Err(StoreError::Domain(e @ wangge_core::Error::Invalid { .. })) => {
                    let field = match &e {
                        wangge_core::Error::Invalid { field, .. } => form_field(field),
                        _ => String::new(),
                    };
                    if field.is_empty() {
                        form.form_error = Some(message(t, &e));
                    } else {
                        form.errors.insert(field, message(t, &e));
                    }
                }
                Err(StoreError::Domain(e)) => form.form_error = Some(message(t, &e)),
                Err(e) => return ApiError::from(e).into_response(),
            }
        }
    }
    home_with(&s, t, session, Some(form), StatusCode::UNPROCESSABLE_ENTITY).await
}
