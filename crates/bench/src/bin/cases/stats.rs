//! Statistics queries over the synthesized counters.

use super::*;

/// One statistics size.
#[derive(Debug, Clone)]
pub(super) struct StatsResult {
    pub(super) synth: Synthesized,
    /// (level, unit code, latency) for `stats` over the year.
    pub(super) levels: Vec<(&'static str, String, Latency)>,
    pub(super) by_child: Latency,
    pub(super) children: usize,
    pub(super) http_zone: Latency,
    /// Received at the zone, as `stats` answered (must equal the cases).
    pub(super) zone_received: i64,
    pub(super) db_size: String,
}

/// The demo tree's leaves where cases are reported (buildings, and
/// communities without compounds: villages), the minor categories, and the
/// units to ask about.
pub(super) struct Tree {
    pub(super) leaves: Vec<Leaf>,
    pub(super) cats: Vec<i64>,
    pub(super) zone: String,
    pub(super) street: String,
    pub(super) community: String,
    pub(super) compound: String,
    pub(super) summary: String,
}

/// id, code, kind, path, parent id.
pub(super) type UnitRow = (i64, String, String, String, Option<i64>);

pub(super) async fn load_tree(store: &Store, seed: u64) -> Result<Tree> {
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

pub(super) async fn time_store<F, T>(store: &Store, runs: usize, f: F) -> Result<(Latency, T)>
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

pub(super) async fn time_queries(
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
        let (status, took, body) = call(
            &api.client,
            api.addrs[0],
            &api.auth,
            Method::GET,
            &path,
            None,
        )
        .await?;
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

pub(super) fn db_size(place: &Place) -> String {
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

pub(super) type StatsMeasures = (Vec<StatsResult>, f64, f64, String, Option<ServerMem>);

pub(super) fn measure_stats(
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
pub(super) fn serve_child(db: &str, key: Option<PathBuf>) -> Result<()> {
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
pub(super) fn server_memory(
    args: &Args,
    bench: &BenchStore,
    tree: &Tree,
    year: &Year,
    token: &str,
) -> Result<ServerMem> {
    let server = ServerProcess::start(&bench.db_url, &bench.key_file)?;
    let (addr, pid) = (server.addr, server.pid());
    let measured = (|| -> Result<ServerMem> {
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
    drop(server);
    let m = measured?;
    eprintln!(
        "  server process: VmRSS {:.0} MiB, VmHWM {:.0} MiB after {} requests",
        m.rss_mib, m.hwm_mib, m.requests
    );
    Ok(m)
}

/// A memory figure of this process from /proc/self/status, in MiB.
pub(super) fn vm(field: &str) -> f64 {
    read("/proc/self/status")
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}
