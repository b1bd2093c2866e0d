//! `/api/v1/inspection-templates`, `/api/v1/inspection-plans` and
//! `/api/v1/inspection-records`: the inspection engine (排查).

use crate::extract::{id, Json, Query};
use crate::{ApiResult, AppState, Caller};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use wangge_core::inspections::TemplateBody;
use wangge_store::inspections::{
    self, DueQuery, NewPlan, NewRecord, Plan, PlanStats, ProblemList, Record, SetOffice, Submitted,
    SupervisingOffice, Target, Template, TemplateSummary,
};
use wangge_store::Page;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/inspection-templates",
            get(list_templates).post(create_template),
        )
        .route("/inspection-templates/{code}", get(show_template))
        .route("/inspection-plans", get(list_plans).post(create_plan))
        .route("/inspection-plans/{id}", get(show_plan))
        .route("/inspection-plans/{id}/due", get(due_targets))
        .route("/inspection-records", axum::routing::post(submit_record))
        .route("/inspection-records/{id}", get(show_record))
        .route("/inspection-records/{id}/problem-list", get(problem_list))
        .route(
            "/supervising-offices",
            get(list_offices).put(set_office).delete(remove_office),
        )
}

#[utoipa::path(get, path = "/api/v1/inspection-templates", tag = "inspections",
    responses((status = 200, body = Vec<TemplateSummary>), (status = 403, body = crate::error::Problem)))]
pub async fn list_templates(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> ApiResult<axum::Json<Vec<TemplateSummary>>> {
    Ok(axum::Json(
        s.store
            .db
            .read(move |c| inspections::list_templates(c, &ctx))
            .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct VersionQuery {
    /// A past version; the latest when absent.
    version: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/inspection-templates/{code}", tag = "inspections",
    params(("code" = String, Path, description = "template code"), VersionQuery),
    responses((status = 200, body = Template), (status = 404, body = crate::error::Problem)))]
pub async fn show_template(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(code): Path<String>,
    Query(q): Query<VersionQuery>,
) -> ApiResult<axum::Json<Template>> {
    Ok(axum::Json(
        s.store
            .db
            .read(move |c| inspections::get_template(c, &ctx, &code, q.version))
            .await?,
    ))
}

/// Posting a checklist under a new code makes version 1; under an existing
/// code, the next version (an identical checklist answers the latest one).
#[utoipa::path(post, path = "/api/v1/inspection-templates", tag = "inspections",
    request_body = TemplateBody,
    responses((status = 201, body = Template), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub async fn create_template(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Json(body): Json<TemplateBody>,
) -> ApiResult<(StatusCode, axum::Json<Template>)> {
    let t = s
        .store
        .db
        .write(move |c| inspections::create_template(c, &ctx, body))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(t)))
}

#[utoipa::path(get, path = "/api/v1/inspection-plans", tag = "inspections",
    responses((status = 200, body = Vec<Plan>), (status = 403, body = crate::error::Problem)))]
pub async fn list_plans(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> ApiResult<axum::Json<Vec<Plan>>> {
    Ok(axum::Json(
        s.store
            .db
            .read(move |c| inspections::list_plans(c, &ctx))
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/inspection-plans", tag = "inspections", request_body = NewPlan,
    responses((status = 201, body = Plan), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub async fn create_plan(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Json(new): Json<NewPlan>,
) -> ApiResult<(StatusCode, axum::Json<Plan>)> {
    let p = s
        .store
        .db
        .write(move |c| inspections::create_plan(c, &ctx, new))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(p)))
}

/// A plan with its targets, progress and statistics.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlanDetail {
    pub plan: Plan,
    pub targets: Vec<Target>,
    pub stats: PlanStats,
}

#[utoipa::path(get, path = "/api/v1/inspection-plans/{id}", tag = "inspections",
    params(("id" = i64, Path, description = "plan id")),
    responses((status = 200, body = PlanDetail), (status = 404, body = crate::error::Problem)))]
pub async fn show_plan(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(pid): Path<String>,
) -> ApiResult<axum::Json<PlanDetail>> {
    let pid = id(&pid)?;
    Ok(axum::Json(
        s.store
            .db
            .read(move |c| {
                Ok(PlanDetail {
                    plan: inspections::get_plan(c, &ctx, pid)?,
                    targets: inspections::list_targets(c, &ctx, pid)?,
                    stats: inspections::plan_stats(c, &ctx, pid)?,
                })
            })
            .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DueParams {
    /// YYYY-MM-DD: the targets due on or before this day (default today).
    on: Option<String>,
    /// A user name among the plan's inspectors: only the targets inside
    /// that account's unit.
    inspector: Option<String>,
    cursor: Option<String>,
    /// 1–500, default 50.
    limit: Option<i64>,
}

/// The due list (待检清单): a recurring plan's targets whose `next_due` is on
/// or before `on`, or a one-off plan's targets not yet inspected when its due
/// date is; the earliest due first, within the caller's part of the tree.
#[utoipa::path(get, path = "/api/v1/inspection-plans/{id}/due", tag = "inspections",
    params(("id" = i64, Path, description = "plan id"), DueParams),
    responses((status = 200, body = Page<Target>), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub async fn due_targets(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(pid): Path<String>,
    Query(q): Query<DueParams>,
) -> ApiResult<axum::Json<Page<Target>>> {
    let pid = id(&pid)?;
    let q = DueQuery {
        on: q.on,
        inspector: q.inspector,
        cursor: q.cursor,
        limit: q.limit,
    };
    Ok(axum::Json(
        s.store
            .db
            .read(move |c| inspections::due_targets(c, &ctx, pid, &q))
            .await?,
    ))
}

/// Sending the same record (same `record_key`) again answers 200 with the
/// stored record and `replayed`; a new record answers 201.
#[utoipa::path(post, path = "/api/v1/inspection-records", tag = "inspections", request_body = NewRecord,
    responses((status = 201, body = Submitted), (status = 200, body = Submitted, description = "a resubmission: the stored record"),
        (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub async fn submit_record(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Json(new): Json<NewRecord>,
) -> ApiResult<(StatusCode, axum::Json<Submitted>)> {
    let cfg = s.cases.clone();
    let r = s
        .store
        .db
        .write(move |c| inspections::submit_record(c, &ctx, &cfg, new))
        .await?;
    let status = if r.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, axum::Json(r)))
}

#[utoipa::path(get, path = "/api/v1/inspection-records/{id}", tag = "inspections",
    params(("id" = i64, Path, description = "record id")),
    responses((status = 200, body = Record), (status = 404, body = crate::error::Problem)))]
pub async fn show_record(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(rid): Path<String>,
) -> ApiResult<axum::Json<Record>> {
    let rid = id(&rid)?;
    Ok(axum::Json(
        s.store
            .db
            .read(move |c| inspections::get_record(c, &ctx, rid))
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/inspection-records/{id}/problem-list", tag = "inspections",
    params(("id" = i64, Path, description = "record id")),
    responses((status = 200, body = ProblemList), (status = 404, body = crate::error::Problem)))]
pub async fn problem_list(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(rid): Path<String>,
) -> ApiResult<axum::Json<ProblemList>> {
    let rid = id(&rid)?;
    Ok(axum::Json(
        s.store
            .db
            .read(move |c| inspections::problem_list(c, &ctx, rid))
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/supervising-offices", tag = "inspections",
    responses((status = 200, body = Vec<SupervisingOffice>,
        description = "which office supervises rectification in which unit, for each issuing organisation"),
        (status = 403, body = crate::error::Problem)))]
pub async fn list_offices(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> ApiResult<axum::Json<Vec<SupervisingOffice>>> {
    Ok(axum::Json(
        s.store
            .db
            .read(move |c| inspections::list_offices(c, &ctx))
            .await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/supervising-offices", tag = "inspections", request_body = SetOffice,
    responses((status = 200, body = SupervisingOffice,
        description = "set; plans made from now on give the unit's targets this office"),
        (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn set_office(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Json(new): Json<SetOffice>,
) -> ApiResult<axum::Json<SupervisingOffice>> {
    Ok(axum::Json(
        s.store
            .db
            .write(move |c| inspections::set_office(c, &ctx, new))
            .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OfficeKey {
    pub issuing_org_id: i64,
    /// The unit's code.
    pub unit: String,
}

#[utoipa::path(delete, path = "/api/v1/supervising-offices", tag = "inspections", params(OfficeKey),
    responses((status = 204, description = "removed"), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)))]
pub async fn remove_office(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Query(k): Query<OfficeKey>,
) -> ApiResult<StatusCode> {
    s.store
        .db
        .write(move |c| inspections::remove_office(c, &ctx, k.issuing_org_id, &k.unit))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
