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
