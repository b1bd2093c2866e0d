//! One query layer over SQLite and PostgreSQL.
//!
//! Every query is written once, in PostgreSQL's `$1` placeholder style, and runs
//! unchanged on both backends (the SQLite side rewrites `$N` to SQLite's own `?N`).
//! Store code is synchronous and runs on database threads: reads on a small pool,
//! writes through a group-commit writer (see `writer`), so that concurrent requests
//! share one durable commit instead of paying for an fsync each.

mod backup;
mod checkpoint;
mod hooks;
mod pool;
mod postgres;
pub mod rebuild;
mod sqlite;
mod value;
mod writer;

pub use backup::{backup, files_beside, restore, Copied};
pub use hooks::{Hook, Hooks, Order};
pub use value::{FromValue, Row, Value};

use crate::error::{Error, Result};
use std::sync::Arc;

/// Which database a connection talks to, for the few places where SQL must differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection, inside the transaction the store opened for it.
pub trait Conn {
    fn backend(&self) -> Backend;
    /// Runs one statement and returns its rows.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>>;
    /// Runs one statement and returns the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64>;
    /// Runs several statements without parameters (migrations, transaction control).
    fn batch(&mut self, sql: &str) -> Result<()>;
    /// Whether the connection was lost (the server restarted or went away), so
    /// that its holder opens a new one instead of failing every later call.
    fn is_broken(&self) -> bool {
        false
    }
    /// Rows changed so far on this connection, where the database counts them
    /// (SQLite); `None` elsewhere.
    fn total_changes(&self) -> Option<u64> {
        None
    }
    /// Inserts many rows into one table in the caller's transaction and answers
    /// how many: `COPY … FROM STDIN` on PostgreSQL (one round trip instead of
    /// one per statement), one prepared single-row `INSERT` per row on SQLite
    /// (a multi-row statement there opens a statement journal). Each row holds
    /// one value per column, in the order of `columns`.
    fn bulk_insert(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &mut dyn Iterator<Item = Vec<Value>>,
    ) -> Result<u64>;
    /// Reserves `n` new ids of `table`'s `id` column for rows the caller inserts
    /// with explicit ids in this same transaction (so that a bulk load can refer
    /// to rows it has not inserted yet).
    fn reserve_ids(&mut self, table: &str, n: usize) -> Result<Vec<i64>>;
    /// The pre-commit work of the writer's transaction this connection is
    /// in (see [`Hooks`]); `None` on a bare connection, where whatever a hook
    /// would keep is written at once.
    fn hooks(&mut self) -> Option<&mut Hooks> {
        None
    }

    fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }
    fn query_one(&mut self, sql: &str, params: &[Value]) -> Result<Row> {
        self.query_opt(sql, params)?
            .ok_or_else(|| Error::Db("query returned no row".into()))
    }
}

/// Options for opening a store.
#[derive(Debug, Clone)]
pub struct Options {
    /// `sqlite:PATH`, a plain path, or `postgres://…`.
    pub url: String,
    /// How many read connections to keep.
    pub readers: usize,
    /// How many writer threads for PostgreSQL (SQLite always has one). One is
    /// the default: every write appends to the audit chain, whose head row
    /// serialises writers anyway, and one writer batching many requests into
    /// each commit gets what PostgreSQL's own group commit would.
    pub pg_writers: usize,
    /// How many queued writes one commit may take.
    pub max_batch: usize,
}

impl Options {
    pub fn new(url: impl Into<String>) -> Self {
        Options {
            url: url.into(),
            readers: 4,
            pg_writers: 1,
            max_batch: 256,
        }
    }

    pub fn backend(&self) -> Backend {
        if self.url.starts_with("postgres://") || self.url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// The SQLite file path, if this is a SQLite store.
    pub fn sqlite_path(&self) -> Option<&str> {
        match self.backend() {
            Backend::Sqlite => Some(self.url.strip_prefix("sqlite:").unwrap_or(&self.url)),
            Backend::Postgres => None,
        }
    }
}

/// A handle on the database, cheap to clone and share between requests.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Backend,
    readers: pool::Pool,
    writer: writer::Writer,
    _checkpointer: Option<checkpoint::Checkpointer>,
}

impl Db {
    /// Opens the database. The caller runs migrations before use.
    pub fn open(opts: &Options) -> Result<Db> {
        let backend = opts.backend();
        let (readers, writer, checkpointer) = match backend {
            Backend::Sqlite => {
                let path = opts.sqlite_path().unwrap_or_default().to_string();
                let p = path.clone();
                let readers = pool::Pool::new(opts.readers, move || sqlite::open(&p, true));
                // One writer, whose `BEGIN IMMEDIATE` already holds the only
                // write lock: the audit chain needs no lock of its own.
                let writer = writer::Writer::start(
                    vec![Box::new(sqlite::open_writer(&path)?)],
                    None,
                    "BEGIN IMMEDIATE".to_string(),
                    |_| {},
                    opts.max_batch,
                )?;
                (readers, writer, Some(checkpoint::start(&path)?))
            }
            Backend::Postgres => {
                let url = opts.url.clone();
                let readers = pool::Pool::new(opts.readers, move || postgres::connect(&url, true));
                let mut conns: Vec<Box<dyn Conn + Send>> = Vec::new();
                for _ in 0..opts.pg_writers.max(1) {
                    conns.push(Box::new(postgres::connect(&opts.url, false)?));
                }
                let url = opts.url.clone();
                let reopen: Arc<writer::Opener> = Arc::new(move || {
                    postgres::connect(&url, false).map(|c| Box::new(c) as Box<dyn Conn + Send>)
                });
                // Every writer transaction, on every node, takes the audit
                // chain's lock first, with its BEGIN (no round trip of its
                // own). Writes batched before an audited one lock other rows
                // (a token's last use, a counter); had they run first, two
                // nodes could each hold a row the other waits for, one of
                // them holding the chain.
                let writer = writer::Writer::start(
                    conns,
                    Some(reopen),
                    format!("BEGIN; {}", crate::audit::LOCK_CHAIN),
                    crate::audit::chain_locked_by_begin,
                    opts.max_batch,
                )?;
                (readers, writer, None)
            }
        };
        Ok(Db {
            inner: Arc::new(Inner {
                backend,
                readers,
                writer,
                _checkpointer: checkpointer,
            }),
        })
    }

    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// Runs `f` on a read connection.
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut dyn Conn) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.inner.readers.run(f).await
    }

    /// Like [`Db::read`], for a lookup by key that takes microseconds, such as
    /// checking the credentials of every request. On SQLite it runs on the
    /// calling thread when a connection is idle: handing it to a blocking
    /// thread and back cost more than the query. PostgreSQL's round trip is
    /// not kept on an async thread.
    pub async fn read_quick<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut dyn Conn) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        if self.inner.backend == Backend::Sqlite {
            match self.inner.readers.try_run_here(f) {
                Ok(out) => out,
                Err(f) => self.inner.readers.run(f).await,
            }
        } else {
            self.inner.readers.run(f).await
        }
    }

    /// Runs `f` in a write transaction. The result is returned only after the
    /// transaction is durably committed; if `f` fails, none of its writes remain.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut dyn Conn) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.inner.writer.run(f, writer::Door::Shared).await
    }

    /// Like [`Db::write`], for a write that finds every error of its input
    /// before its first change, so that on SQLite it needs no savepoint (see
    /// `writer`). If it fails after changing rows, which only the database can
    /// make it do, the writes batched before it are rolled back with it and
    /// answered [`Error::Unavailable`] (503: retry).
    pub async fn write_validated<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut dyn Conn) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.inner.writer.run(f, writer::Door::Validated).await
    }

    /// Like [`Db::write`], but `f` gets a transaction of its own, never shared
    /// with other writes and so run without a savepoint: the door for bulk
    /// loads, whose large jobs a savepoint would slow down. If `f` fails, only
    /// its own writes are rolled back; other writes are not affected.
    pub async fn write_alone<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut dyn Conn) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.inner.writer.run(f, writer::Door::Alone).await
    }

    /// How long ago a write last failed for want of storage (disk full, I/O
    /// error), when none has succeeded since: a node whose writes fail is not
    /// ready, even where a small probe would still pass.
    pub fn storage_failing(&self) -> Option<std::time::Duration> {
        self.inner.writer.storage_failing()
    }

    /// Runs `f` on a dedicated connection outside the writer, in its own
    /// transaction (migrations, bulk loads). Blocks the calling thread.
    pub fn exclusive<T>(opts: &Options, f: impl FnOnce(&mut dyn Conn) -> Result<T>) -> Result<T> {
        let mut conn: Box<dyn Conn> = match opts.backend() {
            Backend::Sqlite => {
                Box::new(sqlite::open(opts.sqlite_path().unwrap_or_default(), false)?)
            }
            Backend::Postgres => Box::new(postgres::connect(&opts.url, true)?),
        };
        f(conn.as_mut())
    }
}

/// `$from, $from+1, …`, `n` placeholders for SQL built once.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The table and column names a bulk insert may use: they are spliced into SQL,
/// so only plain identifiers pass.
fn check_identifiers(table: &str, columns: &[&str]) -> Result<()> {
    let plain = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    };
    if columns.is_empty() || !plain(table) || !columns.iter().all(|c| plain(c)) {
        return Err(Error::Db(format!(
            "bulk insert into {table:?} ({columns:?}): not plain identifiers"
        )));
    }
    Ok(())
}

/// Runs `f` inside BEGIN … COMMIT on `conn`, rolling back if it fails.
pub fn transaction<T>(
    conn: &mut dyn Conn,
    f: impl FnOnce(&mut dyn Conn) -> Result<T>,
) -> Result<T> {
    let begin = match conn.backend() {
        Backend::Sqlite => "BEGIN IMMEDIATE",
        Backend::Postgres => "BEGIN",
    };
    conn.batch(begin)?;
    match f(conn) {
        Ok(v) => {
            conn.batch("COMMIT")?;
            Ok(v)
        }
        Err(e) => {
            let _ = conn.batch("ROLLBACK");
            Err(e)
        }
    }
}
