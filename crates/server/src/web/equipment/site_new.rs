//! The "登记工地" form of the construction-site list: a refused registration
//! shows the list again with the input kept and the reason at its field.

use super::page_error;
use super::sites::{list, ListQuery};
use crate::error::ApiError;
use crate::web::i18n::T;
use crate::web::not_found_page;
use crate::web::session::PageSession;
use crate::web::CheckedForm;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use wangge_core::auth::Permission;
use wangge_store::equipment::{self as eq, NewSite, Site};
use wangge_store::registry;
use wangge_store::Error as StoreError;

const FIELDS: &[&str] = &[
    "name",
    "builder",
    "unit",
    "location",
    "starts_on",
    "ends_on",
];

/// What the form holds: the typed values, and the refusal at its field.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct SiteForm {
    pub name: String,
    pub builder: String,
    pub unit: String,
    pub location: String,
    pub starts_on: String,
    pub ends_on: String,
    #[serde(skip_deserializing)]
    error: Option<(String, String)>,
}

impl SiteForm {
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

fn optional(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

pub async fn submit(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    CheckedForm(mut form): CheckedForm<SiteForm>,
) -> Response {
    if !session.ctx.can(Permission::EquipmentWrite) {
        return ApiError::from(StoreError::Forbidden).into_response();
    }
    let (ctx, f) = (session.ctx.clone(), form.clone());
    let done = s
        .store
        .db
        .write(move |c| {
            let builder = eq::find_org(c, &ctx, "builder", &f.builder)?;
            registry::create::<Site>(
                c,
                &ctx,
                NewSite {
                    name: f.name,
                    builder_org_id: builder,
                    unit: f.unit.trim().to_string(),
                    location: optional(&f.location),
                    starts_on: f.starts_on.trim().to_string(),
                    ends_on: optional(&f.ends_on),
                    status: None,
                },
            )
        })
        .await;
    let message = match done {
        Ok(site) => {
            let mut r = Redirect::to(&format!("/construction-sites/{}", site.id)).into_response();
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
            ("name".to_string(), t.pick(&zh, &en).to_string())
        }
        Err(StoreError::NotFound { .. }) => ("unit".into(), t.t("equipment.unknown_unit").into()),
        Err(StoreError::Forbidden) => return not_found_page(t),
        Err(e) => return page_error(t, e),
    };
    form.error = Some(message);
    let code = StatusCode::UNPROCESSABLE_ENTITY;
    list(&s, t, session, ListQuery::default(), Some(form), code).await
}
