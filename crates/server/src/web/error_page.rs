//! A browser asking for a page never sees problem+json: an error answered to
//! a page request (its Accept names text/html) becomes the error page with the
//! message in the user's language and the same status. API clients and the
//! pages' file downloads keep their answers as they are.

use super::i18n::T;
use super::render;
use askama::Template;
use axum::extract::Request;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;

/// Problem documents are small; a larger error body is left as it is.
const MAX_PROBLEM: usize = 64 * 1024;

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub t: T,
    pub message: String,
}

/// Whether a request is a browser's page request.
pub fn wants_html(req: &Request) -> bool {
    !req.uri().path().starts_with("/api/")
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"))
}

/// The error page for `status` with `message`.
pub fn page(t: T, status: StatusCode, message: String) -> Response {
    render(status, &ErrorPage { t, message })
}

/// The message for a status when the answer carried none.
fn fallback(t: T, status: StatusCode) -> String {
    let key = match status {
        StatusCode::NOT_FOUND => "error.not_found",
        StatusCode::FORBIDDEN => "staff.error_forbidden",
        s if s.is_server_error() => "staff.error_server",
        _ => "staff.error_other",
    };
    t.t(key).to_string()
}

/// Turns a problem+json answer into the error page; any other answer is
/// returned unchanged.
pub async fn to_html(t: T, res: Response) -> Response {
    let status = res.status();
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/problem+json"));
    if !(status.is_client_error() || status.is_server_error()) || !is_problem {
        return res;
    }
    let (parts, body) = res.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_PROBLEM).await {
        Ok(b) => b,
        Err(_) => return page(t, status, fallback(t, status)),
    };
    let problem: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let said = |k: &str| {
        problem
            .get(k)
            .and_then(|v| v.as_str())
            .filter(|m| !m.is_empty())
            .map(str::to_string)
    };
    let message = said(t.pick("message_zh", "message_en")).unwrap_or_else(|| fallback(t, status));
    let mut html = page(t, status, message);
    keep_headers(&parts.headers, html.headers_mut());
    html
}

/// Headers of the original answer that still mean something on the page.
fn keep_headers(from: &HeaderMap, to: &mut HeaderMap) {
    for name in [
        header::RETRY_AFTER,
        header::SET_COOKIE,
        header::WWW_AUTHENTICATE,
    ] {
        for v in from.get_all(&name) {
            to.append(name.clone(), v.clone());
        }
    }
    if let Some(id) = from.get("x-request-id") {
        to.insert("x-request-id", id.clone());
    }
}
