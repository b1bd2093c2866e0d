//! `/api/v1/units`: building, listing, renaming, moving and deleting the org tree.

use super::support::{code, enc, id_number, on_both_backends, ZONE};
use axum::http::StatusCode;
use serde_json::{json, Value};

fn codes(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(code)
        .collect()
}

#[test]
fn the_tree_is_built_level_by_level() {
    on_both_backends(|app| async move {
        let zone = app
            .post_json(
                "/api/v1/units",
                json!({"kind": "zone", "name": "菏泽开发区", "code": "371799"}),
            )
            .await
            .expect(StatusCode::CREATED);
        assert_eq!(zone["code"], "371799");
        assert_eq!(zone["kind"], "zone");
        assert_eq!(zone["name"], "菏泽开发区");
        assert_eq!(zone["depth"], 0);
        assert_eq!(zone["parent_code"], Value::Null);
        assert!(zone["created_at"]
            .as_str()
            .is_some_and(|t| t.starts_with("2026-11-24T10:00")));

        let street = app.unit("street", "丹阳街道", ZONE).await;
        assert_eq!(street["code"], "371799001");
        assert_eq!(street["parent_code"], ZONE);
        assert_eq!(street["depth"], 1);
        let community = app.unit("community", "长江社区", "371799001").await;
        assert_eq!(community["code"], "371799001001");
        let compound = app.unit("compound", "康庄小区", "371799001001").await;
        assert_eq!(compound["code"], "371799001001001");
        let building = app.unit("building", "1号楼", "371799001001001").await;
        assert_eq!(building["code"], "371799001001001001");
        assert_eq!(building["depth"], 4);
        // Codes in a parent's sequence are assigned in order.
        let second = app.unit("compound", "幸福小区", "371799001001").await;
        assert_eq!(second["code"], "371799001001002");

        let shown = app
            .get("/api/v1/units/371799001001001")
            .await
            .expect(StatusCode::OK);
        assert_eq!(shown["name"], "康庄小区");
        assert_eq!(shown["kind"], "compound");
        assert_eq!(shown["parent_code"], "371799001001");
    });
}

#[test]
fn units_are_listed_by_parent_subtree_kind_and_name() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        let street2 = code(&app.unit("street", "佃户屯街道", &t.zone).await);
        let community2 = code(&app.unit("community", "黄河社区", &street2).await);
        let compound2 = code(&app.unit("compound", "黄河小区", &community2).await);
        let grid = code(&app.unit("grid", "第一网格", &t.community).await);

        // Without a filter: the roots.
        let page = app.get("/api/v1/units").await.expect(StatusCode::OK);
        assert_eq!(codes(&page), [ZONE]);

        let page = app
            .get(&format!("/api/v1/units?parent={}&kind=street", t.zone))
            .await
            .expect(StatusCode::OK);
        assert_eq!(codes(&page), [t.street.as_str(), street2.as_str()]);

        // Direct children of the community, of every kind.
        let page = app
            .get(&format!("/api/v1/units?parent={}", t.community))
            .await
            .expect(StatusCode::OK);
        assert_eq!(codes(&page), [t.compound.as_str(), grid.as_str()]);

        // Anywhere below the zone.
        let page = app
            .get(&format!("/api/v1/units?under={}&kind=compound", t.zone))
            .await
            .expect(StatusCode::OK);
        assert_eq!(codes(&page), [t.compound.as_str(), compound2.as_str()]);
        assert!(page.get("next_cursor").and_then(Value::as_str).is_none());

        // Below one street only.
        let page = app
            .get(&format!("/api/v1/units?under={street2}&kind=compound"))
            .await
            .expect(StatusCode::OK);
        assert_eq!(codes(&page), [compound2.as_str()]);

        // By name, and by code prefix.
        let page = app
            .get(&format!("/api/v1/units?q={}", enc("黄河")))
            .await
            .expect(StatusCode::OK);
        assert_eq!(codes(&page), [community2.as_str(), compound2.as_str()]);
        let page = app
            .get(&format!("/api/v1/units?q={}&kind=building", t.zone))
            .await
            .expect(StatusCode::OK);
        assert_eq!(codes(&page), [t.building.as_str()]);

        // Paged by code.
        let first = app
            .get(&format!("/api/v1/units?under={}&limit=4", t.zone))
            .await
            .expect(StatusCode::OK);
        let cursor = first["next_cursor"].as_str().expect("more pages");
        let rest = app
            .get(&format!(
                "/api/v1/units?under={}&limit=500&cursor={}",
                t.zone,
                enc(cursor)
            ))
            .await
            .expect(StatusCode::OK);
        let all: Vec<String> = codes(&first).into_iter().chain(codes(&rest)).collect();
        let mut sorted = all.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(all, sorted, "pages are in code order without repeats");
        assert_eq!(all.len(), 9);

        // A filter naming an unknown unit.
        app.get("/api/v1/units?parent=999999").await.problem(
            StatusCode::NOT_FOUND,
            "not_found",
            None,
        );
        app.get("/api/v1/units?kind=planet").await.problem(
            StatusCode::BAD_REQUEST,
            "bad_query",
            None,
        );
    });
}

#[test]
fn the_tree_endpoint_stops_at_the_asked_depth() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        let street2 = code(&app.unit("street", "佃户屯街道", &t.zone).await);
        let tree = app
            .get(&format!("/api/v1/units/{}/tree?depth=2", t.zone))
            .await
            .expect(StatusCode::OK);
        assert_eq!(tree["code"], ZONE);
        let streets = tree["children"].as_array().expect("children");
        assert_eq!(
            streets.iter().map(code).collect::<Vec<_>>(),
            [t.street.as_str(), street2.as_str()]
        );
        let communities = streets[0]["children"].as_array().expect("children");
        assert_eq!(
            communities.iter().map(code).collect::<Vec<_>>(),
            [t.community.as_str()]
        );
        // The third level is not included.
        assert_eq!(communities[0]["children"], json!([]));
        assert_eq!(streets[1]["children"], json!([]));

        // Default depth is one level.
        let tree = app
            .get(&format!("/api/v1/units/{}/tree", t.community))
            .await
            .expect(StatusCode::OK);
        assert_eq!(tree["children"][0]["code"], t.compound);
        assert_eq!(tree["children"][0]["children"], json!([]));

        app.get("/api/v1/units/999999/tree").await.problem(
            StatusCode::NOT_FOUND,
            "not_found",
            None,
        );
    });
}

#[test]
fn units_are_renamed() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        let path = format!("/api/v1/units/{}", t.compound);
        let renamed = app
            .patch_json(&path, json!({"name": "  康庄新村 "}))
            .await
            .expect(StatusCode::OK);
        assert_eq!(renamed["name"], "康庄新村");
        assert_eq!(renamed["code"], t.compound);
        assert_eq!(
            app.get(&path).await.expect(StatusCode::OK)["name"],
            "康庄新村"
        );

        let before = app.snapshot().await;
        app.patch_json(&path, json!({"name": "   "})).await.problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "required",
            Some("name"),
        );
        app.patch_json(&path, json!({"name": "新名", "code": "1"}))
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
                Some("code"),
            );
        app.patch_json("/api/v1/units/999999", json!({"name": "x"}))
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);
        app.assert_unchanged(&before).await;
    });
}

#[test]
fn units_move_with_their_subtree_and_keep_old_codes() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        let community2 = code(&app.unit("community", "黄河社区", &t.street).await);
        let resident = app
            .person("张三", &id_number("19800101", 1), &t.building)
            .await;

        let moved = app
            .post_json(
                &format!("/api/v1/units/{}/move", t.compound),
                json!({"parent": community2}),
            )
            .await
            .expect(StatusCode::OK);
        let new_code = format!("{community2}001");
        assert_eq!(moved["code"], new_code);
        assert_eq!(moved["parent_code"], community2);

        // The old code still finds the unit; the building and its resident followed.
        let via_old = app
            .get(&format!("/api/v1/units/{}", t.compound))
            .await
            .expect(StatusCode::OK);
        assert_eq!(via_old["code"], new_code);
        let building = app
            .get(&format!("/api/v1/units/{}", t.building))
            .await
            .expect(StatusCode::OK);
        assert_eq!(building["code"], format!("{new_code}001"));
        let person = app
            .get(&format!("/api/v1/people/{}", resident["id"]))
            .await
            .expect(StatusCode::OK);
        assert_eq!(person["unit"], format!("{new_code}001"));
        let (ids, _) = app.people_ids(&community2, 50).await;
        assert_eq!(ids, [resident["id"].as_i64().unwrap()]);
        let (ids, _) = app.people_ids(&t.community, 50).await;
        assert!(ids.is_empty());
        let page = app
            .get(&format!("/api/v1/units?parent={}", t.community))
            .await
            .expect(StatusCode::OK);
        assert!(codes(&page).is_empty());
    });
}

#[test]
fn refused_moves_change_nothing() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        let before = app.snapshot().await;
        let mv = |unit: String, parent: String| {
            let app = app.clone();
            async move {
                app.post_json(
                    &format!("/api/v1/units/{unit}/move"),
                    json!({"parent": parent}),
                )
                .await
            }
        };
        // Under itself or its own descendant.
        mv(t.street.clone(), t.street.clone()).await.problem(
            StatusCode::CONFLICT,
            "unit_move_cycle",
            None,
        );
        mv(t.street.clone(), t.compound.clone()).await.problem(
            StatusCode::CONFLICT,
            "unit_move_cycle",
            None,
        );
        // Under a unit of the wrong kind.
        mv(t.compound.clone(), t.street.clone()).await.problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unit_nesting",
            Some("parent"),
        );
        mv(t.zone.clone(), t.street.clone()).await.problem(
            StatusCode::CONFLICT,
            "unit_move_cycle",
            None,
        );
        // Under nothing that exists, or of nothing that exists.
        mv(t.compound.clone(), "999999".into()).await.problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_unit",
            Some("parent"),
        );
        mv("999999".into(), t.community.clone()).await.problem(
            StatusCode::NOT_FOUND,
            "not_found",
            None,
        );
        app.post_json(&format!("/api/v1/units/{}/move", t.compound), json!({}))
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
                Some("parent"),
            );
        app.assert_unchanged(&before).await;
    });
}

#[test]
fn only_empty_units_are_deleted() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        let empty = code(&app.unit("building", "2号楼", &t.compound).await);
        app.person("李四", &id_number("19850505", 2), &t.building)
            .await;

        let before = app.snapshot().await;
        let p = app
            .delete(&format!("/api/v1/units/{}", t.community))
            .await
            .problem(StatusCode::CONFLICT, "unit_not_empty", None);
        assert!(
            p["message_en"].as_str().unwrap().contains("1 child units"),
            "{p}"
        );
        let p = app
            .delete(&format!("/api/v1/units/{}", t.building))
            .await
            .problem(StatusCode::CONFLICT, "unit_not_empty", None);
        assert!(p["message_zh"].as_str().unwrap().contains("1个人员"), "{p}");
        app.delete("/api/v1/units/999999")
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);
        app.assert_unchanged(&before).await;

        let r = app.delete(&format!("/api/v1/units/{empty}")).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        assert!(r.body.is_empty());
        app.get(&format!("/api/v1/units/{empty}")).await.problem(
            StatusCode::NOT_FOUND,
            "not_found",
            None,
        );
        let page = app
            .get(&format!("/api/v1/units?parent={}", t.compound))
            .await
            .expect(StatusCode::OK);
        assert_eq!(codes(&page), [t.building.as_str()]);
    });
}

#[test]
fn refused_unit_creations_change_nothing() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        let before = app.snapshot().await;
        let create = |body: Value| {
            let app = app.clone();
            async move { app.post_json("/api/v1/units", body).await }
        };
        create(json!({"kind": "zone", "name": "重复", "code": ZONE}))
            .await
            .problem(StatusCode::CONFLICT, "unit_code_taken", None);
        create(json!({"kind": "zone", "name": "短", "code": "37179"}))
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "unit_code", Some("code"));
        create(json!({"kind": "street", "name": "无上级街道"}))
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unit_nesting",
                Some("parent"),
            );
        create(json!({"kind": "building", "name": "错层楼", "parent": t.community}))
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unit_nesting",
                Some("parent"),
            );
        create(json!({"kind": "street", "name": "孤儿街道", "parent": "999999"}))
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_unit",
                Some("parent"),
            );
        create(json!({"kind": "street", "name": "自编码", "parent": ZONE, "code": "371799009"}))
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "code_assigned",
                Some("code"),
            );
        create(json!({"kind": "planet", "name": "火星", "parent": ZONE}))
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
                Some("kind"),
            );
        create(json!({"kind": "street", "name": "", "parent": ZONE}))
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "required", Some("name"));
        app.assert_unchanged(&before).await;
    });
}
