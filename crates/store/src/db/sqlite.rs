//! The SQLite side of the query layer (rusqlite): a file in WAL mode with
//! `synchronous=FULL`, so that every commit is on disk before it is acknowledged.

use super::{Backend, Conn, Row, Value};
use crate::error::{Error, Result};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags};
use std::collections::HashMap;
use std::time::Duration;

/// A connection with the `?N` text of each SQL string it has run: rewriting the
/// placeholders on every execution showed as 5.5 % of a write-heavy profile.
pub(super) struct SqliteConn {
    conn: Connection,
    rewritten: HashMap<String, String>,
}

/// As many as the prepared-statement cache holds, so the two forget together.
const MAX_STATEMENTS: usize = 128;

pub(super) fn open(path: &str, read_only: bool) -> Result<SqliteConn> {
    private_files(path);
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags).map_err(map_err)?;
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(map_err)?;
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;
         PRAGMA cache_size=-32000; PRAGMA temp_store=MEMORY;",
    )
    .map_err(map_err)?;
    if read_only {
        conn.execute_batch("PRAGMA query_only=ON")
            .map_err(map_err)?;
    }
    conn.set_prepared_statement_cache_capacity(MAX_STATEMENTS);
    Ok(SqliteConn {
        conn,
        rewritten: HashMap::new(),
    })
}

/// Makes the database file 0600 whatever the umask: created empty with that
/// mode before SQLite opens it (SQLite gives its -wal and -shm files the mode
/// of the database file), or narrowed when an older version left it (or its
/// -wal and -shm) readable by others. It holds every record, and the WAL holds
/// recent ones. Failure (a file someone else owns) is logged: the open goes on.
fn private_files(path: &str) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if path.is_empty() || path == ":memory:" || path.starts_with("file:") {
            return;
        }
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path);
        for file in [
            path.to_string(),
            format!("{path}-wal"),
            format!("{path}-shm"),
        ] {
            let Ok(meta) = std::fs::metadata(&file) else {
                continue;
            };
            if meta.permissions().mode() & 0o077 != 0 {
                if let Err(e) =
                    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                {
                    tracing::warn!(file, error = %e, "cannot make the database file private (0600)");
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// The writer's connection: it checkpoints only as a backstop, the checkpoint
/// thread does the rest (`checkpoint.rs`).
pub(super) fn open_writer(path: &str) -> Result<SqliteConn> {
    let conn = open(path, false)?;
    conn.conn
        .execute_batch(&format!(
            "PRAGMA wal_autocheckpoint={}",
            super::checkpoint::WRITER_AUTOCHECKPOINT
        ))
        .map_err(map_err)?;
    Ok(conn)
}

impl SqliteConn {
    pub(super) fn data_version(&self) -> Result<i64> {
        self.conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(map_err)
    }

    pub(super) fn checkpoint_passive(&self) -> Result<()> {
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(PASSIVE)")
            .map_err(map_err)
    }

    fn prepare(&mut self, sql: &str) -> Result<rusqlite::CachedStatement<'_>> {
        if !self.rewritten.contains_key(sql) {
            if self.rewritten.len() >= MAX_STATEMENTS {
                self.rewritten.clear();
            }
            self.rewritten
                .insert(sql.to_string(), rewrite_placeholders(sql));
        }
        let text = self.rewritten.get(sql).map_or(sql, String::as_str);
        self.conn.prepare_cached(text).map_err(map_err)
    }
}

/// Rewrites PostgreSQL's `$N` placeholders into SQLite's numbered `?N`, leaving
/// string literals and quoted identifiers alone.
pub(crate) fn rewrite_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
                out.push(c);
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) => out.push('?'),
            None => out.push(c),
        }
    }
    out
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Value::Real(f) => ToSqlOutput::Borrowed(ValueRef::Real(*f)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

fn from_ref(v: ValueRef<'_>) -> Result<Value> {
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(
            String::from_utf8(t.to_vec())
                .map_err(|_| Error::Db("text column is not UTF-8".into()))?,
        ),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    })
}

pub(crate) fn map_err(e: rusqlite::Error) -> Error {
    if let rusqlite::Error::SqliteFailure(f, msg) = &e {
        if f.code == rusqlite::ErrorCode::ConstraintViolation {
            let what = msg.clone().unwrap_or_default();
            // SQLITE_CONSTRAINT_UNIQUE and _PRIMARYKEY
            if matches!(f.extended_code, 2067 | 1555) {
                return Error::Unique(what);
            }
            return Error::Constraint(what);
        }
        if matches!(
            f.code,
            rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
        ) {
            return Error::Unavailable;
        }
        if matches!(
            f.code,
            rusqlite::ErrorCode::DiskFull | rusqlite::ErrorCode::SystemIoFailure
        ) {
            return Error::Storage(e.to_string());
        }
    }
    Error::Db(e.to_string())
}

impl Conn for SqliteConn {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let mut stmt = self.prepare(sql)?;
        let n = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params))
            .map_err(map_err)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(map_err)? {
            let mut vals = Vec::with_capacity(n);
            for i in 0..n {
                vals.push(from_ref(r.get_ref(i).map_err(map_err)?)?);
            }
            out.push(Row(vals));
        }
        Ok(out)
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let mut stmt = self.prepare(sql)?;
        let n = stmt
            .execute(rusqlite::params_from_iter(params))
            .map_err(map_err)?;
        Ok(n as u64)
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        self.conn.execute_batch(sql).map_err(map_err)
    }

    fn total_changes(&self) -> Option<u64> {
        Some(self.conn.total_changes())
    }

    fn bulk_insert(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &mut dyn Iterator<Item = Vec<Value>>,
    ) -> Result<u64> {
        super::check_identifiers(table, columns)?;
        let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            columns.join(", "),
            marks.join(", ")
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(map_err)?;
        let mut n = 0;
        for row in rows {
            if row.len() != columns.len() {
                return Err(Error::Db(format!(
                    "bulk insert into {table}: {} values for {} columns",
                    row.len(),
                    columns.len()
                )));
            }
            n += stmt
                .execute(rusqlite::params_from_iter(&row))
                .map_err(map_err)? as u64;
        }
        Ok(n)
    }

    fn reserve_ids(&mut self, table: &str, n: usize) -> Result<Vec<i64>> {
        super::check_identifiers(table, &["id"])?;
        // The writer holds SQLite's only write lock for the whole transaction,
        // so nobody else can take these ids before the caller inserts them.
        // `sqlite_sequence` remembers ids of deleted rows (AUTOINCREMENT never
        // hands them out again), MAX(id) covers tables without it.
        let last: i64 = self
            .conn
            .query_row(
                &format!(
                    "SELECT MAX(COALESCE((SELECT MAX(id) FROM {table}), 0),
                        COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?1), 0))"
                ),
                [table],
                |r| r.get(0),
            )
            .map_err(map_err)?;
        Ok((1..=n as i64).map(|i| last + i).collect())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_outside_quotes_are_rewritten() {
        assert_eq!(
            super::rewrite_placeholders("SELECT $1, '$2', \"a$3\" WHERE x = $12"),
            "SELECT ?1, '$2', \"a$3\" WHERE x = ?12"
        );
    }
}
