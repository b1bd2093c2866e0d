//! One piece of equipment: its facts, alerts and history, and the forms for a
//! maintenance record and a status change (errors shown next to the field,
//! what was typed kept).

use super::{choices, page_error, status_key, Choice, Row};
use crate::web::i18n::T;
use crate::web::session::PageSession;
use crate::web::CheckedForm;
use crate::web::{not_found_page, render};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use wangge_core::auth::Permission;
use wangge_core::equipment::{EquipmentStatus, InspectionResult};
use wangge_store::accounts::User;
use wangge_store::equipment::{self as eq, Equipment, EquipmentPatch, NewMaintenance};
use wangge_store::Error as StoreError;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/equipment/{id}", get(detail_page))
        .route("/equipment/{id}/maintenance", post(maintenance_submit))
        .route("/equipment/{id}/status", post(status_submit))
}

/// What the two forms of the detail page hold, as typed, with their errors.
#[derive(Default)]
struct Forms {
    done_on: String,
    note: String,
    maintenance_error: Option<String>,
    status_error: Option<String>,
}

struct HistoryRow {
    date: String,
    who: String,
    text: String,
}

#[derive(Template)]
#[template(path = "equipment.html")]
struct DetailPage {
    t: T,
    user: User,
    csrf: String,
    row: Row,
    e: Equipment,
    maintenance_org: String,
    model: String,
    maintenance: Vec<HistoryRow>,
    inspections: Vec<HistoryRow>,
    can_write: bool,
    statuses: Vec<Choice>,
    forms: Forms,
    notice: Option<&'static str>,
}

#[derive(Deserialize, Default)]
struct DetailQuery {
    done: Option<String>,
}

async fn detail(
    s: &AppState,
    t: T,
    session: PageSession,
    id: i64,
    forms: Forms,
    notice: Option<&'static str>,
    status: StatusCode,
) -> Response {
    let ctx = session.ctx.clone();
    let loaded = s
        .store
        .db
        .read(move |c| {
            Ok((
                eq::get(c, &ctx, id)?,
                eq::maintenance(c, &ctx, id)?,
                eq::inspections(c, &ctx, id)?,
            ))
        })
        .await;
    let (e, maint, insp) = match loaded {
        Ok(v) => v,
        Err(err) => return page_error(t, err),
    };
    let pass = t.t("equipment.result.pass");
    let fail = t.t("equipment.result.fail");
    render(
        status,
        &DetailPage {
            t,
            row: Row::new(t, &e),
            maintenance_org: e.maintenance_org_name.clone().unwrap_or_default(),
            model: e.model.clone(),
            maintenance: maint
                .iter()
                .map(|m| HistoryRow {
                    date: m.done_on.clone(),
                    who: m.org_name.clone().unwrap_or_default(),
                    text: m.note.clone(),
                })
                .collect(),
            inspections: insp
                .iter()
                .map(|i| HistoryRow {
                    date: i.inspected_on.clone(),
                    who: i.report_no.clone(),
                    text: match i.result {
                        InspectionResult::Pass => pass.to_string(),
                        InspectionResult::Fail => fail.to_string(),
                    },
                })
                .collect(),
            can_write: session.ctx.can(Permission::EquipmentWrite)
                && e.status != EquipmentStatus::Scrapped,
            statuses: choices(
                &EquipmentStatus::ALL,
                EquipmentStatus::as_str,
                status_key,
                e.status.as_str(),
            ),
            e,
            forms,
            notice,
            user: session.user,
            csrf: session.csrf,
        },
    )
}

async fn detail_page(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(t);
    };
    let notice = match q.done.as_deref() {
        Some("maintenance") => Some("equipment.maintenance_saved"),
        Some("status") => Some("equipment.status_saved"),
        Some("created") => Some("equipment.created"),
        _ => None,
    };
    detail(&s, t, session, id, Forms::default(), notice, StatusCode::OK).await
}

fn saved(id: i64, what: &str) -> Response {
    let mut r = Redirect::to(&format!("/equipment/{id}?done={what}")).into_response();
    *r.status_mut() = StatusCode::SEE_OTHER;
    r
}

/// The message of a refused form, or the error itself when it is not the
/// user's input that was wrong.
fn form_error(t: T, e: StoreError) -> Result<String, StoreError> {
    match e {
        StoreError::Domain(
            wangge_core::Error::Invalid { zh, en, .. }
            | wangge_core::Error::Conflict { zh, en, .. },
        ) => Ok(t.pick(&zh, &en).to_string()),
        other => Err(other),
    }
}

#[derive(Deserialize)]
struct MaintenanceForm {
    #[serde(default)]
    done_on: String,
    #[serde(default)]
    note: String,
}

async fn maintenance_submit(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path(id): Path<String>,
    CheckedForm(f): CheckedForm<MaintenanceForm>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(t);
    };
    let ctx = session.ctx.clone();
    let new = NewMaintenance {
        done_on: f.done_on.clone(),
        org_id: None,
        note: Some(f.note.clone()),
    };
    match s
        .store
        .db
        .write(move |c| eq::record_maintenance(c, &ctx, id, new))
        .await
    {
        Ok(_) => saved(id, "maintenance"),
        Err(e) => match form_error(t, e) {
            Ok(msg) => {
                let forms = Forms {
                    done_on: f.done_on,
                    note: f.note,
                    maintenance_error: Some(msg),
                    ..Default::default()
                };
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                detail(&s, t, session, id, forms, None, status).await
            }
            Err(e) => page_error(t, e),
        },
    }
}

#[derive(Deserialize)]
struct StatusForm {
    #[serde(default)]
    status: String,
}

async fn status_submit(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path(id): Path<String>,
    CheckedForm(f): CheckedForm<StatusForm>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(t);
    };
    let ctx = session.ctx.clone();
    let result = match EquipmentStatus::parse(&f.status) {
        Ok(st) => {
            let patch = EquipmentPatch {
                status: Some(st),
                ..Default::default()
            };
            s.store
                .db
                .write(move |c| eq::update(c, &ctx, id, patch))
                .await
        }
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => saved(id, "status"),
        Err(e) => match form_error(t, e) {
            Ok(msg) => {
                let forms = Forms {
                    status_error: Some(msg),
                    ..Default::default()
                };
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                detail(&s, t, session, id, forms, None, status).await
            }
            Err(e) => page_error(t, e),
        },
    }
}
