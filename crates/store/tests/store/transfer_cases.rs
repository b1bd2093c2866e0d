//! Case exports: the rows of `cases::list` for the same filters and scope, in
//! its order, with Chinese headers and a frozen header row; reporters masked
//! unless unmasked with a reason; confidential tips only for those allowed;
//! every refusal writes nothing, every export is audited. Both backends.

use crate::cases_fixture::*;
use crate::common::*;
use std::io::Read;
use std::path::{Path, PathBuf};
use time::macros::datetime;
use wangge_core::cases::CaseState;
use wangge_store::cases::{self, ListFilter, Source};
use wangge_store::transfer::{self, ExportFormat, ExportOptions, Exported, CASE_HEADERS};
use wangge_store::{Ctx, Error, Result};

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Cases in community A (rubbish with a named reporter, a confidential tip, a
/// dispatched case) and one in community B; the undispatched ones are made
/// overdue by the sweep.
struct Cases {
    rubbish: String,
    tip: String,
    dispatched: String,
    other_community: String,
}

async fn cases_world(w: &World) -> Cases {
    let mut named = new_case("0101", &w.t.building_a1.code, "1号楼东侧垃圾三天没人清运");
    named.reporter_name = Some("王小明".into());
    named.reporter_contact = Some("13912345678".into());
    let rubbish = w.report(&w.anon, named).await.case;
    let mut tip = new_case("0901", &w.t.building_a2.code, "2号楼底商有人放高利贷");
    tip.reporter_name = Some("赵敏".into());
    tip.reporter_contact = Some("13812345678".into());
    let tip = w.report(&w.anon, tip).await.case;
    let d = w.rubbish().await.case;
    w.dispatched(d.id, w.org_a).await;
    let b = w
        .report(
            &w.anon,
            new_case("0101", &w.t.building_b1.code, "长江花园门口垃圾满溢"),
        )
        .await
        .case;
    // Reported Tuesday 18:00: acceptance was due Wednesday 10:30.
    let sys = at(&w.system, datetime!(2026-11-25 11:00 +8));
    w.write(move |c, cfg| cases::sweep(c, &sys, cfg))
        .await
        .unwrap();
    Cases {
        rubbish: rubbish.tracking_no,
        tip: tip.tracking_no,
        dispatched: d.tracking_no,
        other_community: b.tracking_no,
    }
}

async fn export(
    w: &World,
    ctx: &Ctx,
    f: ListFilter,
    opts: ExportOptions,
    out: &Path,
) -> Result<Exported> {
    transfer::export_cases(&w.ts.store, ctx, f, opts, out, None).await
}

/// The list's tracking numbers for the same filter, every page, in order.
async fn listed(w: &World, ctx: &Ctx, f: &ListFilter) -> Vec<String> {
    let (ctx, f) = (ctx.clone(), f.clone());
    w.read(move |c, _| {
        let mut out = Vec::new();
        let mut cursor = None;
        loop {
            let p = cases::list(c, &ctx, &f, cursor.as_deref(), Some(2))?;
            out.extend(p.items.into_iter().map(|v| v.tracking_no));
            match p.next_cursor {
                Some(n) => cursor = Some(n),
                None => return Ok(out),
            }
        }
    })
    .await
    .unwrap()
}

fn sheet(path: &Path) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    assert_eq!(wb.sheet_names(), ["事件", "导出信息"]);
    wb.worksheet_range("事件")
        .unwrap()
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

fn info(path: &Path) -> String {
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    let r = wb.worksheet_range("导出信息").unwrap();
    r.rows()
        .map(|r| {
            r.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("=")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The row of a tracking number, by header.
fn row<'a>(rows: &'a [Vec<String>], no: &str) -> &'a [String] {
    rows.iter()
        .find(|r| r[0] == no)
        .unwrap_or_else(|| panic!("{no} not exported"))
}

fn col(name: &str) -> usize {
    CASE_HEADERS.iter().position(|h| *h == name).unwrap()
}

async fn export_audit(w: &World) -> Vec<(String, String)> {
    w.read(|c, _| {
        c.query(
            "SELECT action, detail FROM audit_log WHERE entity = 'export' ORDER BY seq",
            &[],
        )?
        .iter()
        .map(|r| Ok((r.get::<String>(0)?, r.get::<String>(1)?)))
        .collect::<Result<Vec<_>>>()
    })
    .await
    .unwrap()
}

#[test]
fn case_exports_hold_the_lists_rows_in_scope_with_chinese_headers_and_masked_reporters() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let k = cases_world(&w).await;
        let dir = TempDir(wangge_testkit::temp_dir());
        let out = dir.0.join("cases.xlsx");

        // The community cadre: their community only, in the list's order.
        let e = export(
            &w,
            &w.cadre_a,
            ListFilter::default(),
            ExportOptions::new(ExportFormat::Xlsx),
            &out,
        )
        .await
        .unwrap();
        // The tip is not among them: cadres are not its category's readers.
        assert_eq!((e.rows, e.unmasked), (2, false));
        let rows = sheet(&out);
        assert_eq!(rows[0], CASE_HEADERS);
        for h in [
            "编号",
            "分类",
            "状态",
            "所在单位",
            "受理时间",
            "期限",
            "是否超期",
            "办理单位",
            "满意度",
        ] {
            assert!(CASE_HEADERS.contains(&h), "{h}");
        }
        let numbers: Vec<String> = rows[1..].iter().map(|r| r[0].clone()).collect();
        assert_eq!(
            numbers,
            listed(&w, &w.cadre_a, &ListFilter::default()).await
        );
        assert!(!numbers.contains(&k.other_community));
        let r = row(&rows, &k.rubbish);
        assert_eq!(r[col("分类")], "暴露垃圾");
        assert_eq!(r[col("状态")], "已上报");
        assert_eq!(r[col("所在单位")], "1号楼");
        assert_eq!(r[col("是否超期")], "是");
        assert_eq!(r[col("受理时间")], "2026-11-24 18:00");
        assert_eq!(r[col("期限")], "2026-11-25 10:30");
        assert_eq!(r[col("反映人")], "王**");
        assert_eq!(r[col("反映人联系方式")], "139****5678");
        let d = row(&rows, &k.dispatched);
        assert_eq!(d[col("办理单位")], "开发区市场监管所");
        assert_eq!(d[col("是否超期")], "否");
        assert!(!numbers.contains(&k.tip));
        let sheet_info = info(&out);
        assert!(sheet_info.contains("已脱敏"), "{sheet_info}");
        assert!(
            sheet_info.contains("导出时间 / Exported at=2026-11-24 18:00:00"),
            "{sheet_info}"
        );

        // The header row is frozen.
        let f = std::fs::File::open(&out).unwrap();
        let mut z = zip::ZipArchive::new(f).unwrap();
        let mut xml = String::new();
        z.by_name("xl/worksheets/sheet1.xml")
            .unwrap()
            .read_to_string(&mut xml)
            .unwrap();
        assert!(
            xml.contains(r#"ySplit="1""#) && xml.contains(r#"state="frozen""#),
            "{xml}"
        );

        // Filters: the same rows as the list, for the street office.
        let filters = [
            ListFilter {
                states: vec![CaseState::Reported],
                ..Default::default()
            },
            ListFilter {
                category: Some("01".into()),
                unit: Some(w.t.comm_a.code.clone()),
                ..Default::default()
            },
            ListFilter {
                overdue: Some(true),
                ..Default::default()
            },
            ListFilter {
                source: Some(Source::Resident),
                confidential: Some(false),
                ..Default::default()
            },
            ListFilter {
                text: Some("长江".into()),
                ..Default::default()
            },
        ];
        for f in filters {
            export(
                &w,
                &w.street,
                f.clone(),
                ExportOptions::new(ExportFormat::Xlsx),
                &out,
            )
            .await
            .unwrap();
            let numbers: Vec<String> = sheet(&out)[1..].iter().map(|r| r[0].clone()).collect();
            let expected = listed(&w, &w.street, &f).await;
            assert!(!expected.is_empty(), "{f:?}");
            assert_eq!(numbers, expected, "{f:?}");
        }
        let overdue: Vec<String> = {
            let f = ListFilter {
                overdue: Some(true),
                ..Default::default()
            };
            listed(&w, &w.street, &f).await
        };
        assert!(overdue.contains(&k.rubbish) && !overdue.contains(&k.dispatched));

        // CSV: UTF-8 with BOM, the same headers.
        let csv = dir.0.join("cases.csv");
        export(
            &w,
            &w.cadre_a,
            ListFilter::default(),
            ExportOptions::new(ExportFormat::Csv),
            &csv,
        )
        .await
        .unwrap();
        let bytes = std::fs::read(&csv).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert!(text.starts_with(&CASE_HEADERS.join(",")), "{text}");
        assert!(text.contains("王**") && !text.contains("王小明"), "{text}");

        let log = export_audit(&w).await;
        assert_eq!(log.len(), 7, "{log:?}");
        assert!(log
            .iter()
            .all(|(a, d)| a == "export" && d.contains(r#""kind":"cases""#)));
    });
}

#[test]
fn reporters_are_unmasked_only_with_a_reason_and_tips_only_for_those_allowed() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let k = cases_world(&w).await;
        let dir = TempDir(wangge_testkit::temp_dir());
        let out = dir.0.join("cases.xlsx");
        let mut full = ExportOptions::new(ExportFormat::Xlsx);
        full.unmask = true;

        // Refusals write nothing: no reason; the tip filter without the tip
        // permission; a unit outside the scope; an unknown category; roles
        // that may not export.
        let before = snapshot(&ts).await;
        let e = export(&w, &w.cadre_a, ListFilter::default(), full.clone(), &out).await;
        let e = refused(e, "reason_required");
        assert_eq!(field(&e), "reason");
        assert!(messages(&e).contains("理由") && messages(&e).contains("reason"));
        let mut blank = full.clone();
        blank.reason = Some("   ".into());
        refused(
            export(&w, &w.cadre_a, ListFilter::default(), blank, &out).await,
            "reason_required",
        );
        let tips = ListFilter {
            confidential: Some(true),
            ..Default::default()
        };
        let masked = ExportOptions::new(ExportFormat::Xlsx);
        assert!(matches!(
            export(&w, &w.cadre_a, tips.clone(), masked.clone(), &out).await,
            Err(Error::Forbidden)
        ));
        let elsewhere = ListFilter {
            unit: Some(w.t.comm_b.code.clone()),
            ..Default::default()
        };
        assert!(export(&w, &w.cadre_a, elsewhere, masked.clone(), &out)
            .await
            .is_err());
        let unknown = ListFilter {
            category: Some("9999".into()),
            ..Default::default()
        };
        refused(
            export(&w, &w.street, unknown, masked.clone(), &out).await,
            "unknown_category",
        );
        for ctx in [&w.grid_a, &w.dept_a, &w.auditor, &w.resident] {
            assert!(
                matches!(
                    export(&w, ctx, ListFilter::default(), masked.clone(), &out).await,
                    Err(Error::Forbidden)
                ),
                "{}",
                ctx.actor
            );
        }
        unchanged(&before, &snapshot(&ts).await);

        // With a reason: the cadre sees the named reporter in full, never the tip.
        full.reason = Some("回访核实处理结果".into());
        let e = export(&w, &w.cadre_a, ListFilter::default(), full.clone(), &out)
            .await
            .unwrap();
        assert!(e.unmasked);
        let rows = sheet(&out);
        let r = row(&rows, &k.rubbish);
        assert_eq!(r[col("反映人")], "王小明");
        assert_eq!(r[col("反映人联系方式")], "13912345678");
        assert!(rows.iter().all(|r| r[0] != k.tip));
        assert!(info(&out).contains("回访核实处理结果"));

        // The street office reads tips: the confidential filter and the tip's reporter.
        export(&w, &w.street, tips.clone(), full.clone(), &out)
            .await
            .unwrap();
        let rows = sheet(&out);
        assert_eq!(rows.len(), 2, "{rows:?}");
        let tip = row(&rows, &k.tip);
        assert_eq!(tip[col("反映人")], "赵敏");
        assert_eq!(tip[col("反映人联系方式")], "13812345678");
        export(&w, &w.street, tips, masked.clone(), &out)
            .await
            .unwrap();
        let tip_masked = sheet(&out);
        assert_eq!(row(&tip_masked, &k.tip)[col("反映人")], "赵*");
        assert_eq!(
            row(&tip_masked, &k.tip)[col("反映人联系方式")],
            "138****5678"
        );

        let log = export_audit(&w).await;
        let actions: Vec<&str> = log.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(actions, ["export_unmasked", "export_unmasked", "export"]);
        assert!(log[0].1.contains("回访核实处理结果"));
        assert!(log[1].1.contains(r#""confidential":true"#));
    });
}
