//! The registry's pages and the alert block on the home page and the
//! dashboard, in Chinese and English; the detail page's forms.

use super::*;
use crate::api::web_cases::page;
use axum::body::Body;
use axum::http::{header, Request};

const PASSWORD: &str = "Elevator-check-2026";

async fn staff_session(app: &App, f: &Fixture) -> Session {
    app.password_account(
        "zhang",
        PASSWORD,
        Role::StreetStaff,
        Some(&f.tree.street),
        None,
    )
    .await;
    app.session("zhang", PASSWORD).await
}

#[test]
fn pages_and_the_alert_block_render_in_both_languages() {
    on_both_backends(|app| async move {
        let f = fixture(&app).await;
        registry(&app, &f).await;
        let s = staff_session(&app, &f).await;
        for (lang, title, overdue, late) in [
            ("zh", "特种设备台账", "检验超期", "已逾期23天"),
            (
                "en",
                "Special equipment registry",
                "Inspection overdue",
                "23 days overdue",
            ),
        ] {
            let list = page(&app, &format!("/equipment?lang={lang}"), Some(&s)).await;
            assert_eq!(list.status, StatusCode::OK);
            let html = list.text();
            assert!(html.contains(title), "{lang}: {html}");
            assert!(
                html.contains("DT-OVER") && html.contains(late),
                "{lang}: {html}"
            );
            assert!(html.contains("data-alert=\"inspection_overdue\""));
            let home = page(&app, &format!("/?lang={lang}"), Some(&s)).await.text();
            assert!(home.contains("id=\"equipment-alerts\""), "{lang}: {home}");
            assert!(
                home.contains(overdue) && home.contains("href=\"/equipment/"),
                "{lang}"
            );
            assert!(
                home.contains("id=\"equipment-alerts-total\">3<"),
                "{lang}: {home}"
            );
            let dash = page(&app, &format!("/dashboard?lang={lang}"), Some(&s)).await;
            assert_eq!(dash.status, StatusCode::OK);
            assert!(dash.text().contains("id=\"equipment-alerts\""), "{lang}");
            if lang == "en" {
                for h in [&html, &home] {
                    assert!(!h.contains("特种设备台账") && !h.contains("检验超期"));
                }
            }
        }
        let filtered = page(
            &app,
            "/equipment?alert=maintenance_overdue&lang=zh",
            Some(&s),
        )
        .await
        .text();
        assert!(filtered.contains("DT-MAINT") && !filtered.contains("DT-OVER"));
        let bad = page(&app, "/equipment?unit=371799999999", Some(&s))
            .await
            .text();
        assert!(bad.contains("id=\"equipment-filter-error\""));
        let sites = page(&app, "/construction-sites?lang=en", Some(&s)).await;
        assert_eq!(sites.status, StatusCode::OK);
        assert!(sites.text().contains("Construction sites"));
    });
}

pub(super) async fn post_form(
    app: &App,
    path: &str,
    s: &Session,
    form: &[(&str, &str)],
) -> crate::api::support::Reply {
    let req = Request::post(path)
        .header(header::COOKIE, format!("wangge_session={}", s.cookie))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(serde_urlencoded::to_string(form).unwrap()))
        .unwrap();
    app.send(req).await
}

#[test]
fn the_detail_page_records_maintenance_and_changes_status() {
    on_both_backends(|app| async move {
        let f = fixture(&app).await;
        let ids = registry(&app, &f).await;
        let s = staff_session(&app, &f).await;
        let path = format!("/equipment/{}", ids[2]);
        let html = page(&app, &path, Some(&s)).await.text();
        assert!(html.contains("id=\"maintenance-form\"") && html.contains("维保超期"));
        // A date before installation is refused next to the field, keeping what was typed.
        let before = app.snapshot().await;
        let r = post_form(
            &app,
            &format!("{path}/maintenance"),
            &s,
            &[
                ("csrf", &s.csrf),
                ("done_on", "2010-01-01"),
                ("note", "补录"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let text = r.text();
        assert!(
            text.contains("id=\"maintenance-error\"") && text.contains("value=\"补录\""),
            "{text}"
        );
        // Without the CSRF token nothing happens.
        let r = post_form(
            &app,
            &format!("{path}/maintenance"),
            &s,
            &[("csrf", "x"), ("done_on", "2026-11-24")],
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        app.assert_unchanged(&before).await;
        let r = post_form(
            &app,
            &format!("{path}/maintenance"),
            &s,
            &[
                ("csrf", &s.csrf),
                ("done_on", "2026-11-24"),
                ("note", "例行保养"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let html = page(&app, &format!("{path}?done=maintenance"), Some(&s))
            .await
            .text();
        assert!(html.contains("id=\"equipment-notice\"") && html.contains("例行保养"));
        assert!(!html.contains("data-alert=\"maintenance_overdue\""));
        let r = post_form(
            &app,
            &format!("{path}/status"),
            &s,
            &[("csrf", &s.csrf), ("status", "stopped")],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let e = app
            .get(&format!("/api/v1/equipment/{}", ids[2]))
            .await
            .expect(StatusCode::OK);
        assert_eq!(e["equipment"]["status"], "stopped");
        let r = post_form(
            &app,
            &format!("{path}/status"),
            &s,
            &[("csrf", &s.csrf), ("status", "broken")],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("id=\"status-error\""));
    });
}
