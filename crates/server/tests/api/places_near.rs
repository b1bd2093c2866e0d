//! Issue 16, item 3: units have positions; a report with a position and no
//! place goes to the nearest located place within 2 km (else the default unit),
//! from the portal, the public API and Open311 alike; the report form lists
//! the places near a position first and chooses the nearest.

use super::open311::{next_ip, post_form, Fmt};
use super::support::{id, on_both_backends, App, Tree};
use axum::http::StatusCode;
use serde_json::json;

/// Where the tests stand: 康庄小区 is about 330 m north of it.
const HERE: (f64, f64) = (35.2400, 115.4800);

async fn located(app: &App) -> Tree {
    let tree = app.tree_with_categories().await;
    let set = app
        .put_json(
            &format!("/api/v1/units/{}/position", tree.compound),
            json!({"lat": 35.2430, "lon": 115.4800}),
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        (set["lat"].as_f64(), set["lon"].as_f64()),
        (Some(35.243), Some(115.48))
    );
    // The community stands 6 km away: too far to count as near.
    app.put_json(
        &format!("/api/v1/units/{}/position", tree.community),
        json!({"lat": 35.2940, "lon": 115.4800}),
    )
    .await
    .expect(StatusCode::OK);
    tree
}

async fn unit_and_log(app: &App) -> (String, String) {
    let list = app.get("/api/v1/cases").await.expect(StatusCode::OK);
    let newest = list["items"]
        .as_array()
        .and_then(|a| a.iter().max_by_key(|c| id(c)));
    let case = newest.expect("a case");
    let log = app
        .get(&format!("/api/v1/cases/{}/events", id(case)))
        .await
        .expect(StatusCode::OK)
        .to_string();
    (case["unit"].as_str().unwrap_or_default().to_string(), log)
}

#[test]
fn a_position_alone_goes_to_the_nearest_located_place_within_two_kilometres() {
    on_both_backends(|app| async move {
        let tree = located(&app).await;
        let anon = app.anonymous();
        anon.post_json(
            "/api/v1/public/cases",
            json!({"category": "0105", "unit": "", "description": "路边有人私搭彩钢房",
                   "lat": HERE.0, "lon": HERE.1}),
        )
        .await
        .expect(StatusCode::CREATED);
        let (unit, log) = unit_and_log(&app).await;
        assert_eq!(unit, tree.compound);
        assert!(log.contains("最近的地点“康庄小区”(约334米)"), "{log}");

        // Open311 without address_id, the same way.
        let r = post_form(
            &anon,
            Fmt::Json,
            &[
                ("service_code", "0105"),
                ("lat", "35.2401"),
                ("long", "115.4801"),
                ("description", "又一处彩钢房"),
            ],
            &next_ip(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let (unit, log) = unit_and_log(&app).await;
        assert_eq!(unit, tree.compound);
        assert!(log.contains("康庄小区"), "{log}");

        // Ten kilometres out nothing is near: the default unit, for staff.
        anon.post_json(
            "/api/v1/public/cases",
            json!({"category": "0105", "unit": "", "description": "远处的彩钢房",
                   "lat": 35.33, "lon": 115.48}),
        )
        .await
        .expect(StatusCode::CREATED);
        let (unit, log) = unit_and_log(&app).await;
        assert_eq!(unit, tree.zone);
        assert!(log.contains("已暂放默认单元"), "{log}");
    });
}

#[test]
fn the_report_form_lists_the_places_near_a_position_first_and_chooses_the_nearest() {
    on_both_backends(|app| async move {
        let tree = located(&app).await;
        let anon = app.anonymous();
        let places = anon
            .get(&format!(
                "/api/v1/public/places?lat={}&lon={}",
                HERE.0, HERE.1
            ))
            .await
            .expect(StatusCode::OK);
        assert_eq!(
            places["items"].as_array().map(Vec::len),
            Some(1),
            "{places}"
        );
        assert_eq!(places["items"][0]["code"], json!(tree.compound));
        assert_eq!(places["items"][0]["name"], json!("康庄小区"));
        assert_eq!(places["items"][0]["distance_m"], json!(334));

        // A link with `lng`, as map apps write it.
        let html = anon
            .get(&format!("/report?lat={}&lng={}", HERE.0, HERE.1))
            .await
            .text();
        let near = html.find("id=\"near-places\"").expect("a near group");
        let all = html.find("全部地点").expect("then all places");
        assert!(near < all);
        assert!(
            html.contains(&format!(
                "<option value=\"{}\" selected>康庄小区(约334米)",
                tree.compound
            )),
            "{html}"
        );
        // Without a position the form is as before: one list, nothing chosen.
        let plain = anon.get("/report").await.text();
        assert!(!plain.contains("near-places"));
        assert!(!plain.contains(" selected>康庄小区"));
    });
}

#[test]
fn bad_positions_are_refused_clearly_and_nothing_changes() {
    on_both_backends(|app| async move {
        let tree = located(&app).await;
        let path = format!("/api/v1/units/{}/position", tree.compound);
        let r = app
            .put_json(&path, json!({"lat": 95.0, "lon": 115.48}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert!(r.text().contains("纬度应在-90到90之间"), "{}", r.text());
        let r = app.put_json(&path, json!({"lat": 35.0})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("经度和纬度须同时填写"), "{}", r.text());
        let r = app
            .put_json(&path, json!({"lat": 35.0, "lng": 115.0}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("不认识的字段“lng”"), "{}", r.text());
        let unit = app
            .get(&format!("/api/v1/units/{}", tree.compound))
            .await
            .expect(StatusCode::OK);
        assert_eq!(
            (unit["lat"].as_f64(), unit["lon"].as_f64()),
            (Some(35.243), Some(115.48))
        );
        let r = app
            .put_json(
                "/api/v1/units/371799999999999/position",
                json!({"lat": 35.0, "lon": 115.0}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        // A resident cannot place units; the public list takes only real positions.
        let anon = app.anonymous();
        let r = anon
            .put_json(&path, json!({"lat": 35.0, "lon": 115.0}))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let r = anon.get("/api/v1/public/places?lat=135&lon=115").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        let r = anon.get("/api/v1/public/places?lat=north&lon=115").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());

        // Clearing takes the place out of what is near.
        app.put_json(&path, json!({"lat": null, "lon": null}))
            .await
            .expect(StatusCode::OK);
        let places = anon
            .get(&format!(
                "/api/v1/public/places?lat={}&lon={}",
                HERE.0, HERE.1
            ))
            .await
            .expect(StatusCode::OK);
        assert_eq!(places["items"], json!([]));
    });
}

#[test]
fn staff_place_a_unit_from_its_page_and_bad_values_change_nothing() {
    use super::web_admin::{field_error, post_form, world};
    use super::web_cases::page;
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let at = format!("/units/{}", w.building);
        let html = page(&app, &at, Some(&w.clerk)).await.text();
        assert!(html.contains("id=\"unit-position\">未定位"), "{html}");
        assert!(
            html.contains("id=\"save-position\""),
            "street staff may place units"
        );

        let r = post_form(
            &app,
            &format!("{at}/position"),
            &w.clerk,
            &[("lat", "35.2431"), ("lon", "115.4802")],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let html = page(&app, &format!("{at}?placed=1"), Some(&w.clerk))
            .await
            .text();
        assert!(
            html.contains("id=\"unit-position\">35.2431, 115.4802"),
            "{html}"
        );
        assert!(html.contains("id=\"placed\""), "{html}");

        // Out of range, half given, not a number: the message beside the
        // fields, what was typed kept, the stored position unchanged.
        for (lat, lon, says) in [
            ("95", "115.48", "纬度应在-90到90之间"),
            ("35.24", "", "经度和纬度须同时填写"),
            ("北纬35", "115.48", "“北纬35”不是数字"),
        ] {
            let r = post_form(
                &app,
                &format!("{at}/position"),
                &w.clerk,
                &[("lat", lat), ("lon", lon)],
            )
            .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{lat},{lon}");
            let html = r.text();
            assert!(
                field_error(&html, "position-error").contains(says),
                "{html}"
            );
            assert!(
                html.contains(&format!("name=\"lat\" value=\"{lat}\"")),
                "typed text kept"
            );
        }
        let unit = app
            .get(&format!("/api/v1/units/{}", w.building))
            .await
            .expect(StatusCode::OK);
        assert_eq!(
            (unit["lat"].as_f64(), unit["lon"].as_f64()),
            (Some(35.2431), Some(115.4802))
        );

        // A community cadre reads the position but is not offered the form,
        // and a post of theirs is refused.
        app.password_account(
            "cadre",
            "Lantern-river-2026",
            wangge_core::auth::Role::CommunityCadre,
            Some(&w.street),
            None,
        )
        .await;
        let cadre = app.session("cadre", "Lantern-river-2026").await;
        let html = page(&app, &at, Some(&cadre)).await.text();
        assert!(
            html.contains("35.2431, 115.4802") && !html.contains("save-position"),
            "{html}"
        );
        let r = post_form(
            &app,
            &format!("{at}/position"),
            &cadre,
            &[("lat", "35.0"), ("lon", "115.0")],
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let unit = app
            .get(&format!("/api/v1/units/{}", w.building))
            .await
            .expect(StatusCode::OK);
        assert_eq!(unit["lat"].as_f64(), Some(35.2431));
    });
}
