//! Exports of the lists that live on one record's or the administrator's
//! pages: one inspection plan's targets (`/api/v1/exports/plan-targets?plan=`),
//! the accounts (`/api/v1/exports/accounts`) and the case categories
//! (`/api/v1/exports/categories`). Same store calls as the web's links, same
//! audit entry.

use super::{download, file_options, Listing};
use crate::extract::Query;
use crate::{ApiResult, AppState, Caller};
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PlanTargetExportQuery {
    /// The inspection plan's id.
    plan: i64,
    /// xlsx (default) or csv.
    format: Option<String>,
    /// CSV encoding: utf-8 (with BOM, default) or gbk.
    encoding: Option<String>,
}

/// The targets of one inspection plan as its page lists them, in the
/// caller's scope: 分组, 检查对象, 所在单元, 单元代码, 责任单位, 状态 (未检查,
/// 已检查, 发现问题), 检查次数, 最近检查日期, with the plan and time of export on
/// a second sheet; audited. A plan the caller may not see is not found.
#[utoipa::path(get, path = "/api/v1/exports/plan-targets", tag = "transfer", params(PlanTargetExportQuery),
    responses((status = 200, description = "the file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn export_plan_targets(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Query(q): Query<PlanTargetExportQuery>,
) -> ApiResult<Response> {
    let opts = file_options(q.format.as_deref(), q.encoding.as_deref())?;
    Ok(download(&s, &ctx, Listing::PlanTargets(q.plan), opts).await?)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AdminExportQuery {
    /// xlsx (default) or csv.
    format: Option<String>,
    /// CSV encoding: utf-8 (with BOM, default) or gbk.
    encoding: Option<String>,
}

/// The accounts as the administrator's page lists them: 用户名, 显示名称, 角色,
/// 管辖单元, 所属组织, 状态, 创建时间 — never a password hash or a token. Needs
/// `users_manage` and `export`; audited.
#[utoipa::path(get, path = "/api/v1/exports/accounts", tag = "transfer", params(AdminExportQuery),
    responses((status = 200, description = "the file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = crate::error::Problem)))]
pub async fn export_accounts(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Query(q): Query<AdminExportQuery>,
) -> ApiResult<Response> {
    let opts = file_options(q.format.as_deref(), q.encoding.as_deref())?;
    Ok(download(&s, &ctx, Listing::Accounts, opts).await?)
}

/// Every case category, inactive ones too: 分类代码, 大类, 小类, 状态, 保密,
/// 受理/派遣/处置时限, 必填字段, 派单规则数. Needs `users_manage` and `export`;
/// audited.
#[utoipa::path(get, path = "/api/v1/exports/categories", tag = "transfer", params(AdminExportQuery),
    responses((status = 200, description = "the file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = crate::error::Problem)))]
pub async fn export_categories(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Query(q): Query<AdminExportQuery>,
) -> ApiResult<Response> {
    let opts = file_options(q.format.as_deref(), q.encoding.as_deref())?;
    Ok(download(&s, &ctx, Listing::Categories, opts).await?)
}
