//! Counter deltas of a group-commit transaction, added up and written once
//! just before its commit. Sixty-four reports in one transaction touch the
//! same zone and street rows; written one by one they were a fifth of the
//! writer thread's time at intake. Works like `audit::deferred`: a write that
//! fails drops its own deltas, and outside a writer deltas are written at once.

use super::batch::Batch;
use super::Delta;
use crate::db::Conn;
use crate::error::Result;
use std::cell::RefCell;

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

thread_local! {
    static PENDING: RefCell<Option<Vec<Pending>>> = const { RefCell::new(None) };
}

/// Keeps the delta for the commit if a transaction is deferring; otherwise
/// gives it back to be written at once.
pub(super) fn keep(unit_path: &str, category_id: i64, at_ms: i64, delta: &Delta) -> bool {
    PENDING.with_borrow_mut(|p| match p {
        Some(list) => {
            list.push(Pending::Add {
                unit_path: unit_path.to_string(),
                category_id,
                at_ms,
                delta: *delta,
            });
            true
        }
        None => false,
    })
}

/// Deltas kept before this point are already in the recounted rows.
pub(super) fn recounted() {
    PENDING.with_borrow_mut(|p| {
        if let Some(list) = p {
            list.push(Pending::Recounted);
        }
    });
}

/// A transaction starts on this thread: deltas wait for [`flush`].
pub fn begin() {
    PENDING.set(Some(Vec::new()));
}

/// How many deltas wait, to [`truncate`] to if the next write fails.
pub fn mark() -> usize {
    PENDING.with_borrow(|p| p.as_ref().map_or(0, Vec::len))
}

/// Forgets the deltas of a write that was rolled back.
pub fn truncate(to: usize) {
    PENDING.with_borrow_mut(|p| {
        if let Some(list) = p {
            list.truncate(to);
        }
    });
}

/// Writes the waiting deltas, each counter row once; the transaction is to
/// commit next.
pub fn flush(c: &mut dyn Conn) -> Result<()> {
    let list = PENDING.with_borrow_mut(|p| p.replace(Vec::new()));
    let mut batch = Batch::default();
    for p in list.unwrap_or_default() {
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

/// The transaction ended (committed or not): deltas are written at once again.
pub fn end() {
    PENDING.set(None);
}
