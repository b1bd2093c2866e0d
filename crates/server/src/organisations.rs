//! Alliance members: `/api/v1/organisations/{id}/members`. The registry's
//! own routes (list, get, create, patch, export) are the registry engine's
//! (`crate::registry`).

use crate::extract::{id, Json};
use crate::{ApiResult, AppState, Caller};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use wangge_store::organisations::{self, Organisation};

pub fn routes() -> Router<AppState> {
    Router::new().route("/organisations/{id}/members", get(members).post(add_member))
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
