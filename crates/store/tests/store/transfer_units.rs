//! Unit positions through the units sheet: set on new and existing units,
//! left alone by blank cells, refused (with the column named, nothing
//! written) when out of range or half given, and exported so that a sheet
//! goes out and comes back unchanged.

use crate::common::*;
use std::path::{Path, PathBuf};
use wangge_store::transfer::{
    self, ExportFormat, ExportOptions, ImportOptions, ImportSummary, Kind,
};

fn dir() -> PathBuf {
    wangge_testkit::temp_dir()
}

async fn import(ts: &Env, path: &Path) -> ImportSummary {
    let opts = ImportOptions {
        file_name: Some("units.csv".into()),
        ..ImportOptions::default()
    };
    transfer::import(&ts.store, &ts.ctx(), Kind::Units, path, opts, None)
        .await
        .unwrap()
        .summary
}

async fn position(ts: &Env, code: &str) -> (Option<f64>, Option<f64>) {
    let u = get_unit(ts, code).await.unwrap();
    (u.lat, u.lon)
}

#[test]
fn positions_come_in_with_the_units_sheet_and_go_out_again() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        let d = dir();
        let sheet = format!(
            "单元代码,单元名称,单元类型,上级单元代码,纬度,经度\n\
             {a},{an},小区,,35.2431,115.4802\n\
             ,新华小区,小区,{comm},３５．２５１０,115.4710°\n\
             {b},{bn},小区,,,\n",
            a = t.compound_a.code,
            an = t.compound_a.name,
            comm = t.comm_a.code,
            b = t.compound_b.code,
            bn = t.compound_b.name,
        );
        let path = d.join("units.csv");
        std::fs::write(&path, sheet.as_bytes()).unwrap();
        let s = import(&ts, &path).await;
        assert!(s.committed, "{s:?}");
        assert_eq!(
            (s.created, s.updated, s.unchanged, s.rejected),
            (1, 1, 1, 0),
            "{s:?}"
        );
        assert_eq!(
            position(&ts, &t.compound_a.code).await,
            (Some(35.2431), Some(115.4802))
        );
        assert_eq!(
            position(&ts, &t.compound_b.code).await,
            (None, None),
            "blank cells change nothing"
        );
        let ctx = ts.ctx();
        let new = ts
            .db
            .read(move |c| {
                let f = wangge_store::units::ListFilter {
                    q: Some("新华小区".into()),
                    ..Default::default()
                };
                wangge_store::units::list(c, &ctx, &f, None, None)
            })
            .await
            .unwrap()
            .items;
        assert_eq!(
            (new[0].lat, new[0].lon),
            (Some(35.251), Some(115.471)),
            "full-width digits and ° read"
        );

        // The same sheet again changes nothing.
        let s = import(&ts, &path).await;
        assert_eq!((s.created, s.updated, s.unchanged), (0, 0, 3), "{s:?}");

        // Out and back: the export carries the positions and imports unchanged.
        let out = d.join("units-out.csv");
        transfer::export(
            &ts.store,
            &ts.ctx(),
            Kind::Units,
            ExportOptions::new(ExportFormat::Csv),
            &out,
            None,
        )
        .await
        .unwrap();
        let text = String::from_utf8_lossy(&std::fs::read(&out).unwrap()).to_string();
        assert!(text.contains("纬度") && text.contains("经度"), "{text}");
        assert!(text.contains("35.2431,115.4802"), "{text}");
        let s = import(&ts, &out).await;
        assert_eq!((s.created, s.updated, s.rejected), (0, 0, 0), "{s:?}");
        let _ = std::fs::remove_dir_all(&d);
    });
}

#[test]
fn bad_positions_in_the_sheet_name_their_column_and_nothing_is_written() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        let d = dir();
        let sheet = format!(
            "单元代码,单元名称,单元类型,纬度,经度\n\
             {a},{an},小区,95,115.48\n\
             {b},{bn},小区,35.24,\n\
             {a},{an},小区,北纬35度,115.48\n",
            a = t.compound_a.code,
            an = t.compound_a.name,
            b = t.compound_b.code,
            bn = t.compound_b.name,
        );
        let path = d.join("units.csv");
        std::fs::write(&path, sheet.as_bytes()).unwrap();
        let before = get_unit(&ts, &t.compound_a.code).await.unwrap();
        let s = import(&ts, &path).await;
        assert!(!s.committed, "{s:?}");
        assert_eq!(s.rejected, 3, "{s:?}");
        let by_row: Vec<(u64, String, String)> = s
            .issues
            .iter()
            .map(|i| {
                (
                    i.row,
                    i.column.clone().unwrap_or_default(),
                    i.message_zh.clone(),
                )
            })
            .collect();
        assert!(
            by_row[0].1.contains("纬度") && by_row[0].2.contains("纬度应在-90到90之间"),
            "{by_row:?}"
        );
        assert!(
            by_row[1].1.contains("经度") && by_row[1].2.contains("同时填写"),
            "{by_row:?}"
        );
        assert!(
            by_row[2].1.contains("纬度") && by_row[2].2.contains("不是数字"),
            "{by_row:?}"
        );
        assert_eq!(by_row.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 3, 4]);
        let after = get_unit(&ts, &t.compound_a.code).await.unwrap();
        assert_eq!(
            (after.lat, after.lon, after.updated_at),
            (before.lat, before.lon, before.updated_at)
        );
        let _ = std::fs::remove_dir_all(&d);
    });
}
