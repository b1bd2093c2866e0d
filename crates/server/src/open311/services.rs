//! Discovery, the service list and service definitions: minor categories as
//! services, their required fields as attributes.

use super::error::{O311Error, O311Result};
use super::format::{obj, respond, split, Format, Node};
use super::status::both;
use super::{who, Params, Who};
use crate::auth::ClientAddr;
use crate::AppState;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use wangge_store::cases::{self, Category};

/// When this implementation's discovery document last changed.
pub const CHANGESET: &str = "2026-11-01T00:00:00+08:00";
pub const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";

/// A minor category as a service.
#[derive(Debug, Clone)]
pub struct Service {
    pub code: String,
    /// The public name of the minor category.
    pub name: String,
    /// The public name of its major.
    pub group: String,
    pub official_zh: String,
    pub official_en: String,
    /// The major's required fields, then the minor's own.
    pub required: Vec<String>,
    pub confidential: bool,
    pub internal: bool,
}

/// Every active minor category, in code order, with what it inherits.
pub fn all(categories: &[Category]) -> Vec<Service> {
    let major = |code: &Option<String>| {
        code.as_ref()
            .and_then(|c| categories.iter().find(|m| &m.code == c))
    };
    categories
        .iter()
        .filter(|c| c.active && c.parent.is_some())
        .map(|c| {
            let m = major(&c.parent);
            let mut required = m.map(|m| m.required_fields.clone()).unwrap_or_default();
            for f in &c.required_fields {
                if !required.contains(f) {
                    required.push(f.clone());
                }
            }
            Service {
                code: c.code.clone(),
                name: c.public_name.clone(),
                group: m.map(|m| m.public_name.clone()).unwrap_or_default(),
                official_zh: match m {
                    Some(m) => format!("{} › {}", m.name_zh, c.name_zh),
                    None => c.name_zh.clone(),
                },
                official_en: match m {
                    Some(m) => format!("{} › {}", m.name_en, c.name_en),
                    None => c.name_en.clone(),
                },
                required,
                confidential: c.confidential || m.is_some_and(|m| m.confidential),
                internal: c.internal || m.is_some_and(|m| m.internal),
            }
        })
        .collect()
}

/// The services this caller may see and use.
pub async fn visible(s: &AppState, caller: &Who) -> O311Result<Vec<Service>> {
    let cats = s.store.db.read(|c| cases::list_categories(c, true)).await?;
    let (tips, staff) = (caller.sees_tips(), caller.staff());
    Ok(all(&cats)
        .into_iter()
        .filter(|x| (tips || !x.confidential) && (staff || !x.internal))
        .collect())
}

/// The minor categories whose cases this caller may not be shown because
/// they are internal (none for staff), active or not.
pub async fn hidden(s: &AppState, caller: &Who) -> O311Result<Vec<String>> {
    if caller.staff() {
        return Ok(Vec::new());
    }
    let cats = s.store.db.read(|c| cases::list_categories(c, true)).await?;
    let internal = |code: &Option<String>| {
        cats.iter()
            .any(|m| Some(&m.code) == code.as_ref() && m.internal)
    };
    Ok(cats
        .iter()
        .filter(|c| c.parent.is_some() && (c.internal || internal(&c.parent)))
        .map(|c| c.code.clone())
        .collect())
}

/// The service a request is posted to: one the caller may use, or a 400 that
/// says why an internal category is not for them, or the spec's 404.
pub async fn for_post(s: &AppState, caller: &Who, code: &str) -> O311Result<Service> {
    let services = visible(s, caller).await?;
    if let Ok(x) = find(&services, code) {
        return Ok(x.clone());
    }
    if hidden(s, caller).await?.iter().any(|c| c == code) {
        return Err(O311Error::field(
            "service_code",
            &format!("“{code}”是内部交办事项,不接受群众提交;请选择其他服务"),
            &format!("'{code}' is an internal task category and takes no requests from the public; choose another service"),
        ));
    }
    find(&services, code).cloned()
}

/// The service with this code, or the spec's 404.
pub fn find<'a>(services: &'a [Service], code: &str) -> O311Result<&'a Service> {
    services.iter().find(|x| x.code == code).ok_or_else(|| {
        O311Error::not_found(
            &format!("未找到服务“{code}”(service_code)"),
            &format!("no service with service_code '{code}'"),
        )
    })
}

fn service_node(x: &Service) -> Node {
    let keywords = [
        x.official_zh.as_str(),
        x.official_en.as_str(),
        x.code.as_str(),
    ]
    .join(", ")
    .replace(" › ", ", ");
    obj([
        ("service_code", Node::text(x.code.clone())),
        ("service_name", Node::text(x.name.clone())),
        (
            "description",
            Node::text(both(&x.official_zh, &x.official_en)),
        ),
        ("metadata", Node::Bool(!x.required.is_empty())),
        ("type", Node::text("realtime")),
        ("keywords", Node::text(keywords)),
        ("group", Node::text(x.group.clone())),
    ])
}

/// `GET services.{fmt}`.
pub async fn list(
    s: &AppState,
    fmt: Format,
    q: &str,
    headers: &HeaderMap,
    addr: &str,
) -> O311Result<Response> {
    let p = Params::parse(q)?;
    let caller = who(s, p.one("api_key")?, headers, addr).await?;
    let services = visible(s, &caller).await?;
    let body = Node::List("service", services.iter().map(service_node).collect());
    Ok(respond(fmt, StatusCode::OK, "services", &body))
}

/// Words for the fields the standard categories ask for; others are named by
/// their code.
fn field_label(code: &str) -> String {
    match code {
        "project_name" => both("项目(工地)名称", "name of the project or construction site"),
        "meeting" => both("交办任务的会议", "the meeting that assigned the task"),
        other => {
            let words = other.replace('_', " ");
            both(&words, &words)
        }
    }
}

/// `GET services/{code}.{fmt}`.
pub async fn definition(
    State(s): State<AppState>,
    file: Result<Path<String>, PathRejection>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let Some((code, fmt)) = file
        .ok()
        .and_then(|Path(f)| split(&f).map(|(c, fmt)| (c.to_string(), fmt)))
    else {
        return super::no_format().respond(Format::Json);
    };
    let answer = async {
        let p = Params::parse(q.as_deref().unwrap_or_default())?;
        let caller = who(&s, p.one("api_key")?, &headers, &addr).await?;
        let services = visible(&s, &caller).await?;
        let x = find(&services, &code)?;
        let attributes = x
            .required
            .iter()
            .enumerate()
            .map(|(i, f)| {
                obj([
                    ("variable", Node::Bool(true)),
                    ("code", Node::text(f.clone())),
                    ("datatype", Node::text("string")),
                    ("required", Node::Bool(true)),
                    (
                        "datatype_description",
                        Node::text(both("文字,最多500字", "text, at most 500 characters")),
                    ),
                    ("order", Node::Int(i as i64 + 1)),
                    ("description", Node::text(field_label(f))),
                ])
            })
            .collect();
        let body = obj([
            ("service_code", Node::text(x.code.clone())),
            ("attributes", Node::List("attribute", attributes)),
        ]);
        Ok::<_, O311Error>(respond(fmt, StatusCode::OK, "service_definition", &body))
    };
    answer.await.unwrap_or_else(|e| e.respond(fmt))
}

/// The endpoint's URL: under the configured public URL, or the path alone
/// when none is set. Never from the request's `Host` or `X-Forwarded-*`,
/// which the client writes.
fn base_url(s: &AppState) -> String {
    match &s.auth.public_url {
        Some(u) => format!("{}/open311/v2", u.as_str()),
        None => "/open311/v2".to_string(),
    }
}

/// `GET discovery.{fmt}`.
pub fn discovery(s: &AppState, fmt: Format) -> Response {
    let body = obj([
        ("changeset", Node::text(CHANGESET)),
        ("contact", Node::text(s.open311.contact.clone())),
        (
            "key_service",
            Node::text(both(
                "api_key 即 Wangge 的 API 令牌:登录后在管理页面或用 POST /api/v1/tokens 创建;居民不带 api_key 也可提交",
                "an api_key is a Wangge API token: create one when signed in, on the admin pages or with POST /api/v1/tokens; residents may post without one",
            )),
        ),
        (
            "endpoints",
            Node::List(
                "endpoint",
                vec![obj([
                    ("specification", Node::text(SPECIFICATION)),
                    ("url", Node::text(base_url(s))),
                    ("changeset", Node::text(CHANGESET)),
                    ("type", Node::text("production")),
                    (
                        "formats",
                        Node::List(
                            "format",
                            vec![Node::text("text/xml"), Node::text("application/json")],
                        ),
                    ),
                ])],
            ),
        ),
    ]);
    respond(fmt, StatusCode::OK, "discovery", &body)
}
