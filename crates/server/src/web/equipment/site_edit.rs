//! The edit form of one construction site (`/construction-sites/{id}/edit`):
//! the site's present values to change, posted with the session's CSRF token
//! through `equipment::update_site`, the API's own store call. A refused
//! change shows the form again with what was typed and the reason at its
//! field; a site outside the caller's scope (or a caller who may not change
//! sites) finds no such page.

use super::sites::status_key;
use super::{page_error, Choice};
use crate::web::i18n::T;
use crate::web::session::PageSession;
use crate::web::CheckedForm;
use crate::web::{not_found_page, render};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use wangge_core::auth::Permission;
use wangge_core::equipment::SiteStatus;
use wangge_store::accounts::User;
use wangge_store::equipment::{self as eq, Site, SitePatch};
use wangge_store::registry;
use wangge_store::Error as StoreError;

const FIELDS: &[&str] = &[
    "name",
    "builder",
    "unit",
    "location",
    "starts_on",
    "ends_on",
    "status",
];

/// What the form holds: the typed values, and the refusal at its field.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct EditForm {
    pub name: String,
    /// The builder's name or credit code, as on the registration form.
    pub builder: String,
    pub unit: String,
    pub location: String,
    pub starts_on: String,
    pub ends_on: String,
    pub status: String,
    #[serde(skip_deserializing)]
    error: Option<(String, String)>,
}

impl EditForm {
    fn of(s: &Site) -> EditForm {
        EditForm {
            name: s.name.clone(),
            builder: s.builder_name.clone(),
            unit: s.unit.clone(),
            location: s.location.clone(),
            starts_on: s.starts_on.clone(),
            ends_on: s.ends_on.clone().unwrap_or_default(),
            status: s.status.as_str().to_string(),
            error: None,
        }
    }

    /// The refusal shown next to `field`, if it is there.
    pub fn err(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    /// A refusal that belongs to none of the fields.
    pub fn general(&self) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, _)| !FIELDS.contains(&f.as_str()))
            .map(|(_, m)| m.as_str())
    }
}

#[derive(Template)]
#[template(path = "construction_site_edit.html")]
struct EditPage {
    t: T,
    user: User,
    csrf: String,
    id: i64,
    /// The name the site has now (the heading), whatever was typed.
    site_name: String,
    statuses: Vec<Choice>,
    form: EditForm,
}

fn show(t: T, session: PageSession, id: i64, name: String, form: EditForm) -> Response {
    let code = if form.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let statuses = SiteStatus::ALL
        .iter()
        .map(|&k| Choice {
            value: k.as_str(),
            key: status_key(k),
            selected: k.as_str() == form.status,
        })
        .collect();
    render(
        code,
        &EditPage {
            t,
            user: session.user,
            csrf: session.csrf,
            id,
            site_name: name,
            statuses,
            form,
        },
    )
}

pub async fn form(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(t);
    };
    if !session.ctx.can(Permission::EquipmentWrite) {
        return not_found_page(t);
    }
    let ctx = session.ctx.clone();
    match s
        .store
        .db
        .read(move |c| registry::get::<Site>(c, &ctx, id))
        .await
    {
        Ok(site) => {
            let name = site.name.clone();
            show(t, session, id, name, EditForm::of(&site))
        }
        Err(e) => page_error(t, e),
    }
}

pub async fn submit(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path(id): Path<String>,
    CheckedForm(mut form): CheckedForm<EditForm>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(t);
    };
    if !session.ctx.can(Permission::EquipmentWrite) {
        return not_found_page(t);
    }
    let (ctx, f) = (session.ctx.clone(), form.clone());
    let done = s
        .store
        .db
        .write(move |c| {
            // The site first: one outside the scope is not found, whatever
            // else the form says.
            let current = registry::get::<Site>(c, &ctx, id)?;
            // The builder's present name stands for the present builder, so
            // an unchanged field never trips over two companies of one name.
            let builder = match f.builder.trim() {
                b if b == current.builder_name => None,
                b => Some(eq::find_org(c, &ctx, "builder", b)?),
            };
            let status = SiteStatus::parse(f.status.trim())?;
            let patch = SitePatch {
                name: Some(f.name),
                builder_org_id: builder,
                unit: Some(f.unit.trim().to_string()),
                location: Some(f.location),
                starts_on: Some(f.starts_on.trim().to_string()),
                ends_on: Some(f.ends_on.trim().to_string()),
                status: Some(status),
            };
            registry::update::<Site>(c, &ctx, id, patch)
        })
        .await;
    let error = match done {
        Ok(_) => {
            let mut r = Redirect::to(&format!("/construction-sites/{id}")).into_response();
            *r.status_mut() = StatusCode::SEE_OTHER;
            return r;
        }
        Err(StoreError::Domain(wangge_core::Error::Invalid { field, zh, en, .. })) => {
            let field = if field == "builder_org_id" {
                "builder".to_string()
            } else {
                field.to_string()
            };
            (field, t.pick(&zh, &en).to_string())
        }
        Err(StoreError::Domain(wangge_core::Error::Conflict { zh, en, .. })) => {
            (String::new(), t.pick(&zh, &en).to_string())
        }
        Err(StoreError::NotFound { .. } | StoreError::Forbidden) => return not_found_page(t),
        Err(e) => return page_error(t, e),
    };
    form.error = Some(error);
    // The heading keeps the name the site has, not the one refused.
    let ctx = session.ctx.clone();
    match s
        .store
        .db
        .read(move |c| registry::get::<Site>(c, &ctx, id))
        .await
    {
        Ok(site) => show(t, session, id, site.name, form),
        Err(e) => page_error(t, e),
    }
}
