//! The routing rules on a minor category's page: add (or replace) the rule
//! for a unit's subtree, and delete one.

use super::form::{RouteErrors, RouteForm};
use super::{edit_view, see_other, EditState};
use crate::error::ApiError;
use crate::web::i18n::T;
use crate::web::not_found_page;
use crate::web::session::PageSession;
use crate::web::CheckedForm;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::IgnoredAny;
use wangge_core::auth::Permission;
use wangge_store::cases;
use wangge_store::Error as StoreError;

pub async fn add(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path(code): Path<String>,
    CheckedForm(f): CheckedForm<RouteForm>,
) -> Response {
    if !session.ctx.can(Permission::UsersManage) {
        return not_found_page(t);
    }
    let mut errors = RouteErrors::default();
    let org = f.org(t, &mut errors);
    if let (Some(org), None) = (org, &errors.unit) {
        let (ctx, c2, unit) = (session.ctx.clone(), code.clone(), f.unit.trim().to_string());
        match s
            .store
            .db
            .write(move |c| cases::set_route(c, &ctx, &c2, &unit, org))
            .await
        {
            Ok(_) => return see_other(&format!("/admin/categories/{code}?saved=1#routes")),
            Err(StoreError::Domain(e)) => errors.place(t, &e),
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    let st = EditState {
        route_form: f,
        route_errors: errors,
        ..EditState::fresh(None)
    };
    edit_view(&s, t, session, code, st, StatusCode::UNPROCESSABLE_ENTITY).await
}

pub async fn delete(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path((code, id)): Path<(String, String)>,
    CheckedForm(_): CheckedForm<IgnoredAny>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(t);
    };
    let (ctx, c2) = (session.ctx.clone(), code.clone());
    match s
        .store
        .db
        .write(move |c| {
            // Only a rule of the category whose page the button is on.
            if !cases::list_routes(c, Some(&c2))?.iter().any(|r| r.id == id) {
                return Err(StoreError::not_found("route"));
            }
            cases::delete_route(c, &ctx, id)
        })
        .await
    {
        Ok(()) => see_other(&format!("/admin/categories/{code}?saved=1#routes")),
        Err(StoreError::NotFound { .. }) | Err(StoreError::Forbidden) => not_found_page(t),
        Err(e) => ApiError::from(e).into_response(),
    }
}
