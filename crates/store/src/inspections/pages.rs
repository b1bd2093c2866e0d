//! Small reads the inspection web pages need beyond the engine's API.

use crate::ctx::Ctx;
use crate::db::Conn;
use crate::error::Result;
use crate::params;
use wangge_core::auth::Permission;

/// The record the caller already stored under `record_key`, if any. The web
/// form uploads its photos before submitting, so a resent form carries new
/// attachment ids and would not match the first copy byte for byte; the page
/// asks this first and shows the stored record instead of storing another.
pub fn record_by_key(c: &mut dyn Conn, ctx: &Ctx, record_key: &str) -> Result<Option<i64>> {
    ctx.require(Permission::InspectionsRecord)?;
    c.query_opt(
        "SELECT id FROM inspection_records WHERE inspector = $1 AND record_key = $2",
        params![ctx.actor.as_str(), record_key.trim()],
    )?
    .map(|r| r.get(0))
    .transpose()
}
