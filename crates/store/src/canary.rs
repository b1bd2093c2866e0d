//! Key canaries: a known text sealed by each encryption key the database uses
//! (`key_canaries`). The key file's lookup secret is checked by its fingerprint,
//! but its encryption keys were not: a file with the right lookup secret and
//! another key started, sealed new records under a key the database had never
//! seen, and those records failed to open once the right file returned. Checking
//! the canaries at start refuses such a file before anything is sealed with it.

use crate::crypto::Keys;
use crate::db::Conn;
use crate::error::{Error, Result};
use crate::params;
use std::path::Path;

/// The setting naming the key a rotation is moving to (see `keys::rotate`).
pub(crate) const ROTATION_TARGET: &str = "rotation_target";

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

fn insert(c: &mut dyn Conn, key_id: &str, sealed: Vec<u8>) -> Result<()> {
    c.execute(
        "INSERT INTO key_canaries (key_id, sealed, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (key_id) DO NOTHING",
        params![key_id, sealed, now_ms()],
    )?;
    Ok(())
}

/// Writes the canary of key `key_id` of `keys` (a key just added to the file).
pub(crate) fn record(c: &mut dyn Conn, keys: &Keys, key_id: &str) -> Result<()> {
    match keys.seal_canary(key_id)? {
        Some(sealed) => insert(c, key_id, sealed),
        None => Err(Error::Key(format!("key {key_id} is not in the key file"))),
    }
}

/// Forgets the canaries of every key but `keep` (before older keys leave the
/// file, so that a stop between the two never leaves a canary without its key).
pub(crate) fn forget_all_but(c: &mut dyn Conn, keep: &str) -> Result<()> {
    c.execute("DELETE FROM key_canaries WHERE key_id <> $1", params![keep])?;
    Ok(())
}

/// Checks the key file's keys against the database's canaries, at start, in the
/// transaction that checked the fingerprint. A database without canaries (new,
/// or made before them) gets one for every key of the file, once one of its
/// sealed values shows that the file's keys are the ones it was sealed with.
pub(crate) fn check(c: &mut dyn Conn, keys: &Keys, path: &Path) -> Result<()> {
    let ids = keys.key_ids();
    let current = ids.first().cloned().unwrap_or_default();
    let file = path.display();
    let rows = c.query(
        "SELECT key_id, sealed FROM key_canaries ORDER BY key_id",
        &[],
    )?;
    if rows.is_empty() {
        check_sample(c, &ids, path)?;
        for id in &ids {
            record(c, keys, id)?;
        }
        return Ok(());
    }
    let mut canaries = Vec::with_capacity(rows.len());
    for r in &rows {
        canaries.push((r.get::<String>(0)?, r.get::<Vec<u8>>(1)?));
    }
    let known: Vec<&str> = canaries.iter().map(|(id, _)| id.as_str()).collect();
    // The current key first: it is the one new records would be sealed with.
    let unfinished = !known.contains(&current.as_str());
    if unfinished && rotation_target(c)?.as_deref() != Some(current.as_str()) {
        let known = known.join(", ");
        return Err(Error::Key(format!(
            "密钥文件 {file} 的当前加密密钥 {current} 不是本数据库的密钥(本数据库的密钥为 {known}),拒绝启动,以免用错误的密钥加密新数据;请换回正确的密钥文件 / \
             the current encryption key {current} in {file} is not one of this database's keys ({known}); \
             refusing to start so that nothing is sealed with a wrong key: put the right key file back"
        )));
    }
    for (id, sealed) in &canaries {
        if !ids.contains(id) {
            return Err(Error::Key(format!(
                "密钥文件 {file} 缺少本数据库使用的加密密钥 {id}(密钥文件不对,或旧密钥被删除了),拒绝启动;请换回正确的密钥文件 / \
                 the key file {file} lacks encryption key {id}, which this database uses (a wrong key file, or an older key removed from it); \
                 refusing to start: put the right key file back"
            )));
        }
        if !keys.canary_opens(sealed) {
            return Err(Error::Key(format!(
                "加密密钥 {id} 无法解开本数据库的校验值(密钥文件或数据库被改动过),拒绝启动 / \
                 encryption key {id} in {file} cannot open this database's check value (the key file or the database was changed); refusing to start"
            )));
        }
    }
    // A rotation that stopped after writing the new key into the file and
    // before its canary: the database named that key as the rotation's target
    // first, so it is this database's own.
    if unfinished {
        record(c, keys, &current)?;
    }
    Ok(())
}

fn rotation_target(c: &mut dyn Conn) -> Result<Option<String>> {
    c.query_opt(
        "SELECT value FROM settings WHERE name = $1",
        params![ROTATION_TARGET],
    )?
    .map(|r| r.get(0))
    .transpose()
}

/// Before the first canaries: a sealed value already in the database must
/// name one of the file's keys, or the file is not this database's.
fn check_sample(c: &mut dyn Conn, ids: &[String], path: &Path) -> Result<()> {
    let sample: Option<Vec<u8>> = c
        .query_opt("SELECT id_enc FROM people ORDER BY id LIMIT 1", &[])?
        .map(|r| r.get(0))
        .transpose()?;
    let Some(sealed) = sample else {
        return Ok(());
    };
    let Some(id) =
        Keys::sealed_by(&sealed).map(|b| b.iter().map(|x| format!("{x:02x}")).collect::<String>())
    else {
        return Ok(());
    };
    if ids.contains(&id) {
        return Ok(());
    }
    let file = path.display();
    Err(Error::Key(format!(
        "本数据库的个人信息由加密密钥 {id} 加密,但密钥文件 {file} 中没有该密钥,拒绝启动;请换回正确的密钥文件 / \
         this database's personal data is sealed by encryption key {id}, which the key file {file} lacks; \
         refusing to start: put the right key file back"
    )))
}
