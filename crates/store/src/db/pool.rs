//! A small pool of read connections used from async code through `spawn_blocking`.

use super::Conn;
use crate::error::{Error, Result};
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

type Opener = dyn Fn() -> Result<Box<dyn Conn + Send>> + Send + Sync;

pub(super) struct Pool {
    idle: Arc<Mutex<Vec<Box<dyn Conn + Send>>>>,
    open: Arc<Opener>,
    permits: Arc<Semaphore>,
}

impl Pool {
    pub(super) fn new<C, F>(size: usize, open: F) -> Pool
    where
        C: Conn + Send + 'static,
        F: Fn() -> Result<C> + Send + Sync + 'static,
    {
        Pool {
            idle: Arc::new(Mutex::new(Vec::new())),
            open: Arc::new(move || open().map(|c| Box::new(c) as Box<dyn Conn + Send>)),
            permits: Arc::new(Semaphore::new(size.max(1))),
        }
    }

    /// Runs `f` on the calling thread with an idle connection, if one is free
    /// and no reader waits for a permit; otherwise gives `f` back.
    pub(super) fn try_run_here<T, F>(&self, f: F) -> std::result::Result<Result<T>, F>
    where
        F: FnOnce(&mut dyn Conn) -> Result<T>,
    {
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            return Err(f);
        };
        let taken = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let Some(mut conn) = taken else {
            // Opening a connection is slow work: leave it to a blocking thread.
            return Err(f);
        };
        let out = f(conn.as_mut());
        self.give_back(conn, &out);
        drop(permit);
        Ok(out)
    }

    fn give_back<T>(&self, conn: Box<dyn Conn + Send>, out: &Result<T>) {
        give_back(&self.idle, conn, out);
    }

    pub(super) async fn run<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut dyn Conn) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::Unavailable)?;
        let idle = self.idle.clone();
        let open = self.open.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let taken = idle.lock().map_err(|_| Error::Unavailable)?.pop();
            let mut conn = match taken {
                Some(c) => c,
                None => open()?,
            };
            let out = f(conn.as_mut());
            give_back(&idle, conn, &out);
            out
        })
        .await
        .map_err(|e| Error::Db(format!("read task failed: {e}")))?
    }
}

/// Returns a connection to the idle list, unless it failed: a connection that
/// failed is dropped rather than handed to the next reader.
fn give_back<T>(
    idle: &Mutex<Vec<Box<dyn Conn + Send>>>,
    conn: Box<dyn Conn + Send>,
    out: &Result<T>,
) {
    if !matches!(out, Err(Error::Db(_)) | Err(Error::Unavailable)) {
        if let Ok(mut idle) = idle.lock() {
            idle.push(conn);
        }
    }
}
