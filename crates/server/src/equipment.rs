//! `/api/v1/equipment` (the special-equipment registry, its maintenance and
//! periodic-inspection records and alerts). Construction sites are a declared
//! registry (`crate::registry`).

use crate::extract::{id, Json, Query};
use crate::{ApiResult, AppState, Caller};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use wangge_core::equipment::{AlertKind, EquipmentKind, EquipmentStatus, DEFAULT_ALERT_DAYS};
use wangge_store::equipment::{
    self as eq, AlertList, Equipment, EquipmentPatch, Maintenance, NewEquipment, NewInspection,
    NewMaintenance, PeriodicInspection,
};
use wangge_store::Page;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/equipment", get(list).post(create))
        .route("/equipment/alerts", get(alerts))
        .route("/equipment/{id}", get(show).patch(update))
        .route("/equipment/{id}/maintenance", post(add_maintenance))
        .route("/equipment/{id}/inspections", post(add_inspection))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Unit code: equipment anywhere in its subtree.
    unit: Option<String>,
    kind: Option<EquipmentKind>,
    status: Option<EquipmentStatus>,
    /// Only equipment with this alert today.
    alert: Option<AlertKind>,
    /// Look-ahead in days for `inspection_due` (default 30).
    within_days: Option<i64>,
    cursor: Option<String>,
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/equipment", tag = "equipment", params(ListQuery),
    responses((status = 200, body = Page<Equipment>), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<Page<Equipment>>> {
    let page = s
        .store
        .db
        .read(move |c| {
            let f = eq::ListFilter {
                unit: q.unit,
                kind: q.kind,
                status: q.status,
                alert: q.alert,
                within_days: q.within_days,
            };
            eq::list(c, &ctx, &f, q.cursor.as_deref(), q.limit)
        })
        .await?;
    Ok(axum::Json(page))
}

#[utoipa::path(post, path = "/api/v1/equipment", tag = "equipment", request_body = NewEquipment,
    responses((status = 201, body = Equipment),
        (status = 409, body = crate::error::Problem, description = "registration code already registered"),
        (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Json(new): Json<NewEquipment>,
) -> ApiResult<(StatusCode, axum::Json<Equipment>)> {
    let e = s.store.db.write(move |c| eq::create(c, &ctx, new)).await?;
    Ok((StatusCode::CREATED, axum::Json(e)))
}

/// One piece of equipment with its records, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EquipmentDetail {
    pub equipment: Equipment,
    pub maintenance: Vec<Maintenance>,
    pub inspections: Vec<PeriodicInspection>,
}

#[utoipa::path(get, path = "/api/v1/equipment/{id}", tag = "equipment",
    params(("id" = i64, Path, description = "equipment id")),
    responses((status = 200, body = EquipmentDetail), (status = 404, body = crate::error::Problem)))]
pub async fn show(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(eid): Path<String>,
) -> ApiResult<axum::Json<EquipmentDetail>> {
    let eid = id(&eid)?;
    let d = s
        .store
        .db
        .read(move |c| {
            Ok(EquipmentDetail {
                equipment: eq::get(c, &ctx, eid)?,
                maintenance: eq::maintenance(c, &ctx, eid)?,
                inspections: eq::inspections(c, &ctx, eid)?,
            })
        })
        .await?;
    Ok(axum::Json(d))
}

#[utoipa::path(patch, path = "/api/v1/equipment/{id}", tag = "equipment", request_body = EquipmentPatch,
    params(("id" = i64, Path, description = "equipment id")),
    responses((status = 200, body = Equipment), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn update(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(eid): Path<String>,
    Json(patch): Json<EquipmentPatch>,
) -> ApiResult<axum::Json<Equipment>> {
    let eid = id(&eid)?;
    Ok(axum::Json(
        s.store
            .db
            .write(move |c| eq::update(c, &ctx, eid, patch))
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/equipment/{id}/maintenance", tag = "equipment", request_body = NewMaintenance,
    params(("id" = i64, Path, description = "equipment id")),
    responses((status = 201, body = Maintenance), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem, description = "scrapped"), (status = 422, body = crate::error::Problem)))]
pub async fn add_maintenance(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(eid): Path<String>,
    Json(new): Json<NewMaintenance>,
) -> ApiResult<(StatusCode, axum::Json<Maintenance>)> {
    let eid = id(&eid)?;
    let m = s
        .store
        .db
        .write(move |c| eq::record_maintenance(c, &ctx, eid, new))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(m)))
}

#[utoipa::path(post, path = "/api/v1/equipment/{id}/inspections", tag = "equipment", request_body = NewInspection,
    params(("id" = i64, Path, description = "equipment id")),
    responses((status = 201, body = PeriodicInspection), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem, description = "scrapped"), (status = 422, body = crate::error::Problem)))]
pub async fn add_inspection(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(eid): Path<String>,
    Json(new): Json<NewInspection>,
) -> ApiResult<(StatusCode, axum::Json<PeriodicInspection>)> {
    let eid = id(&eid)?;
    let r = s
        .store
        .db
        .write(move |c| eq::record_inspection(c, &ctx, eid, new))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(r)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    /// Look-ahead in days for inspections falling due (default 30, at most 365).
    within_days: Option<i64>,
    /// How many of the most urgent alerts to list (default 50); counts cover all.
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/equipment/alerts", tag = "equipment", params(AlertQuery),
    responses((status = 200, body = AlertList), (status = 422, body = crate::error::Problem)))]
pub async fn alerts(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Query(q): Query<AlertQuery>,
) -> ApiResult<axum::Json<AlertList>> {
    let list = s
        .store
        .db
        .read(move |c| {
            let today = ctx.today();
            eq::alerts(
                c,
                &ctx,
                q.within_days.unwrap_or(DEFAULT_ALERT_DAYS),
                today,
                q.limit,
            )
        })
        .await?;
    Ok(axum::Json(list))
}
