//! The inspection engine over HTTP: templates and versions, a plan run by a
//! third-party expert firm, records with findings turned into cases, an
//! offline resend, the problem list, statistics, and the refusals.

use super::support::{code, id, on_both_backends, App, Tree, NOW};
use axum::http::{Method, StatusCode};
use serde_json::{json, Map, Value};
use wangge_core::auth::Role;
use wangge_store::Scope;

pub struct World {
    pub tree: Tree,
    pub bureau: i64,
    pub clerk: App,
    pub expert: App,
    pub plan: Value,
}

pub async fn org(app: &App, name: &str, kind: &str, unit: &str) -> i64 {
    id(&app
        .post_json(
            "/api/v1/organisations",
            json!({"name": name, "kind": kind, "unit": unit}),
        )
        .await
        .expect(StatusCode::CREATED))
}

pub async fn world(app: &App) -> World {
    let ctx = app.store.ctx("setup", Scope::All, NOW);
    app.store
        .db
        .write(move |c| {
            wangge_store::cases::seed_categories(c, &ctx)?;
            wangge_store::inspections::seed_templates(c, &ctx)
        })
        .await
        .unwrap();
    let tree = app.tree().await;
    let bureau = org(app, "开发区市场监管所", "department", &tree.zone).await;
    let firm = org(app, "第三方特种设备检验机构", "enterprise", &tree.zone).await;
    let mall = org(app, "万达广场", "enterprise", &tree.community).await;
    org(app, "康庄物业", "property_company", &tree.compound).await;
    let clerk = app.as_user("clerk", Role::StreetStaff, Some(&tree.street), None);
    let expert = app.as_user("expert", Role::DeptHandler, None, Some(firm));
    let plan = clerk
        .post_json(
            "/api/v1/inspection-plans",
            json!({
                "name": "电梯安全隐患排查",
                "template": "elevator-use-unit",
                "unit": tree.street,
                "issuing_org_id": bureau,
                "supervising_org_id": bureau,
                "inspector_org_id": firm,
                "due_date": "2026-12-31",
                "targets": [
                    {"kind": "organisation", "group": "人员密集场所", "ids": [mall]},
                    {"kind": "unit", "group": "大型小区", "unit_kind": "compound"}
                ]
            }),
        )
        .await
        .expect(StatusCode::CREATED);
    World {
        tree,
        bureau,
        clerk,
        expert,
        plan,
    }
}

/// Answers to every required elevator item: in order, except `failing`.
pub async fn answers(app: &App, failing: &[&str]) -> Value {
    let t = app
        .get("/api/v1/inspection-templates/elevator-use-unit?version=1")
        .await
        .expect(StatusCode::OK);
    let mut out = Map::new();
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

async fn target(w: &World, label: &str) -> i64 {
    let p = w
        .clerk
        .get(&format!("/api/v1/inspection-plans/{}", id(&w.plan)))
        .await
        .expect(StatusCode::OK);
    p["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["label"] == label)
        .map(id)
        .unwrap_or_else(|| panic!("no target {label}: {p}"))
}

pub fn record(plan: i64, target: i64, key: &str, answers: Value) -> Value {
    json!({
        "plan_id": plan,
        "target_id": target,
        "record_key": key,
        "template_version": 1,
        "recorded_at": "2026-11-24T09:30:00+08:00",
        "answers": answers,
        "lat": 35.25, "lon": 115.47
    })
}

#[test]
fn an_expert_records_findings_that_become_cases_and_a_problem_list() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let list = w
            .clerk
            .get("/api/v1/inspection-templates")
            .await
            .expect(StatusCode::OK);
        let codes: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["elevator-use-unit", "site-dust-control"]);
        let dust = w
            .clerk
            .get("/api/v1/inspection-templates/site-dust-control")
            .await
            .expect(StatusCode::OK);
        assert_eq!(
            dust["body"]["sections"][0]["items"][6]["text"],
            "施工现场100%安装在线监测和视频监控"
        );
        app.get("/api/v1/inspection-templates/elevator-use-unit?version=9")
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);

        assert_eq!(w.plan["targets"], 2);
        assert_eq!(w.plan["issuing_org_name"], "开发区市场监管所");
        let compound = target(&w, "康庄小区").await;
        let body = record(
            id(&w.plan),
            compound,
            "phone-1-0001",
            answers(&app, &["alarm_works"]).await,
        );
        let r = w
            .expert
            .post_json("/api/v1/inspection-records", body.clone())
            .await
            .expect(StatusCode::CREATED);
        assert_eq!(r["replayed"], false);
        let finding = &r["record"]["findings"][0];
        assert_eq!(finding["item_code"], "alarm_works");
        assert_eq!(finding["severity"], "major");
        let case = app
            .get(&format!("/api/v1/cases/{}", finding["case_id"]))
            .await
            .expect(StatusCode::OK);
        assert_eq!(case["state"], "dispatched");
        assert_eq!(case["source"], "inspection");
        assert_eq!(case["lead_org_name"], "康庄物业");

        // The phone sends the same record again after losing its connection.
        let again = w
            .expert
            .post_json("/api/v1/inspection-records", body)
            .await
            .expect(StatusCode::OK);
        assert_eq!(again["replayed"], true);
        assert_eq!(again["record"]["id"], r["record"]["id"]);

        let rid = id(&r["record"]);
        let rec = w
            .clerk
            .get(&format!("/api/v1/inspection-records/{rid}"))
            .await
            .expect(StatusCode::OK);
        assert_eq!(rec["inspector"], "expert");
        assert_eq!(rec["lat"], 35.25);
        let pl = w
            .clerk
            .get(&format!("/api/v1/inspection-records/{rid}/problem-list"))
            .await
            .expect(StatusCode::OK);
        assert_eq!(pl["issuing_org"], "开发区市场监管所");
        assert_eq!(pl["supervising_org"], "开发区市场监管所");
        assert_eq!(pl["target"], "康庄小区");
        assert_eq!(pl["items"][0]["tracking_no"], case["tracking_no"]);
        assert!(pl["items"][0]["deadline_date"].is_string());

        let plan = w
            .clerk
            .get(&format!("/api/v1/inspection-plans/{}", id(&w.plan)))
            .await
            .expect(StatusCode::OK);
        let st = &plan["stats"];
        assert_eq!(
            st["progress"],
            json!({"targets": 2, "done": 1, "with_findings": 1, "remaining": 1})
        );
        assert_eq!(
            (st["findings"].as_i64(), st["open"].as_i64()),
            (Some(1), Some(1))
        );
        assert_eq!(st["by_item"][0]["item_code"], "alarm_works");
        let plans = w
            .expert
            .get("/api/v1/inspection-plans")
            .await
            .expect(StatusCode::OK);
        assert_eq!(plans.as_array().unwrap().len(), 1);

        // The printable page and the dashboard's block, in a browser session.
        app.password_account(
            "boss",
            "Lantern-river-2026",
            Role::StreetStaff,
            Some(&w.tree.street),
            None,
        )
        .await;
        let boss = app.session("boss", "Lantern-river-2026").await;
        let page = |path: String| {
            let (app, boss) = (app.clone(), boss.clone());
            async move {
                app.with_session(&boss, Method::GET, &path)
                    .header("accept", "text/html")
                    .send()
                    .await
            }
        };
        let html = page(format!("/inspections/records/{rid}/problem-list")).await;
        assert_eq!(html.status, StatusCode::OK, "{}", html.text());
        let html = html.text();
        for want in [
            "开发区市场监管所 问题清单",
            "康庄小区",
            "康庄物业",
            "轿厢紧急报警装置有效,能与值班室通话",
            "重大隐患",
            case["tracking_no"].as_str().unwrap(),
            pl["items"][0]["deadline_date"].as_str().unwrap(),
            "督促整改单位",
            "/static/problem-list.css",
        ] {
            assert!(html.contains(want), "{want} missing from {html}");
        }
        let en = page(format!("/inspections/records/{rid}/problem-list?lang=en"))
            .await
            .text();
        assert!(
            en.contains("Problem list") && en.contains("major") && !en.contains("督促整改单位")
        );
        assert_eq!(
            page("/inspections/records/999999/problem-list".into())
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        let css = page("/static/problem-list.css".into()).await;
        assert!(css.text().contains("@media print"));
        let dash = page("/dashboard".into()).await.text();
        assert!(
            dash.contains("已排查人员密集场所 0 家、大型小区 1 家"),
            "{dash}"
        );
        assert!(dash.contains("id=\"insp-lists\">1<"), "{dash}");

        // A new version of the checklist; the plan's records stay on version 1.
        let mut t = app
            .get("/api/v1/inspection-templates/elevator-use-unit")
            .await
            .expect(StatusCode::OK)["body"]
            .clone();
        t["name"] = json!("电梯使用单位安全隐患排查表(2026修订)");
        let v2 = app
            .post_json("/api/v1/inspection-templates", t)
            .await
            .expect(StatusCode::CREATED);
        assert_eq!(v2["version"], 2);
        let rec = w
            .clerk
            .get(&format!("/api/v1/inspection-records/{rid}"))
            .await
            .expect(StatusCode::OK);
        assert_eq!(rec["template_version"], 1);
    });
}

#[test]
fn bad_inspection_input_is_refused_with_nothing_written() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let compound = target(&w, "康庄小区").await;
        let plan = id(&w.plan);
        let other_street = app.unit("street", "岳程街道", super::support::ZONE).await;
        let stranger = app.as_user(
            "stranger",
            Role::GridWorker,
            Some(&code(&other_street)),
            None,
        );
        let auditor = app.as_user("auditor", Role::Auditor, None, None);
        let resident = app.as_user("wang", Role::Resident, None, None);
        let before = app.snapshot().await;
        let good = answers(&app, &[]).await;
        let with = |code: &str, value: Value| {
            let mut a = good.clone();
            a[code] = json!({"value": value});
            a
        };
        let post = |body: Value| w.expert.post_json("/api/v1/inspection-records", body);
        post(record(plan, compound, "x1", with("alarm_works", json!(3))))
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "answer_type",
                Some("answers.alarm_works"),
            );
        post(record(
            plan,
            compound,
            "x2",
            with("maint_interval", json!(500)),
        ))
        .await
        .problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "answer_out_of_range",
            Some("answers.maint_interval"),
        );
        post(record(plan, 999_999, "x3", good.clone()))
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "target_not_in_plan",
                Some("target_id"),
            );
        let mut old = record(plan, compound, "x4", good.clone());
        old["template_version"] = json!(3);
        post(old).await.problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_template_version",
            Some("template_version"),
        );
        let mut extra = record(plan, compound, "x5", good.clone());
        extra["grade"] = json!("A");
        assert_eq!(post(extra).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        // A grid worker of another street's community sees neither plan nor target.
        stranger
            .post_json(
                "/api/v1/inspection-records",
                record(plan, compound, "x6", good.clone()),
            )
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_plan",
                Some("plan_id"),
            );
        stranger
            .get(&format!("/api/v1/inspection-plans/{plan}"))
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);
        auditor
            .post_json(
                "/api/v1/inspection-records",
                record(plan, compound, "x7", good.clone()),
            )
            .await
            .problem(StatusCode::FORBIDDEN, "forbidden", None);
        w.clerk
            .post_json(
                "/api/v1/inspection-templates",
                json!({"code": "x", "name": "x", "sections": []}),
            )
            .await
            .problem(StatusCode::FORBIDDEN, "forbidden", None);
        app.post_json(
            "/api/v1/inspection-templates",
            json!({"code": "Bad Code", "name": "x", "sections": []}),
        )
        .await
        .problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "code_format",
            Some("code"),
        );
        w.clerk
            .post_json(
                "/api/v1/inspection-plans",
                json!({"name": "过期计划", "template": "elevator-use-unit", "unit": w.tree.street,
                       "issuing_org_id": w.bureau, "inspectors": ["clerk"], "due_date": "2026-01-31",
                       "targets": [{"kind": "unit", "group": "小区", "unit_kind": "compound"}]}),
            )
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "due_in_past", Some("due_date"));
        resident.get("/api/v1/inspection-templates").await.problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            None,
        );
        app.assert_unchanged(&before).await;
    });
}

/// For the route walk (`roles.rs`): the templates, and on each side a plan
/// over the side's street (issued and inspected by the side's organisation,
/// so that dept_a works on A's plan only) with one clean record.
pub async fn seed_for_walk(app: &App, w: &mut super::roles::World) {
    for side in [super::roles::Side::A, super::roles::Side::B] {
        let s = w.side(side).clone();
        let m = side.mark();
        let ctx = app.store.ctx("system", Scope::All, NOW);
        let cfg = wangge_store::cases::Config::default();
        let (plan, target, record) = app
            .store
            .db
            .write(move |c| {
                use wangge_store::inspections::{self as insp, NewPlan, TargetFilter, TargetKind};
                insp::seed_templates(c, &ctx)?;
                let plan = insp::create_plan(
                    c,
                    &ctx,
                    NewPlan {
                        name: format!("{m}电梯排查"),
                        template: "elevator-use-unit".into(),
                        template_version: None,
                        unit: s.street.clone(),
                        issuing_org_id: s.org,
                        supervising_org_id: None,
                        inspector_org_id: Some(s.org),
                        inspectors: vec![],
                        due_date: "2026-12-31".into(),
                        recurrence: None,
                        recurrence_days: None,
                        targets: vec![TargetFilter {
                            kind: TargetKind::Unit,
                            group: "小区".into(),
                            under: None,
                            unit_kind: None,
                            codes: vec![s.compound.clone()],
                            org_kind: None,
                            ids: vec![],
                        }],
                    },
                )?;
                let target = insp::list_targets(c, &ctx, plan.id)?[0].id;
                let new: insp::NewRecord =
                    serde_json::from_value(walk_record(plan.id, target, "seed", plan.id as u32))
                        .map_err(|e| wangge_store::Error::Db(e.to_string()))?;
                let rec = insp::submit_record(c, &ctx, &cfg, new)?;
                Ok((plan.id, target, rec.record.id))
            })
            .await
            .expect("inspection fixtures");
        let s = match side {
            super::roles::Side::A => &mut w.a,
            super::roles::Side::B => &mut w.b,
        };
        s.inspection_plan = plan;
        s.inspection_target = target;
        s.inspection_record = record;
    }
}

/// A clean elevator record (every required item in order), as JSON.
pub fn walk_record(plan: i64, target: i64, key: &str, n: u32) -> Value {
    let t = wangge_core::inspections::seed_templates().remove(0);
    let mut answers = Map::new();
    for (_, i) in t.items().filter(|(_, i)| i.required) {
        let v = match i.kind {
            wangge_core::inspections::ItemKind::Number => json!(7),
            _ => json!(true),
        };
        answers.insert(i.code.clone(), json!({"value": v}));
    }
    json!({
        "plan_id": plan, "target_id": target, "record_key": format!("{key}-{n}"),
        "template_version": 1, "recorded_at": "2026-11-24T08:00:00+08:00", "answers": answers
    })
}

async fn put(app: &App, path: &str, body: Value) -> super::support::Reply {
    app.send_raw(
        Method::PUT,
        path,
        Some("application/json"),
        body.to_string(),
    )
    .await
}

#[test]
fn the_office_of_the_targets_place_reaches_and_supervises_its_rectification_case() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let office = org(&app, "丹阳街道市场监管所", "department", &w.tree.street).await;
        let handler = app.as_user("jgs", Role::DeptHandler, None, Some(office));

        // A bad office changes nothing and says why in both languages.
        let r = put(
            &w.clerk,
            "/api/v1/supervising-offices",
            json!({"issuing_org_id": w.bureau, "unit": w.tree.street, "office_org_id": 999_999}),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.text().contains("组织999999不存在") && r.text().contains("no organisation 999999")
        );
        let none = w
            .clerk
            .get("/api/v1/supervising-offices")
            .await
            .expect(StatusCode::OK);
        assert_eq!(none, json!([]));

        let set = put(
            &w.clerk,
            "/api/v1/supervising-offices",
            json!({"issuing_org_id": w.bureau, "unit": w.tree.street, "office_org_id": office}),
        )
        .await
        .expect(StatusCode::OK);
        assert_eq!(set["office_org_name"], "丹阳街道市场监管所");

        let plan = w
            .clerk
            .post_json(
                "/api/v1/inspection-plans",
                json!({
                    "name": "电梯安全隐患复查",
                    "template": "elevator-use-unit",
                    "unit": w.tree.street,
                    "issuing_org_id": w.bureau,
                    "supervising_org_id": w.bureau,
                    "inspector_org_id": w.plan["inspector_org_id"],
                    "due_date": "2026-12-31",
                    "targets": [{"kind": "unit", "group": "大型小区", "unit_kind": "compound"}]
                }),
            )
            .await
            .expect(StatusCode::CREATED);
        let shown = w
            .clerk
            .get(&format!("/api/v1/inspection-plans/{}", id(&plan)))
            .await
            .expect(StatusCode::OK);
        let t = &shown["targets"][0];
        assert_eq!(t["supervising_org_name"], "丹阳街道市场监管所");

        let rec = w
            .expert
            .post_json(
                "/api/v1/inspection-records",
                record(
                    id(&plan),
                    id(t),
                    "office-1",
                    answers(&app, &["maint_interval"]).await,
                ),
            )
            .await
            .expect(StatusCode::CREATED);
        let case_id = rec["record"]["findings"][0]["case_id"].as_i64().unwrap();

        // Before: nothing for the office. Now: the list, the case, the problem list.
        let list = handler.get("/api/v1/cases").await.expect(StatusCode::OK);
        let ids: Vec<i64> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, [case_id]);
        let case = handler
            .get(&format!("/api/v1/cases/{case_id}"))
            .await
            .expect(StatusCode::OK);
        assert_eq!(case["supervising_org"], office);
        let pl = handler
            .get(&format!(
                "/api/v1/inspection-records/{}/problem-list",
                id(&rec["record"])
            ))
            .await
            .expect(StatusCode::OK);
        assert_eq!(pl["supervising_org"], "丹阳街道市场监管所");
        let v = handler
            .post_json(
                &format!("/api/v1/cases/{case_id}/transitions"),
                json!({"action": "supervise", "reason": "请按期整改", "version": case["version"]}),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(v["supervised"], true);
        let r = handler
            .post_json(
                &format!("/api/v1/cases/{case_id}/transitions"),
                json!({"action": "start", "version": v["version"]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(code(&r.json()), "not_lead_org");

        // Cleared by a dispatcher, the office no longer finds it.
        put(
            &w.clerk,
            &format!("/api/v1/cases/{case_id}/supervising-org"),
            json!({"org_id": null}),
        )
        .await
        .expect(StatusCode::OK);
        let r = handler.get(&format!("/api/v1/cases/{case_id}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    });
}
