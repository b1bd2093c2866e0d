//! Staff pages (issue 16): the dispatch form offers case handlers only, the
//! category's route first and chosen, narrowed by a name search; the new-plan
//! form shares that choice; a drilled-down dashboard counts only its unit in
//! every block; a target is cleared (已销号) once every finding's case was
//! verified, on the plan page and in its export.

use super::exports_lists::book;
use super::support::{code, id, on_both_backends, App, Session, Tree, NOW};
use super::web_cases::{page, png};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};
use wangge_core::auth::Role;
use wangge_store::Scope;

const PASSWORD: &str = "Ledger-stone-2026";

async fn org(app: &App, name: &str, kind: &str, unit: &str) -> i64 {
    id(&app
        .post_json(
            "/api/v1/organisations",
            json!({"name": name, "kind": kind, "unit": unit}),
        )
        .await
        .expect(StatusCode::CREATED))
}

async fn seed(app: &App) {
    let ctx = app.store.ctx("setup", Scope::All, NOW);
    app.store
        .db
        .write(move |c| {
            wangge_store::cases::seed_categories(c, &ctx)?;
            wangge_store::inspections::seed_templates(c, &ctx)
        })
        .await
        .unwrap();
}

async fn staff(app: &App, tree: &Tree) -> Session {
    app.password_account(
        "clerk",
        PASSWORD,
        Role::StreetStaff,
        Some(&tree.street),
        None,
    )
    .await;
    app.session("clerk", PASSWORD).await
}

/// The options of the `<select>` with this id: (value, text, selected), the
/// empty "choose" option left out.
fn options(html: &str, select_id: &str) -> Vec<(String, String, bool)> {
    let at = html
        .find(&format!("id=\"{select_id}\""))
        .unwrap_or_else(|| panic!("no #{select_id} in {html}"));
    let body = &html[at..at + html[at..].find("</select>").unwrap()];
    body.split("<option value=\"")
        .skip(1)
        .filter_map(|o| {
            let value = o.split('"').next()?.to_string();
            let text = o.split('>').nth(1)?.split('<').next()?.to_string();
            let selected = o.split('>').next()?.contains("selected");
            (!value.is_empty()).then_some((value, text, selected))
        })
        .collect()
}

#[test]
fn dispatch_offers_handlers_with_the_route_first_and_a_search() {
    on_both_backends(|app| async move {
        seed(&app).await;
        let tree = app.tree().await;
        let enforcement = org(&app, "菏泽开发区综合行政执法局", "department", &tree.zone).await;
        let market = org(&app, "菏泽开发区市场监督管理局", "department", &tree.zone).await;
        org(&app, "康庄物业", "property_company", &tree.compound).await;
        let barber = org(&app, "名剪理发店", "enterprise", &tree.community).await;
        let branch = org(&app, "康庄小区党支部", "party_branch", &tree.compound).await;
        let ctx = app.store.ctx("setup", Scope::All, NOW);
        let zone = tree.zone.clone();
        app.store
            .db
            .write(move |c| wangge_store::cases::set_route(c, &ctx, "0601", &zone, enforcement))
            .await
            .unwrap();
        let s = staff(&app, &tree).await;
        let clerk = app.as_user("clerk-api", Role::StreetStaff, Some(&tree.street), None);
        let case = clerk
            .post_json(
                "/api/v1/cases",
                json!({"category": "0601", "unit": tree.building, "description": "楼顶违章搭建彩钢房", "source": "staff"}),
            )
            .await
            .expect(StatusCode::CREATED);
        let cid = id(&case["case"]);
        let v = case["case"]["version"].as_i64().unwrap();
        clerk
            .post_json(
                &format!("/api/v1/cases/{cid}/transitions"),
                json!({"action": "accept", "version": v}),
            )
            .await
            .expect(StatusCode::OK);

        let html = page(&app, &format!("/cases/{cid}"), Some(&s)).await.text();
        let opts = options(&html, "dispatch-org");
        assert_eq!(
            opts[0],
            (
                enforcement.to_string(),
                "菏泽开发区综合行政执法局".into(),
                true
            ),
            "the route first and chosen: {opts:?}"
        );
        let ids: Vec<String> = opts.iter().map(|o| o.0.clone()).collect();
        assert!(ids.contains(&market.to_string()), "{opts:?}");
        assert!(html.contains("康庄物业"), "property companies handle cases");
        for not_a_handler in [barber, branch] {
            assert!(!ids.contains(&not_a_handler.to_string()), "{opts:?}");
        }
        assert!(!html.contains("名剪理发店") && !html.contains("康庄小区党支部"));
        assert_eq!(opts.iter().filter(|o| o.2).count(), 1);

        // The search narrows the list on the server; the route stays first.
        let q = super::support::enc("市场");
        let html = page(
            &app,
            &format!("/cases/{cid}?action=dispatch&org_q={q}"),
            Some(&s),
        )
        .await
        .text();
        let found: Vec<String> = options(&html, "dispatch-org")
            .into_iter()
            .map(|o| o.1)
            .collect();
        assert_eq!(
            found,
            ["菏泽开发区综合行政执法局", "菏泽开发区市场监督管理局"]
        );
        assert!(html.contains("value=\"市场\""), "the search is kept");
        // A wildcard matches itself, not everything.
        let html = page(
            &app,
            &format!("/cases/{cid}?action=dispatch&org_q=%25"),
            Some(&s),
        )
        .await
        .text();
        assert_eq!(options(&html, "dispatch-org").len(), 1);

        // The new-plan form offers the same handlers; a search finds the firm.
        let firm = org(&app, "第三方特种设备检验机构", "enterprise", &tree.zone).await;
        let html = page(&app, "/inspections", Some(&s)).await.text();
        let plan_ids: Vec<String> = options(&html, "plan-issuing")
            .into_iter()
            .map(|o| o.0)
            .collect();
        assert!(plan_ids.contains(&market.to_string()), "{plan_ids:?}");
        for not_listed in [barber, branch, firm] {
            assert!(!plan_ids.contains(&not_listed.to_string()), "{plan_ids:?}");
        }
        let q = super::support::enc("检验");
        let html = page(&app, &format!("/inspections?org_q={q}"), Some(&s))
            .await
            .text();
        let found: Vec<String> = options(&html, "plan-inspector-org")
            .into_iter()
            .map(|o| o.1)
            .collect();
        assert_eq!(found, ["第三方特种设备检验机构"]);
    });
}

/// The text of the element with this id, if it is on the page.
fn text_of(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let rest = &html[at..];
    let start = rest.find('>')? + 1;
    Some(rest[start..].split('<').next()?.trim().to_string())
}

#[test]
fn every_dashboard_block_obeys_the_chosen_unit() {
    on_both_backends(|app| async move {
        let w = super::web_inspections::world(&app).await;
        let tree = &w.tree;
        let empty = code(&app.unit("community", "陈集社区", &tree.street).await);
        let property = org(&app, "康庄物业", "property_company", &tree.compound).await;
        let maintainer = org(&app, "菏泽通力电梯维保", "enterprise", &tree.zone).await;
        app.post_json(
            "/api/v1/equipment",
            json!({
                "registration_code": "DT-LATE", "kind": "elevator", "unit": tree.compound,
                "location": "1单元", "use_org_id": property, "maintenance_org_id": maintainer,
                "model": "曳引式乘客电梯", "installed_on": "2016-04-01",
                "last_inspected_on": "2025-11-01", "next_inspection_due": "2026-11-01",
                "last_maintained_on": "2026-11-20"
            }),
        )
        .await
        .expect(StatusCode::CREATED);

        let mine = page(
            &app,
            &format!("/dashboard?unit={}", tree.community),
            Some(&w.clerk),
        )
        .await;
        assert_eq!(mine.status, StatusCode::OK);
        let html = mine.text();
        assert_eq!(
            text_of(&html, "equipment-alerts-total").as_deref(),
            Some("1")
        );
        assert!(html.contains("DT-LATE"));
        assert!(html.contains("id=\"insp-dash\""), "its own plan targets");

        let none = page(&app, &format!("/dashboard?unit={empty}"), Some(&w.clerk)).await;
        assert_eq!(none.status, StatusCode::OK);
        let html = none.text();
        assert!(html.contains("陈集社区"));
        assert_eq!(
            text_of(&html, "equipment-alerts-total").as_deref(),
            Some("0"),
            "{html}"
        );
        assert!(!html.contains("DT-LATE"));
        assert!(
            !html.contains("id=\"insp-dash\""),
            "no targets in the unit: {html}"
        );
    });
}

/// Answers to every required elevator item: in order, except `failing`.
async fn answers(app: &App, failing: &[&str]) -> Value {
    let t = app
        .get("/api/v1/inspection-templates/elevator-use-unit?version=1")
        .await
        .expect(StatusCode::OK);
    let mut out = serde_json::Map::new();
    for s in t["body"]["sections"].as_array().unwrap() {
        for i in s["items"].as_array().unwrap() {
            if i["required"] == false {
                continue;
            }
            let code = i["code"].as_str().unwrap();
            let bad = failing.contains(&code);
            let value = match i["kind"].as_str().unwrap() {
                "number" => json!(if bad { 30 } else { 10 }),
                _ => json!(!bad),
            };
            out.insert(code.into(), json!({"value": value}));
        }
    }
    Value::Object(out)
}

/// The property company reports a finding's case handled, with a photo.
async fn handle(handler: &App, case: i64) {
    let req = Request::post("/api/v1/attachments")
        .header(header::CONTENT_TYPE, "image/png")
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", handler.token.as_deref().unwrap()),
        )
        .body(Body::from(png()))
        .unwrap();
    let photo = handler.send(req).await.expect(StatusCode::CREATED);
    let c = handler
        .get(&format!("/api/v1/cases/{case}"))
        .await
        .expect(StatusCode::OK);
    let r = handler
        .post_json(
            &format!("/api/v1/cases/{case}/transitions"),
            json!({"action": "handle", "version": c["version"], "evidence": [id(&photo)], "note": "已整改"}),
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(r["state"], "handled");
}

#[test]
fn a_target_is_cleared_once_every_finding_is_verified() {
    on_both_backends(|app| async move {
        seed(&app).await;
        let tree = app.tree().await;
        let bureau = org(&app, "开发区市场监管所", "department", &tree.zone).await;
        let firm = org(&app, "第三方特种设备检验机构", "enterprise", &tree.zone).await;
        let property = org(&app, "康庄物业", "property_company", &tree.compound).await;
        let plan = app
            .post_json(
                "/api/v1/inspection-plans",
                json!({
                    "name": "电梯安全隐患排查", "template": "elevator-use-unit",
                    "unit": tree.street, "issuing_org_id": bureau, "supervising_org_id": bureau,
                    "inspector_org_id": firm, "due_date": "2026-12-31",
                    "targets": [{"kind": "unit", "group": "大型小区", "unit_kind": "compound"}]
                }),
            )
            .await
            .expect(StatusCode::CREATED);
        let plan_id = id(&plan);
        let handler = app.as_user("kangzhuang", Role::DeptHandler, None, Some(property));
        let expert = app.as_user("expert", Role::DeptHandler, None, Some(firm));
        let clerk = staff(&app, &tree).await;
        let full = app
            .get(&format!("/api/v1/inspection-plans/{plan_id}"))
            .await
            .expect(StatusCode::OK);
        let compound = full["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["label"] == "康庄小区")
            .map(id)
            .unwrap();
        let record = |key: &str, answers: Value| {
            json!({
                "plan_id": plan_id, "target_id": compound, "record_key": key,
                "template_version": 1, "recorded_at": "2026-11-24T09:30:00+08:00",
                "answers": answers
            })
        };
        let first = expert
            .post_json(
                "/api/v1/inspection-records",
                record("k-1", answers(&app, &["alarm_works", "rules_posted"]).await),
            )
            .await
            .expect(StatusCode::CREATED);
        let findings = first["record"]["findings"].as_array().unwrap();
        assert_eq!(findings.len(), 2);
        let case_of = |item: &str| {
            findings
                .iter()
                .find(|f| f["item_code"] == item)
                .and_then(|f| f["case_id"].as_i64())
                .unwrap()
        };
        let cases = [case_of("alarm_works"), case_of("rules_posted")];

        let plan_page = format!("/inspections/plans/{plan_id}");
        let state = |html: &str| -> String {
            let at = html
                .find(&format!("data-target=\"{compound}\""))
                .expect("the target is listed");
            let rest = &html[at..];
            let badge = rest.split("<span class=\"badge\">").nth(2).unwrap();
            badge.split([' ', '<']).next().unwrap().to_string()
        };
        let export = |app: App| async move {
            book(
                &app.get(&format!("/api/v1/exports/plan-targets?plan={plan_id}"))
                    .await,
            )
            .column("状态")
        };
        let html = page(&app, &plan_page, Some(&clerk)).await.text();
        assert_eq!(state(&html), "发现问题");

        // One finding handled and passed at the re-check, one still open.
        handle(&handler, cases[0]).await;
        let answers_ok = answers(&app, &["rules_posted"]).await;
        expert
            .post_json("/api/v1/inspection-records", record("k-2", answers_ok))
            .await
            .expect(StatusCode::CREATED);
        let c0 = app
            .get(&format!("/api/v1/cases/{}", cases[0]))
            .await
            .expect(StatusCode::OK);
        assert_eq!(c0["state"], "closed");
        let html = page(&app, &plan_page, Some(&clerk)).await.text();
        assert_eq!(state(&html), "发现问题", "one finding is still open");
        assert!(html.contains("id=\"kpi-cleared\">0<"), "{html}");
        assert!(export(app.clone()).await.contains(&"发现问题".to_string()));

        // The last finding handled and passed: the target is cleared.
        handle(&handler, cases[1]).await;
        expert
            .post_json(
                "/api/v1/inspection-records",
                record("k-3", answers(&app, &[]).await),
            )
            .await
            .expect(StatusCode::CREATED);
        let html = page(&app, &plan_page, Some(&clerk)).await.text();
        assert_eq!(state(&html), "已销号");
        assert!(html.contains("id=\"kpi-cleared\">1<"), "{html}");
        let en = page(&app, &format!("{plan_page}?lang=en"), Some(&clerk))
            .await
            .text();
        assert!(en.contains("Cleared"));
        let statuses = export(app.clone()).await;
        assert!(statuses.contains(&"已销号".to_string()), "{statuses:?}");
        assert!(!statuses.contains(&"发现问题".to_string()), "{statuses:?}");
    });
}
