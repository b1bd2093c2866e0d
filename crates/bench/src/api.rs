//! The API phases: Wangge's own HTTP server on 127.0.0.1, driven by a
//! keep-alive client. Nothing here ever connects anywhere but the loopback
//! address the server was bound to.

use crate::stats::Latency;
use anyhow::{anyhow, Context, Result};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use time::{Date, Month};
use tokio::sync::oneshot;
use wangge_core::auth::Role;
use wangge_store::accounts::{self, NewUser};
use wangge_store::{Scope, Store};

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// Creates the benchmark's zone administrator and an API token for it, as the
/// system (the way `wangge user` would).
async fn bench_token(store: &Store) -> Result<String> {
    let password = accounts::new_token("pw_")?;
    let hash = tokio::task::spawn_blocking(move || accounts::hash_password(&password)).await??;
    let ctx = store.ctx("wangge-bench", Scope::All, time::OffsetDateTime::now_utc());
    let token = store
        .db
        .write(move |c| {
            let new = NewUser {
                username: "wangge-bench".into(),
                display_name: Some("基准测试 / benchmark".into()),
                role: Role::ZoneAdmin,
                scope_unit: None,
                scope_org: None,
            };
            let user = accounts::create_user(c, &ctx, new, &hash)?;
            let (_, token) = accounts::create_token(
                c,
                &ctx,
                &user.username,
                "benchmark",
                accounts::DEFAULT_TOKEN_DAYS,
            )?;
            Ok(token)
        })
        .await?;
    Ok(token)
}

/// A running server and a client for it.
pub struct Api {
    addr: SocketAddr,
    client: HttpClient,
    /// `Bearer …` for the benchmark's own account.
    auth: Arc<str>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Api {
    /// Starts the server and gives the client a zone administrator's API token.
    pub async fn start(store: Store, clients: usize) -> Result<Api> {
        let token = bench_token(&store).await?;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .context("cannot listen on 127.0.0.1")?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let state = wangge_server::AppState::new(store);
        let task = tokio::spawn(wangge_server::serve(listener, state, async {
            let _ = stopped.await;
        }));
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(clients)
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        Ok(Api {
            addr,
            client,
            auth: Arc::from(format!("Bearer {token}")),
            stop: Some(stop),
            task,
        })
    }

    pub async fn stop(mut self) -> Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match tokio::time::timeout(Duration::from_secs(30), self.task).await {
            Ok(joined) => joined
                .context("the server task failed")?
                .context("the server failed"),
            Err(_) => Err(anyhow!("the server did not shut down within 30 s")),
        }
    }

    /// Sends one JSON request; answers the status and the time it took.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: String,
    ) -> Result<(StatusCode, Duration)> {
        call(&self.client, self.addr, &self.auth, method, path, body).await
    }
}

async fn call(
    client: &HttpClient,
    addr: SocketAddr,
    auth: &str,
    method: Method,
    path: &str,
    body: String,
) -> Result<(StatusCode, Duration)> {
    debug_assert!(addr.ip().is_loopback());
    let req = Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"))
        .header("content-type", "application/json")
        .header("authorization", auth)
        .body(Full::new(Bytes::from(body)))?;
    let started = Instant::now();
    let resp = client.request(req).await?;
    let status = resp.status();
    // The answer counts only once its whole body has arrived.
    resp.into_body().collect().await?;
    Ok((status, started.elapsed()))
}

/// An ID number no demo resident has: the demo's births stop at the end of
/// 2023, these start on 2024-01-01 (998 numbers a day).
pub fn fresh_id_number(i: usize) -> Result<String> {
    let start = Date::from_calendar_date(2024, Month::January, 1)?;
    let day = start + time::Duration::days((i / 998) as i64);
    anyhow::ensure!(
        day < time::OffsetDateTime::now_utc().date(),
        "too many API requests for the available fresh ID numbers"
    );
    Ok(wangge_demo::synthetic_id_number(day, (i % 998) as u16 + 1))
}

#[derive(Debug, Clone, Default)]
pub struct CreateResult {
    pub clients: usize,
    pub created: usize,
    pub failed: usize,
    pub first_failure: Option<String>,
    pub secs: f64,
    pub latency: Latency,
    pub timed_out: bool,
}

impl CreateResult {
    pub fn per_sec(&self) -> f64 {
        if self.secs > 0.0 {
            self.created as f64 / self.secs
        } else {
            0.0
        }
    }
}

/// Creates up to `requests` residents, one per request, from `clients`
/// concurrent keep-alive clients, stopping early at `limit`.
pub async fn create_people(
    api: &Api,
    units: &[String],
    requests: usize,
    clients: usize,
    limit: Duration,
) -> Result<CreateResult> {
    anyhow::ensure!(!units.is_empty(), "no building to register residents in");
    let next = Arc::new(AtomicUsize::new(0));
    let units = Arc::new(units.to_vec());
    let deadline = Instant::now() + limit;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (next, units, client, addr) =
            (next.clone(), units.clone(), api.client.clone(), api.addr);
        let auth = api.auth.clone();
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut failed = 0usize;
            let mut first_failure = None;
            let mut timed_out = false;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests {
                    break;
                }
                if Instant::now() >= deadline {
                    timed_out = true;
                    break;
                }
                let body = serde_json::json!({
                    "name": format!("测试{}", i % 1000),
                    "id_number": fresh_id_number(i)?,
                    "phone": format!("139{:08}", i % 100_000_000),
                    "unit": units[i % units.len()],
                    "address_detail": format!("{}单元{}{:02}室", 1 + i % 3, 1 + i % 18, 1 + i % 2),
                })
                .to_string();
                match call(&client, addr, &auth, Method::POST, "/api/v1/people", body).await {
                    Ok((StatusCode::CREATED, took)) => samples.push(took),
                    Ok((status, _)) => {
                        failed += 1;
                        first_failure.get_or_insert_with(|| format!("HTTP {status}"));
                    }
                    Err(e) => {
                        failed += 1;
                        first_failure.get_or_insert_with(|| e.to_string());
                    }
                }
            }
            anyhow::Ok((samples, failed, first_failure, timed_out))
        }));
    }
    let mut out = CreateResult {
        clients,
        ..CreateResult::default()
    };
    let mut samples = Vec::new();
    for t in tasks {
        let (s, failed, first, timed_out) = t.await??;
        samples.extend(s);
        out.failed += failed;
        out.timed_out |= timed_out;
        if out.first_failure.is_none() {
            out.first_failure = first;
        }
    }
    out.secs = started.elapsed().as_secs_f64();
    out.created = samples.len();
    out.latency = Latency::of(samples);
    Ok(out)
}

/// Times `n` sequential requests (one client) after `warmup` untimed ones,
/// cycling through `paths_and_bodies`; an `Err` text when the server does not
/// answer them with 200 (e.g. the route is not there in this build).
pub async fn time_requests(
    api: &Api,
    method: Method,
    paths_and_bodies: &[(String, String)],
    warmup: usize,
    n: usize,
) -> Result<std::result::Result<Latency, String>> {
    let mut samples = Vec::with_capacity(n);
    for i in 0..warmup + n {
        let Some((path, body)) = paths_and_bodies.get(i % paths_and_bodies.len().max(1)) else {
            break;
        };
        let (status, took) = api.call(method.clone(), path, body.clone()).await?;
        if status != StatusCode::OK {
            return Ok(Err(format!(
                "HTTP {status} from {method} {}",
                path.split('?').next().unwrap_or(path)
            )));
        }
        if i >= warmup {
            samples.push(took);
        }
    }
    Ok(Ok(Latency::of(samples)))
}
