//! The staff menu and error pages (issue 16 item 8): every role sees only the
//! links whose pages open for it, every link it sees opens, a page it may not
//! open answers an HTML 403 in its language, and the API keeps problem+json.

use super::support::{on_both_backends, App, Session, Tree, PROBLEM_JSON};
use super::web_cases::page;
use axum::http::StatusCode;
use serde_json::json;
use wangge_core::auth::Role;

const PASSWORD: &str = "Compass-hill-2026";

/// One signed-in account of every staff role, as the demo has them.
async fn sessions(app: &App, tree: &Tree) -> Vec<(Role, Session)> {
    let dept = super::support::id(
        &app.post_json(
            "/api/v1/organisations",
            json!({"name": "菏泽开发区市场监督管理局", "kind": "department", "unit": tree.zone}),
        )
        .await
        .expect(StatusCode::CREATED),
    );
    let accounts = [
        ("zone", Role::ZoneAdmin, None, None),
        (
            "street",
            Role::StreetStaff,
            Some(tree.street.as_str()),
            None,
        ),
        (
            "cadre",
            Role::CommunityCadre,
            Some(tree.community.as_str()),
            None,
        ),
        (
            "grid",
            Role::GridWorker,
            Some(tree.community.as_str()),
            None,
        ),
        ("scjg", Role::DeptHandler, None, Some(dept)),
        ("audit", Role::Auditor, None, None),
    ];
    let mut out = Vec::new();
    for (name, role, unit, org) in accounts {
        app.password_account(name, PASSWORD, role, unit, org).await;
        out.push((role, app.session(name, PASSWORD).await));
    }
    out
}

/// The menu's links on a page (the language switch left out).
pub fn nav_links(html: &str) -> Vec<String> {
    let start = html.find("<nav").expect("a menu");
    let end = start + html[start..].find("</nav>").expect("the menu ends");
    html[start..end]
        .split("href=\"")
        .skip(1)
        .filter_map(|h| h.split('"').next())
        .filter(|h| !h.starts_with('?'))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_role_sees_the_links_it_may_open_and_no_others() {
    on_both_backends(|app| async move {
        let tree = app.tree().await;
        let all = [
            "/",
            "/cases",
            "/cases/new",
            "/dashboard",
            "/units",
            "/people",
            "/equipment",
            "/inspections",
        ];
        for (role, s) in sessions(&app, &tree).await {
            let home = page(&app, "/", Some(&s)).await;
            assert_eq!(home.status, StatusCode::OK, "{role:?}");
            let links = nav_links(&home.text());
            assert!(links.contains(&"/cases".to_string()), "{role:?}: {links:?}");
            for link in &links {
                let r = page(&app, link, Some(&s)).await;
                assert_eq!(r.status, StatusCode::OK, "{role:?} {link}: {}", r.text());
            }
            // A page left out of the menu is refused with an HTML page.
            for hidden in all.iter().filter(|p| !links.contains(&p.to_string())) {
                let r = page(&app, hidden, Some(&s)).await;
                assert!(
                    r.status == StatusCode::FORBIDDEN || r.status == StatusCode::NOT_FOUND,
                    "{role:?} {hidden}: {}",
                    r.status
                );
                assert!(
                    r.content_type()
                        .unwrap_or_default()
                        .starts_with("text/html"),
                    "{role:?} {hidden}: {:?}",
                    r.content_type()
                );
            }
            if role == Role::DeptHandler {
                assert_eq!(links, ["/", "/cases", "/inspections"]);
            }
        }
    });
}

#[test]
fn a_browser_gets_an_html_error_page_and_the_api_problem_json() {
    on_both_backends(|app| async move {
        let tree = app.tree().await;
        let roles = sessions(&app, &tree).await;
        let (_, scjg) = roles.iter().find(|(r, _)| *r == Role::DeptHandler).unwrap();
        for (path, status) in [
            ("/people", StatusCode::FORBIDDEN),
            ("/units", StatusCode::FORBIDDEN),
            ("/equipment", StatusCode::FORBIDDEN),
            ("/dashboard", StatusCode::FORBIDDEN),
        ] {
            let r = page(&app, path, Some(scjg)).await;
            assert_eq!(r.status, status, "{path}");
            assert_eq!(r.content_type(), Some("text/html; charset=utf-8"), "{path}");
            let html = r.text();
            assert!(html.contains("您的账号无权打开此页面"), "{path}: {html}");
            assert!(!html.contains("\"code\""), "no JSON in the page: {html}");
            let en = page(&app, &format!("{path}?lang=en"), Some(scjg))
                .await
                .text();
            assert!(en.contains("Your account may not open this page"), "{en}");
        }
        // A refusal inside a page's handler (a person it may not see) is a
        // page too, with the handler's own message.
        let r = page(&app, "/people/1", Some(scjg)).await;
        assert!(r.status.is_client_error(), "{}", r.status);
        assert!(r
            .content_type()
            .unwrap_or_default()
            .starts_with("text/html"));

        // The API answers problem+json whatever the Accept header says.
        let api = app.as_user("street-api", Role::StreetStaff, Some(&tree.street), None);
        let r = api
            .call(axum::http::Method::GET, "/api/v1/audit")
            .header("accept", "text/html")
            .send()
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.content_type(), Some(PROBLEM_JSON));
    });
}
