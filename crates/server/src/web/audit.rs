//! The audit log for auditors: newest first, filtered by actor, record and
//! action, with the hash chain's verdict on top, and links to export every
//! entry the filters select (`/exports/audit.xlsx|.csv`).

use super::exports::{self, ExportLinks, List};
use super::i18n::T;
use super::session::PageSession;
use super::{not_found_page, render};
use crate::error::ApiError;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use wangge_core::auth::Permission;
use wangge_store::audit::{self, Filter};

pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(page))
}

#[derive(Deserialize)]
struct AuditQuery {
    actor: Option<String>,
    entity: Option<String>,
    action: Option<String>,
    before: Option<i64>,
}

struct Row {
    seq: i64,
    at: String,
    actor: String,
    address: String,
    entity: String,
    entity_id: i64,
    action: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    t: T,
    user: wangge_store::accounts::User,
    csrf: String,
    actor: String,
    entity: String,
    action: String,
    rows: Vec<Row>,
    older: Option<i64>,
    verdict: Option<String>,
    exports: Vec<ExportLinks>,
}

const PAGE: i64 = 100;

fn text(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

async fn page(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Query(q): Query<AuditQuery>,
) -> Response {
    if !session.ctx.can(Permission::AuditRead) {
        return not_found_page(t);
    }
    let f = Filter {
        actor: text(&q.actor),
        entity: text(&q.entity),
        entity_id: None,
        action: text(&q.action),
        before: q.before,
    };
    let ctx = session.ctx.clone();
    let loaded = s
        .store
        .db
        .read(move |c| {
            let entries = audit::list(c, &ctx, &f, PAGE)?;
            let verdict = audit::verify(c)?;
            Ok((entries, verdict))
        })
        .await;
    let (entries, verdict) = match loaded {
        Ok(v) => v,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let older = (entries.len() as i64 == PAGE)
        .then(|| entries.last().map(|e| e.seq))
        .flatten();
    let rows = entries
        .into_iter()
        .map(|e| {
            let at = e.at.to_offset(wangge_store::ctx::CST);
            Row {
                seq: e.seq,
                at: format!(
                    "{} {:02}:{:02}:{:02}",
                    at.date(),
                    at.hour(),
                    at.minute(),
                    at.second()
                ),
                actor: e.actor,
                address: e.client_addr.unwrap_or_default(),
                entity: e.entity,
                entity_id: e.entity_id,
                action: e.action,
                detail: e.detail.to_string(),
            }
        })
        .collect();
    let verdict = verdict
        .first_bad
        .map(|b| format!("#{} {}", b.seq, t.pick(&b.zh, &b.en)));
    let query = exports::query(&[
        ("actor", q.actor.as_deref().unwrap_or("")),
        ("entity", q.entity.as_deref().unwrap_or("")),
        ("action", q.action.as_deref().unwrap_or("")),
    ]);
    let exports = ExportLinks::of(t, &session.ctx, List::Audit, query);
    render(
        StatusCode::OK,
        &AuditPage {
            t,
            user: session.user,
            csrf: session.csrf,
            actor: q.actor.unwrap_or_default(),
            entity: q.entity.unwrap_or_default(),
            action: q.action.unwrap_or_default(),
            rows,
            older,
            verdict,
            exports,
        },
    )
}
