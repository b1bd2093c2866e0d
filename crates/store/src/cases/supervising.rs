//! The supervising office of a case (监管/督办单位): an organisation besides
//! those that work on the case which reads it and may supervise (督办) it, as
//! a 市场监管所 does for the rectification of the elevators in its street.
//! Inspection findings name their target's office; dispatchers may name or
//! clear one on any open case.

use super::transitions::system_event;
use super::view::{load, view};
use super::{lock_audit_chain, CaseView};
use crate::ctx::Ctx;
use crate::db::Conn;
use crate::error::{Error, Result};
use crate::{audit, params};
use serde_json::json;
use wangge_core::auth::Role;
use wangge_core::Error as CoreError;

/// Names (or with `None` clears) the supervising office of case `id`, for
/// dispatchers (zone administrators and street staff) or the system.
pub fn set_supervising_org(
    c: &mut dyn Conn,
    ctx: &Ctx,
    id: i64,
    org_id: Option<i64>,
) -> Result<CaseView> {
    if !matches!(
        ctx.role,
        None | Some(Role::ZoneAdmin) | Some(Role::StreetStaff)
    ) {
        return Err(Error::Forbidden);
    }
    lock_audit_chain(c)?;
    let raw = load(c, ctx, id)?;
    if !raw.state.is_open() {
        return Err(CoreError::conflict(
            "case_closed",
            "案件已办结，不能再指定监管单位",
            "the case is no longer open; its supervising office cannot change",
        )
        .into());
    }
    let name = match org_id {
        Some(o) => Some(
            c.query_opt("SELECT name FROM organisations WHERE id = $1", params![o])?
                .map(|r| r.get::<String>(0))
                .transpose()?
                .ok_or_else(|| {
                    Error::from(CoreError::invalid(
                        "org_id",
                        "unknown_organisation",
                        format!("组织{o}不存在"),
                        format!("no organisation {o}"),
                    ))
                })?,
        ),
        None => None,
    };
    if org_id == raw.supervising_org_id {
        return view(c, ctx, &raw);
    }
    attach(c, id, org_id)?;
    let note = match &name {
        Some(n) => format!("监管单位：{n}"),
        None => "取消监管单位".to_string(),
    };
    system_event(c, ctx, &raw, "set_supervising_org", Some(note), &[])?;
    audit::record(
        c,
        ctx,
        "case",
        id,
        "set_supervising_org",
        json!({"from": raw.supervising_org_id, "to": org_id}),
    )?;
    let raw = load(c, ctx, id)?;
    view(c, ctx, &raw)
}

/// Writes the office without checks: for the engines that open cases on
/// their own authority (inspection findings).
pub(crate) fn attach(c: &mut dyn Conn, id: i64, org_id: Option<i64>) -> Result<()> {
    c.execute(
        "UPDATE cases SET supervising_org_id = $1 WHERE id = $2",
        params![org_id, id],
    )?;
    Ok(())
}
