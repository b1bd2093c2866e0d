//! Request extractors with Wangge's error answers: JSON bodies read strictly
//! (unknown fields refused, the faulty field named) and query strings.

use crate::error::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// The largest JSON body accepted.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// A JSON body: 415 if not JSON, 413 if too large, 400 if malformed, 422 naming
/// the field if a value has the wrong type, is missing or is unknown.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim();
                m.eq_ignore_ascii_case("application/json") || m.ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::MediaType);
        }
        let bytes = axum::body::to_bytes(req.into_body(), BODY_LIMIT)
            .await
            .map_err(|_| ApiError::TooLarge { limit: BODY_LIMIT })?;
        parse(&bytes).map(Json)
    }
}

/// Parses JSON, telling malformed input (400) from wrong values (422).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // The body must be exactly one JSON value: the streaming deserializer below
    // would ignore text after it, and a syntax error is a 400 even where a field
    // error comes earlier in the body.
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes)
        .map_err(|e| ApiError::Malformed(e.to_string()))?;
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize(de) {
        Ok(v) => Ok(v),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if inner.is_syntax() || inner.is_eof() || inner.is_io() {
                return Err(ApiError::Malformed(inner.to_string()));
            }
            let field = if path == "." {
                unknown_field(&inner.to_string()).unwrap_or_else(|| "body".into())
            } else {
                path
            };
            let plain = crate::error::plain::field_problem(&field, &inner.to_string());
            Err(wangge_core::Error::invalid(field, "invalid_value", plain.zh, plain.en).into())
        }
    }
}

/// serde reports an unknown or missing top-level field only in its message.
fn unknown_field(msg: &str) -> Option<String> {
    let start = msg.find('`')? + 1;
    let end = start + msg[start..].find('`')?;
    Some(msg[start..end].to_string())
}

/// A query string read into `T`; 400 naming the problem when it does not fit.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(q)
            .map(Query)
            .map_err(|e| ApiError::Query(e.to_string()))
    }
}

/// Parses a numeric id from a path segment; anything else is simply not found.
pub fn id(s: &str) -> Result<i64, ApiError> {
    s.parse().map_err(|_| ApiError::NotFound)
}
