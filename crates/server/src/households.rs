//! `/api/v1/households`.

use crate::extract::{id, Json, Query};
use crate::{ApiResult, AppState, Caller};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use wangge_store::households::{self, Household, NewHousehold};
use wangge_store::people::Person;
use wangge_store::Page;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/households", get(list).post(create))
        .route("/households/{id}", get(show))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Unit code: households anywhere in its subtree.
    unit: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/households", tag = "households", params(ListQuery),
    responses((status = 200, body = Page<Household>), (status = 404, body = crate::error::Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<Page<Household>>> {
    let page = s
        .store
        .db
        .read(move |c| households::list(c, &ctx, q.unit.as_deref(), q.cursor.as_deref(), q.limit))
        .await?;
    Ok(axum::Json(page))
}

#[utoipa::path(post, path = "/api/v1/households", tag = "households", request_body = NewHousehold,
    responses((status = 201, body = Household), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Json(new): Json<NewHousehold>,
) -> ApiResult<(StatusCode, axum::Json<Household>)> {
    let h = s
        .store
        .db
        .write(move |c| households::create(c, &ctx, new))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(h)))
}

/// A household with its members. Written out rather than flattening
/// [`Household`], whose `members` is a count: flattening sent the key twice.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HouseholdDetail {
    id: i64,
    /// The household number (户号), if the office keeps one.
    number: Option<String>,
    unit: String,
    unit_name: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    created_at: time::OffsetDateTime,
    members: Vec<Person>,
}

impl HouseholdDetail {
    fn new(h: Household, members: Vec<Person>) -> HouseholdDetail {
        HouseholdDetail {
            id: h.id,
            number: h.number,
            unit: h.unit,
            unit_name: h.unit_name,
            created_at: h.created_at,
            members,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/households/{id}", tag = "households",
    params(("id" = i64, Path, description = "household id")),
    responses((status = 200, body = HouseholdDetail), (status = 404, body = crate::error::Problem)))]
pub async fn show(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(hid): Path<String>,
) -> ApiResult<axum::Json<HouseholdDetail>> {
    let hid = id(&hid)?;
    let detail = s
        .store
        .db
        .read(move |c| {
            let household = households::get(c, &ctx, hid)?;
            let members = households::members(c, &ctx, hid)?;
            Ok(HouseholdDetail::new(household, members))
        })
        .await?;
    Ok(axum::Json(detail))
}
