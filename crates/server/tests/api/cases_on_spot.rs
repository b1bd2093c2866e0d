//! Staff report as themselves (source `grid`, their account as reporter), and
//! 自行处置: a report that closes in the same request, with a note and photos.

use super::support::{id, on_both_backends, App, Tree, NOW};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};
use wangge_core::auth::Role;
use wangge_store::Scope;

async fn setup(app: &App) -> Tree {
    let ctx = app.store.ctx("setup", Scope::All, NOW);
    app.store
        .db
        .write(move |c| wangge_store::cases::seed_categories(c, &ctx))
        .await
        .unwrap();
    app.tree().await
}

fn patrol(unit: &str) -> Value {
    json!({
        "category": "0101",
        "unit": unit,
        "description": "3号楼东侧绿化带有人倾倒建筑垃圾",
        "address_detail": "3号楼东侧",
        "source": "grid",
    })
}

fn png() -> Vec<u8> {
    let mut out = Vec::new();
    let img = image::RgbImage::from_pixel(4, 3, image::Rgb([30, 160, 30]));
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

async fn photo(app: &App) -> i64 {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/attachments")
        .header(header::CONTENT_TYPE, "image/png");
    if let Some(t) = &app.token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let r = app.send(req.body(Body::from(png())).unwrap()).await;
    id(&r.expect(StatusCode::CREATED))
}

#[test]
fn a_grid_worker_reports_as_themselves_with_source_grid() {
    on_both_backends(|app| async move {
        let tree = setup(&app).await;
        let grid = app.as_user("grid_zhang", Role::GridWorker, Some(&tree.community), None);
        let session = grid.get("/api/v1/session").await.expect(StatusCode::OK);
        let me = &session["user"];
        let case = grid
            .post_json("/api/v1/cases", patrol(&tree.building))
            .await
            .expect(StatusCode::CREATED);
        let case = &case["case"];
        assert_eq!(case["source"], "grid");
        assert_eq!(case["state"], "reported");
        assert_eq!(case["reporter"]["anonymous"], false, "{case}");
        assert_eq!(case["reporter"]["user_id"], me["id"], "{case}");
        assert_eq!(case["reporter"]["staff"], me["display_name"], "{case}");
    });
}

#[test]
fn an_on_spot_report_is_closed_with_its_evidence_in_one_request() {
    on_both_backends(|app| async move {
        let tree = setup(&app).await;
        let grid = app.as_user("grid_zhang", Role::GridWorker, Some(&tree.community), None);
        let (before, after) = (photo(&grid).await, photo(&grid).await);
        let mut body = patrol(&tree.building);
        body["attachments"] = json!([before]);
        body["on_spot"] = json!({"note": "已联系物业当场清运", "evidence": [after]});
        let created = grid
            .post_json("/api/v1/cases", body)
            .await
            .expect(StatusCode::CREATED);
        let case = &created["case"];
        assert_eq!(case["state"], "closed", "{case}");
        assert_eq!(case["close_kind"]["kind"], "fixed", "{case}");
        assert!(case["closed_at"].is_string(), "{case}");
        assert_eq!(case["attachments"], json!([before, after]), "{case}");
        let cid = id(case);
        let events = grid
            .get(&format!("/api/v1/cases/{cid}/events"))
            .await
            .expect(StatusCode::OK);
        let actions: Vec<&str> = events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["report", "resolve_on_spot"]);
        // Both photos now belong to the case: neither can go to another one.
        let mut again = patrol(&tree.building);
        again["attachments"] = json!([after]);
        grid.post_json("/api/v1/cases", again).await.problem(
            StatusCode::CONFLICT,
            "attachment_linked",
            None,
        );
        let stats = grid
            .get(&format!(
                "/api/v1/stats/cases?unit={}&from=2026-11-01&to=2026-11-30",
                tree.community
            ))
            .await
            .expect(StatusCode::OK);
        assert_eq!(
            (&stats["received"], &stats["closed"], &stats["on_spot"]),
            (&json!(1), &json!(1), &json!(1)),
            "{stats}"
        );
    });
}

#[test]
fn an_on_spot_report_without_note_or_photo_is_refused_and_writes_nothing() {
    on_both_backends(|app| async move {
        let tree = setup(&app).await;
        let grid = app.as_user("grid_zhang", Role::GridWorker, Some(&tree.community), None);
        let shot = photo(&grid).await;
        let before = app.snapshot().await;
        for (on_spot, field, zh) in [
            (
                json!({"evidence": [shot]}),
                "note",
                "自行处置须填写处置说明",
            ),
            (
                json!({"note": "  ", "evidence": [shot]}),
                "note",
                "处置说明",
            ),
            (
                json!({"note": "已清运"}),
                "evidence",
                "自行处置须填写现场处置后的照片",
            ),
        ] {
            let mut body = patrol(&tree.building);
            body["on_spot"] = on_spot.clone();
            let p = grid.post_json("/api/v1/cases", body).await.problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "required",
                Some(field),
            );
            assert!(
                p["message_zh"].as_str().unwrap().contains(zh),
                "{on_spot}: {p}"
            );
            assert!(
                p["message_en"]
                    .as_str()
                    .unwrap()
                    .contains("resolve_on_spot"),
                "{p}"
            );
        }
        app.assert_unchanged(&before).await;
    });
}

#[test]
fn residents_and_departments_cannot_close_their_own_report() {
    on_both_backends(|app| async move {
        let tree = setup(&app).await;
        let resident = app.as_user("resident_li", Role::Resident, None, None);
        let org = app
            .post_json(
                "/api/v1/organisations",
                json!({"name": "开发区市场监管所", "kind": "department", "unit": tree.zone}),
            )
            .await
            .expect(StatusCode::CREATED);
        let dept = app.as_user("dept_wu", Role::DeptHandler, None, Some(id(&org)));
        let shots = [photo(&resident).await, photo(&dept).await];
        let before = app.snapshot().await;
        for (who, shot, source) in [
            (&resident, shots[0], "resident"),
            (&dept, shots[1], "staff"),
        ] {
            let mut body = patrol(&tree.building);
            body["source"] = json!(source);
            body["on_spot"] = json!({"note": "已清运", "evidence": [shot]});
            let p = who.post_json("/api/v1/cases", body).await.problem(
                StatusCode::CONFLICT,
                "role_not_allowed",
                None,
            );
            assert!(
                p["message_zh"].as_str().unwrap().contains("不能自行处置"),
                "{p}"
            );
            assert!(
                p["message_en"]
                    .as_str()
                    .unwrap()
                    .contains("resolve_on_spot"),
                "{p}"
            );
        }
        app.assert_unchanged(&before).await;
    });
}
