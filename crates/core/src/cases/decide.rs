//! Checking a command against the case, the actor and the rules, and turning
//! it into an event. Nothing changes here; [`super::apply`] does that.

use super::rules::{rule_for, Who};
use super::{Action, Actor, Case, CaseState, CloseKind, Command, Event, Policy, Reporter};
use crate::auth::Role;
use crate::error::{Error, Result};
use time::{Duration, OffsetDateTime};

const MAX_TEXT: usize = 1000;
const MAX_ORGS: usize = 20;
const MAX_EVIDENCE: usize = 50;

/// The steps `actor` may take on `case` now, judged by state, flags, role,
/// identity and the reopen window; the fields a step needs are not looked at.
pub fn allowed_actions(
    case: &Case,
    actor: &Actor,
    now: OffsetDateTime,
    policy: &Policy,
) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|&a| gate(case, a, actor, now, policy).is_ok())
        .collect()
}

/// Whether `actor` may take `action` on `case` now; the error says why not,
/// without the list of next steps `decide` adds (for a step checked before
/// its case exists, such as a close at intake, that list would mislead).
pub fn may(
    case: &Case,
    action: Action,
    actor: &Actor,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<()> {
    gate(case, action, actor, now, policy)
}

/// Checks `cmd` by `actor` at `now` against `case` and returns the event to
/// append. An error names what is wrong; when the step itself is not open to
/// the actor, it also lists the steps that are.
pub fn decide(
    case: &Case,
    cmd: &Command,
    actor: &Actor,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<Event> {
    if let Err(e) = gate(case, cmd.action, actor, now, policy) {
        return Err(with_next_steps(
            e,
            &allowed_actions(case, actor, now, policy),
        ));
    }
    let (to, command) = fields(case, cmd, policy)?;
    Ok(Event {
        actor: *actor,
        at: now,
        from: (case.version > 0).then_some(case.state),
        to,
        command,
    })
}

fn not_allowed(zh: impl Into<String>, en: impl Into<String>) -> Error {
    Error::conflict("transition_not_allowed", zh, en)
}

fn with_next_steps(e: Error, allowed: &[Action]) -> Error {
    let (zh_steps, en_steps) = if allowed.is_empty() {
        (
            "你现在不能对本案做任何操作".to_string(),
            "there is nothing you can do on this case now".to_string(),
        )
    } else {
        (
            format!("你现在可以:{}", join(allowed, |a| a.label_zh(), "、")),
            format!("you can now: {}", join(allowed, |a| a.as_str(), ", ")),
        )
    };
    match e {
        Error::Conflict { code, zh, en } => Error::Conflict {
            code,
            zh: format!("{zh}。{zh_steps}"),
            en: format!("{en}; {en_steps}"),
        },
        other => other,
    }
}

fn join(actions: &[Action], name: fn(Action) -> &'static str, sep: &str) -> String {
    actions
        .iter()
        .map(|&a| name(a))
        .collect::<Vec<_>>()
        .join(sep)
}

/// Everything but the command's fields: is this step open to this actor now?
fn gate(
    case: &Case,
    action: Action,
    actor: &Actor,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<()> {
    let rule = rule_for(action);
    let (zh_a, en_a) = (action.label_zh(), action.as_str());
    let (zh_s, en_s) = (case.state.label_zh(), case.state.as_str());
    if case.version == 0 {
        if action != Action::Report {
            return Err(not_allowed(
                "案件尚未上报",
                "the case has not been reported yet",
            ));
        }
    } else if action == Action::Report {
        return Err(not_allowed(
            "案件已经上报",
            "the case has already been reported",
        ));
    } else if !rule.from.contains(&case.state) {
        return Err(not_allowed(
            format!("案件处于“{zh_s}”状态,不能{zh_a}"),
            format!("'{en_a}' is not possible while the case is {en_s}"),
        ));
    }
    flags(case, action, rule.while_suspended)?;
    who(case, action, rule.who, actor)?;
    if action == Action::Reopen {
        let window = Duration::days(i64::from(policy.reopen_days));
        if case.closed_at.is_some_and(|closed| now > closed + window) {
            return Err(Error::conflict(
                "reopen_window_passed",
                format!("结案已超过{}天,不能再重新打开,请重新上报", policy.reopen_days),
                format!(
                    "the case was closed more than {} days ago and can no longer be reopened; report it anew",
                    policy.reopen_days
                ),
            ));
        }
    }
    Ok(())
}

fn flags(case: &Case, action: Action, while_suspended: bool) -> Result<()> {
    let suspended = case.is_suspended();
    let refuse = |zh: &str, en: &str| Err(not_allowed(zh, en));
    if suspended && !while_suspended {
        return refuse(
            "案件已挂起,请先恢复",
            "the case is suspended; resume it first",
        );
    }
    match action {
        Action::Resume if !suspended => refuse("案件未挂起", "the case is not suspended"),
        Action::RequestSuspension if case.suspension_request.is_some() => refuse(
            "已有待审批的挂起申请",
            "a request to suspend is already waiting for approval",
        ),
        Action::DenySuspension if case.suspension_request.is_none() => {
            refuse("没有待审批的挂起申请", "there is no request to suspend")
        }
        Action::Supervise if case.supervised => {
            refuse("案件已在督办中", "the case is already supervised")
        }
        Action::ToJointMeeting if case.at_joint_meeting => refuse(
            "案件已提交联席会议",
            "the case is already before the joint meeting",
        ),
        _ => Ok(()),
    }
}

fn who(case: &Case, action: Action, who: Who, actor: &Actor) -> Result<()> {
    let (zh_who, en_who) = who.describe();
    let role_error = |role: Option<Role>| {
        let (zh, en) = match role {
            Some(r) => (r.label_zh(), r.as_str()),
            None => ("凭案件凭证访问者", "a case-token holder"),
        };
        Err(Error::conflict(
            "role_not_allowed",
            format!("{zh}不能{};可办理的是:{zh_who}", action.label_zh()),
            format!("{en} may not '{}'; that is for {en_who}", action.as_str()),
        ))
    };
    let lead_check = |org_id: Option<i64>| {
        if org_id.is_some() && org_id == case.lead_org {
            Ok(())
        } else {
            Err(Error::conflict(
                "not_lead_org",
                format!("只有承办单位的部门处置人员可以{}", action.label_zh()),
                format!(
                    "only a handler of the lead organisation may '{}'",
                    action.as_str()
                ),
            ))
        }
    };
    match (who, *actor) {
        (Who::Reporting(_), Actor::CaseToken) => Ok(()),
        (
            Who::Roles(rs) | Who::Reporting(rs) | Who::LeadOr(rs) | Who::SupervisorOr(rs),
            Actor::User { role, .. },
        ) if rs.contains(&role) => Ok(()),
        (
            Who::Lead | Who::LeadOr(_),
            Actor::User {
                role: Role::DeptHandler,
                org_id,
                ..
            },
        ) => lead_check(org_id),
        (
            Who::SupervisorOr(_),
            Actor::User {
                role: Role::DeptHandler,
                org_id,
                ..
            },
        ) => {
            if org_id.is_some() && org_id == case.supervising_org {
                Ok(())
            } else {
                Err(Error::conflict(
                    "not_supervising_org",
                    format!("只有监管单位的部门处置人员可以{}", action.label_zh()),
                    format!(
                        "only a handler of the supervising office may '{}'",
                        action.as_str()
                    ),
                ))
            }
        }
        (Who::ReporterIn(rs), Actor::User { user_id, role, .. }) if rs.contains(&role) => {
            if case.reporter == Some(Reporter::User { user_id }) {
                Ok(())
            } else {
                Err(Error::conflict(
                    "not_reporter",
                    format!("只有上报本案的人员本人可以{}", action.label_zh()),
                    format!(
                        "only the staff member who reported the case may '{}'",
                        action.as_str()
                    ),
                ))
            }
        }
        (Who::TheReporter, _) => {
            let is_reporter = match (*actor, case.reporter) {
                (Actor::CaseToken, _) => true,
                (Actor::User { user_id, .. }, Some(Reporter::User { user_id: r })) => user_id == r,
                _ => false,
            };
            if is_reporter {
                Ok(())
            } else {
                Err(Error::conflict(
                    "not_reporter",
                    format!("只有本案的反映人可以{}", action.label_zh()),
                    format!("only the case's reporter may '{}'", action.as_str()),
                ))
            }
        }
        (_, actor) => role_error(actor.role()),
    }
}

fn required(field: &str, action: Action, zh_what: &str, en_what: &str) -> Error {
    Error::invalid(
        field,
        "required",
        format!("{}须填写{zh_what}", action.label_zh()),
        format!("'{}' needs {en_what} ({field})", action.as_str()),
    )
}

/// Trims optional text; blank is absent. Line breaks are kept, other control
/// characters refused, because reasons come from multi-line text boxes.
fn text(field: &str, value: Option<&String>) -> Result<Option<String>> {
    let Some(t) = value.map(|v| v.trim()).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let n = t.chars().count();
    if n > MAX_TEXT {
        return Err(Error::invalid(
            field,
            "too_long",
            format!("不能超过{MAX_TEXT}个字符(现为{n}个)"),
            format!("at most {MAX_TEXT} characters (got {n})"),
        ));
    }
    if t.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(Error::invalid(
            field,
            "control_character",
            "含有不可见的控制字符",
            "contains an invisible control character",
        ));
    }
    Ok(Some(t.to_string()))
}

fn reason(cmd: &Command) -> Result<String> {
    text("reason", cmd.reason.as_ref())?
        .ok_or_else(|| required("reason", cmd.action, "理由", "a reason"))
}

/// Positive, distinct ids, in the order given.
fn ids(field: &str, values: &[i64], max: usize) -> Result<Vec<i64>> {
    let mut out: Vec<i64> = Vec::new();
    for &v in values {
        if v <= 0 {
            return Err(Error::invalid(
                field,
                "invalid_id",
                format!("无效的编号{v}"),
                format!("invalid id {v}"),
            ));
        }
        if !out.contains(&v) {
            out.push(v);
        }
    }
    if out.len() > max {
        return Err(Error::invalid(
            field,
            "too_many",
            format!("最多{max}项"),
            format!("at most {max} items"),
        ));
    }
    Ok(out)
}

/// The lead organisation and co-handlers of a dispatch or reassignment.
fn orgs(
    case: &Case,
    cmd: &Command,
    lead: Option<i64>,
    must_change: bool,
) -> Result<(i64, Vec<i64>)> {
    let lead =
        lead.ok_or_else(|| required("lead_org", cmd.action, "承办单位", "a lead organisation"))?;
    ids("lead_org", &[lead], 1)?;
    if must_change && case.lead_org == Some(lead) {
        return Err(Error::invalid(
            "lead_org",
            "same_org",
            "改派的单位与当前承办单位相同",
            "the case is already with this organisation",
        ));
    }
    let co = ids("co_handlers", &cmd.co_handlers, MAX_ORGS)?;
    if co.contains(&lead) {
        return Err(Error::invalid(
            "co_handlers",
            "co_handler_is_lead",
            "承办单位不能同时是协办单位",
            "the lead organisation cannot also be a co-handler",
        ));
    }
    Ok((lead, co))
}

/// Checks the fields the step needs and returns the state it leads to and the
/// command as it will be recorded.
fn fields(case: &Case, cmd: &Command, policy: &Policy) -> Result<(CaseState, Command)> {
    let a = cmd.action;
    let mut out = Command::new(a);
    let state = case.state;
    let to = match a {
        Action::Report | Action::Accept | Action::Start | Action::Verify | Action::Resume => {
            out.note = text("note", cmd.note.as_ref())?;
            match a {
                Action::Report => CaseState::Reported,
                Action::Accept => CaseState::Accepted,
                Action::Start => CaseState::InProgress,
                Action::Verify => CaseState::Verified,
                _ => state,
            }
        }
        Action::Withdraw => {
            out.reason = text("reason", cmd.reason.as_ref())?;
            CaseState::Withdrawn
        }
        Action::Reject
        | Action::Return
        | Action::Reopen
        | Action::SendBack
        | Action::RequestSuspension
        | Action::DenySuspension
        | Action::Supervise => {
            out.reason = Some(reason(cmd)?);
            match a {
                Action::Reject => CaseState::Rejected,
                Action::Return => CaseState::InProgress,
                Action::Reopen | Action::SendBack => CaseState::Accepted,
                _ => state,
            }
        }
        Action::Dispatch => {
            let (lead, co) = orgs(case, cmd, cmd.lead_org, false)?;
            out.lead_org = Some(lead);
            out.co_handlers = co;
            out.note = text("note", cmd.note.as_ref())?;
            CaseState::Dispatched
        }
        Action::Reassign => {
            let (lead, co) = orgs(case, cmd, cmd.lead_org, true)?;
            out.reason = Some(reason(cmd)?);
            out.lead_org = Some(lead);
            out.co_handlers = co;
            CaseState::Dispatched
        }
        Action::Handle => {
            let evidence = ids("evidence", &cmd.evidence, MAX_EVIDENCE)?;
            if evidence.is_empty() {
                return Err(required(
                    "evidence",
                    a,
                    "处置证据(照片或附件)",
                    "evidence (photos or attachments)",
                ));
            }
            out.evidence = evidence;
            out.note = text("note", cmd.note.as_ref())?;
            // The note stays internal; the comment is the reply the reporter reads.
            out.comment = text("comment", cmd.comment.as_ref())?;
            CaseState::Handled
        }
        Action::ResolveOnSpot => {
            let evidence = ids("evidence", &cmd.evidence, MAX_EVIDENCE)?;
            if evidence.is_empty() {
                return Err(required(
                    "evidence",
                    a,
                    "现场处置后的照片",
                    "photos of the place after the handling",
                ));
            }
            let note = text("note", cmd.note.as_ref())?;
            out.note = Some(
                note.ok_or_else(|| required("note", a, "处置说明", "a note on what was done"))?,
            );
            out.evidence = evidence;
            CaseState::Closed
        }
        Action::Suspend => {
            let given = text("reason", cmd.reason.as_ref())?;
            let r = given.or_else(|| case.suspension_request.clone());
            out.reason = Some(r.ok_or_else(|| required("reason", a, "挂起理由", "a reason"))?);
            state
        }
        Action::Rate => {
            let score = cmd
                .rating
                .ok_or_else(|| required("rating", a, "评分(1–5)", "a rating from 1 to 5"))?;
            if !(1..=5).contains(&score) {
                return Err(Error::invalid(
                    "rating",
                    "rating_range",
                    format!("评分应为1到5,收到{score}"),
                    format!("a rating is 1 to 5, got {score}"),
                ));
            }
            out.rating = Some(score);
            out.comment = text("comment", cmd.comment.as_ref())?;
            CaseState::Rated
        }
        Action::ToJointMeeting => {
            out.reason = Some(reason(cmd)?);
            out.orgs = ids("orgs", &cmd.orgs, MAX_ORGS)?;
            joint_meeting_warranted(case, &out.orgs, policy)?;
            state
        }
        Action::Close => return close(case, cmd),
        Action::Comment => {
            let words = text("comment", cmd.comment.as_ref())?;
            out.comment = Some(
                words.ok_or_else(|| required("comment", a, "留言内容", "the comment's text"))?,
            );
            out.note = text("note", cmd.note.as_ref())?;
            state
        }
    };
    Ok((to, out))
}

/// A joint meeting is for work that needs several departments, or that keeps
/// coming back; a single department's ordinary case goes through dispatch.
fn joint_meeting_warranted(case: &Case, named: &[i64], policy: &Policy) -> Result<()> {
    let mut all: Vec<i64> = named.to_vec();
    all.extend(case.lead_org);
    all.extend(&case.co_handlers);
    all.sort_unstable();
    all.dedup();
    if all.len() >= 2 || case.rework_count >= policy.rework_limit {
        return Ok(());
    }
    Err(Error::invalid(
        "orgs",
        "joint_meeting_not_warranted",
        format!(
            "提交联席会议须涉及两个及以上部门(在 orgs 中列出),或已返工{}次以上",
            policy.rework_limit
        ),
        format!(
            "the joint meeting takes cases that need two or more departments (list them in orgs) or that were returned for rework {} times or more",
            policy.rework_limit
        ),
    ))
}

fn close(case: &Case, cmd: &Command) -> Result<(CaseState, Command)> {
    let a = Action::Close;
    let kind = cmd
        .close_kind
        .as_ref()
        .ok_or_else(|| required("close_kind", a, "结案类型", "how it closed"))?;
    let mut out = Command::new(a);
    out.note = text("note", cmd.note.as_ref())?;
    let verified_only = |what_zh: &str, what_en: &str| {
        if case.state == CaseState::Verified {
            Ok(())
        } else {
            Err(Error::invalid(
                "close_kind",
                "close_kind_not_allowed",
                format!("只有核查通过的案件才能按“{what_zh}”结案"),
                format!("only a verified case can be closed as {what_en}"),
            ))
        }
    };
    let (to, kind) = match kind {
        CloseKind::Fixed => {
            verified_only("已解决", "fixed")?;
            (CaseState::Closed, CloseKind::Fixed)
        }
        CloseKind::CannotFix { reason } => {
            verified_only("无法解决", "cannot_fix")?;
            let reason = text("close_kind.reason", reason.as_ref())?.ok_or_else(|| {
                required(
                    "close_kind.reason",
                    a,
                    "无法解决的原因",
                    "the reason it cannot be fixed",
                )
            })?;
            (
                CaseState::Closed,
                CloseKind::CannotFix {
                    reason: Some(reason),
                },
            )
        }
        CloseKind::Duplicate { of } => {
            let of = of.ok_or_else(|| {
                required(
                    "close_kind.of",
                    a,
                    "重复的案件编号",
                    "the case it duplicates",
                )
            })?;
            ids("close_kind.of", &[of], 1)?;
            (CaseState::Closed, CloseKind::Duplicate { of: Some(of) })
        }
        CloseKind::NotResponsible { reassign_to } => {
            if !case.state.has_lead() {
                return Err(Error::invalid(
                    "close_kind",
                    "close_kind_not_allowed",
                    "案件尚未派遣,请直接派遣给负责单位",
                    "the case has not been dispatched; dispatch it to the responsible organisation",
                ));
            }
            let lead = reassign_to.ok_or_else(|| {
                required(
                    "close_kind.reassign_to",
                    a,
                    "改派的负责单位",
                    "the organisation responsible, to reassign it to",
                )
            })?;
            let (lead, _) = orgs(case, &Command::new(a), Some(lead), true)?;
            out.lead_org = Some(lead);
            (
                CaseState::Dispatched,
                CloseKind::NotResponsible {
                    reassign_to: Some(lead),
                },
            )
        }
    };
    out.close_kind = Some(kind);
    Ok((to, out))
}
