//! Wangge's store: SQL for every feature, written once for SQLite and PostgreSQL,
//! migrations, and encryption of personal data at rest.
//!
//! Every function that touches scoped data takes a [`Ctx`], whose [`Scope`] is
//! applied in SQL: there is no unscoped path from a request to the data.

pub mod accounts;
pub mod attachments;
pub mod audit;
pub mod calendar;
mod canary;
pub mod cases;
pub mod crypto;
pub mod ctx;
pub mod db;
pub mod equipment;
pub mod error;
pub mod facts;
pub mod households;
pub mod inspections;
pub mod keys;
pub mod migrate;
pub mod organisations;
pub mod paging;
pub mod people;
pub mod periodic;
pub mod positions;
pub mod ready;
pub mod registry;
pub mod transfer;
pub mod units;

pub use ctx::{Ctx, Scope};
pub use db::{Backend, Conn, Db};
pub use error::{Error, Result};
pub use paging::Page;

use crypto::Keys;
use std::path::PathBuf;
use std::sync::Arc;

/// How to open a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub db: db::Options,
    /// Where the key file is; by default beside a SQLite file (`FILE.key`), or
    /// `wangge.key` in the working directory for PostgreSQL.
    pub key_file: Option<PathBuf>,
}

impl StoreOptions {
    pub fn new(url: impl Into<String>) -> Self {
        StoreOptions {
            db: db::Options::new(url),
            key_file: None,
        }
    }

    pub fn key_path(&self) -> PathBuf {
        if let Some(p) = &self.key_file {
            return p.clone();
        }
        match self.db.sqlite_path() {
            Some(path) => PathBuf::from(format!("{path}.key")),
            None => PathBuf::from("wangge.key"),
        }
    }
}

/// An open store: the database and the keys for its personal data.
#[derive(Clone)]
pub struct Store {
    pub db: Db,
    pub(crate) keys: Arc<Keys>,
}

impl Store {
    /// Migrates the database, loads (or, for a new database, creates) the key
    /// file, and opens the connections.
    pub fn open(opts: &StoreOptions) -> Result<Store> {
        // Before anything is written: a key file others can read is refused.
        crypto::check_private(&opts.key_path())?;
        db::Db::exclusive(&opts.db, migrate::migrate)?;
        let keys = Arc::new(load_keys(opts)?);
        let db = Db::open(&opts.db)?;
        Ok(Store { db, keys })
    }

    /// The context for one caller's work at time `now`.
    pub fn ctx(&self, actor: &str, scope: Scope, now: time::OffsetDateTime) -> Ctx {
        Ctx {
            actor: actor.to_string(),
            role: None,
            scope,
            org_id: None,
            client_addr: None,
            now,
            keys: self.keys.clone(),
            user_id: None,
        }
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// Identifies the key file's lookup secret (not a secret itself).
    pub fn key_fingerprint(&self) -> &str {
        self.keys.fingerprint()
    }

    /// The attachment files in `dir`, sealed with this store's keys.
    pub fn attachments(&self, dir: impl Into<PathBuf>) -> attachments::AttachmentStore {
        attachments::AttachmentStore::new(dir, self.keys.clone())
    }
}

const FINGERPRINT: &str = "key_fingerprint";

/// A database that already holds a key fingerprint must be opened with that key;
/// a new database gets a new key file.
fn load_keys(opts: &StoreOptions) -> Result<Keys> {
    let path = opts.key_path();
    Db::exclusive(&opts.db, |c| {
        db::transaction(c, |c| {
            let stored: Option<String> = c
                .query_opt(
                    "SELECT value FROM settings WHERE name = $1",
                    params![FINGERPRINT],
                )?
                .map(|r| r.get(0))
                .transpose()?;
            let keys = match &stored {
                Some(_) => Keys::load_or_create(&path, false).map_err(|e| {
                    Error::Key(format!(
                        "this database's personal data is encrypted and its key file cannot be used ({e}); \
                         restore the key file or point --key-file / WANGGE_KEY_FILE at it"
                    ))
                })?,
                None => Keys::load_or_create(&path, true)?,
            };
            match stored {
                Some(fp) if fp != keys.fingerprint() => {
                    return Err(Error::Key(format!(
                        "the key file {} does not belong to this database (fingerprint {} expected, found {})",
                        path.display(),
                        fp,
                        keys.fingerprint()
                    )))
                }
                Some(_) => {}
                None => {
                    c.execute(
                        "INSERT INTO settings (name, value) VALUES ($1, $2)",
                        params![FINGERPRINT, keys.fingerprint()],
                    )?;
                }
            }
            canary::check(c, &keys, &path)?;
            Ok(keys)
        })
    })
}
