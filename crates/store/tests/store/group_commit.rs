//! The group-commit writer: many concurrent writes share commits, and a failing
//! write leaves no trace while the others in its batch stay.

use crate::common::*;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wangge_core::units::UnitKind::{self, *};
use wangge_core::Error as CoreError;
use wangge_store::units::{self, NewUnit};
use wangge_store::{Backend, Conn, Error, Result};
use wangge_testkit::{temp_options, BACKENDS};

fn compound(name: String, parent: &str) -> NewUnit {
    NewUnit {
        kind: UnitKind::Compound,
        name,
        parent: Some(parent.to_string()),
        code: None,
    }
}

/// Names and codes of the children of `parent`, as committed.
async fn children(ts: &Env, parent: &str) -> Vec<(String, String)> {
    let parent = parent.to_string();
    ts.db
        .read(move |c| {
            c.query(
                "SELECT u.name, u.code FROM units u JOIN units p ON p.id = u.parent_id
                 WHERE p.code = $1 ORDER BY u.code",
                wangge_store::params![parent],
            )?
            .iter()
            .map(|r| Ok((r.get(0)?, r.get(1)?)))
            .collect()
        })
        .await
        .unwrap()
}

/// The sequence of codes `parent001`, `parent002`, … `parent{n}`.
fn codes(parent: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{parent}{i:03}")).collect()
}

#[test]
fn two_hundred_concurrent_writes_all_commit() {
    on_each_backend(|ts| async move {
        let zone = unit(&ts, Zone, "区", None).await;
        let street = unit(&ts, Street, "街道", Some(&zone.code)).await;
        let comm = unit(&ts, Community, "社区", Some(&street.code)).await;

        // A third arrive at once, the rest spread over 50 ms, so that both big
        // and small batches occur, and on PostgreSQL both writer threads are busy.
        let tasks: Vec<_> = (0..200u64)
            .map(|i| {
                let (db, ctx, parent) = (ts.db.clone(), ts.ctx(), comm.code.clone());
                tokio::spawn(async move {
                    if i % 3 != 0 {
                        tokio::time::sleep(Duration::from_millis(i * 7919 % 50)).await;
                    }
                    db.write(move |c| units::create(c, &ctx, compound(format!("小区{i}"), &parent)))
                        .await
                })
            })
            .collect();
        let mut made = Vec::new();
        for t in tasks {
            made.push(
                t.await
                    .unwrap()
                    .unwrap_or_else(|e| panic!("{:?}: a concurrent write failed: {e}", ts.backend)),
            );
        }

        // Each got its own code from the parent's sequence, with no gaps.
        let mut got: Vec<String> = made.iter().map(|u| u.code.clone()).collect();
        got.sort();
        assert_eq!(got, codes(&comm.code, 200));
        let committed = children(&ts, &comm.code).await;
        assert_eq!(committed.len(), 200);
        let names: BTreeSet<String> = committed.into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, (0..200).map(|i| format!("小区{i}")).collect());
        assert_eq!(count(&ts, "audit_log").await, 203);
    });
}

#[test]
fn failed_writes_vanish_and_their_batch_mates_stay() {
    on_each_backend(|ts| async move {
        let zone = unit(&ts, Zone, "区", None).await;
        let street = unit(&ts, Street, "街道", Some(&zone.code)).await;
        let comm = unit(&ts, Community, "社区", Some(&street.code)).await;
        let audit_before = count(&ts, "audit_log").await;

        // Hold the writers until all the writes below are queued.
        const N: usize = 90;
        let queued = Arc::new(AtomicUsize::new(0));
        let all_queued = queued.clone();
        let holders = hold_writers(&ts, move || all_queued.load(Ordering::SeqCst) >= N).await;

        // Every third write inserts its unit and then fails.
        let txids: Arc<Mutex<HashMap<usize, i64>>> = Arc::default();
        let tasks: Vec<_> = (0..N)
            .map(|i| {
                let (db, ctx, parent) = (ts.db.clone(), ts.ctx(), comm.code.clone());
                let (queued, txids) = (queued.clone(), txids.clone());
                tokio::spawn(async move {
                    let fails = i % 3 == 1;
                    let write = db.write(move |c: &mut dyn Conn| -> Result<String> {
                        let name = format!("{}{i}", if fails { "fail" } else { "ok" });
                        let u = units::create(c, &ctx, compound(name, &parent))?;
                        if c.backend() == Backend::Postgres {
                            let tx: i64 = c.query_one("SELECT txid_current()", &[])?.get(0)?;
                            txids.lock().unwrap().insert(i, tx);
                        }
                        if fails {
                            return Err(CoreError::conflict(
                                "test_failure",
                                "故意失败",
                                "failing on purpose",
                            )
                            .into());
                        }
                        Ok(u.code)
                    });
                    // `write` queues the job when first polled, right after this count.
                    queued.fetch_add(1, Ordering::SeqCst);
                    (i, write.await)
                })
            })
            .collect();
        for h in holders {
            h.await.unwrap();
        }
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.unwrap());
        }

        let mut ok_names = BTreeSet::new();
        for (i, r) in &results {
            if i % 3 == 1 {
                let e = refused(r.clone(), "test_failure");
                assert!(matches!(e, CoreError::Conflict { .. }));
            } else {
                assert!(r.is_ok(), "write {i}: {r:?}");
                ok_names.insert(format!("ok{i}"));
            }
        }
        let committed = children(&ts, &comm.code).await;
        let names: BTreeSet<String> = committed.iter().map(|(n, _)| n.clone()).collect();
        assert_eq!(
            names, ok_names,
            "exactly the successful writes are committed"
        );
        // The failed writes did not even use up a code: the survivors' are consecutive.
        let got: Vec<String> = committed.into_iter().map(|(_, c)| c).collect();
        assert_eq!(got, codes(&comm.code, ok_names.len()));
        assert_eq!(
            count(&ts, "audit_log").await,
            audit_before + ok_names.len() as i64
        );
        // The batch's entries were chained together at its commit: the failed
        // writes' entries left no gap or broken link, and every entry names a
        // unit that was committed.
        let verdict = ts.db.read(wangge_store::audit::verify).await.unwrap();
        assert_eq!(verdict.first_bad, None, "{verdict:?}");
        let audited: BTreeSet<String> = ts
            .db
            .read(move |c| {
                c.query(
                    "SELECT u.name FROM audit_log a JOIN units u ON u.id = a.entity_id
                     WHERE a.entity = 'unit' AND a.seq > $1",
                    &[audit_before.into()],
                )?
                .iter()
                .map(|r| r.get(0))
                .collect::<Result<_>>()
            })
            .await
            .unwrap();
        assert_eq!(audited, ok_names);

        // On PostgreSQL the transactions can be seen: failed and successful writes
        // shared them.
        if ts.backend == Backend::Postgres {
            let txids = txids.lock().unwrap();
            assert_eq!(txids.len(), N);
            let mixed = txids.values().any(|tx| {
                let mates: Vec<usize> = txids
                    .iter()
                    .filter(|(_, t)| *t == tx)
                    .map(|(i, _)| *i)
                    .collect();
                mates.iter().any(|i| i % 3 == 1) && mates.iter().any(|i| i % 3 != 1)
            });
            assert!(
                mixed,
                "no batch held both failing and succeeding writes: {txids:?}"
            );
            let distinct: BTreeSet<&i64> = txids.values().collect();
            assert!(
                distinct.len() < N / 2,
                "writes were not grouped: {} commits",
                distinct.len()
            );
        }
    });
}

#[test]
fn a_panicking_write_fails_alone() {
    on_each_backend(|ts| async move {
        let zone = unit(&ts, Zone, "区", None).await;
        let ctx = ts.ctx();
        let code = zone.code.clone();
        let r = ts
            .db
            .write(move |c| -> Result<()> {
                units::create(
                    c,
                    &ctx,
                    NewUnit {
                        kind: Street,
                        name: "panic".into(),
                        parent: Some(code),
                        code: None,
                    },
                )?;
                panic!("a bug in a write");
            })
            .await;
        assert!(matches!(r, Err(Error::Db(_))), "{r:?}");
        assert!(children(&ts, &zone.code).await.is_empty());
        // The writer carries on.
        let street = unit(&ts, Street, "街道", Some(&zone.code)).await;
        assert_eq!(street.code, "371799001");
    });
}

/// The server's last handle on a store can be dropped by an async task when it
/// stops; closing the PostgreSQL connections there must not abort the process.
#[test]
fn a_store_dropped_inside_an_async_task_closes_cleanly() {
    for backend in BACKENDS {
        let Some(t) = temp_options(backend) else {
            continue;
        };
        let _cleanup = Cleanup::new(&t);
        let store = wangge_store::Store::open(&t.opts).unwrap();
        let rt = runtime();
        let answer = rt.block_on(async move {
            // A read leaves an open connection in the reader pool.
            let one: i64 = store
                .db
                .read(|c| c.query("SELECT 1", &[])?[0].get(0))
                .await
                .unwrap();
            tokio::spawn(async move { drop(store) }).await.unwrap();
            one
        });
        assert_eq!(answer, 1);
    }
}

/// `read_quick` sees what was committed, whether it runs on the caller's thread
/// (an idle SQLite connection) or falls back to the pool (none idle yet, all
/// busy, or PostgreSQL); many at once all get their answer.
#[test]
fn quick_reads_see_commits_under_concurrency() {
    on_each_backend(|ts| async move {
        let zone = unit(&ts, Zone, "区", None).await;
        let street = unit(&ts, Street, "街道", Some(&zone.code)).await;
        let name_of = |db: wangge_store::Db, code: String| async move {
            db.read_quick(move |c| {
                c.query_one(
                    "SELECT name FROM units WHERE code = $1",
                    wangge_store::params![code],
                )?
                .get::<String>(0)
            })
            .await
        };
        assert_eq!(
            name_of(ts.db.clone(), street.code.clone()).await.unwrap(),
            "街道"
        );
        let tasks: Vec<_> = (0..64)
            .map(|i| {
                let (db, code) = (ts.db.clone(), [&zone.code, &street.code][i % 2].clone());
                tokio::spawn(name_of(db, code))
            })
            .collect();
        for (i, t) in tasks.into_iter().enumerate() {
            assert_eq!(t.await.unwrap().unwrap(), ["区", "街道"][i % 2]);
        }
        // A lookup that fails says so, and the ones after it still work.
        let missing = ts
            .db
            .read_quick(|c| c.query_one("SELECT name FROM units WHERE code = 'none'", &[]))
            .await;
        assert!(missing.is_err());
        let renamed = ts.ctx();
        let code = street.code.clone();
        ts.db
            .write(move |c| units::rename(c, &renamed, &code, "丹阳街道"))
            .await
            .unwrap();
        assert_eq!(
            name_of(ts.db.clone(), street.code.clone()).await.unwrap(),
            "丹阳街道"
        );
    });
}

/// On SQLite the WAL is copied into the database file by a thread of the
/// store's own, not by the writer once the WAL passes its backstop (about
/// 32 MB): after 2 MB of commits the file grows by itself within seconds.
#[test]
fn sqlite_checkpoints_without_the_writer() {
    on_each_backend(|ts| async move {
        let Some(path) = ts.opts.db.sqlite_path().map(str::to_string) else {
            return;
        };
        ts.db
            .write(|c| c.batch("CREATE TABLE filler (x BLOB)"))
            .await
            .unwrap();
        let size = || std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let before = size();
        for _ in 0..4 {
            ts.db
                .write(|c| {
                    c.batch(
                        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
                         INSERT INTO filler SELECT randomblob(1000) FROM n",
                    )
                })
                .await
                .unwrap();
        }
        let give_up = std::time::Instant::now() + Duration::from_secs(10);
        while size() < before + 1_000_000 && std::time::Instant::now() < give_up {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            size() >= before + 1_000_000,
            "the database file stayed at {} bytes (was {before})",
            size()
        );
    });
}

/// Each pre-commit hook of a batch drops the share of a write that failed and
/// keeps its neighbours': in one batch of reports, each also adding to a fact
/// of its own, the reports that fail after writing leave neither their case's
/// audit entry, nor their counter delta, nor their fact's roll-up, while the
/// others' are all there: chained, counted and summed. Recounting afterwards
/// changes nothing.
#[test]
fn a_failed_write_leaves_no_audit_entry_counter_delta_or_roll_up_of_its_own() {
    use crate::cases_fixture::{new_case, world};
    use time::macros::datetime;
    use wangge_core::auth::Permission;
    use wangge_store::{cases, facts};
    fn key(subject: &str) -> facts::Key<'_> {
        facts::Key {
            programme: "test",
            metric: "reports",
            subject,
            period: "2026-11",
        }
    }
    on_each_backend(|ts| async move {
        let w = Arc::new(world(&ts).await);
        let audit_before = count(&w.ts, "audit_log").await;
        const N: usize = 24;
        let queued = Arc::new(AtomicUsize::new(0));
        let all_queued = queued.clone();
        let holders = hold_writers(&w.ts, move || all_queued.load(Ordering::SeqCst) >= N).await;
        let tasks: Vec<_> = (0..N)
            .map(|i| {
                let (w, queued) = (w.clone(), queued.clone());
                tokio::spawn(async move {
                    let (anon, admin) = (w.anon.clone(), w.admin.clone());
                    let unit = w.t.building_a1.code.clone();
                    let write = w.write(move |c, cfg| {
                        let new = new_case("0101", &unit, &format!("第{i}次反映垃圾未清运"));
                        let id = cases::create(c, &anon, cfg, new, None)?.case.id;
                        let subject = format!("report:{i}");
                        facts::add(
                            c,
                            &admin,
                            Permission::RegistryWrite,
                            key(&subject),
                            &unit,
                            1,
                        )?;
                        if i % 4 == 1 {
                            return Err(CoreError::conflict(
                                "test_failure",
                                "故意失败",
                                "failing on purpose",
                            )
                            .into());
                        }
                        Ok(id)
                    });
                    queued.fetch_add(1, Ordering::SeqCst);
                    (i, write.await)
                })
            })
            .collect();
        for h in holders {
            h.await.unwrap();
        }
        let mut kept = BTreeSet::new();
        for t in tasks {
            let (i, r) = t.await.unwrap();
            match r {
                Ok(id) if i % 4 != 1 => {
                    kept.insert(id);
                }
                Err(e) if i % 4 == 1 => {
                    refused::<()>(Err(e), "test_failure");
                }
                r => panic!("write {i}: {r:?}"),
            }
        }
        let n = kept.len() as i64;
        assert_eq!(n, 18);

        // Audit: exactly the kept reports' cases, in an unbroken chain.
        let verdict = w.ts.db.read(wangge_store::audit::verify).await.unwrap();
        assert_eq!(verdict.first_bad, None, "{verdict:?}");
        let audited: BTreeSet<i64> =
            w.ts.db
                .read(move |c| {
                    c.query(
                        "SELECT entity_id FROM audit_log WHERE entity = 'case' AND seq > $1",
                        &[audit_before.into()],
                    )?
                    .iter()
                    .map(|r| r.get(0))
                    .collect::<Result<_>>()
                })
                .await
                .unwrap();
        assert_eq!(audited, kept);

        // Counters: the kept reports are received, the failed ones not.
        let (zone, admin) = (w.t.zone.code.clone(), w.admin.clone());
        let stats = w
            .read(move |c, _| {
                let (from, to) = (
                    datetime!(2026-11-01 00:00 +8).unix_timestamp() * 1000,
                    datetime!(2026-12-01 00:00 +8).unix_timestamp() * 1000,
                );
                cases::stats(c, &admin, &zone, from, to)
            })
            .await
            .unwrap();
        assert_eq!(stats.received, n);

        // Facts: the zone's roll-up sums the kept writes' facts only, as a
        // recount from the facts themselves does.
        let figure = || async {
            let (zone, admin) = (w.t.zone.code.clone(), w.admin.clone());
            let q = move |c: &mut dyn Conn| {
                let q = facts::Query {
                    programme: "test",
                    metric: "reports",
                    unit: &zone,
                    periods: facts::Periods::one("2026-11"),
                };
                facts::total(c, &admin, Permission::RegistryWrite, q)
            };
            w.ts.db.read(q).await.unwrap()
        };
        assert_eq!(figure().await, facts::Figure { value: n, facts: n });
        w.ts.db.write(facts::rebuild).await.unwrap();
        assert_eq!(figure().await, facts::Figure { value: n, facts: n });
    });
}
