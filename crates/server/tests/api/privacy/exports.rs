//! Birth dates beside masked ID numbers (pages, API, exports), revealed data
//! never cached, and unmasked exports only by POST with the CSRF token.

use super::super::support::{id_number, masked, on_both_backends, App, Session};
use axum::http::{Method, StatusCode};
use serde_json::json;
use wangge_core::auth::Role;

const PASSWORD: &str = "Lantern-river-2026";
const BORN: &str = "1980-01-01";

/// A person born on [`BORN`] and a zone administrator's browser session.
async fn setup(app: &App) -> (i64, String, Session) {
    let tree = app.tree().await;
    let number = id_number("19800101", 25);
    let p = app.person("李秀英", &number, &tree.building).await;
    app.password_account("clerk", PASSWORD, Role::ZoneAdmin, None, None)
        .await;
    let s = app.session("clerk", PASSWORD).await;
    (p["id"].as_i64().unwrap(), number, s)
}

fn page(app: &App, s: &Session, method: Method, path: &str) -> super::super::support::Call {
    app.anonymous()
        .call(method, path)
        .cookie(&s.cookie)
        .header("accept", "text/html")
}

#[test]
fn masked_id_numbers_come_with_the_birth_year_only() {
    on_both_backends(|app| async move {
        let (pid, number, s) = setup(&app).await;
        let full = ["19800101", BORN, number.as_str()];

        // The API.
        let r = app.get(&format!("/api/v1/people/{pid}")).await;
        let p = r.expect(StatusCode::OK);
        assert_eq!(p["id_number"], masked(&number));
        assert_eq!(p["birth_year"], 1980);
        for secret in full {
            assert!(!r.text().contains(secret), "{secret}: {}", r.text());
        }
        let list = app.get("/api/v1/people").await.text();
        assert!(!list.contains(BORN), "{list}");
        let revealed = app
            .post_json(
                &format!("/api/v1/people/{pid}/reveal"),
                json!({"reason": "核对"}),
            )
            .await;
        assert_eq!(revealed.header("cache-control"), Some("no-store"));
        let v = revealed.expect(StatusCode::OK);
        assert_eq!(
            (v["id_number"].as_str(), v["birth_date"].as_str()),
            (Some(number.as_str()), Some(BORN))
        );

        // The person page, then revealed with a reason.
        let r = page(&app, &s, Method::GET, &format!("/people/{pid}"))
            .send()
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let html = r.text();
        assert!(
            html.contains(&masked(&number)) && html.contains("1980年"),
            "{html}"
        );
        for secret in full {
            assert!(!html.contains(secret), "{secret} on the page");
        }
        let body = serde_urlencoded::to_string([("csrf", s.csrf.as_str()), ("reason", "核实身份")])
            .unwrap();
        let r = page(&app, &s, Method::POST, &format!("/people/{pid}/reveal"))
            .header("content-type", "application/x-www-form-urlencoded")
            .raw(body.into_bytes())
            .send()
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let grant = r
            .header("set-cookie")
            .and_then(|c| c.split(';').next())
            .expect("a reveal grant")
            .to_string();
        let r = page(&app, &s, Method::GET, &format!("/people/{pid}"))
            .header("cookie", &grant)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert!(r.text().contains(&number) && r.text().contains(BORN));

        // Masked exports, from the API and from the page's link.
        for path in [
            "/api/v1/exports/people?format=csv".to_string(),
            "/exports/people.csv".to_string(),
        ] {
            let r = page(&app, &s, Method::GET, &path).send().await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
            let text = r.text();
            assert!(text.contains(&masked(&number)), "{path}: {text}");
            assert!(text.contains(",1980"), "{path}: {text}");
            for secret in full {
                assert!(!text.contains(secret), "{path}: {secret} in {text}");
            }
        }
        // An unmasked one keeps the full date.
        let r = app
            .get("/api/v1/exports/people?format=csv&unmask=true&reason=核对")
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert!(r.text().contains(&number) && r.text().contains(BORN));
    });
}

/// How many entries the audit log holds.
async fn audit_len(app: &App) -> i64 {
    app.store
        .db
        .read(|c| c.query_one("SELECT COUNT(*) FROM audit_log", &[])?.get(0))
        .await
        .unwrap()
}

#[test]
fn an_unmasked_export_is_never_a_forgeable_get() {
    on_both_backends(|app| async move {
        let (_, number, s) = setup(&app).await;
        let people = "/api/v1/exports/people?format=csv&unmask=true&reason=x";
        let cases = "/api/v1/exports/cases?format=csv&unmask=true&reason=x";
        let before = audit_len(&app).await;
        for path in [people, cases] {
            // What a link on another site makes the browser send.
            let r = app
                .anonymous()
                .call(Method::GET, path)
                .cookie(&s.cookie)
                .send()
                .await;
            r.problem(StatusCode::FORBIDDEN, "unmask_needs_post", None);
            assert!(r.text().contains("POST"), "{}", r.text());
            assert!(!r.text().contains(&number));
            // A cross-site form post has no CSRF token.
            let r = app
                .anonymous()
                .call(Method::POST, path)
                .cookie(&s.cookie)
                .send()
                .await;
            r.problem(StatusCode::FORBIDDEN, "csrf", None);
        }
        assert_eq!(audit_len(&app).await, before, "nothing was audited");

        // The page's own POST carries the token.
        let r = app.with_session(&s, Method::POST, people).send().await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert!(r.text().contains(&number));
        let r = app.with_session(&s, Method::POST, cases).send().await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(audit_len(&app).await, before + 2);
        // Masked, a GET with the session still works; a bearer token may unmask by GET.
        let r = app
            .anonymous()
            .call(Method::GET, "/api/v1/exports/people?format=csv")
            .cookie(&s.cookie)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let r = app.get(people).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert!(r.text().contains(&number));
    });
}
