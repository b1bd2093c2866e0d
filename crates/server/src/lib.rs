//! Wangge's HTTP server: the JSON API under `/api/v1` with its OpenAPI document,
//! health checks, request ids, and graceful shutdown.

pub mod attachments;
pub mod audit;
pub mod auth;
pub mod cases;
pub mod client;
pub mod equipment;
pub mod error;
pub mod extract;
pub mod households;
pub mod inspections;
pub mod listen;
pub mod open311;
pub mod openapi;
pub mod organisations;
pub mod passwords;
pub mod people;
pub mod positions;
pub mod public;
pub mod registration;
pub mod registry;
pub mod request_id;
pub mod totp;
pub mod transfer;
pub mod units;
pub mod users;
pub mod web;

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use std::future::Future;
use std::sync::Arc;
use time::OffsetDateTime;
use wangge_store::Store;

pub use auth::{AuthConfig, Caller};
pub use error::{ApiError, ApiResult};

/// Where the server reads the time, so tests can fix it.
pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that always answers the same time.
pub struct FixedClock(pub OffsetDateTime);

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        self.0
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub auth: AuthConfig,
    /// Calendar, office hours and rules of the case engine.
    pub cases: Arc<wangge_store::cases::Config>,
    /// Reports from residents without an account, per client address.
    pub public_limit: Arc<public::RateLimit>,
    /// Where uploaded photos and documents are kept.
    pub files: Arc<wangge_store::attachments::AttachmentStore>,
    /// Open311: anonymous posts, the default unit, the discovery contact.
    pub open311: Arc<open311::Config>,
    /// The header-read timeout, and how long requests in flight may go on
    /// after shutdown is asked for.
    pub timeouts: listen::Timeouts,
    /// Bounds the Argon2 work (logins, password changes) running at once.
    pub passwords: Arc<passwords::Gate>,
}

impl AppState {
    pub fn new(store: Store) -> Self {
        // Tests and embedders that do not say where get a private temporary
        // folder, one per key file: files are sealed with the store's keys.
        let files = Arc::new(store.attachments(std::env::temp_dir().join(format!(
            "wangge-files-{}-{}",
            std::process::id(),
            store.key_fingerprint()
        ))));
        AppState {
            store,
            clock: Arc::new(SystemClock),
            auth: AuthConfig::default(),
            cases: Arc::new(wangge_store::cases::Config::default()),
            public_limit: Arc::new(public::RateLimit::default()),
            files,
            open311: Arc::new(open311::Config::default()),
            timeouts: listen::Timeouts::default(),
            passwords: Arc::new(passwords::Gate::for_this_machine()),
        }
    }

    /// The same state with these Open311 settings.
    pub fn with_open311(mut self, open311: open311::Config) -> Self {
        self.open311 = Arc::new(open311);
        self
    }

    /// The same state with this header-read timeout and shutdown grace.
    pub fn with_timeouts(mut self, timeouts: listen::Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The same state with these session, token and deployment settings.
    pub fn with_auth(mut self, auth: AuthConfig) -> Self {
        self.auth = auth;
        self
    }

    /// The same state bounding password checks with `gate`.
    pub fn with_password_gate(mut self, gate: Arc<passwords::Gate>) -> Self {
        self.passwords = gate;
        self
    }

    /// The same state with these case-engine settings (calendar, office hours, rules).
    pub fn with_cases(mut self, cases: wangge_store::cases::Config) -> Self {
        self.cases = Arc::new(cases);
        self
    }

    /// The same state keeping uploads in `files`.
    pub fn with_files(mut self, files: wangge_store::attachments::AttachmentStore) -> Self {
        self.files = Arc::new(files);
        self
    }

    /// The same state with a fixed clock (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(units::routes())
        .merge(organisations::routes())
        .merge(people::routes())
        .merge(households::routes())
        .merge(positions::routes())
        .merge(auth::routes())
        .merge(users::routes())
        .merge(audit::routes())
        .merge(cases::routes())
        .merge(public::routes())
        .merge(attachments::routes())
        .merge(transfer::routes())
        .merge(inspections::routes())
        .merge(equipment::routes())
        .merge(registry::routes())
        .route("/openapi.json", get(openapi::document))
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .fallback(|| async { ApiError::NotFound });
    let hsts = state.auth.hsts();
    let app = Router::new()
        .nest("/api/v1", api)
        .nest("/open311/v2", open311::routes())
        .merge(web::routes().layer(axum::middleware::from_fn_with_state(
            state.clone(),
            web::confine,
        )))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .fallback(not_found)
        .layer(axum::middleware::from_fn(web::i18n::layer))
        .layer(axum::middleware::from_fn(request_id::layer))
        .layer(axum::middleware::map_response(security_headers))
        .layer(compression())
        .with_state(state);
    if hsts {
        app.layer(axum::middleware::map_response(strict_transport))
    } else {
        app
    }
}

/// Pages, JSON and stylesheets go gzipped to clients that accept it (a case
/// page shrinks about sevenfold); photos, workbooks and archives are already
/// compressed and go as they are, and so do bodies too small to gain.
type IsText =
    fn(StatusCode, axum::http::Version, &axum::http::HeaderMap, &axum::http::Extensions) -> bool;

fn compression() -> tower_http::compression::CompressionLayer<
    tower_http::compression::predicate::And<tower_http::compression::predicate::SizeAbove, IsText>,
> {
    use tower_http::compression::predicate::{Predicate, SizeAbove};
    fn is_text(
        _: StatusCode,
        _: axum::http::Version,
        h: &axum::http::HeaderMap,
        _: &axum::http::Extensions,
    ) -> bool {
        let ct = h
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        [
            "text/",
            "application/json",
            "application/problem+json",
            "application/xml",
            "image/svg+xml",
        ]
        .iter()
        .any(|t| ct.starts_with(t))
    }
    tower_http::compression::CompressionLayer::new()
        .gzip(true)
        .compress_when(SizeAbove::new(512).and(is_text as IsText))
}

/// Behind an https public URL, browsers are told to use https only, for a year.
async fn strict_transport(mut res: axum::response::Response) -> axum::response::Response {
    res.headers_mut().insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000"),
    );
    res
}

/// Browsers get a page, API clients problem+json.
async fn not_found(t: web::i18n::T, headers: axum::http::HeaderMap) -> axum::response::Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if wants_html {
        web::not_found_page(t)
    } else {
        ApiError::NotFound.into_response()
    }
}

async fn security_headers(mut res: axum::response::Response) -> axum::response::Response {
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    res
}

/// Ready when the database answers a read and commits a real write, and no
/// write has failed for want of storage in the last half minute
/// (`wangge_store::ready`); a load balancer then sends requests elsewhere.
async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    use wangge_store::ready::NotReady;
    let now_ms = (state.clock.now().unix_timestamp_nanos() / 1_000_000) as i64;
    match state.store.readiness(now_ms).await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(NotReady::StorageFailed(ago)) => {
            tracing::warn!(
                ago_s = ago.as_secs(),
                "not ready: writes fail for want of storage"
            );
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "database cannot write (disk full?)",
            )
                .into_response()
        }
        Err(NotReady::Database(e)) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// Serves until `shutdown` completes, then lets in-flight requests finish for
/// up to the shutdown grace, and cuts those still running then (a long
/// export): a stop asked for by the operator or the service manager always
/// happens. A client that never finishes its headers is cut after the
/// header-read timeout, shutdown or not. The periodic jobs run meanwhile.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Years an administrator added in the web UI count from the first request.
    if let Err(e) = web::calendar::reload(&state).await {
        tracing::error!(error = %e, "the added calendar years cannot be loaded");
    }
    let (stop_sweep, mut stopped) = tokio::sync::watch::channel(false);
    let sweeper = tokio::spawn(sweep_loop(state.clone(), async move {
        let _ = stopped.changed().await;
    }));
    let timeouts = state.timeouts;
    listen::run(listener, router(state), timeouts, shutdown).await;
    let _ = stop_sweep.send(true);
    let _ = sweeper.await;
    Ok(())
}

/// How often a node looks for calendar years added on another node.
const CALENDAR_RELOAD: std::time::Duration = std::time::Duration::from_secs(5);

/// Work done once per period across all the nodes on one database: each
/// period's run is claimed in the transaction that does it
/// (`periodic::claim`), so another node's tick in the same period finds it
/// done, and a node killed half way leaves the period to the next node.
struct Job {
    name: &'static str,
    period_ms: i64,
    last: Option<i64>,
}

impl Job {
    /// The period due at `now_ms`, unless this node already ran it.
    fn due(&self, now_ms: i64) -> Option<i64> {
        let period = now_ms / self.period_ms;
        (self.last != Some(period)).then_some(period)
    }
}

/// Every 5 seconds: reloads the calendar; once a minute: warns before
/// deadlines, marks overdue cases and escalates them to supervision, and
/// deletes idempotency keys past their window.
async fn sweep_loop(state: AppState, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    let node = format!("pid {}", std::process::id());
    let mut tick = tokio::time::interval(CALENDAR_RELOAD);
    let mut sweep = Job {
        name: "deadline_sweep",
        period_ms: 60_000,
        last: None,
    };
    let mut expiry = Job {
        name: "idempotency_expiry",
        period_ms: 60_000,
        last: None,
    };
    loop {
        tokio::select! {
            () = &mut stop => return,
            _ = tick.tick() => {}
        }
        if let Err(e) = web::calendar::reload(&state).await {
            tracing::warn!(error = %e, "calendar reload failed");
        }
        let now = state.clock.now();
        let ctx = state.store.ctx("system", wangge_store::Scope::All, now);
        let now_ms = ctx.now_ms();
        if let Some(period) = sweep.due(now_ms) {
            let (ctx, cfg, node) = (ctx.clone(), state.cases.clone(), node.clone());
            let ran = claimed(&state, &sweep, period, node, move |c| {
                wangge_store::cases::sweep(c, &ctx, &cfg).map(|r| format!("{r:?}"))
            });
            if ran.await {
                sweep.last = Some(period);
            }
        }
        if let Some(period) = expiry.due(now_ms) {
            // One bounded batch a minute (20,000 keys, tens of milliseconds)
            // keeps the writer free; a backlog is worked off minute by minute.
            let ran = claimed(&state, &expiry, period, node.clone(), move |c| {
                let gone = wangge_store::cases::expire_keys(c, now_ms, 20_000)?;
                Ok(format!("{gone} idempotency keys expired"))
            });
            if ran.await {
                expiry.last = Some(period);
            }
        }
    }
}

/// Runs `work` for `period` of `job` if this node claims it; answers whether
/// the period is done (by this node or another).
async fn claimed(
    state: &AppState,
    job: &Job,
    period: i64,
    node: String,
    work: impl FnOnce(&mut dyn wangge_store::Conn) -> wangge_store::Result<String> + Send + 'static,
) -> bool {
    let (name, now_ms) = (
        job.name,
        (state.clock.now().unix_timestamp_nanos() / 1_000_000) as i64,
    );
    let ran = state
        .store
        .db
        .write(move |c| {
            if !wangge_store::periodic::claim(c, name, period, &node, now_ms)? {
                return Ok(None);
            }
            work(c).map(Some)
        })
        .await;
    match ran {
        Ok(report) => {
            tracing::debug!(job = name, ?report, "periodic job");
            true
        }
        Err(e) => {
            tracing::warn!(job = name, error = %e, "periodic job failed");
            false
        }
    }
}
