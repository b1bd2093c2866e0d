//! The server-rendered web UI: askama templates compiled into the binary, text
//! from message catalogues, one embedded stylesheet, no scripts.

mod admin;
mod audit;
pub mod calendar;
mod case_actions;
mod cases;
mod categories;
mod charts;
mod dashboard;
pub mod equipment;
mod error_page;
mod exports;
mod formdata;
pub mod i18n;
mod imports;
mod inspection_pages;
pub mod inspections;
mod intake;
pub(crate) mod nav;
mod org_choice;
mod portal;
mod records;
mod registry;
mod session;
mod totp;

use crate::auth::{self, ClientAddr};
use crate::error::ApiError;
use crate::AppState;
use askama::Template;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use i18n::T;
use serde::de::DeserializeOwned;
use serde::de::IgnoredAny;
use serde::Deserialize;
use session::PageSession;
use wangge_store::accounts::{self, User};
use wangge_store::Error as StoreError;

pub use session::{page_session, CheckedForm};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route(
            "/account/password",
            get(password_page).post(password_submit),
        )
        .route("/static/app.css", get(stylesheet))
        .route("/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
        .merge(registry::routes())
        .merge(admin::routes())
        .merge(categories::routes())
        .merge(calendar::routes())
        .merge(audit::routes())
        .merge(imports::routes())
        .merge(exports::routes())
        .merge(cases::routes())
        .merge(intake::routes())
        .merge(dashboard::routes())
        .merge(equipment::routes())
        .merge(records::routes())
        .merge(inspections::routes())
        .merge(inspection_pages::routes())
        .merge(portal::routes())
        .merge(totp::routes())
}

/// What every page request goes through before its handler: the menu's
/// gate (a page the role may not open answers the 403 page, as the menu hides
/// its link), two-factor confinement, and, for a browser, an HTML error page
/// in place of any problem+json answer.
pub async fn confine(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let t = req.extensions().get::<T>().copied().unwrap_or_default();
    let html = error_page::wants_html(&req);
    let res = match nav_refusal(&state, t, req).await {
        Ok(req) => totp::confine(State(state), req, next).await,
        Err(refused) => refused,
    };
    if html {
        error_page::to_html(t, res).await
    } else {
        res
    }
}

/// The request back when the menu's table lets its user open the page (or
/// the page is not in the menu, or nobody is signed in: the page sends them
/// to log in); the 403 page otherwise.
async fn nav_refusal(state: &AppState, t: T, req: Request) -> Result<Request, Response> {
    if req.method() != axum::http::Method::GET || !nav::in_menu(req.uri().path()) {
        return Ok(req);
    }
    let (parts, body) = req.into_parts();
    let allowed = match page_session(&parts, state).await {
        Some(s) => nav::gate(parts.uri.path(), s.user.role).unwrap_or(true),
        None => true,
    };
    if allowed {
        Ok(Request::from_parts(parts, body))
    } else {
        Err(forbidden_page(t))
    }
}

/// Renders a template into a response, or a plain error if rendering fails.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
        .into_response()
}

/// The site's icon, a grid in the brand's red. Browsers that ask for
/// `/favicon.ico` without reading the page's `<link rel=icon>` get the same
/// SVG, which current browsers accept there too, rather than a 404 per page.
async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../../static/favicon.svg"),
    )
        .into_response()
}

/// A URL-encoded form body (64 KiB at most).
pub struct Form<F>(pub F);

impl<S: Send + Sync, F: DeserializeOwned> FromRequest<S> for Form<F> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        let bytes = form_body(req).await?;
        serde_urlencoded::from_bytes(&bytes)
            .map(Form)
            .map_err(|e| ApiError::Malformed(e.to_string()))
    }
}

/// A form's body: small, since files come as multipart.
pub(crate) async fn form_body(req: Request) -> Result<axum::body::Bytes, ApiError> {
    axum::body::to_bytes(req.into_body(), 64 * 1024)
        .await
        .map_err(|_| ApiError::TooLarge { limit: 64 * 1024 })
}

/// Only local paths are followed after login, never another site.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/"
    }
}

/// After a form post: the page to show next, fetched with GET.
pub(crate) fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Sends a visitor without a session to the login page, to come back afterwards.
pub fn to_login(next: &str) -> Response {
    let target = format!("/login?next={}", urlencode(next));
    Redirect::to(&target).into_response()
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e.trim_start_matches('=').to_string())
        .unwrap_or_default()
}

const LOGIN_CSRF_COOKIE: &str = "wangge_login_csrf";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: T,
    csrf: String,
    next: String,
    username: String,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// The login form carries a token that must match a cookie set with it, so another
/// site cannot log a browser in under an account of its choosing.
async fn login_page(t: T, headers: HeaderMap, Query(q): Query<NextQuery>) -> Response {
    let (csrf, fresh) = match auth::cookie(&headers, LOGIN_CSRF_COOKIE) {
        Some(c) if c.len() >= 32 => (c, false),
        _ => (accounts::new_token("").unwrap_or_default(), true),
    };
    let page = LoginPage {
        t,
        csrf: csrf.clone(),
        next: safe_next(q.next.as_deref().unwrap_or("/")).to_string(),
        username: String::new(),
        error: None,
    };
    let mut res = render(StatusCode::OK, &page);
    if fresh {
        let cookie = format!("{LOGIN_CSRF_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict");
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

#[derive(Deserialize)]
struct LoginForm {
    csrf: String,
    #[serde(default)]
    next: String,
    username: String,
    password: String,
    /// The authenticator app's code or a recovery code, for accounts with
    /// two-factor login.
    #[serde(default)]
    code: String,
}

async fn login_submit(
    State(state): State<AppState>,
    t: T,
    headers: HeaderMap,
    ClientAddr(addr): ClientAddr,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = safe_next(&f.next).to_string();
    let again = |status, error| {
        let page = LoginPage {
            t,
            csrf: f.csrf.clone(),
            next: next.clone(),
            username: f.username.clone(),
            error: Some(error),
        };
        render(status, &page)
    };
    let expected = auth::cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !auth::same(&expected, &f.csrf) {
        return again(StatusCode::FORBIDDEN, "login.expired");
    }
    let second = auth::Second::from_form(&f.code);
    match auth::authenticate(&state, f.username.clone(), f.password.clone(), second, addr).await {
        Ok((_, token, _)) => {
            let cookie =
                auth::session_cookie(&state.auth, &token, state.auth.session.absolute_ms / 1000);
            let mut res = Redirect::to(&next).into_response();
            *res.status_mut() = StatusCode::SEE_OTHER;
            res.headers_mut().insert(header::SET_COOKIE, cookie);
            res
        }
        Err(ApiError::Store(StoreError::Throttled { retry_after })) => {
            let mut res = again(StatusCode::TOO_MANY_REQUESTS, "login.throttled");
            res.headers_mut()
                .insert(header::RETRY_AFTER, retry_after.into());
            res
        }
        Err(ApiError::BadLogin) => again(StatusCode::UNAUTHORIZED, "login.bad"),
        Err(ApiError::TotpRequired) => again(StatusCode::UNAUTHORIZED, "totp.login_required"),
        Err(ApiError::TotpWrong) => again(StatusCode::UNAUTHORIZED, "totp.login_wrong"),
        Err(ApiError::Busy { retry_after }) => {
            let mut res = again(StatusCode::SERVICE_UNAVAILABLE, "login.busy");
            res.headers_mut()
                .insert(header::RETRY_AFTER, retry_after.into());
            res
        }
        Err(e) => e.into_response(),
    }
}

async fn logout(
    State(state): State<AppState>,
    s: Option<PageSession>,
    CheckedForm(_): CheckedForm<IgnoredAny>,
) -> Response {
    if let Some(s) = s {
        let (ctx, token) = (s.ctx, s.token);
        if let Err(e) = state
            .store
            .db
            .write(move |c| accounts::end_session(c, &ctx, &token))
            .await
        {
            return ApiError::from(e).into_response();
        }
    }
    let mut res = Redirect::to("/login").into_response();
    *res.status_mut() = StatusCode::SEE_OTHER;
    res.headers_mut()
        .insert(header::SET_COOKIE, auth::session_cookie(&state.auth, "", 0));
    res
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    t: T,
    user: User,
    csrf: String,
    role_key: String,
    scope_name: Option<String>,
    can_manage: bool,
    can_audit: bool,
    can_import: bool,
    inbox: cases::Inbox,
    equipment_alerts: Option<equipment::AlertBlock>,
}

async fn home(State(state): State<AppState>, t: T, s: Option<PageSession>) -> Response {
    // Residents have no session: they land on their own ways in.
    let Some(s) = s else {
        return portal::public_home(t);
    };
    let scope_name = match &s.user.scope_unit {
        Some(code) => {
            let ctx = state
                .store
                .ctx("system", wangge_store::Scope::All, state.clock.now());
            let code = code.clone();
            state
                .store
                .db
                .read(move |c| wangge_store::units::get(c, &ctx, &code))
                .await
                .ok()
                .map(|u| u.name)
        }
        None => None,
    };
    let inbox = cases::inbox(&state, t, &s.ctx).await;
    let equipment_alerts = equipment::alert_block(&state, t, &s.ctx).await;
    let page = HomePage {
        t,
        inbox,
        equipment_alerts,
        role_key: format!("role.{}", s.user.role.as_str()),
        can_manage: s.ctx.can(wangge_core::auth::Permission::UsersManage),
        can_audit: s.ctx.can(wangge_core::auth::Permission::AuditRead),
        can_import: s.ctx.can(wangge_core::auth::Permission::RegistryWrite),
        user: s.user,
        csrf: s.csrf,
        scope_name,
    };
    render(StatusCode::OK, &page)
}

#[derive(Default)]
struct PasswordErrors {
    old: Option<String>,
    new: Option<String>,
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    t: T,
    user: User,
    csrf: String,
    errors: PasswordErrors,
}

async fn password_page(t: T, s: Option<PageSession>) -> Response {
    let Some(s) = s else {
        return to_login("/account/password");
    };
    render(
        StatusCode::OK,
        &PasswordPage {
            t,
            user: s.user,
            csrf: s.csrf,
            errors: PasswordErrors::default(),
        },
    )
}

#[derive(Deserialize)]
struct PasswordForm {
    old_password: String,
    new_password: String,
    confirm: String,
}

async fn password_submit(
    State(state): State<AppState>,
    t: T,
    s: Option<PageSession>,
    CheckedForm(f): CheckedForm<PasswordForm>,
) -> Response {
    let Some(s) = s else {
        return to_login("/account/password");
    };
    let mut errors = PasswordErrors::default();
    if f.new_password != f.confirm {
        errors.new = Some(t.t("password.mismatch").to_string());
    } else if let Err(StoreError::Domain(wangge_core::Error::Invalid { zh, en, .. })) =
        accounts::check_new_password(&f.new_password, &s.user.username)
    {
        errors.new = Some(t.pick(&zh, &en).to_string());
    }
    if errors.new.is_none() {
        match auth::change_own_password(
            &state,
            &s.ctx,
            &s.user.username,
            f.old_password,
            f.new_password,
        )
        .await
        {
            Ok(()) => return to_login("/"),
            Err(ApiError::Store(StoreError::Domain(wangge_core::Error::Invalid {
                zh,
                en,
                ..
            }))) => {
                errors.old = Some(t.pick(&zh, &en).to_string());
            }
            Err(e) => return e.into_response(),
        }
    }
    render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &PasswordPage {
            t,
            user: s.user,
            csrf: s.csrf,
            errors,
        },
    )
}

/// Store errors as pages: what is out of scope or absent is simply not found.
pub(crate) fn page_error(t: T, e: wangge_store::Error) -> Response {
    match e {
        wangge_store::Error::NotFound { .. } => not_found_page(t),
        other => crate::error::ApiError::from(other).into_response(),
    }
}

pub fn not_found_page(t: T) -> Response {
    let message = t.t("error.not_found").to_string();
    error_page::page(t, StatusCode::NOT_FOUND, message)
}

pub fn forbidden_page(t: T) -> Response {
    let message = t.t("staff.error_forbidden").to_string();
    error_page::page(t, StatusCode::FORBIDDEN, message)
}
