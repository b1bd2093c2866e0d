//! Bulk import and export over HTTP: upload a registry file, follow the
//! import's progress, download the report of rejected rows; download an
//! export of a list with its filters (`exports`: registry lists and cases);
//! download a template.
//!
//! An upload is the raw file as the request body (`Content-Type` of the file,
//! or `application/octet-stream`), spooled to a temporary file as it arrives,
//! so a large file never sits in memory. (A staff upload page will post the
//! same way from the web UI.)

use crate::error::ApiError;
use crate::extract::{id, Query};
use crate::{ApiResult, AppState, Caller};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use http_body_util::BodyExt;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use wangge_core::auth::Permission;
use wangge_store::transfer::{
    self, ImportOptions, ImportRun, ImportSummary, Kind, Progress, TextEncoding,
};
use wangge_store::Error as StoreError;

/// The largest upload accepted: a million rows of CSV is about 150 MB.
pub const UPLOAD_LIMIT: usize = 512 * 1024 * 1024;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub mod exports;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/imports/{kind}", post(upload))
        .route("/imports/runs/{id}", get(show_run))
        .route("/imports/runs/{id}/report", get(report))
        .route(
            "/exports/cases",
            get(exports::export_cases).post(exports::export_cases_full),
        )
        .route("/exports/equipment", get(exports::export_equipment))
        .route("/exports/inspection-plans", get(exports::export_plans))
        .route("/exports/audit", get(exports::export_audit))
        .route(
            "/exports/plan-targets",
            get(exports::admin::export_plan_targets),
        )
        .route("/exports/accounts", get(exports::admin::export_accounts))
        .route(
            "/exports/categories",
            get(exports::admin::export_categories),
        )
        .route(
            "/exports/{kind}",
            get(exports::export).post(exports::export_full),
        )
        .route("/templates/{kind}", get(template))
}

/// Live progress of the imports running on this node, by run id.
pub(crate) fn live() -> &'static Mutex<HashMap<i64, Progress>> {
    static LIVE: OnceLock<Mutex<HashMap<i64, Progress>>> = OnceLock::new();
    LIVE.get_or_init(Default::default)
}

pub(crate) fn kind(s: &str) -> Result<Kind, ApiError> {
    Kind::parse(s).map_err(|_| ApiError::NotFound)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// Import the valid rows and reject the others (default: all or nothing).
    #[serde(default)]
    skip_invalid: bool,
    /// CSV encoding when detection guesses wrong: utf-8 or gbk.
    encoding: Option<String>,
    /// The file's name, for the import log.
    file_name: Option<String>,
    /// `false`: answer 202 with the run id as soon as the file is accepted,
    /// and follow the run at `/imports/runs/{id}`.
    wait: Option<bool>,
}

/// The answer to an upload that was not waited for.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Accepted {
    pub run_id: i64,
}

pub(crate) fn encoding(e: Option<&str>) -> Result<Option<TextEncoding>, ApiError> {
    e.map(|s| {
        TextEncoding::parse(s).ok_or_else(|| {
            ApiError::from(wangge_core::Error::invalid(
                "encoding",
                "encoding",
                format!("未知的编码“{s}”,可选 utf-8、gbk"),
                format!("unknown encoding '{s}'; use utf-8 or gbk"),
            ))
        })
    })
    .transpose()
}

/// Writes the request body to a temporary file, refusing more than the limit.
async fn spool(body: Body) -> Result<transfer::TempFile, ApiError> {
    let mut file = transfer::spool(None)?;
    let mut body = body;
    let mut size = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| ApiError::TooLarge {
            limit: UPLOAD_LIMIT,
        })?;
        if let Ok(data) = frame.into_data() {
            size += data.len();
            if size > UPLOAD_LIMIT {
                return Err(ApiError::TooLarge {
                    limit: UPLOAD_LIMIT,
                });
            }
            file.as_file_mut()
                .write_all(&data)
                .map_err(|e| StoreError::Db(format!("cannot spool the upload: {e}")))?;
        }
    }
    file.as_file_mut()
        .flush()
        .map_err(|e| StoreError::Db(format!("cannot spool the upload: {e}")))?;
    Ok(file)
}

/// Uploads a registry file (`.xlsx` or `.csv`) and imports it. Rows are
/// matched by ID number, credit code or unit code: the same file twice changes
/// nothing. Unless `skip_invalid`, one rejected row means nothing is written;
/// `committed` says which happened, `issues` lists the first problems and the
/// report at `/imports/runs/{run_id}/report` has all of them with the rows.
#[utoipa::path(post, path = "/api/v1/imports/{kind}", tag = "transfer",
    params(("kind" = String, Path, description = "people, households, organisations, positions, units or equipment"), UploadQuery),
    request_body(content = String, content_type = "application/octet-stream",
        description = "the .xlsx or .csv file (UTF-8 with or without BOM, or GBK)"),
    responses((status = 200, body = ImportSummary, description = "the file was read; see `committed`"),
        (status = 202, body = Accepted, description = "accepted (wait=false)"),
        (status = 403, body = crate::error::Problem), (status = 413, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem, description = "the file was refused whole (not a workbook, wrong headers, merged cells …)")))]
pub async fn upload(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(k): Path<String>,
    Query(q): Query<UploadQuery>,
    body: Body,
) -> ApiResult<Response> {
    let kind = kind(&k)?;
    // Refuse before reading a large body that could not be imported anyway.
    let needed = match kind {
        Kind::Equipment => Permission::EquipmentWrite,
        _ => Permission::RegistryWrite,
    };
    ctx.require(needed).map_err(ApiError::from)?;
    if kind == Kind::Units {
        ctx.require(Permission::TreeWrite).map_err(ApiError::from)?;
    }
    let opts = ImportOptions {
        skip_invalid: q.skip_invalid,
        encoding: encoding(q.encoding.as_deref())?,
        file_name: q.file_name.clone(),
        ..ImportOptions::default()
    };
    let file = spool(body).await?;
    let (started_tx, started_rx) = tokio::sync::oneshot::channel::<i64>();
    let started_tx = Arc::new(Mutex::new(Some(started_tx)));
    let progress: transfer::OnProgress = Arc::new(move |p: &Progress| {
        if let Ok(mut m) = live().lock() {
            m.insert(p.run_id, *p);
        }
        if let Some(tx) = started_tx.lock().ok().and_then(|mut t| t.take()) {
            let _ = tx.send(p.run_id);
        }
    });
    let store = s.store.clone();
    let task = tokio::spawn(async move {
        let path = file.path().to_path_buf();
        let out = transfer::import(&store, &ctx, kind, &path, opts, Some(progress)).await;
        drop(file);
        if let Ok(i) = &out {
            if let Ok(mut m) = live().lock() {
                m.remove(&i.summary.run_id);
            }
        }
        out
    });
    if q.wait == Some(false) {
        let mut task = task;
        tokio::select! {
            started = started_rx => {
                if let Ok(run_id) = started {
                    return Ok((StatusCode::ACCEPTED, axum::Json(Accepted { run_id })).into_response());
                }
                let out = task.await.map_err(|e| StoreError::Db(format!("import task failed: {e}")))??;
                return Ok(axum::Json(out.summary).into_response());
            }
            out = &mut task => {
                let out = out.map_err(|e| StoreError::Db(format!("import task failed: {e}")))??;
                return Ok(axum::Json(out.summary).into_response());
            }
        }
    }
    let out = task
        .await
        .map_err(|e| StoreError::Db(format!("import task failed: {e}")))??;
    Ok(axum::Json(out.summary).into_response())
}

/// An import run with its live progress while it runs on this node.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RunStatus {
    #[serde(flatten)]
    pub run: ImportRun,
    pub progress: Option<Progress>,
}

/// One of the caller's import runs: its status, counts and progress.
#[utoipa::path(get, path = "/api/v1/imports/runs/{id}", tag = "transfer",
    params(("id" = i64, Path, description = "import run id")),
    responses((status = 200, body = RunStatus), (status = 404, body = crate::error::Problem)))]
pub async fn show_run(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(rid): Path<String>,
) -> ApiResult<axum::Json<RunStatus>> {
    let rid = id(&rid)?;
    let run = s
        .store
        .db
        .read(move |c| transfer::run(c, &ctx, rid))
        .await?;
    let progress = live().lock().ok().and_then(|m| m.get(&rid).copied());
    Ok(axum::Json(RunStatus { run, progress }))
}

/// `attachment; filename="people.xlsx"; filename*=UTF-8''人员.xlsx`, escaped.
fn attachment(ascii: &str, name: &str) -> HeaderValue {
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

pub(crate) fn file_response(
    content_type: &str,
    ascii: &str,
    name: &str,
    bytes: Vec<u8>,
) -> Response {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    if let Ok(ct) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, ct);
    }
    h.insert(header::CONTENT_DISPOSITION, attachment(ascii, name));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The workbook of the rejected rows of one of the caller's runs, to fix and
/// upload again.
#[utoipa::path(get, path = "/api/v1/imports/runs/{id}/report", tag = "transfer",
    params(("id" = i64, Path, description = "import run id")),
    responses((status = 200, description = "the report workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 404, body = crate::error::Problem)))]
pub async fn report(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(rid): Path<String>,
) -> ApiResult<Response> {
    let rid = id(&rid)?;
    let bytes = s
        .store
        .db
        .read(move |c| transfer::report_of(c, &ctx, rid))
        .await?;
    Ok(file_response(
        XLSX,
        &format!("import-{rid}-errors.xlsx"),
        &format!("导入错误报告-{rid}.xlsx"),
        bytes,
    ))
}

/// The import template of a kind: header notes, an example row (skipped on
/// import), text-formatted code columns and a sheet explaining each column.
#[utoipa::path(get, path = "/api/v1/templates/{kind}", tag = "transfer",
    params(("kind" = String, Path, description = "people, households, organisations, positions, units or equipment")),
    responses((status = 200, description = "the template workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 404, body = crate::error::Problem)))]
pub async fn template(Caller(_ctx): Caller, Path(k): Path<String>) -> ApiResult<Response> {
    let kind = kind(&k)?;
    let bytes = tokio::task::spawn_blocking(move || transfer::template(kind))
        .await
        .map_err(|e| StoreError::Db(format!("template task failed: {e}")))??;
    Ok(file_response(
        XLSX,
        &format!("{}-template.xlsx", kind.as_str()),
        &format!("{}导入模板.xlsx", kind.label_zh()),
        bytes,
    ))
}
