//! Refusals of the inspection engine: bad records and bad plans, each with a
//! clear error naming its field and nothing written; and who sees a plan.

use crate::common::*;
use crate::inspections::*;
use time::Duration;
use wangge_core::inspections::{Answer, AnswerValue};
use wangge_store::inspections::{self as insp, NewPlan, Submitted};
use wangge_store::{Ctx, Result};

#[test]
fn bad_records_are_refused_and_change_nothing() {
    on_each_backend(|ts| async move {
        let i = setup(&ts).await;
        let compound_a = target(&i, "华英小区").await;
        let compound_b = target(&i, "长江花园").await;
        let before = snapshot(&ts).await;
        let check = |r: Result<Submitted>, field_name: &str, code: &str| {
            let e = refused(r, code);
            assert_eq!(field(&e), field_name, "{}", messages(&e));
            assert!(messages(&e)
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)));
        };
        let mut wrong_type = record(i.plan.id, compound_a, "b-1", &[]);
        wrong_type.answers.insert(
            "alarm_works".into(),
            Answer {
                value: AnswerValue::Number(1.0),
                note: None,
            },
        );
        check(
            submit(&i.w, &i.expert, wrong_type).await,
            "answers.alarm_works",
            "answer_type",
        );
        let mut out_of_range = record(i.plan.id, compound_a, "b-2", &[]);
        out_of_range.answers.insert(
            "maint_interval".into(),
            Answer {
                value: AnswerValue::Number(999.0),
                note: None,
            },
        );
        check(
            submit(&i.w, &i.expert, out_of_range).await,
            "answers.maint_interval",
            "answer_out_of_range",
        );
        let mut missing = record(i.plan.id, compound_a, "b-3", &[]);
        missing.answers.remove("reg_certificate");
        check(
            submit(&i.w, &i.expert, missing).await,
            "answers.reg_certificate",
            "answer_required",
        );
        let mut unknown = record(i.plan.id, compound_a, "b-4", &[]);
        unknown.answers.insert(
            "no_such".into(),
            Answer {
                value: AnswerValue::Bool(true),
                note: None,
            },
        );
        check(
            submit(&i.w, &i.expert, unknown).await,
            "answers.no_such",
            "unknown_item",
        );
        let mut future = record(i.plan.id, compound_a, "b-5", &[]);
        future.recorded_at = NOW + Duration::hours(1);
        check(
            submit(&i.w, &i.expert, future).await,
            "recorded_at",
            "in_future",
        );
        let mut version = record(i.plan.id, compound_a, "b-6", &[]);
        version.template_version = 7;
        check(
            submit(&i.w, &i.expert, version).await,
            "template_version",
            "unknown_template_version",
        );
        check(
            submit(&i.w, &i.expert, record(i.plan.id, 999_999, "b-7", &[])).await,
            "target_id",
            "target_not_in_plan",
        );
        // grid_a is a named inspector, but compound B lies outside community A.
        check(
            submit(&i.w, &i.w.grid_a, record(i.plan.id, compound_b, "b-8", &[])).await,
            "target_id",
            "target_out_of_scope",
        );
        // Another department's handler is no inspector of this plan (and does not see it).
        check(
            submit(&i.w, &i.w.dept_b, record(i.plan.id, compound_a, "b-9", &[])).await,
            "plan_id",
            "unknown_plan",
        );
        assert!(matches!(
            submit(
                &i.w,
                &i.w.auditor,
                record(i.plan.id, compound_a, "b-10", &[])
            )
            .await,
            Err(wangge_store::Error::Forbidden)
        ));
        unchanged(&before, &snapshot(&ts).await);

        // A key reused for a different record is refused; the first stands.
        submit(&i.w, &i.expert, record(i.plan.id, compound_a, "dup", &[]))
            .await
            .unwrap();
        let before = snapshot(&ts).await;
        let e = refused(
            submit(
                &i.w,
                &i.expert,
                record(i.plan.id, compound_a, "dup", &["alarm_works"]),
            )
            .await,
            "record_key_reused",
        );
        assert!(messages(&e).contains("记录键"));
        unchanged(&before, &snapshot(&ts).await);
    });
}

#[test]
fn bad_plans_are_refused_and_plans_are_seen_by_scope() {
    on_each_backend(|ts| async move {
        let i = setup(&ts).await;
        let street = i.w.t.street.code.clone();
        let before = snapshot(&ts).await;
        let bad = |f: fn(&mut NewPlan)| {
            let mut p = elevator_plan(&i, &street);
            f(&mut p);
            p
        };
        let cases: Vec<(NewPlan, &str, &str)> = vec![
            (bad(|p| p.name = " ".into()), "name", "required"),
            (
                bad(|p| p.template = "nope".into()),
                "template",
                "unknown_template",
            ),
            (
                bad(|p| p.due_date = "2026-01-01".into()),
                "due_date",
                "due_in_past",
            ),
            (
                bad(|p| p.due_date = "31/12/2026".into()),
                "due_date",
                "date_format",
            ),
            (
                bad(|p| p.issuing_org_id = 999_999),
                "issuing_org_id",
                "unknown_organisation",
            ),
            (
                bad(|p| p.inspectors = vec!["auditor".into()]),
                "inspectors[0]",
                "not_an_inspector",
            ),
            (
                bad(|p| {
                    p.inspectors.clear();
                    p.inspector_org_id = None;
                }),
                "inspectors",
                "required",
            ),
            (bad(|p| p.targets.clear()), "targets", "required"),
            (
                bad(|p| p.targets[1].unit_kind = None),
                "targets[1].unit_kind",
                "required",
            ),
            (
                bad(|p| p.targets[0].ids = vec![999_999]),
                "targets[0].ids[0]",
                "unknown_organisation",
            ),
        ];
        for (p, f, code) in cases {
            let e = refused(try_plan(&i.w, &i.w.street, p).await, code);
            assert_eq!(field(&e), f, "{}", messages(&e));
        }
        // A cadre of community A cannot make a plan over the whole street.
        let e = refused(
            try_plan(&i.w, &i.w.cadre_a, elevator_plan(&i, &street)).await,
            "unknown_unit",
        );
        assert_eq!(field(&e), "unit");
        // A plan of community A may not pick the hospital in community B.
        let mut p = elevator_plan(&i, &i.w.t.comm_a.code);
        p.targets.truncate(1);
        let e = refused(
            try_plan(&i.w, &i.w.cadre_a, p).await,
            "unknown_organisation",
        );
        assert_eq!(field(&e), "targets[0].ids[1]");
        assert!(matches!(
            try_plan(&i.w, &i.w.grid_a, elevator_plan(&i, &street)).await,
            Err(wangge_store::Error::Forbidden)
        ));
        unchanged(&before, &snapshot(&ts).await);

        // Who sees the plan: the street, cadres inside it, the expert firm,
        // the supervising office; not another department.
        let seen = |ctx: &Ctx| {
            let ctx = ctx.clone();
            let db = i.w.ts.db.clone();
            async move {
                db.read(move |c| insp::list_plans(c, &ctx))
                    .await
                    .unwrap()
                    .len()
            }
        };
        assert_eq!(seen(&i.w.street).await, 1);
        assert_eq!(seen(&i.w.cadre_b).await, 1);
        assert_eq!(seen(&i.expert).await, 1);
        assert_eq!(seen(&i.w.dept_a).await, 1);
        assert_eq!(seen(&i.w.dept_b).await, 0);
        let resident = i.w.resident.clone();
        assert!(matches!(
            i.w.ts
                .db
                .read(move |c| insp::list_plans(c, &resident))
                .await,
            Err(wangge_store::Error::Forbidden)
        ));
    });
}
