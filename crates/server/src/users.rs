//! `/api/v1/users`: accounts, for those who manage them.

use crate::auth::Caller;
use crate::extract::Json;
use crate::{ApiResult, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use wangge_store::accounts::{self, NewUser, User};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/users", get(list).post(create))
        .route("/users/{username}/disable", post(disable))
        .route("/users/{username}/enable", post(enable))
        .route("/users/{username}/password", post(reset_password))
        .route("/users/{username}/totp/reset", post(crate::totp::reset))
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = Vec<User>), (status = 403, body = crate::error::Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> ApiResult<axum::Json<Vec<User>>> {
    Ok(axum::Json(
        s.store
            .db
            .read(move |c| accounts::list_users(c, &ctx))
            .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[serde(flatten)]
    pub user: NewUser,
    pub password: String,
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = User), (status = 403, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Json(new): Json<CreateUser>,
) -> ApiResult<(StatusCode, axum::Json<User>)> {
    ctx.require(wangge_core::auth::Permission::UsersManage)?;
    accounts::check_new_password(&new.password, &new.user.username)?;
    let password = new.password;
    let hash = s
        .passwords
        .run(move || accounts::hash_password(&password))
        .await??;
    let user = new.user;
    let u = s
        .store
        .db
        .write(move |c| accounts::create_user(c, &ctx, user, &hash))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(u)))
}

#[utoipa::path(post, path = "/api/v1/users/{username}/disable", tag = "users",
    params(("username" = String, Path, description = "user name")),
    responses((status = 200, body = User), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn disable(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<User>> {
    Ok(axum::Json(
        s.store
            .db
            .write(move |c| accounts::set_disabled(c, &ctx, &name, true))
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/users/{username}/enable", tag = "users",
    params(("username" = String, Path, description = "user name")),
    responses((status = 200, body = User), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn enable(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<User>> {
    Ok(axum::Json(
        s.store
            .db
            .write(move |c| accounts::set_disabled(c, &ctx, &name, false))
            .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    pub password: String,
}

#[utoipa::path(post, path = "/api/v1/users/{username}/password", tag = "users", request_body = ResetPassword,
    params(("username" = String, Path, description = "user name")),
    responses((status = 204), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn reset_password(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(name): Path<String>,
    Json(r): Json<ResetPassword>,
) -> ApiResult<StatusCode> {
    ctx.require(wangge_core::auth::Permission::UsersManage)?;
    accounts::check_new_password(&r.password, &name)?;
    let password = r.password;
    let hash = s
        .passwords
        .run(move || accounts::hash_password(&password))
        .await??;
    s.store
        .db
        .write(move |c| accounts::set_password(c, &ctx, &name, &hash))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
