//! Key rotation: a new current key in the key file, then every encrypted value
//! re-sealed under it in small committed batches. Readers carry on throughout
//! (old values open with the older keys still in the file). An interrupted
//! rotation resumes where it stopped when run again.

use crate::crypto;
use crate::db::{Conn, Value};
use crate::error::{Error, Result};
use crate::{params, Store, StoreOptions};

/// Every encrypted column, with the field name bound into its ciphertexts.
const COLUMNS: &[(&str, &str)] = &[
    ("id_enc", "people.id_number"),
    ("phone_enc", "people.phone"),
    ("address_enc", "people.address_detail"),
];

const TARGET: &str = crate::canary::ROTATION_TARGET;
const CURSOR: &str = "rotation_cursor";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub key_id: String,
    pub resumed: bool,
    pub rows_resealed: i64,
}

fn setting(c: &mut dyn Conn, name: &str) -> Result<Option<String>> {
    c.query_opt("SELECT value FROM settings WHERE name = $1", params![name])?
        .map(|r| r.get(0))
        .transpose()
}

fn set(c: &mut dyn Conn, name: &str, value: &str) -> Result<()> {
    c.execute(
        "INSERT INTO settings (name, value) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        params![name, value],
    )?;
    Ok(())
}

/// Rotates to a new key, or finishes a rotation that was interrupted.
/// `progress` is called after each batch with the last row id done.
pub async fn rotate(
    store: &Store,
    opts: &StoreOptions,
    batch: i64,
    progress: impl Fn(i64),
) -> Result<Rotation> {
    let path = opts.key_path();
    let target = store.db.read(|c| setting(c, TARGET)).await?;
    let resumed = target.as_deref() == Some(store.keys.current_key_id().as_str());
    let key_id = if resumed {
        store.keys.current_key_id()
    } else {
        // The database names the new key before the file holds it: a start
        // after a stop between the file and the canary below then knows the
        // file's new current key as this database's own (`canary::check`).
        let new = crypto::new_key()?;
        let id = new.id.clone();
        store
            .db
            .write(move |c| {
                set(c, TARGET, &id)?;
                set(c, CURSOR, "0")
            })
            .await?;
        crypto::add_key(&path, &new)?;
        store.keys.reload()?;
        new.id
    };
    let (keys, id) = (store.keys.clone(), key_id.clone());
    store
        .db
        .write(move |c| crate::canary::record(c, &keys, &id))
        .await?;
    let mut total = 0;
    loop {
        let keys = store.keys.clone();
        let (done, last, resealed) = store
            .db
            .write(move |c| {
                let after: i64 = setting(c, CURSOR)?
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                let cols: Vec<&str> = COLUMNS.iter().map(|(c, _)| *c).collect();
                let rows = c.query(
                    &format!(
                        "SELECT id, {} FROM people WHERE id > $1 ORDER BY id LIMIT $2",
                        cols.join(", ")
                    ),
                    params![after, batch.max(1)],
                )?;
                let mut last = after;
                let mut resealed = 0;
                for r in &rows {
                    let id: i64 = r.get(0)?;
                    last = id;
                    let mut sets = Vec::new();
                    let mut args: Vec<Value> = Vec::new();
                    for (i, (col, field)) in COLUMNS.iter().enumerate() {
                        let Some(sealed) = r.get::<Option<Vec<u8>>>(i + 1)? else {
                            continue;
                        };
                        if keys.is_current(&sealed) {
                            continue;
                        }
                        let plain = keys.open(field, &sealed)?;
                        args.push(keys.seal(field, &plain)?.into());
                        sets.push(format!("{col} = ${}", args.len()));
                    }
                    if !sets.is_empty() {
                        args.push(id.into());
                        c.execute(
                            &format!(
                                "UPDATE people SET {} WHERE id = ${}",
                                sets.join(", "),
                                args.len()
                            ),
                            &args,
                        )?;
                        resealed += 1;
                    }
                }
                set(c, CURSOR, &last.to_string())?;
                Ok((rows.is_empty(), last, resealed))
            })
            .await?;
        total += resealed;
        if done {
            break;
        }
        progress(last);
    }
    // Reporters' names and contacts on cases (and the answers kept for retries).
    let mut after = 0i64;
    loop {
        let ctx = store.ctx("keys", crate::Scope::All, time::OffsetDateTime::now_utc());
        let (last, n) = store
            .db
            .write(move |c| crate::cases::reseal(c, &ctx, after, batch.max(1)))
            .await?;
        total += n;
        match last {
            Some(l) => {
                after = l;
                progress(l);
            }
            None => break,
        }
    }
    // The follow tokens the inspection engine keeps for its findings' cases.
    let ctx = store.ctx("keys", crate::Scope::All, time::OffsetDateTime::now_utc());
    total += store
        .db
        .write(move |c| crate::inspections::reseal(c, &ctx))
        .await?;
    // The second-factor secrets of accounts.
    let ctx = store.ctx("keys", crate::Scope::All, time::OffsetDateTime::now_utc());
    total += store
        .db
        .write(move |c| crate::accounts::totp::reseal(c, &ctx))
        .await?;
    store
        .db
        .write(|c| {
            c.execute(
                "DELETE FROM settings WHERE name IN ($1, $2)",
                params![TARGET, CURSOR],
            )?;
            Ok(())
        })
        .await?;
    Ok(Rotation {
        key_id,
        resumed,
        rows_resealed: total,
    })
}

/// Removes every key but the current one from the key file, after a finished
/// rotation (the caller has checked that no value or file needs them). Their
/// canaries go first: a stop between the two leaves keys without canaries,
/// which is harmless, never a canary whose key is gone, which stops the start.
pub async fn drop_old_keys(store: &Store, opts: &StoreOptions) -> Result<usize> {
    let current = store.keys.current_key_id();
    store
        .db
        .write(move |c| crate::canary::forget_all_but(c, &current))
        .await?;
    let n = crypto::drop_old_keys(&opts.key_path())?;
    store.keys.reload()?;
    Ok(n)
}

/// Counts values not yet sealed by the current key (0 after a finished rotation).
pub async fn stale_values(store: &Store) -> Result<i64> {
    let keys = store.keys.clone();
    store
        .db
        .read(move |c| {
            let mut stale = 0;
            let mut after = 0i64;
            loop {
                let rows = c.query(
                    "SELECT id, id_enc, phone_enc, address_enc FROM people WHERE id > $1 ORDER BY id LIMIT 5000",
                    params![after],
                )?;
                if rows.is_empty() {
                    break;
                }
                for r in &rows {
                    after = r.get(0)?;
                    for i in 1..=3 {
                        if let Some(b) = r.get::<Option<Vec<u8>>>(i)? {
                            if !keys.is_current(&b) {
                                stale += 1;
                            }
                        }
                    }
                }
            }
            let cases = crate::cases::ENCRYPTED_COLUMNS.iter().map(|(col, _)| ("cases", *col));
            let others = crate::inspections::SEALED_COLUMNS
                .iter()
                .chain(crate::accounts::totp::SEALED_COLUMNS);
            for (table, col) in cases.chain(others.copied()) {
                let sql = format!("SELECT {col} FROM {table} WHERE {col} IS NOT NULL");
                for r in c.query(&sql, &[])? {
                    if !keys.is_current(&r.get::<Vec<u8>>(0)?) {
                        stale += 1;
                    }
                }
            }
            Ok(stale)
        })
        .await
        .map_err(|e| match e {
            Error::Db(m) => Error::Db(format!("cannot count stale values: {m}")),
            other => other,
        })
}
