//! Pre-commit hooks: work that the writes of a writer's transaction leave for
//! its commit (audit entries to chain, counter deltas to add up), carried by
//! the transaction itself so that the writer needs to know none of it.
//!
//! A feature registers a hook by implementing [`Hook`] for its pending state
//! and asking [`Conn::hooks`] for it: the first use in a transaction creates
//! it. A bare connection (migrations, the command line, tests) has no hooks,
//! and the feature then writes at once. Registered today, in flush order:
//! case counters (`cases::counters::deferred`, 10), fact roll-ups
//! (`facts`, 20), audit entries (`audit`, [`Order::MAX`]).
//!
//! The writer drives them all alike ([`Tx`]): it marks them before each job,
//! truncates them to those marks when the job is rolled back to its
//! savepoint, flushes them in order just before `COMMIT`, and drops them when
//! the transaction ends.

use super::{Backend, Conn, Row, Value};
use crate::error::Result;
use std::any::{Any, TypeId};

/// Where a hook flushes among the others: lowest first.
pub type Order = u8;

/// A feature's pending pre-commit work in one transaction.
pub trait Hook: Default + Send + 'static {
    /// Its place in the flush order. Audit is last ([`Order::MAX`]): it takes
    /// the chain's head row, which serialises writers, so it is held for as
    /// short a time as can be, and every other flush may still record entries.
    const ORDER: Order;
    /// How much work waits: what [`Hook::truncate`] gets back to forget what
    /// came after. Zero means nothing to flush.
    fn mark(&self) -> usize;
    /// Forgets what was kept after `mark` (its write was rolled back).
    fn truncate(&mut self, mark: usize);
    /// Writes what waits on `c`, which is the transaction's own connection,
    /// without hooks; the transaction is to commit next.
    fn flush(&mut self, c: &mut dyn Conn) -> Result<()>;
}

/// [`Hook`] without its `Default` and constant, so hooks of different kinds
/// can sit in one list.
trait Erased: Send {
    fn mark(&self) -> usize;
    fn truncate(&mut self, mark: usize);
    fn flush(&mut self, c: &mut dyn Conn) -> Result<()>;
    fn as_any(&mut self) -> &mut dyn Any;
}

impl<H: Hook> Erased for H {
    fn mark(&self) -> usize {
        Hook::mark(self)
    }
    fn truncate(&mut self, mark: usize) {
        Hook::truncate(self, mark)
    }
    fn flush(&mut self, c: &mut dyn Conn) -> Result<()> {
        Hook::flush(self, c)
    }
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}

struct Entry {
    id: TypeId,
    order: Order,
    /// What [`Hooks::mark`] saw; a hook created after it starts at zero.
    saved: usize,
    hook: Box<dyn Erased>,
}

/// The hooks of one transaction, at most one of each kind, kept in flush
/// order. A handful at most, so a list beats a map.
#[derive(Default)]
pub struct Hooks {
    entries: Vec<Entry>,
}

impl Hooks {
    /// The transaction's hook of kind `H`, created empty on first use.
    pub fn get<H: Hook>(&mut self) -> &mut H {
        let id = TypeId::of::<H>();
        let at = match self.entries.iter().position(|e| e.id == id) {
            Some(at) => at,
            None => {
                // Equal orders keep the order of first use.
                let at = self.entries.partition_point(|e| e.order <= H::ORDER);
                self.entries.insert(
                    at,
                    Entry {
                        id,
                        order: H::ORDER,
                        saved: 0,
                        hook: Box::new(H::default()),
                    },
                );
                at
            }
        };
        match self.entries[at].hook.as_any().downcast_mut::<H>() {
            Some(h) => h,
            // The entry was found by H's TypeId, so it holds an H.
            None => unreachable!("a hook under another kind's id"),
        }
    }

    /// Notes how far every hook is, before a write that may be rolled back.
    pub(super) fn mark(&mut self) {
        for e in &mut self.entries {
            e.saved = e.hook.mark();
        }
    }

    /// Forgets what every hook kept since [`Hooks::mark`].
    pub(super) fn rollback(&mut self) {
        for e in &mut self.entries {
            e.hook.truncate(e.saved);
        }
    }

    /// Whether any work waits: without, the commit is one round trip.
    pub(super) fn is_empty(&self) -> bool {
        self.entries.iter().all(|e| e.hook.mark() == 0)
    }

    /// Writes every hook's work on `c`, in order.
    pub(super) fn flush(&mut self, c: &mut dyn Conn) -> Result<()> {
        for e in &mut self.entries {
            e.hook.flush(c)?;
        }
        Ok(())
    }
}

/// What a writer's transaction starts with: run on its fresh [`Hooks`]
/// (the audit hook notes that `BEGIN` took the chain's lock).
pub(super) type Prepare = fn(&mut Hooks);

/// A writer's transaction: its connection and the hooks its writes left.
/// Store functions see it as any [`Conn`].
pub(super) struct Tx<'a> {
    conn: &'a mut dyn Conn,
    hooks: Hooks,
    prepare: Prepare,
}

impl<'a> Tx<'a> {
    pub(super) fn new(conn: &'a mut dyn Conn, prepare: Prepare) -> Self {
        let mut hooks = Hooks::default();
        prepare(&mut hooks);
        Tx {
            conn,
            hooks,
            prepare,
        }
    }

    /// Before a write that may be rolled back to its savepoint.
    pub(super) fn mark(&mut self) {
        self.hooks.mark();
    }

    /// The write since [`Tx::mark`] was rolled back to its savepoint.
    pub(super) fn rollback_to_mark(&mut self) {
        self.hooks.rollback();
    }

    /// The whole transaction was rolled back and begins again.
    pub(super) fn restart(&mut self) {
        self.hooks = Hooks::default();
        (self.prepare)(&mut self.hooks);
    }

    /// Runs `before` (the end of the last savepoint), flushes the hooks and
    /// commits; when no hook has work, all in one batch of statements.
    pub(super) fn commit(&mut self, before: &str) -> Result<()> {
        if self.hooks.is_empty() {
            return self.conn.batch(&format!("{before} COMMIT"));
        }
        if !before.is_empty() {
            self.conn.batch(before)?;
        }
        self.hooks.flush(self.conn)?;
        self.hooks = Hooks::default();
        self.conn.batch("COMMIT")
    }
}

/// Every method goes to the connection; only [`Conn::hooks`] is the
/// transaction's own. A method added to [`Conn`] with a default must be
/// passed on here too.
impl Conn for Tx<'_> {
    fn backend(&self) -> Backend {
        self.conn.backend()
    }
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        self.conn.query(sql, params)
    }
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        self.conn.execute(sql, params)
    }
    fn batch(&mut self, sql: &str) -> Result<()> {
        self.conn.batch(sql)
    }
    fn is_broken(&self) -> bool {
        self.conn.is_broken()
    }
    fn total_changes(&self) -> Option<u64> {
        self.conn.total_changes()
    }
    fn bulk_insert(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &mut dyn Iterator<Item = Vec<Value>>,
    ) -> Result<u64> {
        self.conn.bulk_insert(table, columns, rows)
    }
    fn reserve_ids(&mut self, table: &str, n: usize) -> Result<Vec<i64>> {
        self.conn.reserve_ids(table, n)
    }
    fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>> {
        self.conn.query_opt(sql, params)
    }
    fn query_one(&mut self, sql: &str, params: &[Value]) -> Result<Row> {
        self.conn.query_one(sql, params)
    }
    fn hooks(&mut self) -> Option<&mut Hooks> {
        Some(&mut self.hooks)
    }
}
