//! Two-factor login with time-based one-time codes (RFC 6238, by `totp-rs`):
//! six digits, 30-second steps, the step before and after accepted for clock
//! drift, and no step accepted twice.
//!
//! The secret is sealed with the data key like other personal-security data
//! and counts only once the user has confirmed it with a code from their app.
//! Confirming gives ten recovery codes, shown once and stored as SHA-256
//! hashes (each is 80 random bits, so a plain hash cannot be searched), each
//! good for one login. Another administrator can reset a user's second factor;
//! nobody resets their own that way.

use super::get_user;
use crate::ctx::Ctx;
use crate::db::{Conn, Value};
use crate::error::{Error, Result};
use crate::{audit, params};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use totp_rs::{Builder, Secret, Totp};
use wangge_core::auth::Permission;
use wangge_core::Error as CoreError;

/// The field name bound into the sealed secret.
const F_SECRET: &str = "users.totp_secret";
/// How many recovery codes an enrolment gives.
pub const RECOVERY_CODES: usize = 10;
/// The name authenticator apps show beside the account.
const ISSUER: &str = "Wangge";
/// The sealed column, for key rotation.
pub const SEALED_COLUMNS: &[(&str, &str)] = &[("users", "totp_secret_enc")];

/// What a user needs to add the account to an authenticator app.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Enrolment {
    /// The secret in base32, for typing in by hand.
    pub secret: String,
    /// `otpauth://totp/…`, for a QR code or a link.
    pub otpauth_uri: String,
}

/// The second factor offered at login.
#[derive(Debug, Clone, Copy)]
pub enum SecondFactor<'a> {
    /// Six digits from the authenticator app.
    Code(&'a str),
    /// One of the recovery codes.
    Recovery(&'a str),
}

fn totp(secret_b32: &str, account: &str) -> Result<Totp> {
    let secret = Secret::try_from_base32(secret_b32)
        .map_err(|e| Error::Db(format!("the stored TOTP secret is not base32: {e}")))?;
    Builder::new()
        .with_secret(secret)
        .with_account_name(account.replace(':', "_"))
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| Error::Db(format!("cannot set up TOTP: {e}")))
}

/// The six-digit code of `secret_b32` at a Unix time in seconds (what an
/// authenticator app shows then); for tests and tools.
pub fn code_at(secret_b32: &str, unix_s: i64) -> Result<String> {
    Ok(totp(secret_b32, "-")?
        .generate(u64::try_from(unix_s).unwrap_or(0))
        .to_string())
}

/// The time step a code is valid in (±1 step around now), if any.
fn matching_step(secret_b32: &str, code: &str, now_ms: i64) -> Result<Option<i64>> {
    let code = code.trim();
    if !is_six_digits(code) {
        return Ok(None);
    }
    let now_s = u64::try_from(now_ms / 1000).unwrap_or(0);
    Ok(totp(secret_b32, "-")?
        .check(code, now_s)
        .and_then(|step| i64::try_from(step).ok()))
}

fn is_six_digits(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

fn code_wrong() -> Error {
    CoreError::invalid(
        "code",
        "totp_code_wrong",
        "验证码不正确或已过期,请输入验证器App中当前显示的6位数字",
        "the code is wrong or has expired; enter the 6 digits the authenticator app shows now",
    )
    .into()
}

fn already_enabled() -> Error {
    CoreError::conflict(
        "totp_already_enabled",
        "该账号已启用两步验证;如需更换,请另一位管理员重置",
        "two-factor login is already on for this account; to change it, ask another administrator to reset it",
    )
    .into()
}

/// The caller's own account: (id, username, sealed secret, enabled).
fn own(c: &mut dyn Conn, ctx: &Ctx) -> Result<(i64, String, Option<Vec<u8>>, bool)> {
    let id = ctx.user_id.ok_or(Error::Unauthenticated)?;
    let r = c
        .query_opt(
            "SELECT username, totp_secret_enc, totp_enabled_at FROM users WHERE id = $1",
            params![id],
        )?
        .ok_or(Error::Unauthenticated)?;
    Ok((id, r.get(0)?, r.get(1)?, r.get::<Option<i64>>(2)?.is_some()))
}

/// Starts (or starts again) an enrolment of the caller: a new secret, kept
/// sealed and not yet in force until [`confirm`].
pub fn begin(c: &mut dyn Conn, ctx: &Ctx) -> Result<Enrolment> {
    let (id, username, _, enabled) = own(c, ctx)?;
    if enabled {
        return Err(already_enabled());
    }
    let mut raw = [0u8; 20];
    getrandom::getrandom(&mut raw).map_err(|e| Error::Db(format!("no randomness: {e}")))?;
    let t = Builder::new()
        .with_secret(Secret::new_stack(raw))
        .with_account_name(username.replace(':', "_"))
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| Error::Db(format!("cannot set up TOTP: {e}")))?;
    let secret = t.secret().to_base32();
    let uri = t
        .to_url()
        .map_err(|e| Error::Db(format!("cannot write the otpauth URI: {e}")))?;
    let sealed = ctx.keys().seal(F_SECRET, &secret)?;
    c.execute(
        "UPDATE users SET totp_secret_enc = $1, totp_enabled_at = NULL, totp_last_step = NULL,
            updated_at = $2 WHERE id = $3",
        params![sealed, ctx.now_ms(), id],
    )?;
    audit::record(c, ctx, "user", id, "totp_begin", json!({}))?;
    Ok(Enrolment {
        secret,
        otpauth_uri: uri,
    })
}

/// The caller's enrolment begun and not yet confirmed, if any (to show the
/// secret again after a mistyped code).
pub fn pending(c: &mut dyn Conn, ctx: &Ctx) -> Result<Option<Enrolment>> {
    let (_, username, sealed, enabled) = own(c, ctx)?;
    let Some(sealed) = sealed.filter(|_| !enabled) else {
        return Ok(None);
    };
    let secret = ctx.keys().open(F_SECRET, &sealed)?;
    let otpauth_uri = totp(&secret, &username)?
        .to_url()
        .map_err(|e| Error::Db(format!("cannot write the otpauth URI: {e}")))?;
    Ok(Some(Enrolment {
        secret,
        otpauth_uri,
    }))
}

/// Puts the caller's pending secret in force once they show a code from it,
/// and answers their recovery codes (shown only now). The confirming code's
/// step counts as used, so it cannot log in a second time.
pub fn confirm(c: &mut dyn Conn, ctx: &Ctx, code: &str) -> Result<Vec<String>> {
    if !is_six_digits(code.trim()) {
        return Err(code_wrong());
    }
    let (id, _, sealed, enabled) = own(c, ctx)?;
    if enabled {
        return Err(already_enabled());
    }
    let Some(sealed) = sealed else {
        return Err(CoreError::conflict(
            "totp_not_started",
            "请先开始设置两步验证,再输入验证码",
            "start setting up two-factor login first, then enter a code",
        )
        .into());
    };
    let secret = ctx.keys().open(F_SECRET, &sealed)?;
    let step = matching_step(&secret, code, ctx.now_ms())?.ok_or_else(code_wrong)?;
    let codes = new_recovery_codes(c, id)?;
    c.execute(
        "UPDATE users SET totp_enabled_at = $1, totp_last_step = $2, updated_at = $1 WHERE id = $3",
        params![ctx.now_ms(), step, id],
    )?;
    audit::record(c, ctx, "user", id, "totp_enable", json!({}))?;
    Ok(codes)
}

/// Replaces a user's recovery codes with new ones and answers them.
fn new_recovery_codes(c: &mut dyn Conn, user_id: i64) -> Result<Vec<String>> {
    c.execute(
        "DELETE FROM totp_recovery_codes WHERE user_id = $1",
        params![user_id],
    )?;
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let code = recovery_code()?;
        c.execute(
            "INSERT INTO totp_recovery_codes (user_id, code_hash) VALUES ($1, $2)",
            &[user_id.into(), Value::Blob(recovery_hash(&code))],
        )?;
        codes.push(code);
    }
    Ok(codes)
}

/// 80 random bits as 16 characters of Crockford-like base32 in groups of four
/// (no 0/O or 1/I to confuse), e.g. `K7QM-3WZD-PX2H-9RTC`.
fn recovery_code() -> Result<String> {
    const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut raw = [0u8; 10];
    getrandom::getrandom(&mut raw).map_err(|e| Error::Db(format!("no randomness: {e}")))?;
    let bits = raw.iter().fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
    let chars: Vec<char> = (0..16)
        .map(|i| char::from(ALPHABET[((bits >> (5 * (15 - i))) & 31) as usize]))
        .collect();
    Ok(chars
        .chunks(4)
        .map(|g| g.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

/// The hash a recovery code is stored as; dashes, spaces and case do not matter.
fn recovery_hash(code: &str) -> Vec<u8> {
    let norm: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    Sha256::digest(format!("wangge-recovery:{norm}").as_bytes()).to_vec()
}

/// Checks the second factor of a login whose password was right, and uses it
/// up: a code's step is recorded (a step at or before the last one used is
/// refused, so a code seen over someone's shoulder cannot be replayed) and a
/// recovery code is marked used. Each is one conditional update, so two
/// logins racing with the same code cannot both pass.
pub fn check_login(
    c: &mut dyn Conn,
    ctx: &Ctx,
    user_id: i64,
    second: SecondFactor,
) -> Result<bool> {
    match second {
        SecondFactor::Code(code) => {
            let r = c.query_opt(
                "SELECT totp_secret_enc FROM users WHERE id = $1 AND totp_enabled_at IS NOT NULL",
                params![user_id],
            )?;
            let Some(sealed) = r
                .map(|r| r.get::<Option<Vec<u8>>>(0))
                .transpose()?
                .flatten()
            else {
                return Ok(false);
            };
            let secret = ctx.keys().open(F_SECRET, &sealed)?;
            let Some(step) = matching_step(&secret, code, ctx.now_ms())? else {
                return Ok(false);
            };
            let n = c.execute(
                "UPDATE users SET totp_last_step = $1
                 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
                params![step, user_id],
            )?;
            Ok(n == 1)
        }
        SecondFactor::Recovery(code) => {
            let n = c.execute(
                "UPDATE totp_recovery_codes SET used_at = $1
                 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
                &[
                    ctx.now_ms().into(),
                    user_id.into(),
                    Value::Blob(recovery_hash(code)),
                ],
            )?;
            Ok(n == 1)
        }
    }
}

/// How many unused recovery codes a user has left.
pub fn recovery_codes_left(c: &mut dyn Conn, user_id: i64) -> Result<i64> {
    c.query_one(
        "SELECT COUNT(*) FROM totp_recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        params![user_id],
    )?
    .get(0)
}

/// Turns off another user's second factor (lost phone, used-up recovery
/// codes) and ends their sessions; they enrol again at their next login.
/// Audited. Nobody resets their own: that would let a stolen password alone
/// remove the second factor.
pub fn reset(c: &mut dyn Conn, ctx: &Ctx, username: &str) -> Result<()> {
    ctx.require(Permission::UsersManage)?;
    let u = get_user(c, ctx, username)?;
    if u.username == ctx.actor || ctx.user_id == Some(u.id) {
        return Err(CoreError::conflict(
            "cannot_reset_own_totp",
            "不能重置自己的两步验证;请使用恢复码登录,或请另一位管理员重置",
            "you cannot reset your own two-factor login; log in with a recovery code, or ask another administrator",
        )
        .into());
    }
    let was_on = u.totp_enabled;
    c.execute(
        "UPDATE users SET totp_secret_enc = NULL, totp_enabled_at = NULL, totp_last_step = NULL,
            updated_at = $1 WHERE id = $2",
        params![ctx.now_ms(), u.id],
    )?;
    c.execute(
        "DELETE FROM totp_recovery_codes WHERE user_id = $1",
        params![u.id],
    )?;
    let sessions = c.execute("DELETE FROM sessions WHERE user_id = $1", params![u.id])?;
    audit::record(
        c,
        ctx,
        "user",
        u.id,
        "totp_reset",
        json!({"username": u.username, "was_enabled": was_on, "sessions_ended": sessions}),
    )?;
    Ok(())
}

/// Re-seals every TOTP secret not under the current key (key rotation).
pub fn reseal(c: &mut dyn Conn, ctx: &Ctx) -> Result<i64> {
    let keys = ctx.keys();
    let rows = c.query(
        "SELECT id, totp_secret_enc FROM users WHERE totp_secret_enc IS NOT NULL",
        &[],
    )?;
    let mut resealed = 0;
    for r in rows {
        let sealed: Vec<u8> = r.get(1)?;
        if keys.is_current(&sealed) {
            continue;
        }
        let plain = keys.open(F_SECRET, &sealed)?;
        c.execute(
            "UPDATE users SET totp_secret_enc = $1 WHERE id = $2",
            params![keys.seal(F_SECRET, &plain)?, r.get::<i64>(0)?],
        )?;
        resealed += 1;
    }
    Ok(resealed)
}

#[cfg(test)]
mod tests {
    #[test]
    fn recovery_codes_are_16_unambiguous_characters_in_groups() {
        let code = super::recovery_code().unwrap_or_default();
        assert_eq!(code.len(), 19, "{code}");
        assert_eq!(code.matches('-').count(), 3, "{code}");
        assert!(!code.contains(['0', 'O', '1', 'I']), "{code}");
        assert_eq!(
            super::recovery_hash(&code),
            super::recovery_hash(&code.to_lowercase().replace('-', " "))
        );
    }

    #[test]
    fn a_code_matches_its_step_and_the_neighbours_only() {
        let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        let t = 1_800_000_000i64;
        let code = super::code_at(secret, t).unwrap_or_default();
        let step = t / 30;
        let at = |s: i64| super::matching_step(secret, &code, s * 1000).ok().flatten();
        assert_eq!(at(t), Some(step));
        assert_eq!(at(t + 30), Some(step));
        assert_eq!(at(t - 30), Some(step));
        assert_eq!(at(t + 90), None);
        assert_eq!(
            super::matching_step(secret, "12345", t * 1000)
                .ok()
                .flatten(),
            None
        );
    }
}
