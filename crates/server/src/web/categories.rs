//! Case category pages for the zone administrator: the list, a new category,
//! and one category's page (names, active, confidential, the time limit of each
//! stage, required fields) with its routing rules (which organisation takes a
//! case of this minor category in a unit's subtree by default). Changing any of
//! it needs `UsersManage`, as the store demands; others get "not found".

mod form;
mod routes;

use super::exports::{ExportLinks, List};
use super::i18n::T;
use super::session::PageSession;
use super::{not_found_page, render};
use crate::error::ApiError;
use crate::web::see_other;
use crate::web::CheckedForm;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use form::{CategoryForm, Errors, RouteErrors, RouteForm};
use wangge_core::auth::Permission;
use wangge_store::accounts::User;
use wangge_store::cases::{self, Category, Route};
use wangge_store::Error as StoreError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/categories", get(list_page).post(create))
        .route("/admin/categories/{code}", get(edit_page).post(update))
        .route("/admin/categories/{code}/routes", post(routes::add))
        .route(
            "/admin/categories/{code}/routes/{id}/delete",
            post(routes::delete),
        )
}

/// One line of the list.
pub struct Row {
    pub code: String,
    pub minor: bool,
    pub name: String,
    pub active: bool,
    pub confidential: bool,
    pub internal: bool,
    pub deadlines: String,
    pub routes: usize,
}

/// "受理 2 个工作日 · 处置 16 个工作小时", in the page's language.
fn deadlines_text(t: T, d: &cases::Deadlines) -> String {
    let mut parts = Vec::new();
    for (stage, v) in [
        ("accept", d.accept),
        ("dispatch", d.dispatch),
        ("handle", d.handle),
    ] {
        let Some(v) = v else { continue };
        let unit = match v.unit {
            cases::DeadlineUnit::WorkingDays => "category.n_days",
            cases::DeadlineUnit::WorkingHours => "category.n_hours",
        };
        parts.push(format!(
            "{} {}",
            t.t(&format!("category.stage_{stage}")),
            t.t(unit).replace("{n}", &v.amount.to_string())
        ));
    }
    parts.join(" · ")
}

#[derive(Template)]
#[template(path = "admin_categories.html")]
struct ListPage {
    t: T,
    user: User,
    csrf: String,
    rows: Vec<Row>,
    /// Links to export the category list (`/exports/categories.xlsx`).
    exports: Vec<ExportLinks>,
    majors: Vec<(String, String)>,
    form: CategoryForm,
    errors: Errors,
}

async fn list_view(
    s: &AppState,
    t: T,
    session: PageSession,
    form: CategoryForm,
    errors: Errors,
    status: StatusCode,
) -> Response {
    if !session.ctx.can(Permission::UsersManage) {
        return not_found_page(t);
    }
    let loaded = s
        .store
        .db
        .read(|c| {
            Ok((
                cases::list_categories(c, true)?,
                cases::list_routes(c, None)?,
            ))
        })
        .await;
    let (cats, routes) = match loaded {
        Ok(v) => v,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let rows = cats
        .iter()
        .map(|k| Row {
            code: k.code.clone(),
            minor: k.parent.is_some(),
            name: t.pick(&k.name_zh, &k.name_en).to_string(),
            active: k.active,
            confidential: k.confidential,
            internal: k.internal,
            deadlines: deadlines_text(t, &k.deadlines),
            routes: routes.iter().filter(|r| r.category == k.code).count(),
        })
        .collect();
    let majors = cats
        .iter()
        .filter(|k| k.parent.is_none())
        .map(|k| {
            let name = t.pick(&k.name_zh, &k.name_en);
            (k.code.clone(), format!("{} {name}", k.code))
        })
        .collect();
    let page = ListPage {
        t,
        exports: ExportLinks::of(t, &session.ctx, List::Categories, String::new()),
        user: session.user,
        csrf: session.csrf,
        rows,
        majors,
        form,
        errors,
    };
    render(status, &page)
}

async fn list_page(State(s): State<AppState>, t: T, session: PageSession) -> Response {
    list_view(
        &s,
        t,
        session,
        CategoryForm::blank(),
        Errors::default(),
        StatusCode::OK,
    )
    .await
}

async fn create(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    CheckedForm(f): CheckedForm<CategoryForm>,
) -> Response {
    if !session.ctx.can(Permission::UsersManage) {
        return not_found_page(t);
    }
    let mut errors = Errors::default();
    let new = f.to_new(t, &mut errors);
    if !errors.any() {
        let ctx = session.ctx.clone();
        match s
            .store
            .db
            .write(move |c| cases::create_category(c, &ctx, new))
            .await
        {
            Ok(k) => return see_other(&format!("/admin/categories/{}?created=1", k.code)),
            Err(StoreError::Domain(e)) => errors.place(t, &e),
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    list_view(&s, t, session, f, errors, StatusCode::UNPROCESSABLE_ENTITY).await
}

/// A route as the category's page lists it.
pub struct RouteRow {
    pub id: i64,
    pub unit: String,
    pub unit_name: String,
    pub org_name: String,
}

#[derive(Template)]
#[template(path = "admin_category.html")]
struct EditPage {
    t: T,
    user: User,
    csrf: String,
    k: Category,
    name: String,
    parent_name: String,
    form: CategoryForm,
    errors: Errors,
    routes: Vec<RouteRow>,
    orgs: Vec<(i64, String)>,
    route_form: RouteForm,
    route_errors: RouteErrors,
    notice: Option<String>,
}

/// What the category's page shows besides the values in its forms.
pub(super) struct EditState {
    pub form: Option<CategoryForm>,
    pub errors: Errors,
    pub route_form: RouteForm,
    pub route_errors: RouteErrors,
    pub notice: Option<String>,
}

impl EditState {
    pub fn fresh(notice: Option<String>) -> EditState {
        EditState {
            form: None,
            errors: Errors::default(),
            route_form: RouteForm::default(),
            route_errors: RouteErrors::default(),
            notice,
        }
    }
}

pub(super) async fn edit_view(
    s: &AppState,
    t: T,
    session: PageSession,
    code: String,
    st: EditState,
    status: StatusCode,
) -> Response {
    if !session.ctx.can(Permission::UsersManage) {
        return not_found_page(t);
    }
    let loaded = s
        .store
        .db
        .read(move |c| {
            let k = cases::get_category(c, &code)?;
            let parent = match &k.parent {
                Some(p) => Some(cases::get_category(c, p)?),
                None => None,
            };
            let routes: Vec<Route> = cases::list_routes(c, Some(&k.code))?;
            Ok((k, parent, routes))
        })
        .await;
    let (k, parent, routes) = match loaded {
        Ok(v) => v,
        Err(StoreError::NotFound { .. }) => return not_found_page(t),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let orgs = if k.parent.is_some() {
        super::cases::dispatch_targets(s).await
    } else {
        Vec::new()
    };
    let page = EditPage {
        t,
        user: session.user,
        csrf: session.csrf,
        name: t.pick(&k.name_zh, &k.name_en).to_string(),
        parent_name: parent
            .map(|p| format!("{} {}", p.code, t.pick(&p.name_zh, &p.name_en)))
            .unwrap_or_default(),
        form: st.form.unwrap_or_else(|| CategoryForm::of(&k)),
        errors: st.errors,
        routes: routes
            .into_iter()
            .map(|r| RouteRow {
                id: r.id,
                unit: r.unit,
                unit_name: r.unit_name,
                org_name: r.org_name,
            })
            .collect(),
        orgs,
        route_form: st.route_form,
        route_errors: st.route_errors,
        notice: st.notice,
        k,
    };
    render(status, &page)
}

#[derive(serde::Deserialize, Default)]
struct Done {
    #[serde(default)]
    created: String,
    #[serde(default)]
    saved: String,
}

async fn edit_page(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path(code): Path<String>,
    axum::extract::Query(q): axum::extract::Query<Done>,
) -> Response {
    let notice = if q.created == "1" {
        Some(t.t("category.created").to_string())
    } else if q.saved == "1" {
        Some(t.t("category.saved").to_string())
    } else {
        None
    };
    edit_view(
        &s,
        t,
        session,
        code,
        EditState::fresh(notice),
        StatusCode::OK,
    )
    .await
}

async fn update(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path(code): Path<String>,
    CheckedForm(f): CheckedForm<CategoryForm>,
) -> Response {
    if !session.ctx.can(Permission::UsersManage) {
        return not_found_page(t);
    }
    let mut errors = Errors::default();
    let patch = f.to_patch(t, &mut errors);
    if !errors.any() {
        let (ctx, c2) = (session.ctx.clone(), code.clone());
        match s
            .store
            .db
            .write(move |c| cases::update_category(c, &ctx, &c2, patch))
            .await
        {
            Ok(k) => return see_other(&format!("/admin/categories/{}?saved=1", k.code)),
            Err(StoreError::Domain(e)) => errors.place(t, &e),
            Err(StoreError::NotFound { .. }) => return not_found_page(t),
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    let st = EditState {
        form: Some(f),
        errors,
        ..EditState::fresh(None)
    };
    edit_view(&s, t, session, code, st, StatusCode::UNPROCESSABLE_ENTITY).await
}
