//! `/api/v1/organisations` and `/api/v1/exports/organisations` as the registry
//! engine serves them: a patch of the current values changes nothing, a taken
//! credit code is a conflict, and every way of asking for the export gives
//! the list's rows.

use super::support::{credit_code, id, on_both_backends, TestClock};
use axum::http::{Method, StatusCode};
use serde_json::json;

fn names(csv: &str) -> Vec<String> {
    let mut rows: Vec<String> = csv
        .trim_start_matches('\u{feff}')
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap_or_default().to_string())
        .collect();
    rows.sort();
    rows
}

#[test]
fn a_patch_of_the_current_values_changes_nothing_and_a_taken_code_conflicts() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        let clock = TestClock::new();
        let app = app.with_clock(clock.clone());
        let code = credit_code("91371799MA3C4R7L1");
        let company = app
            .post_json(
                "/api/v1/organisations",
                json!({"name": "康庄物业有限公司", "kind": "property_company", "unit": t.compound, "credit_code": code}),
            )
            .await
            .expect(StatusCode::CREATED);
        let other = app
            .post_json(
                "/api/v1/organisations",
                json!({"name": "长江建工", "kind": "enterprise", "unit": t.community}),
            )
            .await
            .expect(StatusCode::CREATED);
        clock.advance(time::Duration::days(1));
        let path = format!("/api/v1/organisations/{}", company["id"]);
        let before = app.snapshot().await;
        let same = app
            .patch_json(
                &path,
                json!({"name": "康庄物业有限公司", "credit_code": code.to_lowercase()}),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(same, company, "updated_at kept");
        app.assert_unchanged(&before).await;

        app.patch_json(
            &format!("/api/v1/organisations/{}", other["id"]),
            json!({"credit_code": code}),
        )
        .await
        .problem(StatusCode::CONFLICT, "credit_code_taken", None);
        app.patch_json(&path, json!({"kind": "enterprise"}))
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
                Some("kind"),
            );
        app.assert_unchanged(&before).await;

        let renamed = app
            .patch_json(&path, json!({"name": "康庄物业"}))
            .await
            .expect(StatusCode::OK);
        assert_eq!(renamed["name"], "康庄物业");
        assert_ne!(renamed["updated_at"], company["updated_at"]);
        assert_eq!(renamed["created_at"], company["created_at"]);
        // The record's JSON is the same set of fields as before.
        let mut keys: Vec<&String> = renamed.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "created_at",
                "credit_code",
                "id",
                "kind",
                "name",
                "parent_org_id",
                "unit",
                "unit_name",
                "updated_at"
            ]
        );
    });
}

#[test]
fn every_way_to_export_organisations_gives_the_lists_rows() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        let committee = app
            .post_json(
                "/api/v1/organisations",
                json!({"name": "长江社区党委", "kind": "party_committee", "unit": t.community}),
            )
            .await
            .expect(StatusCode::CREATED);
        for (name, unit) in [
            ("康庄小区党支部", &t.compound),
            ("一号楼党支部", &t.building),
        ] {
            app.post_json(
                "/api/v1/organisations",
                json!({"name": name, "kind": "party_branch", "unit": unit, "parent_org_id": committee["id"]}),
            )
            .await
            .expect(StatusCode::CREATED);
        }
        app.post_json(
            "/api/v1/organisations",
            json!({"name": "开发区民政局", "kind": "department", "unit": t.zone}),
        )
        .await
        .expect(StatusCode::CREATED);

        let query = format!("parent_org_id={}&unit={}", id(&committee), t.community);
        let listed = app
            .get(&format!("/api/v1/organisations?{query}"))
            .await
            .expect(StatusCode::OK);
        let mut want: Vec<String> = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap().to_string())
            .collect();
        want.sort();
        assert_eq!(want, ["一号楼党支部", "康庄小区党支部"]);
        for (method, path) in [
            (
                Method::GET,
                format!("/api/v1/exports/organisations?{query}&format=csv"),
            ),
            (
                Method::POST,
                format!("/api/v1/exports/organisations?{query}&format=csv"),
            ),
        ] {
            let r = app.call(method.clone(), &path).send().await;
            assert_eq!(r.status, StatusCode::OK, "{method} {path}: {}", r.text());
            assert_eq!(names(&r.text()), want, "{method} {path}");
        }
        // Other names of the list, with the kind filter.
        for name in ["orgs", "%E7%BB%84%E7%BB%87"] {
            let r = app
                .get(&format!(
                    "/api/v1/exports/{name}?kind=party_committee&format=csv"
                ))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.text());
            assert_eq!(names(&r.text()), ["长江社区党委"], "{name}");
        }

        // A filter the list does not read is refused, and nothing is audited.
        let before = app.snapshot().await;
        for path in [
            "/api/v1/exports/organisations?kind=club",
            "/api/v1/exports/organisations?status=active",
            "/api/v1/exports/orgs?q=x",
            "/api/v1/exports/orgs?kind=club",
        ] {
            let r = app.get(path).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.text());
        }
        app.get("/api/v1/exports/organisations?unit=999999")
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);
        app.assert_unchanged(&before).await;
    });
}
