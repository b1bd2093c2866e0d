//! Whether this node can take writes, for `/readyz`.

use crate::db::Value;
use crate::{Error, Result, Store};
use std::time::Duration;

/// After a write failed for want of storage, the node reports not ready for
/// this long, unless a write succeeds meanwhile; then a probe decides again.
/// A probe alone is too small to show a full disk on PostgreSQL, whose
/// one-row update fits in a page it already has.
pub const STORAGE_HOLD: Duration = Duration::from_secs(30);

/// Why a node is not ready.
#[derive(Debug)]
pub enum NotReady {
    /// Reads or writes fail: the database is down, full or unreachable.
    Database(Error),
    /// A write failed for want of storage this long ago, and none has passed since.
    StorageFailed(Duration),
}

impl Store {
    /// Ready when the database answers a read and commits a real write (a
    /// disk that is full still answers reads and empty transactions), and no
    /// write has failed for want of storage in the last [`STORAGE_HOLD`].
    pub async fn readiness(&self, now_ms: i64) -> Result<(), NotReady> {
        if let Some(ago) = self.db.storage_failing().filter(|a| *a < STORAGE_HOLD) {
            return Err(NotReady::StorageFailed(ago));
        }
        self.db
            .read(|c| c.query_one("SELECT 1", &[]).map(|_| ()))
            .await
            .map_err(NotReady::Database)?;
        self.db
            .write(move |c| {
                c.execute(
                    "INSERT INTO ready_probe (id, at_ms) VALUES (1, $1) \
                     ON CONFLICT (id) DO UPDATE SET at_ms = excluded.at_ms",
                    &[Value::Int(now_ms)],
                )
                .map(|_| ())
            })
            .await
            .map_err(NotReady::Database)
    }
}
