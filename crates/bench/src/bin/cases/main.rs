//! `wangge-bench-cases`: the case engine's benchmark, on SQLite and/or
//! PostgreSQL, each beside baselines measured in the same run.
//!
//! 1. Intake: `POST /api/v1/cases` from 64 concurrent keep-alive clients
//!    (throughput, p50, p99), then every case answered 201 is looked for
//!    through a new database connection. Beside it: the rows intake writes
//!    for each case (the case, its event, its 20 duplicate flags, its audit
//!    entry, the tracking-number and counter upserts; see [`raw`]) written
//!    straight into the database, 100 cases per durable transaction, no
//!    application code; and a trivial handler (`GET /healthz`) on the same
//!    server with the same clients.
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
use wangge_demo::{self as demo, DemoConfig, SplitMix64};
use wangge_store::accounts::{self, NewUser};
use wangge_store::cases;
use wangge_store::units::{self, NewUnit};
use wangge_store::{Backend, Scope, Store, StoreOptions};

mod backend;
mod http;
mod latency;
mod nodes;
mod raw;
mod report;
mod rows;
mod stats;
mod stores;
mod synth;

use backend::*;
use http::*;
use latency::*;
use nodes::*;
use raw::*;
use report::*;
use rows::*;
use stats::*;
use stores::*;
use synth::*;

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
    /// Cases of the raw batched-insert baseline (each written as the rows
    /// intake writes for it); 0, the default, takes as many as `--requests`,
    /// so both fill tables of the same size.
    #[arg(long, default_value_t = 0)]
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
    /// On PostgreSQL, also measure intake through 1, 2, … N server processes
    /// on one database, the clients spread over them (0: not measured).
    #[arg(long, default_value_t = 0)]
    nodes: usize,
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
    if args.raw_rows == 0 {
        args.raw_rows = args.requests;
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
