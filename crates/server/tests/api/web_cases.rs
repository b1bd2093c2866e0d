//! The case pages over HTTP: a resident's report through the portal with a
//! photo, every staff step through its form (with the refusals shown next to
//! their fields and the typed text kept), the resident's rating, the dashboard
//! agreeing with the statistics API, scope, double submission, an expired
//! session in the middle of a form, and wrong uploads refused before a case exists.

use super::support::{code, id, on_both_backends, App, Reply, Session, Tree};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use base64::Engine;
use serde_json::json;
use wangge_core::auth::Role;
use wangge_store::Scope;

const PASSWORD: &str = "Lantern-river-2026";

/// A 1×1 PNG: the smallest real photo.
pub fn png() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
        .unwrap()
}

struct World {
    tree: Tree,
    dept: i64,
    clerk: Session,
    handler: Session,
    grid: Session,
    outsider: Session,
}

async fn world(app: &App) -> World {
    let ctx = app.store.ctx("setup", Scope::All, super::support::NOW);
    app.store
        .db
        .write(move |c| wangge_store::cases::seed_categories(c, &ctx))
        .await
        .unwrap();
    let tree = app.tree().await;
    let other = app.unit("community", "黄河社区", &tree.street).await;
    let dept = id(&app
        .post_json(
            "/api/v1/organisations",
            json!({"name": "菏泽开发区市场监督管理局", "kind": "department", "unit": tree.zone}),
        )
        .await
        .expect(StatusCode::CREATED));
    app.password_account(
        "clerk",
        PASSWORD,
        Role::StreetStaff,
        Some(&tree.street),
        None,
    )
    .await;
    app.password_account("handler", PASSWORD, Role::DeptHandler, None, Some(dept))
        .await;
    app.password_account(
        "grid",
        PASSWORD,
        Role::GridWorker,
        Some(&tree.community),
        None,
    )
    .await;
    app.password_account(
        "outsider",
        PASSWORD,
        Role::CommunityCadre,
        Some(&code(&other)),
        None,
    )
    .await;
    World {
        clerk: app.session("clerk", PASSWORD).await,
        handler: app.session("handler", PASSWORD).await,
        grid: app.session("grid", PASSWORD).await,
        outsider: app.session("outsider", PASSWORD).await,
        tree,
        dept,
    }
}

pub async fn page(app: &App, path: &str, s: Option<&Session>) -> Reply {
    let mut req = Request::get(path).header(header::ACCEPT, "text/html");
    if let Some(s) = s {
        req = req.header(header::COOKIE, format!("wangge_session={}", s.cookie));
    }
    app.send(req.body(Body::empty()).unwrap()).await
}

/// One file of a multipart form: (field, file name, content type, bytes).
type FilePart<'a> = (&'a str, &'a str, &'a str, Vec<u8>);

pub fn multipart(fields: &[(&str, &str)], files: &[FilePart<'_>]) -> (String, Vec<u8>) {
    let boundary = "----wangge-test-boundary-7d93";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (k, name, ctype, bytes) in files {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\nContent-Type: {ctype}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub async fn post_multipart(
    app: &App,
    path: &str,
    s: Option<&Session>,
    fields: &[(&str, &str)],
    files: &[FilePart<'_>],
) -> Reply {
    let (ctype, body) = multipart(fields, files);
    let mut req = Request::post(path).header(header::CONTENT_TYPE, ctype);
    if let Some(s) = s {
        req = req.header(header::COOKIE, format!("wangge_session={}", s.cookie));
    }
    app.send(req.body(Body::from(body)).unwrap()).await
}

async fn post_form(app: &App, path: &str, form: &[(&str, &str)]) -> Reply {
    let req = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(serde_urlencoded::to_string(form).unwrap()))
        .unwrap();
    app.send(req).await
}

/// The text of the element with this id (the first text run after its tag).
fn by_id(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let rest = &html[at..];
    let start = rest.find('>').unwrap() + 1;
    rest[start..].split('<').next().unwrap().trim().to_string()
}

fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("field present") + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

/// A staff step through the case page's form; answers the reply.
async fn step(
    app: &App,
    s: &Session,
    case: i64,
    fields: &[(&str, &str)],
    files: &[FilePart<'_>],
) -> Reply {
    let html = page(app, &format!("/cases/{case}"), Some(s)).await.text();
    let version = field(&html, "version");
    let mut all = vec![("csrf", s.csrf.as_str()), ("version", version.as_str())];
    all.extend_from_slice(fields);
    post_multipart(app, &format!("/cases/{case}"), Some(s), &all, files).await
}

fn assert_done(r: &Reply, case: i64) {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(r.headers[header::LOCATION], format!("/cases/{case}?done=1"));
}

async fn case_count(app: &App) -> usize {
    app.get("/api/v1/cases").await.expect(StatusCode::OK)["items"]
        .as_array()
        .unwrap()
        .len()
}

#[test]
fn a_case_goes_through_every_form_from_report_to_rating() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let resident = app.anonymous();

        // The report form: categories in plain words, places to choose, a key
        // against double submission.
        let form = page(&resident, "/report", None).await;
        assert_eq!(form.status, StatusCode::OK);
        let html = form.text();
        assert!(
            html.contains("私搭乱建") || html.contains("乱搭乱建"),
            "plain words"
        );
        assert!(html.contains("康庄小区") && html.contains("1号楼"));
        assert!(!html.contains("涉黑涉恶"), "tips are on their own form");
        let idem = field(&html, "idem");
        let fields = [
            ("idem", idem.as_str()),
            ("kind", "report"),
            ("category", "0105"),
            ("unit", w.tree.building.as_str()),
            ("description", "3号楼东侧有人私搭彩钢房,占用消防通道"),
            ("name", "赵丁先"),
            ("contact", "13800005678"),
        ];

        // A wrong file is refused next to the photo field, before any case exists.
        let bad = post_multipart(
            &resident,
            "/report",
            None,
            &fields,
            &[("photos", "notes.txt", "text/plain", b"not a photo".to_vec())],
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let html = bad.text();
        assert!(html.contains("id=\"photos-error\""), "{html}");
        assert!(
            html.contains("3号楼东侧有人私搭彩钢房"),
            "the description is kept"
        );
        assert_eq!(case_count(&app).await, 0);

        // A missing description is shown next to it; the photo is kept.
        let mut no_text = fields.to_vec();
        no_text[4] = ("description", "");
        let r = post_multipart(
            &resident,
            "/report",
            None,
            &no_text,
            &[("photos", "a.png", "image/png", png())],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text();
        assert!(html.contains("id=\"description-error\""), "{html}");
        let kept = field(&html, "kept");
        assert!(!kept.is_empty(), "the accepted photo is kept");
        assert_eq!(case_count(&app).await, 0);

        // Sent twice (a double click): one case, the same receipt.
        let mut good = fields.to_vec();
        good.push(("kept", kept.as_str()));
        let first = post_multipart(&resident, "/report", None, &good, &[]).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.text());
        let second = post_multipart(&resident, "/report", None, &good, &[]).await;
        let (a, b) = (first.text(), second.text());
        let number = by_id(&a, "tracking-no");
        assert!(number.starts_with("WG-"), "{number}");
        assert_eq!(number, by_id(&b, "tracking-no"));
        assert_eq!(case_count(&app).await, 1);
        let link = by_id(&a, "track-link");
        assert!(link.starts_with("/track/"));

        let cid = id(&app.get("/api/v1/cases").await.expect(StatusCode::OK)["items"][0]);

        // The clerk's inbox has it; the page offers exactly accept and reject.
        let home = page(&app, "/", Some(&w.clerk)).await.text();
        assert!(home.contains(&number), "{home}");
        let html = page(&app, &format!("/cases/{cid}"), Some(&w.clerk))
            .await
            .text();
        assert!(html.contains("id=\"act-accept\"") && html.contains("id=\"act-reject\""));
        assert!(!html.contains("id=\"act-dispatch\"") && !html.contains("id=\"act-close\""));
        assert!(html.contains("/api/v1/attachments/"), "the photo is shown");

        // A wrong CSRF token is refused.
        let r = post_multipart(
            &app,
            &format!("/cases/{cid}"),
            Some(&w.clerk),
            &[("csrf", "x"), ("action", "accept")],
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        let r = step(
            &app,
            &w.clerk,
            cid,
            &[("action", "reject"), ("reason", "")],
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.text().contains("id=\"reject-reason-error\""),
            "{}",
            r.text()
        );
        assert_done(
            &step(&app, &w.clerk, cid, &[("action", "accept")], &[]).await,
            cid,
        );

        // The session expires while the clerk writes the dispatch note: after
        // logging in again the form comes back with the note.
        let r = post_multipart(
            &app.anonymous(),
            &format!("/cases/{cid}"),
            None,
            &[
                ("csrf", "gone"),
                ("action", "dispatch"),
                ("note", "请尽快到现场处理"),
            ],
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let to = r.headers[header::LOCATION].to_str().unwrap().to_string();
        assert!(to.starts_with("/login?next="), "{to}");
        let next: Vec<(String, String)> =
            serde_urlencoded::from_str(to.trim_start_matches("/login?")).unwrap();
        let back = page(&app, &next[0].1, Some(&w.clerk)).await.text();
        assert!(back.contains("请尽快到现场处理"), "{back}");
        assert!(
            back.contains("id=\"act-dispatch\" open"),
            "the form is open"
        );

        // Dispatch without an organisation: the message is next to the field
        // and the note stays.
        let r = step(
            &app,
            &w.clerk,
            cid,
            &[
                ("action", "dispatch"),
                ("lead_org", ""),
                ("note", "请尽快到现场处理"),
            ],
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text();
        assert!(html.contains("id=\"dispatch-org-error\""), "{html}");
        assert!(html.contains("请尽快到现场处理"));
        let dept = w.dept.to_string();
        assert_done(
            &step(
                &app,
                &w.clerk,
                cid,
                &[("action", "dispatch"), ("lead_org", &dept)],
                &[],
            )
            .await,
            cid,
        );

        // The department handles it: without evidence, with a wrong file, then a photo.
        let r = step(
            &app,
            &w.handler,
            cid,
            &[("action", "handle"), ("note", "已拆除")],
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("id=\"handle-evidence-error\""));
        assert!(r.text().contains("已拆除"));
        let r = step(
            &app,
            &w.handler,
            cid,
            &[("action", "handle"), ("note", "已拆除")],
            &[(
                "evidence",
                "x.exe",
                "application/octet-stream",
                b"MZ\x90\x00".to_vec(),
            )],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("id=\"handle-evidence-error\""));
        assert_done(
            &step(
                &app,
                &w.handler,
                cid,
                &[("action", "handle"), ("note", "已拆除")],
                &[("evidence", "after.png", "image/png", png())],
            )
            .await,
            cid,
        );

        // The grid worker verifies; a cadre of another community cannot even see it.
        assert_eq!(
            page(&app, &format!("/cases/{cid}"), Some(&w.outsider))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_done(
            &step(&app, &w.grid, cid, &[("action", "verify")], &[]).await,
            cid,
        );

        let period = format!("unit={}&from=2026-11-01&to=2026-11-30", w.tree.street);
        let dash = page(&app, &format!("/dashboard?{period}"), Some(&w.clerk))
            .await
            .text();
        let closed_before: i64 = by_id(&dash, "kpi-closed").parse().unwrap();
        assert_done(
            &step(
                &app,
                &w.clerk,
                cid,
                &[("action", "close"), ("close_kind", "fixed")],
                &[],
            )
            .await,
            cid,
        );

        // The dashboard's count goes up by one and agrees with the API.
        let dash = page(&app, &format!("/dashboard?{period}"), Some(&w.clerk))
            .await
            .text();
        let closed: i64 = by_id(&dash, "kpi-closed").parse().unwrap();
        assert_eq!(closed, closed_before + 1);
        let api = app
            .get(&format!("/api/v1/stats/cases?{period}"))
            .await
            .expect(StatusCode::OK);
        assert_eq!(closed, api["closed"].as_i64().unwrap());
        assert_eq!(by_id(&dash, "kpi-received"), api["received"].to_string());
        assert!(
            dash.contains("<svg") && dash.contains("Noto Sans CJK SC"),
            "a chart"
        );
        assert!(dash.contains("长江社区"), "the breakdown by child unit");

        // The resident sees the public timeline (no staff names) and rates.
        let track = page(&resident, &link, None).await.text();
        assert!(track.contains(&number) && track.contains("id=\"submit-rating\""));
        assert!(
            !track.contains("handler") && !track.contains("clerk"),
            "{track}"
        );
        let r = post_form(
            &resident,
            &link,
            &[("action", "rate"), ("rating", ""), ("comment", "很及时")],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("id=\"rating-error\"") && r.text().contains("很及时"));
        let r = post_form(
            &resident,
            &link,
            &[("action", "rate"), ("rating", "5"), ("comment", "很及时")],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let track = page(&resident, &link, None).await.text();
        assert_eq!(by_id(&track, "your-rating"), "5 / 5");
    });
}

#[test]
fn lists_filter_and_pages_read_in_english_without_chinese_labels() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let r = page(&app, "/cases?state=reported&overdue=1", Some(&w.clerk)).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.text().contains("没有符合条件的案件"));
        // The confidential filter is only for those who may read tips.
        assert!(r.text().contains("name=\"confidential\""));
        let r = page(&app, "/cases", Some(&w.outsider)).await;
        assert!(!r.text().contains("name=\"confidential\""));
        let tip = page(&app, "/tip", None).await.text();
        assert!(
            tip.contains("id=\"who-sees\"") && tip.contains("涉黑涉恶"),
            "{tip}"
        );
        for path in ["/cases?lang=en", "/dashboard?lang=en", "/?lang=en"] {
            let html = page(&app, path, Some(&w.clerk)).await.text();
            assert!(html.contains("<html lang=\"en\">"), "{path}");
            for key in ["case.", "dash.", "state.", "portal."] {
                assert!(
                    !html.contains(&format!(">{key}")),
                    "{path}: untranslated {key}"
                );
            }
        }
        let r = page(&app, "/dashboard?from=2026-13-45", Some(&w.clerk)).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.text().contains("id=\"period-error\""));
        assert_eq!(
            page(&app, "/cases/999999", Some(&w.clerk)).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            page(&app, "/track/nope", None).await.status,
            StatusCode::NOT_FOUND
        );
    });
}
