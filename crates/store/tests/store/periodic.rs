//! Periodic work claimed once per period, whichever node (store handle) asks,
//! and free again when the claiming transaction does not commit.

use crate::common::*;
use wangge_store::{periodic, Db, Error};

async fn claim(db: &Db, period: i64, node: &'static str) -> bool {
    db.write(move |c| periodic::claim(c, "test_job", period, node, 0))
        .await
        .unwrap()
}

#[test]
fn a_period_is_claimed_once_across_nodes_and_freed_by_a_rollback() {
    on_each_backend(|ts| async move {
        // A second node: another store on the same database.
        let opts = ts.opts.clone();
        let other = tokio::task::spawn_blocking(move || wangge_store::Store::open(&opts))
            .await
            .unwrap()
            .unwrap();
        for period in [100, 101, 102] {
            let (a, b) = tokio::join!(claim(&ts.db, period, "a"), claim(&other.db, period, "b"));
            assert!(a ^ b, "period {period}: exactly one node wins ({a}, {b})");
        }
        assert!(!claim(&ts.db, 101, "a").await, "a period is done once");

        // A node whose work fails (or that dies) leaves the period to the next.
        let failed = ts
            .db
            .write(|c| {
                assert!(periodic::claim(c, "test_job", 200, "a", 0)?);
                Err::<(), _>(Error::Db("the work failed".into()))
            })
            .await;
        assert!(failed.is_err());
        assert!(
            claim(&other.db, 200, "b").await,
            "the failed claim was not kept"
        );

        // Claims older than a week are pruned when a new period is claimed.
        assert!(claim(&ts.db, 100 + 7 * 24 * 60 + 1, "a").await);
        let left: i64 = ts
            .db
            .read(|c| {
                c.query_one("SELECT COUNT(*) FROM periodic_runs WHERE period = 100", &[])?
                    .get(0)
            })
            .await
            .unwrap();
        assert_eq!(left, 0);
    });
}

#[test]
fn idempotency_keys_expire_after_their_window() {
    use crate::cases_fixture::*;
    use wangge_store::cases::{self, Idempotency, KEY_WINDOW_MS};
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let new = new_case("0504", &w.t.building_a1.code, "小区门口车辆乱停");
        let key = Idempotency {
            key: "expiry-0001".into(),
            principal: "public:203.0.113.9".into(),
            request_hash: cases::request_hash(&new),
        };
        let send = |new: cases::NewCase| {
            let (anon, key) = (w.anon.clone(), key.clone());
            w.write(move |c, cfg| cases::create(c, &anon, cfg, new, Some(&key)))
        };
        let first = send(new.clone()).await.unwrap();
        let made = (first.case.reported_at.unix_timestamp_nanos() / 1_000_000) as i64;
        let expire = |at: i64| {
            let db = ts.db.clone();
            async move {
                db.write(move |c| cases::expire_keys(c, at, 5000))
                    .await
                    .unwrap()
            }
        };
        // Within the window the key is kept and a resend replays the answer.
        assert_eq!(expire(made + KEY_WINDOW_MS - 1).await, 0);
        assert!(send(new.clone()).await.unwrap().replayed);
        // Past it the stored answer is gone, and the key makes a new case.
        assert_eq!(expire(made + KEY_WINDOW_MS + 1).await, 1);
        assert_eq!(count(&ts, "idempotency_keys").await, 0);
        let again = send(new).await.unwrap();
        assert!(!again.replayed);
        assert_ne!(again.case.id, first.case.id);
    });
}
