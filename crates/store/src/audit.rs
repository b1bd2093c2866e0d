//! The audit log: who did what, when, from where; never the personal values
//! themselves, only which fields changed. Each entry is chained to the previous
//! one by a SHA-256 hash, so a changed, deleted or reordered entry is detected by
//! [`verify`].
//!
//! In a writer's transaction, entries wait in its audit hook (`deferred`, see
//! [`crate::db::Hooks`]) and are chained and inserted together just before the
//! commit, after every other hook's flush.

use crate::ctx::{ms_to_time, Ctx};
use crate::db::{Conn, Row, Value};
use crate::error::Result;
use crate::params;
use serde::Serialize;
use sha2::{Digest, Sha256};
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

/// Appends an entry in the caller's transaction: in a writer's transaction
/// it waits for the commit, to be chained with the others (`deferred`);
/// on a bare connection (migrations, the command line, tests) it is written
/// at once.
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
    match c.hooks() {
        Some(hooks) => {
            hooks.get::<deferred::Entries>().list.push(entry);
            Ok(())
        }
        None => append(c, vec![entry]),
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

/// The chain's lock, as a PostgreSQL writer takes it with its `BEGIN`.
pub(crate) const LOCK_CHAIN: &str = "UPDATE audit_head SET seq = seq WHERE id = 1";

pub(crate) use deferred::{chain_locked_by_begin, lock_chain};

/// Entries of a writer's transaction, waiting for its commit: one chain
/// update per transaction instead of three statements per entry, and the
/// head row locked only from just before the commit.
mod deferred {
    use super::{append, Pending, LOCK_CHAIN};
    use crate::db::{Backend, Conn, Hook, Hooks, Order};
    use crate::error::Result;

    /// The audit hook of a writer's transaction.
    #[derive(Default)]
    pub(crate) struct Entries {
        pub(super) list: Vec<Pending>,
        /// While the transaction holds the chain's lock: how many entries
        /// waited when it was taken (see [`lock_chain`]).
        locked_at: Option<usize>,
    }

    impl Hook for Entries {
        /// Last: the head row it updates serialises every writer, so it is
        /// taken as late as can be, and the flushes before may still record.
        const ORDER: Order = Order::MAX;

        fn mark(&self) -> usize {
            self.list.len()
        }

        /// Forgets the entries of a write that was rolled back, and the
        /// chain's lock if that write may have taken it (when the write before
        /// it took the lock and recorded nothing, it is forgotten too: the
        /// next write takes it again, which costs a statement and is harmless).
        fn truncate(&mut self, to: usize) {
            self.list.truncate(to);
            if self.locked_at.is_some_and(|at| at >= to) {
                self.locked_at = None;
            }
        }

        fn flush(&mut self, c: &mut dyn Conn) -> Result<()> {
            append(c, std::mem::take(&mut self.list))
        }
    }

    /// For a writer whose `BEGIN` takes the chain's lock ([`LOCK_CHAIN`]):
    /// its transactions start holding it.
    pub(crate) fn chain_locked_by_begin(hooks: &mut Hooks) {
        hooks.get::<Entries>().locked_at = Some(0);
    }

    /// Takes the audit chain's lock before anything else a write touches.
    /// With several PostgreSQL writers, a write that locked a counter row and
    /// then waited for the chain could deadlock with one holding the chain and
    /// waiting for that row; taking the chain first orders them all. A
    /// writer's transaction takes it once: the lock lasts until its commit,
    /// unless the write that took it is rolled back to its savepoint, which
    /// releases it (the hook's truncate then forgets it). SQLite has one
    /// writer, whose `BEGIN IMMEDIATE` already holds the only write lock.
    pub(crate) fn lock_chain(c: &mut dyn Conn) -> Result<()> {
        if c.backend() == Backend::Sqlite {
            return Ok(());
        }
        let waiting = match c.hooks() {
            Some(hooks) => {
                let entries = hooks.get::<Entries>();
                if entries.locked_at.is_some() {
                    return Ok(());
                }
                Some(entries.list.len())
            }
            None => None,
        };
        c.execute(LOCK_CHAIN, &[])?;
        if let (Some(n), Some(hooks)) = (waiting, c.hooks()) {
            hooks.get::<Entries>().locked_at = Some(n);
        }
        Ok(())
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

/// What kind of damage [`verify`] found; each has its own message and, on the
/// command line, its own exit code, so a monitoring script can tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    /// An entry's hash no longer matches its content.
    Changed,
    /// A gap in the sequence numbers.
    Deleted,
    /// An entry's link to the previous hash is broken (swapped or replaced).
    Reordered,
    /// The chain ends before the entry the head names.
    TailCut,
    /// The head names a hash (or an entry) other than the chain's last one.
    HeadChanged,
    /// The head row itself is gone.
    HeadMissing,
    /// The chain does not hold the anchored entry with the anchored hash.
    AnchorMismatch,
}

impl Tamper {
    /// The exit code of `wangge audit verify` (0 is intact; 1 and 2 are the
    /// command line's own failure and usage codes).
    pub fn exit_code(self) -> u8 {
        match self {
            Tamper::Changed => 3,
            Tamper::Deleted => 4,
            Tamper::Reordered => 5,
            Tamper::TailCut => 6,
            Tamper::HeadChanged => 7,
            Tamper::HeadMissing => 8,
            Tamper::AnchorMismatch => 9,
        }
    }
}

/// The first place where the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// The entry concerned (for a missing head, the chain's last entry).
    pub seq: i64,
    pub kind: Tamper,
    pub zh: String,
    pub en: String,
}

impl Break {
    fn new(seq: i64, kind: Tamper, zh: String, en: String) -> Break {
        Break { seq, kind, zh, en }
    }
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub entries: i64,
    /// The first entry that does not fit the chain, and why.
    pub first_bad: Option<Break>,
}

/// The chain's end as the operator copied it somewhere the database's
/// administrators cannot write ([`Anchor::render`], `wangge audit anchor`): a
/// later chain that no longer holds this entry with this hash was cut or
/// rewritten, even when its head was rewritten to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub seq: i64,
    pub hash: String,
    /// When it was taken, RFC 3339 (for the reader; not checked).
    pub at: String,
    /// The database's key fingerprint, so an anchor is not checked against
    /// another database by mistake.
    pub database: String,
}

impl Anchor {
    /// The head as it is now.
    pub fn take(c: &mut dyn Conn, database: &str, now: OffsetDateTime) -> Result<Anchor> {
        let head = c
            .query_opt("SELECT seq, hash FROM audit_head WHERE id = 1", &[])?
            .ok_or_else(|| {
                crate::error::Error::Domain(wangge_core::Error::conflict(
                    "audit_head_missing",
                    "审计日志的链头记录缺失,无法生成锚点(请运行 wangge audit verify)",
                    "the audit chain's head row is missing; no anchor can be taken (run wangge audit verify)",
                ))
            })?;
        Ok(Anchor {
            seq: head.get(0)?,
            hash: head.get(1)?,
            at: now
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            database: database.to_string(),
        })
    }

    /// A few `key value` lines, read back by [`Anchor::parse`].
    pub fn render(&self) -> String {
        format!(
            "# Wangge 审计日志锚点 / audit chain anchor\nseq {}\nhash {}\nat {}\ndatabase {}\n",
            self.seq, self.hash, self.at, self.database
        )
    }

    /// Reads what [`Anchor::render`] wrote; `None` when it is not an anchor.
    pub fn parse(text: &str) -> Option<Anchor> {
        let (mut seq, mut hash, mut at, mut database) = (None, None, None, None);
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (k, v) = line.split_once(' ')?;
            let v = v.trim();
            match k {
                "seq" => seq = v.parse::<i64>().ok().filter(|s| *s >= 0),
                "hash" if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    hash = Some(v.to_ascii_lowercase())
                }
                "at" => at = Some(v.to_string()),
                "database" => database = Some(v.to_string()),
                _ => return None,
            }
        }
        Some(Anchor {
            seq: seq?,
            hash: hash?,
            at: at.unwrap_or_default(),
            database: database?,
        })
    }
}

/// Walks the whole chain in order. Names the first entry that was changed
/// (its hash no longer matches), deleted (a gap in the sequence) or reordered
/// (its previous-hash does not match), then whether the chain ends where the
/// head says, and, given an anchor, whether it still holds the anchored entry.
pub fn verify(c: &mut dyn Conn) -> Result<Verdict> {
    verify_with(c, None)
}

/// [`verify`], and the anchored entry must be in the chain with its hash: that
/// catches a tail cut with the head reset to match, which the chain alone
/// cannot show.
pub fn verify_with(c: &mut dyn Conn, anchor: Option<&Anchor>) -> Result<Verdict> {
    let head = c.query_opt("SELECT seq, hash FROM audit_head WHERE id = 1", &[])?;
    let mut prev = "0".repeat(64);
    let mut expected_seq = 1;
    let mut after = 0i64;
    let mut count = 0;
    let mut anchored: Option<String> = None;
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
            let bad = |b: Break| {
                Ok(Verdict {
                    entries: count,
                    first_bad: Some(b),
                })
            };
            if e.seq != expected_seq {
                return bad(Break::new(
                    expected_seq,
                    Tamper::Deleted,
                    format!("第{expected_seq}条记录缺失(被删除)"),
                    format!("entry {expected_seq} is missing (deleted)"),
                ));
            }
            if prev_hash != prev {
                return bad(Break::new(
                    e.seq,
                    Tamper::Reordered,
                    format!("第{}条记录与前一条的链接断开(记录被调换或替换)", e.seq),
                    format!(
                        "entry {}: its link to the previous entry is broken (entries were reordered or replaced)",
                        e.seq
                    ),
                ));
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
                return bad(Break::new(
                    e.seq,
                    Tamper::Changed,
                    format!("第{}条记录写入后被修改", e.seq),
                    format!(
                        "entry {}: its content was changed after it was written",
                        e.seq
                    ),
                ));
            }
            if anchor.is_some_and(|a| a.seq == e.seq) {
                anchored = Some(e.hash.clone());
            }
            prev = e.hash;
            expected_seq += 1;
        }
    }
    let last = expected_seq - 1;
    let verdict = |b: Break| {
        Ok(Verdict {
            entries: count,
            first_bad: Some(b),
        })
    };
    let Some(head) = head else {
        return verdict(Break::new(
            last,
            Tamper::HeadMissing,
            format!("审计日志的链头记录(audit_head)缺失;链共{last}条"),
            format!("the chain's head row (audit_head) is missing; the chain has {last} entries"),
        ));
    };
    let (head_seq, head_hash): (i64, String) = (head.get(0)?, head.get(1)?);
    if last < head_seq {
        return verdict(Break::new(
            last + 1,
            Tamper::TailCut,
            format!("链在第{last}条结束,但链头记为第{head_seq}条(末尾的记录被删除)"),
            format!("the chain ends at entry {last} but the head says {head_seq} (entries at the end were deleted)"),
        ));
    }
    if last != head_seq || prev != head_hash {
        return verdict(Break::new(
            head_seq,
            Tamper::HeadChanged,
            format!("链头(第{head_seq}条)与链的最后一条(第{last}条)不符(链头被修改)"),
            format!("the head (entry {head_seq}) does not match the chain's last entry {last} (the head was changed)"),
        ));
    }
    if let Some(a) = anchor {
        let found = if a.seq == 0 {
            Some("0".repeat(64))
        } else {
            anchored
        };
        match found {
            None => {
                return verdict(Break::new(
                    a.seq,
                    Tamper::AnchorMismatch,
                    format!("锚点记到第{}条,而链只有{last}条(锚点之后的记录被删除)", a.seq),
                    format!(
                        "the anchor names entry {} but the chain has only {last} (entries after the anchor were cut)",
                        a.seq
                    ),
                ))
            }
            Some(h) if h != a.hash => {
                return verdict(Break::new(
                    a.seq,
                    Tamper::AnchorMismatch,
                    format!("第{}条记录的哈希与锚点不符(链被重新计算过)", a.seq),
                    format!(
                        "entry {}'s hash differs from the anchor's (the chain was recomputed)",
                        a.seq
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    Ok(Verdict {
        entries: count,
        first_bad: None,
    })
}
