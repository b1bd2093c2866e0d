//! Statistics counters against a brute-force count over the cases and events
//! tables, after a long random sequence of steps, at zone, street, community,
//! compound and building level; and a rebuild from the log gives the same
//! counters.

use crate::cases_fixture::*;
use crate::common::*;
use std::collections::HashMap;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use wangge_core::calendar::{to_local, SHANGHAI};
use wangge_core::cases::{apply, Action, Case, CaseState, CloseKind, Command, Event};
use wangge_store::cases::{self, bucket_bounds, bucket_of, CaseStats};
use wangge_store::Ctx;

// The test binary loads this file by `#[path]`, so its child is named so too.
#[path = "cases_stats/rollups.rs"]
mod rollups;

use rollups::{assert_rollups_match_daily, counter_tables};

/// A small deterministic generator (xorshift64*), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

fn day(ms: i64) -> i64 {
    let d = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap()
        .to_offset(SHANGHAI)
        .date();
    i64::from(d.year()) * 10000 + i64::from(u8::from(d.month())) * 100 + i64::from(d.day())
}

/// Drives random cases through random steps; returns how many steps succeeded.
async fn random_history(w: &World, seed: u64, ops: usize) -> usize {
    let mut rng = Rng(seed);
    let mut now = datetime!(2026-11-24 18:00 +8);
    let units = [
        w.t.building_a1.code.clone(),
        w.t.building_a2.code.clone(),
        w.t.grid_a.code.clone(),
        w.t.building_b1.code.clone(),
        w.t.compound_b.code.clone(),
    ];
    let categories = ["0101", "0504", "0604", "0901"];
    let mut tokens: HashMap<i64, String> = HashMap::new();
    let mut ok = 0;
    for _ in 0..ops {
        now += Duration::minutes(rng.below(240) as i64);
        if rng.chance(25) || tokens.is_empty() {
            let mut n = new_case(
                categories[rng.below(4) as usize],
                &units[rng.below(5) as usize],
                "随机案件",
            );
            n.lat = Some(35.25 + rng.below(10) as f64 * 0.0001);
            n.lon = Some(115.45);
            let created = w.report(&at(&w.anon, now), n).await;
            tokens.insert(created.case.id, created.token);
            ok += 1;
            continue;
        }
        if rng.chance(8) {
            let ctx = at(&w.system, now);
            w.write(move |c, cfg| cases::sweep(c, &ctx, cfg))
                .await
                .unwrap();
            continue;
        }
        let mut ids: Vec<i64> = tokens.keys().copied().collect();
        ids.sort_unstable();
        let id = ids[rng.below(ids.len() as u64) as usize];
        let v = w.get(&w.system, id).await.unwrap();
        let street = at(&w.street, now);
        let dept = |org: Option<i64>| {
            if org == Some(w.org_a) {
                at(&w.dept_a, now)
            } else {
                at(&w.dept_b, now)
            }
        };
        let org = if rng.chance(50) { w.org_a } else { w.org_b };
        let other = if v.lead_org == Some(w.org_a) {
            w.org_b
        } else {
            w.org_a
        };
        let by_token = |cmd: Command| (None::<Ctx>, cmd);
        let (ctx, cmd): (Option<Ctx>, Command) = match v.state {
            CaseState::Reported => match rng.below(10) {
                0 => (
                    Some(street),
                    Command::new(Action::Reject).reason("不属于受理范围"),
                ),
                1 => by_token(Command::new(Action::Withdraw)),
                2 => {
                    // Merge into another open case, if there is one.
                    let mut target = None;
                    for &o in ids.iter().filter(|&&o| o != id) {
                        let t = w.get(&w.system, o).await.unwrap();
                        if t.state.is_open() && t.merged_into.is_none() {
                            target = Some(o);
                            break;
                        }
                    }
                    if let Some(into) = target {
                        let ctx = street.clone();
                        if w.write(move |c, cfg| cases::merge(c, &ctx, cfg, id, into, "重复"))
                            .await
                            .is_ok()
                        {
                            ok += 1;
                        }
                    }
                    continue;
                }
                _ => (Some(street), Command::new(Action::Accept)),
            },
            CaseState::Accepted => match rng.below(6) {
                0 => (
                    Some(street),
                    Command::new(Action::Supervise).reason("领导督办"),
                ),
                _ => (Some(street), Command::new(Action::Dispatch).lead_org(org)),
            },
            CaseState::Dispatched | CaseState::InProgress if v.suspended => match rng.below(3) {
                0 => (Some(dept(v.lead_org)), Command::new(Action::Resume)),
                _ => (Some(street), Command::new(Action::Resume)),
            },
            CaseState::Dispatched | CaseState::InProgress if v.suspension_requested => {
                (Some(street), Command::new(Action::Suspend))
            }
            CaseState::Dispatched => match rng.below(8) {
                0 => (
                    Some(dept(v.lead_org)),
                    Command::new(Action::SendBack).reason("非本单位职责"),
                ),
                1 => (
                    Some(street),
                    Command::new(Action::Reassign)
                        .lead_org(other)
                        .reason("改派"),
                ),
                2 => (
                    Some(street),
                    Command::new(Action::Close).close_kind(CloseKind::NotResponsible {
                        reassign_to: Some(other),
                    }),
                ),
                _ => (Some(dept(v.lead_org)), Command::new(Action::Start)),
            },
            CaseState::InProgress => match rng.below(6) {
                0 => (
                    Some(dept(v.lead_org)),
                    Command::new(Action::RequestSuspension).reason("等待材料"),
                ),
                _ => {
                    let d = dept(v.lead_org);
                    let handle = w.handle(&d).await;
                    (Some(d), handle)
                }
            },
            CaseState::Handled => match rng.below(10) {
                0..=2 => (
                    Some(street),
                    Command::new(Action::Return).reason("未清理干净"),
                ),
                _ => (Some(street), Command::new(Action::Verify)),
            },
            CaseState::Verified => match rng.below(5) {
                0 => (
                    Some(street),
                    Command::new(Action::Close).close_kind(CloseKind::CannotFix {
                        reason: Some("涉及规划调整".into()),
                    }),
                ),
                _ => (
                    Some(street),
                    Command::new(Action::Close).close_kind(CloseKind::Fixed),
                ),
            },
            CaseState::Closed => match rng.below(4) {
                0 => by_token(Command::new(Action::Reopen).reason("问题又出现了")),
                _ => by_token(Command::new(Action::Rate).rating(1 + rng.below(5) as u8, None)),
            },
            CaseState::Rated if rng.chance(20) => {
                by_token(Command::new(Action::Reopen).reason("又脏了"))
            }
            _ => continue,
        };
        let done = match ctx {
            Some(ctx) => w.try_step(&ctx, id, Some(v.version), cmd).await.map(|_| ()),
            None => {
                let (anon, token) = (at(&w.anon, now), tokens[&id].clone());
                w.write(move |c, cfg| cases::transition_by_token(c, &anon, cfg, &token, cmd))
                    .await
                    .map(|_| ())
            }
        };
        if done.is_ok() {
            ok += 1;
        }
    }
    ok
}

/// One event as the brute force sees it.
struct Row {
    case_id: i64,
    action: String,
    at: i64,
    event: Option<Event>,
    unit_path: String,
    reported_at: i64,
}

async fn all_events(w: &World) -> Vec<Row> {
    w.ts.db
        .read(|c| {
            c.query(
                "SELECT e.case_id, e.action, e.at, e.event, u.path, c.reported_at
                 FROM case_events e JOIN cases c ON c.id = e.case_id JOIN units u ON u.id = c.unit_id
                 ORDER BY e.case_id, e.seq",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(Row {
                    case_id: r.get(0)?,
                    action: r.get(1)?,
                    at: r.get(2)?,
                    event: r
                        .get::<Option<String>>(3)?
                        .map(|e| serde_json::from_str(&e).unwrap()),
                    unit_path: r.get(4)?,
                    reported_at: r.get(5)?,
                })
            })
            .collect()
        })
        .await
        .unwrap()
}

/// The expected numbers for a subtree and days, straight from the log. The
/// handling times are recomputed here from the report time and the
/// suspensions of the replayed case.
fn brute(
    w: &World,
    rows: &[Row],
    path: &str,
    days: (i64, i64),
) -> (CaseStats, Vec<i64>, Vec<String>) {
    let mut s = CaseStats::default();
    let mut times = Vec::new();
    let mut escalated_paths = Vec::new();
    let mut case = Case::default();
    let mut current = 0;
    let mut ever_overdue = false;
    for r in rows {
        if r.case_id != current {
            current = r.case_id;
            case = Case::default();
            ever_overdue = false;
        }
        let was_overdue = ever_overdue;
        if r.action == "overdue" {
            ever_overdue = true;
        }
        if let Some(e) = &r.event {
            apply(&mut case, e);
        }
        let d = day(r.at);
        if !r.unit_path.starts_with(path) || d < days.0 || d > days.1 {
            continue;
        }
        let kind = r.event.as_ref().and_then(|e| e.command.close_kind.clone());
        match r.action.as_str() {
            "report" => s.received += 1,
            "accept" => s.accepted += 1,
            "reject" => s.rejected += 1,
            "withdraw" => s.withdrawn += 1,
            "handle" => s.handled += 1,
            "return" => s.rework += 1,
            "reopen" => s.reopened += 1,
            "overdue" if !was_overdue => s.overdue += 1,
            "supervise" | "escalate" => {
                s.escalations += 1;
                escalated_paths.push(r.unit_path.clone());
            }
            "rate" => {
                s.rating_count += 1;
                let score = r.event.as_ref().and_then(|e| e.command.rating).unwrap();
                s.mean_rating = Some(s.mean_rating.unwrap_or(0.0) + f64::from(score));
            }
            "close" if !matches!(kind, Some(CloseKind::NotResponsible { .. })) => {
                s.closed += 1;
                if !was_overdue {
                    s.closed_on_time += 1;
                }
                if matches!(kind, Some(CloseKind::Fixed | CloseKind::CannotFix { .. })) {
                    let close_at = r.event.as_ref().unwrap().at;
                    let excluded: Vec<_> = case
                        .suspensions
                        .iter()
                        .map(|p| (to_local(p.from), to_local(p.until.unwrap_or(close_at))))
                        .collect();
                    let reported = OffsetDateTime::from_unix_timestamp_nanos(
                        i128::from(r.reported_at) * 1_000_000,
                    )
                    .unwrap();
                    let m = w
                        .cfg
                        .calendar
                        .current()
                        .working_minutes_between_excluding(
                            &w.cfg.hours,
                            to_local(reported),
                            to_local(close_at),
                            &excluded,
                        )
                        .unwrap();
                    times.push(m);
                }
            }
            _ => {}
        }
    }
    if let Some(sum) = s.mean_rating {
        s.mean_rating = Some(sum / s.rating_count as f64);
    }
    (s, times, escalated_paths)
}

async fn stats_of(w: &World, code: &str, from: i64, to: i64) -> CaseStats {
    let (sys, code) = (w.system.clone(), code.to_string());
    w.read(move |c, _| cases::stats(c, &sys, &code, from, to))
        .await
        .unwrap()
}

const LEVEL_NAMES: [&str; 8] = [
    "zone",
    "street",
    "community",
    "community",
    "compound",
    "compound",
    "building",
    "grid",
];

/// `stats` at every level of the small tree, `stats_by_child` and
/// `stats_by_category` for one period, against the brute force over the log.
async fn assert_period_agrees(w: &World, rows: &[Row], from: OffsetDateTime, to: OffsetDateTime) {
    let t = &w.t;
    let levels = [
        &t.zone,
        &t.street,
        &t.comm_a,
        &t.comm_b,
        &t.compound_a,
        &t.compound_b,
        &t.building_a1,
        &t.grid_a,
    ];
    let compounds = [t.compound_a.path.clone(), t.compound_b.path.clone()];
    let days = (day(ms(from)), day(ms(to) - 1));
    for (unit, level) in levels.into_iter().zip(LEVEL_NAMES) {
        let got = stats_of(w, &unit.code, ms(from), ms(to)).await;
        let (want, times, escalated) = brute(w, rows, &unit.path, days);
        let what = format!("{level} {} {}..{}", unit.name, days.0, days.1);
        let counts = |s: &CaseStats| {
            [
                s.received,
                s.accepted,
                s.rejected,
                s.withdrawn,
                s.handled,
                s.closed,
                s.closed_on_time,
                s.overdue,
                s.rework,
                s.reopened,
                s.rating_count,
                s.escalations,
            ]
        };
        assert_eq!(counts(&got), counts(&want), "{what}");
        assert_eq!(got.timed, times.len() as i64, "{what}");
        let mean = (!times.is_empty())
            .then(|| times.iter().sum::<i64>() as f64 / times.len() as f64 / 60.0);
        assert_eq!(got.mean_handling_hours, mean, "{what}");
        assert_eq!(got.mean_rating, want.mean_rating, "{what}");
        // The p90 estimate lies in the bucket of the true p90.
        let mut sorted = times.clone();
        sorted.sort_unstable();
        match got.p90_handling_hours {
            None => assert!(sorted.is_empty(), "{what}"),
            Some(p) => {
                let rank = ((sorted.len() as f64) * 0.9).ceil() as usize;
                let truth = sorted[rank.max(1) - 1];
                let (lo, hi) = bucket_bounds(bucket_of(truth));
                let p = p * 60.0;
                assert!(
                    lo - 1e-6 <= p && hi.is_none_or(|h| p <= h + 1e-6),
                    "{what}: {p} vs {truth}"
                );
            }
        }
        let mine: Vec<&String> = compounds
            .iter()
            .filter(|c| c.starts_with(&unit.path))
            .collect();
        let quiet = mine
            .iter()
            .filter(|c| !escalated.iter().any(|p| p.starts_with(c.as_str())))
            .count() as i64;
        assert_eq!(got.compounds, Some(mine.len() as i64), "{what}");
        assert_eq!(got.compounds_without_escalation, Some(quiet), "{what}");
    }
    // Children add up to their parent, and each is its own statistics.
    let (sys, code) = (w.system.clone(), t.street.code.clone());
    let (f, tt) = (ms(from), ms(to));
    let children = w
        .read(move |c, _| cases::stats_by_child(c, &sys, &code, f, tt))
        .await
        .unwrap();
    assert_eq!(children.len(), 2);
    let street = stats_of(w, &t.street.code, ms(from), ms(to)).await;
    assert_eq!(
        children.iter().map(|c| c.stats.received).sum::<i64>(),
        street.received
    );
    for ch in &children {
        assert_eq!(ch.stats, stats_of(w, &ch.unit, ms(from), ms(to)).await);
    }
    let (sys, code) = (w.system.clone(), t.zone.code.clone());
    let by_cat = w
        .read(move |c, _| cases::stats_by_category(c, &sys, &code, f, tt))
        .await
        .unwrap();
    let zone = stats_of(w, &t.zone.code, ms(from), ms(to)).await;
    let total = |pick: fn(&CaseStats) -> i64| by_cat.iter().map(|c| pick(&c.stats)).sum::<i64>();
    assert_eq!(total(|s| s.received), zone.received, "{days:?}");
    assert_eq!(total(|s| s.closed), zone.closed, "{days:?}");
    assert_eq!(total(|s| s.timed), zone.timed, "{days:?}");
    assert_eq!(total(|s| s.escalations), zone.escalations, "{days:?}");
    // One category alone is the zone's numbers when it is the only one.
    if let [only] = by_cat.as_slice() {
        assert_eq!(only.stats.p90_handling_hours, zone.p90_handling_hours);
    }
}

#[test]
fn counters_agree_with_a_brute_force_count_at_every_level() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let ok = random_history(&w, 0x5eed_cafe, 260).await;
        assert!(ok > 150, "only {ok} steps succeeded");
        let rows = all_events(&w).await;
        let actions: std::collections::BTreeSet<&str> =
            rows.iter().map(|r| r.action.as_str()).collect();
        for a in [
            "report",
            "accept",
            "dispatch",
            "handle",
            "close",
            "rate",
            "overdue",
            "return",
            "merged_in",
        ] {
            assert!(
                actions.contains(a),
                "the random history never did {a}: {actions:?}"
            );
        }

        let periods = [
            (
                datetime!(2026-11-01 00:00 +8),
                datetime!(2027-01-01 00:00 +8),
            ),
            (
                datetime!(2026-11-26 00:00 +8),
                datetime!(2026-12-01 00:00 +8),
            ),
            (
                datetime!(2026-11-24 00:00 +8),
                datetime!(2026-11-25 00:00 +8),
            ),
        ];
        for (from, to) in periods {
            assert_period_agrees(&w, &rows, from, to).await;
        }
        assert_rollups_match_daily(&w).await;
        let t = &w.t;

        // Every case's row is the replay of its log.
        let ids: Vec<i64> = ts
            .db
            .read(|c| {
                c.query("SELECT id FROM cases ORDER BY id", &[])?
                    .iter()
                    .map(|r| r.get(0))
                    .collect()
            })
            .await
            .unwrap();
        for id in ids {
            check_replay(&w, id).await;
        }

        // The counters are derived: rebuilt from the log, they are the same.
        let kept = counter_tables(&w).await;
        let admin = w.admin.clone();
        let n = w
            .write(move |c, _| cases::rebuild_counters(c, &admin))
            .await
            .unwrap();
        assert_eq!(n, rows.len() as i64);
        assert_eq!(counter_tables(&w).await, kept);
        let street = w.street.clone();
        let r = w
            .write(move |c, _| cases::rebuild_counters(c, &street))
            .await;
        assert!(matches!(r, Err(wangge_store::Error::Forbidden)));

        // Statistics need the registry permission and the unit in scope.
        let (cadre, zone) = (w.cadre_b.clone(), t.zone.code.clone());
        assert_not_found(
            w.read(move |c, _| cases::stats(c, &cadre, &zone, 0, 1))
                .await,
        );
        let (dept, zone) = (w.dept_a.clone(), t.zone.code.clone());
        let r = w
            .read(move |c, _| cases::stats(c, &dept, &zone, 0, 1))
            .await;
        assert!(matches!(r, Err(wangge_store::Error::Forbidden)));
        let (sys, zone) = (w.system.clone(), t.zone.code.clone());
        let r = w.read(move |c, _| cases::stats(c, &sys, &zone, 5, 5)).await;
        assert_eq!(field(&refused(r, "period")), "to");
    });
}

/// The counter deltas of a group-commit transaction wait for its commit: a
/// report that fails inside the batch leaves none behind, and a recount in the
/// middle of the batch neither counts the earlier reports twice nor loses the
/// later ones. The rebuild from the log afterwards finds nothing to change.
#[test]
fn counters_of_one_batch_are_written_once_at_its_commit() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    on_each_backend(|ts| async move {
        let w = Arc::new(world(&ts).await);
        w.rubbish().await;
        const N: usize = 30;
        let queued = Arc::new(AtomicUsize::new(0));
        let writers = match ts.backend {
            wangge_store::Backend::Sqlite => 1,
            wangge_store::Backend::Postgres => ts.opts.db.pg_writers,
        };
        // Hold every writer until all the writes below are queued, so that
        // they are taken as one batch.
        let mut holders = Vec::new();
        for _ in 0..writers {
            let (started_tx, started_rx) = tokio::sync::oneshot::channel();
            let (queued, db) = (queued.clone(), ts.db.clone());
            holders.push(tokio::spawn(async move {
                db.write(move |_c| {
                    let _ = started_tx.send(());
                    let give_up = std::time::Instant::now() + std::time::Duration::from_secs(20);
                    while queued.load(Ordering::SeqCst) < N && std::time::Instant::now() < give_up {
                        std::thread::sleep(std::time::Duration::from_millis(2));
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    Ok(())
                })
                .await
            }));
            started_rx.await.unwrap();
        }
        let tasks: Vec<_> = (0..N)
            .map(|i| {
                let (w, queued) = (w.clone(), queued.clone());
                tokio::spawn(async move {
                    let (anon, admin) = (w.anon.clone(), w.admin.clone());
                    let unit = w.t.building_a1.code.clone();
                    let write = w.write(move |c, cfg| {
                        if i == N / 2 {
                            return cases::rebuild_counters(c, &admin).map(|_| ());
                        }
                        let new = new_case("0101", &unit, &format!("第{i}次反映垃圾未清运"));
                        cases::create(c, &anon, cfg, new, None)?;
                        if i % 5 == 2 {
                            return Err(wangge_core::Error::conflict(
                                "test_failure",
                                "故意失败",
                                "failing on purpose",
                            )
                            .into());
                        }
                        Ok(())
                    });
                    queued.fetch_add(1, Ordering::SeqCst);
                    (i, write.await)
                })
            })
            .collect();
        for h in holders {
            h.await.unwrap().unwrap();
        }
        let mut kept_reports = 1;
        for t in tasks {
            let (i, r) = t.await.unwrap();
            assert_eq!(r.is_ok(), i % 5 != 2, "write {i}: {r:?}");
            if r.is_ok() && i != N / 2 {
                kept_reports += 1;
            }
        }
        let (zone, admin) = (w.t.zone.code.clone(), w.admin.clone());
        let s = w
            .read(move |c, _| {
                let (from, to) = (
                    ms(datetime!(2026-11-01 00:00 +8)),
                    ms(datetime!(2026-12-01 00:00 +8)),
                );
                cases::stats(c, &admin, &zone, from, to)
            })
            .await
            .unwrap();
        assert_eq!(s.received, kept_reports);

        let kept = counter_tables(&w).await;
        let admin = w.admin.clone();
        w.write(move |c, _| cases::rebuild_counters(c, &admin))
            .await
            .unwrap();
        assert_eq!(counter_tables(&w).await, kept);
    });
}
