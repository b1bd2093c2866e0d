//! Accounts, sessions, API tokens and login throttling.
//!
//! Passwords are Argon2id hashes. Session ids and API tokens are random 256-bit
//! values given to the client once and stored only as SHA-256 hashes.

use crate::ctx::{ms_to_time, Ctx, Scope};
use crate::db::{Conn, Row, Value};
use crate::error::{Error, Result};
use crate::{audit, params, units};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use wangge_core::auth::{check_password, Permission, Role};
use wangge_core::people::check_text;
use wangge_core::Error as CoreError;

/// Hashes a password with Argon2id and a random salt. CPU-heavy: call it off the
/// async threads.
pub fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| Error::Db(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Db(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Db(format!("cannot hash password: {e}")))
}

/// Checks a password against a stored hash. A malformed hash never matches.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so that an unknown
/// user costs the same time as a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password that never matches").unwrap_or_default())
}

/// A new random token: 256 bits, URL-safe.
pub fn new_token(prefix: &str) -> Result<String> {
    let mut b = [0u8; 32];
    getrandom::getrandom(&mut b).map_err(|e| Error::Db(format!("no randomness: {e}")))?;
    Ok(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(b)))
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Code of the unit whose subtree the user works in; absent for the whole tree.
    pub scope_unit: Option<String>,
    /// The organisation the user works for (department handlers).
    pub scope_org: Option<i64>,
    pub disabled: bool,
    /// Two-factor login (TOTP) is on for this account.
    pub totp_enabled: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(skip)]
    pub scope_path: Option<String>,
}

const SELECT: &str = "SELECT us.id, us.username, us.display_name, us.role, u.code, us.scope_org_id,
    us.disabled, us.created_at, u.path, us.password_hash, us.totp_enabled_at
    FROM users us LEFT JOIN units u ON u.id = us.scope_unit_id";

fn from_row(r: &Row) -> Result<(User, String)> {
    Ok((
        User {
            id: r.get(0)?,
            username: r.get(1)?,
            display_name: r.get(2)?,
            role: Role::parse(&r.get::<String>(3)?)?,
            scope_unit: r.get(4)?,
            scope_org: r.get(5)?,
            disabled: r.get(6)?,
            totp_enabled: r.get::<Option<i64>>(10)?.is_some(),
            created_at: ms_to_time(r.get(7)?),
            scope_path: r.get(8)?,
        },
        r.get(9)?,
    ))
}

impl User {
    /// The store context for this user's work.
    pub fn ctx(&self, base: &Ctx, client_addr: Option<String>) -> Ctx {
        Ctx {
            actor: self.username.clone(),
            role: Some(self.role),
            scope: match &self.scope_path {
                Some(p) => Scope::Subtree(p.clone()),
                None => Scope::All,
            },
            org_id: self.scope_org,
            client_addr,
            now: base.now,
            keys: base.keys.clone(),
            user_id: Some(self.id),
        }
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    pub display_name: Option<String>,
    pub role: Role,
    /// Unit code of the user's scope; required for street, community and grid roles.
    pub scope_unit: Option<String>,
    /// Organisation id; required for department handlers.
    pub scope_org: Option<i64>,
}

fn check_username(name: &str) -> Result<String> {
    let n = name.trim();
    let ok = (2..=40).contains(&n.chars().count())
        && n.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(n.to_string())
    } else {
        Err(CoreError::invalid(
            "username",
            "username",
            "用户名应为2到40个字母、数字、汉字或 _ - .",
            "a user name has 2 to 40 letters, digits, CJK characters or _ - .",
        )
        .into())
    }
}

/// Creates an account with an already-hashed password.
pub fn create_user(c: &mut dyn Conn, ctx: &Ctx, new: NewUser, password_hash: &str) -> Result<User> {
    ctx.require(Permission::UsersManage)?;
    let username = check_username(&new.username)?;
    let display = match new.display_name.as_deref() {
        Some(d) => check_text("display_name", d, 50)?,
        None => username.clone(),
    };
    let unit = match &new.scope_unit {
        Some(code) => Some(units::resolve(c, ctx, "scope_unit", code)?),
        None => None,
    };
    if new.role.needs_unit_scope() && unit.is_none() {
        return Err(CoreError::invalid(
            "scope_unit",
            "required",
            format!("{}必须指定负责的单元范围", new.role.label_zh()),
            format!("a {} needs a unit scope", new.role.as_str()),
        )
        .into());
    }
    if new.role == Role::DeptHandler && new.scope_org.is_none() {
        return Err(CoreError::invalid(
            "scope_org",
            "required",
            "部门处置人员必须指定所属组织",
            "a dept_handler needs an organisation",
        )
        .into());
    }
    if let Some(o) = new.scope_org {
        crate::registry::get::<crate::organisations::Organisation>(c, ctx, o)?;
    }
    if unit.is_none()
        && new.role != Role::ZoneAdmin
        && new.role != Role::Auditor
        && ctx.scope != Scope::All
    {
        return Err(Error::Forbidden);
    }
    let now = ctx.now_ms();
    let id: i64 = c
        .query_one(
            "INSERT INTO users (username, display_name, role, scope_unit_id, scope_org_id, password_hash, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
            params![username.as_str(), display, new.role.as_str(), unit.as_ref().map(|u| u.id), new.scope_org, password_hash, now],
        )
        .map_err(|e| match e {
            Error::Unique(_) => CoreError::conflict(
                "username_taken",
                format!("用户名“{username}”已被使用"),
                format!("the user name '{username}' is taken"),
            )
            .into(),
            other => other,
        })?
        .get(0)?;
    audit::record(
        c,
        ctx,
        "user",
        id,
        "create",
        json!({"username": username, "role": new.role}),
    )?;
    get_user(c, ctx, &username)
}

/// A user by name, if the caller's scope covers the user's scope.
pub fn get_user(c: &mut dyn Conn, ctx: &Ctx, username: &str) -> Result<User> {
    let r = c
        .query_opt(
            &format!("{SELECT} WHERE us.username = $1"),
            params![username],
        )?
        .ok_or_else(|| Error::not_found("user"))?;
    let (u, _) = from_row(&r)?;
    let visible = match (&ctx.scope, &u.scope_path) {
        (Scope::All, _) => true,
        (Scope::Subtree(root), Some(p)) => p.starts_with(root.as_str()),
        (Scope::Subtree(_), None) => false,
    };
    if visible || ctx.actor == u.username {
        Ok(u)
    } else {
        Err(Error::not_found("user"))
    }
}

pub fn list_users(c: &mut dyn Conn, ctx: &Ctx) -> Result<Vec<User>> {
    ctx.require(Permission::UsersManage)?;
    let rows = c.query(&format!("{SELECT} ORDER BY us.username LIMIT 10000"), &[])?;
    Ok(rows
        .iter()
        .map(from_row)
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .map(|(u, _)| u)
        .filter(|u| match (&ctx.scope, &u.scope_path) {
            (Scope::All, _) => true,
            (Scope::Subtree(root), Some(p)) => p.starts_with(root.as_str()),
            (Scope::Subtree(_), None) => false,
        })
        .collect())
}

/// Disables or re-enables an account; disabling ends its sessions and tokens.
///
/// An account cannot disable itself, and the last active zone administrator
/// cannot be disabled by anyone: either would leave nobody who can manage the
/// accounts from the web, and disabling revokes tokens that re-enabling does
/// not bring back.
pub fn set_disabled(c: &mut dyn Conn, ctx: &Ctx, username: &str, disabled: bool) -> Result<User> {
    ctx.require(Permission::UsersManage)?;
    let u = get_user(c, ctx, username)?;
    if disabled && !u.disabled {
        if u.username == ctx.actor {
            return Err(CoreError::conflict(
                "cannot_disable_self",
                "不能停用自己的账号,请由另一位管理员操作",
                "you cannot disable your own account; ask another administrator",
            )
            .into());
        }
        if u.role == Role::ZoneAdmin {
            let others: i64 = c
                .query_one(
                    "SELECT COUNT(*) FROM users WHERE role = $1 AND disabled = 0 AND id <> $2",
                    params![Role::ZoneAdmin.as_str(), u.id],
                )?
                .get(0)?;
            if others == 0 {
                return Err(CoreError::conflict(
                    "last_zone_admin",
                    "这是最后一个启用的区级管理员账号,不能停用",
                    "this is the last active zone administrator; it cannot be disabled",
                )
                .into());
            }
        }
    }
    c.execute(
        "UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3",
        params![disabled, ctx.now_ms(), u.id],
    )?;
    if disabled {
        c.execute("DELETE FROM sessions WHERE user_id = $1", params![u.id])?;
        tokens::revoke_all(c, u.id, ctx.now_ms())?;
    }
    audit::record(
        c,
        ctx,
        "user",
        u.id,
        if disabled { "disable" } else { "enable" },
        json!({}),
    )?;
    get_user(c, ctx, username)
}

/// Sets a new password hash (reset by an administrator, or a change by the user
/// after checking the old one), ends every session of the account and revokes
/// its API tokens: whoever held the old password may have made one.
pub fn set_password(
    c: &mut dyn Conn,
    ctx: &Ctx,
    username: &str,
    password_hash: &str,
) -> Result<()> {
    let u = get_user(c, ctx, username)?;
    if ctx.actor != u.username {
        ctx.require(Permission::UsersManage)?;
    }
    c.execute(
        "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3",
        params![password_hash, ctx.now_ms(), u.id],
    )?;
    c.execute("DELETE FROM sessions WHERE user_id = $1", params![u.id])?;
    let revoked = tokens::revoke_all(c, u.id, ctx.now_ms())?;
    audit::record(
        c,
        ctx,
        "user",
        u.id,
        "password",
        json!({"tokens_revoked": revoked}),
    )?;
    Ok(())
}

/// Validates a new password for `username` (policy in core).
pub fn check_new_password(password: &str, username: &str) -> Result<()> {
    Ok(check_password(password, username)?)
}

/// The account and its password hash, for a login attempt. No scope: the caller
/// is not yet known.
pub fn for_login(c: &mut dyn Conn, username: &str) -> Result<Option<(User, String)>> {
    c.query_opt(
        &format!("{SELECT} WHERE us.username = $1"),
        params![username.trim()],
    )?
    .map(|r| from_row(&r))
    .transpose()
}

/// How long sessions live.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub idle_ms: i64,
    pub absolute_ms: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle_ms: 30 * 60 * 1000,
            absolute_ms: 12 * 60 * 60 * 1000,
        }
    }
}

/// A new session for a user who just logged in: a fresh id every time, so a
/// session id planted before login (fixation) is worthless.
pub fn create_session(c: &mut dyn Conn, ctx: &Ctx, user: &User) -> Result<(String, String)> {
    let token = new_token("")?;
    let csrf = new_token("")?;
    c.execute(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen, client_addr)
         VALUES ($1, $2, $3, $4, $4, $5)",
        &[
            Value::Blob(token_hash(&token)),
            user.id.into(),
            csrf.as_str().into(),
            ctx.now_ms().into(),
            ctx.client_addr.clone().into(),
        ],
    )?;
    audit::record(c, ctx, "user", user.id, "login", json!({}))?;
    Ok((token, csrf))
}

/// The live session's user and CSRF token, and whether its last-seen time is
/// stale enough to be worth a write.
pub fn session(
    c: &mut dyn Conn,
    token: &str,
    now_ms: i64,
    policy: SessionPolicy,
) -> Result<Option<(User, String, bool)>> {
    let r = c.query_opt(
        "SELECT s.user_id, s.csrf_token, s.created_at, s.last_seen FROM sessions s WHERE s.token_hash = $1",
        &[Value::Blob(token_hash(token))],
    )?;
    let Some(r) = r else { return Ok(None) };
    let (user_id, csrf, created, last): (i64, String, i64, i64) =
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
    if now_ms - last > policy.idle_ms || now_ms - created > policy.absolute_ms {
        return Ok(None);
    }
    let user = c
        .query_opt(&format!("{SELECT} WHERE us.id = $1"), params![user_id])?
        .map(|r| from_row(&r))
        .transpose()?
        .map(|(u, _)| u);
    Ok(user
        .filter(|u| !u.disabled)
        .map(|u| (u, csrf, now_ms - last > 60_000)))
}

/// Records activity on a session (at most about once a minute, see [`session`]).
pub fn touch_session(c: &mut dyn Conn, token: &str, now_ms: i64) -> Result<()> {
    c.execute(
        "UPDATE sessions SET last_seen = $1 WHERE token_hash = $2",
        &[now_ms.into(), Value::Blob(token_hash(token))],
    )?;
    Ok(())
}

pub fn end_session(c: &mut dyn Conn, ctx: &Ctx, token: &str) -> Result<()> {
    let n = c.execute(
        "DELETE FROM sessions WHERE token_hash = $1",
        &[Value::Blob(token_hash(token))],
    )?;
    if n > 0 {
        audit::record(c, ctx, "user", 0, "logout", json!({}))?;
    }
    Ok(())
}

/// The display names of these accounts, by user name, for showing who did
/// what (a case's timeline): a name no account has is left out. Names are
/// not secret among staff, so no permission is asked.
pub fn display_names(
    c: &mut dyn Conn,
    usernames: &[String],
) -> Result<std::collections::HashMap<String, String>> {
    let mut out = std::collections::HashMap::new();
    // In batches, under every backend's limit on parameters.
    for batch in usernames.chunks(200) {
        let marks: Vec<String> = (1..=batch.len()).map(|i| format!("${i}")).collect();
        let args: Vec<Value> = batch.iter().map(|u| u.clone().into()).collect();
        let rows = c.query(
            &format!(
                "SELECT username, display_name FROM users WHERE username IN ({})",
                marks.join(", ")
            ),
            &args,
        )?;
        for r in &rows {
            out.insert(r.get::<String>(0)?, r.get::<String>(1)?);
        }
    }
    Ok(out)
}

mod throttle;
mod tokens;
pub mod totp;
pub use throttle::{Reservation, Throttle};
pub use tokens::{
    check_days, create_token, list_tokens, revoke_token, token_user, touch_token, TokenInfo,
    DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS,
};
