//! Key rotation for the case engine's encrypted values: the reporter's name
//! and contact, and the answers kept (sealed) for Idempotency-Key replays. `keys::rotate` re-seals the registry; this does the same for
//! cases, in batches the caller commits one by one, so it can run beside it.

use crate::ctx::Ctx;
use crate::db::{Conn, Value};
use crate::error::Result;
use crate::params;
use wangge_core::auth::Permission;

/// The encrypted columns of `cases`, with the field name bound into each
/// ciphertext.
pub const ENCRYPTED_COLUMNS: &[(&str, &str)] = &[
    ("reporter_name_enc", super::view::F_NAME),
    ("reporter_contact_enc", super::view::F_CONTACT),
];

/// Re-seals under the current key the values of up to `batch` cases with ids
/// after `after_id`. Returns the last id looked at (`None` once there are no
/// more cases) and the number of values re-sealed. On the first call
/// (`after_id == 0`) the sealed answers kept for Idempotency-Key replays are
/// re-sealed too.
/// For the system or the zone administrator.
pub fn reseal(
    c: &mut dyn Conn,
    ctx: &Ctx,
    after_id: i64,
    batch: i64,
) -> Result<(Option<i64>, i64)> {
    ctx.require(Permission::UsersManage)?;
    let keys = ctx.keys();
    let mut resealed = 0;
    if after_id == 0 {
        let rows = c.query(
            "SELECT principal, key, secret_enc FROM idempotency_keys WHERE secret_enc IS NOT NULL",
            &[],
        )?;
        for r in rows {
            let sealed: Vec<u8> = r.get(2)?;
            if keys.is_current(&sealed) {
                continue;
            }
            let plain = keys.open(super::intake::F_ANSWER, &sealed)?;
            c.execute(
                "UPDATE idempotency_keys SET secret_enc = $1 WHERE principal = $2 AND key = $3",
                params![
                    keys.seal(super::intake::F_ANSWER, &plain)?,
                    r.get::<String>(0)?,
                    r.get::<String>(1)?
                ],
            )?;
            resealed += 1;
        }
    }
    let cols: Vec<&str> = ENCRYPTED_COLUMNS.iter().map(|(c, _)| *c).collect();
    let rows = c.query(
        &format!(
            "SELECT id, {} FROM cases WHERE id > $1 ORDER BY id LIMIT $2",
            cols.join(", ")
        ),
        params![after_id, batch.max(1)],
    )?;
    let mut last = None;
    for r in &rows {
        let id: i64 = r.get(0)?;
        last = Some(id);
        let mut sets = Vec::new();
        let mut args: Vec<Value> = Vec::new();
        for (i, (col, field)) in ENCRYPTED_COLUMNS.iter().enumerate() {
            let Some(sealed) = r.get::<Option<Vec<u8>>>(i + 1)? else {
                continue;
            };
            if keys.is_current(&sealed) {
                continue;
            }
            let plain = keys.open(field, &sealed)?;
            args.push(keys.seal(field, &plain)?.into());
            sets.push(format!("{col} = ${}", args.len()));
            resealed += 1;
        }
        if !sets.is_empty() {
            args.push(id.into());
            c.execute(
                &format!(
                    "UPDATE cases SET {} WHERE id = ${}",
                    sets.join(", "),
                    args.len()
                ),
                &args,
            )?;
        }
    }
    Ok((last, resealed))
}
