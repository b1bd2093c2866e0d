//! Export buttons of the staff list pages (people, units, a unit's lists,
//! cases; `/exports/equipment.xlsx?unit=&kind=&status=&alert=` serves the
//! equipment list the same way, `/exports/construction-sites.xlsx?status=`
//! the construction sites, `/exports/inspection-plans.xlsx` the plans on the
//! inspections page and `/exports/audit.xlsx?actor=&entity=&action=` the
//! audit log, for its readers only; `/exports/plan-targets.xlsx?plan=` a
//! plan page's targets, `/exports/accounts.xlsx` and
//! `/exports/categories.xlsx` the administrator's lists). Every list links to
//! `/exports/{kind}.xlsx` and `/exports/{kind}.csv` with its own query
//! parameters, so a download holds exactly the rows the page selects (cases
//! read their filter through the page's own `ListQuery::filter`); the file
//! comes from the same store call as the API's `/api/v1/exports`, masked.
//!
//! Personal data in full is asked for on `/exports/{kind}?<filters>`: a form
//! with the reason, posted with the session's CSRF token (a link alone can
//! never unmask), audited with its reason like every export.

use super::i18n::T;
use super::session::PageSession;
use super::{not_found_page, render};
use crate::error::ApiError;
use crate::transfer::exports::download;
use crate::web::CheckedForm;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use wangge_core::auth::Permission;
use wangge_store::transfer::{ExportFormat, Kind};
use wangge_store::{Ctx, Error as StoreError};

mod filters;

use filters::{request, Request};

pub fn routes() -> Router<AppState> {
    Router::new().route("/exports/{file}", get(get_export).post(post_full))
}

/// One list's export links, as the partial `export_links.html` shows them.
pub struct ExportLinks {
    pub kind: &'static str,
    pub label: &'static str,
    /// The list's filters as a query string.
    pub query: String,
    /// The caller may also export personal data in full.
    pub full: bool,
}

impl ExportLinks {
    /// The links for one list, or none when the caller may not export.
    pub fn of(t: T, ctx: &Ctx, what: List, query: String) -> Vec<ExportLinks> {
        if !what.allowed(ctx) {
            return Vec::new();
        }
        vec![ExportLinks {
            kind: what.slug(),
            label: t.pick(what.label_zh(), what.label_en()),
            query,
            full: what.personal() && ctx.can(Permission::RevealPersonal),
        }]
    }
}

/// A list's filters as a query string, leaving out those not given.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let given: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .copied()
        .collect();
    serde_urlencoded::to_string(given).unwrap_or_default()
}

/// The lists the web can export: every one.
pub use wangge_store::transfer::List;

/// What the web adds to a list: where its page is.
trait Back {
    /// The list page to go back to: the list itself, or the unit page whose
    /// links lead to lists without a page of their own.
    fn back(self, query: &str, unit: Option<&str>) -> String;
}

impl Back for List {
    fn back(self, query: &str, unit: Option<&str>) -> String {
        match (self, unit) {
            (List::Cases, _) => format!("/cases?{query}"),
            (List::Equipment, _) => format!("/equipment?{query}"),
            // A registry kind declared on the engine (organisations) has no
            // page of its own: its list is the unit page's, whose unit its
            // query names.
            (List::Record(m), _) if Kind::parse(m.slug).is_ok() => {
                let unit = serde_urlencoded::from_str::<Vec<(String, String)>>(query)
                    .ok()
                    .and_then(|ps| ps.into_iter().find(|(k, _)| k == "unit"))
                    .map(|(_, v)| v);
                match unit {
                    Some(code) => format!("/units/{}", super::urlencode(&code)),
                    None => "/units".to_string(),
                }
            }
            (List::Record(m), _) => format!("/{}?{query}", m.slug),
            (List::Plans, _) => "/inspections".to_string(),
            (List::Audit, _) => format!("/audit?{query}"),
            // The canonical query of a plan's targets is `plan=<id>`.
            (List::PlanTargets, _) => match query.strip_prefix("plan=") {
                Some(id) => format!("/inspections/plans/{id}"),
                None => "/inspections".to_string(),
            },
            (List::Accounts, _) => "/admin/users".to_string(),
            (List::Categories, _) => "/admin/categories".to_string(),
            (List::Registry(Kind::People), _) => format!("/people?{query}"),
            (List::Registry(Kind::Units), None) => format!("/units?{query}"),
            (List::Registry(_), Some(code)) => format!("/units/{}", super::urlencode(code)),
            (List::Registry(_), None) => "/units".to_string(),
        }
    }
}

/// `people.xlsx` → (people, Some(xlsx)); `people` → (people, None).
fn split(file: &str) -> Option<(List, Option<ExportFormat>)> {
    match file.rsplit_once('.') {
        Some((kind, "xlsx")) => Some((List::from_slug(kind)?, Some(ExportFormat::Xlsx))),
        Some((kind, "csv")) => Some((List::from_slug(kind)?, Some(ExportFormat::Csv))),
        Some(_) => None,
        None => Some((List::from_slug(file)?, None)),
    }
}

#[derive(Template)]
#[template(path = "exports.html")]
struct ExportPage {
    t: T,
    user: wangge_store::accounts::User,
    csrf: String,
    kind: &'static str,
    label: &'static str,
    query: String,
    filters: Vec<(String, String)>,
    can_full: bool,
    reason: String,
    reason_error: Option<String>,
    format: &'static str,
    error: Option<String>,
    back: String,
}

struct Shown {
    reason: String,
    reason_error: Option<String>,
    format: ExportFormat,
    error: Option<String>,
}

fn page(t: T, s: PageSession, r: &Request, shown: Shown, status: StatusCode) -> Response {
    render(
        status,
        &ExportPage {
            t,
            can_full: r.what.personal() && s.ctx.can(Permission::RevealPersonal),
            user: s.user,
            csrf: s.csrf,
            kind: r.what.slug(),
            label: t.pick(r.what.label_zh(), r.what.label_en()),
            query: r.query.clone(),
            filters: r.lines.clone(),
            reason: shown.reason,
            reason_error: shown.reason_error,
            format: shown.format.extension(),
            error: shown.error,
            back: r.what.back(&r.query, r.filter.unit.as_deref()),
        },
    )
}

/// A refused export as a page: what is absent or out of scope is not found;
/// a wrong value is said on the export page; the rest is the API's answer.
fn refused(t: T, s: PageSession, r: &Request, format: ExportFormat, e: StoreError) -> Response {
    match e {
        StoreError::NotFound { .. } | StoreError::Forbidden => not_found_page(t),
        StoreError::Domain(
            wangge_core::Error::Invalid { zh, en, .. }
            | wangge_core::Error::Conflict { zh, en, .. },
        ) => {
            let msg = t.pick(&zh, &en).to_string();
            let shown = Shown {
                reason: String::new(),
                reason_error: None,
                format,
                error: Some(msg),
            };
            page(t, s, r, shown, StatusCode::UNPROCESSABLE_ENTITY)
        }
        other => ApiError::from(other).into_response(),
    }
}

async fn get_export(
    State(st): State<AppState>,
    t: T,
    s: PageSession,
    Path(file): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some((what, format)) = split(&file) else {
        return not_found_page(t);
    };
    if !what.allowed(&s.ctx) {
        return not_found_page(t);
    }
    let r = match request(t, &s.ctx, what, raw.as_deref().unwrap_or("")) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let Some(format) = format else {
        let shown = Shown {
            reason: String::new(),
            reason_error: None,
            format: ExportFormat::Xlsx,
            error: None,
        };
        return page(t, s, &r, shown, StatusCode::OK);
    };
    let opts = r.options(format);
    match download(&st, &s.ctx, r.listing.clone(), opts).await {
        Ok(res) => res,
        Err(e) => refused(t, s, &r, format, e),
    }
}

#[derive(Deserialize)]
struct FullForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    format: String,
}

/// The export in full: the reason is checked (and audited) by the store; a
/// missing one is said next to its field and nothing is exported or audited.
async fn post_full(
    State(st): State<AppState>,
    t: T,
    s: PageSession,
    Path(file): Path<String>,
    RawQuery(raw): RawQuery,
    CheckedForm(f): CheckedForm<FullForm>,
) -> Response {
    let Some((what, _)) = split(&file) else {
        return not_found_page(t);
    };
    if !what.allowed(&s.ctx) {
        return not_found_page(t);
    }
    let r = match request(t, &s.ctx, what, raw.as_deref().unwrap_or("")) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let format = match f.format.as_str() {
        "csv" => ExportFormat::Csv,
        _ => ExportFormat::Xlsx,
    };
    let mut opts = r.options(format);
    opts.unmask = true;
    opts.reason = Some(f.reason.clone());
    match download(&st, &s.ctx, r.listing.clone(), opts).await {
        Ok(res) => res,
        Err(StoreError::Domain(wangge_core::Error::Invalid { field, zh, en, .. }))
            if field == "reason" =>
        {
            let shown = Shown {
                reason: f.reason,
                reason_error: Some(t.pick(&zh, &en).to_string()),
                format,
                error: None,
            };
            page(t, s, &r, shown, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => refused(t, s, &r, format, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wangge_store::equipment::Site;
    use wangge_store::organisations::Organisation;
    use wangge_store::registry::Registry;

    #[test]
    fn an_export_page_leads_back_to_its_list() {
        let orgs = List::Record(Organisation::META);
        assert_eq!(
            orgs.back("unit=371799001&kind=party_branch", None),
            "/units/371799001"
        );
        assert_eq!(orgs.back("kind=party_branch", None), "/units");
        assert_eq!(
            List::Record(Site::META).back("status=active", None),
            "/construction-sites?status=active"
        );
    }
}
