//! A case end to end in a real browser: a resident reports with a photo on a
//! phone; a street clerk accepts and dispatches; the department handles it with
//! evidence; a grid worker verifies; the clerk closes; the resident rates; the
//! dashboard's closed count goes up by one; a cadre of another community cannot
//! open the case. Then every main page at phone and desktop width: screenshots,
//! no sideways overflow, no untranslated keys, no English on Chinese pages.

use super::browser::{assert_no_overflow, browser, cdp, shot};
use super::support::NOW;
use axum::body::Body;
use axum::http::{header, Method, Request};
use fantoccini::{Client, Locator};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::sync::Arc;
use tower::ServiceExt;
use wangge_core::auth::Role;
use wangge_server::{AppState, FixedClock};
use wangge_store::accounts::{self, NewUser};
use wangge_store::testing::temp_store;
use wangge_store::{Backend, Scope, Store};

const PASSWORD: &str = "Lantern-river-2026";

/// Setup through the API, in process, as the zone administrator.
async fn api(router: &axum::Router, token: &str, path: &str, body: Value) -> Value {
    let req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap()
}

async fn user(store: &Store, name: &str, role: Role, unit: Option<&str>, org: Option<i64>) {
    let ctx = store.ctx("setup", Scope::All, NOW);
    let hash = accounts::hash_password(PASSWORD).unwrap();
    let new = NewUser {
        username: name.into(),
        display_name: None,
        role,
        scope_unit: unit.map(str::to_string),
        scope_org: org,
    };
    store
        .db
        .write(move |c| accounts::create_user(c, &ctx, new, &hash))
        .await
        .unwrap();
}

struct Fixture {
    community: String,
    building: String,
    dept: i64,
}

async fn fixture(store: &Store, state: AppState) -> Fixture {
    let ctx = store.ctx("setup", Scope::All, NOW);
    let token = store
        .db
        .write(move |c| {
            wangge_store::cases::seed_categories(c, &ctx)?;
            let admin = NewUser {
                username: "admin".into(),
                display_name: None,
                role: Role::ZoneAdmin,
                scope_unit: None,
                scope_org: None,
            };
            accounts::create_user(c, &ctx, admin, "x")?;
            accounts::create_token(c, &ctx, "admin", "setup").map(|(_, t)| t)
        })
        .await
        .unwrap();
    let r = wangge_server::router(state);
    let unit = |kind: &str, name: &str, parent: &str| json!({"kind": kind, "name": name, "parent": parent});
    let zone = api(
        &r,
        &token,
        "/api/v1/units",
        json!({"kind": "zone", "name": "菏泽开发区", "code": "371799"}),
    )
    .await;
    let zone = zone["code"].as_str().unwrap().to_string();
    let street = api(
        &r,
        &token,
        "/api/v1/units",
        unit("street", "丹阳街道", &zone),
    )
    .await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let community = api(
        &r,
        &token,
        "/api/v1/units",
        unit("community", "长江社区", &street),
    )
    .await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let other = api(
        &r,
        &token,
        "/api/v1/units",
        unit("community", "黄河社区", &street),
    )
    .await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let compound = api(
        &r,
        &token,
        "/api/v1/units",
        unit("compound", "康庄小区", &community),
    )
    .await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let building = api(
        &r,
        &token,
        "/api/v1/units",
        unit("building", "1号楼", &compound),
    )
    .await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let dept = api(
        &r,
        &token,
        "/api/v1/organisations",
        json!({"name": "菏泽开发区市场监督管理局", "kind": "department", "unit": zone}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
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

async fn text(c: &Client, css: &str) -> String {
    c.wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

async fn type_in(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .send_keys(value)
        .await
        .unwrap();
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
    let photo = wangge_store::testing::temp_dir().join("pothole.png");
    std::fs::write(&photo, super::web_cases::png()).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let state = AppState::new(store.clone()).with_clock(Arc::new(FixedClock(NOW)));
        let fx = fixture(&store, state.clone()).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(wangge_server::serve(listener, state, async move {
            let _ = stopped.await;
        }));

        // The resident, on a phone.
        let Some((phone_driver, phone, phone_profile)) = browser(360).await else {
            let _ = stop.send(());
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
        let _ = stop.send(());
        let _ = server.await;
    });
    drop(rt);
    drop(temp);
}
