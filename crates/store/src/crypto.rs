//! Encryption of personal data at rest (XChaCha20-Poly1305) and keyed lookup
//! hashes (HMAC-SHA256), from secrets kept in a key file.
//!
//! The key file holds one lookup secret, which never changes (the lookup hashes
//! in the database depend on it and it identifies the database), and a ring of
//! encryption keys: the first is current, the others are kept so that values
//! sealed before a rotation can still be opened. Every sealed value names the key
//! that sealed it, and a value sealed by a key this process has not seen makes it
//! re-read the key file, so running servers keep working through a rotation.

use crate::error::{Error, Result};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

type HmacSha256 = Hmac<Sha256>;

const VERSION: u8 = 1;
const KEY_ID_LEN: usize = 8;
const NONCE_LEN: usize = 24;
const HEADER_LEN: usize = 1 + KEY_ID_LEN + NONCE_LEN;
/// How often `seal` looks whether the key file changed (a rotation elsewhere).
const RECHECK: Duration = Duration::from_secs(5);

type Secret = [u8; 32];

fn derive(secret: &Secret, label: &str) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Option<Secret> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

struct Key {
    id: [u8; KEY_ID_LEN],
    cipher: XChaCha20Poly1305,
}

impl Key {
    fn new(secret: &Secret) -> Key {
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&derive(secret, "wangge/v1/key-id")[..KEY_ID_LEN]);
        Key {
            id,
            cipher: XChaCha20Poly1305::new(&derive(secret, "wangge/v1/encrypt").into()),
        }
    }
}

/// The secrets of a key file.
#[derive(Clone)]
struct FileSecrets {
    lookup: Secret,
    /// Current key first.
    keys: Vec<Secret>,
}

impl FileSecrets {
    /// Reads either the one-line form (one secret for everything) or the
    /// `lookup HEX` / `key HEX` lines form.
    fn parse(text: &str) -> Option<FileSecrets> {
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        if let [single] = lines.as_slice() {
            if let Some(s) = unhex(single) {
                return Some(FileSecrets {
                    lookup: s,
                    keys: vec![s],
                });
            }
        }
        let mut lookup = None;
        let mut keys = Vec::new();
        for l in lines {
            match l.split_once(' ') {
                Some(("lookup", h)) => lookup = Some(unhex(h.trim())?),
                Some(("key", h)) => keys.push(unhex(h.trim())?),
                _ => return None,
            }
        }
        (!keys.is_empty()).then_some(FileSecrets {
            lookup: lookup?,
            keys,
        })
    }

    fn render(&self) -> String {
        let mut out = String::from(
            "# Wangge key file: keep it secret, and back it up apart from the database.\n\
             # lookup: never changes. key: the first is current; older ones open older values.\n",
        );
        out.push_str(&format!("lookup {}\n", hex(&self.lookup)));
        for k in &self.keys {
            out.push_str(&format!("key {}\n", hex(k)));
        }
        out
    }
}

struct Ring {
    keys: Vec<Key>,
    mtime: Option<SystemTime>,
}

/// The keys of one database. `Debug` never prints them.
pub struct Keys {
    path: Option<PathBuf>,
    lookup: [u8; 32],
    fingerprint: String,
    ring: RwLock<Ring>,
    checked: Mutex<Instant>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keys({})", self.fingerprint)
    }
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl Keys {
    fn from_secrets(s: &FileSecrets, path: Option<PathBuf>) -> Keys {
        let fp = derive(&s.lookup, "wangge/v1/fingerprint");
        Keys {
            lookup: derive(&s.lookup, "wangge/v1/lookup"),
            fingerprint: hex(&fp[..8]),
            ring: RwLock::new(Ring {
                keys: s.keys.iter().map(Key::new).collect(),
                mtime: path.as_deref().and_then(mtime),
            }),
            path,
            checked: Mutex::new(Instant::now()),
        }
    }

    /// Keys from one secret, without a file (tests).
    pub fn from_secret(secret: &[u8; 32]) -> Keys {
        Keys::from_secrets(
            &FileSecrets {
                lookup: *secret,
                keys: vec![*secret],
            },
            None,
        )
    }

    /// Identifies the database's lookup secret; stored in the database so that a
    /// wrong key file is recognised before anything is decrypted with it.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The id of the current encryption key, in hexadecimal.
    pub fn current_key_id(&self) -> String {
        self.ring
            .read()
            .map(|r| r.keys.first().map(|k| hex(&k.id)).unwrap_or_default())
            .unwrap_or_default()
    }

    /// Reads the key file, or creates it (mode 0600) when `create` is allowed.
    /// A key file that others may read is refused: whoever reads it reads
    /// every personal value in the database and its backups.
    pub fn load_or_create(path: &Path, create: bool) -> Result<Keys> {
        check_private(path)?;
        match read_file(path) {
            Ok(s) => Ok(Keys::from_secrets(&s, Some(path.to_path_buf()))),
            Err(Error::Key(_)) if create && !path.exists() => {
                let s = FileSecrets {
                    lookup: random_secret()?,
                    keys: vec![random_secret()?],
                };
                write_file(path, &s, true)?;
                Ok(Keys::from_secrets(&s, Some(path.to_path_buf())))
            }
            Err(e) => Err(e),
        }
    }

    /// Re-reads the key file (after a rotation, here or by another process).
    pub fn reload(&self) -> Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let s = read_file(path)?;
        let fp = derive(&s.lookup, "wangge/v1/fingerprint");
        if hex(&fp[..8]) != self.fingerprint {
            return Err(Error::Key(format!(
                "{} now holds the key of another database; keeping the keys already loaded",
                path.display()
            )));
        }
        let mut ring = self
            .ring
            .write()
            .map_err(|_| Error::Key("key ring poisoned".into()))?;
        ring.keys = s.keys.iter().map(Key::new).collect();
        ring.mtime = mtime(path);
        Ok(())
    }

    /// Reloads when the file changed, looking at most once per `RECHECK`.
    fn maybe_reload(&self) {
        let Some(path) = &self.path else { return };
        let due = match self.checked.lock() {
            Ok(mut t) if t.elapsed() >= RECHECK => {
                *t = Instant::now();
                true
            }
            _ => false,
        };
        if due {
            let changed = self
                .ring
                .read()
                .map(|r| r.mtime != mtime(path))
                .unwrap_or(false);
            if changed {
                if let Err(e) = self.reload() {
                    tracing::warn!(error = %e, "key file changed but could not be reloaded");
                }
            }
        }
    }

    /// Encrypts `plain` under the current key; `field` is bound as associated data
    /// so a value cannot be moved to another column undetected.
    pub fn seal(&self, field: &str, plain: &str) -> Result<Vec<u8>> {
        self.seal_bytes(field, plain.as_bytes())
    }

    /// [`Keys::seal`] for bytes that are not text (attachment files).
    pub fn seal_bytes(&self, field: &str, plain: &[u8]) -> Result<Vec<u8>> {
        self.maybe_reload();
        let ring = self
            .ring
            .read()
            .map_err(|_| Error::Key("key ring poisoned".into()))?;
        let key = ring
            .keys
            .first()
            .ok_or_else(|| Error::Key("no encryption key".into()))?;
        seal_with(key, field, plain)
    }

    /// The id of the key that sealed a value.
    pub fn sealed_by(sealed: &[u8]) -> Option<[u8; KEY_ID_LEN]> {
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(sealed.get(1..1 + KEY_ID_LEN)?);
        Some(id)
    }

    /// Whether a value is sealed by the current key.
    pub fn is_current(&self, sealed: &[u8]) -> bool {
        let current = self
            .ring
            .read()
            .ok()
            .and_then(|r| r.keys.first().map(|k| k.id));
        current.is_some() && Keys::sealed_by(sealed) == current
    }

    fn try_open(&self, field: &str, sealed: &[u8]) -> Result<Option<Vec<u8>>> {
        if sealed.len() < HEADER_LEN || sealed[0] != VERSION {
            return Err(Error::Key(format!(
                "{field}: stored value is not in a known format"
            )));
        }
        let id = &sealed[1..1 + KEY_ID_LEN];
        let ring = self
            .ring
            .read()
            .map_err(|_| Error::Key("key ring poisoned".into()))?;
        let Some(key) = ring.keys.iter().find(|k| k.id == id) else {
            return Ok(None);
        };
        key.cipher
            .decrypt(
                XNonce::from_slice(&sealed[1 + KEY_ID_LEN..HEADER_LEN]),
                Payload {
                    msg: &sealed[HEADER_LEN..],
                    aad: field.as_bytes(),
                },
            )
            .map(Some)
            .map_err(|_| Error::Key(format!("{field}: cannot decrypt with this key")))
    }

    pub fn open(&self, field: &str, sealed: &[u8]) -> Result<String> {
        String::from_utf8(self.open_bytes(field, sealed)?)
            .map_err(|_| Error::Key(format!("{field}: not UTF-8")))
    }

    /// [`Keys::open`] for bytes that are not text.
    pub fn open_bytes(&self, field: &str, sealed: &[u8]) -> Result<Vec<u8>> {
        if let Some(v) = self.try_open(field, sealed)? {
            return Ok(v);
        }
        // Sealed by a key this process has not loaded yet: a rotation happened.
        self.reload()?;
        self.try_open(field, sealed)?.ok_or_else(|| {
            Error::Key(format!(
                "{field}: sealed by a key that is not in the key file"
            ))
        })
    }

    /// Whether a sealed value names one of the key file's keys (re-reading the
    /// file once when it does not: another process may have rotated).
    pub fn knows(&self, sealed: &[u8]) -> bool {
        let known = |k: &Keys| {
            let id = Keys::sealed_by(sealed);
            k.ring
                .read()
                .is_ok_and(|r| r.keys.iter().any(|key| Some(key.id) == id))
        };
        known(self) || (self.reload().is_ok() && known(self))
    }

    /// The ids of the key file's encryption keys, current first.
    pub fn key_ids(&self) -> Vec<String> {
        self.ring
            .read()
            .map(|r| r.keys.iter().map(|k| hex(&k.id)).collect())
            .unwrap_or_default()
    }

    /// The canary of key `key_id`: a known text sealed by that key, kept in the
    /// database so that a start with a different key is recognised before
    /// anything is sealed with it. `None` when the key is not in the file.
    pub fn seal_canary(&self, key_id: &str) -> Result<Option<Vec<u8>>> {
        let ring = self
            .ring
            .read()
            .map_err(|_| Error::Key("key ring poisoned".into()))?;
        ring.keys
            .iter()
            .find(|k| hex(&k.id) == key_id)
            .map(|k| seal_with(k, CANARY_FIELD, CANARY.as_bytes()))
            .transpose()
    }

    /// Whether a canary opens, with one of the file's keys, to the known text.
    pub fn canary_opens(&self, sealed: &[u8]) -> bool {
        matches!(self.try_open(CANARY_FIELD, sealed), Ok(Some(v)) if v == CANARY.as_bytes())
    }

    /// The keyed hash used to find a value by equality without storing it in clear.
    pub fn lookup_hash(&self, field: &str, value: &str) -> Vec<u8> {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.lookup).unwrap_or_else(|_| unreachable!());
        mac.update(field.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

const CANARY_FIELD: &str = "key_canaries.sealed";
const CANARY: &str = "wangge key canary v1";

fn seal_with(key: &Key, field: &str, plain: &[u8]) -> Result<Vec<u8>> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::getrandom(&mut nonce)
        .map_err(|e| Error::Key(format!("no randomness for a nonce: {e}")))?;
    let ct = key
        .cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plain,
                aad: field.as_bytes(),
            },
        )
        .map_err(|_| Error::Key(format!("{field}: cannot encrypt")))?;
    let mut out = Vec::with_capacity(HEADER_LEN + ct.len());
    out.push(VERSION);
    out.extend_from_slice(&key.id);
    out.extend_from_slice(&nonce);
    out.extend(ct);
    Ok(out)
}

fn random_secret() -> Result<Secret> {
    let mut s = [0u8; 32];
    getrandom::getrandom(&mut s)
        .map_err(|e| Error::Key(format!("no randomness for a new key: {e}")))?;
    Ok(s)
}

/// Refuses a key file whose mode lets its group or others read or write it.
pub fn check_private(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                let p = path.display();
                return Err(Error::Key(format!(
                    "密钥文件 {p} 的权限为 {mode:04o},其他用户可以读取,拒绝使用;请运行 chmod 600 {p} / \
                     the key file {p} has mode {mode:04o} and others can read it; refusing to use it: run `chmod 600 {p}`"
                )));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn read_file(path: &Path) -> Result<FileSecrets> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Key(format!("cannot read key file {}: {e}", path.display())))?;
    FileSecrets::parse(&text).ok_or_else(|| {
        Error::Key(format!(
            "{} is not a Wangge key file (expected 'lookup HEX' and 'key HEX' lines of 64 hexadecimal characters)",
            path.display()
        ))
    })
}

/// Writes a key file with mode 0600: a new one (`create_new`), or a replacement
/// written beside it and renamed over it, so a crash leaves the old or the new
/// file, never half of one.
fn write_file(path: &Path, s: &FileSecrets, create_new: bool) -> Result<()> {
    let target = if create_new {
        path.to_path_buf()
    } else {
        path.with_extension("key-new")
    };
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    if !create_new {
        let _ = std::fs::remove_file(&target);
    }
    let err =
        |e: std::io::Error| Error::Key(format!("cannot write key file {}: {e}", target.display()));
    let mut f = opts.open(&target).map_err(err)?;
    f.write_all(s.render().as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(err)?;
    if !create_new {
        std::fs::rename(&target, path).map_err(err)?;
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// A key made but not yet in the key file: its id can be recorded in the
/// database before the file names it, so that a rotation cut short between the
/// two is recognised at the next start.
pub struct NewKey {
    secret: Secret,
    pub id: String,
}

impl std::fmt::Debug for NewKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NewKey({})", self.id)
    }
}

pub fn new_key() -> Result<NewKey> {
    let secret = random_secret()?;
    let id = hex(&Key::new(&secret).id);
    Ok(NewKey { secret, id })
}

/// Adds `key` as the new current key of the key file, keeping the older ones
/// for reading.
pub fn add_key(path: &Path, key: &NewKey) -> Result<()> {
    let mut s = read_file(path)?;
    s.keys.insert(0, key.secret);
    write_file(path, &s, false)
}

/// Removes every key but the current one from the key file (after a finished
/// rotation, once no value and no backup still needs them).
pub fn drop_old_keys(path: &Path) -> Result<usize> {
    let mut s = read_file(path)?;
    let dropped = s.keys.len().saturating_sub(1);
    s.keys.truncate(1);
    write_file(path, &s, false)?;
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_field_binding() {
        let k = Keys::from_secret(&[7; 32]);
        let s = k.seal("id_number", "11010519491231002X").unwrap();
        assert_eq!(k.open("id_number", &s).unwrap(), "11010519491231002X");
        assert!(k.open("phone", &s).is_err(), "moved to another field");
        let other = Keys::from_secret(&[8; 32]);
        assert!(other.open("id_number", &s).is_err(), "wrong key");
        assert_ne!(
            k.seal("x", "a").unwrap(),
            k.seal("x", "a").unwrap(),
            "fresh nonce each time"
        );
        assert_eq!(k.lookup_hash("x", "a"), k.lookup_hash("x", "a"));
        assert_ne!(k.lookup_hash("x", "a"), other.lookup_hash("x", "a"));
    }

    fn temp_key_path(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("wangge-key-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("test.key")
    }

    #[test]
    fn key_file_is_created_private_and_reloads() {
        let path = temp_key_path("create");
        assert!(Keys::load_or_create(&path, false).is_err());
        let a = Keys::load_or_create(&path, true).unwrap();
        let b = Keys::load_or_create(&path, false).unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key").unwrap();
        assert!(Keys::load_or_create(&path, false).is_err());
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_process_that_missed_a_rotation_still_opens_new_values() {
        let path = temp_key_path("rotate");
        let old_process = Keys::load_or_create(&path, true).unwrap();
        let before = old_process.seal("f", "before").unwrap();
        let new = new_key().unwrap();
        add_key(&path, &new).unwrap();
        let new_id = new.id.clone();
        let new_process = Keys::load_or_create(&path, false).unwrap();
        assert_eq!(new_process.current_key_id(), new_id);
        assert_eq!(
            new_process.fingerprint(),
            old_process.fingerprint(),
            "the lookup secret stays"
        );
        let after = new_process.seal("f", "after").unwrap();
        assert!(new_process.is_current(&after) && !new_process.is_current(&before));
        assert_eq!(new_process.open("f", &before).unwrap(), "before");
        // The old process has never seen the new key: it re-reads the file.
        assert_eq!(old_process.open("f", &after).unwrap(), "after");
        assert_eq!(drop_old_keys(&path).unwrap(), 1);
        let only_new = Keys::load_or_create(&path, false).unwrap();
        assert!(only_new.open("f", &before).is_err());
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}
