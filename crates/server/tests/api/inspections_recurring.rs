//! Inspections over HTTP with any registry as a target (construction sites),
//! monthly plans with their due list, and scored assessments.

use super::inspections::{org, world, World};
use super::support::{id, on_both_backends, App, ZONE};
use axum::http::StatusCode;
use serde_json::{json, Value};

fn plan(w: &World, name: &str, template: &str, extra: Value, targets: Value) -> Value {
    let mut p = json!({
        "name": name,
        "template": template,
        "unit": w.tree.street,
        "issuing_org_id": w.bureau,
        "inspector_org_id": w.plan["inspector_org_id"],
        "due_date": "2026-11-30",
        "targets": targets
    });
    for (k, v) in extra.as_object().into_iter().flatten() {
        p[k] = v.clone();
    }
    p
}

#[test]
fn construction_sites_are_targets_by_id_or_under_a_unit() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let builder = org(&app, "鸿运达建设", "enterprise", &w.tree.community).await;
        let elsewhere = app.unit("street", "岳程街道", ZONE).await;
        let site = |name: &str, unit: &str| json!({"name": name, "builder_org_id": builder, "unit": unit, "starts_on": "2026-03-01"});
        let here = app
            .post_json(
                "/api/v1/construction-sites",
                site("康庄小区二期", &w.tree.compound),
            )
            .await
            .expect(StatusCode::CREATED);
        let far = app
            .post_json(
                "/api/v1/construction-sites",
                site("岳程商业街", elsewhere["code"].as_str().unwrap()),
            )
            .await
            .expect(StatusCode::CREATED);

        let by_id = w
            .clerk
            .post_json(
                "/api/v1/inspection-plans",
                plan(
                    &w,
                    "扬尘检查",
                    "site-dust-control",
                    json!({}),
                    json!([{"kind": "construction_site", "group": "工地", "ids": [id(&here)]}]),
                ),
            )
            .await
            .expect(StatusCode::CREATED);
        let detail = w
            .clerk
            .get(&format!("/api/v1/inspection-plans/{}", id(&by_id)))
            .await
            .expect(StatusCode::OK);
        let t = &detail["targets"][0];
        assert_eq!(
            (
                &t["kind"],
                &t["label"],
                &t["responsible_org_id"],
                t.get("next_due")
            ),
            (
                &json!("construction_site"),
                &json!("康庄小区二期"),
                &json!(builder),
                None
            )
        );
        let all = w
            .clerk
            .post_json(
                "/api/v1/inspection-plans",
                plan(
                    &w,
                    "扬尘检查",
                    "site-dust-control",
                    json!({}),
                    json!([{"kind": "construction_site", "group": "工地"}]),
                ),
            )
            .await
            .expect(StatusCode::CREATED);
        assert_eq!(all["targets"], 1, "the street's sites, not 岳程's");

        let before = app.snapshot().await;
        w.clerk
            .post_json(
                "/api/v1/inspection-plans",
                plan(
                    &w,
                    "扬尘检查",
                    "site-dust-control",
                    json!({}),
                    json!([{"kind": "construction_site", "group": "工地", "ids": [id(&far)]}]),
                ),
            )
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_target",
                Some("targets[0].ids[0]"),
            );
        app.assert_unchanged(&before).await;
    });
}

fn assessment(pass_mark: i64) -> Value {
    let item = |code: &str, points: i64| json!({"code": code, "text": format!("{code}项"), "kind": "yes_no", "points": points});
    json!({
        "code": "monthly-assessment", "name": "月度考核", "category": "0803",
        "pass_mark": pass_mark,
        "sections": [{"title": "考核", "items": [item("a", 10), item("b", 5)]}]
    })
}

fn scored(plan: i64, target: i64, key: &str, a: i64, b: i64) -> Value {
    json!({
        "plan_id": plan, "target_id": target, "record_key": key, "template_version": 1,
        "recorded_at": "2026-11-24T09:30:00+08:00",
        "answers": {"a": {"value": true}, "b": {"value": true}},
        "scores": {"a": a, "b": b}
    })
}

async fn due(app: &App, plan: i64, on: &str) -> Vec<String> {
    let page = app
        .get(&format!("/api/v1/inspection-plans/{plan}/due?on={on}"))
        .await
        .expect(StatusCode::OK);
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["label"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_monthly_scored_assessment_moves_its_due_date_and_counts_scores() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let before = app.snapshot().await;
        app.post_json("/api/v1/inspection-templates", assessment(99))
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "pass_mark_range",
                Some("pass_mark"),
            );
        let compounds = json!([{"kind": "unit", "group": "小区", "unit_kind": "compound"}]);
        for (extra, code) in [
            (json!({"recurrence": "every_n_days"}), "required"),
            (
                json!({"recurrence": "monthly", "recurrence_days": 30}),
                "recurrence_days_unused",
            ),
        ] {
            w.clerk
                .post_json(
                    "/api/v1/inspection-plans",
                    plan(&w, "考核", "elevator-use-unit", extra, compounds.clone()),
                )
                .await
                .problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    code,
                    Some("recurrence_days"),
                );
        }
        let r = w
            .clerk
            .post_json(
                "/api/v1/inspection-plans",
                plan(
                    &w,
                    "考核",
                    "elevator-use-unit",
                    json!({"recurrence": "fortnightly"}),
                    compounds.clone(),
                ),
            )
            .await;
        assert!(r.status.is_client_error(), "{}", r.text());
        app.assert_unchanged(&before).await;

        app.post_json("/api/v1/inspection-templates", assessment(12))
            .await
            .expect(StatusCode::CREATED);
        let p = w
            .clerk
            .post_json(
                "/api/v1/inspection-plans",
                plan(
                    &w,
                    "月度考核",
                    "monthly-assessment",
                    json!({"recurrence": "monthly"}),
                    compounds,
                ),
            )
            .await
            .expect(StatusCode::CREATED);
        assert_eq!(p["recurrence"], "monthly");
        let pid = id(&p);
        let detail = w
            .clerk
            .get(&format!("/api/v1/inspection-plans/{pid}"))
            .await
            .expect(StatusCode::OK);
        let t = detail["targets"][0].clone();
        assert_eq!(
            (&t["next_due"], &t["overdue"]),
            (&json!("2026-11-30"), &json!(false))
        );
        assert_eq!(due(&w.clerk, pid, "2026-11-30").await, ["康庄小区"]);

        let before = app.snapshot().await;
        w.expert
            .post_json(
                "/api/v1/inspection-records",
                scored(pid, id(&t), "bad", 11, 5),
            )
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "score_out_of_range",
                Some("scores.a"),
            );
        app.assert_unchanged(&before).await;
        let s = w
            .expert
            .post_json(
                "/api/v1/inspection-records",
                scored(pid, id(&t), "s-1", 8, 5),
            )
            .await
            .expect(StatusCode::CREATED);
        assert_eq!(
            (&s["record"]["score"], &s["record"]["passed"]),
            (&json!(13), &json!(true))
        );

        let detail = w
            .clerk
            .get(&format!("/api/v1/inspection-plans/{pid}"))
            .await
            .expect(StatusCode::OK);
        assert_eq!(detail["targets"][0]["next_due"], "2026-12-24");
        assert_eq!(
            detail["stats"]["scored"],
            json!({"records": 1, "average": 13.0, "passed": 1, "failed": 0})
        );
        assert!(due(&w.clerk, pid, "2026-11-30").await.is_empty());
        assert_eq!(due(&w.clerk, pid, "2026-12-24").await, ["康庄小区"]);
        w.clerk
            .get(&format!("/api/v1/inspection-plans/{pid}/due?on=tomorrow"))
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "date_format", Some("on"));
    });
}

#[test]
fn the_document_lists_the_due_list_recurrence_and_scores() {
    let doc = wangge_server::openapi::spec();
    assert!(doc["paths"]["/api/v1/inspection-plans/{id}/due"]["get"].is_object());
    let s = &doc["components"]["schemas"];
    for (schema, field) in [
        ("NewPlan", "recurrence"),
        ("NewPlan", "recurrence_days"),
        ("Target", "next_due"),
        ("Item", "points"),
        ("TemplateBody", "pass_mark"),
        ("NewRecord", "scores"),
        ("Record", "score"),
        ("PlanStats", "scored"),
    ] {
        assert!(
            s[schema]["properties"][field].is_object(),
            "{schema}.{field}"
        );
    }
}

#[test]
fn the_plan_page_shows_each_targets_next_due_date() {
    on_both_backends(|app| async move {
        let w = super::web_inspections::world(&app).await;
        let first = w
            .api
            .get(&format!("/api/v1/inspection-plans/{}", w.plan))
            .await
            .expect(StatusCode::OK);
        let p = w
            .api
            .post_json(
                "/api/v1/inspection-plans",
                json!({
                    "name": "每月巡查", "template": "elevator-use-unit", "unit": w.tree.street,
                    "issuing_org_id": w.bureau, "inspector_org_id": first["plan"]["inspector_org_id"],
                    "due_date": "2026-11-30", "recurrence": "monthly",
                    "targets": [{"kind": "unit", "group": "小区", "unit_kind": "compound"}]
                }),
            )
            .await
            .expect(StatusCode::CREATED);
        let (plan_page, once_page) = (
            format!("/inspections/plans/{}", id(&p)),
            format!("/inspections/plans/{}", w.plan),
        );
        let html = super::web_cases::page(&app, &plan_page, Some(&w.clerk))
            .await
            .text();
        assert!(html.contains("下次应检 2026-11-30"), "{html}");
        let once = super::web_cases::page(&app, &once_page, Some(&w.clerk))
            .await
            .text();
        assert!(
            !once.contains("next-due"),
            "a one-off plan shows no next due date"
        );
    });
}
