//! The accept loop. `axum::serve` gives hyper no timer, so a client that
//! opens a connection and never finishes its headers holds it for ever; this
//! loop serves each connection with hyper's HTTP/1 builder and a header-read
//! timeout, and shuts down gracefully with a deadline.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// How long the server waits for each connection and each shutdown.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// A connection whose request head is not complete this long after its
    /// first byte (or after the previous answer, on a kept-alive connection)
    /// is closed.
    pub header_read: Duration,
    /// How long requests in flight may go on after shutdown is asked for.
    pub shutdown_grace: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            header_read: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets the
/// requests in flight finish for up to `timeouts.shutdown_grace` and drops
/// the connections still open then.
pub async fn run(
    listener: TcpListener,
    app: Router,
    timeouts: Timeouts,
    shutdown: impl Future<Output = ()> + Send,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(timeouts.header_read);
    let graceful = GracefulShutdown::new();
    let mut connections = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and the like pass; a tight
                    // retry loop would only make it worse.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        let service = TowerToHyperService::new(tower::service_fn(
            move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                app.clone().oneshot(req.map(axum::body::Body::new))
            },
        ));
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        connections.spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(timeouts.shutdown_grace) => {
            tracing::warn!(
                grace_s = timeouts.shutdown_grace.as_secs_f64(),
                "requests still in flight after the shutdown grace were cut"
            );
        }
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
}
