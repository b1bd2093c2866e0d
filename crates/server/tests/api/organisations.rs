//! `/api/v1/organisations` with credit codes and alliance members, and
//! `/api/v1/positions`.

use super::support::{credit_code, id, id_number, on_both_backends, App};
use axum::http::StatusCode;
use serde_json::{json, Value};

async fn org(app: &App, body: Value) -> Value {
    app.post_json("/api/v1/organisations", body)
        .await
        .expect(StatusCode::CREATED)
}

#[test]
fn organisations_carry_checked_credit_codes() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        let code = credit_code("91371799MA3C4R7L1");
        let company = org(
            &app,
            json!({"name": "康庄物业有限公司", "kind": "property_company", "unit": t.compound, "credit_code": code}),
        )
        .await;
        assert_eq!(company["credit_code"], code);
        assert_eq!(company["kind"], "property_company");
        assert_eq!(company["unit"], t.compound);
        assert_eq!(company["unit_name"], "康庄小区");
        let shown = app
            .get(&format!("/api/v1/organisations/{}", company["id"]))
            .await
            .expect(StatusCode::OK);
        assert_eq!(shown, company);

        // Lower case is read as upper case.
        let code2 = credit_code("52371799MJD012345");
        let society = org(
            &app,
            json!({"name": "长江社区志愿者协会", "kind": "social_organisation", "unit": t.community, "credit_code": code2.to_lowercase()}),
        )
        .await;
        assert_eq!(society["credit_code"], code2);

        let page = app
            .get(&format!("/api/v1/organisations?unit={}", t.community))
            .await
            .expect(StatusCode::OK);
        assert_eq!(page["items"].as_array().unwrap().len(), 2);
        let page = app
            .get(&format!(
                "/api/v1/organisations?unit={}&kind=social_organisation",
                t.zone
            ))
            .await
            .expect(StatusCode::OK);
        assert_eq!(page["items"][0]["id"], society["id"]);
        assert_eq!(page["items"].as_array().unwrap().len(), 1);

        let before = app.snapshot().await;
        let wrong = format!(
            "{}{}",
            &code[..17],
            if code.ends_with('0') { '1' } else { '0' }
        );
        let create = |body: Value| {
            let app = app.clone();
            async move { app.post_json("/api/v1/organisations", body).await }
        };
        create(json!({"name": "假公司", "kind": "enterprise", "unit": t.compound, "credit_code": wrong}))
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "credit_code_checksum", Some("credit_code"));
        create(json!({"name": "短码公司", "kind": "enterprise", "unit": t.compound, "credit_code": "91371799"}))
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "credit_code_length", Some("credit_code"));
        create(json!({"name": "重码公司", "kind": "enterprise", "unit": t.compound, "credit_code": code}))
            .await
            .problem(StatusCode::CONFLICT, "credit_code_taken", None);
        create(
            json!({"name": "联盟", "kind": "alliance", "unit": t.compound, "credit_code": code}),
        )
        .await
        .problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "credit_code_not_applicable",
            Some("credit_code"),
        );
        create(json!({"name": "无处公司", "kind": "enterprise", "unit": "999999"}))
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_unit",
                Some("unit"),
            );
        create(json!({"name": "怪公司", "kind": "club", "unit": t.compound}))
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
                Some("kind"),
            );
        app.patch_json(
            &format!("/api/v1/organisations/{}", company["id"]),
            json!({"credit_code": wrong}),
        )
        .await
        .problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "credit_code_checksum",
            Some("credit_code"),
        );
        app.assert_unchanged(&before).await;
    });
}

#[test]
fn alliances_gather_member_organisations() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        let alliance = org(
            &app,
            json!({"name": "长江社区党建联盟", "kind": "alliance", "unit": t.community}),
        )
        .await;
        let committee = org(
            &app,
            json!({"name": "长江社区党委", "kind": "party_committee", "unit": t.community}),
        )
        .await;
        let company = org(
            &app,
            json!({"name": "康庄物业", "kind": "property_company", "unit": t.compound, "credit_code": credit_code("91371799MA3C4R7L1")}),
        )
        .await;
        let members = format!("/api/v1/organisations/{}/members", alliance["id"]);
        for m in [&committee, &company, &committee] {
            let r = app.post_json(&members, json!({"member_id": m["id"]})).await;
            assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        }
        let listed = app.get(&members).await.expect(StatusCode::OK);
        let ids: Vec<i64> = listed.as_array().unwrap().iter().map(id).collect();
        assert_eq!(ids, [id(&committee), id(&company)]);

        let before = app.snapshot().await;
        app.post_json(
            &format!("/api/v1/organisations/{}/members", committee["id"]),
            json!({"member_id": company["id"]}),
        )
        .await
        .problem(StatusCode::CONFLICT, "not_an_alliance", None);
        app.post_json(&members, json!({"member_id": 999999}))
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_organisation",
                Some("member_id"),
            );
        app.post_json(&members, json!({"member_id": alliance["id"]}))
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "self_member",
                Some("member_id"),
            );
        app.post_json(&members, json!({"member_id": "one"}))
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
                Some("member_id"),
            );
        app.post_json(
            "/api/v1/organisations/999999/members",
            json!({"member_id": company["id"]}),
        )
        .await
        .problem(StatusCode::NOT_FOUND, "not_found", None);
        app.assert_unchanged(&before).await;
    });
}

#[test]
fn positions_are_held_for_a_period() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        let person = app
            .person("钱九", &id_number("19750101", 91), &t.building)
            .await;
        let committee = org(
            &app,
            json!({"name": "长江社区党委", "kind": "party_committee", "unit": t.community}),
        )
        .await;
        let position = app
            .post_json(
                "/api/v1/positions",
                json!({"person_id": person["id"], "org_id": committee["id"], "kind": "committee_seat", "title": "书记", "from": "2024-01-01"}),
            )
            .await
            .expect(StatusCode::CREATED);
        assert_eq!(position["person_name"], "钱九");
        assert_eq!(position["org_name"], "长江社区党委");
        assert_eq!(position["title"], "书记");
        assert_eq!(position["from"], "2024-01-01");
        assert_eq!(position["to"], Value::Null);

        for query in [
            format!("person_id={}", person["id"]),
            format!("org_id={}", committee["id"]),
        ] {
            let listed = app
                .get(&format!("/api/v1/positions?{query}"))
                .await
                .expect(StatusCode::OK);
            assert_eq!(listed, json!([position.clone()]), "{query}");
        }

        let before = app.snapshot().await;
        let end = format!("/api/v1/positions/{}/end", position["id"]);
        app.post_json(&end, json!({"to": "2023-12-31"}))
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "period_order", Some("to"));
        app.post_json(&end, json!({"to": "31/12/2025"}))
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "date_format", Some("to"));
        app.post_json("/api/v1/positions/999999/end", json!({"to": "2025-01-01"}))
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);
        let new = |extra: Value| {
            let mut body = json!({"person_id": person["id"], "org_id": committee["id"], "kind": "staff", "title": "委员", "from": "2024-06-01"});
            for (k, v) in extra.as_object().unwrap() {
                body[k] = v.clone();
            }
            let app = app.clone();
            async move { app.post_json("/api/v1/positions", body).await }
        };
        new(json!({"to": "2024-05-31"})).await.problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "period_order",
            Some("to"),
        );
        new(json!({"from": "2024-02-30"})).await.problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "date_format",
            Some("from"),
        );
        new(json!({"person_id": 999999})).await.problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_reference",
            Some("person_id"),
        );
        new(json!({"org_id": 999999})).await.problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_reference",
            Some("org_id"),
        );
        new(json!({"kind": "king"})).await.problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
            Some("kind"),
        );
        app.get("/api/v1/positions").await.problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "required",
            Some("person_id"),
        );
        app.get("/api/v1/positions?person_id=999999").await.problem(
            StatusCode::NOT_FOUND,
            "not_found",
            None,
        );
        app.assert_unchanged(&before).await;

        let ended = app
            .post_json(&end, json!({"to": "2025-12-31"}))
            .await
            .expect(StatusCode::OK);
        assert_eq!(ended["to"], "2025-12-31");
    });
}
