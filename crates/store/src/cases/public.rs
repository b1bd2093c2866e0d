//! What a reporter sees: the public timeline of their case (state changes with
//! times and plain wording; no staff names, no internal notes, no steps that
//! are internal business such as supervision), and how it closed.

use super::scope::actor_for;
use super::transitions::load_by_token;
use super::view::{load, load_any, parse_state, Raw};
use super::{from_json, Config};
use crate::ctx::{ms_to_time, Ctx};
use crate::db::Conn;
use crate::error::{Error, Result};
use crate::params;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use wangge_core::auth::Role;
use wangge_core::cases::{allowed_actions, Action, Actor, CaseState, CloseKind, Event};

/// A sentence in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Wording {
    pub zh: String,
    pub en: String,
}

fn w(zh: impl Into<String>, en: impl Into<String>) -> Wording {
    Wording {
        zh: zh.into(),
        en: en.into(),
    }
}

/// How a case closed, for the reporter: fixed, cannot be fixed (with the
/// reason), not this department's (the case goes on), or a duplicate of
/// another case (`duplicate_of` is its tracking number when known).
pub fn close_wording(kind: &CloseKind, duplicate_of: Option<&str>) -> Wording {
    match kind {
        CloseKind::Fixed => w(
            "问题已解决,案件已办结。",
            "The problem has been fixed and the case is closed.",
        ),
        CloseKind::CannotFix { reason } => {
            let r = reason.as_deref().unwrap_or("");
            w(
                format!("经核实,该问题暂时无法解决:{r}。案件已办结。"),
                format!("After checking, this problem cannot be fixed for now: {r}. The case is closed."),
            )
        }
        CloseKind::NotResponsible { .. } => w(
            "经核实,该问题不属于原承办部门职责,已转交负责的部门继续办理。",
            "This was not the first department's responsibility; it has been passed to the department responsible, which carries on.",
        ),
        CloseKind::Duplicate { of } => {
            let other = match (duplicate_of, of) {
                (Some(no), _) => no.to_string(),
                (None, Some(id)) => format!("#{id}"),
                (None, None) => String::new(),
            };
            w(
                format!("您反映的问题与案件{other}是同一问题,已合并到该案件一并办理,请关注其进展。"),
                format!("This is the same problem as case {other}; it is handled there together — follow that case."),
            )
        }
    }
}

fn state_wording(s: CaseState) -> Wording {
    let en = match s {
        CaseState::Reported => "received",
        CaseState::Rejected => "not accepted",
        CaseState::Withdrawn => "withdrawn",
        CaseState::Accepted => "accepted",
        CaseState::Dispatched => "sent to the department responsible",
        CaseState::InProgress => "being handled",
        CaseState::Handled => "handled, being checked",
        CaseState::Verified => "checked",
        CaseState::Closed => "closed",
        CaseState::Rated => "closed and rated",
    };
    w(s.label_zh(), en)
}

/// One step of the public timeline.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PublicStep {
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    pub state: CaseState,
    pub zh: String,
    pub en: String,
}

/// A case as its reporter sees it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PublicCase {
    pub tracking_no: String,
    /// The category in plain words.
    pub category: String,
    /// The category's English name, for the English page.
    pub category_en: String,
    pub unit_name: String,
    /// The reporter's own words; absent for a case they did not report (the
    /// surviving case of a merge).
    pub description: Option<String>,
    pub state: CaseState,
    pub state_wording: Wording,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub reported_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<OffsetDateTime>,
    pub close_wording: Option<Wording>,
    pub rating: Option<i64>,
    pub timeline: Vec<PublicStep>,
    /// The photos the reporter may see: the images of their own report and
    /// of the handling evidence (the steps the public timeline shows). Not
    /// documents, and not photos merged in from other residents' reports.
    pub photos: Vec<i64>,
    /// What the reporter may do now (withdraw, rate, reopen).
    pub can: Vec<Action>,
    /// The case this one was merged into, which the reporter can follow here.
    pub merged_into: Option<String>,
    #[schema(no_recursion)]
    pub surviving: Option<Box<PublicCase>>,
}

/// The public wording of one logged step, or `None` for steps residents are
/// not shown (internal business: suspension requests, supervision, the joint
/// meeting, the store's own entries).
fn step_wording(e: &Event, merged_into_no: Option<&str>) -> Option<Wording> {
    let c = &e.command;
    Some(match c.action {
        Action::Report => w("已收到您反映的问题", "Your report was received"),
        Action::Accept => w("已受理立案,正在安排处理", "Accepted; being arranged"),
        Action::Reject => {
            let r = c.reason.as_deref().unwrap_or("");
            w(format!("不予立案:{r}"), format!("Not accepted: {r}"))
        }
        Action::Withdraw => w("已撤回", "Withdrawn"),
        Action::Dispatch | Action::Reassign => {
            w("已派至负责的部门处理", "Sent to the department responsible")
        }
        Action::Start => w("部门已开始处理", "The department has started work"),
        Action::Handle => w("已处理完毕,等待核查", "Work done; waiting to be checked"),
        Action::Verify => w("已现场核查", "Checked on site"),
        Action::Return => w(
            "核查未通过,正在重新处理",
            "The check found it not done; the work is being redone",
        ),
        Action::Close => close_wording(c.close_kind.as_ref()?, merged_into_no),
        Action::Rate => {
            let n = c.rating.unwrap_or(0);
            w(format!("您已评价:{n}星"), format!("You rated it {n} of 5"))
        }
        Action::Reopen => w(
            "已重新打开,将再次处理",
            "Reopened; it will be handled again",
        ),
        Action::SendBack => w(
            "正在重新安排负责的部门",
            "A department responsible is being found again",
        ),
        Action::Suspend => w("暂停办理,待条件具备后继续", "Paused until it can go on"),
        Action::Resume => w("恢复办理", "Resumed"),
        Action::ResolveOnSpot => w(
            "工作人员已现场处置并办结",
            "Staff dealt with it on the spot and closed it",
        ),
        Action::RequestSuspension
        | Action::DenySuspension
        | Action::Supervise
        | Action::ToJointMeeting
        | Action::Comment => return None,
    })
}

/// The public steps and the photos of the report and the handling.
fn timeline(c: &mut dyn Conn, raw: &Raw) -> Result<(Vec<PublicStep>, Vec<i64>)> {
    let rows = c.query(
        "SELECT at, to_state, event, attachment_ids FROM case_events
         WHERE case_id = $1 AND event IS NOT NULL ORDER BY seq",
        params![raw.id],
    )?;
    let mut out = Vec::new();
    let mut shown: Vec<i64> = Vec::new();
    for r in &rows {
        let e: Event = from_json("event", &r.get::<String>(2)?)?;
        if matches!(
            e.command.action,
            Action::Report | Action::Handle | Action::ResolveOnSpot
        ) {
            let ids: Vec<i64> = from_json("attachment_ids", &r.get::<String>(3)?)?;
            for id in ids {
                if !shown.contains(&id) {
                    shown.push(id);
                }
            }
        }
        if let Some(wd) = step_wording(&e, raw.merged_into_no.as_deref()) {
            out.push(PublicStep {
                at: ms_to_time(r.get(0)?),
                state: parse_state(&r.get::<String>(1)?)?,
                zh: wd.zh,
                en: wd.en,
            });
        }
    }
    let photos = crate::attachments::get_many(c, &shown)?
        .into_iter()
        .filter(|a| a.kind == crate::attachments::Kind::Image && a.has_thumbnail)
        .map(|a| a.id)
        .collect();
    Ok((out, photos))
}

fn public_case(
    c: &mut dyn Conn,
    ctx: &Ctx,
    cfg: &Config,
    raw: &Raw,
    actor: Option<&Actor>,
    depth: u32,
) -> Result<PublicCase> {
    let surviving = match raw.merged_into {
        // Follow the link (a short chain at most: merges re-point earlier links).
        Some(into) if depth < 3 => {
            let target = load_any(c, into)?;
            Some(Box::new(public_case(
                c,
                ctx,
                cfg,
                &target,
                None,
                depth + 1,
            )?))
        }
        _ => None,
    };
    let (steps, photos) = timeline(c, raw)?;
    Ok(PublicCase {
        tracking_no: raw.tracking_no.clone(),
        category: raw.category_public.clone(),
        category_en: raw.category_name_en.clone(),
        unit_name: raw.unit_name.clone(),
        description: actor.map(|_| raw.description.clone()),
        state: raw.state,
        state_wording: state_wording(raw.state),
        reported_at: ms_to_time(raw.reported_at),
        closed_at: raw.closed_at.map(ms_to_time),
        close_wording: raw
            .snapshot
            .close_kind
            .as_ref()
            .map(|k| close_wording(k, raw.merged_into_no.as_deref())),
        rating: raw.rating,
        timeline: steps,
        photos,
        can: actor
            .map(|a| allowed_actions(&raw.snapshot, a, ctx.now, &cfg.policy))
            .unwrap_or_default(),
        merged_into: raw.merged_into_no.clone(),
        surviving,
    })
}

/// The case a follow token belongs to, as its reporter sees it; an unknown
/// token is not found.
pub fn public_view(c: &mut dyn Conn, ctx: &Ctx, cfg: &Config, token: &str) -> Result<PublicCase> {
    let raw = load_by_token(c, token)?;
    public_case(c, ctx, cfg, &raw, Some(&Actor::CaseToken), 0)
}

/// The public view of a resident's own case, found by id (signed-in residents).
pub fn public_view_of(c: &mut dyn Conn, ctx: &Ctx, cfg: &Config, id: i64) -> Result<PublicCase> {
    if ctx.role != Some(Role::Resident) {
        return Err(Error::Forbidden);
    }
    let raw = load(c, ctx, id)?;
    let actor = actor_for(c, ctx)?;
    public_case(c, ctx, cfg, &raw, Some(&actor), 0)
}

/// What the track page shows beside the timeline: who is responsible, what
/// they answered the resident, and by when it is promised.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    /// The lead organisation, else the unit the case sits in.
    pub responsible: String,
    /// The resident-facing comment of the latest handling step.
    pub reply: Option<String>,
    /// The current stage's deadline; none once closed or paused.
    pub due_at: Option<OffsetDateTime>,
}

fn progress(c: &mut dyn Conn, raw: &Raw) -> Result<Progress> {
    let rows = c.query(
        "SELECT event FROM case_events
         WHERE case_id = $1 AND event IS NOT NULL ORDER BY seq",
        params![raw.id],
    )?;
    let mut reply = None;
    for r in &rows {
        let e: Event = from_json("event", &r.get::<String>(0)?)?;
        if e.command.action == Action::Handle {
            if let Some(cm) = e.command.comment.filter(|s| !s.trim().is_empty()) {
                reply = Some(cm);
            }
        }
    }
    let open = raw.closed_at.is_none() && !raw.suspended;
    Ok(Progress {
        responsible: raw
            .lead_org_name
            .clone()
            .unwrap_or_else(|| raw.unit_name.clone()),
        reply,
        due_at: raw.due_at.filter(|_| open).map(ms_to_time),
    })
}

/// The progress of the case a follow token belongs to.
pub fn public_progress(c: &mut dyn Conn, token: &str) -> Result<Progress> {
    let raw = load_by_token(c, token)?;
    progress(c, &raw)
}

/// Finds a case by its tracking number and the last four digits of the phone
/// given with the report, for a resident who lost the private link. Any wrong
/// pair, a case without a phone, or a tip answers the same not found, so the
/// answer tells nothing about which half was wrong. Read only: the steps a
/// reporter may take still need the private link.
pub fn public_lookup(
    c: &mut dyn Conn,
    ctx: &Ctx,
    cfg: &Config,
    tracking_no: &str,
    last4: &str,
) -> Result<(PublicCase, Progress)> {
    let nf = || Error::not_found("case");
    let wanted: String = last4.chars().filter(char::is_ascii_digit).collect();
    if wanted.len() != 4 {
        return Err(nf());
    }
    let r = c
        .query_opt(
            &format!("{} WHERE c.tracking_no = $1", super::view::RAW_SELECT),
            params![tracking_no.trim().to_ascii_uppercase()],
        )?
        .ok_or_else(nf)?;
    let raw = super::view::raw_row(&r)?;
    // A tip's reporter is protected: its number alone must never open it.
    if raw.confidential {
        return Err(nf());
    }
    let Some(sealed) = raw.reporter_contact_enc.as_ref() else {
        return Err(nf());
    };
    // The phone is sealed per case, so it is opened and compared here rather
    // than matched in SQL.
    let phone: String = ctx
        .keys()
        .open(super::view::F_CONTACT, sealed)?
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    if phone.len() < 4 || !phone.ends_with(&wanted) {
        return Err(nf());
    }
    let mut case = public_case(c, ctx, cfg, &raw, Some(&Actor::CaseToken), 0)?;
    case.can.clear();
    case.photos.clear();
    let p = progress(c, &raw)?;
    Ok((case, p))
}
