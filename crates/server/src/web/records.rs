//! The staff pages of every registry that declares them (`Registry::PAGES`):
//! the list with its filters, export links and registration form; one
//! record; its edit form. Nothing here knows a registry: the fields, labels,
//! columns and ids come from the declaration, the rules from the registry's
//! own checks through the same `registry::create` and `update` as the API.
//! A refused form comes back with what was typed and the reason at its field.

mod form;

use super::exports::{ExportLinks, List};
use super::i18n::T;
use super::session::PageSession;
use super::{not_found_page, page_error, render, see_other};
use crate::error::ApiError;
use crate::web::CheckedForm;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use form::{FieldView, Typed};
use serde_json::Value;
use wangge_store::accounts::User;
use wangge_store::registry::page::{Field, Input};
use wangge_store::registry::{self, Filter, Pages, Registry, Visit};
use wangge_store::Error as StoreError;

pub fn routes() -> Router<AppState> {
    struct Routes(Router<AppState>);
    impl Visit for Routes {
        fn visit<R: Registry>(&mut self) {
            if R::PAGES.is_none() {
                return;
            }
            let base = format!("/{}", R::META.slug);
            let r = std::mem::take(&mut self.0);
            self.0 = r
                .route(&base, get(list_page::<R>).post(create::<R>))
                .route(&format!("{base}/{{id}}"), get(record_page::<R>))
                .route(
                    &format!("{base}/{{id}}/edit"),
                    get(edit_form::<R>).post(edit::<R>),
                );
        }
    }
    let mut r = Routes(Router::new());
    registry::each(&mut r);
    r.0
}

/// A record as the API answers it, to read its fields by name.
fn fields_of<R: Registry>(rec: &R) -> serde_json::Map<String, Value> {
    match serde_json::to_value(rec) {
        Ok(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    }
}

fn plain(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// A field's value as the pages show it: names for references, labels for
/// choices.
fn shown(t: T, f: &Field, rec: &serde_json::Map<String, Value>) -> String {
    let v = match f.input {
        Input::Org { shown, .. } | Input::Unit { shown } => plain(rec.get(shown)),
        Input::Choice(_) => {
            let w = plain(rec.get(f.name));
            f.choice(&w).map_or(w, |k| t.t(k).to_string())
        }
        Input::Text { .. } | Input::Date => plain(rec.get(f.name)),
    };
    if v.is_empty() {
        "—".to_string()
    } else {
        v
    }
}

/// A field's label beside its shown value: a unit is shown by its name
/// although the forms take its code.
fn label_shown(t: T, f: &Field) -> &'static str {
    match f.input {
        Input::Unit { .. } => t.t("records.unit"),
        _ => t.t(f.label),
    }
}

struct Row {
    href: String,
    cells: Vec<String>,
}

struct FilterView {
    id: String,
    key: &'static str,
    label: &'static str,
    options: Vec<form::Opt>,
}

#[derive(Template)]
#[template(path = "record_list.html")]
struct ListPage {
    t: T,
    user: User,
    csrf: String,
    slug: &'static str,
    p: Pages,
    filters: Vec<FilterView>,
    headers: Vec<&'static str>,
    rows: Vec<Row>,
    next: Option<String>,
    exports: Vec<ExportLinks>,
    /// The registration form, for those who may register.
    form: Option<Vec<FieldView>>,
    general: Option<String>,
}

/// The list's own filter from the page's query: blank values and the page's
/// own parameters dropped; a value the filter refuses shows the whole list.
fn list_filter<R: Registry>(raw: Option<&str>) -> (R::Filter, Vec<(String, String)>) {
    let pairs: Vec<(String, String)> = raw
        .map(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default())
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, v): &(String, String)| k != "cursor" && k != "lang" && !v.trim().is_empty())
        .collect();
    match crate::registry::filter::<R::Filter>(&pairs) {
        Ok(f) => (f, pairs),
        Err(_) => (R::Filter::default(), Vec::new()),
    }
}

async fn list_page<R: Registry>(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    RawQuery(raw): RawQuery,
) -> Response {
    let form = session.ctx.can(R::META.write).then(Typed::default);
    list::<R>(&s, t, session, raw.as_deref(), form, StatusCode::OK).await
}

/// The list page, with the registration form as given.
async fn list<R: Registry>(
    s: &AppState,
    t: T,
    session: PageSession,
    raw: Option<&str>,
    form: Option<Typed>,
    code: StatusCode,
) -> Response {
    let Some(p) = R::PAGES else {
        return not_found_page(t);
    };
    let (filter, given) = list_filter::<R>(raw);
    let cursor = raw
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|v| v.into_iter().find(|(k, _)| k == "cursor").map(|(_, v)| v));
    let (ctx, f) = (session.ctx.clone(), filter.clone());
    let page = match s
        .store
        .db
        .read(move |c| registry::list::<R>(c, &ctx, &f, cursor.as_deref(), Some(100)))
        .await
    {
        Ok(p) => p,
        Err(e) => return page_error(t, e),
    };
    let filters = filter
        .lines()
        .into_iter()
        .filter_map(|l| {
            let field = p.field(l.key)?;
            let current = l.value.map(|v| v.1).unwrap_or_default();
            Some(FilterView {
                id: format!("{}-filter-{}", p.prefix, l.key),
                key: l.key,
                label: t.t(field.label),
                options: form::options(t, field, &current)?,
            })
        })
        .collect();
    let columns: Vec<&Field> = p.columns.iter().filter_map(|c| p.field(c)).collect();
    let rows = page
        .items
        .iter()
        .map(|rec| {
            let m = fields_of(rec);
            Row {
                href: format!("/{}/{}", R::META.slug, rec.id()),
                cells: columns.iter().map(|f| shown(t, f, &m)).collect(),
            }
        })
        .collect();
    let query = serde_urlencoded::to_string(&given).unwrap_or_default();
    let general = form.as_ref().and_then(|f| f.general(&p, false));
    render(
        code,
        &ListPage {
            t,
            slug: R::META.slug,
            p,
            filters,
            headers: columns.iter().map(|f| label_shown(t, f)).collect(),
            rows,
            next: page.next_cursor.map(|n| form::with_cursor(&query, &n)),
            exports: ExportLinks::of(t, &session.ctx, List::Record(R::META), query),
            form: form.map(|f| f.views(t, &p, false)),
            general,
            user: session.user,
            csrf: session.csrf,
        },
    )
}

async fn create<R: Registry>(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    CheckedForm(pairs): CheckedForm<Vec<(String, String)>>,
) -> Response {
    if !session.ctx.can(R::META.write) {
        return ApiError::from(StoreError::Forbidden).into_response();
    }
    let Some(p) = R::PAGES else {
        return not_found_page(t);
    };
    let mut typed = Typed::from_pairs(pairs);
    if let Some(e) = typed.blank_or_unlisted(t, &p, false) {
        typed.error = Some(e);
    } else {
        let (ctx, form) = (session.ctx.clone(), typed.clone());
        let done = s
            .store
            .db
            .write(move |c| {
                let body = form.body(c, &ctx, &p, None)?;
                let new = form::parse::<R::New>(body)?;
                registry::create::<R>(c, &ctx, new)
            })
            .await;
        match done {
            Ok(rec) => return see_other(&format!("/{}/{}", R::META.slug, rec.id())),
            Err(StoreError::Forbidden) => return not_found_page(t),
            Err(e) => match form::refusal(t, &p, e, true) {
                Ok(err) => typed.error = Some(err),
                Err(e) => return page_error(t, e),
            },
        }
    }
    // The list again, unfiltered, with the form as typed.
    let code = StatusCode::UNPROCESSABLE_ENTITY;
    list::<R>(&s, t, session, None, Some(typed), code).await
}

#[derive(Template)]
#[template(path = "record.html")]
struct RecordPage {
    t: T,
    user: User,
    csrf: String,
    slug: &'static str,
    p: Pages,
    id: i64,
    heading: String,
    badge: Option<(String, String)>,
    facts: Vec<(&'static str, String, Option<String>)>,
    can_edit: bool,
}

fn id_of(id: &str) -> Option<i64> {
    id.parse::<i64>().ok()
}

async fn record_page<R: Registry>(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path(id): Path<String>,
) -> Response {
    let (Some(id), Some(p)) = (id_of(&id), R::PAGES) else {
        return not_found_page(t);
    };
    let ctx = session.ctx.clone();
    let rec = match s
        .store
        .db
        .read(move |c| registry::get::<R>(c, &ctx, id))
        .await
    {
        Ok(rec) => rec,
        Err(e) => return page_error(t, e),
    };
    let m = fields_of(&rec);
    let badge = p
        .badge
        .and_then(|b| p.field(b))
        .map(|f| (format!("{}-{}", p.prefix, f.name), shown(t, f, &m)));
    let facts = p
        .fields
        .iter()
        .filter(|f| f.name != p.heading && Some(f.name) != p.badge)
        .map(|f| {
            let link = matches!(f.input, Input::Unit { .. })
                .then(|| format!("/units/{}", plain(m.get(f.name))));
            (label_shown(t, f), shown(t, f, &m), link)
        })
        .collect();
    render(
        StatusCode::OK,
        &RecordPage {
            t,
            slug: R::META.slug,
            p,
            id,
            heading: plain(m.get(p.heading)),
            badge,
            facts,
            can_edit: session.ctx.can(R::META.write),
            user: session.user,
            csrf: session.csrf,
        },
    )
}

#[derive(Template)]
#[template(path = "record_edit.html")]
struct EditPage {
    t: T,
    user: User,
    csrf: String,
    slug: &'static str,
    p: Pages,
    id: i64,
    /// The record's present heading, whatever was typed.
    heading: String,
    fields: Vec<FieldView>,
    general: Option<String>,
}

fn edit_page<R: Registry>(t: T, session: PageSession, p: Pages, rec: &R, typed: Typed) -> Response {
    let code = if typed.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(
        code,
        &EditPage {
            t,
            slug: R::META.slug,
            id: rec.id(),
            heading: plain(fields_of(rec).get(p.heading)),
            general: typed.general(&p, true),
            fields: typed.views(t, &p, true),
            p,
            user: session.user,
            csrf: session.csrf,
        },
    )
}

/// The record for its edit form: none for a caller who may not change it.
async fn editable<R: Registry>(
    s: &AppState,
    t: T,
    session: &PageSession,
    id: &str,
) -> Result<(Pages, i64, R), Response> {
    let (Some(id), Some(p)) = (id_of(id), R::PAGES) else {
        return Err(not_found_page(t));
    };
    if !session.ctx.can(R::META.write) {
        return Err(not_found_page(t));
    }
    let ctx = session.ctx.clone();
    match s
        .store
        .db
        .read(move |c| registry::get::<R>(c, &ctx, id))
        .await
    {
        Ok(rec) => Ok((p, id, rec)),
        Err(e) => Err(page_error(t, e)),
    }
}

async fn edit_form<R: Registry>(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path(id): Path<String>,
) -> Response {
    match editable::<R>(&s, t, &session, &id).await {
        Ok((p, _, rec)) => {
            let typed = Typed::of(&p, &fields_of(&rec));
            edit_page(t, session, p, &rec, typed)
        }
        Err(r) => r,
    }
}

async fn edit<R: Registry>(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path(id): Path<String>,
    CheckedForm(pairs): CheckedForm<Vec<(String, String)>>,
) -> Response {
    let (p, id, rec) = match editable::<R>(&s, t, &session, &id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let mut typed = Typed::from_pairs(pairs);
    if let Some(e) = typed.blank_or_unlisted(t, &p, true) {
        typed.error = Some(e);
        return edit_page(t, session, p, &rec, typed);
    }
    let (ctx, form) = (session.ctx.clone(), typed.clone());
    let done = s
        .store
        .db
        .write(move |c| {
            // Read again inside the write: one moved out of scope meanwhile
            // is not found, whatever the form says.
            let current = fields_of(&registry::get::<R>(c, &ctx, id)?);
            let body = form.body(c, &ctx, &p, Some(&current))?;
            let patch = form::parse::<R::Patch>(body)?;
            registry::update::<R>(c, &ctx, id, patch)
        })
        .await;
    match done {
        Ok(_) => see_other(&format!("/{}/{id}", R::META.slug)),
        Err(StoreError::NotFound { .. } | StoreError::Forbidden) => not_found_page(t),
        Err(e) => match form::refusal(t, &p, e, false) {
            Ok(err) => {
                typed.error = Some(err);
                edit_page(t, session, p, &rec, typed)
            }
            Err(e) => page_error(t, e),
        },
    }
}
