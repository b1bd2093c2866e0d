//! Logging in and staying logged in: one answer for every bad login (with an audit
//! entry), session cookies that are fresh at login and die when idle, when old,
//! at logout and when the account is disabled; CSRF tokens on cookie requests;
//! password changes; API tokens.

use super::support::{id_number, on_both_backends, session_cookie, App, Session, TestClock};
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use wangge_core::auth::Role;
use wangge_store::audit::{self, Filter};
use wangge_store::Scope;

const PASSWORD: &str = "Gridworker-2026!";

/// The audit entries with this action, newest first (read as the system).
pub async fn audit_entries(app: &App, action: &str) -> Vec<audit::Entry> {
    let ctx = app.store.ctx("test", Scope::All, super::support::NOW);
    let f = Filter {
        action: Some(action.to_string()),
        ..Filter::default()
    };
    app.store
        .db
        .read(move |c| audit::list(c, &ctx, &f, 500))
        .await
        .expect("audit entries")
}

/// A problem body without its request id, for comparing two answers.
fn without_request_id(mut v: Value) -> Value {
    v.as_object_mut().expect("an object").remove("request_id");
    v
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

/// A zone with one community, and a community cadre "li" with a real password.
async fn setup(app: &App) -> super::support::Tree {
    let t = app.tree().await;
    app.password_account(
        "li",
        PASSWORD,
        Role::CommunityCadre,
        Some(&t.community),
        None,
    )
    .await;
    t
}

#[test]
fn wrong_password_and_unknown_user_get_the_same_answer_and_an_audit_entry() {
    on_both_backends(|app| async move {
        setup(&app).await;
        let before = audit_entries(&app, "login_failed").await.len();

        let wrong = app.login("li", "Not-the-password-1").await;
        let unknown = app.login("nobody", "Not-the-password-1").await;
        let padded = app.login(" li ", "Not-the-password-1").await;
        let mut bodies = Vec::new();
        for r in [&wrong, &unknown, &padded] {
            let p = r.problem(StatusCode::UNAUTHORIZED, "bad_login", None);
            assert!(session_cookie(r).is_none(), "a failed login sets no cookie");
            bodies.push(without_request_id(p));
        }
        assert_eq!(
            bodies[0], bodies[1],
            "wrong password and unknown user differ"
        );
        assert_eq!(bodies[0], bodies[2]);
        // Nothing in the answer tells the two apart, not even the headers.
        let names = |r: &super::support::Reply| {
            let mut h: Vec<String> = r.headers.keys().map(|k| k.as_str().to_string()).collect();
            h.sort();
            h
        };
        assert_eq!(names(&wrong), names(&unknown));

        let failed = audit_entries(&app, "login_failed").await;
        assert_eq!(failed.len(), before + 3);
        let names: Vec<&str> = failed
            .iter()
            .take(3)
            .map(|e| e.detail["username"].as_str().unwrap_or_default())
            .collect();
        // Names are recorded as the account's own; an unknown one not at all.
        assert_eq!(names, ["li", "", "li"]);
        for e in &failed {
            assert_eq!(e.actor, "anonymous");
            assert_eq!(e.client_addr.as_deref(), Some("unknown"));
            let detail = e.detail.to_string();
            assert!(
                !detail.contains("Not-the-password"),
                "password in audit: {detail}"
            );
        }
        assert!(audit_entries(&app, "login").await.is_empty());

        // The right password works, and is audited as a login.
        let s = app.session("li", PASSWORD).await;
        assert_eq!(s.user["username"], "li");
        assert_eq!(s.user["role"], "community_cadre");
        assert!(s.user.get("password_hash").is_none(), "{}", s.user);
        let logins = audit_entries(&app, "login").await;
        assert_eq!(logins.len(), 1);
        assert_eq!(logins[0].actor, "li");
    });
}

#[test]
fn unknown_users_cost_as_much_time_as_wrong_passwords() {
    on_both_backends(|app| async move {
        setup(&app).await;
        // Each attempt from its own address, so that no throttle interferes; one
        // of each first, to warm up (the decoy hash is made on first use).
        let attempt = |user: &'static str, n: u32| {
            let app = app.clone();
            async move {
                let started = Instant::now();
                let r = app
                    .anonymous()
                    .call(Method::POST, "/api/v1/session")
                    .client_ip(&format!("10.9.{}.{}", u32::from(user == "li"), n))
                    .json(json!({"username": user, "password": "Wrong-password-9"}))
                    .send()
                    .await;
                let took = started.elapsed();
                r.problem(StatusCode::UNAUTHORIZED, "bad_login", None);
                took
            }
        };
        attempt("li", 0).await;
        attempt("ghost", 0).await;
        let (mut known, mut unknown) = (Vec::new(), Vec::new());
        for n in 1..=5 {
            known.push(attempt("li", n).await);
            unknown.push(attempt("ghost", n).await);
        }
        let (k, u) = (median(known), median(unknown));
        let ratio = k.as_secs_f64().max(u.as_secs_f64()) / k.as_secs_f64().min(u.as_secs_f64());
        assert!(
            ratio < 3.0,
            "wrong password took {k:?}, unknown user {u:?}: the difference tells them apart"
        );
    });
}

#[test]
fn the_session_cookie_is_fresh_http_only_and_lax() {
    on_both_backends(|app| async move {
        setup(&app).await;
        // A session id planted before login (fixation) is not adopted.
        let planted = "attacker-chosen-session-id";
        let r = app
            .anonymous()
            .call(Method::POST, "/api/v1/session")
            .cookie(planted)
            .json(json!({"username": "li", "password": PASSWORD}))
            .send()
            .await;
        let body = r.expect(StatusCode::OK);
        let set = r.header("set-cookie").expect("set-cookie").to_string();
        assert!(set.starts_with("wangge_session="), "{set}");
        for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(set.contains(attr), "{attr} missing: {set}");
        }
        let cookie = session_cookie(&r).expect("cookie");
        assert_ne!(cookie, planted);
        assert!(cookie.len() >= 40, "a session id of 256 bits: {cookie}");
        let csrf = body["csrf_token"].as_str().expect("csrf").to_string();
        assert_ne!(csrf, cookie);
        assert!(csrf.len() >= 40);

        let me = |cookie: String| {
            let app = app.clone();
            async move {
                app.anonymous()
                    .call(Method::GET, "/api/v1/session")
                    .cookie(&cookie)
                    .send()
                    .await
            }
        };
        let shown = me(cookie.clone()).await.expect(StatusCode::OK);
        assert_eq!(shown["user"]["username"], "li");
        assert_eq!(shown["csrf_token"], csrf);
        me(planted.to_string())
            .await
            .problem(StatusCode::UNAUTHORIZED, "unauthenticated", None);

        // Each login gets its own session.
        let again = app.session("li", PASSWORD).await;
        assert_ne!(again.cookie, cookie);
        assert_ne!(again.csrf, csrf);

        // Forged cookies: random values of the right shape, the CSRF token,
        // empty, SQL, and a cookie without the session.
        let forged = wangge_store::accounts::new_token("").expect("token");
        for bad in [forged.as_str(), &csrf, "", "' OR '1'='1", "%00"] {
            me(bad.to_string())
                .await
                .problem(StatusCode::UNAUTHORIZED, "unauthenticated", None);
        }
        app.anonymous()
            .call(Method::GET, "/api/v1/session")
            .header("cookie", "theme=dark")
            .send()
            .await
            .problem(StatusCode::UNAUTHORIZED, "unauthenticated", None);
        // A bearer header holding a session id is not a token.
        app.anonymous()
            .call(Method::GET, "/api/v1/session")
            .bearer(&cookie)
            .send()
            .await
            .problem(StatusCode::UNAUTHORIZED, "unauthenticated", None);
    });
}

#[test]
fn sessions_expire_when_idle_and_when_old() {
    on_both_backends(|app| async move {
        setup(&app).await;
        let clock = TestClock::new();
        let app = app.with_clock(clock.clone());
        let me = |s: &Session| {
            let (app, s) = (app.clone(), s.clone());
            async move {
                app.with_session(&s, Method::GET, "/api/v1/session")
                    .send()
                    .await
            }
        };

        // Idle: 29 minutes apart is fine, 31 minutes is not.
        let s = app.session("li", PASSWORD).await;
        clock.advance(time::Duration::minutes(29));
        me(&s).await.expect(StatusCode::OK);
        clock.advance(time::Duration::minutes(31));
        me(&s)
            .await
            .problem(StatusCode::UNAUTHORIZED, "unauthenticated", None);

        // Old: busy all day, but 12 hours is the limit.
        let s = app.session("li", PASSWORD).await;
        for _ in 0..36 {
            clock.advance(time::Duration::minutes(20));
            me(&s).await.expect(StatusCode::OK);
        }
        clock.advance(time::Duration::minutes(20));
        me(&s)
            .await
            .problem(StatusCode::UNAUTHORIZED, "unauthenticated", None);
    });
}

#[test]
fn logout_ends_the_session() {
    on_both_backends(|app| async move {
        setup(&app).await;
        let s = app.session("li", PASSWORD).await;
        let other = app.session("li", PASSWORD).await;
        // Logging out is a state change: it needs the CSRF token.
        app.anonymous()
            .call(Method::DELETE, "/api/v1/session")
            .cookie(&s.cookie)
            .send()
            .await
            .problem(StatusCode::FORBIDDEN, "csrf", None);
        app.with_session(&s, Method::GET, "/api/v1/session")
            .send()
            .await
            .expect(StatusCode::OK);

        let r = app
            .with_session(&s, Method::DELETE, "/api/v1/session")
            .send()
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        let set = r.header("set-cookie").expect("the cookie is cleared");
        assert!(set.contains("Max-Age=0"), "{set}");
        app.with_session(&s, Method::GET, "/api/v1/session")
            .send()
            .await
            .problem(StatusCode::UNAUTHORIZED, "unauthenticated", None);
        // Only that session ended.
        app.with_session(&other, Method::GET, "/api/v1/session")
            .send()
            .await
            .expect(StatusCode::OK);
        assert_eq!(audit_entries(&app, "logout").await.len(), 1);
    });
}

#[test]
fn a_disabled_account_loses_its_sessions_and_tokens() {
    on_both_backends(|app| async move {
        setup(&app).await;
        let s = app.session("li", PASSWORD).await;
        let issued = app
            .with_session(&s, Method::POST, "/api/v1/tokens")
            .json(json!({"name": "脚本"}))
            .send()
            .await
            .expect(StatusCode::CREATED);
        let token = issued["token"].as_str().expect("token").to_string();
        app.anonymous()
            .call(Method::GET, "/api/v1/session")
            .bearer(&token)
            .send()
            .await
            .expect(StatusCode::OK);

        app.post_json("/api/v1/users/li/disable", json!({}))
            .await
            .expect(StatusCode::OK);
        app.with_session(&s, Method::GET, "/api/v1/session")
            .send()
            .await
            .problem(StatusCode::UNAUTHORIZED, "unauthenticated", None);
        app.anonymous()
            .call(Method::GET, "/api/v1/people")
            .bearer(&token)
            .send()
            .await
            .problem(StatusCode::UNAUTHORIZED, "unauthenticated", None);
        // The right password no longer logs in, with the same answer as a wrong one.
        let r = app.login("li", PASSWORD).await;
        r.problem(StatusCode::UNAUTHORIZED, "bad_login", None);

        // Enabling the account again does not bring the old session or token back.
        app.post_json("/api/v1/users/li/enable", json!({}))
            .await
            .expect(StatusCode::OK);
        app.with_session(&s, Method::GET, "/api/v1/session")
            .send()
            .await
            .problem(StatusCode::UNAUTHORIZED, "unauthenticated", None);
        app.anonymous()
            .call(Method::GET, "/api/v1/session")
            .bearer(&token)
            .send()
            .await
            .problem(StatusCode::UNAUTHORIZED, "unauthenticated", None);
        app.session("li", PASSWORD).await;
    });
}

#[test]
fn state_changes_with_a_cookie_need_the_csrf_token() {
    on_both_backends(|app| async move {
        let t = setup(&app).await;
        let s = app.session("li", PASSWORD).await;
        let other = app.session("li", PASSWORD).await;
        let person = app
            .person("王五", &id_number("19800101", 123), &t.building)
            .await;
        let pid = person["id"].as_i64().expect("id");
        let new_person =
            json!({"name": "赵六", "id_number": id_number("19800101", 125), "unit": t.building});

        // A safe method needs no token.
        app.anonymous()
            .call(Method::GET, &format!("/api/v1/people/{pid}"))
            .cookie(&s.cookie)
            .send()
            .await
            .expect(StatusCode::OK);

        let before = app.snapshot().await;
        let attempts: Vec<(Method, String, Value)> = vec![
            (Method::POST, "/api/v1/people".into(), new_person.clone()),
            (
                Method::PATCH,
                format!("/api/v1/people/{pid}"),
                json!({"name": "改名"}),
            ),
            (
                Method::POST,
                format!("/api/v1/people/{pid}/reveal"),
                json!({"reason": "核对"}),
            ),
            (
                Method::DELETE,
                format!("/api/v1/units/{}", t.building),
                Value::Null,
            ),
            (Method::POST, "/api/v1/tokens".into(), json!({"name": "x"})),
            (
                Method::POST,
                "/api/v1/session/password".into(),
                json!({"old_password": PASSWORD, "new_password": "Another-pass-2026"}),
            ),
        ];
        for (method, path, body) in &attempts {
            let call = |csrf: Option<&str>| {
                let mut c = app.anonymous().call(method.clone(), path).cookie(&s.cookie);
                if let Some(t) = csrf {
                    c = c.csrf(t);
                }
                if !body.is_null() {
                    c = c.json(body.clone());
                }
                c.send()
            };
            // Missing, wrong, empty, or another session's token.
            for csrf in [None, Some("wrong"), Some(""), Some(other.csrf.as_str())] {
                call(csrf)
                    .await
                    .problem(StatusCode::FORBIDDEN, "csrf", None);
                app.assert_unchanged(&before).await;
            }
            // A form-style field in a JSON body is not the header.
            if let Value::Object(mut m) = body.clone() {
                m.insert("csrf_token".into(), json!(s.csrf));
                app.anonymous()
                    .call(method.clone(), path)
                    .cookie(&s.cookie)
                    .json(Value::Object(m))
                    .send()
                    .await
                    .problem(StatusCode::FORBIDDEN, "csrf", None);
                app.assert_unchanged(&before).await;
            }
        }

        // The right token passes.
        app.with_session(&s, Method::POST, "/api/v1/people")
            .json(new_person)
            .send()
            .await
            .expect(StatusCode::CREATED);
        app.with_session(&s, Method::PATCH, &format!("/api/v1/people/{pid}"))
            .json(json!({"name": "改名"}))
            .send()
            .await
            .expect(StatusCode::OK);

        // A bearer token cannot be sent by another site: no CSRF token needed.
        app.post_json(
            "/api/v1/people",
            json!({"name": "钱七", "id_number": id_number("19800101", 127), "unit": t.building}),
        )
        .await
        .expect(StatusCode::CREATED);
    });
}

#[test]
fn password_changes_check_the_old_password_and_end_every_session() {
    on_both_backends(|app| async move {
        setup(&app).await;
        let s = app.session("li", PASSWORD).await;
        let other = app.session("li", PASSWORD).await;
        let change = |old: &str, new: &str| {
            app.with_session(&s, Method::POST, "/api/v1/session/password")
                .json(json!({"old_password": old, "new_password": new}))
                .send()
        };
        let before = app.snapshot().await;
        change("Wrong-old-pass-1", "Brand-new-pass-2026")
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "old_password_wrong",
                Some("old_password"),
            );
        for weak in ["short1A", "aaaaaaaaaaaaaaa", "li-is-my-name-2026", ""] {
            change(PASSWORD, weak).await.problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "password_weak",
                Some("new_password"),
            );
        }
        app.assert_unchanged(&before).await;
        app.session("li", PASSWORD).await;

        let r = change(PASSWORD, "Brand-new-pass-2026").await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        for old in [&s, &other] {
            app.with_session(old, Method::GET, "/api/v1/session")
                .send()
                .await
                .problem(StatusCode::UNAUTHORIZED, "unauthenticated", None);
        }
        app.login("li", PASSWORD)
            .await
            .problem(StatusCode::UNAUTHORIZED, "bad_login", None);
        app.session("li", "Brand-new-pass-2026").await;
        assert_eq!(audit_entries(&app, "password").await.len(), 1);
    });
}

#[test]
fn api_tokens_are_shown_once_and_stop_working_when_revoked() {
    on_both_backends(|app| async move {
        setup(&app).await;
        let s = app.session("li", PASSWORD).await;
        let issued = app
            .with_session(&s, Method::POST, "/api/v1/tokens")
            .json(json!({"name": "统计脚本"}))
            .send()
            .await
            .expect(StatusCode::CREATED);
        let token = issued["token"].as_str().expect("token").to_string();
        assert!(token.starts_with("wg_") && token.len() > 40, "{token}");
        assert_eq!(issued["name"], "统计脚本");
        assert_eq!(issued["username"], "li");
        let tid = issued["id"].as_i64().expect("id");

        let with_token = |path: &str| {
            app.anonymous()
                .call(Method::GET, path)
                .bearer(&token)
                .send()
        };
        let me = with_token("/api/v1/session").await.expect(StatusCode::OK);
        assert_eq!(me["user"]["username"], "li");
        with_token("/api/v1/people").await.expect(StatusCode::OK);
        // The list shows the token, never its value.
        let list = app
            .with_session(&s, Method::GET, "/api/v1/tokens")
            .send()
            .await;
        assert!(!list.text().contains(&token), "{}", list.text());
        let list = list.expect(StatusCode::OK);
        assert_eq!(list[0]["id"], tid);
        assert_eq!(list[0]["revoked"], false);
        assert!(list[0].get("token").is_none());

        let r = app
            .with_session(&s, Method::DELETE, &format!("/api/v1/tokens/{tid}"))
            .send()
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        with_token("/api/v1/session").await.problem(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            None,
        );
        let list = app
            .with_session(&s, Method::GET, "/api/v1/tokens")
            .send()
            .await
            .expect(StatusCode::OK);
        assert_eq!(list[0]["revoked"], true);
        // A made-up token is refused the same way.
        let forged = wangge_store::accounts::new_token("wg_").expect("token");
        app.anonymous()
            .call(Method::GET, "/api/v1/session")
            .bearer(&forged)
            .send()
            .await
            .problem(StatusCode::UNAUTHORIZED, "unauthenticated", None);
        app.with_session(&s, Method::DELETE, "/api/v1/tokens/999999")
            .send()
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);
    });
}

#[test]
fn guessing_the_old_password_through_a_session_is_slowed_down_too() {
    on_both_backends(|app| async move {
        setup(&app).await;
        let clock = TestClock::new();
        let app = app.with_clock(clock.clone());
        // A session left open on a shared computer: its holder does not know the password.
        let s = app.session("li", PASSWORD).await;
        let change = |old: &str| {
            app.with_session(&s, Method::POST, "/api/v1/session/password")
                .json(json!({"old_password": old, "new_password": "Taken-over-2026!"}))
                .send()
        };
        for n in 1..=3 {
            change(&format!("Guess-number-{n}")).await.problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "old_password_wrong",
                Some("old_password"),
            );
        }
        let before = app.snapshot().await;
        let r = change(PASSWORD).await;
        r.problem(StatusCode::TOO_MANY_REQUESTS, "throttled", None);
        let wait: i64 = r
            .header("retry-after")
            .and_then(|v| v.parse().ok())
            .expect("Retry-After");
        app.assert_unchanged(&before).await;
        // The same guesses count against logging in from there.
        app.login("li", PASSWORD)
            .await
            .problem(StatusCode::TOO_MANY_REQUESTS, "throttled", None);

        clock.advance(time::Duration::seconds(wait));
        let r = change(PASSWORD).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        app.session("li", "Taken-over-2026!").await;
    });
}

#[test]
fn an_administrator_cannot_disable_their_own_account() {
    on_both_backends(|app| async move {
        setup(&app).await;
        app.password_account("wang", PASSWORD, Role::ZoneAdmin, None, None)
            .await;
        let s = app.session("wang", PASSWORD).await;
        let issued = app
            .with_session(&s, Method::POST, "/api/v1/tokens")
            .json(json!({"name": "脚本"}))
            .send()
            .await
            .expect(StatusCode::CREATED);
        let token = issued["token"].as_str().expect("token").to_string();
        let before = app.snapshot().await;
        let p = app
            .with_session(&s, Method::POST, "/api/v1/users/wang/disable")
            .json(json!({}))
            .send()
            .await
            .problem(StatusCode::CONFLICT, "cannot_disable_self", None);
        assert!(p["message_zh"].as_str().unwrap().contains("自己"), "{p}");
        assert!(
            p["message_en"].as_str().unwrap().contains("your own"),
            "{p}"
        );
        assert_eq!(before, app.snapshot().await, "nothing changed");
        // Still in: the session and the token both work.
        app.with_session(&s, Method::GET, "/api/v1/session")
            .send()
            .await
            .expect(StatusCode::OK);
        app.anonymous()
            .call(Method::GET, "/api/v1/session")
            .bearer(&token)
            .send()
            .await
            .expect(StatusCode::OK);
        // Another administrator may disable the account.
        app.post_json("/api/v1/users/wang/disable", json!({}))
            .await
            .expect(StatusCode::OK);
    });
}
