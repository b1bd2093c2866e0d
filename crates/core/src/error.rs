//! The core's one error type. Every message exists in Chinese and English because
//! it reaches residents and staff unchanged through the API and the UI.

/// A rule of the domain was broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A value is not acceptable; `field` names the input it came from.
    #[error("{field}: {zh} / {en}")]
    Invalid {
        field: String,
        code: &'static str,
        zh: String,
        en: String,
    },
    /// The request is well formed but clashes with the current state.
    #[error("{zh} / {en}")]
    Conflict {
        code: &'static str,
        zh: String,
        en: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(
        field: impl Into<String>,
        code: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Error::Invalid {
            field: field.into(),
            code,
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub fn conflict(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Error::Conflict {
            code,
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid { code, .. } | Error::Conflict { code, .. } => code,
        }
    }

    /// Re-labels an `Invalid` error with the field name the caller used.
    pub fn in_field(self, name: &str) -> Self {
        match self {
            Error::Invalid { code, zh, en, .. } => Error::Invalid {
                field: name.to_string(),
                code,
                zh,
                en,
            },
            other => other,
        }
    }
}
