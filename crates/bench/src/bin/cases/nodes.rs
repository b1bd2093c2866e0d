//! Server processes: the statistics phase's memory figure, and intake through
//! N `wangge serve`-like nodes on one database (`--nodes`).

use super::*;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};

/// A server in another process (this binary with `--serve-db`), on 127.0.0.1.
pub(super) struct ServerProcess {
    child: Child,
    pub(super) addr: SocketAddr,
}

impl ServerProcess {
    pub(super) fn start(db_url: &str, key_file: &Path) -> Result<ServerProcess> {
        let mut child = Command::new(std::env::current_exe()?)
            .arg("--serve-db")
            .arg(db_url)
            .arg("--serve-key")
            .arg(key_file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("cannot start the server process")?;
        let port = (|| -> Result<u16> {
            let out = child.stdout.take().context("no stdout")?;
            let mut line = String::new();
            std::io::BufReader::new(out).read_line(&mut line)?;
            line.trim()
                .parse()
                .with_context(|| format!("the server process said {line:?}"))
        })();
        let mut server = ServerProcess {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        server.addr.set_port(port?);
        Ok(server)
    }

    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServerProcess {
    /// Closing stdin stops the server; it is killed if it does not stop.
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(30);
        while matches!(self.child.try_wait(), Ok(None)) {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Intake through `n` server processes on one fresh store.
pub(super) struct NodesResult {
    pub(super) nodes: usize,
    pub(super) intake: Outcome,
    pub(super) durable_ids_found: usize,
}

pub(super) fn measure_nodes(
    args: &Args,
    backend: Backend,
    workdir: &Path,
    rt: &tokio::runtime::Runtime,
    n: usize,
) -> Result<NodesResult> {
    let bench = BenchStore::open(args, backend, workdir, &format!("nodes{n}"))?;
    let setup = rt.block_on(async {
        let building = small_tree(&bench.store).await?;
        let token = bench_token(&bench.store).await?;
        Ok::<_, anyhow::Error>((building, token))
    });
    let BenchStore {
        store,
        db_url,
        key_file,
        place,
    } = bench;
    drop(store);
    let measured = setup.and_then(|(building, token)| {
        let servers = (0..n)
            .map(|_| ServerProcess::start(&db_url, &key_file))
            .collect::<Result<Vec<_>>>()?;
        let api = Api::remote(
            servers.iter().map(|s| s.addr).collect(),
            &token,
            args.clients,
        )?;
        let b: Arc<str> = Arc::from(building.as_str());
        let make: Arc<MakeRequest> = Arc::new(move |i| {
            (
                Method::POST,
                "/api/v1/cases".to_string(),
                Some(report_body(i, &b)),
            )
        });
        let limit = Duration::from_secs(args.http_seconds);
        let out = rt.block_on(drive(
            &api,
            args.requests,
            args.clients,
            limit,
            StatusCode::CREATED,
            true,
            make,
        ));
        drop(servers);
        out
    });
    let found = match &measured {
        Ok(m) => count_cases(&place, &m.ids),
        Err(_) => Ok((0, 0)),
    };
    cleanup(place);
    let intake = measured?;
    let (_, durable_ids_found) = found?;
    eprintln!(
        "intake through {n} node(s): {} cases/s, p50 {:.1} ms, p99 {:.1} ms, {} of {} answered ids found",
        thousands(intake.per_sec()),
        intake.latency.p50_ms(),
        intake.latency.p99_ms(),
        durable_ids_found,
        intake.ok
    );
    Ok(NodesResult {
        nodes: n,
        intake,
        durable_ids_found,
    })
}
