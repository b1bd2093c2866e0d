//! Argon2 work, bounded. Each hash or verification takes about 19 MiB and a
//! core for a while; without a bound, a burst of logins makes the server take
//! memory for every one of them at once. At most `workers` run at a time (one
//! per core by default), at most `queue` more wait their turn, and the rest
//! are refused at once with 503 and `Retry-After`.

use crate::error::ApiError;
use crate::ApiResult;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Seconds a refused caller is told to wait.
const RETRY_AFTER_S: i64 = 1;

pub struct Gate {
    permits: Arc<Semaphore>,
    workers: usize,
    queue: usize,
    /// Running and waiting.
    admitted: AtomicUsize,
    running: AtomicUsize,
    peak: AtomicUsize,
}

impl Gate {
    pub fn new(workers: usize, queue: usize) -> Gate {
        let workers = workers.max(1);
        Gate {
            permits: Arc::new(Semaphore::new(workers)),
            workers,
            queue,
            admitted: AtomicUsize::new(0),
            running: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }

    /// One check per core at a time, and eight per core waiting.
    pub fn for_this_machine() -> Gate {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Gate::new(cores, 8 * cores)
    }

    /// The most checks that ever ran at once (for tests and metrics).
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Runs `f` (a password hash or verification) on a blocking thread once a
    /// permit is free, or refuses with [`ApiError::Busy`] when the queue is full.
    /// The permit goes with the work itself, so a caller that gives up waiting
    /// for the answer still holds its place until the work ends.
    pub async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> ApiResult<T> {
        let busy = || ApiError::Busy {
            retry_after: RETRY_AFTER_S,
        };
        if self.admitted.fetch_add(1, Ordering::SeqCst) >= self.workers + self.queue {
            self.admitted.fetch_sub(1, Ordering::SeqCst);
            return Err(busy());
        }
        let _place = Place(self.clone());
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| busy())?;
        let gate = self.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let now = gate.running.fetch_add(1, Ordering::SeqCst) + 1;
            gate.peak.fetch_max(now, Ordering::SeqCst);
            let out = f();
            gate.running.fetch_sub(1, Ordering::SeqCst);
            out
        })
        .await
        .map_err(|e| wangge_store::Error::Db(format!("password check failed: {e}")).into())
    }
}

/// A place in line, given back when the caller is done (or gives up).
struct Place(Arc<Gate>);

impl Drop for Place {
    fn drop(&mut self) {
        self.0.admitted.fetch_sub(1, Ordering::SeqCst);
    }
}
