//! A case end to end in a real browser: a resident reports with a photo on a
//! phone; a street clerk accepts and dispatches; the department handles it with
//! evidence; a grid worker verifies; the clerk closes; the resident rates; the
//! dashboard's closed count goes up by one; a cadre of another community cannot
//! open the case. Then every main page at phone and desktop width: screenshots,
//! no sideways overflow, no untranslated keys, no English on Chinese pages.

use super::browser::{
    self, assert_no_overflow, browser, cdp, click, runtime, serve, shot, text, type_in, Setup,
};
use super::support::NOW;
use fantoccini::{Client, Locator};
use serde_json::json;
use std::sync::Arc;
use wangge_core::auth::Role;
use wangge_server::{AppState, FixedClock};
use wangge_store::accounts::NewUser;
use wangge_store::{Backend, Store};
use wangge_testkit::temp_store;

const PASSWORD: &str = "Lantern-river-2026";

async fn user(store: &Store, name: &str, role: Role, unit: Option<&str>, org: Option<i64>) {
    let new = NewUser {
        username: name.into(),
        display_name: None,
        role,
        scope_unit: unit.map(str::to_string),
        scope_org: org,
    };
    browser::user(store, PASSWORD, new).await;
}

struct Fixture {
    community: String,
    building: String,
    dept: i64,
}

async fn fixture(store: &Store, state: AppState) -> Fixture {
    let s = Setup::new(store, state, PASSWORD, |c, ctx| {
        wangge_store::cases::seed_categories(c, ctx).map(|_| ())
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
    let other = s.unit("community", "黄河社区", &street).await;
    let compound = s.unit("compound", "康庄小区", &community).await;
    let building = s.unit("building", "1号楼", &compound).await;
    let dept = s.org("菏泽开发区市场监督管理局", "department", &zone).await;
    user(store, "clerk", Role::StreetStaff, Some(&street), None).await;
    user(store, "handler", Role::DeptHandler, None, Some(dept)).await;
    user(store, "grid", Role::GridWorker, Some(&community), None).await;
    user(store, "outsider", Role::CommunityCadre, Some(&other), None).await;
    user(store, "zadmin", Role::ZoneAdmin, None, None).await;
    Fixture {
        community,
        building,
        dept,
    }
}

async fn log_in(c: &Client, base: &str, name: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    type_in(c, "#username", name).await;
    type_in(c, "#password", PASSWORD).await;
    click(c, "button[type=submit]").await;
    c.wait()
        .for_element(Locator::Id("home-heading"))
        .await
        .unwrap();
}

async fn log_out(c: &Client) {
    click(c, "header form button").await;
    c.wait()
        .for_element(Locator::Id("login-heading"))
        .await
        .unwrap();
}

/// Takes a step from the case page: opens its form, fills it, submits, and
/// waits for the page to say it was done.
async fn step(c: &Client, base: &str, case: &str, action: &str, fill: &[(&str, &str)]) {
    c.goto(&format!("{base}{case}")).await.unwrap();
    click(c, &format!("#act-{action} summary")).await;
    for (css, value) in fill {
        let el = c.find(Locator::Css(css)).await.unwrap();
        if el.tag_name().await.unwrap() == "select" {
            el.select_by_value(value).await.unwrap();
        } else {
            el.send_keys(value).await.unwrap();
        }
    }
    click(c, &format!("#act-{action} button[type=submit]")).await;
    let notice = text(c, "p.notice").await;
    assert!(!notice.is_empty(), "{action} done");
}

/// What a reader sees must be in the page's language: no catalogue keys, and
/// on a Chinese page no English words beyond names and formats.
async fn assert_readable(c: &Client, page: &str, chinese: bool) {
    let body = c
        .execute("return document.body.innerText;", vec![])
        .await
        .unwrap();
    let body = body.as_str().unwrap_or_default().to_string();
    for key in [
        "case.", "dash.", "portal.", "state.", "action.", "source.", "close.",
    ] {
        assert!(
            !body.contains(key),
            "{page}: untranslated key {key} in {body}"
        );
    }
    if chinese {
        // User names are data, not text of the interface.
        let allowed = [
            "English", "Wangge", "OpenAPI", "JPEG", "PNG", "WebP", "PDF", "MB", "Open311", "Excel",
            "xlsx", "CSV", "csv", "UTF", "clerk", "handler", "grid", "outsider", "admin", "zadmin",
            "system",
        ];
        for word in body.split(|ch: char| !ch.is_ascii_alphabetic()) {
            if word.len() >= 3 && !allowed.contains(&word) {
                panic!("{page}: English word {word:?} on a Chinese page: {body}");
            }
        }
    }
}

#[test]
fn a_case_from_a_phone_report_to_its_rating_in_a_browser() {
    let Some(temp) = temp_store(Backend::Sqlite) else {
        return;
    };
    let store = temp.store.clone();
    let photo = wangge_testkit::temp_dir().join("pothole.png");
    std::fs::write(&photo, super::web_cases::png()).unwrap();
    let rt = runtime();
    rt.block_on(async move {
        let state = AppState::new(store.clone()).with_clock(Arc::new(FixedClock(NOW)));
        let fx = fixture(&store, state.clone()).await;
        let server = serve(state).await;
        let base = server.base.clone();

        // The resident, on a phone.
        let Some((phone_driver, phone, phone_profile)) = browser(360).await else {
            server.stop().await;
            return;
        };
        // The phone allows the site its position, and DevTools says where it is.
        cdp(
            &phone_driver,
            &phone,
            "Browser.grantPermissions",
            json!({"permissions": ["geolocation"]}),
        )
        .await;
        cdp(
            &phone_driver,
            &phone,
            "Emulation.setGeolocationOverride",
            json!({"latitude": 35.234_6, "longitude": 115.480_7, "accuracy": 10}),
        )
        .await;
        phone.goto(&format!("{base}/report")).await.unwrap();
        phone
            .find(Locator::Id("category"))
            .await
            .unwrap()
            .select_by_value("0105")
            .await
            .unwrap();
        type_in(
            &phone,
            "#description",
            "3号楼东侧有人私搭彩钢房,占用消防通道",
        )
        .await;
        phone
            .find(Locator::Id("unit"))
            .await
            .unwrap()
            .select_by_value(&fx.building)
            .await
            .unwrap();
        // "Use my position" (static/locate.js) fills the hidden coordinates.
        click(&phone, "#locate").await;
        let mut located = String::new();
        for _ in 0..50 {
            located = text(&phone, "#locate-status").await;
            if !located.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(located, "已获取您的位置");
        let lat = phone
            .find(Locator::Id("lat"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(lat.as_deref(), Some("35.234600"));
        type_in(&phone, "#photos", photo.to_str().unwrap()).await;
        click(&phone, "#submit-report").await;
        let number = text(&phone, "#tracking-no").await;
        assert!(number.starts_with("WG-"), "{number}");
        assert_no_overflow(&phone, "receipt").await;
        shot(&phone, "flow-receipt-phone").await;
        let track = phone
            .find(Locator::Id("track-link"))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap()
            .unwrap();

        // Staff at their desks.
        let Some((_desk_driver, desk, desk_profile)) = browser(1280).await else {
            return;
        };
        log_in(&desk, &base, "clerk").await;
        let inbox = text(&desk, "#inbox-heading").await;
        assert!(inbox.contains('1'), "{inbox}");
        let case = desk
            .find(Locator::Css("ul.case-list a"))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        // The report carries the phone's position.
        desk.goto(&format!("{base}{case}")).await.unwrap();
        let facts = text(&desk, "dl.facts").await;
        assert!(facts.contains("35.234600, 115.480700"), "{facts}");
        desk.goto(&format!("{base}/dashboard")).await.unwrap();
        let closed_before: i64 = text(&desk, "#kpi-closed").await.parse().unwrap();
        step(&desk, &base, &case, "accept", &[]).await;
        let dept = fx.dept.to_string();
        step(
            &desk,
            &base,
            &case,
            "dispatch",
            &[
                ("#dispatch-org", dept.as_str()),
                ("#dispatch-note", "请今天到现场"),
            ],
        )
        .await;
        log_out(&desk).await;

        log_in(&desk, &base, "handler").await;
        step(
            &desk,
            &base,
            &case,
            "handle",
            &[
                ("#handle-note", "已拆除彩钢房"),
                ("#handle-evidence", photo.to_str().unwrap()),
            ],
        )
        .await;
        log_out(&desk).await;

        log_in(&desk, &base, "grid").await;
        step(
            &desk,
            &base,
            &case,
            "verify",
            &[("#verify-note", "现场已核实")],
        )
        .await;
        log_out(&desk).await;

        log_in(&desk, &base, "clerk").await;
        step(&desk, &base, &case, "close", &[("#close-close", "fixed")]).await;
        desk.goto(&format!("{base}/dashboard")).await.unwrap();
        let closed: i64 = text(&desk, "#kpi-closed").await.parse().unwrap();
        assert_eq!(closed, closed_before + 1, "the dashboard counts the close");
        log_out(&desk).await;

        // The resident rates the result.
        phone.goto(&format!("{base}{track}")).await.unwrap();
        click(&phone, "input[name=rating][value='5']").await;
        type_in(&phone, "#comment", "处理很及时").await;
        click(&phone, "#submit-rating").await;
        assert_eq!(text(&phone, "#your-rating").await, "5 / 5");
        assert_readable(&phone, "track", true).await;
        // The resident sees the photos of the report and of the handling.
        let loaded = phone
            .execute(
                "return Array.from(document.querySelectorAll('#track-photos img'))\
                 .map(function (i) { return i.complete && i.naturalWidth > 0; });",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(loaded, json!([true, true]), "two photos shown and loaded");

        // A cadre of another community cannot open the case.
        log_in(&desk, &base, "outsider").await;
        desk.goto(&format!("{base}{case}")).await.unwrap();
        let body = text(&desk, "main").await;
        assert!(body.contains("未找到"), "{body}");
        assert!(!body.contains(&number));
        desk.goto(&format!("{base}/")).await.unwrap();
        log_out(&desk).await;

        // Every main page at both widths.
        let pages_public = [
            ("report", "/report".to_string()),
            ("tip", "/tip".to_string()),
            ("track", track.clone()),
        ];
        let pages_staff = [
            ("home", "/".to_string()),
            ("cases", "/cases".to_string()),
            ("case-new", "/cases/new".to_string()),
            ("case", case.clone()),
            ("dashboard", "/dashboard".to_string()),
            (
                "dashboard-community",
                format!("/dashboard?unit={}", fx.community),
            ),
        ];
        log_in(&phone, &base, "clerk").await;
        log_in(&desk, &base, "clerk").await;
        for (c, label) in [(&phone, "phone"), (&desk, "desktop")] {
            for (name, path) in pages_public.iter().chain(pages_staff.iter()) {
                c.goto(&format!("{base}{path}")).await.unwrap();
                c.wait().for_element(Locator::Css("main")).await.unwrap();
                assert_no_overflow(c, name).await;
                assert_readable(c, name, true).await;
                shot(c, &format!("{name}-{label}")).await;
            }
            c.goto(&format!("{base}/dashboard?lang=en")).await.unwrap();
            assert_readable(c, "dashboard-en", false).await;
            shot(c, &format!("dashboard-en-{label}")).await;
            c.goto(&format!("{base}/?lang=zh")).await.unwrap();
        }
        // The zone administrator's pages.
        let pages_admin = [
            ("admin-categories", "/admin/categories"),
            ("admin-category", "/admin/categories/0105"),
            ("admin-calendar", "/admin/calendar"),
        ];
        for (c, label) in [(&phone, "phone"), (&desk, "desktop")] {
            log_out(c).await;
            log_in(c, &base, "zadmin").await;
            for (name, path) in pages_admin {
                for (lang, chinese) in [("zh", true), ("en", false)] {
                    c.goto(&format!("{base}{path}?lang={lang}")).await.unwrap();
                    c.wait().for_element(Locator::Css("main")).await.unwrap();
                    assert_no_overflow(c, name).await;
                    assert_readable(c, name, chinese).await;
                    shot(c, &format!("{name}-{lang}-{label}")).await;
                }
            }
            c.goto(&format!("{base}/?lang=zh")).await.unwrap();
        }
        phone.close().await.unwrap();
        desk.close().await.unwrap();
        let _ = std::fs::remove_dir_all(phone_profile);
        let _ = std::fs::remove_dir_all(desk_profile);
        server.stop().await;
    });
    drop(rt);
    drop(temp);
}
