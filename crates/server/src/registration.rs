//! `/api/v1/people/registration-requests`: what a create of a person
//! registered outside the caller's scope became, for the staff of the unit
//! that holds the person to accept or refuse.

use crate::extract::id;
use crate::{ApiResult, AppState, Caller};
use axum::extract::{Path, State};
use serde::Serialize;
use wangge_store::people::registration::{self, RegistrationRequest, Requests};

/// The answer (202) to a create that became a registration request: the same
/// words whoever holds the person, and nothing about them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RegistrationSubmitted)]
pub struct Submitted {
    /// Always `registration_requested`.
    pub code: &'static str,
    pub request_id: i64,
    pub message_zh: &'static str,
    pub message_en: &'static str,
}

impl Submitted {
    pub fn new(request_id: i64) -> Submitted {
        Submitted {
            code: "registration_requested",
            request_id,
            message_zh: ZH,
            message_en: EN,
        }
    }
}

pub const ZH: &str = "登记申请已提交,由相关单位核实后办理";
pub const EN: &str = "the registration was submitted for verification by the responsible unit";

#[utoipa::path(get, path = "/api/v1/people/registration-requests", tag = "people",
    responses((status = 200, body = Requests), (status = 403, body = crate::error::Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(ctx): Caller,
) -> ApiResult<axum::Json<Requests>> {
    Ok(axum::Json(
        s.store
            .db
            .read(move |c| registration::list(c, &ctx))
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/people/registration-requests/{id}/{decision}", tag = "people",
    params(("id" = i64, Path, description = "request id"),
        ("decision" = String, Path, description = "accept or refuse")),
    responses((status = 200, body = RegistrationRequest), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem, description = "already decided")))]
pub async fn decide(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path((rid, decision)): Path<(String, String)>,
) -> ApiResult<axum::Json<RegistrationRequest>> {
    let rid = id(&rid)?;
    let accept = match decision.as_str() {
        "accept" => true,
        "refuse" => false,
        _ => return Err(wangge_store::Error::not_found("registration request").into()),
    };
    Ok(axum::Json(
        s.store
            .db
            .write(move |c| registration::decide(c, &ctx, rid, accept))
            .await?,
    ))
}
