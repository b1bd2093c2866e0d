//! Deadlines in working time, the sweep (warn, overdue, escalate; idempotent),
//! suspension pushing the clock, and overdue stages noticed at the next step.

use crate::cases_fixture::*;
use crate::common::*;
use time::macros::datetime;
use time::OffsetDateTime;
use wangge_core::cases::{Action, CaseState, CloseKind, Command};
use wangge_store::cases::{self, SweepReport};
use wangge_store::Error;

async fn sweep(w: &World, when: OffsetDateTime) -> SweepReport {
    let ctx = at(&w.system, when);
    w.write(move |c, cfg| cases::sweep(c, &ctx, cfg))
        .await
        .unwrap()
}

async fn actions(w: &World, id: i64) -> Vec<String> {
    let street = w.street.clone();
    w.read(move |c, _| cases::events(c, &street, id))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

fn ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

#[test]
fn the_sweep_warns_marks_overdue_and_escalates_once() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        // Reported Tuesday 18:00: accept due Wednesday 10:30, warned at 10:06,
        // escalated one working day (450 minutes) after the due time.
        let a = w.rubbish().await.case.id;
        let b = w.rubbish().await.case.id;
        w.dispatched(b, w.org_a).await;
        let v = w.get(&w.street, b).await.unwrap();
        assert_eq!(v.due_at, Some(datetime!(2026-11-26 17:30 +8)));

        assert_eq!(
            sweep(&w, datetime!(2026-11-25 10:00 +8)).await,
            SweepReport::default()
        );
        let r = sweep(&w, datetime!(2026-11-25 10:10 +8)).await;
        assert_eq!(
            (r.warned, r.overdue, r.escalated),
            (vec![a], vec![], vec![])
        );
        let before = snapshot(&ts).await;
        assert_eq!(
            sweep(&w, datetime!(2026-11-25 10:10 +8)).await,
            SweepReport::default()
        );
        unchanged(&before, &snapshot(&ts).await);

        let r = sweep(&w, datetime!(2026-11-25 11:00 +8)).await;
        assert_eq!(
            (r.warned.len(), r.overdue, r.escalated.len()),
            (0, vec![a], 0)
        );
        let v = w.get(&w.street, a).await.unwrap();
        assert!(v.warned && v.overdue && v.ever_overdue && !v.escalated);
        // Thursday 10:30 is one working day after the due time.
        let r = sweep(&w, datetime!(2026-11-26 10:29 +8)).await;
        assert!(r.escalated.is_empty());
        let r = sweep(&w, datetime!(2026-11-26 10:30 +8)).await;
        assert_eq!(r.escalated, vec![a]);
        // Not yet accepted, so the core cannot supervise it: the store's own entry.
        let v = w.get(&w.street, a).await.unwrap();
        assert!(v.escalated && !v.supervised);
        assert_eq!((v.version, v.state), (1, CaseState::Reported));
        assert_eq!(
            actions(&w, a).await,
            ["report", "warn", "overdue", "escalate"]
        );

        // Case b: all three at once on Monday; escalated by the core's supervision.
        let r = sweep(&w, datetime!(2026-11-30 17:00 +8)).await;
        assert_eq!(
            (r.warned, r.overdue, r.escalated),
            (vec![b], vec![b], vec![b])
        );
        let v = w.get(&w.street, b).await.unwrap();
        assert!(v.supervised && v.escalated);
        assert_eq!(v.version, 4);
        assert_eq!(
            actions(&w, b).await,
            [
                "report",
                "accept",
                "dispatch",
                "warn",
                "overdue",
                "supervise"
            ]
        );
        let before = snapshot(&ts).await;
        assert_eq!(
            sweep(&w, datetime!(2026-11-30 17:00 +8)).await,
            SweepReport::default()
        );
        assert_eq!(
            sweep(&w, datetime!(2026-12-02 17:00 +8)).await,
            SweepReport::default()
        );
        unchanged(&before, &snapshot(&ts).await);
        check_replay(&w, a).await;
        check_replay(&w, b).await;

        let audit: Vec<String> = audit_of(&ts, "case", a)
            .await
            .into_iter()
            .map(|x| x.1)
            .collect();
        assert_eq!(audit, ["report", "warn", "overdue", "escalate"]);

        // Only the system or a zone administrator sweeps.
        let street = w.street.clone();
        let r = w.write(move |c, cfg| cases::sweep(c, &street, cfg)).await;
        assert!(matches!(r, Err(Error::Forbidden)));

        let (sys, zone) = (w.system.clone(), w.t.zone.code.clone());
        let s = w
            .read(move |c, _| {
                cases::stats(
                    c,
                    &sys,
                    &zone,
                    ms(datetime!(2026-11-01 00:00 +8)),
                    ms(datetime!(2026-12-31 00:00 +8)),
                )
            })
            .await
            .unwrap();
        assert_eq!((s.overdue, s.escalations), (2, 2));
        // Both cases are in compound A; compound B had no escalation.
        assert_eq!(
            (s.compounds, s.compounds_without_escalation),
            (Some(2), Some(1))
        );
    });
}

#[test]
fn a_suspension_pushes_the_deadline_by_the_working_time_it_took() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let id = w.rubbish().await.case.id;
        let wed = |h: u8, m: u8| {
            datetime!(2026-11-25 00:00 +8)
                + time::Duration::minutes(i64::from(h) * 60 + i64::from(m))
        };
        let street = at(&w.street, wed(9, 0));
        w.step(&street, id, Command::new(Action::Accept)).await;
        let v = w
            .step(
                &street,
                id,
                Command::new(Action::Dispatch).lead_org(w.org_a),
            )
            .await;
        // Two working days from Wednesday 09:00: Friday 17:30; the warning at 80%
        // of its 1,320 working minutes.
        assert_eq!(v.due_at, Some(datetime!(2026-11-27 17:30 +8)));
        assert_eq!(v.warn_at, Some(datetime!(2026-11-27 11:36 +8)));
        let dept = at(&w.dept_a, wed(10, 0));
        w.step(&dept, id, Command::new(Action::Start)).await;
        w.step(
            &dept,
            id,
            Command::new(Action::RequestSuspension).reason("等待业主委员会表决"),
        )
        .await;
        let v = w
            .step(
                &at(&w.street, wed(10, 0)),
                id,
                Command::new(Action::Suspend),
            )
            .await;
        assert!(v.suspended && !v.suspension_requested);

        // While suspended the sweep leaves it alone, however late.
        let before = snapshot(&ts).await;
        assert_eq!(
            sweep(&w, datetime!(2026-11-30 17:00 +8)).await,
            SweepReport::default()
        );
        unchanged(&before, &snapshot(&ts).await);

        // Resumed next Tuesday 09:00: the 1,260 minutes that were left run again.
        let v = w
            .step(
                &at(&w.street, datetime!(2026-12-01 09:00 +8)),
                id,
                Command::new(Action::Resume),
            )
            .await;
        assert!(!v.suspended);
        assert_eq!(v.due_at, Some(datetime!(2026-12-03 16:30 +8)));
        assert_eq!(v.warn_at, Some(datetime!(2026-12-03 10:36 +8)));
        assert!(!v.overdue);

        // Handled and closed on Wednesday: the suspension does not count as handling time.
        let dept = at(&w.dept_a, datetime!(2026-12-02 09:00 +8));
        w.step(&dept, id, w.handle(&dept).await).await;
        w.step(
            &at(&w.grid_a, datetime!(2026-12-02 10:00 +8)),
            id,
            Command::new(Action::Verify),
        )
        .await;
        w.step(
            &at(&w.street, datetime!(2026-12-02 11:00 +8)),
            id,
            Command::new(Action::Close).close_kind(CloseKind::Fixed),
        )
        .await;
        let street = w.street.clone();
        let log = w
            .read(move |c, _| cases::events(c, &street, id))
            .await
            .unwrap();
        // Tue 18:00 → Wed 10:00 (90), then Tue 09:00 → Wed 11:00 (420 + 150).
        assert_eq!(log.last().unwrap().handling_minutes, Some(660));
        check_replay(&w, id).await;
    });
}

#[test]
fn a_deadline_missed_between_sweeps_is_counted_at_the_next_step() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let id = w.rubbish().await.case.id;
        // Accepted on Thursday, long after Wednesday 10:30, and no sweep ran.
        let v = w
            .step(
                &at(&w.street, datetime!(2026-11-26 09:00 +8)),
                id,
                Command::new(Action::Accept),
            )
            .await;
        assert!(v.ever_overdue && !v.overdue);
        assert_eq!(actions(&w, id).await, ["report", "overdue", "accept"]);
        check_replay(&w, id).await;
        let (sys, zone) = (w.system.clone(), w.t.zone.code.clone());
        let s = w
            .read(move |c, _| {
                cases::stats(
                    c,
                    &sys,
                    &zone,
                    ms(datetime!(2026-11-24 00:00 +8)),
                    ms(datetime!(2026-11-27 00:00 +8)),
                )
            })
            .await
            .unwrap();
        assert_eq!((s.received, s.accepted, s.overdue), (1, 1, 1));
        // Statistics for a period before anything happened are zero.
        let (sys, zone) = (w.system.clone(), w.t.zone.code.clone());
        let s = w
            .read(move |c, _| {
                cases::stats(
                    c,
                    &sys,
                    &zone,
                    ms(datetime!(2026-11-01 00:00 +8)),
                    ms(datetime!(2026-11-24 00:00 +8)),
                )
            })
            .await
            .unwrap();
        assert_eq!((s.received, s.overdue, s.mean_handling_hours), (0, 0, None));
    });
}
