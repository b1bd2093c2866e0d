//! Internal categories (会议交办事项, 上级交办事项) are never offered to the
//! public, refused from it, and their cases never listed to anonymous callers.

use super::super::support::{on_both_backends, App};
use super::seed;
use axum::http::{Method, StatusCode};
use serde_json::json;

const INTERNAL: [&str; 2] = ["会议交办事项", "上级交办事项"];

async fn open311_post(app: &App, pairs: &[(&str, &str)], ip: &str) -> super::super::support::Reply {
    app.call(Method::POST, "/open311/v2/requests.json")
        .header("content-type", "application/x-www-form-urlencoded")
        .client_ip(ip)
        .raw(serde_urlencoded::to_string(pairs).unwrap().into_bytes())
        .send()
        .await
}

async fn case_count(app: &App) -> i64 {
    app.store
        .db
        .read(|c| c.query_one("SELECT COUNT(*) FROM cases", &[])?.get(0))
        .await
        .unwrap()
}

#[test]
fn internal_categories_stay_inside() {
    on_both_backends(|app| async move {
        seed(&app).await;
        let tree = app.tree().await;
        let anon = app.anonymous();

        // Not offered: the report form, Open311 services, the category list.
        let form = anon
            .call(Method::GET, "/report")
            .header("accept", "text/html")
            .send()
            .await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.text().contains("垃圾没有清运"));
        for name in INTERNAL {
            assert!(!form.text().contains(name), "{name} offered on /report");
        }
        for ext in ["json", "xml"] {
            let services = anon
                .get(&format!("/open311/v2/services.{ext}"))
                .await
                .text();
            assert!(services.contains("0101"), "{services}");
            assert!(
                !services.contains("1201") && !services.contains("1202"),
                "{services}"
            );
            let one = anon.get(&format!("/open311/v2/services/1202.{ext}")).await;
            assert_eq!(one.status, StatusCode::NOT_FOUND, "{}", one.text());
        }
        let cats = anon.get("/api/v1/categories").await.expect(StatusCode::OK);
        let codes: Vec<&str> = cats
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|k| k["code"].as_str())
            .collect();
        assert!(
            codes.contains(&"0101") && !codes.iter().any(|c| c.starts_with("12")),
            "{codes:?}"
        );
        // Everyone reads that list alike; a staff key sees them in Open311.
        let staff = app.get("/api/v1/categories").await.text();
        assert!(!staff.contains("\"1202\""), "{staff}");
        let services = app.get("/open311/v2/services.json").await.text();
        assert!(services.contains("1202"), "{services}");

        // Refused from the public, with words that say why.
        let before = case_count(&app).await;
        let r = open311_post(
            &anon,
            &[
                ("service_code", "1202"),
                ("address_id", &tree.building),
                ("description", "交办"),
            ],
            "10.17.3.1",
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
        assert!(
            r.text().contains("内部交办事项") && r.text().contains("internal task"),
            "{}",
            r.text()
        );
        let r = anon
            .call(Method::POST, "/api/v1/public/cases")
            .client_ip("10.17.3.2")
            .json(json!({"category": "1202", "unit": tree.building, "description": "交办"}))
            .send()
            .await;
        let p = r.problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "internal_category",
            Some("category"),
        );
        assert!(
            p["message_zh"].as_str().unwrap().contains("内部交办事项"),
            "{p}"
        );
        assert_eq!(case_count(&app).await, before, "nothing was filed");

        // A task filed by staff is not listed to the public.
        let task = app
            .post_json(
                "/api/v1/cases",
                json!({"category": "1202", "unit": tree.building, "description": "区里交办:整治占道经营", "source": "staff"}),
            )
            .await
            .expect(StatusCode::CREATED);
        let no = task["case"]["tracking_no"].as_str().unwrap().to_string();
        let public = app
            .post_json(
                "/api/v1/cases",
                json!({"category": "0101", "unit": tree.building, "description": "垃圾满了", "source": "staff"}),
            )
            .await
            .expect(StatusCode::CREATED);
        let public_no = public["case"]["tracking_no"].as_str().unwrap().to_string();
        for ext in ["json", "xml"] {
            for path in [
                format!("/open311/v2/requests.{ext}"),
                format!("/open311/v2/requests.{ext}?service_request_id={no},{public_no}"),
                format!("/open311/v2/servicerequestupdates.{ext}"),
            ] {
                let text = anon.get(&path).await.text();
                assert!(text.contains(&public_no), "{path}: {text}");
                assert!(
                    !text.contains(&no) && !text.contains("占道经营"),
                    "{path}: {text}"
                );
            }
            let one = anon.get(&format!("/open311/v2/requests/{no}.{ext}")).await;
            assert_eq!(one.status, StatusCode::NOT_FOUND, "{}", one.text());
        }
        let staff = app.get("/open311/v2/requests.json").await.text();
        assert!(staff.contains(&no), "{staff}");
    });
}
