//! `/api/v1/cases`, categories, the inbox and case statistics.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{id, Json, Query};
use crate::{ApiResult, AppState};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use wangge_core::cases::{Action, CaseState, Command};
use wangge_store::cases::{
    self, CaseEvent, CaseStats, CaseView, Category, CategoryPatch, CategoryStats, ChildStats,
    Created, Idempotency, ListFilter, NewCase, Order, Source,
};
use wangge_store::Page;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/categories", get(categories))
        .route("/categories/{code}", axum::routing::patch(update_category))
        .route("/cases", get(list).post(create))
        .route("/cases/{id}", get(show))
        .route("/cases/{id}/events", get(events))
        .route("/cases/{id}/transitions", post(transition))
        .route("/cases/{id}/merge", post(merge))
        .route("/cases/{id}/move", post(move_unit))
        .route(
            "/cases/{id}/supervising-org",
            axum::routing::put(set_supervising_org),
        )
        .route("/inbox", get(inbox))
        .route("/stats/cases", get(stats))
        .route("/stats/cases/children", get(stats_children))
        .route("/stats/cases/categories", get(stats_categories))
}

/// The active categories the public may report in: anyone may read them (a
/// resident's report form lists them), and everyone reads the same list, so
/// internal ones (staff's own tasks, and the minors under an internal major)
/// are left out; staff find them on the administrator's category pages and
/// export.
#[utoipa::path(get, path = "/api/v1/categories", tag = "cases",
    responses((status = 200, body = Vec<Category>)))]
pub async fn categories(State(s): State<AppState>) -> ApiResult<axum::Json<Vec<Category>>> {
    let mut cats = s
        .store
        .db
        .read(|c| cases::list_categories(c, false))
        .await?;
    let internal: Vec<String> = cats
        .iter()
        .filter(|k| k.internal)
        .map(|k| k.code.clone())
        .collect();
    cats.retain(|k| !k.internal && !k.parent.as_ref().is_some_and(|p| internal.contains(p)));
    Ok(axum::Json(cats))
}

/// Changes a category (the zone administrator's work, `UsersManage`), as its
/// page does: names, flags, time limits, and who reads its tips
/// (`tip_readers`; `null` inherits again). Audited.
#[utoipa::path(patch, path = "/api/v1/categories/{code}", tag = "cases", request_body = CategoryPatch,
    params(("code" = String, Path, description = "the category's code")),
    responses((status = 200, body = Category), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn update_category(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(code): Path<String>,
    Json(patch): Json<CategoryPatch>,
) -> ApiResult<axum::Json<Category>> {
    Ok(axum::Json(
        s.store
            .db
            .write(move |c| cases::update_category(c, &ctx, &code, patch))
            .await?,
    ))
}

/// The `Idempotency-Key` header, bound to who sent it and what they sent.
pub fn idempotency(headers: &HeaderMap, principal: String, new: &NewCase) -> Option<Idempotency> {
    let key = headers
        .get("idempotency-key")?
        .to_str()
        .ok()?
        .trim()
        .to_string();
    Some(Idempotency {
        key,
        principal,
        request_hash: cases::request_hash(new),
    })
}

/// Takes a report (上报). Staff report as themselves: their account is the
/// reporter, and a grid worker on patrol uses source `grid`. With `on_spot`,
/// staff in a checking role who dealt with the problem there (自行处置) close
/// the case in the same transaction, as fixed, with the photos as evidence;
/// a missing note or photo is a 422 and nothing is written.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = NewCase,
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key gets the first answer")),
    responses((status = 201, body = Created), (status = 200, body = Created, description = "a retry: the first answer"),
        (status = 409, body = crate::error::Problem, description = "on_spot by someone who may not close the case"),
        (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Json(new): Json<NewCase>,
) -> ApiResult<(StatusCode, axum::Json<Created>)> {
    let idem = idempotency(&headers, format!("user:{}", ctx.actor), &new);
    let cfg = s.cases.clone();
    // An on-spot close always carries photos to link.
    let attachments = !new.attachments.is_empty() || new.on_spot.is_some();
    let created = intake_write(&s.store.db, attachments, move |c| {
        cases::create(c, &ctx, &cfg, new, idem.as_ref())
    })
    .await?;
    let status = if created.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, axum::Json(created)))
}

/// Runs an intake write. Intake checks a report before writing anything
/// (`Db::write_validated`), but linking its uploads can still refuse one after
/// the case is written, so a report with attachments takes the plain door.
pub(crate) async fn intake_write<T, F>(
    db: &wangge_store::Db,
    attachments: bool,
    f: F,
) -> wangge_store::Result<T>
where
    F: FnOnce(&mut dyn wangge_store::Conn) -> wangge_store::Result<T> + Send + 'static,
    T: Send + 'static,
{
    if attachments {
        db.write(f).await
    } else {
        db.write_validated(f).await
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// One state, or several separated by commas.
    state: Option<String>,
    category: Option<String>,
    /// Unit code: cases anywhere in its subtree.
    unit: Option<String>,
    overdue: Option<bool>,
    source: Option<Source>,
    /// Only for roles that may read tips.
    confidential: Option<bool>,
    /// Words of the description, or a tracking number.
    text: Option<String>,
    order: Option<Order>,
    cursor: Option<String>,
    limit: Option<i64>,
}

/// `state=a,b`: the states named, each trimmed; none means every state.
pub(crate) fn parse_states(s: Option<&str>) -> ApiResult<Vec<CaseState>> {
    let Some(s) = s.filter(|s| !s.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    s.split(',')
        .map(|one| CaseState::parse(one.trim()).map_err(ApiError::from))
        .collect()
}

#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(ListQuery),
    responses((status = 200, body = Page<CaseView>), (status = 403, body = crate::error::Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<Page<CaseView>>> {
    let f = ListFilter {
        states: parse_states(q.state.as_deref())?,
        category: q.category,
        unit: q.unit,
        overdue: q.overdue,
        source: q.source,
        confidential: q.confidential,
        text: q.text,
        order: q.order.unwrap_or_default(),
    };
    let (cursor, limit) = (q.cursor, q.limit);
    Ok(axum::Json(
        s.store
            .db
            .read(move |c| cases::list(c, &ctx, &f, cursor.as_deref(), limit))
            .await?,
    ))
}

/// A case with the steps this caller may take on it now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: CaseView,
    pub next_steps: Vec<Action>,
}

#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases",
    params(("id" = i64, Path, description = "case id")),
    responses((status = 200, body = CaseDetail), (status = 404, body = crate::error::Problem)))]
pub async fn show(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(cid): Path<String>,
) -> ApiResult<axum::Json<CaseDetail>> {
    let cid = id(&cid)?;
    let cfg = s.cases.clone();
    let detail = s
        .store
        .db
        .read(move |c| {
            let case = cases::get(c, &ctx, cid)?;
            let next_steps = cases::next_steps(c, &ctx, &cfg, cid)?;
            Ok(CaseDetail { case, next_steps })
        })
        .await?;
    Ok(axum::Json(detail))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/events", tag = "cases",
    params(("id" = i64, Path, description = "case id")),
    responses((status = 200, body = Vec<CaseEvent>), (status = 404, body = crate::error::Problem)))]
pub async fn events(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(cid): Path<String>,
) -> ApiResult<axum::Json<Vec<CaseEvent>>> {
    let cid = id(&cid)?;
    Ok(axum::Json(
        s.store
            .db
            .read(move |c| cases::events(c, &ctx, cid))
            .await?,
    ))
}

/// One step: the action, the version it was based on, and the action's fields.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct TransitionRequest {
    /// The version of the case the step was decided on; a stale one is refused with 409.
    pub version: i64,
    #[serde(flatten)]
    pub command: Command,
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/transitions", tag = "cases", request_body = TransitionRequest,
    params(("id" = i64, Path, description = "case id")),
    responses((status = 200, body = CaseView),
        (status = 409, body = crate::error::Problem, description = "not allowed now (the message lists the allowed steps), or a stale version"),
        (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem, description = "a field the step needs is missing or wrong")))]
pub async fn transition(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(cid): Path<String>,
    Json(t): Json<TransitionRequest>,
) -> ApiResult<axum::Json<CaseView>> {
    let cid = id(&cid)?;
    let cfg = s.cases.clone();
    Ok(axum::Json(
        s.store
            .db
            .write(move |c| cases::transition(c, &ctx, &cfg, cid, Some(t.version), t.command))
            .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The case that carries on.
    pub into: i64,
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/merge", tag = "cases", request_body = MergeRequest,
    params(("id" = i64, Path, description = "the duplicate case, which is closed")),
    responses((status = 200, body = CaseView), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub async fn merge(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(cid): Path<String>,
    Json(m): Json<MergeRequest>,
) -> ApiResult<axum::Json<CaseView>> {
    let cid = id(&cid)?;
    let cfg = s.cases.clone();
    Ok(axum::Json(
        s.store
            .db
            .write(move |c| cases::merge(c, &ctx, &cfg, cid, m.into, &m.reason))
            .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveRequest {
    /// Code of the unit the case belongs to.
    pub unit: String,
    /// Why; kept in the case's log and the audit log.
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/move", tag = "cases", request_body = MoveRequest,
    params(("id" = i64, Path, description = "case id")),
    responses((status = 200, body = CaseView), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn move_unit(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(cid): Path<String>,
    Json(m): Json<MoveRequest>,
) -> ApiResult<axum::Json<CaseView>> {
    let cid = id(&cid)?;
    let cfg = s.cases.clone();
    Ok(axum::Json(
        s.store
            .db
            .write(move |c| cases::move_unit(c, &ctx, &cfg, cid, &m.unit, &m.reason))
            .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupervisingRequest {
    /// The supervising office (监管/督办单位); `null` clears it.
    pub org_id: Option<i64>,
}

#[utoipa::path(put, path = "/api/v1/cases/{id}/supervising-org", tag = "cases",
    request_body = SupervisingRequest, params(("id" = i64, Path, description = "case id")),
    responses((status = 200, body = CaseView), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub async fn set_supervising_org(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(cid): Path<String>,
    Json(m): Json<SupervisingRequest>,
) -> ApiResult<axum::Json<CaseView>> {
    let cid = id(&cid)?;
    Ok(axum::Json(
        s.store
            .db
            .write(move |c| cases::set_supervising_org(c, &ctx, cid, m.org_id))
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/inbox", tag = "cases",
    responses((status = 200, body = Vec<CaseView>, description = "cases waiting for the caller, overdue first, then by deadline")))]
pub async fn inbox(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> ApiResult<axum::Json<Vec<CaseView>>> {
    Ok(axum::Json(
        s.store
            .db
            .read(move |c| cases::inbox(c, &ctx, Some(200)))
            .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// Unit code; by default the top of the caller's scope.
    unit: Option<String>,
    /// First day, YYYY-MM-DD (Asia/Shanghai) or an RFC 3339 time; default 30 days ago.
    from: Option<String>,
    /// Last day, inclusive; default today.
    to: Option<String>,
}

fn parse_time(field: &str, s: &str, end_of_day: bool) -> ApiResult<i64> {
    let t = s.trim();
    if let Ok(dt) = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339) {
        return Ok((dt.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    let d = wangge_store::positions::parse_date(field, t)?;
    let local = if end_of_day {
        d.with_hms(23, 59, 59).unwrap_or(d.midnight())
    } else {
        d.midnight()
    };
    Ok((local
        .assume_offset(wangge_store::ctx::CST)
        .unix_timestamp_nanos()
        / 1_000_000) as i64)
}

/// The unit and period a statistics question is about.
pub async fn stats_scope(
    s: &AppState,
    ctx: &wangge_store::Ctx,
    q: &StatsQuery,
) -> ApiResult<(String, i64, i64)> {
    let now = (ctx.now.unix_timestamp_nanos() / 1_000_000) as i64;
    let to = match &q.to {
        Some(t) => parse_time("to", t, true)?,
        None => now,
    };
    let from = match &q.from {
        Some(f) => parse_time("from", f, false)?,
        None => to - 30 * 86_400_000,
    };
    let unit = match &q.unit {
        Some(u) => u.clone(),
        None => {
            let c2 = ctx.clone();
            s.store
                .db
                .read(move |c| {
                    let f = wangge_store::units::ListFilter::default();
                    Ok(wangge_store::units::list(c, &c2, &f, None, Some(1))?
                        .items
                        .into_iter()
                        .next())
                })
                .await?
                .map(|u| u.code)
                .ok_or(ApiError::NotFound)?
        }
    };
    Ok((unit, from, to))
}

#[utoipa::path(get, path = "/api/v1/stats/cases", tag = "cases", params(StatsQuery),
    responses((status = 200, body = CaseStats), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn stats(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Query(q): Query<StatsQuery>,
) -> ApiResult<axum::Json<CaseStats>> {
    let (unit, from, to) = stats_scope(&s, &ctx, &q).await?;
    Ok(axum::Json(
        s.store
            .db
            .read(move |c| cases::stats(c, &ctx, &unit, from, to))
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/stats/cases/children", tag = "cases", params(StatsQuery),
    responses((status = 200, body = Vec<ChildStats>), (status = 404, body = crate::error::Problem)))]
pub async fn stats_children(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Query(q): Query<StatsQuery>,
) -> ApiResult<axum::Json<Vec<ChildStats>>> {
    let (unit, from, to) = stats_scope(&s, &ctx, &q).await?;
    Ok(axum::Json(
        s.store
            .db
            .read(move |c| cases::stats_by_child(c, &ctx, &unit, from, to))
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/stats/cases/categories", tag = "cases", params(StatsQuery),
    responses((status = 200, body = Vec<CategoryStats>), (status = 404, body = crate::error::Problem)))]
pub async fn stats_categories(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Query(q): Query<StatsQuery>,
) -> ApiResult<axum::Json<Vec<CategoryStats>>> {
    let (unit, from, to) = stats_scope(&s, &ctx, &q).await?;
    Ok(axum::Json(
        s.store
            .db
            .read(move |c| cases::stats_by_category(c, &ctx, &unit, from, to))
            .await?,
    ))
}
