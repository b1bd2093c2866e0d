//! Scope beyond the walk: filters that try to widen it, ids of another
//! community in bodies, and personal data revealed only in scope.

use super::*;

/// Another caller with a token, used once so that later reads write nothing
/// (a token's first use records its time).
pub(super) async fn user(
    app: &App,
    name: &str,
    role: Role,
    scope: Option<&str>,
    org: Option<i64>,
) -> App {
    let who = app.as_user(name, role, scope, org);
    who.get("/api/v1/session").await.expect(StatusCode::OK);
    who
}

/// The problem body without its request id.
pub(super) fn problem_body(r: &Reply) -> Value {
    let mut p = r.json();
    p.as_object_mut().expect("object").remove("request_id");
    p
}

#[test]
pub(super) fn filters_cannot_widen_a_scope() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let cadre_a = user(
            &app,
            "cadre_a",
            Role::CommunityCadre,
            Some(&w.a.community),
            None,
        )
        .await;
        let street_a = user(&app, "street_a", Role::StreetStaff, Some(&w.a.street), None).await;
        let before = snapshot_all(&app).await;
        // A unit above the caller's scope, beside it, or in the other street.
        for unit in [
            &w.zone,
            &w.a.street,
            &w.a.community2,
            &w.b.street,
            &w.b.building,
        ] {
            for path in [
                format!("/api/v1/people?unit={unit}"),
                format!("/api/v1/households?unit={unit}"),
                format!("/api/v1/organisations?unit={unit}"),
                format!("/api/v1/units?under={unit}"),
                format!("/api/v1/units?parent={unit}"),
                format!("/api/v1/units/{unit}"),
                format!("/api/v1/units/{unit}/tree"),
            ] {
                let r = cadre_a.get(&path).await;
                r.problem(StatusCode::NOT_FOUND, "not_found", None);
                // Out of scope reads exactly like never existed.
                let never = cadre_a
                    .get(&path.replace(unit.as_str(), "371799999999"))
                    .await;
                assert_eq!(problem_body(&r), problem_body(&never), "{path}");
            }
        }
        for (path, never) in [
            (
                format!("/api/v1/people/{}", w.b.person),
                "/api/v1/people/999999".to_string(),
            ),
            (
                format!("/api/v1/households/{}", w.b.household),
                "/api/v1/households/999999".into(),
            ),
            (
                format!("/api/v1/organisations/{}", w.b.org),
                "/api/v1/organisations/999999".into(),
            ),
            (
                format!("/api/v1/positions?person_id={}", w.b.person),
                "/api/v1/positions?person_id=999999".into(),
            ),
        ] {
            let r = cadre_a.get(&path).await;
            r.problem(StatusCode::NOT_FOUND, "not_found", None);
            assert_eq!(
                problem_body(&r),
                problem_body(&cadre_a.get(&never).await),
                "{path}"
            );
        }
        assert_same(&before, &snapshot_all(&app).await, "refused reads");
        // Looked up by ID number: the other street's resident is not found, and
        // the lookup is audited as one that found nothing.
        cadre_a
            .post_json(
                "/api/v1/people/lookup",
                json!({"id_number": w.b.person_id_number}),
            )
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);
        let last = app
            .store
            .db
            .read(|c| {
                let r = c.query_one(
                    "SELECT action, entity_id, detail FROM audit_log ORDER BY seq DESC LIMIT 1",
                    &[],
                )?;
                Ok((r.get::<String>(0)?, r.get::<i64>(1)?, r.get::<String>(2)?))
            })
            .await
            .expect("last entry");
        assert_eq!(last, ("lookup".into(), 0, r#"{"found":false}"#.into()));
        let before = snapshot_all(&app).await;

        // Without a filter, each sees the top of their own part.
        let top = |app: App| async move {
            let page = app.get("/api/v1/units").await.expect(StatusCode::OK);
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|u| u["code"].as_str().expect("code").to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            top(cadre_a.clone()).await,
            std::slice::from_ref(&w.a.community)
        );
        assert_eq!(
            top(street_a.clone()).await,
            std::slice::from_ref(&w.a.street)
        );
        assert_eq!(top(app.clone()).await, std::slice::from_ref(&w.zone));
        // And lists without a filter hold only their own part.
        for path in [
            "/api/v1/people",
            "/api/v1/households",
            "/api/v1/organisations",
            "/api/v1/units?kind=building",
            "/api/v1/units?q=楼",
        ] {
            for who in [&cadre_a, &street_a] {
                let r = who.get(path).await;
                let text = r.text();
                let page = r.expect(StatusCode::OK);
                assert!(
                    !page["items"].as_array().expect("items").is_empty(),
                    "{path}"
                );
                assert!(!text.contains(Side::B.mark()), "{path}: {text}");
            }
        }
        assert_same(&before, &snapshot_all(&app).await, "reads");
    });
}

#[test]
pub(super) fn ids_of_another_community_in_bodies_reach_nothing() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let cadre_a = user(
            &app,
            "cadre_a",
            Role::CommunityCadre,
            Some(&w.a.community),
            None,
        )
        .await;
        user(
            &app,
            "cadre_b",
            Role::CommunityCadre,
            Some(&w.b.community),
            None,
        )
        .await;
        let before = snapshot_all(&app).await;
        let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
        type Case = (
            Method,
            String,
            Value,
            StatusCode,
            &'static str,
            Option<&'static str>,
        );
        let cases: Vec<Case> = vec![
            // A resident of A put into a household of B.
            (
                Method::POST,
                "/api/v1/people".into(),
                json!({"name": "甲新人", "id_number": w.next_id_number(), "unit": w.a.building,
                       "household_id": w.b.household, "relation": "child"}),
                unprocessable,
                "unknown_household",
                Some("household_id"),
            ),
            (
                Method::PATCH,
                format!("/api/v1/people/{}", w.a.person),
                json!({"household_id": w.b.household, "relation": "head"}),
                unprocessable,
                "unknown_household",
                Some("household_id"),
            ),
            (
                Method::PATCH,
                format!("/api/v1/people/{}", w.a.person),
                json!({"unit": w.b.building}),
                unprocessable,
                "unknown_unit",
                Some("unit"),
            ),
            // A position linking A's person to B's organisation, and the reverse.
            (
                Method::POST,
                "/api/v1/positions".into(),
                json!({"person_id": w.a.person, "org_id": w.b.org, "kind": "volunteer",
                       "title": "志愿者", "from": "2026-01-01"}),
                unprocessable,
                "unknown_reference",
                Some("org_id"),
            ),
            (
                Method::POST,
                "/api/v1/positions".into(),
                json!({"person_id": w.b.person, "org_id": w.a.org, "kind": "volunteer",
                       "title": "志愿者", "from": "2026-01-01"}),
                unprocessable,
                "unknown_reference",
                Some("person_id"),
            ),
            // An organisation of A under a parent organisation of B.
            (
                Method::POST,
                "/api/v1/organisations".into(),
                json!({"name": "甲协会", "kind": "social_organisation", "unit": w.a.compound,
                       "parent_org_id": w.b.org}),
                unprocessable,
                "unknown_organisation",
                Some("parent_org_id"),
            ),
            // B's organisation joined to A's alliance.
            (
                Method::POST,
                format!("/api/v1/organisations/{}/members", w.a.alliance),
                json!({"member_id": w.b.org}),
                unprocessable,
                "unknown_organisation",
                Some("member_id"),
            ),
            // A household of A in B's building.
            (
                Method::POST,
                "/api/v1/households".into(),
                json!({"number": "甲户", "unit": w.b.building}),
                unprocessable,
                "unknown_unit",
                Some("unit"),
            ),
            // Tokens for someone else: out of scope, and in scope without the permission.
            (
                Method::POST,
                "/api/v1/tokens".into(),
                json!({"name": "借用", "username": "cadre_b"}),
                StatusCode::NOT_FOUND,
                "not_found",
                None,
            ),
            (
                Method::POST,
                "/api/v1/tokens".into(),
                json!({"name": "借用", "username": "admin"}),
                StatusCode::NOT_FOUND,
                "not_found",
                None,
            ),
            // Ids that exist only in the other street, in the URL.
            (
                Method::POST,
                format!("/api/v1/positions/{}/end", w.b.position),
                json!({"to": "2026-12-31"}),
                StatusCode::NOT_FOUND,
                "not_found",
                None,
            ),
            (
                Method::PATCH,
                format!("/api/v1/organisations/{}", w.b.org),
                json!({"name": "甲改名"}),
                StatusCode::NOT_FOUND,
                "not_found",
                None,
            ),
        ];
        for (method, path, body, status, code, field) in cases {
            let r = cadre_a
                .call(method.clone(), &path)
                .json(body.clone())
                .send()
                .await;
            let p = r.problem(status, code, field);
            assert!(!p.to_string().contains(Side::B.mark()), "{p}");
            assert_same(
                &before,
                &snapshot_all(&app).await,
                &format!("{method} {path} {body}"),
            );
        }
        // The same requests within A succeed: the refusals were about scope.
        cadre_a
            .post_json(
                "/api/v1/positions",
                json!({"person_id": w.a.person, "org_id": w.a.org, "kind": "volunteer",
                       "title": "志愿者", "from": "2026-01-01"}),
            )
            .await
            .expect(StatusCode::CREATED);
        cadre_a
            .post_json(
                &format!("/api/v1/organisations/{}/members", w.a.alliance),
                json!({"member_id": w.a.org}),
            )
            .await
            .expect(StatusCode::NO_CONTENT);
    });
}

#[test]
pub(super) fn personal_data_is_revealed_only_in_scope_with_a_reason_and_audited() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let reveal = |who: App, person: i64, body: Value| async move {
            who.post_json(&format!("/api/v1/people/{person}/reveal"), body)
                .await
        };
        let reveals = |app: App| async move {
            let ctx = app.store.ctx("test", Scope::All, crate::api::support::NOW);
            let f = wangge_store::audit::Filter {
                action: Some("reveal".into()),
                ..Default::default()
            };
            app.store
                .db
                .read(move |c| wangge_store::audit::list(c, &ctx, &f, 500))
                .await
                .expect("audit")
        };
        let allowed = [
            app.clone(),
            user(&app, "street_a", Role::StreetStaff, Some(&w.a.street), None).await,
            user(
                &app,
                "cadre_a",
                Role::CommunityCadre,
                Some(&w.a.community),
                None,
            )
            .await,
            user(&app, "grid_a", Role::GridWorker, Some(&w.a.compound), None).await,
        ];
        for (n, who) in allowed.iter().enumerate() {
            let reason = format!("养老认证入户核对{n}");
            let r = reveal(who.clone(), w.a.person, json!({"reason": reason})).await;
            let v = r.expect(StatusCode::OK);
            assert_eq!(v["id_number"], w.a.person_id_number);
            assert_eq!(v["phone"], w.a.phone);
            assert_eq!(v["address_detail"], "1单元101室");
            let last = reveals(app.clone()).await;
            assert_eq!(last.len(), n + 1);
            assert_eq!(last[0].entity, "person");
            assert_eq!(last[0].entity_id, w.a.person);
            assert_eq!(last[0].detail["reason"], reason);
            let detail = last[0].detail.to_string();
            assert!(!detail.contains(&w.a.person_id_number) && !detail.contains(&w.a.phone));
        }
        let auditor = user(&app, "auditor", Role::Auditor, None, None).await;
        let dept = user(&app, "dept_a", Role::DeptHandler, None, Some(w.a.org)).await;
        let resident = user(&app, "resident", Role::Resident, None, None).await;
        let before = snapshot_all(&app).await;
        let cadre_a = allowed[2].clone();
        // Without a reason, or with an empty one.
        reveal(cadre_a.clone(), w.a.person, json!({}))
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
                Some("reason"),
            );
        reveal(cadre_a.clone(), w.a.person, json!({"reason": "  "}))
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "required", Some("reason"));
        // Out of scope, or nobody at all: the same not found.
        let out = reveal(cadre_a.clone(), w.b.person, json!({"reason": "核对"})).await;
        out.problem(StatusCode::NOT_FOUND, "not_found", None);
        let nobody = reveal(cadre_a.clone(), 999_999, json!({"reason": "核对"})).await;
        assert_eq!(problem_body(&out), problem_body(&nobody));
        // Roles without the permission, in scope or not.
        for who in [&auditor, &dept, &resident] {
            reveal(who.clone(), w.a.person, json!({"reason": "核对"}))
                .await
                .problem(StatusCode::FORBIDDEN, "forbidden", None);
        }
        // The auditor reads the registry masked only.
        let shown = auditor.get(&format!("/api/v1/people/{}", w.a.person)).await;
        let text = shown.text();
        shown.expect(StatusCode::OK);
        assert!(
            !text.contains(&w.a.person_id_number) && !text.contains(&w.a.phone),
            "{text}"
        );
        app.anonymous()
            .post_json(
                &format!("/api/v1/people/{}/reveal", w.a.person),
                json!({"reason": "核对"}),
            )
            .await
            .problem(StatusCode::UNAUTHORIZED, "unauthenticated", None);
        assert_same(&before, &snapshot_all(&app).await, "refused reveals");
    });
}
