//! Open311 GeoReport v2 under `/open311/v2`: what a client that knows only
//! the spec needs to list services, post a request and follow it, in XML
//! (the spec's element names) or JSON, chosen by the path's suffix.
//!
//! | endpoint | what |
//! |---|---|
//! | `GET discovery.{xml,json}` | changeset, contact, key_service, the one production endpoint |
//! | `GET services.{fmt}` | one service per active minor category |
//! | `GET services/{code}.{fmt}` | the service definition: the category's required fields as attributes |
//! | `POST requests.{fmt}` | a new case (form-encoded, as the spec says) |
//! | `GET requests.{fmt}` | cases, filtered by `service_request_id` (comma list; the other filters are then ignored), `service_code`, `start_date`, `end_date`, `status` |
//! | `GET requests/{id}.{fmt}` | one case, as an array of one |
//! | `GET tokens/{token}.{fmt}` | `[{service_request_id, token}]` for a follow token |
//! | `GET servicerequestupdates.{fmt}` | FixMyStreet's extension: the public steps of the case log between `start_date` and `end_date` |
//!
//! Decisions:
//!
//! - **Services.** `service_code` is the minor category's code, `service_name`
//!   its public name (the plain words residents see), `group` the major
//!   category's public name; `description` gives the official names in both
//!   languages. `metadata` is true when the category (or its major) requires
//!   extra fields; `services/{code}` lists them as attributes (`datatype`
//!   `string`, `required` true, `variable` true). Confidential categories (tips:
//!   扫黑除恶线索, 养老金冒领举报) are absent, and their codes not found, except
//!   for an `api_key` whose role may read tips (`TipsRead`): a resident's tip
//!   goes through Wangge's confidential form, not Open311. Internal categories
//!   (staff's own tasks: 会议交办事项, 上级交办事项) are offered to staff keys
//!   only; posting to one without such a key is a 400 that says so, and their
//!   cases are never listed to the public.
//! - **Who is calling.** `api_key` is a Wangge API token (`POST /api/v1/tokens`,
//!   or the admin pages), taken from the form, the query string or
//!   `Authorization: Bearer`. With one, the request acts as the token's user:
//!   their role and scope apply, as in the JSON API. An unknown, revoked or
//!   disabled key is a 403. Without one, a POST is an anonymous resident's
//!   report, rate-limited per address like `POST /api/v1/public/cases` (the same
//!   `AppState::public_limit`), unless `Config::anonymous_posts` is off
//!   (`--open311-anonymous false`), which makes the key required (403).
//!   Session cookies are ignored here: a form post from another site must not
//!   act as a signed-in user.
//! - **Where.** Wangge files every case under a unit. `address_id` is taken as
//!   a unit code (an extension; the spec leaves its meaning to the server).
//!   Without it, a request with `lat`+`long` goes to the nearest located
//!   place (community, compound or building with a position) within 2 km, and
//!   its log says so for staff to check; otherwise to the default unit, for
//!   staff to move: the top
//!   of a unit-scoped caller's scope, else `Config::default_unit`
//!   (`--open311-default-unit`), else the first top-level unit (the zone).
//!   `address_string` becomes the case's address detail. One of `lat`+`long`,
//!   `address_string` or `address_id` is required, as the spec says.
//! - **The rest of the form.** `first_name`/`last_name` become the reporter's
//!   name (family name first when Chinese) and `phone` their contact, both
//!   stored encrypted and never shown by Open311. `email`, `device_id`,
//!   `account_id` and `jurisdiction_id` are accepted and not stored (Wangge
//!   reaches a reporter by phone; the follow token is their way back).
//!   `media_url` (http or https) is recorded in the report's log entry for
//!   staff. `attribute[CODE]` fills the category's field `CODE`; attributes
//!   the service does not define are ignored (FixMyStreet and others send
//!   their own, such as `title` or `report_url`), as are other parameters.
//!   The answer is 200 with `[{service_request_id, token, service_notice,
//!   account_id}]`: the tracking number (WG-YYYYMMDD-NNNNN) and the follow token
//!   (shown only now; `GET tokens/{token}` and Wangge's `/track/{token}` page
//!   take it). An `Idempotency-Key` header makes a retry answer the first
//!   result instead of creating a second case.
//! - **Bodies.** Requests are `application/x-www-form-urlencoded`. Anything
//!   else, XML in particular, is refused with 415 before it is read: no XML
//!   is ever parsed here, so no entity can be resolved. Text that looks like
//!   XML inside a form field is only text, escaped on the way out.
//! - **Reading.** Without an `api_key` a caller sees every non-confidential
//!   case, with the reporter's text but long digit runs (phone or ID numbers)
//!   masked, the unit's name as `address` (never the free-text detail), and the
//!   lead organisation as `agency_responsible`. With one, the caller sees the
//!   cases the JSON API shows them (tips only with `TipsRead`), with the text
//!   and address detail in full. Nobody gets the reporter's name or contact,
//!   a staff member's name, or an internal note: `status_notes` and update
//!   descriptions are the same public wording a reporter's follow page shows.
//!   `media_url` is empty (attachments are not public).
//! - **Lists.** `GET requests` covers at most 90 days of `requested_datetime`
//!   (default: the last 90 days) and answers at most 1,000 requests, newest
//!   first. `servicerequestupdates` defaults to the last 24 hours, covers at
//!   most 90 days, and answers at most 1,000 updates, oldest first;
//!   `update_id` is `{service_request_id}-{n}`, n the step's place in the log.
//! - **Times** are ISO 8601 in Beijing time with the offset,
//!   `2026-11-24T10:00:00+08:00`; `start_date`/`end_date` take the same (a
//!   `+` sent unencoded, which arrives as a space, is understood) or a date
//!   alone (a whole day in Beijing).
//! - **Errors** are the spec's array of `{code, description}`, `code` the HTTP
//!   status: 400 bad input (Wangge's 422), 403 a bad `api_key`, 404 an unknown
//!   service, request, token or path, 405, 413, 415, 429 (with Retry-After),
//!   500. Descriptions are "中文 / English", with the Open311 field name in
//!   front when one is at fault.
//!
//! Status mapping (`status` is the spec's; the extended status is
//! FixMyStreet's, in `extended_attributes.x_wangge_status` and as the
//! `status` of each update; the detailed state is `x_wangge_state`):
//!
//! | Wangge state | status | extended |
//! |---|---|---|
//! | reported 已上报 | open | OPEN |
//! | accepted 已立案 | open | INVESTIGATING |
//! | dispatched 已派遣 | open | ACTION_SCHEDULED |
//! | in_progress 处置中, handled 已处置待核查, verified 已核查 | open | IN_PROGRESS |
//! | closed 已结案 / rated 已评价, fixed | closed | FIXED |
//! | closed / rated, cannot_fix | closed | NO_FURTHER_ACTION |
//! | closed / rated, duplicate (merged) | closed | DUPLICATE |
//! | closed / rated, earlier close of a case reopened since | closed | CLOSED |
//! | rejected 不予立案 | closed | NOT_COUNCILS_RESPONSIBILITY |
//! | withdrawn 已撤回 | closed | CLOSED |
//!
//! Closing as "not this department's" is never final in Wangge (the case goes
//! on to the department responsible), so it keeps the state's status; its
//! update says so in words.

mod error;
mod format;
mod requests;
mod services;
mod status;

pub use error::{O311Error, O311Result};
pub use format::{iso8601, Format, Node};

use crate::auth::ClientAddr;
use crate::AppState;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use wangge_core::auth::Permission;
use wangge_store::accounts;
use wangge_store::{Ctx, Scope};

/// What a deployment tunes about Open311.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Take `POST requests` without an `api_key` as anonymous residents' reports.
    pub anonymous_posts: bool,
    /// The unit code for requests without `address_id`; `None`: the first
    /// top-level unit.
    pub default_unit: Option<String>,
    /// The discovery document's `contact`.
    pub contact: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            anonymous_posts: true,
            default_unit: None,
            contact: status::both(
                "请联系所在街道办事处或开发区指挥中心",
                "contact your street office or the zone's command centre",
            ),
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/{file}", get(get_top).post(post_top))
        .route("/services/{file}", get(services::definition))
        .route("/requests/{file}", get(requests::one))
        .route("/tokens/{file}", get(requests::token))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
}

/// Who is asking: the public, or the user of an `api_key`.
#[derive(Debug, Clone)]
pub enum Who {
    Public,
    Key(Ctx),
}

impl Who {
    /// May see tips (confidential categories and cases).
    pub fn sees_tips(&self) -> bool {
        match self {
            Who::Public => false,
            Who::Key(ctx) => ctx.role.is_some() && ctx.can(Permission::TipsRead),
        }
    }

    /// Staff with a key: sees internal categories and their cases.
    pub fn staff(&self) -> bool {
        matches!(self, Who::Key(ctx) if ctx.role.is_some_and(|r| r != wangge_core::auth::Role::Resident))
    }

    /// Sees case text and address detail in full.
    pub fn full(&self) -> bool {
        matches!(self, Who::Key(_))
    }
}

/// The query string's or the form's parameters, in order.
#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(s: &str) -> O311Result<Params> {
        serde_urlencoded::from_str::<Vec<(String, String)>>(s)
            .map(Params)
            .map_err(|e| {
                O311Error::bad(
                    &format!("参数无法解析:{e}"),
                    &format!("the parameters cannot be read: {e}"),
                )
            })
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// A parameter given at most once; blank counts as absent.
    pub fn one(&self, key: &str) -> O311Result<Option<&str>> {
        let mut found = self.0.iter().filter(|(k, _)| k == key);
        let first = found.next();
        if found.next().is_some() {
            return Err(O311Error::field(
                key,
                "只能给出一次",
                "given more than once",
            ));
        }
        Ok(first.map(|(_, v)| v.trim()).filter(|v| !v.is_empty()))
    }

    /// Every value of a comma-delimited parameter, which may also repeat.
    pub fn list(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| v.split(','))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect()
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// The caller: the user of the `api_key` (the parameter, else a bearer
/// token), or the public. A key that names no active token is a 403.
pub async fn who(
    s: &AppState,
    api_key: Option<&str>,
    headers: &HeaderMap,
    addr: &str,
) -> O311Result<Who> {
    let key = match api_key {
        Some(k) => k.to_string(),
        None => match bearer(headers) {
            Some(k) => k,
            None => return Ok(Who::Public),
        },
    };
    if key.is_empty() || key.len() > 200 {
        return Err(O311Error::bad_api_key());
    }
    let now = s.clock.now();
    let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
    let found = match s
        .store
        .db
        .read(move |c| accounts::token_user(c, &key, now_ms))
        .await
    {
        // An expired key is refused like any other bad key.
        Err(wangge_store::Error::TokenExpired) => None,
        other => other?,
    };
    let Some((user, token_id, stale)) = found else {
        return Err(O311Error::bad_api_key());
    };
    if stale {
        s.store
            .db
            .write(move |c| accounts::touch_token(c, token_id, now_ms))
            .await?;
    }
    let base = s.store.ctx("anonymous", Scope::All, now);
    Ok(Who::Key(user.ctx(&base, Some(addr.to_string()))))
}

/// The context Open311 reads the public's view with: the system's, narrowed
/// by the handlers to what is public.
pub fn public_reader(s: &AppState) -> Ctx {
    s.store.ctx("open311", Scope::All, s.clock.now())
}

fn no_format() -> O311Error {
    O311Error::not_found(
        "未找到:Open311 路径须以 .xml 或 .json 结尾",
        "not found: an Open311 path ends in .xml or .json",
    )
}

/// The format of a path's last segment, for answers to paths that matched
/// nothing; JSON when it names none.
fn format_of(uri: &Uri) -> Format {
    uri.path()
        .rsplit('/')
        .next()
        .and_then(format::split)
        .map_or(Format::Json, |(_, f)| f)
}

async fn not_found(uri: Uri) -> Response {
    O311Error::not_found("未找到该 Open311 资源", "no such Open311 resource")
        .respond(format_of(&uri))
}

async fn method_not_allowed(uri: Uri) -> Response {
    O311Error::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "该资源不支持此请求方法",
        "this resource does not support the request method",
    )
    .respond(format_of(&uri))
}

/// `GET /open311/v2/{name}.{fmt}`.
async fn get_top(
    State(s): State<AppState>,
    file: Result<Path<String>, PathRejection>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let Ok(Path(file)) = file else {
        return no_format().respond(Format::Json);
    };
    let Some((name, fmt)) = format::split(&file) else {
        return no_format().respond(Format::Json);
    };
    let q = q.unwrap_or_default();
    let answer = match name {
        "discovery" => Ok(services::discovery(&s, fmt)),
        "services" => services::list(&s, fmt, &q, &headers, &addr).await,
        "requests" => requests::list(&s, fmt, &q, &headers, &addr).await,
        "servicerequestupdates" => requests::updates(&s, fmt, &q, &headers, &addr).await,
        _ => Err(O311Error::not_found(
            "未找到该 Open311 资源",
            "no such Open311 resource",
        )),
    };
    answer.unwrap_or_else(|e| e.respond(fmt))
}

/// `POST /open311/v2/requests.{fmt}` and FixMyStreet's `servicerequestupdates.{fmt}`.
async fn post_top(
    State(s): State<AppState>,
    file: Result<Path<String>, PathRejection>,
    ClientAddr(addr): ClientAddr,
    RawQuery(q): RawQuery,
    req: Request,
) -> Response {
    let Ok(Path(file)) = file else {
        return no_format().respond(Format::Json);
    };
    let Some((name, fmt)) = format::split(&file) else {
        return no_format().respond(Format::Json);
    };
    match name {
        "requests" => requests::post(&s, fmt, q.as_deref().unwrap_or_default(), &addr, req)
            .await
            .unwrap_or_else(|e| e.respond(fmt)),
        "servicerequestupdates" => {
            requests::post_update(&s, fmt, q.as_deref().unwrap_or_default(), &addr, req)
                .await
                .unwrap_or_else(|e| e.respond(fmt))
        }
        "discovery" | "services" => O311Error::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "该资源只能用 GET 读取",
            "this resource is read with GET",
        )
        .respond(fmt),
        _ => O311Error::not_found("未找到该 Open311 资源", "no such Open311 resource").respond(fmt),
    }
}
