//! The attachment directory: files named by the SHA-256 of their content, at
//! `DIR/ab/cd/abcd….sealed` (two levels of fan-out keep directories small). A
//! file never changes once written, so identical content is stored once and a
//! reference can never point at different bytes later.
//!
//! Every file is sealed (XChaCha20-Poly1305, with the key ring that protects
//! personal values, its hash bound as associated data): a photo shows a face or
//! a home, and an original keeps the camera's GPS position. Files are written
//! 0600 in directories of mode 0700. Files written before sealing began lie at
//! `DIR/ab/cd/abcd…` in clear; they are still read (checked by their hash) and
//! sealed by `wangge keys rotate`, or when the same content is uploaded again.

use crate::crypto::Keys;
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

fn is_sha(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Where the file in clear with this hash lives (files from before sealing).
/// The hash is checked to be 64 lowercase hex digits first: it comes from the
/// database, and must never be able to name a path outside the directory.
pub(crate) fn path_of(dir: &Path, sha: &str) -> Result<PathBuf> {
    if !is_sha(sha) {
        return Err(Error::Db(format!(
            "attachment storage: {sha:?} is not a SHA-256 hash"
        )));
    }
    Ok(dir.join(&sha[0..2]).join(&sha[2..4]).join(sha))
}

/// Where the sealed file with this hash lives.
pub(crate) fn sealed_path_of(dir: &Path, sha: &str) -> Result<PathBuf> {
    path_of(dir, sha).map(|p| p.with_extension("sealed"))
}

/// The associated data of a file: its hash, so that a sealed file renamed to
/// another hash does not open.
fn field(sha: &str) -> String {
    format!("attachments/{sha}")
}

/// Creates `dir` (and what is missing above it) with mode 0700, and narrows
/// it to 0700 when it exists wider (folders made before files were private).
fn private_dir(dir: &Path) -> Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
        .map_err(|e| io_error("cannot create", dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = fs::metadata(dir).map_err(|e| io_error("cannot read", dir, e))?;
        if meta.permissions().mode() & 0o077 != 0 {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
                .map_err(|e| io_error("cannot make private", dir, e))?;
        }
    }
    Ok(())
}

/// Stores `bytes`, sealed, and returns their hash. Content already present is
/// not written again. A new file is written under a temporary name in its final
/// directory, synced, renamed into place and the directory synced, so a crash
/// leaves either no file or the whole file under its hash, never a part.
pub(crate) fn put(dir: &Path, keys: &Keys, bytes: &[u8]) -> Result<String> {
    let sha = sha256_hex(bytes);
    let sealed = sealed_path_of(dir, &sha)?;
    match fs::File::open(&sealed) {
        Ok(mut f) => {
            // The same content is there already, sealed by a key of this
            // database's (an older one, until a rotation reaches it); any other
            // key means the folder is another database's.
            let mut head = [0u8; 9];
            std::io::Read::read_exact(&mut f, &mut head)
                .map_err(|e| io_error("cannot read", &sealed, e))?;
            if !keys.knows(&head) {
                return Err(Error::Db(format!(
                    "attachment storage: {} is sealed by a key this database's key file does not hold; \
                     is the attachments folder another database's?",
                    sealed.display()
                )));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => write_sealed(dir, keys, &sha, bytes)?,
        Err(e) => return Err(io_error("cannot read", &sealed, e)),
    }
    // The same content kept in clear from before: the sealed copy replaces it.
    let plain = path_of(dir, &sha)?;
    if plain.is_file() {
        fs::remove_file(&plain).map_err(|e| io_error("cannot remove", &plain, e))?;
    }
    Ok(sha)
}

/// Writes (or replaces) the sealed file of `sha`, sealed by the current key.
fn write_sealed(dir: &Path, keys: &Keys, sha: &str, bytes: &[u8]) -> Result<()> {
    let path = sealed_path_of(dir, sha)?;
    let parent = path.parent().unwrap_or(dir);
    for d in [dir, &dir.join(&sha[0..2]), parent] {
        private_dir(d)?;
    }
    let sealed = keys.seal_bytes(&field(sha), bytes)?;
    let mut nonce = [0u8; 8];
    getrandom::getrandom(&mut nonce)
        .map_err(|e| Error::Db(format!("attachment storage: no randomness: {e}")))?;
    let suffix: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
    let tmp = parent.join(format!(".{sha}.{suffix}.tmp"));
    let written = (|| {
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp)?;
        f.write_all(&sealed)?;
        f.sync_all()?;
        drop(f);
        // Two uploads of the same content may race here; both renames put
        // the same content under the same name, so either may win.
        fs::rename(&tmp, &path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io_error("cannot write", &path, e));
    }
    sync_dir(parent);
    Ok(())
}

/// Makes the rename durable. Not possible everywhere (Windows cannot open a
/// directory), and the file itself is already synced, so failure is ignored.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

fn damaged(path: &Path) -> Error {
    Error::Db(format!(
        "attachment storage: {} is damaged (its content no longer matches its hash)",
        path.display()
    ))
}

/// Reads the file with this hash and checks that it still has it: a damaged
/// or replaced file is reported, never served. The sealed file is read, or
/// else the file in clear from before sealing.
pub(crate) fn read(dir: &Path, keys: &Keys, sha: &str) -> Result<Vec<u8>> {
    let sealed = sealed_path_of(dir, sha)?;
    let (path, bytes) = match fs::read(&sealed) {
        Ok(b) => {
            let plain = keys.open_bytes(&field(sha), &b).map_err(|e| match e {
                // Sealed by a key the file lacks is the key file's fault;
                // anything else means the file changed.
                Error::Key(m) if !m.contains("not in the key file") => damaged(&sealed),
                other => other,
            })?;
            (sealed, plain)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let plain = path_of(dir, sha)?;
            let bytes = fs::read(&plain).map_err(|e| io_error("cannot read", &plain, e))?;
            (plain, bytes)
        }
        Err(e) => return Err(io_error("cannot read", &sealed, e)),
    };
    if sha256_hex(&bytes) != sha {
        return Err(damaged(&path));
    }
    Ok(bytes)
}

/// Every file of the directory: `(hash, sealed)`, temporary files left out.
fn each_file(dir: &Path, mut f: impl FnMut(&str, bool) -> Result<()>) -> Result<()> {
    let list = |d: &Path| -> Result<Vec<PathBuf>> {
        match fs::read_dir(d) {
            Ok(rd) => rd
                .map(|e| e.map(|e| e.path()))
                .collect::<std::io::Result<_>>()
                .map_err(|e| io_error("cannot list", d, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(io_error("cannot list", d, e)),
        }
    };
    for a in list(dir)?.iter().filter(|p| p.is_dir()) {
        for b in list(a)?.iter().filter(|p| p.is_dir()) {
            for file in list(b)? {
                let name = file
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                match name.strip_suffix(".sealed") {
                    Some(sha) if is_sha(sha) => f(sha, true)?,
                    None if is_sha(name) => f(name, false)?,
                    _ => {}
                }
            }
        }
    }
    Ok(())
}

/// Seals every file under the current key: files sealed by an older key
/// (after a rotation) and files kept in clear from before sealing. Returns how
/// many were written. Safe to run again after an interruption.
pub(crate) fn reseal_all(dir: &Path, keys: &Keys) -> Result<u64> {
    let mut n = 0;
    each_file(dir, |sha, sealed| {
        if sealed {
            let path = sealed_path_of(dir, sha)?;
            let stored = fs::read(&path).map_err(|e| io_error("cannot read", &path, e))?;
            if keys.is_current(&stored) {
                return Ok(());
            }
        }
        let bytes = read(dir, keys, sha)?;
        if sealed {
            write_sealed(dir, keys, sha, &bytes)?;
        } else {
            put(dir, keys, &bytes)?;
        }
        n += 1;
        Ok(())
    })?;
    Ok(n)
}

/// How many files are not sealed by the current key (0 after [`reseal_all`]).
pub(crate) fn stale(dir: &Path, keys: &Keys) -> Result<u64> {
    let mut n = 0;
    each_file(dir, |sha, sealed| {
        let current = sealed && {
            let path = sealed_path_of(dir, sha)?;
            keys.is_current(&fs::read(&path).map_err(|e| io_error("cannot read", &path, e))?)
        };
        if !current {
            n += 1;
        }
        Ok(())
    })?;
    Ok(n)
}
