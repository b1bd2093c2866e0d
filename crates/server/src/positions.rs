//! `/api/v1/positions`: who holds which post where.

use crate::extract::{id, Json, Query};
use crate::{ApiResult, AppState, Caller};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use wangge_store::positions::{self, NewPosition, Position};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/positions", get(list).post(create))
        .route("/positions/{id}/end", post(end))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    person_id: Option<i64>,
    org_id: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/positions", tag = "positions", params(ListQuery),
    responses((status = 200, body = Vec<Position>), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<Vec<Position>>> {
    Ok(axum::Json(
        s.store
            .db
            .read(move |c| positions::list(c, &ctx, q.person_id, q.org_id))
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/positions", tag = "positions", request_body = NewPosition,
    responses((status = 201, body = Position), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Json(new): Json<NewPosition>,
) -> ApiResult<(StatusCode, axum::Json<Position>)> {
    let p = s
        .store
        .db
        .write(move |c| positions::create(c, &ctx, new))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(p)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct End {
    /// YYYY-MM-DD
    to: String,
}

#[utoipa::path(post, path = "/api/v1/positions/{id}/end", tag = "positions", request_body = End,
    params(("id" = i64, Path, description = "position id")),
    responses((status = 200, body = Position), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn end(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(pid): Path<String>,
    Json(e): Json<End>,
) -> ApiResult<axum::Json<Position>> {
    let pid = id(&pid)?;
    Ok(axum::Json(
        s.store
            .db
            .write(move |c| positions::end(c, &ctx, pid, &e.to))
            .await?,
    ))
}
