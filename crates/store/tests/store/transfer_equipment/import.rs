//! Equipment imports: an export imports again unchanged, a changed row
//! updates and is audited, every bad row is reported with its row, column and
//! reason, and nothing is written unless valid rows only are asked for.

use super::{elevator, org, TempDir};
use crate::cases_fixture::account;
use crate::common::*;
use std::path::{Path, PathBuf};
use wangge_core::auth::Role;
use wangge_core::equipment::EquipmentStatus;
use wangge_core::organisations::OrgKind;
use wangge_store::equipment as eq;
use wangge_store::transfer::{self, ExportFormat, ExportOptions, ImportOptions, Imported, Kind};
use wangge_store::{Ctx, Error, Result};

async fn import(ts: &Env, ctx: &Ctx, path: &Path, skip_invalid: bool) -> Result<Imported> {
    let opts = ImportOptions {
        skip_invalid,
        ..ImportOptions::default()
    };
    transfer::import(&ts.store, ctx, Kind::Equipment, path, opts, None).await
}

fn csv(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// The equipment table as it stands, for "nothing changed".
async fn table(ts: &Env) -> Vec<String> {
    ts.db
        .read(|c| {
            c.query("SELECT * FROM equipment ORDER BY id", &[])?
                .iter()
                .map(|r| Ok(format!("{r:?}")))
                .collect::<Result<Vec<_>>>()
        })
        .await
        .unwrap()
}

async fn by_code(ts: &Env, code: &str) -> eq::Equipment {
    let (ctx, code) = (ts.ctx(), code.to_string());
    ts.db
        .read(move |c| {
            let id: i64 = c
                .query_one(
                    "SELECT id FROM equipment WHERE registration_code = $1",
                    wangge_store::params![code.as_str()],
                )?
                .get(0)?;
            eq::get(c, &ctx, id)
        })
        .await
        .unwrap()
}

struct Fixture {
    tree: Tree,
    cadre: Ctx,
}

async fn fixture(ts: &Env) -> Fixture {
    let t = small_tree(ts).await;
    let property = org(ts, "华英物业", OrgKind::PropertyCompany, &t.compound_a.code).await;
    let other = org(ts, "长江物业", OrgKind::PropertyCompany, &t.compound_b.code).await;
    // A maintenance company the cadre of community A may name (长江物业 is
    // outside their scope, so unknown to them).
    org(
        ts,
        "康庄电梯维保",
        OrgKind::PropertyCompany,
        &t.compound_a.code,
    )
    .await;
    let sys = ts.ctx();
    let news = [
        elevator("DT-0001", &t.building_a1.code, property, "2026-03-01"),
        elevator("DT-0002", &t.building_a2.code, property, "2025-10-01"),
        elevator("DT-0009", &t.building_b1.code, other, "2026-03-01"),
    ];
    ts.db
        .write(move |c| {
            for n in news {
                eq::create(c, &sys, n)?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let cadre = account(
        ts,
        "cadre_a",
        Role::CommunityCadre,
        Some(&t.comm_a.code),
        None,
    )
    .await;
    Fixture { tree: t, cadre }
}

#[test]
fn an_export_imports_unchanged_and_a_changed_row_updates_and_is_audited() {
    on_each_backend(|ts| async move {
        let Fixture { tree: t, cadre } = fixture(&ts).await;
        let dir = TempDir(wangge_testkit::temp_dir());
        let out = dir.0.join("equipment.xlsx");
        let e = transfer::export_equipment(
            &ts.store,
            &cadre,
            Default::default(),
            ExportOptions::new(ExportFormat::Xlsx),
            &out,
            None,
        )
        .await
        .unwrap();
        assert_eq!(e.rows, 2);
        let before = table(&ts).await;
        let s = import(&ts, &cadre, &out, false).await.unwrap().summary;
        assert!(s.committed, "{s:?}");
        assert_eq!(
            (s.rows, s.created, s.updated, s.unchanged, s.rejected),
            (2, 0, 0, 2, 0),
            "{s:?}"
        );
        assert_eq!(table(&ts).await, before);

        // English headers; one new row, one changed row.
        let text = format!(
            "Registration code,Kind,Unit code,Location,Use unit,Maintenance unit,Model,Installed on,Last inspection,Maintenance interval (days),Status\n\
             dt-0001,elevator,{a1},2单元西梯,华英物业,康庄电梯维保,曳引式乘客电梯,2015-05-10,2026-03-01,30,停用\n\
             DT-0005,自动扶梯,{a2},,华英物业,,,2020/3/20,,,在用\n",
            a1 = t.building_a1.code,
            a2 = t.building_a2.code
        );
        let path = csv(&dir.0, "changed.csv", &text);
        let s = import(&ts, &cadre, &path, false).await.unwrap().summary;
        assert!(s.committed, "{s:?}");
        assert_eq!((s.created, s.updated, s.unchanged), (1, 1, 0), "{s:?}");
        let one = by_code(&ts, "DT-0001").await;
        assert_eq!(one.location, "2单元西梯");
        assert_eq!(one.maintenance_org_name.as_deref(), Some("康庄电梯维保"));
        assert_eq!(one.maintenance_interval_days, 30);
        assert_eq!(one.status, EquipmentStatus::Stopped);
        let five = by_code(&ts, "DT-0005").await;
        assert_eq!(
            (
                five.installed_on.as_str(),
                five.next_inspection_due.as_str()
            ),
            ("2020-03-20", "2021-03-20")
        );
        let audit = ts
            .db
            .read(move |c| {
                c.query(
                    "SELECT action, detail FROM audit_log WHERE entity = 'equipment' AND entity_id = $1 ORDER BY seq",
                    wangge_store::params![one.id],
                )?
                .iter()
                .map(|r| Ok(format!("{} {}", r.get::<String>(0)?, r.get::<String>(1)?)))
                .collect::<Result<Vec<_>>>()
            })
            .await
            .unwrap();
        let last = audit.last().unwrap();
        assert!(last.starts_with("update"), "{audit:?}");
        for f in [
            "location",
            "maintenance_org_id",
            "maintenance_interval_days",
            "status",
        ] {
            assert!(last.contains(f), "{f} not in {last}");
        }

        // The same file again changes nothing.
        let before = table(&ts).await;
        let s = import(&ts, &cadre, &path, false).await.unwrap().summary;
        assert_eq!((s.created, s.updated, s.unchanged), (0, 0, 2), "{s:?}");
        assert_eq!(table(&ts).await, before);
    });
}

#[test]
fn bad_rows_are_reported_with_row_column_and_reason_and_nothing_is_written() {
    on_each_backend(|ts| async move {
        let Fixture { tree: t, cadre } = fixture(&ts).await;
        let dir = TempDir(wangge_testkit::temp_dir());
        let (a1, b1) = (&t.building_a1.code, &t.building_b1.code);
        let text = format!(
            "使用登记证编号,设备类别,单元代码,使用单位,安装日期,上次检验日期,下次检验日期,状态\n\
             DT-0100,电梯,{a1},华英物业,2015-05-10,,,\n\
             DT-0100,电梯,{a1},华英物业,2015-05-10,,,\n\
             DT-0101,电梯,{a1},华英物业,2015-05-10,2026-03-01,2026-01-01,\n\
             DT-0102,电梯,999999999999,华英物业,2015-05-10,,,\n\
             DT-0103,电梯,{a1},无此物业,2015-05-10,,,\n\
             DT-0104,电梯,{b1},华英物业,2015-05-10,,,\n\
             DT-0009,电梯,{a1},华英物业,2015-05-10,,,\n\
             DT-0105,缆车,{a1},华英物业,2015-05-10,,,\n\
             DT-0001,电梯,{a1},华英物业,2016-01-01,,,\n\
             DT-0002,电梯,{a2},华英物业,2015-05-10,,,修好了\n",
            a2 = t.building_a2.code
        );
        let path = csv(&dir.0, "bad.csv", &text);
        let before = table(&ts).await;
        let got = import(&ts, &cadre, &path, false).await.unwrap();
        let s = &got.summary;
        assert!(!s.committed);
        assert_eq!((s.rows, s.rejected), (10, 9), "{s:?}");
        assert!(got.report.is_some());
        assert_eq!(table(&ts).await, before, "all or nothing");
        let expect = [
            (3, "A", "duplicate_in_file", "第2行"),
            (4, "G", "dates_order", "下次检验日期"),
            (5, "C", "unknown_unit", "999999999999"),
            (6, "D", "unknown_organisation", "无此物业"),
            (7, "C", "outside_scope", "管辖范围"),
            (8, "A", "outside_scope", "DT-0009"),
            (9, "B", "equipment_kind", "缆车"),
            (10, "E", "not_changeable", "安装日期"),
            (11, "H", "equipment_status", "修好了"),
        ];
        assert_eq!(s.issues.len(), expect.len(), "{:#?}", s.issues);
        // Rows that fail on their own are reported before those checked
        // against the database.
        let mut issues = s.issues.clone();
        issues.sort_by_key(|i| i.row);
        for (i, (row, col, code, zh)) in issues.iter().zip(expect) {
            assert_eq!(i.row, row, "{i:?}");
            assert!(i.column.as_deref().unwrap_or("").starts_with(col), "{i:?}");
            assert_eq!(i.code, code, "{i:?}");
            assert!(i.message_zh.contains(zh), "{i:?}");
            assert!(!i.message_en.is_empty(), "{i:?}");
        }

        // Valid rows only: the first DT-0100 is registered, nothing else.
        let s = import(&ts, &cadre, &path, true).await.unwrap().summary;
        assert!(s.committed);
        assert_eq!((s.created, s.rejected), (1, 9), "{s:?}");
        assert_eq!(table(&ts).await.len(), before.len() + 1);

        // A role without EquipmentWrite is refused before anything is read.
        let grid = account(&ts, "grid_a", Role::GridWorker, Some(&t.comm_a.code), None).await;
        let before = table(&ts).await;
        let r = import(&ts, &grid, &path, true).await;
        assert!(
            matches!(r, Err(Error::Forbidden)),
            "{:?}",
            r.map(|i| i.summary)
        );
        assert_eq!(table(&ts).await, before);
    });
}
