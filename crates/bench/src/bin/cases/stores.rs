//! Stores in fresh places: a SQLite folder or a PostgreSQL schema, the
//! benchmark's account and a small unit tree.

use super::*;

pub(super) fn pg_required() -> bool {
    std::env::var("WANGGE_REQUIRE_PG").is_ok_and(|v| v == "1")
}

/// Refuses any PostgreSQL that is not on this machine's loopback address.
pub(super) fn check_local_pg(url: &str) -> Result<()> {
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

pub(super) fn pg_settings(url: &str) -> Result<String> {
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
pub(super) struct BenchStore {
    pub(super) store: Store,
    /// How the store was opened, for a server in another process.
    pub(super) db_url: String,
    pub(super) key_file: PathBuf,
    /// Where a new connection finds the same data.
    pub(super) place: Place,
}

#[derive(Clone)]
pub(super) enum Place {
    Sqlite(PathBuf),
    /// Server URL and schema.
    Postgres(String, String),
}

impl Place {
    pub(super) fn sqlite(&self) -> Result<rusqlite::Connection> {
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

    pub(super) fn postgres(&self) -> Result<postgres::Client> {
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
    pub(super) fn open(
        args: &Args,
        backend: Backend,
        workdir: &Path,
        name: &str,
    ) -> Result<BenchStore> {
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
    pub(super) fn close(self) -> Result<()> {
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
pub(super) const NO_PASSWORD: &str = "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// A zone administrator and an API token for it, created as the system.
pub(super) async fn bench_token(store: &Store) -> Result<String> {
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

/// Zone 371799 → street → community → compound → building; answers the
/// building's code.
pub(super) async fn small_tree(store: &Store) -> Result<String> {
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
