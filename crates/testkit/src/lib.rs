//! Throwaway stores for tests, on either backend.
//!
//! PostgreSQL tests use `WANGGE_TEST_PG` (default `postgres://postgres@127.0.0.1/test`)
//! and a fresh schema per store, dropped afterwards. Where PostgreSQL cannot be
//! reached they are skipped with a message, unless `WANGGE_REQUIRE_PG=1` (set by
//! CI), which turns the skip into a failure.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use wangge_store::{Backend, Store, StoreOptions};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Removes the temporary files or schema when dropped.
pub struct TempStore {
    pub store: Store,
    pub opts: StoreOptions,
    dir: Option<PathBuf>,
    pg_schema: Option<PgSchema>,
}

impl std::ops::Deref for TempStore {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

impl Drop for TempStore {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((url, schema)) = &self.pg_schema {
            if let Ok(mut c) = postgres::Client::connect(url, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
    }
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        time::OffsetDateTime::now_utc().unix_timestamp_nanos() % 1_000_000
    )
}

/// A fresh temporary directory that is removed with the returned guard's store.
pub fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(unique("wangge"));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// The PostgreSQL URL for tests.
pub fn pg_url() -> String {
    std::env::var("WANGGE_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1/test".into())
}

/// A PostgreSQL schema made for one test: (server URL, schema name).
pub type PgSchema = (String, String);

/// Options for a fresh store, with the temporary places they point to.
pub struct TempOptions {
    pub opts: StoreOptions,
    pub dir: PathBuf,
    pub pg_schema: Option<PgSchema>,
}

/// Options for a fresh store on `backend`, with its own key file; `None` when
/// PostgreSQL is unavailable and not required.
pub fn temp_options(backend: Backend) -> Option<TempOptions> {
    let dir = temp_dir();
    match backend {
        Backend::Sqlite => {
            let mut opts = StoreOptions::new(format!("sqlite:{}", dir.join("test.db").display()));
            opts.key_file = Some(dir.join("test.key"));
            Some(TempOptions {
                opts,
                dir,
                pg_schema: None,
            })
        }
        Backend::Postgres => {
            let url = pg_url();
            let schema = unique("t");
            if let Err(e) = postgres::Client::connect(&url, postgres::NoTls)
                .and_then(|mut c| c.batch_execute(&format!("CREATE SCHEMA {schema}")))
            {
                let _ = std::fs::remove_dir_all(&dir);
                if std::env::var("WANGGE_REQUIRE_PG").is_ok_and(|v| v == "1") {
                    panic!("PostgreSQL is required (WANGGE_REQUIRE_PG=1) but {url} is unavailable: {e}");
                }
                eprintln!("skipped: PostgreSQL tests need a server at {url} ({e}); set WANGGE_TEST_PG to run them");
                return None;
            }
            let sep = if url.contains('?') { '&' } else { '?' };
            let mut opts = StoreOptions::new(format!("{url}{sep}options=-csearch_path%3D{schema}"));
            opts.key_file = Some(dir.join("test.key"));
            opts.db.readers = 2;
            opts.db.pg_writers = 2;
            Some(TempOptions {
                opts,
                dir,
                pg_schema: Some((url, schema)),
            })
        }
    }
}

/// A fresh, migrated store on `backend`, or `None` (after printing why) when
/// PostgreSQL is unavailable and not required.
pub fn temp_store(backend: Backend) -> Option<TempStore> {
    let t = temp_options(backend)?;
    let store = match Store::open(&t.opts) {
        Ok(s) => s,
        Err(e) => panic!("cannot open a test store on {backend:?}: {e}"),
    };
    Some(TempStore {
        store,
        opts: t.opts,
        dir: Some(t.dir),
        pg_schema: t.pg_schema,
    })
}

/// Both backends, for tests that loop over them.
pub const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];
