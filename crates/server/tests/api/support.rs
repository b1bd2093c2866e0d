//! The test harness: an in-process app over a fresh store on each backend, request
//! helpers that read answers as JSON, problem+json checks, fixtures, and a
//! snapshot of every table for proving that a refused request wrote nothing.

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use time::macros::datetime;
use time::OffsetDateTime;
use tower::ServiceExt;
use wangge_core::auth::Role;
use wangge_server::{AppState, Clock, FixedClock};
use wangge_store::accounts::{self, NewUser};
use wangge_store::{Scope, Store};
use wangge_testkit::{temp_store, BACKENDS};

/// The fixed "now" of every test: 2026-11-24 10:00 in Beijing.
pub const NOW: OffsetDateTime = datetime!(2026-11-24 02:00 UTC);
pub const PROBLEM_JSON: &str = "application/problem+json";
/// The zone every fixture tree hangs from; also the region of every test ID number.
pub const ZONE: &str = "371799";

/// Runs `test` once on each backend, each time with a fresh store.
///
/// The store is made and dropped outside the runtime: the PostgreSQL driver is
/// synchronous and must not block inside async code.
pub fn on_both_backends<F, Fut>(test: F)
where
    F: Fn(App) -> Fut,
    Fut: Future<Output = ()>,
{
    for backend in BACKENDS {
        let Some(temp) = temp_store(backend) else {
            continue;
        };
        eprintln!("-- backend {backend:?}");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(test(App::new(temp.store.clone(), temp.opts.key_path())));
        drop(rt);
        drop(temp);
    }
}

/// The whole application, driven in process, as one caller.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    router: Router,
    /// The bearer token sent with every request; `None` for an anonymous caller.
    pub token: Option<String>,
    /// The store's key file (for tests that look for its secrets elsewhere).
    pub key_file: PathBuf,
}

/// A password hash for fixture accounts that never log in with a password
/// (hashing a real one per test would only slow the suite).
const NO_PASSWORD: &str = "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

impl App {
    fn new(store: Store, key_file: PathBuf) -> App {
        let router = wangge_server::router(state(&store));
        let mut app = App {
            store,
            router,
            token: None,
            key_file,
        };
        app.token = Some(app.account("admin", Role::ZoneAdmin, None, None));
        app
    }

    /// Creates an account directly in the store and answers an API token for it.
    pub fn account(
        &self,
        name: &str,
        role: Role,
        scope_unit: Option<&str>,
        org: Option<i64>,
    ) -> String {
        let ctx = self.store.ctx("test-setup", Scope::All, NOW);
        let new = NewUser {
            username: name.to_string(),
            display_name: None,
            role,
            scope_unit: scope_unit.map(str::to_string),
            scope_org: org,
        };
        let store = self.store.clone();
        let name = name.to_string();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("runtime");
            rt.block_on(store.db.write(move |c| {
                accounts::create_user(c, &ctx, new, NO_PASSWORD)?;
                accounts::create_token(c, &ctx, &name, "test", accounts::DEFAULT_TOKEN_DAYS)
                    .map(|(_, t)| t)
            }))
        })
        .join()
        .expect("setup thread")
        .expect("create test account")
    }

    /// The same app, acting as another account.
    pub fn as_user(
        &self,
        name: &str,
        role: Role,
        scope_unit: Option<&str>,
        org: Option<i64>,
    ) -> App {
        let token = self.account(name, role, scope_unit, org);
        App {
            token: Some(token),
            ..self.clone()
        }
    }

    /// The same app, sending this bearer token.
    pub fn with_token(&self, token: &str) -> App {
        App {
            token: Some(token.to_string()),
            ..self.clone()
        }
    }

    /// The same app, with no credentials.
    pub fn anonymous(&self) -> App {
        App {
            token: None,
            ..self.clone()
        }
    }

    /// The same app (same store, same caller) with the server reading the time
    /// from `clock`, for tests that move time.
    pub fn with_clock(&self, clock: Arc<dyn Clock>) -> App {
        let router = wangge_server::router(state(&self.store).with_clock(clock));
        App {
            router,
            ..self.clone()
        }
    }

    /// The same app (same store, same caller) on the test state as changed by
    /// `f`, for tests of deployment settings.
    pub fn with_state(&self, f: impl FnOnce(AppState) -> AppState) -> App {
        App {
            router: wangge_server::router(f(state(&self.store))),
            ..self.clone()
        }
    }

    /// The same app (same store, same caller) letting `max` anonymous reports
    /// and uploads in from one address every 10 minutes, for tests that send
    /// many of them from the one address an in-process request has.
    pub fn with_public_limit(&self, max: u32) -> App {
        let mut state = state(&self.store);
        state.public_limit = Arc::new(wangge_server::public::RateLimit::new(
            max,
            std::time::Duration::from_secs(600),
        ));
        App {
            router: wangge_server::router(state),
            ..self.clone()
        }
    }

    /// Creates an account with a real (Argon2-hashed) password directly in the
    /// store, without a token, for tests that log in.
    pub async fn password_account(
        &self,
        name: &str,
        password: &str,
        role: Role,
        scope_unit: Option<&str>,
        org: Option<i64>,
    ) -> accounts::User {
        let ctx = self.store.ctx("test-setup", Scope::All, NOW);
        let new = NewUser {
            username: name.to_string(),
            display_name: None,
            role,
            scope_unit: scope_unit.map(str::to_string),
            scope_org: org,
        };
        let password = password.to_string();
        let hash = tokio::task::spawn_blocking(move || accounts::hash_password(&password))
            .await
            .expect("hashing thread")
            .expect("hash");
        self.store
            .db
            .write(move |c| accounts::create_user(c, &ctx, new, &hash))
            .await
            .expect("create test account")
    }

    /// A request built step by step, carrying this app's bearer token (if any).
    pub fn call(&self, method: Method, path: &str) -> Call {
        let mut call = Call {
            app: self.clone(),
            req: Request::builder().method(method).uri(path),
            body: Body::empty(),
        };
        if let Some(t) = &self.token {
            call = call.bearer(t);
        }
        call
    }

    /// Logs in with a password (as an anonymous client, from no known address).
    pub async fn login(&self, username: &str, password: &str) -> Reply {
        self.anonymous()
            .call(Method::POST, "/api/v1/session")
            .json(json!({"username": username, "password": password}))
            .send()
            .await
    }

    /// Logs in and answers the session, failing the test if the login fails.
    pub async fn session(&self, username: &str, password: &str) -> Session {
        let r = self.login(username, password).await;
        let body = r.expect(StatusCode::OK);
        let cookie = session_cookie(&r).expect("a session cookie");
        Session {
            cookie,
            csrf: body["csrf_token"].as_str().expect("csrf_token").to_string(),
            user: body["user"].clone(),
        }
    }

    /// A request made by a browser holding `session`: its cookie, and its CSRF
    /// token in `X-CSRF-Token`.
    pub fn with_session(&self, s: &Session, method: Method, path: &str) -> Call {
        self.anonymous()
            .call(method, path)
            .cookie(&s.cookie)
            .csrf(&s.csrf)
    }

    /// A staff form as a browser posts it: the session's cookie and the form
    /// url-encoded (the form carries its own `csrf` field, or not).
    pub async fn post_form(&self, s: &Session, path: &str, form: &[(&str, &str)]) -> Reply {
        let req = Request::post(path)
            .header(header::COOKIE, format!("wangge_session={}", s.cookie))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(
                serde_urlencoded::to_string(form).expect("a form"),
            ))
            .expect("a request");
        self.send(req).await
    }

    /// A page as a browser holding `s` gets it.
    pub async fn page(&self, s: &Session, path: &str) -> Reply {
        self.with_session(s, Method::GET, path).send().await
    }

    /// A state like the one the app runs on, for starting a real server.
    pub fn state(&self) -> AppState {
        state(&self.store)
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let res = self.router.clone().oneshot(req).await.expect("infallible");
        let (parts, body) = res.into_parts();
        let body = body.collect().await.expect("body").to_bytes().to_vec();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// A request with an optional content type and a raw body.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<Body>,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = &self.token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        self.send(req.body(body.into()).expect("request")).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send_raw(Method::GET, path, None, Body::empty()).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send_raw(Method::DELETE, path, None, Body::empty())
            .await
    }

    pub async fn post_json(&self, path: &str, body: Value) -> Reply {
        self.send_raw(
            Method::POST,
            path,
            Some("application/json"),
            body.to_string(),
        )
        .await
    }

    pub async fn put_json(&self, path: &str, body: Value) -> Reply {
        self.send_raw(
            Method::PUT,
            path,
            Some("application/json"),
            body.to_string(),
        )
        .await
    }

    pub async fn patch_json(&self, path: &str, body: Value) -> Reply {
        self.send_raw(
            Method::PATCH,
            path,
            Some("application/json"),
            body.to_string(),
        )
        .await
    }

    /// Posts bytes labelled as JSON, for bodies that are not valid JSON.
    pub async fn post_bytes(&self, path: &str, body: impl Into<Body>) -> Reply {
        self.send_raw(Method::POST, path, Some("application/json"), body)
            .await
    }

    // --- fixtures ---

    /// Creates a unit under `parent` and answers it.
    pub async fn unit(&self, kind: &str, name: &str, parent: &str) -> Value {
        self.post_json(
            "/api/v1/units",
            json!({"kind": kind, "name": name, "parent": parent}),
        )
        .await
        .expect(StatusCode::CREATED)
    }

    /// The standard case categories, then `tree()`.
    pub async fn tree_with_categories(&self) -> Tree {
        let ctx = self.store.ctx("setup", Scope::All, NOW);
        self.store
            .db
            .write(move |c| wangge_store::cases::seed_categories(c, &ctx))
            .await
            .expect("categories");
        self.tree().await
    }

    /// Zone 371799 with one street, community, compound and building.
    pub async fn tree(&self) -> Tree {
        let zone = self
            .post_json(
                "/api/v1/units",
                json!({"kind": "zone", "name": "菏泽开发区", "code": ZONE}),
            )
            .await
            .expect(StatusCode::CREATED);
        let street = self.unit("street", "丹阳街道", &code(&zone)).await;
        let community = self.unit("community", "长江社区", &code(&street)).await;
        let compound = self.unit("compound", "康庄小区", &code(&community)).await;
        let building = self.unit("building", "1号楼", &code(&compound)).await;
        Tree {
            zone: code(&zone),
            street: code(&street),
            community: code(&community),
            compound: code(&compound),
            building: code(&building),
        }
    }

    /// Registers a person in `unit` and answers them.
    pub async fn person(&self, name: &str, id_number: &str, unit: &str) -> Value {
        self.post_json(
            "/api/v1/people",
            json!({"name": name, "id_number": id_number, "unit": unit}),
        )
        .await
        .expect(StatusCode::CREATED)
    }

    /// Every person the API lists under `unit`, following cursors, as ids in order.
    pub async fn people_ids(&self, unit: &str, limit: usize) -> (Vec<i64>, usize) {
        let mut ids = Vec::new();
        let mut pages = 0;
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/people?unit={unit}&limit={limit}");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={}", enc(c)));
            }
            let page = self.get(&path).await.expect(StatusCode::OK);
            pages += 1;
            let items = page["items"].as_array().expect("items");
            assert!(items.len() <= limit, "a page holds at most {limit}: {page}");
            ids.extend(items.iter().map(|p| p["id"].as_i64().expect("id")));
            cursor = page
                .get("next_cursor")
                .and_then(Value::as_str)
                .map(str::to_string);
            if cursor.is_none() {
                break;
            }
            assert!(!items.is_empty(), "a page with a next cursor has items");
            assert!(pages < 100, "the cursor never ends");
        }
        (ids, pages)
    }

    /// Every row of every table: equal snapshots mean nothing was written.
    pub async fn snapshot(&self) -> Vec<String> {
        self.store
            .db
            .read(|c| {
                let mut out = Vec::new();
                for table in [
                    "settings",
                    "units",
                    "unit_aliases",
                    "organisations",
                    "alliance_members",
                    "households",
                    "people",
                    "positions",
                    "audit_log",
                    "cases",
                    "case_events",
                    "equipment",
                    "equipment_maintenance",
                    "equipment_inspections",
                    "construction_sites",
                    "inspection_plans",
                    "inspection_records",
                    "inspection_findings",
                ] {
                    let rows = c.query(&format!("SELECT * FROM {table} ORDER BY 1, 2"), &[])?;
                    out.push(format!("{table}: {rows:?}"));
                }
                Ok(out)
            })
            .await
            .expect("snapshot")
    }

    /// Asserts that the database is as it was at `before`.
    pub async fn assert_unchanged(&self, before: &[String]) {
        let now = self.snapshot().await;
        for (b, n) in before.iter().zip(&now) {
            assert_eq!(b, n, "a refused request changed the database");
        }
    }
}

/// A clock the test moves by hand.
pub struct TestClock(Mutex<OffsetDateTime>);

impl TestClock {
    /// A clock standing at [`NOW`].
    pub fn new() -> Arc<TestClock> {
        Arc::new(TestClock(Mutex::new(NOW)))
    }

    pub fn advance(&self, by: time::Duration) {
        let mut t = self.0.lock().expect("clock");
        *t += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().expect("clock")
    }
}

/// A logged-in browser: the session cookie's value, the CSRF token, the user.
#[derive(Debug, Clone)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
    pub user: Value,
}

/// The value of the `wangge_session` cookie an answer sets, if any.
pub fn session_cookie(r: &Reply) -> Option<String> {
    r.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == "wangge_session")
        .map(|(_, v)| v.to_string())
}

/// One request under construction (see [`App::call`]).
pub struct Call {
    app: App,
    req: axum::http::request::Builder,
    body: Body,
}

impl Call {
    pub fn header(mut self, name: &str, value: &str) -> Call {
        self.req = self.req.header(name, value);
        self
    }

    /// A JSON body.
    pub fn json(mut self, body: Value) -> Call {
        self.req = self.req.header(header::CONTENT_TYPE, "application/json");
        self.body = Body::from(body.to_string());
        self
    }

    /// A raw body (set its content type with [`Call::header`]).
    pub fn raw(mut self, body: Vec<u8>) -> Call {
        self.body = Body::from(body);
        self
    }

    /// Sends `Authorization: Bearer TOKEN` (replacing the app's own token).
    pub fn bearer(mut self, token: &str) -> Call {
        if let Some(h) = self.req.headers_mut() {
            h.remove(header::AUTHORIZATION);
        }
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// Sends the session cookie with this value (beside an unrelated cookie, as
    /// browsers do).
    pub fn cookie(self, value: &str) -> Call {
        self.header("cookie", &format!("theme=dark; wangge_session={value}"))
    }

    pub fn csrf(self, token: &str) -> Call {
        self.header("x-csrf-token", token)
    }

    /// As if the connection came from this IP address.
    pub fn client_ip(mut self, ip: &str) -> Call {
        let addr: SocketAddr = format!("{ip}:40000").parse().expect("an IP address");
        self.req = self.req.extension(ConnectInfo(addr));
        self
    }

    pub async fn send(self) -> Reply {
        let req = self.req.body(self.body).expect("request");
        self.app.send(req).await
    }
}

/// The test state: a fixed clock, and no role required to use two-factor
/// login, since most tests log in as zone administrators and auditors with a
/// password alone (`api/totp.rs` tests the default, which requires it).
fn state(store: &Store) -> AppState {
    let state = AppState::new(store.clone()).with_clock(Arc::new(FixedClock(NOW)));
    let auth = state.auth.clone().with_totp_required(Vec::new());
    state.with_auth(auth)
}

/// The codes of the fixture tree.
pub struct Tree {
    pub zone: String,
    pub street: String,
    pub community: String,
    pub compound: String,
    pub building: String,
}

/// One answer.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }

    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// Asserts a successful status and answers the JSON body (`Null` when empty).
    #[track_caller]
    pub fn expect(&self, status: StatusCode) -> Value {
        assert_eq!(self.status, status, "unexpected answer: {}", self.text());
        if self.body.is_empty() {
            return Value::Null;
        }
        assert_eq!(self.content_type(), Some("application/json"));
        self.json()
    }

    /// Asserts an RFC 7807 problem with this status, code and field (`None`: no
    /// field), bilingual messages and the request id; answers the body.
    #[track_caller]
    pub fn problem(&self, status: StatusCode, code: &str, field: Option<&str>) -> Value {
        assert_eq!(self.status, status, "unexpected answer: {}", self.text());
        assert_eq!(self.content_type(), Some(PROBLEM_JSON), "{}", self.text());
        let p = self.json();
        assert_eq!(p["code"], code, "{p}");
        assert_eq!(p["status"], status.as_u16(), "{p}");
        assert_eq!(p["type"], format!("urn:wangge:problem:{code}"), "{p}");
        assert_eq!(p.get("field").and_then(Value::as_str), field, "{p}");
        for key in ["message_zh", "message_en", "title", "detail"] {
            let msg = p[key].as_str().unwrap_or_default();
            assert!(!msg.trim().is_empty(), "{key} is missing or empty: {p}");
        }
        assert!(
            p["message_zh"]
                .as_str()
                .unwrap_or_default()
                .chars()
                .any(is_cjk),
            "message_zh is not Chinese: {p}"
        );
        assert!(
            p["message_en"]
                .as_str()
                .unwrap_or_default()
                .split_whitespace()
                .filter(|w| w.is_ascii())
                .count()
                >= 3,
            "message_en is not English: {p}"
        );
        let id = self.header("x-request-id").expect("x-request-id");
        assert_eq!(p["request_id"], id, "{p}");
        p
    }
}

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// A unit's or other record's code.
#[track_caller]
pub fn code(v: &Value) -> String {
    v["code"].as_str().expect("code").to_string()
}

#[track_caller]
pub fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("id")
}

/// A valid ID number of region 371799, born on `birth` (YYYYMMDD), with a
/// 3-digit sequence number (odd for men).
pub fn id_number(birth: &str, seq: u32) -> String {
    let first17 = format!("{ZONE}{birth}{seq:03}");
    assert_eq!(first17.len(), 17, "bad test ID number {first17}");
    let check = wangge_core::ids::id_check_char(first17.as_bytes());
    format!("{first17}{check}")
}

/// A valid ID number whose check character is X.
pub fn id_number_ending_in_x(birth: &str) -> String {
    (0..1000)
        .map(|seq| id_number(birth, seq))
        .find(|n| n.ends_with('X'))
        .expect("one in eleven ends in X")
}

/// The number with a check character that is wrong.
pub fn wrong_check(id_number: &str) -> String {
    let (first17, check) = id_number.split_at(17);
    let wrong = if check == "0" { '1' } else { '0' };
    format!("{first17}{wrong}")
}

/// How the API shows an ID number: the region and the last four characters.
pub fn masked(id_number: &str) -> String {
    format!("{}{}{}", &id_number[..6], "*".repeat(8), &id_number[14..])
}

/// A unified social credit code with its check character.
pub fn credit_code(first17: &str) -> String {
    let check = wangge_core::ids::credit_check_char(first17.as_bytes())
        .expect("first 17 characters in the credit-code alphabet");
    format!("{first17}{check}")
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
