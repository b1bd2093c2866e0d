//! The organisations' staff pages, made from the registry's declaration:
//! the list filtered by kind, registration with the error at its field and
//! what was typed kept, the record and its edit form (only name and credit
//! code can change), each refusal changing nothing. Both backends.

use super::support::{id, on_both_backends, App, Reply, Session};
use axum::http::StatusCode;
use serde_json::json;
use wangge_core::auth::Role;

const PASSWORD: &str = "Org-pages-2026";

async fn page(app: &App, s: &Session, path: &str) -> Reply {
    app.page(s, path).await
}

async fn post(app: &App, s: &Session, path: &str, form: &[(&str, &str)]) -> Reply {
    app.post_form(s, path, form).await
}

#[test]
fn organisations_are_listed_registered_and_changed_on_their_pages() {
    on_both_backends(|app| async move {
        let tree = app.tree().await;
        let branch = id(&app
            .post_json(
                "/api/v1/organisations",
                json!({"name": "康庄小区党支部", "kind": "party_branch", "unit": tree.compound}),
            )
            .await
            .expect(StatusCode::CREATED));
        app.post_json(
            "/api/v1/organisations",
            json!({"name": "华英物业", "kind": "property_company", "unit": tree.compound,
                   "credit_code": "91371700MA3C9XQ93U"}),
        )
        .await
        .expect(StatusCode::CREATED);
        app.password_account("li", PASSWORD, Role::StreetStaff, Some(&tree.street), None)
            .await;
        app.password_account("auditor", PASSWORD, Role::Auditor, None, None)
            .await;
        let li = app.session("li", PASSWORD).await;

        // The list, and the list of one kind.
        let html = page(&app, &li, "/organisations").await.text();
        assert!(
            html.contains("康庄小区党支部") && html.contains("华英物业"),
            "{html}"
        );
        assert!(html.contains("id=\"new-org-form\""), "{html}");
        let html = page(&app, &li, "/organisations?kind=party_branch")
            .await
            .text();
        assert!(
            html.contains("康庄小区党支部") && !html.contains("华英物业"),
            "{html}"
        );
        assert!(
            html.contains("<option value=\"party_branch\" selected>"),
            "{html}"
        );
        assert!(
            html.contains("/exports/organisations.xlsx?kind=party_branch"),
            "{html}"
        );

        // A refused registration: the reason at its field, what was typed kept,
        // nothing written.
        let before = app.snapshot().await;
        let r = post(
            &app,
            &li,
            "/organisations",
            &[
                ("csrf", li.csrf.as_str()),
                ("name", "康庄小区业主委员会"),
                ("kind", "owners_committee"),
                ("unit", tree.compound.as_str()),
                ("credit_code", "91371700MA3C9XQ93X"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text();
        assert!(html.contains("id=\"org-credit_code-error\""), "{html}");
        assert!(html.contains("value=\"康庄小区业主委员会\""), "{html}");
        for (field, value, at) in [
            ("name", "", "org-name-error"),
            ("kind", "club", "org-kind-error"),
            ("unit", "371799999999", "org-unit-error"),
        ] {
            let mut form = vec![
                ("csrf", li.csrf.as_str()),
                ("name", "康庄小区业主委员会"),
                ("kind", "owners_committee"),
                ("unit", tree.compound.as_str()),
            ];
            for f in form.iter_mut().filter(|f| f.0 == field) {
                f.1 = value;
            }
            let r = post(&app, &li, "/organisations", &form).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
            assert!(
                r.text().contains(&format!("id=\"{at}\"")),
                "{field}: {}",
                r.text()
            );
        }
        app.assert_unchanged(&before).await;

        // Registered: to the record's page.
        let r = post(
            &app,
            &li,
            "/organisations",
            &[
                ("csrf", li.csrf.as_str()),
                ("name", "康庄小区业主委员会"),
                ("kind", "owners_committee"),
                ("unit", tree.compound.as_str()),
                ("credit_code", ""),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let at = r.header("location").unwrap().to_string();
        let html = page(&app, &li, &at).await.text();
        assert!(
            html.contains("康庄小区业主委员会") && html.contains("业主委员会"),
            "{html}"
        );

        // The edit form has only what a change may touch; a bad code is
        // refused at its field, a good one saved and audited.
        let edit = format!("/organisations/{branch}/edit");
        let html = page(&app, &li, &edit).await.text();
        assert!(
            html.contains("id=\"org-credit_code\"") && !html.contains("id=\"org-kind\""),
            "{html}"
        );
        let before = app.snapshot().await;
        let r = post(
            &app,
            &li,
            &edit,
            &[
                ("csrf", li.csrf.as_str()),
                ("name", "康庄小区第一党支部"),
                ("credit_code", "123"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.text().contains("id=\"org-credit_code-error\""),
            "{}",
            r.text()
        );
        app.assert_unchanged(&before).await;
        let r = post(
            &app,
            &li,
            &edit,
            &[
                ("csrf", li.csrf.as_str()),
                ("name", "康庄小区第一党支部"),
                ("credit_code", ""),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let got = app
            .get(&format!("/api/v1/organisations/{branch}"))
            .await
            .expect(StatusCode::OK);
        assert_eq!(got["name"], "康庄小区第一党支部");

        // An auditor reads but has no form, and finds no edit page.
        let auditor = app.session("auditor", PASSWORD).await;
        let html = page(&app, &auditor, "/organisations").await.text();
        assert!(
            html.contains("康庄小区第一党支部") && !html.contains("new-org-form"),
            "{html}"
        );
        assert_eq!(
            page(&app, &auditor, &edit).await.status,
            StatusCode::NOT_FOUND
        );
    });
}
