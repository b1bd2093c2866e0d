//! The inspection forms beyond the record: a new plan from the home page
//! and the template editor, each refusal next to its field with the input kept.

use super::{by_id, elevator, location, record_path, value_of, world, PASSWORD};
use crate::api::support::{on_both_backends, App, Reply, Session};
use crate::api::web_cases::page;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use wangge_core::auth::Role;
use wangge_core::inspections::ELEVATOR_USE_UNIT;

async fn post_form(app: &App, path: &str, s: &Session, form: &[(&str, &str)]) -> Reply {
    let req = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("wangge_session={}", s.cookie))
        .body(Body::from(serde_urlencoded::to_string(form).unwrap()))
        .unwrap();
    app.send(req).await
}

#[test]
fn the_new_plan_form_places_refusals_next_to_fields_and_keeps_the_input() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let bureau = w.bureau.to_string();
        let good = |name: &'static str, due: &'static str, under: String| {
            vec![
                ("name", name.to_string()),
                ("template", ELEVATOR_USE_UNIT.to_string()),
                ("unit", w.tree.street.clone()),
                ("issuing_org", bureau.clone()),
                ("supervising_org", bureau.clone()),
                ("inspectors", "clerk".to_string()),
                ("due_date", due.to_string()),
                ("g0_kind", "unit".to_string()),
                ("g0_group", "大型小区".to_string()),
                ("g0_under", under),
                ("g0_unit_kind", "compound".to_string()),
            ]
        };
        let send = |fields: Vec<(&'static str, String)>| {
            let s = w.clerk.clone();
            let app = &app;
            async move {
                let mut f: Vec<(&str, &str)> = vec![("csrf", s.csrf.as_str())];
                f.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
                post_form(app, "/inspections/plans", &s, &f).await
            }
        };
        let count = || async {
            page(&app, "/inspections", Some(&w.clerk))
                .await
                .text()
                .matches("data-plan=")
                .count()
        };
        let before = count().await;
        let refusals = [
            (
                good("", "2026-12-31", String::new()),
                "err-name",
                "不能为空",
            ),
            (
                good("复查", "2026-13-40", String::new()),
                "err-due_date",
                "日期",
            ),
            (
                good("复查", "2026-01-01", String::new()),
                "err-due_date",
                "早于今天",
            ),
            (
                good("复查", "2026-12-31", "000000".into()),
                "err-g0",
                "000000",
            ),
        ];
        for (fields, err, says) in refusals {
            let r = send(fields.clone()).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
            let html = r.text();
            assert!(
                by_id(&html, err).contains(says),
                "{err}: {}",
                by_id(&html, err)
            );
            for (k, v) in fields.iter().filter(|(k, _)| {
                [
                    "name",
                    "unit",
                    "inspectors",
                    "due_date",
                    "g0_group",
                    "g0_under",
                ]
                .contains(k)
            }) {
                assert_eq!(&value_of(&html, k), v, "{k} kept");
            }
            assert!(html.contains(&format!("<option value=\"{bureau}\" selected>")));
        }
        assert_eq!(count().await, before, "nothing created");

        let ok = send(good("二号楼复查", "2026-12-31", String::new())).await;
        let to = location(&ok);
        assert!(to.starts_with("/inspections/plans/"));
        let plan = page(&app, &to, Some(&w.clerk)).await.text();
        assert!(plan.contains("二号楼复查") && plan.contains("大型小区"));
        assert_eq!(count().await, before + 1);

        // The expert may not plan: the form is refused as not found.
        let mut f = vec![("csrf", w.expert.csrf.as_str())];
        f.push(("name", "x"));
        let r = post_form(&app, "/inspections/plans", &w.expert, &f).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    });
}

#[test]
fn templates_are_listed_shown_by_version_and_edited_as_a_new_version() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        app.password_account("tpladmin", PASSWORD, Role::ZoneAdmin, None, None)
            .await;
        let admin = app.session("tpladmin", PASSWORD).await;
        let list = page(&app, "/inspections/templates", Some(&admin))
            .await
            .text();
        assert!(list.contains("电梯使用单位安全隐患排查表") && list.contains("site-dust-control"));
        assert!(list.contains("新建检查表模板"));
        let path = format!("/inspections/templates/{ELEVATOR_USE_UNIT}");
        let shown = page(&app, &path, Some(&admin)).await.text();
        assert_eq!(by_id(&shown, "tpl-version"), "v1");
        assert!(shown.contains("最近两次维护保养间隔") && shown.contains("0 – 366 天"));
        assert!(shown.contains("id=\"template-edit\""));

        let send = |source: String| {
            let admin = admin.clone();
            let app = &app;
            let path = path.clone();
            async move {
                post_form(
                    app,
                    &path,
                    &admin,
                    &[("csrf", &admin.csrf), ("source", &source)],
                )
                .await
            }
        };
        // Broken JSON, a changed code and a rule the engine refuses: each
        // shown above the text, which stays as typed; no version is made.
        let mut body = elevator();
        let broken = "{\"code\": \"elevator-use-unit\",\n \"name\": ".to_string();
        let r = send(broken.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text();
        assert!(by_id(&html, "err-source").contains("第2行"), "{html}");
        assert!(
            html.contains("&quot;name&quot;: </textarea>")
                || html.contains("\"name\": </textarea>")
                || html.contains("&#34;name&#34;: </textarea>"),
            "{html}"
        );
        body.code = "elevator-other".into();
        let r = send(serde_json::to_string(&body).unwrap()).await;
        assert!(by_id(&r.text(), "err-source").contains("模板代码不能修改"));
        body.code = ELEVATOR_USE_UNIT.into();
        body.sections[0].items[0].code = "Bad Code".into();
        let r = send(serde_json::to_string(&body).unwrap()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(by_id(&r.text(), "err-source").starts_with("sections[0].items[0].code"));
        let again = page(&app, &path, Some(&admin)).await.text();
        assert_eq!(by_id(&again, "tpl-version"), "v1");

        body.sections[0].items[0].code = "reg_certificate".into();
        body.name = "电梯使用单位安全隐患排查表(2027版)".into();
        let r = send(serde_json::to_string(&body).unwrap()).await;
        assert_eq!(location(&r), format!("{path}?version=2"));
        let v2 = page(&app, &format!("{path}?version=2"), Some(&admin))
            .await
            .text();
        assert_eq!(by_id(&v2, "tpl-version"), "v2");
        assert!(v2.contains("2027版") && v2.contains(&format!("href=\"{path}?version=1\"")));
        let v1 = page(&app, &format!("{path}?version=1&lang=en"), Some(&admin))
            .await
            .text();
        assert_eq!(by_id(&v1, "tpl-version"), "v1");
        assert!(v1.contains("Versions") && !v1.contains("2027版"));

        // The plan made on v1 keeps its version on the record form.
        let form = page(&app, &record_path(&w, w.mall_target), Some(&w.expert))
            .await
            .text();
        assert!(form.contains("v1"));

        // Street staff read templates but have no editor.
        let clerk_view = page(&app, &path, Some(&w.clerk)).await.text();
        assert!(!clerk_view.contains("id=\"template-edit\""));
        let r = post_form(
            &app,
            &path,
            &w.clerk,
            &[("csrf", &w.clerk.csrf), ("source", "{}")],
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    });
}
