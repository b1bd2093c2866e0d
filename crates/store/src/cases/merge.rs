//! Merging duplicates: the duplicate is closed as `duplicate` of the surviving
//! case (a core step, so it is in its log like any close), is linked to it so
//! that its reporter's token shows the surviving case, and hands its
//! attachments to it. Nothing is deleted.

use super::scope::actor_for;
use super::transitions::{step, system_event, write_row};
use super::view::{load, load_any, view, CaseView, Raw};
use super::Config;
use crate::ctx::Ctx;
use crate::db::Conn;
use crate::error::{Error, Result};
use crate::{audit, params};
use serde_json::json;
use wangge_core::cases::{Action, CloseKind, Command};
use wangge_core::Error as CoreError;

/// Checks that `into` can take the duplicate `from`: another case, visible to
/// the caller, still open and not itself merged away; for a tip, a tip with
/// the same readers (refused with 409 `tip_merge_refused`).
pub(crate) fn check_target(
    c: &mut dyn Conn,
    ctx: &Ctx,
    from: &Raw,
    into: i64,
    field: &str,
) -> Result<Raw> {
    if into == from.id {
        return Err(CoreError::invalid(
            field,
            "same_case",
            "不能把案件与它自己合并",
            "a case cannot be merged into itself",
        )
        .into());
    }
    let target = load(c, ctx, into).map_err(|e| match e {
        Error::NotFound { .. } => super::unknown_case(field, into),
        other => other,
    })?;
    if from.confidential && !same_tip_readers(c, from, &target)? {
        return Err(CoreError::conflict(
            "tip_merge_refused",
            format!(
                "举报线索不能并入普通案件或阅读范围不同的线索:合并会把举报人和附件交给{}的读者",
                target.tracking_no
            ),
            format!(
                "a confidential tip cannot be merged into an ordinary case or a tip with other readers: it would hand its reporter and attachments to the readers of {}",
                target.tracking_no
            ),
        )
        .into());
    }
    if !target.state.is_open() || target.merged_into.is_some() {
        return Err(CoreError::conflict(
            "merge_target_closed",
            format!(
                "案件{}已办结或已被合并,不能再并入其他案件",
                target.tracking_no
            ),
            format!(
                "case {} is closed or merged itself; nothing can be merged into it",
                target.tracking_no
            ),
        )
        .into());
    }
    Ok(target)
}

/// Whether a tip may go into `target`: only a tip whose readers are the same,
/// since the survivor takes the duplicate's attachments (uploader included)
/// and its reporter's token shows the survivor.
fn same_tip_readers(c: &mut dyn Conn, from: &Raw, target: &Raw) -> Result<bool> {
    if !target.confidential {
        return Ok(false);
    }
    Ok(super::tip_readers::effective(c, from.category_id)?
        == super::tip_readers::effective(c, target.category_id)?)
}

/// After `from` was closed as a duplicate of `into`: the link, the attachments,
/// and an entry in the surviving case's log.
pub(crate) fn link(c: &mut dyn Conn, ctx: &Ctx, from: &mut Raw, into: i64) -> Result<()> {
    let mut target = load_any(c, into)?;
    from.merged_into = Some(into);
    from.merged_into_no = Some(target.tracking_no.clone());
    write_row(c, from, from.version)?;
    // Cases merged into this one earlier follow it to the survivor.
    c.execute(
        "UPDATE cases SET merged_into = $1 WHERE merged_into = $2",
        params![into, from.id],
    )?;
    let mut brought = Vec::new();
    for id in &from.attachment_ids {
        if !target.attachment_ids.contains(id) {
            target.attachment_ids.push(*id);
            brought.push(*id);
        }
    }
    system_event(
        c,
        ctx,
        &target,
        "merged_in",
        Some(format!("{} 作为重复案件并入", from.tracking_no)),
        &from.attachment_ids,
    )?;
    target.updated_at = ctx.now_ms();
    write_row(c, &target, target.version)?;
    audit::record(
        c,
        ctx,
        "case",
        into,
        "merged_in",
        json!({"from": from.id, "from_tracking_no": from.tracking_no, "attachments": brought.len()}),
    )
}

/// Merges the duplicate `from_id` into `into_id` and answers with the
/// surviving case. A duplicate not yet accepted is accepted first (the core
/// closes only accepted cases), so its log says what happened. Dispatchers
/// only, like any close.
pub fn merge(
    c: &mut dyn Conn,
    ctx: &Ctx,
    cfg: &Config,
    from_id: i64,
    into_id: i64,
    reason: &str,
) -> Result<CaseView> {
    super::lock_audit_chain(c)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(CoreError::invalid(
            "reason",
            "required",
            "合并须填写理由",
            "a merge needs a reason",
        )
        .into());
    }
    let mut from = load(c, ctx, from_id)?;
    check_target(c, ctx, &from, into_id, "into")?;
    let actor = actor_for(c, ctx)?;
    if from.state == wangge_core::cases::CaseState::Reported {
        let mut accept = Command::new(Action::Accept);
        accept.note = Some("作为重复案件合并前立案".to_string());
        step(c, ctx, cfg, &mut from, &actor, &accept)?;
    }
    let mut close =
        Command::new(Action::Close).close_kind(CloseKind::Duplicate { of: Some(into_id) });
    close.note = Some(reason.to_string());
    step(c, ctx, cfg, &mut from, &actor, &close)?;
    // The surviving case takes the photos; nothing is deleted.
    let (was, now) = (
        crate::attachments::Owner::case(from_id),
        crate::attachments::Owner::case(into_id),
    );
    crate::attachments::relink(c, ctx, &was, &now)?;
    let survivor = load_any(c, into_id)?;
    view(c, ctx, &survivor)
}
