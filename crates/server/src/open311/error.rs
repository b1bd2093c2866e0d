//! Open311 errors: the spec's array of `{code, description}` (XML
//! `<errors><error><code/><description/></error></errors>`), `code` being the
//! HTTP status. Wangge's own messages are given in both languages,
//! "中文 / English", with the Open311 name of the field at fault in front.

use super::format::{obj, respond, Format, Node};
use crate::error::ApiError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use wangge_store::Error as StoreError;

#[derive(Debug, Clone)]
pub struct O311Error {
    pub status: StatusCode,
    pub description: String,
    pub retry_after: Option<i64>,
}

pub type O311Result<T> = Result<T, O311Error>;

impl O311Error {
    pub fn new(status: StatusCode, zh: &str, en: &str) -> O311Error {
        O311Error {
            status,
            description: super::status::both(zh, en),
            retry_after: None,
        }
    }

    pub fn bad(zh: &str, en: &str) -> O311Error {
        O311Error::new(StatusCode::BAD_REQUEST, zh, en)
    }

    pub fn not_found(zh: &str, en: &str) -> O311Error {
        O311Error::new(StatusCode::NOT_FOUND, zh, en)
    }

    /// A field at fault: "lat: 中文 / lat: English".
    pub fn field(field: &str, zh: &str, en: &str) -> O311Error {
        O311Error::bad(&format!("{field}:{zh}"), &format!("{field}: {en}"))
    }

    pub fn bad_api_key() -> O311Error {
        O311Error::new(
            StatusCode::FORBIDDEN,
            "api_key 无效、已撤销或其账户已停用",
            "invalid api_key: unknown, revoked, or its account is disabled",
        )
    }

    /// The answer in the format asked for.
    pub fn respond(&self, fmt: Format) -> Response {
        let body = Node::List(
            "error",
            vec![obj([
                ("code", Node::Int(i64::from(self.status.as_u16()))),
                ("description", Node::text(self.description.clone())),
            ])],
        );
        let mut res = respond(fmt, self.status, "errors", &body);
        if let Some(s) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }
}

/// Wangge's field names as an Open311 client knows them.
pub fn open311_field(field: &str) -> String {
    if let Some(f) = field.strip_prefix("fields.") {
        return format!("attribute[{f}]");
    }
    match field {
        "lon" => "long",
        "unit" => "address_id",
        "category" => "service_code",
        "address_detail" => "address_string",
        "reporter_name" => "first_name/last_name",
        "reporter_contact" => "phone",
        "note" => "media_url",
        other => other,
    }
    .to_string()
}

impl From<ApiError> for O311Error {
    fn from(e: ApiError) -> O311Error {
        let retry_after = match &e {
            ApiError::Store(StoreError::Throttled { retry_after }) => Some(*retry_after),
            _ => None,
        };
        let p = e.problem(crate::request_id::current());
        let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            tracing::error!(error = %e, "Open311 request failed");
        }
        let (status, zh, en) = match (&e, status) {
            // The spec answers a bad api_key with 403.
            (_, StatusCode::UNAUTHORIZED) => return O311Error::bad_api_key(),
            // A valid key whose role may not take the step (an auditor reporting).
            (_, StatusCode::CONFLICT) if p.code == "role_not_allowed" => {
                (StatusCode::FORBIDDEN, p.message_zh, p.message_en)
            }
            // The spec has no 422: a value that does not fit is a 400.
            (_, StatusCode::UNPROCESSABLE_ENTITY) => {
                let f = p.field.as_deref().map(open311_field);
                match f {
                    Some(f) => (
                        StatusCode::BAD_REQUEST,
                        format!("{f}:{}", p.message_zh),
                        format!("{f}: {}", p.message_en),
                    ),
                    None => (StatusCode::BAD_REQUEST, p.message_zh, p.message_en),
                }
            }
            (_, s) if s.is_server_error() => {
                let id = p.request_id.unwrap_or_default();
                (
                    s,
                    format!("{}(请求编号 {id})", p.message_zh),
                    format!("{} (request id {id})", p.message_en),
                )
            }
            (_, s) => (s, p.message_zh, p.message_en),
        };
        O311Error {
            status,
            description: super::status::both(&zh, &en),
            retry_after,
        }
    }
}

impl From<StoreError> for O311Error {
    fn from(e: StoreError) -> O311Error {
        ApiError::from(e).into()
    }
}
