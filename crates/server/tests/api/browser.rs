//! Real-browser tests: Debian's Chromium driven over WebDriver (chromedriver),
//! against the real server on 127.0.0.1. They are skipped with a message where
//! chromedriver is missing, unless `WANGGE_REQUIRE_BROWSER=1` (set by CI).
//! Screenshots of every page visited go to `ci-artifacts/screenshots/`.

use super::support::NOW;
use axum::body::Body;
use axum::http::{header, Method, Request};
use fantoccini::{Client, ClientBuilder, Locator};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;
use wangge_core::auth::Role;
use wangge_server::{AppState, FixedClock};
use wangge_store::accounts::{self, NewUser};
use wangge_store::{Backend, Conn, Ctx, Scope, Store};
use wangge_testkit::temp_store;

/// chromedriver (and the port it listens on), killed when the test ends.
pub(super) struct Driver(Child, u16);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A runtime of its own for a browser test: WebDriver calls and the server
/// run side by side on it.
pub(super) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The real server on a free port of 127.0.0.1, at a fixed clock.
pub(super) struct Served {
    pub base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Serves `state` on 127.0.0.1. The browsers log in as zone administrators
/// with a password alone: no role is required to use two-factor login here.
pub(super) async fn serve(state: AppState) -> Served {
    let auth = state.auth.clone().with_totp_required(Vec::new());
    let state = state.with_auth(auth);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(wangge_server::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    Served { base, stop, task }
}

impl Served {
    /// Shuts the server down and waits for it.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Fixtures for the browser tests, made in process through the API as a zone
/// administrator before the browser starts.
pub(super) struct Setup {
    router: axum::Router,
    token: String,
}

impl Setup {
    /// A zone administrator `admin` who signs in with `password`, and their
    /// token; `seed` runs first in the same write (categories, templates).
    pub async fn new(
        store: &Store,
        state: AppState,
        password: &str,
        seed: fn(&mut dyn Conn, &Ctx) -> wangge_store::Result<()>,
    ) -> Setup {
        let ctx = store.ctx("setup", Scope::All, NOW);
        let hash = accounts::hash_password(password).unwrap();
        let token = store
            .db
            .write(move |c| {
                seed(c, &ctx)?;
                let admin = NewUser {
                    username: "admin".into(),
                    display_name: None,
                    role: Role::ZoneAdmin,
                    scope_unit: None,
                    scope_org: None,
                };
                accounts::create_user(c, &ctx, admin, &hash)?;
                accounts::create_token(c, &ctx, "admin", "setup", accounts::DEFAULT_TOKEN_DAYS)
                    .map(|(_, t)| t)
            })
            .await
            .unwrap();
        Setup {
            router: wangge_server::router(state),
            token,
        }
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        self.send(Method::POST, path, body).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Value {
        self.send(Method::PUT, path, body).await
    }

    async fn send(&self, method: Method, path: &str, body: Value) -> Value {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&bytes).unwrap()
    }

    /// A unit under `parent`; answers its code.
    pub async fn unit(&self, kind: &str, name: &str, parent: &str) -> String {
        let made = self
            .post(
                "/api/v1/units",
                json!({"kind": kind, "name": name, "parent": parent}),
            )
            .await;
        made["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no unit: {made}"))
            .to_string()
    }

    /// An organisation at `unit`; answers its id.
    pub async fn org(&self, name: &str, kind: &str, unit: &str) -> i64 {
        let made = self
            .post(
                "/api/v1/organisations",
                json!({"name": name, "kind": kind, "unit": unit}),
            )
            .await;
        made["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("no organisation: {made}"))
    }
}

/// An account that signs in with `password`.
pub(super) async fn user(store: &Store, password: &str, new: NewUser) {
    let ctx = store.ctx("setup", Scope::All, NOW);
    let hash = accounts::hash_password(password).unwrap();
    store
        .db
        .write(move |c| accounts::create_user(c, &ctx, new, &hash))
        .await
        .unwrap();
}

pub(super) async fn text(c: &Client, css: &str) -> String {
    c.wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

pub(super) async fn click(c: &Client, css: &str) {
    c.wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

pub(super) async fn type_in(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .send_keys(value)
        .await
        .unwrap();
}

/// Starts chromedriver and a headless Chromium session, or explains why not.
pub(super) async fn browser(width: u32) -> Option<(Driver, Client, PathBuf)> {
    let driver_bin =
        std::env::var("WANGGE_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    let chromium = std::env::var("WANGGE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !std::path::Path::new(&driver_bin).exists() || !std::path::Path::new(&chromium).exists() {
        if std::env::var("WANGGE_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
            panic!("browser tests are required but {driver_bin} or {chromium} is missing");
        }
        eprintln!("skipped: browser tests need {driver_bin} and {chromium} (apt-get install chromium chromium-driver)");
        return None;
    }
    let port = free_port();
    let child = Command::new(&driver_bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver(child, port);
    let profile = wangge_testkit::temp_dir();
    // Headless Chromium will not make a window narrower than 500 px; a phone's
    // width comes from device emulation instead.
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "mobileEmulation": {"deviceMetrics": {"width": width, "height": 800, "pixelRatio": 1.0}},
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                format!("--user-data-dir={}", profile.display()),
                format!("--window-size={width},900"),
            ]
        }
    });
    let caps = match caps {
        serde_json::Value::Object(m) => m,
        _ => unreachable!(),
    };
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..50 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        if let Ok(c) = ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            return Some((driver, c, profile));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("chromedriver did not accept a session");
}

/// Sends a DevTools command to the session's browser through chromedriver's
/// `goog/cdp/execute` endpoint (WebDriver has no standard one for geolocation
/// or permissions) and answers its result.
pub(super) async fn cdp(
    driver: &Driver,
    c: &Client,
    cmd: &str,
    params: serde_json::Value,
) -> serde_json::Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let session = c
        .session_id()
        .await
        .expect("session id")
        .expect("a session");
    let body = serde_json::json!({"cmd": cmd, "params": params}).to_string();
    let port = driver.1;
    let request = format!(
        "POST /session/{session}/goog/cdp/execute HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    // chromedriver may keep the connection open: read the head, then exactly
    // Content-Length bytes, and never wait longer than ten seconds.
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect to chromedriver");
        stream.write_all(request.as_bytes()).await.expect("send");
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await.expect("answer");
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf).to_string();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse::<usize>().ok())
                            .flatten()
                    })
                    .unwrap_or(0);
                if body.len() >= length || n == 0 {
                    return (head.to_string(), body.to_string());
                }
            }
            assert!(n > 0, "{cmd}: chromedriver closed early: {text}");
        }
    };
    let (head, body) = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .unwrap_or_else(|_| panic!("{cmd}: chromedriver did not answer"));
    assert!(head.starts_with("HTTP/1.1 200"), "{cmd}: {head}\n{body}");
    serde_json::from_str::<serde_json::Value>(&body)
        .map_or(serde_json::Value::Null, |v| v["value"].clone())
}

fn shots_dir() -> PathBuf {
    let dir = std::env::var("WANGGE_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../ci-artifacts/screenshots"
            ))
        });
    let _ = std::fs::create_dir_all(&dir);
    dir
}

pub(super) async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(shots_dir().join(format!("{name}.png")), png).expect("save screenshot");
}

/// The page must not be wider than the window: nothing overflows sideways.
pub(super) async fn assert_no_overflow(c: &Client, page: &str) {
    let v = c
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .expect("measure");
    let (scroll, inner) = (v[0].as_i64().unwrap_or(0), v[1].as_i64().unwrap_or(0));
    assert!(
        scroll <= inner,
        "{page}: content is {scroll}px wide in a {inner}px window"
    );
}

#[test]
fn a_clerk_logs_in_at_phone_and_desktop_width() {
    let Some(temp) = temp_store(Backend::Sqlite) else {
        return;
    };
    let store = temp.store.clone();
    let rt = runtime();
    rt.block_on(async move {
        let ctx = store.ctx("setup", Scope::All, NOW);
        let hash = accounts::hash_password("Lantern-river-2026").unwrap();
        let new = NewUser {
            username: "clerk".into(),
            display_name: Some("王小明".into()),
            role: Role::ZoneAdmin,
            scope_unit: None,
            scope_org: None,
        };
        store
            .db
            .write(move |c| accounts::create_user(c, &ctx, new, &hash))
            .await
            .unwrap();
        let state = AppState::new(store.clone()).with_clock(Arc::new(FixedClock(NOW)));
        let server = serve(state).await;
        let base = server.base.clone();

        for (width, label) in [(360, "phone"), (1280, "desktop")] {
            let Some((_driver, c, profile)) = browser(width).await else {
                break;
            };
            c.goto(&format!("{base}/login")).await.unwrap();
            assert_eq!(
                c.find(Locator::Css("h1"))
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap(),
                "工作人员登录"
            );
            assert_no_overflow(&c, "login").await;
            shot(&c, &format!("login-{label}")).await;

            c.find(Locator::Id("username"))
                .await
                .unwrap()
                .send_keys("clerk")
                .await
                .unwrap();
            c.find(Locator::Id("password"))
                .await
                .unwrap()
                .send_keys("wrong-password-1")
                .await
                .unwrap();
            c.find(Locator::Css("button[type=submit]"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            let alert = c
                .wait()
                .for_element(Locator::Css("[role=alert]"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert_eq!(alert, "用户名或密码错误");
            let kept = c
                .find(Locator::Id("username"))
                .await
                .unwrap()
                .prop("value")
                .await
                .unwrap();
            assert_eq!(kept.as_deref(), Some("clerk"), "the user name is kept");
            shot(&c, &format!("login-error-{label}")).await;

            c.find(Locator::Id("password"))
                .await
                .unwrap()
                .send_keys("Lantern-river-2026")
                .await
                .unwrap();
            c.find(Locator::Css("button[type=submit]"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            let h1 = c
                .wait()
                .for_element(Locator::Id("home-heading"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(h1.contains("王小明"), "{h1}");
            assert_no_overflow(&c, "home").await;
            shot(&c, &format!("home-{label}")).await;

            c.find(Locator::LinkText("English"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            c.wait()
                .for_element(Locator::Css("html[lang=en]"))
                .await
                .unwrap();
            let h1 = c
                .find(Locator::Css("h1"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(h1.starts_with("Welcome"), "{h1}");
            shot(&c, &format!("home-en-{label}")).await;

            c.find(Locator::Css("header form button"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            c.wait()
                .for_element(Locator::Id("login-heading"))
                .await
                .unwrap();
            assert!(c.current_url().await.unwrap().path().ends_with("/login"));
            c.close().await.unwrap();
            let _ = std::fs::remove_dir_all(profile);
        }
        server.stop().await;
    });
    drop(rt);
    drop(temp);
}
