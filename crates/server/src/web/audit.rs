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
    /// The code as stored, which the action filter takes.
    action_code: String,
    detail: Vec<String>,
}

/// The catalogue's text for `key`, if it has one.
fn known(t: T, key: &str) -> Option<String> {
    super::i18n::catalog(t.lang).get(key).cloned()
}

/// An action in words: the audit's own names, then the case steps' names;
/// a code neither knows (a newer server's) is shown as it is.
fn action_label(t: T, entity: &str, action: &str) -> String {
    known(t, &format!("audit_action.{action}"))
        .or_else(|| {
            (entity == "case")
                .then(|| wangge_core::cases::Action::parse(action))
                .flatten()
                .and_then(|a| known(t, &format!("action.{}", a.as_str())))
        })
        .unwrap_or_else(|| action.to_string())
}

fn entity_label(t: T, entity: &str) -> String {
    known(t, &format!("audit_entity.{entity}")).unwrap_or_else(|| entity.to_string())
}

/// The entry's detail as `name: value` lines, nested objects by their path
/// (`filter.unit: …`), so an auditor reads it without knowing JSON.
fn detail_lines(t: T, detail: &serde_json::Value) -> Vec<String> {
    use serde_json::Value;
    fn value(t: T, v: &Value) -> String {
        match v {
            Value::Null => "—".to_string(),
            Value::Bool(b) => t
                .t(if *b { "audit_key.yes" } else { "audit_key.no" })
                .to_string(),
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Array(items) => items
                .iter()
                .map(|i| value(t, i))
                .collect::<Vec<_>>()
                .join(", "),
            Value::Object(m) => m
                .iter()
                .map(|(k, v)| format!("{}={}", key(t, k), value(t, v)))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
    fn key(t: T, k: &str) -> String {
        known(t, &format!("audit_key.{k}")).unwrap_or_else(|| k.to_string())
    }
    fn walk(t: T, prefix: &str, v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    let name = if prefix.is_empty() {
                        key(t, k)
                    } else {
                        format!("{prefix}.{}", key(t, k))
                    };
                    walk(t, &name, v, out);
                }
            }
            other if prefix.is_empty() => out.push(value(t, other)),
            other => out.push(format!("{prefix}: {}", value(t, other))),
        }
    }
    let mut out = Vec::new();
    walk(t, "", detail, &mut out);
    out
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
                action: action_label(t, &e.entity, &e.action),
                entity: entity_label(t, &e.entity),
                entity_id: e.entity_id,
                action_code: e.action,
                detail: detail_lines(t, &e.detail),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::Lang;

    /// Every action the store writes to the audit log (besides the case
    /// steps, named by the case catalogue) has words in both languages.
    #[test]
    fn every_audited_action_has_words() {
        let actions = [
            "create",
            "update",
            "delete",
            "rename",
            "move",
            "login",
            "login_failed",
            "logout",
            "password",
            "disable",
            "enable",
            "totp_begin",
            "totp_enable",
            "totp_reset",
            "totp_recovery_used",
            "revoke",
            "reveal",
            "reveal_original",
            "reveal_reporter",
            "lookup",
            "import",
            "import_refused",
            "import_rejected",
            "import_update",
            "export",
            "export_unmasked",
            "upload",
            "link",
            "relink",
            "seed",
            "seed_residents",
            "rebuild",
            "set",
            "remove",
            "add_member",
            "end",
            "inspection",
            "maintenance",
            "registration_requested",
            "registration_accepted",
            "registration_refused",
            "warn",
            "overdue",
            "escalate",
            "merged_in",
            "move_unit",
            "set_supervising_org",
            "report",
        ];
        for lang in [Lang::Zh, Lang::En] {
            let t = T { lang };
            for a in actions {
                assert_ne!(
                    action_label(t, "case", a),
                    a,
                    "{a} has no words in {lang:?}"
                );
            }
            assert_eq!(action_label(t, "person", "dispatch"), "dispatch");
        }
        let t = T { lang: Lang::Zh };
        assert_eq!(action_label(t, "case", "dispatch"), "派遣");
        assert_eq!(action_label(t, "case", "resolve_on_spot"), "自行处置");
    }

    /// Every case step has words in both languages (timelines, the audit log).
    #[test]
    fn every_case_step_has_words() {
        for lang in [Lang::Zh, Lang::En] {
            let t = T { lang };
            for a in wangge_core::cases::Action::ALL {
                assert_ne!(action_label(t, "case", a.as_str()), a.as_str(), "{a:?}");
            }
        }
    }

    #[test]
    fn details_read_as_lines() {
        let t = T { lang: Lang::Zh };
        let d = serde_json::json!({"fields": ["name", "phone"], "filter": {"unit": "371799001"}, "unmasked": true, "note": null});
        let lines = detail_lines(t, &d);
        assert_eq!(
            lines,
            [
                "字段: name, phone",
                "筛选条件.单元: 371799001",
                "说明: —",
                "含完整信息: 是"
            ]
        );
        assert!(detail_lines(t, &serde_json::json!({})).is_empty());
    }
}
