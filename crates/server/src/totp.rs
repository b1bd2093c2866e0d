//! `/api/v1/account/totp`: setting up one's own two-factor login, and
//! `/api/v1/users/{username}/totp/reset`: another administrator turning it off.
//! Secrets and recovery codes are answered with `Cache-Control: no-store`.

use crate::auth::{Caller, Enrolling};
use crate::extract::Json;
use crate::{ApiResult, AppState};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use wangge_store::accounts::totp::{self, Enrolment};

fn no_store(body: impl Serialize) -> Response {
    let mut res = axum::Json(body).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Begins (or begins again) setting up two-factor login: a new secret, not
/// in force until confirmed with a code from it.
#[utoipa::path(post, path = "/api/v1/account/totp", tag = "session",
    responses((status = 200, body = Enrolment), (status = 401, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem, description = "`totp_already_enabled`")))]
pub async fn begin(State(s): State<AppState>, Enrolling(a): Enrolling) -> ApiResult<Response> {
    let ctx = a.ctx;
    let e = s.store.db.write(move |c| totp::begin(c, &ctx)).await?;
    Ok(no_store(e))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Confirm {
    /// The 6-digit code the authenticator app shows for the new secret.
    pub code: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RecoveryCodes {
    /// Shown only now: each logs in once instead of a code, when the phone is lost.
    pub recovery_codes: Vec<String>,
}

/// Puts two-factor login in force with a code from the new secret; answers
/// the recovery codes, once.
#[utoipa::path(post, path = "/api/v1/account/totp/confirm", tag = "session", request_body = Confirm,
    responses((status = 200, body = RecoveryCodes), (status = 401, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem, description = "`totp_not_started`, `totp_already_enabled`"),
        (status = 422, body = crate::error::Problem, description = "`totp_code_wrong`")))]
pub async fn confirm(
    State(s): State<AppState>,
    Enrolling(a): Enrolling,
    Json(body): Json<Confirm>,
) -> ApiResult<Response> {
    let ctx = a.ctx;
    let codes = s
        .store
        .db
        .write(move |c| totp::confirm(c, &ctx, &body.code))
        .await?;
    Ok(no_store(RecoveryCodes {
        recovery_codes: codes,
    }))
}

/// Turns off another user's two-factor login and ends their sessions; they
/// set it up again at their next login. Never one's own (use a recovery code).
#[utoipa::path(post, path = "/api/v1/users/{username}/totp/reset", tag = "users",
    params(("username" = String, Path, description = "user name")),
    responses((status = 204), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem, description = "`cannot_reset_own_totp`")))]
pub async fn reset(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    s.store
        .db
        .write(move |c| totp::reset(c, &ctx, &name))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
