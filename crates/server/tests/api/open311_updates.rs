//! FixMyStreet's follow-up comments (`POST servicerequestupdates`): the words
//! become the reporter's comment on the case, its state unchanged, and the
//! answer carries the new update's id. Without a valid api_key, for a request
//! that does not exist, or without words, nothing is written.

use super::open311::{doc, error, post_form, staff_case, txt, world, Fmt};
use super::support::{on_both_backends, App, Reply};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::Value;
use std::net::SocketAddr;
use wangge_core::auth::Role;

async fn post_update(app: &App, fmt: Fmt, pairs: &[(&str, &str)]) -> Reply {
    let body = serde_urlencoded::to_string(pairs).unwrap();
    let addr: SocketAddr = "10.77.0.1:40000".parse().unwrap();
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("/open311/v2/servicerequestupdates.{}", fmt.ext()))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .extension(ConnectInfo(addr))
        .body(Body::from(body))
        .unwrap();
    app.send(req).await
}

async fn events(app: &App, case_id: i64) -> Vec<Value> {
    app.get(&format!("/api/v1/cases/{case_id}/events"))
        .await
        .expect(StatusCode::OK)
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn fixmystreet_comments_become_the_reporters_comments() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let key = app.token.clone().unwrap();
        let building = w.tree.building.clone();
        let r = post_form(
            &app,
            Fmt::Json,
            &[
                ("service_code", "0101"),
                ("address_id", &building),
                ("description", "楼道垃圾堆积"),
            ],
            "10.77.0.2",
        )
        .await;
        let no =
            txt(&doc(&r, Fmt::Json, StatusCode::OK, "service_requests")[0]["service_request_id"]);
        let case = staff_case(&app, &no).await;
        let case_id = case["id"].as_i64().unwrap();
        let state = case["state"].clone();

        for (fmt, words) in [
            (Fmt::Json, "垃圾还在,又多了两袋"),
            (Fmt::Xml, "今天有人来看过"),
        ] {
            let r = post_update(
                &app,
                fmt,
                &[
                    ("api_key", &key),
                    ("service_request_id", &no),
                    ("update_id", "fms-881"),
                    ("description", words),
                    ("status", "OPEN"),
                    ("updated_datetime", "2026-11-24T10:30:00+08:00"),
                    ("first_name", "小明"),
                    ("last_name", "欧阳"),
                    ("email", "xiaoming@example.com"),
                    ("media_url", "https://fms.example.org/photo/9.jpeg"),
                ],
            )
            .await;
            let d = doc(&r, fmt, StatusCode::OK, "service_request_updates");
            let update_id = txt(&d[0]["update_id"]);
            let all = events(&app, case_id).await;
            let last = all.last().unwrap();
            assert_eq!(update_id, format!("{no}-{}", last["seq"]), "{d}");
            assert_eq!(last["action"], "comment", "{last}");
            let note = last["note"].as_str().unwrap_or_default();
            assert!(note.starts_with(words), "{last}");
            assert!(
                note.contains("https://fms.example.org/photo/9.jpeg"),
                "{last}"
            );
            assert_eq!(staff_case(&app, &no).await["state"], state);
        }
        let before = events(&app, case_id).await.len();

        // No api_key, a wrong one, or the key of an account that did not
        // report the case: refused, nothing written.
        let e = error(
            &post_update(
                &app,
                Fmt::Json,
                &[("service_request_id", &no), ("description", "x")],
            )
            .await,
            Fmt::Json,
            StatusCode::FORBIDDEN,
        );
        assert!(e.contains("api_key"), "{e}");
        let e = error(
            &post_update(
                &app,
                Fmt::Xml,
                &[
                    ("api_key", "not-a-key"),
                    ("service_request_id", &no),
                    ("description", "x"),
                ],
            )
            .await,
            Fmt::Xml,
            StatusCode::FORBIDDEN,
        );
        assert!(e.contains("api_key"), "{e}");
        let other = app.account("other_staff", Role::StreetStaff, Some(&w.tree.street), None);
        let r = post_update(
            &app,
            Fmt::Json,
            &[
                ("api_key", &other),
                ("service_request_id", &no),
                ("description", "x"),
            ],
        )
        .await;
        assert!(r.status.is_client_error(), "{}", r.text());

        // A request that does not exist, and a comment without words.
        let e = error(
            &post_update(
                &app,
                Fmt::Json,
                &[
                    ("api_key", &key),
                    ("service_request_id", "WG-20261124-99999"),
                    ("description", "x"),
                ],
            )
            .await,
            Fmt::Json,
            StatusCode::NOT_FOUND,
        );
        assert!(e.contains("WG-20261124-99999"), "{e}");
        let e = error(
            &post_update(
                &app,
                Fmt::Json,
                &[("api_key", &key), ("service_request_id", &no)],
            )
            .await,
            Fmt::Json,
            StatusCode::BAD_REQUEST,
        );
        assert!(e.starts_with("description"), "{e}");
        assert_eq!(events(&app, case_id).await.len(), before);
    });
}
