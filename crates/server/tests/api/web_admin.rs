//! The administration pages over HTTP: case categories (list, create, edit,
//! routing rules) here, the holiday calendar in `calendar.rs`, and the case
//! forms and tracking page this work touched in `case_forms.rs`. Only the zone
//! administrator may use the admin pages; every refused form shows its message
//! next to the field, keeps what was typed and changes nothing; both languages.

mod calendar;
mod case_forms;

use super::support::{id, on_both_backends, App, Reply, Session};
use super::web_cases::page;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::json;
use wangge_core::auth::Role;
use wangge_store::Scope;

const PASSWORD: &str = "Lantern-river-2026";

pub(super) async fn post_form(app: &App, path: &str, s: &Session, form: &[(&str, &str)]) -> Reply {
    post_form_token(app, path, s, Some(&s.csrf), form).await
}

/// A form posted with the session's cookie and this CSRF field, if any.
pub(super) async fn post_form_token(
    app: &App,
    path: &str,
    s: &Session,
    csrf: Option<&str>,
    form: &[(&str, &str)],
) -> Reply {
    let mut all: Vec<(&str, &str)> = csrf.map(|t| ("csrf", t)).into_iter().collect();
    all.extend_from_slice(form);
    let req = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("wangge_session={}", s.cookie))
        .body(Body::from(serde_urlencoded::to_string(&all).unwrap()))
        .unwrap();
    app.send(req).await
}

/// The text of the field error with this id.
pub(super) fn field_error(html: &str, id: &str) -> String {
    let marker = format!("class=\"field-error\" id=\"{id}\">");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} error in {html}"))
        + marker.len();
    html[start..].split('<').next().unwrap().to_string()
}

pub(super) fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

pub(super) struct World {
    pub admin: Session,
    pub clerk: Session,
    pub street: String,
    pub building: String,
    pub dept: i64,
}

pub(super) async fn world(app: &App) -> World {
    let ctx = app.store.ctx("setup", Scope::All, super::support::NOW);
    app.store
        .db
        .write(move |c| wangge_store::cases::seed_categories(c, &ctx))
        .await
        .unwrap();
    let tree = app.tree().await;
    let dept = id(&app
        .post_json(
            "/api/v1/organisations",
            json!({"name": "菏泽开发区城市管理局", "kind": "department", "unit": tree.zone}),
        )
        .await
        .expect(StatusCode::CREATED));
    app.password_account("zadmin", PASSWORD, Role::ZoneAdmin, None, None)
        .await;
    app.password_account(
        "clerk",
        PASSWORD,
        Role::StreetStaff,
        Some(&tree.street),
        None,
    )
    .await;
    World {
        admin: app.session("zadmin", PASSWORD).await,
        clerk: app.session("clerk", PASSWORD).await,
        street: tree.street,
        building: tree.building,
        dept,
    }
}

async fn categories(app: &App) -> Vec<wangge_store::cases::Category> {
    app.store
        .db
        .read(|c| wangge_store::cases::list_categories(c, true))
        .await
        .unwrap()
}

async fn category(app: &App, code: &str) -> wangge_store::cases::Category {
    let code = code.to_string();
    app.store
        .db
        .read(move |c| wangge_store::cases::get_category(c, &code))
        .await
        .unwrap()
}

/// A new minor category under 01 with these time limits.
pub(super) fn new_minor<'a>(
    code: &'a str,
    accept: &'a str,
    unit: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("parent", "01"),
        ("code", code),
        ("name_zh", "井盖缺失"),
        ("name_en", "Missing manhole cover"),
        ("public_name", "井盖丢了"),
        ("accept_amount", accept),
        ("accept_unit", unit),
        ("dispatch_amount", ""),
        ("dispatch_unit", "working_days"),
        ("handle_amount", "3"),
        ("handle_unit", "working_days"),
    ]
}

#[test]
fn categories_are_listed_created_and_edited_by_the_zone_admin_alone() {
    on_both_backends(|app| async move {
        let w = world(&app).await;

        // The list, in both languages.
        let zh = page(&app, "/admin/categories", Some(&w.admin)).await;
        assert_eq!(zh.status, StatusCode::OK);
        let html = zh.text();
        assert!(html.contains("事件类别") && html.contains("新建类别"));
        assert!(html.contains(">0601<") || html.contains("0601"), "{html}");
        let en = page(&app, "/admin/categories?lang=en", Some(&w.admin))
            .await
            .text();
        assert!(en.contains("Case categories") && en.contains("New category"));
        assert!(en.contains("working days"), "deadlines in English: {en}");

        // Others do not see the pages and cannot post to them.
        let before = categories(&app).await.len();
        assert_eq!(
            page(&app, "/admin/categories", Some(&w.clerk)).await.status,
            StatusCode::NOT_FOUND
        );
        let r = post_form(
            &app,
            "/admin/categories",
            &w.clerk,
            &new_minor("0190", "2", "working_days"),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(categories(&app).await.len(), before);

        // Bad values: the message next to the field, the input kept, nothing made.
        let bad: [(&str, &str, &str, &str); 5] = [
            ("code", "1x", "code-error", "两位数字"),
            ("code", "0101", "code-error", "已被使用"),
            ("accept_amount", "abc", "accept-error", "整数"),
            ("accept_amount", "0", "accept-error", "1到250"),
            ("name_zh", "  ", "name_zh-error", "不能为空"),
        ];
        for (name, value, error_id, says) in bad {
            let mut form = new_minor("0190", "2", "working_days");
            form.retain(|(k, _)| *k != name);
            form.push((name, value));
            let r = post_form(&app, "/admin/categories", &w.admin, &form).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}={value}");
            let html = r.text();
            assert!(
                field_error(&html, error_id).contains(says),
                "{name}={value}: {}",
                field_error(&html, error_id)
            );
            assert!(html.contains("value=\"Missing manhole cover\""), "kept");
            assert!(html.contains("value=\"井盖丢了\""), "kept");
            assert_eq!(categories(&app).await.len(), before, "nothing made");
        }
        // … and in English.
        let r = post_form(
            &app,
            "/admin/categories?lang=en",
            &w.admin,
            &new_minor("1x", "2", "working_days"),
        )
        .await;
        let msg = field_error(&r.text(), "code-error");
        assert!(msg.contains("two digits") && !has_cjk(&msg), "{msg}");
        let r = post_form(
            &app,
            "/admin/categories?lang=en",
            &w.admin,
            &new_minor("0190", "abc", "working_days"),
        )
        .await;
        assert_eq!(
            field_error(&r.text(), "accept-error"),
            "Give a whole number"
        );
        assert_eq!(categories(&app).await.len(), before);

        // A good one.
        let r = post_form(
            &app,
            "/admin/categories",
            &w.admin,
            &new_minor("0190", "16", "working_hours"),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        assert_eq!(
            r.headers[header::LOCATION],
            "/admin/categories/0190?created=1"
        );
        let k = category(&app, "0190").await;
        assert_eq!(k.parent.as_deref(), Some("01"));
        assert_eq!(
            k.deadlines.accept,
            Some(wangge_store::cases::Deadline::hours(16))
        );
        assert_eq!(k.deadlines.dispatch, None);
        assert_eq!(
            k.deadlines.handle,
            Some(wangge_store::cases::Deadline::days(3))
        );
        let html = page(&app, "/admin/categories/0190?created=1", Some(&w.admin))
            .await
            .text();
        assert!(html.contains("类别已建立") && html.contains("value=\"16\""));

        // Editing: a refused change keeps the typed values and changes nothing.
        let edit = |name: &'static str, value: &'static str| {
            let mut f: Vec<(&str, &str)> = vec![
                ("name_zh", "井盖缺失或破损"),
                ("name_en", "Missing or broken manhole cover"),
                ("public_name", "井盖丢了或坏了"),
                ("accept_amount", "16"),
                ("accept_unit", "working_hours"),
                ("handle_amount", "5"),
                ("handle_unit", "working_days"),
            ];
            f.retain(|(k, _)| *k != name);
            f.push((name, value));
            f
        };
        let r = post_form(
            &app,
            "/admin/categories/0190",
            &w.admin,
            &edit("name_en", ""),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text();
        assert!(field_error(&html, "name_en-error").contains("不能为空"));
        assert!(html.contains("value=\"井盖缺失或破损\""), "kept");
        let r = post_form(
            &app,
            "/admin/categories/0190",
            &w.admin,
            &edit("handle_amount", "251"),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(field_error(&r.text(), "handle-error").contains("250"));
        assert_eq!(category(&app, "0190").await.name_zh, "井盖缺失");

        // A good edit; the unticked "active" box deactivates it.
        let r = post_form(
            &app,
            "/admin/categories/0190",
            &w.admin,
            &edit("confidential", "1"),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let k = category(&app, "0190").await;
        assert_eq!(k.name_zh, "井盖缺失或破损");
        assert!(k.confidential && !k.active);
        assert_eq!(
            k.deadlines.handle,
            Some(wangge_store::cases::Deadline::days(5))
        );
        assert_eq!(k.code, "0190");

        // The clerk cannot edit it either.
        let r = post_form(
            &app,
            "/admin/categories/0190",
            &w.clerk,
            &edit("name_zh", "改名"),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(category(&app, "0190").await.name_zh, "井盖缺失或破损");
    });
}

#[test]
fn a_categorys_tip_readers_are_set_on_its_page() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let k = category(&app, "0901").await;
        assert!(k.tip_readers.is_none());
        let html = page(&app, "/admin/categories/0901", Some(&w.admin))
            .await
            .text();
        assert!(html.contains("id=\"tip-readers\""), "{html}");
        assert!(html.contains("name=\"reader_street_staff\" value=\"1\" checked"));
        let form = |extra: &[(&'static str, &'static str)]| {
            let mut f: Vec<(&str, &str)> = vec![
                ("name_zh", "扫黑除恶线索"),
                ("name_en", "Organised-crime tip"),
                ("public_name", "涉黑涉恶线索举报"),
                ("confidential", "1"),
                ("active", "1"),
                ("readers_own", "1"),
            ];
            f.extend_from_slice(extra);
            f
        };
        // Refused, with the message beside the readers; nothing changes.
        let r = post_form(
            &app,
            "/admin/categories/0901",
            &w.admin,
            &form(&[("reader_community_cadre", "1")]),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let msg = field_error(&r.text(), "tip_readers-error");
        assert!(msg.contains("区管理员或街道工作人员"), "{msg}");
        let r = post_form(
            &app,
            "/admin/categories/0901",
            &w.admin,
            &form(&[("reader_zone_admin", "1"), ("reader_orgs", "abc")]),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            field_error(&r.text(), "tip_readers-error"),
            "单位编号应为数字"
        );
        assert!(category(&app, "0901").await.tip_readers.is_none());
        // Saved: its own set.
        let r = post_form(
            &app,
            "/admin/categories/0901",
            &w.admin,
            &form(&[("reader_zone_admin", "1"), ("reader_community_cadre", "1")]),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let k = category(&app, "0901").await;
        assert_eq!(
            k.tip_readers.map(|r| r.roles),
            Some(vec![Role::ZoneAdmin, Role::CommunityCadre])
        );
    });
}

#[test]
fn routing_rules_are_set_and_removed_on_a_category_page() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let routes = |app: App| async move {
            app.store
                .db
                .read(|c| wangge_store::cases::list_routes(c, Some("0601")))
                .await
                .unwrap()
        };
        let html = page(&app, "/admin/categories/0601", Some(&w.admin))
            .await
            .text();
        assert!(html.contains("默认承办单位") && html.contains("菏泽开发区城市管理局"));
        let dept = w.dept.to_string();

        // An unknown unit and a missing organisation: next to their fields.
        let r = post_form(
            &app,
            "/admin/categories/0601/routes",
            &w.admin,
            &[("unit", "999999999999"), ("org_id", &dept)],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text();
        assert!(field_error(&html, "route-unit-error").contains("不存在"));
        assert!(html.contains("value=\"999999999999\""), "kept");
        let r = post_form(
            &app,
            "/admin/categories/0601/routes?lang=en",
            &w.admin,
            &[("unit", &w.street), ("org_id", "")],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            field_error(&r.text(), "route-org-error"),
            "Choose an organisation from the list"
        );
        assert!(routes(app.clone()).await.is_empty());
        let r = post_form(
            &app,
            "/admin/categories/0601/routes",
            &w.clerk,
            &[("unit", &w.street), ("org_id", &dept)],
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert!(routes(app.clone()).await.is_empty());

        // A good rule: listed, and used for a case reported in that street.
        let r = post_form(
            &app,
            "/admin/categories/0601/routes",
            &w.admin,
            &[("unit", &w.street), ("org_id", &dept)],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let listed = routes(app.clone()).await;
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (listed[0].unit.as_str(), listed[0].org_id),
            (w.street.as_str(), w.dept)
        );
        let html = page(&app, "/admin/categories/0601", Some(&w.admin))
            .await
            .text();
        assert!(html.contains("id=\"route-list\"") && html.contains(&w.street));

        // Removed again (the clerk cannot).
        let path = format!("/admin/categories/0601/routes/{}/delete", listed[0].id);
        assert_eq!(
            post_form(&app, &path, &w.clerk, &[]).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(routes(app.clone()).await.len(), 1);
        assert_eq!(
            post_form(&app, &path, &w.admin, &[]).await.status,
            StatusCode::SEE_OTHER
        );
        assert!(routes(app.clone()).await.is_empty());
    });
}
