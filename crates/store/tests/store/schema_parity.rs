//! The SQLite and PostgreSQL migration sets are two files per version, kept in
//! step by hand. This reads both migrated schemas back and compares them: the
//! same tables, the same columns in the same order with the same nullability,
//! and the same indexes over the same columns.

use std::collections::{BTreeMap, BTreeSet};
use wangge_store::{Backend, Db};
use wangge_testkit::temp_store;

#[derive(Debug, Default, PartialEq)]
struct Shape {
    /// table -> its columns in order, each with whether it may be NULL.
    tables: BTreeMap<String, Vec<(String, bool)>>,
    /// (table, columns or expressions, unique) of every index but primary keys.
    indexes: BTreeSet<(String, Vec<String>, bool)>,
    /// Names of the indexes made by CREATE INDEX (not by a UNIQUE constraint,
    /// whose generated names differ between the two).
    named: BTreeSet<String>,
}

fn read(db: &Db, backend: Backend) -> Shape {
    crate::common::runtime().block_on(db.read(move |c| {
        let mut s = Shape::default();
        match backend {
            Backend::Sqlite => {
                let tables = c.query(
                    "SELECT name FROM sqlite_master WHERE type = 'table' \
                     AND name NOT LIKE 'sqlite_%' ORDER BY name",
                    &[],
                )?;
                for t in tables {
                    let t: String = t.get(0)?;
                    let cols = c.query(
                        &format!("SELECT name, \"notnull\", pk FROM pragma_table_info('{t}') ORDER BY cid"),
                        &[],
                    )?;
                    let mut out = Vec::new();
                    for r in cols {
                        // A primary key column is never NULL, whatever the pragma says.
                        let nullable = r.get::<i64>(1)? == 0 && r.get::<i64>(2)? == 0;
                        out.push((r.get::<String>(0)?, nullable));
                    }
                    s.tables.insert(t.clone(), out);
                    let idx = c.query(
                        &format!("SELECT name, \"unique\", origin FROM pragma_index_list('{t}')"),
                        &[],
                    )?;
                    for r in idx {
                        let (name, unique, origin) =
                            (r.get::<String>(0)?, r.get::<i64>(1)? == 1, r.get::<String>(2)?);
                        if origin == "pk" {
                            continue;
                        }
                        let cols = c.query(
                            &format!(
                                "SELECT COALESCE(name, '<expr>') FROM pragma_index_xinfo('{name}') \
                                 WHERE key = 1 ORDER BY seqno"
                            ),
                            &[],
                        )?;
                        let cols = cols.iter().map(|r| r.get::<String>(0)).collect::<Result<_, _>>()?;
                        s.indexes.insert((t.clone(), cols, unique));
                        if origin == "c" {
                            s.named.insert(name);
                        }
                    }
                }
            }
            Backend::Postgres => {
                let tables = c.query(
                    "SELECT tablename::TEXT FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1",
                    &[],
                )?;
                for t in tables {
                    let t: String = t.get(0)?;
                    let cols = c.query(
                        "SELECT column_name::TEXT, is_nullable = 'YES' FROM information_schema.columns \
                         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                        &[t.as_str().into()],
                    )?;
                    let out = cols
                        .iter()
                        .map(|r| Ok((r.get::<String>(0)?, r.get::<bool>(1)?)))
                        .collect::<wangge_store::Result<_>>()?;
                    s.tables.insert(t, out);
                }
                let idx = c.query(
                    "SELECT i.relname::TEXT, t.relname::TEXT, ix.indisunique, ix.indnatts::BIGINT, \
                            ix.indexrelid::BIGINT, \
                            EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = ix.indexrelid) \
                     FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid \
                     JOIN pg_class t ON t.oid = ix.indrelid \
                     WHERE t.relnamespace = current_schema()::regnamespace AND NOT ix.indisprimary",
                    &[],
                )?;
                for r in idx {
                    let (name, table, unique, n, oid, constraint) = (
                        r.get::<String>(0)?,
                        r.get::<String>(1)?,
                        r.get::<bool>(2)?,
                        r.get::<i64>(3)?,
                        r.get::<i64>(4)?,
                        r.get::<bool>(5)?,
                    );
                    let cols = c.query(
                        &format!(
                            "SELECT pg_get_indexdef({oid}::oid, k::INT, true)::TEXT \
                             FROM generate_series(1, {n}) k ORDER BY k"
                        ),
                        &[],
                    )?;
                    let cols = cols
                        .iter()
                        .map(|r| {
                            let col = r.get::<String>(0)?;
                            let plain = col.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
                            Ok(if plain { col } else { "<expr>".to_string() })
                        })
                        .collect::<wangge_store::Result<_>>()?;
                    s.indexes.insert((table, cols, unique));
                    if !constraint {
                        s.named.insert(name);
                    }
                }
            }
        }
        Ok(s)
    }))
    .unwrap()
}

#[test]
fn both_migration_sets_build_the_same_tables_columns_and_indexes() {
    let Some(pg) = temp_store(Backend::Postgres) else {
        return;
    };
    let lite = temp_store(Backend::Sqlite).unwrap();
    let (a, b) = (
        read(&lite.store.db, Backend::Sqlite),
        read(&pg.store.db, Backend::Postgres),
    );
    assert!(
        a.tables.len() > 30,
        "too few tables read: {:?}",
        a.tables.keys()
    );
    let tables = |s: &Shape| s.tables.keys().cloned().collect::<BTreeSet<_>>();
    assert_eq!(
        tables(&a),
        tables(&b),
        "tables differ (SQLite left, PostgreSQL right)"
    );
    for (t, cols) in &a.tables {
        assert_eq!(cols, &b.tables[t], "columns of {t} differ (SQLite left)");
    }
    let only = |x: &BTreeSet<_>, y: &BTreeSet<_>| x.difference(y).cloned().collect::<Vec<_>>();
    assert!(
        a.indexes == b.indexes,
        "indexes differ:\n only SQLite {:#?}\n only PostgreSQL {:#?}",
        only(&a.indexes, &b.indexes),
        only(&b.indexes, &a.indexes)
    );
    assert_eq!(a.named, b.named, "index names differ (SQLite left)");
}
