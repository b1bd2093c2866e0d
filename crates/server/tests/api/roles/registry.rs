//! The walk's table: units, organisations, people, households, positions,
//! accounts and the rest of the registry, then the other tables chained on.

use super::*;

pub(super) fn routes() -> Vec<Route> {
    use Method as M;
    use Need::*;
    use Permission::*;
    let r = Route::new;
    let with_body_ref = |mut route: Route, code: &'static str, field: &'static str| {
        route.body_ref = Some((code, field));
        route
    };
    let with_fresh = |mut route: Route, fresh: Fresh| {
        route.fresh = fresh;
        route
    };
    const OK: StatusCode = StatusCode::OK;
    const CREATED: StatusCode = StatusCode::CREATED;
    const NO_CONTENT: StatusCode = StatusCode::NO_CONTENT;
    vec![
        // --- units
        r(M::GET, "/api/v1/units", Perm(RegistryRead), true, OK, |i| {
            (
                format!("/api/v1/units?under={}", i.url.compound),
                Value::Null,
            )
        }),
        with_body_ref(
            r(
                M::POST,
                "/api/v1/units",
                Perm(TreeWrite),
                false,
                CREATED,
                |i| {
                    (
                        "/api/v1/units".into(),
                        json!({"kind": "compound", "name": format!("{}新小区{}", i.body_side.mark(), i.n),
                           "parent": i.body.community}),
                    )
                },
            ),
            "unknown_unit",
            "parent",
        ),
        r(
            M::GET,
            "/api/v1/units/{code}",
            Perm(RegistryRead),
            true,
            OK,
            |i| (format!("/api/v1/units/{}", i.url.building), Value::Null),
        ),
        r(
            M::PATCH,
            "/api/v1/units/{code}",
            Perm(TreeWrite),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/units/{}", i.url.compound),
                    json!({"name": format!("{}小区{}", i.url_side.mark(), i.n)}),
                )
            },
        ),
        with_fresh(
            r(
                M::DELETE,
                "/api/v1/units/{code}",
                Perm(TreeWrite),
                true,
                NO_CONTENT,
                |i| (format!("/api/v1/units/{}", i.fresh), Value::Null),
            ),
            Fresh::Building,
        ),
        with_fresh(
            with_body_ref(
                r(
                    M::POST,
                    "/api/v1/units/{code}/move",
                    Perm(TreeWrite),
                    true,
                    OK,
                    |i| {
                        (
                            format!("/api/v1/units/{}/move", i.fresh),
                            json!({"parent": i.body.community2}),
                        )
                    },
                ),
                "unknown_unit",
                "parent",
            ),
            Fresh::Compound,
        ),
        r(
            M::PUT,
            "/api/v1/units/{code}/position",
            Perm(TreeWrite),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/units/{}/position", i.url.compound),
                    json!({"lat": 35.2431, "lon": 115.4802}),
                )
            },
        ),
        r(
            M::GET,
            "/api/v1/units/{code}/tree",
            Perm(RegistryRead),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/units/{}/tree?depth=3", i.url.compound),
                    Value::Null,
                )
            },
        ),
        // --- organisations
        r(
            M::GET,
            "/api/v1/organisations",
            Perm(RegistryRead),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/organisations?unit={}", i.url.compound),
                    Value::Null,
                )
            },
        ),
        with_body_ref(
            r(
                M::POST,
                "/api/v1/organisations",
                Perm(RegistryWrite),
                false,
                CREATED,
                |i| {
                    (
                        "/api/v1/organisations".into(),
                        json!({"name": format!("{}协会{}", i.body_side.mark(), i.n), "kind": "social_organisation",
                           "unit": i.body.compound, "parent_org_id": i.body.org}),
                    )
                },
            ),
            "unknown_unit",
            "unit",
        ),
        r(
            M::GET,
            "/api/v1/organisations/{id}",
            Perm(RegistryRead),
            true,
            OK,
            |i| (format!("/api/v1/organisations/{}", i.url.org), Value::Null),
        ),
        r(
            M::PATCH,
            "/api/v1/organisations/{id}",
            Perm(RegistryWrite),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/organisations/{}", i.url.org),
                    json!({"name": format!("{}物业公司{}", i.url_side.mark(), i.n)}),
                )
            },
        ),
        r(
            M::GET,
            "/api/v1/organisations/{id}/members",
            Perm(RegistryRead),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/organisations/{}/members", i.url.alliance),
                    Value::Null,
                )
            },
        ),
        with_body_ref(
            r(
                M::POST,
                "/api/v1/organisations/{id}/members",
                Perm(RegistryWrite),
                true,
                NO_CONTENT,
                |i| {
                    (
                        format!("/api/v1/organisations/{}/members", i.url.alliance),
                        json!({"member_id": i.body.org}),
                    )
                },
            ),
            "unknown_organisation",
            "member_id",
        ),
        // --- people
        r(
            M::GET,
            "/api/v1/people",
            Perm(RegistryRead),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/people?unit={}", i.url.compound),
                    Value::Null,
                )
            },
        ),
        with_body_ref(
            r(
                M::POST,
                "/api/v1/people",
                Perm(RegistryWrite),
                false,
                CREATED,
                |i| {
                    (
                        "/api/v1/people".into(),
                        json!({"name": format!("{}新居民{}", i.body_side.mark(), i.n), "id_number": i.id_number,
                           "phone": "13800001111", "unit": i.body.building, "address_detail": "1单元101室"}),
                    )
                },
            ),
            "unknown_unit",
            "unit",
        ),
        r(
            M::POST,
            "/api/v1/people/lookup",
            Perm(RegistryRead),
            true,
            OK,
            |i| {
                (
                    "/api/v1/people/lookup".into(),
                    json!({"id_number": i.url.person_id_number}),
                )
            },
        )
        .audits_misses(),
        // Listed before any request exists (the walk's requests name the
        // requesting side's unit, which their deciders see by design).
        r(
            M::GET,
            "/api/v1/people/registration-requests",
            Perm(RegistryWrite),
            false,
            OK,
            |_| ("/api/v1/people/registration-requests".into(), Value::Null),
        ),
        with_fresh(
            r(
                M::POST,
                "/api/v1/people/registration-requests/{id}/{decision}",
                Perm(RegistryWrite),
                true,
                OK,
                |i| {
                    (
                        format!("/api/v1/people/registration-requests/{}/refuse", i.fresh),
                        Value::Null,
                    )
                },
            ),
            Fresh::Request,
        ),
        r(
            M::GET,
            "/api/v1/people/{id}",
            Perm(RegistryRead),
            true,
            OK,
            |i| (format!("/api/v1/people/{}", i.url.person), Value::Null),
        ),
        with_fresh(
            with_body_ref(
                r(
                    M::PATCH,
                    "/api/v1/people/{id}",
                    Perm(RegistryWrite),
                    true,
                    OK,
                    |i| {
                        (
                            format!("/api/v1/people/{}", i.fresh),
                            // Named for where the person ends up.
                            json!({"name": format!("{}改名{}", i.body_side.mark(), i.n), "unit": i.body.building}),
                        )
                    },
                ),
                "unknown_unit",
                "unit",
            ),
            Fresh::Person,
        ),
        r(
            M::POST,
            "/api/v1/people/{id}/reveal",
            Perm(RevealPersonal),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/people/{}/reveal", i.url.person),
                    json!({"reason": "入户核对"}),
                )
            },
        ),
        // --- households
        r(
            M::GET,
            "/api/v1/households",
            Perm(RegistryRead),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/households?unit={}", i.url.compound),
                    Value::Null,
                )
            },
        ),
        with_body_ref(
            r(
                M::POST,
                "/api/v1/households",
                Perm(RegistryWrite),
                false,
                CREATED,
                |i| {
                    (
                        "/api/v1/households".into(),
                        json!({"number": format!("{}户{}", i.body_side.mark(), i.n), "unit": i.body.building}),
                    )
                },
            ),
            "unknown_unit",
            "unit",
        ),
        r(
            M::GET,
            "/api/v1/households/{id}",
            Perm(RegistryRead),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/households/{}", i.url.household),
                    Value::Null,
                )
            },
        ),
        // --- positions
        r(
            M::GET,
            "/api/v1/positions",
            Perm(RegistryRead),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/positions?person_id={}", i.url.person),
                    Value::Null,
                )
            },
        ),
        with_body_ref(
            r(
                M::POST,
                "/api/v1/positions",
                Perm(RegistryWrite),
                false,
                CREATED,
                |i| {
                    (
                        "/api/v1/positions".into(),
                        json!({"person_id": i.body.person, "org_id": i.body.org, "kind": "volunteer",
                           "title": format!("{}志愿者{}", i.body_side.mark(), i.n), "from": "2026-01-01"}),
                    )
                },
            ),
            "unknown_reference",
            "person_id",
        ),
        r(
            M::POST,
            "/api/v1/positions/{id}/end",
            Perm(RegistryWrite),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/positions/{}/end", i.url.position),
                    json!({"to": "2026-12-31"}),
                )
            },
        ),
        // --- session and tokens
        r(M::GET, "/api/v1/session", Login, false, OK, |_| {
            ("/api/v1/session".into(), Value::Null)
        }),
        r(M::POST, "/api/v1/session", Public, false, OK, |_| {
            (
                "/api/v1/session".into(),
                json!({"username": "walker", "password": WALKER_PASSWORD}),
            )
        }),
        r(
            M::DELETE,
            "/api/v1/session",
            Login,
            false,
            NO_CONTENT,
            |_| ("/api/v1/session".into(), Value::Null),
        ),
        r(
            M::POST,
            "/api/v1/session/password",
            Login,
            false,
            NO_CONTENT,
            |i| {
                (
                    "/api/v1/session/password".into(),
                    json!({"old_password": i.who.password, "new_password": format!("Changed-{}-2026", i.n)}),
                )
            },
        ),
        r(M::POST, "/api/v1/account/totp", Login, false, OK, |_| {
            ("/api/v1/account/totp".into(), Value::Null)
        }),
        // No code of the walk's comes from an app: every caller is told so.
        r(
            M::POST,
            "/api/v1/account/totp/confirm",
            Login,
            false,
            StatusCode::UNPROCESSABLE_ENTITY,
            |_| {
                (
                    "/api/v1/account/totp/confirm".into(),
                    json!({"code": "not-a-code"}),
                )
            },
        ),
        r(M::GET, "/api/v1/tokens", Login, false, OK, |_| {
            ("/api/v1/tokens".into(), Value::Null)
        }),
        r(M::POST, "/api/v1/tokens", Login, false, CREATED, |i| {
            (
                "/api/v1/tokens".into(),
                json!({"name": format!("令牌{}", i.n)}),
            )
        }),
        {
            let mut route = with_fresh(
                r(
                    M::DELETE,
                    "/api/v1/tokens/{id}",
                    Perm(UsersManage),
                    true,
                    NO_CONTENT,
                    |i| (format!("/api/v1/tokens/{}", i.fresh), Value::Null),
                ),
                Fresh::Token,
            );
            route.scope_first = true;
            route
        },
        // --- users
        r(
            M::GET,
            "/api/v1/users",
            Perm(UsersManage),
            false,
            OK,
            |_| ("/api/v1/users".into(), Value::Null),
        ),
        with_body_ref(
            r(
                M::POST,
                "/api/v1/users",
                Perm(UsersManage),
                false,
                CREATED,
                |i| {
                    (
                        "/api/v1/users".into(),
                        json!({"username": format!("new{}", i.n), "role": "grid_worker",
                           "scope_unit": i.body.building, "password": format!("Fresh-pass-{}", i.n)}),
                    )
                },
            ),
            "unknown_unit",
            "scope_unit",
        ),
        with_fresh(
            r(
                M::POST,
                "/api/v1/users/{username}/disable",
                Perm(UsersManage),
                true,
                OK,
                |i| (format!("/api/v1/users/{}/disable", i.fresh), json!({})),
            ),
            Fresh::User,
        ),
        with_fresh(
            r(
                M::POST,
                "/api/v1/users/{username}/enable",
                Perm(UsersManage),
                true,
                OK,
                |i| (format!("/api/v1/users/{}/enable", i.fresh), json!({})),
            ),
            Fresh::User,
        ),
        with_fresh(
            r(
                M::POST,
                "/api/v1/users/{username}/password",
                Perm(UsersManage),
                true,
                NO_CONTENT,
                |i| {
                    (
                        format!("/api/v1/users/{}/password", i.fresh),
                        json!({"password": format!("Reset-pass-{}", i.n)}),
                    )
                },
            ),
            Fresh::User,
        ),
        with_fresh(
            r(
                M::POST,
                "/api/v1/users/{username}/totp/reset",
                Perm(UsersManage),
                true,
                NO_CONTENT,
                |i| (format!("/api/v1/users/{}/totp/reset", i.fresh), json!({})),
            ),
            Fresh::User,
        ),
        // --- audit
        r(M::GET, "/api/v1/audit", Perm(AuditRead), false, OK, |_| {
            ("/api/v1/audit?actor=admin&limit=5".into(), Value::Null)
        }),
        // --- the document itself (not described in itself)
        r(M::GET, "/api/v1/openapi.json", Public, false, OK, |_| {
            ("/api/v1/openapi.json".into(), Value::Null)
        }),
    ]
    .into_iter()
    .chain(case_routes())
    .chain(transfer_routes())
    .collect()
}
