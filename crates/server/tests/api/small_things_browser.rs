//! The small things users hit, in a real browser at a phone's width (390 px):
//! the equipment table scrolls with readable cells, chart labels are at least
//! 11 px on screen, and a printed page has no grey backdrop below its content.

use super::browser::{browser, cdp, runtime, serve, shot, type_in, Setup};
use super::support::NOW;
use fantoccini::{Client, Locator};
use serde_json::json;
use std::sync::Arc;
use wangge_server::{AppState, FixedClock};
use wangge_store::Backend;
use wangge_testkit::temp_store;

const PASSWORD: &str = "Lantern-river-2026";

async fn log_in(c: &Client, base: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    type_in(c, "#username", "admin").await;
    type_in(c, "#password", PASSWORD).await;
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("header.top nav form"))
        .await
        .expect("signed in");
}

async fn number(c: &Client, script: &str) -> f64 {
    c.execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("{script}: {e}"))
        .as_f64()
        .unwrap_or_else(|| panic!("{script}: not a number"))
}

#[test]
fn at_phone_width_tables_scroll_charts_read_and_print_is_white() {
    let Some(temp) = temp_store(Backend::Sqlite) else {
        return;
    };
    let store = temp.store.clone();
    let rt = runtime();
    rt.block_on(async move {
        let state = AppState::new(store.clone()).with_clock(Arc::new(FixedClock(NOW)));
        let setup = Setup::new(&store, state.clone(), PASSWORD, |c, ctx| {
            wangge_store::cases::seed_categories(c, ctx).map(|_| ())
        })
        .await;
        let zone = setup
            .post(
                "/api/v1/units",
                json!({"kind": "zone", "name": "菏泽开发区", "code": "371799"}),
            )
            .await["code"]
            .as_str()
            .unwrap()
            .to_string();
        let street = setup.unit("street", "丹阳街道", &zone).await;
        let community = setup.unit("community", "长江社区", &street).await;
        let compound = setup.unit("compound", "康庄小区", &community).await;
        let property = setup
            .org("菏泽开发区康庄物业管理有限公司", "property_company", &compound)
            .await;
        let maintainer = setup.org("菏泽通力电梯维保有限公司", "enterprise", &zone).await;
        let made = setup
            .post(
                "/api/v1/equipment",
                json!({
                    "registration_code": "31103717992016040001", "kind": "elevator", "unit": compound,
                    "location": "1号楼1单元东侧客梯", "use_org_id": property,
                    "maintenance_org_id": maintainer, "model": "曳引式乘客电梯",
                    "installed_on": "2016-04-01", "last_inspected_on": "2025-11-01",
                    "next_inspection_due": "2026-11-01", "last_maintained_on": "2026-11-20"
                }),
            )
            .await;
        assert!(made["id"].is_i64(), "{made}");

        let server = serve(state).await;
        let base = server.base.clone();
        let Some((driver, c, _profile)) = browser(390).await else {
            server.stop().await;
            return;
        };
        log_in(&c, &base).await;

        // The equipment table: the organisation's cell holds its name on one
        // line (not a column of single characters), and the table scrolls.
        c.goto(&format!("{base}/equipment")).await.unwrap();
        c.wait()
            .for_element(Locator::Css("#equipment-table tbody td"))
            .await
            .unwrap();
        shot(&c, "small-things-equipment-390").await;
        let cell = "document.querySelector('#equipment-table tbody tr').children[3]";
        let width = number(&c, &format!("return {cell}.getBoundingClientRect().width;")).await;
        let height = number(&c, &format!("return {cell}.getBoundingClientRect().height;")).await;
        let line = number(
            &c,
            &format!("return parseFloat(getComputedStyle({cell}).lineHeight);"),
        )
        .await;
        assert!(width >= 150.0, "the organisation's cell is {width}px wide");
        assert!(height < 2.5 * line, "the cell wraps: {height}px for {line}px lines");
        let (scroll, client) = (
            number(&c, "return document.querySelector('#equipment-table').parentElement.scrollWidth;").await,
            number(&c, "return document.querySelector('#equipment-table').parentElement.clientWidth;").await,
        );
        assert!(scroll > client, "the table scrolls inside its box ({scroll} > {client})");
        let page = number(&c, "return document.documentElement.scrollWidth;").await;
        assert!(page <= 390.0, "the page itself does not scroll sideways: {page}px");

        // The dashboard's charts: every label at least 11 px tall on screen.
        c.goto(&format!("{base}/dashboard")).await.unwrap();
        c.wait()
            .for_element(Locator::Css("figure.chart svg text"))
            .await
            .unwrap();
        shot(&c, "small-things-dashboard-390").await;
        let smallest = number(
            &c,
            "let hs = [...document.querySelectorAll('figure.chart svg text')]
               .filter(t => t.textContent.trim() !== '')
               .map(t => t.getBoundingClientRect().height);
             return Math.min(...hs);",
        )
        .await;
        assert!(smallest >= 11.0, "a chart label is {smallest}px tall");

        // Printed, the page has no grey backdrop: on screen it has one.
        let bg = "return getComputedStyle(document.documentElement).backgroundColor;";
        let screen = c.execute(bg, vec![]).await.unwrap();
        assert_ne!(screen, json!("rgb(255, 255, 255)"), "the screen backdrop is grey");
        cdp(&driver, &c, "Emulation.setEmulatedMedia", json!({"media": "print"})).await;
        for script in [
            bg,
            "return getComputedStyle(document.body).backgroundColor;",
        ] {
            let printed = c.execute(script, vec![]).await.unwrap();
            assert!(
                printed == json!("rgb(255, 255, 255)") || printed == json!("rgba(0, 0, 0, 0)"),
                "{script}: {printed}"
            );
        }
        let printed = c.execute(bg, vec![]).await.unwrap();
        assert_eq!(printed, json!("rgb(255, 255, 255)"));

        c.close().await.unwrap();
        drop(driver);
        server.stop().await;
    });
    drop(temp);
}
