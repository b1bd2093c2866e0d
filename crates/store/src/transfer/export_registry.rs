//! Exports of a declared registry's list with the list's own filters (unit
//! subtree and the registry's filter). Rows come from `registry::list` a page
//! at a time, so the file holds exactly the list's rows, in its order and
//! scope. The export is audited like every other, before its first row.

use super::export::{ExportOptions, Exported};
use super::export_list::{allowed, audit_export, report, unit_line, write_list, ListFile};
use super::import::OnProgress;
use crate::ctx::Ctx;
use crate::error::Result;
use crate::paging::MAX_LIMIT;
use crate::registry::{self, Filter, Registry};
use crate::Store;
use serde_json::{json, Map};
use std::path::Path;

/// Exports the records of `R` that `filter` selects in the caller's scope.
/// `opts.filter` (the people registry's filter) must be empty.
pub async fn export_registry<R: Registry>(
    store: &Store,
    ctx: &Ctx,
    filter: R::Filter,
    opts: ExportOptions,
    out: &Path,
    progress: Option<OnProgress>,
) -> Result<Exported> {
    let m = R::META;
    let reason = allowed(
        ctx,
        &opts,
        m.read,
        &format!("{}导出使用其列表的筛选条件", m.list.0),
        &format!("an export of {} takes that list's filters", m.list.1),
    )?;
    // The list checks the unit (in scope) before anything is audited.
    let (c0, f0) = (ctx.clone(), filter.clone());
    store
        .db
        .read(move |c| registry::list::<R>(c, &c0, &f0, None, Some(1)).map(|_| ()))
        .await?;
    let unit = filter.unit().map(str::to_string);
    let mut detail = Map::new();
    detail.insert("unit".into(), json!(unit));
    for l in filter.lines() {
        detail.insert(l.key.into(), json!(l.value.map(|v| v.1)));
    }
    audit_export(store, ctx, m.table, detail.into(), opts.format, reason).await?;
    let (cr, out) = (ctx.clone(), out.to_path_buf());
    let title = format!("{} ({})", m.list.0, m.slug);
    store
        .db
        .read(move |c| {
            let mut lines = vec![unit_line(&unit)];
            lines.extend(filter.lines().into_iter().map(|l| {
                let value = l.value.map_or_else(|| "全部 / any".to_string(), |v| v.0);
                (format!("{} / {}", l.label.0, l.label.1), value)
            }));
            let file = ListFile {
                sheet: R::SHEET,
                headers: R::HEADERS,
                title: &title,
                out: &out,
            };
            write_list(file, &opts, &cr, &progress, lines, |sink| {
                let mut cursor: Option<String> = None;
                let mut rows = 0u64;
                loop {
                    let page =
                        registry::list::<R>(c, &cr, &filter, cursor.as_deref(), Some(MAX_LIMIT))?;
                    for rec in &page.items {
                        sink.row(&rec.export_row())?;
                        rows += 1;
                    }
                    report(&progress, rows);
                    match page.next_cursor {
                        Some(next) => cursor = Some(next),
                        None => return Ok(rows),
                    }
                }
            })
        })
        .await
}

/// How a door (the API, the web, the command line) reads a registry's filter
/// from what the person gave, once the registry's type is known.
pub trait ReadFilter: Sync {
    type Error: Send;
    fn read<R: Registry>(&self) -> std::result::Result<R::Filter, Self::Error>;
}

type Running = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Exported>> + Send>>;

/// Exports the registry named `slug` with the filter `q` reads: the one place
/// a registry's name becomes its type for an export. The outer error is the
/// filter's, in the door's own terms; the inner one is the export's.
pub async fn export_named<Q: ReadFilter>(
    store: &Store,
    ctx: &Ctx,
    slug: &str,
    q: &Q,
    opts: ExportOptions,
    out: &Path,
    progress: Option<OnProgress>,
) -> std::result::Result<Result<Exported>, Q::Error> {
    struct Job<'a, Q: ReadFilter> {
        store: &'a Store,
        ctx: &'a Ctx,
        q: &'a Q,
        out: &'a Path,
        args: Option<(ExportOptions, Option<OnProgress>)>,
        run: Option<std::result::Result<Running, Q::Error>>,
    }
    impl<Q: ReadFilter> registry::Visit for Job<'_, Q> {
        fn visit<R: Registry>(&mut self) {
            let Some((opts, progress)) = self.args.take() else {
                return;
            };
            let (store, ctx, out) = (self.store.clone(), self.ctx.clone(), self.out.to_path_buf());
            self.run = Some(self.q.read::<R>().map(|filter| -> Running {
                Box::pin(async move {
                    export_registry::<R>(&store, &ctx, filter, opts, &out, progress).await
                })
            }));
        }
    }
    let mut job = Job {
        store,
        ctx,
        q,
        out,
        args: Some((opts, progress)),
        run: None,
    };
    registry::with(slug, &mut job);
    match job.run {
        Some(run) => Ok(run?.await),
        None => Ok(Err(crate::error::Error::not_found("registry"))),
    }
}
