//! The statistics roll-ups (migration 0008): each equals the daily rows it
//! stands for, a case moved to another unit and a reopened case count alike in
//! periods cut at any day of the month, a rebuild from the log and the
//! migration's backfill give the same rows.

use super::*;
use std::collections::BTreeMap;
use wangge_store::Backend;

const COUNTS: &str = "received, accepted, rejected, withdrawn, handled, rework, closed,
    closed_on_time, overdue, reopened, timed, time_sum_min, rating_count, rating_sum, escalations";

/// The daily counters and every roll-up (migration 0008): table, key
/// columns, value columns.
const COUNTER_TABLES: [(&str, &str, &str); 8] = [
    ("case_counters", "unit_id, day, category_id", COUNTS),
    (
        "case_counter_hist",
        "unit_id, day, category_id, bucket",
        "n",
    ),
    ("case_counters_month", "unit_id, month, category_id", COUNTS),
    ("case_hist_day", "unit_id, day, bucket", "n"),
    ("case_hist_month", "unit_id, month, bucket", "n"),
    (
        "case_hist_cat_month",
        "unit_id, month, category_id, bucket",
        "n",
    ),
    ("case_esc_day", "unit_id, day", "n"),
    ("case_esc_month", "unit_id, month", "n"),
];

/// Each counter table as (key columns, values), in key order, without rows
/// whose values are all zero: a case moved away leaves such rows behind
/// where a rebuild from the log has none.
pub(super) async fn table_rows(w: &World) -> HashMap<&'static str, BTreeMap<Vec<i64>, Vec<i64>>> {
    w.ts.db
        .read(|c| {
            let mut out = HashMap::new();
            for (t, key_cols, value_cols) in COUNTER_TABLES {
                let keys = key_cols.split(',').count();
                let width = keys + value_cols.split(',').count();
                let mut rows = BTreeMap::new();
                for r in c.query(&format!("SELECT {key_cols}, {value_cols} FROM {t}"), &[])? {
                    let all: Vec<i64> = (0..width).map(|i| r.get(i)).collect::<Result<_, _>>()?;
                    if all[keys..].iter().any(|v| *v != 0) {
                        rows.insert(all[..keys].to_vec(), all[keys..].to_vec());
                    }
                }
                out.insert(t, rows);
            }
            Ok(out)
        })
        .await
        .unwrap()
}

pub(super) async fn counter_tables(w: &World) -> Vec<String> {
    let mut out: Vec<String> = table_rows(w)
        .await
        .into_iter()
        .flat_map(|(t, rows)| {
            rows.into_iter()
                .map(move |(k, v)| format!("{t}: {k:?} {v:?}"))
        })
        .collect();
    out.sort();
    out
}

/// Each roll-up equals the sum of the daily rows it stands for.
pub(super) async fn assert_rollups_match_daily(w: &World) {
    let t = table_rows(w).await;
    let mut want: HashMap<&str, BTreeMap<Vec<i64>, Vec<i64>>> = HashMap::new();
    let mut add = |table: &'static str, key: Vec<i64>, v: &[i64]| {
        let e = want
            .entry(table)
            .or_default()
            .entry(key)
            .or_insert_with(|| vec![0; v.len()]);
        e.iter_mut().zip(v).for_each(|(a, b)| *a += b);
    };
    let escalations = 14;
    for (k, v) in &t["case_counters"] {
        let (unit, day, cat) = (k[0], k[1], k[2]);
        add("case_counters_month", vec![unit, day / 100, cat], v);
        add("case_esc_day", vec![unit, day], &v[escalations..]);
        add("case_esc_month", vec![unit, day / 100], &v[escalations..]);
    }
    for (k, v) in &t["case_counter_hist"] {
        let (unit, day, cat, bucket) = (k[0], k[1], k[2], k[3]);
        add("case_hist_day", vec![unit, day, bucket], v);
        add("case_hist_month", vec![unit, day / 100, bucket], v);
        add("case_hist_cat_month", vec![unit, day / 100, cat, bucket], v);
    }
    for (table, rows) in want {
        let rows: BTreeMap<Vec<i64>, Vec<i64>> = rows
            .into_iter()
            .filter(|(_, v)| v.iter().any(|x| *x != 0))
            .collect();
        assert_eq!(t[table], rows, "{table}");
    }
    assert!(!t["case_counters_month"].is_empty());
}

/// Takes case `id` from wherever it is to closed as fixed, one step an hour
/// from `now`.
async fn close_from_here(w: &World, id: i64, mut now: OffsetDateTime) {
    for _ in 0..8 {
        now += Duration::hours(1);
        let v = w.get(&w.system, id).await.unwrap();
        let (street, dept) = (at(&w.street, now), at(&w.dept_a, now));
        let (ctx, cmd) = match v.state {
            CaseState::Reported => (street, Command::new(Action::Accept)),
            CaseState::Accepted => (street, Command::new(Action::Dispatch).lead_org(w.org_a)),
            CaseState::Dispatched => (dept, Command::new(Action::Start)),
            CaseState::InProgress => (dept.clone(), w.handle(&dept).await),
            CaseState::Handled => (street, Command::new(Action::Verify)),
            CaseState::Verified => (
                street,
                Command::new(Action::Close).close_kind(CloseKind::Fixed),
            ),
            _ => return,
        };
        w.step(&ctx, id, cmd).await;
    }
    panic!("case {id} did not reach closed");
}

#[test]
fn rollups_follow_a_moved_and_a_reopened_case_across_month_ends() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let t = &w.t;
        // A: reported, escalated and closed on 30 November in building A1,
        // reopened and closed again on 1 December, rated, then moved to B1.
        let nov30 = datetime!(2026-11-30 09:00 +8);
        let a = w
            .report(
                &at(&w.anon, nov30),
                new_case("0504", &t.building_a1.code, "楼道堆放杂物"),
            )
            .await;
        let id = a.case.id;
        w.step(&at(&w.street, nov30), id, Command::new(Action::Accept))
            .await;
        w.step(
            &at(&w.street, nov30 + Duration::minutes(20)),
            id,
            Command::new(Action::Supervise).reason("领导督办"),
        )
        .await;
        close_from_here(&w, id, nov30 + Duration::minutes(30)).await;
        let dec1 = datetime!(2026-12-01 09:00 +8);
        let token = a.token.clone();
        let anon = at(&w.anon, dec1);
        w.write(move |c, cfg| {
            cases::transition_by_token(
                c,
                &anon,
                cfg,
                &token,
                Command::new(Action::Reopen).reason("杂物又堆回来了"),
            )
        })
        .await
        .unwrap();
        close_from_here(&w, id, dec1).await;
        let (token, anon) = (a.token.clone(), at(&w.anon, dec1 + Duration::hours(9)));
        w.write(move |c, cfg| {
            cases::transition_by_token(
                c,
                &anon,
                cfg,
                &token,
                Command::new(Action::Rate).rating(4, None),
            )
        })
        .await
        .unwrap();
        // B: reported in B1 in mid-November, still open, moved to A1.
        let b = w
            .report(
                &at(&w.anon, datetime!(2026-11-15 10:00 +8)),
                new_case("0101", &t.building_b1.code, "垃圾桶满溢"),
            )
            .await;
        for (case, to) in [(id, &t.building_b1), (b.case.id, &t.building_a1)] {
            let (street, code) = (
                at(&w.street, datetime!(2026-12-03 10:00 +8)),
                to.code.clone(),
            );
            w.write(move |c, cfg| cases::move_unit(c, &street, cfg, case, &code, "报错了楼栋"))
                .await
                .unwrap();
        }

        let rows = all_events(&w).await;
        let actions: std::collections::BTreeSet<&str> =
            rows.iter().map(|r| r.action.as_str()).collect();
        for want in ["reopen", "move_unit", "supervise", "rate", "close"] {
            assert!(actions.contains(want), "{want} missing: {actions:?}");
        }
        let periods = [
            // Whole months only.
            (
                datetime!(2026-11-01 00:00 +8),
                datetime!(2027-01-01 00:00 +8),
            ),
            // Two days across the month end: daily rows only.
            (
                datetime!(2026-11-30 00:00 +8),
                datetime!(2026-12-02 00:00 +8),
            ),
            // Whole months with partial months at both ends.
            (
                datetime!(2026-10-20 00:00 +8),
                datetime!(2027-01-10 00:00 +8),
            ),
            // A partial November, then the whole of December.
            (
                datetime!(2026-11-16 00:00 +8),
                datetime!(2027-01-01 00:00 +8),
            ),
            // November alone, then December alone.
            (
                datetime!(2026-11-01 00:00 +8),
                datetime!(2026-12-01 00:00 +8),
            ),
            (
                datetime!(2026-12-01 00:00 +8),
                datetime!(2027-01-01 00:00 +8),
            ),
        ];
        for (from, to) in periods {
            assert_period_agrees(&w, &rows, from, to).await;
        }
        assert_rollups_match_daily(&w).await;

        // What moved with A: November's report, escalation and close, and
        // December's reopening, close and rating are all B1's now.
        let nov = (
            ms(datetime!(2026-11-01 00:00 +8)),
            ms(datetime!(2026-12-01 00:00 +8)),
        );
        let dec = (
            ms(datetime!(2026-12-01 00:00 +8)),
            ms(datetime!(2027-01-01 00:00 +8)),
        );
        let b1_nov = stats_of(&w, &t.building_b1.code, nov.0, nov.1).await;
        assert_eq!(
            (b1_nov.received, b1_nov.closed, b1_nov.escalations),
            (1, 1, 1)
        );
        let b1_dec = stats_of(&w, &t.building_b1.code, dec.0, dec.1).await;
        assert_eq!(
            (b1_dec.reopened, b1_dec.closed, b1_dec.rating_count),
            (1, 1, 1)
        );
        assert_eq!(b1_dec.mean_rating, Some(4.0));
        let a1_nov = stats_of(&w, &t.building_a1.code, nov.0, nov.1).await;
        assert_eq!(
            (a1_nov.received, a1_nov.closed, a1_nov.escalations),
            (1, 0, 0)
        );
        // 零上访小区: compound A's escalation left with the case.
        let zone = stats_of(&w, &t.zone.code, nov.0, dec.1).await;
        assert_eq!(
            (zone.compounds, zone.compounds_without_escalation),
            (Some(2), Some(1))
        );
        let ca = stats_of(&w, &t.compound_a.code, nov.0, dec.1).await;
        assert_eq!(ca.compounds_without_escalation, Some(1));

        // A rebuild from the log gives the same counters and roll-ups.
        let kept = counter_tables(&w).await;
        let admin = w.admin.clone();
        w.write(move |c, _| cases::rebuild_counters(c, &admin))
            .await
            .unwrap();
        assert_eq!(counter_tables(&w).await, kept);
        assert_rollups_match_daily(&w).await;

        // The migration that brings the roll-ups fills them from the daily
        // counters of a store that had none.
        w.write(|c, _| {
            for t in [
                "case_counters_month",
                "case_hist_day",
                "case_hist_month",
                "case_hist_cat_month",
                "case_esc_day",
                "case_esc_month",
            ] {
                c.batch(&format!("DROP TABLE {t}"))?;
            }
            c.batch("DROP INDEX cases_dup_unit")?;
            c.batch("DROP INDEX cases_dup_geo")?;
            c.batch(match c.backend() {
                Backend::Sqlite => include_str!("../../../migrations/sqlite/0008_case_rollups.sql"),
                Backend::Postgres => {
                    include_str!("../../../migrations/postgres/0008_case_rollups.sql")
                }
            })
        })
        .await
        .unwrap();
        assert_eq!(counter_tables(&w).await, kept);
    });
}
