//! Two-factor login (TOTP, RFC 6238): enrolment, the second step of a login,
//! codes refused when wrong, replayed or guessed too often, recovery codes
//! that work once, the confinement of zone administrators and auditors who
//! have not enrolled (the default), and the audited reset by another
//! administrator. The secret is never stored in clear.

use super::sessions::audit_entries;
use super::support::{on_both_backends, session_cookie, App, Reply, Session, TestClock, NOW};
use super::web::{cookie_value, field, get, post_form};
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;
use wangge_core::auth::Role;
use wangge_server::AuthConfig;
use wangge_store::accounts::{self, totp::code_at};
use wangge_store::Scope;

const PASSWORD: &str = "Second-factor-2026";

/// The app as deployed by default: zone administrators and auditors must use
/// two-factor login.
fn deployed(app: &App) -> App {
    app.with_state(|s| s.with_auth(AuthConfig::default()))
}

/// The same, reading the time from `clock`.
fn deployed_at(app: &App, clock: &Arc<TestClock>) -> App {
    let clock = clock.clone();
    app.with_state(move |s| s.with_auth(AuthConfig::default()).with_clock(clock))
}

fn unix(t: time::OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

async fn login_with(app: &App, username: &str, extra: Value) -> Reply {
    let mut body = json!({"username": username, "password": PASSWORD});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    app.anonymous()
        .call(Method::POST, "/api/v1/session")
        .json(body)
        .send()
        .await
}

fn session_of(r: &Reply) -> Session {
    let body = r.expect(StatusCode::OK);
    Session {
        cookie: session_cookie(r).expect("a session cookie"),
        csrf: body["csrf_token"].as_str().expect("csrf").to_string(),
        user: body["user"].clone(),
    }
}

/// Logs `username` in (password only) and sets up two-factor login at
/// [`NOW`]: answers the secret, the recovery codes and the session.
async fn enrol(app: &App, username: &str) -> (String, Vec<String>, Session) {
    let s = session_of(&login_with(app, username, json!({})).await);
    let begun = app
        .with_session(&s, Method::POST, "/api/v1/account/totp")
        .send()
        .await;
    assert_eq!(begun.header("cache-control"), Some("no-store"));
    let begun = begun.expect(StatusCode::OK);
    let secret = begun["secret"].as_str().expect("secret").to_string();
    let code = code_at(&secret, unix(NOW)).unwrap();
    let confirmed = app
        .with_session(&s, Method::POST, "/api/v1/account/totp/confirm")
        .json(json!({"code": code}))
        .send()
        .await
        .expect(StatusCode::OK);
    let codes = confirmed["recovery_codes"]
        .as_array()
        .expect("recovery codes")
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    (secret, codes, s)
}

/// Every column of the user's row and of their recovery codes, as text.
async fn stored(app: &App, username: &str) -> String {
    let name = username.to_string();
    app.store
        .db
        .read(move |c| {
            let user = c.query(
                "SELECT * FROM users WHERE username = $1",
                &[name.as_str().into()],
            )?;
            let codes = c.query(
                "SELECT r.* FROM totp_recovery_codes r JOIN users u ON u.id = r.user_id WHERE u.username = $1",
                &[name.as_str().into()],
            )?;
            Ok(format!("{user:?} {codes:?}"))
        })
        .await
        .unwrap()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The user's sealed secret and the hashes of their recovery codes.
async fn stored_bytes(app: &App, username: &str) -> (Vec<u8>, Vec<Vec<u8>>) {
    let name = username.to_string();
    app.store
        .db
        .read(move |c| {
            let sealed: Vec<u8> = c
                .query_one(
                    "SELECT totp_secret_enc FROM users WHERE username = $1",
                    &[name.as_str().into()],
                )?
                .get(0)?;
            let hashes = c
                .query(
                    "SELECT r.code_hash FROM totp_recovery_codes r JOIN users u ON u.id = r.user_id WHERE u.username = $1",
                    &[name.as_str().into()],
                )?
                .iter()
                .map(|r| r.get::<Vec<u8>>(0))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((sealed, hashes))
        })
        .await
        .unwrap()
}

#[test]
fn enrolment_then_every_login_needs_a_fresh_code_or_an_unused_recovery_code() {
    on_both_backends(|app| async move {
        let clock = TestClock::new();
        let app = deployed_at(&app, &clock);
        app.password_account("zhang", PASSWORD, Role::ZoneAdmin, None, None)
            .await;

        // Enrolment: a secret and an otpauth URI; a wrong code is refused
        // and changes nothing; the right one turns it on.
        let s = session_of(&login_with(&app, "zhang", json!({})).await);
        let begun = app
            .with_session(&s, Method::POST, "/api/v1/account/totp")
            .send()
            .await
            .expect(StatusCode::OK);
        let secret = begun["secret"].as_str().unwrap().to_string();
        let uri = begun["otpauth_uri"].as_str().unwrap();
        assert!(
            uri.starts_with("otpauth://totp/Wangge:zhang?secret=") && uri.contains(&secret),
            "{uri}"
        );
        let right = code_at(&secret, unix(NOW)).unwrap();
        let wrong = if right == "000000" {
            "111111"
        } else {
            "000000"
        };
        let before = stored(&app, "zhang").await;
        app.with_session(&s, Method::POST, "/api/v1/account/totp/confirm")
            .json(json!({"code": wrong}))
            .send()
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "totp_code_wrong",
                Some("code"),
            );
        assert_eq!(
            stored(&app, "zhang").await,
            before,
            "a wrong code changed the account"
        );
        let codes = app
            .with_session(&s, Method::POST, "/api/v1/account/totp/confirm")
            .json(json!({"code": right}))
            .send()
            .await
            .expect(StatusCode::OK)["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect::<Vec<_>>();
        assert_eq!(codes.len(), 10);
        let me = app
            .with_session(&s, Method::GET, "/api/v1/session")
            .send()
            .await
            .expect(StatusCode::OK);
        assert_eq!(me["user"]["totp_enabled"], true, "{me}");
        assert_eq!(me["totp_enrolment_required"], false, "{me}");

        // Neither the secret nor a recovery code is stored in clear: the
        // secret is sealed with the data key, the codes are hashes.
        let row = stored(&app, "zhang").await;
        assert!(
            !row.contains(&secret),
            "the secret is stored in clear: {row}"
        );
        let (sealed, hashes) = stored_bytes(&app, "zhang").await;
        assert!(
            !contains(&sealed, secret.as_bytes()),
            "the secret is in the column"
        );
        let ctx = app.store.ctx("test", Scope::All, NOW);
        assert_eq!(
            ctx.keys().open("users.totp_secret", &sealed).unwrap(),
            secret
        );
        assert_eq!(hashes.len(), 10);
        for c in &codes {
            assert!(
                !row.contains(c) && !row.contains(&c.replace('-', "")),
                "{c} in clear"
            );
            for h in &hashes {
                assert!(!contains(h, c.as_bytes()) && !contains(h, c.replace('-', "").as_bytes()));
            }
        }

        // The password alone is not enough now.
        login_with(&app, "zhang", json!({})).await.problem(
            StatusCode::UNAUTHORIZED,
            "totp_required",
            None,
        );
        // The code that confirmed the enrolment is used up (no replay).
        login_with(&app, "zhang", json!({"totp": right}))
            .await
            .problem(StatusCode::UNAUTHORIZED, "totp_wrong", None);

        // 30 s later: the new code logs in once, never twice.
        clock.advance(time::Duration::seconds(30));
        let next = code_at(&secret, unix(NOW) + 30).unwrap();
        session_of(&login_with(&app, "zhang", json!({"totp": next})).await);
        login_with(&app, "zhang", json!({"totp": next}))
            .await
            .problem(StatusCode::UNAUTHORIZED, "totp_wrong", None);

        // One step of drift either way is accepted; a step at or before the
        // last one used is not.
        clock.advance(time::Duration::seconds(30));
        let ahead = code_at(&secret, unix(NOW) + 90).unwrap();
        session_of(&login_with(&app, "zhang", json!({"totp": ahead})).await);
        let behind = code_at(&secret, unix(NOW) + 30).unwrap();
        login_with(&app, "zhang", json!({"totp": behind}))
            .await
            .problem(StatusCode::UNAUTHORIZED, "totp_wrong", None);
        // Two steps away is too far.
        clock.advance(time::Duration::seconds(60));
        let stale = code_at(&secret, unix(NOW) + 60).unwrap();
        login_with(&app, "zhang", json!({"totp": stale}))
            .await
            .problem(StatusCode::UNAUTHORIZED, "totp_wrong", None);

        // A recovery code works once (dashes and case do not matter).
        let typed = codes[3].to_lowercase().replace('-', " ");
        session_of(&login_with(&app, "zhang", json!({"recovery_code": typed})).await);
        login_with(&app, "zhang", json!({"recovery_code": codes[3]}))
            .await
            .problem(StatusCode::UNAUTHORIZED, "totp_wrong", None);
        let used = audit_entries(&app, "totp_recovery_used").await;
        assert_eq!(used.len(), 1);
        assert_eq!(used[0].detail["recovery_codes_left"], 9);
        let failed = audit_entries(&app, "login_failed").await;
        assert!(
            failed.iter().any(|e| e.detail["second_factor"] == true),
            "wrong codes are audited as failed logins"
        );
        // Enrolling again while it is on is refused.
        let s = session_of(&login_with(&app, "zhang", json!({"recovery_code": codes[0]})).await);
        app.with_session(&s, Method::POST, "/api/v1/account/totp")
            .send()
            .await
            .problem(StatusCode::CONFLICT, "totp_already_enabled", None);
    });
}

#[test]
fn wrong_codes_count_in_the_login_throttle() {
    on_both_backends(|app| async move {
        let app = deployed(&app);
        app.password_account("qian", PASSWORD, Role::ZoneAdmin, None, None)
            .await;
        let (secret, _, _) = enrol(&app, "qian").await;
        let right = code_at(&secret, unix(NOW) + 30).unwrap();
        // Guesses that are not the code (and not of its neighbours' steps).
        let taken: Vec<String> = (-1..=2)
            .map(|k| code_at(&secret, unix(NOW) + 30 * k).unwrap())
            .collect();
        let guesses: Vec<String> = (0..10)
            .map(|n| format!("{:06}", 123_456 + n * 1111))
            .filter(|g| !taken.contains(g))
            .take(3)
            .collect();
        for g in &guesses {
            login_with(&app, "qian", json!({"totp": g})).await.problem(
                StatusCode::UNAUTHORIZED,
                "totp_wrong",
                None,
            );
        }
        // After three wrong codes even the right one waits, unchecked.
        let r = login_with(&app, "qian", json!({"totp": right})).await;
        r.problem(StatusCode::TOO_MANY_REQUESTS, "throttled", None);
        assert!(session_cookie(&r).is_none());
    });
}

#[test]
fn zone_admins_and_auditors_without_totp_reach_only_the_enrolment_by_default() {
    assert_eq!(
        AuthConfig::default().totp_required,
        vec![Role::ZoneAdmin, Role::Auditor],
        "the default requires it of zone administrators and auditors"
    );
    on_both_backends(|app| async move {
        let t = app.tree().await;
        let app = deployed(&app);
        app.password_account("sun", PASSWORD, Role::Auditor, None, None)
            .await;
        app.password_account("zhou", PASSWORD, Role::StreetStaff, Some(&t.street), None)
            .await;

        let r = login_with(&app, "sun", json!({})).await;
        let s = session_of(&r);
        assert_eq!(r.json()["totp_enrolment_required"], true);
        for path in ["/api/v1/audit", "/api/v1/cases", "/api/v1/tokens"] {
            app.with_session(&s, Method::GET, path)
                .send()
                .await
                .problem(StatusCode::FORBIDDEN, "totp_enrolment_required", None);
        }
        // The session itself and the enrolment stay open.
        app.with_session(&s, Method::GET, "/api/v1/session")
            .send()
            .await
            .expect(StatusCode::OK);
        // Pages send the session to the enrolment page.
        let cookie = format!("wangge_session={}", s.cookie);
        let home = get(&app, "/", &cookie).await;
        assert_eq!(home.status, StatusCode::SEE_OTHER);
        assert_eq!(home.header("location"), Some("/account/totp"));
        let page = get(&app, "/account/totp", &cookie).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text().contains("必须启用两步验证"), "{}", page.text());

        // An API token of the same auditor is not confined.
        let ctx = app.store.ctx("test-setup", Scope::All, NOW);
        let token = app
            .store
            .db
            .write(move |c| accounts::create_token(c, &ctx, "sun", "t", 90).map(|(_, t)| t))
            .await
            .unwrap();
        app.with_token(&token)
            .get("/api/v1/audit")
            .await
            .expect(StatusCode::OK);
        // Other roles are not required to use it.
        let s = session_of(&login_with(&app, "zhou", json!({})).await);
        app.with_session(&s, Method::GET, "/api/v1/cases")
            .send()
            .await
            .expect(StatusCode::OK);

        // Once enrolled, the auditor works as before.
        let (_, _, s) = enrol(&app, "sun").await;
        app.with_session(&s, Method::GET, "/api/v1/audit")
            .send()
            .await
            .expect(StatusCode::OK);

        // A deployment that requires it of nobody confines nobody.
        let open = app.with_state(|s| {
            let auth = AuthConfig::default().with_totp_required(Vec::new());
            s.with_auth(auth)
        });
        app.password_account("wu", PASSWORD, Role::ZoneAdmin, None, None)
            .await;
        let s = session_of(&login_with(&open, "wu", json!({})).await);
        open.with_session(&s, Method::GET, "/api/v1/users")
            .send()
            .await
            .expect(StatusCode::OK);
    });
}

#[test]
fn another_administrator_resets_totp_audited_and_nobody_resets_their_own() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        let app = deployed(&app);
        app.password_account("zheng", PASSWORD, Role::ZoneAdmin, None, None)
            .await;
        let (_, _, s) = enrol(&app, "zheng").await;

        // Not one's own: that would let a stolen password remove the factor.
        let before = stored(&app, "zheng").await;
        app.with_session(&s, Method::POST, "/api/v1/users/zheng/totp/reset")
            .send()
            .await
            .problem(StatusCode::CONFLICT, "cannot_reset_own_totp", None);
        assert_eq!(stored(&app, "zheng").await, before);
        // Not by a role that does not manage accounts, nor for nobody.
        let cadre = app.as_user("feng", Role::CommunityCadre, Some(&t.community), None);
        cadre
            .post_json("/api/v1/users/zheng/totp/reset", json!({}))
            .await
            .problem(StatusCode::FORBIDDEN, "forbidden", None);
        app.post_bytes("/api/v1/users/nobody/totp/reset", "")
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);
        assert_eq!(stored(&app, "zheng").await, before);

        // Another zone administrator (the harness's `admin`): audited, the
        // sessions end, and the next login is sent to enrol again.
        app.post_bytes("/api/v1/users/zheng/totp/reset", "")
            .await
            .expect(StatusCode::NO_CONTENT);
        let reset = audit_entries(&app, "totp_reset").await;
        assert_eq!(reset.len(), 1);
        assert_eq!(reset[0].actor, "admin");
        assert_eq!(reset[0].detail["username"], "zheng");
        assert_eq!(reset[0].detail["was_enabled"], true);
        app.with_session(&s, Method::GET, "/api/v1/session")
            .send()
            .await
            .problem(StatusCode::UNAUTHORIZED, "unauthenticated", None);
        let r = login_with(&app, "zheng", json!({})).await;
        r.expect(StatusCode::OK);
        assert_eq!(r.json()["totp_enrolment_required"], true);
        assert!(!stored(&app, "zheng").await.contains("Blob("));
    });
}

#[test]
fn the_login_form_asks_for_the_code_and_the_admin_page_resets_it() {
    on_both_backends(|app| async move {
        let app = deployed(&app).anonymous();
        app.password_account("chen", PASSWORD, Role::ZoneAdmin, None, None)
            .await;
        app.password_account("lin", PASSWORD, Role::ZoneAdmin, None, None)
            .await;
        let (secret, _, _) = enrol(&app, "chen").await;
        let (_, _, _) = enrol(&app, "lin").await;

        let form_login = |code: String| {
            let app = app.clone();
            async move {
                let page = get(&app, "/login", "").await;
                assert!(page.text().contains("name=\"code\""), "a code field");
                let csrf_cookie = cookie_value(&page, "wangge_login_csrf").unwrap();
                let csrf = field(&page.text(), "csrf");
                let cookies = format!("wangge_login_csrf={csrf_cookie}");
                post_form(
                    &app,
                    "/login",
                    &cookies,
                    &[
                        ("csrf", csrf.as_str()),
                        ("next", "/"),
                        ("username", "chen"),
                        ("password", PASSWORD),
                        ("code", code.as_str()),
                    ],
                )
                .await
            }
        };
        let r = form_login(String::new()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.text().contains("6位验证码"), "{}", r.text());
        // Typed as the app shows it, in two groups of three.
        let code = code_at(&secret, unix(NOW) + 30).unwrap();
        let r = form_login(format!("{} {}", &code[..3], &code[3..])).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let session = cookie_value(&r, "wangge_session").unwrap();
        let cookie = format!("wangge_session={session}");
        let home = get(&app, "/", &cookie).await;
        assert_eq!(home.status, StatusCode::OK);

        // chen resets lin's second factor from the accounts page.
        let users = get(&app, "/admin/users", &cookie).await;
        assert!(users.text().contains("/admin/users/lin/reset-totp"));
        assert!(
            !users.text().contains("/admin/users/chen/reset-totp"),
            "not one's own"
        );
        let csrf = field(&users.text(), "csrf");
        let r = post_form(
            &app,
            "/admin/users/lin/reset-totp",
            &cookie,
            &[("csrf", &csrf)],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let reset = audit_entries(&app, "totp_reset").await;
        assert_eq!(reset.len(), 1);
        assert_eq!(reset[0].actor, "chen");
        let r = post_form(
            &app,
            "/admin/users/chen/reset-totp",
            &cookie,
            &[("csrf", &csrf)],
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.text().contains("不能重置自己的两步验证"));
        assert_eq!(audit_entries(&app, "totp_reset").await.len(), 1);
    });
}

#[test]
fn setting_it_up_through_the_pages_shows_the_recovery_codes_once() {
    on_both_backends(|app| async move {
        let app = deployed(&app).anonymous();
        app.password_account("he", PASSWORD, Role::ZoneAdmin, None, None)
            .await;
        let s = session_of(&login_with(&app, "he", json!({})).await);
        let cookie = format!("wangge_session={}", s.cookie);
        let page = get(&app, "/account/totp", &cookie).await;
        assert!(
            page.text().contains("/account/totp/begin"),
            "{}",
            page.text()
        );

        let begun = post_form(&app, "/account/totp/begin", &cookie, &[("csrf", &s.csrf)]).await;
        assert_eq!(begun.status, StatusCode::OK, "{}", begun.text());
        assert_eq!(begun.header("cache-control"), Some("no-store"));
        let html = begun.text();
        let secret = html
            .split("<span class=\"mono token\">")
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .expect("the secret on the page")
            .to_string();
        assert!(html.contains("otpauth://totp/Wangge:he?secret="), "{html}");

        // A mistyped code: said so, the secret shown again, nothing on.
        let wrong = post_form(
            &app,
            "/account/totp/confirm",
            &cookie,
            &[("csrf", &s.csrf), ("code", "12345")],
        )
        .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.text().contains("验证码不正确"), "{}", wrong.text());
        assert!(wrong.text().contains(&secret));
        assert_eq!(
            get(&app, "/", &cookie).await.status,
            StatusCode::SEE_OTHER,
            "still confined"
        );

        let code = code_at(&secret, unix(NOW)).unwrap();
        let done = post_form(
            &app,
            "/account/totp/confirm",
            &cookie,
            &[("csrf", &s.csrf), ("code", &code)],
        )
        .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.text());
        let listed = done.text().matches("<li>").count();
        assert_eq!(listed, 10, "{}", done.text());
        assert!(
            !done.text().contains(&secret),
            "the secret is not shown again"
        );
        let home = get(&app, "/", &cookie).await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(
            !home.text().contains("id=\"public-home-heading\""),
            "the workbench"
        );
        let again = get(&app, "/account/totp", &cookie).await.text();
        assert!(again.contains("剩余可用恢复码: 10"), "{again}");
        assert_eq!(again.matches("<li>").count(), 0, "the codes are shown once");
    });
}
