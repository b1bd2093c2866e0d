//! File formats, apart from what the files mean: reading spreadsheets and CSV
//! (any encoding an office writes) row by row under limits, writing workbooks the
//! way offices expect them, recognising what an upload really is, and
//! re-encoding photos without their metadata. Nothing here knows a registry,
//! a database or a user; the store gives the rows their meaning.

pub mod detect;
pub mod images;
pub mod sheet;
pub mod xlsx;

/// What went wrong with a file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file the user gave cannot be read as it is: a stable code and what
    /// to tell them, in Chinese and English. Nothing of it was taken.
    #[error("{en}")]
    File {
        code: &'static str,
        zh: String,
        en: String,
    },
    /// Writing a workbook failed (the disk, or the writer itself).
    #[error("cannot write the workbook: {0}")]
    Write(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// A problem with the whole file.
pub fn file_error(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Error {
    Error::File {
        code,
        zh: zh.into(),
        en: en.into(),
    }
}
