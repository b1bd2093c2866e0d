//! The case engine over HTTP: a case from report to rating across roles, the
//! resident's side with the follow token, attachments, statistics, and every
//! refusal the issue lists (with nothing written).

use super::support::{code, id, on_both_backends, App, Tree, NOW};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};
use wangge_core::auth::Role;
use wangge_store::Scope;

/// Categories, a department and the people who work a case.
struct World {
    tree: Tree,
    dept: i64,
    clerk: App,
    handler: App,
    grid: App,
}

async fn world(app: &App) -> World {
    let ctx = app.store.ctx("setup", Scope::All, NOW);
    app.store
        .db
        .write(move |c| wangge_store::cases::seed_categories(c, &ctx))
        .await
        .unwrap();
    let tree = app.tree().await;
    let dept = app
        .post_json(
            "/api/v1/organisations",
            json!({"name": "菏泽开发区市场监督管理局", "kind": "department", "unit": tree.zone}),
        )
        .await
        .expect(StatusCode::CREATED);
    let dept = id(&dept);
    World {
        clerk: app.as_user("clerk", Role::StreetStaff, Some(&tree.street), None),
        handler: app.as_user("handler", Role::DeptHandler, None, Some(dept)),
        grid: app.as_user("grid", Role::GridWorker, Some(&tree.community), None),
        tree,
        dept,
    }
}

fn report(unit: &str) -> Value {
    json!({
        "category": "0601",
        "unit": unit,
        "description": "3号楼东侧有人私搭彩钢房,占用消防通道",
        "source": "staff",
    })
}

async fn step(app: &App, case: i64, version: i64, body: Value) -> Value {
    let mut body = body;
    body["version"] = json!(version);
    app.post_json(&format!("/api/v1/cases/{case}/transitions"), body)
        .await
        .expect(StatusCode::OK)
}

/// A 4x3 PNG, made by the image crate's own encoder in the store tests'
/// fashion: the smallest real photo.
fn png() -> Vec<u8> {
    let mut out = Vec::new();
    let img = image::RgbImage::from_pixel(4, 3, image::Rgb([200, 30, 30]));
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

async fn upload(app: &App, path: &str, bytes: Vec<u8>, ctype: &str) -> super::support::Reply {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, ctype);
    if let Some(t) = &app.token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    app.send(req.body(Body::from(bytes)).unwrap()).await
}

#[test]
fn a_case_goes_from_report_to_rating_across_roles() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let before = app
            .get(&format!(
                "/api/v1/stats/cases?unit={}&from=2026-11-01&to=2026-11-30",
                w.tree.zone
            ))
            .await
            .expect(StatusCode::OK);

        // A resident reports with a photo, without an account.
        let resident = app.anonymous();
        let photo = upload(&resident, "/api/v1/public/attachments", png(), "image/png")
            .await
            .expect(StatusCode::CREATED);
        let mut body = report(&w.tree.building);
        body.as_object_mut().unwrap().remove("source");
        body["attachments"] = json!([id(&photo)]);
        body["name"] = json!("赵丁先");
        body["contact"] = json!("13800005678");
        let receipt = resident
            .post_json("/api/v1/public/cases", body)
            .await
            .expect(StatusCode::CREATED);
        let token = receipt["token"].as_str().unwrap().to_string();
        assert!(receipt["number"].as_str().unwrap().starts_with("WG-"));
        let receipt_text = receipt.to_string();
        assert!(
            !receipt_text.contains("赵丁先") && !receipt_text.contains("13800005678"),
            "no reporter data in public answers"
        );

        // The clerk finds it in the inbox and takes it through acceptance and dispatch.
        let inbox = w.clerk.get("/api/v1/inbox").await.expect(StatusCode::OK);
        let case = inbox
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["tracking_no"] == receipt["number"])
            .expect("in the clerk's inbox")
            .clone();
        let cid = id(&case);
        let detail = w
            .clerk
            .get(&format!("/api/v1/cases/{cid}"))
            .await
            .expect(StatusCode::OK);
        let steps: Vec<&str> = detail["next_steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            steps.contains(&"accept") && steps.contains(&"reject"),
            "{steps:?}"
        );
        let v = detail["version"].as_i64().unwrap();
        let c1 = step(&w.clerk, cid, v, json!({"action": "accept"})).await;
        let c2 = step(
            &w.clerk,
            cid,
            c1["version"].as_i64().unwrap(),
            json!({"action": "dispatch", "lead_org": w.dept}),
        )
        .await;
        assert_eq!(c2["state"], "dispatched");

        // The department handles it with evidence.
        let evidence = upload(&w.handler, "/api/v1/attachments", png(), "image/png")
            .await
            .expect(StatusCode::CREATED);
        let mine = w.handler.get("/api/v1/inbox").await.expect(StatusCode::OK);
        assert!(
            mine.as_array().unwrap().iter().any(|c| id(c) == cid),
            "in the handler's inbox"
        );
        let c3 = step(
            &w.handler,
            cid,
            c2["version"].as_i64().unwrap(),
            json!({"action": "handle", "evidence": [id(&evidence)], "note": "已拆除"}),
        )
        .await;
        assert_eq!(c3["state"], "handled");
        // The evidence now belongs to the case and the clerk may see it.
        let got = w
            .clerk
            .get(&format!("/api/v1/attachments/{}/thumbnail", id(&evidence)))
            .await;
        assert_eq!(got.status, StatusCode::OK);
        assert_eq!(got.headers[header::CONTENT_TYPE], "image/jpeg");

        // The grid worker verifies; the clerk closes as fixed.
        let c4 = step(
            &w.grid,
            cid,
            c3["version"].as_i64().unwrap(),
            json!({"action": "verify"}),
        )
        .await;
        let c5 = step(
            &w.clerk,
            cid,
            c4["version"].as_i64().unwrap(),
            json!({"action": "close", "close_kind": {"kind": "fixed"}}),
        )
        .await;
        assert_eq!(c5["state"], "closed");

        // The resident follows with the token and rates.
        let public = resident
            .get(&format!("/api/v1/public/cases/{token}"))
            .await
            .expect(StatusCode::OK);
        let text = public.to_string();
        for staff in ["clerk", "handler", "grid", "已拆除"] {
            assert!(
                !text.contains(staff),
                "the public timeline shows no staff names or notes: {text}"
            );
        }
        assert!(
            public["close_wording"]["zh"].as_str().unwrap_or("").len() > 3,
            "the closing says how it closed: {text}"
        );
        let photo_url = format!(
            "/api/v1/public/cases/{token}/attachments/{}/thumbnail",
            id(&photo)
        );
        assert_eq!(resident.get(&photo_url).await.status, StatusCode::OK);
        let rated = resident
            .post_json(
                &format!("/api/v1/public/cases/{token}/transitions"),
                json!({"action": "rate", "rating": 5, "comment": "很快"}),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(rated["state"], "rated");

        // The timeline is the event log, and the numbers moved.
        let events = w
            .clerk
            .get(&format!("/api/v1/cases/{cid}/events"))
            .await
            .expect(StatusCode::OK);
        let actions: Vec<&str> = events
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert_eq!(
            actions,
            ["report", "accept", "dispatch", "handle", "verify", "close", "rate"]
        );
        let after = app
            .get(&format!(
                "/api/v1/stats/cases?unit={}&from=2026-11-01&to=2026-11-30",
                w.tree.zone
            ))
            .await
            .expect(StatusCode::OK);
        assert_eq!(
            after["received"].as_i64().unwrap(),
            before["received"].as_i64().unwrap() + 1,
            "{after}"
        );
        assert_eq!(
            after["closed"].as_i64().unwrap(),
            before["closed"].as_i64().unwrap() + 1,
            "{after}"
        );
    });
}

#[test]
fn refused_steps_say_why_and_change_nothing() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let created = w
            .clerk
            .post_json("/api/v1/cases", report(&w.tree.building))
            .await
            .expect(StatusCode::CREATED);
        let cid = id(&created["case"]);
        let v = created["case"]["version"].as_i64().unwrap();
        let path = format!("/api/v1/cases/{cid}/transitions");
        let before = app.snapshot().await;

        // Not allowed from this state: the message lists what is.
        let p = w
            .clerk
            .post_json(
                &path,
                json!({"action": "close", "version": v, "close_kind": {"kind": "fixed"}}),
            )
            .await
            .problem(StatusCode::CONFLICT, "transition_not_allowed", None);
        assert!(p["message_en"].as_str().unwrap().contains("accept"), "{p}");
        // Not by this role.
        let handler = w
            .handler
            .post_json(&path, json!({"action": "accept", "version": v}))
            .await;
        assert!(
            matches!(
                handler.status,
                StatusCode::NOT_FOUND | StatusCode::CONFLICT | StatusCode::FORBIDDEN
            ),
            "{}",
            handler.text()
        );
        let grid = w
            .grid
            .post_json(&path, json!({"action": "accept", "version": v}))
            .await;
        assert!(
            matches!(grid.status, StatusCode::CONFLICT | StatusCode::FORBIDDEN),
            "{}",
            grid.text()
        );
        // Reject needs a reason.
        w.clerk
            .post_json(&path, json!({"action": "reject", "version": v}))
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "required", Some("reason"));
        // A stale version.
        let p = w
            .clerk
            .post_json(&path, json!({"action": "accept", "version": v - 1}))
            .await
            .problem(StatusCode::CONFLICT, "stale_version", None);
        assert!(!p["message_zh"].as_str().unwrap().is_empty());
        // An unknown action is a wrong value.
        let r = w
            .clerk
            .post_json(&path, json!({"action": "teleport", "version": v}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        app.assert_unchanged(&before).await;

        // Handled needs evidence.
        let c1 = step(&w.clerk, cid, v, json!({"action": "accept"})).await;
        let c2 = step(
            &w.clerk,
            cid,
            c1["version"].as_i64().unwrap(),
            json!({"action": "dispatch", "lead_org": w.dept}),
        )
        .await;
        let before = app.snapshot().await;
        w.handler
            .post_json(&path, json!({"action": "handle", "version": c2["version"]}))
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "required",
                Some("evidence"),
            );
        app.assert_unchanged(&before).await;
    });
}

#[test]
fn two_handlers_at_once_get_one_success_and_one_conflict() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let created = w
            .clerk
            .post_json("/api/v1/cases", report(&w.tree.building))
            .await
            .expect(StatusCode::CREATED);
        let cid = id(&created["case"]);
        let v = created["case"]["version"].as_i64().unwrap();
        let path = format!("/api/v1/cases/{cid}/transitions");
        let other = app.as_user("clerk2", Role::StreetStaff, Some(&w.tree.street), None);
        let (a, b) = tokio::join!(
            w.clerk
                .post_json(&path, json!({"action": "accept", "version": v})),
            other.post_json(
                &path,
                json!({"action": "reject", "version": v, "reason": "不属实"})
            ),
        );
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT],
            "{} / {}",
            a.text(),
            b.text()
        );
    });
}

#[test]
fn bad_reports_are_refused_before_anything_is_written() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let before = app.snapshot().await;
        let bad = |patch: Value| {
            let mut body = report(&w.tree.building);
            for (k, v) in patch.as_object().unwrap() {
                body[k] = v.clone();
            }
            body
        };
        for (patch, code, field) in [
            (json!({"category": "9999"}), "unknown_category", "category"),
            (json!({"unit": "999999999"}), "unknown_unit", "unit"),
            (json!({"lat": 91.0, "lon": 115.0}), "", "lat"),
            (json!({"lat": 35.2, "lon": 181.0}), "", "lon"),
            (
                json!({"reported_at": "2030-01-01T00:00:00+08:00"}),
                "",
                "reported_at",
            ),
            (
                json!({"description": "很".repeat(wangge_store::cases::MAX_DESCRIPTION + 1)}),
                "too_long",
                "description",
            ),
        ] {
            let r = w.clerk.post_json("/api/v1/cases", bad(patch.clone())).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{patch}: {}",
                r.text()
            );
            let p = r.json();
            assert_eq!(p["field"], field, "{patch}: {p}");
            if !code.is_empty() {
                assert_eq!(p["code"], code, "{patch}: {p}");
            }
        }
        // An executable dressed as a photo, an empty file and an oversized one: refused, no case.
        let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
        elf.resize(4096, 0);
        let r = upload(&w.clerk, "/api/v1/attachments", elf, "image/jpeg").await;
        assert_eq!(
            r.problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "attachment_type",
                Some("file")
            )["code"],
            "attachment_type"
        );
        upload(&w.clerk, "/api/v1/attachments", Vec::new(), "image/png")
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "attachment_empty",
                Some("file"),
            );
        let big = vec![0u8; 10 * 1024 * 1024 + 10];
        assert_eq!(
            upload(&w.clerk, "/api/v1/attachments", big, "image/png")
                .await
                .status,
            StatusCode::PAYLOAD_TOO_LARGE
        );
        app.assert_unchanged(&before).await;
    });
}

#[test]
fn a_retry_with_the_same_idempotency_key_creates_one_case() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let send = |body: Value| {
            let clerk = w.clerk.clone();
            async move {
                let req = Request::post("/api/v1/cases")
                    .header(header::CONTENT_TYPE, "application/json")
                    .header(
                        header::AUTHORIZATION,
                        format!("Bearer {}", clerk.token.clone().unwrap()),
                    )
                    .header("idempotency-key", "retry-7f3a")
                    .body(Body::from(body.to_string()))
                    .unwrap();
                clerk.send(req).await
            }
        };
        let first = send(report(&w.tree.building))
            .await
            .expect(StatusCode::CREATED);
        let again = send(report(&w.tree.building)).await.expect(StatusCode::OK);
        assert_eq!(id(&first["case"]), id(&again["case"]));
        let before = app.snapshot().await;
        let mut other = report(&w.tree.building);
        other["description"] = json!("另一件事");
        send(other).await.problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            Some("Idempotency-Key"),
        );
        app.assert_unchanged(&before).await;
        let list = w.clerk.get("/api/v1/cases").await.expect(StatusCode::OK);
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
    });
}

#[test]
fn tips_hide_their_reporter_and_departments_see_only_their_cases() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let resident = app.anonymous();
        let receipt = resident
            .post_json("/api/v1/public/cases", json!({
                "category": "0901", "unit": w.tree.community,
                "description": "某KTV疑似有人放高利贷", "name": "匿名群众", "contact": "13900001111"
            }))
            .await
            .expect(StatusCode::CREATED);
        let number = receipt["number"].as_str().unwrap();
        // The zone administrator reads tips (the default readers), reporter included.
        let list = app.get("/api/v1/cases").await.expect(StatusCode::OK);
        assert!(list.to_string().contains("匿名群众"), "{list}");
        let cid = id(&list["items"].as_array().unwrap()[0]);
        // A grid worker is not among the tip's readers: it sees nothing of it
        // (`privacy/tips.rs` has the reader sets).
        let grid = w.grid.get("/api/v1/cases").await.expect(StatusCode::OK);
        let text = grid.to_string();
        assert!(!text.contains(number), "{text}");
        assert!(
            !text.contains("匿名群众") && !text.contains("13900001111"),
            "{text}"
        );
        w.grid.get(&format!("/api/v1/cases/{cid}")).await.problem(
            StatusCode::NOT_FOUND,
            "not_found",
            None,
        );
        // A grid worker or cadre asking for confidential cases explicitly is refused.
        w.grid.get("/api/v1/cases?confidential=true").await.problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            None,
        );
        // The department sees nothing until a case is dispatched to it.
        let theirs = w.handler.get("/api/v1/cases").await.expect(StatusCode::OK);
        assert!(theirs["items"].as_array().unwrap().is_empty(), "{theirs}");
        w.handler
            .get(&format!("/api/v1/cases/{cid}"))
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);
        // An out-of-scope cadre cannot open it either.
        let other_street = app.unit("street", "佃户屯街道", &w.tree.zone).await;
        let outsider = app.as_user(
            "outsider",
            Role::StreetStaff,
            Some(&code(&other_street)),
            None,
        );
        outsider.get(&format!("/api/v1/cases/{cid}")).await.problem(
            StatusCode::NOT_FOUND,
            "not_found",
            None,
        );
    });
}

#[test]
fn staff_move_a_case_to_the_right_unit_with_a_logged_reason() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let created = w
            .clerk
            .post_json("/api/v1/cases", report(&w.tree.building))
            .await
            .expect(StatusCode::CREATED);
        let cid = id(&created["case"]);
        let next_door = app.unit("community", "七一社区", &w.tree.street).await;
        let period = "from=2026-11-01&to=2026-11-30";
        let count = |unit: String| {
            let app = app.clone();
            async move {
                app.get(&format!("/api/v1/stats/cases?unit={unit}&{period}"))
                    .await
                    .expect(StatusCode::OK)["received"]
                    .as_i64()
                    .unwrap()
            }
        };
        assert_eq!(count(w.tree.community.clone()).await, 1);
        let path = format!("/api/v1/cases/{cid}/move");
        let elsewhere = app.unit("street", "佃户屯街道", &w.tree.zone).await;
        let before = app.snapshot().await;
        w.grid
            .post_json(&path, json!({"unit": code(&next_door), "reason": "x"}))
            .await
            .problem(StatusCode::FORBIDDEN, "forbidden", None);
        w.clerk
            .post_json(&path, json!({"unit": code(&next_door), "reason": " "}))
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "required", Some("reason"));
        w.clerk
            .post_json(&path, json!({"unit": "999", "reason": "实际在隔壁"}))
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_unit",
                Some("unit"),
            );
        // A unit outside the clerk's street is as unknown as one that does not exist.
        w.clerk
            .post_json(
                &path,
                json!({"unit": code(&elsewhere), "reason": "实际在隔壁"}),
            )
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_unit",
                Some("unit"),
            );
        app.assert_unchanged(&before).await;

        let moved = w
            .clerk
            .post_json(
                &path,
                json!({"unit": code(&next_door), "reason": "实际位于七一社区"}),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(moved["unit"], code(&next_door));
        // The statistics moved with it; the street's total did not change.
        assert_eq!(count(w.tree.community.clone()).await, 0);
        assert_eq!(count(code(&next_door)).await, 1);
        assert_eq!(count(w.tree.street.clone()).await, 1);
        let events = w
            .clerk
            .get(&format!("/api/v1/cases/{cid}/events"))
            .await
            .expect(StatusCode::OK);
        let last = events.as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["action"], "move_unit");
        assert_eq!(last["note"], "实际位于七一社区");
    });
}
