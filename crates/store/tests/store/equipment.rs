//! The special-equipment and construction-site registries: dates and their
//! rules, alerts, records, scope and every kind of bad input. Today is
//! 2026-11-24 (`common::NOW`).

use crate::common::*;
use wangge_core::auth::Role;
use wangge_core::equipment::{
    AlertKind, EquipmentKind, EquipmentStatus, InspectionResult, SiteStatus,
};
use wangge_core::organisations::OrgKind;
use wangge_store::equipment::{
    self as eq, Equipment, EquipmentPatch, ListFilter, NewEquipment, NewInspection, NewMaintenance,
    NewSite, SiteFilter,
};
use wangge_store::organisations::{NewOrganisation, Organisation};
use wangge_store::registry;
use wangge_store::{Ctx, Result, Scope};

#[path = "equipment/alerts.rs"]
mod alerts;
#[path = "equipment/references.rs"]
mod references;
#[path = "equipment/site_update.rs"]
mod site_update;
#[path = "equipment/sites.rs"]
mod sites;

struct Fixture {
    tree: Tree,
    property: i64,
    maintainer: i64,
}

async fn fixture(ts: &Env) -> Fixture {
    let tree = small_tree(ts).await;
    let org = |name: &str, kind, unit: &str| NewOrganisation {
        name: name.to_string(),
        kind,
        unit: unit.to_string(),
        parent_org_id: None,
        credit_code: None,
    };
    let (p, m) = (
        org("华英物业", OrgKind::PropertyCompany, &tree.compound_a.code),
        org("菏泽通力电梯维保", OrgKind::Enterprise, &tree.zone.code),
    );
    let ctx = ts.ctx();
    let (property, maintainer) = ts
        .db
        .write(move |c| {
            Ok((
                registry::create::<Organisation>(c, &ctx, p)?.id,
                registry::create::<Organisation>(c, &ctx, m)?.id,
            ))
        })
        .await
        .unwrap();
    Fixture {
        tree,
        property,
        maintainer,
    }
}

fn elevator(f: &Fixture, code: &str, unit: &str) -> NewEquipment {
    NewEquipment {
        registration_code: code.to_string(),
        kind: EquipmentKind::Elevator,
        unit: unit.to_string(),
        location: Some("1单元东梯".into()),
        use_org_id: f.property,
        maintenance_org_id: Some(f.maintainer),
        model: Some("曳引式乘客电梯".into()),
        installed_on: "2015-05-10".into(),
        last_inspected_on: Some("2026-03-01".into()),
        next_inspection_due: None,
        maintenance_interval_days: None,
        last_maintained_on: Some("2026-11-20".into()),
    }
}

async fn try_create(ts: &Env, ctx: &Ctx, new: NewEquipment) -> Result<Equipment> {
    let ctx = ctx.clone();
    ts.db.write(move |c| eq::create(c, &ctx, new)).await
}

async fn create(ts: &Env, new: NewEquipment) -> Equipment {
    try_create(ts, &ts.ctx(), new).await.unwrap()
}

async fn list(ts: &Env, ctx: &Ctx, f: ListFilter) -> Vec<String> {
    let ctx = ctx.clone();
    ts.db
        .read(move |c| eq::list(c, &ctx, &f, None, Some(500)))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.registration_code)
        .collect()
}

fn scoped(ts: &Env, role: Role, path: &str) -> Ctx {
    let mut ctx = ts.scoped(Scope::Subtree(path.to_string()));
    ctx.role = Some(role);
    ctx
}

#[test]
fn registers_with_default_dates_and_lists_by_subtree() {
    on_each_backend(|ts| async move {
        let f = fixture(&ts).await;
        let e = create(&ts, elevator(&f, " dt-0001 ", &f.tree.building_a1.code)).await;
        assert_eq!(e.registration_code, "DT-0001");
        assert_eq!(e.next_inspection_due, "2027-03-01", "annual by default");
        assert_eq!(e.maintenance_interval_days, 15);
        assert_eq!(e.maintenance_due, "2026-12-05");
        assert_eq!(e.status, EquipmentStatus::InUse);
        assert!(e.alerts.is_empty(), "{:?}", e.alerts);
        assert_eq!(e.use_org_name, "华英物业");
        assert_eq!(e.maintenance_org_name.as_deref(), Some("菏泽通力电梯维保"));
        let mut esc = elevator(&f, "FT-0002", &f.tree.building_b1.code);
        esc.kind = EquipmentKind::Escalator;
        create(&ts, esc).await;
        create(&ts, elevator(&f, "DT-0003", &f.tree.building_a2.code)).await;

        let ctx = ts.ctx();
        let under_a = ListFilter {
            unit: Some(f.tree.comm_a.code.clone()),
            ..Default::default()
        };
        assert_eq!(list(&ts, &ctx, under_a).await, ["DT-0001", "DT-0003"]);
        let escalators = ListFilter {
            kind: Some(EquipmentKind::Escalator),
            ..Default::default()
        };
        assert_eq!(list(&ts, &ctx, escalators).await, ["FT-0002"]);
        // Keyset paging walks every row once.
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let (ctx, cur) = (ctx.clone(), cursor.clone());
            let page = ts
                .db
                .read(move |c| eq::list(c, &ctx, &ListFilter::default(), cur.as_deref(), Some(1)))
                .await
                .unwrap();
            seen.extend(page.items.into_iter().map(|e| e.id));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen.len(), 3);
        let got = audit_of(&ts, "equipment", e.id).await;
        assert_eq!(got[0].1, "create");
    });
}

#[test]
fn duplicate_registration_code_is_a_conflict_and_writes_nothing() {
    on_each_backend(|ts| async move {
        let f = fixture(&ts).await;
        create(
            &ts,
            elevator(&f, "梯11鲁R00123(20)", &f.tree.compound_a.code),
        )
        .await;
        let other = create(&ts, elevator(&f, "DT-0002", &f.tree.compound_a.code)).await;
        let before = snapshot(&ts).await;
        // The same code typed with full-width brackets and a lower-case letter.
        let e = refused(
            try_create(
                &ts,
                &ts.ctx(),
                elevator(&f, "梯11鲁r00123（20）", &f.tree.compound_b.code),
            )
            .await,
            "registration_code_taken",
        );
        assert!(messages(&e).contains("已登记") && messages(&e).contains("already registered"));
        let patch = EquipmentPatch {
            registration_code: Some("梯11鲁R00123(20)".into()),
            model: Some("changed".into()),
            ..Default::default()
        };
        let ctx = ts.ctx();
        refused(
            ts.db
                .write(move |c| eq::update(c, &ctx, other.id, patch))
                .await,
            "registration_code_taken",
        );
        unchanged(&before, &snapshot(&ts).await);
    });
}

#[test]
fn bad_input_is_refused_naming_the_field_and_writes_nothing() {
    on_each_backend(|ts| async move {
        let f = fixture(&ts).await;
        let u = f.tree.compound_a.code.clone();
        let before = snapshot(&ts).await;
        type Edit = fn(&mut NewEquipment);
        let cases: Vec<(Edit, &str, &str)> = vec![
            (
                |n| n.next_inspection_due = Some("2015-05-09".into()),
                "next_inspection_due",
                "dates_order",
            ),
            (
                |n| n.last_inspected_on = Some("2015-05-09".into()),
                "last_inspected_on",
                "dates_order",
            ),
            (
                |n| n.next_inspection_due = Some("2026-03-01".into()),
                "next_inspection_due",
                "dates_order",
            ),
            (
                |n| n.installed_on = "2026-11-25".into(),
                "installed_on",
                "date_in_future",
            ),
            (
                |n| n.last_inspected_on = Some("2026-11-25".into()),
                "last_inspected_on",
                "date_in_future",
            ),
            (
                |n| n.installed_on = "2015-02-30".into(),
                "installed_on",
                "date",
            ),
            (
                |n| n.last_maintained_on = Some("2015-01-01".into()),
                "last_maintained_on",
                "dates_order",
            ),
            (
                |n| n.maintenance_interval_days = Some(0),
                "maintenance_interval_days",
                "maintenance_interval",
            ),
            (
                |n| n.registration_code = "DT 1".into(),
                "registration_code",
                "registration_code_character",
            ),
            (
                |n| n.registration_code = "  ".into(),
                "registration_code",
                "required",
            ),
            (
                |n| n.unit = "371799999999999".into(),
                "unit",
                "unknown_unit",
            ),
            (
                |n| n.use_org_id = 999_999,
                "use_org_id",
                "unknown_organisation",
            ),
            (
                |n| n.maintenance_org_id = Some(999_999),
                "maintenance_org_id",
                "unknown_organisation",
            ),
            (
                |n| n.location = Some("x".repeat(101)),
                "location",
                "too_long",
            ),
        ];
        for (edit, want_field, code) in cases {
            let mut n = elevator(&f, "DT-0001", &u);
            edit(&mut n);
            let e = refused(try_create(&ts, &ts.ctx(), n).await, code);
            assert_eq!(field(&e), want_field, "{e:?}");
            assert!(!messages(&e).is_empty());
        }
        // A unit outside the caller's scope is unknown to them.
        let cadre_b = scoped(&ts, Role::StreetStaff, &f.tree.comm_b.path);
        let e = refused(
            try_create(&ts, &cadre_b, elevator(&f, "DT-0009", &u)).await,
            "unknown_unit",
        );
        assert_eq!(field(&e), "unit");
        unchanged(&before, &snapshot(&ts).await);
        assert_eq!(count(&ts, "equipment").await, 0);
    });
}

#[test]
fn scope_and_roles_bound_what_is_seen_and_changed() {
    on_each_backend(|ts| async move {
        let f = fixture(&ts).await;
        let a = create(&ts, elevator(&f, "DT-A", &f.tree.compound_a.code)).await;
        create(&ts, elevator(&f, "DT-B", &f.tree.compound_b.code)).await;
        let staff_b = scoped(&ts, Role::CommunityCadre, &f.tree.comm_b.path);
        assert_eq!(list(&ts, &staff_b, ListFilter::default()).await, ["DT-B"]);
        let ctx = staff_b.clone();
        assert_not_found(ts.db.read(move |c| eq::get(c, &ctx, a.id)).await);
        let ctx = staff_b.clone();
        let patch = EquipmentPatch {
            model: Some("x".into()),
            ..Default::default()
        };
        assert_not_found(ts.db.write(move |c| eq::update(c, &ctx, a.id, patch)).await);
        // A listing rooted outside the scope is not found either.
        let ctx = staff_b.clone();
        let root_a = ListFilter {
            unit: Some(f.tree.comm_a.code.clone()),
            ..Default::default()
        };
        assert_not_found(
            ts.db
                .read(move |c| eq::list(c, &ctx, &root_a, None, None))
                .await,
        );
        // Grid workers read but do not register; residents do neither.
        let grid = scoped(&ts, Role::GridWorker, &f.tree.comm_a.path);
        assert_eq!(list(&ts, &grid, ListFilter::default()).await, ["DT-A"]);
        let r = try_create(&ts, &grid, elevator(&f, "DT-G", &f.tree.compound_a.code)).await;
        assert!(matches!(r, Err(wangge_store::Error::Forbidden)), "{r:?}");
        let resident = scoped(&ts, Role::Resident, &f.tree.comm_a.path);
        let r = ts.db.read(move |c| eq::get(c, &resident, a.id)).await;
        assert!(matches!(r, Err(wangge_store::Error::Forbidden)), "{r:?}");
    });
}

#[test]
fn maintenance_and_inspection_records_move_the_dates() {
    on_each_backend(|ts| async move {
        let f = fixture(&ts).await;
        let mut n = elevator(&f, "DT-0001", &f.tree.compound_a.code);
        n.last_maintained_on = Some("2026-11-01".into());
        let e = create(&ts, n).await;
        assert_eq!(e.maintenance_due, "2026-11-16");
        assert_eq!(e.alerts[0].kind, AlertKind::MaintenanceOverdue);
        assert_eq!(e.alerts[0].days_overdue, 8);

        let maint = |on: &str| NewMaintenance {
            done_on: on.to_string(),
            org_id: None,
            note: Some("例行保养".into()),
        };
        let ctx = ts.ctx();
        let id = e.id;
        let m = ts
            .db
            .write(move |c| eq::record_maintenance(c, &ctx, id, maint("2026-11-22")))
            .await
            .unwrap();
        assert_eq!(
            m.org_id,
            Some(f.maintainer),
            "the equipment's maintenance company by default"
        );
        let ctx = ts.ctx();
        let after = ts.db.read(move |c| eq::get(c, &ctx, id)).await.unwrap();
        assert_eq!(after.last_maintained_on.as_deref(), Some("2026-11-22"));
        assert_eq!(after.maintenance_due, "2026-12-07");
        assert!(after.alerts.is_empty());
        // A late-entered older visit is kept but does not move the due date back.
        let ctx = ts.ctx();
        ts.db
            .write(move |c| eq::record_maintenance(c, &ctx, id, maint("2026-11-10")))
            .await
            .unwrap();
        let ctx = ts.ctx();
        let hist = ts
            .db
            .read(move |c| eq::maintenance(c, &ctx, id))
            .await
            .unwrap();
        assert_eq!(
            hist.iter().map(|m| m.done_on.as_str()).collect::<Vec<_>>(),
            ["2026-11-22", "2026-11-10"]
        );
        let ctx = ts.ctx();
        let after = ts.db.read(move |c| eq::get(c, &ctx, id)).await.unwrap();
        assert_eq!(after.maintenance_due, "2026-12-07");

        // Bad dates leave everything as it was.
        let before = snapshot(&ts).await;
        for (on, code) in [
            ("2015-05-09", "dates_order"),
            ("2026-11-25", "date_in_future"),
            ("11/22", "date"),
        ] {
            let ctx = ts.ctx();
            let e = refused(
                ts.db
                    .write(move |c| eq::record_maintenance(c, &ctx, id, maint(on)))
                    .await,
                code,
            );
            assert_eq!(field(&e), "done_on");
        }
        let insp = |on: &str, result, next: Option<&str>| NewInspection {
            inspected_on: on.to_string(),
            result,
            next_due: next.map(str::to_string),
            report_no: Some("TJ2026-001".into()),
            note: None,
        };
        let ctx = ts.ctx();
        let e = refused(
            ts.db
                .write(move |c| {
                    eq::record_inspection(
                        c,
                        &ctx,
                        id,
                        insp("2026-11-23", InspectionResult::Pass, Some("2026-11-23")),
                    )
                })
                .await,
            "dates_order",
        );
        assert_eq!(field(&e), "next_due");
        unchanged(&before, &snapshot(&ts).await);

        // A pass moves last/next a year on; a failure also stops the lift.
        let ctx = ts.ctx();
        ts.db
            .write(move |c| {
                eq::record_inspection(
                    c,
                    &ctx,
                    id,
                    insp("2026-11-23", InspectionResult::Pass, None),
                )
            })
            .await
            .unwrap();
        let ctx = ts.ctx();
        let after = ts.db.read(move |c| eq::get(c, &ctx, id)).await.unwrap();
        assert_eq!(after.last_inspected_on.as_deref(), Some("2026-11-23"));
        assert_eq!(after.next_inspection_due, "2027-11-23");
        assert_eq!(after.status, EquipmentStatus::InUse);
        let ctx = ts.ctx();
        ts.db
            .write(move |c| {
                eq::record_inspection(
                    c,
                    &ctx,
                    id,
                    insp("2026-11-24", InspectionResult::Fail, Some("2026-12-24")),
                )
            })
            .await
            .unwrap();
        let ctx = ts.ctx();
        let after = ts.db.read(move |c| eq::get(c, &ctx, id)).await.unwrap();
        assert_eq!(after.status, EquipmentStatus::Stopped);
        assert_eq!(after.next_inspection_due, "2026-12-24");
        let ctx = ts.ctx();
        assert_eq!(
            ts.db
                .read(move |c| eq::inspections(c, &ctx, id))
                .await
                .unwrap()
                .len(),
            2
        );
    });
}

#[test]
fn scrapped_is_final() {
    on_each_backend(|ts| async move {
        let f = fixture(&ts).await;
        let e = create(&ts, elevator(&f, "DT-0001", &f.tree.compound_a.code)).await;
        let id = e.id;
        let set = |s| EquipmentPatch {
            status: Some(s),
            ..Default::default()
        };
        let ctx = ts.ctx();
        let stopped = ts
            .db
            .write(move |c| eq::update(c, &ctx, id, set(EquipmentStatus::Scrapped)))
            .await
            .unwrap();
        assert_eq!(stopped.status, EquipmentStatus::Scrapped);
        assert_eq!(stopped.version, 2);
        let before = snapshot(&ts).await;
        let ctx = ts.ctx();
        refused(
            ts.db
                .write(move |c| eq::update(c, &ctx, id, set(EquipmentStatus::InUse)))
                .await,
            "equipment_scrapped",
        );
        let ctx = ts.ctx();
        let m = NewMaintenance {
            done_on: "2026-11-24".into(),
            org_id: None,
            note: None,
        };
        refused(
            ts.db
                .write(move |c| eq::record_maintenance(c, &ctx, id, m))
                .await,
            "equipment_scrapped",
        );
        unchanged(&before, &snapshot(&ts).await);
    });
}
