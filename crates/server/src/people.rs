//! `/api/v1/people`: residents, with personal data masked.

use crate::extract::{id, Json, Query};
use crate::{ApiResult, AppState, Caller};
use axum::extract::{Path, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use wangge_store::people::{self, NewPerson, Person, PersonPatch, Revealed};
use wangge_store::Page;

/// The header of every answer carrying personal data in full: no browser or
/// proxy cache may keep it (a shared computer's back button, a caching proxy).
pub fn no_store() -> [(HeaderName, HeaderValue); 1] {
    [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/people", get(list).post(create))
        .route("/people/lookup", post(lookup))
        .route(
            "/people/registration-requests",
            get(crate::registration::list),
        )
        .route(
            "/people/registration-requests/{id}/{decision}",
            post(crate::registration::decide),
        )
        .route("/people/{id}", get(show).patch(update))
        .route("/people/{id}/reveal", post(reveal))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Unit code: people anywhere in its subtree.
    unit: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/people", tag = "people", params(ListQuery),
    responses((status = 200, body = Page<Person>), (status = 404, body = crate::error::Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<Page<Person>>> {
    let page = s
        .store
        .db
        .read(move |c| people::list(c, &ctx, q.unit.as_deref(), q.cursor.as_deref(), q.limit))
        .await?;
    Ok(axum::Json(page))
}

#[utoipa::path(post, path = "/api/v1/people", tag = "people", request_body = NewPerson,
    responses((status = 201, body = Person),
        (status = 202, body = crate::registration::Submitted, description = "registration_requested: submitted for verification by the responsible unit"),
        (status = 409, body = crate::error::Problem, description = "the ID number is already registered in the caller's scope"),
        (status = 422, body = crate::error::Problem),
        (status = 429, body = crate::error::Problem, description = "registration_request_limit")))]
pub async fn create(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Json(new): Json<NewPerson>,
) -> ApiResult<axum::response::Response> {
    // Validation, keyed hashes and encryption happen here, on the request's
    // own task, so the writer (one thread on SQLite) only inserts and audits.
    let prepared = people::prepare_new(&ctx, new)?;
    let done = s
        .store
        .db
        .write(move |c| people::submit_prepared(c, &ctx, prepared))
        .await?;
    Ok(match done {
        people::Submitted::Created(p) => (StatusCode::CREATED, axum::Json(*p)).into_response(),
        people::Submitted::Requested { request } => (
            StatusCode::ACCEPTED,
            axum::Json(crate::registration::Submitted::new(request)),
        )
            .into_response(),
    })
}

#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "people",
    params(("id" = i64, Path, description = "person id")),
    responses((status = 200, body = Person), (status = 404, body = crate::error::Problem)))]
pub async fn show(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(pid): Path<String>,
) -> ApiResult<axum::Json<Person>> {
    let pid = id(&pid)?;
    Ok(axum::Json(
        s.store.db.read(move |c| people::get(c, &ctx, pid)).await?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/people/{id}", tag = "people", request_body = PersonPatch,
    params(("id" = i64, Path, description = "person id")),
    responses((status = 200, body = Person), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem, description = "stale version"), (status = 422, body = crate::error::Problem)))]
pub async fn update(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(pid): Path<String>,
    Json(patch): Json<PersonPatch>,
) -> ApiResult<axum::Json<Person>> {
    let pid = id(&pid)?;
    Ok(axum::Json(
        s.store
            .db
            .write(move |c| people::update(c, &ctx, pid, patch))
            .await?,
    ))
}

/// The ID number travels in the body, never in the URL, so it stays out of logs.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Lookup {
    id_number: String,
}

#[utoipa::path(post, path = "/api/v1/people/lookup", tag = "people", request_body = Lookup,
    responses((status = 200, body = Person), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn lookup(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Json(l): Json<Lookup>,
) -> ApiResult<axum::Json<Person>> {
    // A write: every lookup is audited, found or not.
    let found = s
        .store
        .db
        .write(move |c| people::lookup(c, &ctx, &l.id_number))
        .await?;
    found
        .map(axum::Json)
        .ok_or_else(|| wangge_store::Error::not_found("person").into())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealRequest {
    /// Why the full values are needed; kept in the audit log.
    reason: String,
}

/// The person's ID number, phone and address in full, for roles that may see
/// them; the view and its reason are written to the audit log.
#[utoipa::path(post, path = "/api/v1/people/{id}/reveal", tag = "people", request_body = RevealRequest,
    params(("id" = i64, Path, description = "person id")),
    responses((status = 200, body = Revealed), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn reveal(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(pid): Path<String>,
    Json(r): Json<RevealRequest>,
) -> ApiResult<impl IntoResponse> {
    let pid = id(&pid)?;
    let revealed = s
        .store
        .db
        .write(move |c| people::reveal(c, &ctx, pid, &r.reason))
        .await?;
    Ok((no_store(), axum::Json(revealed)))
}
