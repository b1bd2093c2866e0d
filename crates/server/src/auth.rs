//! Who is calling: a session cookie (browsers) or a bearer token (machine
//! clients). Sessions, logins with throttling, logout, password change, tokens.
//!
//! State-changing API requests made with a session cookie must carry the
//! session's CSRF token in `X-CSRF-Token` (web forms carry it in a field, checked
//! by the page handlers); bearer-token requests cannot be forged by another site
//! and need none.

use crate::client::{PublicUrl, TrustedProxies};
use crate::error::ApiError;
use crate::extract::{id, Json};
use crate::{ApiResult, AppState};
use axum::extract::{ConnectInfo, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use wangge_core::auth::Role;
use wangge_store::accounts::totp::SecondFactor;
use wangge_store::accounts::{self, SessionPolicy, TokenInfo, User};
use wangge_store::{Ctx, Error as StoreError};

pub const SESSION_COOKIE: &str = "wangge_session";

/// How sessions and tokens behave and how the server is deployed; part of
/// the application state.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub session: SessionPolicy,
    /// Mark cookies `Secure` (set by an `https://` public URL).
    pub secure_cookies: bool,
    /// Where the public reaches the server; `https://` also turns on HSTS.
    pub public_url: Option<PublicUrl>,
    /// The proxies whose `X-Forwarded-For` / `Forwarded` is believed.
    pub trusted_proxies: TrustedProxies,
    /// How long a new API token lives unless its request says otherwise.
    pub token_days: i64,
    /// Roles that must use two-factor login: their sessions reach only the
    /// enrolment until they have set it up. API tokens are not affected (an
    /// administrator or the account itself issued them after logging in).
    pub totp_required: Vec<Role>,
}

/// The roles that must use two-factor login unless the deployment says
/// otherwise: those that manage accounts and read the audit log (等保 level 3).
pub const DEFAULT_TOTP_REQUIRED: [Role; 2] = [Role::ZoneAdmin, Role::Auditor];

/// Reads a list of roles that must use two-factor login: role names separated
/// by commas; empty or `none` for none.
pub fn parse_totp_roles(list: &str) -> Result<Vec<Role>, String> {
    let list = list.trim();
    if list.is_empty() || list.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    let mut roles = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let role = Role::parse(name).map_err(|e| format!("totp_required_roles: {e}"))?;
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    Ok(roles)
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            session: SessionPolicy::default(),
            secure_cookies: false,
            public_url: None,
            trusted_proxies: TrustedProxies::default(),
            token_days: accounts::DEFAULT_TOKEN_DAYS,
            totp_required: DEFAULT_TOTP_REQUIRED.to_vec(),
        }
    }
}

impl AuthConfig {
    /// The settings of a deployment, checked: the public URL, the trusted
    /// proxies (addresses or CIDR ranges) and the default token lifetime.
    pub fn deployed(
        public_url: Option<&str>,
        trusted_proxies: &[String],
        token_days: Option<i64>,
    ) -> Result<AuthConfig, String> {
        let public_url = public_url.map(PublicUrl::parse).transpose()?;
        let token_days = match token_days {
            Some(d) => accounts::check_days(d).map_err(|e| e.to_string())?,
            None => accounts::DEFAULT_TOKEN_DAYS,
        };
        Ok(AuthConfig {
            secure_cookies: public_url.as_ref().is_some_and(PublicUrl::is_https),
            public_url,
            trusted_proxies: TrustedProxies::parse(trusted_proxies)?,
            token_days,
            ..AuthConfig::default()
        })
    }

    /// The same settings with these roles required to use two-factor login.
    pub fn with_totp_required(mut self, roles: Vec<Role>) -> AuthConfig {
        self.totp_required = roles;
        self
    }

    /// A session of `user` may do nothing but set up two-factor login.
    pub fn confined(&self, user: &User) -> bool {
        !user.totp_enabled && self.totp_required.contains(&user.role)
    }

    /// Send `Strict-Transport-Security`: the public URL is https.
    pub fn hsts(&self) -> bool {
        self.public_url.as_ref().is_some_and(PublicUrl::is_https)
    }
}

/// The authenticated caller, as a store context with their role and scope.
pub struct Caller(pub Ctx);

/// The caller with the session they came with, for session endpoints.
pub struct Authenticated {
    pub ctx: Ctx,
    pub user: User,
    /// `Some` for a cookie session (its token and CSRF token); `None` for a bearer token.
    pub session: Option<(String, String)>,
}

/// The client's address: the socket's peer, or the address a trusted proxy
/// forwarded (see [`crate::client`]). The one source of the address for
/// throttles, rate limits, audit entries and idempotency.
pub fn client_addr(parts: &Parts, proxies: &TrustedProxies) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(
            || "unknown".to_string(),
            |c| proxies.client(c.0.ip(), &parts.headers).to_string(),
        )
}

/// The value of one cookie from the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

fn is_safe(m: &Method) -> bool {
    matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Compares secrets in constant time.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A caller whose session may be confined to setting up two-factor login
/// (see [`AuthConfig::confined`]): for the session itself and the enrolment.
pub struct Enrolling(pub Authenticated);

impl FromRequestParts<AppState> for Enrolling {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        identify(parts, state).await.map(Enrolling)
    }
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    /// Every API route but the session and the enrolment refuses a session
    /// whose role must use two-factor login and has not set it up.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let a = identify(parts, state).await?;
        if a.session.is_some() && state.auth.confined(&a.user) {
            return Err(ApiError::TotpEnrolmentRequired);
        }
        Ok(a)
    }
}

async fn identify(parts: &mut Parts, state: &AppState) -> Result<Authenticated, ApiError> {
    let now = state.clock.now();
    let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
    let addr = client_addr(parts, &state.auth.trusted_proxies);
    let base = state.store.ctx("anonymous", wangge_store::Scope::All, now);
    if let Some(token) = bearer(&parts.headers) {
        let t = token.clone();
        let found = state
            .store
            .db
            .read_quick(move |c| accounts::token_user(c, &t, now_ms))
            .await?;
        let Some((user, token_id, stale)) = found else {
            return Err(StoreError::Unauthenticated.into());
        };
        if stale {
            state
                .store
                .db
                .write(move |c| accounts::touch_token(c, token_id, now_ms))
                .await?;
        }
        return Ok(Authenticated {
            ctx: user.ctx(&base, Some(addr)),
            user,
            session: None,
        });
    }
    let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Err(StoreError::Unauthenticated.into());
    };
    let policy = state.auth.session;
    let t = token.clone();
    let found = state
        .store
        .db
        .read_quick(move |c| accounts::session(c, &t, now_ms, policy))
        .await?;
    let Some((user, csrf, stale)) = found else {
        return Err(StoreError::Unauthenticated.into());
    };
    if !is_safe(&parts.method) {
        let sent = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok());
        if !sent.is_some_and(|s| same(s, &csrf)) {
            return Err(ApiError::Csrf);
        }
    }
    if stale {
        let t = token.clone();
        state
            .store
            .db
            .write(move |c| accounts::touch_session(c, &t, now_ms))
            .await?;
    }
    Ok(Authenticated {
        ctx: user.ctx(&base, Some(addr)),
        user,
        session: Some((token, csrf)),
    })
}

/// The client's address, for handlers (never fails; "unknown" in tests without a socket).
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_addr(parts, &s.auth.trusted_proxies)))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Authenticated::from_request_parts(parts, state)
            .await
            .map(|a| Caller(a.ctx))
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/session", get(current).post(login).delete(logout))
        .route("/session/password", post(change_password))
        .route("/account/totp", post(crate::totp::begin))
        .route("/account/totp/confirm", post(crate::totp::confirm))
        .route("/tokens", get(list_tokens).post(create_token))
        .route("/tokens/{id}", delete(revoke_token))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub username: String,
    pub password: String,
    /// The 6-digit code of the authenticator app, for an account with
    /// two-factor login.
    pub totp: Option<String>,
    /// One of the account's recovery codes, instead of `totp` (each works once).
    pub recovery_code: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    pub user: User,
    /// Send back as `X-CSRF-Token` on every state-changing request made with the cookie.
    pub csrf_token: String,
    /// The account's role must use two-factor login and it is not set up:
    /// until it is (`POST /api/v1/account/totp`), other requests answer 403
    /// `totp_enrolment_required`.
    pub totp_enrolment_required: bool,
}

/// The second factor a login carries, if any.
#[derive(Debug, Clone, Default)]
pub enum Second {
    #[default]
    None,
    Code(String),
    Recovery(String),
}

impl Second {
    /// From the API's two fields; the app's code wins when both are sent.
    pub fn from_fields(totp: Option<String>, recovery: Option<String>) -> Second {
        let some = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        match (some(totp), some(recovery)) {
            (Some(c), _) => Second::Code(c),
            (None, Some(r)) => Second::Recovery(r),
            (None, None) => Second::None,
        }
    }

    /// From the login form's one field: six digits (apps often show them as
    /// `123 456`) are a code, anything else a recovery code.
    pub fn from_form(field: &str) -> Second {
        let v = field.trim();
        let digits: String = v.chars().filter(|c| !c.is_whitespace()).collect();
        if v.is_empty() {
            Second::None
        } else if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
            Second::Code(digits)
        } else {
            Second::Recovery(v.to_string())
        }
    }

    fn factor(&self) -> Option<SecondFactor<'_>> {
        match self {
            Second::None => None,
            Second::Code(c) => Some(SecondFactor::Code(c)),
            Second::Recovery(r) => Some(SecondFactor::Recovery(r)),
        }
    }
}

pub fn session_cookie(cfg: &AuthConfig, token: &str, max_age_s: i64) -> HeaderValue {
    let secure = if cfg.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// How long an attempt refused by a short delay is held before the answer
/// is 429: the delay may come only from attempts still being checked (each
/// counts as a failure until it is known), and parallel logins that are right
/// — colleagues behind one office address — should not be turned away.
const HOLD: std::time::Duration = std::time::Duration::from_secs(5);
const HOLD_POLL: std::time::Duration = std::time::Duration::from_millis(200);

/// Takes the throttle's reservation for one attempt (see
/// [`accounts::Throttle::reserve`]). A refusal of at most [`HOLD`] is waited
/// out, watching the count with reads, before the attempt tries again; a
/// longer one is answered at once.
async fn reserve(
    state: &AppState,
    throttle: &std::sync::Arc<accounts::Throttle>,
) -> ApiResult<accounts::Reservation> {
    let started = std::time::Instant::now();
    let now_ms = || (state.clock.now().unix_timestamp_nanos() / 1_000_000) as i64;
    loop {
        let (th, now) = (throttle.clone(), now_ms());
        let retry_after = match state.store.db.write(move |c| th.reserve(c, now)).await {
            Err(StoreError::Throttled { retry_after }) => retry_after,
            other => return Ok(other?),
        };
        loop {
            let late = started.elapsed() + HOLD_POLL > HOLD;
            if late || retry_after > HOLD.as_secs() as i64 {
                return Err(StoreError::Throttled { retry_after }.into());
            }
            tokio::time::sleep(HOLD_POLL).await;
            let (th, now) = (throttle.clone(), now_ms());
            if state
                .store
                .db
                .read_quick(move |c| th.wait(c, now))
                .await?
                .is_none()
            {
                break;
            }
        }
    }
}

/// Checks a user name and password, with throttling and an audit entry either
/// way; opens a new session. Unknown users and wrong passwords get the same
/// answer after the same work.
///
/// An account with two-factor login needs its second factor too: without one
/// the answer is [`ApiError::TotpRequired`] (the attempt is taken back: no
/// guess was wrong); a wrong, expired or replayed one is a failed attempt like
/// a wrong password, so codes are throttled with passwords.
pub async fn authenticate(
    state: &AppState,
    username: String,
    password: String,
    second: Second,
    addr: String,
) -> ApiResult<(User, String, String)> {
    let now = state.clock.now();
    let throttle = std::sync::Arc::new(accounts::Throttle::new(&username, &addr));
    // The attempt is counted before the password is checked (429 if delayed),
    // so parallel attempts cannot all pass one check of the count.
    let reserved = reserve(state, &throttle).await?;
    let name = username.clone();
    let found = state
        .store
        .db
        .read(move |c| accounts::for_login(c, &name))
        .await?;
    let (user, hash) = match found {
        Some((u, h)) if !u.disabled => (Some(u), h),
        _ => (None, accounts::decoy_hash().to_string()),
    };
    let checked = state
        .passwords
        .run(move || accounts::verify_password(&hash, &password))
        .await;
    let ok = match checked {
        Ok(ok) => ok,
        Err(e) => {
            // Not checked (too busy): the attempt does not count.
            let th = throttle.clone();
            state
                .store
                .db
                .write(move |c| th.refund(c, &reserved))
                .await?;
            return Err(e);
        }
    };
    let mut ctx = state.store.ctx("anonymous", wangge_store::Scope::All, now);
    ctx.client_addr = Some(addr.clone());
    // An unknown name is not recorded: it is often a password typed into the wrong box.
    let known = user.as_ref().map(|u| (u.id, u.username.clone()));
    match (ok, user) {
        (true, Some(user)) if user.totp_enabled => {
            if matches!(second, Second::None) {
                let th = throttle.clone();
                state
                    .store
                    .db
                    .write(move |c| th.refund(c, &reserved))
                    .await?;
                return Err(ApiError::TotpRequired);
            }
            let uctx = user.ctx(&ctx, Some(addr));
            let u = user.clone();
            let opened = state
                .store
                .db
                .write(move |c| {
                    let Some(factor) = second.factor() else {
                        return Ok(None);
                    };
                    if !accounts::totp::check_login(c, &uctx, u.id, factor)? {
                        let detail =
                            serde_json::json!({"username": u.username, "second_factor": true});
                        wangge_store::audit::record(c, &ctx, "user", u.id, "login_failed", detail)?;
                        return Ok(None);
                    }
                    throttle.succeeded(c, &reserved)?;
                    if let SecondFactor::Recovery(_) = factor {
                        let left = accounts::totp::recovery_codes_left(c, u.id)?;
                        let detail = serde_json::json!({"recovery_codes_left": left});
                        wangge_store::audit::record(
                            c,
                            &uctx,
                            "user",
                            u.id,
                            "totp_recovery_used",
                            detail,
                        )?;
                    }
                    accounts::create_session(c, &uctx, &u).map(Some)
                })
                .await?;
            // The failure stays counted: its reservation was never taken back.
            let (token, csrf) = opened.ok_or(ApiError::TotpWrong)?;
            Ok((user, token, csrf))
        }
        (true, Some(user)) => {
            let uctx = user.ctx(&ctx, Some(addr));
            let u = user.clone();
            let (token, csrf) = state
                .store
                .db
                .write(move |c| {
                    throttle.succeeded(c, &reserved)?;
                    accounts::create_session(c, &uctx, &u)
                })
                .await?;
            Ok((user, token, csrf))
        }
        _ => {
            // The reservation already counted the failure.
            state
                .store
                .db
                .write(move |c| {
                    let (id, detail) = match known {
                        Some((id, name)) => (id, serde_json::json!({"username": name})),
                        None => (
                            0,
                            serde_json::json!({"username": null, "unknown_user": true}),
                        ),
                    };
                    wangge_store::audit::record(c, &ctx, "user", id, "login_failed", detail)
                })
                .await?;
            Err(ApiError::BadLogin)
        }
    }
}

#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = Login,
    responses((status = 200, body = SessionInfo),
        (status = 401, body = crate::error::Problem, description = "`bad_login`; `totp_required` (the password was right, send `totp` or `recovery_code` too); `totp_wrong`"),
        (status = 429, body = crate::error::Problem, description = "too many failed attempts; see Retry-After"),
        (status = 503, body = crate::error::Problem, description = "too many password checks at once (`busy`); see Retry-After")))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Json(l): Json<Login>,
) -> ApiResult<Response> {
    let second = Second::from_fields(l.totp, l.recovery_code);
    let (user, token, csrf) = authenticate(&state, l.username, l.password, second, addr).await?;
    let cookie = session_cookie(&state.auth, &token, state.auth.session.absolute_ms / 1000);
    let mut res = axum::Json(SessionInfo {
        totp_enrolment_required: state.auth.confined(&user),
        user,
        csrf_token: csrf,
    })
    .into_response();
    res.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(res)
}

#[utoipa::path(get, path = "/api/v1/session", tag = "session",
    responses((status = 200, body = SessionInfo), (status = 401, body = crate::error::Problem)))]
pub async fn current(
    State(state): State<AppState>,
    Enrolling(a): Enrolling,
) -> ApiResult<axum::Json<SessionInfo>> {
    let confined = a.session.is_some() && state.auth.confined(&a.user);
    let csrf = a.session.map(|(_, c)| c).unwrap_or_default();
    Ok(axum::Json(SessionInfo {
        totp_enrolment_required: confined,
        user: a.user,
        csrf_token: csrf,
    }))
}

#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204), (status = 401, body = crate::error::Problem)))]
pub async fn logout(State(state): State<AppState>, Enrolling(a): Enrolling) -> ApiResult<Response> {
    if let Some((token, _)) = a.session {
        let ctx = a.ctx;
        state
            .store
            .db
            .write(move |c| accounts::end_session(c, &ctx, &token))
            .await?;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state.auth, "", 0));
    Ok(res)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub old_password: String,
    pub new_password: String,
}

/// Changes one's own password: the old one is required; every session ends,
/// so the client logs in again, and every API token of the account is revoked.
#[utoipa::path(post, path = "/api/v1/session/password", tag = "session", request_body = PasswordChange,
    responses((status = 204), (status = 401, body = crate::error::Problem), (status = 422, body = crate::error::Problem),
        (status = 429, body = crate::error::Problem), (status = 503, body = crate::error::Problem, description = "too many password checks at once")))]
pub async fn change_password(
    State(state): State<AppState>,
    a: Authenticated,
    Json(p): Json<PasswordChange>,
) -> ApiResult<StatusCode> {
    change_own_password(
        &state,
        &a.ctx,
        &a.user.username,
        p.old_password,
        p.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Checks the old password and the new one's strength, then stores the new hash
/// and ends every session of the user.
pub async fn change_own_password(
    state: &AppState,
    ctx: &Ctx,
    username: &str,
    old: String,
    new: String,
) -> ApiResult<()> {
    // The policy names its field `password`; here the input is `new_password`.
    accounts::check_new_password(&new, username).map_err(|e| match e {
        StoreError::Domain(d) => StoreError::Domain(d.in_field("new_password")),
        other => other,
    })?;
    // Guessing the old password through a session is throttled like logging in.
    let addr = ctx.client_addr.as_deref().unwrap_or("unknown");
    let throttle = std::sync::Arc::new(accounts::Throttle::new(username, addr));
    let reserved = reserve(state, &throttle).await?;
    let name = username.to_string();
    let found = state
        .store
        .db
        .read(move |c| accounts::for_login(c, &name))
        .await?;
    let (_, hash) = found.ok_or(ApiError::BadLogin)?;
    let checked = state
        .passwords
        .run(move || {
            if accounts::verify_password(&hash, &old) {
                accounts::hash_password(&new).map(Some)
            } else {
                Ok(None)
            }
        })
        .await;
    let new_hash = match checked {
        Ok(h) => h?,
        Err(e) => {
            let th = throttle.clone();
            state
                .store
                .db
                .write(move |c| th.refund(c, &reserved))
                .await?;
            return Err(e);
        }
    };
    let Some(new_hash) = new_hash else {
        return Err(wangge_core::Error::invalid(
            "old_password",
            "old_password_wrong",
            "原密码不正确",
            "the old password is not correct",
        )
        .into());
    };
    let (ctx, username) = (ctx.clone(), username.to_string());
    state
        .store
        .db
        .write(move |c| {
            throttle.succeeded(c, &reserved)?;
            accounts::set_password(c, &ctx, &username, &new_hash)
        })
        .await?;
    Ok(())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub name: String,
    /// Whose token; by default the caller's own. Others' need the users permission.
    pub username: Option<String>,
    /// Days until the token expires (1 to 3660); by default the deployment's
    /// setting (90 days unless changed).
    pub expires_in_days: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    #[serde(flatten)]
    pub info: TokenInfo,
    /// Shown only now: send as `Authorization: Bearer TOKEN`.
    pub token: String,
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "session", request_body = NewToken,
    responses((status = 201, body = IssuedToken), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn create_token(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Json(n): Json<NewToken>,
) -> ApiResult<(StatusCode, axum::Json<IssuedToken>)> {
    let username = n.username.unwrap_or_else(|| ctx.actor.clone());
    let days = n.expires_in_days.unwrap_or(state.auth.token_days);
    let (info, token) = state
        .store
        .db
        .write(move |c| accounts::create_token(c, &ctx, &username, &n.name, days))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(IssuedToken { info, token })))
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "session",
    responses((status = 200, body = Vec<TokenInfo>), (status = 401, body = crate::error::Problem)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    Caller(ctx): Caller,
) -> ApiResult<axum::Json<Vec<TokenInfo>>> {
    let me = ctx.actor.clone();
    Ok(axum::Json(
        state
            .store
            .db
            .read(move |c| accounts::list_tokens(c, &ctx, Some(&me)))
            .await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "session",
    params(("id" = i64, Path, description = "token id")),
    responses((status = 204), (status = 404, body = crate::error::Problem)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(tid): Path<String>,
) -> ApiResult<StatusCode> {
    let tid = id(&tid)?;
    state
        .store
        .db
        .write(move |c| accounts::revoke_token(c, &ctx, tid))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
