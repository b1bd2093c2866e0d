//! Unit move and delete read the schema to find what hangs off a unit; these
//! tests read it too, so a table a later migration adds is checked as well.

use crate::common::*;
use crate::units::{delete, move_to};
use std::collections::BTreeSet;
use wangge_core::units::UnitKind::*;
use wangge_store::units;

/// Unit delete reads the foreign keys to `units` from the schema: a table a later
/// migration adds is covered, and must say what it is called in the refusal.
#[test]
fn every_table_that_refers_to_a_unit_is_named_when_it_holds_a_delete() {
    on_each_backend(|ts| async move {
        let refs = ts.db.read(units::schema::unit_references).await.unwrap();
        let tables: BTreeSet<&str> = refs.iter().map(|(t, _)| t.as_str()).collect();
        for t in ["units", "people", "cases", "inspection_plans", "users"] {
            assert!(tables.contains(t), "{t} missing from {tables:?}");
        }
        for (table, col) in &refs {
            if let Some((zh, en)) = units::schema::holder_name(table) {
                assert_ne!(zh, "其他记录", "{table}.{col} has no name: {en}");
            }
        }
    });
}

#[test]
fn a_unit_that_an_account_is_scoped_to_is_not_deleted() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        let empty = unit(&ts, Community, "新建社区", Some(&t.street.code)).await;
        crate::cases_fixture::account(
            &ts,
            "xjsq",
            wangge_core::auth::Role::CommunityCadre,
            Some(&empty.code),
            None,
        )
        .await;
        let before = snapshot(&ts).await;
        let e = refused(delete(&ts, &empty.code).await, "unit_not_empty");
        let text = messages(&e);
        assert!(text.contains("1个账号"), "{text}");
        assert!(text.contains("1 user accounts"), "{text}");
        unchanged(&before, &snapshot(&ts).await);
    });
}

/// Moving a populated community leaves no row behind: in every table the
/// schema shows with a `unit_path` (read from the schema, so a table added
/// later is checked too), each row's path is its unit's path.
#[test]
fn after_a_move_every_unit_path_in_every_table_matches_its_unit() {
    on_each_backend(|ts| async move {
        let cfg = wangge_demo::DemoConfig {
            people: 300,
            seed: 11,
        };
        wangge_demo::seed(&ts.store, &cfg).await.unwrap();
        let tables = ts
            .db
            .read(units::schema::tables_with_unit_path)
            .await
            .unwrap();
        assert!(tables.len() >= 8, "{tables:?}");
        // The community with the most rows under it, and a street it is not in.
        let (community, street) = ts
            .db
            .read(|c| {
                let mut best = (String::new(), String::new(), -1i64);
                for r in c.query("SELECT code, path, parent_id FROM units WHERE kind = 'community'", &[])? {
                    let (code, path, parent): (String, String, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
                    let hi = format!("{}0", path.trim_end_matches('/'));
                    let mut n = 0;
                    for t in units::schema::tables_with_unit_path(c)? {
                        n += c
                            .query_one(
                                &format!("SELECT COUNT(*) FROM {t} WHERE unit_path >= $1 AND unit_path < $2"),
                                &[path.as_str().into(), hi.as_str().into()],
                            )?
                            .get::<i64>(0)?;
                    }
                    if n > best.2 {
                        let other: String = c
                            .query_one(
                                "SELECT code FROM units WHERE kind = 'street' AND id <> $1 ORDER BY id LIMIT 1",
                                &[parent.into()],
                            )?
                            .get(0)?;
                        best = (code, other, n);
                    }
                }
                assert!(best.2 > 20, "the demo's busiest community holds only {} rows", best.2);
                Ok((best.0, best.1))
            })
            .await
            .unwrap();
        move_to(&ts, &community, &street).await.unwrap();
        let refs = ts.db.read(units::schema::unit_references).await.unwrap();
        let stale = ts
            .db
            .read(move |c| {
                let mut stale = Vec::new();
                for t in &tables {
                    let has_unit_id = refs.iter().any(|(rt, col)| rt == t && col == "unit_id");
                    let sql = match has_unit_id {
                        true => format!(
                            "SELECT COUNT(*) FROM {t} x JOIN units u ON u.id = x.unit_id WHERE x.unit_path <> u.path"
                        ),
                        false => format!(
                            "SELECT COUNT(*) FROM {t} x WHERE NOT EXISTS (SELECT 1 FROM units u WHERE u.path = x.unit_path)"
                        ),
                    };
                    let n: i64 = c.query_one(&sql, &[])?.get(0)?;
                    if n > 0 {
                        stale.push(format!("{t}: {n}"));
                    }
                }
                Ok(stale)
            })
            .await
            .unwrap();
        assert!(stale.is_empty(), "rows left at old paths: {stale:?}");
    });
}
