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
//! | `audit_head` | | 2 updates (seq, hash); on PostgreSQL also a no-op `SET seq = seq` first (a row lock that orders its writers) |
//! | `case_counters` | `received` + 1 on 5 rows: one per ancestor (zone, street, community, compound, building) for (local day, category) | summed: 5 upserts |
//! | `case_counters_month` | the same 5 rows per (local month, category) | summed: 5 upserts |
//! | `idempotency_keys` | none: the benchmark sends no `Idempotency-Key` | |
//! | histogram, escalation roll-ups | none: a report has neither | |
//!
//! (`api_tokens.last_used` is also updated at most once a minute.) What
//! intake reads (category, unit, the duplicate search, the answer) is left out,
//! and so is the no-op lock of `audit_head`: it changes no data.
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
//!
//! The database is made as the intake phase's is: `BenchStore::open` runs
//! Wangge's migrations, and the same setup (`small_tree`, `bench_token`) adds
//! the categories, the unit tree and the benchmark's account. So the tables,
//! indexes, unique constraints and foreign keys are Wangge's, and both backends
//! check the foreign keys on every row as they do for intake. The ids the rows
//! refer to (the five units, category `0601`, the account as the case's
//! `reporter_user_id`) are read from that database once, before the clock
//! starts, and the audit chain goes on from the head the setup left. Then the
//! store is closed and the rows are written through one plain connection with
//! Wangge's settings: on SQLite WAL, `synchronous=FULL`, `foreign_keys=ON`,
//! `cache_size=-32000` and `temp_store=MEMORY`; on PostgreSQL the server's
//! defaults (so its `synchronous_commit`). The database is removed afterwards.

use super::*;

mod sql;
use sql::*;

pub(super) const ROWS_PER_TX: usize = 100;

/// Duplicate flags per case, as intake writes them once 20 open cases of the
/// category exist in the compound (`MAX_FLAGGED` in `cases/duplicates.rs`).
pub(super) const DUP_FLAGS: usize = 20;

/// The ids the rows refer to, read from the store the setup made.
#[derive(Debug, Clone, Copy)]
struct Refs {
    /// The small tree's units, zone → building: each case lives at the
    /// building and counts at all five.
    units: [i64; 5],
    /// Category `0601`.
    category: i64,
    /// The benchmark's account: a staff report's reporter.
    user: i64,
}

impl Refs {
    fn building(&self) -> i64 {
        self.units[4]
    }
}

/// A unit's materialized path (`/1/5/23/`) as its ids, root first.
fn path_ids(path: &str) -> Result<Vec<i64>> {
    path.split('/')
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<i64>()
                .with_context(|| format!("bad unit path {path:?}"))
        })
        .collect()
}

fn small_tree_units(path: &str) -> Result<[i64; 5]> {
    let ids = path_ids(path)?;
    ids.as_slice()
        .try_into()
        .map_err(|_| anyhow!("the small tree's building has path {path:?}, not five units"))
}

/// What the baseline writes, for the report.
pub(super) const RAW_WRITES: &str = "per case: the case, its `report` event, 20 duplicate flags, an audit entry and the tracking-number upsert; per transaction: 5 daily and 5 monthly counter upserts (the 5 ancestor units, summed over the transaction as Wangge does) and the audit head; into a store made by Wangge's migrations, foreign keys checked";

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

fn raw_case(i: usize, user: i64, rng: &mut SplitMix64) -> RawCase {
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
            "{{\"state\":\"reported\",\"version\":1,\"reporter\":{{\"kind\":\"user\",\"user_id\":{user}}},\"reported_at\":\"{at}\",\"reject_reason\":null,\"lead_org\":null,\"co_handlers\":[],\"evidence\":[],\"rework_count\":0,\"reopen_count\":0,\"suspension_request\":null,\"suspensions\":[],\"supervised\":false,\"at_joint_meeting\":false,\"close_kind\":null,\"closed_at\":null,\"rating\":null}}"
        ),
        event: format!(
            "{{\"actor\":{{\"kind\":\"user\",\"user_id\":{user},\"role\":\"zone_admin\"}},\"at\":\"{at}\",\"from\":null,\"to\":\"reported\",\"command\":{{\"action\":\"report\"}}}}"
        ),
    }
}

/// The statements of one backend.
trait RawDb {
    /// The ids the rows refer to; `building` is the small tree's building code.
    fn refs(&mut self, building: &str) -> Result<Refs>;
    /// The audit chain's end: its seq and hash.
    fn audit_end(&mut self) -> Result<(i64, String)>;
    fn begin(&mut self) -> Result<()>;
    fn commit(&mut self) -> Result<()>;
    fn next_number(&mut self, day: i64) -> Result<i64>;
    fn insert_case(&mut self, c: &RawCase, tracking_no: &str, refs: &Refs) -> Result<i64>;
    fn insert_event(&mut self, case_id: i64, c: &RawCase) -> Result<()>;
    /// Flags `case_id` with `candidates` (`same_compound`, no distance).
    fn insert_duplicates(&mut self, case_id: i64, candidates: &[i64]) -> Result<()>;
    fn insert_audit(&mut self, seq: i64, case_id: i64, c: &RawCase, e: &AuditRow) -> Result<()>;
    /// Adds `received` to one row of `case_counters` (`monthly`: of
    /// `case_counters_month`).
    fn bump(
        &mut self,
        monthly: bool,
        unit: i64,
        period: i64,
        category: i64,
        received: i64,
    ) -> Result<()>;
    fn audit_head(&mut self, seq: i64, hash: &str) -> Result<()>;
    /// Rows in the tables the baseline writes: cases, events, audit entries,
    /// duplicate flags, and `received` summed over `zone`'s daily and monthly
    /// counters. Taken before and after the run, so rows the setup wrote are
    /// not counted.
    fn counts(&mut self, zone: i64) -> Result<[i64; 6]>;
}

struct AuditRow {
    detail: String,
    prev_hash: String,
    hash: String,
}

/// The baseline's own state between transactions: the ids the rows refer to,
/// the audit chain's end and the newest case ids (for the duplicate flags),
/// kept here because the baseline is the only writer.
struct RawWriter {
    refs: Refs,
    rng: SplitMix64,
    audit_seq: i64,
    audit_hash: String,
    recent: std::collections::VecDeque<i64>,
    candidates: Vec<i64>,
    written: usize,
    flags: usize,
    writes: usize,
}

impl RawWriter {
    fn new(db: &mut dyn RawDb, building: &str) -> Result<RawWriter> {
        let refs = db.refs(building)?;
        let (audit_seq, audit_hash) = db.audit_end()?;
        Ok(RawWriter {
            refs,
            rng: SplitMix64::new(0x5eed_cafe),
            audit_seq,
            audit_hash,
            recent: std::collections::VecDeque::with_capacity(DUP_FLAGS),
            candidates: Vec::with_capacity(DUP_FLAGS),
            written: 0,
            flags: 0,
            writes: 0,
        })
    }

    /// Writes `n` cases in one durable transaction.
    fn transaction(&mut self, db: &mut dyn RawDb, n: usize) -> Result<()> {
        let refs = self.refs;
        db.begin()?;
        // (local day, received) of this transaction's cases.
        let mut days: BTreeMap<i64, i64> = BTreeMap::new();
        for _ in 0..n {
            let c = raw_case(self.written, refs.user, &mut self.rng);
            let number = db.next_number(c.day)?;
            let tracking_no = format!("WG-{}-{number:05}", c.day);
            let id = db.insert_case(&c, &tracking_no, &refs)?;
            db.insert_event(id, &c)?;
            // Intake flags the newest open cases first.
            self.candidates.clear();
            self.candidates.extend(self.recent.iter().rev());
            if !self.candidates.is_empty() {
                db.insert_duplicates(id, &self.candidates)?;
            }
            self.audit_seq += 1;
            let e = AuditRow {
                detail: format!(
                    "{{\"category\":\"0601\",\"confidential\":false,\"possible_duplicates\":{},\"source\":\"staff\",\"tracking_no\":\"{tracking_no}\"}}",
                    self.candidates.len()
                ),
                prev_hash: std::mem::take(&mut self.audit_hash),
                hash: hex64(&mut self.rng),
            };
            db.insert_audit(self.audit_seq, id, &c, &e)?;
            self.audit_hash = e.hash;
            self.writes += 4 + self.candidates.len();
            self.flags += self.candidates.len();
            if self.recent.len() == DUP_FLAGS {
                self.recent.pop_front();
            }
            self.recent.push_back(id);
            *days.entry(c.day).or_default() += 1;
            self.written += 1;
        }
        // The transaction's counter deltas, summed: each row once.
        let mut months: BTreeMap<i64, i64> = BTreeMap::new();
        for (day, n) in &days {
            *months.entry(day / 100).or_default() += n;
            for unit in refs.units {
                db.bump(false, unit, *day, refs.category, *n)?;
                self.writes += 1;
            }
        }
        for (month, n) in &months {
            for unit in refs.units {
                db.bump(true, unit, *month, refs.category, *n)?;
                self.writes += 1;
            }
        }
        db.audit_head(self.audit_seq, &self.audit_hash)?;
        self.writes += 1;
        db.commit()
    }
}

/// Writes `cases` cases into the store whose small tree has the building
/// `building`, and checks them. With `clients` of 0, `ROWS_PER_TX` per
/// transaction as fast as the database takes them; otherwise `clients`
/// threads each ask for one case at a time and wait for it, and each
/// transaction takes every case asked for meanwhile (up to `ROWS_PER_TX`): the
/// group commit of intake without its application code, so that its latency
/// is intake's baseline at the same concurrency.
fn raw_run(
    db: &mut dyn RawDb,
    building: &str,
    cases: usize,
    clients: usize,
) -> Result<(RawResult, Latency)> {
    let mut w = RawWriter::new(db, building)?;
    let zone = w.refs.units[0];
    let before = db.counts(zone)?;
    let started = Instant::now();
    let latency = if clients == 0 {
        while w.written < cases {
            w.transaction(db, ROWS_PER_TX.min(cases - w.written))?;
        }
        Latency::default()
    } else {
        group_commit(db, &mut w, cases, clients)?
    };
    let secs = started.elapsed().as_secs_f64();
    let after = db.counts(zone)?;
    raw_check(cases, w.flags, before, after)?;
    Ok((
        RawResult {
            rows: cases,
            writes: w.writes,
            secs,
        },
        latency,
    ))
}

/// The writer of [`raw_run`] fed by `clients` waiting threads; answers the
/// clients' latencies.
fn group_commit(
    db: &mut dyn RawDb,
    w: &mut RawWriter,
    cases: usize,
    clients: usize,
) -> Result<Latency> {
    use std::sync::mpsc;
    let (ask, asked) = mpsc::channel::<mpsc::Sender<()>>();
    let next = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let (ask, next) = (ask.clone(), next.clone());
            std::thread::spawn(move || {
                let (reply, answered) = mpsc::channel();
                let mut samples = Vec::new();
                while next.fetch_add(1, Ordering::Relaxed) < cases {
                    let t = Instant::now();
                    if ask.send(reply.clone()).is_err() || answered.recv().is_err() {
                        break;
                    }
                    samples.push(t.elapsed());
                }
                samples
            })
        })
        .collect();
    drop(ask);
    let mut failed = None;
    while let Ok(first) = asked.recv() {
        let mut batch = vec![first];
        while batch.len() < ROWS_PER_TX {
            match asked.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        if let Err(e) = w.transaction(db, batch.len()) {
            // Dropping the batch's reply senders ends every client.
            failed = Some(e);
            break;
        }
        for r in &batch {
            let _ = r.send(());
        }
    }
    drop(asked);
    let mut samples = Vec::new();
    for t in threads {
        samples.extend(t.join().map_err(|_| anyhow!("a raw client panicked"))?);
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(Latency::of(samples)),
    }
}

struct RawSqlite {
    conn: rusqlite::Connection,
    unit_path: String,
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
    fn refs(&mut self, building: &str) -> Result<Refs> {
        let c = &self.conn;
        let path: String = c
            .query_row(&self.unit_path, [building], |r| r.get(0))
            .with_context(|| format!("no unit {building}"))?;
        Ok(Refs {
            units: small_tree_units(&path)?,
            category: c
                .query_row(CATEGORY_ID, [], |r| r.get(0))
                .context("no category 0601")?,
            user: c
                .query_row(USER_ID, [], |r| r.get(0))
                .context("no benchmark account")?,
        })
    }

    fn audit_end(&mut self) -> Result<(i64, String)> {
        Ok(self
            .conn
            .query_row(AUDIT_END, [], |r| Ok((r.get(0)?, r.get(1)?)))?)
    }

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

    fn insert_case(&mut self, c: &RawCase, tracking_no: &str, refs: &Refs) -> Result<i64> {
        let mut st = self.conn.prepare_cached(&self.insert_case)?;
        Ok(st.query_row(
            rusqlite::params![
                tracking_no,
                refs.category,
                refs.building(),
                c.description,
                c.address,
                c.token_hash,
                c.now,
                c.due_at,
                c.warn_at,
                c.escalate_at,
                c.snapshot,
                refs.user
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

    fn bump(
        &mut self,
        monthly: bool,
        unit: i64,
        period: i64,
        category: i64,
        received: i64,
    ) -> Result<()> {
        let sql = if monthly {
            &self.bump_month
        } else {
            &self.bump_day
        };
        let mut st = self.conn.prepare_cached(sql)?;
        st.execute([unit, period, category, received])?;
        Ok(())
    }

    fn audit_head(&mut self, seq: i64, hash: &str) -> Result<()> {
        let mut st = self.conn.prepare_cached(&self.audit_head)?;
        st.execute(rusqlite::params![seq, hash])?;
        Ok(())
    }

    fn counts(&mut self, zone: i64) -> Result<[i64; 6]> {
        let c = &self.conn;
        let count = |sql: &str| -> Result<i64> { Ok(c.query_row(sql, [], |r| r.get(0))?) };
        let received = |table: &str| -> Result<i64> {
            Ok(c.query_row(
                &format!("SELECT COALESCE(SUM(received), 0) FROM {table} WHERE unit_id = ?1"),
                [zone],
                |r| r.get(0),
            )?)
        };
        Ok([
            count("SELECT COUNT(*) FROM cases")?,
            count("SELECT COUNT(*) FROM case_events")?,
            count("SELECT COUNT(*) FROM audit_log")?,
            count("SELECT COUNT(*) FROM case_duplicates")?,
            received("case_counters")?,
            received("case_counters_month")?,
        ])
    }
}

/// No row lost: cases, events, audit entries, flags, and the zone's counters
/// that the run added (`after` less `before`).
fn raw_check(cases: usize, flags: usize, before: [i64; 6], after: [i64; 6]) -> Result<()> {
    let n = cases as i64;
    let want = [n, n, n, flags as i64, n, n];
    let mut got = [0i64; 6];
    for (g, (a, b)) in got.iter_mut().zip(after.iter().zip(before.iter())) {
        *g = a - b;
    }
    anyhow::ensure!(
        got == want,
        "the raw baseline lost rows: cases, events, audit entries, duplicate flags, zone received (daily, monthly) = {got:?}, expected {want:?}"
    );
    Ok(())
}

/// The raw baseline on `backend`: a store made as intake's is,
/// `args.raw_rows` cases written into it through a plain connection, then the
/// store removed.
pub(super) fn raw_baseline(
    args: &Args,
    backend: Backend,
    workdir: &Path,
    rt: &tokio::runtime::Runtime,
    clients: usize,
) -> Result<(RawResult, Latency)> {
    let bench = BenchStore::open(args, backend, workdir, "raw")?;
    let setup = rt.block_on(async {
        let building = small_tree(&bench.store).await?;
        bench_token(&bench.store).await?;
        Ok::<String, anyhow::Error>(building)
    });
    let place = bench.place.clone();
    drop(bench.store);
    let out = setup.and_then(|building| match backend {
        Backend::Sqlite => raw_sqlite(&place, &building, args.raw_rows, clients),
        Backend::Postgres => raw_postgres(&place, &building, args.raw_rows, clients),
    });
    cleanup(place);
    out
}

fn raw_sqlite(
    place: &Place,
    building: &str,
    rows: usize,
    clients: usize,
) -> Result<(RawResult, Latency)> {
    let conn = place.sqlite()?;
    // The settings of Wangge's SQLite connections (`db/sqlite.rs`).
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;
         PRAGMA cache_size=-32000; PRAGMA temp_store=MEMORY;",
    )?;
    let mut db = RawSqlite {
        conn,
        unit_path: sqlite_marks(UNIT_PATH),
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
    raw_run(&mut db, building, rows, clients)
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
    fn refs(&mut self, building: &str) -> Result<Refs> {
        let path: String = self
            .client
            .query_opt(UNIT_PATH, &[&building])?
            .with_context(|| format!("no unit {building}"))?
            .try_get(0)?;
        let category: i64 = self
            .client
            .query_opt(CATEGORY_ID, &[])?
            .context("no category 0601")?
            .try_get(0)?;
        let user: i64 = self
            .client
            .query_opt(USER_ID, &[])?
            .context("no benchmark account")?
            .try_get(0)?;
        Ok(Refs {
            units: small_tree_units(&path)?,
            category,
            user,
        })
    }

    fn audit_end(&mut self) -> Result<(i64, String)> {
        let row = self.client.query_one(AUDIT_END, &[])?;
        Ok((row.try_get(0)?, row.try_get(1)?))
    }

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

    fn insert_case(&mut self, c: &RawCase, tracking_no: &str, refs: &Refs) -> Result<i64> {
        Ok(self
            .client
            .query_one(
                &self.insert_case,
                &[
                    &tracking_no,
                    &refs.category,
                    &refs.building(),
                    &c.description,
                    &c.address,
                    &c.token_hash,
                    &c.now,
                    &c.due_at,
                    &c.warn_at,
                    &c.escalate_at,
                    &c.snapshot,
                    &refs.user,
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

    fn bump(
        &mut self,
        monthly: bool,
        unit: i64,
        period: i64,
        category: i64,
        received: i64,
    ) -> Result<()> {
        let st = if monthly {
            &self.bump_month
        } else {
            &self.bump_day
        };
        self.client
            .execute(st, &[&unit, &period, &category, &received])?;
        Ok(())
    }

    fn audit_head(&mut self, seq: i64, hash: &str) -> Result<()> {
        self.client.execute(&self.audit_head, &[&seq, &hash])?;
        Ok(())
    }

    fn counts(&mut self, zone: i64) -> Result<[i64; 6]> {
        let mut count =
            |sql: &str, params: &[&(dyn postgres::types::ToSql + Sync)]| -> Result<i64> {
                Ok(self.client.query_one(sql, params)?.try_get(0)?)
            };
        Ok([
            count("SELECT COUNT(*) FROM cases", &[])?,
            count("SELECT COUNT(*) FROM case_events", &[])?,
            count("SELECT COUNT(*) FROM audit_log", &[])?,
            count("SELECT COUNT(*) FROM case_duplicates", &[])?,
            count(
                "SELECT COALESCE(SUM(received), 0)::BIGINT FROM case_counters WHERE unit_id = $1",
                &[&zone],
            )?,
            count(
                "SELECT COALESCE(SUM(received), 0)::BIGINT FROM case_counters_month WHERE unit_id = $1",
                &[&zone],
            )?,
        ])
    }
}

fn raw_postgres(
    place: &Place,
    building: &str,
    rows: usize,
    clients: usize,
) -> Result<(RawResult, Latency)> {
    // The server's default settings; `search_path` is the store's schema.
    let mut client = place.postgres()?;
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
    raw_run(&mut db, building, rows, clients)
}
