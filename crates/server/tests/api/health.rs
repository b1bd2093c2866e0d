//! Health checks, unknown routes, request ids, security headers, the OpenAPI document.

use super::support::on_both_backends;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::Value;

#[test]
fn health_and_readiness_answer_200() {
    on_both_backends(|app| async move {
        let r = app.get("/healthz").await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.text(), "ok");
        let r = app.get("/readyz").await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.text(), "ready");
    });
}

#[test]
fn unknown_routes_are_problem_json_404() {
    on_both_backends(|app| async move {
        for path in [
            "/nope",
            "/api/v1/nope",
            "/api/v2/units",
            "/api/v1/units/371799/nope",
            "/api/v1/people/1/nope",
        ] {
            app.get(path)
                .await
                .problem(StatusCode::NOT_FOUND, "not_found", None);
        }
        // A missing record reads the same way as a missing route.
        let p =
            app.get("/api/v1/units/999999")
                .await
                .problem(StatusCode::NOT_FOUND, "not_found", None);
        assert_eq!(p["message_en"], "no such unit");
    });
}

#[test]
fn request_ids_are_echoed_or_made() {
    on_both_backends(|app| async move {
        let with_id = |id: &str| {
            Request::builder()
                .method(Method::GET)
                .uri("/nope")
                .header("x-request-id", id)
                .body(Body::empty())
                .unwrap()
        };
        // Given: echoed in the header and in the problem body.
        let r = app.send(with_id("req-42.abc")).await;
        assert_eq!(r.header("x-request-id"), Some("req-42.abc"));
        let p = r.problem(StatusCode::NOT_FOUND, "not_found", None);
        assert_eq!(p["request_id"], "req-42.abc");

        // Absent: a fresh one each time.
        let a = app.get("/healthz").await;
        let b = app.get("/healthz").await;
        let (a, b) = (a.header("x-request-id"), b.header("x-request-id"));
        assert!(a.is_some_and(|v| !v.is_empty()), "{a:?}");
        assert!(b.is_some_and(|v| !v.is_empty()), "{b:?}");
        assert_ne!(a, b);

        // Unusable (too long, or not printable ASCII): replaced by a fresh one.
        for bad in ["x".repeat(65), "has space".to_string()] {
            let r = app.send(with_id(&bad)).await;
            let got = r.header("x-request-id").expect("x-request-id");
            assert!(!got.is_empty());
            assert_ne!(got, bad);
        }
    });
}

#[test]
fn security_headers_are_on_every_answer() {
    on_both_backends(|app| async move {
        for path in [
            "/healthz",
            "/readyz",
            "/nope",
            "/api/v1/openapi.json",
            "/api/v1/units/1",
        ] {
            let r = app.get(path).await;
            assert_eq!(
                r.header("x-content-type-options"),
                Some("nosniff"),
                "{path}"
            );
            assert_eq!(r.header("referrer-policy"), Some("no-referrer"), "{path}");
            let csp = r.header("content-security-policy").unwrap_or_default();
            assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        }
    });
}

#[test]
fn openapi_document_describes_the_api() {
    on_both_backends(|app| async move {
        let doc = app.get("/api/v1/openapi.json").await.expect(StatusCode::OK);
        let version = doc["openapi"].as_str().unwrap_or_default();
        assert!(version.starts_with("3."), "not OpenAPI 3: {version}");
        assert!(doc["info"]["title"].is_string());
        let paths = doc["paths"].as_object().expect("paths");
        for (path, methods) in [
            ("/api/v1/units", &["get", "post"][..]),
            ("/api/v1/units/{code}", &["get", "patch", "delete"][..]),
            ("/api/v1/units/{code}/move", &["post"][..]),
            ("/api/v1/units/{code}/tree", &["get"][..]),
            ("/api/v1/people", &["get", "post"][..]),
            ("/api/v1/people/{id}", &["get", "patch"][..]),
            ("/api/v1/people/lookup", &["post"][..]),
            ("/api/v1/organisations", &["get", "post"][..]),
            ("/api/v1/organisations/{id}/members", &["get", "post"][..]),
            ("/api/v1/positions", &["get", "post"][..]),
        ] {
            let item = paths
                .get(path)
                .unwrap_or_else(|| panic!("{path} is missing"));
            for m in methods {
                assert!(item.get(*m).is_some(), "{path} has no {m}");
            }
        }
        let schemas = &doc["components"]["schemas"];
        for s in ["Problem", "Person", "Unit", "NewPerson"] {
            assert!(
                schemas.get(s).is_some_and(Value::is_object),
                "schema {s} is missing"
            );
        }
    });
}

#[test]
fn the_case_version_is_documented_as_the_field_the_transition_takes() {
    on_both_backends(|app| async move {
        let doc = app.get("/api/v1/openapi.json").await.expect(StatusCode::OK);
        let schemas = &doc["components"]["schemas"];
        let said = schemas["CaseView"]["properties"]["version"]["description"]
            .as_str()
            .expect("CaseView.version is described")
            .to_string();
        // The request is the command's fields and the version (`allOf`).
        let step = &schemas["TransitionRequest"];
        let parts: Vec<&Value> = match step["allOf"].as_array() {
            Some(all) => all.iter().collect(),
            None => vec![step],
        };
        let has = |field: &str| parts.iter().any(|p| p["properties"].get(field).is_some());
        let named: Vec<&str> = said
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|w| !w.contains(' '))
            .collect();
        assert!(!named.is_empty(), "{said}");
        for field in named {
            assert!(
                has(field),
                "CaseView.version says to send `{field}`, which TransitionRequest does not take: {step}"
            );
        }
        let required = parts
            .iter()
            .filter_map(|p| p["required"].as_array())
            .flatten()
            .any(|r| r == "version");
        assert!(required, "{step}");
    });
}

#[test]
fn wrong_methods_are_problem_json_405() {
    on_both_backends(|app| async move {
        for (method, path, allowed) in [
            (Method::POST, "/healthz", "GET"),
            (Method::DELETE, "/api/v1/people", "POST"),
            (Method::PUT, "/api/v1/units/371799", "PATCH"),
            (Method::GET, "/api/v1/people/lookup", "POST"),
        ] {
            let r = app
                .send_raw(method, path, Some("application/json"), "{}")
                .await;
            let allow = r.header("allow").unwrap_or_default().to_string();
            assert!(allow.contains(allowed), "{path}: Allow is {allow:?}");
            r.problem(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", None);
        }
    });
}
