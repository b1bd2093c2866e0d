//! Moving a case to another unit: a report near the boundary of two units is
//! routed by the unit the reporter chose, and staff who find it belongs next
//! door move it, with a reason that stays in the log.

use super::transitions::system_event;
use super::view::{load, view};
use super::{lock_audit_chain, CaseView, Config};
use crate::ctx::Ctx;
use crate::db::Conn;
use crate::error::{Error, Result};
use crate::{audit, params};
use serde_json::json;
use wangge_core::auth::Role;
use wangge_core::people::check_text;

/// Moves case `id` to the unit `unit_code` (in the caller's scope), for
/// dispatchers (zone administrators and street staff) or the system. The
/// case's statistics move with it; its state, deadlines and version stay.
pub fn move_unit(
    c: &mut dyn Conn,
    ctx: &Ctx,
    _cfg: &Config,
    id: i64,
    unit_code: &str,
    reason: &str,
) -> Result<CaseView> {
    if !matches!(
        ctx.role,
        None | Some(Role::ZoneAdmin) | Some(Role::StreetStaff)
    ) {
        return Err(Error::Forbidden);
    }
    let reason = check_text("reason", reason, 200)?;
    lock_audit_chain(c)?;
    let raw = load(c, ctx, id)?;
    let target = super::intake::unit_for_report(c, ctx, unit_code)?;
    if target.path == raw.unit_path {
        return view(c, ctx, &raw);
    }
    system_event(c, ctx, &raw, "move_unit", Some(reason.clone()), &[])?;
    c.execute(
        "UPDATE cases SET unit_id = $1, updated_at = $2 WHERE id = $3",
        params![target.id, ctx.now_ms(), id],
    )?;
    super::counters::move_case(c, id, raw.category_id, &raw.unit_path, &target.path)?;
    audit::record(
        c,
        ctx,
        "case",
        id,
        "move_unit",
        json!({"from": raw.unit_code, "to": unit_code.trim(), "reason": reason}),
    )?;
    let moved = load(c, ctx, id)?;
    view(c, ctx, &moved)
}
