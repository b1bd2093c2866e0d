//! Equipment exports: the rows of `equipment::list` for the same filters and
//! scope, in its order, with Chinese headers; refusals write nothing; every
//! export is audited. Both backends. Imports are in `import`.

#[path = "transfer_equipment/import.rs"]
mod import;

use crate::cases_fixture::account;
use crate::common::*;
use std::path::{Path, PathBuf};
use wangge_core::auth::Role;
use wangge_core::equipment::{AlertKind, EquipmentKind};
use wangge_core::organisations::OrgKind;
use wangge_store::equipment::{self as eq, ListFilter, NewEquipment};
use wangge_store::organisations::{NewOrganisation, Organisation};
use wangge_store::registry;
use wangge_store::transfer::{self, ExportFormat, ExportOptions, EQUIPMENT_HEADERS};
use wangge_store::{Ctx, Error, Result};

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn org(ts: &Env, name: &str, kind: OrgKind, unit: &str) -> i64 {
    let (ctx, new) = (
        ts.ctx(),
        NewOrganisation {
            name: name.to_string(),
            kind,
            unit: unit.to_string(),
            parent_org_id: None,
            credit_code: None,
        },
    );
    ts.db
        .write(move |c| registry::create::<Organisation>(c, &ctx, new))
        .await
        .unwrap()
        .id
}

fn elevator(code: &str, unit: &str, user: i64, inspected: &str) -> NewEquipment {
    NewEquipment {
        registration_code: code.to_string(),
        kind: EquipmentKind::Elevator,
        unit: unit.to_string(),
        location: Some("1单元东梯".into()),
        use_org_id: user,
        maintenance_org_id: None,
        model: Some("曳引式乘客电梯".into()),
        installed_on: "2015-05-10".into(),
        last_inspected_on: Some(inspected.into()),
        next_inspection_due: None,
        maintenance_interval_days: None,
        last_maintained_on: Some("2026-11-20".into()),
    }
}

fn codes(path: &Path) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    assert_eq!(wb.sheet_names(), ["特种设备", "导出信息"]);
    wb.worksheet_range("特种设备")
        .unwrap()
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

async fn listed(ts: &Env, ctx: &Ctx, f: &ListFilter) -> Vec<String> {
    let (ctx, f) = (ctx.clone(), f.clone());
    ts.db
        .read(move |c| {
            let mut out = Vec::new();
            let mut cursor = None;
            loop {
                let p = eq::list(c, &ctx, &f, cursor.as_deref(), Some(2))?;
                out.extend(p.items.into_iter().map(|e| e.registration_code));
                match p.next_cursor {
                    Some(n) => cursor = Some(n),
                    None => return Ok(out),
                }
            }
        })
        .await
        .unwrap()
}

#[test]
fn equipment_exports_hold_the_lists_rows_in_scope_and_refusals_write_nothing() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        let property = org(
            &ts,
            "华英物业",
            OrgKind::PropertyCompany,
            &t.compound_a.code,
        )
        .await;
        let other = org(
            &ts,
            "长江物业",
            OrgKind::PropertyCompany,
            &t.compound_b.code,
        )
        .await;
        let sys = ts.ctx();
        let news = [
            elevator("DT-0001", &t.building_a1.code, property, "2026-03-01"),
            elevator("DT-0002", &t.building_a2.code, property, "2025-10-01"),
            elevator("DT-0003", &t.building_a1.code, property, "2026-06-01"),
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
            &ts,
            "cadre_a",
            Role::CommunityCadre,
            Some(&t.comm_a.code),
            None,
        )
        .await;
        let dir = TempDir(wangge_testkit::temp_dir());
        let out = dir.0.join("equipment.xlsx");
        let export = |ctx: Ctx, f: ListFilter, opts: ExportOptions| {
            let (store, out) = (ts.store.clone(), out.clone());
            async move { transfer::export_equipment(&store, &ctx, f, opts, &out, None).await }
        };

        let e = export(
            cadre.clone(),
            ListFilter::default(),
            ExportOptions::new(ExportFormat::Xlsx),
        )
        .await
        .unwrap();
        assert_eq!((e.rows, e.unmasked), (3, false));
        let rows = codes(&out);
        assert_eq!(rows[0], EQUIPMENT_HEADERS);
        let got: Vec<String> = rows[1..].iter().map(|r| r[0].clone()).collect();
        assert_eq!(got, listed(&ts, &cadre, &ListFilter::default()).await);
        assert!(!got.contains(&"DT-0009".to_string()), "{got:?}");
        let overdue = rows.iter().find(|r| r[0] == "DT-0002").unwrap();
        let col = |h: &str| EQUIPMENT_HEADERS.iter().position(|x| *x == h).unwrap();
        assert_eq!(overdue[col("设备类别")], "电梯");
        assert_eq!(overdue[col("使用单位")], "华英物业");
        assert_eq!(overdue[col("下次检验日期")], "2026-10-01");
        assert!(overdue[col("提醒")].contains("检验超期"), "{overdue:?}");

        let f = ListFilter {
            alert: Some(AlertKind::InspectionOverdue),
            unit: Some(t.compound_a.code.clone()),
            ..Default::default()
        };
        let e = export(
            cadre.clone(),
            f.clone(),
            ExportOptions::new(ExportFormat::Csv),
        )
        .await
        .unwrap();
        assert_eq!(e.rows, 1);
        assert_eq!(listed(&ts, &cadre, &f).await, ["DT-0002"]);

        // Refusals write nothing: a unit outside the scope, a bad look-ahead,
        // a role without the export permission, an unmask without a reason.
        let grid = account(&ts, "grid_a", Role::GridWorker, Some(&t.comm_a.code), None).await;
        let before = snapshot(&ts).await;
        let outside = ListFilter {
            unit: Some(t.comm_b.code.clone()),
            ..Default::default()
        };
        assert_not_found(
            export(
                cadre.clone(),
                outside,
                ExportOptions::new(ExportFormat::Xlsx),
            )
            .await,
        );
        let bad = ListFilter {
            within_days: Some(-3),
            ..Default::default()
        };
        assert!(
            export(cadre.clone(), bad, ExportOptions::new(ExportFormat::Xlsx))
                .await
                .is_err()
        );
        let r: Result<_> = export(
            grid,
            ListFilter::default(),
            ExportOptions::new(ExportFormat::Xlsx),
        )
        .await;
        assert!(matches!(r, Err(Error::Forbidden)), "{r:?}");
        let mut unmask = ExportOptions::new(ExportFormat::Xlsx);
        unmask.unmask = true;
        refused(
            export(cadre.clone(), ListFilter::default(), unmask).await,
            "reason_required",
        );
        unchanged(&before, &snapshot(&ts).await);

        let log = ts
            .db
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
            .unwrap();
        assert_eq!(log.len(), 2, "{log:?}");
        assert!(log.iter().all(|d| d.contains(r#""kind":"equipment""#)));
        assert!(log[1].contains("inspection_overdue"), "{log:?}");
    });
}
