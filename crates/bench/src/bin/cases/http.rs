//! The HTTP harness: Wangge's server on 127.0.0.1 and keep-alive clients.

use super::*;

pub(super) type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// The servers the clients call: one in this process, or the `wangge serve`
/// nodes of another (client `k` calls node `k % nodes`).
pub(super) struct Api {
    pub(super) addrs: Vec<SocketAddr>,
    pub(super) client: HttpClient,
    pub(super) auth: Arc<str>,
    pub(super) server: Option<InProcess>,
}

pub(super) struct InProcess {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

fn http_client(clients: usize) -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(clients)
        .pool_idle_timeout(Duration::from_secs(90))
        .build(connector)
}

impl Api {
    pub(super) async fn start(store: Store, token: &str, clients: usize) -> Result<Api> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .context("cannot listen on 127.0.0.1")?;
        let addr = listener.local_addr()?;
        anyhow::ensure!(addr.ip().is_loopback(), "the server is not on loopback");
        let (stop, stopped) = oneshot::channel::<()>();
        let state = wangge_server::AppState::new(store);
        let task = tokio::spawn(wangge_server::serve(listener, state, async {
            let _ = stopped.await;
        }));
        Ok(Api {
            addrs: vec![addr],
            client: http_client(clients),
            auth: Arc::from(format!("Bearer {token}")),
            server: Some(InProcess { stop, task }),
        })
    }

    /// Clients of servers that run elsewhere (other processes on 127.0.0.1).
    pub(super) fn remote(addrs: Vec<SocketAddr>, token: &str, clients: usize) -> Result<Api> {
        anyhow::ensure!(
            addrs.iter().all(|a| a.ip().is_loopback()),
            "the servers are not on loopback"
        );
        Ok(Api {
            addrs,
            client: http_client(clients),
            auth: Arc::from(format!("Bearer {token}")),
            server: None,
        })
    }

    pub(super) async fn stop(self) -> Result<()> {
        let Some(InProcess { stop, task }) = self.server else {
            return Ok(());
        };
        let _ = stop.send(());
        match tokio::time::timeout(Duration::from_secs(30), task).await {
            Ok(joined) => joined
                .context("the server task failed")?
                .context("the server failed"),
            Err(_) => Err(anyhow!("the server did not shut down within 30 s")),
        }
    }
}

pub(super) async fn call(
    client: &HttpClient,
    addr: SocketAddr,
    auth: &str,
    method: Method,
    path: &str,
    body: Option<String>,
) -> Result<(StatusCode, Duration, Bytes)> {
    let mut req = Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"))
        .header("authorization", auth);
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let req = req.body(Full::new(Bytes::from(body.unwrap_or_default())))?;
    let started = Instant::now();
    let resp = client.request(req).await?;
    let status = resp.status();
    // The answer counts only once its whole body has arrived.
    let bytes = resp.into_body().collect().await?.to_bytes();
    Ok((status, started.elapsed(), bytes))
}

/// What one concurrent phase gave.
#[derive(Debug, Clone, Default)]
pub(super) struct Outcome {
    pub(super) ok: usize,
    pub(super) failed: usize,
    pub(super) first_failure: Option<String>,
    pub(super) secs: f64,
    pub(super) latency: Latency,
    /// Latency of the first and of the last tenth of the requests, by request
    /// number (shows whether a phase slows down as the tables grow).
    pub(super) first_tenth: Latency,
    pub(super) last_tenth: Latency,
    pub(super) timed_out: bool,
    /// Case ids of the answers (intake only).
    pub(super) ids: Vec<i64>,
}

impl Outcome {
    pub(super) fn per_sec(&self) -> f64 {
        if self.secs > 0.0 {
            self.ok as f64 / self.secs
        } else {
            0.0
        }
    }
}

/// One request of a phase: method, path, body.
pub(super) type MakeRequest = dyn Fn(usize) -> (Method, String, Option<String>) + Send + Sync;

/// Sends `requests` requests from `clients` concurrent keep-alive clients,
/// stopping early at `limit`; an answer with `expect` counts, anything else is
/// a failure. With `collect_ids`, the answers' `case.id` are kept.
pub(super) async fn drive(
    api: &Api,
    requests: usize,
    clients: usize,
    limit: Duration,
    expect: StatusCode,
    collect_ids: bool,
    make: Arc<MakeRequest>,
) -> Result<Outcome> {
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + limit;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for k in 0..clients {
        let (next, make, client, addr, auth) = (
            next.clone(),
            make.clone(),
            api.client.clone(),
            api.addrs[k % api.addrs.len()],
            api.auth.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut ids = Vec::new();
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
                let (method, path, body) = make(i);
                match call(&client, addr, &auth, method, &path, body).await {
                    Ok((status, took, bytes)) if status == expect => {
                        samples.push((i, took));
                        if collect_ids {
                            let id = serde_json::from_slice::<serde_json::Value>(&bytes)
                                .ok()
                                .and_then(|v| v.pointer("/case/id").and_then(|x| x.as_i64()));
                            match id {
                                Some(id) => ids.push(id),
                                None => {
                                    first_failure.get_or_insert_with(|| {
                                        "a 201 answer without case.id".to_string()
                                    });
                                }
                            }
                        }
                    }
                    Ok((status, _, bytes)) => {
                        failed += 1;
                        first_failure.get_or_insert_with(|| {
                            format!(
                                "HTTP {status}: {}",
                                String::from_utf8_lossy(&bytes)
                                    .chars()
                                    .take(300)
                                    .collect::<String>()
                            )
                        });
                    }
                    Err(e) => {
                        failed += 1;
                        first_failure.get_or_insert_with(|| format!("{e:#}"));
                    }
                }
            }
            (samples, ids, failed, first_failure, timed_out)
        }));
    }
    let mut out = Outcome::default();
    let mut samples = Vec::new();
    for t in tasks {
        let (s, ids, failed, first, timed_out) = t.await.context("a client task failed")?;
        samples.extend(s);
        out.ids.extend(ids);
        out.failed += failed;
        out.timed_out |= timed_out;
        if out.first_failure.is_none() {
            out.first_failure = first;
        }
    }
    out.secs = started.elapsed().as_secs_f64();
    out.ok = samples.len();
    let tenth = (requests / 10).max(1);
    let pick = |keep: &dyn Fn(usize) -> bool| {
        Latency::of(
            samples
                .iter()
                .filter(|(i, _)| keep(*i))
                .map(|(_, d)| *d)
                .collect(),
        )
    };
    out.first_tenth = pick(&|i| i < tenth);
    out.last_tenth = pick(&|i| i >= requests.saturating_sub(tenth));
    out.latency = Latency::of(samples.into_iter().map(|(_, d)| d).collect());
    Ok(out)
}
