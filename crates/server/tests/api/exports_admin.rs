//! Exports of one plan's targets, the accounts and the case categories,
//! through the API (`/api/v1/exports/plan-targets|accounts|categories`) and
//! the pages' links: the page's rows in its scope, Chinese headers, the info
//! sheet; a caller who may not export gets nothing and nothing is written;
//! every export is audited. Both backends.

use super::exports_lists::{book, csv_first, exports_audited, plan, session, sites, web};
use super::support::{on_both_backends, NOW};
use axum::http::StatusCode;
use wangge_core::auth::Role;
use wangge_store::transfer::{ACCOUNT_HEADERS, CATEGORY_HEADERS, TARGET_HEADERS};
use wangge_store::Scope;

#[test]
fn plan_target_exports_follow_the_plan_page() {
    on_both_backends(|app| async move {
        let w = sites(&app).await;
        let plan_id = plan(&app, &w).await;
        let t = &w.tree;

        let b = book(
            &app.get(&format!("/api/v1/exports/plan-targets?plan={plan_id}"))
                .await,
        );
        assert_eq!(b.sheets, ["检查对象", "导出信息"]);
        assert_eq!(b.rows[0], TARGET_HEADERS);
        assert_eq!(b.column("单元代码"), [t.compound.clone(), w.other.clone()]);
        assert_eq!(b.column("状态"), ["发现问题", "未检查"]);
        assert_eq!(b.column("检查次数"), ["1", "0"]);
        assert_eq!(b.column("分组"), ["大型小区", "大型小区"]);
        assert_eq!(b.info("排查计划"), format!("电梯安全隐患排查 (#{plan_id})"));

        // A cadre's plan page links its targets; the file holds the
        // community's only, as the page lists them.
        let cadre = session(&app, "cadre", Role::CommunityCadre, Some(&t.community)).await;
        let page = format!("/inspections/plans/{plan_id}");
        let html = web(&app, &cadre, &page).await.text();
        assert!(
            html.contains(&format!(
                "href=\"/exports/plan-targets.xlsx?plan={plan_id}\""
            )),
            "{html}"
        );
        let b = book(
            &web(
                &app,
                &cadre,
                &format!("/exports/plan-targets.xlsx?plan={plan_id}"),
            )
            .await,
        );
        assert_eq!(b.column("检查对象"), ["康庄小区"]);
        let r = web(
            &app,
            &cadre,
            &format!("/exports/plan-targets.csv?plan={plan_id}"),
        )
        .await;
        assert_eq!(csv_first(&r), ["大型小区"]);
        assert!(!r.text().contains("桂陵"), "{}", r.text());

        // Refused: no export permission, a plan not there, no plan at all.
        let grid = session(&app, "grid", Role::GridWorker, Some(&t.community)).await;
        let auditor = app.as_user("auditor_api", Role::Auditor, None, None);
        let before = app.snapshot().await;
        let r = web(
            &app,
            &grid,
            &format!("/exports/plan-targets.xlsx?plan={plan_id}"),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        auditor
            .get(&format!("/api/v1/exports/plan-targets?plan={plan_id}"))
            .await
            .problem(StatusCode::FORBIDDEN, "forbidden", None);
        let missing = plan_id + 1000;
        let r = app
            .get(&format!("/api/v1/exports/plan-targets?plan={missing}"))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
        let r = web(
            &app,
            &cadre,
            &format!("/exports/plan-targets.xlsx?plan={missing}"),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        for path in [
            "/api/v1/exports/plan-targets",
            "/api/v1/exports/plan-targets?plan=x",
        ] {
            assert_eq!(
                app.get(path).await.status,
                StatusCode::BAD_REQUEST,
                "{path}"
            );
        }
        let r = web(&app, &cadre, "/exports/plan-targets.xlsx").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        app.assert_unchanged(&before).await;

        let log = exports_audited(&app).await;
        assert_eq!(log.len(), 3, "{log:?}");
        let want = format!("\"plan\":{plan_id}");
        assert!(log
            .iter()
            .all(|(_, d)| d.contains("\"kind\":\"plan_targets\"") && d.contains(&want)));
        assert_eq!(log[1].0, "cadre");
    });
}

#[test]
fn account_and_category_exports_are_for_the_administrator() {
    on_both_backends(|app| async move {
        let tree = app.tree().await;
        let ctx = app.store.ctx("setup", Scope::All, NOW);
        app.store
            .db
            .write(move |c| wangge_store::cases::seed_categories(c, &ctx).map(|_| ()))
            .await
            .unwrap();
        let admin = session(&app, "za", Role::ZoneAdmin, None).await;
        let clerk = session(&app, "clerk", Role::StreetStaff, Some(&tree.street)).await;

        // The accounts page links its export; the file is the page's list.
        let html = web(&app, &admin, "/admin/users").await.text();
        assert!(html.contains("href=\"/exports/accounts.xlsx?\""), "{html}");
        let b = book(&web(&app, &admin, "/exports/accounts.xlsx").await);
        assert_eq!(b.sheets, ["账号", "导出信息"]);
        assert_eq!(b.rows[0], ACCOUNT_HEADERS);
        let names = b.column("用户名");
        assert!(names.contains(&"za".to_string()) && names.contains(&"clerk".to_string()));
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        let clerk_row = b.rows.iter().find(|r| r[0] == "clerk").unwrap();
        assert_eq!(
            (
                clerk_row[2].as_str(),
                clerk_row[3].as_str(),
                clerk_row[4].as_str()
            ),
            ("街道工作人员", tree.street.as_str(), "丹阳街道")
        );
        let csv = web(&app, &admin, "/exports/accounts.csv").await.text();
        assert!(csv.contains("clerk"), "{csv}");
        assert!(
            !csv.contains("argon2") && !csv.contains("Export-lists"),
            "{csv}"
        );

        // The categories page likewise; through the API too.
        let html = web(&app, &admin, "/admin/categories").await.text();
        assert!(
            html.contains("href=\"/exports/categories.xlsx?\""),
            "{html}"
        );
        let b = book(&app.get("/api/v1/exports/categories").await);
        assert_eq!(b.sheets, ["事件分类", "导出信息"]);
        assert_eq!(b.rows[0], CATEGORY_HEADERS);
        let listed = app.get("/api/v1/categories").await.expect(StatusCode::OK);
        let codes = b.column("分类代码");
        assert!(codes.len() > 10, "{codes:?}");
        assert!(
            listed.to_string().contains(&format!("\"{}\"", codes[0])),
            "{listed}"
        );
        assert!(b.column("受理时限").iter().any(|v| v.contains("工作")));

        // A street clerk sees neither page and gets no file; nothing written.
        let clerk_api = app.as_user("clerk_api", Role::StreetStaff, Some(&tree.street), None);
        let before = app.snapshot().await;
        for path in [
            "/admin/users",
            "/exports/accounts.xlsx",
            "/exports/categories.csv",
            "/exports/categories",
        ] {
            let r = web(&app, &clerk, path).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        }
        for path in ["/api/v1/exports/accounts", "/api/v1/exports/categories"] {
            clerk_api
                .get(path)
                .await
                .problem(StatusCode::FORBIDDEN, "forbidden", None);
        }
        assert_eq!(
            app.get("/api/v1/exports/accounts?unit=1").await.status,
            StatusCode::BAD_REQUEST
        );
        app.assert_unchanged(&before).await;

        let log = exports_audited(&app).await;
        let kinds: Vec<&str> = log
            .iter()
            .map(|(_, d)| {
                if d.contains("\"kind\":\"accounts\"") {
                    "accounts"
                } else if d.contains("\"kind\":\"categories\"") {
                    "categories"
                } else {
                    "?"
                }
            })
            .collect();
        assert_eq!(kinds, ["accounts", "accounts", "categories"]);
        assert_eq!(log[0].0, "za");
    });
}
