//! The inspection engine: templates and versions, plans over filtered
//! targets, offline-tolerant records, findings turned into cases through the
//! case engine, re-inspection, problem lists and statistics.

use crate::cases_fixture::*;
use crate::common::*;
use std::collections::BTreeMap;
use time::Duration;
use wangge_core::auth::Role;
use wangge_core::cases::CaseState;
use wangge_core::inspections::{Answer, AnswerValue, ItemKind, TemplateBody};
use wangge_core::organisations::OrgKind;
use wangge_core::units::UnitKind;
use wangge_store::inspections::{
    self as insp, NewPlan, NewRecord, Plan, Submitted, TargetFilter, TargetKind,
};
use wangge_store::organisations::{NewOrganisation, Organisation};
use wangge_store::registry;
use wangge_store::{Ctx, Result};

pub struct Insp {
    pub w: World,
    /// 第三方检验机构 and its expert's account (a department handler).
    pub expert_org: i64,
    pub expert: Ctx,
    /// 万达广场 (community A), 市立医院 (community B).
    pub mall: i64,
    pub hospital: i64,
    pub plan: Plan,
}

pub async fn org(w: &World, name: &str, kind: OrgKind, unit: &str) -> i64 {
    let (ctx, new) = (
        w.system.clone(),
        NewOrganisation {
            name: name.into(),
            kind,
            unit: unit.into(),
            parent_org_id: None,
            credit_code: None,
        },
    );
    w.ts.db
        .write(move |c| registry::create::<Organisation>(c, &ctx, new))
        .await
        .unwrap()
        .id
}

pub fn elevator_plan(i: &Insp, street: &str) -> NewPlan {
    NewPlan {
        name: "电梯安全隐患排查".into(),
        template: "elevator-use-unit".into(),
        template_version: None,
        unit: street.into(),
        issuing_org_id: i.w.org_a,
        supervising_org_id: Some(i.w.org_a),
        inspector_org_id: Some(i.expert_org),
        inspectors: vec!["grid_a".into()],
        due_date: "2026-12-31".into(),
        recurrence: None,
        recurrence_days: None,
        targets: vec![
            TargetFilter {
                kind: TargetKind::Organisation,
                group: "人员密集场所".into(),
                under: None,
                unit_kind: None,
                codes: vec![],
                org_kind: None,
                ids: vec![i.mall, i.hospital],
            },
            TargetFilter {
                kind: TargetKind::Unit,
                group: "大型小区".into(),
                under: None,
                unit_kind: Some(UnitKind::Compound),
                codes: vec![],
                org_kind: None,
                ids: vec![],
            },
        ],
    }
}

pub async fn try_plan(w: &World, ctx: &Ctx, new: NewPlan) -> Result<Plan> {
    let ctx = ctx.clone();
    w.ts.db
        .write(move |c| insp::create_plan(c, &ctx, new))
        .await
}

pub async fn setup(ts: &Env) -> Insp {
    let w = world(ts).await;
    let sys = w.system.clone();
    w.ts.db
        .write(move |c| insp::seed_templates(c, &sys))
        .await
        .unwrap();
    let expert_org = org(
        &w,
        "山东特检第三方检验机构",
        OrgKind::Enterprise,
        &w.t.zone.code,
    )
    .await;
    let mall = org(&w, "万达广场", OrgKind::Enterprise, &w.t.comm_a.code).await;
    let hospital = org(
        &w,
        "市立医院",
        OrgKind::SocialOrganisation,
        &w.t.comm_b.code,
    )
    .await;
    let expert = account(
        ts,
        "expert_zhang",
        Role::DeptHandler,
        None,
        Some(expert_org),
    )
    .await;
    let mut i = Insp {
        w,
        expert_org,
        expert,
        mall,
        hospital,
        plan: Plan {
            id: 0,
            name: String::new(),
            template_code: String::new(),
            template_version: 0,
            template_name: String::new(),
            unit: String::new(),
            unit_name: String::new(),
            issuing_org_id: 0,
            issuing_org_name: String::new(),
            supervising_org_id: None,
            supervising_org_name: None,
            inspector_org_id: None,
            inspector_org_name: None,
            inspectors: vec![],
            due_date: String::new(),
            created_by: String::new(),
            targets: 0,
            recurrence: None,
            recurrence_days: None,
        },
    };
    let street = i.w.t.street.code.clone();
    i.plan = try_plan(&i.w, &i.w.street, elevator_plan(&i, &street))
        .await
        .unwrap();
    i
}

/// Every required elevator item in order, except the items in `failing`.
pub fn answers(failing: &[&str]) -> BTreeMap<String, Answer> {
    let t = wangge_core::inspections::seed_templates().remove(0);
    t.items()
        .filter(|(_, i)| i.required)
        .map(|(_, i)| {
            let bad = failing.contains(&i.code.as_str());
            let value = match i.kind {
                ItemKind::Number => AnswerValue::Number(if bad { 40.0 } else { 10.0 }),
                _ => AnswerValue::Bool(!bad),
            };
            (i.code.clone(), Answer { value, note: None })
        })
        .collect()
}

pub fn record(plan: i64, target: i64, key: &str, failing: &[&str]) -> NewRecord {
    NewRecord {
        plan_id: plan,
        target_id: target,
        record_key: key.into(),
        template_version: 1,
        recorded_at: NOW - Duration::hours(2),
        answers: answers(failing),
        lat: None,
        lon: None,
        note: None,
        scores: Default::default(),
    }
}

pub async fn submit(w: &World, ctx: &Ctx, new: NewRecord) -> Result<Submitted> {
    let ctx = ctx.clone();
    w.write(move |c, cfg| insp::submit_record(c, &ctx, cfg, new))
        .await
}

/// The plan's target id by label.
pub async fn target(i: &Insp, label: &str) -> i64 {
    let (ctx, id) = (i.w.system.clone(), i.plan.id);
    let ts =
        i.w.ts
            .db
            .read(move |c| insp::list_targets(c, &ctx, id))
            .await
            .unwrap();
    ts.iter()
        .find(|t| t.label == label)
        .unwrap_or_else(|| panic!("no target {label} in {ts:?}"))
        .id
}

#[test]
fn a_plan_resolves_its_filters_and_a_record_turns_findings_into_cases() {
    on_each_backend(|ts| async move {
        let i = setup(&ts).await;
        assert_eq!(i.plan.targets, 4, "2 places + compounds A and B");
        assert_eq!(i.plan.template_version, 1);
        let mall = target(&i, "万达广场").await;
        let compound = target(&i, "华英小区").await;

        let s = submit(
            &i.w,
            &i.expert,
            record(
                i.plan.id,
                compound,
                "k-1",
                &["alarm_works", "maint_interval"],
            ),
        )
        .await
        .unwrap();
        assert!(!s.replayed);
        let r = &s.record;
        assert_eq!(r.inspector, "expert_zhang");
        assert_eq!(r.findings.len(), 2);
        let f = &r.findings[0];
        assert_eq!(f.item_code, "maint_interval");
        let case = i.w.get(&i.w.system, f.case_id.unwrap()).await.unwrap();
        // Dispatched to the compound's property company with a handling deadline.
        assert_eq!(case.state, CaseState::Dispatched);
        assert_eq!(case.lead_org, Some(i.w.org_b));
        assert_eq!(case.category, "0701");
        assert!(case.due_at.is_some());
        assert_eq!(f.rectify_by.as_deref().map(|s| s.len() > 10), Some(true));
        check_replay(&i.w, case.id).await;

        // The same record sent again (offline resend): nothing new.
        let before = snapshot(&ts).await;
        let again = submit(
            &i.w,
            &i.expert,
            record(
                i.plan.id,
                compound,
                "k-1",
                &["alarm_works", "maint_interval"],
            ),
        )
        .await
        .unwrap();
        assert!(again.replayed);
        assert_eq!(again.record.id, r.id);
        unchanged(&before, &snapshot(&ts).await);

        // A clean record on the mall: no finding.
        let ok = submit(&i.w, &i.expert, record(i.plan.id, mall, "k-2", &[]))
            .await
            .unwrap();
        assert!(ok.record.findings.is_empty());

        // The problem list names who issues, who rectifies, each item, deadline, supervisor.
        let (ctx, rid) = (i.w.street.clone(), r.id);
        let pl =
            i.w.ts
                .db
                .read(move |c| insp::problem_list(c, &ctx, rid))
                .await
                .unwrap();
        assert_eq!(pl.issuing_org, "开发区市场监管所");
        assert_eq!(pl.supervising_org.as_deref(), Some("开发区市场监管所"));
        assert_eq!(pl.target, "华英小区");
        assert_eq!(pl.responsible_org.as_deref(), Some("华英物业"));
        assert_eq!(pl.items.len(), 2);
        assert!(pl
            .items
            .iter()
            .all(|p| p.tracking_no.is_some() && p.deadline_date.is_some()));
        assert_eq!(pl.items[1].item_text, "轿厢紧急报警装置有效,能与值班室通话");

        let (ctx, pid) = (i.w.street.clone(), i.plan.id);
        let st =
            i.w.ts
                .db
                .read(move |c| insp::plan_stats(c, &ctx, pid))
                .await
                .unwrap();
        assert_eq!(
            (
                st.progress.targets,
                st.progress.done,
                st.progress.with_findings,
                st.progress.remaining
            ),
            (4, 2, 1, 2)
        );
        assert_eq!(
            (st.findings, st.open, st.rectified, st.problem_lists),
            (2, 2, 0, 1)
        );
        let g: Vec<(&str, i64, i64)> = st
            .groups
            .iter()
            .map(|g| (g.group.as_str(), g.targets, g.inspected))
            .collect();
        assert_eq!(g, [("人员密集场所", 2, 1), ("大型小区", 2, 1)]);
        assert_eq!(st.by_severity[0].label, "重大隐患");
        assert_eq!(st.by_item.len(), 2);
        let sub = {
            let (ctx, code) = (i.w.system.clone(), i.w.t.comm_a.code.clone());
            i.w.ts
                .db
                .read(move |c| insp::subtree_stats(c, &ctx, Some(&code), None))
                .await
                .unwrap()
        };
        assert_eq!(
            (sub.progress.targets, sub.progress.done, sub.findings),
            (2, 2, 2)
        );
    });
}

#[test]
fn a_re_inspection_verifies_returns_or_reopens_through_the_case_engine() {
    on_each_backend(|ts| async move {
        let i = setup(&ts).await;
        let compound = target(&i, "华英小区").await;
        let first = submit(
            &i.w,
            &i.expert,
            record(
                i.plan.id,
                compound,
                "r-1",
                &["alarm_works", "daily_checks", "tech_file"],
            ),
        )
        .await
        .unwrap();
        let case = |code: &str| {
            first
                .record
                .findings
                .iter()
                .find(|f| f.item_code == code)
                .unwrap()
                .case_id
                .unwrap()
        };
        let (alarm, daily, tech) = (case("alarm_works"), case("daily_checks"), case("tech_file"));
        // The property company reports alarm and daily checks handled; tech file not yet.
        for id in [alarm, daily] {
            i.w.step(&i.w.dept_b, id, i.w.handle(&i.w.dept_b).await)
                .await;
        }
        let later = |ctx: &Ctx| at(ctx, NOW + Duration::days(1));
        let expert = later(&i.expert);
        let mut again = record(i.plan.id, compound, "r-2", &["daily_checks"]);
        again.recorded_at = NOW + Duration::hours(20);
        let s = submit(&i.w, &expert, again).await.unwrap();
        let outcome = |id: i64| {
            s.outcomes
                .iter()
                .find(|o| o.case_id == id)
                .map(|o| o.outcome.as_str())
        };
        assert_eq!(outcome(alarm), Some("verified"));
        assert_eq!(outcome(daily), Some("returned"));
        assert_eq!(outcome(tech), Some("awaiting_handling"));
        assert_eq!(
            i.w.get(&i.w.system, alarm).await.unwrap().state,
            CaseState::Closed
        );
        let d = i.w.get(&i.w.system, daily).await.unwrap();
        assert_eq!((d.state, d.rework_count), (CaseState::InProgress, 1));
        assert_eq!(
            i.w.get(&i.w.system, tech).await.unwrap().state,
            CaseState::Dispatched
        );
        // The repeated finding joins its case instead of opening another.
        assert_eq!(s.record.findings.len(), 1);
        assert_eq!(s.record.findings[0].case_id, Some(daily));
        for id in [alarm, daily, tech] {
            check_replay(&i.w, id).await;
        }

        // The alarm fails again two days later: the closed case is reopened.
        let mut third = record(i.plan.id, compound, "r-3", &["alarm_works", "daily_checks"]);
        third.recorded_at = NOW + Duration::days(2);
        let s = submit(&i.w, &at(&i.expert, NOW + Duration::days(2)), third)
            .await
            .unwrap();
        let o = s.outcomes.iter().find(|o| o.case_id == alarm).unwrap();
        assert_eq!(o.outcome, "reopened");
        let reopened = i.w.get(&i.w.system, alarm).await.unwrap();
        assert_eq!(
            (reopened.state, reopened.lead_org),
            (CaseState::Dispatched, Some(i.w.org_b))
        );
        check_replay(&i.w, alarm).await;

        // Daily checks, returned for rework, are handled again and verified;
        // failing once more, the case is reopened (its token was kept with
        // the first finding, not with the later ones that joined it).
        let dept = at(&i.w.dept_b, NOW + Duration::days(3));
        i.w.step(&dept, daily, i.w.handle(&dept).await).await;
        let mut fourth = record(i.plan.id, compound, "r-4", &["alarm_works"]);
        fourth.recorded_at = NOW + Duration::days(3);
        let s = submit(&i.w, &at(&i.expert, NOW + Duration::days(3)), fourth)
            .await
            .unwrap();
        assert!(s
            .outcomes
            .iter()
            .any(|o| o.case_id == daily && o.outcome == "verified"));
        let (ctx, pid) = (i.w.system.clone(), i.plan.id);
        let st =
            i.w.ts
                .db
                .read(move |c| insp::plan_stats(c, &ctx, pid))
                .await
                .unwrap();
        assert_eq!((st.findings, st.open, st.rectified), (3, 2, 1));
        let mut fifth = record(i.plan.id, compound, "r-5", &["alarm_works", "daily_checks"]);
        fifth.recorded_at = NOW + Duration::days(4);
        let s = submit(&i.w, &at(&i.expert, NOW + Duration::days(4)), fifth)
            .await
            .unwrap();
        assert!(s
            .outcomes
            .iter()
            .any(|o| o.case_id == daily && o.outcome == "reopened"));
        check_replay(&i.w, daily).await;
        let (ctx, pid) = (i.w.system.clone(), i.plan.id);
        let st =
            i.w.ts
                .db
                .read(move |c| insp::plan_stats(c, &ctx, pid))
                .await
                .unwrap();
        assert_eq!((st.findings, st.open, st.rectified), (3, 3, 0));
    });
}

#[test]
fn editing_a_template_makes_a_version_and_old_records_keep_theirs() {
    on_each_backend(|ts| async move {
        let i = setup(&ts).await;
        let compound = target(&i, "华英小区").await;
        let (ctx, code) = (i.w.system.clone(), "elevator-use-unit".to_string());
        let v1 =
            i.w.ts
                .db
                .read(move |c| insp::get_template(c, &ctx, &code, None))
                .await
                .unwrap();
        let mut body: TemplateBody = v1.body.clone();
        body.sections[0]
            .items
            .retain(|it| it.code != "inspection_mark");
        let admin = i.w.admin.clone();
        let b = body.clone();
        let v2 =
            i.w.ts
                .db
                .write(move |c| insp::create_template(c, &admin, b))
                .await
                .unwrap();
        assert_eq!(v2.version, 2);
        // Saving the same checklist again makes no version 3.
        let admin = i.w.admin.clone();
        let same =
            i.w.ts
                .db
                .write(move |c| insp::create_template(c, &admin, body))
                .await
                .unwrap();
        assert_eq!(same.version, 2);
        let ctx = i.w.system.clone();
        let list =
            i.w.ts
                .db
                .read(move |c| insp::list_templates(c, &ctx))
                .await
                .unwrap();
        assert_eq!(
            list.iter()
                .find(|t| t.code == "elevator-use-unit")
                .unwrap()
                .latest_version,
            2
        );

        // A phone still on version 1 (with the removed item) is kept on version 1.
        let s = submit(&i.w, &i.expert, record(i.plan.id, compound, "v-1", &[]))
            .await
            .unwrap();
        assert_eq!(s.record.template_version, 1);
        assert!(s.record.answers.contains_key("inspection_mark"));
        // Version 2 refuses the removed item.
        let mut v2rec = record(i.plan.id, compound, "v-2", &[]);
        v2rec.template_version = 2;
        let e = refused(submit(&i.w, &i.expert, v2rec).await, "unknown_item");
        assert_eq!(field(&e), "answers.inspection_mark");

        // Bad templates and callers without the permission.
        let before = snapshot(&ts).await;
        let mut bad = v1.body.clone();
        bad.category = Some("9999".into());
        let admin = i.w.admin.clone();
        let e = refused(
            i.w.ts
                .db
                .write(move |c| insp::create_template(c, &admin, bad))
                .await,
            "unknown_category",
        );
        assert_eq!(field(&e), "category");
        let street = i.w.street.clone();
        let b = v1.body.clone();
        assert!(matches!(
            i.w.ts
                .db
                .write(move |c| insp::create_template(c, &street, b))
                .await,
            Err(wangge_store::Error::Forbidden)
        ));
        unchanged(&before, &snapshot(&ts).await);
    });
}

/// The engine keeps each finding's follow token sealed; a key rotation must
/// re-seal it like every other sealed value, and re-inspection still works.
#[test]
fn key_rotation_reseals_the_kept_case_tokens() {
    on_each_backend(|ts| async move {
        let i = setup(&ts).await;
        let compound = target(&i, "华英小区").await;
        let first = submit(
            &i.w,
            &i.expert,
            record(i.plan.id, compound, "r-1", &["alarm_works"]),
        )
        .await
        .unwrap();
        let alarm = first.record.findings[0].case_id.unwrap();
        i.w.step(&i.w.dept_b, alarm, i.w.handle(&i.w.dept_b).await)
            .await;
        let sealed = || async {
            ts.db
                .read(|c| {
                    c.query(
                        "SELECT case_token_enc FROM inspection_findings
                         WHERE case_token_enc IS NOT NULL",
                        &[],
                    )?
                    .iter()
                    .map(|r| r.get::<Vec<u8>>(0))
                    .collect::<Result<Vec<_>>>()
                })
                .await
                .unwrap()
        };
        let before = sealed().await;
        assert!(!before.is_empty());

        let r = wangge_store::keys::rotate(&ts.store, &ts.opts, 100, |_| {})
            .await
            .unwrap();
        let ctx = ts.ctx();
        let keys = ctx.keys();
        assert_eq!(keys.current_key_id(), r.key_id);
        let after = sealed().await;
        assert_eq!(after.len(), before.len());
        assert!(after.iter().all(|s| keys.is_current(s)));
        assert_eq!(
            wangge_store::keys::stale_values(&ts.store).await.unwrap(),
            0
        );

        // The re-sealed token still lets a re-inspection step the case.
        let mut again = record(i.plan.id, compound, "r-2", &[]);
        again.recorded_at = NOW + Duration::hours(20);
        let s = submit(&i.w, &at(&i.expert, NOW + Duration::days(1)), again)
            .await
            .unwrap();
        let o = s.outcomes.iter().find(|o| o.case_id == alarm).unwrap();
        assert_eq!(o.outcome, "verified");
    });
}
