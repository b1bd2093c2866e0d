//! 自行处置 at intake: a grid worker's report that closes in the same write,
//! counted on its own; refused ones leave nothing behind.

use crate::cases_fixture::*;
use crate::common::*;
use wangge_core::cases::{Action, CaseState, CloseKind};
use wangge_store::cases::{self, CaseStats, NewCase, OnSpot, Source};

fn on_spot(w: &World, note: Option<&str>, evidence: &[i64]) -> NewCase {
    let mut new = new_case(
        "0101",
        &w.t.building_a1.code,
        "1号楼东侧绿化带有人倾倒建筑垃圾",
    );
    new.source = Source::Grid;
    new.on_spot = Some(OnSpot {
        note: note.map(str::to_string),
        evidence: evidence.to_vec(),
    });
    new
}

async fn zone_today(w: &World) -> CaseStats {
    let (sys, zone) = (w.system.clone(), w.t.zone.code.clone());
    let now = (sys.now.unix_timestamp_nanos() / 1_000_000) as i64;
    w.read(move |c, _| cases::stats(c, &sys, &zone, now - 86_400_000, now + 86_400_000))
        .await
        .unwrap()
}

#[test]
fn a_grid_workers_on_spot_report_closes_in_the_same_write_and_counts_apart() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let p = w.photos(&w.grid_a, 2).await;
        let created = w
            .report(&w.grid_a, on_spot(&w, Some("已联系物业清运完毕"), &p))
            .await;
        let case = &created.case;
        assert_eq!(case.state, CaseState::Closed);
        assert_eq!(case.close_kind, Some(CloseKind::Fixed));
        assert!(case.closed_at.is_some());
        assert_eq!(case.source, Source::Grid);
        let grid_id: i64 = ts
            .db
            .read(|c| {
                c.query_one("SELECT id FROM users WHERE username = 'grid_a'", &[])?
                    .get(0)
            })
            .await
            .unwrap();
        assert_eq!(case.reporter.user_id, Some(grid_id));
        assert!(!case.reporter.anonymous);
        assert_eq!(case.attachments, p);
        assert_eq!(case.stage, None, "no clock runs on a closed case");
        // The answer is what reading it back shows.
        let back = w.get(&w.grid_a, case.id).await.unwrap();
        assert_eq!(&back, case);
        let (log, snapshot) = log_and_snapshot(&ts, case.id).await;
        let actions: Vec<Action> = log.iter().map(|e| e.action()).collect();
        assert_eq!(actions, [Action::Report, Action::ResolveOnSpot]);
        assert_eq!(log[1].command.note.as_deref(), Some("已联系物业清运完毕"));
        assert_eq!(snapshot.evidence, p);

        // An ordinary report beside it, to show what is counted where.
        w.rubbish().await;
        let s = zone_today(&w).await;
        assert_eq!(
            (s.received, s.closed, s.on_spot, s.timed, s.accepted),
            (2, 1, 1, 0, 0)
        );
        assert_eq!(s.on_time_rate, Some(1.0));
        // The counters are derived: recounting from the log gives the same.
        let sys = w.system.clone();
        w.write(move |c, _| cases::rebuild_counters(c, &sys))
            .await
            .unwrap();
        assert_eq!(zone_today(&w).await, s);

        let audit: Vec<String> = audit_of(&ts, "case", case.id)
            .await
            .into_iter()
            .map(|(_, action, _)| action)
            .collect();
        assert_eq!(audit, ["report", "resolve_on_spot"]);
    });
}

#[test]
fn a_refused_on_spot_report_writes_nothing() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let before = snapshot(&ts).await;
        let e = refused(
            w.try_report(&w.grid_a, on_spot(&w, None, &[501])).await,
            "required",
        );
        assert_eq!(field(&e), "note");
        assert!(messages(&e).contains("处置说明"), "{}", messages(&e));
        let e = refused(
            w.try_report(&w.grid_a, on_spot(&w, Some("已清运"), &[]))
                .await,
            "required",
        );
        assert_eq!(field(&e), "evidence");
        assert!(messages(&e).contains("photos"), "{}", messages(&e));
        // Residents report; they do not close their own reports.
        for who in [&w.resident, &w.anon] {
            let mut new = on_spot(&w, Some("已清运"), &[501]);
            new.source = Source::Resident;
            let e = refused(w.try_report(who, new).await, "role_not_allowed");
            assert!(messages(&e).contains("自行处置"), "{}", messages(&e));
            // No "you can now: withdraw" about a case that was never made.
            assert!(!messages(&e).contains("你现在可以"), "{}", messages(&e));
        }
        // Nor does a department, which is dispatched work instead.
        refused(
            w.try_report(&w.dept_a, on_spot(&w, Some("已清运"), &[501]))
                .await,
            "role_not_allowed",
        );
        unchanged(&before, &snapshot(&ts).await);
    });
}
