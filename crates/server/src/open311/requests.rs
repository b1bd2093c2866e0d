//! Service requests: posting one here; reading them, the follow token and
//! FixMyStreet's `servicerequestupdates` in `read.rs`.

use super::error::{O311Error, O311Result};
use super::format::{obj, respond, Format, Node};
use super::services;
use super::status::both;
use super::{public_reader, who, Params, Who};
use crate::AppState;
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::response::Response;
use time::Duration;
use wangge_core::auth::Permission;
use wangge_store::cases::{self, Idempotency, NewCase, Source};
use wangge_store::{units, Ctx, Error as StoreError, Scope};

mod read;
mod update;
pub use read::{list, one, token, updates};
pub use update::post_update;

/// The largest form accepted.
pub const FORM_LIMIT: usize = 64 * 1024;
/// The most requests or updates one answer holds.
pub const MAX_RESULTS: usize = 1000;
/// The longest period one list may cover.
pub const MAX_SPAN: Duration = Duration::days(90);

fn is_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// The reporter's name from the spec's two fields: family name first and no
/// space when Chinese.
fn full_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    match (first, last) {
        (None, None) => None,
        (Some(one), None) | (None, Some(one)) => Some(one.to_string()),
        (Some(f), Some(l)) if is_cjk(f) || is_cjk(l) => Some(format!("{l}{f}")),
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
    }
}

fn coordinate(p: &Params, key: &str) -> O311Result<Option<f64>> {
    let Some(v) = p.one(key)? else {
        return Ok(None);
    };
    match v.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(Some(x)),
        _ => Err(O311Error::field(
            key,
            &format!("应为十进制度数,收到“{v}”"),
            &format!("a number of decimal degrees, got '{v}'"),
        )),
    }
}

fn media_note(url: &str) -> O311Result<String> {
    let ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url.len() <= 1000
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        return Err(O311Error::field(
            "media_url",
            "应为 http 或 https 网址(最长1000字符)",
            "an http or https URL of at most 1000 characters",
        ));
    }
    Ok(format!("Open311 media_url: {url}"))
}

/// The located place nearest a request's position, within 2 km and what the
/// caller may see (see the module documentation).
async fn nearest_place(
    s: &AppState,
    caller: &Who,
    lat: Option<f64>,
    lon: Option<f64>,
) -> O311Result<Option<wangge_store::units::Near>> {
    let Ok(Some(at)) = wangge_core::geo::coordinates(lat, lon) else {
        return Ok(None);
    };
    let ctx = match caller {
        Who::Key(ctx) if ctx.can(Permission::RegistryRead) => ctx.clone(),
        _ => public_reader(s),
    };
    Ok(crate::public::places_near(s, ctx, at, 1)
        .await?
        .into_iter()
        .next())
}

/// Where a request without `address_id` goes (see the module documentation).
async fn default_unit(s: &AppState, caller: &Who) -> O311Result<String> {
    let first = |ctx: Ctx| async move {
        s.store
            .db
            .read(move |c| {
                let f = units::ListFilter::default();
                Ok(units::list(c, &ctx, &f, None, Some(1))?
                    .items
                    .into_iter()
                    .next()
                    .map(|u| u.code))
            })
            .await
    };
    if let Who::Key(ctx) = caller {
        if matches!(ctx.scope, Scope::Subtree(_)) && ctx.can(Permission::RegistryRead) {
            if let Some(code) = first(ctx.clone()).await? {
                return Ok(code);
            }
        }
    }
    if let Some(code) = &s.open311.default_unit {
        return Ok(code.clone());
    }
    first(public_reader(s)).await?.ok_or_else(|| {
        O311Error::field(
            "address_id",
            "尚无任何单元,请给出单元代码",
            "there is no unit yet; give a unit code",
        )
    })
}

/// A form-encoded body and the request's headers; any other body is refused
/// unread.
async fn read_form(req: Request) -> O311Result<(axum::http::HeaderMap, Params)> {
    let headers = req.headers().clone();
    let form_encoded = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form_encoded {
        // Refused unread: no XML body is ever parsed, so no entity is resolved.
        return Err(O311Error::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "请求须为表单编码(application/x-www-form-urlencoded);不接受 XML 或其他格式的请求体,未创建任何记录",
            "a request is form-encoded (application/x-www-form-urlencoded); XML and other bodies are not accepted, and nothing was created",
        ));
    }
    let bytes = axum::body::to_bytes(req.into_body(), FORM_LIMIT)
        .await
        .map_err(|_| {
            O311Error::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("请求内容过大(上限{FORM_LIMIT}字节)"),
                &format!("the request body is too large (limit {FORM_LIMIT} bytes)"),
            )
        })?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        O311Error::bad(
            "请求内容不是 UTF-8 文本",
            "the request body is not UTF-8 text",
        )
    })?;
    let form = Params::parse(text)?;
    Ok((headers, form))
}

/// A posted form, its headers, and who sent it: the `api_key` is taken from
/// the form, else from the query string.
async fn posted(
    s: &AppState,
    q: &str,
    addr: &str,
    req: Request,
) -> O311Result<(axum::http::HeaderMap, Params, Who)> {
    let (headers, form) = read_form(req).await?;
    let query = Params::parse(q)?;
    let key = match form.one("api_key")? {
        Some(k) => Some(k),
        None => query.one("api_key")?,
    };
    let caller = who(s, key, &headers, addr).await?;
    Ok((headers, form, caller))
}

/// `POST requests.{fmt}`: form-encoded, as the spec says.
pub async fn post(
    s: &AppState,
    fmt: Format,
    q: &str,
    addr: &str,
    req: Request,
) -> O311Result<Response> {
    let (headers, form, caller) = posted(s, q, addr, req).await?;
    if matches!(caller, Who::Public) && !s.open311.anonymous_posts {
        return Err(O311Error::new(
            StatusCode::FORBIDDEN,
            "此处提交须带 api_key",
            "an api_key is required to post requests here",
        ));
    }

    let code = form
        .one("service_code")?
        .ok_or_else(|| O311Error::field("service_code", "必须填写", "is required"))?;
    let service = services::for_post(s, &caller, code).await?;

    let lat = coordinate(&form, "lat")?;
    let lon = coordinate(&form, "long")?;
    if lat.is_some() != lon.is_some() {
        return Err(O311Error::field(
            "lat/long",
            "经纬度须同时给出",
            "give both lat and long, or neither",
        ));
    }
    // FixMyStreet sends this placeholder for a report without a map pin.
    let address_string = form
        .one("address_string")?
        .filter(|a| *a != "#NOTPINPOINTED#");
    let address_id = form.one("address_id")?;
    if lat.is_none() && address_string.is_none() && address_id.is_none() {
        return Err(O311Error::bad(
            "须给出位置:lat 和 long,或 address_string,或 address_id",
            "a location is required: lat and long, or address_string, or address_id",
        ));
    }
    // The service's attributes; others are ignored (clients such as
    // FixMyStreet send their own, e.g. title or report_url).
    let mut fields = serde_json::Map::new();
    for (k, v) in form.pairs() {
        let Some(rest) = k.strip_prefix("attribute[") else {
            continue;
        };
        let name = rest.split(']').next().unwrap_or_default();
        if !service.required.iter().any(|f| f == name) {
            continue;
        }
        if rest != format!("{name}]") {
            return Err(O311Error::field(
                k,
                "属性只能有一个文字值",
                "an attribute takes one text value",
            ));
        }
        if fields
            .insert(name.to_string(), serde_json::Value::String(v.clone()))
            .is_some()
        {
            return Err(O311Error::field(k, "只能给出一次", "given more than once"));
        }
    }
    // FixMyStreet sends one media_url per photo.
    let note = form
        .pairs()
        .iter()
        .filter(|(k, v)| k == "media_url" && !v.trim().is_empty())
        .map(|(_, v)| media_note(v.trim()))
        .collect::<O311Result<Vec<_>>>()?;
    let mut note = note;
    // The spec makes description optional when the service's attributes
    // carry the report; the case then reads them as its text.
    let description = match form.one("description")? {
        Some(d) => d.to_string(),
        None => fields
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or_default().trim()))
            .collect::<Vec<_>>()
            .join("; "),
    };
    let unit = match address_id {
        Some(a) => a.to_string(),
        None => match nearest_place(s, &caller, lat, lon).await? {
            Some(near) => {
                note.insert(0, crate::public::placed_by_position_note(&near));
                near.unit.code
            }
            None => default_unit(s, &caller).await?,
        },
    };
    let note = (!note.is_empty()).then(|| note.join("\n"));
    let new = NewCase {
        category: service.code.clone(),
        unit,
        description,
        lat,
        lon,
        address_detail: address_string.map(str::to_string),
        source: Source::Open311,
        reported_at: None,
        fields,
        reporter_name: full_name(form.one("first_name")?, form.one("last_name")?),
        reporter_contact: form.one("phone")?.map(str::to_string),
        reporter_withheld: false,
        on_spot: None,
        attachments: Vec::new(),
        note,
    };
    // Accepted and not stored: see the module documentation.
    for ignored in ["email", "device_id", "account_id", "jurisdiction_id"] {
        form.one(ignored)?;
    }

    let idem_key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string());
    let (ctx, principal) = match caller {
        Who::Public => {
            if let Some(wait) = s.public_limit.check(addr) {
                return Err(StoreError::Throttled { retry_after: wait }.into());
            }
            (
                crate::public::resident(s, addr.to_string()),
                format!("open311:{addr}"),
            )
        }
        Who::Key(ctx) => {
            let p = format!("user:{}", ctx.actor);
            (ctx, p)
        }
    };
    let idem = idem_key.map(|key| Idempotency {
        key,
        principal,
        request_hash: cases::request_hash(&new),
    });
    let cfg = s.cases.clone();
    let created = s
        .store
        .db
        .write_validated(move |c| cases::create(c, &ctx, &cfg, new, idem.as_ref()))
        .await?;
    let no = created.case.tracking_no.clone();
    let body = Node::List(
        "request",
        vec![obj([
            ("service_request_id", Node::text(no.clone())),
            ("token", Node::text(created.token)),
            (
                "service_notice",
                Node::text(both(
                    &format!("已收到,编号{no}。请保存 token,凭它查询办理进度"),
                    &format!("received as {no}; keep the token to follow it"),
                )),
            ),
            ("account_id", Node::Null),
        ])],
    );
    Ok(respond(fmt, StatusCode::OK, "service_requests", &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            full_name(Some("小明"), Some("王")).as_deref(),
            Some("王小明")
        );
        assert_eq!(
            full_name(Some("Ada"), Some("Lovelace")).as_deref(),
            Some("Ada Lovelace")
        );
        assert_eq!(full_name(None, None), None);
    }
}
