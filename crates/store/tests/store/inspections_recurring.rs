//! The engine's generalised targets, recurrence and scores: construction
//! sites resolved through their registry's declaration, monthly plans whose
//! targets fall due again after each visit with a due list, and scored
//! templates whose records keep a total and a pass.

use crate::common::*;
use crate::inspections::*;
use std::collections::BTreeMap;
use time::Duration;
use wangge_core::equipment::SiteStatus;
use wangge_core::inspections::{
    Answer, AnswerValue, Item, ItemKind, Recurrence, Section, Severity, TemplateBody,
};
use wangge_core::organisations::OrgKind;
use wangge_core::units::UnitKind;
use wangge_store::equipment::{self as eq, NewSite};
use wangge_store::inspections::{
    self as insp, DueQuery, NewPlan, Target, TargetFilter, TargetKind,
};
use wangge_store::Ctx;

fn sites(group: &str, under: Option<&str>, ids: Vec<i64>) -> TargetFilter {
    TargetFilter {
        kind: TargetKind::ConstructionSite,
        group: group.into(),
        under: under.map(str::to_string),
        unit_kind: None,
        codes: vec![],
        org_kind: None,
        ids,
    }
}

fn dust_plan(i: &Insp, unit: &str, targets: Vec<TargetFilter>) -> NewPlan {
    NewPlan {
        name: "建设工地扬尘防治检查".into(),
        template: "site-dust-control".into(),
        targets,
        ..elevator_plan(i, unit)
    }
}

#[test]
fn construction_sites_are_targets_through_their_registry() {
    on_each_backend(|ts| async move {
        let i = setup(&ts).await;
        let w = &i.w;
        let other = unit(&ts, UnitKind::Street, "佃户屯街道", Some(&w.t.zone.code)).await;
        let (ctx, a, b, far) = (
            w.system.clone(),
            w.t.comm_a.code.clone(),
            w.t.comm_b.code.clone(),
            other.code.clone(),
        );
        let builder = org(w, "山东鸿运达建设有限公司", OrgKind::Enterprise, &b).await;
        let [in_a, in_b, done_b, elsewhere] =
            w.ts.db
                .write(move |c| {
                    let mut site = |name: &str, unit: &str, status: Option<SiteStatus>| {
                        wangge_store::registry::create::<eq::Site>(
                            c,
                            &ctx,
                            NewSite {
                                name: name.into(),
                                builder_org_id: builder,
                                unit: unit.into(),
                                location: None,
                                starts_on: "2026-03-01".into(),
                                ends_on: None,
                                status,
                            },
                        )
                        .map(|s| s.id)
                    };
                    let ids = [
                        site("广州路安置房", &a, None)?,
                        site("长江花园二期", &b, None)?,
                        site("长江路小学", &b, Some(SiteStatus::Finished))?,
                        site("佃户屯商业街", &far, None)?,
                    ];
                    Ok(ids)
                })
                .await
                .unwrap();
        let street = w.t.street.code.clone();

        // By id: each site with its builder as the organisation that rectifies.
        let plan = try_plan(
            w,
            &w.street,
            dust_plan(&i, &street, vec![sites("工地", None, vec![in_a, in_b])]),
        )
        .await
        .unwrap();
        let (ctx, id) = (w.system.clone(), plan.id);
        let got: Vec<(String, i64, Option<i64>)> =
            w.ts.db
                .read(move |c| insp::list_targets(c, &ctx, id))
                .await
                .unwrap()
                .into_iter()
                .map(|t| (t.label, t.ref_id, t.responsible_org_id))
                .collect();
        assert_eq!(
            got,
            [
                ("广州路安置房".to_string(), in_a, Some(builder)),
                ("长江花园二期".to_string(), in_b, Some(builder)),
            ]
        );

        // Everything under a unit: the sites in service there, not the finished one.
        let comm_b = w.t.comm_b.code.clone();
        let plan = try_plan(
            w,
            &w.street,
            dust_plan(&i, &street, vec![sites("工地", Some(&comm_b), vec![])]),
        )
        .await
        .unwrap();
        assert_eq!(plan.targets, 1);
        let (ctx, id) = (w.system.clone(), plan.id);
        let t =
            w.ts.db
                .read(move |c| insp::list_targets(c, &ctx, id))
                .await
                .unwrap();
        assert_eq!(
            (t[0].ref_id, t[0].kind),
            (in_b, TargetKind::ConstructionSite)
        );
        assert_ne!(t[0].ref_id, done_b);

        // A site outside the caller's scope is answered as one that does not exist.
        let before = snapshot(&ts).await;
        let e = refused(
            try_plan(
                w,
                &w.street,
                dust_plan(&i, &street, vec![sites("工地", None, vec![elsewhere])]),
            )
            .await,
            "unknown_target",
        );
        assert_eq!(field(&e), "targets[0].ids[0]");
        unchanged(&before, &snapshot(&ts).await);

        // A site in scope but outside the plan's unit is refused by name.
        let e = refused(
            try_plan(
                w,
                &w.street,
                dust_plan(&i, &comm_b, vec![sites("工地", None, vec![in_a])]),
            )
            .await,
            "target_outside_plan",
        );
        assert_eq!(field(&e), "targets[0].ids[0]");
        unchanged(&before, &snapshot(&ts).await);
    });
}

async fn targets_of(w: &crate::cases_fixture::World, plan: i64) -> Vec<Target> {
    let ctx = w.system.clone();
    w.ts.db
        .read(move |c| insp::list_targets(c, &ctx, plan))
        .await
        .unwrap()
}

async fn due(
    w: &crate::cases_fixture::World,
    ctx: &Ctx,
    plan: i64,
    q: DueQuery,
) -> wangge_store::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut q = q;
    loop {
        let (ctx, q2) = (ctx.clone(), q.clone());
        let page =
            w.ts.db
                .read(move |c| insp::due_targets(c, &ctx, plan, &q2))
                .await?;
        out.extend(page.items.into_iter().map(|t| t.label));
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => return Ok(out),
        }
    }
}

fn on(day: &str) -> DueQuery {
    DueQuery {
        on: Some(day.into()),
        limit: Some(1),
        ..DueQuery::default()
    }
}

#[test]
fn a_monthly_plan_makes_each_target_due_a_month_after_its_last_visit() {
    on_each_backend(|ts| async move {
        let i = setup(&ts).await;
        let w = &i.w;
        let street = w.t.street.code.clone();
        let plan = try_plan(
            w,
            &w.street,
            NewPlan {
                name: "每月安全评估".into(),
                due_date: "2026-11-30".into(),
                recurrence: Some(Recurrence::Monthly),
                ..elevator_plan(&i, &street)
            },
        )
        .await
        .unwrap();
        assert_eq!(plan.recurrence, Some(Recurrence::Monthly));
        let first = targets_of(w, plan.id).await;
        assert!(first
            .iter()
            .all(|t| t.next_due.as_deref() == Some("2026-11-30") && t.overdue == Some(false)));

        // Visited today: due again a month later. Visited 40 days ago: overdue.
        let mall = first.iter().find(|t| t.label == "万达广场").unwrap().id;
        let hospital = first.iter().find(|t| t.label == "市立医院").unwrap().id;
        submit(w, &i.expert, record(plan.id, mall, "m-1", &[]))
            .await
            .unwrap();
        let mut old = record(plan.id, hospital, "m-2", &[]);
        old.recorded_at = NOW - Duration::days(40);
        submit(w, &i.expert, old).await.unwrap();
        let after = targets_of(w, plan.id).await;
        let of = |label: &str| {
            let t = after.iter().find(|t| t.label == label).unwrap();
            (t.next_due.clone().unwrap(), t.overdue.unwrap())
        };
        assert_eq!(of("万达广场"), ("2026-12-24".to_string(), false));
        assert_eq!(of("市立医院"), ("2026-11-15".to_string(), true));
        assert_eq!(of("华英小区"), ("2026-11-30".to_string(), false));

        // The due list: exactly the targets due by the day, most overdue first,
        // the same across pages of one.
        let sys = w.system.clone();
        assert_eq!(
            due(w, &sys, plan.id, on("2026-11-29")).await.unwrap(),
            ["市立医院"]
        );
        assert_eq!(
            due(w, &sys, plan.id, on("2026-11-30")).await.unwrap(),
            ["市立医院", "华英小区", "长江花园"]
        );
        assert_eq!(
            due(w, &sys, plan.id, on("2026-12-24")).await.unwrap().len(),
            4
        );
        // One inspector's: the targets inside their unit (grid_a: 广州路社区).
        let mut q = on("2026-12-31");
        q.inspector = Some("grid_a".into());
        assert_eq!(
            due(w, &sys, plan.id, q).await.unwrap(),
            ["华英小区", "万达广场"]
        );
        let mut q = on("2026-12-31");
        q.inspector = Some("street_li".into());
        refused(due(w, &sys, plan.id, q).await, "not_an_inspector");
        refused(due(w, &sys, plan.id, on("2026-13-01")).await, "date_format");

        // A plan that does not recur lists what is not yet inspected and
        // shows no next due date.
        let once = try_plan(w, &w.street, elevator_plan(&i, &street))
            .await
            .unwrap();
        assert!(targets_of(w, once.id)
            .await
            .iter()
            .all(|t| t.next_due.is_none() && t.overdue.is_none()));
        assert_eq!(
            due(w, &sys, once.id, on("2026-12-30")).await.unwrap().len(),
            0
        );
        assert_eq!(
            due(w, &sys, once.id, on("2026-12-31")).await.unwrap().len(),
            4
        );
    });
}

#[test]
fn bad_recurrences_are_refused_and_write_nothing() {
    on_each_backend(|ts| async move {
        let i = setup(&ts).await;
        let w = &i.w;
        let street = w.t.street.code.clone();
        let before = snapshot(&ts).await;
        for (every, days, code) in [
            (Some(Recurrence::EveryNDays), None, "required"),
            (
                Some(Recurrence::EveryNDays),
                Some(0),
                "recurrence_days_range",
            ),
            (
                Some(Recurrence::Monthly),
                Some(30),
                "recurrence_days_unused",
            ),
            (None, Some(30), "recurrence_days_unused"),
        ] {
            let new = NewPlan {
                recurrence: every,
                recurrence_days: days,
                ..elevator_plan(&i, &street)
            };
            let e = refused(try_plan(w, &w.street, new).await, code);
            assert_eq!(field(&e), "recurrence_days");
            unchanged(&before, &snapshot(&ts).await);
        }
        let every = try_plan(
            w,
            &w.street,
            NewPlan {
                recurrence: Some(Recurrence::EveryNDays),
                recurrence_days: Some(60),
                ..elevator_plan(&i, &street)
            },
        )
        .await
        .unwrap();
        assert_eq!(
            (every.recurrence, every.recurrence_days),
            (Some(Recurrence::EveryNDays), Some(60))
        );
    });
}

fn yes(code: &str, points: Option<i64>) -> Item {
    Item {
        code: code.into(),
        text: format!("{code}项"),
        kind: ItemKind::YesNo,
        required: true,
        pass_when: None,
        choices: vec![],
        fail_choices: vec![],
        min: None,
        max: None,
        pass_min: None,
        pass_max: None,
        unit: None,
        severity: Severity::General,
        category: None,
        points,
    }
}

fn assessment(pass_mark: Option<i64>, a_points: i64) -> TemplateBody {
    TemplateBody {
        code: "monthly-assessment".into(),
        name: "月度考核".into(),
        description: None,
        category: Some("0803".into()),
        sections: vec![Section {
            title: "考核".into(),
            items: vec![yes("a", Some(a_points)), yes("b", Some(5)), yes("c", None)],
        }],
        pass_mark,
    }
}

fn scored(plan: i64, target: i64, key: &str, scores: &[(&str, i64)]) -> insp::NewRecord {
    let mut r = record(plan, target, key, &[]);
    r.answers = ["a", "b", "c"]
        .iter()
        .map(|k| {
            (
                k.to_string(),
                Answer {
                    value: AnswerValue::Bool(true),
                    note: None,
                },
            )
        })
        .collect();
    r.scores = scores
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect::<BTreeMap<_, _>>();
    r
}

#[test]
fn scored_records_keep_their_total_and_pass_and_plans_count_them() {
    on_each_backend(|ts| async move {
        let i = setup(&ts).await;
        let w = &i.w;
        let make = |body: TemplateBody| {
            let ctx = w.system.clone();
            w.ts.db.write(move |c| insp::create_template(c, &ctx, body))
        };
        let before = snapshot(&ts).await;
        let e = refused(make(assessment(Some(16), 10)).await, "pass_mark_range");
        assert_eq!(field(&e), "pass_mark");
        let e = refused(make(assessment(Some(12), 0)).await, "points_range");
        assert_eq!(field(&e), "sections[0].items[0].points");
        unchanged(&before, &snapshot(&ts).await);
        make(assessment(Some(12), 10)).await.unwrap();

        let street = w.t.street.code.clone();
        let plan = try_plan(
            w,
            &w.street,
            NewPlan {
                template: "monthly-assessment".into(),
                ..elevator_plan(&i, &street)
            },
        )
        .await
        .unwrap();
        let t = targets_of(w, plan.id).await;
        let (mall, hospital) = (t[0].id, t[1].id);

        let before = snapshot(&ts).await;
        for (scores, code, fld) in [
            (vec![("a", 11), ("b", 5)], "score_out_of_range", "scores.a"),
            (vec![("a", 8), ("b", -1)], "score_out_of_range", "scores.b"),
            (vec![("a", 8), ("b", 5), ("c", 1)], "not_scored", "scores.c"),
            (vec![("a", 8)], "score_required", "scores.b"),
        ] {
            let e = refused(
                submit(w, &i.expert, scored(plan.id, mall, "bad", &scores)).await,
                code,
            );
            assert_eq!(field(&e), fld);
            unchanged(&before, &snapshot(&ts).await);
        }

        let s = submit(
            w,
            &i.expert,
            scored(plan.id, mall, "s-1", &[("a", 8), ("b", 5)]),
        )
        .await
        .unwrap();
        assert_eq!((s.record.score, s.record.passed), (Some(13), Some(true)));
        assert_eq!(s.record.scores.get("a"), Some(&8));
        let s = submit(
            w,
            &i.expert,
            scored(plan.id, hospital, "s-2", &[("a", 2), ("b", 3)]),
        )
        .await
        .unwrap();
        assert_eq!((s.record.score, s.record.passed), (Some(5), Some(false)));
        let (ctx, id) = (w.system.clone(), s.record.id);
        let again =
            w.ts.db
                .read(move |c| insp::get_record(c, &ctx, id))
                .await
                .unwrap();
        assert_eq!((again.score, again.passed), (Some(5), Some(false)));

        let (ctx, pid) = (w.system.clone(), plan.id);
        let st =
            w.ts.db
                .read(move |c| insp::plan_stats(c, &ctx, pid))
                .await
                .unwrap();
        let sc = st.scored.expect("scored records are counted");
        assert_eq!(
            (sc.records, sc.average, sc.passed, sc.failed),
            (2, 9.0, 1, 1)
        );
        // An unscored plan has no score statistics.
        let (ctx, pid) = (w.system.clone(), i.plan.id);
        let st =
            w.ts.db
                .read(move |c| insp::plan_stats(c, &ctx, pid))
                .await
                .unwrap();
        assert_eq!(st.scored, None);
    });
}
