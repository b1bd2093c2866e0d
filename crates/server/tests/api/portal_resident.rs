//! The residents' way in over HTTP: the public home at `/`, finding a case
//! again by tracking number and the phone's last four digits (the same answer
//! for every wrong pair, and slowed per address), the report form's messages
//! all at once in plain words, the place search, a report with a position
//! only, and category names in English.

use super::support::{code, id, on_both_backends, App, Reply, Tree};
use super::web_cases::{page, post_multipart};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use serde_json::json;
use std::net::SocketAddr;

const PHONE: &str = "13800005678";

async fn seeded(app: &App) -> Tree {
    app.tree_with_categories().await
}

async fn lookup(app: &App, ip: &str, number: &str, last4: &str) -> Reply {
    let addr: SocketAddr = format!("{ip}:40000").parse().unwrap();
    let req = Request::post("/lookup")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .extension(ConnectInfo(addr))
        .body(Body::from(
            serde_urlencoded::to_string([("number", number), ("last4", last4)]).unwrap(),
        ))
        .unwrap();
    app.send(req).await
}

/// A report through the public API with a phone; answers its tracking number.
async fn reported_case(app: &App, tree: &Tree, category: &str) -> String {
    let receipt = app
        .anonymous()
        .post_json(
            "/api/v1/public/cases",
            json!({"category": category, "unit": tree.building,
                   "description": "楼道灯坏了一个月", "contact": PHONE}),
        )
        .await
        .expect(StatusCode::CREATED);
    receipt["number"].as_str().unwrap().to_string()
}

async fn dispatch(app: &App, number: &str, dept: i64) {
    let list = app.get("/api/v1/cases").await.expect(StatusCode::OK);
    let case = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["tracking_no"] == number)
        .unwrap()
        .clone();
    let cid = id(&case);
    let path = format!("/api/v1/cases/{cid}/transitions");
    let c1 = app
        .post_json(
            &path,
            json!({"action": "accept", "version": case["version"]}),
        )
        .await
        .expect(StatusCode::OK);
    app.post_json(
        &path,
        json!({"action": "dispatch", "lead_org": dept, "version": c1["version"]}),
    )
    .await
    .expect(StatusCode::OK);
}

async fn department(app: &App, tree: &Tree) -> i64 {
    id(&app
        .post_json(
            "/api/v1/organisations",
            json!({"name": "开发区城市管理局", "kind": "department", "unit": tree.zone}),
        )
        .await
        .expect(StatusCode::CREATED))
}

#[test]
fn visitors_without_a_session_land_on_the_public_home() {
    on_both_backends(|app| async move {
        let anon = app.anonymous();
        let home = page(&anon, "/", None).await;
        assert_eq!(home.status, StatusCode::OK, "not a redirect to the login");
        let html = home.text();
        for link in [
            "href=\"/report\"",
            "href=\"/tip\"",
            "href=\"/lookup\"",
            "href=\"/login\"",
        ] {
            assert!(html.contains(link), "{link} in {html}");
        }
        assert!(
            html.contains("反映问题") && html.contains("查询进度"),
            "{html}"
        );
        let en = page(&anon, "/?lang=en", None).await.text();
        assert!(en.contains("Check progress"), "{en}");

        // The staff login leads residents back to their portal.
        let login = page(&anon, "/login", None).await.text();
        let links = &login[login.find("id=\"resident-links\"").expect("links")..];
        assert!(
            links.contains("href=\"/report\"") && links.contains("href=\"/lookup\""),
            "{login}"
        );
    });
}

#[test]
fn a_case_is_found_by_number_and_last_four_and_shows_who_and_by_when() {
    on_both_backends(|app| async move {
        let tree = seeded(&app).await;
        let dept = department(&app, &tree).await;
        let number = reported_case(&app, &tree, "0105").await;
        dispatch(&app, &number, dept).await;

        let found = lookup(&app, "10.0.0.1", &number, "5678").await;
        assert_eq!(found.status, StatusCode::OK, "{}", found.text());
        assert_eq!(found.headers[header::CACHE_CONTROL], "no-store");
        let html = found.text();
        assert!(html.contains(&number), "{html}");
        let responsible = &html[html.find("id=\"track-responsible\"").expect("unit")..];
        assert!(responsible.contains("开发区城市管理局"), "{html}");
        assert!(
            html.contains("id=\"track-deadline\""),
            "the promised date: {html}"
        );
        assert!(!html.contains(PHONE), "the phone is never shown");
        // Lower case and spaces around the number are forgiven.
        let loose = lookup(
            &app,
            "10.0.0.1",
            &format!(" {} ", number.to_lowercase()),
            "5678",
        )
        .await;
        assert_eq!(loose.status, StatusCode::OK, "{}", loose.text());

        // Wrong digits, a number that does not exist: the same answer.
        let wrong_digits = lookup(&app, "10.0.0.2", &number, "1234").await;
        let wrong_number = lookup(&app, "10.0.0.3", "WG-20990101-00001", "5678").await;
        for r in [&wrong_digits, &wrong_number] {
            assert_eq!(r.status, StatusCode::NOT_FOUND);
            assert!(r.text().contains("id=\"lookup-error\""), "{}", r.text());
            assert!(!r.text().contains("id=\"track-responsible\""));
        }
        let strip = |r: &Reply, n: &str| r.text().replace(n, "");
        assert_eq!(
            strip(&wrong_digits, &number),
            strip(&wrong_number, "WG-20990101-00001"),
            "no oracle: the two wrong pairs read alike"
        );
    });
}

#[test]
fn a_tip_and_bad_input_are_not_looked_up() {
    on_both_backends(|app| async move {
        let tree = seeded(&app).await;
        // A tip's reporter is protected: number and phone do not open it.
        let tip = app
            .anonymous()
            .post_json(
                "/api/v1/public/cases",
                json!({"category": "0901", "unit": tree.building,
                       "description": "有人收保护费", "contact": PHONE}),
            )
            .await
            .expect(StatusCode::CREATED);
        let number = tip["number"].as_str().unwrap().to_string();
        let r = lookup(&app, "10.0.0.4", &number, "5678").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
        // Missing number and not four digits: both said beside their fields.
        let r = lookup(&app, "10.0.0.5", "", "56a8").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text();
        assert!(
            html.contains("id=\"number-error\"") && html.contains("id=\"last4-error\""),
            "{html}"
        );
        assert!(html.contains("请输入受理编号") && html.contains("请输入4位数字"));
    });
}

#[test]
fn lookups_are_slowed_per_address_even_for_the_right_pair() {
    on_both_backends(|app| async move {
        let tree = seeded(&app).await;
        let number = reported_case(&app, &tree, "0105").await;
        let app = app.with_public_limit(3);
        for _ in 0..3 {
            let r = lookup(&app, "10.0.1.1", &number, "0000").await;
            assert_eq!(r.status, StatusCode::NOT_FOUND);
        }
        let r = lookup(&app, "10.0.1.1", &number, "5678").await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
        assert!(r.text().contains("查询次数过多"), "{}", r.text());
        assert!(!r.text().contains("id=\"track-responsible\""));
        // Another address is not held up.
        let other = lookup(&app, "10.0.1.2", &number, "5678").await;
        assert_eq!(other.status, StatusCode::OK, "{}", other.text());
    });
}

async fn case_count(app: &App) -> usize {
    app.get("/api/v1/cases").await.expect(StatusCode::OK)["items"]
        .as_array()
        .unwrap()
        .len()
}

#[test]
fn the_report_form_says_every_missing_field_at_once_in_plain_words() {
    on_both_backends(|app| async move {
        let _tree = seeded(&app).await;
        let anon = app.anonymous();
        let fields = [
            ("idem", "0123456789abcdef0123"),
            ("kind", "report"),
            ("category", ""),
            ("unit", ""),
            ("description", ""),
            ("address_detail", "东门岗亭旁"),
            ("contact", PHONE),
        ];
        let r = post_multipart(&anon, "/report", None, &fields, &[]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text();
        for (id, words) in [
            ("category-error", "请选择问题类别"),
            ("description-error", "请描述一下问题"),
            ("unit-error", "请选择地点"),
        ] {
            let at = html
                .find(&format!("id=\"{id}\""))
                .unwrap_or_else(|| panic!("{id}: {html}"));
            assert!(
                html[at..].split("</p>").next().unwrap().contains(words),
                "{id}: {html}"
            );
        }
        assert!(
            !html.contains("不存在") && !html.contains("“”"),
            "no internal words: {html}"
        );
        assert!(
            html.contains("东门岗亭旁") && html.contains(PHONE),
            "typed text kept"
        );
        assert_eq!(case_count(&app).await, 0, "nothing stored");

        let en = post_multipart(&anon, "/report?lang=en", None, &fields, &[])
            .await
            .text();
        assert!(en.contains("Choose what kind of problem"), "{en}");
        assert!(!en.contains("no active case category"), "{en}");
    });
}

#[test]
fn a_report_with_a_position_only_goes_to_the_default_unit_for_staff_to_place() {
    on_both_backends(|app| async move {
        let tree = seeded(&app).await;
        let anon = app.anonymous();
        // The portal remembers submissions by key in memory for the process:
        // each backend's run needs its own.
        let idem = format!("position-only-{}", app.key_file.display());
        let fields = [
            ("idem", idem.as_str()),
            ("kind", "report"),
            ("category", "0105"),
            ("unit", ""),
            ("description", "路边有人私搭彩钢房"),
            ("lat", "35.2401"),
            ("lon", "115.4802"),
        ];
        let r = post_multipart(&anon, "/report", None, &fields, &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert!(r.text().contains("id=\"tracking-no\""), "a receipt");
        let list = app.get("/api/v1/cases").await.expect(StatusCode::OK);
        let case = &list["items"][0];
        assert_eq!(case["unit"], json!(tree.zone), "{case}");
        let cid = id(case);
        let log = app
            .get(&format!("/api/v1/cases/{cid}/events"))
            .await
            .expect(StatusCode::OK)
            .to_string();
        assert!(
            log.contains("居民只给出了位置"),
            "the marker for staff: {log}"
        );

        // The public API routes a position-only report the same way.
        let api = anon
            .post_json(
                "/api/v1/public/cases",
                json!({"category": "0105", "unit": "", "description": "又一处彩钢房",
                       "lat": 35.2402, "lon": 115.4803}),
            )
            .await
            .expect(StatusCode::CREATED);
        assert!(api["number"].as_str().unwrap().starts_with("WG-"), "{api}");
        // Neither a place nor a position: still the plain request for a place.
        let mut bare = fields[1..5].to_vec();
        let other_key = format!("{idem}-again");
        bare.push(("idem", other_key.as_str()));
        let none = post_multipart(&anon, "/report", None, &bare, &[]).await;
        assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(none.text().contains("id=\"unit-error\""), "{}", none.text());
        assert!(!none.text().contains("单元“”不存在"), "{}", none.text());
    });
}

#[test]
fn the_place_search_narrows_the_list_and_keeps_where_a_match_is() {
    on_both_backends(|app| async move {
        let tree = seeded(&app).await;
        let other = app.unit("community", "黄河社区", &tree.street).await;
        let _ = code(&other);
        let all = page(&app.anonymous(), "/report", None).await.text();
        assert!(all.contains("黄河社区") && all.contains("1号楼"));
        let q = serde_urlencoded::to_string([("q", "1号楼")]).unwrap();
        let narrowed = page(&app.anonymous(), &format!("/report?{q}"), None)
            .await
            .text();
        assert!(
            narrowed.contains("1号楼") && narrowed.contains("康庄小区"),
            "{narrowed}"
        );
        assert!(!narrowed.contains("黄河社区"), "{narrowed}");
        let q = serde_urlencoded::to_string([("q", "没有这个地方")]).unwrap();
        let none = page(&app.anonymous(), &format!("/report?{q}"), None)
            .await
            .text();
        assert!(none.contains("id=\"search-result\""), "{none}");

        // The search button inside the form keeps what was typed.
        let fields = [
            ("idem", "search-keeps-0000001"),
            ("kind", "report"),
            ("description", "井盖丢了"),
            ("q", "康庄"),
            ("search", "1"),
        ];
        let r = post_multipart(&app.anonymous(), "/report", None, &fields, &[]).await;
        assert_eq!(r.status, StatusCode::OK);
        let html = r.text();
        assert!(
            html.contains("井盖丢了") && !html.contains("黄河社区"),
            "{html}"
        );
        assert!(
            !html.contains("field-error"),
            "no messages for a search: {html}"
        );
        assert_eq!(case_count(&app).await, 0);
    });
}

#[test]
fn the_english_report_form_names_categories_in_english() {
    on_both_backends(|app| async move {
        let _tree = seeded(&app).await;
        let en = page(&app.anonymous(), "/report?lang=en", None).await.text();
        assert!(
            en.contains("Unauthorised structure in public space"),
            "{en}"
        );
        assert!(!en.contains("乱搭乱建"), "{en}");
        let zh = page(&app.anonymous(), "/report", None).await.text();
        assert!(zh.contains("乱搭乱建"), "{zh}");
    });
}

#[test]
fn the_departments_reply_to_the_resident_is_shown_when_found_again() {
    on_both_backends(|app| async move {
        let tree = seeded(&app).await;
        let dept = department(&app, &tree).await;
        let number = reported_case(&app, &tree, "0105").await;
        dispatch(&app, &number, dept).await;
        let before = lookup(&app, "10.0.2.1", &number, "5678").await.text();
        assert!(
            !before.contains("id=\"track-reply\""),
            "no reply yet: {before}"
        );

        let handler = app.as_user("cg", wangge_core::auth::Role::DeptHandler, None, Some(dept));
        let mut req =
            Request::post("/api/v1/attachments").header(header::CONTENT_TYPE, "image/png");
        if let Some(t) = &handler.token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let photo = handler
            .send(req.body(Body::from(super::web_cases::png())).unwrap())
            .await
            .expect(StatusCode::CREATED);
        let list = app.get("/api/v1/cases").await.expect(StatusCode::OK);
        let case = &list["items"][0];
        handler
            .post_json(
                &format!("/api/v1/cases/{}/transitions", id(case)),
                json!({"action": "handle", "evidence": [id(&photo)],
                       "comment": "已拆除彩钢房,恢复消防通道", "version": case["version"]}),
            )
            .await
            .expect(StatusCode::OK);

        let after = lookup(&app, "10.0.2.1", &number, "5678").await;
        assert_eq!(after.status, StatusCode::OK);
        let html = after.text();
        let reply = &html[html.find("id=\"track-reply\"").expect("the reply")..];
        assert!(reply.contains("已拆除彩钢房,恢复消防通道"), "{html}");
    });
}
