//! Targets beyond units and organisations (special equipment, construction
//! sites with the dust-control checklist), and the demo's elevator
//! investigation.

use crate::common::*;
use crate::inspections::*;
use wangge_core::equipment::EquipmentKind;
use wangge_core::inspections::{Answer, AnswerValue};
use wangge_core::organisations::OrgKind;
use wangge_store::equipment::{self as eq, NewEquipment, NewSite};
use wangge_store::inspections::{self as insp, NewPlan, TargetFilter, TargetKind};
use wangge_store::organisations::{NewOrganisation, Organisation};
use wangge_store::registry;

fn filter(kind: TargetKind, group: &str, ids: Vec<i64>) -> TargetFilter {
    TargetFilter {
        kind,
        group: group.into(),
        under: None,
        unit_kind: None,
        codes: vec![],
        org_kind: None,
        ids,
    }
}

#[test]
fn equipment_and_construction_sites_are_targets_whose_owners_rectify() {
    on_each_backend(|ts| async move {
        let i = setup(&ts).await;
        let w = &i.w;
        let (ctx, compound, comm_b, org_b) = (
            w.system.clone(),
            w.t.compound_a.code.clone(),
            w.t.comm_b.code.clone(),
            w.org_b,
        );
        let (lift, site, builder) =
            w.ts.db
                .write(move |c| {
                    let builder = registry::create::<Organisation>(
                        c,
                        &ctx,
                        NewOrganisation {
                            name: "山东鸿运达建设有限公司".into(),
                            kind: OrgKind::Enterprise,
                            unit: comm_b.clone(),
                            parent_org_id: None,
                            credit_code: None,
                        },
                    )?
                    .id;
                    let lift = eq::create(
                        c,
                        &ctx,
                        NewEquipment {
                            registration_code: "DT-3717-0001".into(),
                            kind: EquipmentKind::Elevator,
                            unit: compound,
                            location: Some("1号楼东梯".into()),
                            use_org_id: org_b,
                            maintenance_org_id: None,
                            model: None,
                            installed_on: "2015-05-10".into(),
                            last_inspected_on: Some("2026-03-01".into()),
                            next_inspection_due: None,
                            maintenance_interval_days: None,
                            last_maintained_on: Some("2026-11-20".into()),
                        },
                    )?
                    .id;
                    let site = wangge_store::registry::create::<eq::Site>(
                        c,
                        &ctx,
                        NewSite {
                            name: "长江花园二期".into(),
                            builder_org_id: builder,
                            unit: comm_b,
                            location: None,
                            starts_on: "2026-03-01".into(),
                            ends_on: None,
                            status: None,
                        },
                    )?
                    .id;
                    Ok((lift, site, builder))
                })
                .await
                .unwrap();

        let mut p = elevator_plan(&i, &w.t.street.code);
        p.targets = vec![filter(TargetKind::Equipment, "电梯", vec![lift])];
        let lifts = try_plan(w, &w.street, p).await.unwrap();
        let street = w.t.street.code.clone();
        let dust = try_plan(
            w,
            &w.street,
            NewPlan {
                name: "建设工地扬尘防治检查".into(),
                template: "site-dust-control".into(),
                // All sites not yet finished under the street.
                targets: vec![filter(TargetKind::ConstructionSite, "建设工地", vec![])],
                ..elevator_plan(&i, &street)
            },
        )
        .await
        .unwrap();
        assert_eq!((lifts.targets, dust.targets), (1, 1));

        let targets = |plan: i64| {
            let ctx = w.system.clone();
            let db = w.ts.db.clone();
            async move {
                db.read(move |c| insp::list_targets(c, &ctx, plan))
                    .await
                    .unwrap()
            }
        };
        let lt = targets(lifts.id).await.remove(0);
        assert_eq!(lt.label, "DT-3717-0001 1号楼东梯");
        assert_eq!(lt.responsible_org_id, Some(w.org_b));
        let s = submit(
            w,
            &i.expert,
            record(lifts.id, lt.id, "e-1", &["alarm_works"]),
        )
        .await
        .unwrap();
        let case = w
            .get(&w.system, s.record.findings[0].case_id.unwrap())
            .await
            .unwrap();
        assert_eq!(case.lead_org, Some(w.org_b));

        let st = targets(dust.id).await.remove(0);
        assert_eq!(st.ref_id, site);
        assert_eq!(
            (st.label.as_str(), st.responsible_org_id),
            ("长江花园二期", Some(builder))
        );
        let mut rec = record(dust.id, st.id, "d-1", &[]);
        rec.answers = [
            "fence",
            "cover",
            "wash",
            "harden",
            "wet",
            "sealed_transport",
            "monitoring",
        ]
        .iter()
        .map(|k| {
            let v = AnswerValue::Bool(*k != "wash");
            (
                k.to_string(),
                Answer {
                    value: v,
                    note: None,
                },
            )
        })
        .collect();
        let s = submit(w, &i.expert, rec).await.unwrap();
        let f = &s.record.findings[0];
        assert_eq!(f.item_text, "出入车辆100%冲洗");
        let case = w.get(&w.system, f.case_id.unwrap()).await.unwrap();
        assert_eq!(
            (case.category.as_str(), case.lead_org),
            ("0803", Some(builder))
        );
        assert_eq!(case.fields["project_name"], "长江花园二期");

        // An id that is no piece of equipment is refused by name.
        let mut p = elevator_plan(&i, &w.t.street.code);
        p.targets = vec![filter(TargetKind::Equipment, "电梯", vec![999_999])];
        let before = snapshot(&ts).await;
        let e = refused(try_plan(w, &w.street, p).await, "unknown_target");
        assert_eq!(field(&e), "targets[0].ids[0]");
        unchanged(&before, &snapshot(&ts).await);
    });
}

#[test]
fn the_demo_holds_the_seeds_elevator_investigation() {
    on_each_backend(|ts| async move {
        let cfg = wangge_demo::DemoConfig {
            people: 300,
            seed: 2020,
        };
        wangge_demo::seed(&ts.store, &cfg).await.unwrap();
        let ctx = ts.ctx();
        let st = ts
            .db
            .read(move |c| insp::subtree_stats(c, &ctx, None, Some("elevator-use-unit")))
            .await
            .unwrap();
        let groups: Vec<(&str, i64, i64)> = st
            .groups
            .iter()
            .map(|g| (g.group.as_str(), g.targets, g.inspected))
            .collect();
        assert_eq!(groups, [("人员密集场所", 6, 6), ("大型小区", 20, 20)]);
        assert!(st.problem_lists > 0 && st.findings > 0);
        assert_eq!(st.findings, st.open + st.rectified, "{st:?}");
        if ts.backend == wangge_store::Backend::Sqlite {
            // SQLite keeps the departments' photos beside the file: a mix.
            assert!(st.rectified > 0 && st.open > 0, "{st:?}");
        }
        let ctx = ts.ctx();
        let plans = ts
            .db
            .read(move |c| insp::list_plans(c, &ctx))
            .await
            .unwrap();
        assert_eq!(plans.len(), 1);
        assert_eq!(plans[0].issuing_org_name, "菏泽开发区市场监督管理局");
        // The bureau supervises only where no street office is set: each
        // target answers to the office of its own street (属地监管).
        assert_eq!(
            plans[0].supervising_org_name.as_deref(),
            Some("菏泽开发区市场监督管理局")
        );
        let (ctx, pid) = (ts.ctx(), plans[0].id);
        let targets = ts
            .db
            .read(move |c| insp::list_targets(c, &ctx, pid))
            .await
            .unwrap();
        let office = |label: &str| {
            targets
                .iter()
                .find(|t| t.label == label)
                .and_then(|t| t.supervising_org_name.clone())
        };
        assert_eq!(
            office("菏泽开发区佃户屯中学").as_deref(),
            Some("佃户屯街道市场监管所")
        );
        assert_eq!(
            office("菏泽开发区人民医院").as_deref(),
            Some("丹阳街道市场监管所")
        );
        for t in targets.iter().filter(|t| t.group == "大型小区") {
            let name = t.supervising_org_name.as_deref().unwrap_or_default();
            assert!(name.ends_with("街道市场监管所"), "{}: {name}", t.label);
        }
        assert_eq!(
            plans[0].inspector_org_name.as_deref(),
            Some("菏泽华检特种设备检测技术服务有限公司")
        );
    });
}

/// A plan and its targets go with their unit when it moves to another
/// street: the new street's staff see it, the old street's no longer do.
#[test]
fn a_moved_community_takes_its_inspection_plans_and_targets_along() {
    on_each_backend(|ts| async move {
        let i = setup(&ts).await;
        let w = &i.w;
        let zone = w.t.zone.code.clone();
        let other = unit(
            &ts,
            wangge_core::units::UnitKind::Street,
            "佃户屯街道",
            Some(&zone),
        )
        .await;
        let other_staff = crate::cases_fixture::account(
            &ts,
            "dhtjd",
            wangge_core::auth::Role::StreetStaff,
            Some(&other.code),
            None,
        )
        .await;
        let mut new = elevator_plan(&i, &w.t.comm_b.code);
        new.targets.retain(|f| f.kind == TargetKind::Unit);
        let plan = try_plan(w, &w.street, new).await.unwrap();
        assert!(plan.targets > 0, "the plan has the community's compounds");
        let get = |ctx: &wangge_store::Ctx| {
            let ctx = ctx.clone();
            ts.db.read(move |c| insp::get_plan(c, &ctx, plan.id))
        };
        assert!(get(&w.street).await.is_ok());
        assert!(get(&other_staff).await.is_err());

        let (sys, from, to) = (
            w.system.clone(),
            w.t.comm_b.code.clone(),
            other.code.clone(),
        );
        ts.db
            .write(move |c| wangge_store::units::move_to(c, &sys, &from, &to))
            .await
            .unwrap();
        let moved = get(&other_staff)
            .await
            .expect("the new street sees the plan");
        assert_eq!(moved.targets, plan.targets);
        assert!(
            get(&w.street).await.is_err(),
            "the old street still sees it"
        );
        // No target is left at a path the tree no longer has.
        let stale = ts
            .db
            .read(|c| {
                c.query_one(
                    "SELECT COUNT(*) FROM inspection_targets t
                     WHERE NOT EXISTS (SELECT 1 FROM units u WHERE u.path = t.unit_path)",
                    &[],
                )
            })
            .await
            .unwrap()
            .get::<i64>(0)
            .unwrap();
        assert_eq!(stale, 0, "inspection targets left at their old path");
    });
}
