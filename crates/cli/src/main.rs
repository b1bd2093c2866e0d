//! `wangge`: one binary for the server and its administration.

mod admin;
mod audit;
mod demo_accounts;
mod settings;
mod transfer;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use settings::FileSettings;
use std::path::PathBuf;
use std::process::ExitCode;
use wangge_store::{Store, StoreOptions};

#[derive(Parser)]
#[command(
    name = "wangge",
    version,
    about = "网格 Wangge — grassroots-governance platform"
)]
struct Cli {
    /// TOML settings file (flags and WANGGE_* variables override it).
    #[arg(long, global = true, env = "WANGGE_CONFIG")]
    config: Option<PathBuf>,
    /// Log format: text or json.
    #[arg(long, global = true, env = "WANGGE_LOG_FORMAT")]
    log_format: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct DbArgs {
    /// sqlite:FILE (default sqlite:wangge.db) or postgres://USER@HOST/DB.
    #[arg(long, env = "WANGGE_DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// The key file that protects personal data (default: beside the SQLite file).
    #[arg(long, env = "WANGGE_KEY_FILE", global = true)]
    key_file: Option<PathBuf>,
}

#[derive(Args, Clone)]
struct ListenArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, env = "WANGGE_LISTEN")]
    listen: Option<String>,
    /// A file of holiday notices for years after the built-in 2020–2026.
    #[arg(long, env = "WANGGE_CALENDAR_FILE")]
    calendar_file: Option<PathBuf>,
    /// Where uploaded photos and documents are kept (default: beside the SQLite
    /// file, or ./wangge-files); nodes sharing one database share this folder.
    #[arg(long, env = "WANGGE_FILES_DIR")]
    files_dir: Option<PathBuf>,
    /// Seconds that requests in flight may go on after SIGTERM (default 10);
    /// those still running then are cut.
    #[arg(long, env = "WANGGE_SHUTDOWN_GRACE")]
    shutdown_grace: Option<u64>,
    /// Seconds a client may take to send a request's headers (default 30);
    /// a connection slower than that is closed.
    #[arg(long, env = "WANGGE_HEADER_TIMEOUT")]
    header_timeout: Option<u64>,
    /// The address the public reaches Wangge at, e.g. https://wangge.example.cn
    /// (https makes cookies Secure and sends HSTS).
    #[arg(long, env = "WANGGE_PUBLIC_URL")]
    public_url: Option<String>,
    /// A proxy (IP address or CIDR range) whose X-Forwarded-For / Forwarded is
    /// believed; repeat the flag, or separate with commas in the variable.
    #[arg(
        long = "trusted-proxy",
        env = "WANGGE_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<String>,
    /// Days a new API token lives unless its request says otherwise (default 90).
    #[arg(long, env = "WANGGE_TOKEN_DAYS")]
    token_days: Option<i64>,
    /// Roles that must use two-factor login, separated by commas, or `none`
    /// (default zone_admin,auditor; `wangge demo` defaults to none).
    #[arg(long, env = "WANGGE_TOTP_REQUIRED_ROLES")]
    totp_required_roles: Option<String>,
    /// Take Open311 reports without an api_key as anonymous residents'
    /// (default true; false, no, off or 0 requires an api_key).
    #[arg(long, env = "WANGGE_OPEN311_ANONYMOUS", value_parser = clap::builder::BoolishValueParser::new())]
    open311_anonymous: Option<bool>,
    /// The unit code Open311 reports without address_id go to (default: the
    /// first top-level unit).
    #[arg(long, env = "WANGGE_OPEN311_DEFAULT_UNIT")]
    open311_default_unit: Option<String>,
    /// The contact the Open311 discovery document gives.
    #[arg(long, env = "WANGGE_OPEN311_CONTACT")]
    open311_contact: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web UI and API.
    Serve {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        listen: ListenArgs,
    },
    /// Bring the database schema up to date and exit.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Create (or reuse) a demo database of 菏泽开发区 and serve it.
    Demo {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        listen: ListenArgs,
        /// How many synthetic residents to generate.
        #[arg(long, default_value_t = 5000)]
        people: usize,
        /// Seed for the generator: the same seed gives the same data.
        #[arg(long, default_value_t = 2020)]
        seed: u64,
        /// Generate the data and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Manage accounts.
    User {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        cmd: admin::UserCmd,
    },
    /// Manage API tokens for machine clients.
    Token {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        cmd: admin::TokenCmd,
    },
    /// Check the audit log, or anchor its end outside the database.
    Audit {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        cmd: audit::AuditCmd,
    },
    /// Manage the keys that protect personal data.
    Keys {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        cmd: admin::KeysCmd,
    },
    /// Import people, households, organisations, positions or units from .xlsx or .csv.
    Import {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        args: transfer::ImportArgs,
    },
    /// Export a registry list to .xlsx or .csv (personal data masked unless --unmask).
    Export {
        #[command(flatten)]
        db: DbArgs,
        // Boxed: the export's many filters would make every command as large.
        #[command(flatten)]
        args: Box<transfer::ExportArgs>,
    },
    /// Write the import template of a kind (.xlsx, with notes and an example row).
    Template {
        #[command(flatten)]
        args: transfer::TemplateArgs,
    },
    /// Write a consistent copy of a running SQLite database to a new file.
    /// Write a consistent copy of a running database (and its attachments, as
    /// FILE.files) to a new file.
    Backup {
        #[command(flatten)]
        db: DbArgs,
        /// The file to write; it must not exist yet.
        #[arg(long)]
        out: PathBuf,
        /// The attachments folder to copy (default: the one `serve` uses).
        #[arg(long, env = "WANGGE_FILES_DIR")]
        files_dir: Option<PathBuf>,
    },
    /// Restore a backup into a new database (and its attachments into an empty folder).
    Restore {
        #[command(flatten)]
        db: DbArgs,
        /// The backup written by `wangge backup`.
        #[arg(long)]
        from: PathBuf,
        /// Where to put the attachments (default: the one `serve` will use).
        #[arg(long, env = "WANGGE_FILES_DIR")]
        files_dir: Option<PathBuf>,
    },
}

struct Resolved {
    opts: StoreOptions,
    listen: String,
    calendar_file: Option<PathBuf>,
    files_dir: Option<PathBuf>,
    shutdown_grace: Option<u64>,
    header_timeout: Option<u64>,
    public_url: Option<String>,
    trusted_proxies: Vec<String>,
    token_days: Option<i64>,
    /// As written (comma-separated, or `none`); `None` for the default.
    totp_required_roles: Option<String>,
    open311: wangge_server::open311::Config,
}

fn resolve(
    file: &FileSettings,
    db: &DbArgs,
    listen: Option<&ListenArgs>,
    default_db: &str,
) -> Resolved {
    let url = db
        .database_url
        .clone()
        .or_else(|| file.database_url.clone())
        .unwrap_or_else(|| default_db.to_string());
    let mut opts = StoreOptions::new(url);
    opts.key_file = db.key_file.clone().or_else(|| file.key_file.clone());
    Resolved {
        opts,
        listen: listen
            .and_then(|l| l.listen.clone())
            .or_else(|| file.listen.clone())
            .unwrap_or_else(|| settings::DEFAULT_LISTEN.to_string()),
        calendar_file: listen
            .and_then(|l| l.calendar_file.clone())
            .or_else(|| file.calendar_file.clone()),
        files_dir: listen
            .and_then(|l| l.files_dir.clone())
            .or_else(|| file.files_dir.clone()),
        shutdown_grace: listen
            .and_then(|l| l.shutdown_grace)
            .or(file.shutdown_grace),
        header_timeout: listen
            .and_then(|l| l.header_timeout)
            .or(file.header_timeout),
        public_url: listen
            .and_then(|l| l.public_url.clone())
            .or_else(|| file.public_url.clone()),
        trusted_proxies: listen
            .map(|l| l.trusted_proxies.clone())
            .filter(|p| !p.is_empty())
            .or_else(|| file.trusted_proxies.clone())
            .unwrap_or_default(),
        token_days: listen.and_then(|l| l.token_days).or(file.token_days),
        totp_required_roles: listen
            .and_then(|l| l.totp_required_roles.clone())
            .or_else(|| {
                file.totp_required_roles
                    .as_ref()
                    .map(|roles| match roles.is_empty() {
                        true => "none".to_string(),
                        false => roles.join(","),
                    })
            }),
        open311: open311_settings(file, listen),
    }
}

/// Open311's settings over its defaults; an empty text counts as not given.
fn open311_settings(
    file: &FileSettings,
    listen: Option<&ListenArgs>,
) -> wangge_server::open311::Config {
    let text = |flag: Option<&String>, file: &Option<String>| {
        flag.or(file.as_ref())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let default = wangge_server::open311::Config::default();
    wangge_server::open311::Config {
        anonymous_posts: listen
            .and_then(|l| l.open311_anonymous)
            .or(file.open311_anonymous)
            .unwrap_or(default.anonymous_posts),
        default_unit: text(
            listen.and_then(|l| l.open311_default_unit.as_ref()),
            &file.open311_default_unit,
        ),
        contact: text(
            listen.and_then(|l| l.open311_contact.as_ref()),
            &file.open311_contact,
        )
        .unwrap_or(default.contact),
    }
}

fn init_logs(format: &str) {
    // The PostgreSQL driver logs query parameters (tokens, names) below info, so it
    // stays at info whatever level the operator asks for.
    let wanted = std::env::var("WANGGE_LOG").unwrap_or_else(|_| "info".into());
    let filter = tracing_subscriber::EnvFilter::try_new(format!(
        "{wanted},tokio_postgres=info,postgres=info"
    ))
    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Opens the store and makes sure the standard case categories exist (adding
/// only the missing ones, so an edited category is left as it is).
async fn open(r: &Resolved) -> anyhow::Result<Store> {
    let opts = r.opts.clone();
    let store = blocking(move || Store::open(&opts))
        .await?
        .with_context(|| {
            format!(
                "无法打开数据库 / cannot open the database {}",
                settings::redact(&r.opts.db.url)
            )
        })?;
    let ctx = store.ctx(
        "system",
        wangge_store::Scope::All,
        time::OffsetDateTime::now_utc(),
    );
    store
        .db
        .write(move |c| wangge_store::cases::seed_categories(c, &ctx))
        .await
        .context("cannot add the standard case categories")?;
    Ok(store)
}

/// Runs store work that blocks the thread (connecting, migrating) where it may:
/// the PostgreSQL client drives a runtime of its own, which cannot start on one
/// of tokio's async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .context("a blocking task failed")
}

/// Commands other than `migrate`, `demo` and `serve` work on an existing
/// database: a mistyped SQLite path must not quietly become a new, empty one.
fn require_existing(r: &Resolved) -> anyhow::Result<()> {
    match r.opts.db.sqlite_path() {
        Some(path) if !std::path::Path::new(path).exists() => anyhow::bail!(
            "数据库文件 {path} 不存在(请检查 --database-url,或先运行 wangge migrate)/ \
             there is no database at {path} (check --database-url, or run `wangge migrate` first)"
        ),
        _ => Ok(()),
    }
}

/// Exit codes: 0 done, 1 failed (the message says why), 2 a usage error (clap);
/// `audit verify` names each kind of tampering with a code of its own, from 3
/// (see `wangge audit verify --help`).
fn main() -> ExitCode {
    match start() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误 / error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn start() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let file = FileSettings::load(cli.config.as_deref())?;
    let log_format = cli
        .log_format
        .clone()
        .or_else(|| file.log_format.clone())
        .unwrap_or_else(|| "text".into());
    init_logs(&log_format);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(run(cli.command, file))
}

async fn run(command: Command, file: FileSettings) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve { db, listen } => {
            let r = resolve(&file, &db, Some(&listen), settings::DEFAULT_DATABASE);
            let store = open(&r).await?;
            serve(store, &r, None).await.map(|()| ExitCode::SUCCESS)
        }
        Command::Migrate { db } => {
            let r = resolve(&file, &db, None, settings::DEFAULT_DATABASE);
            let db = r.opts.db.clone();
            let applied =
                blocking(move || wangge_store::Db::exclusive(&db, wangge_store::migrate::migrate))
                    .await?
                    .with_context(|| {
                        format!(
                            "无法升级数据库 / cannot migrate {}",
                            settings::redact(&r.opts.db.url)
                        )
                    })?;
            if applied.is_empty() {
                println!(
                    "数据库已是最新 / the schema is up to date (version {})",
                    wangge_store::migrate::latest()
                );
            } else {
                println!(
                    "已升级 / applied migrations {applied:?}; now at version {}",
                    wangge_store::migrate::latest()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            db,
            listen,
            people,
            seed,
            no_serve,
        } => {
            let mut r = resolve(&file, &db, Some(&listen), settings::DEFAULT_DEMO_DATABASE);
            let store = open(&r).await?;
            let started = std::time::Instant::now();
            let summary = wangge_demo::seed(&store, &wangge_demo::DemoConfig { people, seed })
                .await
                .context("cannot create the demo data")?;
            println!("{summary}");
            println!("({:.1} s)", started.elapsed().as_secs_f64());
            let accounts = demo_accounts::ensure(&store).await?;
            if !accounts.is_empty() {
                println!(
                    "演示账号(密码均为 {}) / demo accounts (password {} for all; demo data only):",
                    demo_accounts::PASSWORD,
                    demo_accounts::PASSWORD
                );
                accounts.iter().for_each(|l| println!("{l}"));
            }
            if no_serve {
                return Ok(ExitCode::SUCCESS);
            }
            // The demo's accounts log in with the password alone, unless the
            // operator asks for the requirement.
            if r.totp_required_roles.is_none() {
                r.totp_required_roles = Some("none".into());
                println!(
                    "演示模式未强制两步验证(正式部署默认要求区级管理员和审计员启用;                     可用 --totp-required-roles zone_admin,auditor 开启)/                      demo: two-factor login is not required (a real deployment requires it of                      zone_admin and auditor by default; --totp-required-roles zone_admin,auditor turns it on)"
                );
            }
            serve(store, &r, Some("Wangge 演示 / demo"))
                .await
                .map(|()| ExitCode::SUCCESS)
        }
        Command::User { db, cmd } => {
            let r = existing(&file, &db)?;
            admin::user(&open(&r).await?, cmd).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Token { db, cmd } => {
            let r = existing(&file, &db)?;
            admin::token(&open(&r).await?, cmd).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { db, cmd } => {
            let r = existing(&file, &db)?;
            audit::run(&open(&r).await?, cmd).await
        }
        Command::Keys { db, cmd } => {
            let r = existing(&file, &db)?;
            let files = attachments_dir(&r, None);
            admin::keys(&open(&r).await?, &r.opts, files, cmd).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { db, args } => {
            let r = existing(&file, &db)?;
            Ok(match transfer::import(&open(&r).await?, args).await? {
                true => ExitCode::SUCCESS,
                false => ExitCode::FAILURE,
            })
        }
        Command::Export { db, args } => {
            let r = existing(&file, &db)?;
            transfer::export(&open(&r).await?, *args).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Template { args } => transfer::template(args).map(|()| ExitCode::SUCCESS),
        Command::Backup { db, out, files_dir } => {
            let r = existing(&file, &db)?;
            let files = attachments_dir(&r, files_dir);
            let (db, target) = (r.opts.db.clone(), out.clone());
            let copied = blocking(move || wangge_store::db::backup(&db, &target, &files))
                .await?
                .with_context(|| format!("无法写入备份 / cannot back up to {}", out.display()))?;
            println!(
                "备份完成 / backup written to {} ({} 个附件 / attachments in {})",
                out.display(),
                copied.files,
                wangge_store::db::files_beside(&out).display()
            );
            println!(
                "注意:读取备份中的个人信息需要密钥文件 {} ,请另行妥善备份。\n\
                 Note: the key file {} is needed to read personal data in the backup; back it up separately.",
                r.opts.key_path().display(),
                r.opts.key_path().display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore {
            db,
            from,
            files_dir,
        } => {
            let r = resolve(&file, &db, None, settings::DEFAULT_DATABASE);
            let files = attachments_dir(&r, files_dir);
            let (db, source) = (r.opts.db.clone(), from.clone());
            let copied = blocking(move || wangge_store::db::restore(&db, &source, &files))
                .await?
                .with_context(|| format!("无法恢复备份 / cannot restore {}", from.display()))?;
            println!(
                "恢复完成 / restored {} into {} ({} 个附件 / attachments)",
                from.display(),
                settings::redact(&r.opts.db.url),
                copied.files
            );
            println!(
                "注意:请把原数据库的密钥文件放到 {} 再启动。\n\
                 Note: put the backed-up database's key file at {} before starting it.",
                r.opts.key_path().display(),
                r.opts.key_path().display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The attachments folder: the flag, the settings file, or the default.
fn attachments_dir(r: &Resolved, flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| r.files_dir.clone())
        .unwrap_or_else(|| wangge_store::attachments::default_dir(&r.opts))
}

fn existing(file: &FileSettings, db: &DbArgs) -> anyhow::Result<Resolved> {
    let r = resolve(file, db, None, settings::DEFAULT_DATABASE);
    require_existing(&r)?;
    Ok(r)
}

/// The configured timeouts, each second count over the default.
fn timeouts(r: &Resolved) -> wangge_server::listen::Timeouts {
    let default = wangge_server::listen::Timeouts::default();
    let secs = std::time::Duration::from_secs;
    wangge_server::listen::Timeouts {
        header_read: r.header_timeout.map_or(default.header_read, secs),
        shutdown_grace: r.shutdown_grace.map_or(default.shutdown_grace, secs),
    }
}

async fn serve(store: Store, r: &Resolved, banner: Option<&str>) -> anyhow::Result<()> {
    let listen = r.listen.as_str();
    // Uploaded photos and documents live beside the SQLite file (or ./wangge-files).
    let files_dir = attachments_dir(r, None);
    // Deadlines need the holiday notices of every year they run into; later
    // years come from a file, and a bad file stops the start with its line.
    let mut cases = wangge_store::cases::Config::default();
    if let Some(path) = &r.calendar_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the calendar file {}", path.display()))?;
        cases.calendar = wangge_store::calendar::LiveCalendar::new(
            wangge_core::calendar::Calendar::with_extra(&text)
                .with_context(|| format!("the calendar file {} is not valid", path.display()))?,
        );
    }
    // A wrong proxy or URL stops the start: guessing would make every client
    // one address, or believe anyone's forwarded header.
    let auth = wangge_server::AuthConfig::deployed(
        r.public_url.as_deref(),
        &r.trusted_proxies,
        r.token_days,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let auth = match &r.totp_required_roles {
        Some(list) => auth.with_totp_required(
            wangge_server::auth::parse_totp_roles(list).map_err(|e| anyhow::anyhow!("{e}"))?,
        ),
        None => auth,
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr().context("no local address")?;
    let url = format!("http://{addr}/");
    match banner {
        Some(b) => println!("{b}: {url}"),
        None => println!("Wangge: {url}"),
    }
    tracing::info!(%addr, backend = ?store.backend(), files = %files_dir.display(), "serving");
    let files = store.attachments(files_dir);
    wangge_server::serve(
        listener,
        wangge_server::AppState::new(store)
            .with_files(files)
            .with_cases(cases)
            .with_timeouts(timeouts(r))
            .with_open311(r.open311.clone())
            .with_auth(auth),
        shutdown_signal(),
    )
    .await
    .context("server failed")?;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down; finishing requests in flight");
}
