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
use wangge_core::equipment::{AlertKind, EquipmentKind, EquipmentStatus};
use wangge_store::registry;
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
    pub(super) lines: Vec<(String, String)>,
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
                .filter_map(|(_, label, v)| v.as_ref().map(|v| (t.t(label).to_string(), v.clone())))
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
            let mut lines: Vec<(String, String)> = Vec::new();
            for s in &f.states {
                let key = format!("state.{}", s.as_str());
                lines.push((t.t("exports.f_state").to_string(), t.t(&key).to_string()));
            }
            if let Some(c) = &f.category {
                lines.push((t.t("exports.f_category").to_string(), c.clone()));
            }
            if let Some(u) = &f.unit {
                lines.push((t.t("exports.f_unit").to_string(), u.clone()));
            }
            if f.overdue == Some(true) {
                lines.push((t.t("exports.f_overdue").to_string(), "✓".into()));
            }
            if let Some(s) = f.source {
                let key = format!("source.{}", s.as_str());
                lines.push((t.t("exports.f_source").to_string(), t.t(&key).to_string()));
            }
            if let Some(c) = f.confidential {
                lines.push((
                    t.t("exports.f_confidential").to_string(),
                    if c { "✓" } else { "✗" }.into(),
                ));
            }
            if let Some(text) = &f.text {
                lines.push((t.t("exports.f_text").to_string(), text.clone()));
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
                lines.push((t.t("exports.f_unit").to_string(), u.clone()));
            }
            if let Some(k) = f.kind {
                lines.push((
                    t.t("exports.f_kind").to_string(),
                    t.pick(k.label_zh(), k.as_str()).to_string(),
                ));
            }
            if let Some(st) = f.status {
                lines.push((
                    t.t("exports.f_status").to_string(),
                    t.pick(st.label_zh(), st.as_str()).to_string(),
                ));
            }
            if let Some(a) = f.alert {
                let zh = match a {
                    AlertKind::InspectionOverdue => "检验超期",
                    AlertKind::InspectionDue => "检验即将到期",
                    AlertKind::MaintenanceOverdue => "维保超期",
                };
                lines.push((
                    t.t("exports.f_alert").to_string(),
                    t.pick(zh, a.as_str()).to_string(),
                ));
            }
            Request {
                what,
                listing: Listing::Equipment(f),
                filter: ExportFilter::default(),
                query,
                lines,
            }
        }
        List::Record(m) => record(t, m, raw)?,
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
                lines: vec![(t.t("exports.f_plan").to_string(), plan.to_string())],
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
                .filter_map(|(_, label, v)| v.as_ref().map(|v| (t.t(label).to_string(), v.clone())))
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

/// A declared registry's filter, read from those of the page's parameters
/// that the filter names. A value it cannot read is said on the export page.
fn record(t: T, m: registry::Meta, raw: &str) -> Result<Request, ApiError> {
    struct Read<'a> {
        t: T,
        raw: &'a str,
        out: Option<Result<Request, ApiError>>,
    }
    impl registry::Visit for Read<'_> {
        fn visit<R: registry::Registry>(&mut self) {
            self.out = Some(read::<R>(self.t, self.raw));
        }
    }
    let mut r = Read { t, raw, out: None };
    registry::with(m.slug, &mut r);
    r.out.unwrap_or(Err(ApiError::NotFound))
}

fn read<R: registry::Registry>(t: T, raw: &str) -> Result<Request, ApiError> {
    let names = crate::registry::params_of::<R::Filter>();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str::<Vec<(String, String)>>(raw)
        .map_err(|e| ApiError::Query(e.to_string()))?
        .into_iter()
        .filter(|(k, v)| names.contains(k) && !v.trim().is_empty())
        .collect();
    let f: R::Filter = crate::registry::filter(&pairs).map_err(|_| {
        ApiError::Store(
            wangge_core::Error::invalid(
                "filter",
                "bad_filter",
                "筛选条件的值无效,未导出任何内容",
                "a filter's value is not valid; nothing was exported",
            )
            .into(),
        )
    })?;
    let lines = registry::Filter::lines(&f)
        .into_iter()
        .filter_map(|l| {
            let (zh, en) = l.value?;
            Some((
                t.pick(l.label.0, l.label.1).to_string(),
                t.pick(&zh, &en).to_string(),
            ))
        })
        .collect();
    Ok(Request {
        what: List::Record(R::META),
        query: serde_urlencoded::to_string(&pairs).unwrap_or_default(),
        listing: Listing::Record(R::META, pairs),
        filter: ExportFilter::default(),
        lines,
    })
}
