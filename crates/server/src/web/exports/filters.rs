//! Reading an export request's query string exactly as the list page reads
//! its own: the same parameter names, the same parsing (cases through the
//! page's `ListQuery::filter`), a canonical query string for the links, and
//! the filter as lines for the export page. A value the export cannot read
//! (a site status that does not exist) is refused rather than read as "any",
//! which would export more than asked.

use super::List;
use crate::error::ApiError;
use crate::transfer::exports::Listing;
use crate::web::i18n::T;
use serde::Deserialize;
use wangge_core::auth::Permission;
use wangge_core::equipment::{AlertKind, EquipmentKind, EquipmentStatus, SiteStatus};
use wangge_store::transfer::{ExportFilter, ExportFormat, ExportOptions};
use wangge_store::Ctx;

/// The equipment list's filters, as its page names them.
#[derive(Deserialize, Default)]
struct EquipmentQuery {
    unit: Option<String>,
    kind: Option<String>,
    status: Option<String>,
    alert: Option<String>,
}

/// The construction-site list's filter, as its page names it.
#[derive(Deserialize, Default)]
struct SiteQuery {
    status: Option<String>,
}

/// The plan page's one parameter: which plan.
#[derive(Deserialize, Default)]
struct PlanQuery {
    plan: Option<String>,
}

/// The audit page's filters (`before` pages, like a cursor, and is left out).
#[derive(Deserialize, Default)]
struct AuditQuery {
    actor: Option<String>,
    entity: Option<String>,
    action: Option<String>,
}

/// The given filters as a query string, in order.
fn query_of(pairs: &[(&str, &Option<String>)]) -> String {
    serde_urlencoded::to_string(
        pairs
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (*k, v.as_str())))
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default()
}

/// The registry lists' filters, as their pages name them.
#[derive(Deserialize, Default)]
struct RegistryQuery {
    unit: Option<String>,
    kind: Option<String>,
    q: Option<String>,
}

fn given(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The parsed request: what to export, with which filters, and the filters as
/// a canonical query string and as lines for the page.
pub(super) struct Request {
    pub(super) what: List,
    pub(super) listing: Listing,
    /// The registry filter (empty for cases, whose filter is in `listing`).
    pub(super) filter: ExportFilter,
    pub(super) query: String,
    pub(super) lines: Vec<(&'static str, String)>,
}

/// Malformed parameters are refused as the list page refuses them, rather
/// than read as "no filter", which would export more than the page shows.
pub(super) fn request(t: T, ctx: &Ctx, what: List, raw: &str) -> Result<Request, ApiError> {
    let malformed = |e: serde_urlencoded::de::Error| ApiError::Query(e.to_string());
    Ok(match what {
        List::Registry(kind) => {
            let q: RegistryQuery = serde_urlencoded::from_str(raw).map_err(malformed)?;
            let filter = ExportFilter {
                unit: given(&q.unit),
                kind: given(&q.kind),
                q: given(&q.q),
            };
            let pairs = [
                ("unit", "exports.f_unit", &filter.unit),
                ("kind", "exports.f_kind", &filter.kind),
                ("q", "exports.f_q", &filter.q),
            ];
            let query = serde_urlencoded::to_string(
                pairs
                    .iter()
                    .filter_map(|(k, _, v)| v.as_ref().map(|v| (*k, v.as_str())))
                    .collect::<Vec<_>>(),
            )
            .unwrap_or_default();
            let lines = pairs
                .iter()
                .filter_map(|(_, label, v)| v.as_ref().map(|v| (*label, v.clone())))
                .collect();
            Request {
                what,
                listing: Listing::Registry(kind),
                filter,
                query,
                lines,
            }
        }
        List::Cases => {
            let q: crate::web::cases::ListQuery =
                serde_urlencoded::from_str(raw).map_err(malformed)?;
            let f = q.filter(ctx.can(Permission::TipsRead));
            let mut lines: Vec<(&'static str, String)> = Vec::new();
            for s in &f.states {
                let key = format!("state.{}", s.as_str());
                lines.push(("exports.f_state", t.t(&key).to_string()));
            }
            if let Some(c) = &f.category {
                lines.push(("exports.f_category", c.clone()));
            }
            if let Some(u) = &f.unit {
                lines.push(("exports.f_unit", u.clone()));
            }
            if f.overdue == Some(true) {
                lines.push(("exports.f_overdue", "✓".into()));
            }
            if let Some(s) = f.source {
                let key = format!("source.{}", s.as_str());
                lines.push(("exports.f_source", t.t(&key).to_string()));
            }
            if let Some(c) = f.confidential {
                lines.push(("exports.f_confidential", if c { "✓" } else { "✗" }.into()));
            }
            if let Some(t) = &f.text {
                lines.push(("exports.f_text", t.clone()));
            }
            Request {
                what,
                query: q.without_cursor(),
                listing: Listing::Cases(f),
                filter: ExportFilter::default(),
                lines,
            }
        }
        List::Equipment => {
            let q: EquipmentQuery = serde_urlencoded::from_str(raw).map_err(malformed)?;
            let (unit, kind, status, alert) = (
                given(&q.unit),
                given(&q.kind),
                given(&q.status),
                given(&q.alert),
            );
            let f = wangge_store::equipment::ListFilter {
                unit: unit.clone(),
                kind: kind.as_deref().map(EquipmentKind::parse).transpose()?,
                status: status.as_deref().map(EquipmentStatus::parse).transpose()?,
                alert: alert.as_deref().map(AlertKind::parse).transpose()?,
                within_days: None,
            };
            let pairs = [
                ("unit", unit),
                ("kind", kind),
                ("status", status),
                ("alert", alert),
            ];
            let query = serde_urlencoded::to_string(
                pairs
                    .iter()
                    .filter_map(|(k, v)| v.as_ref().map(|v| (*k, v.as_str())))
                    .collect::<Vec<_>>(),
            )
            .unwrap_or_default();
            let mut lines = Vec::new();
            if let Some(u) = &f.unit {
                lines.push(("exports.f_unit", u.clone()));
            }
            if let Some(k) = f.kind {
                lines.push((
                    "exports.f_kind",
                    t.pick(k.label_zh(), k.as_str()).to_string(),
                ));
            }
            if let Some(st) = f.status {
                lines.push((
                    "exports.f_status",
                    t.pick(st.label_zh(), st.as_str()).to_string(),
                ));
            }
            if let Some(a) = f.alert {
                let zh = match a {
                    AlertKind::InspectionOverdue => "检验超期",
                    AlertKind::InspectionDue => "检验即将到期",
                    AlertKind::MaintenanceOverdue => "维保超期",
                };
                lines.push(("exports.f_alert", t.pick(zh, a.as_str()).to_string()));
            }
            Request {
                what,
                listing: Listing::Equipment(f),
                filter: ExportFilter::default(),
                query,
                lines,
            }
        }
        List::Sites => {
            let q: SiteQuery = serde_urlencoded::from_str(raw).map_err(malformed)?;
            let status = given(&q.status);
            let f = wangge_store::equipment::SiteFilter {
                unit: None,
                status: status.as_deref().map(SiteStatus::parse).transpose()?,
            };
            let mut lines = Vec::new();
            if let Some(st) = f.status {
                let label = wangge_store::transfer::site_status_zh(st);
                lines.push(("exports.f_status", t.pick(label, st.as_str()).to_string()));
            }
            Request {
                what,
                listing: Listing::Sites(f),
                filter: ExportFilter::default(),
                query: query_of(&[("status", &status)]),
                lines,
            }
        }
        // The plan list has no filters: whatever the query holds is ignored,
        // as the page ignores it.
        List::Plans => Request {
            what,
            listing: Listing::Plans,
            filter: ExportFilter::default(),
            query: String::new(),
            lines: Vec::new(),
        },
        // A plan's targets need the plan; a missing or malformed id is refused
        // rather than read as "every plan".
        List::PlanTargets => {
            let q: PlanQuery = serde_urlencoded::from_str(raw).map_err(malformed)?;
            let plan = given(&q.plan)
                .and_then(|p| p.parse::<i64>().ok())
                .ok_or_else(|| ApiError::Query("plan must be a plan id".into()))?;
            Request {
                what,
                listing: Listing::PlanTargets(plan),
                filter: ExportFilter::default(),
                query: format!("plan={plan}"),
                lines: vec![("exports.f_plan", plan.to_string())],
            }
        }
        // The administrator's lists have no filters.
        List::Accounts | List::Categories => Request {
            what,
            listing: if what == List::Accounts {
                Listing::Accounts
            } else {
                Listing::Categories
            },
            filter: ExportFilter::default(),
            query: String::new(),
            lines: Vec::new(),
        },
        List::Audit => {
            let q: AuditQuery = serde_urlencoded::from_str(raw).map_err(malformed)?;
            let (actor, entity, action) = (given(&q.actor), given(&q.entity), given(&q.action));
            let pairs = [
                ("actor", "exports.f_actor", &actor),
                ("entity", "exports.f_entity", &entity),
                ("action", "exports.f_action", &action),
            ];
            let lines = pairs
                .iter()
                .filter_map(|(_, label, v)| v.as_ref().map(|v| (*label, v.clone())))
                .collect();
            let query = query_of(&pairs.map(|(k, _, v)| (k, v)));
            Request {
                what,
                listing: Listing::Audit(wangge_store::audit::Filter {
                    actor,
                    entity,
                    entity_id: None,
                    action,
                    before: None,
                }),
                filter: ExportFilter::default(),
                query,
                lines,
            }
        }
    })
}

impl Request {
    pub(super) fn options(&self, format: ExportFormat) -> ExportOptions {
        let mut opts = ExportOptions::new(format);
        opts.filter = self.filter.clone();
        opts
    }
}
