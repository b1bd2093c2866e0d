//! The bulk write path: `Db::write_alone`, `Conn::bulk_insert` (COPY on
//! PostgreSQL) and `Conn::reserve_ids`, and the demo loader built on them.

use crate::common::*;
use std::collections::BTreeMap;
use wangge_core::units::UnitKind::*;
use wangge_core::Error as CoreError;
use wangge_demo::{self as demo, DemoConfig};
use wangge_store::db::Value;
use wangge_store::households;
use wangge_store::people::{self, PreparedPerson};
use wangge_store::units::{self, NewUnit};
use wangge_store::{params, Backend, Conn, Result, Scope};
use wangge_testkit::temp_store;

/// Inserts households numbered `prefix-1` … `prefix-n` under `unit_id` with
/// reserved ids, in the caller's transaction.
fn bulk_households(c: &mut dyn Conn, prefix: &str, n: usize, unit: (i64, &str)) -> Result<u64> {
    let ids = c.reserve_ids("households", n)?;
    let mut rows = ids.iter().enumerate().map(|(i, id)| {
        vec![
            Value::Int(*id),
            Value::Text(format!("{prefix}-{}", i + 1)),
            Value::Int(unit.0),
            Value::Text(unit.1.to_string()),
            Value::Int(0),
            Value::Int(0),
        ]
    });
    c.bulk_insert(
        "households",
        &[
            "id",
            "number",
            "unit_id",
            "unit_path",
            "created_at",
            "updated_at",
        ],
        &mut rows,
    )
}

async fn households_numbered(ts: &Env, prefix: &str) -> i64 {
    let like = format!("{prefix}-%");
    ts.db
        .read(move |c| {
            c.query_one(
                "SELECT COUNT(*) FROM households WHERE number LIKE $1",
                params![like],
            )?
            .get(0)
        })
        .await
        .unwrap()
}

async fn unit_row(ts: &Env, code: &str) -> (i64, String) {
    let code = code.to_string();
    ts.db
        .read(move |c| {
            let r = c.query_one("SELECT id, path FROM units WHERE code = $1", params![code])?;
            Ok((r.get(0)?, r.get(1)?))
        })
        .await
        .unwrap()
}

#[test]
fn a_failing_bulk_write_rolls_back_only_itself() {
    on_each_backend(|ts| async move {
        let tree = small_tree(&ts).await;
        let (uid, path) = unit_row(&ts, &tree.building_a1.code).await;

        // Ordinary writes queued around two bulk writes: one that fails after
        // inserting 500 rows, one that succeeds.
        let mut ordinary = Vec::new();
        for i in 0..30 {
            let (db, ctx, parent) = (ts.db.clone(), ts.ctx(), tree.comm_b.code.clone());
            ordinary.push(tokio::spawn(async move {
                db.write(move |c| {
                    units::create(
                        c,
                        &ctx,
                        NewUnit {
                            kind: Compound,
                            name: format!("小区{i}"),
                            parent: Some(parent),
                            code: None,
                        },
                    )
                })
                .await
            }));
        }
        let (db, p) = (ts.db.clone(), path.clone());
        let failing = tokio::spawn(async move {
            db.write_alone(move |c| {
                bulk_households(c, "bad", 500, (uid, &p))?;
                Err::<(), _>(CoreError::conflict("test_failure", "测试失败", "test failure").into())
            })
            .await
        });
        let (db, p) = (ts.db.clone(), path.clone());
        let good = tokio::spawn(async move {
            db.write_alone(move |c| bulk_households(c, "good", 700, (uid, &p)))
                .await
        });

        let e = refused(failing.await.unwrap(), "test_failure");
        assert!(messages(&e).contains("测试失败"));
        assert_eq!(good.await.unwrap().unwrap(), 700);
        for w in ordinary {
            w.await
                .unwrap()
                .expect("an ordinary write beside the bulk ones");
        }
        assert_eq!(households_numbered(&ts, "bad").await, 0);
        assert_eq!(households_numbered(&ts, "good").await, 700);
        assert_eq!(count(&ts, "units").await, 10 + 30);
    });
}

#[test]
fn reserved_ids_are_not_handed_out_again() {
    on_each_backend(|ts| async move {
        let tree = small_tree(&ts).await;
        let (uid, path) = unit_row(&ts, &tree.building_a1.code).await;
        let p = path.clone();
        ts.db
            .write_alone(move |c| bulk_households(c, "bulk", 5, (uid, &p)))
            .await
            .unwrap();
        let ctx = ts.ctx();
        let code = tree.building_a1.code.clone();
        let made = ts
            .db
            .write(move |c| {
                households::create(
                    c,
                    &ctx,
                    households::NewHousehold {
                        number: Some("after".into()),
                        unit: code,
                    },
                )
            })
            .await
            .unwrap();
        let max_bulk: i64 = ts
            .db
            .read(|c| {
                c.query_one(
                    "SELECT MAX(id) FROM households WHERE number LIKE 'bulk-%'",
                    &[],
                )?
                .get(0)
            })
            .await
            .unwrap();
        assert!(made.id > max_bulk, "{} reused a reserved id", made.id);
        assert_eq!(households_numbered(&ts, "bulk").await, 5);
    });
}

/// Three prepared residents, the third with an ID number already registered.
fn prepared_with_duplicate(ts: &Env, unit: (i64, &str), taken: &str) -> Vec<PreparedPerson> {
    let ctx = ts.ctx();
    [nth_id(901), nth_id(902), taken.to_string()]
        .iter()
        .enumerate()
        .map(|(i, id)| {
            people::prepare(&ctx, &format!("批量{i}"), id, None, None, unit, None, None).unwrap()
        })
        .collect()
}

#[test]
fn a_bulk_insert_with_a_registered_id_number_is_refused_whole() {
    on_each_backend(|ts| async move {
        let tree = small_tree(&ts).await;
        person(&ts, "张三", &nth_id(1), &tree.building_a1.code).await;
        let (uid, path) = unit_row(&ts, &tree.building_a1.code).await;
        let rows = prepared_with_duplicate(&ts, (uid, &path), &nth_id(1));
        let before = snapshot(&ts).await;
        let ctx = ts.ctx();
        let r = ts
            .db
            .write_alone(move |c| people::insert_prepared(c, &ctx, rows))
            .await;
        let e = refused(r, "person_exists");
        let m = messages(&e);
        assert!(m.contains("该身份证号码已登记"), "{m}");
        assert!(m.contains("already registered"), "{m}");
        // Neither the two new residents nor anything else went in.
        unchanged(&before, &snapshot(&ts).await);
    });
}

#[test]
fn a_bulk_insert_with_a_wrong_row_or_name_is_refused() {
    on_each_backend(|ts| async move {
        let tree = small_tree(&ts).await;
        let (uid, path) = unit_row(&ts, &tree.building_a1.code).await;
        let before = snapshot(&ts).await;
        let short = ts
            .db
            .write_alone(move |c| {
                bulk_households(c, "ok", 3, (uid, &path))?;
                c.bulk_insert(
                    "households",
                    &["number", "unit_id"],
                    &mut std::iter::once(vec![Value::Text("x".into())]),
                )
            })
            .await;
        let e = short.expect_err("a row with too few values");
        assert!(e.to_string().contains("1 values for 2 columns"), "{e}");
        let bad_name = ts
            .db
            .write_alone(|c| {
                c.bulk_insert(
                    "households; DROP TABLE people",
                    &["number"],
                    &mut std::iter::empty(),
                )
            })
            .await;
        let e = bad_name.expect_err("a table name that is not an identifier");
        assert!(e.to_string().contains("not plain identifiers"), "{e}");
        unchanged(&before, &snapshot(&ts).await);
    });
}

#[test]
fn an_api_creation_answers_what_a_read_returns() {
    on_each_backend(|ts| async move {
        let tree = small_tree(&ts).await;
        let ctx = ts.ctx();
        let mut new = new_person("𠀀李四😀", &nth_id(7), &tree.building_a2.code);
        new.phone = Some("13800138000".into());
        new.address_detail = Some("2单元301室".into());
        let prepared = people::prepare_new(&ctx, new).unwrap();
        let c2 = ctx.clone();
        let made = ts
            .db
            .write(move |c| people::create_prepared(c, &c2, prepared))
            .await
            .unwrap();
        let id = made.id;
        let read = ts.db.read(move |c| people::get(c, &ctx, id)).await.unwrap();
        assert_eq!(
            serde_json::to_value(&made).unwrap(),
            serde_json::to_value(&read).unwrap()
        );
        assert_eq!(audit_of(&ts, "person", id).await.len(), 1);
    });
}

/// What a resident looks like through the API, with the household's number
/// and size instead of its id (ids are the database's own).
async fn looked_up(ts: &Env, ids: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for id in ids {
        let (ctx, id) = (ts.store.ctx("t", Scope::All, NOW), id.clone());
        let s = ts
            .db
            .read(move |c| {
                let p = people::find_by_id_number(c, &ctx, &id)?;
                let h = households::get(c, &ctx, p.household_id.unwrap_or(0))?;
                Ok(format!(
                    "{} {:?} {} {} {:?} {} {:?} {:?} {:?} {}",
                    p.name,
                    p.sex,
                    p.birth_year,
                    p.id_number,
                    p.phone,
                    p.unit,
                    p.address_detail,
                    p.relation,
                    h.number,
                    h.members
                ))
            })
            .await
            .unwrap();
        out.push(s);
    }
    out
}

/// The demo loads through COPY on PostgreSQL and single-row inserts on
/// SQLite; both must hold the same residents in the same households.
#[test]
fn the_demo_loads_the_same_residents_on_both_backends() {
    let cfg = DemoConfig {
        people: 3000,
        seed: 11,
    };
    let sample = demo::sample_id_numbers(&cfg, 37);
    let mut seen: BTreeMap<String, (Vec<i64>, Vec<String>)> = BTreeMap::new();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(ts) = temp_store(backend) else {
            eprintln!("PostgreSQL unavailable: the demo comparison ran on SQLite only");
            continue;
        };
        let env = Env {
            store: ts.store.clone(),
            db: ts.store.db.clone(),
            opts: ts.opts.clone(),
            backend,
        };
        let rt = runtime();
        let got = rt.block_on(async {
            let s = demo::seed(&env.store, &cfg).await.unwrap();
            assert_eq!(s.residents_created, 3000);
            let counts = vec![
                s.people,
                s.households,
                count(&env, "people WHERE household_id IS NULL").await,
                count(&env, "households h WHERE NOT EXISTS (SELECT 1 FROM people p WHERE p.household_id = h.id)").await,
                count(&env, "audit_log WHERE action = 'seed_residents'").await,
            ];
            (counts, looked_up(&env, &sample).await)
        });
        drop(rt);
        drop(env);
        drop(ts);
        assert_eq!(got.0[0], 3000);
        assert_eq!(got.0[2], 0, "every resident is in a household");
        assert_eq!(got.0[3], 0, "no household is empty");
        assert_eq!(
            got.0[4], 1,
            "the residents came in one load with one audit entry"
        );
        seen.insert(format!("{backend:?}"), got);
    }
    if let (Some(a), Some(b)) = (seen.get("Sqlite"), seen.get("Postgres")) {
        assert_eq!(a.0, b.0, "counts differ between SQLite and PostgreSQL");
        assert_eq!(a.1, b.1, "residents differ between SQLite and PostgreSQL");
        assert_eq!(a.1.len(), sample.len());
    }
}

/// The people table's indexes and constraints as PostgreSQL describes them
/// (empty on SQLite, where `rebuild` changes nothing).
async fn schema_of_people(ts: &Env) -> Vec<String> {
    if ts.backend != Backend::Postgres {
        return Vec::new();
    }
    ts.db
        .read(|c| {
            c.query(
                "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'people'::regclass
                 UNION ALL
                 SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
                 WHERE conrelid = 'people'::regclass ORDER BY 1",
                &[],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect()
        })
        .await
        .unwrap()
}

/// A load into empty tables drops their secondary indexes and constraints
/// on PostgreSQL and builds them again before the commit; a load whose rows
/// break a constraint fails whole and leaves the schema as it was.
#[test]
fn a_fresh_load_rebuilds_indexes_and_refuses_rows_that_break_them() {
    use wangge_store::db::rebuild;
    on_each_backend(|ts| async move {
        let tree = small_tree(&ts).await;
        let (uid, path) = unit_row(&ts, &tree.building_a1.code).await;
        let schema = schema_of_people(&ts).await;
        if ts.backend == Backend::Postgres {
            assert!(
                schema.iter().any(|s| s.contains("people_phone")),
                "{schema:?}"
            );
            assert!(
                schema
                    .iter()
                    .any(|s| s.contains("FOREIGN KEY (household_id)")),
                "{schema:?}"
            );
        }

        // Repeated ID numbers in the load: refused when the unique index is
        // built, and nothing of the load stays.
        let rows = prepared_with_duplicate(&ts, (uid, &path), &nth_id(901));
        let before = snapshot(&ts).await;
        let (ctx, backend) = (ts.ctx(), ts.backend);
        let r = ts
            .db
            .write_alone(move |c| {
                let dropped = rebuild::suspend(c, &["households", "people"])?;
                assert_eq!(dropped.is_some(), backend == Backend::Postgres);
                people::insert_prepared(c, &ctx, rows)?;
                dropped.map_or(Ok(()), |d| d.restore(c))
            })
            .await;
        assert!(
            r.is_err(),
            "a load with a repeated ID number went in: {r:?}"
        );
        unchanged(&before, &snapshot(&ts).await);
        assert_eq!(schema_of_people(&ts).await, schema);

        // A good load: the rows are in and found by the rebuilt indexes.
        let ctx = ts.ctx();
        let rows: Vec<PreparedPerson> = (0..50)
            .map(|i| {
                let id = nth_id(1000 + i);
                people::prepare(&ctx, "批量", &id, None, None, (uid, &path), None, None).unwrap()
            })
            .collect();
        ts.db
            .write_alone(move |c| {
                let dropped = rebuild::suspend(c, &["households", "people"])?;
                people::insert_prepared(c, &ctx, rows)?;
                dropped.map_or(Ok(()), |d| d.restore(c))
            })
            .await
            .unwrap();
        assert_eq!(count(&ts, "people").await, 50);
        assert_eq!(schema_of_people(&ts).await, schema);
        let (ctx, id) = (ts.ctx(), nth_id(1007));
        let found = ts
            .db
            .read(move |c| people::find_by_id_number(c, &ctx, &id))
            .await
            .unwrap();
        assert_eq!(found.name, "批量");

        // With rows in the table nothing is dropped.
        let kept = ts
            .db
            .write_alone(|c| Ok(rebuild::suspend(c, &["people"])?.is_none()))
            .await
            .unwrap();
        assert!(kept);
    });
}
