//! Taking a step on a case, and the one place where entries are appended to a
//! case's log: `append` writes the event, the case row derived from it, the
//! organisations working on it, the statistics counters and the audit entry,
//! all in the caller's transaction.

use super::counters;
use super::deadlines::{self, handling_minutes, start_clock};
use super::scope::{actor_for, actor_role};
use super::view::{self, load, load_any, view, CaseView, Raw};
use super::{Config, Stage};
use crate::ctx::Ctx;
use crate::db::{placeholders, Conn, Value};
use crate::error::{Error, Result};
use crate::{audit, params};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;
use wangge_core::cases::{apply, decide, Action, Actor, CloseKind, Command, Event};
use wangge_core::Error as CoreError;

/// Writes the case row's derived columns from `raw`, if the row is still at
/// `expected_version` (another writer's step in between is a conflict).
pub(crate) fn write_row(c: &mut dyn Conn, raw: &Raw, expected_version: i64) -> Result<()> {
    let n = c.execute(
        "UPDATE cases SET state = $1, version = $2, lead_org_id = $3, co_handlers = $4, stage = $5,
            stage_started_at = $6, due_at = $7, warn_at = $8, escalate_at = $9, warned = $10, overdue = $11,
            escalated = $12, ever_overdue = $13, suspended = $14, suspension_requested = $15, supervised = $16,
            at_joint_meeting = $17, rework_count = $18, closed_at = $19, close_kind = $20, rating = $21,
            merged_into = $22, attachment_ids = $23, snapshot = $24, updated_at = $25
         WHERE id = $26 AND version = $27",
        params![
            raw.state.as_str(),
            raw.version,
            raw.lead_org_id,
            super::to_json(&raw.co_handlers)?,
            raw.stage.map(|s| s.as_str()),
            raw.stage_started_at,
            raw.due_at,
            raw.warn_at,
            raw.escalate_at,
            raw.warned,
            raw.overdue,
            raw.escalated,
            raw.ever_overdue,
            raw.suspended,
            raw.suspension_requested,
            raw.supervised,
            raw.at_joint_meeting,
            raw.rework_count,
            raw.closed_at,
            raw.close_kind.as_deref(),
            raw.rating,
            raw.merged_into,
            super::to_json(&raw.attachment_ids)?,
            super::to_json(&raw.snapshot)?,
            raw.updated_at,
            raw.id,
            expected_version
        ],
    )?;
    if n == 0 {
        return Err(CoreError::conflict(
            "stale_version",
            "案件刚被他人更新,请刷新后再操作",
            "the case was changed by someone else just now; reload it and try again",
        )
        .into());
    }
    Ok(())
}

/// One row of the log as written.
pub(crate) struct EventRow<'a> {
    pub case_id: i64,
    /// The case's first entry (its report), numbered 1 without a look-up.
    pub first: bool,
    pub version: i64,
    pub at: i64,
    pub actor_role: Option<String>,
    pub from_state: Option<&'a str>,
    pub to_state: &'a str,
    pub action: &'a str,
    pub org_id: Option<i64>,
    pub note: Option<String>,
    pub event: Option<String>,
    pub attachments: &'a [i64],
    pub handling_minutes: Option<i64>,
}

/// The columns of a log entry, in the order of `INSERT_EVENT`'s values.
pub(crate) const EVENT_COLUMNS: &str = "case_id, seq, version, at, actor, actor_role, from_state,
    to_state, action, org_id, note, event, attachment_ids, handling_minutes";

/// An entry's values after its case id and number, in the order of [`EVENT_COLUMNS`].
pub(crate) fn event_values(ctx: &Ctx, e: &EventRow<'_>) -> Result<Vec<Value>> {
    Ok(vec![
        e.version.into(),
        e.at.into(),
        ctx.actor.as_str().into(),
        e.actor_role.clone().into(),
        e.from_state.into(),
        e.to_state.into(),
        e.action.into(),
        e.org_id.into(),
        e.note.clone().into(),
        e.event.clone().into(),
        super::to_json(&e.attachments)?.into(),
        e.handling_minutes.into(),
    ])
}

pub(crate) fn insert_event(c: &mut dyn Conn, ctx: &Ctx, e: &EventRow<'_>) -> Result<i64> {
    static SQL: OnceLock<String> = OnceLock::new();
    let seq: i64 = if e.first {
        1
    } else {
        c.query_one(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM case_events WHERE case_id = $1",
            params![e.case_id],
        )?
        .get(0)?
    };
    let mut args: Vec<Value> = vec![e.case_id.into(), seq.into()];
    args.extend(event_values(ctx, e)?);
    let sql = SQL.get_or_init(|| {
        format!(
            "INSERT INTO case_events ({EVENT_COLUMNS}) VALUES ({})",
            placeholders(1, 14)
        )
    });
    c.execute(sql, &args).map_err(|err| match err {
        // Two writers appending to one case at once: the loser retries.
        Error::Unique(_) => CoreError::conflict(
            "stale_version",
            "案件刚被他人更新,请刷新后再操作",
            "the case was changed by someone else just now; reload it and try again",
        )
        .into(),
        other => other,
    })?;
    Ok(seq)
}

/// Appends one of the store's own entries (outside the state machine; the
/// version stays) and counts it. Call before changing the flags it reports,
/// so the counters see the case as it was.
pub(crate) fn system_event(
    c: &mut dyn Conn,
    ctx: &Ctx,
    raw: &Raw,
    action: &str,
    note: Option<String>,
    attachments: &[i64],
) -> Result<()> {
    let now = ctx.now_ms();
    insert_event(
        c,
        ctx,
        &EventRow {
            case_id: raw.id,
            first: false,
            version: raw.version,
            at: now,
            actor_role: ctx.role.map(|r| r.as_str().to_string()),
            from_state: Some(raw.state.as_str()),
            to_state: raw.state.as_str(),
            action,
            org_id: None,
            note,
            event: None,
            attachments,
            handling_minutes: None,
        },
    )?;
    let delta = counters::for_event(action, None, raw.ever_overdue, None, None);
    counters::bump(c, &raw.unit_path, raw.category_id, now, &delta)
}

/// Marks the current stage overdue (with its log entry and audit). The caller
/// writes the row.
pub(crate) fn mark_overdue(c: &mut dyn Conn, ctx: &Ctx, raw: &mut Raw) -> Result<()> {
    system_event(c, ctx, raw, "overdue", None, &[])?;
    raw.overdue = true;
    raw.ever_overdue = true;
    raw.updated_at = ctx.now_ms();
    audit::record(
        c,
        ctx,
        "case",
        raw.id,
        "overdue",
        json!({"stage": raw.stage, "due_at": raw.due_at}),
    )
}

/// The text an event row shows: the note, else the reason, else the comment.
fn event_note(cmd: &Command) -> Option<String> {
    let cannot_fix = match &cmd.close_kind {
        Some(CloseKind::CannotFix { reason }) => reason.clone(),
        _ => None,
    };
    cmd.note
        .clone()
        .or_else(|| cmd.reason.clone())
        .or_else(|| cmd.comment.clone())
        .or(cannot_fix)
}

fn closes(e: &Event) -> bool {
    e.command.action == Action::Close
        && !matches!(e.command.close_kind, Some(CloseKind::NotResponsible { .. }))
}

/// Appends a core event (made by `decide` on `raw.snapshot`) and derives the
/// row from it; `raw` is left as the row now is.
pub(crate) fn append(
    c: &mut dyn Conn,
    ctx: &Ctx,
    cfg: &Config,
    raw: &mut Raw,
    event: Event,
) -> Result<()> {
    let now = ctx.now_ms();
    let before_version = raw.version;
    // A stage that ran out unnoticed (no sweep since) is marked before the step
    // ends it, so that no overdue stage goes uncounted.
    if raw.due_at.is_some_and(|d| d <= now) && !raw.overdue && !raw.suspended {
        mark_overdue(c, ctx, raw)?;
    }
    let before = raw.snapshot.clone();
    let mut after = before.clone();
    apply(&mut after, &event);
    let action = event.command.action;
    let ever_overdue_before = raw.ever_overdue;

    let minutes = if closes(&event) {
        handling_minutes(cfg, &after, raw.reported_at, now)
    } else {
        None
    };

    // The clock of the stage.
    let stage_after = Stage::of(after.state);
    let restart = stage_after.is_some()
        && (stage_after != raw.stage
            || action == Action::Reassign
            || (action == Action::Close && after.state.has_lead()));
    if stage_after.is_none() {
        raw.stage = None;
        raw.stage_started_at = None;
        raw.due_at = None;
        raw.warn_at = None;
        raw.escalate_at = None;
        raw.warned = false;
        raw.overdue = false;
        raw.escalated = false;
    } else if restart {
        let eff = super::categories::effective(c, raw.category_id)?;
        let clock = stage_after.and_then(|s| start_clock(cfg, eff.deadlines.for_stage(s), now));
        raw.stage = stage_after;
        raw.stage_started_at = Some(now);
        raw.due_at = clock.map(|k| k.due);
        raw.warn_at = clock.map(|k| k.warn);
        raw.escalate_at = clock.map(|k| k.escalate);
        raw.warned = false;
        raw.overdue = false;
        raw.escalated = false;
    } else if action == Action::Resume {
        if let Some(from) = before.suspensions.last().map(|s| s.from) {
            let from = (from.unix_timestamp_nanos() / 1_000_000) as i64;
            raw.due_at = deadlines::push(cfg, raw.due_at, from, now);
            raw.warn_at = deadlines::push(cfg, raw.warn_at, from, now);
            raw.escalate_at = deadlines::push(cfg, raw.escalate_at, from, now);
        }
    }
    if action == Action::Supervise {
        raw.escalated = true;
    }

    // Everything else follows the core's case.
    let lead_before = (raw.lead_org_id, raw.co_handlers.clone());
    raw.state = after.state;
    raw.version = after.version as i64;
    raw.lead_org_id = after.lead_org;
    raw.co_handlers = after.co_handlers.clone();
    raw.suspended = after.is_suspended();
    raw.suspension_requested = after.suspension_request.is_some();
    raw.supervised = after.supervised;
    raw.at_joint_meeting = after.at_joint_meeting;
    raw.rework_count = i64::from(after.rework_count);
    raw.closed_at = after
        .closed_at
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64);
    raw.close_kind = after.close_kind.as_ref().map(|k| k.as_str().to_string());
    raw.rating = after.rating.as_ref().map(|r| i64::from(r.score));
    if action == Action::Reopen {
        raw.merged_into = None;
        raw.merged_into_no = None;
    }
    for id in &event.command.evidence {
        if !raw.attachment_ids.contains(id) {
            raw.attachment_ids.push(*id);
        }
    }
    raw.snapshot = after;
    raw.updated_at = now;
    write_row(c, raw, before_version)?;

    insert_event(
        c,
        ctx,
        &EventRow {
            case_id: raw.id,
            first: false,
            version: raw.version,
            at: now,
            actor_role: actor_role(ctx, &event.actor),
            from_state: event.from.map(|s| s.as_str()),
            to_state: event.to.as_str(),
            action: action.as_str(),
            org_id: event.command.lead_org.or(ctx.org_id),
            note: event_note(&event.command),
            event: Some(super::to_json(&event)?),
            attachments: &event.command.evidence,
            handling_minutes: minutes,
        },
    )?;
    if lead_before != (raw.lead_org_id, raw.co_handlers.clone()) {
        set_case_orgs(c, raw)?;
    }
    let delta = counters::for_event(
        action.as_str(),
        event.command.close_kind.as_ref(),
        ever_overdue_before,
        minutes,
        event.command.rating,
    );
    counters::bump(c, &raw.unit_path, raw.category_id, now, &delta)?;
    audit::record(
        c,
        ctx,
        "case",
        raw.id,
        action.as_str(),
        json!({
            "tracking_no": raw.tracking_no,
            "from": event.from,
            "to": event.to,
            "version": raw.version,
        }),
    )
}

/// Rewrites the organisations working on a case (a department's scope).
fn set_case_orgs(c: &mut dyn Conn, raw: &Raw) -> Result<()> {
    c.execute("DELETE FROM case_orgs WHERE case_id = $1", params![raw.id])?;
    if let Some(lead) = raw.lead_org_id {
        c.execute(
            "INSERT INTO case_orgs (case_id, org_id, role) VALUES ($1, $2, 'lead')",
            params![raw.id, lead],
        )?;
    }
    for &co in &raw.co_handlers {
        c.execute(
            "INSERT INTO case_orgs (case_id, org_id, role) VALUES ($1, $2, 'co') ON CONFLICT (case_id, org_id) DO NOTHING",
            params![raw.id, co],
        )?;
    }
    Ok(())
}

/// The conflict for a step based on an old version, naming what happened since.
fn stale(c: &mut dyn Conn, raw: &Raw, expected: i64) -> Result<Error> {
    let rows = c.query(
        "SELECT action FROM case_events WHERE case_id = $1 AND version > $2 AND event IS NOT NULL ORDER BY seq",
        params![raw.id, expected],
    )?;
    let actions: Vec<Action> = rows
        .iter()
        .filter_map(|r| r.get::<String>(0).ok().and_then(|a| Action::parse(&a)))
        .collect();
    let zh: Vec<&str> = actions.iter().map(|a| a.label_zh()).collect();
    let en: Vec<&str> = actions.iter().map(|a| a.as_str()).collect();
    let (zh_since, en_since) = if actions.is_empty() {
        (
            "(没有这个版本)".to_string(),
            "(no such version)".to_string(),
        )
    } else {
        (zh.join("、"), en.join(", "))
    };
    Ok(CoreError::conflict(
        "stale_version",
        format!(
            "案件已被更新:您看到的是第{expected}版,现为第{}版,其间有:{zh_since}。请刷新后再操作",
            raw.version
        ),
        format!(
            "the case changed since version {expected} (now version {}): {en_since}; reload it and try again",
            raw.version
        ),
    )
    .into())
}

/// Checks what a step refers to that the core cannot know: organisations
/// exist; a duplicate's original is another open case the caller can see.
fn check_refs(c: &mut dyn Conn, ctx: &Ctx, raw: &Raw, e: &Event) -> Result<()> {
    let cmd = &e.command;
    let mut orgs: Vec<(&str, i64)> = Vec::new();
    if let Some(l) = cmd.lead_org {
        let field = match cmd.action {
            Action::Close => "close_kind.reassign_to",
            _ => "lead_org",
        };
        orgs.push((field, l));
    }
    orgs.extend(cmd.co_handlers.iter().map(|&o| ("co_handlers", o)));
    orgs.extend(cmd.orgs.iter().map(|&o| ("orgs", o)));
    for (field, id) in orgs {
        if c.query_opt("SELECT id FROM organisations WHERE id = $1", params![id])?
            .is_none()
        {
            return Err(CoreError::invalid(
                field,
                "unknown_organisation",
                format!("组织{id}不存在"),
                format!("no organisation {id}"),
            )
            .into());
        }
    }
    if let Some(CloseKind::Duplicate { of: Some(of) }) = &cmd.close_kind {
        super::merge::check_target(c, ctx, raw, *of, "close_kind.of")?;
    }
    Ok(())
}

/// Takes one step on a case as the caller. `expected_version` is the version
/// the caller saw (send it whenever a person decided on what they saw; a
/// stale one is refused with what happened since). A dispatch without a lead
/// organisation goes to the one the routing rules name.
pub fn transition(
    c: &mut dyn Conn,
    ctx: &Ctx,
    cfg: &Config,
    case_id: i64,
    expected_version: Option<i64>,
    cmd: Command,
) -> Result<CaseView> {
    super::lock_audit_chain(c)?;
    let mut raw = load(c, ctx, case_id)?;
    if let Some(v) = expected_version {
        if v != raw.version {
            return Err(stale(c, &raw, v)?);
        }
    }
    let actor = actor_for(c, ctx)?;
    let mut cmd = cmd;
    if cmd.action == Action::Dispatch && cmd.lead_org.is_none() {
        cmd.lead_org =
            super::routes::route_rule(c, raw.category_id, &raw.unit_path)?.map(|r| r.org_id);
    }
    step(c, ctx, cfg, &mut raw, &actor, &cmd)?;
    // A handling step's photos are the case's evidence, in the same transaction.
    if !cmd.evidence.is_empty() {
        let owner = crate::attachments::Owner::case(case_id);
        crate::attachments::link(c, ctx, &cmd.evidence, &owner)?;
    }
    // The caller may no longer see the case (a department that sent it back),
    // but is told how their step left it.
    let raw = load_any(c, case_id)?;
    view(c, ctx, &raw)
}

/// Decides and appends one step, following a duplicate close with the merge.
pub(crate) fn step(
    c: &mut dyn Conn,
    ctx: &Ctx,
    cfg: &Config,
    raw: &mut Raw,
    actor: &Actor,
    cmd: &Command,
) -> Result<()> {
    let event = decide(&raw.snapshot, cmd, actor, ctx.now, &cfg.policy)?;
    check_refs(c, ctx, raw, &event)?;
    let dup_of = match &event.command.close_kind {
        Some(CloseKind::Duplicate { of: Some(of) }) => Some(*of),
        _ => None,
    };
    append(c, ctx, cfg, raw, event)?;
    if let Some(into) = dup_of {
        super::merge::link(c, ctx, raw, into)?;
    }
    Ok(())
}

pub(crate) fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.trim().as_bytes()).to_vec()
}

pub(crate) fn load_by_token(c: &mut dyn Conn, token: &str) -> Result<Raw> {
    let r = c
        .query_opt(
            &format!("{} WHERE c.token_hash = $1", view::RAW_SELECT),
            params![token_hash(token)],
        )?
        .ok_or_else(|| Error::not_found("case"))?;
    view::raw_row(&r)
}

/// A step by whoever holds the case's follow token (the reporter): withdraw,
/// rate, reopen. Answers with what the reporter may see.
pub fn transition_by_token(
    c: &mut dyn Conn,
    ctx: &Ctx,
    cfg: &Config,
    token: &str,
    cmd: Command,
) -> Result<super::PublicCase> {
    super::lock_audit_chain(c)?;
    let mut raw = load_by_token(c, token)?;
    step(c, ctx, cfg, &mut raw, &Actor::CaseToken, &cmd)?;
    super::public::public_view(c, ctx, cfg, token)
}
