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
        let session = page_session(parts, state).await;
        if let Some(s) = &session {
            parts.extensions.insert(SessionCsrf(s.csrf.clone()));
        }
        Ok(session)
    }
}

impl FromRequestParts<AppState> for PageSession {
    type Rejection = axum::response::Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let next = parts.uri.path().to_string();
        let session = page_session(parts, state)
            .await
            .ok_or_else(|| super::to_login(&next))?;
        parts.extensions.insert(SessionCsrf(session.csrf.clone()));
        Ok(session)
    }
}

/// The session's CSRF token, left in the request by the session extractor so
/// that a form extractor after it need not look the session up again.
#[derive(Clone)]
struct SessionCsrf(String);

/// A staff form post whose `csrf` field matched the session's token: the
/// check every form handler needs, done before the handler runs. A post
/// without a session goes to the login page; a wrong or missing token is a
/// 403 (`ApiError::Csrf`). Multipart forms check with `PageSession::csrf_ok`.
pub struct CheckedForm<F>(pub F);

impl<F: serde::de::DeserializeOwned> axum::extract::FromRequest<AppState> for CheckedForm<F> {
    type Rejection = axum::response::Response;

    async fn from_request(
        req: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;
        let (parts, body) = req.into_parts();
        let expected = match parts.extensions.get::<SessionCsrf>() {
            Some(SessionCsrf(t)) => t.clone(),
            None => match page_session(&parts, state).await {
                Some(s) => s.csrf,
                None => return Err(super::to_login(parts.uri.path())),
            },
        };
        #[derive(serde::Deserialize)]
        struct Token {
            #[serde(default)]
            csrf: String,
        }
        let req = axum::extract::Request::from_parts(parts, body);
        let bytes = super::form_body(req)
            .await
            .map_err(IntoResponse::into_response)?;
        let token = serde_urlencoded::from_bytes::<Token>(&bytes)
            .map_or_else(|_| String::new(), |t| t.csrf);
        if !crate::auth::same(&expected, &token) {
            return Err(crate::error::ApiError::Csrf.into_response());
        }
        serde_urlencoded::from_bytes(&bytes)
            .map(CheckedForm)
            .map_err(|e| crate::error::ApiError::Malformed(e.to_string()).into_response())
    }
}

impl PageSession {
    /// Whether a form's CSRF field matches this session's token.
    pub fn csrf_ok(&self, field: &str) -> bool {
        crate::auth::same(&self.csrf, field)
    }
}
