//! `wangge backup` and `wangge restore`: a consistent copy of a database that
//! stays in use, with the attachments folder beside it, and the way back.
//!
//! Everything is written under a temporary name and renamed when complete, so
//! an interrupted or failed backup (or restore) never leaves a partial file
//! under the name a later restore (or server) would trust.

use super::{sqlite, Backend, Conn, Db, Options, Value};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// What a backup or a restore copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    /// Attachment files copied (none when there was no attachments folder).
    pub files: u64,
}

/// The attachments' copy beside a backup `out`: `OUT.files`.
pub fn files_beside(out: &Path) -> PathBuf {
    with_suffix(out, ".files")
}

/// Writes a copy of the database to `out`, which must not exist yet: SQLite's
/// `VACUUM INTO` (one snapshot; writers carry on meanwhile), or PostgreSQL's
/// `pg_dump` in its custom format; then the attachments folder `files`, if it
/// exists, to `OUT.files` (attachments are never changed once written, so the
/// files present after the snapshot include every one it refers to).
pub fn backup(opts: &Options, out: &Path, files: &Path) -> Result<Copied> {
    let files_out = files_beside(out);
    for taken in [out, files_out.as_path()] {
        if taken.exists() {
            return Err(Error::Db(format!(
                "{0} 已存在,请换一个文件名 / {0} already exists; choose a new file",
                taken.display()
            )));
        }
    }
    write_then_rename(out, |partial| match opts.backend() {
        Backend::Sqlite => sqlite_copy(opts.sqlite_path().unwrap_or_default(), partial),
        Backend::Postgres => tool("pg_dump", |c| {
            c.args(["--format=custom", "--no-owner", "--file"])
                .arg(partial)
                .arg("--dbname")
                .arg(&opts.url)
        }),
    })?;
    copy_files(files, &files_out)
}

/// Restores a backup made by [`backup`] into the database of `opts`, which
/// must be new (a SQLite file that does not exist, or a PostgreSQL database
/// without tables), and its attachments into `files`, which must not exist or
/// be empty. The key file of the backed-up database is needed to read its
/// personal data; it is not in the backup.
pub fn restore(opts: &Options, from: &Path, files: &Path) -> Result<Copied> {
    let head = std::fs::read(from)
        .map(|b| b.into_iter().take(16).collect::<Vec<u8>>())
        .map_err(io(from))?;
    let kind = match opts.backend() {
        Backend::Sqlite => b"SQLite format 3".as_slice(),
        Backend::Postgres => b"PGDMP".as_slice(),
    };
    if !head.starts_with(kind) {
        return Err(Error::Db(format!(
            "{0} 不是本数据库类型的备份 / {0} is not a backup for this kind of database",
            from.display()
        )));
    }
    let from_files = files_beside(from);
    if std::fs::read_dir(files).is_ok_and(|mut d| d.next().is_some()) {
        return Err(Error::Db(format!(
            "附件目录 {0} 不是空的 / the attachments folder {0} is not empty",
            files.display()
        )));
    }
    match opts.backend() {
        Backend::Sqlite => {
            let path = Path::new(opts.sqlite_path().unwrap_or_default());
            if path.exists() {
                return Err(Error::Db(format!(
                    "数据库文件 {0} 已存在,恢复只写入新的数据库 / {0} exists; a restore writes a new database only",
                    path.display()
                )));
            }
            write_then_rename(path, |partial| {
                std::fs::copy(from, partial).map(drop).map_err(io(partial))
            })?;
        }
        Backend::Postgres => {
            let tables: i64 = Db::exclusive(opts, |c| {
                c.query_one(
                    "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()",
                    &[],
                )?
                .get(0)
            })?;
            if tables > 0 {
                return Err(Error::Db(
                    "目标数据库不是空的,恢复只写入新的数据库(createdb 新建一个)/ \
                     the target database is not empty; a restore writes a new database only (make one with createdb)"
                        .into(),
                ));
            }
            tool("pg_restore", |c| {
                c.args(["--no-owner", "--exit-on-error", "--dbname"])
                    .arg(&opts.url)
                    .arg(from)
            })?;
        }
    }
    copy_files(&from_files, files)
}

/// Copies the folder `from` (when it exists) to `to` by way of `TO.partial`.
fn copy_files(from: &Path, to: &Path) -> Result<Copied> {
    if !from.is_dir() {
        return Ok(Copied { files: 0 });
    }
    let mut files = 0;
    let partial = with_suffix(to, ".partial");
    let _ = std::fs::remove_dir_all(&partial);
    let copied = copy_tree(from, &partial, &mut files).and_then(|()| {
        // A folder left empty by a failed restore is no obstacle.
        let _ = std::fs::remove_dir(to);
        std::fs::rename(&partial, to).map_err(io(to))
    });
    if copied.is_err() {
        let _ = std::fs::remove_dir_all(&partial);
    }
    copied.map(|()| Copied { files })
}

/// Copies a folder, every folder 0700 and every file 0600 (attachments are
/// personal data, sealed or not).
fn copy_tree(from: &Path, to: &Path, files: &mut u64) -> Result<()> {
    let mut dir = std::fs::DirBuilder::new();
    dir.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut dir, 0o700);
    dir.create(to).map_err(io(to))?;
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let target = to.join(entry.file_name());
        if entry.file_type().map_err(io(from))?.is_dir() {
            copy_tree(&entry.path(), &target, files)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(io(&target))?;
            private(&target)?;
            *files += 1;
        }
    }
    Ok(())
}

/// Sets mode 0600, whatever the umask and whatever mode the copy brought along.
fn private(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io(path))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Writes `out` through `write` at `OUT.partial`, renamed when complete and
/// removed if it fails. The partial file is made empty with mode 0600 first:
/// `VACUUM INTO` and `pg_dump` then write into it and keep that mode, so a
/// copy of every record is never readable by others, not even for a moment.
fn write_then_rename(out: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let partial = with_suffix(out, ".partial");
    let _ = std::fs::remove_file(&partial);
    let mut new = std::fs::OpenOptions::new();
    new.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut new, 0o600);
    let written = new
        .open(&partial)
        .map(drop)
        .map_err(io(&partial))
        .and_then(|()| write(&partial))
        .and_then(|()| private(&partial));
    match written.and_then(|()| std::fs::rename(&partial, out).map_err(io(out))) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
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

/// Runs one of PostgreSQL's client tools.
fn tool(
    name: &str,
    args: impl FnOnce(&mut std::process::Command) -> &mut std::process::Command,
) -> Result<()> {
    let mut command = std::process::Command::new(name);
    match args(&mut command).output() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::Db(format!(
            "找不到 {name},请安装 PostgreSQL 客户端(postgresql-client)/ \
             {name} was not found; install the PostgreSQL client tools (postgresql-client)"
        ))),
        Err(e) => Err(Error::Db(format!("{name}: {e}"))),
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(Error::Db(format!(
            "{name} 失败 / {name} failed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        ))),
    }
}
