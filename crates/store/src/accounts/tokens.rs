//! API tokens for machine clients: random 256-bit values shown once, stored as
//! SHA-256 hashes, with a last-used time and an expiry; revoked by hand, when
//! the account is disabled, and when its password is changed or reset.

use super::{from_row, get_user, new_token, token_hash, User, SELECT};
use crate::ctx::{ms_to_time, Ctx};
use crate::db::{Conn, Value};
use crate::error::{Error, Result};
use crate::{audit, params};
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;
use wangge_core::auth::Permission;
use wangge_core::people::check_text;
use wangge_core::Error as CoreError;

/// How long a token lives unless the deployment or the request says otherwise.
pub const DEFAULT_TOKEN_DAYS: i64 = 90;
/// The longest lifetime a token may be given.
pub const MAX_TOKEN_DAYS: i64 = 3660;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    pub id: i64,
    pub username: String,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used: Option<OffsetDateTime>,
    /// After this the token is refused (401 `token_expired`).
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<OffsetDateTime>,
    pub revoked: bool,
}

/// Checks a requested lifetime in days.
pub fn check_days(days: i64) -> Result<i64> {
    if (1..=MAX_TOKEN_DAYS).contains(&days) {
        Ok(days)
    } else {
        Err(CoreError::invalid(
            "expires_in_days",
            "token_lifetime",
            format!("令牌有效期应为1到{MAX_TOKEN_DAYS}天"),
            format!("a token lives from 1 to {MAX_TOKEN_DAYS} days"),
        )
        .into())
    }
}

/// Issues an API token for a user, valid for `days`; the token is returned
/// once and stored hashed.
pub fn create_token(
    c: &mut dyn Conn,
    ctx: &Ctx,
    username: &str,
    name: &str,
    days: i64,
) -> Result<(TokenInfo, String)> {
    let u = get_user(c, ctx, username)?;
    if ctx.actor != u.username {
        ctx.require(Permission::UsersManage)?;
    }
    let name = check_text("name", name, 60)?;
    let days = check_days(days)?;
    let token = new_token("wg_")?;
    let now = ctx.now_ms();
    let id: i64 = c
        .query_one(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            &[u.id.into(), name.as_str().into(), Value::Blob(token_hash(&token)), now.into(), (now + days * DAY_MS).into()],
        )?
        .get(0)?;
    audit::record(
        c,
        ctx,
        "api_token",
        id,
        "create",
        json!({"username": u.username, "days": days}),
    )?;
    let info = list_tokens(c, ctx, Some(username))?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| Error::not_found("token"))?;
    Ok((info, token))
}

pub fn list_tokens(c: &mut dyn Conn, ctx: &Ctx, username: Option<&str>) -> Result<Vec<TokenInfo>> {
    let sql =
        "SELECT t.id, us.username, t.name, t.created_at, t.last_used, t.revoked_at, t.expires_at
        FROM api_tokens t JOIN users us ON us.id = t.user_id";
    let rows = match username {
        Some(name) => {
            let u = get_user(c, ctx, name)?;
            if ctx.actor != u.username {
                ctx.require(Permission::UsersManage)?;
            }
            c.query(
                &format!("{sql} WHERE t.user_id = $1 ORDER BY t.id"),
                params![u.id],
            )?
        }
        None => {
            ctx.require(Permission::UsersManage)?;
            c.query(&format!("{sql} ORDER BY t.id LIMIT 10000"), &[])?
        }
    };
    rows.iter()
        .map(|r| {
            Ok(TokenInfo {
                id: r.get(0)?,
                username: r.get(1)?,
                name: r.get(2)?,
                created_at: ms_to_time(r.get(3)?),
                last_used: r.get::<Option<i64>>(4)?.map(ms_to_time),
                revoked: r.get::<Option<i64>>(5)?.is_some(),
                expires_at: r.get::<Option<i64>>(6)?.map(ms_to_time),
            })
        })
        .collect()
}

pub fn revoke_token(c: &mut dyn Conn, ctx: &Ctx, id: i64) -> Result<()> {
    let r = c
        .query_opt("SELECT us.username FROM api_tokens t JOIN users us ON us.id = t.user_id WHERE t.id = $1", params![id])?
        .ok_or_else(|| Error::not_found("token"))?;
    let owner: String = r.get(0)?;
    get_user(c, ctx, &owner)?;
    if ctx.actor != owner {
        ctx.require(Permission::UsersManage)?;
    }
    c.execute(
        "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        params![ctx.now_ms(), id],
    )?;
    audit::record(c, ctx, "api_token", id, "revoke", json!({}))?;
    Ok(())
}

/// Revokes every live token of a user; answers how many.
pub(super) fn revoke_all(c: &mut dyn Conn, user_id: i64, now_ms: i64) -> Result<u64> {
    c.execute(
        "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        params![now_ms, user_id],
    )
}

/// The user behind a bearer token, if it is live; and whether its last-used
/// time is stale enough to be worth a write. A token past its expiry is
/// [`Error::TokenExpired`], so that its holder is told why.
pub fn token_user(c: &mut dyn Conn, token: &str, now_ms: i64) -> Result<Option<(User, i64, bool)>> {
    let r = c.query_opt(
        "SELECT t.id, t.user_id, t.last_used, t.expires_at FROM api_tokens t WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
        &[Value::Blob(token_hash(token))],
    )?;
    let Some(r) = r else { return Ok(None) };
    let (tid, uid, last, expires): (i64, i64, Option<i64>, Option<i64>) =
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
    let user = c
        .query_opt(&format!("{SELECT} WHERE us.id = $1"), params![uid])?
        .map(|r| from_row(&r))
        .transpose()?
        .map(|(u, _)| u)
        .filter(|u| !u.disabled);
    if user.is_some() && expires.is_some_and(|e| now_ms >= e) {
        return Err(Error::TokenExpired);
    }
    Ok(user.map(|u| (u, tid, last.is_none_or(|l| now_ms - l > 60_000))))
}

pub fn touch_token(c: &mut dyn Conn, id: i64, now_ms: i64) -> Result<()> {
    c.execute(
        "UPDATE api_tokens SET last_used = $1 WHERE id = $2",
        params![now_ms, id],
    )?;
    Ok(())
}
