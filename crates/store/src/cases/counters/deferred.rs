//! Counter deltas of a writer's transaction, added up and written once just
//! before its commit: a pre-commit hook ([`crate::db::Hooks`]). Sixty-four
//! reports in one transaction touch the same zone and street rows; written one
//! by one they were a fifth of the writer thread's time at intake. A write
//! that fails drops its own deltas, and on a bare connection deltas are
//! written at once.

use super::batch::Batch;
use super::Delta;
use crate::db::{Conn, Hook, Order};
use crate::error::Result;

enum Pending {
    Add {
        unit_path: String,
        category_id: i64,
        at_ms: i64,
        delta: Delta,
    },
    /// `rebuild_counters` recounted every event so far from the log, those of
    /// earlier writes in this transaction included.
    Recounted,
}

/// The counters' hook: what the transaction's writes added, in order.
#[derive(Default)]
struct Deltas(Vec<Pending>);

impl Hook for Deltas {
    /// First, before the facts' roll-ups and audit (which is last): the
    /// order in which every writer locks these rows.
    const ORDER: Order = 10;

    fn mark(&self) -> usize {
        self.0.len()
    }

    fn truncate(&mut self, to: usize) {
        self.0.truncate(to);
    }

    /// Writes the waiting deltas, each counter row once.
    fn flush(&mut self, c: &mut dyn Conn) -> Result<()> {
        let mut batch = Batch::default();
        for p in std::mem::take(&mut self.0) {
            match p {
                Pending::Add {
                    unit_path,
                    category_id,
                    at_ms,
                    delta,
                } => batch.add(&unit_path, category_id, at_ms, &delta),
                Pending::Recounted => batch = Batch::default(),
            }
        }
        batch.flush(c)
    }
}

/// Keeps the delta for the commit if `c` is a writer's transaction;
/// otherwise answers false, to be written at once.
pub(super) fn keep(
    c: &mut dyn Conn,
    unit_path: &str,
    category_id: i64,
    at_ms: i64,
    delta: &Delta,
) -> bool {
    match c.hooks() {
        Some(hooks) => {
            hooks.get::<Deltas>().0.push(Pending::Add {
                unit_path: unit_path.to_string(),
                category_id,
                at_ms,
                delta: *delta,
            });
            true
        }
        None => false,
    }
}

/// Deltas kept before this point are already in the recounted rows.
pub(super) fn recounted(c: &mut dyn Conn) {
    if let Some(hooks) = c.hooks() {
        hooks.get::<Deltas>().0.push(Pending::Recounted);
    }
}
