//! The demo's grid-worker patrol: reports in the worker's own name with
//! source `grid`, and (where photos can be kept) one resolved on the spot.

use crate::common::*;
use wangge_store::{params, Backend};

#[test]
fn the_demo_grid_worker_reports_and_resolves_one_on_the_spot() {
    on_each_backend(|ts| async move {
        let cfg = wangge_demo::DemoConfig {
            people: 300,
            seed: 2020,
        };
        wangge_demo::seed(&ts.store, &cfg).await.unwrap();
        let rows = ts
            .db
            .read(|c| {
                c.query(
                    "SELECT c.state, c.close_kind, c.source FROM cases c
                     JOIN users u ON u.id = c.reporter_user_id
                     WHERE u.username = $1 ORDER BY c.id",
                    params![wangge_demo::PATROL_USER],
                )?
                .iter()
                .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .collect::<wangge_store::Result<Vec<(String, Option<String>, String)>>>()
            })
            .await
            .unwrap();
        assert!(
            rows.iter().all(|(_, _, source)| source == "grid"),
            "{rows:?}"
        );
        let open = rows.iter().filter(|(s, _, _)| s == "reported").count();
        assert_eq!(open, 3, "{rows:?}");
        let on_spot: Vec<_> = rows.iter().filter(|(s, _, _)| s == "closed").collect();
        // Photos live beside a SQLite file; without them nothing closes on the spot.
        let expected = usize::from(ts.backend == Backend::Sqlite);
        assert_eq!(on_spot.len(), expected, "{rows:?}");
        assert!(on_spot
            .iter()
            .all(|(_, k, _)| k.as_deref() == Some("fixed")));
        let counted: i64 = ts
            .db
            .read(|c| {
                c.query_one(
                    "SELECT CAST(COALESCE(SUM(on_spot), 0) AS BIGINT) FROM case_counters c
                     JOIN units u ON u.id = c.unit_id WHERE u.kind = 'zone'",
                    &[],
                )?
                .get(0)
            })
            .await
            .unwrap();
        assert_eq!(counted, expected as i64);
    });
}
