//! The session of a page request: like the API's, but a visitor without one is
//! sent to the login page instead of getting a 401, and forms carry the CSRF
//! token in a field that the handler checks after reading the body.

use crate::auth::{cookie, SESSION_COOKIE};
use crate::AppState;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use wangge_store::accounts::{self, User};
use wangge_store::Ctx;

pub struct PageSession {
    pub user: User,
    pub ctx: Ctx,
    pub token: String,
    pub csrf: String,
}

/// The live session of a request, if any.
pub async fn page_session(parts: &Parts, state: &AppState) -> Option<PageSession> {
    let token = cookie(&parts.headers, SESSION_COOKIE)?;
    let now = state.clock.now();
    let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
    let policy = state.auth.session;
    let t = token.clone();
    let (user, csrf, stale) = state
        .store
        .db
        .read(move |c| accounts::session(c, &t, now_ms, policy))
        .await
        .ok()??;
    if stale {
        let t = token.clone();
        let _ = state
            .store
            .db
            .write(move |c| accounts::touch_session(c, &t, now_ms))
            .await;
    }
    let base = state.store.ctx("anonymous", wangge_store::Scope::All, now);
    let addr = crate::auth::client_addr(parts, &state.auth.trusted_proxies);
    let ctx = user.ctx(&base, Some(addr));
    Some(PageSession {
        user,
        ctx,
        token,
        csrf,
    })
}

impl OptionalFromRequestParts<AppState> for PageSession {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(page_session(parts, state).await)
    }
}

impl FromRequestParts<AppState> for PageSession {
    type Rejection = axum::response::Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let next = parts.uri.path().to_string();
        page_session(parts, state)
            .await
            .ok_or_else(|| super::to_login(&next))
    }
}
