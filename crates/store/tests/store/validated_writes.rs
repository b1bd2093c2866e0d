//! `Db::write_validated`: on SQLite such writes share a transaction without
//! savepoints. One that fails before changing a row disturbs nobody; one that
//! fails after changing rows takes the writes batched before it down with it,
//! and they are told to retry. On PostgreSQL each keeps its savepoint.

use crate::cases_fixture::*;
use crate::common::*;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use wangge_core::units::UnitKind::{self, *};
use wangge_core::Error as CoreError;
use wangge_store::cases::{self, Idempotency};
use wangge_store::units::{self, NewUnit};
use wangge_store::{Backend, Conn, Error, Result};

type Pending<T> = Pin<Box<dyn Future<Output = Result<T>> + Send>>;

/// Polls a write once, which puts its job in the writer's queue, so that jobs
/// queue in the order of these calls.
fn queue<T>(mut w: Pending<T>) -> Pending<T> {
    let mut cx = Context::from_waker(Waker::noop());
    assert!(
        matches!(w.as_mut().poll(&mut cx), Poll::Pending),
        "a held writer cannot have answered yet"
    );
    w
}

/// Lets the held writers go and answers each queued write's result, in order.
async fn release_and_wait<T>(
    release: &AtomicBool,
    holders: Vec<tokio::task::JoinHandle<()>>,
    jobs: Vec<Pending<T>>,
) -> Vec<Result<T>> {
    release.store(true, Ordering::SeqCst);
    for h in holders {
        h.await.unwrap();
    }
    let mut results = Vec::new();
    for j in jobs {
        results.push(j.await);
    }
    results
}

fn compound(name: &str, parent: &str) -> NewUnit {
    NewUnit {
        kind: UnitKind::Compound,
        name: name.to_string(),
        parent: Some(parent.to_string()),
        code: None,
    }
}

fn failing(code: &'static str) -> Error {
    CoreError::conflict(code, "故意失败", "failing on purpose").into()
}

#[test]
fn a_validated_write_failing_after_its_changes_takes_its_batch_down_on_sqlite_only() {
    on_each_backend(|ts| async move {
        let zone = unit(&ts, Zone, "区", None).await;
        let street = unit(&ts, Street, "街道", Some(&zone.code)).await;
        let comm = unit(&ts, Community, "社区", Some(&street.code)).await;
        let audit_before = count(&ts, "audit_log").await;

        let release = Arc::new(AtomicBool::new(false));
        let released = release.clone();
        let holders = hold_writers(&ts, move || released.load(Ordering::SeqCst)).await;
        let create = |name: &'static str, fail: Option<&'static str>, validated: bool| {
            let (db, ctx, parent) = (ts.db.clone(), ts.ctx(), comm.code.clone());
            let f = move |c: &mut dyn Conn| -> Result<String> {
                if fail == Some("before") {
                    return Err(failing("before"));
                }
                let u = units::create(c, &ctx, compound(name, &parent))?;
                match fail {
                    Some(code) => Err(failing(code)),
                    None => Ok(u.name),
                }
            };
            let w: Pending<String> = if validated {
                Box::pin(async move { db.write_validated(f).await })
            } else {
                Box::pin(async move { db.write(f).await })
            };
            queue(w)
        };
        let jobs = vec![
            create("甲", None, true),
            create("乙", Some("before"), true),
            create("丙", None, false),
            create("丁", Some("after"), true),
            create("戊", None, true),
        ];
        let results = release_and_wait(&release, holders, jobs).await;

        // Failing before any change costs the others nothing, on both backends.
        refused(results[1].clone(), "before");
        refused(results[3].clone(), "after");
        let committed: Vec<String> = match ts.backend {
            Backend::Sqlite => {
                // 丁 wrote, then failed: only rolling back the whole
                // transaction undoes it, and 甲 and 丙 were in it.
                for i in [0, 2] {
                    assert!(
                        matches!(results[i], Err(Error::Unavailable)),
                        "job {i}: {:?}",
                        results[i]
                    );
                }
                vec!["戊".into()]
            }
            Backend::Postgres => {
                for i in [0, 2] {
                    assert!(results[i].is_ok(), "job {i}: {:?}", results[i]);
                }
                vec!["丙".into(), "戊".into(), "甲".into()]
            }
        };
        assert_eq!(results[4].as_deref().ok(), Some("戊"));
        let parent = comm.code.clone();
        let mut names: Vec<String> = ts
            .db
            .read(move |c| {
                c.query(
                    "SELECT u.name FROM units u JOIN units p ON p.id = u.parent_id WHERE p.code = $1",
                    wangge_store::params![parent],
                )?
                .iter()
                .map(|r| r.get(0))
                .collect()
            })
            .await
            .unwrap();
        names.sort();
        assert_eq!(names, committed, "exactly the answered writes are kept");
        // Their audit entries alone were chained, without a gap.
        assert_eq!(
            count(&ts, "audit_log").await,
            audit_before + committed.len() as i64
        );
        let verdict = ts.db.read(wangge_store::audit::verify).await.unwrap();
        assert_eq!(verdict.first_bad, None, "{verdict:?}");
    });
}

#[test]
fn intake_refuses_a_report_before_changing_any_row() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let building = w.t.building_a1.code.clone();
        let keys_before = count(&ts, "idempotency_keys").await;
        let release = Arc::new(AtomicBool::new(false));
        let released = release.clone();
        let holders = hold_writers(&ts, move || released.load(Ordering::SeqCst)).await;
        let report = |new: cases::NewCase, key: Option<&str>| {
            let (db, ctx, cfg) = (ts.db.clone(), w.anon.clone(), w.cfg.clone());
            let idem = key.map(|k| Idempotency {
                key: k.to_string(),
                principal: "public:192.0.2.1".into(),
                request_hash: cases::request_hash(&new),
            });
            let p: Pending<String> = Box::pin(async move {
                db.write_validated(move |c| {
                    cases::create(c, &ctx, &cfg, new, idem.as_ref()).map(|x| x.case.tracking_no)
                })
                .await
            });
            queue(p)
        };
        let good = new_case("0101", &building, "1号楼东侧垃圾三天没人清运");
        let mut long = good.clone();
        long.description = "很".repeat(wangge_store::cases::MAX_DESCRIPTION + 1);
        let mut future = good.clone();
        future.reported_at = Some(NOW + time::Duration::days(1));
        let jobs = vec![
            report(good.clone(), None),
            // Each refusal below comes with an Idempotency-Key, whose row
            // must not be written before the report is found wrong.
            report(new_case("9999", &building, "类别不存在"), Some("k-unknown")),
            report(long, Some("k-long")),
            report(new_case("0101", "000000", "单元不存在"), Some("k-unit")),
            report(future, Some("k-future")),
            report(good.clone(), Some("k-good")),
            report(good, None),
        ];
        let results = release_and_wait(&release, holders, jobs).await;
        refused(results[1].clone(), "unknown_category");
        refused(results[2].clone(), "too_long");
        refused(results[3].clone(), "unknown_unit");
        refused(results[4].clone(), "in_future");
        // The good reports around them were not rolled back with them.
        for i in [0, 5, 6] {
            assert!(results[i].is_ok(), "report {i}: {:?}", results[i]);
        }
        assert_eq!(count(&ts, "cases").await, 3);
        assert_eq!(count(&ts, "idempotency_keys").await, keys_before + 1);
    });
}
