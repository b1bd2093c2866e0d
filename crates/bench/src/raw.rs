//! The raw baseline: the same inserts and lookups Wangge does, straight into
//! rusqlite or PostgreSQL with no application code — no validation, no hashing,
//! no encryption, no query layer — into tables shaped like Wangge's `people` and
//! `audit_log` (same columns, same indexes), with the same durability (SQLite WAL
//! with `synchronous=FULL`; PostgreSQL's default `synchronous_commit`).
//!
//! Two loads: the generation's (residents in place order, in households, as the
//! demo writes them) and then the API phase's (one resident in each building in
//! turn, no household, and the audit entry every created resident gets).

use crate::stats::{median, Latency};
use anyhow::{Context, Result};
use std::path::Path;
use std::time::{Duration, Instant};
use wangge_demo::SplitMix64;

/// Rows per transaction: a durable batched insert as a bulk loader would do it.
pub const ROWS_PER_TX: usize = 100;

#[derive(Debug, Clone, Default)]
pub struct RawResult {
    pub rows: usize,
    pub insert_secs: f64,
    /// Rows per second over tenths of the load, to show the rate as the table grows.
    pub window_rates: Vec<f64>,
    pub by_hash: Latency,
    pub first_page: Latency,
    /// The API phase's inserts, made after the lookups on the loaded table.
    pub created: usize,
    pub create_secs: f64,
}

impl RawResult {
    pub fn rows_per_sec(&self) -> f64 {
        if self.insert_secs > 0.0 {
            self.rows as f64 / self.insert_secs
        } else {
            0.0
        }
    }

    pub fn creates_per_sec(&self) -> f64 {
        if self.create_secs > 0.0 {
            self.created as f64 / self.create_secs
        } else {
            0.0
        }
    }

    pub fn median_window_rate(&self) -> f64 {
        median(self.window_rates.clone())
    }
}

/// One synthetic row, sized like an encrypted Wangge resident.
struct Row {
    name: String,
    sex: &'static str,
    birth_date: String,
    id_hash: Vec<u8>,
    id_enc: Vec<u8>,
    phone_hash: Vec<u8>,
    phone_enc: Vec<u8>,
    address_enc: Vec<u8>,
    unit_id: i64,
    unit_path: String,
    household_id: Option<i64>,
    relation: Option<&'static str>,
    created_at: i64,
}

/// Rows in place order, like the demo's: 4 streets, each a contiguous path range.
struct RowGen {
    rng: SplitMix64,
    rows: usize,
}

const PLACES: usize = 600;

fn street_prefix(street: usize) -> String {
    format!("/1/{}/", 2 + street)
}

impl RowGen {
    fn new(rows: usize) -> RowGen {
        RowGen {
            rng: SplitMix64::new(99),
            rows,
        }
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n + 8);
        while out.len() < n {
            out.extend_from_slice(&self.rng.next_u64().to_le_bytes());
        }
        out.truncate(n);
        out
    }

    /// The `i`-th resident of the generation: places in order, three to a household.
    fn row(&mut self, i: usize) -> Row {
        let mut r = self.at_place(i, i * PLACES / self.rows.max(1));
        r.household_id = Some((i / 3) as i64 + 1);
        r.relation = Some("head");
        r
    }

    /// The `i`-th resident the API phase creates: each request goes to the next
    /// building, as `api::create_people` sends them.
    fn created(&mut self, i: usize) -> Row {
        self.at_place(self.rows + i, i % PLACES)
    }

    fn at_place(&mut self, i: usize, place: usize) -> Row {
        let street = place * 4 / PLACES;
        Row {
            name: "张三丰".to_string(),
            sex: if i.is_multiple_of(2) {
                "male"
            } else {
                "female"
            },
            birth_date: format!("19{:02}-0{}-1{}", 30 + i % 70, 1 + i % 9, i % 10),
            id_hash: self.bytes(32),
            id_enc: self.bytes(24 + 18 + 16),
            phone_hash: self.bytes(32),
            phone_enc: self.bytes(24 + 11 + 16),
            address_enc: self.bytes(24 + 13 + 16),
            unit_id: 1000 + place as i64,
            unit_path: format!(
                "{}{}/{}/{}/",
                street_prefix(street),
                10 + place / 8,
                200 + place / 2,
                1000 + place
            ),
            household_id: None,
            relation: None,
            created_at: 1_790_000_000_000 + i as i64,
        }
    }
}

/// Loads `rows` rows made by `make` in durable transactions of `ROWS_PER_TX`,
/// calling `tx` for each; keeps every `lookups`-th id hash for the lookup phase.
fn load(
    gen: &mut RowGen,
    rows: usize,
    lookups: usize,
    make: fn(&mut RowGen, usize) -> Row,
    mut tx: impl FnMut(&mut Vec<Row>) -> Result<()>,
) -> Result<(f64, Vec<f64>, Vec<Vec<u8>>)> {
    let every = (rows / lookups.max(1)).max(1);
    let mut sample = Vec::new();
    let window = (rows / 10).max(ROWS_PER_TX);
    let mut windows = Vec::new();
    let started = Instant::now();
    let mut window_start = Instant::now();
    let mut window_rows = 0;
    let mut batch = Vec::with_capacity(ROWS_PER_TX);
    let mut i = 0;
    while i < rows {
        batch.clear();
        while batch.len() < ROWS_PER_TX && i < rows {
            let r = make(gen, i);
            if i % every == 0 {
                sample.push(r.id_hash.clone());
            }
            batch.push(r);
            i += 1;
        }
        tx(&mut batch)?;
        window_rows += batch.len();
        if window_rows >= window {
            windows.push(window_rows as f64 / window_start.elapsed().as_secs_f64());
            window_start = Instant::now();
            window_rows = 0;
        }
    }
    Ok((started.elapsed().as_secs_f64(), windows, sample))
}

const SQLITE_DDL: &str = "
CREATE TABLE people (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    sex          TEXT NOT NULL,
    birth_date   TEXT NOT NULL,
    id_hash      BLOB NOT NULL UNIQUE,
    id_enc       BLOB NOT NULL,
    phone_hash   BLOB,
    phone_enc    BLOB,
    address_enc  BLOB,
    unit_id      BIGINT NOT NULL,
    unit_path    TEXT NOT NULL,
    household_id BIGINT,
    relation     TEXT,
    version      BIGINT NOT NULL DEFAULT 1,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX people_path ON people(unit_path, id);
CREATE INDEX people_household ON people(household_id);
CREATE INDEX people_phone ON people(phone_hash);
CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    client_addr TEXT,
    entity      TEXT NOT NULL,
    entity_id   BIGINT NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_entity ON audit_log(entity, entity_id);
CREATE INDEX audit_actor ON audit_log(actor, seq);
CREATE TABLE audit_head (id BIGINT PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');";

const INSERT: &str =
    "INSERT INTO people (name, sex, birth_date, id_hash, id_enc, phone_hash, phone_enc,
    address_enc, unit_id, unit_path, household_id, relation, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id";

/// The audit entry of a created resident, with the detail Wangge writes and
/// hashes of the same length (not computed: no application code).
const INSERT_AUDIT: &str =
    "INSERT INTO audit_log (seq, at, actor, client_addr, entity, entity_id, action, detail, prev_hash, hash)
    VALUES ($1, $2, 'bench-admin', '127.0.0.1', 'person', $3, 'create', $4, $5, $5)";

const AUDIT_DETAIL: &str =
    r#"{"fields":["name","id_number","phone","unit","address_detail","household_id","relation"]}"#;

const UPDATE_HEAD: &str = "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1";

/// A 64-character hex digest's worth of text for entry `seq`.
fn fake_hash(seq: i64) -> String {
    format!("{seq:064x}")
}

const SELECT: &str = "SELECT id, name, sex, birth_date, id_enc, phone_enc, address_enc, unit_id,
    unit_path, household_id, relation, version, created_at, updated_at FROM people";

fn sqlite_sql(sql: &str) -> String {
    let mut out = sql.to_string();
    for n in (1..=13).rev() {
        out = out.replace(&format!("${n}"), &format!("?{n}"));
    }
    out
}

/// Times `lookups` calls of `f`, cycling through `inputs`.
fn time_each<T>(
    inputs: &[T],
    lookups: usize,
    mut f: impl FnMut(&T) -> Result<usize>,
) -> Result<Latency> {
    let mut samples = Vec::with_capacity(lookups);
    for i in 0..lookups.min(inputs.len().max(1) * 1000) {
        let Some(input) = inputs.get(i % inputs.len().max(1)) else {
            break;
        };
        let t = Instant::now();
        let found = f(input)?;
        samples.push(t.elapsed());
        anyhow::ensure!(found > 0, "a raw lookup found nothing");
    }
    Ok(Latency::of(samples))
}

fn subtree_bounds() -> Vec<(String, String)> {
    (0..4)
        .map(|s| {
            let lo = street_prefix(s);
            let hi = format!("{}0", lo.trim_end_matches('/'));
            (lo, hi)
        })
        .collect()
}

/// Inserts one resident; answers its id.
fn sqlite_insert(st: &mut rusqlite::CachedStatement<'_>, r: &Row) -> Result<i64> {
    Ok(st.query_row(
        rusqlite::params![
            r.name,
            r.sex,
            r.birth_date,
            r.id_hash,
            r.id_enc,
            r.phone_hash,
            r.phone_enc,
            r.address_enc,
            r.unit_id,
            r.unit_path,
            r.household_id,
            r.relation,
            r.created_at
        ],
        |row| row.get(0),
    )?)
}

pub fn sqlite(dir: &Path, rows: usize, lookups: usize, creates: usize) -> Result<RawResult> {
    let path = dir.join("raw-baseline.db");
    let mut conn = rusqlite::Connection::open(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    // The same settings Wangge's connections use.
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-32000;
         PRAGMA temp_store=MEMORY;",
    )?;
    conn.execute_batch(SQLITE_DDL)?;
    let insert = sqlite_sql(INSERT);
    let mut gen = RowGen::new(rows);
    let (insert_secs, window_rates, sample) =
        load(&mut gen, rows, lookups, RowGen::row, |batch| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            {
                let mut st = tx.prepare_cached(&insert)?;
                for r in batch.iter() {
                    sqlite_insert(&mut st, r)?;
                }
            }
            tx.commit()?;
            Ok(())
        })?;
    let read_row = |r: &rusqlite::Row<'_>| -> rusqlite::Result<usize> {
        let mut bytes = 0;
        for i in 0..14 {
            bytes += match r.get_ref(i)? {
                rusqlite::types::ValueRef::Blob(b) => b.to_vec().len(),
                rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).len(),
                _ => 8,
            };
        }
        Ok(bytes)
    };
    let by_hash_sql = sqlite_sql(&format!("{SELECT} WHERE id_hash = $1"));
    let by_hash = time_each(&sample, lookups, |hash| {
        let mut st = conn.prepare_cached(&by_hash_sql)?;
        let rows = st.query_map([hash], read_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?.len())
    })?;
    let page_sql = sqlite_sql(&format!(
        "{SELECT} WHERE unit_path >= $1 AND unit_path < $2 ORDER BY unit_path, id LIMIT 51"
    ));
    let first_page = time_each(&subtree_bounds(), lookups, |(lo, hi)| {
        let mut st = conn.prepare_cached(&page_sql)?;
        let rows = st.query_map([lo, hi], read_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?.len())
    })?;
    let (insert_audit, update_head) = (sqlite_sql(INSERT_AUDIT), sqlite_sql(UPDATE_HEAD));
    let mut seq = 0i64;
    let (create_secs, _, _) = load(&mut gen, creates, 0, RowGen::created, |batch| {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut st = tx.prepare_cached(&insert)?;
            let mut audit = tx.prepare_cached(&insert_audit)?;
            for r in batch.iter() {
                let id = sqlite_insert(&mut st, r)?;
                seq += 1;
                audit.execute(rusqlite::params![
                    seq,
                    r.created_at,
                    id,
                    AUDIT_DETAIL,
                    fake_hash(seq)
                ])?;
            }
            tx.execute(&update_head, rusqlite::params![seq, fake_hash(seq)])?;
        }
        tx.commit()?;
        Ok(())
    })?;
    let counts: (i64, i64) = conn.query_row(
        "SELECT (SELECT COUNT(*) FROM people), (SELECT COUNT(*) FROM audit_log)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    anyhow::ensure!(
        counts == ((rows + creates) as i64, creates as i64),
        "the raw baseline lost rows: {counts:?}"
    );
    drop(conn);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Ok(RawResult {
        rows,
        insert_secs,
        window_rates,
        by_hash,
        first_page,
        created: creates,
        create_secs,
    })
}

const PG_DDL: &str = "
CREATE TABLE people (
    id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name         TEXT NOT NULL,
    sex          TEXT NOT NULL,
    birth_date   TEXT NOT NULL,
    id_hash      BYTEA NOT NULL UNIQUE,
    id_enc       BYTEA NOT NULL,
    phone_hash   BYTEA,
    phone_enc    BYTEA,
    address_enc  BYTEA,
    unit_id      BIGINT NOT NULL,
    unit_path    TEXT COLLATE \"C\" NOT NULL,
    household_id BIGINT,
    relation     TEXT,
    version      BIGINT NOT NULL DEFAULT 1,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX people_path ON people(unit_path, id);
CREATE INDEX people_household ON people(household_id);
CREATE INDEX people_phone ON people(phone_hash);
CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    client_addr TEXT,
    entity      TEXT NOT NULL,
    entity_id   BIGINT NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_entity ON audit_log(entity, entity_id);
CREATE INDEX audit_actor ON audit_log(actor, seq);
CREATE TABLE audit_head (id BIGINT PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');";

pub fn postgres(
    url: &str,
    schema: &str,
    rows: usize,
    lookups: usize,
    creates: usize,
) -> Result<RawResult> {
    let mut client = postgres::Client::connect(url, postgres::NoTls)
        .with_context(|| format!("cannot connect to {url}"))?;
    client.batch_execute(&format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; SET search_path = {schema};"
    ))?;
    let out = postgres_run(&mut client, rows, lookups, creates);
    client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))?;
    out
}

/// Inserts one resident; answers its id.
fn pg_insert(tx: &mut postgres::Transaction<'_>, st: &postgres::Statement, r: &Row) -> Result<i64> {
    let row = tx.query_one(
        st,
        &[
            &r.name,
            &r.sex,
            &r.birth_date,
            &r.id_hash,
            &r.id_enc,
            &r.phone_hash,
            &r.phone_enc,
            &r.address_enc,
            &r.unit_id,
            &r.unit_path,
            &r.household_id,
            &r.relation,
            &r.created_at,
        ],
    )?;
    Ok(row.try_get(0)?)
}

fn postgres_run(
    client: &mut postgres::Client,
    rows: usize,
    lookups: usize,
    creates: usize,
) -> Result<RawResult> {
    client.batch_execute(PG_DDL)?;
    let insert = client.prepare(INSERT)?;
    let mut gen = RowGen::new(rows);
    let (insert_secs, window_rates, sample) =
        load(&mut gen, rows, lookups, RowGen::row, |batch| {
            let mut tx = client.transaction()?;
            for r in batch.iter() {
                pg_insert(&mut tx, &insert, r)?;
            }
            tx.commit()?;
            Ok(())
        })?;
    client.batch_execute("ANALYZE people")?;
    // Every column is decoded, as the application decodes every column it selects.
    let read_rows = |rows: Vec<postgres::Row>| -> Result<usize> {
        for r in &rows {
            let id: i64 = r.try_get(0)?;
            let texts: Vec<String> = [1, 2, 3, 8]
                .iter()
                .map(|&i| r.try_get(i))
                .collect::<Result<_, _>>()?;
            let id_enc: Vec<u8> = r.try_get(4)?;
            let blobs: Vec<Option<Vec<u8>>> = [5, 6]
                .iter()
                .map(|&i| r.try_get(i))
                .collect::<Result<_, _>>()?;
            let ints: Vec<Option<i64>> = [7, 9, 11, 12, 13]
                .iter()
                .map(|&i| r.try_get(i))
                .collect::<Result<_, _>>()?;
            let relation: Option<String> = r.try_get(10)?;
            std::hint::black_box((id, texts, id_enc, blobs, ints, relation));
        }
        Ok(rows.len())
    };
    let by_hash_st = client.prepare(&format!("{SELECT} WHERE id_hash = $1"))?;
    let by_hash = time_each(&sample, lookups, |hash| {
        read_rows(client.query(&by_hash_st, &[hash])?)
    })?;
    let page_st = client.prepare(&format!(
        "{SELECT} WHERE unit_path >= $1 AND unit_path < $2 ORDER BY unit_path, id LIMIT 51"
    ))?;
    let first_page = time_each(&subtree_bounds(), lookups, |(lo, hi)| {
        read_rows(client.query(&page_st, &[lo, hi])?)
    })?;
    let (insert_audit, update_head) = (client.prepare(INSERT_AUDIT)?, client.prepare(UPDATE_HEAD)?);
    let mut seq = 0i64;
    let (create_secs, _, _) = load(&mut gen, creates, 0, RowGen::created, |batch| {
        let mut tx = client.transaction()?;
        for r in batch.iter() {
            let id = pg_insert(&mut tx, &insert, r)?;
            seq += 1;
            tx.execute(
                &insert_audit,
                &[&seq, &r.created_at, &id, &AUDIT_DETAIL, &fake_hash(seq)],
            )?;
        }
        tx.execute(&update_head, &[&seq, &fake_hash(seq)])?;
        tx.commit()?;
        Ok(())
    })?;
    Ok(RawResult {
        rows,
        insert_secs,
        window_rates,
        by_hash,
        first_page,
        created: creates,
        create_secs,
    })
}

/// How long a durable single-row commit takes on this disk, for the report.
pub fn sqlite_commit_latency(dir: &Path, commits: usize) -> Result<Duration> {
    let path = dir.join("fsync-probe.db");
    let conn = rusqlite::Connection::open(&path)?;
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE t (x INTEGER);",
    )?;
    let mut samples = Vec::with_capacity(commits);
    for i in 0..commits {
        let t = Instant::now();
        conn.execute("INSERT INTO t (x) VALUES (?1)", [i as i64])?;
        samples.push(t.elapsed());
    }
    drop(conn);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Ok(Latency::of(samples).p50)
}

/// A small synthetic load must still find what it looks for.
#[cfg(test)]
mod tests {
    #[test]
    fn sqlite_baseline_runs() {
        let dir = std::env::temp_dir().join(format!("wangge-bench-raw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let r = super::sqlite(&dir, 1000, 20, 300).unwrap();
        assert_eq!(r.rows, 1000);
        assert_eq!(r.created, 300);
        assert!(r.creates_per_sec() > 0.0);
        assert_eq!(r.by_hash.n, 20);
        assert_eq!(r.first_page.n, 20);
        assert!(r.rows_per_sec() > 0.0);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
