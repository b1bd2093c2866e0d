//! `/api/v1/organisations`, and alliance members.

use crate::extract::{id, Json, Query};
use crate::{ApiResult, AppState, Caller};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use wangge_core::organisations::OrgKind;
use wangge_store::organisations::{self, NewOrganisation, Organisation, OrganisationPatch};
use wangge_store::Page;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/organisations", get(list).post(create))
        .route("/organisations/{id}", get(show).patch(update))
        .route("/organisations/{id}/members", get(members).post(add_member))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Unit code: organisations anywhere in its subtree.
    unit: Option<String>,
    kind: Option<OrgKind>,
    /// Organisations directly under this one.
    parent_org_id: Option<i64>,
    cursor: Option<String>,
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/organisations", tag = "organisations", params(ListQuery),
    responses((status = 200, body = Page<Organisation>), (status = 404, body = crate::error::Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<Page<Organisation>>> {
    let page = s
        .store
        .db
        .read(move |c| {
            let f = organisations::ListFilter {
                unit: q.unit,
                kind: q.kind,
                parent_org_id: q.parent_org_id,
            };
            organisations::list(c, &ctx, &f, q.cursor.as_deref(), q.limit)
        })
        .await?;
    Ok(axum::Json(page))
}

#[utoipa::path(post, path = "/api/v1/organisations", tag = "organisations", request_body = NewOrganisation,
    responses((status = 201, body = Organisation), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Json(new): Json<NewOrganisation>,
) -> ApiResult<(StatusCode, axum::Json<Organisation>)> {
    let o = s
        .store
        .db
        .write(move |c| organisations::create(c, &ctx, new))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(o)))
}

#[utoipa::path(get, path = "/api/v1/organisations/{id}", tag = "organisations",
    params(("id" = i64, Path, description = "organisation id")),
    responses((status = 200, body = Organisation), (status = 404, body = crate::error::Problem)))]
pub async fn show(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(oid): Path<String>,
) -> ApiResult<axum::Json<Organisation>> {
    let oid = id(&oid)?;
    Ok(axum::Json(
        s.store
            .db
            .read(move |c| organisations::get(c, &ctx, oid))
            .await?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/organisations/{id}", tag = "organisations", request_body = OrganisationPatch,
    params(("id" = i64, Path, description = "organisation id")),
    responses((status = 200, body = Organisation), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn update(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(oid): Path<String>,
    Json(patch): Json<OrganisationPatch>,
) -> ApiResult<axum::Json<Organisation>> {
    let oid = id(&oid)?;
    Ok(axum::Json(
        s.store
            .db
            .write(move |c| organisations::update(c, &ctx, oid, patch))
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/organisations/{id}/members", tag = "organisations",
    params(("id" = i64, Path, description = "alliance id")),
    responses((status = 200, body = Vec<Organisation>), (status = 404, body = crate::error::Problem)))]
pub async fn members(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(oid): Path<String>,
) -> ApiResult<axum::Json<Vec<Organisation>>> {
    let oid = id(&oid)?;
    Ok(axum::Json(
        s.store
            .db
            .read(move |c| organisations::members(c, &ctx, oid))
            .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    member_id: i64,
}

#[utoipa::path(post, path = "/api/v1/organisations/{id}/members", tag = "organisations", request_body = AddMember,
    params(("id" = i64, Path, description = "alliance id")),
    responses((status = 204), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem, description = "not an alliance"), (status = 422, body = crate::error::Problem)))]
pub async fn add_member(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(oid): Path<String>,
    Json(m): Json<AddMember>,
) -> ApiResult<StatusCode> {
    let oid = id(&oid)?;
    s.store
        .db
        .write(move |c| organisations::add_member(c, &ctx, oid, m.member_id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
