//! `/api/v1/audit`: the audit log, for auditors.

use crate::auth::Caller;
use crate::extract::Query;
use crate::{ApiResult, AppState};
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use wangge_store::audit::{self, Entry, Filter};

pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(list))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    actor: Option<String>,
    entity: Option<String>,
    entity_id: Option<i64>,
    action: Option<String>,
    /// Entries before this sequence number: pass the last `seq` seen for the next page.
    before: Option<i64>,
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Vec<Entry>), (status = 403, body = crate::error::Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Query(q): Query<AuditQuery>,
) -> ApiResult<axum::Json<Vec<Entry>>> {
    let f = Filter {
        actor: q.actor,
        entity: q.entity,
        entity_id: q.entity_id,
        action: q.action,
        before: q.before,
    };
    let limit = q.limit.unwrap_or(100);
    Ok(axum::Json(
        s.store
            .db
            .read(move |c| audit::list(c, &ctx, &f, limit))
            .await?,
    ))
}
