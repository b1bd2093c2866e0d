//! The one place where errors become HTTP answers: RFC 7807 problem+json with a
//! stable machine code and the message in Chinese and English. A 5xx logs its
//! cause and shows only a generic message with the request id.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use wangge_core::Error as CoreError;
use wangge_store::Error as StoreError;

pub(crate) mod plain;

/// The server's one error type.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The body is not JSON at all (400).
    #[error("malformed JSON: {0}")]
    Malformed(String),
    /// The body exceeds the size limit (413).
    #[error("body too large")]
    TooLarge { limit: usize },
    /// The request's content type is not JSON (415).
    #[error("unsupported media type")]
    MediaType,
    /// A query parameter could not be read (400).
    #[error("bad query: {0}")]
    Query(String),
    /// No such route or resource (404).
    #[error("not found")]
    NotFound,
    /// A state-changing request with a session cookie lacked the session's CSRF token (403).
    #[error("CSRF token missing or wrong")]
    Csrf,
    /// Wrong user name or password; the same answer whichever it was (401).
    #[error("wrong user name or password")]
    BadLogin,
    /// The password was right, but the account uses two-factor login and the
    /// request carried no code (401).
    #[error("a two-factor code is required")]
    TotpRequired,
    /// The password was right, but the two-factor code or recovery code was
    /// wrong, expired or already used (401).
    #[error("wrong two-factor code")]
    TotpWrong,
    /// The account's role must use two-factor login and it has not been set
    /// up yet: only the enrolment is open to this session (403).
    #[error("two-factor enrolment required")]
    TotpEnrolmentRequired,
    /// Too many password checks are running or waiting; retry shortly (503).
    #[error("too many password checks at once")]
    Busy { retry_after: i64 },
    /// The route exists but not with this method (405).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// An unmasked export asked for by GET with a session cookie, which any
    /// site could make the browser send (403).
    #[error("an unmasked export needs POST with the CSRF token")]
    UnmaskNeedsPost,
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        ApiError::Store(StoreError::Domain(e))
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URN naming the problem kind.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    /// The English message.
    pub detail: String,
    /// Stable machine-readable code, e.g. `id_number_checksum`.
    pub code: String,
    /// The input field at fault, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The message in Chinese, for display.
    pub message_zh: String,
    /// The message in English.
    pub message_en: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

struct Parts {
    status: StatusCode,
    code: String,
    field: Option<String>,
    zh: String,
    en: String,
}

fn parts(e: &ApiError) -> Parts {
    let p = |status, code: &str, zh: &str, en: &str| Parts {
        status,
        code: code.to_string(),
        field: None,
        zh: zh.to_string(),
        en: en.to_string(),
    };
    match e {
        ApiError::Store(StoreError::Domain(CoreError::Invalid {
            field,
            code,
            zh,
            en,
        })) => Parts {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: code.to_string(),
            field: Some(field.clone()),
            zh: zh.clone(),
            en: en.clone(),
        },
        ApiError::Store(StoreError::Domain(CoreError::Conflict { code, zh, en })) => {
            p(StatusCode::CONFLICT, code, zh, en)
        }
        ApiError::Store(StoreError::NotFound { what }) => Parts {
            status: StatusCode::NOT_FOUND,
            code: "not_found".into(),
            field: None,
            zh: format!("未找到该{}", what_zh(what)),
            en: format!("no such {what}"),
        },
        ApiError::Store(StoreError::Unique(_) | StoreError::Constraint(_)) => p(
            StatusCode::CONFLICT,
            "conflict",
            "与现有数据冲突",
            "the change conflicts with existing data",
        ),
        ApiError::Store(StoreError::Forbidden) => p(
            StatusCode::FORBIDDEN,
            "forbidden",
            "您的角色无权进行此操作",
            "your role does not allow this",
        ),
        ApiError::Store(StoreError::Unauthenticated) => p(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "请先登录(或会话已过期)",
            "log in first (or the session has expired)",
        ),
        ApiError::Store(StoreError::TokenExpired) => p(
            StatusCode::UNAUTHORIZED,
            "token_expired",
            "API令牌已过期,请创建新的令牌",
            "the API token has expired; create a new one",
        ),
        ApiError::Busy { retry_after } => Parts {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "busy".into(),
            field: None,
            zh: format!("同时登录的人太多,请{retry_after}秒后再试"),
            en: format!(
                "too many sign-ins are being checked at once; try again in {retry_after} seconds"
            ),
        },
        ApiError::Store(StoreError::Throttled { retry_after }) => Parts {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "throttled".into(),
            field: None,
            zh: format!("尝试次数过多,请{retry_after}秒后再试"),
            en: format!("too many attempts; try again in {retry_after} seconds"),
        },
        ApiError::Store(StoreError::RequestLimit { per_day }) => Parts {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "registration_request_limit".into(),
            field: None,
            zh: format!("24小时内最多提交{per_day}条登记申请,请稍后再试"),
            en: format!("at most {per_day} registration requests may be submitted in 24 hours; try again later"),
        },
        ApiError::Store(StoreError::Unavailable | StoreError::Connect(_)) => p(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "服务暂时不可用,请稍后重试",
            "the service is temporarily unavailable; try again shortly",
        ),
        ApiError::Store(StoreError::Storage(_)) => Parts {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "storage_unavailable".into(),
            field: None,
            zh: format!(
                "数据库暂时无法写入(磁盘已满或存储故障),本次提交未保存,请{}秒后重试",
                STORAGE_RETRY_S
            ),
            en: format!(
                "the database cannot write at the moment (disk full or storage failure); \
                 nothing was saved, try again in {STORAGE_RETRY_S} seconds"
            ),
        },
        ApiError::Store(_) => p(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "服务器内部错误,请把请求编号告知管理员",
            "internal error; give the request id to the administrator",
        ),
        ApiError::Malformed(detail) => Parts {
            status: StatusCode::BAD_REQUEST,
            code: "malformed_json".into(),
            field: None,
            zh: format!("请求内容不是有效的JSON{}", plain::position_zh(detail)),
            en: format!("the request body is not valid JSON: {detail}"),
        },
        ApiError::TooLarge { limit } => Parts {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "too_large".into(),
            field: None,
            zh: format!("请求内容过大(上限{limit}字节)"),
            en: format!("the request body is too large (limit {limit} bytes)"),
        },
        ApiError::MediaType => p(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "请求内容类型应为 application/json",
            "the request body must be application/json",
        ),
        ApiError::Query(detail) => Parts {
            status: StatusCode::BAD_REQUEST,
            code: "bad_query".into(),
            field: None,
            zh: plain::query_zh(detail),
            en: format!("a query parameter is wrong: {detail}"),
        },
        ApiError::Csrf => p(
            StatusCode::FORBIDDEN,
            "csrf",
            "页面已过期或请求来源不明,请刷新页面后重试",
            "the CSRF token is missing or wrong; reload the page and try again",
        ),
        ApiError::BadLogin => p(
            StatusCode::UNAUTHORIZED,
            "bad_login",
            "用户名或密码错误",
            "wrong user name or password",
        ),
        ApiError::TotpRequired => p(
            StatusCode::UNAUTHORIZED,
            "totp_required",
            "该账号已启用两步验证:请同时提供验证器App中的6位验证码(totp)或一个恢复码(recovery_code)",
            "this account uses two-factor login: send the 6-digit code from the authenticator app as `totp`, or a recovery code as `recovery_code`",
        ),
        ApiError::TotpWrong => p(
            StatusCode::UNAUTHORIZED,
            "totp_wrong",
            "验证码或恢复码不正确、已过期或已使用过",
            "the two-factor code or recovery code is wrong, expired or already used",
        ),
        ApiError::TotpEnrolmentRequired => p(
            StatusCode::FORBIDDEN,
            "totp_enrolment_required",
            "您的角色必须启用两步验证:请先完成设置(页面“两步验证”,或 POST /api/v1/account/totp)",
            "your role must use two-factor login: set it up first (the two-factor page, or POST /api/v1/account/totp)",
        ),
        ApiError::NotFound => p(
            StatusCode::NOT_FOUND,
            "not_found",
            "未找到该资源",
            "no such resource",
        ),
        ApiError::MethodNotAllowed => p(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "该资源不支持此请求方法",
            "this resource does not support the request method",
        ),
        ApiError::UnmaskNeedsPost => p(
            StatusCode::FORBIDDEN,
            "unmask_needs_post",
            "导出完整个人信息须用 POST 请求并带 X-CSRF-Token(或使用 API 令牌),未导出任何内容",
            "an unmasked export needs POST with the X-CSRF-Token header (or an API token); nothing was exported",
        ),
    }
}

/// Every entity the store names in a not-found answer, in Chinese, so the
/// answer says what was not found. A declared registry names its own; any
/// other new entity needs its line here: the not-found walk in the tests
/// fails on the generic fallback.
pub(crate) fn what_zh(what: &str) -> &'static str {
    match what {
        "unit" => "单元",
        "person" => "人员",
        "household" => "户",
        "position" => "职务",
        "user" => "用户",
        "token" => "令牌",
        "case" => "案件",
        "category" => "问题类别",
        "route" => "派遣规则",
        "supervising office" => "监管部门",
        "attachment" => "附件",
        "thumbnail" => "缩略图",
        "equipment" => "特种设备",
        "maintenance record" => "维保记录",
        "import" => "导入批次",
        "report" => "导入结果报告",
        "inspection plan" => "排查计划",
        "inspection record" => "排查记录",
        "inspection target" => "排查对象",
        "inspection template" => "检查表",
        "registration request" => "登记申请",
        other => wangge_store::registry::noun_zh(other).unwrap_or("记录"),
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        parts(self).status
    }

    /// The problem document for this error.
    pub fn problem(&self, request_id: Option<String>) -> Problem {
        let p = parts(self);
        Problem {
            kind: format!("urn:wangge:problem:{}", p.code),
            title: p.status.canonical_reason().unwrap_or("Error"),
            status: p.status.as_u16(),
            detail: p.en.clone(),
            code: p.code,
            field: p.field,
            message_zh: p.zh,
            message_en: p.en,
            request_id,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let body =
            serde_json::to_vec(&self.problem(crate::request_id::current())).unwrap_or_default();
        let mut res = (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response();
        if let ApiError::Store(StoreError::Throttled { retry_after })
        | ApiError::Busy { retry_after } = self
        {
            res.headers_mut()
                .insert(header::RETRY_AFTER, retry_after.into());
        }
        if let ApiError::Store(StoreError::Storage(_)) = self {
            res.headers_mut()
                .insert(header::RETRY_AFTER, STORAGE_RETRY_S.into());
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Seconds a client is told to wait after a write failed for want of
/// storage: as long as the node then reports not ready.
const STORAGE_RETRY_S: u64 = wangge_store::ready::STORAGE_HOLD.as_secs();
