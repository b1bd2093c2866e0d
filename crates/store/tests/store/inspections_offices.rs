//! The supervising office (监管单位): set per unit for an issuing organisation,
//! given to each target by its place, carried onto the findings' cases, and
//! able to read and supervise those cases — and nothing more.

use crate::cases_fixture::*;
use crate::common::*;
use crate::inspections::{elevator_plan, record, setup, submit, try_plan, Insp};
use wangge_core::auth::Role;
use wangge_core::cases::{Action, Command};
use wangge_core::organisations::OrgKind;
use wangge_store::inspections::{self as insp, Plan, SetOffice};
use wangge_store::organisations::{NewOrganisation, Organisation};
use wangge_store::registry;
use wangge_store::{cases, Ctx, Error, Result};

async fn office(i: &Insp, name: &str, unit: &str) -> i64 {
    let (ctx, new) = (
        i.w.system.clone(),
        NewOrganisation {
            name: name.into(),
            kind: OrgKind::Department,
            unit: unit.into(),
            parent_org_id: None,
            credit_code: None,
        },
    );
    i.w.ts
        .db
        .write(move |c| registry::create::<Organisation>(c, &ctx, new))
        .await
        .unwrap()
        .id
}

async fn set(i: &Insp, ctx: &Ctx, unit: &str, office: i64) -> Result<insp::SupervisingOffice> {
    let (ctx, new) = (
        ctx.clone(),
        SetOffice {
            issuing_org_id: i.w.org_a,
            unit: unit.into(),
            office_org_id: office,
        },
    );
    i.w.ts
        .db
        .write(move |c| insp::set_office(c, &ctx, new))
        .await
}

async fn plans(i: &Insp, ctx: &Ctx) -> Vec<Plan> {
    let ctx = ctx.clone();
    i.w.ts
        .db
        .read(move |c| insp::list_plans(c, &ctx))
        .await
        .unwrap()
}

async fn case_ids(i: &Insp, ctx: &Ctx) -> Vec<i64> {
    let ctx = ctx.clone();
    i.w.ts
        .db
        .read(move |c| cases::list(c, &ctx, &Default::default(), None, Some(500)))
        .await
        .unwrap()
        .items
        .iter()
        .map(|c| c.id)
        .collect()
}

#[test]
fn each_target_gets_the_office_of_its_place_which_reads_and_supervises_its_cases() {
    on_each_backend(|ts| async move {
        let i = setup(&ts).await;
        let comm_a = i.w.t.comm_a.code.clone();
        let office_a = office(&i, "广州路市场监管所", &comm_a).await;
        let handler_a = account(&ts, "jgs_a", Role::DeptHandler, None, Some(office_a)).await;
        let other = account(&ts, "jgs_c", Role::DeptHandler, None, Some(i.w.org_c)).await;
        let set_a = set(&i, &i.w.street, &comm_a, office_a).await.unwrap();
        assert_eq!(set_a.office_org_name, "广州路市场监管所");
        assert_eq!(set_a.unit_name, "广州路社区");

        // A plan made now: the mall and compound A lie in community A and
        // get its office; the hospital in community B keeps the plan's.
        let street = i.w.t.street.code.clone();
        let plan = try_plan(&i.w, &i.w.street, elevator_plan(&i, &street))
            .await
            .unwrap();
        let (ctx, pid) = (i.w.system.clone(), plan.id);
        let targets =
            i.w.ts
                .db
                .read(move |c| insp::list_targets(c, &ctx, pid))
                .await
                .unwrap();
        let office_of = |label: &str| {
            targets
                .iter()
                .find(|t| t.label == label)
                .and_then(|t| t.supervising_org_name.clone())
        };
        assert_eq!(office_of("万达广场").as_deref(), Some("广州路市场监管所"));
        assert_eq!(office_of("华英小区").as_deref(), Some("广州路市场监管所"));
        assert_eq!(office_of("市立医院").as_deref(), Some("开发区市场监管所"));
        assert_eq!(office_of("长江花园").as_deref(), Some("开发区市场监管所"));

        let mall = targets.iter().find(|t| t.label == "万达广场").unwrap().id;
        let s = submit(
            &i.w,
            &i.expert,
            record(plan.id, mall, "office-1", &["maint_interval"]),
        )
        .await
        .unwrap();
        let case_id = s.record.findings[0].case_id.unwrap();
        let case = i.w.get(&i.w.system, case_id).await.unwrap();
        assert_eq!(case.supervising_org, Some(office_a));
        assert_eq!(
            case.supervising_org_name.as_deref(),
            Some("广州路市场监管所")
        );
        check_replay(&i.w, case_id).await;

        // The problem list tells the target its own office, not the plan's.
        let (ctx, rid) = (i.w.street.clone(), s.record.id);
        let pl =
            i.w.ts
                .db
                .read(move |c| insp::problem_list(c, &ctx, rid))
                .await
                .unwrap();
        assert_eq!(pl.supervising_org.as_deref(), Some("广州路市场监管所"));

        // The office's handler finds the case, the plan and the problem list.
        assert_eq!(case_ids(&i, &handler_a).await, vec![case_id]);
        assert!(i.w.get(&handler_a, case_id).await.is_ok());
        assert!(plans(&i, &handler_a).await.iter().any(|p| p.id == plan.id));
        let (ctx, rid) = (handler_a.clone(), s.record.id);
        assert!(i
            .w
            .ts
            .db
            .read(move |c| insp::problem_list(c, &ctx, rid))
            .await
            .is_ok());
        // Another department does not.
        assert!(case_ids(&i, &other).await.is_empty());
        assert!(matches!(
            i.w.get(&other, case_id).await,
            Err(Error::NotFound { .. })
        ));
        assert!(plans(&i, &other).await.is_empty());

        // It supervises; it does not do the responsible organisation's steps.
        let v =
            i.w.step(
                &handler_a,
                case_id,
                Command::new(Action::Supervise).reason("整改期限将至，请抓紧"),
            )
            .await;
        assert!(v.supervised);
        let e =
            i.w.try_step(
                &handler_a,
                case_id,
                Some(v.version),
                Command::new(Action::Start),
            )
            .await
            .unwrap_err();
        assert!(e.to_string().contains("承办单位"), "{e}");
        check_replay(&i.w, case_id).await;
    });
}

#[test]
fn offices_are_set_by_managers_inside_their_scope_and_bad_ones_change_nothing() {
    on_each_backend(|ts| async move {
        let i = setup(&ts).await;
        let comm_a = i.w.t.comm_a.code.clone();
        let office_a = office(&i, "广州路市场监管所", &comm_a).await;
        let before = snapshot(&ts).await;
        // The auditor manages nothing; a community's cadre not another community.
        assert!(matches!(
            set(&i, &i.w.auditor, &comm_a, office_a).await,
            Err(Error::Forbidden)
        ));
        let comm_b = i.w.t.comm_b.code.clone();
        refused(
            set(&i, &i.w.cadre_a, &comm_b, office_a).await,
            "unknown_unit",
        );
        // No such unit, no such office: named in the error.
        refused(
            set(&i, &i.w.street, "999999", office_a).await,
            "unknown_unit",
        );
        let e = refused(
            set(&i, &i.w.street, &comm_a, 987_654).await,
            "unknown_organisation",
        );
        assert!(e.to_string().contains("组织987654不存在"), "{e}");
        unchanged(&before, &snapshot(&ts).await);

        // Replacing the office of a unit keeps one row; removing it twice is not found.
        let office_b = office(&i, "第二监管所", &comm_a).await;
        set(&i, &i.w.street, &comm_a, office_a).await.unwrap();
        set(&i, &i.w.street, &comm_a, office_b).await.unwrap();
        let ctx = i.w.street.clone();
        let all =
            i.w.ts
                .db
                .read(move |c| insp::list_offices(c, &ctx))
                .await
                .unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].office_org_id, office_b);
        let (ctx, org, unit) = (i.w.street.clone(), i.w.org_a, comm_a.clone());
        i.w.ts
            .db
            .write(move |c| insp::remove_office(c, &ctx, org, &unit))
            .await
            .unwrap();
        let (ctx, org, unit) = (i.w.street.clone(), i.w.org_a, comm_a.clone());
        assert!(matches!(
            i.w.ts
                .db
                .write(move |c| insp::remove_office(c, &ctx, org, &unit))
                .await,
            Err(Error::NotFound { .. })
        ));
    });
}

#[test]
fn dispatchers_name_a_supervising_office_on_any_open_case() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let created = w.rubbish().await;
        let id = created.case.id;
        w.dispatched(id, w.org_b).await;
        assert!(matches!(
            w.get(&w.dept_a, id).await,
            Err(Error::NotFound { .. })
        ));

        let (ctx, org) = (w.street.clone(), w.org_a);
        let v = w
            .write(move |c, _| cases::set_supervising_org(c, &ctx, id, Some(org)))
            .await
            .unwrap();
        assert_eq!(v.supervising_org_name.as_deref(), Some("开发区市场监管所"));
        assert!(w.get(&w.dept_a, id).await.is_ok());
        let (ctx, org) = (w.dept_b.clone(), w.org_c);
        assert!(matches!(
            w.write(move |c, _| cases::set_supervising_org(c, &ctx, id, Some(org)))
                .await,
            Err(Error::Forbidden)
        ));
        let before = snapshot(&ts).await;
        let ctx = w.street.clone();
        refused(
            w.write(move |c, _| cases::set_supervising_org(c, &ctx, id, Some(424_242)))
                .await,
            "unknown_organisation",
        );
        unchanged(&before, &snapshot(&ts).await);

        // Cleared, the office loses sight of it again.
        let ctx = w.street.clone();
        w.write(move |c, _| cases::set_supervising_org(c, &ctx, id, None))
            .await
            .unwrap();
        assert!(matches!(
            w.get(&w.dept_a, id).await,
            Err(Error::NotFound { .. })
        ));
        let events = {
            let ctx = w.street.clone();
            w.read(move |c, _| cases::events(c, &ctx, id))
                .await
                .unwrap()
        };
        assert_eq!(
            events
                .iter()
                .filter(|e| e.action == "set_supervising_org")
                .count(),
            2
        );
        check_replay(&w, id).await;
    });
}
