//! SQL in every text field and every filter: stored and shown back as text, or
//! refused with a 4xx; never a 5xx, never more rows than asked for, and every
//! table and the audit chain intact afterwards.

use super::roles::{snapshot_all, world, Side};
use super::support::{enc, on_both_backends, App, Reply};
use axum::http::{Method, StatusCode};
use base64::Engine;
use serde_json::{json, Value};
use wangge_core::auth::Role;

const PAYLOADS: &[&str] = &[
    "'; DROP TABLE people; --",
    "' OR '1'='1",
    "\" OR \"\"=\"",
    "1; DELETE FROM audit_log WHERE 1=1; --",
    "') UNION SELECT * FROM users --",
    "$1 $$ \\ %_ ?",
];

#[track_caller]
fn not_5xx(r: &Reply, what: &str) {
    assert!(
        !r.status.is_server_error(),
        "{what}: {} {}",
        r.status,
        r.text()
    );
    if !r.status.is_success() {
        assert!(r.status.is_client_error(), "{what}: {}", r.status);
        assert_eq!(
            r.content_type(),
            Some(super::support::PROBLEM_JSON),
            "{what}"
        );
    }
}

/// Creates something whose text field must come back exactly as sent.
async fn stored(app: &App, path: &str, body: Value, field: &str, value: &str) -> Value {
    let r = app.post_json(path, body.clone()).await;
    let v = r.expect(StatusCode::CREATED);
    assert_eq!(v[field], value, "{path} {body}");
    v
}

#[test]
fn sql_in_text_fields_is_stored_as_text_or_refused() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let mut n = 0;
        for (i, p) in PAYLOADS.iter().enumerate() {
            // Free text is kept as it was typed.
            let unit = stored(
                &app,
                "/api/v1/units",
                json!({"kind": "building", "name": p, "parent": w.a.compound}),
                "name",
                p,
            )
            .await;
            let code = unit["code"].as_str().expect("code").to_string();
            let r = app
                .patch_json(
                    &format!("/api/v1/units/{code}"),
                    json!({"name": format!("{p}!")}),
                )
                .await;
            assert_eq!(r.expect(StatusCode::OK)["name"], format!("{p}!"));
            let org = stored(
                &app,
                "/api/v1/organisations",
                json!({"name": p, "kind": "social_organisation", "unit": w.a.compound}),
                "name",
                p,
            )
            .await;
            app.patch_json(
                &format!("/api/v1/organisations/{}", org["id"]),
                json!({"name": p}),
            )
            .await
            .expect(StatusCode::OK);
            let person = stored(
                &app,
                "/api/v1/people",
                json!({"name": p, "id_number": w.next_id_number(), "unit": w.a.building,
                       "address_detail": p}),
                "name",
                p,
            )
            .await;
            let pid = person["id"].as_i64().expect("id");
            let revealed = app
                .post_json(
                    &format!("/api/v1/people/{pid}/reveal"),
                    json!({"reason": p}),
                )
                .await
                .expect(StatusCode::OK);
            assert_eq!(revealed["address_detail"], *p);
            app.patch_json(
                &format!("/api/v1/people/{pid}"),
                json!({"name": p, "address_detail": p}),
            )
            .await
            .expect(StatusCode::OK);
            stored(
                &app,
                "/api/v1/households",
                json!({"number": p, "unit": w.a.building}),
                "number",
                p,
            )
            .await;
            stored(
                &app,
                "/api/v1/positions",
                json!({"person_id": pid, "org_id": w.a.org, "kind": "volunteer", "title": p,
                       "from": "2026-01-01"}),
                "title",
                p,
            )
            .await;
            stored(&app, "/api/v1/tokens", json!({"name": p}), "name", p).await;
            let user = stored(
                &app,
                "/api/v1/users",
                json!({"username": format!("sqlcheck{i}"), "display_name": p, "role": "auditor",
                       "password": format!("Sql-check-pass-{i}-{p}")}),
                "display_name",
                p,
            )
            .await;
            assert_eq!(user["username"], format!("sqlcheck{i}"));

            // Where the text must be an identifier, a code, a number or a date, it is refused.
            let refusals: Vec<(Method, String, Value)> = vec![
                (
                    Method::POST,
                    "/api/v1/units".into(),
                    json!({"kind": "building", "name": "楼", "parent": p}),
                ),
                (
                    Method::POST,
                    "/api/v1/units".into(),
                    json!({"kind": p, "name": "楼", "parent": w.a.compound}),
                ),
                (
                    Method::POST,
                    format!("/api/v1/units/{code}/move"),
                    json!({"parent": p}),
                ),
                (
                    Method::POST,
                    "/api/v1/organisations".into(),
                    json!({"name": "x", "kind": "enterprise", "unit": w.a.compound, "credit_code": p}),
                ),
                (
                    Method::POST,
                    "/api/v1/people".into(),
                    json!({"name": "x", "id_number": p, "unit": w.a.building}),
                ),
                (
                    Method::POST,
                    "/api/v1/people".into(),
                    json!({"name": "x", "id_number": w.next_id_number(), "phone": p, "unit": w.a.building}),
                ),
                (
                    Method::POST,
                    "/api/v1/people".into(),
                    json!({"name": "x", "id_number": w.next_id_number(), "unit": p}),
                ),
                (
                    Method::PATCH,
                    format!("/api/v1/people/{pid}"),
                    json!({"phone": p}),
                ),
                (
                    Method::PATCH,
                    format!("/api/v1/people/{pid}"),
                    json!({"relation": p}),
                ),
                (
                    Method::POST,
                    "/api/v1/people/lookup".into(),
                    json!({"id_number": p}),
                ),
                (
                    Method::POST,
                    "/api/v1/households".into(),
                    json!({"number": "1", "unit": p}),
                ),
                (
                    Method::POST,
                    "/api/v1/positions".into(),
                    json!({"person_id": pid, "org_id": w.a.org, "kind": "volunteer", "title": "t", "from": p}),
                ),
                (
                    Method::POST,
                    format!("/api/v1/positions/{}/end", w.a.position),
                    json!({"to": p}),
                ),
                (
                    Method::POST,
                    "/api/v1/users".into(),
                    json!({"username": p, "role": "auditor", "password": "Long-enough-2026"}),
                ),
                (
                    Method::POST,
                    "/api/v1/users".into(),
                    json!({"username": format!("u{i}x"), "role": "grid_worker", "scope_unit": p, "password": "Long-enough-2026"}),
                ),
                (
                    Method::POST,
                    "/api/v1/tokens".into(),
                    json!({"name": "t", "username": p}),
                ),
            ];
            let before = snapshot_all(&app).await;
            for (method, path, body) in refusals {
                let r = app
                    .call(method.clone(), &path)
                    .json(body.clone())
                    .send()
                    .await;
                let what = format!("{method} {path} {body}");
                not_5xx(&r, &what);
                assert!(r.status.is_client_error(), "{what}: {}", r.text());
            }
            // In URLs.
            for path in [
                format!("/api/v1/units/{}", enc(p)),
                format!("/api/v1/units/{}/tree", enc(p)),
                format!("/api/v1/people/{}", enc(p)),
                format!("/api/v1/households/{}", enc(p)),
                format!("/api/v1/organisations/{}/members", enc(p)),
                format!("/api/v1/users/{}/disable", enc(p)),
                format!("/api/v1/tokens/{}", enc(p)),
            ] {
                let method = if path.ends_with("disable") {
                    Method::POST
                } else if path.starts_with("/api/v1/tokens") {
                    Method::DELETE
                } else {
                    Method::GET
                };
                let r = app.call(method, &path).json(json!({})).send().await;
                not_5xx(&r, &path);
                assert!(r.status.is_client_error(), "{path}: {}", r.text());
            }
            assert!(
                before == snapshot_all(&app).await,
                "a refused request with {p:?} changed the database"
            );
            n += 1;
        }
        assert_eq!(n, PAYLOADS.len());

        // Logins with SQL as the name or the password fail like any other, and a
        // password made of SQL is just a password.
        for (i, p) in PAYLOADS.iter().enumerate() {
            for (user, password) in [(*p, "x"), ("admin", *p), (*p, *p)] {
                let r = app
                    .anonymous()
                    .call(Method::POST, "/api/v1/session")
                    .client_ip(&format!("192.0.2.{}", 10 + i))
                    .json(json!({"username": user, "password": password}))
                    .send()
                    .await;
                r.problem(StatusCode::UNAUTHORIZED, "bad_login", None);
            }
            let r = app
                .anonymous()
                .call(Method::POST, "/api/v1/session")
                .client_ip(&format!("192.0.2.{}", 100 + i))
                .json(json!({"username": format!("sqlcheck{i}"), "password": format!("Sql-check-pass-{i}-{p}")}))
                .send()
                .await;
            r.expect(StatusCode::OK);
        }

        // Everything is still there, and the audit chain is whole.
        let people = app
            .get(&format!("/api/v1/people?unit={}&limit=500", w.zone))
            .await
            .expect(StatusCode::OK);
        assert_eq!(
            people["items"].as_array().expect("items").len(),
            2 + PAYLOADS.len()
        );
        let v = app
            .store
            .db
            .read(wangge_store::audit::verify)
            .await
            .expect("verify");
        assert_eq!(v.first_bad, None);
    });
}

#[test]
fn sql_in_filters_finds_nothing_more() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let cadre_a = app.as_user("cadre_a", Role::CommunityCadre, Some(&w.a.community), None);
        let auditor = app.as_user("auditor", Role::Auditor, None, None);
        for p in PAYLOADS {
            let q = enc(p);
            for (who, path) in [
                (&cadre_a, format!("/api/v1/units?q={q}")),
                (&cadre_a, format!("/api/v1/units?under={q}")),
                (&cadre_a, format!("/api/v1/units?parent={q}")),
                (&cadre_a, format!("/api/v1/units?kind={q}")),
                (&cadre_a, format!("/api/v1/units?cursor={q}")),
                (
                    &cadre_a,
                    format!("/api/v1/units/{}/tree?depth={q}", w.a.community),
                ),
                (&cadre_a, format!("/api/v1/people?unit={q}")),
                (&cadre_a, format!("/api/v1/people?cursor={q}")),
                (&cadre_a, format!("/api/v1/people?limit={q}")),
                (&cadre_a, format!("/api/v1/households?unit={q}")),
                (&cadre_a, format!("/api/v1/organisations?unit={q}")),
                (&cadre_a, format!("/api/v1/organisations?kind={q}")),
                (&cadre_a, format!("/api/v1/positions?person_id={q}")),
                (&auditor, format!("/api/v1/audit?actor={q}")),
                (&auditor, format!("/api/v1/audit?entity={q}")),
                (&auditor, format!("/api/v1/audit?action={q}")),
                (&auditor, format!("/api/v1/audit?entity_id={q}")),
                (&auditor, format!("/api/v1/audit?before={q}")),
            ] {
                let r = who.get(&path).await;
                not_5xx(&r, &path);
                if r.status.is_success() {
                    let v = r.json();
                    let items = v.get("items").unwrap_or(&v);
                    assert_eq!(items, &json!([]), "{path} found something: {v}");
                }
            }
        }
        // A hand-made cursor is a position in the caller's own list, nothing more.
        for key in ["/", "", "' OR '1'='1", &format!("{}\u{10ffff}", "/")] {
            let cursor =
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{key}\n0"));
            for list in ["people", "households", "organisations"] {
                let r = cadre_a
                    .get(&format!("/api/v1/{list}?cursor={cursor}"))
                    .await;
                not_5xx(&r, list);
                let text = r.text();
                assert!(
                    !text.contains(Side::B.mark()),
                    "{list} with cursor {key:?}: {text}"
                );
            }
        }
    });
}
