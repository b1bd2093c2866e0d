//! SQLite's WAL checkpoints on a thread of their own.
//!
//! By default SQLite copies the WAL back into the database file (and syncs
//! it) on the connection that commits once the WAL passes 1,000 pages: on the
//! one writer thread, in the middle of a commit that requests wait for. That
//! was 8.5 % of the writer's time during case intake, with a stall at every
//! checkpoint. This thread checkpoints passively (never blocking the writer or
//! readers) a few times a second whenever something was committed.
//!
//! A passive checkpoint copies the frames committed before it starts; under
//! continuous writes the WAL would then never start over and would grow. So
//! the writer keeps an automatic checkpoint at a higher mark
//! ([`WRITER_AUTOCHECKPOINT`]) as a backstop: when it runs, this thread has
//! already copied nearly everything, and the WAL starts over after it.

use super::sqlite;
use crate::error::{Error, Result};
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::time::Duration;

/// WAL pages after which the writer checkpoints itself (about 32 MB).
pub(super) const WRITER_AUTOCHECKPOINT: u32 = 8_000;

const EVERY: Duration = Duration::from_millis(200);

/// Keeps the checkpoint thread running; dropping it stops the thread.
pub(super) struct Checkpointer {
    _stop: Sender<()>,
}

pub(super) fn start(path: &str) -> Result<Checkpointer> {
    // Not query_only: a checkpoint writes the database file.
    let conn = sqlite::open(path, false)?;
    let (stop, stopped) = channel::<()>();
    std::thread::Builder::new()
        .name("wangge-checkpoint".into())
        .spawn(move || {
            let mut seen = None;
            // Nothing is ever sent: the sender's drop is the signal to stop.
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
                // `data_version` changes when another connection commits.
                let version = match conn.data_version() {
                    Ok(v) => v,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot read SQLite's data_version");
                        continue;
                    }
                };
                if seen == Some(version) {
                    continue;
                }
                seen = Some(version);
                if let Err(e) = conn.checkpoint_passive() {
                    tracing::warn!(error = %e, "WAL checkpoint failed; the writer's own will run");
                }
            }
        })
        .map_err(|e| Error::Db(format!("cannot start the checkpoint thread: {e}")))?;
    Ok(Checkpointer { _stop: stop })
}
