//! The walk's table for the case engine, the resident's side and attachments,
//! with what each role should get.

use super::*;

/// The roles that may report a case (all but the auditor).
pub(super) const REPORTERS: &[Role] = &[
    Role::ZoneAdmin,
    Role::StreetStaff,
    Role::CommunityCadre,
    Role::GridWorker,
    Role::DeptHandler,
    Role::Resident,
];
/// The roles that read a case's staff timeline (all but residents).
pub(super) const STAFF: &[Role] = &[
    Role::ZoneAdmin,
    Role::StreetStaff,
    Role::CommunityCadre,
    Role::GridWorker,
    Role::DeptHandler,
    Role::Auditor,
];
/// Who accepts, dispatches, supervises and closes.
pub(super) const DISPATCHERS: &[Role] = &[Role::ZoneAdmin, Role::StreetStaff];

pub(super) fn unauthenticated() -> Expected {
    (StatusCode::UNAUTHORIZED, Some(("unauthenticated", None)))
}

pub(super) fn not_found() -> Expected {
    (StatusCode::NOT_FOUND, Some(("not_found", None)))
}

pub(super) fn role_not_allowed() -> Expected {
    (StatusCode::CONFLICT, Some(("role_not_allowed", None)))
}

/// A step on a fresh dispatched case: dispatchers supervise it, a department
/// handler starts it (only as its lead organisation, which it sees), the others
/// who see it try to supervise and are refused.
pub(super) fn transition_expected(who: &Who, url: Side, _: Side) -> Expected {
    let Some(role) = who.role else {
        return unauthenticated();
    };
    if !sees_case(who, url) {
        return not_found();
    }
    if DISPATCHERS.contains(&role) || role == Role::DeptHandler {
        (StatusCode::OK, None)
    } else {
        role_not_allowed()
    }
}

/// A fresh dispatched case of the URL side merged into the fixture case of the
/// body side: both must be visible (the duplicate first), and merging is a
/// dispatcher's close.
pub(super) fn merge_expected(who: &Who, url: Side, body: Side) -> Expected {
    let Some(role) = who.role else {
        return unauthenticated();
    };
    if !sees_case(who, url) {
        return not_found();
    }
    if !sees_case(who, body) {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(("unknown_case", Some("into"))),
        );
    }
    if DISPATCHERS.contains(&role) {
        (StatusCode::OK, None)
    } else {
        role_not_allowed()
    }
}

/// Only dispatchers move cases (refused before the case is looked up).
pub(super) fn move_expected(who: &Who, url: Side, _: Side) -> Expected {
    let Some(role) = who.role else {
        return unauthenticated();
    };
    if !DISPATCHERS.contains(&role) {
        return (StatusCode::FORBIDDEN, Some(("forbidden", None)));
    }
    if !sees_case(who, url) {
        return not_found();
    }
    (StatusCode::OK, None)
}

/// An import reads the file for whoever may import; a row in a unit outside
/// the caller's scope is rejected (and then, all or nothing, nothing is written
/// but the run).
pub(super) fn import_expected(who: &Who, _: Side, _: Side) -> Expected {
    match who.role {
        None => unauthenticated(),
        Some(role) if role.can(Permission::RegistryWrite) => (StatusCode::OK, None),
        Some(_) => (StatusCode::FORBIDDEN, Some(("forbidden", None))),
    }
}

pub(super) fn import_verified(who: &Who, side: Side, summary: &Value) {
    let (committed, created, rejected) = if who.sees(side) {
        (true, 1, 0)
    } else {
        (false, 0, 1)
    };
    assert_eq!(
        (
            summary["committed"].as_bool(),
            summary["created"].as_i64(),
            summary["rejected"].as_i64()
        ),
        (Some(committed), Some(created), Some(rejected)),
        "import by {} into {side:?}: {summary}",
        who.name
    );
}

/// The case engine, the resident's side and attachments.
pub(super) fn case_routes() -> Vec<Route> {
    use Method as M;
    use Need::*;
    use Permission::*;
    let r = Route::new;
    const OK: StatusCode = StatusCode::OK;
    const CREATED: StatusCode = StatusCode::CREATED;
    vec![
        // --- categories and cases
        r(M::GET, "/api/v1/categories", Public, false, OK, |_| {
            ("/api/v1/categories".into(), Value::Null)
        }),
        // The zone administrator's; setting the default readers changes no one's view.
        r(
            M::PATCH,
            "/api/v1/categories/{code}",
            Perm(UsersManage),
            false,
            OK,
            |_| {
                (
                    "/api/v1/categories/09".into(),
                    json!({"tip_readers": {"roles": ["zone_admin", "street_staff"]}}),
                )
            },
        ),
        // The unit filter must lie in a staff caller's scope; departments and
        // residents only narrow what they see anyway.
        r(M::GET, "/api/v1/cases", Login, false, OK, |i| {
            (
                format!("/api/v1/cases?unit={}&order=newest", i.body.building),
                Value::Null,
            )
        })
        .body_ref("unknown_unit", "unit")
        .scope(Sc::Case),
        r(
            M::POST,
            "/api/v1/cases",
            Roles(REPORTERS),
            false,
            CREATED,
            |i| {
                let source = if i.who.role == Some(Role::Resident) {
                    "resident"
                } else {
                    "staff"
                };
                (
                    "/api/v1/cases".into(),
                    json!({"category": "0601", "unit": i.body.building, "source": source,
                       "description": format!("{}楼道堆物{}", i.body_side.mark(), i.n)}),
                )
            },
        )
        .body_ref("unknown_unit", "unit")
        .refusal(StatusCode::CONFLICT, "role_not_allowed"),
        r(M::GET, "/api/v1/cases/{id}", Login, true, OK, |i| {
            (format!("/api/v1/cases/{}", i.url.case), Value::Null)
        })
        .scope(Sc::Case),
        r(
            M::GET,
            "/api/v1/cases/{id}/events",
            Roles(STAFF),
            true,
            OK,
            |i| (format!("/api/v1/cases/{}/events", i.url.case), Value::Null),
        )
        .scope(Sc::Case),
        r(
            M::POST,
            "/api/v1/cases/{id}/transitions",
            Login,
            true,
            OK,
            |i| {
                let (case, version, _) = fresh_case(i);
                let body = if i.who.role == Some(Role::DeptHandler) {
                    json!({"version": version, "action": "start"})
                } else {
                    json!({"version": version, "action": "supervise", "reason": "群众多次反映"})
                };
                (format!("/api/v1/cases/{case}/transitions"), body)
            },
        )
        .fresh(Fresh::DispatchedCase)
        .scope(Sc::Case)
        .expect(transition_expected),
        r(M::POST, "/api/v1/cases/{id}/merge", Login, true, OK, |i| {
            let (case, _, _) = fresh_case(i);
            (
                format!("/api/v1/cases/{case}/merge"),
                json!({"into": i.body.case, "reason": "同一问题重复上报"}),
            )
        })
        .fresh(Fresh::DispatchedCase)
        .body_ref("unknown_case", "into")
        .scope(Sc::Case)
        .expect(merge_expected),
        r(M::POST, "/api/v1/cases/{id}/move", Login, true, OK, |i| {
            let (case, _, _) = fresh_case(i);
            (
                format!("/api/v1/cases/{case}/move"),
                json!({"unit": i.url.community2, "reason": "实际位于相邻社区"}),
            )
        })
        // Within the case's own street: a case legitimately moved across streets
        // would carry its street's mark to the other side of this walk (moves
        // out of scope are refused in the case tests). Not dispatched, since a
        // department sees the cases it leads wherever they are.
        .fresh(Fresh::ReportedCase)
        .scope(Sc::Case)
        .expect(move_expected),
        r(
            M::PUT,
            "/api/v1/cases/{id}/supervising-org",
            Login,
            true,
            OK,
            |i| {
                let (case, _, _) = fresh_case(i);
                (
                    format!("/api/v1/cases/{case}/supervising-org"),
                    json!({"org_id": i.url.org}),
                )
            },
        )
        .fresh(Fresh::ReportedCase)
        .scope(Sc::Case)
        .expect(move_expected),
        r(M::GET, "/api/v1/inbox", Login, false, OK, |_| {
            ("/api/v1/inbox".into(), Value::Null)
        })
        .scope(Sc::Case),
        // --- statistics: the registry permission and a unit in scope
        r(
            M::GET,
            "/api/v1/stats/cases",
            Perm(RegistryRead),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/stats/cases?unit={}", i.url.compound),
                    Value::Null,
                )
            },
        ),
        r(
            M::GET,
            "/api/v1/stats/cases/children",
            Perm(RegistryRead),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/stats/cases/children?unit={}", i.url.compound),
                    Value::Null,
                )
            },
        ),
        r(
            M::GET,
            "/api/v1/stats/cases/categories",
            Perm(RegistryRead),
            true,
            OK,
            |i| {
                (
                    format!(
                        "/api/v1/stats/cases/categories?unit={}&from=2026-11-01&to=2026-11-30",
                        i.url.compound
                    ),
                    Value::Null,
                )
            },
        ),
        // --- the resident's side: no account, the token is the credential
        r(M::GET, "/api/v1/public/places", Public, false, OK, |_| {
            (
                "/api/v1/public/places?lat=35.24&lon=115.48".into(),
                Value::Null,
            )
        })
        .scope(Sc::Everyone),
        r(
            M::POST,
            "/api/v1/public/cases",
            Public,
            true,
            CREATED,
            |i| {
                (
                    "/api/v1/public/cases".into(),
                    json!({"category": "0601", "unit": i.url.building,
                       "description": format!("{}路灯不亮{}", i.url_side.mark(), i.n)}),
                )
            },
        )
        .scope(Sc::Token),
        r(
            M::GET,
            "/api/v1/public/cases/{token}",
            Public,
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/public/cases/{}", i.url.case_token),
                    Value::Null,
                )
            },
        )
        .scope(Sc::Token),
        r(
            M::POST,
            "/api/v1/public/cases/{token}/transitions",
            Public,
            true,
            OK,
            |i| {
                let (_, _, token) = fresh_case(i);
                (
                    format!("/api/v1/public/cases/{token}/transitions"),
                    json!({"action": "withdraw", "reason": "已自行解决"}),
                )
            },
        )
        .fresh(Fresh::ReportedCase)
        .scope(Sc::Token),
        r(
            M::GET,
            "/api/v1/public/cases/{token}/attachments/{id}/{variant}",
            Public,
            true,
            OK,
            |i| {
                (
                    format!(
                        "/api/v1/public/cases/{}/attachments/{}/thumbnail",
                        i.url.case_token, i.url.photo
                    ),
                    Value::Null,
                )
            },
        )
        .scope(Sc::Token),
        r(
            M::POST,
            "/api/v1/public/attachments",
            Public,
            false,
            CREATED,
            |_| ("/api/v1/public/attachments".into(), Value::Null),
        )
        .payload(Payload::Png)
        .scope(Sc::Token),
        // --- attachments: seen through the case that owns them
        r(
            M::POST,
            "/api/v1/attachments",
            Login,
            false,
            CREATED,
            |_| ("/api/v1/attachments".into(), Value::Null),
        )
        .payload(Payload::Png),
        r(M::GET, "/api/v1/attachments/{id}", Login, true, OK, |i| {
            (format!("/api/v1/attachments/{}", i.url.photo), Value::Null)
        })
        .scope(Sc::Case),
        r(
            M::GET,
            "/api/v1/attachments/{id}/content",
            Login,
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/attachments/{}/content", i.url.photo),
                    Value::Null,
                )
            },
        )
        .scope(Sc::Case),
        r(
            M::GET,
            "/api/v1/attachments/{id}/thumbnail",
            Login,
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/attachments/{}/thumbnail", i.url.photo),
                    Value::Null,
                )
            },
        )
        .scope(Sc::Case),
    ]
}
