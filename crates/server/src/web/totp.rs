//! The two-factor pages: setting it up (`/account/totp`), and the confinement
//! of a session whose role must use it and has not: every other page sends
//! it to the set-up page.

use super::i18n::T;
use super::{render, to_login};
use crate::auth::{self, SESSION_COOKIE};
use crate::error::ApiError;
use crate::web::CheckedForm;
use crate::AppState;
use askama::Template;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use wangge_store::accounts::totp::{self, Enrolment};
use wangge_store::accounts::{self, User};
use wangge_store::Error as StoreError;

const PAGE: &str = "/account/totp";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(page))
        .route("/account/totp/begin", post(begin))
        .route("/account/totp/confirm", post(confirm))
}

/// Pages a confined session may still open.
fn open_to_confined(path: &str) -> bool {
    path == PAGE
        || path.starts_with("/account/totp/")
        || path == "/login"
        || path == "/logout"
        || path.starts_with("/static/")
}

/// Sends a session that must set up two-factor login to the set-up page.
pub async fn confine(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if state.auth.totp_required.is_empty() || open_to_confined(req.uri().path()) {
        return next.run(req).await;
    }
    let Some(token) = auth::cookie(req.headers(), SESSION_COOKIE) else {
        return next.run(req).await;
    };
    let now_ms = (state.clock.now().unix_timestamp_nanos() / 1_000_000) as i64;
    let policy = state.auth.session;
    let found = state
        .store
        .db
        .read_quick(move |c| accounts::session(c, &token, now_ms, policy))
        .await;
    match found {
        Ok(Some((user, _, _))) if state.auth.confined(&user) => {
            let mut r = Redirect::to(PAGE).into_response();
            *r.status_mut() = StatusCode::SEE_OTHER;
            r
        }
        _ => next.run(req).await,
    }
}

#[derive(Template)]
#[template(path = "totp.html")]
struct TotpPage {
    t: T,
    user: User,
    csrf: String,
    /// The role must use it and it is not set up yet.
    required: bool,
    /// A secret to add to the app, while setting up.
    enrolment: Option<Enrolment>,
    /// Recovery codes, shown once after confirming.
    recovery_codes: Vec<String>,
    codes_left: i64,
    error: Option<String>,
}

fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn show(
    state: &AppState,
    t: T,
    s: super::session::PageSession,
    recovery_codes: Vec<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let (ctx, id) = (s.ctx.clone(), s.user.id);
    let found = state
        .store
        .db
        .read(move |c| Ok((totp::pending(c, &ctx)?, totp::recovery_codes_left(c, id)?)))
        .await;
    let (enrolment, codes_left) = match found {
        Ok(f) => f,
        Err(e) => return ApiError::from(e).into_response(),
    };
    // The user comes back with the session of before the confirmation.
    let enabled = s.user.totp_enabled || !recovery_codes.is_empty();
    let mut user = s.user;
    user.totp_enabled = enabled;
    let page = TotpPage {
        t,
        required: state.auth.confined(&user),
        enrolment,
        recovery_codes,
        codes_left,
        error,
        user,
        csrf: s.csrf,
    };
    no_store(render(status, &page))
}

async fn page(
    State(state): State<AppState>,
    t: T,
    s: Option<super::session::PageSession>,
) -> Response {
    let Some(s) = s else { return to_login(PAGE) };
    show(&state, t, s, Vec::new(), None, StatusCode::OK).await
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

async fn begin(
    State(state): State<AppState>,
    t: T,
    s: Option<super::session::PageSession>,
    CheckedForm(_f): CheckedForm<CodeForm>,
) -> Response {
    let Some(s) = s else { return to_login(PAGE) };
    let ctx = s.ctx.clone();
    match state.store.db.write(move |c| totp::begin(c, &ctx)).await {
        Ok(_) => show(&state, t, s, Vec::new(), None, StatusCode::OK).await,
        Err(StoreError::Domain(wangge_core::Error::Conflict { zh, en, .. })) => {
            let e = Some(t.pick(&zh, &en).to_string());
            show(&state, t, s, Vec::new(), e, StatusCode::CONFLICT).await
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

async fn confirm(
    State(state): State<AppState>,
    t: T,
    s: Option<super::session::PageSession>,
    CheckedForm(f): CheckedForm<CodeForm>,
) -> Response {
    let Some(s) = s else { return to_login(PAGE) };
    let ctx = s.ctx.clone();
    let code = f.code;
    match state
        .store
        .db
        .write(move |c| totp::confirm(c, &ctx, &code))
        .await
    {
        Ok(codes) => show(&state, t, s, codes, None, StatusCode::OK).await,
        Err(StoreError::Domain(
            wangge_core::Error::Conflict { zh, en, .. }
            | wangge_core::Error::Invalid { zh, en, .. },
        )) => {
            let e = Some(t.pick(&zh, &en).to_string());
            show(
                &state,
                t,
                s,
                Vec::new(),
                e,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}
