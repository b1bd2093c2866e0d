//! `/api/v1/imports`, `/api/v1/exports`, `/api/v1/templates`: upload a file,
//! follow the run, download its report; export a list masked or in full;
//! download a template. Both backends.

use super::support::{id_number, masked, on_both_backends};
use axum::http::{Method, StatusCode};
use wangge_core::auth::Role;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn people_csv(t: &super::support::Tree, rows: &[(&str, &str)]) -> String {
    let mut s = String::from("\u{feff}姓名,身份证号,联系电话,单元代码,单元,房号\n");
    for (name, id) in rows {
        s.push_str(&format!("{name},{id},13812345678,{},2,301\n", t.building));
    }
    s
}

#[test]
fn a_file_is_uploaded_followed_exported_and_imported_back_unchanged() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        let r = app.get("/api/v1/templates/people").await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.content_type(), Some(XLSX));
        assert!(r.body.starts_with(b"PK"));
        let disposition = r.header("content-disposition").unwrap();
        assert!(
            disposition.contains("people-template.xlsx"),
            "{disposition}"
        );
        assert!(
            disposition.contains("filename*=UTF-8''%E4%BA%BA%E5%91%98"),
            "{disposition}"
        );

        let (a, b) = (id_number("19800101", 11), id_number("19820202", 22));
        let csv = people_csv(&t, &[("王五", &a), ("李娜", &b)]);
        let s = app
            .send_raw(
                Method::POST,
                "/api/v1/imports/people?file_name=p.csv",
                Some("text/csv"),
                csv.clone(),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(s["committed"], true, "{s}");
        assert_eq!(s["created"], 2);
        let run = s["run_id"].as_i64().unwrap();
        let status = app
            .get(&format!("/api/v1/imports/runs/{run}"))
            .await
            .expect(StatusCode::OK);
        assert_eq!(status["status"], "committed");
        assert_eq!(status["file_name"], "p.csv");
        assert_eq!(status["created"], 2);
        // Another user cannot see the run.
        let other = app.as_user("other", Role::ZoneAdmin, None, None);
        other
            .get(&format!("/api/v1/imports/runs/{run}"))
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);

        // The masked export cannot be imported back: its ID numbers are masked.
        let r = app
            .get(&format!("/api/v1/exports/people?unit={}", t.community))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.content_type(), Some(XLSX));
        assert!(r.header("content-disposition").unwrap().contains(".xlsx"));
        let s = app
            .send_raw(
                Method::POST,
                "/api/v1/imports/people",
                Some(XLSX),
                r.body.clone(),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(s["committed"], false);
        assert_eq!(s["rejected"], 2);
        assert_eq!(s["issues"][0]["column"], "B 身份证号");
        assert!(s["issues"][0]["message_zh"]
            .as_str()
            .unwrap()
            .contains("身份证"));
        let run = s["run_id"].as_i64().unwrap();
        let report = app.get(&format!("/api/v1/imports/runs/{run}/report")).await;
        assert_eq!(report.status, StatusCode::OK);
        assert!(report.body.starts_with(b"PK"));

        // In full, with a reason, as CSV: it imports back with nothing changed.
        let r = app
            .get("/api/v1/exports/people?format=csv&unmask=true&reason=%E6%A0%B8%E5%AF%B9")
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.content_type(), Some("text/csv; charset=utf-8"));
        let text = r.text();
        assert!(text.contains(&a) && text.contains("13812345678"), "{text}");
        let s = app
            .send_raw(
                Method::POST,
                "/api/v1/imports/people",
                Some("text/csv"),
                r.body.clone(),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(
            (s["created"].as_i64(), s["unchanged"].as_i64()),
            (Some(0), Some(2)),
            "{s}"
        );
        let masked_csv = app.get("/api/v1/exports/people?format=csv").await.text();
        assert!(masked_csv.contains(&masked(&a)) && !masked_csv.contains(&a));

        // Every export is in the audit log, the unmasked one with its reason.
        let log = app
            .get("/api/v1/audit?entity=export")
            .await
            .expect(StatusCode::OK);
        let text = log.to_string();
        assert!(
            text.contains("export_unmasked") && text.contains("核对"),
            "{text}"
        );
    });
}

#[test]
fn uploads_and_exports_are_refused_clearly() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        app.send_raw(
            Method::POST,
            "/api/v1/imports/vehicles",
            Some("text/csv"),
            "a",
        )
        .await
        .problem(StatusCode::NOT_FOUND, "not_found", None);
        app.send_raw(Method::POST, "/api/v1/imports/people", Some("text/csv"), "")
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "file_empty", Some("file"));
        let p = app
            .send_raw(
                Method::POST,
                "/api/v1/imports/people",
                Some("text/csv"),
                "名字,号码\n张三,1\n",
            )
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "bad_header", Some("file"));
        assert!(
            p["message_zh"].as_str().unwrap().contains("身份证号"),
            "{p}"
        );
        app.get("/api/v1/exports/people?unmask=true").await.problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "reason_required",
            Some("reason"),
        );
        assert_eq!(
            app.get("/api/v1/exports/people?format=pdf").await.status,
            StatusCode::BAD_REQUEST
        );
        app.get("/api/v1/exports/people?unit=999999").await.problem(
            StatusCode::NOT_FOUND,
            "not_found",
            None,
        );

        // Roles: an auditor may not import; a grid worker may not export.
        let auditor = app.as_user("auditor", Role::Auditor, None, None);
        auditor
            .send_raw(
                Method::POST,
                "/api/v1/imports/people",
                Some("text/csv"),
                "姓名,身份证号\n",
            )
            .await
            .problem(StatusCode::FORBIDDEN, "forbidden", None);
        let worker = app.as_user("worker", Role::GridWorker, Some(&t.community), None);
        worker.get("/api/v1/exports/people").await.problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            None,
        );
        worker
            .send_raw(
                Method::POST,
                "/api/v1/imports/units",
                Some("text/csv"),
                "单元名称\n",
            )
            .await
            .problem(StatusCode::FORBIDDEN, "forbidden", None);

        // Not waiting: 202 with the run id, then the run can be followed.
        let csv = people_csv(&t, &[("赵六", &id_number("19900303", 33))]);
        let r = app
            .send_raw(
                Method::POST,
                "/api/v1/imports/people?wait=false",
                Some("text/csv"),
                csv,
            )
            .await;
        assert!(
            matches!(r.status, StatusCode::ACCEPTED | StatusCode::OK),
            "{}",
            r.text()
        );
        let run = r.json()["run_id"].as_i64().unwrap();
        let mut status = serde_json::Value::Null;
        for _ in 0..100 {
            status = app
                .get(&format!("/api/v1/imports/runs/{run}"))
                .await
                .expect(StatusCode::OK);
            if status["status"] != "running" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(status["status"], "committed", "{status}");
        assert_eq!(status["created"], 1);
    });
}
