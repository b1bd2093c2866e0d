//! Settings: defaults, then an optional TOML file, then `WANGGE_*` environment
//! variables, then command-line flags; each later source wins.

use anyhow::Context;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// What may be set in the TOML file (`--config FILE` / `WANGGE_CONFIG`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    pub listen: Option<String>,
    pub database_url: Option<String>,
    pub key_file: Option<PathBuf>,
    pub log_format: Option<String>,
    /// Holiday notices for years after the built-in ones (see `docs/CALENDAR.md`).
    pub calendar_file: Option<PathBuf>,
    /// Where attachments are kept; one shared folder for nodes on one database.
    pub files_dir: Option<PathBuf>,
    /// Seconds requests in flight may go on after SIGTERM.
    pub shutdown_grace: Option<u64>,
    /// Seconds a client may take to send a request's headers.
    pub header_timeout: Option<u64>,
    /// The address the public reaches Wangge at (`https://…` for Secure cookies and HSTS).
    pub public_url: Option<String>,
    /// Proxies (IP addresses or CIDR ranges) whose forwarded client address is believed.
    pub trusted_proxies: Option<Vec<String>>,
    /// Days a new API token lives by default.
    pub token_days: Option<i64>,
    /// Roles that must use two-factor login (default zone_admin and auditor;
    /// `[]` for none).
    pub totp_required_roles: Option<Vec<String>>,
    /// Take Open311 reports without an api_key as anonymous residents' (default true).
    pub open311_anonymous: Option<bool>,
    /// The unit code for Open311 reports without `address_id`.
    pub open311_default_unit: Option<String>,
    /// The contact the Open311 discovery document gives.
    pub open311_contact: Option<String>,
}

impl FileSettings {
    pub fn load(path: Option<&Path>) -> anyhow::Result<FileSettings> {
        let Some(path) = path else {
            return Ok(FileSettings::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read settings file {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("settings file {} is not valid", path.display()))
    }
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE: &str = "sqlite:wangge.db";
pub const DEFAULT_DEMO_DATABASE: &str = "sqlite:wangge-demo.db";

/// A database URL that hides any password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(super::redact("sqlite:wangge.db"), "sqlite:wangge.db");
    }
}
