//! `wangge-bench-transfer`: import and export of N residents (default one
//! million) through `wangge_store::transfer`, as CSV and as xlsx, on SQLite,
//! beside a baseline of reading the same file with the parsing crate alone
//! (`csv`, `calamine`'s streaming cell reader). Reports rows per second and
//! the peak memory (VmHWM, reset before each step) as Markdown.
//!
//! ```text
//! cargo run --release -p wangge-bench --bin wangge-bench-transfer -- --rows 1000000
//! ```

use anyhow::{Context, Result};
use clap::Parser;
use rust_xlsxwriter::Workbook;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;
use wangge_core::ids::id_check_char;
use wangge_core::units::UnitKind;
use wangge_store::transfer::{self, ExportFormat, ExportOptions, ImportOptions, Kind};
use wangge_store::units::{self, NewUnit};
use wangge_store::{Backend, Scope, Store, StoreOptions};
use wangge_testkit::TempStore;

#[derive(Debug, Parser)]
#[command(
    name = "wangge-bench-transfer",
    about = "Import/export throughput and memory"
)]
struct Args {
    /// Residents in the generated files.
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
    /// Where to put the files and databases (default: a temporary directory).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Also write the report here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// sqlite, postgres or both. PostgreSQL is the server in `WANGGE_TEST_PG`
    /// (default postgres://postgres@127.0.0.1/test), one fresh schema per store.
    #[arg(long, default_value = "sqlite")]
    backend: String,
}

/// Peak resident memory since the last reset, in MiB (Linux).
fn peak_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Resets the peak to the current resident size, so each step has its own.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

struct Step {
    name: String,
    rows: usize,
    secs: f64,
    peak: f64,
}

fn measure<T>(
    name: &str,
    rows: usize,
    steps: &mut Vec<Step>,
    f: impl FnOnce() -> Result<T>,
) -> Result<T> {
    reset_peak();
    let t = Instant::now();
    let out = f()?;
    let secs = t.elapsed().as_secs_f64();
    let peak = peak_mib();
    eprintln!(
        "{name}: {rows} rows in {secs:.1} s ({:.0} rows/s), peak {peak:.0} MiB",
        rows as f64 / secs
    );
    steps.push(Step {
        name: name.to_string(),
        rows,
        secs,
        peak,
    });
    Ok(out)
}

const STREETS: usize = 2;
const COMMUNITIES: usize = 5;
const COMPOUNDS: usize = 10;
const BUILDINGS: usize = 20;

fn id_number(n: usize) -> String {
    let days = (n / 500) as i64;
    let birth = time::macros::date!(1940 - 01 - 01) + time::Duration::days(days % 30_000);
    let first17 = format!(
        "371799{}{:02}{:02}{:03}",
        birth.year(),
        u8::from(birth.month()),
        birth.day(),
        n % 500 + (n / 15_000_000) * 500
    );
    format!("{first17}{}", id_check_char(first17.as_bytes()))
}

const SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"];
const GIVEN: &[&str] = &["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军"];
const RELATIONS: [&str; 3] = ["户主", "配偶", "子女"];

/// One generated resident as the columns of the people sheet.
fn person(n: usize) -> [String; 11] {
    let building = n / 500 % (STREETS * COMMUNITIES * COMPOUNDS * BUILDINGS);
    let b = building % BUILDINGS;
    let compound = building / BUILDINGS % COMPOUNDS;
    let community = building / (BUILDINGS * COMPOUNDS);
    [
        format!("{}{}", SURNAMES[n % 10], GIVEN[n / 10 % 10]),
        id_number(n),
        format!("138{:08}", n % 100_000_000),
        format!("第{}社区", community + 1),
        format!("第{}小区", compound + 1),
        format!("{}号楼", b + 1),
        format!("{}", n / 3 % 4 + 1),
        format!("{}", 101 + n / 3 % 30),
        format!("H{}", n / 3),
        RELATIONS[n % 3].to_string(),
        "群众".to_string(),
    ]
}

const HEADER: [&str; 11] = [
    "姓名",
    "身份证号",
    "联系电话",
    "所属社区",
    "所属小区",
    "楼栋",
    "单元",
    "房号",
    "户号",
    "与户主关系",
    "政治面貌",
];

fn write_csv(path: &Path, rows: usize) -> Result<()> {
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(std::fs::File::create(path)?));
    w.write_record(HEADER)?;
    for n in 0..rows {
        w.write_record(person(n))?;
    }
    w.flush()?;
    Ok(())
}

fn write_xlsx(path: &Path, rows: usize) -> Result<()> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet_with_constant_memory()?;
    ws.set_name("人员")?;
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string(0, c as u16, *h)?;
    }
    for n in 0..rows {
        for (c, v) in person(n).iter().enumerate() {
            ws.write_string(n as u32 + 1, c as u16, v)?;
        }
    }
    wb.save(path)?;
    Ok(())
}

/// The baseline: the csv crate alone, every field touched.
fn read_csv_alone(path: &Path) -> Result<usize> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)?;
    let mut rec = csv::ByteRecord::new();
    let (mut rows, mut bytes) = (0, 0usize);
    while r.read_byte_record(&mut rec)? {
        rows += 1;
        bytes += rec.iter().map(<[u8]>::len).sum::<usize>();
    }
    std::hint::black_box(bytes);
    Ok(rows)
}

/// The baseline: calamine's streaming cell reader alone, as the import uses it.
fn read_xlsx_alone(path: &Path) -> Result<usize> {
    use calamine::{Reader, Xlsx};
    let mut wb: Xlsx<_> = calamine::open_workbook(path)?;
    let sheet = wb.sheet_names()[0].clone();
    let mut cells = wb.worksheet_cells_reader(&sheet)?;
    let (mut n, mut last_row) = (0usize, 0u32);
    while let Some(c) = cells.next_cell()? {
        n += 1;
        last_row = c.get_position().0;
    }
    std::hint::black_box(n);
    Ok(last_row as usize)
}

/// A migrated, empty store; the second value, when there is one, drops the
/// PostgreSQL schema when it goes. Not async: opening connects synchronously.
fn open_store(dir: &Path, name: &str, backend: Backend) -> Result<(Store, Option<TempStore>)> {
    Ok(match backend {
        Backend::Sqlite => {
            let mut opts = StoreOptions::new(format!("sqlite:{}", dir.join(name).display()));
            opts.key_file = Some(dir.join(format!("{name}.key")));
            (Store::open(&opts)?, None)
        }
        Backend::Postgres => {
            let t = wangge_testkit::temp_store(Backend::Postgres)
                .context("PostgreSQL is unavailable (see WANGGE_TEST_PG)")?;
            (t.store.clone(), Some(t))
        }
    })
}

/// The bench's unit tree, in a fresh store.
async fn add_units(store: &Store) -> Result<()> {
    let ctx = store.ctx("bench", Scope::All, time::OffsetDateTime::now_utc());
    store
        .db
        .write(move |c| {
            let unit =
                |c: &mut dyn wangge_store::Conn, kind, name: String, parent: Option<String>| {
                    units::create(
                        c,
                        &ctx,
                        NewUnit {
                            kind,
                            name,
                            parent,
                            code: (kind == UnitKind::Zone).then(|| "371799".to_string()),
                        },
                    )
                };
            let zone = unit(c, UnitKind::Zone, "菏泽开发区".into(), None)?;
            let mut community = 0;
            for s in 0..STREETS {
                let street = unit(
                    c,
                    UnitKind::Street,
                    format!("第{}街道", s + 1),
                    Some(zone.code.clone()),
                )?;
                for _ in 0..COMMUNITIES {
                    community += 1;
                    let comm = unit(
                        c,
                        UnitKind::Community,
                        format!("第{community}社区"),
                        Some(street.code.clone()),
                    )?;
                    for p in 0..COMPOUNDS {
                        let compound = unit(
                            c,
                            UnitKind::Compound,
                            format!("第{}小区", p + 1),
                            Some(comm.code.clone()),
                        )?;
                        for b in 0..BUILDINGS {
                            unit(
                                c,
                                UnitKind::Building,
                                format!("{}号楼", b + 1),
                                Some(compound.code.clone()),
                            )?;
                        }
                    }
                }
            }
            Ok(())
        })
        .await?;
    Ok(())
}

fn main() -> Result<()> {
    let args = Args::parse();
    let tmp;
    let dir = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d.clone()
        }
        None => {
            tmp = wangge_testkit::temp_dir();
            tmp.clone()
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let n = args.rows;
    let mut steps = Vec::new();
    let csv_path = dir.join("people.csv");
    let xlsx_path = dir.join("people.xlsx");
    measure("generate CSV (csv crate)", n, &mut steps, || {
        write_csv(&csv_path, n)
    })?;
    measure(
        "generate xlsx (rust_xlsxwriter, constant memory)",
        n,
        &mut steps,
        || write_xlsx(&xlsx_path, n),
    )?;
    let csv_mib = std::fs::metadata(&csv_path)?.len() as f64 / 1048576.0;
    let xlsx_mib = std::fs::metadata(&xlsx_path)?.len() as f64 / 1048576.0;

    let r = measure(
        "baseline: read CSV with the csv crate alone",
        n,
        &mut steps,
        || read_csv_alone(&csv_path),
    )?;
    anyhow::ensure!(r == n, "csv baseline read {r} rows");
    let r = measure(
        "baseline: read xlsx with calamine's cell reader alone",
        n,
        &mut steps,
        || read_xlsx_alone(&xlsx_path),
    )?;
    anyhow::ensure!(r == n, "xlsx baseline read {r} rows");

    let backends = match args.backend.as_str() {
        "sqlite" => vec![Backend::Sqlite],
        "postgres" => vec![Backend::Postgres],
        "both" => vec![Backend::Sqlite, Backend::Postgres],
        other => anyhow::bail!("--backend must be sqlite, postgres or both, not {other}"),
    };
    let runs = backends.iter().flat_map(|b| {
        [
            ("CSV", &csv_path, "csv.db"),
            ("xlsx", &xlsx_path, "xlsx.db"),
        ]
        .map(|(label, path, db)| (*b, label, path, db))
    });
    for (backend, format_label, path, db) in runs {
        let label = format!("{format_label} ({backend:?})");
        let (store, temp) = open_store(&dir, db, backend)?;
        rt.block_on(add_units(&store))?;
        let ctx = store.ctx("bench", Scope::All, time::OffsetDateTime::now_utc());
        let s = measure(
            &format!("import {label} into an empty store (check + write)"),
            n,
            &mut steps,
            || {
                Ok(rt.block_on(transfer::import(
                    &store,
                    &ctx,
                    Kind::People,
                    path,
                    ImportOptions::default(),
                    None,
                ))?)
            },
        )?;
        anyhow::ensure!(
            s.summary.committed && s.summary.created == n as u64,
            "import {label}: {:?}",
            s.summary.issues.first()
        );
        let s = measure(
            &format!("import the same {label} again (all unchanged)"),
            n,
            &mut steps,
            || {
                Ok(rt.block_on(transfer::import(
                    &store,
                    &ctx,
                    Kind::People,
                    path,
                    ImportOptions::default(),
                    None,
                ))?)
            },
        )?;
        anyhow::ensure!(s.summary.unchanged == n as u64, "re-import {label}");
        if format_label == "CSV" {
            for format in [ExportFormat::Xlsx, ExportFormat::Csv] {
                let out = dir.join(format!("export.{}", format.extension()));
                let e = measure(
                    &format!(
                        "export {n} rows to {} (masked, {backend:?})",
                        format.extension()
                    ),
                    n,
                    &mut steps,
                    || {
                        Ok(rt.block_on(transfer::export(
                            &store,
                            &ctx,
                            Kind::People,
                            ExportOptions::new(format),
                            &out,
                            None,
                        ))?)
                    },
                )?;
                anyhow::ensure!(e.rows == n as u64, "export");
            }
        }
        drop(store);
        drop(temp);
    }

    let mut md = String::new();
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    writeln!(md, "| step ({n} residents; CSV {csv_mib:.0} MiB, xlsx {xlsx_mib:.0} MiB; {cpus} cores) | seconds | rows/s | peak memory (MiB) |")?;
    writeln!(md, "|---|---:|---:|---:|")?;
    for s in &steps {
        writeln!(
            md,
            "| {} | {:.1} | {:.0} | {:.0} |",
            s.name,
            s.secs,
            s.rows as f64 / s.secs,
            s.peak
        )?;
    }
    print!("{md}");
    if let Some(out) = &args.out {
        std::fs::File::create(out)
            .and_then(|mut f| f.write_all(md.as_bytes()))
            .with_context(|| format!("cannot write {}", out.display()))?;
    }
    if args.dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}
