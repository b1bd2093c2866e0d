//! Real answers through the router, each checked against the schema the
//! document gives for its operation, status and media type.

use super::super::support::{id, id_number, on_both_backends, NOW};
use super::schema;
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use wangge_core::auth::Role;
use wangge_store::Scope;

/// Asserts that `r` is documented for `method template` and fits its schema.
#[track_caller]
fn conforms(method: &str, template: &str, r: &super::super::support::Reply) -> Value {
    let doc = wangge_server::openapi::spec();
    let op = &doc["paths"][template][method];
    assert!(op.is_object(), "{method} {template} is not documented");
    let status = r.status.as_str().to_string();
    let response = op["responses"].get(&status).unwrap_or_else(|| {
        panic!(
            "{method} {template}: {status} is not documented: {}",
            r.text()
        )
    });
    let media = r
        .content_type()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    let body = r.json();
    let documented = &response["content"][&media];
    assert!(
        documented.is_object(),
        "{method} {template} {status}: {media} is not the documented type: {response}"
    );
    if let Err(e) = schema::validate(doc, &documented["schema"], &body) {
        panic!("{method} {template} {status} does not fit its schema: {e}\n{body}");
    }
    body
}

#[test]
fn real_answers_fit_the_documented_schemas() {
    on_both_backends(|app| async move {
        let ctx = app.store.ctx("setup", Scope::All, NOW);
        app.store
            .db
            .write(move |c| wangge_store::cases::seed_categories(c, &ctx))
            .await
            .unwrap();
        let tree = app.tree().await;
        let units = app.get("/api/v1/units").await;
        conforms("get", "/api/v1/units", &units);
        let unit = app.get(&format!("/api/v1/units/{}", tree.building)).await;
        conforms("get", "/api/v1/units/{code}", &unit);

        let house = app
            .post_json(
                "/api/v1/households",
                json!({"number": "A-1", "unit": tree.building}),
            )
            .await;
        let house = conforms("post", "/api/v1/households", &house);
        let person = app
            .post_json(
                "/api/v1/people",
                json!({"name": "张三", "id_number": id_number("19800101", 7), "unit": tree.building,
                       "household_id": id(&house), "relation": "head"}),
            )
            .await;
        conforms("post", "/api/v1/people", &person);
        conforms("get", "/api/v1/people", &app.get("/api/v1/people").await);
        let detail = app.get(&format!("/api/v1/households/{}", id(&house))).await;
        // Each key once: the member count used to be sent beside the member list.
        assert_eq!(
            detail.text().matches("\"members\"").count(),
            1,
            "{}",
            detail.text()
        );
        let detail = conforms("get", "/api/v1/households/{id}", &detail);
        assert!(detail["members"].is_array(), "{detail}");

        let user = app
            .post_json(
                "/api/v1/users",
                json!({"username": "clerk9", "role": "street_staff", "scope_unit": tree.street,
                       "password": "Wangge-demo-2026-x"}),
            )
            .await;
        conforms("post", "/api/v1/users", &user);

        let clerk = app.as_user("clerk", Role::StreetStaff, Some(&tree.street), None);
        let created = clerk
            .post_json(
                "/api/v1/cases",
                json!({"category": "0601", "unit": tree.building,
                       "description": "3号楼东侧有人私搭彩钢房", "source": "staff"}),
            )
            .await;
        let created = conforms("post", "/api/v1/cases", &created);
        let cid = id(&created["case"]);
        let v = created["case"]["version"].as_i64().unwrap();
        let got = clerk.get(&format!("/api/v1/cases/{cid}")).await;
        conforms("get", "/api/v1/cases/{id}", &got);
        let step = clerk
            .post_json(
                &format!("/api/v1/cases/{cid}/transitions"),
                json!({"action": "accept", "version": v}),
            )
            .await;
        conforms("post", "/api/v1/cases/{id}/transitions", &step);
        // The version is stale now: a conflict, as a problem.
        let stale = clerk
            .post_json(
                &format!("/api/v1/cases/{cid}/transitions"),
                json!({"action": "accept", "version": v}),
            )
            .await;
        assert!(stale.status.is_client_error(), "{}", stale.text());
        conforms("post", "/api/v1/cases/{id}/transitions", &stale);
        conforms(
            "get",
            "/api/v1/cases",
            &clerk.get("/api/v1/cases?limit=5").await,
        );

        let csv = format!(
            "\u{feff}姓名,身份证号,联系电话,单元代码,单元,房号\n李四,{},13812345678,{},2,301\n",
            id_number("19900101", 8),
            tree.building
        );
        let import = app
            .send_raw(
                Method::POST,
                "/api/v1/imports/people?file_name=p.csv",
                Some("text/csv"),
                csv,
            )
            .await;
        let import = conforms("post", "/api/v1/imports/{kind}", &import);
        let run = app
            .get(&format!("/api/v1/imports/runs/{}", import["run_id"]))
            .await;
        conforms("get", "/api/v1/imports/runs/{id}", &run);

        let mut png = Vec::new();
        image::RgbImage::from_pixel(4, 3, image::Rgb([200, 30, 30]))
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let att = app
            .send_raw(Method::POST, "/api/v1/attachments", Some("image/png"), png)
            .await;
        let att = conforms("post", "/api/v1/attachments", &att);
        let info = app.get(&format!("/api/v1/attachments/{}", id(&att))).await;
        conforms("get", "/api/v1/attachments/{id}", &info);
    });
}

#[test]
fn refusals_fit_the_problem_schema() {
    on_both_backends(|app| async move {
        let tree = app.tree().await;
        let bad = app
            .post_json(
                "/api/v1/units",
                json!({"kind": "street", "name": "", "parent": tree.zone}),
            )
            .await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            bad.text()
        );
        conforms("post", "/api/v1/units", &bad);
        let limit = app.get("/api/v1/people?limit=0").await;
        conforms("get", "/api/v1/people", &limit);
        let anon = app.anonymous().get("/api/v1/cases").await;
        assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
        conforms("get", "/api/v1/cases", &anon);
        let missing = app.get(&format!("/api/v1/units/{}99", tree.zone)).await;
        conforms("get", "/api/v1/units/{code}", &missing);
        let syntax = app.post_bytes("/api/v1/units", "{not json").await;
        conforms("post", "/api/v1/units", &syntax);
        let media = app
            .send_raw(Method::POST, "/api/v1/units", Some("text/plain"), "x")
            .await;
        conforms("post", "/api/v1/units", &media);
    });
}
