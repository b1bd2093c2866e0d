//! `wangge-bench`: generates the demo zone with N residents on SQLite and/or
//! PostgreSQL and measures, in the same run and beside a raw baseline (the
//! same work straight into rusqlite / PostgreSQL with no application code):
//! generation rate, the first page of a street's subtree, lookup by ID number,
//! and creating residents one per request over the HTTP API from 64 clients.
//! Prints a Markdown report (and writes it with `--out`).
//!
//! All traffic stays on this machine: the API server binds 127.0.0.1, and a
//! PostgreSQL URL whose host is not 127.0.0.1 (or a local socket) is refused.

mod api;
mod raw;
mod stats;

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};
use hyper::Method;
use stats::{ms, thousands, Latency};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use wangge_demo::{self as demo, DemoConfig, DemoSummary};
use wangge_store::{people, Backend, Scope, Store, StoreOptions};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BackendArg {
    Sqlite,
    Postgres,
    Both,
}

#[derive(Debug, Parser)]
#[command(
    name = "wangge-bench",
    about = "Wangge benchmarks: generation, lookups and API creation beside a raw baseline"
)]
struct Args {
    /// Which backend(s) to measure.
    #[arg(long, value_enum, default_value = "both")]
    backend: BackendArg,
    /// Residents to generate (and raw baseline rows to insert).
    #[arg(long, default_value_t = 1_000_000)]
    people: usize,
    /// Residents to create over the API, one per request.
    #[arg(long, default_value_t = 20_000)]
    api_requests: usize,
    /// Concurrent API clients.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Upper bound on the API creation phase, in seconds.
    #[arg(long, default_value_t = 120)]
    api_seconds: u64,
    /// Lookups per measured kind.
    #[arg(long, default_value_t = 2000)]
    lookups: usize,
    /// Also write the Markdown report to this file.
    #[arg(long)]
    out: Option<PathBuf>,
    /// A tiny run (a few seconds) that exercises every phase, for CI.
    #[arg(long)]
    smoke: bool,
    /// PostgreSQL to use (its host must be 127.0.0.1); a fresh schema is made and dropped.
    #[arg(
        long,
        env = "WANGGE_TEST_PG",
        default_value = "postgres://postgres@127.0.0.1/test"
    )]
    pg_url: String,
    /// Demo generator seed.
    #[arg(long, default_value_t = 2020)]
    seed: u64,
    /// Group-commit writer connections for PostgreSQL (the store's default is 1).
    #[arg(long, default_value_t = 1)]
    pg_writers: usize,
}

fn main() -> Result<()> {
    let mut args = Args::parse();
    if args.smoke {
        args.people = args.people.min(2000);
        args.api_requests = args.api_requests.min(300);
        args.lookups = args.lookups.min(50);
        args.api_seconds = args.api_seconds.min(20);
    }
    anyhow::ensure!(args.clients > 0, "--clients must be at least 1");
    let workdir = std::env::temp_dir().join(format!("wangge-bench-{}", std::process::id()));
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
    // Anything else running on the machine shows up here, and in the numbers.
    machine.push(format!(
        "load average (1 min) at start / end of the run: {load_before} / {}",
        loadavg()
    ));
    Ok(report(args, &machine, &results, &notes))
}

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

struct BackendResult {
    backend: Backend,
    raw: raw::RawResult,
    demo: DemoSummary,
    store_page: Latency,
    store_id: Latency,
    api_page: std::result::Result<Latency, String>,
    api_id: std::result::Result<Latency, String>,
    create: std::result::Result<api::CreateResult, String>,
}

/// A store in a fresh place: a new SQLite file, or a new PostgreSQL schema.
struct BenchStore {
    store: Store,
    pg: Option<(String, String)>,
}

impl BenchStore {
    fn open(args: &Args, backend: Backend, workdir: &Path) -> Result<BenchStore> {
        let (mut opts, pg) = match backend {
            Backend::Sqlite => (
                StoreOptions::new(format!("sqlite:{}", workdir.join("wangge.db").display())),
                None,
            ),
            Backend::Postgres => {
                let schema = format!("wangge_bench_{}", std::process::id());
                let mut c = postgres::Client::connect(&args.pg_url, postgres::NoTls)?;
                c.batch_execute(&format!(
                    "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
                ))?;
                let sep = if args.pg_url.contains('?') { '&' } else { '?' };
                let url = format!("{}{sep}options=-csearch_path%3D{schema}", args.pg_url);
                (StoreOptions::new(url), Some((args.pg_url.clone(), schema)))
            }
        };
        opts.key_file = Some(workdir.join(format!("{backend:?}.key")));
        opts.db.pg_writers = args.pg_writers.max(1);
        let store = Store::open(&opts).context("cannot open the store")?;
        Ok(BenchStore { store, pg })
    }

    /// Closes the store and removes its schema; called outside the runtime,
    /// since the PostgreSQL client blocks.
    fn close(self) -> Result<()> {
        drop(self.store);
        if let Some((url, schema)) = self.pg {
            let mut c = postgres::Client::connect(&url, postgres::NoTls)?;
            c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))?;
        }
        Ok(())
    }
}

fn run_backend(
    args: &Args,
    backend: Backend,
    workdir: &Path,
    rt: &tokio::runtime::Runtime,
) -> Result<BackendResult> {
    eprintln!(
        "raw baseline: inserting {} rows, {} per transaction",
        args.people,
        raw::ROWS_PER_TX
    );
    let raw = match backend {
        Backend::Sqlite => raw::sqlite(workdir, args.people, args.lookups, args.api_requests)?,
        Backend::Postgres => {
            let schema = format!("wangge_bench_raw_{}", std::process::id());
            raw::postgres(
                &args.pg_url,
                &schema,
                args.people,
                args.lookups,
                args.api_requests,
            )?
        }
    };
    eprintln!(
        "raw baseline: {} rows/s; the API phase's inserts: {} residents/s",
        thousands(raw.rows_per_sec()),
        thousands(raw.creates_per_sec())
    );
    let bench = BenchStore::open(args, backend, workdir)?;
    let measured = rt.block_on(measure_app(args, &bench.store));
    bench.close()?;
    let (demo, store_page, store_id, api_page, api_id, create) = measured?;
    Ok(BackendResult {
        backend,
        raw,
        demo,
        store_page,
        store_id,
        api_page,
        api_id,
        create,
    })
}

type AppMeasures = (
    DemoSummary,
    Latency,
    Latency,
    std::result::Result<Latency, String>,
    std::result::Result<Latency, String>,
    std::result::Result<api::CreateResult, String>,
);

async fn measure_app(args: &Args, store: &Store) -> Result<AppMeasures> {
    let cfg = DemoConfig {
        people: args.people,
        seed: args.seed,
    };
    eprintln!("generating the demo zone with {} residents", args.people);
    let summary = demo::seed(store, &cfg)
        .await
        .context("demo generation failed")?;
    anyhow::ensure!(!summary.reused, "the benchmark store was not empty");
    eprintln!("{summary}");

    let codes = |kind: &'static str| {
        store.db.read(move |c| {
            c.query(
                "SELECT code FROM units WHERE kind = $1 ORDER BY code",
                wangge_store::params![kind],
            )?
            .iter()
            .map(|r| r.get::<String>(0))
            .collect::<wangge_store::Result<Vec<String>>>()
        })
    };
    let streets = codes("street").await?;
    let buildings = codes("building").await?;
    let ids = demo::sample_id_numbers(&cfg, (args.people / args.lookups.max(1)).max(1));
    anyhow::ensure!(
        !streets.is_empty() && !ids.is_empty(),
        "the demo made no streets or residents"
    );

    let ctx = store.ctx("bench", Scope::All, time::OffsetDateTime::now_utc());
    let warmup = 20.min(args.lookups);
    let mut page_samples = Vec::new();
    for i in 0..args.lookups + warmup {
        let (ctx, code) = (ctx.clone(), streets[i % streets.len()].clone());
        let t = Instant::now();
        let page = store
            .db
            .read(move |c| people::list(c, &ctx, Some(&code), None, Some(50)))
            .await?;
        let took = t.elapsed();
        anyhow::ensure!(!page.items.is_empty(), "a street's first page was empty");
        if i >= warmup {
            page_samples.push(took);
        }
    }
    let mut id_samples = Vec::new();
    for i in 0..args.lookups + warmup {
        let (ctx, id) = (ctx.clone(), ids[i % ids.len()].clone());
        let t = Instant::now();
        store
            .db
            .read(move |c| people::find_by_id_number(c, &ctx, &id))
            .await
            .context("a demo resident was not found by ID number")?;
        if i >= warmup {
            id_samples.push(t.elapsed());
        }
    }
    eprintln!("store lookups done; starting the API on 127.0.0.1");

    let api = api::Api::start(store.clone(), args.clients).await?;
    let pages: Vec<(String, String)> = streets
        .iter()
        .map(|s| (format!("/api/v1/people?unit={s}&limit=50"), String::new()))
        .collect();
    let lookups: Vec<(String, String)> = ids
        .iter()
        .map(|id| {
            (
                "/api/v1/people/lookup".to_string(),
                serde_json::json!({ "id_number": id }).to_string(),
            )
        })
        .collect();
    let n = args.lookups;
    let api_page = api::time_requests(&api, Method::GET, &pages, warmup, n).await?;
    let api_id = api::time_requests(&api, Method::POST, &lookups, warmup, n).await?;
    eprintln!(
        "creating {} residents over the API with {} clients",
        args.api_requests, args.clients
    );
    let create = api::create_people(
        &api,
        &buildings,
        args.api_requests,
        args.clients,
        Duration::from_secs(args.api_seconds),
    )
    .await;
    api.stop().await?;
    let create = match create {
        Ok(c) if c.created == 0 => Err(format!(
            "no resident was created ({})",
            c.first_failure.unwrap_or_default()
        )),
        Ok(c) => Ok(c),
        Err(e) => Err(format!("{e:#}")),
    };
    Ok((
        summary,
        Latency::of(page_samples),
        Latency::of(id_samples),
        api_page,
        api_id,
        create,
    ))
}

// ---------------------------------------------------------------------------
// The machine and the report

fn loadavg() -> String {
    read("/proc/loadavg")
        .split_whitespace()
        .next()
        .unwrap_or("?")
        .to_string()
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
    let fsync = raw::sqlite_commit_latency(workdir, 50)
        .map(|d| format!("{:.2} ms", ms(d)))
        .unwrap_or_else(|e| format!("unknown ({e})"));
    let mut out = vec![
        format!("CPU: {cores} × {cpu} (nproc {cores})"),
        format!("memory: {:.1} GiB", mem_kb as f64 / 1024.0 / 1024.0),
        format!("kernel: Linux {kernel}"),
        format!("scratch directory: {} on {mount}", workdir.display()),
        format!("durable single-row SQLite commit (WAL, synchronous=FULL), median of 50: {fsync}"),
        format!("SQLite {} (bundled with rusqlite)", rusqlite::version()),
    ];
    if let Some(pg) = pg {
        out.push(pg.to_string());
    }
    out
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
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
    format!("{:.2} / {:.2} ms (n = {})", l.p50_ms(), l.p99_ms(), l.n)
}

fn report(args: &Args, machine: &[String], results: &[BackendResult], notes: &[String]) -> String {
    let mut r = String::new();
    let now = time::OffsetDateTime::now_utc();
    let _ = writeln!(
        r,
        "## wangge-bench — {}-{:02}-{:02} {:02}:{:02} UTC\n",
        now.year(),
        now.month() as u8,
        now.day(),
        now.hour(),
        now.minute()
    );
    let _ = writeln!(
        r,
        "`wangge-bench --backend {} --people {} --api-requests {} --clients {} --lookups {}{}` ({})\n",
        match args.backend {
            BackendArg::Sqlite => "sqlite",
            BackendArg::Postgres => "postgres",
            BackendArg::Both => "both",
        },
        args.people,
        args.api_requests,
        args.clients,
        args.lookups,
        if args.smoke { " --smoke" } else { "" },
        if cfg!(debug_assertions) {
            "debug build: the numbers mean nothing"
        } else {
            "release build"
        }
    );
    for m in machine {
        let _ = writeln!(r, "- {m}");
    }
    for n in notes {
        let _ = writeln!(r, "- note: {n}");
    }
    let _ = writeln!(r);
    let _ = writeln!(
        r,
        "| backend | measure | Wangge | raw baseline | ratio (Wangge ÷ raw) | target | |"
    );
    let _ = writeln!(r, "|---|---|---|---|---|---|---|");
    for b in results {
        let name = match b.backend {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        };
        let raw_rate = b.raw.rows_per_sec();
        let gen = b.demo.residents_per_sec();
        let _ = writeln!(
            r,
            "| {name} | generate {} residents (validated, hashed, encrypted, in households) | {}/s ({:.1} s; whole demo incl. structure and positions {:.1} s) | {} rows/s (plain rows, {} per durable transaction; median of tenths {}/s) | {} | ≥ 50,000/s | {} |",
            thousands(b.demo.residents_created as f64),
            thousands(gen),
            b.demo.residents_secs,
            b.demo.elapsed_secs,
            thousands(raw_rate),
            raw::ROWS_PER_TX,
            thousands(b.raw.median_window_rate()),
            ratio(gen, raw_rate),
            yes(gen >= 50_000.0),
        );
        let _ = writeln!(
            r,
            "| {name} | first page (50) of a street's subtree, in the store: p50 / p99 | {} | {} | {} | p50 < 5 ms | {} |",
            lat(&b.store_page),
            lat(&b.raw.first_page),
            ratio(b.store_page.p50_ms(), b.raw.first_page.p50_ms()),
            yes(b.store_page.p50_ms() < 5.0),
        );
        match &b.api_page {
            Ok(l) => {
                let _ = writeln!(
                    r,
                    "| {name} | same over HTTP (`GET /api/v1/people?unit=…`): p50 / p99 | {} | {} | {} | p50 < 5 ms | {} |",
                    lat(l),
                    lat(&b.raw.first_page),
                    ratio(l.p50_ms(), b.raw.first_page.p50_ms()),
                    yes(l.p50_ms() < 5.0),
                );
            }
            Err(e) => {
                let _ = writeln!(r, "| {name} | same over HTTP | not measured: {e} | | | | |");
            }
        }
        let _ = writeln!(
            r,
            "| {name} | lookup by ID number (keyed hash), in the store: p50 / p99 | {} | {} | {} | p50 < 5 ms | {} |",
            lat(&b.store_id),
            lat(&b.raw.by_hash),
            ratio(b.store_id.p50_ms(), b.raw.by_hash.p50_ms()),
            yes(b.store_id.p50_ms() < 5.0),
        );
        match &b.api_id {
            Ok(l) => {
                let _ = writeln!(
                    r,
                    "| {name} | same over HTTP (`POST /api/v1/people/lookup`): p50 / p99 | {} | {} | {} | p50 < 5 ms | {} |",
                    lat(l),
                    lat(&b.raw.by_hash),
                    ratio(l.p50_ms(), b.raw.by_hash.p50_ms()),
                    yes(l.p50_ms() < 5.0),
                );
            }
            Err(e) => {
                let _ = writeln!(r, "| {name} | same over HTTP | not measured: {e} | | | | |");
            }
        }
        let raw_create = b.raw.creates_per_sec();
        let raw_create_text = format!(
            "{} residents/s (the same {} residents, each with its audit entry, {} per durable transaction; the generation's plain load above: {} rows/s)",
            thousands(raw_create),
            thousands(b.raw.created as f64),
            raw::ROWS_PER_TX,
            thousands(raw_rate)
        );
        match &b.create {
            Ok(c) => {
                let _ = writeln!(
                    r,
                    "| {name} | create residents over HTTP (`POST /api/v1/people`), {} clients, one per request | {}/s ({} created{}{}; p50 {:.1} ms, p99 {:.1} ms) | {} | {} | ≥ 0.50 | {} |",
                    c.clients,
                    thousands(c.per_sec()),
                    thousands(c.created as f64),
                    if c.failed > 0 { format!(", {} failed: {}", c.failed, c.first_failure.clone().unwrap_or_default()) } else { String::new() },
                    if c.timed_out { ", stopped at the time limit" } else { "" },
                    c.latency.p50_ms(),
                    c.latency.p99_ms(),
                    raw_create_text,
                    ratio(c.per_sec(), raw_create),
                    yes(c.per_sec() >= 0.5 * raw_create),
                );
            }
            Err(e) => {
                let _ = writeln!(r, "| {name} | create residents over HTTP | not measured: {e} | {raw_create_text} | | ≥ 0.50 | **not measured** |");
            }
        }
    }
    let _ = writeln!(r);
    for b in results {
        let d = &b.demo;
        let _ = writeln!(
            r,
            "- {:?} demo: {} units ({} streets, {} communities, {} compounds, {} buildings, {} grids), {} organisations, {} alliance members, {} households, {} residents, {} positions.",
            b.backend,
            d.zones + d.streets + d.communities + d.compounds + d.buildings + d.grids,
            d.streets, d.communities, d.compounds, d.buildings, d.grids,
            thousands(d.organisations as f64),
            thousands(d.alliance_members as f64),
            thousands(d.households as f64),
            thousands(d.people as f64),
            thousands(d.positions as f64),
        );
    }
    r
}
