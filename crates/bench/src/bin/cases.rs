//! `wangge-bench-cases`: the case engine's benchmark, on SQLite and/or
//! PostgreSQL, each beside baselines measured in the same run.
//!
//! 1. Intake: `POST /api/v1/cases` from 64 concurrent keep-alive clients
//!    (throughput, p50, p99), then every case answered 201 is looked for
//!    through a new database connection. Beside it: the same number of
//!    case-like rows inserted straight into the database (100 per durable
//!    transaction, no application code), and a trivial handler
//!    (`GET /healthz`) on the same server with the same clients.
//! 2. Statistics: the counters that a stream of 1 and 10 million cases
//!    produces over a year are synthesized (see [`synth`]) into a store holding
//!    the demo zone's unit tree, and `cases::stats` is timed for a year at zone,
//!    street, community and compound level, with `stats_by_child` at the zone
//!    and the zone's numbers over HTTP. The statistics read only the counters
//!    and `units`, never `cases`, so no case row is needed for them.
//!
//! Prints a Markdown report (and writes it with `--out`). All traffic stays on
//! this machine: the server binds 127.0.0.1 and a PostgreSQL whose host is not
//! 127.0.0.1 (or a local socket) is refused.
//!
//! ```text
//! cargo build --release -p wangge-bench --bin wangge-bench-cases
//! ./target/release/wangge-bench-cases --backend both --out /tmp/bench-cases.md
//! ```

use anyhow::{anyhow, bail, Context, Result};
use clap::{Parser, ValueEnum};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use time::{Date, OffsetDateTime};
use tokio::sync::oneshot;
use wangge_core::auth::Role;
use wangge_core::units::UnitKind;
use wangge_store::accounts::{self, NewUser};
use wangge_store::cases;
use wangge_store::demo::{self, DemoConfig, SplitMix64};
use wangge_store::units::{self, NewUnit};
use wangge_store::{Backend, Scope, Store, StoreOptions};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BackendArg {
    Sqlite,
    Postgres,
    Both,
}

#[derive(Debug, Parser)]
#[command(
    name = "wangge-bench-cases",
    about = "Case intake over HTTP and dashboard statistics, beside baselines measured in the same run"
)]
struct Args {
    /// Which backend(s) to measure.
    #[arg(long, value_enum, default_value = "both")]
    backend: BackendArg,
    /// Cases to report over the API, one per request (also the number of
    /// `GET /healthz` requests of the trivial-handler baseline).
    #[arg(long, default_value_t = 20_000)]
    requests: usize,
    /// Concurrent keep-alive clients.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Rows of the raw batched-insert baseline.
    #[arg(long, default_value_t = 100_000)]
    raw_rows: usize,
    /// Upper bound on each HTTP phase, in seconds.
    #[arg(long, default_value_t = 300)]
    http_seconds: u64,
    /// Case counts whose counters are synthesized for the statistics phase.
    #[arg(long, value_delimiter = ',', default_value = "1000000,10000000")]
    stats_cases: Vec<usize>,
    /// On PostgreSQL, skip statistics sizes above this many cases.
    #[arg(long, default_value_t = 10_000_000)]
    pg_stats_max: usize,
    /// Timed runs of each statistics query (after 3 untimed ones).
    #[arg(long, default_value_t = 30)]
    runs: usize,
    /// Also write the Markdown report to this file.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Where to put the SQLite files (a fresh folder inside it; default: the temporary directory).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// A tiny run (a few seconds, SQLite only) that exercises every phase, for CI.
    #[arg(long)]
    smoke: bool,
    /// PostgreSQL to use (its host must be 127.0.0.1); fresh schemas are made and dropped.
    #[arg(
        long,
        env = "WANGGE_TEST_PG",
        default_value = "postgres://postgres@127.0.0.1/test"
    )]
    pg_url: String,
    /// Seed of the demo tree and of the simulated case stream.
    #[arg(long, default_value_t = 2020)]
    seed: u64,
    /// Internal: serve the store at this database URL over HTTP on 127.0.0.1
    /// until stdin closes (the statistics phase measures a server process).
    #[arg(long, hide = true)]
    serve_db: Option<String>,
    /// Internal: the key file of `--serve-db`.
    #[arg(long, hide = true)]
    serve_key: Option<PathBuf>,
}

fn main() -> Result<()> {
    let mut args = Args::parse();
    if let Some(db) = args.serve_db.clone() {
        return serve_child(&db, args.serve_key.clone());
    }
    if args.smoke {
        args.backend = BackendArg::Sqlite;
        args.requests = args.requests.min(300);
        args.raw_rows = args.raw_rows.min(2_000);
        args.http_seconds = args.http_seconds.min(30);
        args.stats_cases = vec![2_000, 20_000];
        args.runs = args.runs.min(5);
    }
    anyhow::ensure!(args.clients > 0, "--clients must be at least 1");
    anyhow::ensure!(args.runs > 0, "--runs must be at least 1");
    // Not under a `wangge-bench-*` name: another benchmark's cleanup must not
    // take this run's files away.
    let workdir = args
        .dir
        .clone()
        .unwrap_or_else(std::env::temp_dir)
        .join(format!("wgcases-{}", std::process::id()));
    std::fs::create_dir_all(&workdir)
        .with_context(|| format!("cannot create {}", workdir.display()))?;
    let out = run(&args, &workdir);
    let _ = std::fs::remove_dir_all(&workdir);
    let report = out?;
    println!("{report}");
    if let Some(path) = &args.out {
        std::fs::write(path, &report)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

fn run(args: &Args, workdir: &Path) -> Result<String> {
    let load_before = loadavg();
    let mut backends = Vec::new();
    let mut notes = Vec::new();
    if matches!(args.backend, BackendArg::Sqlite | BackendArg::Both) {
        backends.push(Backend::Sqlite);
    }
    let mut pg_info = None;
    if matches!(args.backend, BackendArg::Postgres | BackendArg::Both) {
        check_local_pg(&args.pg_url)?;
        match pg_settings(&args.pg_url) {
            Ok(info) => {
                pg_info = Some(info);
                backends.push(Backend::Postgres);
            }
            Err(e) if args.backend == BackendArg::Both && !pg_required() => {
                notes.push(format!("PostgreSQL skipped: {e:#}"));
                eprintln!("PostgreSQL skipped: {e:#}");
            }
            Err(e) => return Err(e),
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut results = Vec::new();
    for backend in backends {
        eprintln!("== {backend:?}");
        results.push(run_backend(args, backend, workdir, &rt)?);
    }
    drop(rt);
    let mut machine = machine(workdir, pg_info.as_deref());
    machine.push(format!(
        "load average (1 min) at start / end of the run: {load_before} / {} (another benchmark or build may share the 2 cores)",
        loadavg()
    ));
    Ok(report(args, &machine, &results, &notes))
}

// ---------------------------------------------------------------------------
// Stores in fresh places

fn pg_required() -> bool {
    std::env::var("WANGGE_REQUIRE_PG").is_ok_and(|v| v == "1")
}

/// Refuses any PostgreSQL that is not on this machine's loopback address.
fn check_local_pg(url: &str) -> Result<()> {
    let cfg: postgres::Config = url.parse().context("cannot parse the PostgreSQL URL")?;
    for host in cfg.get_hosts() {
        match host {
            postgres::config::Host::Tcp(h) if h == "127.0.0.1" => {}
            #[cfg(unix)]
            postgres::config::Host::Unix(_) => {}
            #[allow(unreachable_patterns)]
            other => {
                bail!("refusing PostgreSQL host {other:?}: the benchmark only talks to 127.0.0.1")
            }
        }
    }
    for addr in cfg.get_hostaddrs() {
        anyhow::ensure!(
            addr.is_loopback(),
            "refusing PostgreSQL hostaddr {addr}: the benchmark only talks to 127.0.0.1"
        );
    }
    Ok(())
}

fn pg_settings(url: &str) -> Result<String> {
    let mut c = postgres::Client::connect(url, postgres::NoTls)
        .with_context(|| format!("cannot connect to {url}"))?;
    let version: String = c.query_one("SHOW server_version", &[])?.try_get(0)?;
    let mut show = |name: &str| -> Result<String> {
        Ok(c.query_one(&format!("SHOW {name}"), &[])?.try_get(0)?)
    };
    Ok(format!(
        "PostgreSQL {version} on 127.0.0.1 (synchronous_commit={}, fsync={}, wal_sync_method={}, shared_buffers={})",
        show("synchronous_commit")?,
        show("fsync")?,
        show("wal_sync_method")?,
        show("shared_buffers")?
    ))
}

/// A store in a fresh place: a new SQLite file, or a new PostgreSQL schema.
struct BenchStore {
    store: Store,
    /// How the store was opened, for a server in another process.
    db_url: String,
    key_file: PathBuf,
    /// Where a new connection finds the same data.
    place: Place,
}

#[derive(Clone)]
enum Place {
    Sqlite(PathBuf),
    /// Server URL and schema.
    Postgres(String, String),
}

impl Place {
    fn sqlite(&self) -> Result<rusqlite::Connection> {
        match self {
            Place::Sqlite(path) => {
                let c = rusqlite::Connection::open(path)
                    .with_context(|| format!("cannot open {}", path.display()))?;
                c.busy_timeout(Duration::from_secs(30))?;
                Ok(c)
            }
            Place::Postgres(..) => bail!("not a SQLite store"),
        }
    }

    fn postgres(&self) -> Result<postgres::Client> {
        match self {
            Place::Postgres(url, schema) => {
                let mut c = postgres::Client::connect(url, postgres::NoTls)
                    .with_context(|| format!("cannot connect to {url}"))?;
                c.batch_execute(&format!("SET search_path = {schema}"))?;
                Ok(c)
            }
            Place::Sqlite(_) => bail!("not a PostgreSQL store"),
        }
    }
}

impl BenchStore {
    fn open(args: &Args, backend: Backend, workdir: &Path, name: &str) -> Result<BenchStore> {
        let (mut opts, place) = match backend {
            Backend::Sqlite => {
                let path = workdir.join(format!("{name}.db"));
                (
                    StoreOptions::new(format!("sqlite:{}", path.display())),
                    Place::Sqlite(path),
                )
            }
            Backend::Postgres => {
                let schema = format!("wangge_bench_{name}_{}", std::process::id());
                let mut c = postgres::Client::connect(&args.pg_url, postgres::NoTls)?;
                c.batch_execute(&format!(
                    "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
                ))?;
                let sep = if args.pg_url.contains('?') { '&' } else { '?' };
                let url = format!("{}{sep}options=-csearch_path%3D{schema}", args.pg_url);
                (
                    StoreOptions::new(url),
                    Place::Postgres(args.pg_url.clone(), schema),
                )
            }
        };
        let key_file = workdir.join(format!("{name}-{backend:?}.key"));
        opts.key_file = Some(key_file.clone());
        let store = Store::open(&opts).context("cannot open the store")?;
        Ok(BenchStore {
            db_url: opts.db.url.clone(),
            key_file,
            store,
            place,
        })
    }

    /// Closes the store and removes its files or schema; called outside the
    /// runtime, since the PostgreSQL client blocks.
    fn close(self) -> Result<()> {
        drop(self.store);
        match self.place {
            Place::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Place::Postgres(url, schema) => {
                let mut c = postgres::Client::connect(&url, postgres::NoTls)?;
                c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))?;
            }
        }
        Ok(())
    }
}

/// Any syntactically valid Argon2 hash: the benchmark's account never logs in
/// with a password, it uses an API token.
const NO_PASSWORD: &str = "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// A zone administrator and an API token for it, created as the system.
async fn bench_token(store: &Store) -> Result<String> {
    let ctx = store.ctx("wangge-bench", Scope::All, OffsetDateTime::now_utc());
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
            let user = accounts::create_user(c, &ctx, new, NO_PASSWORD)?;
            let (_, token) = accounts::create_token(c, &ctx, &user.username, "benchmark")?;
            Ok(token)
        })
        .await?;
    Ok(token)
}

/// Zone 371799 → street → community → compound → building; answers the
/// building's code.
async fn small_tree(store: &Store) -> Result<String> {
    let ctx = store.ctx("wangge-bench", Scope::All, OffsetDateTime::now_utc());
    let building = store
        .db
        .write(move |c| {
            let cases::SeedReport { .. } = cases::seed_categories(c, &ctx)?;
            let mut parent: Option<String> = None;
            let levels = [
                (UnitKind::Zone, "菏泽开发区"),
                (UnitKind::Street, "佃户屯街道"),
                (UnitKind::Community, "佃户屯社区"),
                (UnitKind::Compound, "幸福家园小区"),
                (UnitKind::Building, "3号楼"),
            ];
            for (kind, name) in levels {
                let unit = units::create(
                    c,
                    &ctx,
                    NewUnit {
                        kind,
                        name: name.to_string(),
                        code: (kind == UnitKind::Zone).then(|| demo::ZONE_CODE.to_string()),
                        parent: parent.clone(),
                    },
                )?;
                parent = Some(unit.code);
            }
            Ok(parent.unwrap_or_default())
        })
        .await?;
    anyhow::ensure!(!building.is_empty(), "the small tree has no building");
    Ok(building)
}

// ---------------------------------------------------------------------------
// Latencies

#[derive(Debug, Clone, Default)]
struct Latency {
    p50: Duration,
    p99: Duration,
    max: Duration,
}

impl Latency {
    fn of(mut samples: Vec<Duration>) -> Latency {
        samples.sort_unstable();
        let pick = |p: f64| -> Duration {
            if samples.is_empty() {
                return Duration::ZERO;
            }
            let rank = ((samples.len() as f64 * p).ceil() as usize).clamp(1, samples.len());
            samples[rank - 1]
        };
        Latency {
            p50: pick(0.50),
            p99: pick(0.99),
            max: samples.last().copied().unwrap_or_default(),
        }
    }

    fn p50_ms(&self) -> f64 {
        ms(self.p50)
    }

    fn p99_ms(&self) -> f64 {
        ms(self.p99)
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// 1234567.8 → "1,234,568".
fn thousands(x: f64) -> String {
    let n = x.round() as i64;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

// ---------------------------------------------------------------------------
// The HTTP harness: Wangge's server on 127.0.0.1 and keep-alive clients

type HttpClient = Client<HttpConnector, Full<Bytes>>;

struct Api {
    addr: SocketAddr,
    client: HttpClient,
    auth: Arc<str>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Api {
    async fn start(store: Store, token: &str, clients: usize) -> Result<Api> {
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

    async fn stop(mut self) -> Result<()> {
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
}

async fn call(
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
struct Outcome {
    ok: usize,
    failed: usize,
    first_failure: Option<String>,
    secs: f64,
    latency: Latency,
    /// Latency of the first and of the last tenth of the requests, by request
    /// number (shows whether a phase slows down as the tables grow).
    first_tenth: Latency,
    last_tenth: Latency,
    timed_out: bool,
    /// Case ids of the answers (intake only).
    ids: Vec<i64>,
}

impl Outcome {
    fn per_sec(&self) -> f64 {
        if self.secs > 0.0 {
            self.ok as f64 / self.secs
        } else {
            0.0
        }
    }
}

/// One request of a phase: method, path, body.
type MakeRequest = dyn Fn(usize) -> (Method, String, Option<String>) + Send + Sync;

/// Sends `requests` requests from `clients` concurrent keep-alive clients,
/// stopping early at `limit`; an answer with `expect` counts, anything else is
/// a failure. With `collect_ids`, the answers' `case.id` are kept.
async fn drive(
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
    for _ in 0..clients {
        let (next, make, client, addr, auth) = (
            next.clone(),
            make.clone(),
            api.client.clone(),
            api.addr,
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

// ---------------------------------------------------------------------------
// Case-like rows: the HTTP reports and the raw baseline carry the same text

const FILLER: &str =
    "居民反映该处长期有人私搭乱建彩钢房并堆放杂物,占用消防通道,影响车辆通行和消防安全,\
    夜间照明不足,存在较大安全隐患,多次向物业反映未果,希望相关部门尽快核实处理并给予答复,谢谢。";

/// A 200-character description, different for each `i`.
fn description(i: usize) -> String {
    let head = format!("第{i}号反映:{}号楼东侧", 1 + i % 30);
    let mut s: String = head.chars().take(200).collect();
    let mut filler = FILLER.chars().cycle();
    while s.chars().count() < 200 {
        match filler.next() {
            Some(ch) => s.push(ch),
            None => break,
        }
    }
    s
}

fn report_body(i: usize, building: &str) -> String {
    serde_json::json!({
        "category": "0601",
        "unit": building,
        "description": description(i),
        "address_detail": format!("{}单元东侧车棚", 1 + i % 4),
        "source": "staff",
    })
    .to_string()
}

// ---------------------------------------------------------------------------
// Raw baseline: durable batched inserts of case-like rows

const ROWS_PER_TX: usize = 100;

#[derive(Debug, Clone, Default)]
struct RawResult {
    rows: usize,
    secs: f64,
}

impl RawResult {
    fn per_sec(&self) -> f64 {
        if self.secs > 0.0 {
            self.rows as f64 / self.secs
        } else {
            0.0
        }
    }
}

const RAW_SQLITE_DDL: &str = "
CREATE TABLE raw_cases (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    tracking_no      TEXT NOT NULL UNIQUE,
    category_id      BIGINT NOT NULL,
    unit_id          BIGINT NOT NULL,
    state            TEXT NOT NULL,
    source           TEXT NOT NULL,
    description      TEXT NOT NULL,
    address_detail   TEXT,
    reporter_user_id BIGINT,
    due_at           BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX raw_cases_unit ON raw_cases(unit_id, id);
CREATE INDEX raw_cases_category ON raw_cases(category_id, created_at);";

const RAW_PG_DDL: &str = "
CREATE TABLE raw_cases (
    id               BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    tracking_no      TEXT NOT NULL UNIQUE,
    category_id      BIGINT NOT NULL,
    unit_id          BIGINT NOT NULL,
    state            TEXT NOT NULL,
    source           TEXT NOT NULL,
    description      TEXT NOT NULL,
    address_detail   TEXT,
    reporter_user_id BIGINT,
    due_at           BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX raw_cases_unit ON raw_cases(unit_id, id);
CREATE INDEX raw_cases_category ON raw_cases(category_id, created_at);";

struct RawRow {
    tracking_no: String,
    category_id: i64,
    unit_id: i64,
    description: String,
    address: String,
    due_at: i64,
    created_at: i64,
}

fn raw_row(i: usize) -> RawRow {
    let now = 1_790_000_000_000i64 + i as i64;
    RawRow {
        tracking_no: format!("371799001001001-{:08}", i + 1),
        category_id: 40 + (i % 7) as i64,
        unit_id: 5,
        description: description(i),
        address: format!("{}单元东侧车棚", 1 + i % 4),
        due_at: now + 86_400_000,
        created_at: now,
    }
}

fn raw_batches(rows: usize, mut tx: impl FnMut(&[RawRow]) -> Result<()>) -> Result<RawResult> {
    let started = Instant::now();
    let mut i = 0;
    let mut batch = Vec::with_capacity(ROWS_PER_TX);
    while i < rows {
        batch.clear();
        while batch.len() < ROWS_PER_TX && i < rows {
            batch.push(raw_row(i));
            i += 1;
        }
        tx(&batch)?;
    }
    Ok(RawResult {
        rows,
        secs: started.elapsed().as_secs_f64(),
    })
}

const RAW_INSERT: &str = "INSERT INTO raw_cases (tracking_no, category_id, unit_id, state, source,
    description, address_detail, reporter_user_id, due_at, created_at, updated_at)
    VALUES ($1, $2, $3, 'reported', 'staff', $4, $5, 1, $6, $7, $7)";

fn raw_sqlite(dir: &Path, rows: usize) -> Result<RawResult> {
    let path = dir.join("raw-cases.db");
    let mut conn = rusqlite::Connection::open(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    // The settings Wangge's SQLite connections use: WAL, synchronous=FULL.
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-32000;
         PRAGMA temp_store=MEMORY;",
    )?;
    conn.execute_batch(RAW_SQLITE_DDL)?;
    let insert = RAW_INSERT
        .replace("$1", "?1")
        .replace("$2", "?2")
        .replace("$3", "?3")
        .replace("$4", "?4")
        .replace("$5", "?5")
        .replace("$6", "?6")
        .replace("$7", "?7");
    let out = raw_batches(rows, |batch| {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut st = tx.prepare_cached(&insert)?;
            for r in batch {
                st.execute(rusqlite::params![
                    r.tracking_no,
                    r.category_id,
                    r.unit_id,
                    r.description,
                    r.address,
                    r.due_at,
                    r.created_at
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    })?;
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM raw_cases", [], |r| r.get(0))?;
    anyhow::ensure!(n as usize == rows, "the raw baseline lost rows");
    drop(conn);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Ok(out)
}

fn raw_postgres(url: &str, rows: usize) -> Result<RawResult> {
    let schema = format!("wangge_bench_cases_raw_{}", std::process::id());
    let mut client = postgres::Client::connect(url, postgres::NoTls)
        .with_context(|| format!("cannot connect to {url}"))?;
    client.batch_execute(&format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; SET search_path = {schema};"
    ))?;
    let out = (|| -> Result<RawResult> {
        client.batch_execute(RAW_PG_DDL)?;
        let insert = client.prepare(RAW_INSERT)?;
        raw_batches(rows, |batch| {
            let mut tx = client.transaction()?;
            for r in batch {
                tx.execute(
                    &insert,
                    &[
                        &r.tracking_no,
                        &r.category_id,
                        &r.unit_id,
                        &r.description,
                        &r.address,
                        &r.due_at,
                        &r.created_at,
                    ],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    })();
    client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))?;
    out
}

// ---------------------------------------------------------------------------
// One backend

struct BackendResult {
    backend: Backend,
    raw: RawResult,
    health: Outcome,
    intake: Outcome,
    /// Cases found through a new connection after the server stopped.
    durable_found: i64,
    /// Of the ids answered 201, how many were found.
    durable_ids_found: usize,
    stats: Vec<StatsResult>,
    stats_notes: Vec<String>,
    tree_summary: String,
    /// VmRSS and VmHWM (MiB) after the largest statistics run.
    rss_mib: f64,
    hwm_mib: f64,
    /// The same of a server process holding only the store, after answering
    /// the dashboard queries over HTTP at the largest size.
    server_mem: Option<ServerMem>,
}

#[derive(Debug, Clone, Copy)]
struct ServerMem {
    rss_mib: f64,
    hwm_mib: f64,
    requests: usize,
}

fn run_backend(
    args: &Args,
    backend: Backend,
    workdir: &Path,
    rt: &tokio::runtime::Runtime,
) -> Result<BackendResult> {
    eprintln!(
        "raw baseline: {} case-like rows, {ROWS_PER_TX} per durable transaction",
        args.raw_rows
    );
    let raw = match backend {
        Backend::Sqlite => raw_sqlite(workdir, args.raw_rows)?,
        Backend::Postgres => raw_postgres(&args.pg_url, args.raw_rows)?,
    };
    eprintln!("raw baseline: {} rows/s", thousands(raw.per_sec()));

    // Intake.
    let bench = BenchStore::open(args, backend, workdir, "intake")?;
    let measured = rt.block_on(measure_intake(args, &bench.store));
    let place = bench.place.clone();
    drop(bench.store);
    let (health, intake) = match measured {
        Ok(m) => m,
        Err(e) => {
            cleanup(place);
            return Err(e);
        }
    };
    // Durability: a new connection, after the server and the store are gone.
    let found = count_cases(&place, &intake.ids);
    cleanup(place);
    let (durable_found, durable_ids_found) = found?;
    eprintln!(
        "intake: {} cases/s, p50 {:.1} ms, p99 {:.1} ms; {} answered 201, {} cases in the database, {} of the answered ids found",
        thousands(intake.per_sec()),
        intake.latency.p50_ms(),
        intake.latency.p99_ms(),
        intake.ok,
        durable_found,
        durable_ids_found
    );

    // Statistics.
    let mut sizes: Vec<usize> = args.stats_cases.clone();
    sizes.sort_unstable();
    sizes.dedup();
    let mut stats_notes = Vec::new();
    if backend == Backend::Postgres {
        let skipped: Vec<String> = sizes
            .iter()
            .filter(|n| **n > args.pg_stats_max)
            .map(|n| thousands(*n as f64))
            .collect();
        if !skipped.is_empty() {
            stats_notes.push(format!(
                "PostgreSQL statistics not measured at {} cases (`--pg-stats-max {}`)",
                skipped.join(", "),
                args.pg_stats_max
            ));
        }
        sizes.retain(|n| *n <= args.pg_stats_max);
    }
    let bench = BenchStore::open(args, backend, workdir, "stats")?;
    let measured = measure_stats(args, &bench, &sizes, rt);
    bench.close()?;
    let (stats, rss_mib, hwm_mib, tree_summary, server_mem) = measured?;
    Ok(BackendResult {
        tree_summary,
        backend,
        raw,
        health,
        intake,
        durable_found,
        durable_ids_found,
        stats,
        stats_notes,
        rss_mib,
        hwm_mib,
        server_mem,
    })
}

fn cleanup(place: Place) {
    match place {
        Place::Sqlite(path) => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        Place::Postgres(url, schema) => {
            if let Ok(mut c) = postgres::Client::connect(&url, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
    }
}

/// All cases, and how many of `ids` exist, through a new connection.
fn count_cases(place: &Place, ids: &[i64]) -> Result<(i64, usize)> {
    let unique: HashSet<i64> = ids.iter().copied().collect();
    anyhow::ensure!(
        unique.len() == ids.len(),
        "the same case id was answered twice"
    );
    let mut found = 0usize;
    let total = match place {
        Place::Sqlite(_) => {
            let c = place.sqlite()?;
            for chunk in ids.chunks(500) {
                let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
                let n: i64 = c.query_row(
                    &format!(
                        "SELECT COUNT(*) FROM cases WHERE id IN ({})",
                        list.join(",")
                    ),
                    [],
                    |r| r.get(0),
                )?;
                found += n as usize;
            }
            c.query_row("SELECT COUNT(*) FROM cases", [], |r| r.get(0))?
        }
        Place::Postgres(..) => {
            let mut c = place.postgres()?;
            for chunk in ids.chunks(500) {
                let n: i64 = c
                    .query_one("SELECT COUNT(*) FROM cases WHERE id = ANY($1)", &[&chunk])?
                    .try_get(0)?;
                found += n as usize;
            }
            c.query_one("SELECT COUNT(*) FROM cases", &[])?.try_get(0)?
        }
    };
    Ok((total, found))
}

async fn measure_intake(args: &Args, store: &Store) -> Result<(Outcome, Outcome)> {
    let building = small_tree(store).await?;
    let token = bench_token(store).await?;
    let api = Api::start(store.clone(), &token, args.clients).await?;
    let limit = Duration::from_secs(args.http_seconds);
    let health: Arc<MakeRequest> =
        Arc::new(|_| (Method::GET, "/healthz".to_string(), None::<String>));
    // Opens the clients' connections before anything is timed.
    let warm = drive(
        &api,
        args.clients * 4,
        args.clients,
        limit,
        StatusCode::OK,
        false,
        health.clone(),
    )
    .await?;
    anyhow::ensure!(
        warm.failed == 0,
        "GET /healthz failed: {}",
        warm.first_failure.unwrap_or_default()
    );
    eprintln!(
        "trivial handler: {} × GET /healthz, {} clients",
        args.requests, args.clients
    );
    let health = drive(
        &api,
        args.requests,
        args.clients,
        limit,
        StatusCode::OK,
        false,
        health,
    )
    .await?;
    eprintln!(
        "trivial handler: {} req/s, p50 {:.2} ms, p99 {:.2} ms",
        thousands(health.per_sec()),
        health.latency.p50_ms(),
        health.latency.p99_ms()
    );
    eprintln!(
        "intake: {} × POST /api/v1/cases, {} clients",
        args.requests, args.clients
    );
    let b: Arc<str> = Arc::from(building.as_str());
    let make: Arc<MakeRequest> = Arc::new(move |i| {
        (
            Method::POST,
            "/api/v1/cases".to_string(),
            Some(report_body(i, &b)),
        )
    });
    let intake = drive(
        &api,
        args.requests,
        args.clients,
        limit,
        StatusCode::CREATED,
        true,
        make,
    )
    .await;
    api.stop().await?;
    Ok((health, intake?))
}

// ---------------------------------------------------------------------------
// Statistics over synthesized counters

/// A place a simulated case can be reported at, with its ancestors (itself
/// included), as `counters.rs` counts it.
struct Leaf {
    ancestors: Vec<i64>,
}

/// The simulated year: 365 local days ending yesterday.
struct Year {
    days: Vec<i64>,
    first: Date,
    last: Date,
}

impl Year {
    fn ending_yesterday() -> Result<Year> {
        let today = OffsetDateTime::now_utc()
            .to_offset(wangge_store::ctx::CST)
            .date();
        let first = today - time::Duration::days(365);
        let days: Vec<i64> = (0..365)
            .map(|i| {
                let d = first + time::Duration::days(i);
                i64::from(d.year()) * 10000
                    + i64::from(u8::from(d.month())) * 100
                    + i64::from(d.day())
            })
            .collect();
        Ok(Year {
            days,
            first,
            last: today - time::Duration::days(1),
        })
    }

    /// `[from, to)` in milliseconds: local midnight of the first day to local
    /// midnight after the last.
    fn period_ms(&self) -> (i64, i64) {
        let at = |d: Date| {
            (d.midnight()
                .assume_offset(wangge_store::ctx::CST)
                .unix_timestamp_nanos()
                / 1_000_000) as i64
        };
        (at(self.first), at(self.last + time::Duration::days(1)))
    }

    fn ymd(d: Date) -> String {
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    }
}

/// Counter columns, in `case_counters` order (see `cases/counters.rs`).
const COLS: [&str; 15] = [
    "received",
    "accepted",
    "rejected",
    "withdrawn",
    "handled",
    "rework",
    "closed",
    "closed_on_time",
    "overdue",
    "reopened",
    "timed",
    "time_sum_min",
    "rating_count",
    "rating_sum",
    "escalations",
];
const RECEIVED: usize = 0;
const ACCEPTED: usize = 1;
const REJECTED: usize = 2;
const WITHDRAWN: usize = 3;
const HANDLED: usize = 4;
const REWORK: usize = 5;
const CLOSED: usize = 6;
const CLOSED_ON_TIME: usize = 7;
const OVERDUE: usize = 8;
const REOPENED: usize = 9;
const TIMED: usize = 10;
const TIME_SUM_MIN: usize = 11;
const RATING_COUNT: usize = 12;
const RATING_SUM: usize = 13;
const ESCALATIONS: usize = 14;

/// The daily counters and their roll-ups (migration 0008_case_rollups), all
/// of which `cases::stats` reads.
const COUNTER_TABLES: [&str; 8] = [
    "case_counters",
    "case_counter_hist",
    "case_counters_month",
    "case_hist_day",
    "case_hist_month",
    "case_hist_cat_month",
    "case_esc_day",
    "case_esc_month",
];

type CounterRow = (i64, i64, i64, [i64; 15]);
type HistRow = (i64, i64, i64, i64, i64);

/// Where synthesized rows go: big transactions, straight into the store's
/// tables through the driver.
enum Sink {
    Sqlite(rusqlite::Connection),
    Postgres(postgres::Client),
}

impl Sink {
    fn open(place: &Place) -> Result<Sink> {
        Ok(match place {
            Place::Sqlite(_) => {
                let c = place.sqlite()?;
                c.execute_batch("PRAGMA synchronous=FULL; PRAGMA cache_size=-262144;")?;
                Sink::Sqlite(c)
            }
            Place::Postgres(..) => Sink::Postgres(place.postgres()?),
        })
    }

    fn clear(&mut self) -> Result<()> {
        match self {
            Sink::Sqlite(c) => {
                for t in COUNTER_TABLES {
                    c.execute_batch(&format!("DELETE FROM {t};"))?;
                }
            }
            Sink::Postgres(c) => {
                c.batch_execute(&format!("TRUNCATE {}", COUNTER_TABLES.join(", ")))?
            }
        }
        Ok(())
    }

    /// Writes rows of integers into `table` in one transaction.
    fn write_table(&mut self, table: &str, cols: &[&str], rows: &[Vec<i64>]) -> Result<()> {
        match self {
            Sink::Sqlite(c) => {
                let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                {
                    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
                    let mut st = tx.prepare_cached(&format!(
                        "INSERT INTO {table} ({}) VALUES ({})",
                        cols.join(", "),
                        marks.join(", ")
                    ))?;
                    for r in rows {
                        st.execute(rusqlite::params_from_iter(r.iter()))?;
                    }
                }
                tx.commit()?;
            }
            Sink::Postgres(c) => {
                let mut tx = c.transaction()?;
                let mut buf = String::with_capacity(rows.len() * 48);
                for r in rows {
                    let line: Vec<String> = r.iter().map(i64::to_string).collect();
                    buf.push_str(&line.join("\t"));
                    buf.push('\n');
                }
                let mut w =
                    tx.copy_in(&format!("COPY {table} ({}) FROM STDIN", cols.join(", ")))?;
                w.write_all(buf.as_bytes())?;
                w.finish()?;
                tx.commit()?;
            }
        }
        Ok(())
    }

    fn write(&mut self, rows: &[CounterRow], hist: &[HistRow]) -> Result<()> {
        match self {
            Sink::Sqlite(c) => {
                let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                {
                    let marks: Vec<String> = (1..=18).map(|i| format!("?{i}")).collect();
                    let mut st = tx.prepare_cached(&format!(
                        "INSERT INTO case_counters (unit_id, day, category_id, {}) VALUES ({})",
                        COLS.join(", "),
                        marks.join(", ")
                    ))?;
                    for (u, d, cat, v) in rows {
                        let mut all = [0i64; 18];
                        all[0] = *u;
                        all[1] = *d;
                        all[2] = *cat;
                        all[3..].copy_from_slice(v);
                        st.execute(rusqlite::params_from_iter(all.iter()))?;
                    }
                    let mut st = tx.prepare_cached(
                        "INSERT INTO case_counter_hist (unit_id, day, category_id, bucket, n)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                    )?;
                    for (u, d, cat, b, n) in hist {
                        st.execute(rusqlite::params![u, d, cat, b, n])?;
                    }
                }
                tx.commit()?;
            }
            Sink::Postgres(c) => {
                let mut tx = c.transaction()?;
                let mut buf = String::with_capacity(rows.len() * 64);
                for (u, d, cat, v) in rows {
                    let _ = write!(buf, "{u}\t{d}\t{cat}");
                    for x in v {
                        let _ = write!(buf, "\t{x}");
                    }
                    buf.push('\n');
                }
                let mut w = tx.copy_in(&format!(
                    "COPY case_counters (unit_id, day, category_id, {}) FROM STDIN",
                    COLS.join(", ")
                ))?;
                w.write_all(buf.as_bytes())?;
                w.finish()?;
                buf.clear();
                for (u, d, cat, b, n) in hist {
                    let _ = writeln!(buf, "{u}\t{d}\t{cat}\t{b}\t{n}");
                }
                let mut w = tx.copy_in(
                    "COPY case_counter_hist (unit_id, day, category_id, bucket, n) FROM STDIN",
                )?;
                w.write_all(buf.as_bytes())?;
                w.finish()?;
                tx.commit()?;
            }
        }
        Ok(())
    }

    fn analyze(&mut self) -> Result<()> {
        if let Sink::Postgres(c) = self {
            for t in COUNTER_TABLES {
                c.batch_execute(&format!("ANALYZE {t}"))?;
            }
        }
        Ok(())
    }
}

/// What a synthesis wrote.
#[derive(Debug, Clone, Default)]
struct Synthesized {
    cases: usize,
    counter_rows: usize,
    hist_rows: usize,
    /// Rows of the roll-up tables (months, histograms and escalations
    /// without the category).
    rollup_rows: usize,
    secs: f64,
}

/// A roll-up table: name, columns, rows.
type RollupTable<'a> = (&'a str, Vec<&'a str>, Vec<Vec<i64>>);

/// The roll-ups of everything written, as `cases/counters.rs` keeps them:
/// (unit, month, category) counters; histograms per (unit, day) and
/// (unit, month) without the category and per (unit, month, category);
/// escalations per (unit, day) and (unit, month) where there were any.
#[derive(Default)]
struct Rollups {
    month: HashMap<(i64, i64, i64), [i64; 15]>,
    hist_day: HashMap<(i64, i64, i64), i64>,
    hist_month: HashMap<(i64, i64, i64), i64>,
    hist_cat_month: HashMap<(i64, i64, i64, i64), i64>,
    esc_day: HashMap<(i64, i64), i64>,
    esc_month: HashMap<(i64, i64), i64>,
}

impl Rollups {
    fn add(&mut self, rows: &[CounterRow], hist: &[HistRow]) {
        for (u, d, c, v) in rows {
            let m = self.month.entry((*u, d / 100, *c)).or_insert([0; 15]);
            for (a, b) in m.iter_mut().zip(v.iter()) {
                *a += b;
            }
            if v[ESCALATIONS] != 0 {
                *self.esc_day.entry((*u, *d)).or_default() += v[ESCALATIONS];
                *self.esc_month.entry((*u, d / 100)).or_default() += v[ESCALATIONS];
            }
        }
        for (u, d, c, b, n) in hist {
            *self.hist_day.entry((*u, *d, *b)).or_default() += n;
            *self.hist_month.entry((*u, d / 100, *b)).or_default() += n;
            *self
                .hist_cat_month
                .entry((*u, d / 100, *c, *b))
                .or_default() += n;
        }
    }

    /// Writes every roll-up table; returns the number of rows.
    fn write(self, sink: &mut Sink) -> Result<usize> {
        let mut cols = vec!["unit_id", "month", "category_id"];
        cols.extend(COLS);
        let month: Vec<Vec<i64>> = self
            .month
            .into_iter()
            .map(|((u, m, c), v)| {
                let mut r = vec![u, m, c];
                r.extend(v);
                r
            })
            .collect();
        let three = |h: HashMap<(i64, i64, i64), i64>| -> Vec<Vec<i64>> {
            h.into_iter()
                .map(|((a, b, c), n)| vec![a, b, c, n])
                .collect()
        };
        let two = |h: HashMap<(i64, i64), i64>| -> Vec<Vec<i64>> {
            h.into_iter().map(|((a, b), n)| vec![a, b, n]).collect()
        };
        let cat_month: Vec<Vec<i64>> = self
            .hist_cat_month
            .into_iter()
            .map(|((u, m, c, b), n)| vec![u, m, c, b, n])
            .collect();
        let tables: [RollupTable; 6] = [
            ("case_counters_month", cols, month),
            (
                "case_hist_day",
                vec!["unit_id", "day", "bucket", "n"],
                three(self.hist_day),
            ),
            (
                "case_hist_month",
                vec!["unit_id", "month", "bucket", "n"],
                three(self.hist_month),
            ),
            (
                "case_hist_cat_month",
                vec!["unit_id", "month", "category_id", "bucket", "n"],
                cat_month,
            ),
            (
                "case_esc_day",
                vec!["unit_id", "day", "n"],
                two(self.esc_day),
            ),
            (
                "case_esc_month",
                vec!["unit_id", "month", "n"],
                two(self.esc_month),
            ),
        ];
        let mut total = 0;
        for (table, cols, rows) in tables {
            sink.write_table(table, &cols, &rows)?;
            total += rows.len();
        }
        Ok(total)
    }
}

/// Pending deltas of one day: (unit, category) → counters, and
/// (unit, category, bucket) → n.
#[derive(Default)]
struct DayAcc {
    rows: HashMap<(i64, i64), [i64; 15]>,
    hist: HashMap<(i64, i64, i64), i64>,
}

/// Simulates `n` cases reported evenly over the year, at random leaves and
/// minor categories (a skewed mix: the k-th category is 1/k as likely as the
/// first), each going through a typical life — accepted (90 %), rejected (5 %),
/// withdrawn (1 %) or left open (4 %); accepted ones handled within a week
/// (97 %), sometimes returned for rework (8 %), closed the next day with a
/// handling time of 15 minutes to 5 days (log-uniform), sometimes overdue first
/// (6 %, 40 % of them escalated), rated (60 %) and reopened (1 %). Each log
/// entry adds its delta on its own local day to every ancestor of the case's
/// unit, as `counters.rs` does; days are aggregated in memory and written
/// once, in transactions of about 200,000 rows.
fn synth(
    sink: &mut Sink,
    leaves: &[Leaf],
    cats: &[i64],
    year: &Year,
    n: usize,
    seed: u64,
) -> Result<Synthesized> {
    anyhow::ensure!(
        !leaves.is_empty() && !cats.is_empty(),
        "no unit or category to simulate"
    );
    let started = Instant::now();
    let mut rng = SplitMix64::new(seed);
    // Cumulative category weights 1, 1/2, 1/3, …
    let mut cum = Vec::with_capacity(cats.len());
    let mut total = 0.0;
    for k in 0..cats.len() {
        total += 1.0 / (k + 1) as f64;
        cum.push(total);
    }
    let ndays = year.days.len();
    let mut pending: BTreeMap<usize, DayAcc> = BTreeMap::new();
    let mut out_rows: Vec<CounterRow> = Vec::new();
    let mut out_hist: Vec<HistRow> = Vec::new();
    let mut rollups = Rollups::default();
    let mut written = Synthesized {
        cases: n,
        ..Synthesized::default()
    };
    const FLUSH_AT: usize = 200_000;
    for di in 0..ndays {
        let today = n * (di + 1) / ndays - n * di / ndays;
        for _ in 0..today {
            let leaf = &leaves[rng.below(leaves.len() as u64) as usize];
            let x = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * total;
            let cat = cats[cum.partition_point(|c| *c < x).min(cats.len() - 1)];
            let mut events: [(usize, usize, i64); 16] = [(0, 0, 0); 16];
            let mut ne = 0;
            let mut push = |day: usize, col: usize, v: i64| {
                if ne < events.len() {
                    events[ne] = (day.min(ndays - 1), col, v);
                    ne += 1;
                }
            };
            let mut bucket: Option<(usize, i64)> = None;
            push(di, RECEIVED, 1);
            let fate = rng.below(1000);
            if fate < 10 {
                push(di, WITHDRAWN, 1);
            } else if fate < 60 {
                push(di, REJECTED, 1);
            } else if fate >= 100 {
                push(di, ACCEPTED, 1);
                let overdue = rng.below(100) < 6;
                if overdue {
                    push(di + 2, OVERDUE, 1);
                    if rng.below(100) < 40 {
                        push(di + 3, ESCALATIONS, 1);
                    }
                }
                if rng.below(100) < 97 {
                    let mut h = di + rng.below(7) as usize;
                    push(h, HANDLED, 1);
                    if rng.below(100) < 8 {
                        push(h + 1, REWORK, 1);
                        h += 2;
                        push(h, HANDLED, 1);
                    }
                    let close = h + 1;
                    push(close, CLOSED, 1);
                    if !overdue {
                        push(close, CLOSED_ON_TIME, 1);
                    }
                    let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                    let minutes = (15.0 * 2f64.powf(u * 9.0)) as i64;
                    push(close, TIMED, 1);
                    push(close, TIME_SUM_MIN, minutes);
                    bucket = Some((close.min(ndays - 1), cases::bucket_of(minutes)));
                    if rng.below(100) < 60 {
                        push(close, RATING_COUNT, 1);
                        push(close, RATING_SUM, 3 + rng.below(3) as i64);
                    }
                    if rng.below(100) < 1 {
                        push(close + 1, REOPENED, 1);
                    }
                }
            }
            for &(day, col, v) in &events[..ne] {
                let acc = pending.entry(day).or_default();
                for &unit in &leaf.ancestors {
                    acc.rows.entry((unit, cat)).or_insert([0; 15])[col] += v;
                }
            }
            if let Some((day, b)) = bucket {
                let acc = pending.entry(day).or_default();
                for &unit in &leaf.ancestors {
                    *acc.hist.entry((unit, cat, b)).or_default() += 1;
                }
            }
        }
        // Later cases are reported later: no entry will ever fall on this day
        // or before, except at the clipped last day.
        let done: Vec<usize> = pending
            .keys()
            .copied()
            .filter(|d| *d <= di && (*d < ndays - 1 || di == ndays - 1))
            .collect();
        for d in done {
            if let Some(acc) = pending.remove(&d) {
                let day = year.days[d];
                let mut rows: Vec<CounterRow> = acc
                    .rows
                    .into_iter()
                    .map(|((u, c), v)| (u, day, c, v))
                    .collect();
                rows.sort_unstable_by_key(|r| (r.0, r.2));
                let mut hist: Vec<HistRow> = acc
                    .hist
                    .into_iter()
                    .map(|((u, c, b), k)| (u, day, c, b, k))
                    .collect();
                hist.sort_unstable_by_key(|r| (r.0, r.2, r.3));
                out_rows.extend(rows);
                out_hist.extend(hist);
            }
        }
        if out_rows.len() + out_hist.len() >= FLUSH_AT || di == ndays - 1 {
            sink.write(&out_rows, &out_hist)?;
            rollups.add(&out_rows, &out_hist);
            written.counter_rows += out_rows.len();
            written.hist_rows += out_hist.len();
            out_rows = Vec::new();
            out_hist = Vec::new();
        }
    }
    anyhow::ensure!(pending.is_empty(), "days left unwritten");
    written.rollup_rows = rollups.write(sink)?;
    sink.analyze()?;
    written.secs = started.elapsed().as_secs_f64();
    Ok(written)
}

/// One statistics size.
#[derive(Debug, Clone)]
struct StatsResult {
    synth: Synthesized,
    /// (level, unit code, latency) for `stats` over the year.
    levels: Vec<(&'static str, String, Latency)>,
    by_child: Latency,
    children: usize,
    http_zone: Latency,
    /// Received at the zone, as `stats` answered (must equal the cases).
    zone_received: i64,
    db_size: String,
}

/// The demo tree's leaves where cases are reported (buildings, and
/// communities without compounds: villages), the minor categories, and the
/// units to ask about.
struct Tree {
    leaves: Vec<Leaf>,
    cats: Vec<i64>,
    zone: String,
    street: String,
    community: String,
    compound: String,
    summary: String,
}

/// id, code, kind, path, parent id.
type UnitRow = (i64, String, String, String, Option<i64>);

async fn load_tree(store: &Store, seed: u64) -> Result<Tree> {
    let demo = demo::seed(store, &DemoConfig { people: 0, seed })
        .await
        .context("the demo generator failed")?;
    anyhow::ensure!(!demo.reused, "the statistics store was not empty");
    let ctx = store.ctx("wangge-bench", Scope::All, OffsetDateTime::now_utc());
    store
        .db
        .write(move |c| cases::seed_categories(c, &ctx).map(|_| ()))
        .await?;
    store
        .db
        .read(move |c| {
            let units: Vec<UnitRow> = c
                .query(
                    "SELECT id, code, kind, path, parent_id FROM units ORDER BY code",
                    &[],
                )?
                .iter()
                .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
                .collect::<wangge_store::Result<_>>()?;
            let cats: Vec<i64> = c
                .query(
                    "SELECT id FROM case_categories WHERE parent_id IS NOT NULL AND active = 1 ORDER BY code",
                    &[],
                )?
                .iter()
                .map(|r| r.get(0))
                .collect::<wangge_store::Result<_>>()?;
            Ok((units, cats))
        })
        .await
        .map_err(anyhow::Error::from)
        .and_then(|(units, cats)| {
            let with_compounds: HashSet<i64> = units
                .iter()
                .filter(|u| u.2 == "compound")
                .filter_map(|u| u.4)
                .collect();
            let ancestors = |path: &str| -> Vec<i64> {
                path.split('/').filter_map(|s| s.parse().ok()).collect()
            };
            let leaves: Vec<Leaf> = units
                .iter()
                .filter(|u| {
                    u.2 == "building" || (u.2 == "community" && !with_compounds.contains(&u.0))
                })
                .map(|u| Leaf {
                    ancestors: ancestors(&u.3),
                })
                .collect();
            let first = |kind: &str, pred: &dyn Fn(&UnitRow) -> bool| {
                units
                    .iter()
                    .find(|u| u.2 == kind && pred(u))
                    .map(|u| u.1.clone())
                    .ok_or_else(|| anyhow!("the demo tree has no {kind}"))
            };
            let count = |kind: &str| units.iter().filter(|u| u.2 == kind).count();
            let summary = format!(
                "{} units: {} streets, {} communities ({} villages without compounds), {} compounds, {} buildings, {} grids; cases are reported at the {} buildings and villages; {} minor categories",
                units.len(),
                count("street"),
                count("community"),
                count("community") - with_compounds.len(),
                count("compound"),
                count("building"),
                count("grid"),
                leaves.len(),
                cats.len()
            );
            Ok(Tree {
                zone: first("zone", &|_| true)?,
                street: first("street", &|_| true)?,
                community: first("community", &|u| with_compounds.contains(&u.0))?,
                compound: first("compound", &|_| true)?,
                leaves,
                cats,
                summary,
            })
        })
}

async fn time_store<F, T>(store: &Store, runs: usize, f: F) -> Result<(Latency, T)>
where
    F: Fn(&mut dyn wangge_store::Conn) -> wangge_store::Result<T> + Send + Sync + Clone + 'static,
    T: Send + 'static,
{
    let mut samples = Vec::with_capacity(runs);
    let mut last = None;
    for i in 0..runs + 3 {
        let f = f.clone();
        let t = Instant::now();
        let out = store.db.read(move |c| f(c)).await?;
        if i >= 3 {
            samples.push(t.elapsed());
        }
        last = Some(out);
    }
    let last = last.ok_or_else(|| anyhow!("no run"))?;
    Ok((Latency::of(samples), last))
}

async fn time_queries(
    args: &Args,
    store: &Store,
    tree: &Tree,
    year: &Year,
    token: &str,
) -> Result<(
    Vec<(&'static str, String, Latency)>,
    Latency,
    usize,
    Latency,
    i64,
)> {
    let (from, to) = year.period_ms();
    let ctx = store.ctx("wangge-bench", Scope::All, OffsetDateTime::now_utc());
    let mut levels = Vec::new();
    let mut zone_received = 0;
    for (level, code) in [
        ("zone", &tree.zone),
        ("street", &tree.street),
        ("community", &tree.community),
        ("compound", &tree.compound),
    ] {
        let (ctx, code2) = (ctx.clone(), code.clone());
        let (lat, s) = time_store(store, args.runs, move |c| {
            cases::stats(c, &ctx, &code2, from, to)
        })
        .await?;
        if level == "zone" {
            zone_received = s.received;
        }
        eprintln!(
            "  stats({level} {code}): p50 {:.1} ms, max {:.1} ms; received {}",
            lat.p50_ms(),
            ms(lat.max),
            s.received
        );
        levels.push((level, code.clone(), lat));
    }
    let (ctx2, zone) = (ctx.clone(), tree.zone.clone());
    let (by_child, children) = time_store(store, args.runs, move |c| {
        cases::stats_by_child(c, &ctx2, &zone, from, to)
    })
    .await?;
    eprintln!(
        "  stats_by_child(zone): p50 {:.1} ms, max {:.1} ms",
        by_child.p50_ms(),
        ms(by_child.max)
    );
    // The same zone numbers as a dashboard asks for them, over HTTP.
    let api = Api::start(store.clone(), token, 1).await?;
    let path = format!(
        "/api/v1/stats/cases?unit={}&from={}&to={}",
        tree.zone,
        Year::ymd(year.first),
        Year::ymd(year.last)
    );
    let mut samples = Vec::new();
    let mut failure = None;
    for i in 0..args.runs + 3 {
        let (status, took, body) =
            call(&api.client, api.addr, &api.auth, Method::GET, &path, None).await?;
        if status != StatusCode::OK {
            failure = Some(format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&body)
                    .chars()
                    .take(300)
                    .collect::<String>()
            ));
            break;
        }
        if i >= 3 {
            samples.push(took);
        }
    }
    api.stop().await?;
    if let Some(f) = failure {
        bail!("GET {path} failed: {f}");
    }
    Ok((
        levels,
        by_child,
        children.len(),
        Latency::of(samples),
        zone_received,
    ))
}

fn db_size(place: &Place) -> String {
    match place {
        Place::Sqlite(path) => {
            let size = |p: String| std::fs::metadata(p).map_or(0, |m| m.len());
            let total = size(path.display().to_string()) + size(format!("{}-wal", path.display()));
            format!("{:.0} MiB (database file + WAL)", total as f64 / 1048576.0)
        }
        Place::Postgres(..) => place
            .postgres()
            .and_then(|mut c| {
                let n: i64 = c
                    .query_one(
                        &format!(
                            "SELECT CAST({} AS BIGINT)",
                            COUNTER_TABLES
                                .map(|t| format!("pg_total_relation_size('{t}')"))
                                .join(" + ")
                        ),
                        &[],
                    )?
                    .try_get(0)?;
                Ok(format!(
                    "{:.0} MiB (counter tables with indexes)",
                    n as f64 / 1048576.0
                ))
            })
            .unwrap_or_else(|e| format!("unknown ({e:#})")),
    }
}

type StatsMeasures = (Vec<StatsResult>, f64, f64, String, Option<ServerMem>);

fn measure_stats(
    args: &Args,
    bench: &BenchStore,
    sizes: &[usize],
    rt: &tokio::runtime::Runtime,
) -> Result<StatsMeasures> {
    let store = &bench.store;
    eprintln!("statistics: building the demo unit tree");
    let tree = rt.block_on(load_tree(store, args.seed))?;
    eprintln!("{}", tree.summary);
    let token = rt.block_on(bench_token(store))?;
    let year = Year::ending_yesterday()?;
    let mut out = Vec::new();
    let (mut rss, mut hwm) = (0.0, 0.0);
    for (k, &n) in sizes.iter().enumerate() {
        eprintln!(
            "statistics: synthesizing the counters of {} cases",
            thousands(n as f64)
        );
        // The writing connection (with its large page cache) is closed before
        // anything is timed or the memory is read.
        let mut sink = Sink::open(&bench.place)?;
        sink.clear()?;
        let synth = synth(
            &mut sink,
            &tree.leaves,
            &tree.cats,
            &year,
            n,
            args.seed ^ (k as u64 + 1),
        )?;
        drop(sink);
        eprintln!(
            "  {} counter rows + {} histogram rows + {} roll-up rows in {:.1} s",
            thousands(synth.counter_rows as f64),
            thousands(synth.hist_rows as f64),
            thousands(synth.rollup_rows as f64),
            synth.secs
        );
        let (levels, by_child, children, http_zone, zone_received) =
            rt.block_on(time_queries(args, store, &tree, &year, &token))?;
        anyhow::ensure!(
            zone_received == n as i64,
            "the zone's statistics counted {zone_received} cases, not {n}"
        );
        (rss, hwm) = (vm("VmRSS:"), vm("VmHWM:"));
        eprintln!("  VmRSS {rss:.0} MiB, VmHWM {hwm:.0} MiB");
        out.push(StatsResult {
            synth,
            levels,
            by_child,
            children,
            http_zone,
            zone_received,
            db_size: db_size(&bench.place),
        });
    }
    let server = match sizes.last() {
        Some(_) => Some(server_memory(args, bench, &tree, &year, &token)?),
        None => None,
    };
    Ok((out, rss, hwm, tree.summary, server))
}

/// Runs the server over a store in this process, for `server_memory`: prints
/// its port, serves until stdin closes.
fn serve_child(db: &str, key: Option<PathBuf>) -> Result<()> {
    let mut opts = StoreOptions::new(db.to_string());
    opts.key_file = key;
    // Opened outside the runtime: the PostgreSQL client blocks.
    let store = Store::open(&opts).context("cannot open the store")?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let listener = rt.block_on(tokio::net::TcpListener::bind(("127.0.0.1", 0)))?;
    println!("{}", listener.local_addr()?.port());
    std::io::stdout().flush()?;
    let (stop, stopped) = oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        let _ = stop.send(());
    });
    let state = wangge_server::AppState::new(store.clone());
    let served = rt.block_on(wangge_server::serve(listener, state, async {
        let _ = stopped.await;
    }));
    drop(rt);
    drop(store);
    served.context("the server failed")
}

/// Starts a server process over the statistics store (nothing else in it),
/// asks it for the year's numbers of each level over HTTP, and reads its
/// memory: the server's own figure, without the benchmark's clients and
/// synthesis buffers.
fn server_memory(
    args: &Args,
    bench: &BenchStore,
    tree: &Tree,
    year: &Year,
    token: &str,
) -> Result<ServerMem> {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let mut child = Command::new(std::env::current_exe()?)
        .arg("--serve-db")
        .arg(&bench.db_url)
        .arg("--serve-key")
        .arg(&bench.key_file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start the server process")?;
    let pid = child.id();
    let measured = (|| -> Result<ServerMem> {
        let out = child.stdout.take().context("no stdout")?;
        let mut line = String::new();
        std::io::BufReader::new(out).read_line(&mut line)?;
        let port: u16 = line
            .trim()
            .parse()
            .with_context(|| format!("the server process said {line:?}"))?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let requests = rt.block_on(async {
            let client: HttpClient =
                Client::builder(TokioExecutor::new()).build(HttpConnector::new());
            let auth = format!("Bearer {token}");
            let mut n = 0;
            for code in [&tree.zone, &tree.street, &tree.community, &tree.compound] {
                let path = format!(
                    "/api/v1/stats/cases?unit={code}&from={}&to={}",
                    Year::ymd(year.first),
                    Year::ymd(year.last)
                );
                for _ in 0..args.runs + 3 {
                    let (status, _, body) =
                        call(&client, addr, &auth, Method::GET, &path, None).await?;
                    anyhow::ensure!(
                        status == StatusCode::OK,
                        "GET {path}: HTTP {status}: {}",
                        String::from_utf8_lossy(&body)
                    );
                    n += 1;
                }
            }
            Ok::<usize, anyhow::Error>(n)
        })?;
        let status = read(&format!("/proc/{pid}/status"));
        let field = |f: &str| {
            status
                .lines()
                .find(|l| l.starts_with(f))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map_or(0.0, |kb| kb / 1024.0)
        };
        Ok(ServerMem {
            rss_mib: field("VmRSS:"),
            hwm_mib: field("VmHWM:"),
            requests,
        })
    })();
    // Closing stdin stops the server; it is killed if it does not stop.
    drop(child.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let m = measured?;
    eprintln!(
        "  server process: VmRSS {:.0} MiB, VmHWM {:.0} MiB after {} requests",
        m.rss_mib, m.hwm_mib, m.requests
    );
    Ok(m)
}

/// A memory figure of this process from /proc/self/status, in MiB.
fn vm(field: &str) -> f64 {
    read("/proc/self/status")
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

// ---------------------------------------------------------------------------
// The machine and the report

fn loadavg() -> String {
    read("/proc/loadavg")
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn machine(workdir: &Path, pg: Option<&str>) -> Vec<String> {
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_kb: u64 = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    let kernel = read("/proc/sys/kernel/osrelease").trim().to_string();
    let dir = workdir.to_string_lossy().to_string();
    let mount = read("/proc/mounts")
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 3 && dir.starts_with(f[1]))
                .then(|| (f[1].len(), format!("{} ({}) on {}", f[1], f[2], f[0])))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, m)| m)
        .unwrap_or_else(|| "unknown".into());
    let mut out = vec![
        format!("CPU: {cores} × {cpu} (nproc {cores})"),
        format!("memory: {:.1} GiB", mem_kb as f64 / 1024.0 / 1024.0),
        format!("kernel: Linux {kernel}"),
        format!("scratch directory: {} on {mount}", workdir.display()),
        format!("SQLite {} (bundled with rusqlite)", rusqlite::version()),
    ];
    if let Some(pg) = pg {
        out.push(pg.to_string());
    }
    out
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 && a / b < 0.1 {
        format!("{:.4}", a / b)
    } else if b > 0.0 {
        format!("{:.2}", a / b)
    } else {
        "–".into()
    }
}

fn yes(ok: bool) -> &'static str {
    if ok {
        "**met**"
    } else {
        "**not met**"
    }
}

fn lat(l: &Latency) -> String {
    format!("{:.2} / {:.2} ms", l.p50_ms(), l.p99_ms())
}

fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    }
}

fn report(args: &Args, machine: &[String], results: &[BackendResult], notes: &[String]) -> String {
    let mut r = String::new();
    let now = OffsetDateTime::now_utc();
    let _ = writeln!(
        r,
        "### wangge-bench-cases — {}-{:02}-{:02} {:02}:{:02} UTC\n",
        now.year(),
        now.month() as u8,
        now.day(),
        now.hour(),
        now.minute()
    );
    let sizes: Vec<String> = args.stats_cases.iter().map(usize::to_string).collect();
    let _ = writeln!(
        r,
        "`wangge-bench-cases --backend {} --requests {} --clients {} --raw-rows {} --stats-cases {} --pg-stats-max {} --runs {}{}` ({} build)\n",
        match args.backend {
            BackendArg::Sqlite => "sqlite",
            BackendArg::Postgres => "postgres",
            BackendArg::Both => "both",
        },
        args.requests,
        args.clients,
        args.raw_rows,
        sizes.join(","),
        args.pg_stats_max,
        args.runs,
        if args.smoke { " --smoke" } else { "" },
        if cfg!(debug_assertions) { "debug — numbers are not meaningful" } else { "release" }
    );
    for m in machine {
        let _ = writeln!(r, "- {m}");
    }
    for n in notes {
        let _ = writeln!(r, "- note: {n}");
    }
    let _ = writeln!(r);
    let _ = writeln!(r, "#### Intake over HTTP, {} clients\n", args.clients);
    let _ = writeln!(
        r,
        "| backend | measure | Wangge | baseline (same run) | ratio | target | |"
    );
    let _ = writeln!(r, "|---|---|---|---|---|---|---|");
    for b in results {
        let name = backend_name(b.backend);
        let raw = b.raw.per_sec();
        let h = &b.health;
        let i = &b.intake;
        let _ = writeln!(
            r,
            "| {name} | baseline: raw durable batched insert, case-like rows ({} rows, {ROWS_PER_TX} per transaction) | – | {} rows/s | – | – | |",
            thousands(b.raw.rows as f64),
            thousands(raw),
        );
        let _ = writeln!(
            r,
            "| {name} | baseline: trivial handler `GET /healthz` | – | {} req/s, p50 / p99 {} | – | – | |",
            thousands(h.per_sec()),
            lat(&h.latency),
        );
        let failures = if i.failed > 0 {
            format!(
                "; {} failed: {}",
                i.failed,
                i.first_failure
                    .clone()
                    .unwrap_or_default()
                    .replace('|', "\\|")
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            r,
            "| {name} | intake `POST /api/v1/cases`: throughput | {}/s ({} created in {:.1} s{}{}) | {} rows/s raw | {} | ≥ 0.50 of raw | {} |",
            thousands(i.per_sec()),
            thousands(i.ok as f64),
            i.secs,
            failures,
            if i.timed_out { ", stopped at the time limit" } else { "" },
            thousands(raw),
            ratio(i.per_sec(), raw),
            yes(i.per_sec() >= 0.5 * raw && i.ok > 0),
        );
        let _ = writeln!(
            r,
            "| {name} | intake: throughput vs the trivial handler | {}/s | {} req/s | {} | – | |",
            thousands(i.per_sec()),
            thousands(h.per_sec()),
            ratio(i.per_sec(), h.per_sec()),
        );
        let _ = writeln!(
            r,
            "| {name} | intake: latency p50 / p99 (max {:.1} ms) | {} | {} (`/healthz`) | {} (p99) | p99 < 50 ms | {} |",
            ms(i.latency.max),
            lat(&i.latency),
            lat(&h.latency),
            ratio(i.latency.p99_ms(), h.latency.p99_ms()),
            yes(i.latency.p99_ms() < 50.0 && i.ok > 0),
        );
        let _ = writeln!(
            r,
            "| {name} | intake: latency p50 / p99 of the first and of the last {} requests (by request number) | {} → {} | – | – | – | |",
            thousands((args.requests / 10).max(1) as f64),
            lat(&i.first_tenth),
            lat(&i.last_tenth),
        );
        let _ = writeln!(
            r,
            "| {name} | every case answered 201 is durable (read back through a new connection after the server stopped) | {} of {} answered ids found; {} cases in the table | – | – | all | {} |",
            thousands(b.durable_ids_found as f64),
            thousands(i.ok as f64),
            thousands(b.durable_found as f64),
            yes(b.durable_ids_found == i.ok && b.durable_found == i.ok as i64 && i.ids.len() == i.ok),
        );
    }
    let _ = writeln!(r);
    let _ = writeln!(
        r,
        "#### Dashboard statistics for a year, from synthesized counters\n"
    );
    let _ = writeln!(
        r,
        "The counters are **synthesized** from a simulated case stream (no case rows exist in this store): N cases spread evenly over the 365 days ending yesterday, at random buildings and villages of the demo zone and at the seeded minor categories (skewed), each with a typical life (accepted, handled, closed with a handling time, rated; some rejected, overdue, escalated, reworked, reopened); their deltas are aggregated per (ancestor unit, local day, category) — and per histogram bucket — and written in big transactions, with their roll-ups (per month; histogram and escalations without the category), the rows the application would hold after those cases. `cases::stats` reads only these counter tables and `units`: whole months from the monthly rows, the days of the partial months at either end from the daily ones. Each query: 3 untimed runs, then {} timed, through the store's read pool; p99 of {} runs is about the slowest. The synthesis runs in the benchmark process too, and its buffers are freed before the memory is read.\n",
        args.runs, args.runs
    );
    let _ = writeln!(
        r,
        "| backend | cases | counter rows + histogram rows + roll-up rows (written in) | zone | street | community | compound | `stats_by_child` (zone) | `GET /api/v1/stats/cases` (zone) | target: any subtree < 100 ms | |"
    );
    let _ = writeln!(r, "|---|---|---|---|---|---|---|---|---|---|---|");
    for b in results {
        let name = backend_name(b.backend);
        for s in &b.stats {
            let worst = s.levels.iter().map(|l| l.2.p99_ms()).fold(0.0f64, f64::max);
            let cells: Vec<String> = s.levels.iter().map(|l| lat(&l.2)).collect();
            let _ = writeln!(
                r,
                "| {name} | {} | {} + {} + {} ({:.0} s; {}) | {} | slowest p99 {worst:.1} ms | {} |",
                thousands(s.synth.cases as f64),
                thousands(s.synth.counter_rows as f64),
                thousands(s.synth.hist_rows as f64),
                thousands(s.synth.rollup_rows as f64),
                s.synth.secs,
                s.db_size,
                [
                    cells.join(" | "),
                    format!("{} ({} children)", lat(&s.by_child), s.children),
                    lat(&s.http_zone),
                ]
                .join(" | "),
                yes(worst < 100.0),
            );
            debug_assert_eq!(s.zone_received, s.synth.cases as i64);
        }
    }
    let _ = writeln!(r);
    for b in results {
        let name = backend_name(b.backend);
        let _ = writeln!(r, "- {name}: demo tree: {}.", b.tree_summary);
        for n in &b.stats_notes {
            let _ = writeln!(r, "- {name}: {n}.");
        }
        if let Some(last) = b.stats.last() {
            let codes: Vec<String> = last
                .levels
                .iter()
                .map(|l| format!("{} {}", l.0, l.1))
                .collect();
            let _ = writeln!(
                r,
                "- {name}: units asked about: {}; the zone's `received` equalled the simulated cases at every size.",
                codes.join(", ")
            );
            let pg_note = if b.backend == Backend::Postgres {
                "; PostgreSQL's own memory is in its server processes, not counted here"
            } else {
                "; SQLite's page caches (up to 32 MB for each of the store's 5 connections) are in it"
            };
            if let Some(m) = b.server_mem {
                let _ = writeln!(
                    r,
                    "- {name}: server memory with {} cases: a separate server process over the statistics store (the same `wangge_server::serve`, store pools and page caches, nothing of the benchmark), after answering {} `GET /api/v1/stats/cases` for the year at the four levels: VmRSS {:.0} MiB (VmHWM {:.0} MiB){pg_note} — target < 300 MB: {}.",
                    thousands(last.synth.cases as f64),
                    m.requests,
                    m.rss_mib,
                    m.hwm_mib,
                    yes(m.hwm_mib * 1.048_576 < 300.0),
                );
            }
            let _ = writeln!(
                r,
                "- {name}: the benchmark process itself after the {}-case statistics: VmRSS {:.0} MiB (peak VmHWM {:.0} MiB over the whole run) — in-process server and store, the 64 intake clients, the raw baseline and the synthesis (whose freed buffers the allocator keeps){pg_note}.",
                thousands(last.synth.cases as f64),
                b.rss_mib,
                b.hwm_mib,
            );
        }
    }
    r
}
