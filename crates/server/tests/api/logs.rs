//! The log of a whole scenario (logins good and bad, registrations with ID numbers
//! and phones, reveals, a token, a password change) holds no password, session
//! id, CSRF token, API token, key or personal value, in either log format.

use super::support::{id_number, on_both_backends, session_cookie, wrong_check, App};
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use wangge_core::auth::Role;

const PASSWORD: &str = "Log-secret-pass-7731";
const WRONG: &str = "Wrong-secret-pass-4412";
const NEW_PASSWORD: &str = "Changed-secret-pass-9025";
const PHONES: [&str; 2] = ["13955501234", "13955505678"];
const ADDRESS: &str = "9单元909室";

/// Everything logged in this test binary from the moment it is first asked for.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log buffer")).into_owned()
    }
}

/// Installs, once for the whole test binary, a subscriber like the server's
/// (`info`, in text and in JSON) but with Wangge's own crates at their most
/// verbose, writing into a buffer.
fn captured() -> &'static Buffer {
    static LOG: OnceLock<Buffer> = OnceLock::new();
    LOG.get_or_init(|| {
        let buf = Buffer::default();
        let (text, json) = (buf.clone(), buf.clone());
        tracing_subscriber::registry()
            .with(tracing_subscriber::EnvFilter::new(
                "info,wangge_server=trace,wangge_store=trace,wangge_core=trace",
            ))
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer(move || text.clone()),
            )
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(move || json.clone()),
            )
            .try_init()
            .expect("no other subscriber in this test binary");
        buf
    })
}

static REQUEST: AtomicU32 = AtomicU32::new(1);

/// A request of the scenario, marked with a request id the log can be searched for.
fn call(app: &App, method: Method, path: &str) -> super::support::Call {
    let n = REQUEST.fetch_add(1, Ordering::Relaxed);
    app.call(method, path)
        .header("x-request-id", &format!("logscan-{n}"))
}

/// Every secret the scenario handled.
struct Secrets(Vec<(String, String)>);

impl Secrets {
    fn add(&mut self, what: &str, value: &str) {
        assert!(value.len() >= 8, "{what} is too short to look for: {value}");
        self.0.push((what.to_string(), value.to_string()));
    }
}

async fn scenario(app: &App, secrets: &mut Secrets) {
    let t = app.tree().await;
    app.password_account(
        "li",
        PASSWORD,
        Role::CommunityCadre,
        Some(&t.community),
        None,
    )
    .await;
    let anon = app.anonymous();
    for (user, password) in [("li", WRONG), ("nobody", WRONG), (PASSWORD, PASSWORD)] {
        call(&anon, Method::POST, "/api/v1/session")
            .json(json!({"username": user, "password": password}))
            .send()
            .await
            .problem(StatusCode::UNAUTHORIZED, "bad_login", None);
    }
    let r = call(&anon, Method::POST, "/api/v1/session")
        .json(json!({"username": "li", "password": PASSWORD}))
        .send()
        .await;
    let csrf = r.expect(StatusCode::OK)["csrf_token"]
        .as_str()
        .expect("csrf")
        .to_string();
    let cookie = session_cookie(&r).expect("cookie");
    let as_li = |method: Method, path: &str| call(&anon, method, path).cookie(&cookie).csrf(&csrf);

    let mut people = Vec::new();
    for (n, phone) in PHONES.iter().enumerate() {
        let number = id_number("19770707", 977 + 2 * n as u32);
        let p = as_li(Method::POST, "/api/v1/people")
            .json(
                json!({"name": "日志居民", "id_number": number, "phone": phone,
                         "unit": t.building, "address_detail": ADDRESS}),
            )
            .send()
            .await
            .expect(StatusCode::CREATED);
        let pid = p["id"].as_i64().expect("id");
        let revealed = as_li(Method::POST, &format!("/api/v1/people/{pid}/reveal"))
            .json(json!({"reason": "入户核对"}))
            .send()
            .await
            .expect(StatusCode::OK);
        assert_eq!(revealed["id_number"], number);
        as_li(Method::POST, "/api/v1/people/lookup")
            .json(json!({"id_number": number}))
            .send()
            .await
            .expect(StatusCode::OK);
        // Refused inputs are logged no more than accepted ones.
        as_li(Method::POST, "/api/v1/people")
            .json(json!({"name": "日志居民", "id_number": number, "unit": t.building}))
            .send()
            .await
            .problem(StatusCode::CONFLICT, "person_exists", None);
        as_li(Method::POST, "/api/v1/people")
            .json(
                json!({"name": "日志居民", "id_number": wrong_check(&number), "unit": t.building}),
            )
            .send()
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "id_number_checksum",
                Some("id_number"),
            );
        as_li(Method::PATCH, &format!("/api/v1/people/{pid}"))
            .json(json!({"phone": format!("{phone}9")}))
            .send()
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "phone_format",
                Some("phone"),
            );
        secrets.add("an ID number", &number);
        secrets.add("a phone number", phone);
        people.push(pid);
    }

    let issued = as_li(Method::POST, "/api/v1/tokens")
        .json(json!({"name": "日志脚本"}))
        .send()
        .await
        .expect(StatusCode::CREATED);
    let token = issued["token"].as_str().expect("token").to_string();
    let with_token = |method: Method, path: &str| call(&anon, method, path).bearer(&token);
    with_token(Method::GET, &format!("/api/v1/people/{}", people[0]))
        .send()
        .await
        .expect(StatusCode::OK);
    with_token(
        Method::POST,
        &format!("/api/v1/people/{}/reveal", people[1]),
    )
    .json(json!({"reason": "脚本核对"}))
    .send()
    .await
    .expect(StatusCode::OK);
    // Made-up credentials of both kinds.
    let fake_session = wangge_store::accounts::new_token("").expect("token");
    let fake_token = wangge_store::accounts::new_token("wg_").expect("token");
    call(&anon, Method::GET, "/api/v1/session")
        .cookie(&fake_session)
        .send()
        .await
        .problem(StatusCode::UNAUTHORIZED, "unauthenticated", None);
    call(&anon, Method::GET, "/api/v1/session")
        .bearer(&fake_token)
        .send()
        .await
        .problem(StatusCode::UNAUTHORIZED, "unauthenticated", None);
    // A wrong CSRF token: the right one must not be logged by way of comparison.
    call(&anon, Method::POST, "/api/v1/tokens")
        .cookie(&cookie)
        .csrf("forged-csrf-token-value")
        .json(json!({"name": "x"}))
        .send()
        .await
        .problem(StatusCode::FORBIDDEN, "csrf", None);

    as_li(Method::POST, "/api/v1/session/password")
        .json(json!({"old_password": WRONG, "new_password": NEW_PASSWORD}))
        .send()
        .await
        .problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "old_password_wrong",
            Some("old_password"),
        );
    let r = as_li(Method::POST, "/api/v1/session/password")
        .json(json!({"old_password": PASSWORD, "new_password": NEW_PASSWORD}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let r = call(&anon, Method::POST, "/api/v1/session")
        .json(json!({"username": "li", "password": NEW_PASSWORD}))
        .send()
        .await;
    r.expect(StatusCode::OK);
    let second_cookie = session_cookie(&r).expect("cookie");
    let second_csrf = r.json()["csrf_token"].as_str().expect("csrf").to_string();
    let r = call(&anon, Method::DELETE, "/api/v1/session")
        .cookie(&second_cookie)
        .csrf(&second_csrf)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);

    for (what, value) in [
        ("the password", PASSWORD),
        ("a wrong password", WRONG),
        ("the new password", NEW_PASSWORD),
        ("an address", ADDRESS),
        ("a session id", &cookie),
        ("a session id", &second_cookie),
        ("a CSRF token", &csrf),
        ("a CSRF token", &second_csrf),
        ("an API token", &token),
        (
            "an API token's secret part",
            token.trim_start_matches("wg_"),
        ),
        ("a made-up session id", &fake_session),
        ("a made-up token", &fake_token),
    ] {
        secrets.add(what, value);
    }
    // The key file's secrets, in the case they are written in and the other.
    let keys = std::fs::read_to_string(&app.key_file).expect("the key file");
    for line in keys.lines().filter(|l| !l.starts_with('#')) {
        if let Some((_, hex)) = line.split_once(' ') {
            secrets.add("a key", hex.trim());
            secrets.add("a key", &hex.trim().to_uppercase());
        }
    }
}

#[test]
fn logs_hold_no_secret_and_no_personal_value() {
    let log = captured();
    let mut secrets = Secrets(Vec::new());
    let found = Arc::new(Mutex::new(Vec::new()));
    on_both_backends(|app| {
        let found = found.clone();
        async move {
            let mut s = Secrets(Vec::new());
            scenario(&app, &mut s).await;
            found.lock().expect("secrets").extend(s.0);
        }
    });
    secrets.0.extend(found.lock().expect("secrets").drain(..));
    assert!(secrets.0.len() > 20, "the scenario did not run");

    let text = log.text();
    // The scenario was logged: its requests' lines, in both formats.
    let ours: Vec<&str> = text.lines().filter(|l| l.contains("logscan-")).collect();
    assert!(
        ours.iter()
            .any(|l| l.contains("answered") && l.contains("route=/api/v1/session")),
        "no text line for the scenario's requests:\n{}",
        ours.join("\n")
    );
    assert!(
        ours.iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .any(|v| v["fields"]["message"] == "answered"),
        "no JSON line for the scenario's requests"
    );
    assert!(
        ours.len() >= 40,
        "only {} lines for the scenario",
        ours.len()
    );
    for (what, value) in &secrets.0 {
        if let Some(line) = text.lines().find(|l| l.contains(value.as_str())) {
            panic!("{what} is in the log: {line}");
        }
    }
}
