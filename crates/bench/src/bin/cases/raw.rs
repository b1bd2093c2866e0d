//! Raw baseline: the rows that intake writes for each case of this benchmark,
//! written straight into the database with prepared statements and no
//! application code.
//!
//! One `POST /api/v1/cases` of the intake phase (source `staff`, category
//! `0601`, the one building of the small tree, no coordinates, no
//! attachments, no `Idempotency-Key`) writes, counted in a store after a
//! smoke run:
//!
//! | table | per case | per group-commit transaction |
//! |---|---|---|
//! | `cases` | 1 insert (44 columns; 10 indexes, 2 unique) | |
//! | `case_events` | 1 insert (`report`) | |
//! | `case_duplicates` | 20 inserts once 20 earlier open cases exist (the duplicate search's worst case: the same category in the same compound) | |
//! | `case_numbers` | 1 upsert of the day's row (the tracking number) | |
//! | `audit_log` | 1 insert (`case`/`report`, chained at the commit) | |
//! | `audit_head` | on PostgreSQL 1 no-op `SET seq = seq` (a row lock that orders its writers) | 2 updates (seq, hash) |
//! | `case_counters` | `received` + 1 on 5 rows: one per ancestor (zone, street, community, compound, building) for (local day, category) | summed: 5 upserts |
//! | `case_counters_month` | the same 5 rows per (local month, category) | summed: 5 upserts |
//! | `idempotency_keys` | none: the benchmark sends no `Idempotency-Key` | |
//! | histogram, escalation roll-ups | none: a report has neither | |
//!
//! (`api_tokens.last_used` is also updated at most once a minute.) What
//! intake reads (category, unit, the duplicate search, the answer) is left out,
//! and so is the no-op lock of `audit_head` per case: it changes no data.
//!
//! The baseline writes those rows for each case, `ROWS_PER_TX` cases per
//! durable transaction: the tracking-number upsert, the case (its id from the
//! database), its event, its 20 duplicate flags (the 20 cases before it, as
//! intake finds them), its audit entry; then, once per transaction, the 5 + 5
//! counter rows and one update of the audit head's seq and hash (Wangge makes
//! two; it also inserts the transaction's audit entries at its commit, 50 to a
//! statement, where the baseline inserts each with its case). The counters are
//! summed per transaction, one upsert per counter row, because that is what
//! Wangge does (`cases::counters::deferred`): an upsert per counter row per
//! case would be 10 more statements per case that intake does not make. Hashes,
//! follow tokens and JSON are plausible bytes of the same size, not computed.
//! Tables have the columns, indexes and unique constraints of Wangge's
//! migrations; the foreign keys are left out (Wangge declares them and both
//! backends check them), so the baseline does no look-ups for them. Durability
//! as Wangge's: SQLite WAL with `synchronous=FULL`, PostgreSQL with its default
//! `synchronous_commit`.

use super::*;

mod sql;
use sql::*;

pub(super) const ROWS_PER_TX: usize = 100;

/// Duplicate flags per case, as intake writes them once 20 open cases of the
/// category exist in the compound (`MAX_FLAGGED` in `cases/duplicates.rs`).
pub(super) const DUP_FLAGS: usize = 20;

/// Ids of the small tree's units, zone → building, as in the intake store:
/// each case lives at the building and counts at all five.
const UNITS: [i64; 5] = [1, 2, 3, 4, 5];
const BUILDING: i64 = 5;
/// Category `0601`'s id in the intake store.
const CATEGORY: i64 = 32;

/// What the baseline writes, for the report.
pub(super) const RAW_WRITES: &str = "per case: the case, its `report` event, 20 duplicate flags, an audit entry and the tracking-number upsert; per transaction: 5 daily and 5 monthly counter upserts (the 5 ancestor units, summed over the transaction as Wangge does) and the audit head";

#[derive(Debug, Clone, Default)]
pub(super) struct RawResult {
    /// Cases written.
    pub(super) rows: usize,
    /// Rows inserted or updated, in all tables.
    pub(super) writes: usize,
    pub(super) secs: f64,
}

impl RawResult {
    pub(super) fn per_sec(&self) -> f64 {
        if self.secs > 0.0 {
            self.rows as f64 / self.secs
        } else {
            0.0
        }
    }

    pub(super) fn writes_per_sec(&self) -> f64 {
        if self.secs > 0.0 {
            self.writes as f64 / self.secs
        } else {
            0.0
        }
    }
}

/// `$N` → `?N`, for SQLite.
fn sqlite_marks(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(ch);
        }
    }
    out
}

/// One case's own values, made up but of the size intake writes.
struct RawCase {
    now: i64,
    day: i64,
    description: String,
    address: String,
    /// SHA-256 of the follow token: 32 bytes, random (so the unique index is
    /// written all over, as for real hashes).
    token_hash: Vec<u8>,
    due_at: i64,
    warn_at: i64,
    escalate_at: i64,
    /// The core case as JSON (about 360 bytes).
    snapshot: String,
    /// The core event as JSON (about 150 bytes).
    event: String,
}

fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// The local (UTC+8, as Asia/Shanghai) day of an instant as YYYYMMDD.
fn local_day(ms: i64) -> i64 {
    let t = OffsetDateTime::UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64);
    let d = t.to_offset(time::macros::offset!(+8)).date();
    i64::from(d.year()) * 10000 + i64::from(u8::from(d.month())) * 100 + i64::from(d.day())
}

/// A 64-character hex string, as the audit chain's SHA-256 hashes.
fn hex64(rng: &mut SplitMix64) -> String {
    format!(
        "{:016x}{:016x}{:016x}{:016x}",
        rng.next_u64(),
        rng.next_u64(),
        rng.next_u64(),
        rng.next_u64()
    )
}

fn raw_case(i: usize, rng: &mut SplitMix64) -> RawCase {
    let now = now_ms();
    let stamp = OffsetDateTime::UNIX_EPOCH + Duration::from_millis(now.max(0) as u64);
    // RFC 3339 with nanoseconds, as serde writes the core's timestamps.
    let at = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
        stamp.year(),
        u8::from(stamp.month()),
        stamp.day(),
        stamp.hour(),
        stamp.minute(),
        stamp.second(),
        stamp.nanosecond()
    );
    let mut token_hash = Vec::with_capacity(32);
    for _ in 0..4 {
        token_hash.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    let due_at = now + 9 * 3_600_000;
    RawCase {
        now,
        day: local_day(now),
        description: description(i),
        address: format!("{}单元东侧车棚", 1 + i % 4),
        token_hash,
        due_at,
        warn_at: due_at - 2 * 3_600_000,
        escalate_at: due_at + 24 * 3_600_000,
        snapshot: format!(
            "{{\"state\":\"reported\",\"version\":1,\"reporter\":{{\"kind\":\"user\",\"user_id\":1}},\"reported_at\":\"{at}\",\"reject_reason\":null,\"lead_org\":null,\"co_handlers\":[],\"evidence\":[],\"rework_count\":0,\"reopen_count\":0,\"suspension_request\":null,\"suspensions\":[],\"supervised\":false,\"at_joint_meeting\":false,\"close_kind\":null,\"closed_at\":null,\"rating\":null}}"
        ),
        event: format!(
            "{{\"actor\":{{\"kind\":\"user\",\"user_id\":1,\"role\":\"zone_admin\"}},\"at\":\"{at}\",\"from\":null,\"to\":\"reported\",\"command\":{{\"action\":\"report\"}}}}"
        ),
    }
}

/// The statements of one backend.
trait RawDb {
    fn begin(&mut self) -> Result<()>;
    fn commit(&mut self) -> Result<()>;
    fn next_number(&mut self, day: i64) -> Result<i64>;
    fn insert_case(&mut self, c: &RawCase, tracking_no: &str) -> Result<i64>;
    fn insert_event(&mut self, case_id: i64, c: &RawCase) -> Result<()>;
    /// Flags `case_id` with `candidates` (`same_compound`, no distance).
    fn insert_duplicates(&mut self, case_id: i64, candidates: &[i64]) -> Result<()>;
    fn insert_audit(&mut self, seq: i64, case_id: i64, c: &RawCase, e: &AuditRow) -> Result<()>;
    /// Adds `received` to one row of `case_counters` (`monthly`: of
    /// `case_counters_month`).
    fn bump(&mut self, monthly: bool, unit: i64, period: i64, received: i64) -> Result<()>;
    fn audit_head(&mut self, seq: i64, hash: &str) -> Result<()>;
    /// Checks that every row is there; `flags` is the number of duplicate
    /// flags written.
    fn check(&mut self, cases: usize, flags: usize) -> Result<()>;
}

struct AuditRow {
    detail: String,
    prev_hash: String,
    hash: String,
}

/// Writes `cases` cases, `ROWS_PER_TX` per transaction, and checks them.
fn raw_run(db: &mut dyn RawDb, cases: usize) -> Result<RawResult> {
    let mut rng = SplitMix64::new(0x5eed_cafe);
    // The audit chain's end and the newest case ids (for the duplicate
    // flags), kept here: the baseline is the only writer.
    let mut audit_seq = 0i64;
    let mut audit_hash = "0".repeat(64);
    let mut recent: std::collections::VecDeque<i64> =
        std::collections::VecDeque::with_capacity(DUP_FLAGS);
    let mut candidates: Vec<i64> = Vec::with_capacity(DUP_FLAGS);
    let mut flags = 0usize;
    let mut writes = 0usize;
    let started = Instant::now();
    let mut i = 0;
    while i < cases {
        db.begin()?;
        // (local day, received) of this transaction's cases.
        let mut days: BTreeMap<i64, i64> = BTreeMap::new();
        let end = (i + ROWS_PER_TX).min(cases);
        while i < end {
            let c = raw_case(i, &mut rng);
            let n = db.next_number(c.day)?;
            let tracking_no = format!("WG-{}-{n:05}", c.day);
            let id = db.insert_case(&c, &tracking_no)?;
            db.insert_event(id, &c)?;
            // Intake flags the newest open cases first.
            candidates.clear();
            candidates.extend(recent.iter().rev());
            if !candidates.is_empty() {
                db.insert_duplicates(id, &candidates)?;
            }
            audit_seq += 1;
            let e = AuditRow {
                detail: format!(
                    "{{\"category\":\"0601\",\"confidential\":false,\"possible_duplicates\":{},\"source\":\"staff\",\"tracking_no\":\"{tracking_no}\"}}",
                    candidates.len()
                ),
                prev_hash: std::mem::take(&mut audit_hash),
                hash: hex64(&mut rng),
            };
            db.insert_audit(audit_seq, id, &c, &e)?;
            audit_hash = e.hash;
            writes += 4 + candidates.len();
            flags += candidates.len();
            if recent.len() == DUP_FLAGS {
                recent.pop_front();
            }
            recent.push_back(id);
            *days.entry(c.day).or_default() += 1;
            i += 1;
        }
        // The transaction's counter deltas, summed: each row once.
        let mut months: BTreeMap<i64, i64> = BTreeMap::new();
        for (day, n) in &days {
            *months.entry(day / 100).or_default() += n;
            for unit in UNITS {
                db.bump(false, unit, *day, *n)?;
                writes += 1;
            }
        }
        for (month, n) in &months {
            for unit in UNITS {
                db.bump(true, unit, *month, *n)?;
                writes += 1;
            }
        }
        db.audit_head(audit_seq, &audit_hash)?;
        writes += 1;
        db.commit()?;
    }
    let secs = started.elapsed().as_secs_f64();
    db.check(cases, flags)?;
    Ok(RawResult {
        rows: cases,
        writes,
        secs,
    })
}

struct RawSqlite {
    conn: rusqlite::Connection,
    next_number: String,
    insert_case: String,
    insert_event: String,
    insert_dup: String,
    insert_audit: String,
    bump_day: String,
    bump_month: String,
    audit_head: String,
}

impl RawDb for RawSqlite {
    fn begin(&mut self) -> Result<()> {
        Ok(self.conn.execute_batch("BEGIN IMMEDIATE")?)
    }

    fn commit(&mut self) -> Result<()> {
        Ok(self.conn.execute_batch("COMMIT")?)
    }

    fn next_number(&mut self, day: i64) -> Result<i64> {
        let mut st = self.conn.prepare_cached(&self.next_number)?;
        Ok(st.query_row([day], |r| r.get(0))?)
    }

    fn insert_case(&mut self, c: &RawCase, tracking_no: &str) -> Result<i64> {
        let mut st = self.conn.prepare_cached(&self.insert_case)?;
        Ok(st.query_row(
            rusqlite::params![
                tracking_no,
                CATEGORY,
                BUILDING,
                c.description,
                c.address,
                c.token_hash,
                c.now,
                c.due_at,
                c.warn_at,
                c.escalate_at,
                c.snapshot
            ],
            |r| r.get(0),
        )?)
    }

    fn insert_event(&mut self, case_id: i64, c: &RawCase) -> Result<()> {
        let mut st = self.conn.prepare_cached(&self.insert_event)?;
        st.execute(rusqlite::params![case_id, c.now, c.event])?;
        Ok(())
    }

    fn insert_duplicates(&mut self, case_id: i64, candidates: &[i64]) -> Result<()> {
        // One prepared single-row insert per flag: without round trips, the
        // plain way on SQLite.
        let mut st = self.conn.prepare_cached(&self.insert_dup)?;
        for other in candidates {
            st.execute([case_id, *other])?;
        }
        Ok(())
    }

    fn insert_audit(&mut self, seq: i64, case_id: i64, c: &RawCase, e: &AuditRow) -> Result<()> {
        let mut st = self.conn.prepare_cached(&self.insert_audit)?;
        st.execute(rusqlite::params![
            seq,
            c.now,
            case_id,
            e.detail,
            e.prev_hash,
            e.hash
        ])?;
        Ok(())
    }

    fn bump(&mut self, monthly: bool, unit: i64, period: i64, received: i64) -> Result<()> {
        let sql = if monthly {
            &self.bump_month
        } else {
            &self.bump_day
        };
        let mut st = self.conn.prepare_cached(sql)?;
        st.execute([unit, period, CATEGORY, received])?;
        Ok(())
    }

    fn audit_head(&mut self, seq: i64, hash: &str) -> Result<()> {
        let mut st = self.conn.prepare_cached(&self.audit_head)?;
        st.execute(rusqlite::params![seq, hash])?;
        Ok(())
    }

    fn check(&mut self, cases: usize, flags: usize) -> Result<()> {
        let count = |c: &rusqlite::Connection, sql: &str| -> Result<i64> {
            Ok(c.query_row(sql, [], |r| r.get(0))?)
        };
        let c = &self.conn;
        raw_check(
            cases,
            flags,
            [
                count(c, "SELECT COUNT(*) FROM cases")?,
                count(c, "SELECT COUNT(*) FROM case_events")?,
                count(c, "SELECT COUNT(*) FROM audit_log")?,
                count(c, "SELECT COUNT(*) FROM case_duplicates")?,
                count(
                    c,
                    "SELECT COALESCE(SUM(received), 0) FROM case_counters WHERE unit_id = 1",
                )?,
                count(
                    c,
                    "SELECT COALESCE(SUM(received), 0) FROM case_counters_month WHERE unit_id = 1",
                )?,
            ],
        )
    }
}

/// No row lost: cases, events, audit entries, flags, and the zone's counters.
fn raw_check(cases: usize, flags: usize, got: [i64; 6]) -> Result<()> {
    let n = cases as i64;
    let want = [n, n, n, flags as i64, n, n];
    anyhow::ensure!(
        got == want,
        "the raw baseline lost rows: cases, events, audit entries, duplicate flags, zone received (daily, monthly) = {got:?}, expected {want:?}"
    );
    Ok(())
}

pub(super) fn raw_sqlite(dir: &Path, rows: usize) -> Result<RawResult> {
    let path = dir.join("raw-cases.db");
    let conn = rusqlite::Connection::open(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    // The settings of Wangge's SQLite connections: WAL, synchronous=FULL
    // (foreign_keys=ON too, but these tables have none).
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-32000;
         PRAGMA temp_store=MEMORY;",
    )?;
    conn.execute_batch(&raw_ddl(Backend::Sqlite))?;
    let mut db = RawSqlite {
        conn,
        next_number: sqlite_marks(NEXT_NUMBER),
        insert_case: sqlite_marks(INSERT_CASE),
        insert_event: sqlite_marks(INSERT_EVENT),
        insert_dup: "INSERT INTO case_duplicates (case_id, candidate_id, reason, distance_m)
            VALUES (?1, ?2, 'same_compound', NULL)"
            .to_string(),
        insert_audit: sqlite_marks(INSERT_AUDIT),
        bump_day: sqlite_marks(&counter_upsert("case_counters", "day")),
        bump_month: sqlite_marks(&counter_upsert("case_counters_month", "month")),
        audit_head: sqlite_marks(AUDIT_HEAD),
    };
    let out = raw_run(&mut db, rows);
    drop(db);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    out
}

struct RawPostgres<'a> {
    client: &'a mut postgres::Client,
    next_number: postgres::Statement,
    insert_case: postgres::Statement,
    insert_event: postgres::Statement,
    insert_dup: postgres::Statement,
    insert_audit: postgres::Statement,
    bump_day: postgres::Statement,
    bump_month: postgres::Statement,
    audit_head: postgres::Statement,
}

impl RawDb for RawPostgres<'_> {
    fn begin(&mut self) -> Result<()> {
        Ok(self.client.batch_execute("BEGIN")?)
    }

    fn commit(&mut self) -> Result<()> {
        Ok(self.client.batch_execute("COMMIT")?)
    }

    fn next_number(&mut self, day: i64) -> Result<i64> {
        Ok(self
            .client
            .query_one(&self.next_number, &[&day])?
            .try_get(0)?)
    }

    fn insert_case(&mut self, c: &RawCase, tracking_no: &str) -> Result<i64> {
        Ok(self
            .client
            .query_one(
                &self.insert_case,
                &[
                    &tracking_no,
                    &CATEGORY,
                    &BUILDING,
                    &c.description,
                    &c.address,
                    &c.token_hash,
                    &c.now,
                    &c.due_at,
                    &c.warn_at,
                    &c.escalate_at,
                    &c.snapshot,
                ],
            )?
            .try_get(0)?)
    }

    fn insert_event(&mut self, case_id: i64, c: &RawCase) -> Result<()> {
        self.client
            .execute(&self.insert_event, &[&case_id, &c.now, &c.event])?;
        Ok(())
    }

    fn insert_duplicates(&mut self, case_id: i64, candidates: &[i64]) -> Result<()> {
        // All of a case's flags in one statement (one round trip), as intake
        // writes them in one multi-row insert.
        self.client
            .execute(&self.insert_dup, &[&case_id, &candidates])?;
        Ok(())
    }

    fn insert_audit(&mut self, seq: i64, case_id: i64, c: &RawCase, e: &AuditRow) -> Result<()> {
        self.client.execute(
            &self.insert_audit,
            &[&seq, &c.now, &case_id, &e.detail, &e.prev_hash, &e.hash],
        )?;
        Ok(())
    }

    fn bump(&mut self, monthly: bool, unit: i64, period: i64, received: i64) -> Result<()> {
        let st = if monthly {
            &self.bump_month
        } else {
            &self.bump_day
        };
        self.client
            .execute(st, &[&unit, &period, &CATEGORY, &received])?;
        Ok(())
    }

    fn audit_head(&mut self, seq: i64, hash: &str) -> Result<()> {
        self.client.execute(&self.audit_head, &[&seq, &hash])?;
        Ok(())
    }

    fn check(&mut self, cases: usize, flags: usize) -> Result<()> {
        let mut count =
            |sql: &str| -> Result<i64> { Ok(self.client.query_one(sql, &[])?.try_get(0)?) };
        let got = [
            count("SELECT COUNT(*) FROM cases")?,
            count("SELECT COUNT(*) FROM case_events")?,
            count("SELECT COUNT(*) FROM audit_log")?,
            count("SELECT COUNT(*) FROM case_duplicates")?,
            count("SELECT COALESCE(SUM(received), 0)::BIGINT FROM case_counters WHERE unit_id = 1")?,
            count("SELECT COALESCE(SUM(received), 0)::BIGINT FROM case_counters_month WHERE unit_id = 1")?,
        ];
        raw_check(cases, flags, got)
    }
}

pub(super) fn raw_postgres(url: &str, rows: usize) -> Result<RawResult> {
    let schema = format!("wangge_bench_cases_raw_{}", std::process::id());
    let mut client = postgres::Client::connect(url, postgres::NoTls)
        .with_context(|| format!("cannot connect to {url}"))?;
    client.batch_execute(&format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; SET search_path = {schema};"
    ))?;
    let out = (|| -> Result<RawResult> {
        client.batch_execute(&raw_ddl(Backend::Postgres))?;
        let mut db = RawPostgres {
            next_number: client.prepare(NEXT_NUMBER)?,
            insert_case: client.prepare(INSERT_CASE)?,
            insert_event: client.prepare(INSERT_EVENT)?,
            insert_dup: client.prepare(
                "INSERT INTO case_duplicates (case_id, candidate_id, reason, distance_m)
                 SELECT $1, c, 'same_compound', NULL FROM unnest($2::BIGINT[]) AS c",
            )?,
            insert_audit: client.prepare(INSERT_AUDIT)?,
            bump_day: client.prepare(&counter_upsert("case_counters", "day"))?,
            bump_month: client.prepare(&counter_upsert("case_counters_month", "month"))?,
            audit_head: client.prepare(AUDIT_HEAD)?,
            client: &mut client,
        };
        raw_run(&mut db, rows)
    })();
    client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))?;
    out
}
