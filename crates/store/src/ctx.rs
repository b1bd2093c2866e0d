//! Who is acting, on what part of the tree, and when.

use crate::crypto::Keys;
use crate::error::{Error, Result};
use std::sync::Arc;
use time::{Date, OffsetDateTime, UtcOffset};
use wangge_core::auth::{Permission, Role};

/// The part of the org tree a caller may see and change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The whole tree (zone administrators, the system itself).
    All,
    /// The subtree below (and including) the unit with this materialized path.
    Subtree(String),
}

impl Scope {
    /// Whether a row at `path` is inside this scope.
    pub fn contains(&self, path: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Subtree(root) => path.starts_with(root.as_str()),
        }
    }
}

/// The context of one piece of work: the actor, their role and scope, the time, the keys.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub actor: String,
    /// `None` for the system itself (migrations, demo data, command-line tools).
    pub role: Option<Role>,
    pub scope: Scope,
    /// The organisation a department handler works for.
    pub org_id: Option<i64>,
    pub client_addr: Option<String>,
    pub now: OffsetDateTime,
    pub(crate) keys: Arc<Keys>,
    /// The signed-in account's id, when the context was made from it
    /// ([`crate::accounts::User::ctx`]): spares looking it up by name.
    pub(crate) user_id: Option<i64>,
}

/// China Standard Time, which has had no daylight saving since 1991.
pub const CST: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

impl Ctx {
    pub fn now_ms(&self) -> i64 {
        (self.now.unix_timestamp_nanos() / 1_000_000) as i64
    }

    /// Today's date in Asia/Shanghai.
    pub fn today(&self) -> Date {
        self.now.to_offset(CST).date()
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The keys, to keep beyond this context (an attachment store made inside a write).
    pub fn shared_keys(&self) -> std::sync::Arc<Keys> {
        self.keys.clone()
    }

    /// Refuses the work unless the actor's role carries `p` (the system may do anything).
    pub fn require(&self, p: Permission) -> Result<()> {
        match self.role {
            None => Ok(()),
            Some(r) if r.can(p) => Ok(()),
            Some(_) => Err(Error::Forbidden),
        }
    }

    pub fn can(&self, p: Permission) -> bool {
        self.require(p).is_ok()
    }
}

/// The index range that holds a subtree: `[path, path with its final '/' raised to '0')`.
/// Paths compare bytewise ('/' < '0'), so every descendant's path falls inside.
pub fn subtree_range(path: &str) -> (String, String) {
    let upper = match path.strip_suffix('/') {
        Some(stem) => format!("{stem}0"),
        None => format!("{path}0"),
    };
    (path.to_string(), upper)
}

/// Milliseconds since the epoch as an RFC 3339 time in Asia/Shanghai.
pub fn ms_to_time(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .to_offset(CST)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtree_range_holds_descendants_only() {
        let (lo, hi) = subtree_range("/1/5/");
        for inside in ["/1/5/", "/1/5/23/", "/1/5/999/1/"] {
            assert!(lo.as_str() <= inside && inside < hi.as_str(), "{inside}");
        }
        for outside in ["/1/50/", "/1/6/", "/1/", "/1/4/9/"] {
            assert!(
                !(lo.as_str() <= outside && outside < hi.as_str()),
                "{outside}"
            );
        }
    }
}
