//! `/api/v1/equipment` and `/api/v1/construction-sites`, and their pages: the
//! registry list with its alert column, a piece of equipment with its forms,
//! and the alert block on the home page and the dashboard, in both languages.
//! Today is 2026-11-24 in Beijing (`support::NOW`).

use super::support::{code, id, on_both_backends, App, Session, NOW};
use axum::http::StatusCode;
use serde_json::{json, Value};
use wangge_core::auth::Role;
use wangge_store::Scope;

mod forms;
mod web;

struct Fixture {
    tree: super::support::Tree,
    /// A second community of the street, with its own compound.
    other_compound: String,
    property: i64,
    maintainer: i64,
}

async fn fixture(app: &App) -> Fixture {
    let tree = app.tree().await;
    let other = app.unit("community", "桂陵社区", &tree.street).await;
    let other_compound = code(&app.unit("compound", "桂陵花园", &code(&other)).await);
    let org =
        |name: &str, kind: &str, unit: &str| json!({"name": name, "kind": kind, "unit": unit});
    let property = id(&app
        .post_json(
            "/api/v1/organisations",
            org("康庄物业", "property_company", &tree.compound),
        )
        .await
        .expect(StatusCode::CREATED));
    let maintainer = id(&app
        .post_json(
            "/api/v1/organisations",
            org("菏泽通力电梯维保", "enterprise", &tree.zone),
        )
        .await
        .expect(StatusCode::CREATED));
    Fixture {
        tree,
        other_compound,
        property,
        maintainer,
    }
}

fn elevator(f: &Fixture, reg: &str, unit: &str, next: &str, last_maint: &str) -> Value {
    json!({
        "registration_code": reg, "kind": "elevator", "unit": unit, "location": "1单元",
        "use_org_id": f.property, "maintenance_org_id": f.maintainer, "model": "曳引式乘客电梯",
        "installed_on": "2016-04-01", "last_inspected_on": "2025-11-01", "next_inspection_due": next,
        "last_maintained_on": last_maint
    })
}

/// Three lifts: inspection overdue (OVER), due in 10 days (SOON), maintenance
/// overdue (MAINT) in the other compound; and one without alerts (FINE).
async fn registry(app: &App, f: &Fixture) -> Vec<i64> {
    let mut ids = Vec::new();
    for body in [
        elevator(f, "DT-OVER", &f.tree.compound, "2026-11-01", "2026-11-20"),
        elevator(f, "DT-SOON", &f.tree.building, "2026-12-04", "2026-11-20"),
        elevator(f, "DT-MAINT", &f.other_compound, "2027-06-01", "2026-10-01"),
        elevator(f, "DT-FINE", &f.tree.building, "2027-06-01", "2026-11-20"),
    ] {
        ids.push(id(&app
            .post_json("/api/v1/equipment", body)
            .await
            .expect(StatusCode::CREATED)));
    }
    ids
}

fn codes(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            e["registration_code"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[test]
fn registers_lists_filters_and_alerts() {
    on_both_backends(|app| async move {
        let f = fixture(&app).await;
        let ids = registry(&app, &f).await;
        let e = app
            .get(&format!("/api/v1/equipment/{}", ids[0]))
            .await
            .expect(StatusCode::OK);
        assert_eq!(e["equipment"]["registration_code"], "DT-OVER");
        assert_eq!(e["equipment"]["alerts"][0]["kind"], "inspection_overdue");
        assert_eq!(e["equipment"]["alerts"][0]["days_overdue"], 23);
        assert_eq!(e["equipment"]["use_org_name"], "康庄物业");
        assert_eq!(e["maintenance"], json!([]));

        let all = app.get("/api/v1/equipment").await.expect(StatusCode::OK);
        assert_eq!(codes(&all).len(), 4);
        let under = app
            .get(&format!("/api/v1/equipment?unit={}", f.tree.compound))
            .await
            .expect(StatusCode::OK);
        assert_eq!(codes(&under), ["DT-OVER", "DT-SOON", "DT-FINE"]);
        for (alert, want) in [
            ("inspection_overdue", "DT-OVER"),
            ("inspection_due", "DT-SOON"),
            ("maintenance_overdue", "DT-MAINT"),
        ] {
            let p = app
                .get(&format!("/api/v1/equipment?alert={alert}"))
                .await
                .expect(StatusCode::OK);
            assert_eq!(codes(&p), [want], "{alert}");
        }
        let short = app
            .get("/api/v1/equipment?alert=inspection_due&within_days=5")
            .await
            .expect(StatusCode::OK);
        assert!(codes(&short).is_empty());

        let alerts = app
            .get("/api/v1/equipment/alerts")
            .await
            .expect(StatusCode::OK);
        assert_eq!(alerts["today"], "2026-11-24");
        assert_eq!(
            alerts["counts"],
            json!({"inspection_overdue": 1, "inspection_due": 1, "maintenance_overdue": 1})
        );
        let order: Vec<&str> = alerts["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["registration_code"].as_str().unwrap())
            .collect();
        assert_eq!(order, ["DT-MAINT", "DT-OVER", "DT-SOON"]);

        // A community cadre of the other community sees only its own lift.
        let cadre = app.as_user("cadre", Role::CommunityCadre, Some(&f.tree.community), None);
        let mine = cadre
            .get("/api/v1/equipment/alerts")
            .await
            .expect(StatusCode::OK);
        assert_eq!(mine["counts"]["maintenance_overdue"], 0);
        assert_eq!(mine["counts"]["inspection_overdue"], 1);
        cadre
            .get(&format!("/api/v1/equipment/{}", ids[2]))
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);
    });
}

#[test]
fn records_move_dates_and_status_changes() {
    on_both_backends(|app| async move {
        let f = fixture(&app).await;
        let ids = registry(&app, &f).await;
        let maint = app
            .post_json(
                &format!("/api/v1/equipment/{}/maintenance", ids[2]),
                json!({"done_on": "2026-11-23", "note": "更换门锁"}),
            )
            .await
            .expect(StatusCode::CREATED);
        assert_eq!(maint["org_name"], "菏泽通力电梯维保");
        let insp = app
            .post_json(
                &format!("/api/v1/equipment/{}/inspections", ids[0]),
                json!({"inspected_on": "2026-11-24", "result": "pass", "report_no": "TJ-2026-118"}),
            )
            .await
            .expect(StatusCode::CREATED);
        assert_eq!(insp["next_due"], "2027-11-24");
        let alerts = app
            .get("/api/v1/equipment/alerts")
            .await
            .expect(StatusCode::OK);
        assert_eq!(
            alerts["counts"],
            json!({"inspection_overdue": 0, "inspection_due": 1, "maintenance_overdue": 0})
        );
        let e = app
            .patch_json(
                &format!("/api/v1/equipment/{}", ids[1]),
                json!({"status": "stopped"}),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(e["status"], "stopped");
        assert_eq!(e["alerts"], json!([]), "stopped equipment raises no alerts");
        app.patch_json(
            &format!("/api/v1/equipment/{}", ids[1]),
            json!({"status": "scrapped"}),
        )
        .await
        .expect(StatusCode::OK);
        let before = app.snapshot().await;
        app.patch_json(
            &format!("/api/v1/equipment/{}", ids[1]),
            json!({"status": "in_use"}),
        )
        .await
        .problem(StatusCode::CONFLICT, "equipment_scrapped", None);
        app.post_json(
            &format!("/api/v1/equipment/{}/inspections", ids[1]),
            json!({"inspected_on": "2026-11-24", "result": "pass"}),
        )
        .await
        .problem(StatusCode::CONFLICT, "equipment_scrapped", None);
        app.assert_unchanged(&before).await;
    });
}

#[test]
fn bad_input_gets_a_clear_error_and_changes_nothing() {
    on_both_backends(|app| async move {
        let f = fixture(&app).await;
        registry(&app, &f).await;
        let before = app.snapshot().await;
        let ok = || elevator(&f, "DT-NEW", &f.tree.compound, "2027-01-01", "2026-11-20");
        let with = |k: &str, v: Value| {
            let mut b = ok();
            b[k] = v;
            b
        };
        let cases: Vec<(Value, StatusCode, &str, Option<&str>)> = vec![
            // The same code as DT-OVER, typed in lower case.
            (
                with("registration_code", json!("dt-over")),
                StatusCode::CONFLICT,
                "registration_code_taken",
                None,
            ),
            (
                with("next_inspection_due", json!("2016-03-31")),
                StatusCode::UNPROCESSABLE_ENTITY,
                "dates_order",
                Some("next_inspection_due"),
            ),
            (
                with("last_inspected_on", json!("2016-03-01")),
                StatusCode::UNPROCESSABLE_ENTITY,
                "dates_order",
                Some("last_inspected_on"),
            ),
            (
                with("installed_on", json!("2027-01-01")),
                StatusCode::UNPROCESSABLE_ENTITY,
                "date_in_future",
                Some("installed_on"),
            ),
            (
                with("installed_on", json!("01/04/2016")),
                StatusCode::UNPROCESSABLE_ENTITY,
                "date",
                Some("installed_on"),
            ),
            (
                with("unit", json!("371799999999")),
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_unit",
                Some("unit"),
            ),
            (
                with("use_org_id", json!(987654)),
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_organisation",
                Some("use_org_id"),
            ),
            (
                with("maintenance_interval_days", json!(0)),
                StatusCode::UNPROCESSABLE_ENTITY,
                "maintenance_interval",
                Some("maintenance_interval_days"),
            ),
            (
                with("registration_code", json!("电梯 1号")),
                StatusCode::UNPROCESSABLE_ENTITY,
                "registration_code_character",
                Some("registration_code"),
            ),
        ];
        for (body, status, code, field) in cases {
            app.post_json("/api/v1/equipment", body.clone())
                .await
                .problem(status, code, field);
        }
        // Wrong types and unknown fields are named by the strict JSON reader.
        let r = app
            .post_json("/api/v1/equipment", with("kind", json!("crane")))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        let r = app
            .post_json("/api/v1/equipment", with("colour", json!("red")))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        app.get("/api/v1/equipment/alerts?within_days=400")
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "alert_days",
                Some("within_days"),
            );
        app.get("/api/v1/equipment/424242")
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);
        app.assert_unchanged(&before).await;
        // Outside the caller's scope the unit does not exist.
        let cadre = app.as_user(
            "cadre_b",
            Role::CommunityCadre,
            Some(&f.tree.community),
            None,
        );
        let before_cadre = app.snapshot().await;
        cadre
            .post_json("/api/v1/equipment", with("unit", json!(f.other_compound)))
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_unit",
                Some("unit"),
            );
        app.assert_unchanged(&before_cadre).await;
        // A grid worker reads but may not register.
        let grid = app.as_user("grid", Role::GridWorker, Some(&f.tree.community), None);
        let before_grid = app.snapshot().await;
        grid.post_json("/api/v1/equipment", ok()).await.problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            None,
        );
        app.assert_unchanged(&before_grid).await;
    });
}

#[test]
fn construction_sites_through_the_api() {
    on_both_backends(|app| async move {
        let f = fixture(&app).await;
        let site = |name: &str, unit: &str, ends: &str| {
            json!({"name": name, "builder_org_id": f.maintainer, "unit": unit,
                   "starts_on": "2026-03-01", "ends_on": ends})
        };
        let s = app
            .post_json(
                "/api/v1/construction-sites",
                site("康庄小区二期", &f.tree.compound, "2027-06-30"),
            )
            .await
            .expect(StatusCode::CREATED);
        assert_eq!(s["status"], "active");
        app.post_json(
            "/api/v1/construction-sites",
            site("桂陵花园改造", &f.other_compound, "2027-01-31"),
        )
        .await
        .expect(StatusCode::CREATED);
        let got = app
            .get(&format!("/api/v1/construction-sites/{}", id(&s)))
            .await
            .expect(StatusCode::OK);
        assert_eq!(got["name"], "康庄小区二期");
        let list = app
            .get(&format!(
                "/api/v1/construction-sites?unit={}",
                f.tree.community
            ))
            .await
            .expect(StatusCode::OK);
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        let before = app.snapshot().await;
        app.post_json(
            "/api/v1/construction-sites",
            site("倒序工期", &f.tree.compound, "2026-02-01"),
        )
        .await
        .problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "dates_order",
            Some("ends_on"),
        );
        app.assert_unchanged(&before).await;
    });
}

/// side of the route walk in `roles.rs`.
pub async fn seed_for_walk(app: &App, w: &mut super::roles::World) {
    for side in [super::roles::Side::A, super::roles::Side::B] {
        let s = w.side(side).clone();
        let m = side.mark();
        let ctx = app.store.ctx("system", Scope::All, NOW);
        let (equipment, site) = app
            .store
            .db
            .write(move |c| {
                use wangge_store::equipment::{self as eq, NewEquipment, NewSite};
                let e = eq::create(
                    c,
                    &ctx,
                    NewEquipment {
                        registration_code: format!("{m}梯0001"),
                        kind: wangge_core::equipment::EquipmentKind::Elevator,
                        unit: s.compound.clone(),
                        location: Some(format!("{m}1号梯")),
                        use_org_id: s.org,
                        maintenance_org_id: None,
                        model: None,
                        installed_on: "2018-01-01".into(),
                        last_inspected_on: Some("2026-01-10".into()),
                        next_inspection_due: None,
                        maintenance_interval_days: None,
                        last_maintained_on: Some("2026-10-01".into()),
                    },
                )?;
                let site = wangge_store::registry::create::<eq::Site>(
                    c,
                    &ctx,
                    NewSite {
                        name: format!("{m}工地"),
                        builder_org_id: s.org,
                        unit: s.compound.clone(),
                        location: None,
                        starts_on: "2026-05-01".into(),
                        ends_on: None,
                        status: None,
                    },
                )?;
                Ok((e.id, site.id))
            })
            .await
            .expect("equipment fixtures");
        let s = match side {
            super::roles::Side::A => &mut w.a,
            super::roles::Side::B => &mut w.b,
        };
        s.equipment = equipment;
        s.site = site;
    }
}

#[test]
fn the_openapi_document_describes_the_routes() {
    on_both_backends(|app| async move {
        let doc = app.get("/api/v1/openapi.json").await.expect(StatusCode::OK);
        for p in [
            "/api/v1/equipment",
            "/api/v1/equipment/{id}",
            "/api/v1/equipment/{id}/maintenance",
            "/api/v1/equipment/{id}/inspections",
            "/api/v1/equipment/alerts",
            "/api/v1/construction-sites",
            "/api/v1/construction-sites/{id}",
        ] {
            assert!(doc["paths"].get(p).is_some(), "{p} missing");
        }
        // Every declared registry's routes, with schemas that resolve.
        for m in wangge_store::registry::metas() {
            for p in [
                format!("/api/v1/{}", m.slug),
                format!("/api/v1/{}/{{id}}", m.slug),
                format!("/api/v1/exports/{}", m.slug),
            ] {
                let item = &doc["paths"][&p];
                assert!(item.is_object(), "{p} missing");
                for op in item.as_object().into_iter().flat_map(|o| o.values()) {
                    assert!(op["responses"]["401"].is_object(), "{p}: {op}");
                    let text = op.to_string();
                    for r in text.split("#/components/schemas/").skip(1) {
                        let name: String = r.chars().take_while(|c| *c != '"').collect();
                        assert!(
                            doc["components"]["schemas"][&name].is_object(),
                            "{p}: schema {name} missing"
                        );
                    }
                }
            }
        }
    });
}
