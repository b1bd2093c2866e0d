//! The inspection pages over HTTP: the plans home with its new-plan form, the
//! plan page, the inspector's record form (a failing item becoming a finding
//! and a case, wrong answers shown next to their fields with the typed text
//! kept, a double submit storing one record, a target outside the user's
//! scope refused) and the template pages with the JSON editor, in Chinese and
//! in English. The new-plan form and the template editor are in `forms.rs`.

use super::support::{code, id, on_both_backends, App, Reply, Session, Tree, NOW};
use super::web_cases::{page, png, post_multipart};
use axum::http::{header, StatusCode};
use serde_json::{json, Value};
use wangge_core::auth::Role;
use wangge_core::inspections::{ItemKind, TemplateBody, ELEVATOR_USE_UNIT};
use wangge_store::Scope;

mod forms;

const PASSWORD: &str = "Lantern-river-2026";

pub struct World {
    pub tree: Tree,
    pub bureau: i64,
    pub plan: i64,
    pub mall_target: i64,
    pub clerk: Session,
    pub expert: Session,
    pub outsider: Session,
    /// The API as street staff, for counting records.
    pub api: App,
}

async fn org(app: &App, name: &str, kind: &str, unit: &str) -> i64 {
    id(&app
        .post_json(
            "/api/v1/organisations",
            json!({"name": name, "kind": kind, "unit": unit}),
        )
        .await
        .expect(StatusCode::CREATED))
}

/// The seeds' elevator investigation in miniature: a bureau issues it, an
/// expert firm inspects a shopping centre and the large compounds.
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
    let other = app.unit("community", "黄河社区", &tree.street).await;
    let bureau = org(app, "开发区市场监管所", "department", &tree.zone).await;
    let firm = org(app, "第三方特种设备检验机构", "enterprise", &tree.zone).await;
    let mall = org(app, "万达广场", "enterprise", &tree.community).await;
    app.password_account(
        "clerk",
        PASSWORD,
        Role::StreetStaff,
        Some(&tree.street),
        None,
    )
    .await;
    app.password_account("expert", PASSWORD, Role::DeptHandler, None, Some(firm))
        .await;
    app.password_account(
        "outsider",
        PASSWORD,
        Role::CommunityCadre,
        Some(&code(&other)),
        None,
    )
    .await;
    let clerk = app.as_user("clerk-api", Role::StreetStaff, Some(&tree.street), None);
    let plan = clerk
        .post_json(
            "/api/v1/inspection-plans",
            json!({
                "name": "电梯安全隐患排查",
                "template": ELEVATOR_USE_UNIT,
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
    let plan_id = id(&plan);
    let full = clerk
        .get(&format!("/api/v1/inspection-plans/{plan_id}"))
        .await
        .expect(StatusCode::OK);
    let mall_target = full["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["label"] == "万达广场")
        .map(id)
        .unwrap();
    World {
        tree,
        bureau,
        plan: plan_id,
        mall_target,
        clerk: app.session("clerk", PASSWORD).await,
        expert: app.session("expert", PASSWORD).await,
        outsider: app.session("outsider", PASSWORD).await,
        api: clerk,
    }
}

pub fn elevator() -> TemplateBody {
    wangge_core::inspections::seed_templates()
        .into_iter()
        .find(|t| t.code == ELEVATOR_USE_UNIT)
        .unwrap()
}

/// The value of the hidden or text input named `name`.
pub fn value_of(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no input {name} in {html}"));
    let rest = &html[at + marker.len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// The text of the element with this id.
fn by_id(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let rest = &html[at..];
    let start = rest.find('>').unwrap() + 1;
    rest[start..].split('<').next().unwrap().trim().to_string()
}

/// Every item answered in order, except the overrides.
fn answers(overrides: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for s in elevator().sections {
        for i in s.items {
            let v = match i.kind {
                ItemKind::YesNo => "yes",
                ItemKind::Number => "10",
                _ => continue,
            };
            let v = overrides
                .iter()
                .find(|(c, _)| *c == i.code)
                .map_or(v, |(_, v)| v);
            out.push((format!("a.{}", i.code), v.to_string()));
        }
    }
    out
}

fn record_path(w: &World, target: i64) -> String {
    format!("/inspections/plans/{}/targets/{target}/record", w.plan)
}

/// Sends the record form as a browser would from the page it was given.
async fn send_record(
    app: &App,
    s: &Session,
    path: &str,
    form_html: &str,
    overrides: &[(&str, &str)],
    photo: bool,
) -> Reply {
    let key = value_of(form_html, "record_key");
    let at = value_of(form_html, "recorded_at");
    let answers = answers(overrides);
    let mut fields: Vec<(&str, &str)> = vec![
        ("csrf", s.csrf.as_str()),
        ("record_key", key.as_str()),
        ("recorded_at", at.as_str()),
        ("a.remark", "机房门锁已更换"),
        ("lat", "35.25"),
        ("lon", "115.47"),
    ];
    fields.extend(answers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let files = if photo {
        vec![("p.site_photo", "现场.png", "image/png", png())]
    } else {
        Vec::new()
    };
    post_multipart(app, path, Some(s), &fields, &files).await
}

async fn records_of(_app: &App, w: &World) -> i64 {
    let clerk = &w.api;
    let p: Value = clerk
        .get(&format!("/api/v1/inspection-plans/{}", w.plan))
        .await
        .expect(StatusCode::OK);
    p["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["records"].as_i64().unwrap())
        .sum()
}

fn location(r: &Reply) -> String {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    r.headers[header::LOCATION].to_str().unwrap().to_string()
}

#[test]
fn the_plans_and_a_plan_show_progress_in_both_languages() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let home = page(&app, "/inspections", Some(&w.clerk)).await;
        assert_eq!(home.status, StatusCode::OK);
        let html = home.text();
        assert!(html.contains("href=\"/inspections\">检查</a>"), "{html}");
        assert!(html.contains("电梯安全隐患排查"));
        assert!(html.contains("已检查 0 · 有问题 0 · 未检查 2"), "{html}");
        assert!(html.contains("新建检查计划"), "street staff may plan");
        assert!(
            !html.contains("inspection_pages."),
            "untranslated key: {html}"
        );

        let en = page(&app, "/inspections?lang=en", Some(&w.clerk))
            .await
            .text();
        assert!(en.contains("Inspection plans") && en.contains(">Inspections</a>"));
        assert!(
            en.contains("Inspected 0 · With findings 0 · Remaining 2"),
            "{en}"
        );
        assert!(!en.contains("inspection_pages.") && !en.contains("新建检查计划"));

        let plan = page(
            &app,
            &format!("/inspections/plans/{}", w.plan),
            Some(&w.clerk),
        )
        .await
        .text();
        assert_eq!(by_id(&plan, "kpi-targets"), "2");
        assert_eq!(by_id(&plan, "kpi-remaining"), "2");
        assert!(plan.contains("万达广场") && plan.contains("人员密集场所"));
        assert!(plan.contains("开发区市场监管所"));
        assert!(plan.contains(&record_path(&w, w.mall_target)));

        // The expert's session sees the plan engaged on; the pages need a login.
        let expert = page(&app, "/inspections", Some(&w.expert)).await.text();
        assert!(expert.contains("电梯安全隐患排查"));
        assert!(!expert.contains("新建检查计划"), "an expert does not plan");
        let anon = page(&app, "/inspections", None).await;
        assert_eq!(anon.status, StatusCode::SEE_OTHER);
        let missing = page(&app, "/inspections/plans/999999", Some(&w.clerk)).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
    });
}

#[test]
fn an_inspector_records_a_failing_item_and_sees_its_case_once_for_a_double_submit() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let path = record_path(&w, w.mall_target);
        let form = page(&app, &path, Some(&w.expert)).await;
        assert_eq!(form.status, StatusCode::OK);
        let html = form.text();
        for part in [
            "name=\"a.alarm_works\" id=\"a-alarm_works-no\" value=\"no\"",
            "name=\"a.maint_interval\"",
            "name=\"p.site_photo\"",
            "/static/locate.js",
            "enctype=\"multipart/form-data\"",
            "使用登记与定期检验",
        ] {
            assert!(html.contains(part), "{part} missing: {html}");
        }
        assert!(value_of(&html, "record_key").len() > 20);

        let r = send_record(
            &app,
            &w.expert,
            &path,
            &html,
            &[("alarm_works", "no")],
            true,
        )
        .await;
        let saved = location(&r);
        assert!(saved.starts_with("/inspections/records/"), "{saved}");
        let shown = page(&app, &saved, Some(&w.expert)).await.text();
        assert!(shown.contains("轿厢紧急报警装置有效"), "{shown}");
        assert!(shown.contains("重大隐患"));
        assert!(shown.contains("class=\"case-link mono\" href=\"/cases/"));
        assert!(shown.contains(&format!("{saved}/problem-list")));
        assert_eq!(records_of(&app, &w).await, 1);

        // A double tap, and a resend after a lost answer carrying the photo
        // again: the same record, nothing new.
        let again = send_record(
            &app,
            &w.expert,
            &path,
            &html,
            &[("alarm_works", "no")],
            true,
        )
        .await;
        assert_eq!(location(&again), saved);
        let plain = send_record(
            &app,
            &w.expert,
            &path,
            &html,
            &[("alarm_works", "no")],
            false,
        )
        .await;
        assert_eq!(location(&plain), saved);
        assert_eq!(records_of(&app, &w).await, 1);

        let en = page(&app, &format!("{saved}?lang=en"), Some(&w.expert))
            .await
            .text();
        assert!(en.contains("Major hazard") && en.contains("Problem list"));
        assert!(!en.contains("inspection_pages.") && !en.contains("重大隐患"));

        // The plan now counts the target as done with findings.
        let plan = page(
            &app,
            &format!("/inspections/plans/{}", w.plan),
            Some(&w.clerk),
        )
        .await
        .text();
        assert_eq!(by_id(&plan, "kpi-done"), "1");
        assert_eq!(by_id(&plan, "kpi-with-findings"), "1");
        assert!(plan.contains(&format!("href=\"{saved}/problem-list\"")));
        // A fresh form is a new record with a new key.
        let fresh = page(&app, &path, Some(&w.expert)).await.text();
        assert_ne!(
            value_of(&fresh, "record_key"),
            value_of(&html, "record_key")
        );
    });
}

#[test]
fn wrong_answers_are_shown_next_to_their_fields_with_everything_typed_kept() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let path = record_path(&w, w.mall_target);
        let html = page(&app, &path, Some(&w.expert)).await.text();
        let cases = [
            ("abc", "请填写数字"),
            ("500", "超出范围"),
            ("-1", "超出范围"),
        ];
        for (typed, says) in cases {
            let r = send_record(
                &app,
                &w.expert,
                &path,
                &html,
                &[
                    ("maint_interval", typed),
                    ("emergency_plan", ""),
                    ("rules_posted", "maybe"),
                ],
                false,
            )
            .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
            let back = r.text();
            assert!(
                by_id(&back, "err-maint_interval").contains(says),
                "{typed}: {back}"
            );
            assert_eq!(
                value_of(&back, "a.maint_interval"),
                typed,
                "typed text kept"
            );
            assert_eq!(by_id(&back, "err-emergency_plan"), "此项必须填写");
            assert_eq!(by_id(&back, "err-rules_posted"), "请选择“是”或“否”");
            // Other answers, the note and the record's key survive.
            assert!(back.contains("id=\"a-alarm_works-yes\" value=\"yes\" checked"));
            assert!(back.contains("机房门锁已更换"));
            assert_eq!(value_of(&back, "record_key"), value_of(&html, "record_key"));
            assert_eq!(value_of(&back, "lat"), "35.25");
        }
        let en = send_record(
            &app,
            &w.expert,
            &format!("{path}?lang=en"),
            &html,
            &[("maint_interval", "abc")],
            false,
        )
        .await;
        assert_eq!(en.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(by_id(&en.text(), "err-maint_interval"), "Enter a number");
        assert_eq!(records_of(&app, &w).await, 0, "nothing stored");

        // A file that is not a photo is refused next to the photo item,
        // with the answers kept, before any record exists.
        let key = value_of(&html, "record_key");
        let at = value_of(&html, "recorded_at");
        let answers = answers(&[("maint_interval", "12")]);
        let mut fields: Vec<(&str, &str)> = vec![
            ("csrf", w.expert.csrf.as_str()),
            ("record_key", key.as_str()),
            ("recorded_at", at.as_str()),
        ];
        fields.extend(answers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let files = [(
            "p.site_photo",
            "notes.txt",
            "text/plain",
            b"not a photo".to_vec(),
        )];
        let r = post_multipart(&app, &path, Some(&w.expert), &fields, &files).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let back = r.text();
        assert!(
            by_id(&back, "err-site_photo").starts_with("notes.txt"),
            "{back}"
        );
        assert_eq!(value_of(&back, "a.maint_interval"), "12");
        assert_eq!(records_of(&app, &w).await, 0, "nothing stored");

        // Corrected with the same key, it is stored once.
        let ok = send_record(&app, &w.expert, &path, &html, &[], false).await;
        let saved = location(&ok);
        let shown = page(&app, &saved, Some(&w.expert)).await.text();
        assert!(shown.contains("本次检查未发现问题"));
        assert_eq!(records_of(&app, &w).await, 1);
    });
}

#[test]
fn a_target_outside_the_users_scope_or_plan_is_refused() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let path = record_path(&w, w.mall_target);
        let html = page(&app, &path, Some(&w.expert)).await.text();
        // A community cadre of another community may record, but not here.
        let r = page(&app, &path, Some(&w.outsider)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let sent = send_record(&app, &w.outsider, &path, &html, &[], false).await;
        assert_eq!(sent.status, StatusCode::NOT_FOUND, "{}", sent.text());
        // A target id that is not in the plan.
        let other = record_path(&w, 999_999);
        assert_eq!(
            page(&app, &other, Some(&w.expert)).await.status,
            StatusCode::NOT_FOUND
        );
        let sent = send_record(&app, &w.expert, &other, &html, &[], false).await;
        assert_eq!(sent.status, StatusCode::NOT_FOUND);
        // A form without the session's CSRF token does nothing.
        let mut s = w.expert.clone();
        s.csrf = "forged".into();
        let sent = send_record(&app, &s, &path, &html, &[], false).await;
        assert_eq!(sent.status, StatusCode::FORBIDDEN);
        assert_eq!(records_of(&app, &w).await, 0);
    });
}
