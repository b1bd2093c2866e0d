//! The residents' portal in a real browser at phone width (390 px): the
//! public home, a report from the phone's position (the nearest located place
//! is chosen for the resident), the receipt,
//! then finding the case again by its number and the phone's last four
//! digits, with who is responsible and by when.

use super::browser::{
    assert_no_overflow, browser, cdp, click, runtime, serve, shot, text, type_in, Setup,
};
use super::support::NOW;
use fantoccini::Locator;
use serde_json::json;
use std::sync::Arc;
use wangge_server::{AppState, FixedClock};
use wangge_store::Backend;
use wangge_testkit::temp_store;

#[test]
fn a_resident_reports_with_a_position_only_and_finds_the_case_again_on_a_phone() {
    let Some(temp) = temp_store(Backend::Sqlite) else {
        return;
    };
    let store = temp.store.clone();
    let rt = runtime();
    rt.block_on(async move {
        let state = AppState::new(store.clone()).with_clock(Arc::new(FixedClock(NOW)));
        let s = Setup::new(&store, state.clone(), "Lantern-river-2026", |c, ctx| {
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
        // About 110 m from where the phone says it is; 黄河社区 is 5 km off.
        s.put(
            &format!("/api/v1/units/{community}/position"),
            json!({"lat": 35.2356, "lon": 115.4807}),
        )
        .await;
        let far = s.unit("community", "黄河社区", &street).await;
        s.put(
            &format!("/api/v1/units/{far}/position"),
            json!({"lat": 35.28, "lon": 115.4807}),
        )
        .await;
        let dept = s.org("开发区城市管理局", "department", &zone).await;
        let server = serve(state).await;
        let base = server.base.clone();

        let Some((driver, phone, _profile)) = browser(390).await else {
            server.stop().await;
            return;
        };
        cdp(
            &driver,
            &phone,
            "Browser.grantPermissions",
            json!({"permissions": ["geolocation"]}),
        )
        .await;
        cdp(
            &driver,
            &phone,
            "Emulation.setGeolocationOverride",
            json!({"latitude": 35.234_6, "longitude": 115.480_7, "accuracy": 10}),
        )
        .await;

        // The address alone leads to the public home, not the staff login.
        phone.goto(&format!("{base}/")).await.unwrap();
        assert!(!text(&phone, "#public-home-heading").await.is_empty());
        assert_no_overflow(&phone, "public home").await;
        shot(&phone, "portal-home-phone").await;
        click(&phone, "#go-report").await;

        phone
            .find(Locator::Id("category"))
            .await
            .unwrap()
            .select_by_value("0105")
            .await
            .unwrap();
        type_in(&phone, "#description", "路口有人私搭彩钢房").await;
        type_in(&phone, "#contact", "13800005678").await;
        // No place chosen: the position chooses the nearest located one.
        click(&phone, "#locate").await;
        let mut located = String::new();
        for _ in 0..50 {
            located = text(&phone, "#locate-status").await;
            if !located.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        // The second message may already have replaced the first.
        assert!(
            located == "已获取您的位置" || located.starts_with("已选离您最近的地点"),
            "{located}"
        );
        // The places near the position come first, and the nearest is chosen.
        let mut chosen = String::new();
        for _ in 0..50 {
            chosen = phone
                .execute("return document.getElementById('unit').value", vec![])
                .await
                .unwrap()
                .as_str()
                .unwrap_or_default()
                .to_string();
            if !chosen.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(chosen, community);
        let near = phone
            .execute(
                "return document.getElementById('near-places').textContent",
                vec![],
            )
            .await
            .unwrap()
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(near.contains("长江社区(约111米)"), "{near}");
        assert!(!near.contains("黄河社区"), "{near}");
        assert!(text(&phone, "#locate-status").await.contains("长江社区"));
        assert_no_overflow(&phone, "near places").await;
        shot(&phone, "portal-near-places-phone").await;
        // Enter in a field sends the report (not the place search above it).
        phone
            .find(Locator::Id("contact"))
            .await
            .unwrap()
            .send_keys("\u{E007}")
            .await
            .unwrap();
        let number = text(&phone, "#tracking-no").await;
        assert!(number.starts_with("WG-"), "{number}");
        assert_no_overflow(&phone, "receipt").await;

        // Staff take it on and send it to a department.
        let c1 = s
            .post(
                "/api/v1/cases/1/transitions",
                json!({"action": "accept", "version": 1}),
            )
            .await;
        s.post(
            "/api/v1/cases/1/transitions",
            json!({"action": "dispatch", "lead_org": dept, "version": c1["version"]}),
        )
        .await;

        // Without the private link: the number and the last four digits.
        phone.goto(&format!("{base}/")).await.unwrap();
        click(&phone, "#go-lookup").await;
        type_in(&phone, "#number", &number).await;
        type_in(&phone, "#last4", "5678").await;
        click(&phone, "#submit-lookup").await;
        assert_eq!(text(&phone, "#tracking-no").await, number);
        assert_eq!(text(&phone, "#track-responsible").await, "开发区城市管理局");
        assert!(!text(&phone, "#track-deadline").await.is_empty());
        assert_no_overflow(&phone, "lookup").await;
        shot(&phone, "portal-lookup-phone").await;
        server.stop().await;
    });
}
