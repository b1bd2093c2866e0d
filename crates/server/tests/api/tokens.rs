//! API tokens that end: with a password change or an administrator's reset,
//! and at their expiry (default 90 days, configurable), with their last use
//! shown. Passwords too easy to guess are refused wherever one is set.

use super::support::{on_both_backends, App, Session, TestClock, NOW};
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use wangge_core::auth::Role;

const PASSWORD: &str = "Gridworker-2026!";

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

async fn issue(app: &App, s: &Session, body: Value) -> Value {
    app.with_session(s, Method::POST, "/api/v1/tokens")
        .json(body)
        .send()
        .await
        .expect(StatusCode::CREATED)
}

async fn with_token(app: &App, token: &Value) -> super::support::Reply {
    app.anonymous()
        .call(Method::GET, "/api/v1/session")
        .bearer(token["token"].as_str().expect("token"))
        .send()
        .await
}

#[test]
fn a_password_change_or_reset_revokes_the_tokens() {
    on_both_backends(|app| async move {
        setup(&app).await;
        let s = app.session("li", PASSWORD).await;
        let token = issue(&app, &s, json!({"name": "报表脚本"})).await;
        with_token(&app, &token).await.expect(StatusCode::OK);

        let r = app
            .with_session(&s, Method::POST, "/api/v1/session/password")
            .json(json!({"old_password": PASSWORD, "new_password": "Another-pass-2026"}))
            .send()
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        with_token(&app, &token)
            .await
            .problem(StatusCode::UNAUTHORIZED, "unauthenticated", None);

        // An administrator's reset does the same.
        let s = app.session("li", "Another-pass-2026").await;
        let token = issue(&app, &s, json!({"name": "第二个"})).await;
        with_token(&app, &token).await.expect(StatusCode::OK);
        let r = app
            .post_json(
                "/api/v1/users/li/password",
                json!({"password": "Reset-by-admin-2026"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        with_token(&app, &token)
            .await
            .problem(StatusCode::UNAUTHORIZED, "unauthenticated", None);
        let s = app.session("li", "Reset-by-admin-2026").await;
        let list = app
            .with_session(&s, Method::GET, "/api/v1/tokens")
            .send()
            .await
            .expect(StatusCode::OK);
        assert!(
            list.as_array()
                .unwrap()
                .iter()
                .all(|t| t["revoked"] == true),
            "{list}"
        );
    });
}

#[test]
fn tokens_expire_and_show_their_last_use() {
    on_both_backends(|app| async move {
        setup(&app).await;
        let clock = TestClock::new();
        let app = app.with_state(|s| s.with_clock(clock.clone()));
        let s = app.session("li", PASSWORD).await;
        let default = issue(&app, &s, json!({"name": "默认"})).await;
        let expires = |t: &Value| {
            time::OffsetDateTime::parse(
                t["expires_at"].as_str().expect("expires_at"),
                &time::format_description::well_known::Rfc3339,
            )
            .expect("a time")
        };
        assert_eq!(expires(&default), NOW + time::Duration::days(90));
        let short = issue(&app, &s, json!({"name": "一天", "expires_in_days": 1})).await;
        assert_eq!(expires(&short), NOW + time::Duration::days(1));
        assert!(short["last_used"].is_null());
        app.with_session(&s, Method::POST, "/api/v1/tokens")
            .json(json!({"name": "太久", "expires_in_days": 100000}))
            .send()
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "token_lifetime",
                Some("expires_in_days"),
            );

        with_token(&app, &short).await.expect(StatusCode::OK);
        clock.advance(time::Duration::days(1));
        let p =
            with_token(&app, &short)
                .await
                .problem(StatusCode::UNAUTHORIZED, "token_expired", None);
        assert!(p["message_en"].as_str().unwrap().contains("expired"), "{p}");
        with_token(&app, &default).await.expect(StatusCode::OK);

        let s = app.session("li", PASSWORD).await;
        let list = app
            .with_session(&s, Method::GET, "/api/v1/tokens")
            .send()
            .await
            .expect(StatusCode::OK);
        let short_row = list
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == short["id"])
            .expect("listed");
        assert_eq!(
            short_row["last_used"], "2026-11-24T10:00:00+08:00",
            "{list}"
        );
        // The account page shows the expiry and that the token has expired.
        let page = app
            .anonymous()
            .call(Method::GET, "/account/tokens")
            .cookie(&s.cookie)
            .send()
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page.text();
        assert!(html.contains("2026-11-25 10:00"), "expiry shown");
        assert!(html.contains("已过期"), "expired shown");
    });
}

#[test]
fn the_deployments_token_lifetime_is_the_default() {
    on_both_backends(|app| async move {
        setup(&app).await;
        let auth = wangge_server::AuthConfig::deployed(None, &[], Some(7)).expect("settings");
        let app = app.with_state(|s| s.with_auth(auth));
        let s = app.session("li", PASSWORD).await;
        let t = issue(&app, &s, json!({"name": "七天"})).await;
        assert_eq!(t["expires_at"], "2026-12-01T10:00:00+08:00", "{t}");
    });
}

#[test]
fn guessable_passwords_are_refused_wherever_a_password_is_set() {
    on_both_backends(|app| async move {
        setup(&app).await;
        for bad in ["Password12", "password123", "Wangge2026!", "Qwerty-123456"] {
            app.post_json(
                "/api/v1/users",
                json!({"username": "zhao", "role": "auditor", "password": bad}),
            )
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "password_common",
                Some("password"),
            );
            app.post_json("/api/v1/users/li/password", json!({"password": bad}))
                .await
                .problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "password_common",
                    Some("password"),
                );
        }
        // Derived from the user name: equal once digits and symbols are set aside.
        app.post_json(
            "/api/v1/users",
            json!({"username": "zhao-1", "role": "auditor", "password": "Wangge-2026!"}),
        )
        .await
        .problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "password_common",
            Some("password"),
        );
        let s = app.session("li", PASSWORD).await;
        app.with_session(&s, Method::POST, "/api/v1/session/password")
            .json(json!({"old_password": PASSWORD, "new_password": "P@ssw0rd-2026"}))
            .send()
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "password_common",
                Some("new_password"),
            );
        // A passphrase that merely contains the product's name is fine.
        app.post_json(
            "/api/v1/users",
            json!({"username": "zhao", "role": "auditor", "password": "Wangge-demo-2026"}),
        )
        .await
        .expect(StatusCode::CREATED);
    });
}
