//! A department handler (市场监管局, as the demo's `scjg`) in a real browser:
//! every link of the menu opens a page, and a page outside the menu answers
//! the error page, never raw JSON.

use super::browser::{self, browser, click, runtime, serve, shot, text, type_in, Setup};
use super::support::NOW;
use fantoccini::{Client, Locator};
use serde_json::json;
use std::sync::Arc;
use wangge_core::auth::Role;
use wangge_server::{AppState, FixedClock};
use wangge_store::accounts::NewUser;
use wangge_store::Backend;
use wangge_testkit::temp_store;

const PASSWORD: &str = "Harbour-light-2026";

async fn body_text(c: &Client) -> String {
    c.execute("return document.body.innerText;", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_department_handler_walks_the_menu_in_a_browser() {
    let Some(temp) = temp_store(Backend::Sqlite) else {
        return;
    };
    let store = temp.store.clone();
    let rt = runtime();
    rt.block_on(async move {
        let state = AppState::new(store.clone()).with_clock(Arc::new(FixedClock(NOW)));
        let s = Setup::new(&store, state.clone(), PASSWORD, |c, ctx| {
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
        let dept = s.org("菏泽开发区市场监督管理局", "department", &zone).await;
        let scjg = NewUser {
            username: "scjg".into(),
            display_name: Some("市场监管局".into()),
            role: Role::DeptHandler,
            scope_unit: None,
            scope_org: Some(dept),
        };
        browser::user(&store, PASSWORD, scjg).await;
        let server = serve(state).await;
        let base = server.base.clone();
        let Some((_driver, c, _profile)) = browser(1280).await else {
            server.stop().await;
            return;
        };
        c.goto(&format!("{base}/login")).await.unwrap();
        type_in(&c, "#username", "scjg").await;
        type_in(&c, "#password", PASSWORD).await;
        click(&c, "button[type=submit]").await;
        c.wait()
            .for_element(Locator::Id("home-heading"))
            .await
            .unwrap();
        let links = c
            .execute(
                "return Array.from(document.querySelectorAll('header nav a'))
                    .map(a => a.getAttribute('href')).filter(h => !h.startsWith('?'));",
                vec![],
            )
            .await
            .unwrap();
        let links: Vec<String> = links
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        assert_eq!(links, ["/", "/cases", "/inspections"], "{links:?}");
        for link in &links {
            c.goto(&format!("{base}{link}")).await.unwrap();
            let kind = c
                .execute("return document.contentType;", vec![])
                .await
                .unwrap();
            assert_eq!(kind, "text/html", "{link}");
            let body = body_text(&c).await;
            assert!(
                !body.contains("出错") && !body.contains("无权"),
                "{link}: {body}"
            );
            assert!(!body.trim_start().starts_with('{'), "{link}: {body}");
            shot(&c, &format!("nav-scjg{}", link.replace('/', "-"))).await;
        }
        for hidden in ["/people", "/units", "/equipment", "/dashboard"] {
            c.goto(&format!("{base}{hidden}")).await.unwrap();
            assert_eq!(
                text(&c, "main h1").await,
                "出错了",
                "{hidden}: {}",
                body_text(&c).await
            );
            assert!(body_text(&c).await.contains("您的账号无权打开此页面"));
        }
        shot(&c, "nav-scjg-forbidden").await;
        c.close().await.unwrap();
        server.stop().await;
    });
    drop(temp);
}
