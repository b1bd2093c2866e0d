//! `/api/v1/units`: the org tree.

use crate::extract::{Json, Query};
use crate::{ApiResult, AppState, Caller};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::Router;
use serde::Deserialize;
use wangge_core::units::UnitKind;
use wangge_store::units::{self, NewUnit, TreeNode, Unit};
use wangge_store::Page;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/units", get(list).post(create))
        .route("/units/{code}", get(show).patch(rename).delete(remove))
        .route("/units/{code}/move", post(move_unit))
        .route("/units/{code}/position", put(set_position))
        .route("/units/{code}/tree", get(tree))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Direct children of this unit code.
    parent: Option<String>,
    /// Anywhere below this unit code.
    under: Option<String>,
    kind: Option<UnitKind>,
    /// Name contains, or code starts with.
    q: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/units", tag = "units", params(ListQuery),
    responses((status = 200, body = Page<Unit>), (status = 404, body = crate::error::Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<Page<Unit>>> {
    let page = s
        .store
        .db
        .read(move |c| {
            let f = units::ListFilter {
                parent: q.parent,
                under: q.under,
                kind: q.kind,
                q: q.q,
            };
            units::list(c, &ctx, &f, q.cursor.as_deref(), q.limit)
        })
        .await?;
    Ok(axum::Json(page))
}

#[utoipa::path(post, path = "/api/v1/units", tag = "units", request_body = NewUnit,
    responses((status = 201, body = Unit), (status = 422, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Json(new): Json<NewUnit>,
) -> ApiResult<(StatusCode, axum::Json<Unit>)> {
    let unit = s
        .store
        .db
        .write(move |c| units::create(c, &ctx, new))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(unit)))
}

#[utoipa::path(get, path = "/api/v1/units/{code}", tag = "units",
    params(("code" = String, Path, description = "unit code")),
    responses((status = 200, body = Unit), (status = 404, body = crate::error::Problem)))]
pub async fn show(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(code): Path<String>,
) -> ApiResult<axum::Json<Unit>> {
    Ok(axum::Json(
        s.store.db.read(move |c| units::get(c, &ctx, &code)).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rename {
    name: String,
}

#[utoipa::path(patch, path = "/api/v1/units/{code}", tag = "units", request_body = Rename,
    params(("code" = String, Path, description = "unit code")),
    responses((status = 200, body = Unit), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn rename(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(code): Path<String>,
    Json(r): Json<Rename>,
) -> ApiResult<axum::Json<Unit>> {
    Ok(axum::Json(
        s.store
            .db
            .write(move |c| units::rename(c, &ctx, &code, &r.name))
            .await?,
    ))
}

/// Both to set, neither (or both null) to clear.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitPosition {
    /// Latitude, WGS-84 degrees, -90..90.
    #[serde(default)]
    lat: Option<f64>,
    /// Longitude, WGS-84 degrees, -180..180.
    #[serde(default)]
    lon: Option<f64>,
}

#[utoipa::path(put, path = "/api/v1/units/{code}/position", tag = "units", request_body = UnitPosition,
    params(("code" = String, Path, description = "unit code")),
    responses((status = 200, body = Unit), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn set_position(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(code): Path<String>,
    Json(p): Json<UnitPosition>,
) -> ApiResult<axum::Json<Unit>> {
    Ok(axum::Json(
        s.store
            .db
            .write(move |c| units::set_position(c, &ctx, &code, p.lat, p.lon))
            .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Move {
    /// Code of the new parent unit.
    parent: String,
}

#[utoipa::path(post, path = "/api/v1/units/{code}/move", tag = "units", request_body = Move,
    params(("code" = String, Path, description = "unit code")),
    responses((status = 200, body = Unit), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem, description = "the move would make a cycle"),
        (status = 422, body = crate::error::Problem, description = "the parent is of the wrong kind")))]
pub async fn move_unit(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(code): Path<String>,
    Json(m): Json<Move>,
) -> ApiResult<axum::Json<Unit>> {
    Ok(axum::Json(
        s.store
            .db
            .write(move |c| units::move_to(c, &ctx, &code, &m.parent))
            .await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/units/{code}", tag = "units",
    params(("code" = String, Path, description = "unit code")),
    responses((status = 204), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem, description = "the unit is not empty")))]
pub async fn remove(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(code): Path<String>,
) -> ApiResult<StatusCode> {
    s.store
        .db
        .write(move |c| units::delete(c, &ctx, &code))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TreeQuery {
    /// Levels below the unit, 0 to 3 (default 1).
    depth: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/units/{code}/tree", tag = "units",
    params(("code" = String, Path, description = "unit code"), TreeQuery),
    responses((status = 200, body = TreeNode), (status = 404, body = crate::error::Problem)))]
pub async fn tree(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(code): Path<String>,
    Query(q): Query<TreeQuery>,
) -> ApiResult<axum::Json<TreeNode>> {
    let depth = q.depth.unwrap_or(1);
    Ok(axum::Json(
        s.store
            .db
            .read(move |c| units::tree(c, &ctx, &code, depth))
            .await?,
    ))
}
