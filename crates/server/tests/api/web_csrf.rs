//! Every staff form checks its CSRF field before it does anything (the
//! `CheckedForm` extractor): posted with a cookie and no token, a wrong token,
//! or another session's, each form answers 403 and changes nothing.

use super::support::{on_both_backends, App, Session};
use super::web_admin::{post_form_token, world};
use axum::http::StatusCode;

/// The tables the staff forms write, beyond the shared snapshot's.
async fn settings_rows(app: &App) -> Vec<String> {
    app.store
        .db
        .read(|c| {
            let mut out = Vec::new();
            for table in [
                "users",
                "sessions",
                "api_tokens",
                "case_categories",
                "case_routes",
                "calendar_years",
                "inspection_templates",
                "totp_recovery_codes",
            ] {
                let rows = c.query(&format!("SELECT * FROM {table} ORDER BY 1"), &[])?;
                out.push(format!("{table}: {rows:?}"));
            }
            Ok(out)
        })
        .await
        .expect("rows")
}

async fn post(
    app: &App,
    path: &str,
    s: &Session,
    csrf: Option<&str>,
    form: &[(&str, &str)],
) -> StatusCode {
    post_form_token(app, path, s, csrf, form).await.status
}

#[test]
fn every_staff_form_refuses_a_post_without_its_session_token() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let other = app.session("zadmin", "Lantern-river-2026").await;
        let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
            ("/logout".into(), vec![]),
            (
                "/account/password".into(),
                vec![
                    ("old_password", "Lantern-river-2026"),
                    ("new_password", "Another-pass-2026"),
                    ("confirm", "Another-pass-2026"),
                ],
            ),
            ("/account/totp/begin".into(), vec![]),
            ("/account/totp/confirm".into(), vec![("code", "123456")]),
            ("/account/tokens".into(), vec![("name", "脚本")]),
            ("/account/tokens/1/revoke".into(), vec![]),
            (
                "/admin/users".into(),
                vec![
                    ("username", "newbie"),
                    ("role", "grid_worker"),
                    ("password", "Brand-new-pass-2026"),
                ],
            ),
            ("/admin/users/zadmin/disable".into(), vec![]),
            (
                "/admin/calendar".into(),
                vec![("year", "2031"), ("text", "")],
            ),
            (
                "/admin/categories".into(),
                vec![
                    ("code", "0199"),
                    ("parent", "01"),
                    ("name_zh", "新类别"),
                    ("public_name", "新类别"),
                ],
            ),
            ("/admin/categories/0105".into(), vec![("name_zh", "改名")]),
            (
                "/admin/categories/0105/routes".into(),
                vec![("unit", w.street.as_str()), ("org", "1")],
            ),
            ("/admin/categories/0105/routes/1/delete".into(), vec![]),
            (
                "/equipment".into(),
                vec![("registration_code", "31103717002020060001")],
            ),
            (
                "/equipment/1/maintenance".into(),
                vec![("done_on", "2026-12-01")],
            ),
            ("/equipment/1/status".into(), vec![("status", "stopped")]),
            ("/construction-sites".into(), vec![("name", "新工地")]),
            (
                "/construction-sites/1/edit".into(),
                vec![("name", "改名工地")],
            ),
            (
                "/inspections/templates".into(),
                vec![("code", "new"), ("name", "新模板")],
            ),
            (
                "/inspections/templates/elevator".into(),
                vec![("name", "改名")],
            ),
            ("/inspections/plans".into(), vec![("name", "新计划")]),
            ("/people/1/reveal".into(), vec![("reason", "核对")]),
            (
                format!("/units/{}/position", w.building),
                vec![("lat", "35.24"), ("lon", "115.48")],
            ),
            ("/exports/people.xlsx".into(), vec![("reason", "核对")]),
        ];
        let before = (app.snapshot().await, settings_rows(&app).await);
        for (path, form) in &forms {
            for csrf in [None, Some("wrong"), Some(""), Some(other.csrf.as_str())] {
                let status = post(&app, path, &w.admin, csrf, form).await;
                assert_eq!(status, StatusCode::FORBIDDEN, "{path} with {csrf:?}");
            }
        }
        app.assert_unchanged(&before.0).await;
        assert_eq!(
            settings_rows(&app).await,
            before.1,
            "a refused form changed the database"
        );

        // The same check lets the right token through: logging out ends the session.
        let status = post(&app, "/logout", &w.admin, Some(&w.admin.csrf), &[]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_ne!(settings_rows(&app).await, before.1, "the session is gone");
        // Without a session a form goes to the login page, whatever it holds.
        let status = post(
            &app,
            "/admin/calendar",
            &w.admin,
            Some(&w.admin.csrf),
            &[("year", "2031")],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
    });
}
