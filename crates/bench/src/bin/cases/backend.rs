//! One backend: intake, the baselines, durability and the statistics.

use super::*;

pub(super) struct BackendResult {
    pub(super) backend: Backend,
    pub(super) raw: RawResult,
    /// The same rows, asked for by `--clients` waiting clients and group
    /// committed: intake's baseline at the same concurrency.
    pub(super) raw_clients: RawResult,
    pub(super) raw_latency: Latency,
    /// Intake through 1..=`--nodes` server processes (PostgreSQL only).
    pub(super) nodes: Vec<NodesResult>,
    pub(super) health: Outcome,
    pub(super) intake: Outcome,
    /// Cases found through a new connection after the server stopped.
    pub(super) durable_found: i64,
    /// Of the ids answered 201, how many were found.
    pub(super) durable_ids_found: usize,
    pub(super) stats: Vec<StatsResult>,
    pub(super) stats_notes: Vec<String>,
    pub(super) tree_summary: String,
    /// VmRSS and VmHWM (MiB) after the largest statistics run.
    pub(super) rss_mib: f64,
    pub(super) hwm_mib: f64,
    /// The same of a server process holding only the store, after answering
    /// the dashboard queries over HTTP at the largest size.
    pub(super) server_mem: Option<ServerMem>,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct ServerMem {
    pub(super) rss_mib: f64,
    pub(super) hwm_mib: f64,
    pub(super) requests: usize,
}

pub(super) fn run_backend(
    args: &Args,
    backend: Backend,
    workdir: &Path,
    rt: &tokio::runtime::Runtime,
) -> Result<BackendResult> {
    eprintln!(
        "raw baseline: {} cases written as intake writes them, {ROWS_PER_TX} per durable transaction",
        args.raw_rows
    );
    let (raw, _) = raw_baseline(args, backend, workdir, rt, 0)?;
    eprintln!(
        "raw baseline: {} cases/s ({} row writes/s)",
        thousands(raw.per_sec()),
        thousands(raw.writes_per_sec())
    );
    let (raw_clients, raw_latency) = raw_baseline(args, backend, workdir, rt, args.clients)?;
    eprintln!(
        "raw baseline, {} waiting clients: {} cases/s, p50 {:.1} ms, p99 {:.1} ms",
        args.clients,
        thousands(raw_clients.per_sec()),
        raw_latency.p50_ms(),
        raw_latency.p99_ms()
    );

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

    let mut nodes = Vec::new();
    if backend == Backend::Postgres {
        for n in 1..=args.nodes {
            nodes.push(measure_nodes(args, backend, workdir, rt, n)?);
        }
    }

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
        raw_clients,
        raw_latency,
        nodes,
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

pub(super) fn cleanup(place: Place) {
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
pub(super) fn count_cases(place: &Place, ids: &[i64]) -> Result<(i64, usize)> {
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

pub(super) async fn measure_intake(args: &Args, store: &Store) -> Result<(Outcome, Outcome)> {
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
