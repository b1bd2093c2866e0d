//! References in equipment and construction-site writes are bounded by the
//! caller's scope: an organisation outside it is answered like one that does
//! not exist, and its name never comes back.

use super::super::support::{code, id, on_both_backends};
use axum::http::StatusCode;
use serde_json::{json, Value};
use wangge_core::auth::Role;

#[test]
fn equipment_cannot_point_at_organisations_outside_the_scope() {
    on_both_backends(|app| async move {
        let tree = app.tree().await;
        let other = app.unit("community", "桂陵社区", &tree.street).await;
        let org = |name: &str, unit: &str| json!({"name": name, "kind": "property_company", "unit": unit});
        let mine = id(&app
            .post_json("/api/v1/organisations", org("康庄物业", &tree.compound))
            .await
            .expect(StatusCode::CREATED));
        let hidden = id(&app
            .post_json("/api/v1/organisations", org("桂陵秘密物业", &code(&other)))
            .await
            .expect(StatusCode::CREATED));
        let cadre = app.as_user(
            "cadre_chen",
            Role::CommunityCadre,
            Some(&tree.community),
            None,
        );
        let lift = cadre
            .post_json(
                "/api/v1/equipment",
                json!({"registration_code": "DT-0001", "kind": "elevator", "unit": tree.building,
                       "use_org_id": mine, "installed_on": "2016-04-01"}),
            )
            .await
            .expect(StatusCode::CREATED);
        let path = format!("/api/v1/equipment/{}", id(&lift));
        let before = app.snapshot().await;

        // Outside the scope and not at all: the same answer, without a name.
        let mut answers: Vec<Value> = Vec::new();
        for org_id in [hidden, 999_999] {
            let r = cadre.patch_json(&path, json!({"use_org_id": org_id})).await;
            assert!(!r.text().contains("桂陵秘密物业"), "{}", r.text());
            let p = r.problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_organisation",
                Some("use_org_id"),
            );
            answers.push(
                p["message_en"]
                    .as_str()
                    .unwrap()
                    .replace(&org_id.to_string(), "N")
                    .into(),
            );
        }
        assert_eq!(answers[0], answers[1]);
        let r = cadre
            .patch_json(&path, json!({"maintenance_org_id": hidden}))
            .await;
        r.problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_organisation",
            Some("maintenance_org_id"),
        );
        let r = cadre
            .post_json(
                &format!("{path}/maintenance"),
                json!({"done_on": "2026-11-20", "org_id": hidden}),
            )
            .await;
        r.problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_organisation",
            Some("org_id"),
        );
        assert!(!r.text().contains("桂陵秘密物业"), "{}", r.text());
        let site = json!({"name": "康庄小区二期", "builder_org_id": hidden, "unit": tree.compound,
                          "starts_on": "2026-03-01"});
        let r = cadre.post_json("/api/v1/construction-sites", site).await;
        r.problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_organisation",
            Some("builder_org_id"),
        );
        app.assert_unchanged(&before).await;

        // Inside the scope it goes through, and the zone admin may name either.
        let ok = cadre
            .patch_json(&path, json!({"use_org_id": mine}))
            .await
            .expect(StatusCode::OK);
        assert_eq!(ok["use_org_name"], "康庄物业");
        let ok = app
            .patch_json(&path, json!({"use_org_id": hidden}))
            .await
            .expect(StatusCode::OK);
        assert_eq!(ok["use_org_name"], "桂陵秘密物业");
    });
}
