//! The staff intake form in a real browser at phone width (390 px): a grid
//! worker opens it from the menu, ticks 现场已处置, is told beside the field
//! that the handling note is missing, fills it in with a photo, and lands on
//! the closed case with its 自行处置 step in the timeline.

use super::browser::{
    self, assert_no_overflow, browser, click, runtime, serve, shot, text, type_in, Setup,
};
use super::support::NOW;
use fantoccini::Locator;
use serde_json::json;
use std::sync::Arc;
use wangge_core::auth::Role;
use wangge_server::{AppState, FixedClock};
use wangge_store::accounts::NewUser;
use wangge_store::Backend;
use wangge_testkit::temp_store;

const PASSWORD: &str = "Patrol-lane-2026";

#[test]
fn a_grid_worker_reports_and_resolves_on_the_spot_on_a_phone() {
    let Some(temp) = temp_store(Backend::Sqlite) else {
        return;
    };
    let store = temp.store.clone();
    let photo = wangge_testkit::temp_dir().join("cleared.png");
    std::fs::write(&photo, super::web_cases::png()).unwrap();
    let rt = runtime();
    rt.block_on(async move {
        let state = AppState::new(store.clone()).with_clock(Arc::new(FixedClock(NOW)));
        let s = Setup::new(&store, state.clone(), PASSWORD, |c, ctx| {
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
        let compound = s.unit("compound", "康庄小区", &community).await;
        let building = s.unit("building", "3号楼", &compound).await;
        let new = NewUser {
            username: "grid".into(),
            display_name: Some("张网格".into()),
            role: Role::GridWorker,
            scope_unit: Some(community),
            scope_org: None,
        };
        browser::user(&store, PASSWORD, new).await;
        let server = serve(state).await;
        let base = server.base.clone();

        let Some((_driver, phone, profile)) = browser(390).await else {
            server.stop().await;
            return;
        };
        phone.goto(&format!("{base}/login")).await.unwrap();
        type_in(&phone, "#username", "grid").await;
        type_in(&phone, "#password", PASSWORD).await;
        click(&phone, "button[type=submit]").await;
        phone
            .wait()
            .for_element(Locator::Id("home-heading"))
            .await
            .unwrap();
        click(&phone, "nav a[href='/cases/new']").await;
        assert_eq!(text(&phone, "#intake-heading").await, "上报问题");
        assert_no_overflow(&phone, "intake form").await;
        shot(&phone, "intake-phone").await;

        let choose = |id: &'static str, value: String| {
            let phone = phone.clone();
            async move {
                phone
                    .find(Locator::Id(id))
                    .await
                    .unwrap()
                    .select_by_value(&value)
                    .await
                    .unwrap();
            }
        };
        choose("category", "0101".into()).await;
        choose("unit", building.clone()).await;
        type_in(&phone, "#description", "3号楼东侧绿化带有人倾倒建筑垃圾").await;
        type_in(&phone, "#address_detail", "3号楼东侧").await;
        click(&phone, "#on_spot").await;
        type_in(&phone, "#photos", photo.to_str().unwrap()).await;
        click(&phone, "#submit-intake").await;
        // No note: the form comes back saying so beside the field, the rest kept.
        assert_eq!(text(&phone, "#note-error").await, "自行处置须填写处置说明");
        let kept = phone
            .find(Locator::Id("description"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(kept.as_deref(), Some("3号楼东侧绿化带有人倾倒建筑垃圾"));
        let ticked = phone
            .find(Locator::Id("on_spot"))
            .await
            .unwrap()
            .prop("checked")
            .await
            .unwrap();
        assert_eq!(ticked.as_deref(), Some("true"));
        assert_no_overflow(&phone, "intake form with messages").await;
        shot(&phone, "intake-errors-phone").await;

        type_in(&phone, "#note", "已联系物业当场清运完毕").await;
        type_in(&phone, "#photos", photo.to_str().unwrap()).await;
        click(&phone, "#submit-intake").await;
        assert_eq!(text(&phone, "p.notice").await, "已上报并自行处置结案。");
        let facts = text(&phone, "main").await;
        assert!(facts.contains("已结案"), "{facts}");
        assert!(facts.contains("自行处置"), "{facts}");
        assert!(facts.contains("张网格"), "the reporter is named: {facts}");
        assert_no_overflow(&phone, "closed case").await;
        shot(&phone, "intake-done-phone").await;

        phone.close().await.unwrap();
        let _ = std::fs::remove_dir_all(profile);
        server.stop().await;
    });
    drop(rt);
    drop(temp);
}
