//! `POST servicerequestupdates.{fmt}`: FixMyStreet's Open311 update extension.
//! FixMyStreet sends what its users add to a report after sending it; here
//! that becomes the reporter's comment on the case (补充留言), its state
//! unchanged. Only an api_key's account may send one, and only on a case it
//! reported itself: the core's rule for comments is "the reporter".
//!
//! `status` and `updated_datetime` are FixMyStreet's view and are not taken
//! (staff decide the state; the case's log keeps its own times);
//! `first_name`, `last_name` and `email` are accepted and not stored, as for
//! new requests.

use super::read::find_case;
use super::{full_name, media_note, posted};
use crate::open311::error::{O311Error, O311Result};
use crate::open311::format::{obj, respond, Format, Node};
use crate::open311::services;
use crate::open311::Who;
use crate::AppState;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;
use wangge_core::cases::{Action, Command};
use wangge_store::cases;

/// The longest comment taken, as GeoReport's longest description.
const MAX_COMMENT: usize = 4000;

pub async fn post_update(
    s: &AppState,
    fmt: Format,
    q: &str,
    addr: &str,
    req: Request,
) -> O311Result<Response> {
    let (_, form, caller) = posted(s, q, addr, req).await?;
    let Who::Key(ctx) = &caller else {
        return Err(O311Error::new(
            StatusCode::FORBIDDEN,
            "提交服务请求的更新须带 api_key",
            "an api_key is required to post service request updates",
        ));
    };
    let id = form
        .one("service_request_id")?
        .ok_or_else(|| O311Error::field("service_request_id", "必须填写", "is required"))?;
    let description = form
        .one("description")?
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .ok_or_else(|| O311Error::field("description", "必须填写留言内容", "is required"))?;
    if description.chars().count() > MAX_COMMENT {
        return Err(O311Error::field(
            "description",
            &format!("最长{MAX_COMMENT}字"),
            &format!("at most {MAX_COMMENT} characters"),
        ));
    }
    let mut note: Vec<String> = Vec::new();
    if let Some(u) = form.one("update_id")? {
        note.push(format!("Open311 update_id: {u}"));
    }
    if let Some(name) = full_name(form.one("first_name")?, form.one("last_name")?) {
        note.push(format!("Open311 name: {name}"));
    }
    for (k, v) in form.pairs() {
        if k == "media_url" && !v.trim().is_empty() {
            note.push(media_note(v.trim())?);
        }
    }
    for ignored in ["status", "updated_datetime", "email", "jurisdiction_id"] {
        form.one(ignored)?;
    }
    let hidden = services::hidden(s, &caller).await?;
    let case = find_case(s, &caller, &hidden, id).await?.ok_or_else(|| {
        O311Error::not_found(
            &format!("未找到服务请求“{id}”(service_request_id)"),
            &format!("no service request '{id}'"),
        )
    })?;
    // The case's log shows one text per step, so FixMyStreet's extras go
    // below the words rather than into a note that would hide them.
    let mut text = description.to_string();
    if !note.is_empty() {
        text = format!("{text}\n\n{}", note.join("\n"));
    }
    let mut cmd = Command::new(Action::Comment);
    cmd.comment = Some(text);
    let (ctx, cfg, case_id) = (ctx.clone(), s.cases.clone(), case.id);
    let (view, seq) = s
        .store
        .db
        .write_validated(move |c| {
            let view = cases::transition(c, &ctx, &cfg, case_id, None, cmd)?;
            let seq = cases::events(c, &ctx, case_id)?
                .last()
                .map(|e| e.seq)
                .unwrap_or_default();
            Ok((view, seq))
        })
        .await?;
    let no = view.tracking_no;
    let body = Node::List(
        "request_update",
        vec![obj([("update_id", Node::text(format!("{no}-{seq}")))])],
    );
    Ok(respond(
        fmt,
        StatusCode::OK,
        "service_request_updates",
        &body,
    ))
}
