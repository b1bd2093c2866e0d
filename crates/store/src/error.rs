//! The store's one error type. Driver errors are translated here, at the store
//! boundary, so the server never looks at a driver's message.

use wangge_core::Error as CoreError;

#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// A domain rule was broken (invalid value or conflicting state).
    #[error(transparent)]
    Domain(#[from] CoreError),
    /// Nothing the caller may see has this identifier.
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The actor's role does not allow this kind of work (it says nothing about
    /// whether any particular record exists).
    #[error("not permitted for this role")]
    Forbidden,
    /// The caller is not logged in, or the session or token is no longer valid.
    #[error("not authenticated")]
    Unauthenticated,
    /// The API token is past its expiry.
    #[error("the API token has expired")]
    TokenExpired,
    /// Too many failed logins: try again after this many seconds.
    #[error("too many attempts; retry after {retry_after}s")]
    Throttled { retry_after: i64 },
    /// The account made its day's registration requests
    /// ([`crate::people::registration::PER_DAY`]).
    #[error("too many registration requests in 24 hours (at most {per_day})")]
    RequestLimit { per_day: i64 },
    /// A uniqueness constraint failed; store functions turn this into a domain conflict.
    #[error("unique constraint failed: {0}")]
    Unique(String),
    /// Another constraint (foreign key, check) failed.
    #[error("constraint failed: {0}")]
    Constraint(String),
    /// The database was written by a newer Wangge.
    #[error("数据库结构版本为 {db},高于本程序的 {binary},请先升级 wangge / the database is at schema version {db}, newer than this binary's {binary}; upgrade wangge before using this database")]
    SchemaTooNew { db: i64, binary: i64 },
    /// The key file is missing, unreadable or does not belong to this database.
    #[error("key: {0}")]
    Key(String),
    /// No connection could be made (wrong host, port, name or password, or the
    /// server is down); the message says which, in the database's words.
    #[error("无法连接数据库 / cannot connect to the database: {0}")]
    Connect(String),
    /// The database is busy, shutting down or unreachable; the caller may retry.
    #[error("the database is unavailable")]
    Unavailable,
    /// The database could not write: its disk is full, or storage failed.
    /// Nothing of the write remains; it may pass, so the caller may retry.
    #[error("the database cannot write: {0}")]
    Storage(String),
    #[error("database error: {0}")]
    Db(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<wangge_formats::Error> for Error {
    fn from(e: wangge_formats::Error) -> Self {
        match e {
            // A file's problem is the user's to fix, named as the `file` field.
            wangge_formats::Error::File { code, zh, en } => {
                CoreError::invalid("file", code, zh, en).into()
            }
            wangge_formats::Error::Write(why) => {
                Error::Db(format!("cannot write the workbook: {why}"))
            }
        }
    }
}

impl Error {
    pub fn not_found(what: &'static str) -> Self {
        Error::NotFound { what }
    }
}
