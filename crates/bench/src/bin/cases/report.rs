//! The machine and the report.

use super::*;

pub(super) fn loadavg() -> String {
    read("/proc/loadavg")
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

pub(super) fn machine(workdir: &Path, pg: Option<&str>) -> Vec<String> {
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

pub(super) fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 && a / b < 0.1 {
        format!("{:.4}", a / b)
    } else if b > 0.0 {
        format!("{:.2}", a / b)
    } else {
        "–".into()
    }
}

pub(super) fn yes(ok: bool) -> &'static str {
    if ok {
        "**met**"
    } else {
        "**not met**"
    }
}

pub(super) fn lat(l: &Latency) -> String {
    format!("{:.2} / {:.2} ms", l.p50_ms(), l.p99_ms())
}

pub(super) fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    }
}

pub(super) fn report(
    args: &Args,
    machine: &[String],
    results: &[BackendResult],
    notes: &[String],
) -> String {
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
            "| {name} | baseline: raw durable batched insert of the rows intake writes ({RAW_WRITES}; {} cases, {ROWS_PER_TX} per transaction, {} row writes) | – | {} cases/s ({} row writes/s) | – | – | |",
            thousands(b.raw.rows as f64),
            thousands(b.raw.writes as f64),
            thousands(raw),
            thousands(b.raw.writes_per_sec()),
        );
        let _ = writeln!(
            r,
            "| {name} | baseline: the same rows asked for by {} waiting clients, group committed (up to {ROWS_PER_TX} cases per transaction) | – | {} cases/s, p50 / p99 {} | – | – | |",
            args.clients,
            thousands(b.raw_clients.per_sec()),
            lat(&b.raw_latency),
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
            "| {name} | intake `POST /api/v1/cases`: throughput | {}/s ({} created in {:.1} s{}{}) | {} cases/s raw | {} | ≥ 0.50 of raw | {} |",
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
            "| {name} | intake: latency p50 / p99 (max {:.1} ms) | {} | {} (raw, {} clients) | {} (p99) | p99 ≤ 2 × raw p99 | {} |",
            ms(i.latency.max),
            lat(&i.latency),
            lat(&b.raw_latency),
            args.clients,
            ratio(i.latency.p99_ms(), b.raw_latency.p99_ms()),
            yes(i.latency.p99_ms() <= 2.0 * b.raw_latency.p99_ms() && i.ok > 0),
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
    nodes_table(&mut r, args, results);
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

/// Intake through N server processes on one PostgreSQL, beside the raw
/// baseline at the same concurrency.
fn nodes_table(r: &mut String, args: &Args, results: &[BackendResult]) {
    for b in results.iter().filter(|b| !b.nodes.is_empty()) {
        let name = backend_name(b.backend);
        let _ = writeln!(
            r,
            "\n#### {name}: intake through N server processes on one database, {} clients spread over them\n",
            args.clients
        );
        let _ = writeln!(
            r,
            "| nodes | intake | ÷ raw ({} cases/s, {} clients) | p50 / p99 | p99 ÷ raw p99 ({:.1} ms) | target p99 ≤ 2 × raw | durable |",
            thousands(b.raw_clients.per_sec()),
            args.clients,
            b.raw_latency.p99_ms()
        );
        let _ = writeln!(r, "|---|---|---|---|---|---|---|");
        for n in &b.nodes {
            let i = &n.intake;
            let _ = writeln!(
                r,
                "| {} | {}/s ({} created{}) | {} | {} | {} | {} | {} of {} |",
                n.nodes,
                thousands(i.per_sec()),
                thousands(i.ok as f64),
                if i.failed > 0 {
                    format!(
                        ", {} failed: {}",
                        i.failed,
                        i.first_failure
                            .clone()
                            .unwrap_or_default()
                            .replace('|', "\\|")
                    )
                } else {
                    String::new()
                },
                ratio(i.per_sec(), b.raw_clients.per_sec()),
                lat(&i.latency),
                ratio(i.latency.p99_ms(), b.raw_latency.p99_ms()),
                yes(i.latency.p99_ms() <= 2.0 * b.raw_latency.p99_ms() && i.ok > 0),
                thousands(n.durable_ids_found as f64),
                thousands(i.ok as f64),
            );
        }
    }
}
