//! `wangge import`, `wangge export` and `wangge template`: registry files in and
//! out (and the case, equipment, construction-site, inspection-plan, plan-target,
//! account, category and audit lists out) from the command line, with a progress bar on a terminal. The operator
//! acts as the system (`cli` in the audit log); `--unit` narrows an import or
//! export to a subtree, and rows outside it are then rejected.

use anyhow::{bail, Context};
use clap::Args;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wangge_store::transfer::{
    self, ExportFilter, ExportFormat, ExportOptions, ImportOptions, Kind, List, OnProgress,
    Progress, Stage, TextEncoding,
};
use wangge_store::{units, Ctx, Scope, Store};

mod filters;

use filters::{audit_filter, case_filter, equipment_filter, record_filter};

#[derive(Args)]
pub struct ImportArgs {
    /// people, households, organisations, positions or units (or 人员, 户, 组织, 职务, 单元).
    kind: String,
    /// The .xlsx or .csv file.
    file: PathBuf,
    /// Import the valid rows and reject the others (default: all or nothing).
    #[arg(long)]
    skip_invalid: bool,
    /// Where to write the workbook of rejected rows (default: FILE-errors.xlsx beside the file).
    #[arg(long)]
    report: Option<PathBuf>,
    /// CSV encoding, when detection guesses wrong: utf-8 or gbk.
    #[arg(long)]
    encoding: Option<String>,
    /// Only rows inside this unit's subtree may be created or changed.
    #[arg(long)]
    unit: Option<String>,
}

#[derive(Args)]
pub struct ExportArgs {
    /// people, households, organisations, positions, units, cases (事件), equipment (特种设备),
    /// construction-sites (建筑工地), inspection-plans (排查计划), plan-targets (检查对象,
    /// with --plan), accounts (账号), categories (事件分类) or audit (审计日志).
    kind: String,
    /// Plan targets: the inspection plan's id.
    #[arg(long)]
    plan: Option<i64>,
    /// Records in this unit's subtree (default: the whole tree).
    #[arg(long)]
    unit: Option<String>,
    /// Organisations, units or equipment of this kind only.
    #[arg(long = "filter-kind")]
    filter_kind: Option<String>,
    /// Units whose name contains (or code starts with) this text.
    #[arg(long)]
    q: Option<String>,
    /// The file to write: .xlsx or .csv.
    #[arg(long)]
    out: PathBuf,
    /// Show ID numbers, phones and addresses in full (audited; needs --reason).
    #[arg(long)]
    unmask: bool,
    /// Why the full values are needed; kept in the audit log.
    #[arg(long)]
    reason: Option<String>,
    /// CSV encoding: utf-8 (with BOM, default) or gbk.
    #[arg(long)]
    encoding: Option<String>,
    /// Cases: in this state (reported, accepted, dispatched, in_progress, handled, verified, closed, rated, rejected, withdrawn); repeatable.
    #[arg(long)]
    state: Vec<String>,
    /// Cases: of this category code (a major code takes all its minors).
    #[arg(long)]
    category: Option<String>,
    /// Cases: only those overdue now.
    #[arg(long)]
    overdue: bool,
    /// Cases: from this source (staff, grid, resident, open311, hotline, meeting, inspection).
    #[arg(long)]
    source: Option<String>,
    /// Cases: only confidential ones (true) or none of them (false).
    #[arg(long)]
    confidential: Option<bool>,
    /// Cases: words of the description, or a tracking number.
    #[arg(long)]
    text: Option<String>,
    /// Equipment: in this status (in_use, stopped, scrapped); construction sites:
    /// planned, active, suspended, finished.
    #[arg(long)]
    status: Option<String>,
    /// Equipment: with this alert today (inspection_overdue, inspection_due, maintenance_overdue).
    #[arg(long)]
    alert: Option<String>,
    /// Audit log: entries by this account.
    #[arg(long)]
    actor: Option<String>,
    /// Audit log: entries about this kind of record (person, case, export …).
    #[arg(long)]
    entity: Option<String>,
    /// Audit log: entries of this action (create, update, export …).
    #[arg(long)]
    action: Option<String>,
}

#[derive(Args)]
pub struct TemplateArgs {
    /// people, households, organisations, positions or units.
    kind: String,
    /// The .xlsx file to write.
    #[arg(long)]
    out: PathBuf,
}

fn kind(s: &str) -> anyhow::Result<Kind> {
    Ok(Kind::parse(s)?)
}

fn encoding(s: Option<&str>) -> anyhow::Result<Option<TextEncoding>> {
    s.map(|e| {
        TextEncoding::parse(e).with_context(|| {
            format!("未知的编码“{e}”,可选 utf-8、gbk / unknown encoding '{e}'; use utf-8 or gbk")
        })
    })
    .transpose()
}

/// The operator's context: the whole tree, or the subtree of `unit`.
async fn context(store: &Store, unit: Option<&str>) -> anyhow::Result<Ctx> {
    let all = store.ctx("cli", Scope::All, time::OffsetDateTime::now_utc());
    let Some(code) = unit else {
        return Ok(all);
    };
    let (c2, code) = (all.clone(), code.to_string());
    let u = store
        .db
        .read(move |c| units::resolve(c, &c2, "unit", &code))
        .await?;
    let mut ctx = all;
    ctx.scope = Scope::Subtree(u.path);
    Ok(ctx)
}

/// A progress bar on standard error, redrawn at most five times a second, and
/// only on a terminal.
fn progress_bar() -> Option<OnProgress> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let last = Mutex::new(Instant::now() - Duration::from_secs(1));
    Some(Arc::new(move |p: &Progress| {
        let Ok(mut last) = last.lock() else { return };
        if last.elapsed() < Duration::from_millis(200) {
            return;
        }
        *last = Instant::now();
        let stage = match p.stage {
            Stage::Checking => "检查 checking",
            Stage::Writing => "写入 writing",
        };
        if p.total_bytes > 0 {
            let frac = (p.bytes as f64 / p.total_bytes as f64).clamp(0.0, 1.0);
            let filled = (frac * 30.0) as usize;
            eprint!(
                "\r{stage} [{}{}] {:>3.0}%  {} 行/rows   ",
                "#".repeat(filled),
                ".".repeat(30 - filled),
                frac * 100.0,
                p.rows
            );
        } else {
            eprint!("\r{stage} {} 行/rows   ", p.rows);
        }
    }))
}

fn default_report(file: &Path) -> PathBuf {
    let stem = file
        .file_stem()
        .map_or_else(|| "import".to_string(), |s| s.to_string_lossy().to_string());
    file.with_file_name(format!("{stem}-errors.xlsx"))
}

/// Returns false when rows were rejected and nothing was imported.
pub async fn import(store: &Store, a: ImportArgs) -> anyhow::Result<bool> {
    let kind = kind(&a.kind)?;
    let ctx = context(store, a.unit.as_deref()).await?;
    let opts = ImportOptions {
        skip_invalid: a.skip_invalid,
        encoding: encoding(a.encoding.as_deref())?,
        file_name: a.file.file_name().map(|n| n.to_string_lossy().to_string()),
        ..ImportOptions::default()
    };
    let started = Instant::now();
    let bar = progress_bar();
    let shown = bar.is_some();
    let out = transfer::import(store, &ctx, kind, &a.file, opts, bar).await;
    if shown {
        eprintln!();
    }
    let out = out.with_context(|| format!("{} 未导入 / not imported", a.file.display()))?;
    let s = &out.summary;
    println!(
        "{} {}: 读取 {} 行 / rows read; 新增 created {}, 更新 updated {}, 未变 unchanged {}, 待核实 pending verification {}, 拒绝 rejected {} ({:.1} s)",
        kind.label_zh(),
        kind.as_str(),
        s.rows,
        s.created,
        s.updated,
        s.unchanged,
        s.pending,
        s.rejected,
        started.elapsed().as_secs_f64()
    );
    if s.examples_skipped > 0 {
        println!("已跳过模板示例行 / skipped the template's example row");
    }
    for i in s.issues.iter().take(20) {
        println!(
            "  {} 第{}行 row {}{}: {} / {}",
            i.sheet,
            i.row,
            i.row,
            i.column
                .as_deref()
                .map(|c| format!(" {c}"))
                .unwrap_or_default(),
            i.message_zh,
            i.message_en
        );
    }
    if s.issues_total > 20 {
        println!(
            "  … 共{}个问题 / {} problems in all",
            s.issues_total, s.issues_total
        );
    }
    if let Some(report) = &out.report {
        let path = a.report.clone().unwrap_or_else(|| default_report(&a.file));
        std::fs::write(&path, report)
            .with_context(|| format!("cannot write the report {}", path.display()))?;
        println!(
            "错误报告 / report of rejected rows: {} (改正后可再次导入 / fix and import it again)",
            path.display()
        );
    }
    if !s.committed {
        println!(
            "未导入任何数据:有行被拒绝(加 --skip-invalid 只导入有效行)/ nothing was imported: rows were rejected (--skip-invalid imports the valid rows)"
        );
    }
    Ok(s.committed)
}

pub async fn export(store: &Store, a: ExportArgs) -> anyhow::Result<()> {
    let listing = match List::parse(&a.kind) {
        Some(l) => l,
        // Not a list: the registry kinds' own error names what there is.
        None => List::of_kind(kind(&a.kind)?),
    };
    if a.plan.is_some() != (listing == List::PlanTargets) {
        bail!("检查对象导出需要 --plan,其他导出不接受 --plan / plan-target exports need --plan, and only they take it");
    }
    if matches!(
        listing,
        List::PlanTargets | List::Accounts | List::Categories
    ) && (a.unit.is_some() || a.filter_kind.is_some() || a.q.is_some())
    {
        bail!("检查对象、账号和事件分类导出没有 --unit、--filter-kind、--q 筛选 / plan-target, account and category exports take no --unit, --filter-kind, --q");
    }
    if a.alert.is_some() && listing != List::Equipment {
        bail!("--alert 只用于特种设备导出 / only equipment exports take --alert");
    }
    if a.status.is_some() && !matches!(listing, List::Equipment | List::Record(_)) {
        bail!(
            "--status 只用于特种设备和建筑工地导出 / only equipment and construction-site exports take --status"
        );
    }
    if listing != List::Audit && (a.actor.is_some() || a.entity.is_some() || a.action.is_some()) {
        bail!("--actor、--entity、--action 只用于审计日志导出 / only audit-log exports take --actor, --entity, --action");
    }
    if !matches!(listing, List::Cases)
        && (!a.state.is_empty()
            || a.category.is_some()
            || a.overdue
            || a.source.is_some()
            || a.confidential.is_some()
            || a.text.is_some())
    {
        bail!("--state、--category、--overdue、--source、--confidential、--text 只用于事件导出 / only case exports take --state, --category, --overdue, --source, --confidential, --text");
    }
    let Some(format) = ExportFormat::from_path(&a.out) else {
        bail!(
            "请用 .xlsx 或 .csv 作为文件扩展名 / give the output file an .xlsx or .csv extension: {}",
            a.out.display()
        );
    };
    let ctx = context(store, None).await?;
    let mut opts = ExportOptions::new(format);
    opts.unmask = a.unmask;
    opts.reason = a.reason.clone();
    if let Some(e) = encoding(a.encoding.as_deref())? {
        opts.encoding = e;
    }
    let bar = progress_bar();
    let shown = bar.is_some();
    let done = match listing {
        List::Cases => {
            let filter = case_filter(&a)?;
            transfer::export_cases(store, &ctx, filter, opts, &a.out, bar).await
        }
        List::Equipment => {
            let filter = equipment_filter(&a)?;
            transfer::export_equipment(store, &ctx, filter, opts, &a.out, bar).await
        }
        List::Record(m) => {
            transfer::export_named(store, &ctx, m.slug, &Given(&a), opts, &a.out, bar).await?
        }
        List::Plans => {
            if a.unit.is_some() || a.filter_kind.is_some() || a.q.is_some() {
                bail!("排查计划导出没有筛选条件 / inspection-plan exports take no filters");
            }
            transfer::export_plans(store, &ctx, opts, &a.out, bar).await
        }
        List::PlanTargets => {
            let plan = a.plan.unwrap_or_default();
            transfer::export_plan_targets(store, &ctx, plan, opts, &a.out, bar).await
        }
        List::Accounts => transfer::export_accounts(store, &ctx, opts, &a.out, bar).await,
        List::Categories => transfer::export_categories(store, &ctx, opts, &a.out, bar).await,
        List::Audit => {
            let filter = audit_filter(&a)?;
            transfer::export_audit(store, &ctx, filter, opts, &a.out, bar).await
        }
        List::Registry(kind) => {
            opts.filter = ExportFilter {
                unit: a.unit.clone(),
                kind: a.filter_kind.clone(),
                q: a.q.clone(),
            };
            transfer::export(store, &ctx, kind, opts, &a.out, bar).await
        }
    };
    if shown {
        eprintln!();
    }
    let done = done.with_context(|| format!("cannot export {}", a.out.display()))?;
    println!(
        "已导出 {} 行{} / exported {} rows{} to {}",
        done.rows,
        if done.unmasked {
            "(完整个人信息,已审计)"
        } else {
            ""
        },
        done.rows,
        if done.unmasked {
            " (personal data in full, audited)"
        } else {
            ""
        },
        a.out.display()
    );
    Ok(())
}

pub fn template(a: TemplateArgs) -> anyhow::Result<()> {
    let kind = kind(&a.kind)?;
    let bytes = transfer::template(kind)?;
    std::fs::write(&a.out, bytes).with_context(|| format!("cannot write {}", a.out.display()))?;
    println!(
        "已写入{}导入模板 / wrote the {} template to {}",
        kind.label_zh(),
        kind.as_str(),
        a.out.display()
    );
    Ok(())
}

/// A registry's filter from the command line's `--unit`, `--status` and
/// `--filter-kind`.
struct Given<'a>(&'a ExportArgs);

impl transfer::ReadFilter for Given<'_> {
    type Error = anyhow::Error;
    fn read<R: wangge_store::registry::Registry>(&self) -> anyhow::Result<R::Filter> {
        record_filter::<R>(self.0)
    }
}
