//! Behind a TLS-terminating proxy: the client's address comes from the
//! forwarding header of a trusted proxy only (so limits key on clients, not on
//! the proxy), and an https public URL makes cookies Secure, sends HSTS and
//! names the Open311 endpoint.

use super::sessions::audit_entries;
use super::support::{on_both_backends, session_cookie, App, Reply};
use axum::http::{Method, StatusCode};
use serde_json::json;
use wangge_core::auth::Role;
use wangge_server::AuthConfig;

const PASSWORD: &str = "Gridworker-2026!";
const PROXY: &str = "10.0.0.5";

fn deployed(app: &App, public_url: Option<&str>, proxies: &[&str]) -> App {
    let proxies: Vec<String> = proxies.iter().map(|p| p.to_string()).collect();
    let auth = AuthConfig::deployed(public_url, &proxies, None).expect("valid settings");
    app.with_state(|s| s.with_auth(auth))
}

/// A login arriving from `peer` with `X-Forwarded-For: xff`.
async fn login(app: &App, peer: &str, xff: &str, password: &str) -> Reply {
    app.anonymous()
        .call(Method::POST, "/api/v1/session")
        .client_ip(peer)
        .header("x-forwarded-for", xff)
        .json(json!({"username": "li", "password": password}))
        .send()
        .await
}

async fn setup(app: &App) {
    let t = app.tree().await;
    app.password_account(
        "li",
        PASSWORD,
        Role::CommunityCadre,
        Some(&t.community),
        None,
    )
    .await;
}

#[test]
fn behind_a_trusted_proxy_each_client_is_throttled_on_its_own() {
    on_both_backends(|app| async move {
        setup(&app).await;
        let app = deployed(&app, None, &["10.0.0.0/24"]);
        // The attacker writes an address of its own in front: the proxy's
        // report (the right-most hop) is what counts.
        for n in 1..=3 {
            login(
                &app,
                PROXY,
                "6.6.6.6, 203.0.113.1",
                &format!("Guess-{n}-2026"),
            )
            .await
            .problem(StatusCode::UNAUTHORIZED, "bad_login", None);
        }
        login(&app, PROXY, "7.7.7.7, 203.0.113.1", PASSWORD)
            .await
            .problem(StatusCode::TOO_MANY_REQUESTS, "throttled", None);
        // Another client behind the same proxy is not held up.
        let r = login(&app, PROXY, "203.0.113.2", PASSWORD).await;
        r.expect(StatusCode::OK);
        let logins = audit_entries(&app, "login").await;
        assert_eq!(logins[0].client_addr.as_deref(), Some("203.0.113.2"));
        let failed = audit_entries(&app, "login_failed").await;
        assert!(failed
            .iter()
            .all(|e| e.client_addr.as_deref() == Some("203.0.113.1")));
    });
}

#[test]
fn an_untrusted_peers_forwarded_header_is_ignored() {
    on_both_backends(|app| async move {
        setup(&app).await;
        for app in [app.clone(), deployed(&app, None, &["10.0.0.0/24"])] {
            // A new made-up address every time changes nothing: the peer is the client.
            for n in 1..=3 {
                login(
                    &app,
                    "198.51.100.9",
                    &format!("203.0.113.{n}"),
                    "Wrong-guess-2026",
                )
                .await
                .problem(StatusCode::UNAUTHORIZED, "bad_login", None);
            }
            login(&app, "198.51.100.9", "203.0.113.99", PASSWORD)
                .await
                .problem(StatusCode::TOO_MANY_REQUESTS, "throttled", None);
            let failed = audit_entries(&app, "login_failed").await;
            assert_eq!(failed[0].client_addr.as_deref(), Some("198.51.100.9"));
            // Next round on a fresh pair of addresses.
            app.store
                .db
                .write(|c| c.execute("DELETE FROM login_throttle", &[]).map(|_| ()))
                .await
                .expect("reset the throttle");
        }
    });
}

#[test]
fn an_https_public_url_makes_cookies_secure_and_sends_hsts() {
    on_both_backends(|app| async move {
        setup(&app).await;
        let plain = app.clone();
        let tls = deployed(&app, Some("https://wangge.example.cn/"), &[PROXY]);

        let r = login(&tls, PROXY, "203.0.113.5", PASSWORD).await;
        r.expect(StatusCode::OK);
        let cookie = r.header("set-cookie").expect("a cookie");
        assert!(cookie.contains("; Secure"), "{cookie}");
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(session_cookie(&r).is_some());
        for path in ["/api/v1/session", "/login", "/healthz"] {
            let r = tls.anonymous().call(Method::GET, path).send().await;
            assert_eq!(
                r.header("strict-transport-security"),
                Some("max-age=31536000"),
                "{path}"
            );
        }
        // Open311 names the configured address, whatever Host the client sent.
        let r = tls
            .anonymous()
            .call(Method::GET, "/open311/v2/discovery.json")
            .header("host", "evil.example")
            .header("x-forwarded-proto", "http")
            .send()
            .await;
        let d = r.expect(StatusCode::OK);
        assert_eq!(
            d["endpoints"][0]["url"], "https://wangge.example.cn/open311/v2",
            "{d}"
        );

        // Without the setting: no Secure, no HSTS, and no echo of Host either.
        let r = login(&plain, "203.0.113.6", "", PASSWORD).await;
        r.expect(StatusCode::OK);
        let cookie = r.header("set-cookie").expect("a cookie");
        assert!(!cookie.contains("Secure"), "{cookie}");
        assert!(r.header("strict-transport-security").is_none());
        let d = plain
            .anonymous()
            .call(Method::GET, "/open311/v2/discovery.json")
            .header("host", "evil.example")
            .send()
            .await
            .expect(StatusCode::OK);
        assert_eq!(d["endpoints"][0]["url"], "/open311/v2", "{d}");
    });
}

#[test]
fn bad_deployment_settings_are_refused_with_a_reason() {
    for (url, proxies) in [
        (Some("wangge.example.cn"), vec![]),
        (None, vec!["nginx".to_string()]),
        (None, vec!["10.0.0.0/40".to_string()]),
    ] {
        let e = AuthConfig::deployed(url, &proxies, None).unwrap_err();
        assert!(e.contains(" / "), "bilingual: {e}");
    }
    assert!(AuthConfig::deployed(None, &[], Some(0)).is_err());
}

#[test]
fn the_public_report_limit_counts_each_client_behind_the_proxy() {
    on_both_backends(|app| async move {
        let auth = AuthConfig::deployed(None, &[PROXY.to_string()], None).expect("settings");
        let app = app.with_state(|mut s| {
            s.public_limit = std::sync::Arc::new(wangge_server::public::RateLimit::new(
                1,
                std::time::Duration::from_secs(600),
            ));
            s.with_auth(auth)
        });
        let report = |xff: &'static str| {
            app.anonymous()
                .call(Method::POST, "/api/v1/public/cases")
                .client_ip(PROXY)
                .header("x-forwarded-for", xff)
                .json(json!({"category": "0101", "unit": "371799", "description": "路灯坏了"}))
                .send()
        };
        // The limit is checked first, so an answer other than 429 is one counted.
        assert_ne!(
            report("203.0.113.1").await.status,
            StatusCode::TOO_MANY_REQUESTS
        );
        report("203.0.113.1")
            .await
            .problem(StatusCode::TOO_MANY_REQUESTS, "throttled", None);
        assert_ne!(
            report("203.0.113.2").await.status,
            StatusCode::TOO_MANY_REQUESTS
        );
    });
}
