//! The attachment directory: files named by the SHA-256 of their content, at
//! `DIR/ab/cd/abcd…` (two levels of fan-out keep directories small). A file
//! never changes once written, so identical content is stored once and a
//! reference can never point at different bytes later.

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::Db(format!(
        "attachment storage: {what} {}: {e}",
        path.display()
    ))
}

/// Where the file with this hash lives. The hash is checked to be 64 lowercase
/// hex digits first: it comes from the database, and must never be able to
/// name a path outside the directory.
pub(crate) fn path_of(dir: &Path, sha: &str) -> Result<PathBuf> {
    let valid = sha.len() == 64 && sha.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !valid {
        return Err(Error::Db(format!(
            "attachment storage: {sha:?} is not a SHA-256 hash"
        )));
    }
    Ok(dir.join(&sha[0..2]).join(&sha[2..4]).join(sha))
}

/// Stores `bytes` and returns their hash. Content already present is not
/// written again. A new file is written under a temporary name in its final
/// directory, synced, renamed into place and the directory synced, so a crash
/// leaves either no file or the whole file under its hash, never a part.
pub(crate) fn put(dir: &Path, bytes: &[u8]) -> Result<String> {
    let sha = sha256_hex(bytes);
    let path = path_of(dir, &sha)?;
    if path.is_file() {
        return Ok(sha);
    }
    let parent = path.parent().unwrap_or(dir);
    fs::create_dir_all(parent).map_err(|e| io_error("cannot create", parent, e))?;
    let mut nonce = [0u8; 8];
    getrandom::getrandom(&mut nonce)
        .map_err(|e| Error::Db(format!("attachment storage: no randomness: {e}")))?;
    let suffix: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
    let tmp = parent.join(format!(".{sha}.{suffix}.tmp"));
    let written = (|| {
        let mut f = File::create_new(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        // Two uploads of the same content may race here; both renames put
        // identical bytes under the same name, so either may win.
        fs::rename(&tmp, &path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io_error("cannot write", &path, e));
    }
    sync_dir(parent);
    Ok(sha)
}

/// Makes the rename durable. Not possible everywhere (Windows cannot open a
/// directory), and the file itself is already synced, so failure is ignored.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Reads the file with this hash and checks that it still has it: a damaged
/// or replaced file is reported, never served.
pub(crate) fn read(dir: &Path, sha: &str) -> Result<Vec<u8>> {
    let path = path_of(dir, sha)?;
    let bytes = fs::read(&path).map_err(|e| io_error("cannot read", &path, e))?;
    if sha256_hex(&bytes) != sha {
        return Err(Error::Db(format!(
            "attachment storage: {} is damaged (its content no longer matches its hash)",
            path.display()
        )));
    }
    Ok(bytes)
}
