//! Group commit: writer threads take every write that is waiting, run each in its
//! own savepoint inside one transaction, commit once, and only then answer. A
//! failing write rolls back to its savepoint and leaves the others in the batch
//! untouched; a failed commit fails every write of the batch. A write that is
//! alone in its batch runs without a savepoint.
//!
//! A write that finds every error of its input before its first write (case
//! intake) may take [`Door::Validated`]: on SQLite it runs without a savepoint,
//! which copies every page the write touches into a sub-journal (about 15 % of
//! the writer's time during intake, measured). If it fails without having
//! changed a row, there is nothing to undo. If it fails after writing (then
//! only the database can have failed it), the whole transaction is rolled
//! back: the writes before it in the batch are answered
//! [`Error::Unavailable`], to be retried, and the rest of the batch goes on in
//! a new transaction. PostgreSQL counts no changes, so there such a write gets
//! its savepoint as any other (it costs no round trip of its own there).
//!
//! Bulk loads take a door of their own ([`Door::Alone`]): such a job is
//! never batched with others, so it runs in a transaction of its own without a
//! savepoint. In SQLite a savepoint copies every page the job touches into a
//! sub-journal, which at tens of thousands of rows per job cost more than the
//! inserts themselves.
//!
//! What the writes of a transaction leave for its commit (audit entries to
//! chain, counter deltas to add up) the transaction carries itself, as
//! pre-commit hooks ([`super::hooks`]): the writer marks them before each job,
//! drops a failed job's share with its savepoint and flushes them all just
//! before `COMMIT`, knowing nothing of what they are.

use super::hooks::{Prepare, Tx};
use super::Conn;
use crate::error::{Error, Result};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

type Done = Box<dyn FnOnce(Result<()>) + Send>;

/// Opens a new writer connection when the old one was lost.
pub(super) type Opener = dyn Fn() -> Result<Box<dyn Conn + Send>> + Send + Sync;

/// How a write enters the writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Door {
    /// Batched with others, in a savepoint of its own.
    Shared,
    /// Batched with others; without a savepoint where the connection counts
    /// the rows changed (SQLite). The write must find every error of its
    /// input before its first change.
    Validated,
    /// In a transaction of its own.
    Alone,
}

trait Job: Send {
    /// Runs the write; returns whether it succeeded and how to report the outcome.
    fn run(self: Box<Self>, conn: &mut dyn Conn) -> (bool, Done);
    fn abort(self: Box<Self>, e: Error);
    fn door(&self) -> Door;
}

struct Closure<F, T> {
    f: F,
    reply: oneshot::Sender<Result<T>>,
    door: Door,
}

impl<F, T> Job for Closure<F, T>
where
    F: FnOnce(&mut dyn Conn) -> Result<T> + Send,
    T: Send + 'static,
{
    fn run(self: Box<Self>, conn: &mut dyn Conn) -> (bool, Done) {
        let Closure { f, reply, .. } = *self;
        let out = catch_unwind(AssertUnwindSafe(|| f(conn)))
            .unwrap_or_else(|_| Err(Error::Db("a write panicked".into())));
        let ok = out.is_ok();
        // A write that failed answers its own error, whatever became of the
        // transaction; one that succeeded answers the commit's outcome.
        let done: Done = Box::new(move |commit: Result<()>| {
            let _ = reply.send(out.and_then(|v| commit.map(|()| v)));
        });
        (ok, done)
    }

    fn abort(self: Box<Self>, e: Error) {
        let _ = self.reply.send(Err(e));
    }

    fn door(&self) -> Door {
        self.door
    }
}

pub(super) struct Writer {
    queue: Mutex<Option<Sender<Box<dyn Job>>>>,
    /// When the last write failed for want of storage, if no write has
    /// succeeded since (see [`Writer::storage_failing`]).
    storage_failed: Mutex<Option<std::time::Instant>>,
}

impl Writer {
    /// Starts one writer thread per connection. With `reopen`, a thread whose
    /// connection was lost opens a new one before its next batch. Every
    /// transaction starts with `begin` and then `prepare` on its hooks.
    pub(super) fn start(
        conns: Vec<Box<dyn Conn + Send>>,
        reopen: Option<Arc<Opener>>,
        begin: String,
        prepare: Prepare,
        max_batch: usize,
    ) -> Result<Writer> {
        let (tx, rx) = channel::<Box<dyn Job>>();
        let rx = Arc::new(Mutex::new(rx));
        for (i, conn) in conns.into_iter().enumerate() {
            let rx = rx.clone();
            let reopen = reopen.clone();
            let start = Start {
                begin: begin.clone(),
                prepare,
                max: max_batch.max(1),
            };
            std::thread::Builder::new()
                .name(format!("wangge-writer-{i}"))
                .spawn(move || writer_loop(conn, reopen.as_deref(), &rx, &start))
                .map_err(|e| Error::Db(format!("cannot start writer thread: {e}")))?;
        }
        Ok(Writer {
            queue: Mutex::new(Some(tx)),
            storage_failed: Mutex::new(None),
        })
    }

    pub(super) async fn run<T, F>(&self, f: F, door: Door) -> Result<T>
    where
        F: FnOnce(&mut dyn Conn) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(Closure { f, reply, door });
        {
            let queue = self.queue.lock().map_err(|_| Error::Unavailable)?;
            let sender = queue.as_ref().ok_or(Error::Unavailable)?;
            sender.send(job).map_err(|_| Error::Unavailable)?;
        }
        let out = rx.await.map_err(|_| Error::Unavailable)?;
        if let Ok(mut failed) = self.storage_failed.lock() {
            match &out {
                Err(Error::Storage(_)) => *failed = Some(std::time::Instant::now()),
                Ok(_) => *failed = None,
                Err(_) => {}
            }
        }
        out
    }

    /// How long ago the last write failed for want of storage, when no
    /// write has succeeded since.
    pub(super) fn storage_failing(&self) -> Option<std::time::Duration> {
        let failed = self.storage_failed.lock().ok()?;
        failed.map(|at| at.elapsed())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the queue lets the threads finish what is queued and exit.
        if let Ok(mut q) = self.queue.lock() {
            q.take();
        }
    }
}

/// Takes the next batch: every waiting job up to `max`, except that a job that
/// must run alone makes a batch of its own. One met while filling a batch is
/// `held` for the next one, so the queue's order is kept.
fn next_batch(
    rx: &Mutex<Receiver<Box<dyn Job>>>,
    max: usize,
    held: &mut Option<Box<dyn Job>>,
) -> Option<Vec<Box<dyn Job>>> {
    // A held job runs alone, so it needs no lock: waiting for the queue's
    // lock here, while another writer holds it blocked on an empty queue,
    // would never end.
    if let Some(job) = held.take() {
        return Some(vec![job]);
    }
    let rx = rx.lock().ok()?;
    let first = rx.recv().ok()?;
    let mut batch = vec![first];
    if batch[0].door() == Door::Alone {
        return Some(batch);
    }
    while batch.len() < max {
        match rx.try_recv() {
            Ok(job) if job.door() == Door::Alone => {
                *held = Some(job);
                break;
            }
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
    Some(batch)
}

/// How a writer thread starts its transactions.
struct Start {
    begin: String,
    prepare: Prepare,
    /// How many queued writes one transaction may take.
    max: usize,
}

fn writer_loop(
    mut conn: Box<dyn Conn + Send>,
    reopen: Option<&Opener>,
    rx: &Mutex<Receiver<Box<dyn Job>>>,
    start: &Start,
) {
    let mut held = None;
    while let Some(batch) = next_batch(rx, start.max, &mut held) {
        if let (true, Some(open)) = (conn.is_broken(), reopen) {
            match open() {
                Ok(fresh) => {
                    tracing::info!("the writer's database connection was lost; reconnected");
                    conn = fresh;
                }
                Err(e) => {
                    // The database is still away: answer at once (503, retry)
                    // and try again with the next batch, a little later.
                    tracing::warn!(error = %e, "the writer cannot reconnect");
                    batch.into_iter().for_each(|j| j.abort(Error::Unavailable));
                    std::thread::sleep(std::time::Duration::from_millis(200));
                    continue;
                }
            }
        }
        let conn = conn.as_mut();
        if batch.len() == 1 {
            if let Err(e) = conn.batch(&start.begin) {
                tracing::error!(error = %e, "cannot begin a write transaction");
                batch.into_iter().for_each(|j| j.abort(e.clone()));
                continue;
            }
            run_alone(conn, batch, start.prepare);
            continue;
        }
        run_together(conn, batch, start);
    }
}

/// Runs several jobs in one transaction, each in its own savepoint unless it
/// came by [`Door::Validated`] on a connection that counts changes. The end of
/// one job's savepoint and the start of the next go to the database as one
/// batch of statements: on PostgreSQL each batch is a round trip, and these
/// were two of the eight a created resident cost.
fn run_together(conn: &mut dyn Conn, batch: Vec<Box<dyn Job>>, start: &Start) {
    let begin = start.begin.as_str();
    let mut done = Vec::with_capacity(batch.len());
    let mut broken = None;
    // What must run before the next job: the transaction's start, then the
    // previous job's release or rollback.
    let mut before = format!("{begin};");
    let mut tx = Tx::new(conn, start.prepare);
    for job in batch {
        if let Some(e) = &broken {
            job.abort(Error::clone(e));
            continue;
        }
        let changes = match job.door() {
            Door::Validated => tx.total_changes(),
            _ => None,
        };
        let open = match changes {
            Some(_) => std::mem::take(&mut before),
            None => format!("{before} SAVEPOINT w"),
        };
        if !open.is_empty() {
            if let Err(e) = tx.batch(&open) {
                job.abort(e.clone());
                broken = Some(e);
                continue;
            }
        }
        tx.mark();
        let (ok, d) = job.run(&mut tx);
        before = match (ok, changes) {
            (true, None) => "RELEASE w;".to_string(),
            (true, Some(_)) => String::new(),
            (false, None) => {
                tx.rollback_to_mark();
                "ROLLBACK TO w; RELEASE w;".to_string()
            }
            (false, Some(n)) if tx.total_changes() == Some(n) => {
                tx.rollback_to_mark();
                String::new()
            }
            (false, Some(_)) => {
                tx.restart();
                if let Err(e) = tx.batch("ROLLBACK") {
                    broken = Some(e);
                }
                for d in done.drain(..) {
                    let d: Done = d;
                    d(Err(Error::Unavailable));
                }
                format!("{begin};")
            }
        };
        done.push(d);
    }
    let commit = match broken {
        Some(e) => Err(e),
        None => tx.commit(&before),
    };
    if commit.is_err() {
        let _ = tx.batch("ROLLBACK");
    }
    drop(tx);
    for d in done {
        d(commit.clone());
    }
}

/// A batch of one job needs no savepoint: when it fails the whole transaction
/// is rolled back. On PostgreSQL that saves two round trips per write when
/// writes come one at a time.
fn run_alone(conn: &mut dyn Conn, batch: Vec<Box<dyn Job>>, prepare: Prepare) {
    for job in batch {
        let mut tx = Tx::new(&mut *conn, prepare);
        let (ok, done) = job.run(&mut tx);
        let end = if ok {
            tx.commit("")
        } else {
            // The job's own error is the answer; an empty commit would be the
            // same as this rollback.
            tx.batch("ROLLBACK")
        };
        if end.is_err() {
            let _ = tx.batch("ROLLBACK");
        }
        drop(tx);
        done(end);
    }
}
