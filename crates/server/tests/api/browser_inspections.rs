//! The inspector's flow on a phone (360×740) in a real browser: an expert of
//! the engaged firm logs in, opens the plan, fills the record form with one
//! failing item and a photo, submits, sees the finding and its case, and
//! opens the problem list. Screenshots of each page; no sideways overflow,
//! no untranslated keys.

use super::browser::{
    self, assert_no_overflow, browser, cdp, click, runtime, serve, shot, text, type_in, Setup,
};
use super::support::NOW;
use fantoccini::{Client, Locator};
use serde_json::json;
use std::sync::Arc;
use wangge_core::auth::Role;
use wangge_core::inspections::{ItemKind, ELEVATOR_USE_UNIT};
use wangge_server::{AppState, FixedClock};
use wangge_store::accounts::NewUser;
use wangge_store::{Backend, Store};
use wangge_testkit::temp_store;

const PASSWORD: &str = "Lantern-river-2026";

/// The zone, a community with a shopping centre, the bureau, the expert firm
/// and its expert, and the elevator plan over the centre. Answers the plan's id.
async fn fixture(store: &Store, state: AppState) -> i64 {
    let s = Setup::new(store, state, PASSWORD, |c, ctx| {
        wangge_store::cases::seed_categories(c, ctx)?;
        wangge_store::inspections::seed_templates(c, ctx).map(|_| ())
    })
    .await;
    let zone = s
        .post(
            "/api/v1/units",
            json!({"kind": "zone", "name": "菏泽开发区", "code": "371799"}),
        )
        .await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let street = s.unit("street", "丹阳街道", &zone).await;
    let community = s.unit("community", "长江社区", &street).await;
    let bureau = s.org("开发区市场监管所", "department", &zone).await;
    let firm = s.org("第三方特种设备检验机构", "enterprise", &zone).await;
    let mall = s.org("万达广场", "enterprise", &community).await;
    let expert = NewUser {
        username: "expert".into(),
        display_name: Some("李工".into()),
        role: Role::DeptHandler,
        scope_unit: None,
        scope_org: Some(firm),
    };
    browser::user(store, PASSWORD, expert).await;
    let plan = s
        .post(
            "/api/v1/inspection-plans",
            json!({
                "name": "电梯安全隐患排查", "template": ELEVATOR_USE_UNIT, "unit": street,
                "issuing_org_id": bureau, "supervising_org_id": bureau, "inspector_org_id": firm,
                "due_date": "2026-12-31",
                "targets": [{"kind": "organisation", "group": "人员密集场所", "ids": [mall]}]
            }),
        )
        .await;
    plan["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no plan: {plan}"))
}

/// Screenshot, no overflow at phone width, no catalogue key on screen.
async fn check_page(c: &Client, name: &str) {
    check_part(c, name, None).await
}

/// As `check_page`, with the element `id` scrolled into view first.
async fn check_part(c: &Client, name: &str, id: Option<&str>) {
    if let Some(id) = id {
        c.execute(
            "document.getElementById(arguments[0]).scrollIntoView();",
            vec![json!(id)],
        )
        .await
        .unwrap();
    }
    assert_no_overflow(c, name).await;
    let body = c
        .execute("return document.body.innerText;", vec![])
        .await
        .unwrap();
    let body = body.as_str().unwrap_or_default();
    for key in ["inspection_pages.", "insp.", "state.", "kind."] {
        assert!(!body.contains(key), "{name}: untranslated {key} in {body}");
    }
    shot(c, &format!("inspection-{name}-phone")).await;
}

#[test]
fn an_inspector_records_a_finding_on_a_phone_and_opens_the_problem_list() {
    let Some(temp) = temp_store(Backend::Sqlite) else {
        return;
    };
    let store = temp.store.clone();
    let rt = runtime();
    rt.block_on(async move {
        let state = AppState::new(store.clone()).with_clock(Arc::new(FixedClock(NOW)));
        let plan = fixture(&store, state.clone()).await;
        let server = serve(state).await;
        let base = server.base.clone();
        let Some((driver, c, _profile)) = browser(360).await else {
            server.stop().await;
            return;
        };
        cdp(
            &driver,
            &c,
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 360, "height": 740, "deviceScaleFactor": 1, "mobile": true}),
        )
        .await;

        c.goto(&format!("{base}/login")).await.unwrap();
        type_in(&c, "#username", "expert").await;
        type_in(&c, "#password", PASSWORD).await;
        click(&c, "button[type=submit]").await;
        c.wait()
            .for_element(Locator::Id("home-heading"))
            .await
            .unwrap();
        click(&c, "header a[href='/inspections']").await;
        assert_eq!(text(&c, "#insp-heading").await, "检查计划");
        check_page(&c, "home").await;

        click(&c, &format!("a[href='/inspections/plans/{plan}']")).await;
        assert_eq!(text(&c, "#plan-heading").await, "电梯安全隐患排查");
        assert_eq!(text(&c, "#kpi-remaining").await, "1");
        check_page(&c, "plan").await;
        check_part(&c, "plan-targets", Some("targets-heading")).await;

        click(&c, "a.record-link").await;
        assert_eq!(text(&c, "#record-heading").await, "万达广场");
        check_page(&c, "record-form").await;
        let template = wangge_core::inspections::seed_templates()
            .into_iter()
            .find(|t| t.code == ELEVATOR_USE_UNIT)
            .unwrap();
        for (_, item) in template.items() {
            match item.kind {
                ItemKind::YesNo if item.code == "alarm_works" => {
                    click(&c, "#a-alarm_works-no").await
                }
                ItemKind::YesNo => click(&c, &format!("#a-{}-yes", item.code)).await,
                ItemKind::Number => type_in(&c, &format!("#a-{}", item.code), "10").await,
                _ => {}
            }
        }
        let photo = wangge_testkit::temp_dir().join("site.png");
        std::fs::write(&photo, super::web_cases::png()).unwrap();
        type_in(&c, "#p-site_photo", &photo.display().to_string()).await;
        type_in(&c, "#note", "轿厢报警按钮无响应").await;
        check_part(&c, "record-form-filled", Some("item-alarm_works")).await;
        click(&c, "#record-submit").await;

        let finding = text(&c, "#findings li").await;
        assert!(finding.contains("轿厢紧急报警装置有效"), "{finding}");
        assert!(finding.contains("重大隐患"), "{finding}");
        let case = text(&c, "#findings a.case-link").await;
        assert!(!case.is_empty(), "the finding's case is linked");
        check_page(&c, "record-saved").await;
        check_part(&c, "record-saved-findings", Some("findings-heading")).await;

        click(&c, "#problem-list-link").await;
        let h1 = text(&c, "h1").await;
        assert!(h1.contains("问题清单"), "{h1}");
        let list = c
            .execute("return document.body.innerText;", vec![])
            .await
            .unwrap();
        let list = list.as_str().unwrap_or_default().to_string();
        assert!(list.contains("万达广场") && list.contains(&case), "{list}");
        check_page(&c, "problem-list").await;

        // The English switch: the same plan, no key and no overflow.
        c.goto(&format!("{base}/inspections/plans/{plan}?lang=en"))
            .await
            .unwrap();
        assert_eq!(
            text(&c, "#progress-heading").await,
            "Progress and statistics"
        );
        assert_eq!(text(&c, "#kpi-with-findings").await, "1");
        check_page(&c, "plan-en").await;

        // A planner's home page with the new-plan form, and the template
        // page with its editor, fit the phone too.
        click(&c, "header form button").await;
        c.wait()
            .for_element(Locator::Id("login-heading"))
            .await
            .unwrap();
        c.goto(&format!("{base}/login?lang=zh")).await.unwrap();
        type_in(&c, "#username", "admin").await;
        type_in(&c, "#password", PASSWORD).await;
        click(&c, "button[type=submit]").await;
        c.wait()
            .for_element(Locator::Id("home-heading"))
            .await
            .unwrap();
        c.goto(&format!("{base}/inspections")).await.unwrap();
        assert_eq!(text(&c, "#new-plan-heading").await, "新建检查计划");
        check_part(&c, "home-planner-form", Some("new-plan-heading")).await;
        c.goto(&format!("{base}/inspections/templates/{ELEVATOR_USE_UNIT}"))
            .await
            .unwrap();
        assert_eq!(text(&c, "#tpl-version").await, "v1");
        check_page(&c, "template").await;
        check_part(&c, "template-editor", Some("tpl-edit-heading")).await;

        c.close().await.unwrap();
        drop(driver);
        server.stop().await;
    });
}
