//! The small things users hit (issue 16 item 9): the case list's unit filter
//! down to streets and communities, the language link keeping the page's
//! query, the audit log in words, display names in timelines, one audit entry
//! per reveal however often the page is reloaded, the favicon, and gzip.

use super::support::{id, on_both_backends, App, Session, NOW};
use super::web_cases::page;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::json;
use std::io::Read;
use wangge_core::auth::Role;
use wangge_store::accounts::{self, NewUser};
use wangge_store::Scope;

const PASSWORD: &str = "Lantern-river-2026";

/// A staff account with a display name, a password and an API token:
/// the app acting as them, and their browser session.
async fn staff(
    app: &App,
    name: &'static str,
    display: &str,
    role: Role,
    scope: Option<&str>,
) -> (App, Session) {
    let ctx = app.store.ctx("setup", Scope::All, NOW);
    let hash = accounts::hash_password(PASSWORD).unwrap();
    let new = NewUser {
        username: name.into(),
        display_name: Some(display.into()),
        role,
        scope_unit: scope.map(str::to_string),
        scope_org: None,
    };
    let token = app
        .store
        .db
        .write(move |c| {
            accounts::create_user(c, &ctx, new, &hash)?;
            accounts::create_token(c, &ctx, name, "test", 30).map(|(_, t)| t)
        })
        .await
        .unwrap();
    (app.with_token(&token), app.session(name, PASSWORD).await)
}

async fn seed_categories(app: &App) {
    let ctx = app.store.ctx("setup", Scope::All, NOW);
    app.store
        .db
        .write(move |c| wangge_store::cases::seed_categories(c, &ctx))
        .await
        .unwrap();
}

async fn report(app: &App, unit: &str, description: &str) -> i64 {
    let created = app
        .post_json(
            "/api/v1/cases",
            json!({"category": "0601", "unit": unit, "description": description, "source": "staff"}),
        )
        .await
        .expect(StatusCode::CREATED);
    id(&created["case"])
}

/// The `<option>` lines of the select named `name`.
fn options(html: &str, name: &str) -> Vec<String> {
    let start = html
        .find(&format!("name=\"{name}\""))
        .expect("the select is there");
    let end = start + html[start..].find("</select>").expect("the select ends");
    html[start..end]
        .split("<option")
        .skip(1)
        .map(|o| o.to_string())
        .collect()
}

#[test]
fn the_zone_admin_filters_cases_by_street_and_community() {
    on_both_backends(|app| async move {
        seed_categories(&app).await;
        let tree = app.tree().await;
        let other_street = super::support::code(&app.unit("street", "陈集镇", &tree.zone).await);
        let other_community =
            super::support::code(&app.unit("community", "黄河社区", &tree.street).await);
        let (_, boss) = staff(&app, "boss", "张主任", Role::ZoneAdmin, None).await;
        let in_building = report(&app, &tree.building, "康庄小区1号楼私搭彩钢房").await;
        let in_other_street = report(&app, &other_street, "陈集镇路边堆放垃圾").await;

        let html = page(&app, "/cases", Some(&boss)).await.text();
        let units = options(&html, "unit");
        // Any, the zone, its streets and their communities, in tree order,
        // indented by depth; no compounds or buildings.
        let values: Vec<&str> = units
            .iter()
            .map(|o| o.split('"').nth(1).unwrap_or(""))
            .collect();
        let mut streets = [tree.street.clone(), other_street.clone()];
        streets.sort();
        let mut first_communities = [tree.community.clone(), other_community.clone()];
        first_communities.sort();
        let expected: Vec<String> = if streets[0] == tree.street {
            vec![
                String::new(),
                tree.zone.clone(),
                tree.street.clone(),
                first_communities[0].clone(),
                first_communities[1].clone(),
                other_street.clone(),
            ]
        } else {
            vec![
                String::new(),
                tree.zone.clone(),
                other_street.clone(),
                tree.street.clone(),
                first_communities[0].clone(),
                first_communities[1].clone(),
            ]
        };
        assert_eq!(values, expected, "{units:?}");
        let street_option = units
            .iter()
            .find(|o| o.contains(&format!("\"{}\"", tree.street)))
            .unwrap();
        assert!(
            street_option.contains(">\u{a0}\u{a0}丹阳街道<"),
            "{street_option}"
        );
        let community_option = units
            .iter()
            .find(|o| o.contains(&format!("\"{}\"", tree.community)))
            .unwrap();
        assert!(
            community_option.contains(">\u{a0}\u{a0}\u{a0}\u{a0}长江社区<"),
            "{community_option}"
        );

        // A street shows the cases of its subtree only, and stays chosen.
        let html = page(&app, &format!("/cases?unit={}", tree.street), Some(&boss))
            .await
            .text();
        assert!(html.contains(&format!("/cases/{in_building}\"")), "{html}");
        assert!(
            !html.contains(&format!("/cases/{in_other_street}\"")),
            "{html}"
        );
        assert!(html.contains(&format!("value=\"{}\" selected", tree.street)));
        let html = page(&app, &format!("/cases?unit={other_street}"), Some(&boss))
            .await
            .text();
        assert!(!html.contains(&format!("/cases/{in_building}\"")));
        assert!(html.contains(&format!("/cases/{in_other_street}\"")));

        // A street's clerk gets their street and its communities only.
        let (_, clerk) = staff(
            &app,
            "clerk",
            "王小明",
            Role::StreetStaff,
            Some(&tree.street),
        )
        .await;
        let html = page(&app, "/cases", Some(&clerk)).await.text();
        let values: Vec<String> = options(&html, "unit")
            .iter()
            .map(|o| o.split('"').nth(1).unwrap_or("").to_string())
            .collect();
        let mut want = vec![String::new(), tree.street.clone()];
        want.extend(first_communities.iter().cloned());
        assert_eq!(values, want);
    });
}

/// The `href` of the language link.
fn lang_link(html: &str) -> String {
    let end = html.find("\" lang=\"").expect("the language link");
    let start = html[..end].rfind("href=\"").expect("its href") + "href=\"".len();
    html[start..end].replace("&amp;", "&").replace("&#38;", "&")
}

#[test]
fn the_language_link_keeps_the_page_and_its_filters() {
    on_both_backends(|app| async move {
        seed_categories(&app).await;
        let tree = app.tree().await;
        let (_, boss) = staff(&app, "boss", "张主任", Role::ZoneAdmin, None).await;
        let path = format!(
            "/cases?state=reported&unit={}&text=%E5%BD%A9%E9%92%A2&overdue=1",
            tree.street
        );
        let html = page(&app, &path, Some(&boss)).await.text();
        assert_eq!(
            lang_link(&html),
            format!(
                "?state=reported&unit={}&text=%E5%BD%A9%E9%92%A2&overdue=1&lang=en",
                tree.street
            )
        );
        // Following it: English, with the same filters still applied.
        let en = page(&app, &format!("/cases{}", lang_link(&html)), Some(&boss))
            .await
            .text();
        assert!(en.contains("lang=\"en\""), "{en}");
        assert!(en.contains("value=\"彩钢\""), "the search text stays");
        assert!(en.contains(&format!("value=\"{}\" selected", tree.street)));
        // Only `lang` is replaced, never repeated.
        assert_eq!(
            lang_link(&en),
            format!(
                "?state=reported&unit={}&text=%E5%BD%A9%E9%92%A2&overdue=1&lang=zh",
                tree.street
            )
        );
        // A page without a query gets just the language.
        let home = page(&app, "/login", None).await.text();
        assert_eq!(lang_link(&home), "?lang=en");
    });
}

#[test]
fn the_audit_page_shows_actions_in_words_and_details_as_lines() {
    on_both_backends(|app| async move {
        let tree = app.tree().await;
        let (_, audit) = staff(&app, "audit", "审计员", Role::Auditor, None).await;
        app.patch_json(
            &format!("/api/v1/units/{}", tree.community),
            json!({"name": "长江新社区"}),
        )
        .await;
        let html = page(&app, "/audit", Some(&audit)).await.text();
        let body = &html[html.find("<tbody>").expect("entries")..];
        assert!(body.contains(">新建<"), "create in words: {body}");
        assert!(body.contains(">登录<"), "login in words: {body}");
        assert!(body.contains(">单元 "), "the record kind in words: {body}");
        assert!(
            !body.contains("{&quot;") && !body.contains("{\""),
            "raw JSON: {body}"
        );
        assert!(!body.contains(">create<") && !body.contains(">login<"));
        // The code stays as the cell's title, for the action filter.
        assert!(body.contains("title=\"create\""));

        let en = page(&app, "/audit?lang=en", Some(&audit)).await.text();
        let body = &en[en.find("<tbody>").expect("entries")..];
        assert!(
            body.contains(">created<") && body.contains(">signed in<"),
            "{body}"
        );
    });
}

#[test]
fn case_timelines_show_display_names() {
    on_both_backends(|app| async move {
        seed_categories(&app).await;
        let tree = app.tree().await;
        let (clerk_api, clerk) = staff(
            &app,
            "clerk",
            "王小明",
            Role::StreetStaff,
            Some(&tree.street),
        )
        .await;
        let cid = report(&clerk_api, &tree.building, "康庄小区1号楼私搭彩钢房").await;
        // An account without a display name of its own (the test harness's
        // admin) is shown as the store named it.
        let v = app
            .get(&format!("/api/v1/cases/{cid}"))
            .await
            .expect(StatusCode::OK);
        app.post_json(
            &format!("/api/v1/cases/{cid}/transitions"),
            json!({"action": "accept", "version": v["version"]}),
        )
        .await
        .expect(StatusCode::OK);
        let html = page(&app, &format!("/cases/{cid}"), Some(&clerk))
            .await
            .text();
        let timeline = &html[html.find("class=\"timeline\"").expect("a timeline")..];
        assert!(timeline.contains("· 王小明 →"), "{timeline}");
        assert!(!timeline.contains("· clerk →"), "{timeline}");
        assert!(timeline.contains("· admin →"), "{timeline}");
    });
}

/// The number of `reveal` entries in the audit log.
async fn reveals(app: &App) -> usize {
    app.store
        .db
        .read(|c| c.query("SELECT seq FROM audit_log WHERE action = 'reveal'", &[]))
        .await
        .unwrap()
        .len()
}

fn browser_get(path: &str, cookies: &str) -> Request<Body> {
    Request::get(path)
        .header(header::COOKIE, cookies)
        .header(header::ACCEPT, "text/html")
        .body(Body::empty())
        .unwrap()
}

#[test]
fn a_reload_after_a_reveal_writes_no_second_audit_entry() {
    on_both_backends(|app| async move {
        let tree = app.tree().await;
        let number = super::support::id_number("19510302", 42);
        let pid = id(&app.person("李秀英", &number, &tree.building).await);
        let (_, clerk) = staff(&app, "clerk", "王小明", Role::ZoneAdmin, None).await;
        let session = format!("wangge_session={}", clerk.cookie);
        let body =
            serde_urlencoded::to_string([("csrf", clerk.csrf.as_str()), ("reason", "核实身份")])
                .unwrap();
        let res = app
            .send(
                Request::post(format!("/people/{pid}/reveal"))
                    .header(header::COOKIE, &session)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        assert_eq!(
            res.header("location"),
            Some(format!("/people/{pid}").as_str())
        );
        let grant = res.header("set-cookie").expect("a grant").to_string();
        assert!(grant.contains(&format!("Path=/people/{pid}")), "{grant}");
        assert!(
            grant.contains("HttpOnly") && grant.contains("Max-Age=120"),
            "{grant}"
        );
        let grant = grant.split(';').next().unwrap().to_string();
        assert_eq!(reveals(&app).await, 1);

        // The redirect's page and two reloads show the number, uncached,
        // and the log still holds the one entry.
        let cookies = format!("{session}; {grant}");
        for _ in 0..3 {
            let res = app
                .send(browser_get(&format!("/people/{pid}"), &cookies))
                .await;
            assert_eq!(res.status, StatusCode::OK);
            assert!(res.text().contains(&number), "the full number is shown");
            assert_eq!(res.header("cache-control"), Some("no-store"));
        }
        assert_eq!(reveals(&app).await, 1);

        // Once the grant is over, the page is masked again.
        let later = app.with_clock(std::sync::Arc::new(wangge_server::FixedClock(
            NOW + time::Duration::minutes(3),
        )));
        let res = later
            .send(browser_get(&format!("/people/{pid}"), &cookies))
            .await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(!res.text().contains(&number));
        // A forged grant (a time with no reveal behind it) shows nothing either.
        let forged = format!(
            "{session}; wangge_reveal={}",
            NOW.unix_timestamp() * 1000 - 5
        );
        let res = app
            .send(browser_get(&format!("/people/{pid}"), &forged))
            .await;
        assert!(!res.text().contains(&number));
        // Another user holding the same grant sees nothing.
        let (_, other) = staff(&app, "other", "李四", Role::ZoneAdmin, None).await;
        let res = app
            .send(browser_get(
                &format!("/people/{pid}"),
                &format!("wangge_session={}; {grant}", other.cookie),
            ))
            .await;
        assert!(!res.text().contains(&number));
        assert_eq!(reveals(&app).await, 1);
    });
}

#[test]
fn the_favicon_is_served() {
    on_both_backends(|app| async move {
        let app = app.anonymous();
        for path in ["/favicon.svg", "/favicon.ico"] {
            let res = app.get(path).await;
            assert_eq!(res.status, StatusCode::OK, "{path}");
            assert_eq!(res.content_type(), Some("image/svg+xml"));
            assert!(res.text().starts_with("<svg"), "{path}");
        }
        let login = page(&app, "/login", None).await.text();
        assert!(login.contains("<link rel=\"icon\" href=\"/favicon.svg\""));
    });
}

#[test]
fn pages_go_gzipped_to_clients_that_accept_it() {
    on_both_backends(|app| async move {
        seed_categories(&app).await;
        let tree = app.tree().await;
        let (clerk_api, clerk) = staff(
            &app,
            "clerk",
            "王小明",
            Role::StreetStaff,
            Some(&tree.street),
        )
        .await;
        let cid = report(&clerk_api, &tree.building, "康庄小区1号楼私搭彩钢房").await;
        let path = format!("/cases/{cid}");
        let plain = page(&app, &path, Some(&clerk)).await;
        assert_eq!(plain.status, StatusCode::OK);
        assert_eq!(plain.header("content-encoding"), None);
        assert!(plain.text().contains("康庄小区1号楼私搭彩钢房"));

        let zipped = app
            .send(
                Request::get(&path)
                    .header(header::ACCEPT, "text/html")
                    .header(header::ACCEPT_ENCODING, "gzip")
                    .header(header::COOKIE, format!("wangge_session={}", clerk.cookie))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(zipped.status, StatusCode::OK);
        assert_eq!(zipped.header("content-encoding"), Some("gzip"));
        assert!(zipped.body.len() < plain.body.len());
        let mut html = String::new();
        flate2::read::GzDecoder::new(&zipped.body[..])
            .read_to_string(&mut html)
            .unwrap();
        assert_eq!(html, plain.text());

        // API answers too; a photo would not be (not text).
        let api = app
            .call(axum::http::Method::GET, "/api/v1/openapi.json")
            .header("accept-encoding", "gzip")
            .send()
            .await;
        assert_eq!(api.header("content-encoding"), Some("gzip"));
    });
}
