//! `wangge backup`: a consistent copy of a database that stays in use.
//!
//! The copy is written under a temporary name beside `out` and renamed when it
//! is complete, so an interrupted or failed backup never leaves a partial file
//! under the name a later restore would trust.

use super::{sqlite, Backend, Conn, Options, Value};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Writes a copy of the database to `out`, which must not exist yet: SQLite's
/// `VACUUM INTO` (one snapshot; writers carry on meanwhile), or PostgreSQL's
/// `pg_dump` in its custom format (restored with `pg_restore`).
pub fn backup(opts: &Options, out: &Path) -> Result<()> {
    if out.exists() {
        return Err(Error::Db(format!(
            "{0} 已存在,请换一个文件名 / {0} already exists; choose a new file",
            out.display()
        )));
    }
    let partial = partial_name(out);
    let _ = std::fs::remove_file(&partial);
    let written = match opts.backend() {
        Backend::Sqlite => sqlite_copy(opts.sqlite_path().unwrap_or_default(), &partial),
        Backend::Postgres => pg_dump(&opts.url, &partial),
    };
    match written.and_then(|()| std::fs::rename(&partial, out).map_err(io(out))) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

fn partial_name(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    out.with_file_name(name)
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::Db(format!("{}: {e}", path.display()))
}

fn sqlite_copy(path: &str, to: &Path) -> Result<()> {
    // Not query_only: VACUUM INTO counts as a write although it leaves the source alone.
    let mut conn = sqlite::open(path, false)?;
    let target = to.to_string_lossy().to_string();
    conn.execute("VACUUM INTO $1", &[Value::Text(target)])?;
    Ok(())
}

fn pg_dump(url: &str, to: &Path) -> Result<()> {
    let run = std::process::Command::new("pg_dump")
        .args(["--format=custom", "--no-owner", "--file"])
        .arg(to)
        .arg("--dbname")
        .arg(url)
        .output();
    match run {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::Db(
            "找不到 pg_dump,请安装 PostgreSQL 客户端(postgresql-client)/ \
             pg_dump was not found; install the PostgreSQL client tools (postgresql-client)"
                .into(),
        )),
        Err(e) => Err(Error::Db(format!("pg_dump: {e}"))),
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(Error::Db(format!(
            "pg_dump 失败 / pg_dump failed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        ))),
    }
}
