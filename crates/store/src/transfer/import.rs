//! The import engine: two streaming passes over the file (check, then write in
//! one transaction), the run log, progress, and the report of rejected rows.
//! What a row means is each kind's handler's business (`import_*.rs`).

use super::columns::{columns, map_header, ColumnMap, Use};
use super::directory::Place;
use super::read::{self, Header, Limits, Source, TextEncoding, Visitor};
use super::values::{self, Cell};
use super::{file_error, report, Issue, Kind, RowIssue};
use crate::ctx::{ms_to_time, Ctx};
use crate::db::Conn;
use crate::error::{Error, Result};
use crate::{audit, params, Store};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use time::OffsetDateTime;
use wangge_core::auth::Permission;

/// How many problems are kept in detail; beyond this they are only counted
/// (a file where every one of a million rows is wrong has one mistake, not a
/// million).
pub const MAX_ISSUES: usize = 100_000;
/// How many problems the summary carries (the report workbook has them all).
const SUMMARY_ISSUES: usize = 1000;
const REPORT_FIELD: &str = "import_runs.report";

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Write the valid rows and reject the others, instead of all or nothing.
    pub skip_invalid: bool,
    /// The CSV encoding, when detection should be overridden.
    pub encoding: Option<TextEncoding>,
    /// The file's name as the user knows it, for the run log.
    pub file_name: Option<String>,
    pub limits: Limits,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ImportStage)]
pub enum Stage {
    Checking,
    Writing,
}

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[schema(as = ImportProgress)]
pub struct Progress {
    /// The import run (0 for an export).
    pub run_id: i64,
    pub stage: Stage,
    pub rows: u64,
    pub bytes: u64,
    pub total_bytes: u64,
}

pub type OnProgress = Arc<dyn Fn(&Progress) + Send + Sync>;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportSummary {
    pub run_id: i64,
    pub kind: Kind,
    /// Whether anything was written: false when rows were rejected and
    /// `skip_invalid` was not asked, or when every row was rejected.
    pub committed: bool,
    /// Data rows read (empty rows and the template's example row not counted).
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows passed on for verification by the unit responsible (待核实),
    /// whatever the reason: the report does not say why.
    pub pending: u64,
    pub rejected: u64,
    /// Rows equal to the template's example row, skipped.
    pub examples_skipped: u64,
    /// The first problems (all of them are in the report workbook).
    pub issues: Vec<Issue>,
    pub issues_total: u64,
    /// Whether a report workbook of the rejected rows is available.
    pub has_report: bool,
}

pub struct Imported {
    pub summary: ImportSummary,
    /// The report workbook (`.xlsx`) when rows were rejected.
    pub report: Option<Vec<u8>>,
}

// ---------------------------------------------------------------------------
// What handlers see

/// One row, with access to its cells by column key.
pub struct RowView<'a> {
    pub cells: &'a [Cell],
    pub map: &'a ColumnMap,
}

impl RowView<'_> {
    pub fn cell(&self, key: &str) -> Option<&Cell> {
        self.map.index(key).and_then(|i| self.cells.get(i))
    }

    pub fn has(&self, key: &str) -> bool {
        self.map.has(key)
    }

    pub fn text(&self, key: &'static str) -> Result<Option<String>, RowIssue> {
        self.cell(key)
            .map_or(Ok(None), values::text)
            .map_err(|e| e.at(key))
    }

    pub fn ident(&self, key: &'static str) -> Result<Option<String>, RowIssue> {
        self.cell(key)
            .map_or(Ok(None), values::ident)
            .map_err(|e| e.at(key))
    }

    pub fn decimal(&self, key: &'static str) -> Result<Option<f64>, RowIssue> {
        self.cell(key)
            .map_or(Ok(None), values::decimal)
            .map_err(|e| e.at(key))
    }

    pub fn date(&self, key: &'static str) -> Result<Option<time::Date>, RowIssue> {
        self.cell(key)
            .map_or(Ok(None), values::date)
            .map_err(|e| e.at(key))
    }

    /// The place columns (unit code, community, compound, building, combined).
    pub fn place(&self, bad: &mut Vec<RowIssue>) -> Place {
        let mut p = Place {
            code: ok(bad, self.ident("unit")),
            community: ok(bad, self.text("community")),
            compound: ok(bad, self.text("compound")),
            building: ok(bad, self.text("building")),
        };
        if let Some(path) = ok(bad, self.text("place")) {
            p.fill_from_path(&path);
        }
        p
    }
}

/// Keeps the value, or files the problem and answers `None`.
pub fn ok<T>(bad: &mut Vec<RowIssue>, r: Result<Option<T>, RowIssue>) -> Option<T> {
    match r {
        Ok(v) => v,
        Err(e) => {
            bad.push(e);
            None
        }
    }
}

/// A required value: files its problem, or "required" when it is blank.
pub fn need<T>(
    bad: &mut Vec<RowIssue>,
    key: &'static str,
    r: Result<Option<T>, RowIssue>,
) -> Option<T> {
    match r {
        Ok(Some(v)) => Some(v),
        Ok(None) => {
            bad.push(
                RowIssue::new("required", "必填,不能为空", "required; must not be blank").at(key),
            );
            None
        }
        Err(e) => {
            bad.push(e);
            None
        }
    }
}

/// What a pass did.
#[derive(Debug, Default)]
pub struct Tally {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows that became registration requests ("待核实").
    pub pending: u64,
    pub issues: Vec<(u64, RowIssue)>,
    pub issues_total: u64,
    pub bad_rows: u64,
    /// Every rejected row, however many problems are kept in detail.
    bad: BadRows,
}

impl Tally {
    pub fn reject(&mut self, row: u64, issue: RowIssue) {
        self.issues_total += 1;
        if !self.bad.contains(row) {
            self.bad_rows += 1;
            self.bad.insert(row);
        }
        if self.issues.len() < MAX_ISSUES {
            self.issues.push((row, issue));
        }
    }
}

/// One kind's reading of rows.
pub trait Handler: Send + 'static {
    type Rec: Send;
    /// Prepares a pass: loads what rows are resolved against, clears state.
    fn begin(&mut self, c: &mut dyn Conn, ctx: &Ctx, write: bool) -> Result<()>;
    /// Parses and validates one row, without the database.
    fn parse(
        &mut self,
        ctx: &Ctx,
        row: &RowView<'_>,
        write: bool,
    ) -> Result<Self::Rec, Vec<RowIssue>>;
    /// Checks a chunk of parsed rows (in file order) against the database and
    /// what earlier rows did; when `write`, applies the rows that pass. A row
    /// found wrong is rejected through `t` and not applied.
    fn process(
        &mut self,
        c: &mut dyn Conn,
        ctx: &Ctx,
        chunk: Vec<(u64, Self::Rec)>,
        write: bool,
        t: &mut Tally,
    ) -> Result<()>;
    fn chunk_size(&self) -> usize {
        500
    }
}

// ---------------------------------------------------------------------------
// The passes

/// Rows that the check pass rejected, as a bitset of row numbers.
#[derive(Debug, Default, Clone)]
struct BadRows(Vec<u64>);

impl BadRows {
    fn insert(&mut self, row: u64) {
        let (w, b) = ((row / 64) as usize, row % 64);
        if self.0.len() <= w {
            self.0.resize(w + 1, 0);
        }
        self.0[w] |= 1 << b;
    }
    fn contains(&self, row: u64) -> bool {
        let (w, b) = ((row / 64) as usize, row % 64);
        self.0.get(w).is_some_and(|x| x & (1 << b) != 0)
    }
}

struct Pass<'a, H: Handler> {
    kind: Kind,
    h: &'a mut H,
    ctx: &'a Ctx,
    conn: &'a mut dyn Conn,
    write: bool,
    skip: &'a BadRows,
    map: Option<ColumnMap>,
    sheet: String,
    chunk: Vec<(u64, H::Rec)>,
    tally: Tally,
    rows: u64,
    examples: u64,
    progress: Option<(OnProgress, Arc<AtomicU64>, u64)>,
    run_id: i64,
}

impl<H: Handler> Pass<'_, H> {
    fn flush(&mut self) -> Result<()> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::take(&mut self.chunk);
        self.h
            .process(self.conn, self.ctx, chunk, self.write, &mut self.tally)
    }

    fn tick(&self) {
        if let Some((f, bytes, total)) = &self.progress {
            f(&Progress {
                run_id: self.run_id,
                stage: if self.write {
                    Stage::Writing
                } else {
                    Stage::Checking
                },
                rows: self.rows,
                bytes: bytes.load(Ordering::Relaxed).min(*total),
                total_bytes: *total,
            });
        }
    }

    /// Whether the row repeats the template's example (left in by mistake).
    fn is_example(&self, view: &RowView<'_>) -> bool {
        let mut compared = 0;
        for (c, pos) in columns(self.kind).iter().zip(&view.map.position) {
            let Some(i) = pos else { continue };
            if c.example.is_empty() || c.usage == Use::ExportOnly {
                continue;
            }
            let text = view
                .cells
                .get(*i)
                .and_then(|c| values::text(c).ok().flatten());
            if text.as_deref() != Some(c.example) {
                return false;
            }
            compared += 1;
        }
        compared >= 2
    }
}

impl<H: Handler> Visitor for Pass<'_, H> {
    type Error = Error;

    fn header(&mut self, h: &Header) -> Result<()> {
        self.map = Some(map_header(self.kind, h)?);
        self.sheet = h.sheet.clone();
        Ok(())
    }

    fn row(&mut self, row: u64, cells: &[Cell]) -> Result<()> {
        let Some(map) = self.map.take() else {
            return Ok(());
        };
        let out = self.row_with(row, cells, &map);
        self.map = Some(map);
        out
    }
}

impl<H: Handler> Pass<'_, H> {
    fn row_with(&mut self, row: u64, cells: &[Cell], map: &ColumnMap) -> Result<()> {
        let view = RowView { cells, map };
        if self.is_example(&view) {
            self.examples += 1;
            return Ok(());
        }
        self.rows += 1;
        if self.rows.is_multiple_of(2000) {
            self.tick();
        }
        if self.write && self.skip.contains(row) {
            return Ok(());
        }
        match self.h.parse(self.ctx, &view, self.write) {
            Ok(rec) => self.chunk.push((row, rec)),
            Err(issues) => {
                for i in issues {
                    self.tally.reject(row, i);
                }
            }
        }
        if self.chunk.len() >= self.h.chunk_size() {
            self.flush()?;
        }
        Ok(())
    }
}

struct PassResult {
    tally: Tally,
    map: ColumnMap,
    sheet: String,
    rows: u64,
    examples: u64,
}

#[allow(clippy::too_many_arguments)]
fn pass<H: Handler>(
    kind: Kind,
    h: &mut H,
    c: &mut dyn Conn,
    ctx: &Ctx,
    src: &Source,
    write: bool,
    skip: &BadRows,
    progress: Option<OnProgress>,
    run_id: i64,
) -> Result<PassResult> {
    h.begin(c, ctx, write)?;
    let bytes = Arc::new(AtomicU64::new(0));
    let mut p = Pass {
        kind,
        h,
        ctx,
        conn: c,
        write,
        skip,
        map: None,
        sheet: String::new(),
        chunk: Vec::new(),
        tally: Tally::default(),
        rows: 0,
        examples: 0,
        progress: progress.map(|f| (f, bytes.clone(), src.size)),
        run_id,
    };
    p.tick();
    read::scan(src, kind.sheet_names(), &bytes, &mut p)?;
    p.flush()?;
    p.tick();
    let Some(map) = p.map.take() else {
        return Err(file_error(
            "no_header",
            "表格是空的:没有表头,也没有数据",
            "the sheet is empty: no header and no data",
        ));
    };
    if p.rows == 0 {
        return Err(file_error(
            "no_rows",
            "表格只有表头,没有数据行",
            "the sheet has a header but no data rows",
        ));
    }
    Ok(PassResult {
        tally: p.tally,
        map,
        sheet: p.sheet,
        rows: p.rows,
        examples: p.examples,
    })
}

// ---------------------------------------------------------------------------
// The run

fn issue(sheet: &str, map: &ColumnMap, row: u64, i: &RowIssue) -> Issue {
    Issue {
        sheet: sheet.to_string(),
        row,
        column: i.column.map(|k| map.label(k)),
        code: i.code.clone(),
        message_zh: i.zh.clone(),
        message_en: i.en.clone(),
    }
}

fn require(ctx: &Ctx, kind: Kind) -> Result<()> {
    if kind == Kind::Equipment {
        // The equipment registry has its own permission, as its pages do.
        return ctx.require(Permission::EquipmentWrite);
    }
    ctx.require(Permission::RegistryWrite)?;
    if kind == Kind::Units {
        ctx.require(Permission::TreeWrite)?;
    }
    Ok(())
}

/// Imports a file. File-level problems (not a workbook, wrong headers, merged
/// cells …) are an `Err` and nothing is written; row-level problems are in the
/// summary and the report, and then nothing is written unless
/// `opts.skip_invalid`.
pub async fn import(
    store: &Store,
    ctx: &Ctx,
    kind: Kind,
    path: &Path,
    opts: ImportOptions,
    progress: Option<OnProgress>,
) -> Result<Imported> {
    require(ctx, kind)?;
    let run_id = start_run(store, ctx, kind, &opts).await?;
    let out = match kind {
        Kind::People => {
            run_kind(
                store,
                ctx,
                kind,
                path,
                &opts,
                progress,
                run_id,
                super::import_people::People::default,
            )
            .await
        }
        Kind::Households => {
            run_kind(
                store,
                ctx,
                kind,
                path,
                &opts,
                progress,
                run_id,
                super::import_households::Households::default,
            )
            .await
        }
        Kind::Organisations => {
            run_kind(
                store,
                ctx,
                kind,
                path,
                &opts,
                progress,
                run_id,
                super::import_orgs::Orgs::default,
            )
            .await
        }
        Kind::Positions => {
            run_kind(
                store,
                ctx,
                kind,
                path,
                &opts,
                progress,
                run_id,
                super::import_positions::Positions::default,
            )
            .await
        }
        Kind::Units => {
            run_kind(
                store,
                ctx,
                kind,
                path,
                &opts,
                progress,
                run_id,
                super::import_units::Units::default,
            )
            .await
        }
        Kind::Equipment => {
            run_kind(
                store,
                ctx,
                kind,
                path,
                &opts,
                progress,
                run_id,
                super::import_equipment::Equipment::default,
            )
            .await
        }
    };
    if let Err(e) = &out {
        let message = match e {
            Error::Domain(d) => d.to_string(),
            other => other.to_string(),
        };
        let (ctx, now) = (ctx.clone(), ctx.now_ms());
        store
            .db
            .write(move |c| {
                c.execute(
                    "UPDATE import_runs SET status = 'refused', message = $1, finished_at = $2 WHERE id = $3",
                    params![message, now, run_id],
                )?;
                audit::record(c, &ctx, "import_run", run_id, "import_refused", json!({}))
            })
            .await?;
    }
    out
}

async fn start_run(store: &Store, ctx: &Ctx, kind: Kind, opts: &ImportOptions) -> Result<i64> {
    let (ctx, name, skip) = (ctx.clone(), opts.file_name.clone(), opts.skip_invalid);
    store
        .db
        .write(move |c| {
            c.query_one(
                "INSERT INTO import_runs (kind, actor, file_name, status, skip_invalid, started_at)
                 VALUES ($1, $2, $3, 'running', $4, $5) RETURNING id",
                params![kind.as_str(), ctx.actor.as_str(), name, skip, ctx.now_ms()],
            )?
            .get(0)
        })
        .await
}

#[allow(clippy::too_many_arguments)]
async fn run_kind<H: Handler>(
    store: &Store,
    ctx: &Ctx,
    kind: Kind,
    path: &Path,
    opts: &ImportOptions,
    progress: Option<OnProgress>,
    run_id: i64,
    make: fn() -> H,
) -> Result<Imported> {
    let src = read::open(path, opts.encoding, opts.limits)?;

    // 1. Check every row on a read connection; keep only the problems.
    let (c1, s1, p1) = (ctx.clone(), src.clone(), progress.clone());
    let mut checked = store
        .db
        .read(move |c| {
            let mut h = make();
            pass(
                kind,
                &mut h,
                c,
                &c1,
                &s1,
                false,
                &BadRows::default(),
                p1,
                run_id,
            )
        })
        .await?;
    let bad = std::mem::take(&mut checked.tally.bad);
    let rows = checked.rows;
    let all_bad = checked.tally.bad_rows >= rows;
    let mut issues: Vec<(u64, RowIssue)> = checked.tally.issues;
    let mut issues_total = checked.tally.issues_total;
    let mut rejected = checked.tally.bad_rows;
    let map = checked.map;
    let sheet = checked.sheet;

    let write = !all_bad && (issues_total == 0 || opts.skip_invalid);
    let mut tally = Tally::default();
    let mut committed = false;
    if write {
        // 2. Write the rows that passed, in one transaction.
        let (c2, s2, p2, skip) = (ctx.clone(), src.clone(), progress.clone(), bad.clone());
        let all_or_nothing = !opts.skip_invalid;
        let file_name = opts.file_name.clone();
        let written = store
            .db
            .write(move |c| {
                let mut h = make();
                let r = pass(kind, &mut h, c, &c2, &s2, true, &skip, p2, run_id)?;
                if all_or_nothing && r.tally.issues_total > 0 {
                    // Something changed between the passes: nothing is written.
                    return Err(file_error(
                        "changed_during_import",
                        "检查之后、写入之前,有数据被他人修改,本次导入未写入任何数据;请重新导入",
                        "data changed between the check and the write; nothing was imported: import the file again",
                    ));
                }
                let t = &r.tally;
                c.execute(
                    "UPDATE import_runs SET status = 'committed', rows_read = $1, created = $2, updated = $3,
                     unchanged = $4, rejected = $5, finished_at = $6, pending = $7 WHERE id = $8",
                    params![
                        r.rows as i64,
                        t.created as i64,
                        t.updated as i64,
                        t.unchanged as i64,
                        (rejected + t.bad_rows) as i64,
                        c2.now_ms(),
                        t.pending as i64,
                        run_id
                    ],
                )?;
                audit::record(
                    c,
                    &c2,
                    "import_run",
                    run_id,
                    "import",
                    json!({
                        "kind": kind.as_str(),
                        "file": file_name,
                        "rows": r.rows,
                        "created": t.created,
                        "updated": t.updated,
                        "unchanged": t.unchanged,
                        "pending": t.pending,
                        "rejected": rejected + t.bad_rows,
                    }),
                )?;
                Ok(r.tally)
            })
            .await?;
        // Rows rejected only now (with skip_invalid) join the report.
        rejected += written.bad_rows;
        issues_total += written.issues_total;
        tally.created = written.created;
        tally.updated = written.updated;
        tally.unchanged = written.unchanged;
        tally.pending = written.pending;
        issues.extend(written.issues);
        issues.sort_by_key(|(row, _)| *row);
        committed = true;
        // PostgreSQL plans from statistics that autovacuum refreshes only some
        // time after a bulk load; until then the next import's lookups by
        // household scanned all of `people` (measured: re-importing 1M rows was
        // stopped after 13 minutes; with fresh statistics it takes 67 s).
        if store.db.backend() == crate::Backend::Postgres
            && tally.created + tally.updated >= ANALYZE_AFTER_ROWS
        {
            store.db.write(|c| c.batch("ANALYZE")).await?;
        }
    }

    let listed: Vec<Issue> = issues
        .iter()
        .map(|(row, i)| issue(&sheet, &map, *row, i))
        .collect();
    let report = if listed.is_empty() {
        None
    } else {
        let by_row = group(&listed);
        let src3 = src.clone();
        let (ctx3, total) = (ctx.clone(), issues_total);
        Some(
            tokio::task::spawn_blocking(move || report::build(&src3, kind, &ctx3, &by_row, total))
                .await
                .map_err(|e| Error::Db(format!("report task failed: {e}")))??,
        )
    };
    let summary = ImportSummary {
        run_id,
        kind,
        committed,
        rows,
        created: tally.created,
        updated: tally.updated,
        unchanged: tally.unchanged,
        pending: tally.pending,
        rejected,
        examples_skipped: checked.examples,
        issues: listed.iter().take(SUMMARY_ISSUES).cloned().collect(),
        issues_total,
        has_report: report.is_some(),
    };
    finish_run(store, ctx, &summary, report.as_deref()).await?;
    Ok(Imported { summary, report })
}

/// Rows written by one import after which PostgreSQL's statistics are refreshed.
const ANALYZE_AFTER_ROWS: u64 = 10_000;

fn group(issues: &[Issue]) -> BTreeMap<u64, Vec<Issue>> {
    let mut m: BTreeMap<u64, Vec<Issue>> = BTreeMap::new();
    for i in issues {
        m.entry(i.row).or_default().push(i.clone());
    }
    m
}

/// Records how the run ended; a rejected run's counts and the sealed report.
async fn finish_run(
    store: &Store,
    ctx: &Ctx,
    s: &ImportSummary,
    report: Option<&[u8]>,
) -> Result<()> {
    let sealed = report
        .map(|r| ctx.keys().seal(REPORT_FIELD, &STANDARD.encode(r)))
        .transpose()?;
    let (ctx, run, committed) = (ctx.clone(), s.run_id, s.committed);
    let (rows, rejected, total) = (s.rows as i64, s.rejected as i64, s.issues_total);
    let kind = s.kind;
    store
        .db
        .write(move |c| {
            if !committed {
                c.execute(
                    "UPDATE import_runs SET status = 'rejected', rows_read = $1, rejected = $2, finished_at = $3
                     WHERE id = $4",
                    params![rows, rejected, ctx.now_ms(), run],
                )?;
                audit::record(
                    c,
                    &ctx,
                    "import_run",
                    run,
                    "import_rejected",
                    json!({"kind": kind.as_str(), "rows": rows, "rejected": rejected, "problems": total}),
                )?;
            }
            if let Some(sealed) = sealed {
                c.execute(
                    "UPDATE import_runs SET report = $1 WHERE id = $2",
                    params![sealed, run],
                )?;
            }
            Ok(())
        })
        .await
}

/// An import run as its owner sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportRun {
    pub id: i64,
    pub kind: String,
    pub file_name: Option<String>,
    /// running, committed, rejected or refused.
    pub status: String,
    pub skip_invalid: bool,
    pub rows: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    /// Rows passed on for verification (待核实).
    pub pending: i64,
    pub rejected: i64,
    /// Why a refused run was refused.
    pub message: Option<String>,
    pub has_report: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<OffsetDateTime>,
}

/// One of the caller's own import runs.
pub fn run(c: &mut dyn Conn, ctx: &Ctx, id: i64) -> Result<ImportRun> {
    ctx.require(Permission::RegistryWrite)?;
    let r = c
        .query_opt(
            "SELECT id, kind, file_name, status, skip_invalid, rows_read, created, updated, unchanged,
             rejected, message, report IS NOT NULL, started_at, finished_at, actor, pending
             FROM import_runs WHERE id = $1",
            params![id],
        )?
        .ok_or_else(|| Error::not_found("import"))?;
    if r.get::<String>(14)? != ctx.actor {
        return Err(Error::not_found("import"));
    }
    Ok(ImportRun {
        id: r.get(0)?,
        kind: r.get(1)?,
        file_name: r.get(2)?,
        status: r.get(3)?,
        skip_invalid: r.get(4)?,
        rows: r.get(5)?,
        created: r.get(6)?,
        updated: r.get(7)?,
        unchanged: r.get(8)?,
        pending: r.get(15)?,
        rejected: r.get(9)?,
        message: r.get(10)?,
        has_report: r.get(11)?,
        started_at: ms_to_time(r.get(12)?),
        finished_at: r.get::<Option<i64>>(13)?.map(ms_to_time),
    })
}

/// The report workbook of one of the caller's runs.
pub fn report_of(c: &mut dyn Conn, ctx: &Ctx, id: i64) -> Result<Vec<u8>> {
    run(c, ctx, id)?;
    let sealed: Option<Vec<u8>> = c
        .query_one("SELECT report FROM import_runs WHERE id = $1", params![id])?
        .get(0)?;
    let sealed = sealed.ok_or_else(|| Error::not_found("report"))?;
    let b64 = ctx.keys().open(REPORT_FIELD, &sealed)?;
    STANDARD
        .decode(b64)
        .map_err(|e| Error::Db(format!("stored report is damaged: {e}")))
}

/// A temporary copy of uploaded bytes, removed when dropped.
pub fn spool(dir: Option<&Path>) -> Result<super::TempFile> {
    let t = match dir {
        Some(d) => tempfile::NamedTempFile::new_in(d),
        None => tempfile::NamedTempFile::new(),
    };
    t.map_err(|e| Error::Db(format!("cannot create a temporary file: {e}")))
}
