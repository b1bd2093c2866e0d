//! Who reads a tip: its category's reader set, set by the zone administrator
//! (`PATCH /api/v1/categories/{code}`), enforced in every read, told on the
//! `/tip` form as configured; the audit log hides a tip's reporter from
//! everyone outside its readers, auditor included; a tip is never merged into
//! an ordinary case.

use super::super::support::{id, on_both_backends, App};
use super::seed;
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use wangge_core::auth::Role;

const IP: &str = "10.17.9.4";

fn png() -> Vec<u8> {
    let mut out = Vec::new();
    let img = image::RgbImage::from_pixel(4, 3, image::Rgb([200, 30, 30]));
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// A tip (扫黑除恶线索 › 0901) with a photo, by an anonymous resident at [`IP`].
async fn tip(app: &App, unit: &str) -> (i64, i64) {
    let anon = app.anonymous();
    let photo = anon
        .call(Method::POST, "/api/v1/public/attachments")
        .header("content-type", "image/png")
        .client_ip(IP)
        .raw(png())
        .send()
        .await
        .expect(StatusCode::CREATED);
    let made = anon
        .call(Method::POST, "/api/v1/public/cases")
        .client_ip(IP)
        .json(json!({"category": "0901", "unit": unit,
            "description": "药王庄某KTV疑似有人放高利贷", "name": "赵敏",
            "attachments": [id(&photo)]}))
        .send()
        .await
        .expect(StatusCode::CREATED);
    // The public answer has no id; the zone administrator finds it by number.
    let no = made["number"].as_str().expect("number");
    let found = app
        .get(&format!("/api/v1/cases?text={no}"))
        .await
        .expect(StatusCode::OK);
    let case = found["items"][0]["id"].as_i64().expect("the tip");
    (case, id(&photo))
}

async fn listed(who: &App) -> Vec<i64> {
    who.get("/api/v1/cases?limit=200")
        .await
        .expect(StatusCode::OK)["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|c| c["id"].as_i64())
        .collect()
}

async fn tip_page(app: &App) -> String {
    let r = app
        .anonymous()
        .call(Method::GET, "/tip")
        .header("accept", "text/html")
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK);
    r.text()
}

#[test]
fn a_tip_is_read_by_its_categorys_readers_and_the_tip_form_names_them() {
    on_both_backends(|app| async move {
        seed(&app).await;
        let tree = app.tree().await;
        let (case, _) = tip(&app, &tree.building).await;
        let path = format!("/api/v1/cases/{case}");
        let cadre = app.as_user("yaowang", Role::CommunityCadre, Some(&tree.community), None);
        let street = app.as_user("street_li", Role::StreetStaff, Some(&tree.street), None);

        // Default readers: the street reads it, reporter included; the
        // community's cadre sees nothing of it.
        let seen = street.get(&path).await.expect(StatusCode::OK);
        assert_eq!(seen["reporter"]["name"], "赵敏");
        assert!(listed(&street).await.contains(&case));
        cadre
            .get(&path)
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);
        assert!(!listed(&cadre).await.contains(&case));
        let page = tip_page(&app).await;
        assert!(
            page.contains("区管理员和街道工作人员能看到举报全文和您的姓名、电话"),
            "{page}"
        );
        assert!(!page.contains("社区干部能看到"), "{page}");

        // Refused: a set nobody could dispatch, a role that cannot read tips;
        // and anyone but the zone administrator. Nothing changes.
        let before = app.snapshot().await;
        for (body, code) in [
            (
                json!({"roles": ["community_cadre"]}),
                "tip_readers_dispatch",
            ),
            (
                json!({"roles": ["zone_admin", "dept_handler"]}),
                "tip_reader_role",
            ),
            (
                json!({"roles": ["zone_admin"], "orgs": [999999]}),
                "unknown_org",
            ),
        ] {
            app.patch_json("/api/v1/categories/09", json!({"tip_readers": body}))
                .await
                .problem(StatusCode::UNPROCESSABLE_ENTITY, code, Some("tip_readers"));
        }
        street
            .patch_json(
                "/api/v1/categories/09",
                json!({"tip_readers": {"roles": ["zone_admin", "street_staff", "community_cadre"]}}),
            )
            .await
            .problem(StatusCode::FORBIDDEN, "forbidden", None);
        app.assert_unchanged(&before).await;

        // Community cadres made readers of the major: the minor inherits, the
        // cadre reads the tip, and the form says so.
        let k = app
            .patch_json(
                "/api/v1/categories/09",
                json!({"tip_readers": {"roles": ["zone_admin", "street_staff", "community_cadre"]}}),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(
            k["tip_readers_effective"]["roles"],
            json!(["zone_admin", "street_staff", "community_cadre"])
        );
        let seen = cadre.get(&path).await.expect(StatusCode::OK);
        assert_eq!(seen["reporter"]["name"], "赵敏");
        assert!(listed(&cadre).await.contains(&case));
        let page = tip_page(&app).await;
        assert!(
            page.contains("区管理员、街道工作人员和社区干部能看到举报全文和您的姓名、电话"),
            "{page}"
        );
        // Back to inheriting the default: the cadre loses it again.
        app.patch_json("/api/v1/categories/09", json!({"tip_readers": null}))
            .await
            .expect(StatusCode::OK);
        cadre
            .get(&path)
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);
    });
}

fn entries_of(v: &Value, case: i64, photo: i64) -> Vec<Value> {
    v.as_array()
        .expect("entries")
        .iter()
        .filter(|e| {
            (e["entity"] == "case" && e["entity_id"] == case)
                || (e["entity"] == "attachment" && e["entity_id"] == photo)
        })
        .cloned()
        .collect()
}

#[test]
fn the_audit_log_shows_a_tips_reporter_only_to_its_readers() {
    on_both_backends(|app| async move {
        seed(&app).await;
        let tree = app.tree().await;
        let (case, photo) = tip(&app, &tree.building).await;
        let auditor = app.as_user("auditor_sun", Role::Auditor, None, None);

        // The auditor: the report, the upload and its link, none naming the reporter.
        let r = auditor.get("/api/v1/audit?limit=500").await;
        let mine = entries_of(&r.expect(StatusCode::OK), case, photo);
        assert!(mine.len() >= 3, "{mine:?}");
        for e in &mine {
            assert_eq!(e["actor"], "（举报人已隐藏）", "{e}");
            assert_eq!(e["client_addr"], "（举报人已隐藏）", "{e}");
            assert_eq!(e["reporter_hidden"], true);
        }
        assert!(!r.text().contains(IP), "{}", r.text());
        let by_actor = auditor
            .get(&format!("/api/v1/audit?actor=resident@{IP}"))
            .await
            .expect(StatusCode::OK);
        assert_eq!(by_actor, json!([]));
        // Nor its export.
        let csv = auditor.get("/api/v1/exports/audit?format=csv").await;
        assert_eq!(csv.status, StatusCode::OK, "{}", csv.text());
        assert!(!csv.text().contains(IP), "{}", csv.text());
        assert!(csv.text().contains("（举报人已隐藏）"));

        // The zone administrator reads tips: the same entries, in full.
        let full = entries_of(
            &app.get("/api/v1/audit?limit=500")
                .await
                .expect(StatusCode::OK),
            case,
            photo,
        );
        assert_eq!(full.len(), mine.len());
        for (a, b) in full.iter().zip(&mine) {
            assert_eq!(a["actor"], format!("resident@{IP}"));
            assert_eq!(a["hash"], b["hash"]);
        }
    });
}

#[test]
fn a_tip_is_not_merged_into_an_ordinary_case() {
    on_both_backends(|app| async move {
        seed(&app).await;
        let tree = app.tree().await;
        let (case, photo) = tip(&app, &tree.building).await;
        let ordinary = app
            .post_json(
                "/api/v1/cases",
                json!({"category": "0101", "unit": tree.building, "description": "垃圾没有清运",
                    "source": "staff"}),
            )
            .await
            .expect(StatusCode::CREATED);
        let ordinary = ordinary["case"]["id"]
            .as_i64()
            .or_else(|| ordinary["id"].as_i64())
            .expect("id");
        let before = app.snapshot().await;
        let p = app
            .post_json(
                &format!("/api/v1/cases/{case}/merge"),
                json!({"into": ordinary, "reason": "同一问题"}),
            )
            .await
            .problem(StatusCode::CONFLICT, "tip_merge_refused", None);
        assert!(
            p["message_zh"]
                .as_str()
                .unwrap_or_default()
                .contains("举报线索不能并入普通案件"),
            "{p}"
        );
        app.assert_unchanged(&before).await;
        // The photo stays with the tip.
        let a = app
            .get(&format!("/api/v1/attachments/{photo}"))
            .await
            .expect(StatusCode::OK);
        assert_eq!(a["owner"]["id"], case, "{a}");
    });
}
