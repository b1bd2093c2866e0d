//! The construction-site registry's pages: the list (by status, with its
//! export links) and one site (with a link to its edit form, `site_edit`).

use super::{page_error, site_edit, site_new, Choice};
use crate::web::exports::{self, ExportLinks, List};
use crate::web::i18n::T;
use crate::web::session::PageSession;
use crate::web::{not_found_page, render};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use wangge_core::auth::Permission;
use wangge_core::equipment::SiteStatus;
use wangge_store::accounts::User;
use wangge_store::equipment::{self as eq, Site};
use wangge_store::registry;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/construction-sites", get(list_page).post(site_new::submit))
        .route("/construction-sites/{id}", get(site_page))
        .route(
            "/construction-sites/{id}/edit",
            get(site_edit::form).post(site_edit::submit),
        )
}

pub(super) fn status_key(s: SiteStatus) -> &'static str {
    match s {
        SiteStatus::Planned => "equipment.site_status.planned",
        SiteStatus::Active => "equipment.site_status.active",
        SiteStatus::Suspended => "equipment.site_status.suspended",
        SiteStatus::Finished => "equipment.site_status.finished",
    }
}

struct SiteRow {
    id: i64,
    name: String,
    builder: String,
    place: String,
    period: String,
    status: &'static str,
}

impl From<&Site> for SiteRow {
    fn from(s: &Site) -> Self {
        SiteRow {
            id: s.id,
            name: s.name.clone(),
            builder: s.builder_name.clone(),
            place: super::place(&s.unit_name, &s.location),
            period: format!("{} – {}", s.starts_on, s.ends_on.as_deref().unwrap_or("…")),
            status: status_key(s.status),
        }
    }
}

#[derive(Deserialize, Default)]
pub(super) struct ListQuery {
    #[serde(default)]
    status: String,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "construction_sites.html")]
struct ListPage {
    t: T,
    user: User,
    csrf: String,
    statuses: Vec<Choice>,
    status: String,
    rows: Vec<SiteRow>,
    next: Option<String>,
    exports: Vec<ExportLinks>,
    /// The registration form, for those who may register.
    form: Option<site_new::SiteForm>,
}

async fn list_page(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Query(q): Query<ListQuery>,
) -> Response {
    let form = session
        .ctx
        .can(Permission::EquipmentWrite)
        .then(site_new::SiteForm::default);
    list(&s, t, session, q, form, StatusCode::OK).await
}

/// The list page, with the registration form as given.
pub(super) async fn list(
    s: &AppState,
    t: T,
    session: PageSession,
    q: ListQuery,
    form: Option<site_new::SiteForm>,
    code: StatusCode,
) -> Response {
    let status = SiteStatus::parse(q.status.trim()).ok();
    let f = eq::SiteFilter { unit: None, status };
    let (ctx, cursor) = (session.ctx.clone(), q.cursor.clone());
    let page = match s
        .store
        .db
        .read(move |c| registry::list::<Site>(c, &ctx, &f, cursor.as_deref(), Some(100)))
        .await
    {
        Ok(p) => p,
        Err(e) => return page_error(t, e),
    };
    let current = status.map(SiteStatus::as_str).unwrap_or("");
    let query = exports::query(&[("status", current)]);
    render(
        code,
        &ListPage {
            t,
            exports: ExportLinks::of(
                t,
                &session.ctx,
                List::Record(<Site as registry::Registry>::META),
                query,
            ),
            form,
            statuses: SiteStatus::ALL
                .iter()
                .map(|&k| Choice {
                    value: k.as_str(),
                    key: status_key(k),
                    selected: k.as_str() == current,
                })
                .collect(),
            status: current.to_string(),
            rows: page.items.iter().map(SiteRow::from).collect(),
            next: page.next_cursor,
            user: session.user,
            csrf: session.csrf,
        },
    )
}

#[derive(Template)]
#[template(path = "construction_site.html")]
struct SitePage {
    t: T,
    user: User,
    csrf: String,
    site: SiteRow,
    unit: String,
    /// The caller may change the site.
    can_edit: bool,
}

async fn site_page(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(t);
    };
    let ctx = session.ctx.clone();
    match s
        .store
        .db
        .read(move |c| registry::get::<Site>(c, &ctx, id))
        .await
    {
        Ok(site) => render(
            StatusCode::OK,
            &SitePage {
                t,
                can_edit: session.ctx.can(Permission::EquipmentWrite),
                unit: site.unit.clone(),
                site: SiteRow::from(&site),
                user: session.user,
                csrf: session.csrf,
            },
        ),
        Err(e) => page_error(t, e),
    }
}
