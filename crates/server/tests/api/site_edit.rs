//! Changing a construction site: `PATCH /api/v1/construction-sites/{id}` and
//! the edit form at `/construction-sites/{id}/edit`. A change is audited by
//! field name; a wrong value is refused naming its field and changes nothing;
//! a site (or a new unit) outside the caller's scope is not found; the form
//! keeps what was typed and shows the reason at its field, in both languages.
//! Both backends.

use super::support::{code, id, on_both_backends, App, Reply, Session, Tree};
use axum::http::StatusCode;
use serde_json::{json, Value};
use wangge_core::auth::Role;

const PASSWORD: &str = "Edit-sites-2026";

struct World {
    tree: Tree,
    /// A compound in another community of the street.
    other: String,
    /// The site in the fixture compound, and one in the other.
    site: i64,
    far: i64,
}

async fn world(app: &App) -> World {
    let tree = app.tree().await;
    let community = app.unit("community", "桂陵社区", &tree.street).await;
    let other = code(&app.unit("compound", "桂陵花园", &code(&community)).await);
    let org =
        |name: &'static str| json!({"name": name, "kind": "enterprise", "unit": tree.zone.clone()});
    let builder = id(&app
        .post_json("/api/v1/organisations", org("菏泽建工集团"))
        .await
        .expect(StatusCode::CREATED));
    app.post_json("/api/v1/organisations", org("鲁西南路桥公司"))
        .await
        .expect(StatusCode::CREATED);
    let mut ids = Vec::new();
    for (name, unit) in [("康庄小区二期", &tree.compound), ("桂陵花园改造", &other)] {
        ids.push(id(&app
            .post_json(
                "/api/v1/construction-sites",
                json!({"name": name, "builder_org_id": builder, "unit": unit,
                       "location": "北侧空地", "starts_on": "2026-03-01", "ends_on": "2027-06-30"}),
            )
            .await
            .expect(StatusCode::CREATED)));
    }
    World {
        tree,
        other,
        site: ids[0],
        far: ids[1],
    }
}

/// (action, detail) of a site's audit entries, oldest first.
async fn audited(app: &App, site: i64) -> Vec<(String, Value)> {
    app.store
        .db
        .read(move |c| {
            c.query(
                "SELECT action, detail FROM audit_log WHERE entity = 'construction_site' AND entity_id = $1 ORDER BY seq",
                wangge_store::params![site],
            )?
            .iter()
            .map(|r| {
                let d: String = r.get(1)?;
                Ok((r.get(0)?, serde_json::from_str(&d).unwrap_or(Value::Null)))
            })
            .collect::<wangge_store::Result<Vec<_>>>()
        })
        .await
        .unwrap()
}

#[test]
fn a_site_is_changed_through_the_api_and_audited_by_field() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let t = &w.tree;
        let path = format!("/api/v1/construction-sites/{}", w.site);
        let cadre = app.as_user("cadre", Role::CommunityCadre, Some(&t.community), None);
        let grid = app.as_user("grid", Role::GridWorker, Some(&t.community), None);

        let s = cadre
            .patch_json(
                &path,
                json!({"name": "康庄小区二期(东区)", "status": "suspended", "ends_on": "2027-12-31",
                       "location": "北侧空地"}),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(
            (&s["name"], &s["status"], &s["ends_on"], &s["starts_on"]),
            (
                &json!("康庄小区二期(东区)"),
                &json!("suspended"),
                &json!("2027-12-31"),
                &json!("2026-03-01")
            )
        );
        let log = audited(&app, w.site).await;
        assert_eq!(log.len(), 2, "{log:?}");
        assert_eq!(log[1].0, "update");
        // The unchanged location is not named; the status move is.
        assert_eq!(log[1].1["fields"], json!(["name", "ends_on", "status"]));
        assert_eq!(
            log[1].1["status"],
            json!({"from": "active", "to": "suspended"})
        );
        // An empty end clears it; a patch that changes nothing writes nothing.
        let s = cadre
            .patch_json(&path, json!({"ends_on": ""}))
            .await
            .expect(StatusCode::OK);
        assert!(s["ends_on"].is_null(), "{s}");
        let before = app.snapshot().await;
        cadre
            .patch_json(&path, json!({"name": "康庄小区二期(东区)"}))
            .await
            .expect(StatusCode::OK);
        app.assert_unchanged(&before).await;

        // Wrong values: 422 naming the field, nothing changed.
        for (body, code, field) in [
            (
                json!({"starts_on": "2028-01-01", "ends_on": "2027-01-01"}),
                "dates_order",
                "ends_on",
            ),
            (json!({"starts_on": "2026-13-01"}), "date", "starts_on"),
            (json!({"name": " "}), "required", "name"),
            (
                json!({"builder_org_id": 987654}),
                "unknown_organisation",
                "builder_org_id",
            ),
            (json!({"unit": w.other}), "unknown_unit", "unit"),
            (json!({"status": "closed"}), "invalid_value", "status"),
            (json!({"colour": "red"}), "invalid_value", "colour"),
        ] {
            cadre.patch_json(&path, body.clone()).await.problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                Some(field),
            );
        }
        app.assert_unchanged(&before).await;
        // Outside the scope: not found; without the permission: forbidden.
        cadre
            .patch_json(
                &format!("/api/v1/construction-sites/{}", w.far),
                json!({"name": "越权修改"}),
            )
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);
        grid.patch_json(&path, json!({"name": "越权修改"}))
            .await
            .problem(StatusCode::FORBIDDEN, "forbidden", None);
        app.patch_json("/api/v1/construction-sites/999999", json!({"name": "无"}))
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);
        app.assert_unchanged(&before).await;

        // The street office moves the site to the other community: the
        // cadre no longer finds it, and the move is audited by unit code.
        let clerk = app.as_user("clerk", Role::StreetStaff, Some(&t.street), None);
        let s = clerk
            .patch_json(&path, json!({"unit": w.other}))
            .await
            .expect(StatusCode::OK);
        assert_eq!(s["unit"], w.other.as_str());
        let log = audited(&app, w.site).await;
        let last = &log.last().unwrap().1;
        assert_eq!(last["fields"], json!(["unit"]));
        assert_eq!(last["unit"], json!({"from": t.compound, "to": w.other}));
        cadre
            .get(&path)
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);
        let list = app
            .get(&format!("/api/v1/construction-sites?unit={}", w.other))
            .await
            .expect(StatusCode::OK);
        assert_eq!(list["items"].as_array().unwrap().len(), 2);
    });
}

async fn page(app: &App, s: &Session, path: &str) -> Reply {
    app.page(s, path).await
}

async fn post(app: &App, s: &Session, path: &str, form: &[(&str, &str)]) -> Reply {
    app.post_form(s, path, form).await
}

fn with<'a>(form: &[(&'a str, &'a str)], key: &str, value: &'a str) -> Vec<(&'a str, &'a str)> {
    form.iter()
        .map(|&(k, v)| (k, if k == key { value } else { v }))
        .collect()
}

#[test]
fn the_edit_form_changes_a_site_and_keeps_bad_input_at_its_field() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let t = &w.tree;
        for (name, role, unit) in [
            ("li", Role::StreetStaff, &t.street),
            ("cadre", Role::CommunityCadre, &t.community),
            ("grid", Role::GridWorker, &t.community),
        ] {
            app.password_account(name, PASSWORD, role, Some(unit), None)
                .await;
        }
        let li = app.session("li", PASSWORD).await;
        let edit = format!("/construction-sites/{}/edit", w.site);
        let html = page(&app, &li, &format!("/construction-sites/{}", w.site))
            .await
            .text();
        assert!(html.contains(&format!("href=\"{edit}\"")), "{html}");
        for (lang, heading, other) in [
            ("zh", "修改工地信息", "Edit construction site"),
            ("en", "Edit construction site", "修改工地信息"),
        ] {
            let html = page(&app, &li, &format!("{edit}?lang={lang}")).await.text();
            assert!(html.contains("id=\"edit-site-form\""), "{lang}: {html}");
            assert!(html.contains(heading) && !html.contains(other), "{lang}");
            assert!(
                html.contains("value=\"康庄小区二期\"")
                    && html.contains("value=\"菏泽建工集团\"")
                    && html.contains("value=\"2027-06-30\"")
                    && html.contains("<option value=\"active\" selected>"),
                "{html}"
            );
        }

        let good = [
            ("csrf", li.csrf.as_str()),
            ("name", "康庄小区二期(东区)"),
            ("builder", "菏泽建工集团"),
            ("unit", t.compound.as_str()),
            ("location", "东侧"),
            ("starts_on", "2026-03-01"),
            ("ends_on", "2027-06-30"),
            ("status", "suspended"),
        ];
        let before = app.snapshot().await;
        for (lang, msg) in [
            ("zh", "竣工日期不能早于开工日期"),
            ("en", "cannot end before it starts"),
        ] {
            let r = post(
                &app,
                &li,
                &format!("{edit}?lang={lang}"),
                &with(&good, "ends_on", "2025-01-01"),
            )
            .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
            let html = r.text();
            assert!(
                html.contains("id=\"site-ends_on-error\"") && html.contains(msg),
                "{html}"
            );
            // What was typed stays; the heading keeps the site's name.
            assert!(
                html.contains("value=\"康庄小区二期(东区)\"")
                    && html.contains("value=\"2025-01-01\"")
                    && html.contains("<option value=\"suspended\" selected>")
                    && html.contains(">康庄小区二期</a>"),
                "{html}"
            );
        }
        for (field, value, id) in [
            ("builder", "无此施工单位", "site-builder-error"),
            ("unit", "371799999999", "site-unit-error"),
            ("name", "", "site-name-error"),
            ("starts_on", "2026/3/1x", "site-starts_on-error"),
            ("status", "closed", "site-status-error"),
        ] {
            let r = post(&app, &li, &edit, &with(&good, field, value)).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
            assert!(
                r.text().contains(&format!("id=\"{id}\"")),
                "{field}: {}",
                r.text()
            );
        }
        let r = post(&app, &li, &edit, &with(&good, "csrf", "forged")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        app.assert_unchanged(&before).await;

        // A cadre cannot move the site out of the community, nor edit one
        // outside it; a grid worker may not edit at all.
        let cadre = app.session("cadre", PASSWORD).await;
        let grid = app.session("grid", PASSWORD).await;
        let before = app.snapshot().await;
        let far = format!("/construction-sites/{}/edit", w.far);
        let form = with(&good, "csrf", cadre.csrf.as_str());
        let r = post(&app, &cadre, &edit, &with(&form, "unit", w.other.as_str())).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("id=\"site-unit-error\""), "{}", r.text());
        assert_eq!(page(&app, &cadre, &far).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            post(&app, &cadre, &far, &form).await.status,
            StatusCode::NOT_FOUND
        );
        let html = page(&app, &grid, &format!("/construction-sites/{}", w.far))
            .await
            .text();
        assert!(!html.contains("site-edit-link"), "{html}");
        let gform = with(&good, "csrf", grid.csrf.as_str());
        assert_eq!(page(&app, &grid, &edit).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            post(&app, &grid, &edit, &gform).await.status,
            StatusCode::NOT_FOUND
        );
        app.assert_unchanged(&before).await;

        // Saved: back to the site's page, which shows the change; a second
        // company of the builder's name does not block an unchanged builder.
        app.post_json(
            "/api/v1/organisations",
            json!({"name": "菏泽建工集团", "kind": "enterprise", "unit": t.compound}),
        )
        .await
        .expect(StatusCode::CREATED);
        let r = post(&app, &li, &edit, &good).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        assert_eq!(
            r.header("location"),
            Some(format!("/construction-sites/{}", w.site).as_str())
        );
        let html = page(&app, &li, &format!("/construction-sites/{}", w.site))
            .await
            .text();
        assert!(
            html.contains("康庄小区二期(东区)") && html.contains("停工") && html.contains("东侧"),
            "{html}"
        );
        let log = audited(&app, w.site).await;
        let last = &log.last().unwrap().1;
        assert_eq!(
            last["fields"],
            json!(["name", "location", "status"]),
            "{log:?}"
        );
        // Clearing the end date from the form.
        post(&app, &li, &edit, &with(&good, "ends_on", "")).await;
        let s = app
            .get(&format!("/api/v1/construction-sites/{}", w.site))
            .await
            .expect(StatusCode::OK);
        assert!(s["ends_on"].is_null(), "{s}");
    });
}
