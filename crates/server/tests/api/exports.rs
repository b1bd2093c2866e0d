//! Exports from the list pages (`/exports/{kind}.xlsx|.csv` with the page's
//! own query parameters, `/exports/{kind}` for personal data in full) and the
//! case export of the API (`/api/v1/exports/cases`): the file holds the page's
//! rows, never a row outside the caller's scope, masked by default; unmasking
//! needs a reason and the CSRF token, and a refusal writes nothing. Both backends.

use super::support::{code, id_number, masked, on_both_backends, App, Reply, Session, Tree};
use axum::http::{Method, StatusCode};
use serde_json::json;
use wangge_core::auth::Role;
use wangge_store::Scope;

const PASSWORD: &str = "Export-ledger-2026";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

struct World {
    tree: Tree,
    other: String,
    /// The ID number of 王五, in the fixture building.
    wang: String,
    clerk: Session,
    cadre: Session,
    grid: Session,
}

async fn world(app: &App) -> World {
    let ctx = app.store.ctx("setup", Scope::All, super::support::NOW);
    app.store
        .db
        .write(move |c| wangge_store::cases::seed_categories(c, &ctx))
        .await
        .unwrap();
    let tree = app.tree().await;
    let other = code(&app.unit("community", "黄河社区", &tree.street).await);
    let wang = id_number("19800101", 11);
    app.person("王五", &wang, &tree.building).await;
    app.person("李娜", &id_number("19820202", 22), &tree.building)
        .await;
    app.person("外人", &id_number("19700101", 33), &other).await;
    for (unit, text, contact) in [
        (&tree.building, "楼道堆物影响通行", "13912345678"),
        (&tree.building, "路灯不亮", "13812345678"),
        (&other, "黄河社区井盖缺失", "13712345678"),
    ] {
        app.post_json(
            "/api/v1/cases",
            json!({"category": "0601", "unit": unit, "description": text, "source": "hotline",
                   "reporter_name": "张三丰", "reporter_contact": contact}),
        )
        .await
        .expect(StatusCode::CREATED);
    }
    app.password_account(
        "clerk",
        PASSWORD,
        Role::StreetStaff,
        Some(&tree.street),
        None,
    )
    .await;
    app.password_account(
        "cadre",
        PASSWORD,
        Role::CommunityCadre,
        Some(&tree.community),
        None,
    )
    .await;
    app.password_account(
        "grid",
        PASSWORD,
        Role::GridWorker,
        Some(&tree.community),
        None,
    )
    .await;
    World {
        clerk: app.session("clerk", PASSWORD).await,
        cadre: app.session("cadre", PASSWORD).await,
        grid: app.session("grid", PASSWORD).await,
        tree,
        other,
        wang,
    }
}

async fn page(app: &App, s: &Session, path: &str) -> Reply {
    app.with_session(s, Method::GET, path).send().await
}

async fn post_form(app: &App, s: &Session, path: &str, form: &[(&str, &str)]) -> Reply {
    app.with_session(s, Method::POST, path)
        .header("content-type", "application/x-www-form-urlencoded")
        .raw(serde_urlencoded::to_string(form).unwrap().into_bytes())
        .send()
        .await
}

/// The rows of a CSV export (after its header), split into cells.
fn csv_rows(r: &Reply) -> Vec<Vec<String>> {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.content_type(), Some("text/csv; charset=utf-8"));
    assert!(r.body.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    let text = r.text();
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    lines.next().expect("a header row");
    lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

fn first_cells(r: &Reply) -> Vec<String> {
    csv_rows(r).into_iter().map(|r| r[0].clone()).collect()
}

/// The text after each `marker`, from the end of its tag to the next `<`.
fn each_after(html: &str, marker: &str) -> Vec<String> {
    html.split(marker)
        .skip(1)
        .map(|s| {
            let s = &s[s.find('>').map_or(0, |i| i + 1)..];
            s[..s.find('<').unwrap_or(s.len())].to_string()
        })
        .collect()
}

/// The tracking numbers a case list page shows, in order.
fn page_cases(html: &str) -> Vec<String> {
    html.split("<a href=\"/cases/")
        .skip(1)
        .filter_map(|s| {
            let s = &s[s.find("class=\"mono\">")? + "class=\"mono\">".len()..];
            Some(s[..s.find('<')?].to_string())
        })
        .collect()
}

async fn export_audit(app: &App) -> Vec<String> {
    app.store
        .db
        .read(|c| {
            c.query(
                "SELECT action || ' ' || detail FROM audit_log WHERE entity = 'export' ORDER BY seq",
                &[],
            )?
            .iter()
            .map(|r| r.get::<String>(0))
            .collect::<wangge_store::Result<Vec<_>>>()
        })
        .await
        .unwrap()
}

#[test]
fn every_list_page_exports_its_own_rows_with_its_filters() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let t = &w.tree;

        // People: the page's links carry its filter; the file holds its rows, masked.
        let html = page(&app, &w.clerk, &format!("/people?unit={}", t.community))
            .await
            .text();
        let xlsx_link = format!("/exports/people.xlsx?unit={}", t.community);
        assert!(html.contains(&xlsx_link), "{html}");
        assert!(html.contains(&format!("/exports/people.csv?unit={}", t.community)));
        assert!(html.contains(&format!("href=\"/exports/people?unit={}\"", t.community)));
        let mut names = each_after(&html, "<a href=\"/people/");
        let r = page(&app, &w.clerk, &xlsx_link).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.content_type(), Some(XLSX));
        assert!(r.body.starts_with(b"PK"));
        assert!(r.header("content-disposition").unwrap().contains("people-"));
        let csv = page(
            &app,
            &w.clerk,
            &format!("/exports/people.csv?unit={}", t.community),
        )
        .await;
        let rows = csv_rows(&csv);
        let mut exported: Vec<String> = rows.iter().map(|r| r[0].clone()).collect();
        names.sort();
        exported.sort();
        assert_eq!(exported, names);
        assert_eq!(exported, ["李娜", "王五"]);
        let text = csv.text();
        assert!(
            text.contains(&masked(&w.wang)) && !text.contains(&w.wang),
            "{text}"
        );

        // Units: the search's matches.
        let html = page(&app, &w.clerk, "/units?q=%E7%A4%BE%E5%8C%BA")
            .await
            .text();
        assert!(
            html.contains("/exports/units.csv?q=%E7%A4%BE%E5%8C%BA"),
            "{html}"
        );
        let mut codes: Vec<String> = html
            .split("<a href=\"/units/")
            .skip(1)
            .map(|s| s[..s.find('"').unwrap()].to_string())
            .collect();
        let r = page(&app, &w.clerk, "/exports/units.csv?q=%E7%A4%BE%E5%8C%BA").await;
        let mut exported = first_cells(&r);
        codes.sort();
        exported.sort();
        assert_eq!(exported, codes);
        assert_eq!(exported, [t.community.clone(), w.other.clone()]);

        // A unit's page exports each list of its subtree.
        let html = page(&app, &w.clerk, &format!("/units/{}", t.compound))
            .await
            .text();
        for kind in [
            "people",
            "households",
            "organisations",
            "positions",
            "units",
        ] {
            let link = format!("/exports/{kind}.xlsx?unit={}", t.compound);
            assert!(html.contains(&link), "{kind}: {html}");
        }

        // Cases: the page's filters, its rows in its order.
        for query in [
            String::new(),
            "state=reported".to_string(),
            format!("unit={}&category=06", t.community),
            "text=%E8%B7%AF%E7%81%AF".to_string(),
        ] {
            let html = page(&app, &w.clerk, &format!("/cases?{query}"))
                .await
                .text();
            let shown = page_cases(&html);
            let link = format!("/exports/cases.csv?{}", query_of(&html));
            // As a browser reads the attribute.
            let link = link.replace("&#38;", "&").replace("&amp;", "&");
            let r = page(&app, &w.clerk, &link).await;
            assert_eq!(first_cells(&r), shown, "{query} {link}");
            assert!(!shown.is_empty(), "{query}");
        }
        let r = page(&app, &w.clerk, "/exports/cases.csv").await;
        let rows = csv_rows(&r);
        assert_eq!(rows.len(), 3);
        assert!(
            rows.iter().all(|r| r.contains(&"张**".to_string())),
            "{rows:?}"
        );
        assert!(!r.text().contains("张三丰") && !r.text().contains("13912345678"));

        // Out of scope: never exported, a unit filter outside is not found.
        let r = page(&app, &w.cadre, "/exports/people.csv").await;
        assert!(!r.text().contains("外人"), "{}", r.text());
        let r = page(&app, &w.cadre, "/exports/cases.csv").await;
        assert_eq!(csv_rows(&r).len(), 2);
        assert!(!r.text().contains("黄河社区"));
        let before = app.snapshot().await;
        for path in [
            format!("/exports/people.csv?unit={}", w.other),
            format!("/exports/cases.xlsx?unit={}", w.other),
        ] {
            let r = page(&app, &w.cadre, &path).await;
            assert!(
                matches!(
                    r.status,
                    StatusCode::NOT_FOUND | StatusCode::UNPROCESSABLE_ENTITY
                ),
                "{path}: {} {}",
                r.status,
                r.text()
            );
            assert!(!r.text().contains("外人") && !r.text().contains("黄河社区井盖"));
        }
        // Parameters the page would refuse are refused, not read as "no filter".
        let r = page(
            &app,
            &w.clerk,
            "/exports/cases.csv?state=reported&state=accepted",
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
        // A grid worker may not export: no buttons, no files.
        let html = page(&app, &w.grid, &format!("/people?unit={}", t.community))
            .await
            .text();
        assert!(!html.contains("/exports/"), "{html}");
        for path in [
            "/exports/people.csv",
            "/exports/cases.xlsx",
            "/exports/people",
        ] {
            assert_eq!(
                page(&app, &w.grid, path).await.status,
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
        assert_eq!(
            page(&app, &w.clerk, "/exports/boilers.csv").await.status,
            StatusCode::NOT_FOUND
        );
        app.assert_unchanged(&before).await;

        // Each download above was audited as an export.
        let log = export_audit(&app).await;
        assert!(log.len() >= 10, "{log:?}");
        assert!(log.iter().all(|l| l.starts_with("export ")), "{log:?}");
    });
}

/// The query string of a page's CSV export link.
fn query_of(html: &str) -> String {
    let at =
        html.find("/exports/cases.csv?").expect("an export link") + "/exports/cases.csv?".len();
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

#[test]
fn unmasking_on_the_web_needs_a_reason_and_the_form_token() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let t = &w.tree;
        let path = format!("/exports/people?unit={}", t.community);
        let html = page(&app, &w.cadre, &path).await.text();
        assert!(
            html.contains("name=\"reason\"") && html.contains(&t.community),
            "{html}"
        );
        assert!(html.contains(&format!("action=\"/exports/people?unit={}\"", t.community)));

        let before = app.snapshot().await;
        let r = post_form(
            &app,
            &w.cadre,
            &path,
            &[("csrf", &w.cadre.csrf), ("reason", " ")],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.text().contains("导出完整个人信息须填写理由"),
            "{}",
            r.text()
        );
        let r = post_form(
            &app,
            &w.cadre,
            &format!("{path}&lang=en"),
            &[("csrf", &w.cadre.csrf), ("reason", "")],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("needs a reason"), "{}", r.text());
        let r = post_form(
            &app,
            &w.cadre,
            &path,
            &[("csrf", "forged"), ("reason", "核对")],
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // A grid worker may reveal one person, but not export.
        let r = post_form(
            &app,
            &w.grid,
            &path,
            &[("csrf", &w.grid.csrf), ("reason", "核对")],
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        app.assert_unchanged(&before).await;

        let r = post_form(
            &app,
            &w.cadre,
            &path,
            &[
                ("csrf", &w.cadre.csrf),
                ("reason", "核对低保名单"),
                ("format", "csv"),
            ],
        )
        .await;
        let text = r.text();
        assert_eq!(csv_rows(&r).len(), 2);
        assert!(text.contains(&w.wang), "{text}");
        let r = post_form(
            &app,
            &w.cadre,
            "/exports/cases",
            &[("csrf", &w.cadre.csrf), ("reason", "回访")],
        )
        .await;
        assert_eq!(r.content_type(), Some(XLSX));
        // A link can never unmask: the API's parameters mean nothing here.
        let r = page(
            &app,
            &w.cadre,
            &format!(
                "/exports/people.csv?unit={}&unmask=true&reason=x",
                t.community
            ),
        )
        .await;
        assert!(r.text().contains(&masked(&w.wang)) && !r.text().contains(&w.wang));
        let log = export_audit(&app).await;
        assert_eq!(log.len(), 3, "{log:?}");
        assert!(log[0].starts_with("export_unmasked") && log[0].contains("核对低保名单"));
        assert!(log[1].contains("\"kind\":\"cases\"") && log[1].contains("回访"));
        assert!(log[2].starts_with("export {"), "{log:?}");
    });
}

#[test]
fn the_case_export_api_takes_the_lists_filters_and_refuses_clearly() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let t = &w.tree;
        let listed = |v: serde_json::Value| -> Vec<String> {
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["tracking_no"].as_str().unwrap().to_string())
                .collect()
        };
        for q in [
            "state=reported".to_string(),
            format!("unit={}&order=newest", t.community),
            "source=hotline&overdue=false".to_string(),
        ] {
            let list = app
                .get(&format!("/api/v1/cases?{q}"))
                .await
                .expect(StatusCode::OK);
            let r = app
                .get(&format!("/api/v1/exports/cases?{q}&format=csv"))
                .await;
            assert_eq!(first_cells(&r), listed(list), "{q}");
        }
        let r = app.get("/api/v1/exports/cases").await;
        assert_eq!(r.content_type(), Some(XLSX));
        assert!(r.header("content-disposition").unwrap().contains("cases-"));
        let r = app
            .get("/api/v1/exports/cases?format=csv&unmask=true&reason=%E5%9B%9E%E8%AE%BF")
            .await;
        assert!(r.text().contains("张三丰") && r.text().contains("13912345678"));

        let before = app.snapshot().await;
        app.get("/api/v1/exports/cases?unmask=true").await.problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "reason_required",
            Some("reason"),
        );
        app.get("/api/v1/exports/cases?state=lost").await.problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "case_state",
            Some("state"),
        );
        app.get("/api/v1/exports/cases?category=9999")
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_category",
                Some("category"),
            );
        assert_eq!(
            app.get("/api/v1/exports/cases?format=pdf").await.status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            app.get("/api/v1/exports/cases?colour=red").await.status,
            StatusCode::BAD_REQUEST
        );
        app.assert_unchanged(&before).await;
        let cadre = app.as_user("cadre_api", Role::CommunityCadre, Some(&t.community), None);
        let before_cadre = app.snapshot().await;
        cadre
            .get("/api/v1/exports/cases?confidential=true")
            .await
            .problem(StatusCode::FORBIDDEN, "forbidden", None);
        let r = cadre
            .get(&format!("/api/v1/exports/cases?unit={}", w.other))
            .await;
        assert!(r.status.is_client_error(), "{}", r.text());
        app.assert_unchanged(&before_cadre).await;
        let worker = app.as_user("worker_api", Role::GridWorker, Some(&t.community), None);
        let before_worker = app.snapshot().await;
        worker
            .get("/api/v1/exports/cases")
            .await
            .problem(StatusCode::FORBIDDEN, "forbidden", None);
        app.assert_unchanged(&before_worker).await;
    });
}

#[test]
fn equipment_exports_follow_the_equipment_list() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let t = &w.tree;
        let org = super::support::id(
            &app.post_json(
                "/api/v1/organisations",
                json!({"name": "康庄物业", "kind": "property_company", "unit": t.compound}),
            )
            .await
            .expect(StatusCode::CREATED),
        );
        for (code, inspected) in [("DT-0001", "2026-03-01"), ("DT-0002", "2025-10-01")] {
            app.post_json(
                "/api/v1/equipment",
                json!({"registration_code": code, "kind": "elevator", "unit": t.building,
                       "use_org_id": org, "installed_on": "2015-05-10", "last_inspected_on": inspected}),
            )
            .await
            .expect(StatusCode::CREATED);
        }
        let codes = |v: serde_json::Value| -> Vec<String> {
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["registration_code"].as_str().unwrap().to_string())
                .collect()
        };
        for q in [
            format!("unit={}", t.community),
            "alert=inspection_overdue".to_string(),
        ] {
            let list = app
                .get(&format!("/api/v1/equipment?{q}"))
                .await
                .expect(StatusCode::OK);
            let r = app
                .get(&format!("/api/v1/exports/equipment?{q}&format=csv"))
                .await;
            assert_eq!(first_cells(&r), codes(list), "{q}");
        }
        let r = page(
            &app,
            &w.clerk,
            "/exports/equipment.csv?alert=inspection_overdue",
        )
        .await;
        assert_eq!(first_cells(&r), ["DT-0002"]);
        assert!(r.text().contains("检验超期"), "{}", r.text());

        let before = app.snapshot().await;
        app.get("/api/v1/exports/equipment?kind=boiler")
            .await
            .problem(StatusCode::BAD_REQUEST, "bad_query", None);
        let r = page(&app, &w.clerk, "/exports/equipment.csv?kind=boiler").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        let r = page(
            &app,
            &w.cadre,
            &format!("/exports/equipment.xlsx?unit={}", w.other),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        app.assert_unchanged(&before).await;
    });
}
