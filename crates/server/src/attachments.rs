//! `/api/v1/attachments`: photos and documents for cases. Uploads are checked
//! from their bytes, stripped of EXIF location and device data, and stored by
//! content; a file is served only to whoever may see the case it belongs to
//! (or, before it belongs to one, to its uploader).

use crate::auth::{Caller, ClientAddr};
use crate::error::ApiError;
use crate::extract::id;
use crate::{ApiResult, AppState};
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use wangge_store::attachments::{self, AttachmentInfo};
use wangge_store::{cases, Ctx, Error as StoreError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/attachments", post(upload))
        .route("/attachments/{id}", get(info))
        .route("/attachments/{id}/content", get(content))
        .route("/attachments/{id}/thumbnail", get(thumbnail))
        .route("/public/attachments", post(public_upload))
        .route(
            "/public/cases/{token}/attachments/{id}/{variant}",
            get(public_file),
        )
}

/// Reads an upload body up to the store's limit.
async fn body(s: &AppState, req: Request) -> ApiResult<Bytes> {
    let limit = usize::try_from(s.files.max_bytes).unwrap_or(usize::MAX);
    axum::body::to_bytes(req.into_body(), limit.saturating_add(1))
        .await
        .map_err(|_| ApiError::TooLarge { limit })
}

fn declared(headers: &HeaderMap) -> (String, String) {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    // The name travels percent-encoded, since headers are ASCII.
    let name = headers
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .map(|n| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("n={n}"))
                .ok()
                .and_then(|v| v.into_iter().next().map(|(_, v)| v))
                .unwrap_or_default()
        })
        .unwrap_or_default();
    (name, ctype)
}

/// Stores the bytes (off the async threads: images are decoded and re-encoded)
/// and enters them in the database as the caller's unowned upload.
pub async fn store_upload(
    s: &AppState,
    ctx: Ctx,
    bytes: Bytes,
    name: String,
    ctype: String,
) -> ApiResult<AttachmentInfo> {
    let files = s.files.clone();
    let stored = tokio::task::spawn_blocking(move || files.put(&bytes, &name, &ctype))
        .await
        .map_err(|e| StoreError::Db(e.to_string()))??;
    Ok(s.store
        .db
        .write(move |c| attachments::record(c, &ctx, &stored))
        .await?)
}

#[utoipa::path(post, path = "/api/v1/attachments", tag = "attachments",
    request_body(content = Vec<u8>, description = "the file's bytes; its type is read from them", content_type = "application/octet-stream"),
    params(("X-File-Name" = Option<String>, Header, description = "the original file name, percent-encoded")),
    responses((status = 201, body = AttachmentInfo), (status = 413, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem, description = "empty, or not an allowed type (JPEG, PNG, WebP, PDF)")))]
pub async fn upload(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    req: Request,
) -> ApiResult<(StatusCode, axum::Json<AttachmentInfo>)> {
    let (name, ctype) = declared(req.headers());
    let bytes = body(&s, req).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(store_upload(&s, ctx, bytes, name, ctype).await?),
    ))
}

#[utoipa::path(post, path = "/api/v1/public/attachments", tag = "public",
    request_body(content = Vec<u8>, description = "a photo for a report", content_type = "application/octet-stream"),
    responses((status = 201, body = AttachmentInfo), (status = 413, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
pub async fn public_upload(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    req: Request,
) -> ApiResult<(StatusCode, axum::Json<AttachmentInfo>)> {
    if let Some(wait) = s.public_limit.check(&format!("upload:{addr}")) {
        return Err(StoreError::Throttled { retry_after: wait }.into());
    }
    let ctx = crate::public::resident(&s, addr);
    let (name, ctype) = declared(req.headers());
    let bytes = body(&s, req).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(store_upload(&s, ctx, bytes, name, ctype).await?),
    ))
}

/// The attachment, if the caller may see it. Who uploaded it is blanked when
/// the case's reporter is hidden from the caller (a tip, or a reporter who
/// withheld their name from the department): a resident's upload names their
/// account or `resident@<address>`.
async fn visible(s: &AppState, ctx: Ctx, aid: i64) -> ApiResult<AttachmentInfo> {
    Ok(s.store
        .db
        .read(move |c| {
            let mut info = attachments::get(c, aid)?;
            match &info.owner {
                Some(o) if o.kind == "case" => {
                    let reporter = cases::get(c, &ctx, o.id)?.reporter;
                    if reporter.hidden {
                        info.uploaded_by.clear();
                    }
                }
                Some(_) => return Err(StoreError::not_found("attachment")),
                None if info.uploaded_by != ctx.actor => {
                    return Err(StoreError::not_found("attachment"))
                }
                None => {}
            }
            Ok(info)
        })
        .await?)
}

#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "attachments",
    params(("id" = i64, Path, description = "attachment id")),
    responses((status = 200, body = AttachmentInfo), (status = 404, body = crate::error::Problem)))]
pub async fn info(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(aid): Path<String>,
) -> ApiResult<axum::Json<AttachmentInfo>> {
    Ok(axum::Json(visible(&s, ctx, id(&aid)?).await?))
}

fn file_response(content_type: &str, bytes: Vec<u8>) -> Response {
    // Documents are served as they were uploaded: download them, never render them here.
    let disposition = if content_type.starts_with("image/") {
        "inline"
    } else {
        "attachment"
    };
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CACHE_CONTROL, "private, max-age=3600".to_string()),
            (header::CONTENT_DISPOSITION, disposition.to_string()),
        ],
        bytes,
    )
        .into_response()
}

async fn serve_file(s: &AppState, info: AttachmentInfo, thumbnail: bool) -> ApiResult<Response> {
    let files = s.files.clone();
    let (bytes, ctype) = tokio::task::spawn_blocking(move || {
        if thumbnail {
            attachments::open_thumbnail(&files, &info).map(|b| (b, "image/jpeg".to_string()))
        } else {
            attachments::open_display(&files, &info).map(|b| (b, info.content_type.clone()))
        }
    })
    .await
    .map_err(|e| StoreError::Db(e.to_string()))??;
    Ok(file_response(&ctype, bytes))
}

#[utoipa::path(get, path = "/api/v1/attachments/{id}/content", tag = "attachments",
    params(("id" = i64, Path, description = "attachment id")),
    responses((status = 200, description = "the display copy (images without EXIF)"), (status = 404, body = crate::error::Problem)))]
pub async fn content(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(aid): Path<String>,
) -> ApiResult<Response> {
    let info = visible(&s, ctx, id(&aid)?).await?;
    serve_file(&s, info, false).await
}

#[utoipa::path(get, path = "/api/v1/attachments/{id}/thumbnail", tag = "attachments",
    params(("id" = i64, Path, description = "attachment id")),
    responses((status = 200, description = "a small JPEG"), (status = 404, body = crate::error::Problem)))]
pub async fn thumbnail(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(aid): Path<String>,
) -> ApiResult<Response> {
    let info = visible(&s, ctx, id(&aid)?).await?;
    serve_file(&s, info, true).await
}

/// A photo of the reporter's own case, found through the follow token.
pub async fn public_file(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path((token, aid, variant)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let aid = id(&aid)?;
    let thumbnail = match variant.as_str() {
        "thumbnail" => true,
        "content" => false,
        _ => return Err(ApiError::NotFound),
    };
    let ctx = crate::public::resident(&s, addr);
    let cfg = s.cases.clone();
    let info = s
        .store
        .db
        .read(move |c| {
            let case = cases::public_view(c, &ctx, &cfg, &token)?;
            // Only the photos the token's page shows: those of the report and
            // of the handling, never documents or other residents' photos.
            if !case.photos.contains(&aid) {
                return Err(StoreError::not_found("attachment"));
            }
            attachments::get(c, aid)
        })
        .await?;
    serve_file(&s, info, thumbnail).await
}
