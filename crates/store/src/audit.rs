//! The audit log: who did what, when, from where; never the personal values
//! themselves, only which fields changed. Each entry is chained to the previous
//! one by a SHA-256 hash, so a changed, deleted or reordered entry is detected by
//! [`verify`].

use crate::ctx::{ms_to_time, Ctx};
use crate::db::{Conn, Row, Value};
use crate::error::Result;
use crate::params;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use time::OffsetDateTime;

struct Content<'a> {
    seq: i64,
    at: i64,
    actor: &'a str,
    client_addr: Option<&'a str>,
    entity: &'a str,
    entity_id: i64,
    action: &'a str,
    detail: &'a str,
}

/// The hash of an entry: over every field and the previous entry's hash, each
/// field length-prefixed so that no two different entries share an encoding.
fn entry_hash(prev: &str, e: &Content<'_>) -> String {
    let mut h = Sha256::new();
    let mut field = |b: &[u8]| {
        h.update((b.len() as u64).to_be_bytes());
        h.update(b);
    };
    field(prev.as_bytes());
    field(&e.seq.to_be_bytes());
    field(&e.at.to_be_bytes());
    field(e.actor.as_bytes());
    field(e.client_addr.unwrap_or("").as_bytes());
    field(e.entity.as_bytes());
    field(&e.entity_id.to_be_bytes());
    field(e.action.as_bytes());
    field(e.detail.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// An entry waiting for its place in the chain.
struct Pending {
    at: i64,
    actor: String,
    client_addr: Option<String>,
    entity: String,
    entity_id: i64,
    action: String,
    detail: String,
}

thread_local! {
    /// On a writer thread during a transaction: the entries its writes have
    /// recorded, chained and inserted together just before the commit
    /// ([`deferred`]). Elsewhere (migrations, the command line, tests on a
    /// bare connection) `None`, and entries are written at once.
    static PENDING: RefCell<Option<Vec<Pending>>> = const { RefCell::new(None) };
}

/// Appends an entry in the caller's transaction.
pub fn record(
    c: &mut dyn Conn,
    ctx: &Ctx,
    entity: &str,
    entity_id: i64,
    action: &str,
    detail: serde_json::Value,
) -> Result<()> {
    let entry = Pending {
        at: ctx.now_ms(),
        actor: ctx.actor.clone(),
        client_addr: ctx.client_addr.clone(),
        entity: entity.to_string(),
        entity_id,
        action: action.to_string(),
        detail: detail.to_string(),
    };
    let entry = PENDING.with_borrow_mut(|p| match p {
        Some(list) => {
            list.push(entry);
            None
        }
        None => Some(entry),
    });
    match entry {
        Some(e) => append(c, vec![e]),
        None => Ok(()),
    }
}

/// Rows per multi-row insert: 10 parameters each.
const CHUNK: usize = 50;

/// Chains `entries` after the head and inserts them. Taking the head row's
/// lock orders concurrent writers into one chain; it is held to the commit,
/// so it is taken last.
fn append(c: &mut dyn Conn, entries: Vec<Pending>) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let head = c.query_one(
        "UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash",
        params![entries.len() as i64],
    )?;
    let last: i64 = head.get(0)?;
    let mut prev: String = head.get(1)?;
    let mut seq = last - entries.len() as i64;
    let mut rows: Vec<Vec<Value>> = Vec::with_capacity(entries.len());
    for e in entries {
        seq += 1;
        let hash = entry_hash(
            &prev,
            &Content {
                seq,
                at: e.at,
                actor: &e.actor,
                client_addr: e.client_addr.as_deref(),
                entity: &e.entity,
                entity_id: e.entity_id,
                action: &e.action,
                detail: &e.detail,
            },
        );
        rows.push(vec![
            seq.into(),
            e.at.into(),
            e.actor.into(),
            e.client_addr.into(),
            e.entity.into(),
            e.entity_id.into(),
            e.action.into(),
            e.detail.into(),
            prev.into(),
            hash.clone().into(),
        ]);
        prev = hash;
    }
    for chunk in rows.chunks(CHUNK) {
        let tuples: Vec<String> = (0..chunk.len())
            .map(|r| {
                let marks: Vec<String> = (1..=10).map(|i| format!("${}", r * 10 + i)).collect();
                format!("({})", marks.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO audit_log (seq, at, actor, client_addr, entity, entity_id, action, detail, prev_hash, hash) VALUES {}",
            tuples.join(", ")
        );
        let args: Vec<Value> = chunk.iter().flatten().cloned().collect();
        c.execute(&sql, &args)?;
    }
    c.execute(
        "UPDATE audit_head SET hash = $1 WHERE id = 1",
        params![prev],
    )?;
    Ok(())
}

/// The writer's side of deferred entries: one chain update per transaction
/// instead of three statements per entry, and the head row locked only from
/// just before the commit.
pub(crate) mod deferred {
    use super::{append, PENDING};
    use crate::db::{Backend, Conn};
    use crate::error::Result;
    use std::cell::Cell;

    thread_local! {
        /// In a writer's transaction that holds the chain's lock: how many
        /// entries waited when it was taken (see [`lock_chain`]).
        static LOCKED_AT: Cell<Option<usize>> = const { Cell::new(None) };
    }

    /// Takes the audit chain's lock before anything else a write touches.
    /// With several PostgreSQL writers, a write that locked a counter row and
    /// then waited for the chain could deadlock with one holding the chain and
    /// waiting for that row; taking the chain first orders them all. A
    /// writer's transaction takes it once: the lock lasts until its commit,
    /// unless the write that took it is rolled back to its savepoint, which
    /// releases it ([`truncate`] then forgets it). SQLite has one writer, whose
    /// `BEGIN IMMEDIATE` already holds the only write lock.
    pub fn lock_chain(c: &mut dyn Conn) -> Result<()> {
        if c.backend() == Backend::Sqlite || LOCKED_AT.get().is_some() {
            return Ok(());
        }
        c.execute(LOCK_CHAIN, &[])?;
        if let Some(n) = PENDING.with_borrow(|p| p.as_ref().map(Vec::len)) {
            LOCKED_AT.set(Some(n));
        }
        Ok(())
    }

    /// The chain's lock, as a PostgreSQL writer takes it with its `BEGIN`.
    pub const LOCK_CHAIN: &str = "UPDATE audit_head SET seq = seq WHERE id = 1";

    /// A transaction starts on this thread: entries wait for [`flush`].
    /// `chain_locked`: its `BEGIN` took the chain's lock already.
    pub fn begin(chain_locked: bool) {
        PENDING.set(Some(Vec::new()));
        LOCKED_AT.set(chain_locked.then_some(0));
    }

    /// How many entries wait, to [`truncate`] to if the next write fails.
    pub fn mark() -> usize {
        PENDING.with_borrow(|p| p.as_ref().map_or(0, Vec::len))
    }

    /// Forgets the entries of a write that was rolled back, and the chain's
    /// lock if that write may have taken it (when the write before it took
    /// the lock and recorded nothing, it is forgotten too: the next write
    /// takes it again, which costs a statement and is harmless).
    pub fn truncate(to: usize) {
        PENDING.with_borrow_mut(|p| {
            if let Some(list) = p {
                list.truncate(to);
            }
        });
        if LOCKED_AT.get().is_some_and(|at| at >= to) {
            LOCKED_AT.set(None);
        }
    }

    /// Writes the waiting entries; the transaction is to commit next.
    pub fn flush(c: &mut dyn Conn) -> Result<()> {
        let list = PENDING.with_borrow_mut(|p| p.replace(Vec::new()));
        append(c, list.unwrap_or_default())
    }

    /// The transaction ended (committed or not): entries are written at once
    /// again.
    pub fn end() {
        PENDING.set(None);
        LOCKED_AT.set(None);
    }
}

/// One audit entry as the auditor sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    pub actor: String,
    pub client_addr: Option<String>,
    pub entity: String,
    pub entity_id: i64,
    pub action: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub hash: String,
    /// The entry is a tip's reporter acting on their tip (its report, its
    /// uploads, their later steps; anyone without a staff account) and the
    /// reader is not among the tip's readers: `actor` and `client_addr` read [`REPORTER_HIDDEN`]. The stored
    /// entry and its hash are unchanged.
    pub reporter_hidden: bool,
}

/// What a hidden reporter's name and address read in the log.
pub const REPORTER_HIDDEN: &str = "（举报人已隐藏）";

/// SQL true for an entry (aliased `a`) about a tip, the case or one of its
/// attachments, whose readers do not include the caller, made by someone
/// other than a staff account: the reporter (`resident@<address>`, a
/// resident's account) or the channel that brought the tip in. Staff's own
/// steps on a tip stay visible, as the log is there to audit them.
fn hidden_sql(tips: &crate::cases::Tips) -> String {
    if *tips == crate::cases::Tips::All {
        return "0".to_string();
    }
    let tip = format!(
        "c.confidential = 1 AND NOT ({}) AND NOT EXISTS (SELECT 1 FROM users s
            WHERE s.username = a.actor AND s.role <> 'resident')",
        tips.sql()
    );
    format!(
        "CASE WHEN (a.entity = 'case' AND EXISTS (SELECT 1 FROM cases c
            WHERE c.id = a.entity_id AND {tip}))
          OR (a.entity = 'attachment' AND EXISTS (SELECT 1 FROM attachments t
            JOIN cases c ON c.id = t.owner_id
            WHERE t.id = a.entity_id AND t.owner_kind = 'case' AND {tip}))
         THEN 1 ELSE 0 END"
    )
}

const SELECT: &str =
    "SELECT seq, at, actor, client_addr, entity, entity_id, action, detail, prev_hash, hash FROM audit_log";

fn from_row(r: &Row) -> Result<(Entry, String)> {
    let detail: String = r.get(7)?;
    Ok((
        Entry {
            seq: r.get(0)?,
            at: ms_to_time(r.get(1)?),
            actor: r.get(2)?,
            client_addr: r.get(3)?,
            entity: r.get(4)?,
            entity_id: r.get(5)?,
            action: r.get(6)?,
            detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
            hash: r.get(9)?,
            reporter_hidden: false,
        },
        r.get(8)?,
    ))
}

/// Filters for browsing the log.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub actor: Option<String>,
    pub entity: Option<String>,
    pub entity_id: Option<i64>,
    pub action: Option<String>,
    /// Entries before this sequence number (for paging backwards from the newest).
    pub before: Option<i64>,
}

/// The newest entries first, a page at a time (for auditors). A tip's
/// reporter is shown only to the tip's readers (see [`Entry::reporter_hidden`]);
/// to others, an actor filter does not find the entries that hide them.
pub fn list(c: &mut dyn Conn, ctx: &Ctx, f: &Filter, limit: i64) -> Result<Vec<Entry>> {
    ctx.require(wangge_core::auth::Permission::AuditRead)?;
    let hidden = hidden_sql(&crate::cases::tips_for(c, ctx)?);
    let mut args: Vec<crate::db::Value> = Vec::new();
    let mut sql = format!(
        "SELECT seq, at, actor, client_addr, entity, entity_id, action, detail, prev_hash, hash,
            {hidden} FROM audit_log a WHERE 1 = 1"
    );
    let mut add = |sql: &mut String, col: &str, v: crate::db::Value| {
        args.push(v);
        sql.push_str(&format!(" AND {col} ${}", args.len()));
    };
    if let Some(a) = &f.actor {
        add(&mut sql, "actor =", a.clone().into());
        sql.push_str(&format!(" AND ({hidden}) = 0"));
    }
    if let Some(e) = &f.entity {
        add(&mut sql, "entity =", e.clone().into());
    }
    if let Some(id) = f.entity_id {
        add(&mut sql, "entity_id =", id.into());
    }
    if let Some(a) = &f.action {
        add(&mut sql, "action =", a.clone().into());
    }
    if let Some(b) = f.before {
        add(&mut sql, "seq <", b.into());
    }
    args.push(limit.clamp(1, 500).into());
    sql.push_str(&format!(" ORDER BY seq DESC LIMIT ${}", args.len()));
    c.query(&sql, &args)?
        .iter()
        .map(|r| {
            let (mut e, _) = from_row(r)?;
            if r.get::<i64>(10)? != 0 {
                e.reporter_hidden = true;
                e.actor = REPORTER_HIDDEN.to_string();
                e.client_addr = Some(REPORTER_HIDDEN.to_string());
            }
            Ok(e)
        })
        .collect()
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub entries: i64,
    /// The first entry that does not fit the chain, and why.
    pub first_bad: Option<(i64, String)>,
}

/// Walks the whole chain in order. Names the first entry that was changed
/// (its hash no longer matches), deleted (a gap in the sequence, or a chain that
/// ends before the head) or reordered (its previous-hash does not match).
pub fn verify(c: &mut dyn Conn) -> Result<Verdict> {
    let head = c.query_one("SELECT seq, hash FROM audit_head WHERE id = 1", &[])?;
    let (head_seq, head_hash): (i64, String) = (head.get(0)?, head.get(1)?);
    let mut prev = "0".repeat(64);
    let mut expected_seq = 1;
    let mut after = 0i64;
    let mut count = 0;
    loop {
        let rows = c.query(
            &format!("{SELECT} WHERE seq > $1 ORDER BY seq LIMIT 5000"),
            params![after],
        )?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            let (e, prev_hash) = from_row(r)?;
            let detail: String = r.get(7)?;
            count += 1;
            after = e.seq;
            let bad = |why: &str| {
                Ok(Verdict {
                    entries: count,
                    first_bad: Some((e.seq, why.to_string())),
                })
            };
            if e.seq != expected_seq {
                return Ok(Verdict {
                    entries: count,
                    first_bad: Some((
                        expected_seq,
                        format!("entry {expected_seq} is missing (deleted)"),
                    )),
                });
            }
            if prev_hash != prev {
                return bad(
                    "its link to the previous entry is broken (entries were deleted or reordered)",
                );
            }
            let content = Content {
                seq: e.seq,
                at: r.get(1)?,
                actor: &e.actor,
                client_addr: e.client_addr.as_deref(),
                entity: &e.entity,
                entity_id: e.entity_id,
                action: &e.action,
                detail: &detail,
            };
            if entry_hash(&prev, &content) != e.hash {
                return bad("its content was changed after it was written");
            }
            prev = e.hash;
            expected_seq += 1;
        }
    }
    if expected_seq - 1 != head_seq || prev != head_hash {
        return Ok(Verdict {
            entries: count,
            first_bad: Some((expected_seq, format!("the chain ends at entry {} but the head says {head_seq} (entries at the end were deleted)", expected_seq - 1))),
        });
    }
    Ok(Verdict {
        entries: count,
        first_bad: None,
    })
}
