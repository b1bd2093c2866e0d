//! The staff intake page `/cases/new` (issue 16 item 4): staff report as
//! themselves with source `grid`, or report and close on the spot (自行处置)
//! in one step; every missing field is named at once beside it and nothing
//! is written; departments and auditors have no such page.

use super::support::{on_both_backends, App, Session, Tree, NOW};
use super::web_cases::{page, png, post_multipart};
use axum::http::StatusCode;
use serde_json::json;
use wangge_core::auth::Role;
use wangge_store::Scope;

const PASSWORD: &str = "Patrol-lane-2026";

async fn setup(app: &App) -> (Tree, Session) {
    let ctx = app.store.ctx("setup", Scope::All, NOW);
    app.store
        .db
        .write(move |c| wangge_store::cases::seed_categories(c, &ctx))
        .await
        .unwrap();
    let tree = app.tree().await;
    app.password_account(
        "grid_zhang",
        PASSWORD,
        Role::GridWorker,
        Some(&tree.community),
        None,
    )
    .await;
    let grid = app.session("grid_zhang", PASSWORD).await;
    (tree, grid)
}

/// The case a redirect names, as the API shows it to the system.
async fn case_at(app: &App, location: &str) -> serde_json::Value {
    let id = location
        .trim_start_matches("/cases/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    app.get(&format!("/api/v1/cases/{id}"))
        .await
        .expect(StatusCode::OK)
}

#[test]
fn a_grid_worker_reports_in_their_own_name_from_the_menu() {
    on_both_backends(|app| async move {
        let (tree, grid) = setup(&app).await;
        let home = page(&app, "/", Some(&grid)).await.text();
        assert!(home.contains("href=\"/cases/new\""), "in the menu: {home}");
        let form = page(&app, "/cases/new", Some(&grid)).await;
        assert_eq!(form.status, StatusCode::OK);
        let html = form.text();
        for needle in [
            "上报问题",
            "现场已处置(自行处置)",
            "处置说明",
            &tree.building,
        ] {
            assert!(html.contains(needle), "{needle} missing: {html}");
        }
        let en = page(&app, "/cases/new?lang=en", Some(&grid)).await.text();
        assert!(en.contains("Already dealt with on the spot"), "{en}");

        let r = post_multipart(
            &app,
            "/cases/new",
            Some(&grid),
            &[
                ("csrf", &grid.csrf),
                ("category", "0101"),
                ("unit", &tree.building),
                ("description", "3号楼东侧绿化带有人倾倒建筑垃圾"),
                ("address_detail", "3号楼东侧"),
            ],
            &[("photos", "found.png", "image/png", png())],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let to = r.header("location").unwrap().to_string();
        assert!(to.ends_with("?done=reported"), "{to}");
        let case = case_at(&app, &to).await;
        assert_eq!(case["source"], "grid");
        assert_eq!(case["state"], "reported");
        assert_eq!(case["reporter"]["staff"], json!(grid.user["display_name"]));
        assert_eq!(case["attachments"].as_array().unwrap().len(), 1);
        // The case page names the grid worker, not an unnamed resident.
        let shown = page(&app, &to, Some(&grid)).await.text();
        assert!(shown.contains("已上报。"), "{shown}");
        assert!(!shown.contains("未留姓名"), "{shown}");
        assert!(shown.contains("工作人员上报"), "{shown}");
    });
}

#[test]
fn resolving_on_the_spot_closes_the_case_in_one_step() {
    on_both_backends(|app| async move {
        let (tree, grid) = setup(&app).await;
        let r = post_multipart(
            &app,
            "/cases/new",
            Some(&grid),
            &[
                ("csrf", &grid.csrf),
                ("category", "0101"),
                ("unit", &tree.building),
                ("description", "楼道堆放杂物堵塞通道"),
                ("on_spot", "1"),
                ("note", "已督促住户当场清理"),
            ],
            &[("photos", "after.png", "image/png", png())],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let to = r.header("location").unwrap().to_string();
        assert!(to.ends_with("?done=resolved"), "{to}");
        let case = case_at(&app, &to).await;
        assert_eq!(case["state"], "closed", "{case}");
        assert_eq!(case["close_kind"]["kind"], "fixed", "{case}");
        assert_eq!(case["attachments"].as_array().unwrap().len(), 1);
        let shown = page(&app, &to, Some(&grid)).await.text();
        assert!(shown.contains("自行处置"), "in the timeline: {shown}");
        assert!(shown.contains("已督促住户当场清理"), "{shown}");
        // The dashboard counts it as closed, and on its own as 自行处置.
        let dash = page(&app, "/dashboard", Some(&grid)).await.text();
        let kpi = |id: &str| {
            let at = dash.find(&format!("id=\"{id}\">")).expect(id) + id.len() + 6;
            dash[at..].split('<').next().unwrap().to_string()
        };
        assert_eq!(
            (kpi("kpi-closed"), kpi("kpi-on-spot")),
            ("1".into(), "1".into())
        );
        assert!(dash.contains("自行处置"), "{dash}");
    });
}

#[test]
fn every_missing_field_is_named_at_once_and_nothing_is_written() {
    on_both_backends(|app| async move {
        let (_, grid) = setup(&app).await;
        let before = app.snapshot().await;
        let r = post_multipart(
            &app,
            "/cases/new",
            Some(&grid),
            &[("csrf", &grid.csrf), ("on_spot", "1"), ("note", " ")],
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text();
        for (id, msg) in [
            ("category-error", "请选择"),
            ("unit-error", "请选择问题所在位置"),
            ("description-error", ""),
            ("note-error", "自行处置须填写处置说明"),
            ("photos-error", "自行处置须上传至少一张处置后的照片"),
        ] {
            let at = html
                .find(&format!("id=\"{id}\""))
                .unwrap_or_else(|| panic!("{id} missing: {html}"));
            assert!(html[at..].contains(msg), "{id}: {msg}");
        }
        assert!(html.contains("checked"), "the box stays ticked");
        let en = post_multipart(
            &app,
            "/cases/new?lang=en",
            Some(&grid),
            &[("csrf", &grid.csrf), ("on_spot", "1")],
            &[],
        )
        .await
        .text();
        assert!(en.contains("Resolving on the spot needs a note"), "{en}");
        assert!(en.contains("at least one photo"), "{en}");
        app.assert_unchanged(&before).await;
    });
}

#[test]
fn departments_and_auditors_have_no_intake_page() {
    on_both_backends(|app| async move {
        let (tree, _) = setup(&app).await;
        let dept = super::support::id(
            &app.post_json(
                "/api/v1/organisations",
                json!({"name": "开发区市场监管所", "kind": "department", "unit": tree.zone}),
            )
            .await
            .expect(StatusCode::CREATED),
        );
        app.password_account("scjg", PASSWORD, Role::DeptHandler, None, Some(dept))
            .await;
        app.password_account("audit", PASSWORD, Role::Auditor, None, None)
            .await;
        for name in ["scjg", "audit"] {
            let s = app.session(name, PASSWORD).await;
            let home = page(&app, "/", Some(&s)).await.text();
            assert!(!home.contains("href=\"/cases/new\""), "{name}");
            assert_eq!(
                page(&app, "/cases/new", Some(&s)).await.status,
                StatusCode::FORBIDDEN
            );
            let before = app.snapshot().await;
            let r = post_multipart(
                &app,
                "/cases/new",
                Some(&s),
                &[
                    ("csrf", &s.csrf),
                    ("category", "0101"),
                    ("unit", &tree.building),
                    ("description", "垃圾"),
                ],
                &[],
            )
            .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{name}");
            app.assert_unchanged(&before).await;
        }
        // A post without the session's own token is refused before anything.
        let grid = app.session("grid_zhang", PASSWORD).await;
        let before = app.snapshot().await;
        for csrf in ["", "wrong"] {
            let r = post_multipart(
                &app,
                "/cases/new",
                Some(&grid),
                &[
                    ("csrf", csrf),
                    ("category", "0101"),
                    ("unit", &tree.building),
                    ("description", "垃圾"),
                ],
                &[],
            )
            .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{csrf:?}");
        }
        app.assert_unchanged(&before).await;
        // Without a session the form sends one to log in first.
        let r = page(&app, "/cases/new", None).await;
        assert!(r.status.is_redirection(), "{}", r.status);
    });
}

#[test]
fn a_second_tap_on_submit_answers_with_the_first_case_and_makes_no_second() {
    on_both_backends(|app| async move {
        let (tree, grid) = setup(&app).await;
        let html = page(&app, "/cases/new", Some(&grid)).await.text();
        let marker = "name=\"idem\" value=\"";
        let start = html.find(marker).expect("an idem field") + marker.len();
        let idem = html[start..].split('"').next().unwrap().to_string();
        assert!(idem.len() >= 16, "{idem}");
        let fields = [
            ("csrf", grid.csrf.as_str()),
            ("idem", idem.as_str()),
            ("category", "0101"),
            ("unit", tree.building.as_str()),
            ("description", "楼下井盖缺失"),
        ];
        // Photos go up again with the second tap, under new ids: still one case.
        let photo = || vec![("photos", "found.png", "image/png", png())];
        let first = post_multipart(&app, "/cases/new", Some(&grid), &fields, &photo()).await;
        let second = post_multipart(&app, "/cases/new", Some(&grid), &fields, &photo()).await;
        assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.text());
        assert_eq!(second.status, StatusCode::SEE_OTHER, "{}", second.text());
        assert_eq!(first.header("location"), second.header("location"));
        let list = app.get("/api/v1/cases").await.expect(StatusCode::OK);
        assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
        // A new form gets a new key.
        let again = page(&app, "/cases/new", Some(&grid)).await.text();
        assert!(!again.contains(&idem));
    });
}
