//! Administration pages: accounts (roles and scopes) and one's own API tokens.

use super::exports::{ExportLinks, List};
use super::i18n::T;
use super::session::PageSession;
use super::{not_found_page, render};
use crate::error::ApiError;
use crate::web::see_other;
use crate::web::CheckedForm;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::de::IgnoredAny;
use serde::Deserialize;
use wangge_core::auth::{Permission, Role};
use wangge_store::accounts::{self, NewUser, TokenInfo};
use wangge_store::Error as StoreError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users_page).post(create_user))
        .route("/admin/users/{name}/{action}", post(set_disabled))
        .route("/account/tokens", get(tokens_page).post(create_token))
        .route("/account/tokens/{id}/revoke", post(revoke_token))
}

struct UserRow {
    username: String,
    display_name: String,
    role_key: String,
    scope: String,
    disabled: bool,
    totp_enabled: bool,
    /// The viewer's own row: their second factor is not reset from here.
    me: bool,
}

#[derive(Default, Deserialize)]
struct UserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    scope_unit: String,
    #[serde(default)]
    scope_org: String,
    #[serde(default)]
    password: String,
}

#[derive(Default)]
struct UserErrors {
    form: Option<String>,
    username: Option<String>,
    scope_unit: Option<String>,
    scope_org: Option<String>,
    password: Option<String>,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    t: T,
    user: accounts::User,
    csrf: String,
    users: Vec<UserRow>,
    /// Links to export the account list (`/exports/accounts.xlsx`).
    exports: Vec<ExportLinks>,
    roles: Vec<(&'static str, String)>,
    form: UserForm,
    errors: UserErrors,
    notice: Option<String>,
}

async fn users_view(
    s: &AppState,
    t: T,
    session: PageSession,
    form: UserForm,
    errors: UserErrors,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    if !session.ctx.can(Permission::UsersManage) {
        return not_found_page(t);
    }
    let ctx = session.ctx.clone();
    let users = match s
        .store
        .db
        .read(move |c| accounts::list_users(c, &ctx))
        .await
    {
        Ok(u) => u,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let me = session.user.id;
    let rows = users
        .into_iter()
        .map(|u| UserRow {
            totp_enabled: u.totp_enabled,
            me: u.id == me,
            role_key: format!("role.{}", u.role.as_str()),
            scope: u
                .scope_unit
                .clone()
                .or(u.scope_org.map(|o| format!("#{o}")))
                .unwrap_or_else(|| "*".into()),
            username: u.username,
            display_name: u.display_name,
            disabled: u.disabled,
        })
        .collect();
    let roles = Role::ALL
        .iter()
        .map(|r| (r.as_str(), format!("role.{}", r.as_str())))
        .collect();
    render(
        status,
        &UsersPage {
            t,
            exports: ExportLinks::of(t, &session.ctx, List::Accounts, String::new()),
            user: session.user,
            csrf: session.csrf,
            users: rows,
            roles,
            form,
            errors,
            notice,
        },
    )
}

async fn users_page(State(s): State<AppState>, t: T, session: PageSession) -> Response {
    users_view(
        &s,
        t,
        session,
        UserForm {
            role: "community_cadre".into(),
            ..Default::default()
        },
        UserErrors::default(),
        None,
        StatusCode::OK,
    )
    .await
}

/// Creates an account from the form; every error is shown next to its field and
/// the form keeps what was typed (except the password).
async fn create_user(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    CheckedForm(mut f): CheckedForm<UserForm>,
) -> Response {
    let mut errors = UserErrors::default();
    let bilingual = |e: &wangge_core::Error| match e {
        wangge_core::Error::Invalid { zh, en, .. }
        | wangge_core::Error::Conflict { zh, en, .. } => t.pick(zh, en).to_string(),
    };
    let role = match Role::parse(&f.role) {
        Ok(r) => Some(r),
        Err(e) => {
            errors.form = Some(bilingual(&e));
            None
        }
    };
    let scope_org = match f.scope_org.trim() {
        "" => None,
        v => match v.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.scope_org = Some(
                    t.pick("组织编号应为数字", "the organisation id is a number")
                        .to_string(),
                );
                None
            }
        },
    };
    if let Err(StoreError::Domain(e)) = accounts::check_new_password(&f.password, &f.username) {
        errors.password = Some(bilingual(&e));
    }
    if let (Some(role), true) = (
        role,
        errors.scope_org.is_none() && errors.password.is_none() && errors.form.is_none(),
    ) {
        let password = f.password.clone();
        let hash = s
            .passwords
            .run(move || accounts::hash_password(&password))
            .await;
        let hash = match hash {
            Ok(Ok(h)) => h,
            Ok(Err(e)) => return ApiError::from(e).into_response(),
            Err(e) => return e.into_response(),
        };
        let new = NewUser {
            username: f.username.clone(),
            display_name: Some(f.display_name.clone()).filter(|d| !d.trim().is_empty()),
            role,
            scope_unit: Some(f.scope_unit.trim().to_string()).filter(|v| !v.is_empty()),
            scope_org,
        };
        let ctx = session.ctx.clone();
        match s
            .store
            .db
            .write(move |c| accounts::create_user(c, &ctx, new, &hash))
            .await
        {
            Ok(u) => {
                let notice = format!("{}:{}", t.t("admin.created"), u.username);
                return users_view(
                    &s,
                    t,
                    session,
                    UserForm {
                        role: f.role,
                        ..Default::default()
                    },
                    UserErrors::default(),
                    Some(notice),
                    StatusCode::OK,
                )
                .await;
            }
            Err(StoreError::Domain(e)) => {
                let msg = bilingual(&e);
                match &e {
                    wangge_core::Error::Invalid { field, .. } if field == "scope_unit" => {
                        errors.scope_unit = Some(msg)
                    }
                    wangge_core::Error::Invalid { field, .. } if field == "scope_org" => {
                        errors.scope_org = Some(msg)
                    }
                    wangge_core::Error::Invalid { field, .. } if field == "username" => {
                        errors.username = Some(msg)
                    }
                    wangge_core::Error::Conflict { code, .. } if *code == "username_taken" => {
                        errors.username = Some(msg)
                    }
                    _ => errors.form = Some(msg),
                }
            }
            Err(StoreError::NotFound { .. }) => {
                errors.scope_org = Some(t.pick("没有这个组织", "no such organisation").to_string())
            }
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    f.password.clear();
    users_view(
        &s,
        t,
        session,
        f,
        errors,
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

async fn set_disabled(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path((name, action)): Path<(String, String)>,
    CheckedForm(_): CheckedForm<IgnoredAny>,
) -> Response {
    let ctx = session.ctx.clone();
    let done = match action.as_str() {
        "disable" | "enable" => {
            let disabled = action == "disable";
            s.store
                .db
                .write(move |c| accounts::set_disabled(c, &ctx, &name, disabled).map(|_| ()))
                .await
        }
        "reset-totp" => {
            s.store
                .db
                .write(move |c| accounts::totp::reset(c, &ctx, &name))
                .await
        }
        _ => return not_found_page(t),
    };
    match done {
        Ok(()) => see_other("/admin/users"),
        Err(StoreError::NotFound { .. }) => not_found_page(t),
        Err(StoreError::Domain(wangge_core::Error::Conflict { zh, en, .. })) => {
            let notice = Some(t.pick(&zh, &en).to_string());
            let form = UserForm {
                role: "community_cadre".into(),
                ..Default::default()
            };
            let errors = UserErrors::default();
            users_view(&s, t, session, form, errors, notice, StatusCode::CONFLICT).await
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

struct TokenRow {
    id: i64,
    name: String,
    last_used: Option<String>,
    expires: Option<String>,
    expired: bool,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    t: T,
    user: accounts::User,
    csrf: String,
    tokens: Vec<TokenRow>,
    issued: Option<String>,
    name: String,
    error: Option<String>,
}

async fn tokens_view(
    s: &AppState,
    t: T,
    session: PageSession,
    issued: Option<String>,
    name: String,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let ctx = session.ctx.clone();
    let me = session.user.username.clone();
    let list: Vec<TokenInfo> = match s
        .store
        .db
        .read(move |c| accounts::list_tokens(c, &ctx, Some(&me)))
        .await
    {
        Ok(l) => l,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let shown = |d: time::OffsetDateTime| {
        let d = d.to_offset(wangge_store::ctx::CST);
        format!("{} {:02}:{:02}", d.date(), d.hour(), d.minute())
    };
    let now = s.clock.now();
    let tokens = list
        .into_iter()
        .map(|k| TokenRow {
            id: k.id,
            name: k.name,
            last_used: k.last_used.map(shown),
            expires: k.expires_at.map(shown),
            expired: k.expires_at.is_some_and(|e| e <= now),
            revoked: k.revoked,
        })
        .collect();
    render(
        status,
        &TokensPage {
            t,
            user: session.user,
            csrf: session.csrf,
            tokens,
            issued,
            name,
            error,
        },
    )
}

async fn tokens_page(State(s): State<AppState>, t: T, session: PageSession) -> Response {
    tokens_view(&s, t, session, None, String::new(), None, StatusCode::OK).await
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    name: String,
}

async fn create_token(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    CheckedForm(f): CheckedForm<TokenForm>,
) -> Response {
    let ctx = session.ctx.clone();
    let (me, name) = (session.user.username.clone(), f.name.clone());
    let days = s.auth.token_days;
    match s
        .store
        .db
        .write(move |c| accounts::create_token(c, &ctx, &me, &name, days))
        .await
    {
        Ok((_, token)) => {
            tokens_view(
                &s,
                t,
                session,
                Some(token),
                String::new(),
                None,
                StatusCode::OK,
            )
            .await
        }
        Err(StoreError::Domain(wangge_core::Error::Invalid { zh, en, .. })) => {
            let msg = t.pick(&zh, &en).to_string();
            tokens_view(
                &s,
                t,
                session,
                None,
                f.name,
                Some(msg),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

async fn revoke_token(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path(id): Path<String>,
    CheckedForm(_): CheckedForm<IgnoredAny>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(t);
    };
    let ctx = session.ctx.clone();
    match s
        .store
        .db
        .write(move |c| accounts::revoke_token(c, &ctx, id))
        .await
    {
        Ok(()) => see_other("/account/tokens"),
        Err(StoreError::NotFound { .. }) => not_found_page(t),
        Err(e) => ApiError::from(e).into_response(),
    }
}
