//! Exports of the construction-site list, the inspection plans and the audit
//! log: the lists' own rows for the same filters and scope, in their order,
//! with Chinese headers and the filter sheet; refusals write nothing; every
//! export is audited. Both backends.

use crate::common::*;
use crate::inspections::{record, setup, submit, target};
use std::path::{Path, PathBuf};
use wangge_core::equipment::SiteStatus;
use wangge_store::audit::{self, Filter};
use wangge_store::equipment::{self as eq, NewSite, Site, SiteFilter};
use wangge_store::registry::Registry;
use wangge_store::transfer::{
    self, ExportFilter, ExportFormat, ExportOptions, AUDIT_HEADERS, PLAN_HEADERS,
};
use wangge_store::{Ctx, Error, Result};

pub(crate) struct TempDir(pub(crate) PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The first sheet's rows and the info sheet's (label, value) pairs.
pub(crate) fn read(path: &Path, sheet: &str) -> (Vec<Vec<String>>, Vec<(String, String)>) {
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    assert_eq!(wb.sheet_names(), [sheet, "导出信息"]);
    let cells = |r: calamine::Range<calamine::Data>| -> Vec<Vec<String>> {
        r.rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    };
    let rows = cells(wb.worksheet_range(sheet).unwrap());
    let info = cells(wb.worksheet_range("导出信息").unwrap())
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    (rows, info)
}

pub(crate) fn info<'a>(info: &'a [(String, String)], label: &str) -> &'a str {
    info.iter()
        .find(|(k, _)| k.starts_with(label))
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {label} in {info:?}"))
}

/// The details of the export entries of the audit log, oldest first.
pub(crate) async fn exports_audited(ts: &Env) -> Vec<String> {
    ts.db
        .read(|c| {
            c.query(
                "SELECT detail FROM audit_log WHERE entity = 'export' ORDER BY seq",
                &[],
            )?
            .iter()
            .map(|r| r.get::<String>(0))
            .collect::<Result<Vec<_>>>()
        })
        .await
        .unwrap()
}

pub(crate) fn xlsx() -> ExportOptions {
    ExportOptions::new(ExportFormat::Xlsx)
}

#[test]
fn site_plan_and_audit_exports_hold_their_lists_rows_in_scope() {
    on_each_backend(|ts| async move {
        let i = setup(&ts).await;
        let w = &i.w;
        let sites = [
            (
                "华英小区二期",
                w.t.compound_a.code.clone(),
                SiteStatus::Active,
            ),
            (
                "华英幼儿园",
                w.t.building_a1.code.clone(),
                SiteStatus::Suspended,
            ),
            (
                "长江花园改造",
                w.t.compound_b.code.clone(),
                SiteStatus::Active,
            ),
        ];
        let (sys, builder) = (w.system.clone(), w.org_b);
        ts.db
            .write(move |c| {
                for (name, unit, status) in sites {
                    wangge_store::registry::create::<eq::Site>(
                        c,
                        &sys,
                        NewSite {
                            name: name.into(),
                            builder_org_id: builder,
                            unit,
                            location: None,
                            starts_on: "2026-03-01".into(),
                            ends_on: Some("2027-06-30".into()),
                            status: Some(status),
                        },
                    )?;
                }
                Ok(())
            })
            .await
            .unwrap();
        let mall = target(&i, "万达广场").await;
        submit(w, &w.system, record(i.plan.id, mall, "export-1", &[]))
            .await
            .unwrap();
        let dir = TempDir(wangge_testkit::temp_dir());
        let out = dir.0.join("list.xlsx");

        // Sites: the cadre's community only, in the list's order.
        let sites_of = |ctx: Ctx, f: SiteFilter, opts: ExportOptions| {
            let (store, out) = (ts.store.clone(), out.clone());
            async move { transfer::export_registry::<Site>(&store, &ctx, f, opts, &out, None).await }
        };
        let e = sites_of(w.cadre_a.clone(), SiteFilter::default(), xlsx())
            .await
            .unwrap();
        assert_eq!(e.rows, 2);
        let (rows, inf) = read(&out, "建筑工地");
        assert_eq!(rows[0], Site::HEADERS);
        let (ctx, f) = (w.cadre_a.clone(), SiteFilter::default());
        let listed: Vec<String> = ts
            .db
            .read(move |c| wangge_store::registry::list::<eq::Site>(c, &ctx, &f, None, None))
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|s| s.name)
            .collect();
        let got: Vec<String> = rows[1..].iter().map(|r| r[0].clone()).collect();
        assert_eq!(got, listed);
        assert!(!got.contains(&"长江花园改造".to_string()));
        assert_eq!(info(&inf, "状态"), "全部 / any");
        let f = SiteFilter {
            status: Some(SiteStatus::Suspended),
            ..Default::default()
        };
        sites_of(w.street.clone(), f, xlsx()).await.unwrap();
        let (rows, inf) = read(&out, "建筑工地");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1][0], "华英幼儿园");
        assert_eq!(rows[1][7], "停工");
        assert_eq!(info(&inf, "状态"), "停工");

        // Plans: progress counted over the targets in the caller's scope.
        let plans_of = |ctx: Ctx, opts: ExportOptions| {
            let (store, out) = (ts.store.clone(), out.clone());
            async move { transfer::export_plans(&store, &ctx, opts, &out, None).await }
        };
        let counts = |rows: &[Vec<String>]| -> Vec<String> { rows[1][10..14].to_vec() };
        for (ctx, want) in [
            (&w.street, ["4", "1", "0", "3"]),
            (&w.cadre_a, ["2", "1", "0", "1"]),
            (&w.cadre_b, ["2", "0", "0", "2"]),
        ] {
            let e = plans_of(ctx.clone(), xlsx()).await.unwrap();
            assert_eq!(e.rows, 1);
            let (rows, _) = read(&out, "排查计划");
            assert_eq!(rows[0], PLAN_HEADERS);
            assert_eq!(rows[1][0], "电梯安全隐患排查");
            assert_eq!(counts(&rows), want, "{}", ctx.actor);
        }

        // The audit log: the page's entries for the filter, newest first.
        let audit_of = |ctx: Ctx, f: Filter, opts: ExportOptions| {
            let (store, out) = (ts.store.clone(), out.clone());
            async move { transfer::export_audit(&store, &ctx, f, opts, &out, None).await }
        };
        let f = Filter {
            entity: Some("construction_site".into()),
            ..Default::default()
        };
        let e = audit_of(w.auditor.clone(), f.clone(), xlsx())
            .await
            .unwrap();
        assert_eq!(e.rows, 3);
        let (rows, inf) = read(&out, "审计日志");
        assert_eq!(rows[0], AUDIT_HEADERS);
        let (ctx, f2) = (w.auditor.clone(), f.clone());
        let seqs: Vec<String> = ts
            .db
            .read(move |c| audit::list(c, &ctx, &f2, 100))
            .await
            .unwrap()
            .iter()
            .map(|e| e.seq.to_string())
            .collect();
        let got: Vec<String> = rows[1..].iter().map(|r| r[0].clone()).collect();
        assert_eq!(got, seqs);
        assert!(rows[1..].iter().all(|r| r[4] == "construction_site"));
        assert!(info(&inf, "哈希链校验").starts_with("通过"), "{inf:?}");

        // Refusals write nothing: no permission, a unit outside the scope, a
        // registry filter, an unmask without the right.
        let before = snapshot(&ts).await;
        let outside = SiteFilter {
            unit: Some(w.t.comm_b.code.clone()),
            ..Default::default()
        };
        assert_not_found(sites_of(w.cadre_a.clone(), outside, xlsx()).await);
        for r in [
            sites_of(w.grid_a.clone(), SiteFilter::default(), xlsx()).await,
            plans_of(w.grid_a.clone(), xlsx()).await,
            plans_of(w.auditor.clone(), xlsx()).await,
            audit_of(w.street.clone(), Filter::default(), xlsx()).await,
        ] {
            assert!(matches!(r, Err(Error::Forbidden)), "{r:?}");
        }
        let mut registry = xlsx();
        registry.filter = ExportFilter {
            unit: Some(w.t.comm_a.code.clone()),
            ..Default::default()
        };
        refused(
            audit_of(w.auditor.clone(), Filter::default(), registry.clone()).await,
            "filter_not_applicable",
        );
        refused(
            plans_of(w.street.clone(), registry).await,
            "filter_not_applicable",
        );
        let mut unmask = xlsx();
        unmask.unmask = true;
        unmask.reason = Some("核对".into());
        let r = audit_of(w.auditor.clone(), Filter::default(), unmask).await;
        assert!(matches!(r, Err(Error::Forbidden)), "{r:?}");
        unchanged(&before, &snapshot(&ts).await);

        let log = exports_audited(&ts).await;
        let kinds: Vec<&str> = log
            .iter()
            .map(|d| {
                ["construction_sites", "inspection_plans", "audit"]
                    .into_iter()
                    .find(|k| d.contains(&format!("\"kind\":\"{k}\"")))
                    .unwrap_or("?")
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "construction_sites",
                "construction_sites",
                "inspection_plans",
                "inspection_plans",
                "inspection_plans",
                "audit"
            ]
        );
        assert!(log[1].contains("\"status\":\"suspended\""), "{log:?}");
        assert!(
            log[5].contains("\"entity\":\"construction_site\""),
            "{log:?}"
        );
    });
}
