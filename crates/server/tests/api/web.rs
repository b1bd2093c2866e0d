//! The web pages: login with its CSRF cookie, the workbench, password change,
//! logout, the language switch, and pages for browsers that miss.

use super::support::{on_both_backends, App, NOW};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use wangge_core::auth::Role;
use wangge_store::accounts::{self, NewUser};
use wangge_store::Scope;

const PASSWORD: &str = "Lantern-river-2026";

/// Creates `clerk` with a real password.
async fn clerk(app: &App) {
    let ctx = app.store.ctx("setup", Scope::All, NOW);
    let hash = accounts::hash_password(PASSWORD).unwrap();
    let new = NewUser {
        username: "clerk".into(),
        display_name: Some("王小明".into()),
        role: Role::ZoneAdmin,
        scope_unit: None,
        scope_org: None,
    };
    app.store
        .db
        .write(move |c| accounts::create_user(c, &ctx, new, &hash))
        .await
        .unwrap();
}

pub(super) fn cookie_value(reply: &super::support::Reply, name: &str) -> Option<String> {
    reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.strip_prefix(&format!("{name}="))
                .map(|rest| rest.split(';').next().unwrap_or("").to_string())
        })
}

pub(super) fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("field present") + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

pub(super) async fn get(app: &App, path: &str, cookies: &str) -> super::support::Reply {
    let req = Request::get(path)
        .header(header::COOKIE, cookies)
        .header(header::ACCEPT, "text/html")
        .body(Body::empty())
        .unwrap();
    app.send(req).await
}

pub(super) async fn post_form(
    app: &App,
    path: &str,
    cookies: &str,
    form: &[(&str, &str)],
) -> super::support::Reply {
    let body = serde_urlencoded::to_string(form).unwrap();
    let req = Request::post(path)
        .header(header::COOKIE, cookies)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    app.send(req).await
}

/// Logs `clerk` in through the form; answers the cookie header to send afterwards.
async fn log_in(app: &App) -> String {
    let page = get(app, "/login", "").await;
    let csrf_cookie = cookie_value(&page, "wangge_login_csrf").expect("login csrf cookie");
    let csrf = field(&page.text(), "csrf");
    let cookies = format!("wangge_login_csrf={csrf_cookie}");
    let res = post_form(
        app,
        "/login",
        &cookies,
        &[
            ("csrf", &csrf),
            ("next", "/"),
            ("username", "clerk"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let session = cookie_value(&res, "wangge_session").expect("session cookie");
    format!("wangge_session={session}")
}

#[test]
fn the_login_form_logs_in_and_out() {
    on_both_backends(|app| async move {
        let app = app.anonymous();
        clerk(&app).await;

        // Without a session `/` is the residents' home, which links to the staff login.
        let res = get(&app, "/", "").await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(
            res.text().contains("id=\"go-staff\" href=\"/login\""),
            "{}",
            res.text()
        );
        // A staff page still sends the visitor to log in, and back.
        let res = get(&app, "/account/password", "").await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(
            res.headers[header::LOCATION],
            "/login?next=%2Faccount%2Fpassword"
        );

        let page = get(&app, "/login?next=%2Faccount%2Fpassword", "").await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page.text();
        assert!(
            html.contains("<html lang=\"zh-CN\">") && html.contains("工作人员登录"),
            "{html}"
        );
        assert!(html.contains("<label for=\"username\">"), "labelled fields");
        let csrf_cookie = cookie_value(&page, "wangge_login_csrf").unwrap();
        let csrf = field(&html, "csrf");
        assert_eq!(csrf, csrf_cookie);
        let cookies = format!("wangge_login_csrf={csrf_cookie}");

        // A form posted without its cookie (another site) is refused.
        let res = post_form(
            &app,
            "/login",
            "",
            &[
                ("csrf", &csrf),
                ("username", "clerk"),
                ("password", PASSWORD),
            ],
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        assert!(cookie_value(&res, "wangge_session").is_none());

        // A wrong password: the error is shown in place and the user name is kept.
        let res = post_form(
            &app,
            "/login",
            &cookies,
            &[
                ("csrf", &csrf),
                ("next", "/account/password"),
                ("username", "clerk"),
                ("password", "not-it-2026"),
            ],
        )
        .await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
        let html = res.text();
        assert!(
            html.contains("用户名或密码错误") && html.contains("value=\"clerk\""),
            "{html}"
        );
        assert!(cookie_value(&res, "wangge_session").is_none());

        // The right one: a session cookie and back to where the visitor was going.
        let res = post_form(
            &app,
            "/login",
            &cookies,
            &[
                ("csrf", &csrf),
                ("next", "/account/password"),
                ("username", "clerk"),
                ("password", PASSWORD),
            ],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(res.headers[header::LOCATION], "/account/password");
        let set = res.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Lax"),
            "{set}"
        );
        let session = format!(
            "wangge_session={}",
            cookie_value(&res, "wangge_session").unwrap()
        );

        let home = get(&app, "/", &session).await;
        assert_eq!(home.status, StatusCode::OK);
        let html = home.text();
        assert!(
            html.contains("王小明") && html.contains("区管理员"),
            "{html}"
        );

        // Logging out needs the session's CSRF token.
        let token = field(&html, "csrf");
        let res = post_form(&app, "/logout", &session, &[("csrf", "wrong")]).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        assert!(
            !get(&app, "/", &session)
                .await
                .text()
                .contains("id=\"public-home-heading\""),
            "still logged in: the workbench, not the public home"
        );
        let res = post_form(&app, "/logout", &session, &[("csrf", &token)]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert!(
            get(&app, "/", &session)
                .await
                .text()
                .contains("id=\"public-home-heading\""),
            "session ended: the public home again"
        );
    });
}

#[test]
fn only_local_paths_are_followed_after_login() {
    on_both_backends(|app| async move {
        let app = app.anonymous();
        clerk(&app).await;
        for evil in [
            "//evil.example/x",
            "https://evil.example/",
            "/\\evil.example",
        ] {
            let page = get(&app, &format!("/login?next={}", urlencode(evil)), "").await;
            assert_eq!(field(&page.text(), "next"), "/", "{evil}");
        }
    });
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)])
        .unwrap()
        .trim_start_matches("x=")
        .to_string()
}

#[test]
fn password_change_shows_errors_next_to_fields_then_ends_the_session() {
    on_both_backends(|app| async move {
        let app = app.anonymous();
        clerk(&app).await;
        let session = log_in(&app).await;
        let page = get(&app, "/account/password", &session).await;
        let csrf = field(&page.text(), "csrf");

        let res = post_form(
            &app,
            "/account/password",
            &session,
            &[
                ("csrf", &csrf),
                ("old_password", PASSWORD),
                ("new_password", "Another-long-2027"),
                ("confirm", "different-2027"),
            ],
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().contains("两次输入的新密码不一致"));

        let res = post_form(
            &app,
            "/account/password",
            &session,
            &[
                ("csrf", &csrf),
                ("old_password", PASSWORD),
                ("new_password", "short"),
                ("confirm", "short"),
            ],
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            res.text().contains("密码至少需要10个字符"),
            "{}",
            res.text()
        );

        let res = post_form(
            &app,
            "/account/password",
            &session,
            &[
                ("csrf", &csrf),
                ("old_password", "not-the-old-1"),
                ("new_password", "Another-long-2027"),
                ("confirm", "Another-long-2027"),
            ],
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().contains("原密码不正确"));
        assert!(
            !get(&app, "/", &session)
                .await
                .text()
                .contains("id=\"public-home-heading\""),
            "nothing changed yet: the workbench, not the public home"
        );

        let res = post_form(
            &app,
            "/account/password",
            &session,
            &[
                ("csrf", &csrf),
                ("old_password", PASSWORD),
                ("new_password", "Another-long-2027"),
                ("confirm", "Another-long-2027"),
            ],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert!(
            get(&app, "/", &session)
                .await
                .text()
                .contains("id=\"public-home-heading\""),
            "sessions end with the change"
        );
    });
}

#[test]
fn the_language_switch_is_remembered() {
    on_both_backends(|app| async move {
        let app = app.anonymous();
        let res = get(&app, "/login?lang=en", "").await;
        assert!(res.text().contains("Staff log in") && res.text().contains("<html lang=\"en\">"));
        let lang = cookie_value(&res, "wangge_lang").expect("language cookie");
        assert_eq!(lang, "en");
        let again = get(&app, "/login", "wangge_lang=en").await;
        assert!(again.text().contains("Staff log in"));
        let back = get(&app, "/login?lang=zh", "wangge_lang=en").await;
        assert!(back.text().contains("工作人员登录"));
        // No catalogue key leaks onto a page in either language.
        for page in [res.text(), back.text()] {
            for prefix in ["login.", "app.", "home.", "error."] {
                assert!(
                    !page.contains(&format!(">{prefix}")),
                    "untranslated key on page: {page}"
                );
            }
        }
    });
}

#[test]
fn browsers_get_a_page_for_unknown_paths_and_the_stylesheet_is_served() {
    on_both_backends(|app| async move {
        let app = app.anonymous();
        let res = get(&app, "/no/such/page", "").await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        assert!(res.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        assert!(res.text().contains("未找到该页面"));
        let css = get(&app, "/static/app.css", "").await;
        assert_eq!(css.status, StatusCode::OK);
        assert!(css.text().contains("Noto Sans CJK SC"));
    });
}

#[test]
fn the_person_page_masks_data_and_reveals_it_only_with_a_reason() {
    on_both_backends(|app| async move {
        let tree = app.tree().await;
        let person = app
            .person(
                "李秀英",
                &super::support::id_number("19510302", 42),
                &tree.building,
            )
            .await;
        let pid = person["id"].as_i64().unwrap();
        let web = app.anonymous();
        clerk(&web).await;
        let session = log_in(&web).await;

        let page = get(&web, &format!("/people/{pid}"), &session).await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page.text();
        let masked = person["id_number"].as_str().unwrap();
        assert!(html.contains(masked) && html.contains("李秀英"), "{html}");
        let csrf = field(&html, "csrf");

        // No reason: the error is next to the field and nothing is revealed or audited.
        let before = app.snapshot().await;
        let res = post_form(
            &web,
            &format!("/people/{pid}/reveal"),
            &session,
            &[("csrf", &csrf), ("reason", " ")],
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().contains("field-error"), "{}", res.text());
        assert!(res.text().contains(masked));
        app.assert_unchanged(&before).await;

        // A wrong CSRF token reveals nothing either.
        let res = post_form(
            &web,
            &format!("/people/{pid}/reveal"),
            &session,
            &[("csrf", "forged"), ("reason", "核实身份")],
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        app.assert_unchanged(&before).await;

        let res = post_form(
            &web,
            &format!("/people/{pid}/reveal"),
            &session,
            &[("csrf", &csrf), ("reason", "核实养老金领取资格")],
        )
        .await;
        // The browser is sent to the person's page with the reveal's grant.
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(
            res.header("location"),
            Some(format!("/people/{pid}").as_str())
        );
        let grant = cookie_value(&res, "wangge_reveal").expect("a reveal grant");
        let res = get(
            &web,
            &format!("/people/{pid}"),
            &format!("{session}; wangge_reveal={grant}"),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(res.header("cache-control"), Some("no-store"));
        let html = res.text();
        assert!(
            !html.contains(masked),
            "the full number replaces the masked one"
        );
        assert!(html.contains("本次查看已记入审计日志"));
        let ctx = app.store.ctx("check", Scope::All, NOW);
        let entries = app
            .store
            .db
            .read(move |c| {
                let f = wangge_store::audit::Filter {
                    action: Some("reveal".into()),
                    ..Default::default()
                };
                wangge_store::audit::list(c, &ctx, &f, 10)
            })
            .await
            .unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].actor, "clerk");
        assert_eq!(entries[0].detail["reason"], "核实养老金领取资格");

        // Unknown or malformed ids are a page that says so.
        assert_eq!(
            get(&web, "/people/999999", &session).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get(&web, "/people/abc", &session).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get(&web, &format!("/units/{}", tree.community), &session)
                .await
                .status,
            StatusCode::OK
        );
    });
}

#[test]
fn administrators_manage_accounts_and_everyone_their_tokens() {
    on_both_backends(|app| async move {
        let tree = app.tree().await;
        let web = app.anonymous();
        clerk(&web).await;
        let session = log_in(&web).await;
        let page = get(&web, "/admin/users", &session).await;
        assert_eq!(page.status, StatusCode::OK);
        let csrf = field(&page.text(), "csrf");

        // Errors land next to their fields and what was typed stays.
        let before = app.snapshot().await;
        let res = post_form(
            &web,
            "/admin/users",
            &session,
            &[
                ("csrf", &csrf),
                ("username", "li.na"),
                ("display_name", "李娜"),
                ("role", "community_cadre"),
                ("scope_unit", ""),
                ("scope_org", "x"),
                ("password", "short"),
            ],
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text();
        assert!(
            html.contains("id=\"org-error\"") && html.contains("id=\"password-error\""),
            "{html}"
        );
        assert!(html.contains("value=\"li.na\"") && html.contains("value=\"李娜\""));
        app.assert_unchanged(&before).await;
        let res = post_form(
            &web,
            "/admin/users",
            &session,
            &[
                ("csrf", &csrf),
                ("username", "li.na"),
                ("display_name", "李娜"),
                ("role", "community_cadre"),
                ("scope_unit", ""),
                ("scope_org", ""),
                ("password", "Willow-bank-2026"),
            ],
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            res.text().contains("id=\"scope-error\""),
            "a cadre needs an area"
        );
        app.assert_unchanged(&before).await;

        let res = post_form(
            &web,
            "/admin/users",
            &session,
            &[
                ("csrf", &csrf),
                ("username", "li.na"),
                ("display_name", "李娜"),
                ("role", "community_cadre"),
                ("scope_unit", &tree.community),
                ("scope_org", ""),
                ("password", "Willow-bank-2026"),
            ],
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        assert!(res.text().contains("已创建用户"));
        let res = post_form(
            &web,
            "/admin/users/li.na/disable",
            &session,
            &[("csrf", &csrf)],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert!(get(&web, "/admin/users", &session)
            .await
            .text()
            .contains("已停用"));

        // A token is shown once, then only its name.
        let res = post_form(
            &web,
            "/account/tokens",
            &session,
            &[("csrf", &csrf), ("name", "巡查终端")],
        )
        .await;
        assert_eq!(res.status, StatusCode::OK);
        let html = res.text();
        assert!(html.contains("只显示这一次"));
        let start = html.find("wg_").expect("token shown");
        let token: String = html[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        let listed = get(&web, "/account/tokens", &session).await.text();
        assert!(listed.contains("巡查终端") && !listed.contains(&token));
        let api = app.with_token(&token);
        assert_eq!(api.get("/api/v1/session").await.status, StatusCode::OK);
        let id_start = listed.find("/account/tokens/").unwrap() + "/account/tokens/".len();
        let id: String = listed[id_start..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let res = post_form(
            &web,
            &format!("/account/tokens/{id}/revoke"),
            &session,
            &[("csrf", &csrf)],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(
            api.get("/api/v1/session").await.status,
            StatusCode::UNAUTHORIZED
        );
    });
}

#[test]
fn auditors_read_the_log_in_the_browser_and_others_do_not() {
    on_both_backends(|app| async move {
        let web = app.anonymous();
        let tree = app.tree().await;
        // A community cadre has no audit permission: there is no such page for them.
        let ctx = app.store.ctx("setup", Scope::All, NOW);
        let hash = accounts::hash_password(PASSWORD).unwrap();
        let cadre = NewUser {
            username: "clerk".into(),
            display_name: Some("社区干部".into()),
            role: Role::CommunityCadre,
            scope_unit: Some(tree.community.clone()),
            scope_org: None,
        };
        app.store
            .db
            .write(move |c| accounts::create_user(c, &ctx, cadre, &hash))
            .await
            .unwrap();
        let clerk_session = log_in(&web).await;
        assert_eq!(
            get(&web, "/audit", &clerk_session).await.status,
            StatusCode::NOT_FOUND
        );

        let ctx = app.store.ctx("setup", Scope::All, NOW);
        let hash = accounts::hash_password(PASSWORD).unwrap();
        let new = NewUser {
            username: "shenji".into(),
            display_name: Some("审计员".into()),
            role: Role::Auditor,
            scope_unit: None,
            scope_org: None,
        };
        app.store
            .db
            .write(move |c| accounts::create_user(c, &ctx, new, &hash))
            .await
            .unwrap();
        let page = get(&web, "/login", "").await;
        let csrf_cookie = cookie_value(&page, "wangge_login_csrf").unwrap();
        let csrf = field(&page.text(), "csrf");
        let res = post_form(
            &web,
            "/login",
            &format!("wangge_login_csrf={csrf_cookie}"),
            &[
                ("csrf", &csrf),
                ("next", "/audit"),
                ("username", "shenji"),
                ("password", PASSWORD),
            ],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let session = format!(
            "wangge_session={}",
            cookie_value(&res, "wangge_session").unwrap()
        );

        let html = get(&web, "/audit", &session).await.text();
        assert!(html.contains("哈希链校验通过"), "{html}");
        assert!(
            html.contains("login") && html.contains("clerk"),
            "the clerk's login is listed: {html}"
        );
        let filtered = get(&web, "/audit?actor=shenji", &session).await.text();
        assert!(
            filtered.contains("shenji") && !filtered.contains(">clerk<"),
            "{filtered}"
        );

        // A changed entry shows as a broken chain.
        app.store
            .db
            .write(|c| c.execute("UPDATE audit_log SET actor = 'someone' WHERE seq = 1", &[]))
            .await
            .unwrap();
        let html = get(&web, "/audit", &session).await.text();
        assert!(
            html.contains("哈希链校验失败") && html.contains("#1"),
            "{html}"
        );
    });
}

fn multipart(boundary: &str, fields: &[(&str, &str)], file: (&str, &[u8])) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in fields {
        out.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    out.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: text/csv\r\n\r\n", file.0)
            .as_bytes(),
    );
    out.extend(file.1);
    out.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}

async fn upload_form(
    app: &App,
    cookies: &str,
    csrf: &str,
    skip: bool,
    name: &str,
    csv: &str,
) -> super::support::Reply {
    let b = "wanggeboundary7";
    let mut fields = vec![("csrf", csrf), ("kind", "people")];
    if skip {
        fields.push(("skip_invalid", "1"));
    }
    let body = multipart(b, &fields, (name, csv.as_bytes()));
    let req = Request::post("/imports")
        .header(header::COOKIE, cookies)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={b}"),
        )
        .body(Body::from(body))
        .unwrap();
    app.send(req).await
}

/// Follows the run page until the import has finished.
async fn finished_run(app: &App, cookies: &str, location: &str) -> String {
    for _ in 0..100 {
        let html = get(app, location, cookies).await.text();
        if !html.contains("http-equiv=\"refresh\"") {
            return html;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the import did not finish");
}

#[test]
fn staff_import_a_file_from_the_page_and_get_the_bad_rows_back() {
    on_both_backends(|app| async move {
        let tree = app.tree().await;
        let web = app.anonymous();
        clerk(&web).await;
        let session = log_in(&web).await;
        let page = get(&web, "/imports", &session).await;
        assert_eq!(page.status, StatusCode::OK);
        let csrf = field(&page.text(), "csrf");
        let good = super::support::id_number("19800101", 11);
        let csv = format!(
            "姓名,身份证号,单元代码\n张三,{good},{}\n李四,110105194912310021,{}\n",
            tree.building, tree.building
        );

        // A forged form imports nothing.
        let before = app.snapshot().await;
        assert_eq!(
            upload_form(&web, &session, "forged", false, "p.csv", &csv)
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        app.assert_unchanged(&before).await;

        // All or nothing: one bad row, nothing written, the bad rows offered back.
        let res = upload_form(&web, &session, &csrf, false, "p.csv", &csv).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        let location = res.headers[header::LOCATION].to_str().unwrap().to_string();
        let html = finished_run(&web, &session, &location).await;
        assert!(html.contains("有不合格的行,未导入任何数据"), "{html}");
        assert!(
            html.contains("/report"),
            "the invalid rows can be downloaded: {html}"
        );
        let people = app
            .get(&format!("/api/v1/people?unit={}", tree.zone))
            .await
            .expect(StatusCode::OK);
        assert!(people["items"].as_array().unwrap().is_empty());

        // Valid rows only: the good one is imported.
        let res = upload_form(&web, &session, &csrf, true, "p.csv", &csv).await;
        let location = res.headers[header::LOCATION].to_str().unwrap().to_string();
        let html = finished_run(&web, &session, &location).await;
        assert!(html.contains("已导入"), "{html}");
        let people = app
            .get(&format!("/api/v1/people?unit={}", tree.zone))
            .await
            .expect(StatusCode::OK);
        assert_eq!(people["items"].as_array().unwrap().len(), 1);

        // Not a workbook: refused next to the form, with what was chosen kept.
        let res = upload_form(&web, &session, &csrf, true, "x.csv", "\u{0}\u{1}binary").await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            res.text()
        );
        assert!(
            res.text().contains("form-error") && res.text().contains("checked"),
            "{}",
            res.text()
        );
    });
}
