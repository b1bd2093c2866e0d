//! Exports of the audit log, the construction-site list and the inspection
//! plans, through the API (`/api/v1/exports/audit|construction-sites|
//! inspection-plans`) and the pages' links (`/exports/{kind}.xlsx|.csv`): the
//! file holds the page's rows for its filters, never a row outside the
//! caller's scope, with Chinese headers and the filter sheet; a caller who may
//! not export gets nothing and nothing is written; every export is audited.
//! Both backends.

use super::support::{code, id, id_number, on_both_backends, App, Reply, Session, Tree, NOW};
use axum::http::{Method, StatusCode};
use calamine::Reader;
use serde_json::{json, Value};
use wangge_core::auth::Role;
use wangge_store::registry::Registry;
use wangge_store::transfer::{AUDIT_HEADERS, PLAN_HEADERS};
use wangge_store::Scope;

const PASSWORD: &str = "Export-lists-2026";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A workbook's sheet names, its first sheet's rows and the info sheet as
/// (label, value) pairs.
pub(super) struct Book {
    pub(super) sheets: Vec<String>,
    pub(super) rows: Vec<Vec<String>>,
    pub(super) info: Vec<(String, String)>,
}

#[track_caller]
pub(super) fn book(r: &Reply) -> Book {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.content_type(), Some(XLSX));
    let mut wb: calamine::Xlsx<_> =
        calamine::Xlsx::new(std::io::Cursor::new(r.body.clone())).expect("an xlsx workbook");
    let sheets = wb.sheet_names();
    let cells = |range: calamine::Range<calamine::Data>| -> Vec<Vec<String>> {
        range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    };
    let rows = cells(wb.worksheet_range(&sheets[0]).expect("rows"));
    let info = cells(wb.worksheet_range("导出信息").expect("the info sheet"))
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    Book { sheets, rows, info }
}

impl Book {
    pub(super) fn info(&self, label: &str) -> &str {
        self.info
            .iter()
            .find(|(k, _)| k.starts_with(label))
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {label} in {:?}", self.info))
    }

    pub(super) fn column(&self, header: &str) -> Vec<String> {
        let i = self.rows[0]
            .iter()
            .position(|h| h == header)
            .unwrap_or_else(|| panic!("no column {header}"));
        self.rows[1..].iter().map(|r| r[i].clone()).collect()
    }
}

/// The first cells of a CSV export's rows (after the BOM and header).
#[track_caller]
pub(super) fn csv_first(r: &Reply) -> Vec<String> {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.content_type(), Some("text/csv; charset=utf-8"));
    let text = r.text();
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    lines.next().expect("a header row");
    lines
        .map(|l| l.split(',').next().unwrap_or("").to_string())
        .collect()
}

pub(super) async fn web(app: &App, s: &Session, path: &str) -> Reply {
    app.with_session(s, Method::GET, path).send().await
}

/// (actor, detail) of every export's audit entry, oldest first.
pub(super) async fn exports_audited(app: &App) -> Vec<(String, String)> {
    app.store
        .db
        .read(|c| {
            c.query(
                "SELECT actor, detail FROM audit_log WHERE entity = 'export' ORDER BY seq",
                &[],
            )?
            .iter()
            .map(|r| Ok((r.get(0)?, r.get(1)?)))
            .collect::<wangge_store::Result<Vec<_>>>()
        })
        .await
        .unwrap()
}

pub(super) async fn session(app: &App, name: &str, role: Role, unit: Option<&str>) -> Session {
    app.password_account(name, PASSWORD, role, unit, None).await;
    app.session(name, PASSWORD).await
}

#[test]
fn the_audit_log_is_exported_by_its_readers_with_the_pages_filters() {
    on_both_backends(|app| async move {
        let tree = app.tree().await;
        let wang = id_number("19800101", 11);
        let phone = "13912345678";
        app.post_json(
            "/api/v1/people",
            json!({"name": "王五", "id_number": wang, "phone": phone, "unit": tree.building}),
        )
        .await
        .expect(StatusCode::CREATED);
        // More entries than one page of the export (500) under one record kind.
        let ctx = app.store.ctx("bulk", Scope::All, NOW);
        app.store
            .db
            .write(move |c| {
                for i in 0..620 {
                    wangge_store::audit::record(c, &ctx, "probe", i, "touch", json!({"n": i}))?;
                }
                Ok(())
            })
            .await
            .unwrap();
        let auditor = session(&app, "shen", Role::Auditor, None).await;
        let clerk = session(&app, "clerk", Role::StreetStaff, Some(&tree.street)).await;

        // The page links its filters (not its paging) to the export.
        let html = web(&app, &auditor, "/audit?actor=admin&before=9999")
            .await
            .text();
        assert!(
            html.contains("href=\"/exports/audit.xlsx?actor=admin\""),
            "{html}"
        );
        assert!(html.contains("href=\"/exports/audit.csv?actor=admin\""));
        assert!(html.contains("id=\"audit-export-note\""));

        // Every entry the filter selects, newest first, as the API lists them.
        let listed: Vec<i64> = app
            .get("/api/v1/audit?actor=admin&limit=500")
            .await
            .expect(StatusCode::OK)
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_i64().unwrap())
            .collect();
        let b = book(&web(&app, &auditor, "/exports/audit.xlsx?actor=admin").await);
        assert_eq!(b.sheets, ["审计日志", "导出信息"]);
        assert_eq!(b.rows[0], AUDIT_HEADERS);
        let seqs: Vec<i64> = b
            .column("序号")
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(seqs, listed);
        assert!(b.column("操作人").iter().all(|a| a == "admin"));
        assert!(b.column("对象").contains(&"person".to_string()));
        assert!(
            b.column("时间")[0].starts_with("2026-11-24 10:00"),
            "{:?}",
            b.rows[1]
        );
        assert_eq!(b.info("操作人"), "admin");
        assert!(b.info("哈希链校验").starts_with("通过"), "{:?}", b.info);
        assert_eq!(b.info("导出人"), "shen");
        // Audit entries name fields, never the values.
        let csv = web(&app, &auditor, "/exports/audit.csv").await;
        assert!(csv.body.starts_with(b"\xEF\xBB\xBF"));
        let text = csv.text();
        assert!(text.contains("person") && text.contains("probe"));
        assert!(!text.contains(&wang) && !text.contains(phone), "{text}");

        // Through the API, every page of a kind of record.
        let api = app.as_user("shen_api", Role::Auditor, None, None);
        let b = book(&api.get("/api/v1/exports/audit?entity=probe").await);
        let ids = b.column("编号");
        assert_eq!(ids.len(), 620);
        assert_eq!(ids.first().map(String::as_str), Some("619"));
        assert_eq!(ids.last().map(String::as_str), Some("0"));
        assert_eq!(b.info("对象"), "probe");
        let r = api
            .get("/api/v1/exports/audit?entity=probe&entity_id=7&format=csv")
            .await;
        assert_eq!(csv_first(&r).len(), 1);

        // Those who may not read the log get nothing, and nothing is written.
        let clerk_api = app.as_user("clerk_api", Role::StreetStaff, Some(&tree.street), None);
        let before = app.snapshot().await;
        let html = web(&app, &clerk, "/audit").await;
        assert_eq!(html.status, StatusCode::NOT_FOUND);
        for path in [
            "/exports/audit.csv",
            "/exports/audit.xlsx?actor=admin",
            "/exports/audit",
        ] {
            assert_eq!(
                web(&app, &clerk, path).await.status,
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
        clerk_api.get("/api/v1/exports/audit").await.problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            None,
        );
        app.assert_unchanged(&before).await;
        // Bad parameters are refused before anything is audited.
        let before = app.snapshot().await;
        assert_eq!(
            api.get("/api/v1/exports/audit?format=pdf").await.status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            api.get("/api/v1/exports/audit?entity_id=x").await.status,
            StatusCode::BAD_REQUEST
        );
        app.assert_unchanged(&before).await;

        // Each export above was audited, by whom and with its filter.
        let log = exports_audited(&app).await;
        assert_eq!(log.len(), 4, "{log:?}");
        assert!(
            log.iter().all(|(_, d)| d.contains("\"kind\":\"audit\"")),
            "{log:?}"
        );
        assert_eq!(log[0].0, "shen");
        assert!(log[0].1.contains("\"actor\":\"admin\""), "{log:?}");
        assert!(log[3].1.contains("\"entity_id\":7"), "{log:?}");
    });
}

pub(super) struct Sites {
    pub(super) tree: Tree,
    pub(super) other: String,
    pub(super) builder: i64,
}

pub(super) async fn sites(app: &App) -> Sites {
    let tree = app.tree().await;
    let community = app.unit("community", "桂陵社区", &tree.street).await;
    let other = code(&app.unit("compound", "桂陵花园", &code(&community)).await);
    let builder = id(&app
        .post_json(
            "/api/v1/organisations",
            json!({"name": "菏泽建工集团", "kind": "enterprise", "unit": tree.zone}),
        )
        .await
        .expect(StatusCode::CREATED));
    for (name, unit, status) in [
        ("康庄小区二期", &tree.compound, "active"),
        ("康庄幼儿园", &tree.compound, "suspended"),
        ("桂陵花园改造", &other, "active"),
    ] {
        app.post_json(
            "/api/v1/construction-sites",
            json!({"name": name, "builder_org_id": builder, "unit": unit,
                   "location": "北侧", "starts_on": "2026-03-01", "status": status}),
        )
        .await
        .expect(StatusCode::CREATED);
    }
    Sites {
        tree,
        other,
        builder,
    }
}

fn names(v: Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn construction_site_exports_follow_the_site_list() {
    on_both_backends(|app| async move {
        let w = sites(&app).await;
        let t = &w.tree;
        for q in ["", "status=suspended", &format!("unit={}", w.other)] {
            let list = app
                .get(&format!("/api/v1/construction-sites?{q}"))
                .await
                .expect(StatusCode::OK);
            let r = app
                .get(&format!(
                    "/api/v1/exports/construction-sites?{q}&format=csv"
                ))
                .await;
            assert_eq!(csv_first(&r), names(list), "{q}");
        }
        let b = book(
            &app.get("/api/v1/exports/construction-sites?status=suspended")
                .await,
        );
        assert_eq!(b.sheets, ["建筑工地", "导出信息"]);
        assert_eq!(b.rows[0], wangge_store::equipment::Site::HEADERS);
        assert_eq!(
            b.rows[1],
            [
                "康庄幼儿园",
                "菏泽建工集团",
                "康庄小区",
                t.compound.as_str(),
                "北侧",
                "2026-03-01",
                "",
                "停工"
            ]
        );
        assert_eq!(b.info("状态"), "停工");
        assert!(b.info("单元范围").contains("whole scope"));

        // A community cadre: only the sites in the community.
        let cadre = app.as_user("cadre_api", Role::CommunityCadre, Some(&t.community), None);
        let grid = app.as_user("grid_api", Role::GridWorker, Some(&t.community), None);
        let r = cadre
            .get("/api/v1/exports/construction-sites?format=csv")
            .await;
        let mut got = csv_first(&r);
        got.sort();
        assert_eq!(got, ["康庄小区二期", "康庄幼儿园"]);
        assert!(!r.text().contains("桂陵"));
        let before = app.snapshot().await;
        cadre
            .get(&format!(
                "/api/v1/exports/construction-sites?unit={}",
                w.other
            ))
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);
        grid.get("/api/v1/exports/construction-sites")
            .await
            .problem(StatusCode::FORBIDDEN, "forbidden", None);
        app.get("/api/v1/exports/construction-sites?status=closed")
            .await
            .problem(StatusCode::BAD_REQUEST, "bad_query", None);
        app.assert_unchanged(&before).await;

        // The page links its filter; the link's file holds the page's rows.
        let clerk = session(&app, "clerk", Role::StreetStaff, Some(&t.street)).await;
        let grid = session(&app, "grid", Role::GridWorker, Some(&t.community)).await;
        let html = web(&app, &clerk, "/construction-sites?status=suspended")
            .await
            .text();
        let link = "/exports/construction-sites.csv?status=suspended";
        assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
        assert!(html.contains("href=\"/exports/construction-sites.xlsx?status=suspended\""));
        assert!(!html.contains("export-full"), "no personal data to unmask");
        assert_eq!(csv_first(&web(&app, &clerk, link).await), ["康庄幼儿园"]);
        let before = app.snapshot().await;
        let r = web(
            &app,
            &clerk,
            "/exports/construction-sites.csv?status=closed",
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        let html = web(&app, &grid, "/construction-sites").await.text();
        assert!(
            html.contains("康庄小区二期") && !html.contains("/exports/"),
            "{html}"
        );
        let r = web(&app, &grid, "/exports/construction-sites.csv").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        app.assert_unchanged(&before).await;

        let log = exports_audited(&app).await;
        assert_eq!(log.len(), 6, "{log:?}");
        assert!(log
            .iter()
            .all(|(_, d)| d.contains("\"kind\":\"construction_sites\"")));
        assert!(log[4].0 == "cadre_api" && log[5].0 == "clerk", "{log:?}");
        assert!(log[5].1.contains("\"status\":\"suspended\""), "{log:?}");
    });
}

/// A plan over the street whose targets are a compound in each community;
/// the fixture compound's target inspected with one failing item.
pub(super) async fn plan(app: &App, w: &Sites) -> i64 {
    let ctx = app.store.ctx("setup", Scope::All, NOW);
    app.store
        .db
        .write(move |c| {
            wangge_store::cases::seed_categories(c, &ctx)?;
            wangge_store::inspections::seed_templates(c, &ctx)
        })
        .await
        .unwrap();
    let p = app
        .post_json(
            "/api/v1/inspection-plans",
            json!({
                "name": "电梯安全隐患排查", "template": "elevator-use-unit", "unit": w.tree.street,
                "issuing_org_id": w.builder, "inspector_org_id": w.builder, "due_date": "2026-12-31",
                "targets": [{"kind": "unit", "group": "大型小区", "codes": [w.tree.compound, w.other]}]
            }),
        )
        .await
        .expect(StatusCode::CREATED);
    let plan = id(&p);
    let shown = app
        .get(&format!("/api/v1/inspection-plans/{plan}"))
        .await
        .expect(StatusCode::OK);
    let target = shown["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["unit"] == w.tree.compound.as_str())
        .map(id)
        .expect("the compound's target");
    let mut record = super::inspections::walk_record(plan, target, "export", 1);
    let answers = record["answers"].as_object_mut().unwrap();
    let failing = answers
        .iter()
        .find(|(_, a)| a["value"] == true)
        .map(|(k, _)| k.clone())
        .unwrap();
    answers[&failing] = json!({"value": false});
    app.post_json("/api/v1/inspection-records", record)
        .await
        .expect(StatusCode::CREATED);
    plan
}

#[test]
fn inspection_plan_exports_show_the_plans_page() {
    on_both_backends(|app| async move {
        let w = sites(&app).await;
        let plan_id = plan(&app, &w).await;
        let t = &w.tree;

        let b = book(&app.get("/api/v1/exports/inspection-plans").await);
        assert_eq!(b.sheets, ["排查计划", "导出信息"]);
        assert_eq!(b.rows[0], PLAN_HEADERS);
        assert_eq!(b.rows.len(), 2, "{:?}", b.rows);
        let row = |b: &Book, h: &str| b.column(h)[0].clone();
        assert_eq!(row(&b, "计划名称"), "电梯安全隐患排查");
        assert_eq!(row(&b, "下达单位"), "菏泽建工集团");
        assert_eq!(row(&b, "截止日期"), "2026-12-31");
        let counts = |b: &Book| -> Vec<String> {
            ["检查对象", "已检查", "发现问题", "未检查"]
                .iter()
                .map(|h| row(b, h))
                .collect()
        };
        assert_eq!(counts(&b), ["2", "1", "1", "1"]);

        // A cadre counts the targets in the community, as the page does.
        let cadre = session(&app, "cadre", Role::CommunityCadre, Some(&t.community)).await;
        let html = web(&app, &cadre, "/inspections").await.text();
        assert!(html.contains(&format!("data-plan=\"{plan_id}\"")), "{html}");
        assert!(
            html.contains("href=\"/exports/inspection-plans.xlsx?\""),
            "{html}"
        );
        let b = book(&web(&app, &cadre, "/exports/inspection-plans.xlsx").await);
        assert_eq!(counts(&b), ["1", "1", "1", "0"]);
        let r = web(&app, &cadre, "/exports/inspection-plans.csv").await;
        assert_eq!(csv_first(&r), ["电梯安全隐患排查"]);
        assert!(!r.text().contains("桂陵"), "{}", r.text());

        // Without the export permission: no link, no file, nothing written.
        let grid = session(&app, "grid", Role::GridWorker, Some(&t.community)).await;
        let auditor = app.as_user("auditor_api", Role::Auditor, None, None);
        let before = app.snapshot().await;
        let html = web(&app, &grid, "/inspections").await.text();
        assert!(
            html.contains("电梯安全隐患排查") && !html.contains("/exports/"),
            "{html}"
        );
        let r = web(&app, &grid, "/exports/inspection-plans.csv").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        auditor
            .get("/api/v1/exports/inspection-plans")
            .await
            .problem(StatusCode::FORBIDDEN, "forbidden", None);
        assert_eq!(
            app.get("/api/v1/exports/inspection-plans?unit=1")
                .await
                .status,
            StatusCode::BAD_REQUEST
        );
        app.assert_unchanged(&before).await;

        let log = exports_audited(&app).await;
        assert_eq!(log.len(), 3, "{log:?}");
        assert!(log
            .iter()
            .all(|(_, d)| d.contains("\"kind\":\"inspection_plans\"")));
        assert_eq!(log[1].0, "cadre");
    });
}
