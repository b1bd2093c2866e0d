//! Password guessing: against one account from one address, sprayed over many
//! accounts from one address, and spread over many addresses against one account.
//! Each is slowed with 429 and `Retry-After` without the password being checked,
//! and nobody can lock a user out for more than about a minute.

use super::sessions::audit_entries;
use super::support::{on_both_backends, App, Reply, TestClock};
use axum::http::{Method, StatusCode};
use serde_json::json;
use wangge_core::auth::Role;

const PASSWORD: &str = "Gridworker-2026!";

async fn attempt(app: &App, addr: &str, user: &str, password: &str) -> Reply {
    app.anonymous()
        .call(Method::POST, "/api/v1/session")
        .client_ip(addr)
        .json(json!({"username": user, "password": password}))
        .send()
        .await
}

/// Asserts a 429 `throttled` answer and returns its `Retry-After` in seconds.
#[track_caller]
fn throttled(r: &Reply) -> i64 {
    r.problem(StatusCode::TOO_MANY_REQUESTS, "throttled", None);
    assert!(
        r.header("set-cookie").is_none(),
        "a throttled attempt logs nobody in"
    );
    r.header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After in seconds: {:?}", r.headers))
}

/// The failure counts of the throttle, and the number of audited logins of
/// either outcome: a throttled attempt changes neither.
async fn throttle_state(app: &App) -> (Vec<String>, usize) {
    let rows = app
        .store
        .db
        .read(|c| {
            let rows = c.query(
                "SELECT key, failures, next_allowed FROM login_throttle ORDER BY key",
                &[],
            )?;
            Ok(rows.iter().map(|r| format!("{r:?}")).collect::<Vec<_>>())
        })
        .await
        .expect("throttle rows");
    let audited =
        audit_entries(app, "login_failed").await.len() + audit_entries(app, "login").await.len();
    (rows, audited)
}

#[test]
fn guessing_one_password_from_one_address_is_slowed_down() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        app.password_account(
            "li",
            PASSWORD,
            Role::CommunityCadre,
            Some(&t.community),
            None,
        )
        .await;
        let clock = TestClock::new();
        let app = app.with_clock(clock.clone());
        let ip = "203.0.113.7";

        for n in 1..=3 {
            attempt(&app, ip, "li", &format!("Guess-number-{n}"))
                .await
                .problem(StatusCode::UNAUTHORIZED, "bad_login", None);
        }
        // After three failures, even the right password waits, unchecked.
        let before = throttle_state(&app).await;
        let wait = throttled(&attempt(&app, ip, "li", PASSWORD).await);
        assert!((1..=900).contains(&wait), "Retry-After {wait}");
        throttled(&attempt(&app, ip, "li", "Guess-number-4").await);
        assert_eq!(
            throttle_state(&app).await,
            before,
            "a throttled attempt was checked"
        );

        // The user, elsewhere, is not held up by the attacker's address.
        app.anonymous()
            .call(Method::POST, "/api/v1/session")
            .client_ip("198.51.100.20")
            .json(json!({"username": "li", "password": PASSWORD}))
            .send()
            .await
            .expect(StatusCode::OK);

        // Each further failure doubles the wait.
        clock.advance(time::Duration::seconds(wait));
        attempt(&app, ip, "li", "Guess-number-5").await.problem(
            StatusCode::UNAUTHORIZED,
            "bad_login",
            None,
        );
        let longer = throttled(&attempt(&app, ip, "li", PASSWORD).await);
        assert_eq!(longer, 2 * wait);

        // Once the wait is over, the right password works.
        clock.advance(time::Duration::seconds(longer));
        let r = attempt(&app, ip, "li", PASSWORD).await;
        r.expect(StatusCode::OK);
        // And a success clears the count for this address.
        attempt(&app, ip, "li", "Guess-number-6").await.problem(
            StatusCode::UNAUTHORIZED,
            "bad_login",
            None,
        );
        attempt(&app, ip, "li", PASSWORD)
            .await
            .expect(StatusCode::OK);
    });
}

#[test]
fn spraying_many_accounts_from_one_address_is_slowed_down() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        app.password_account(
            "li",
            PASSWORD,
            Role::CommunityCadre,
            Some(&t.community),
            None,
        )
        .await;
        let clock = TestClock::new();
        let app = app.with_clock(clock.clone());
        let ip = "203.0.113.8";
        // One guess each at twenty names: existing or not, it is the same to the throttle.
        for n in 1..=20 {
            let name = if n == 1 {
                "li".to_string()
            } else {
                format!("user{n}")
            };
            attempt(&app, ip, &name, "Summer-2026!").await.problem(
                StatusCode::UNAUTHORIZED,
                "bad_login",
                None,
            );
        }
        let before = throttle_state(&app).await;
        let wait = throttled(&attempt(&app, ip, "user21", "Summer-2026!").await);
        throttled(&attempt(&app, ip, "li", PASSWORD).await);
        assert_eq!(throttle_state(&app).await, before);
        // Other addresses are not held up.
        attempt(&app, "198.51.100.21", "li", PASSWORD)
            .await
            .expect(StatusCode::OK);
        clock.advance(time::Duration::seconds(wait));
        attempt(&app, ip, "li", PASSWORD)
            .await
            .expect(StatusCode::OK);
    });
}

#[test]
fn many_addresses_against_one_account_delay_it_by_at_most_a_minute() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        app.password_account(
            "li",
            PASSWORD,
            Role::CommunityCadre,
            Some(&t.community),
            None,
        )
        .await;
        let clock = TestClock::new();
        let app = app.with_clock(clock.clone());
        let mut n = 0;
        let mut next_ip = || {
            n += 1;
            format!("10.{}.{}.{}", n / 65536, (n / 256) % 256, n % 256)
        };
        // Fifty addresses, one guess each: no address and no pair is slowed, but
        // the account now is.
        for _ in 0..50 {
            attempt(&app, &next_ip(), "li", "Winter-2026!")
                .await
                .problem(StatusCode::UNAUTHORIZED, "bad_login", None);
        }
        let mut waits = Vec::new();
        while waits.len() < 8 {
            let r = attempt(&app, &next_ip(), "li", PASSWORD).await;
            let wait = throttled(&r);
            waits.push(wait);
            clock.advance(time::Duration::seconds(wait));
            attempt(&app, &next_ip(), "li", "Winter-2026!")
                .await
                .problem(StatusCode::UNAUTHORIZED, "bad_login", None);
        }
        // The delay doubles up to its cap of one minute, and stays there.
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
        let wait = throttled(&attempt(&app, &next_ip(), "li", PASSWORD).await);
        assert_eq!(wait, 60);
        // Not locked out: a minute later the user logs in.
        clock.advance(time::Duration::seconds(60));
        attempt(&app, &next_ip(), "li", PASSWORD)
            .await
            .expect(StatusCode::OK);
    });
}

/// Sends `n` logins at once (each from `addr(i)`, with `password(i)`) and
/// answers their statuses.
async fn burst(
    app: &App,
    n: usize,
    addr: impl Fn(usize) -> String,
    password: impl Fn(usize) -> String,
) -> Vec<Reply> {
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        let (app, addr, password) = (app.clone(), addr(i), password(i));
        set.spawn(async move { attempt(&app, &addr, "li", &password).await });
    }
    set.join_all().await
}

fn count(replies: &[Reply], status: StatusCode) -> usize {
    replies.iter().filter(|r| r.status == status).count()
}

#[test]
fn parallel_guesses_from_one_address_check_only_the_free_tries() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        app.password_account(
            "li",
            PASSWORD,
            Role::CommunityCadre,
            Some(&t.community),
            None,
        )
        .await;
        let ip = "203.0.113.9";
        let replies = burst(
            &app,
            40,
            |_| ip.to_string(),
            |i| format!("Guess-number-{i}"),
        )
        .await;
        // The policy allows three checks before the pair is delayed; every
        // other attempt is refused without its password being checked.
        assert_eq!(count(&replies, StatusCode::UNAUTHORIZED), 3);
        assert_eq!(count(&replies, StatusCode::TOO_MANY_REQUESTS), 37);
        replies
            .iter()
            .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
            .for_each(|r| {
                throttled(r);
            });
        assert_eq!(audit_entries(&app, "login_failed").await.len(), 3);
        // And the right password, after them, waits too.
        throttled(&attempt(&app, ip, "li", PASSWORD).await);
    });
}

#[test]
fn a_burst_of_logins_is_refused_beyond_the_bound_of_password_checks() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        app.password_account(
            "li",
            PASSWORD,
            Role::CommunityCadre,
            Some(&t.community),
            None,
        )
        .await;
        // One check at a time, two waiting.
        let gate = std::sync::Arc::new(wangge_server::passwords::Gate::new(1, 2));
        let app = app.with_state(|s| s.with_password_gate(gate.clone()));
        let replies = burst(
            &app,
            24,
            |i| format!("198.51.100.{}", i + 1),
            |i| format!("Guess-number-{i}"),
        )
        .await;
        let (checked, refused) = (
            count(&replies, StatusCode::UNAUTHORIZED),
            count(&replies, StatusCode::SERVICE_UNAVAILABLE),
        );
        assert_eq!(checked + refused, replies.len(), "only 401 or 503");
        assert!(checked >= 1, "some were checked");
        assert!(refused >= 1, "a burst beyond the bound is refused");
        assert!(gate.peak() <= 1, "{} checks ran at once", gate.peak());
        for r in replies.iter().filter(|r| r.status.is_server_error()) {
            r.problem(StatusCode::SERVICE_UNAVAILABLE, "busy", None);
            assert_eq!(r.header("retry-after"), Some("1"));
        }
        // A refused attempt was not checked, so it does not count as a failure.
        assert_eq!(audit_entries(&app, "login_failed").await.len(), checked);
        let counted: i64 = app
            .store
            .db
            .read(|c| {
                c.query_one(
                    "SELECT failures FROM login_throttle WHERE key = 'user:li'",
                    &[],
                )?
                .get(0)
            })
            .await
            .expect("the account's count");
        assert_eq!(counted as usize, checked);
        // Once the burst is over, the user logs in.
        attempt(&app, "192.0.2.1", "li", PASSWORD)
            .await
            .expect(StatusCode::OK);
    });
}

#[test]
fn parallel_right_logins_from_one_address_all_get_in() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        app.password_account(
            "li",
            PASSWORD,
            Role::CommunityCadre,
            Some(&t.community),
            None,
        )
        .await;
        // Colleagues behind one office address: attempts still being checked
        // count against the pair for a moment, so the later ones are held
        // until those are known instead of being refused.
        let replies = burst(
            &app,
            12,
            |_| "192.0.2.50".to_string(),
            |_| PASSWORD.to_string(),
        )
        .await;
        for r in &replies {
            r.expect(StatusCode::OK);
        }
        assert_eq!(audit_entries(&app, "login").await.len(), 12);
    });
}
