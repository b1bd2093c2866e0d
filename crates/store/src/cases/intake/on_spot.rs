//! 自行处置 at intake: a grid worker or cadre reports what they found on patrol
//! and already dealt with, and the case closes in the same transaction as its
//! report, so no one ever sees it half done (reported, waiting for an
//! acceptance that will never come).

use super::super::transitions::append;
use super::super::view::{load_any, view, CaseView};
use super::super::Config;
use crate::ctx::Ctx;
use crate::db::Conn;
use crate::error::Result;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use wangge_core::cases::{decide, may, Action, Actor, Case, Command, Event};

/// What was done on the spot. The fields are optional only so that a missing
/// one is answered with a `required` error naming it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnSpot {
    /// What was done (处置说明).
    #[serde(default)]
    pub note: Option<String>,
    /// Ids of uploaded photos of the place after the handling; at least one.
    /// They are linked to the new case like its other attachments.
    #[serde(default)]
    pub evidence: Vec<i64>,
}

/// Checks the close against the case as its report leaves it: who may (the
/// staff member reporting, in a checking role) and the note and photos.
/// Runs before intake writes anything.
pub(super) fn decide_close(
    reported: &Case,
    on_spot: &OnSpot,
    actor: &Actor,
    now: OffsetDateTime,
    cfg: &Config,
) -> Result<Event> {
    // Who may comes first, and alone: the steps open on the reported case
    // (withdraw, comment) mean nothing to someone still filling in a report.
    may(reported, Action::ResolveOnSpot, actor, now, &cfg.policy)?;
    let mut cmd = Command::new(Action::ResolveOnSpot).evidence(&on_spot.evidence);
    cmd.note = on_spot.note.clone();
    Ok(decide(reported, &cmd, actor, now, &cfg.policy)?)
}

/// Appends the close decided above to the case just written, as any step is
/// appended (row, log, counters, audit), and answers the case as it now is.
pub(super) fn close(
    c: &mut dyn Conn,
    ctx: &Ctx,
    cfg: &Config,
    case_id: i64,
    event: Event,
) -> Result<CaseView> {
    let mut raw = load_any(c, case_id)?;
    append(c, ctx, cfg, &mut raw, event)?;
    view(c, ctx, &raw)
}
