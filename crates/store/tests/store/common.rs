//! The harness shared by every store test: a fresh store on each backend, a fixed
//! clock, valid identifiers, a small org tree, and a snapshot of every table for
//! proving that a refused write left nothing behind.

use std::fmt::Debug;
use std::future::Future;
use time::macros::datetime;
use time::OffsetDateTime;
use wangge_core::ids::{credit_check_char, id_check_char};
use wangge_core::units::UnitKind;
use wangge_core::Error as CoreError;
use wangge_store::people::{self, NewPerson, Person};
use wangge_store::units::{self, NewUnit, Unit};
use wangge_store::{Backend, Ctx, Db, Error, Result, Scope, Store, StoreOptions};
use wangge_testkit::{temp_store, TempOptions, BACKENDS};

/// The fixed "now" of every test: 2026-11-24 18:00 in Beijing.
pub const NOW: OffsetDateTime = datetime!(2026-11-24 10:00 UTC);
/// The demo's synthetic county code: every test zone and ID number uses it.
pub const ZONE: &str = "371799";

/// What a test body gets: one fresh store on one backend.
#[derive(Clone)]
pub struct Env {
    pub store: Store,
    pub db: Db,
    pub opts: StoreOptions,
    pub backend: Backend,
}

impl Env {
    /// A context that sees the whole tree.
    pub fn ctx(&self) -> Ctx {
        self.scoped(Scope::All)
    }

    pub fn scoped(&self, scope: Scope) -> Ctx {
        self.store.ctx("tester", scope, NOW)
    }
}

/// A multi-threaded runtime like the server's.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Runs `test` once per backend, each time on a fresh store; PostgreSQL is
/// skipped (with a message) when it is unreachable and not required.
///
/// Stores are made and dropped outside the runtime: the PostgreSQL driver is
/// synchronous and must not block (or drop its own runtime) inside async code.
pub fn on_each_backend<F, Fut>(test: F)
where
    F: Fn(Env) -> Fut,
    Fut: Future<Output = ()>,
{
    for backend in BACKENDS {
        let Some(ts) = temp_store(backend) else {
            continue;
        };
        eprintln!("-- backend {backend:?}");
        let env = Env {
            store: ts.store.clone(),
            db: ts.store.db.clone(),
            opts: ts.opts.clone(),
            backend,
        };
        let rt = runtime();
        rt.block_on(test(env));
        drop(rt);
        drop(ts);
    }
}

/// Removes what `temp_options` made (its directory and PostgreSQL schema), for
/// tests that open stores themselves.
pub struct Cleanup {
    dir: std::path::PathBuf,
    pg_schema: Option<(String, String)>,
}

impl Cleanup {
    pub fn new(t: &TempOptions) -> Cleanup {
        Cleanup {
            dir: t.dir.clone(),
            pg_schema: t.pg_schema.clone(),
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((url, schema)) = &self.pg_schema {
            if let Ok(mut c) = postgres::Client::connect(url, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
    }
}

/// The PostgreSQL schema a store's URL points at (`…search_path%3D<schema>`).
pub fn pg_schema(opts: &StoreOptions) -> String {
    let (_, rest) = opts
        .db
        .url
        .split_once("search_path%3D")
        .expect("a test PostgreSQL URL names its schema");
    rest.split('&').next().unwrap_or(rest).to_string()
}

// ---------------------------------------------------------------------------
// Identifiers

/// A valid 18-character ID number in region 371799: `birth` is YYYYMMDD and
/// `seq` the 3-digit sequence (odd for a man).
pub fn id_number(birth: &str, seq: u32) -> String {
    assert!(birth.len() == 8 && seq < 1000);
    let first17 = format!("{ZONE}{birth}{seq:03}");
    format!("{first17}{}", id_check_char(first17.as_bytes()))
}

/// The `n`-th of many distinct valid ID numbers (born 1960 onwards).
pub fn nth_id(n: u32) -> String {
    let birth = time::macros::date!(1960 - 01 - 01) + time::Duration::days(i64::from(n / 1000));
    let birth = format!(
        "{}{:02}{:02}",
        birth.year(),
        u8::from(birth.month()),
        birth.day()
    );
    id_number(&birth, n % 1000)
}

/// A valid ID number whose check character is `X`.
pub fn id_ending_in_x() -> String {
    (0..1000)
        .map(|seq| id_number("19900101", seq))
        .find(|id| id.ends_with('X'))
        .expect("one in eleven sequences ends in X")
}

/// `id` with a check character that is valid in form but wrong.
pub fn with_wrong_check(id: &str) -> String {
    let (head, last) = id.split_at(17);
    let wrong = if last == "0" { "1" } else { "0" };
    format!("{head}{wrong}")
}

/// A valid unified social credit code from its first 17 characters.
pub fn credit_code(first17: &str) -> String {
    let check = credit_check_char(first17.as_bytes()).expect("credit code alphabet");
    format!("{first17}{check}")
}

// ---------------------------------------------------------------------------
// Errors

/// The domain error in `r`, after checking its code.
#[track_caller]
pub fn refused<T: Debug>(r: Result<T>, code: &str) -> CoreError {
    match r {
        Err(Error::Domain(e)) => {
            assert_eq!(e.code(), code, "wrong error: {e:?}");
            e
        }
        other => panic!("expected a domain error {code}, got {other:?}"),
    }
}

/// The field an `Invalid` error names.
#[track_caller]
pub fn field(e: &CoreError) -> &str {
    match e {
        CoreError::Invalid { field, .. } => field,
        other => panic!("expected an invalid-input error, got {other:?}"),
    }
}

/// The Chinese and English messages of a domain error, and its display form.
pub fn messages(e: &CoreError) -> String {
    match e {
        CoreError::Invalid { zh, en, .. } | CoreError::Conflict { zh, en, .. } => {
            format!("{zh}\n{en}\n{e}")
        }
    }
}

#[track_caller]
pub fn assert_not_found<T: Debug>(r: Result<T>) {
    assert!(
        matches!(r, Err(Error::NotFound { .. })),
        "expected not found, got {r:?}"
    );
}

// ---------------------------------------------------------------------------
// Reading the database directly

/// Every row of every table (whatever tables the schema has), sorted, for
/// before/after comparisons.
pub async fn snapshot(ts: &Env) -> Vec<String> {
    let tables = match ts.backend {
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
        Backend::Postgres => {
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        }
    };
    ts.db
        .read(move |c| {
            let mut out = Vec::new();
            for t in c.query(tables, &[])? {
                let t: String = t.get(0)?;
                for r in c.query(&format!("SELECT * FROM {t}"), &[])? {
                    out.push(format!("{t}: {r:?}"));
                }
            }
            out.sort();
            Ok(out)
        })
        .await
        .unwrap()
}

/// Checks that a refused write changed nothing.
#[track_caller]
pub fn unchanged(before: &[String], after: &[String]) {
    if before != after {
        let gone: Vec<_> = before.iter().filter(|r| !after.contains(r)).collect();
        let new: Vec<_> = after.iter().filter(|r| !before.contains(r)).collect();
        panic!("a refused write changed the database:\n  removed {gone:#?}\n  added {new:#?}");
    }
}

pub async fn count(ts: &Env, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    ts.db
        .read(move |c| c.query_one(&sql, &[])?.get(0))
        .await
        .unwrap()
}

/// The audit rows of one entity: (actor, action, detail), oldest first.
pub async fn audit_of(ts: &Env, entity: &str, id: i64) -> Vec<(String, String, String)> {
    let entity = entity.to_string();
    ts.db
        .read(move |c| {
            c.query(
                "SELECT actor, action, detail FROM audit_log WHERE entity = $1 AND entity_id = $2 ORDER BY seq",
                wangge_store::params![entity, id],
            )?
            .iter()
            .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .collect()
        })
        .await
        .unwrap()
}

// ---------------------------------------------------------------------------
// Fixtures

pub async fn try_unit(
    ts: &Env,
    ctx: &Ctx,
    kind: UnitKind,
    name: &str,
    parent: Option<&str>,
) -> Result<Unit> {
    let ctx = ctx.clone();
    let new = NewUnit {
        kind,
        name: name.to_string(),
        parent: parent.map(str::to_string),
        code: (kind == UnitKind::Zone).then(|| ZONE.to_string()),
    };
    ts.db.write(move |c| units::create(c, &ctx, new)).await
}

/// Creates a unit under `parent` (a zone with code 371799 when there is none).
pub async fn unit(ts: &Env, kind: UnitKind, name: &str, parent: Option<&str>) -> Unit {
    try_unit(ts, &ts.ctx(), kind, name, parent)
        .await
        .unwrap_or_else(|e| panic!("cannot create {kind:?} {name}: {e}"))
}

pub async fn get_unit(ts: &Env, code: &str) -> Result<Unit> {
    let (ctx, code) = (ts.ctx(), code.to_string());
    ts.db.read(move |c| units::get(c, &ctx, &code)).await
}

/// zone → street → communities A and B; A has compound A (buildings A1, A2) and
/// grid A; B has compound B (building B1).
pub struct Tree {
    pub zone: Unit,
    pub street: Unit,
    pub comm_a: Unit,
    pub comm_b: Unit,
    pub compound_a: Unit,
    pub building_a1: Unit,
    pub building_a2: Unit,
    pub grid_a: Unit,
    pub compound_b: Unit,
    pub building_b1: Unit,
}

pub async fn small_tree(ts: &Env) -> Tree {
    use UnitKind::*;
    let zone = unit(ts, Zone, "菏泽开发区", None).await;
    let street = unit(ts, Street, "丹阳街道", Some(&zone.code)).await;
    let comm_a = unit(ts, Community, "广州路社区", Some(&street.code)).await;
    let comm_b = unit(ts, Community, "长江路社区", Some(&street.code)).await;
    let compound_a = unit(ts, Compound, "华英小区", Some(&comm_a.code)).await;
    let building_a1 = unit(ts, Building, "1号楼", Some(&compound_a.code)).await;
    let building_a2 = unit(ts, Building, "2号楼", Some(&compound_a.code)).await;
    let grid_a = unit(ts, Grid, "第一网格", Some(&comm_a.code)).await;
    let compound_b = unit(ts, Compound, "长江花园", Some(&comm_b.code)).await;
    let building_b1 = unit(ts, Building, "1号楼", Some(&compound_b.code)).await;
    Tree {
        zone,
        street,
        comm_a,
        comm_b,
        compound_a,
        building_a1,
        building_a2,
        grid_a,
        compound_b,
        building_b1,
    }
}

pub fn new_person(name: &str, id_number: &str, unit: &str) -> NewPerson {
    NewPerson {
        name: name.to_string(),
        id_number: id_number.to_string(),
        phone: None,
        unit: unit.to_string(),
        address_detail: None,
        household_id: None,
        relation: None,
    }
}

pub async fn try_person(ts: &Env, ctx: &Ctx, new: NewPerson) -> Result<Person> {
    let ctx = ctx.clone();
    ts.db.write(move |c| people::create(c, &ctx, new)).await
}

pub async fn person(ts: &Env, name: &str, id_number: &str, unit: &str) -> Person {
    try_person(ts, &ts.ctx(), new_person(name, id_number, unit))
        .await
        .unwrap_or_else(|e| panic!("cannot create {name}: {e}"))
}

/// Every person in `unit`'s subtree, following cursors `limit` at a time.
pub async fn all_people(ts: &Env, ctx: &Ctx, unit: Option<&str>, limit: i64) -> Vec<Person> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let (ctx, unit, cur) = (ctx.clone(), unit.map(str::to_string), cursor.clone());
        let page = ts
            .db
            .read(move |c| people::list(c, &ctx, unit.as_deref(), cur.as_deref(), Some(limit)))
            .await
            .unwrap();
        assert!(page.items.len() as i64 <= limit);
        out.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return out,
        }
    }
}

/// Occupies every writer thread (SQLite has one, PostgreSQL two in tests)
/// until `ready()` holds, then 50 ms more, so that the writes queued meanwhile
/// are taken together as one batch.
pub async fn hold_writers<R>(ts: &Env, ready: R) -> Vec<tokio::task::JoinHandle<()>>
where
    R: Fn() -> bool + Clone + Send + 'static,
{
    let writers = match ts.backend {
        Backend::Sqlite => 1,
        Backend::Postgres => ts.opts.db.pg_writers,
    };
    let mut holders = Vec::new();
    for _ in 0..writers {
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let (db, ready) = (ts.db.clone(), ready.clone());
        holders.push(tokio::spawn(async move {
            db.write(move |_c| {
                let _ = started_tx.send(());
                let give_up = std::time::Instant::now() + std::time::Duration::from_secs(20);
                while !ready() && std::time::Instant::now() < give_up {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
                Ok(())
            })
            .await
            .unwrap()
        }));
        started_rx.await.unwrap();
    }
    holders
}
