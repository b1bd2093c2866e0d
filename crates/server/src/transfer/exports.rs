//! Exports over HTTP: a registry list (`/api/v1/exports/{kind}`; a declared
//! registry's own route is `crate::registry`'s), the case
//! list (`/api/v1/exports/cases`), the special-equipment list
//! (`/api/v1/exports/equipment`), the construction sites
//! (`/api/v1/exports/construction-sites`), the inspection plans
//! (`/api/v1/exports/inspection-plans`) or the audit log
//! (`/api/v1/exports/audit`) with the list's filters, one plan's targets,
//! the accounts or the case categories (`exports/admin.rs`), as a file. The web
//! UI's export buttons go through [`download`] too, so every export path is
//! the same store call, with the same audit entry.

use super::{encoding, file_response};
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::extract::Query;
use crate::{ApiResult, AppState, Caller};
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use wangge_core::equipment::{AlertKind, EquipmentKind, EquipmentStatus};
use wangge_store::cases::{ListFilter, Order, Source};
use wangge_store::transfer::{self, ExportFilter, ExportFormat, ExportOptions, Kind};
use wangge_store::{Ctx, Error as StoreError};

pub mod admin;

/// What is exported: a registry list or the case list, each with its filters.
#[derive(Debug, Clone)]
pub(crate) enum Listing {
    Registry(Kind),
    Cases(ListFilter),
    Equipment(wangge_store::equipment::ListFilter),
    /// A declared registry, with its filter's query pairs (already read once).
    Record(wangge_store::registry::Meta, Vec<(String, String)>),
    Plans,
    Audit(wangge_store::audit::Filter),
    /// The targets of one inspection plan.
    PlanTargets(i64),
    Accounts,
    Categories,
}

impl Listing {
    fn list(&self) -> transfer::List {
        use transfer::List;
        match self {
            Listing::Registry(k) => List::Registry(*k),
            Listing::Cases(_) => List::Cases,
            Listing::Equipment(_) => List::Equipment,
            Listing::Record(m, _) => List::Record(*m),
            Listing::Plans => List::Plans,
            Listing::Audit(_) => List::Audit,
            Listing::PlanTargets(_) => List::PlanTargets,
            Listing::Accounts => List::Accounts,
            Listing::Categories => List::Categories,
        }
    }
}

/// `xlsx` (the default) or `csv`.
pub(crate) fn format(s: Option<&str>) -> Result<ExportFormat, ApiError> {
    match s.map(str::to_ascii_lowercase).as_deref() {
        None | Some("") | Some("xlsx") => Ok(ExportFormat::Xlsx),
        Some("csv") => Ok(ExportFormat::Csv),
        Some(other) => Err(ApiError::Query(format!(
            "format must be xlsx or csv, not '{other}'"
        ))),
    }
}

/// Writes the export to a temporary file and answers it as a download named
/// after the list and the time (`people-20261124-1000.xlsx`, `人员-….xlsx`).
pub(crate) async fn download(
    s: &AppState,
    ctx: &Ctx,
    listing: Listing,
    opts: ExportOptions,
) -> Result<Response, StoreError> {
    let out = transfer::spool(None)?;
    let path = out.path().to_path_buf();
    let format = opts.format;
    let (ascii, zh) = (listing.list().slug(), listing.list().label_zh());
    match listing {
        Listing::Registry(kind) => {
            transfer::export(&s.store, ctx, kind, opts, &path, None).await?;
        }
        Listing::Cases(f) => {
            transfer::export_cases(&s.store, ctx, f, opts, &path, None).await?;
        }
        Listing::Equipment(f) => {
            transfer::export_equipment(&s.store, ctx, f, opts, &path, None).await?;
        }
        Listing::Record(m, pairs) => {
            transfer::export_named(&s.store, ctx, m.slug, &Pairs(&pairs), opts, &path, None)
                .await??;
        }
        Listing::Plans => {
            transfer::export_plans(&s.store, ctx, opts, &path, None).await?;
        }
        Listing::Audit(f) => {
            transfer::export_audit(&s.store, ctx, f, opts, &path, None).await?;
        }
        Listing::PlanTargets(plan) => {
            transfer::export_plan_targets(&s.store, ctx, plan, opts, &path, None).await?;
        }
        Listing::Accounts => {
            transfer::export_accounts(&s.store, ctx, opts, &path, None).await?;
        }
        Listing::Categories => {
            transfer::export_categories(&s.store, ctx, opts, &path, None).await?;
        }
    }
    let bytes = tokio::task::spawn_blocking(move || std::fs::read(&path))
        .await
        .map_err(|e| StoreError::Db(format!("export task failed: {e}")))?
        .map_err(|e| StoreError::Db(format!("cannot read the export: {e}")))?;
    drop(out);
    let now = ctx.now.to_offset(wangge_store::ctx::CST);
    let stamp = format!(
        "{:04}{:02}{:02}-{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute()
    );
    let ext = format.extension();
    Ok(file_response(
        format.content_type(),
        &format!("{ascii}-{stamp}.{ext}"),
        &format!("{zh}-{stamp}.{ext}"),
        bytes,
    ))
}

/// A registry's filter from the query pairs its list page and API take.
struct Pairs<'a>(&'a [(String, String)]);

impl transfer::ReadFilter for Pairs<'_> {
    type Error = StoreError;
    fn read<R: wangge_store::registry::Registry>(&self) -> Result<R::Filter, StoreError> {
        // The pairs were checked against the filter when the request came in.
        crate::registry::filter::<R::Filter>(self.0)
            .map_err(|e| StoreError::Db(format!("export filter: {e:?}")))
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// Unit code: records anywhere in its subtree (default: the caller's scope).
    unit: Option<String>,
    /// Units of this kind only (organisations: see their own export).
    kind: Option<String>,
    /// Units: name contains, or code starts with, this text.
    q: Option<String>,
    /// xlsx (default) or csv.
    format: Option<String>,
    /// CSV encoding: utf-8 (with BOM, default) or gbk.
    encoding: Option<String>,
    /// Show personal values in full (needs the permission and a reason; audited).
    #[serde(default)]
    unmask: bool,
    reason: Option<String>,
}

/// A GET is what a link or an image on another site makes a browser send,
/// cookie included and no CSRF token: with a session it never unmasks (and,
/// refused before the store is asked, writes no audit entry). Bearer tokens
/// are never sent by a browser on its own, so they may.
fn refuse_forgeable(a: &Authenticated, unmask: bool) -> Result<(), ApiError> {
    if unmask && a.session.is_some() {
        return Err(ApiError::UnmaskNeedsPost);
    }
    Ok(())
}

/// A list exported with its filters: `.xlsx` with Chinese headers, frozen
/// header row, fitted widths and a sheet with the filter and time of export,
/// or `.csv`. Personal values are masked unless `unmask=true` with a `reason`
/// and the role may see them; every export is audited. With a session
/// cookie, `unmask=true` needs the POST form of this path (403 here).
#[utoipa::path(get, path = "/api/v1/exports/{kind}", tag = "transfer",
    params(("kind" = String, Path, description = "people, households, positions or units (cases: see /api/v1/exports/cases; organisations: /api/v1/exports/organisations)"), ExportQuery),
    responses((status = 200, description = "the file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub async fn export(
    State(s): State<AppState>,
    a: Authenticated,
    Path(k): Path<String>,
    Query(q): Query<ExportQuery>,
) -> ApiResult<Response> {
    refuse_forgeable(&a, q.unmask)?;
    registry(&s, &a.ctx, &k, q).await
}

/// The same export by POST (the parameters in the query string), which a
/// session must use to unmask: the session's `X-CSRF-Token` is required.
#[utoipa::path(post, path = "/api/v1/exports/{kind}", tag = "transfer",
    params(("kind" = String, Path, description = "people, households, positions or units (organisations: /api/v1/exports/organisations)"), ExportQuery),
    responses((status = 200, description = "the file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub async fn export_full(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(k): Path<String>,
    Query(q): Query<ExportQuery>,
) -> ApiResult<Response> {
    registry(&s, &ctx, &k, q).await
}

async fn registry(s: &AppState, ctx: &Ctx, k: &str, q: ExportQuery) -> ApiResult<Response> {
    let kind = super::kind(k)?;
    let mut opts = ExportOptions::new(format(q.format.as_deref())?);
    opts.unmask = q.unmask;
    opts.reason = q.reason;
    if let Some(e) = encoding(q.encoding.as_deref())? {
        opts.encoding = e;
    }
    let filter = ExportFilter {
        unit: q.unit,
        kind: q.kind,
        q: q.q,
    };
    let listing = match transfer::List::of_kind(kind) {
        // Another name of a kind declared on the registry engine (`orgs`,
        // `组织`): exported as its own route exports it, the filter read
        // and checked the same way.
        transfer::List::Record(m) => {
            let pairs: Vec<(String, String)> = [
                ("unit", filter.unit),
                ("kind", filter.kind),
                ("q", filter.q),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
            .collect();
            crate::registry::check_filter(m, &pairs)?;
            Listing::Record(m, pairs)
        }
        _ => {
            opts.filter = filter;
            Listing::Registry(kind)
        }
    };
    Ok(download(s, ctx, listing, opts).await?)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CaseExportQuery {
    /// One state, or several separated by commas.
    state: Option<String>,
    /// A minor category, or a major one for all its minors.
    category: Option<String>,
    /// Unit code: cases anywhere in its subtree.
    unit: Option<String>,
    overdue: Option<bool>,
    source: Option<Source>,
    /// Only for roles that may read tips.
    confidential: Option<bool>,
    /// Words of the description, or a tracking number.
    text: Option<String>,
    /// due (nearest deadline first, the default) or newest.
    order: Option<Order>,
    /// xlsx (default) or csv.
    format: Option<String>,
    /// CSV encoding: utf-8 (with BOM, default) or gbk.
    encoding: Option<String>,
    /// Show reporters' names and contacts in full (needs the permission and a
    /// reason; audited). Reporters hidden from the caller stay hidden.
    #[serde(default)]
    unmask: bool,
    reason: Option<String>,
}

/// The case list exported with the same filters as `GET /api/v1/cases`, in
/// the same order and scope: 编号, 分类, 状态, 所在单位, 受理时间, 期限, 是否超期,
/// 办理单位, 满意度 … with the filter and time of export on a second sheet.
/// Reporters are masked unless `unmask=true` with a `reason`; audited. With
/// a session cookie, `unmask=true` needs the POST form of this path (403 here).
#[utoipa::path(get, path = "/api/v1/exports/cases", tag = "transfer", params(CaseExportQuery),
    responses((status = 200, description = "the file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn export_cases(
    State(s): State<AppState>,
    a: Authenticated,
    Query(q): Query<CaseExportQuery>,
) -> ApiResult<Response> {
    refuse_forgeable(&a, q.unmask)?;
    cases_file(&s, &a.ctx, q).await
}

/// The case export by POST, which a session must use to unmask reporters:
/// the session's `X-CSRF-Token` is required.
#[utoipa::path(post, path = "/api/v1/exports/cases", tag = "transfer", params(CaseExportQuery),
    responses((status = 200, description = "the file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn export_cases_full(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Query(q): Query<CaseExportQuery>,
) -> ApiResult<Response> {
    cases_file(&s, &ctx, q).await
}

async fn cases_file(s: &AppState, ctx: &Ctx, q: CaseExportQuery) -> ApiResult<Response> {
    let filter = ListFilter {
        states: crate::cases::parse_states(q.state.as_deref())?,
        category: q.category.filter(|c| !c.trim().is_empty()),
        unit: q.unit.filter(|u| !u.trim().is_empty()),
        overdue: q.overdue,
        source: q.source,
        confidential: q.confidential,
        text: q.text.filter(|t| !t.trim().is_empty()),
        order: q.order.unwrap_or_default(),
    };
    let mut opts = ExportOptions::new(format(q.format.as_deref())?);
    opts.unmask = q.unmask;
    opts.reason = q.reason;
    if let Some(e) = encoding(q.encoding.as_deref())? {
        opts.encoding = e;
    }
    Ok(download(s, ctx, Listing::Cases(filter), opts).await?)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EquipmentExportQuery {
    /// Unit code: equipment anywhere in its subtree (default: the caller's scope).
    unit: Option<String>,
    kind: Option<EquipmentKind>,
    status: Option<EquipmentStatus>,
    /// Only equipment with this alert today.
    alert: Option<AlertKind>,
    /// Look-ahead in days for `inspection_due` (default 30).
    within_days: Option<i64>,
    /// xlsx (default) or csv.
    format: Option<String>,
    /// CSV encoding: utf-8 (with BOM, default) or gbk.
    encoding: Option<String>,
}

/// The special-equipment list exported with the same filters as
/// `GET /api/v1/equipment`, in the same order and scope: 使用登记证编号, 设备类别,
/// 所在单元, 使用单位, 维保单位, 下次检验日期, 状态, 提醒 … with the filter and time
/// of export on a second sheet; audited.
#[utoipa::path(get, path = "/api/v1/exports/equipment", tag = "transfer", params(EquipmentExportQuery),
    responses((status = 200, description = "the file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub async fn export_equipment(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Query(q): Query<EquipmentExportQuery>,
) -> ApiResult<Response> {
    let filter = wangge_store::equipment::ListFilter {
        unit: q.unit.filter(|u| !u.trim().is_empty()),
        kind: q.kind,
        status: q.status,
        alert: q.alert,
        within_days: q.within_days,
    };
    let mut opts = ExportOptions::new(format(q.format.as_deref())?);
    if let Some(e) = encoding(q.encoding.as_deref())? {
        opts.encoding = e;
    }
    Ok(download(&s, &ctx, Listing::Equipment(filter), opts).await?)
}

/// The file format and CSV encoding every export takes.
pub(crate) fn file_options(
    format_: Option<&str>,
    enc: Option<&str>,
) -> Result<ExportOptions, ApiError> {
    let mut opts = ExportOptions::new(format(format_)?);
    if let Some(e) = encoding(enc)? {
        opts.encoding = e;
    }
    Ok(opts)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PlanExportQuery {
    /// xlsx (default) or csv.
    format: Option<String>,
    /// CSV encoding: utf-8 (with BOM, default) or gbk.
    encoding: Option<String>,
}

/// The inspection plans the caller may see, as `GET /api/v1/inspection-plans`
/// lists them: 计划名称, 检查表, 所在单元, 下达单位, 截止日期, 检查对象, 已检查,
/// 发现问题, 未检查 (progress over the targets in the caller's scope), with the
/// time of export on a second sheet; audited.
#[utoipa::path(get, path = "/api/v1/exports/inspection-plans", tag = "transfer", params(PlanExportQuery),
    responses((status = 200, description = "the file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = crate::error::Problem)))]
pub async fn export_plans(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Query(q): Query<PlanExportQuery>,
) -> ApiResult<Response> {
    let opts = file_options(q.format.as_deref(), q.encoding.as_deref())?;
    Ok(download(&s, &ctx, Listing::Plans, opts).await?)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditExportQuery {
    actor: Option<String>,
    entity: Option<String>,
    entity_id: Option<i64>,
    action: Option<String>,
    /// Entries before this sequence number only.
    before: Option<i64>,
    /// xlsx (default) or csv.
    format: Option<String>,
    /// CSV encoding: utf-8 (with BOM, default) or gbk.
    encoding: Option<String>,
}

/// The audit log exported with the same filters as `GET /api/v1/audit`,
/// newest first, every page: 序号, 时间, 操作人, 来源地址, 对象, 编号, 操作, 内容,
/// 哈希, with the filter, the chain's verdict and the time of export on a
/// second sheet. For the audit-log readers (auditors, the zone administrator):
/// it needs `audit_read`, not `export`; audited like every export.
#[utoipa::path(get, path = "/api/v1/exports/audit", tag = "transfer", params(AuditExportQuery),
    responses((status = 200, description = "the file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = crate::error::Problem)))]
pub async fn export_audit(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Query(q): Query<AuditExportQuery>,
) -> ApiResult<Response> {
    let given = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let filter = wangge_store::audit::Filter {
        actor: given(q.actor),
        entity: given(q.entity),
        entity_id: q.entity_id,
        action: given(q.action),
        before: q.before,
    };
    let opts = file_options(q.format.as_deref(), q.encoding.as_deref())?;
    Ok(download(&s, &ctx, Listing::Audit(filter), opts).await?)
}
