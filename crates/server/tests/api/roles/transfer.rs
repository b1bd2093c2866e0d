//! The walk's table for imports, exports, templates, equipment, construction
//! sites and inspections, with what each role should get.

use super::*;

/// Imports, exports and templates.
pub(super) fn transfer_routes() -> Vec<Route> {
    use Method as M;
    use Need::*;
    use Permission::*;
    let r = Route::new;
    const OK: StatusCode = StatusCode::OK;
    vec![
        // A person in the URL side's building: committed in scope, rejected outside.
        r(M::POST, "/api/v1/imports/{kind}", Perm(RegistryWrite), true, OK, |i| {
            (
                "/api/v1/imports/people?file_name=walk.csv".into(),
                Value::String(format!(
                    "\u{feff}姓名,身份证号,联系电话,单元代码,单元,房号\n导入居民{},{},13812345678,{},2,301\n",
                    i.n, i.id_number, i.url.building
                )),
            )
        })
        .payload(Payload::Csv)
        .expect(import_expected)
        .verify(import_verified),
        r(
            M::GET,
            "/api/v1/imports/runs/{id}",
            Perm(RegistryWrite),
            true,
            OK,
            |i| (format!("/api/v1/imports/runs/{}", i.fresh), Value::Null),
        )
        .fresh(Fresh::Run)
        .scope(Sc::Own),
        r(
            M::GET,
            "/api/v1/imports/runs/{id}/report",
            Perm(RegistryWrite),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/imports/runs/{}/report", i.fresh),
                    Value::Null,
                )
            },
        )
        .fresh(Fresh::Run)
        .scope(Sc::Own),
        // CSV, so that the leak check reads the names.
        r(M::GET, "/api/v1/exports/{kind}", Perm(Export), true, OK, |i| {
            (
                format!("/api/v1/exports/people?unit={}&format=csv", i.url.compound),
                Value::Null,
            )
        })
        .audited(),
        // The case list's filters; the unit must lie in the caller's scope.
        r(M::GET, "/api/v1/exports/cases", Perm(Export), false, OK, |i| {
            (
                format!("/api/v1/exports/cases?unit={}&format=csv", i.body.building),
                Value::Null,
            )
        })
        .body_ref("unknown_unit", "unit")
        .scope(Sc::Case)
        .audited(),
        // The same by POST, as a session must ask to unmask (masked here).
        r(M::POST, "/api/v1/exports/{kind}", Perm(Export), true, OK, |i| {
            (
                format!("/api/v1/exports/people?unit={}&format=csv", i.url.compound),
                Value::Null,
            )
        })
        .audited(),
        r(M::POST, "/api/v1/exports/cases", Perm(Export), false, OK, |i| {
            (
                format!("/api/v1/exports/cases?unit={}&format=csv", i.body.building),
                Value::Null,
            )
        })
        .body_ref("unknown_unit", "unit")
        .scope(Sc::Case)
        .audited(),
        // Every role that may export may read equipment.
        r(M::GET, "/api/v1/exports/equipment", Perm(Export), true, OK, |i| {
            (
                format!("/api/v1/exports/equipment?unit={}&format=csv", i.url.compound),
                Value::Null,
            )
        })
        .audited(),
        // Every role that may export may read construction sites and plans.
        r(M::GET, "/api/v1/exports/construction-sites", Perm(Export), true, OK, |i| {
            (
                format!("/api/v1/exports/construction-sites?unit={}&format=csv", i.url.compound),
                Value::Null,
            )
        })
        .audited(),
        // A declared registry's export may be asked for by POST too.
        r(M::POST, "/api/v1/exports/construction-sites", Perm(Export), true, OK, |i| {
            (
                format!("/api/v1/exports/construction-sites?unit={}&format=csv", i.url.compound),
                Value::Null,
            )
        })
        .audited(),
        // Organisations are a declared registry: the same routes.
        r(M::GET, "/api/v1/exports/organisations", Perm(Export), true, OK, |i| {
            (
                format!("/api/v1/exports/organisations?unit={}&format=csv", i.url.compound),
                Value::Null,
            )
        })
        .audited(),
        r(M::POST, "/api/v1/exports/organisations", Perm(Export), true, OK, |i| {
            (
                format!("/api/v1/exports/organisations?unit={}&format=csv", i.url.compound),
                Value::Null,
            )
        })
        .audited(),
        r(M::GET, "/api/v1/exports/inspection-plans", Perm(Export), false, OK, |_| {
            ("/api/v1/exports/inspection-plans?format=csv".into(), Value::Null)
        })
        .audited(),
        // The audit log's readers export it without the export permission.
        r(M::GET, "/api/v1/exports/audit", Perm(AuditRead), false, OK, |_| {
            ("/api/v1/exports/audit?actor=za&format=csv".into(), Value::Null)
        })
        .audited(),
        r(M::GET, "/api/v1/exports/plan-targets", Perm(Export), true, OK, |i| {
            (
                format!("/api/v1/exports/plan-targets?plan={}&format=csv", i.url.inspection_plan),
                Value::Null,
            )
        })
        .expect(plan_targets_export)
        .audited(),
        // The administrator's lists: the pages' permission.
        r(M::GET, "/api/v1/exports/accounts", Perm(UsersManage), false, OK, |_| {
            ("/api/v1/exports/accounts?format=csv".into(), Value::Null)
        })
        .audited(),
        r(M::GET, "/api/v1/exports/categories", Perm(UsersManage), false, OK, |_| {
            ("/api/v1/exports/categories?format=csv".into(), Value::Null)
        })
        .audited(),
        r(M::GET, "/api/v1/templates/{kind}", Login, false, OK, |_| {
            ("/api/v1/templates/households".into(), Value::Null)
        }),
        // --- inspections: templates are the zone's; plans and records by
        // scope, and for departments by the plans they issue, supervise or
        // inspect (dept_a's organisation runs side A's plan only).
        r(M::GET, "/api/v1/inspection-templates", Perm(InspectionsRead), false, OK, |_| {
            ("/api/v1/inspection-templates".into(), Value::Null)
        }),
        r(M::GET, "/api/v1/inspection-templates/{code}", Perm(InspectionsRead), false, OK, |_| {
            ("/api/v1/inspection-templates/site-dust-control?version=1".into(), Value::Null)
        }),
        r(M::POST, "/api/v1/inspection-templates", Perm(InspectionTemplatesWrite), false, StatusCode::CREATED, |i| {
            (
                "/api/v1/inspection-templates".into(),
                json!({"code": format!("walk-{}", i.n), "name": "巡查表", "category": "0701",
                       "sections": [{"title": "基本", "items": [{"code": "ok", "text": "正常", "kind": "yes_no"}]}]}),
            )
        }),
        r(M::GET, "/api/v1/inspection-plans", Perm(InspectionsRead), false, OK, |_| {
            ("/api/v1/inspection-plans".into(), Value::Null)
        }),
        r(M::POST, "/api/v1/inspection-plans", Perm(InspectionsManage), false, StatusCode::CREATED, |i| {
            (
                "/api/v1/inspection-plans".into(),
                json!({"name": format!("{}计划{}", i.body_side.mark(), i.n), "template": "elevator-use-unit",
                       "unit": i.body.compound, "issuing_org_id": i.body.org, "inspector_org_id": i.body.org,
                       "due_date": "2026-12-31",
                       "targets": [{"kind": "unit", "group": "小区", "unit_kind": "compound"}]}),
            )
        })
        .body_ref("unknown_unit", "unit"),
        r(M::GET, "/api/v1/inspection-plans/{id}", Perm(InspectionsRead), true, OK, |i| {
            (format!("/api/v1/inspection-plans/{}", i.url.inspection_plan), Value::Null)
        })
        .expect(inspection_read),
        // The due list is seen by whoever sees the plan, like the plan itself.
        r(M::GET, "/api/v1/inspection-plans/{id}/due", Perm(InspectionsRead), true, OK, |i| {
            (format!("/api/v1/inspection-plans/{}/due", i.url.inspection_plan), Value::Null)
        })
        .expect(inspection_read),
        r(M::POST, "/api/v1/inspection-records", Perm(InspectionsRecord), true, StatusCode::CREATED, |i| {
            (
                "/api/v1/inspection-records".into(),
                crate::api::inspections::walk_record(i.url.inspection_plan, i.url.inspection_target, i.who.name, i.n),
            )
        })
        .expect(inspection_record),
        r(M::GET, "/api/v1/inspection-records/{id}", Perm(InspectionsRead), true, OK, |i| {
            (format!("/api/v1/inspection-records/{}", i.url.inspection_record), Value::Null)
        })
        .expect(inspection_read),
        r(M::GET, "/api/v1/inspection-records/{id}/problem-list", Perm(InspectionsRead), true, OK, |i| {
            (
                format!("/api/v1/inspection-records/{}/problem-list", i.url.inspection_record),
                Value::Null,
            )
        })
        .expect(inspection_read),
        r(M::GET, "/api/v1/supervising-offices", Perm(InspectionsRead), false, OK, |_| {
            ("/api/v1/supervising-offices".into(), Value::Null)
        }),
        r(M::PUT, "/api/v1/supervising-offices", Perm(InspectionsManage), false, OK, |i| {
            (
                "/api/v1/supervising-offices".into(),
                json!({"issuing_org_id": i.body.org, "unit": i.body.compound, "office_org_id": i.body.org}),
            )
        })
        .body_ref("unknown_unit", "unit"),
        // Never set for a community, so whoever may remove it finds nothing there.
        r(M::DELETE, "/api/v1/supervising-offices", Perm(InspectionsManage), true, StatusCode::NO_CONTENT, |i| {
            (
                format!("/api/v1/supervising-offices?issuing_org_id={}&unit={}", i.url.org, i.url.community),
                Value::Null,
            )
        })
        .expect(office_removal),
        // --- special equipment and construction sites: by unit subtree
        r(M::GET, "/api/v1/equipment", Perm(EquipmentRead), true, OK, |i| {
            (format!("/api/v1/equipment?unit={}", i.url.compound), Value::Null)
        }),
        r(M::POST, "/api/v1/equipment", Perm(EquipmentWrite), false, StatusCode::CREATED, |i| {
            (
                "/api/v1/equipment".into(),
                json!({"registration_code": format!("{}梯{:04}", i.body_side.mark(), i.n), "kind": "elevator",
                       "unit": i.body.compound, "use_org_id": i.body.org, "installed_on": "2019-06-01",
                       "location": format!("{}新梯{}", i.body_side.mark(), i.n)}),
            )
        })
        .body_ref("unknown_unit", "unit"),
        r(M::GET, "/api/v1/equipment/alerts", Perm(EquipmentRead), false, OK, |_| {
            ("/api/v1/equipment/alerts".into(), Value::Null)
        }),
        r(M::GET, "/api/v1/equipment/{id}", Perm(EquipmentRead), true, OK, |i| {
            (format!("/api/v1/equipment/{}", i.url.equipment), Value::Null)
        }),
        r(M::PATCH, "/api/v1/equipment/{id}", Perm(EquipmentWrite), true, OK, |i| {
            (
                format!("/api/v1/equipment/{}", i.url.equipment),
                json!({"location": format!("{}1号梯{}", i.url_side.mark(), i.n)}),
            )
        }),
        r(M::POST, "/api/v1/equipment/{id}/maintenance", Perm(EquipmentWrite), true, StatusCode::CREATED, |i| {
            (
                format!("/api/v1/equipment/{}/maintenance", i.url.equipment),
                json!({"done_on": "2026-10-02", "note": format!("{}保养", i.url_side.mark())}),
            )
        }),
        r(M::POST, "/api/v1/equipment/{id}/inspections", Perm(EquipmentWrite), true, StatusCode::CREATED, |i| {
            (
                format!("/api/v1/equipment/{}/inspections", i.url.equipment),
                json!({"inspected_on": "2026-01-10", "result": "pass"}),
            )
        }),
        r(M::GET, "/api/v1/construction-sites", Perm(EquipmentRead), true, OK, |i| {
            (format!("/api/v1/construction-sites?unit={}", i.url.compound), Value::Null)
        }),
        r(M::POST, "/api/v1/construction-sites", Perm(EquipmentWrite), false, StatusCode::CREATED, |i| {
            (
                "/api/v1/construction-sites".into(),
                json!({"name": format!("{}工地{}", i.body_side.mark(), i.n), "builder_org_id": i.body.org,
                       "unit": i.body.compound, "starts_on": "2026-01-01"}),
            )
        })
        .body_ref("unknown_unit", "unit"),
        r(M::GET, "/api/v1/construction-sites/{id}", Perm(EquipmentRead), true, OK, |i| {
            (format!("/api/v1/construction-sites/{}", i.url.site), Value::Null)
        }),
        r(M::PATCH, "/api/v1/construction-sites/{id}", Perm(EquipmentWrite), true, OK, |i| {
            (
                format!("/api/v1/construction-sites/{}", i.url.site),
                json!({"location": format!("{}东侧{}", i.url_side.mark(), i.n)}),
            )
        }),
    ]
}

/// Reading a plan or record: staff by subtree, dept_a only side A's plan.
pub(super) fn inspection_read(who: &Who, url: Side, _: Side) -> Expected {
    let role = who.role.unwrap_or(Role::Resident);
    let sees = match role {
        Role::DeptHandler => url == Side::A,
        _ => who.sees(url),
    };
    if !role.can(Permission::InspectionsRead) {
        (StatusCode::FORBIDDEN, Some(("forbidden", None)))
    } else if sees {
        (StatusCode::OK, None)
    } else {
        (StatusCode::NOT_FOUND, Some(("not_found", None)))
    }
}

/// Removing an office that was never set: the permission, then the unit as
/// the caller's scope has it, then nothing to remove.
pub(super) fn office_removal(who: &Who, url: Side, _: Side) -> Expected {
    match who.role {
        None => (StatusCode::UNAUTHORIZED, Some(("unauthenticated", None))),
        Some(role) if !role.can(Permission::InspectionsManage) => {
            (StatusCode::FORBIDDEN, Some(("forbidden", None)))
        }
        Some(_) if !who.sees(url) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(("unknown_unit", Some("unit"))),
        ),
        Some(_) => (StatusCode::NOT_FOUND, Some(("not_found", None))),
    }
}

/// A plan's targets as a file: the export permission, then the plan as
/// `inspection_read` sees it.
pub(super) fn plan_targets_export(who: &Who, url: Side, body: Side) -> Expected {
    if !who.role.unwrap_or(Role::Resident).can(Permission::Export) {
        return (StatusCode::FORBIDDEN, Some(("forbidden", None)));
    }
    inspection_read(who, url, body)
}

/// Recording on a side's plan: a plan the caller cannot see is unknown; a
/// grid worker not named as its inspector is told so.
pub(super) fn inspection_record(who: &Who, url: Side, _: Side) -> Expected {
    let role = who.role.unwrap_or(Role::Resident);
    let sees = match role {
        Role::DeptHandler => url == Side::A,
        _ => who.sees(url),
    };
    if !role.can(Permission::InspectionsRecord) {
        (StatusCode::FORBIDDEN, Some(("forbidden", None)))
    } else if !sees {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(("unknown_plan", Some("plan_id"))),
        )
    } else if role == Role::GridWorker {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(("not_an_inspector", Some("plan_id"))),
        )
    } else {
        (StatusCode::CREATED, None)
    }
}
