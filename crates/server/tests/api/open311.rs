//! Open311 GeoReport v2 as a client that knows only the spec uses it: discover,
//! list services, read a definition, post a form, follow the request to its
//! close, in JSON and in XML. Errors in the spec's array format; XML bodies
//! refused unread; tips and reporters kept out of every answer.

use super::support::{code, id, on_both_backends, App, Reply, Tree, NOW};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Map, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use tower::ServiceExt;
use wangge_core::auth::Role;
use wangge_server::{AppState, FixedClock};
use wangge_store::Scope;

const BASE: &str = "/open311/v2";
const REPORTER_FIRST: &str = "小明";
const REPORTER_LAST: &str = "欧阳";
const REPORTER_PHONE: &str = "13800001234";
const REPORTER_EMAIL: &str = "xiaoming@example.com";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fmt {
    Json,
    Xml,
}

impl Fmt {
    pub(super) fn ext(self) -> &'static str {
        match self {
            Fmt::Json => "json",
            Fmt::Xml => "xml",
        }
    }
}

// --- reading answers: XML into the same JSON shape, so one set of assertions serves both ---

/// One XML element.
#[derive(Debug, Default)]
struct El {
    name: String,
    text: String,
    kids: Vec<El>,
}

/// Parses an answer, refusing anything that is not well-formed or carries a DOCTYPE.
fn parse_xml(s: &str) -> El {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(s);
    let mut stack: Vec<El> = vec![El::default()];
    loop {
        match r
            .read_event()
            .unwrap_or_else(|e| panic!("not XML ({e}): {s}"))
        {
            Event::Start(e) => stack.push(El {
                name: e.name().as_ref().to_string(),
                ..El::default()
            }),
            Event::Empty(e) => {
                let el = El {
                    name: e.name().as_ref().to_string(),
                    ..El::default()
                };
                stack.last_mut().unwrap().kids.push(el);
            }
            Event::Text(t) => stack.last_mut().unwrap().text.push_str(&t),
            Event::GeneralRef(g) => {
                let name = g.into_inner().into_owned();
                let ch = quick_xml::escape::unescape(&format!("&{name};"))
                    .unwrap_or_else(|e| panic!("unknown entity &{name}; ({e}): {s}"))
                    .into_owned();
                stack.last_mut().unwrap().text.push_str(&ch);
            }
            Event::End(_) => {
                let el = stack.pop().unwrap();
                stack.last_mut().unwrap().kids.push(el);
            }
            Event::DocType(_) => panic!("an answer has no DOCTYPE: {s}"),
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "unbalanced XML: {s}");
    let mut root = stack.pop().unwrap();
    assert_eq!(root.kids.len(), 1, "one document element: {s}");
    root.kids.pop().unwrap()
}

/// Elements whose children are a list.
const LISTS: &[&str] = &[
    "services",
    "service_requests",
    "errors",
    "attributes",
    "endpoints",
    "formats",
    "service_request_updates",
];

fn xml_value(el: &El) -> Value {
    if LISTS.contains(&el.name.as_str()) {
        return Value::Array(el.kids.iter().map(xml_value).collect());
    }
    if el.kids.is_empty() {
        return Value::String(el.text.trim().to_string());
    }
    let mut m = Map::new();
    for k in &el.kids {
        assert!(
            m.insert(k.name.clone(), xml_value(k)).is_none(),
            "repeated element {} in {}",
            k.name,
            el.name
        );
    }
    Value::Object(m)
}

/// The answer as JSON, whichever format it came in, after checking its
/// status, its content type and, for XML, its document element.
#[track_caller]
pub(super) fn doc(r: &Reply, fmt: Fmt, status: StatusCode, root: &str) -> Value {
    assert_eq!(r.status, status, "unexpected answer: {}", r.text());
    match fmt {
        Fmt::Json => {
            assert_eq!(r.content_type(), Some("application/json"), "{}", r.text());
            r.json()
        }
        Fmt::Xml => {
            assert_eq!(
                r.content_type(),
                Some("text/xml; charset=utf-8"),
                "{}",
                r.text()
            );
            let text = r.text();
            assert!(text.starts_with("<?xml version=\"1.0\""), "{text}");
            let el = parse_xml(&text);
            assert_eq!(el.name, root, "{text}");
            xml_value(&el)
        }
    }
}

/// A value as text, however the format wrote it ("" for null or empty).
pub(super) fn txt(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Asserts the spec's error answer: one `{code, description}` with this code,
/// the description in Chinese and English.
#[track_caller]
pub(super) fn error(r: &Reply, fmt: Fmt, status: StatusCode) -> String {
    let v = doc(r, fmt, status, "errors");
    let errs = v.as_array().unwrap_or_else(|| panic!("an array: {v}"));
    assert_eq!(errs.len(), 1, "{v}");
    assert_eq!(txt(&errs[0]["code"]), status.as_u16().to_string(), "{v}");
    let d = txt(&errs[0]["description"]);
    assert!(
        d.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "Chinese in {d}"
    );
    assert!(
        d.split_whitespace().filter(|w| w.is_ascii()).count() >= 3,
        "English in {d}"
    );
    assert!(r.header("x-request-id").is_some());
    d
}

// --- requests ---

fn form_request(
    app: &App,
    path: &str,
    pairs: &[(&str, &str)],
    content_type: &str,
    ip: &str,
) -> Request<Body> {
    let body = serde_urlencoded::to_string(pairs).unwrap();
    let addr: SocketAddr = format!("{ip}:40000").parse().unwrap();
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, content_type)
        .extension(ConnectInfo(addr));
    if let Some(t) = &app.token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    req.body(Body::from(body)).unwrap()
}

/// Posts a form as the spec says, from `ip`.
pub(super) async fn post_form(app: &App, fmt: Fmt, pairs: &[(&str, &str)], ip: &str) -> Reply {
    let path = format!("{BASE}/requests.{}", fmt.ext());
    app.send(form_request(
        app,
        &path,
        pairs,
        "application/x-www-form-urlencoded",
        ip,
    ))
    .await
}

/// A client address no other request of the test binary uses (anonymous posts
/// are rate-limited per address).
pub(super) fn next_ip() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("10.31.{}.{}", n / 250, n % 250 + 1)
}

async fn get(app: &App, path: &str) -> Reply {
    app.get(&format!("{BASE}/{path}")).await
}

/// How many cases there are (the table snapshot does not cover cases).
async fn case_count(app: &App) -> i64 {
    app.store
        .db
        .read(|c| c.query_one("SELECT COUNT(*) FROM cases", &[])?.get(0))
        .await
        .unwrap()
}

// --- the world ---

pub(super) struct World {
    pub(super) tree: Tree,
    dept: i64,
    handler: App,
}

pub(super) async fn world(app: &App) -> World {
    let ctx = app.store.ctx("setup", Scope::All, NOW);
    app.store
        .db
        .write(move |c| wangge_store::cases::seed_categories(c, &ctx))
        .await
        .unwrap();
    let tree = app.tree().await;
    let dept = app
        .post_json(
            "/api/v1/organisations",
            json!({"name": "开发区住建局", "kind": "department", "unit": tree.zone}),
        )
        .await
        .expect(StatusCode::CREATED);
    let dept = id(&dept);
    World {
        handler: app.as_user("handler_zhou", Role::DeptHandler, None, Some(dept)),
        tree,
        dept,
    }
}

/// The JSON API's case with this tracking number, as the zone admin sees it.
pub(super) async fn staff_case(app: &App, no: &str) -> Value {
    let list = app
        .get(&format!("/api/v1/cases?text={no}"))
        .await
        .expect(StatusCode::OK);
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["tracking_no"] == no)
        .unwrap_or_else(|| panic!("{no} in {list}"))
        .clone()
}

async fn step(app: &App, case: &Value, body: Value) -> Value {
    let mut body = body;
    body["version"] = case["version"].clone();
    app.post_json(&format!("/api/v1/cases/{}/transitions", id(case)), body)
        .await
        .expect(StatusCode::OK)
}

fn png() -> Vec<u8> {
    let mut out = Vec::new();
    let img = image::RgbImage::from_pixel(4, 3, image::Rgb([30, 120, 30]));
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// Takes a case through accept, dispatch, handle (with a photo), verify and
/// close as fixed, as staff do in the JSON API.
async fn work_it_through(app: &App, w: &World, no: &str) {
    let case = staff_case(app, no).await;
    let names = |c: &Value| {
        c["next_steps"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let detail = app
        .get(&format!("/api/v1/cases/{}", id(&case)))
        .await
        .expect(StatusCode::OK);
    assert!(names(&detail).contains(&"accept".to_string()), "{detail}");
    let c = step(app, &case, json!({"action": "accept"})).await;
    let c = step(app, &c, json!({"action": "dispatch", "lead_org": w.dept})).await;
    let photo = w
        .handler
        .send(
            Request::post("/api/v1/attachments")
                .header(header::CONTENT_TYPE, "image/png")
                .header(
                    header::AUTHORIZATION,
                    format!("Bearer {}", w.handler.token.clone().unwrap()),
                )
                .body(Body::from(png()))
                .unwrap(),
        )
        .await
        .expect(StatusCode::CREATED);
    let c = step(
        &w.handler,
        &c,
        json!({"action": "handle", "evidence": [id(&photo)], "note": "内部备注:周师傅已清理"}),
    )
    .await;
    let c = step(app, &c, json!({"action": "verify"})).await;
    let c = step(
        app,
        &c,
        json!({"action": "close", "close_kind": {"kind": "fixed"}}),
    )
    .await;
    assert_eq!(c["state"], "closed");
}

/// What no Open311 answer may contain: the reporter and staff.
fn assert_private(text: &str) {
    for secret in [
        REPORTER_FIRST,
        REPORTER_PHONE,
        REPORTER_EMAIL,
        "admin",
        "handler_zhou",
        "clerk",
        "周师傅",
        "内部备注",
    ] {
        assert!(
            !text.contains(secret),
            "an Open311 answer shows '{secret}': {text}"
        );
    }
}

// --- the spec-only client ---

async fn spec_client(app: App, fmt: Fmt) {
    let w = world(&app).await;
    let ext = fmt.ext();
    let client = app.anonymous();
    let mut seen = String::new();

    // Discovery.
    let r = get(&client, &format!("discovery.{ext}")).await;
    let d = doc(&r, fmt, StatusCode::OK, "discovery");
    assert!(
        !txt(&d["changeset"]).is_empty() && !txt(&d["key_service"]).is_empty(),
        "{d}"
    );
    let ep = &d["endpoints"][0];
    assert_eq!(
        ep["specification"], "http://wiki.open311.org/GeoReport_v2",
        "{d}"
    );
    assert_eq!(ep["type"], "production");
    assert!(txt(&ep["url"]).ends_with("/open311/v2"), "{d}");
    assert_eq!(ep["formats"], json!(["text/xml", "application/json"]));

    // Services: minor categories, grouped by major; tips are not offered.
    let r = get(&client, &format!("services.{ext}")).await;
    let services = doc(&r, fmt, StatusCode::OK, "services");
    let list = services.as_array().unwrap();
    let find = |code: &str| list.iter().find(|s| s["service_code"] == code).cloned();
    let rubbish = find("0101").expect("0101 is a service");
    assert_eq!(txt(&rubbish["metadata"]), "false");
    assert_eq!(rubbish["type"], "realtime");
    assert!(!txt(&rubbish["service_name"]).is_empty() && !txt(&rubbish["group"]).is_empty());
    let site = find("0803").expect("0803 is a service");
    assert_eq!(txt(&site["metadata"]), "true", "{site}");
    for tip in ["0901", "1001"] {
        assert!(find(tip).is_none(), "tip category {tip} is listed");
    }
    assert!(find("01").is_none(), "majors are groups, not services");

    // The definition of a service with a required field.
    let r = get(&client, &format!("services/0803.{ext}")).await;
    let def = doc(&r, fmt, StatusCode::OK, "service_definition");
    assert_eq!(def["service_code"], "0803");
    let attrs = def["attributes"].as_array().unwrap();
    assert_eq!(attrs.len(), 1, "{def}");
    assert_eq!(attrs[0]["code"], "project_name");
    assert_eq!(txt(&attrs[0]["required"]), "true");
    assert_eq!(txt(&attrs[0]["variable"]), "true");
    assert_eq!(attrs[0]["datatype"], "string");
    assert_eq!(txt(&attrs[0]["order"]), "1");
    let none = doc(
        &get(&client, &format!("services/0101.{ext}")).await,
        fmt,
        StatusCode::OK,
        "service_definition",
    );
    assert_eq!(none["attributes"], json!([]), "{none}");

    // Post a request, form-encoded, as an anonymous resident.
    let description = "工地围挡倒塌,渣土未覆盖,联系我13800001234";
    let r = post_form(
        &client,
        fmt,
        &[
            ("service_code", "0803"),
            ("lat", "35.2521"),
            ("long", "115.4612"),
            ("address_string", "康庄小区北门外工地"),
            ("address_id", &w.tree.compound),
            ("description", description),
            ("first_name", REPORTER_FIRST),
            ("last_name", REPORTER_LAST),
            ("phone", REPORTER_PHONE),
            ("email", REPORTER_EMAIL),
            ("device_id", "device-77"),
            ("attribute[project_name]", "长江路安置房二期"),
            ("media_url", "https://example.com/photo.jpg"),
        ],
        "198.51.100.7",
    )
    .await;
    seen.push_str(&r.text());
    let posted = doc(&r, fmt, StatusCode::OK, "service_requests");
    let posted = posted.as_array().unwrap();
    assert_eq!(posted.len(), 1);
    let no = txt(&posted[0]["service_request_id"]);
    let token = txt(&posted[0]["token"]);
    assert!(no.starts_with("WG-20261124-"), "{no}");
    assert!(!token.is_empty());
    assert!(!txt(&posted[0]["service_notice"]).is_empty());
    assert_eq!(txt(&posted[0]["account_id"]), "");
    assert!(posted[0].as_object().unwrap().contains_key("account_id"));

    // Follow it: an array of one.
    let r = get(&client, &format!("requests/{no}.{ext}")).await;
    seen.push_str(&r.text());
    let one = doc(&r, fmt, StatusCode::OK, "service_requests");
    assert_eq!(one.as_array().unwrap().len(), 1, "{one}");
    let req = &one[0];
    assert_eq!(req["service_request_id"], no.as_str());
    assert_eq!(req["status"], "open");
    assert_eq!(req["service_code"], "0803");
    assert_eq!(req["address_id"], w.tree.compound.as_str());
    assert_eq!(req["requested_datetime"], "2026-11-24T10:00:00+08:00");
    assert_eq!(txt(&req["lat"]), "35.2521");
    assert_eq!(txt(&req["long"]), "115.4612");
    assert_eq!(
        req["description"], "工地围挡倒塌,渣土未覆盖,联系我138****1234",
        "the public see phone numbers masked"
    );
    assert_eq!(
        req["address"], "康庄小区",
        "no free-text address for the public"
    );
    assert_eq!(req["extended_attributes"]["x_wangge_state"], "reported");
    assert_eq!(req["extended_attributes"]["x_wangge_status"], "OPEN");
    assert!(!txt(&req["status_notes"]).is_empty());
    for field in [
        "status_notes",
        "service_name",
        "agency_responsible",
        "service_notice",
        "updated_datetime",
        "expected_datetime",
        "address",
        "zipcode",
        "media_url",
    ] {
        assert!(
            req.as_object().unwrap().contains_key(field),
            "{field} missing: {req}"
        );
    }

    // The token leads to the request.
    let r = get(&client, &format!("tokens/{token}.{ext}")).await;
    let t = doc(&r, fmt, StatusCode::OK, "service_requests");
    assert_eq!(t, json!([{"service_request_id": no, "token": token}]));

    // Staff work it through in the JSON API…
    work_it_through(&app, &w, &no).await;

    // …and the client sees it closed, fixed.
    let r = get(&client, &format!("requests/{no}.{ext}")).await;
    seen.push_str(&r.text());
    let req = doc(&r, fmt, StatusCode::OK, "service_requests")[0].clone();
    assert_eq!(req["status"], "closed", "{req}");
    assert_eq!(req["extended_attributes"]["x_wangge_status"], "FIXED");
    assert_eq!(req["extended_attributes"]["x_wangge_state"], "closed");
    assert_eq!(req["extended_attributes"]["x_wangge_close_kind"], "fixed");
    assert_eq!(req["agency_responsible"], "开发区住建局");
    assert!(txt(&req["status_notes"]).contains("fixed"), "{req}");

    // The list finds it among the closed, not the open ones.
    let closed = doc(
        &get(
            &client,
            &format!("requests.{ext}?status=closed&service_code=0803"),
        )
        .await,
        fmt,
        StatusCode::OK,
        "service_requests",
    );
    assert!(
        closed
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["service_request_id"] == no.as_str()),
        "{closed}"
    );
    let open = doc(
        &get(&client, &format!("requests.{ext}?status=open")).await,
        fmt,
        StatusCode::OK,
        "service_requests",
    );
    assert!(
        !open
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["service_request_id"] == no.as_str()),
        "{open}"
    );
    seen.push_str(&closed.to_string());

    // The updates list every public step, the last one FIXED.
    let r = get(
        &client,
        &format!(
            "servicerequestupdates.{ext}?start_date={}&end_date={}",
            super::support::enc("2026-11-24T09:00:00+08:00"),
            super::support::enc("2026-11-24T11:00:00+08:00")
        ),
    )
    .await;
    seen.push_str(&r.text());
    let ups = doc(&r, fmt, StatusCode::OK, "service_request_updates");
    let mine: Vec<&Value> = ups
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["service_request_id"] == no.as_str())
        .collect();
    let statuses: Vec<String> = mine.iter().map(|u| txt(&u["status"])).collect();
    assert_eq!(
        statuses,
        [
            "OPEN",
            "INVESTIGATING",
            "ACTION_SCHEDULED",
            "IN_PROGRESS",
            "IN_PROGRESS",
            "FIXED"
        ],
        "{ups}"
    );
    let mut ids: Vec<String> = mine.iter().map(|u| txt(&u["update_id"])).collect();
    ids.dedup();
    assert_eq!(ids.len(), 6, "update ids are unique: {ids:?}");
    for u in &mine {
        assert_eq!(u["updated_datetime"], "2026-11-24T10:00:00+08:00");
        assert!(!txt(&u["description"]).is_empty());
        assert!(u.as_object().unwrap().contains_key("media_url"));
    }
    assert_private(&seen);
}

#[test]
fn a_spec_only_client_follows_a_request_in_json() {
    on_both_backends(|app| spec_client(app, Fmt::Json));
}

#[test]
fn a_spec_only_client_follows_a_request_in_xml() {
    on_both_backends(|app| spec_client(app, Fmt::Xml));
}

// --- errors ---

#[test]
fn errors_are_the_specs_array_in_json_and_xml() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let client = app.anonymous();
        let before = app.snapshot().await;
        let cases_before = case_count(&app).await;
        for fmt in [Fmt::Json, Fmt::Xml] {
            let ext = fmt.ext();
            let good = |extra: &[(&'static str, &'static str)]| {
                let mut f: Vec<(&str, String)> = vec![
                    ("service_code", "0101".into()),
                    ("lat", "35.25".into()),
                    ("long", "115.45".into()),
                    ("address_id", w.tree.building.clone()),
                    ("description", "楼下垃圾三天没人清运".into()),
                ];
                for (k, v) in extra {
                    f.retain(|(kk, _)| kk != k);
                    f.push((k, v.to_string()));
                }
                f
            };
            let send = |pairs: Vec<(&'static str, String)>, who: App| async move {
                let p: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
                post_form(&who, fmt, &p, &next_ip()).await
            };

            // Unknown service: 404, on its definition and on a post.
            error(
                &get(&client, &format!("services/9999.{ext}")).await,
                fmt,
                StatusCode::NOT_FOUND,
            );
            let d = error(
                &send(good(&[("service_code", "9999")]), client.clone()).await,
                fmt,
                StatusCode::NOT_FOUND,
            );
            assert!(d.contains("9999"), "{d}");
            // A major category is a group, not a service.
            error(
                &send(good(&[("service_code", "01")]), client.clone()).await,
                fmt,
                StatusCode::NOT_FOUND,
            );
            // Missing service_code: 400.
            let mut no_code = good(&[]);
            no_code.retain(|(k, _)| *k != "service_code");
            error(
                &send(no_code, client.clone()).await,
                fmt,
                StatusCode::BAD_REQUEST,
            );

            // A bad api_key: 403, in the form, the query or a bearer header.
            let d = error(
                &send(good(&[("api_key", "wgt_not-a-real-key")]), client.clone()).await,
                fmt,
                StatusCode::FORBIDDEN,
            );
            assert!(d.contains("api_key"), "{d}");
            error(
                &get(&client, &format!("services.{ext}?api_key=nope")).await,
                fmt,
                StatusCode::FORBIDDEN,
            );
            error(
                &send(good(&[]), client.with_token("wgt_forged")).await,
                fmt,
                StatusCode::FORBIDDEN,
            );

            // Coordinates out of range or not numbers: 400 naming the field.
            let d = error(
                &send(good(&[("lat", "91.5")]), client.clone()).await,
                fmt,
                StatusCode::BAD_REQUEST,
            );
            assert!(d.starts_with("lat"), "{d}");
            let d = error(
                &send(good(&[("long", "-181")]), client.clone()).await,
                fmt,
                StatusCode::BAD_REQUEST,
            );
            assert!(d.starts_with("long"), "{d}");
            error(
                &send(good(&[("lat", "north")]), client.clone()).await,
                fmt,
                StatusCode::BAD_REQUEST,
            );
            error(
                &send(good(&[("lat", "NaN")]), client.clone()).await,
                fmt,
                StatusCode::BAD_REQUEST,
            );
            // No location at all.
            let mut nowhere = good(&[]);
            nowhere.retain(|(k, _)| !matches!(*k, "lat" | "long" | "address_id"));
            error(
                &send(nowhere, client.clone()).await,
                fmt,
                StatusCode::BAD_REQUEST,
            );
            // An unknown unit as address_id.
            let d = error(
                &send(good(&[("address_id", "999999999999")]), client.clone()).await,
                fmt,
                StatusCode::BAD_REQUEST,
            );
            assert!(d.starts_with("address_id"), "{d}");

            // A required attribute missing, or one the service does not have.
            let d = error(
                &send(good(&[("service_code", "0803")]), client.clone()).await,
                fmt,
                StatusCode::BAD_REQUEST,
            );
            assert!(d.contains("attribute[project_name]"), "{d}");
            let d = error(
                &send(
                    good(&[
                        ("service_code", "0803"),
                        ("attribute[project_name][]", "甲"),
                    ]),
                    client.clone(),
                )
                .await,
                fmt,
                StatusCode::BAD_REQUEST,
            );
            assert!(d.contains("attribute[project_name][]"), "{d}");
            // No description, a bad phone, a bad media_url.
            error(
                &send(good(&[("description", " ")]), client.clone()).await,
                fmt,
                StatusCode::BAD_REQUEST,
            );
            let d = error(
                &send(good(&[("phone", "call me")]), client.clone()).await,
                fmt,
                StatusCode::BAD_REQUEST,
            );
            assert!(d.starts_with("phone"), "{d}");
            error(
                &send(
                    good(&[("media_url", "javascript:alert(1)")]),
                    client.clone(),
                )
                .await,
                fmt,
                StatusCode::BAD_REQUEST,
            );

            // Unknown ids, tokens and paths: 404.
            error(
                &get(&client, &format!("requests/WG-20261124-99999.{ext}")).await,
                fmt,
                StatusCode::NOT_FOUND,
            );
            error(
                &get(&client, &format!("requests/'%20OR%201=1.{ext}")).await,
                fmt,
                StatusCode::NOT_FOUND,
            );
            error(
                &get(&client, &format!("tokens/wgc_nosuchtoken.{ext}")).await,
                fmt,
                StatusCode::NOT_FOUND,
            );
            error(
                &get(&client, &format!("nothing.{ext}")).await,
                fmt,
                StatusCode::NOT_FOUND,
            );
            error(
                &get(&client, &format!("a/b/c.{ext}")).await,
                fmt,
                StatusCode::NOT_FOUND,
            );
            // Bad filters: 400.
            error(
                &get(&client, &format!("requests.{ext}?status=pending")).await,
                fmt,
                StatusCode::BAD_REQUEST,
            );
            error(
                &get(&client, &format!("requests.{ext}?start_date=yesterday")).await,
                fmt,
                StatusCode::BAD_REQUEST,
            );
            error(
                &get(
                    &client,
                    &format!("requests.{ext}?start_date=2026-01-01&end_date=2026-11-24"),
                )
                .await,
                fmt,
                StatusCode::BAD_REQUEST,
            );
            error(
                &get(&client, &format!("requests.{ext}?service_code=4242")).await,
                fmt,
                StatusCode::NOT_FOUND,
            );
            // The wrong method.
            let r = client
                .send_raw(
                    Method::DELETE,
                    &format!("{BASE}/requests.{ext}"),
                    None,
                    Body::empty(),
                )
                .await;
            error(&r, fmt, StatusCode::METHOD_NOT_ALLOWED);
            let r = client
                .send(form_request(
                    &client,
                    &format!("{BASE}/services.{ext}"),
                    &[],
                    "application/x-www-form-urlencoded",
                    "203.0.113.50",
                ))
                .await;
            error(&r, fmt, StatusCode::METHOD_NOT_ALLOWED);
        }
        // A path without a format answers in JSON.
        error(
            &get(&client, "services").await,
            Fmt::Json,
            StatusCode::NOT_FOUND,
        );
        error(
            &get(&client, "services.html").await,
            Fmt::Json,
            StatusCode::NOT_FOUND,
        );
        app.assert_unchanged(&before).await;
        assert_eq!(
            case_count(&app).await,
            cases_before,
            "a refused request created a case"
        );
    });
}

#[test]
fn xml_bodies_are_refused_unread_and_xml_in_text_stays_text() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let client = app.anonymous();
        let before = app.snapshot().await;
        let xxe = format!(
            r#"<?xml version="1.0"?>
<!DOCTYPE request [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY lol "lol">]>
<request><service_code>0101</service_code><lat>35.25</lat><long>115.45</long>
<address_id>{}</address_id><description>&xxe;&lol;</description></request>"#,
            w.tree.building
        );
        for fmt in [Fmt::Xml, Fmt::Json] {
            let path = format!("{BASE}/requests.{}", fmt.ext());
            for ctype in [
                Some("application/xml"),
                Some("text/xml; charset=utf-8"),
                None,
            ] {
                let r = client
                    .send_raw(Method::POST, &path, ctype, xxe.clone())
                    .await;
                let d = error(&r, fmt, StatusCode::UNSUPPORTED_MEDIA_TYPE);
                assert!(d.contains("application/x-www-form-urlencoded"), "{d}");
                assert!(!r.text().contains("root:"), "{}", r.text());
            }
            // A multipart body is refused the same way.
            let r = client
                .send_raw(
                    Method::POST,
                    &path,
                    Some("multipart/form-data; boundary=x"),
                    "--x\r\nContent-Disposition: form-data; name=\"service_code\"\r\n\r\n0101\r\n--x--\r\n",
                )
                .await;
            error(&r, fmt, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        }
        app.assert_unchanged(&before).await;
        assert_eq!(case_count(&app).await, 0, "nothing was created");

        // In a form field, XML is only text: kept as given, escaped on the way out.
        let text = "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>&e; 井盖丢了";
        let r = post_form(
            &client,
            Fmt::Xml,
            &[
                ("service_code", "0101"),
                ("address_id", &w.tree.building),
                ("description", text),
            ],
            "198.51.100.9",
        )
        .await;
        let no =
            txt(&doc(&r, Fmt::Xml, StatusCode::OK, "service_requests")[0]["service_request_id"]);
        let r = get(&client, &format!("requests/{no}.xml")).await;
        assert!(r.text().contains("&lt;!DOCTYPE x"), "{}", r.text());
        let req = doc(&r, Fmt::Xml, StatusCode::OK, "service_requests");
        assert_eq!(req[0]["description"], text);
        assert!(!r.text().contains("root:"));
        let case = staff_case(&app, &no).await;
        assert_eq!(case["description"], text);
        assert_eq!(case["source"], "open311");
    });
}

// --- privacy and scope ---

#[test]
fn tips_and_reporters_stay_out_of_open311() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let client = app.anonymous();
        // A tip through Wangge's own confidential form.
        let tip = client
            .post_json(
                "/api/v1/public/cases",
                json!({"category": "0901", "unit": w.tree.community,
                       "description": "某KTV疑似有人放高利贷", "name": "匿名群众", "contact": "13900001111"}),
            )
            .await
            .expect(StatusCode::CREATED);
        let tip_no = tip["number"].as_str().unwrap().to_string();
        let tip_token = tip["token"].as_str().unwrap().to_string();
        // An ordinary report through Open311, with the reporter's details.
        let r = post_form(
            &client,
            Fmt::Json,
            &[
                ("service_code", "0101"),
                ("address_id", &w.tree.building),
                ("description", "垃圾桶满了"),
                ("first_name", REPORTER_FIRST),
                ("last_name", REPORTER_LAST),
                ("phone", REPORTER_PHONE),
                ("email", REPORTER_EMAIL),
            ],
            "198.51.100.10",
        )
        .await;
        let no = txt(&doc(&r, Fmt::Json, StatusCode::OK, "")[0]["service_request_id"]);

        let mut seen = String::new();
        for fmt in [Fmt::Json, Fmt::Xml] {
            let ext = fmt.ext();
            // The public: no tip category, no tip case, no way to post one here.
            let services = get(&client, &format!("services.{ext}")).await;
            assert!(!services.text().contains("0901") && !services.text().contains("1001"));
            error(
                &get(&client, &format!("services/0901.{ext}")).await,
                fmt,
                StatusCode::NOT_FOUND,
            );
            error(
                &post_form(
                    &client,
                    fmt,
                    &[
                        ("service_code", "1001"),
                        ("address_id", &w.tree.building),
                        ("description", "冒领"),
                    ],
                    "198.51.100.11",
                )
                .await,
                fmt,
                StatusCode::NOT_FOUND,
            );
            error(
                &get(&client, &format!("requests/{tip_no}.{ext}")).await,
                fmt,
                StatusCode::NOT_FOUND,
            );
            for path in [
                format!("requests.{ext}"),
                format!("requests.{ext}?service_request_id={tip_no},{no}"),
                format!("servicerequestupdates.{ext}"),
            ] {
                let r = get(&client, &path).await;
                assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
                assert!(
                    !r.text().contains(&tip_no),
                    "{path} shows the tip: {}",
                    r.text()
                );
                assert!(
                    r.text().contains(&no),
                    "{path} shows the report: {}",
                    r.text()
                );
                seen.push_str(&r.text());
            }
            // The tip's own token still resolves (the reporter holds it).
            let t = get(&client, &format!("tokens/{tip_token}.{ext}")).await;
            assert!(t.text().contains(&tip_no), "{}", t.text());

            // The zone admin (who may read tips) sees the tip category and the tip,
            // still without its reporter.
            let services = get(&app, &format!("services.{ext}")).await;
            assert!(services.text().contains("0901"), "{}", services.text());
            let r = get(&app, &format!("requests/{tip_no}.{ext}")).await;
            let req = doc(&r, fmt, StatusCode::OK, "service_requests");
            assert_eq!(req[0]["service_code"], "0901");
            seen.push_str(&r.text());
            let r = get(&app, &format!("requests.{ext}")).await;
            assert!(r.text().contains(&tip_no) && r.text().contains(&no));
            seen.push_str(&r.text());
            seen.push_str(
                &get(&app, &format!("servicerequestupdates.{ext}"))
                    .await
                    .text(),
            );
            // A grid worker (no tips) with a key does not.
            let grid = app.as_user(
                &format!("grid_{ext}"),
                Role::GridWorker,
                Some(&w.tree.community),
                None,
            );
            let r = get(&grid, &format!("requests.{ext}")).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            assert!(!r.text().contains(&tip_no), "{}", r.text());
            error(
                &get(&grid, &format!("services/0901.{ext}")).await,
                fmt,
                StatusCode::NOT_FOUND,
            );
        }
        assert_private(&seen);
        for secret in ["匿名群众", "13900001111"] {
            assert!(!seen.contains(secret), "{secret} in {seen}");
        }
    });
}

#[test]
fn an_api_key_acts_as_its_user() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        // A street clerk's key: no address_id puts the case at the top of their scope.
        let clerk = app.as_user("clerk_li", Role::StreetStaff, Some(&w.tree.street), None);
        let key = clerk.token.clone().unwrap();
        let anon = app.anonymous();
        let r = post_form(
            &anon,
            Fmt::Json,
            &[
                ("api_key", key.as_str()),
                ("service_code", "0103"),
                ("lat", "35.25"),
                ("long", "115.45"),
                ("address_string", "长江路与丹阳路路口东南角"),
                ("description", "路面油污,联系13712345678"),
            ],
            "198.51.100.20",
        )
        .await;
        let no = txt(&doc(&r, Fmt::Json, StatusCode::OK, "")[0]["service_request_id"]);
        let case = staff_case(&app, &no).await;
        assert_eq!(case["unit"], w.tree.street.as_str());
        assert_eq!(case["source"], "open311");
        assert_eq!(case["address_detail"], "长江路与丹阳路路口东南角");
        // With the key, the clerk reads the text and address in full; the public does not.
        let mine = doc(
            &get(&anon, &format!("requests/{no}.json?api_key={key}")).await,
            Fmt::Json,
            StatusCode::OK,
            "",
        );
        assert_eq!(mine[0]["description"], "路面油污,联系13712345678");
        assert_eq!(mine[0]["address"], "丹阳街道 长江路与丹阳路路口东南角");
        let public = doc(
            &get(&anon, &format!("requests/{no}.json")).await,
            Fmt::Json,
            StatusCode::OK,
            "",
        );
        assert_eq!(public[0]["description"], "路面油污,联系137****5678");
        assert_eq!(public[0]["address"], "丹阳街道");
        // A clerk of another street neither posts into this one nor reads its cases.
        let other = app.unit("street", "佃户屯街道", &w.tree.zone).await;
        let outsider = app.as_user("clerk_wu", Role::StreetStaff, Some(&code(&other)), None);
        let before = case_count(&app).await;
        let d = error(
            &post_form(
                &outsider,
                Fmt::Xml,
                &[
                    ("service_code", "0103"),
                    ("address_id", &w.tree.building),
                    ("description", "越界"),
                ],
                "198.51.100.21",
            )
            .await,
            Fmt::Xml,
            StatusCode::BAD_REQUEST,
        );
        assert!(d.starts_with("address_id"), "{d}");
        assert_eq!(case_count(&app).await, before);
        error(
            &get(&outsider, &format!("requests/{no}.xml")).await,
            Fmt::Xml,
            StatusCode::NOT_FOUND,
        );
        // An auditor's key may read but not report.
        let auditor = app.as_user("auditor_qin", Role::Auditor, None, None);
        error(
            &post_form(
                &auditor,
                Fmt::Json,
                &[
                    ("service_code", "0103"),
                    ("address_id", &w.tree.building),
                    ("description", "审计员"),
                ],
                "198.51.100.22",
            )
            .await,
            Fmt::Json,
            StatusCode::FORBIDDEN,
        );
        // A revoked key is refused.
        let tokens = clerk.get("/api/v1/tokens").await.expect(StatusCode::OK);
        let tid = id(&tokens.as_array().unwrap()[0]);
        clerk
            .delete(&format!("/api/v1/tokens/{tid}"))
            .await
            .expect(StatusCode::NO_CONTENT);
        error(
            &get(&anon, &format!("services.json?api_key={key}")).await,
            Fmt::Json,
            StatusCode::FORBIDDEN,
        );
    });
}

#[test]
fn filters_and_retries() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let client = app.anonymous();
        let mut numbers = Vec::new();
        for (i, code) in ["0101", "0103", "0101"].iter().enumerate() {
            let r = post_form(
                &client,
                Fmt::Json,
                &[
                    ("service_code", code),
                    ("address_id", &w.tree.building),
                    ("description", "测试筛选"),
                ],
                &format!("198.51.100.{}", 30 + i),
            )
            .await;
            numbers.push(txt(
                &doc(&r, Fmt::Json, StatusCode::OK, "")[0]["service_request_id"]
            ));
        }
        let ids = |v: &Value| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|r| txt(&r["service_request_id"]))
                .collect()
        };
        let all = doc(
            &get(&client, "requests.json").await,
            Fmt::Json,
            StatusCode::OK,
            "",
        );
        assert_eq!(
            ids(&all),
            [numbers[2].clone(), numbers[1].clone(), numbers[0].clone()],
            "newest first"
        );
        let rubbish = doc(
            &get(&client, "requests.json?service_code=0101").await,
            Fmt::Json,
            StatusCode::OK,
            "",
        );
        assert_eq!(ids(&rubbish), [numbers[2].clone(), numbers[0].clone()]);
        let both = doc(
            &get(&client, "requests.json?service_code=0101,0103&status=open").await,
            Fmt::Json,
            StatusCode::OK,
            "",
        );
        assert_eq!(ids(&both).len(), 3);
        let closed = doc(
            &get(&client, "requests.json?status=closed").await,
            Fmt::Json,
            StatusCode::OK,
            "",
        );
        assert!(ids(&closed).is_empty());
        // With ids, the other filters are ignored.
        let picked = doc(
            &get(
                &client,
                &format!(
                    "requests.json?service_request_id={},{}&status=closed",
                    numbers[0],
                    numbers[1].to_lowercase()
                ),
            )
            .await,
            Fmt::Json,
            StatusCode::OK,
            "",
        );
        assert_eq!(ids(&picked), [numbers[0].clone(), numbers[1].clone()]);
        // Dates: the day before holds nothing; an unencoded '+' is understood.
        let before = doc(
            &get(
                &client,
                "requests.json?start_date=2026-11-23&end_date=2026-11-23",
            )
            .await,
            Fmt::Json,
            StatusCode::OK,
            "",
        );
        assert!(ids(&before).is_empty());
        let that_day = doc(
            &get(
                &client,
                "requests.json?start_date=2026-11-24T09:59:00+08:00&end_date=2026-11-24T10:00:00Z",
            )
            .await,
            Fmt::Json,
            StatusCode::OK,
            "",
        );
        assert_eq!(ids(&that_day).len(), 3);
        let later = doc(&get(&client, "servicerequestupdates.json?start_date=2026-11-24T10:00:01%2B08:00&end_date=2026-11-24T12:00:00%2B08:00").await, Fmt::Json, StatusCode::OK, "");
        assert_eq!(later, json!([]));

        // Attributes the service does not define are ignored; its own are kept.
        let r = post_form(
            &client,
            Fmt::Json,
            &[
                ("service_code", "0803"),
                ("address_id", &w.tree.building),
                ("description", "工地夜间施工扬尘"),
                ("attribute[project_name]", "长江路安置房二期"),
                ("attribute[report_url]", "https://example.org/report/1"),
                ("attribute[title]", "扬尘"),
            ],
            "198.51.100.35",
        )
        .await;
        let no = txt(&doc(&r, Fmt::Json, StatusCode::OK, "")[0]["service_request_id"]);
        assert_eq!(
            staff_case(&app, &no).await["fields"],
            json!({"project_name": "长江路安置房二期"})
        );

        // A retry with the same Idempotency-Key gets the first answer.
        let send = || {
            let mut req = form_request(
                &client,
                &format!("{BASE}/requests.json"),
                &[
                    ("service_code", "0101"),
                    ("address_id", &w.tree.building),
                    ("description", "重试"),
                ],
                "application/x-www-form-urlencoded; charset=utf-8",
                "198.51.100.40",
            );
            req.headers_mut()
                .insert("idempotency-key", "o311-retry-1".parse().unwrap());
            client.send(req)
        };
        let first = doc(&send().await, Fmt::Json, StatusCode::OK, "");
        let count = case_count(&app).await;
        let again = doc(&send().await, Fmt::Json, StatusCode::OK, "");
        assert_eq!(first, again);
        assert_eq!(case_count(&app).await, count);
    });
}

#[test]
fn anonymous_posts_are_rate_limited_and_can_be_turned_off() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let client = app.anonymous();
        let form = [
            ("service_code", "0101"),
            ("address_id", w.tree.building.as_str()),
            ("description", "限流"),
        ];
        // The same limit as the public JSON form: ten in ten minutes per address.
        for _ in 0..10 {
            let r = post_form(&client, Fmt::Json, &form, "192.0.2.99").await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        }
        let r = post_form(&client, Fmt::Xml, &form, "192.0.2.99").await;
        error(&r, Fmt::Xml, StatusCode::TOO_MANY_REQUESTS);
        assert!(r.header("retry-after").is_some());
        // Staff with a key are not limited.
        let r = post_form(&app, Fmt::Json, &form, "192.0.2.99").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());

        // A deployment that requires a key, with a default unit for posts without address_id.
        let state = AppState {
            open311: Arc::new(wangge_server::open311::Config {
                anonymous_posts: false,
                default_unit: Some(w.tree.community.clone()),
                ..wangge_server::open311::Config::default()
            }),
            ..AppState::new(app.store.clone())
        }
        .with_clock(Arc::new(FixedClock(NOW)));
        let router = wangge_server::router(state);
        let send = |req: Request<Body>| {
            let router = router.clone();
            async move {
                let res = router.oneshot(req).await.unwrap();
                let status = res.status();
                let body = res.into_body().collect().await.unwrap().to_bytes();
                (status, String::from_utf8_lossy(&body).into_owned())
            }
        };
        let mut no_key = form.to_vec();
        no_key.retain(|(k, _)| *k != "address_id");
        no_key.push(("lat", "35.25"));
        no_key.push(("long", "115.45"));
        let before = case_count(&app).await;
        let (status, body) = send(form_request(
            &client,
            &format!("{BASE}/requests.json"),
            &no_key,
            "application/x-www-form-urlencoded",
            "192.0.2.1",
        ))
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(body.contains("api_key"), "{body}");
        assert_eq!(case_count(&app).await, before);
        let (status, body) = send(form_request(
            &app,
            &format!("{BASE}/requests.json"),
            &no_key,
            "application/x-www-form-urlencoded",
            "192.0.2.1",
        ))
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let no = serde_json::from_str::<Value>(&body).unwrap()[0]["service_request_id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(
            staff_case(&app, &no).await["unit"],
            w.tree.community.as_str()
        );
    });
}
