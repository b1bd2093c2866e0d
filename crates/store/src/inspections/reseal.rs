//! Key rotation for the follow tokens the engine keeps (sealed) so that a
//! re-inspection can step a finding's case; `keys::rotate` calls this after
//! the registry and the cases.

use super::findings::F_TOKEN;
use crate::ctx::Ctx;
use crate::db::Conn;
use crate::error::Result;
use crate::params;
use wangge_core::auth::Permission;

/// Re-seals under the current key every kept token sealed by an older one and
/// returns how many. Findings are a few per inspected target, so one pass.
pub fn reseal(c: &mut dyn Conn, ctx: &Ctx) -> Result<i64> {
    ctx.require(Permission::UsersManage)?;
    let keys = ctx.keys();
    let mut resealed = 0;
    let rows = c.query(
        "SELECT id, case_token_enc FROM inspection_findings WHERE case_token_enc IS NOT NULL",
        &[],
    )?;
    for r in rows {
        let sealed: Vec<u8> = r.get(1)?;
        if keys.is_current(&sealed) {
            continue;
        }
        let plain = keys.open(F_TOKEN, &sealed)?;
        c.execute(
            "UPDATE inspection_findings SET case_token_enc = $1 WHERE id = $2",
            params![keys.seal(F_TOKEN, &plain)?, r.get::<i64>(0)?],
        )?;
        resealed += 1;
    }
    Ok(resealed)
}

/// The sealed columns this engine keeps, for `keys::stale_values`.
pub const SEALED_COLUMNS: &[(&str, &str)] = &[("inspection_findings", "case_token_enc")];
