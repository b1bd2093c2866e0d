//! The case lifecycle (事件/案卷) as an explicit state machine, following the
//! national digital urban-management workflow:
//!
//! ```text
//! reported ─accept→ accepted ─dispatch→ dispatched ─start→ in_progress ─handle→ handled
//!    │  └─reject→ rejected                 ↑  │send_back→ accepted          │      │
//!    └─withdraw→ withdrawn                 │  └──────────handle────────────┘      │
//!                                          └────────reassign / close(not_responsible)
//! handled ─verify→ verified ─close→ closed ─rate→ rated
//!    └─return→ in_progress (rework)        closed/rated ─reopen→ accepted
//! reported ─resolve_on_spot→ closed  (staff who reported it dealt with it there)
//! ```
//!
//! Beside the state sit three flags: suspended (挂起, the clock stops), supervised
//! (督办) and at the joint meeting (联席会议). Every change is an [`Event`] made by
//! [`decide`] from a [`Command`] and folded into a [`Case`] by [`apply`]; the
//! store keeps the events in an append-only log, so [`replay`] of the log is the
//! case. The table in [`rules`] says which roles may take each step and from
//! which states; [`allowed_actions`] reads the same table, so what the UI offers
//! and what `decide` accepts cannot drift apart.

mod apply;
mod decide;
#[cfg(test)]
mod props;
pub mod rules;
#[cfg(test)]
mod tests;

pub use apply::{apply, replay};
pub use decide::{allowed_actions, decide, may};

use crate::auth::Role;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

crate::wire_enum! {
    /// Where a case is in its lifecycle.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub enum CaseState {
        /// 已上报: waiting to be accepted.
        #[default]
        Reported => "reported",
        /// 不予立案: refused, with a reason. Final.
        Rejected => "rejected",
        /// 已撤回: withdrawn by the reporter before acceptance. Final.
        Withdrawn => "withdrawn",
        /// 已立案: accepted, waiting to be dispatched (again, after a send-back or reopening).
        Accepted => "accepted",
        /// 已派遣: sent to a lead organisation, not yet started.
        Dispatched => "dispatched",
        /// 处置中: being worked on, first time or as rework.
        InProgress => "in_progress",
        /// 已处置: the lead organisation reported back with evidence; waiting for checking.
        Handled => "handled",
        /// 已核查: the result was checked on site and found done.
        Verified => "verified",
        /// 已结案: closed, with how it closed; the reporter may rate or reopen it.
        Closed => "closed",
        /// 已评价: rated by the reporter; may still be reopened inside the window.
        Rated => "rated",
    }
    parse: Noun::new("state", "case_state", "案件状态", "case state");
}

impl CaseState {
    pub fn label_zh(self) -> &'static str {
        match self {
            CaseState::Reported => "已上报",
            CaseState::Rejected => "不予立案",
            CaseState::Withdrawn => "已撤回",
            CaseState::Accepted => "已立案",
            CaseState::Dispatched => "已派遣",
            CaseState::InProgress => "处置中",
            CaseState::Handled => "已处置待核查",
            CaseState::Verified => "已核查",
            CaseState::Closed => "已结案",
            CaseState::Rated => "已评价",
        }
    }

    /// Still being worked on: neither refused, withdrawn nor closed.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            CaseState::Reported
                | CaseState::Accepted
                | CaseState::Dispatched
                | CaseState::InProgress
                | CaseState::Handled
                | CaseState::Verified
        )
    }

    /// States in which an organisation is responsible, so a lead is set.
    pub fn has_lead(self) -> bool {
        matches!(
            self,
            CaseState::Dispatched
                | CaseState::InProgress
                | CaseState::Handled
                | CaseState::Verified
        )
    }
}

crate::wire_enum! {
    /// A step in the lifecycle; the table in [`rules`] says who may take it and when.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Action {
        /// 上报: creates the case.
        Report => "report",
        /// 立案
        Accept => "accept",
        /// 不予立案 (reason)
        Reject => "reject",
        /// 撤回: the reporter, before acceptance.
        Withdraw => "withdraw",
        /// 派遣 (lead organisation, optional co-handlers 协办)
        Dispatch => "dispatch",
        /// 开始处置
        Start => "start",
        /// 处置反馈 (evidence)
        Handle => "handle",
        /// 核查通过
        Verify => "verify",
        /// 核查不通过,返工 (reason)
        Return => "return",
        /// 结案 (how it closed)
        Close => "close",
        /// 评价 (1–5)
        Rate => "rate",
        /// 重新打开: the reporter says it is not fixed (reason), within the window.
        Reopen => "reopen",
        /// 退回: the lead organisation says the case is not theirs (reason).
        SendBack => "send_back",
        /// 改派: the dispatcher moves the case to another lead organisation (reason).
        Reassign => "reassign",
        /// 申请挂起: the lead organisation asks to stop the clock (reason).
        RequestSuspension => "request_suspension",
        /// 挂起: stops the clock; by the dispatcher, approving a request or on its own (reason).
        Suspend => "suspend",
        /// 驳回挂起申请 (reason)
        DenySuspension => "deny_suspension",
        /// 恢复: restarts the clock.
        Resume => "resume",
        /// 督办 (reason)
        Supervise => "supervise",
        /// 提交联席会议 (reason; several departments, or repeated rework)
        ToJointMeeting => "to_joint_meeting",
        /// 补充留言: the reporter adds words to the case (comment); the state stays.
        Comment => "comment",
        /// 自行处置: a grid worker or cadre who reported what they found on patrol
        /// and dealt with it there closes it at once, with a note and photos.
        ResolveOnSpot => "resolve_on_spot",
    }
    parse: exact;
}

impl Action {
    pub fn label_zh(self) -> &'static str {
        match self {
            Action::Report => "上报",
            Action::Accept => "立案",
            Action::Reject => "不予立案",
            Action::Withdraw => "撤回",
            Action::Dispatch => "派遣",
            Action::Start => "开始处置",
            Action::Handle => "处置反馈",
            Action::Verify => "核查通过",
            Action::Return => "核查退回返工",
            Action::Close => "结案",
            Action::Rate => "评价",
            Action::Reopen => "重新打开",
            Action::SendBack => "退回",
            Action::Reassign => "改派",
            Action::RequestSuspension => "申请挂起",
            Action::Suspend => "挂起",
            Action::DenySuspension => "驳回挂起申请",
            Action::Resume => "恢复",
            Action::Supervise => "督办",
            Action::ToJointMeeting => "提交联席会议",
            Action::Comment => "补充留言",
            Action::ResolveOnSpot => "自行处置",
        }
    }
}

/// Who takes a step: a signed-in user in one of their roles, or whoever holds
/// the case's token (the reporter, who may be anonymous).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    User {
        user_id: i64,
        role: Role,
        /// The organisation a department handler acts for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        org_id: Option<i64>,
    },
    CaseToken,
}

impl Actor {
    pub fn role(&self) -> Option<Role> {
        match self {
            Actor::User { role, .. } => Some(*role),
            Actor::CaseToken => None,
        }
    }
}

/// Who reported a case; the token holder is the reporter when no account was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reporter {
    User { user_id: i64 },
    Anonymous,
}

/// How a case closed. The fields are optional only so that a missing one is
/// answered with a `required` error naming it rather than a parse error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CloseKind {
    /// 已解决: only after verification.
    Fixed,
    /// 无法解决 (reason): only after verification of the handler's explanation.
    CannotFix {
        #[serde(default)]
        reason: Option<String>,
    },
    /// 非本部门职责: the case goes on to `reassign_to` as lead organisation; it
    /// is never closed this way, so nothing is dropped.
    NotResponsible {
        #[serde(default)]
        reassign_to: Option<i64>,
    },
    /// 重复案件: the same problem as case `of`, which carries on.
    Duplicate {
        #[serde(default)]
        of: Option<i64>,
    },
}

impl CloseKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            CloseKind::Fixed => "fixed",
            CloseKind::CannotFix { .. } => "cannot_fix",
            CloseKind::NotResponsible { .. } => "not_responsible",
            CloseKind::Duplicate { .. } => "duplicate",
        }
    }
}

/// A request to take one step, with the fields that step needs; fields a step
/// does not use are ignored and not recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Command {
    pub action: Action,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Free text for steps without a required reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Lead organisation (dispatch, reassign).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_org: Option<i64>,
    /// Co-handling organisations, 协办 (dispatch, reassign).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub co_handlers: Vec<i64>,
    /// Attachment ids proving the work (handle, resolve_on_spot).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_kind: Option<CloseKind>,
    /// 1–5 (rate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Departments that must act together (to_joint_meeting).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orgs: Vec<i64>,
}

impl Command {
    pub fn new(action: Action) -> Command {
        Command {
            action,
            reason: None,
            note: None,
            lead_org: None,
            co_handlers: Vec::new(),
            evidence: Vec::new(),
            close_kind: None,
            rating: None,
            comment: None,
            orgs: Vec::new(),
        }
    }

    pub fn reason(mut self, reason: &str) -> Command {
        self.reason = Some(reason.to_string());
        self
    }

    pub fn lead_org(mut self, org: i64) -> Command {
        self.lead_org = Some(org);
        self
    }

    pub fn co_handlers(mut self, orgs: &[i64]) -> Command {
        self.co_handlers = orgs.to_vec();
        self
    }

    pub fn evidence(mut self, ids: &[i64]) -> Command {
        self.evidence = ids.to_vec();
        self
    }

    pub fn close_kind(mut self, kind: CloseKind) -> Command {
        self.close_kind = Some(kind);
        self
    }

    pub fn rating(mut self, score: u8, comment: Option<&str>) -> Command {
        self.rating = Some(score);
        self.comment = comment.map(str::to_string);
        self
    }

    pub fn orgs(mut self, orgs: &[i64]) -> Command {
        self.orgs = orgs.to_vec();
        self
    }
}

/// One accepted step, as stored in the case's log. `command` holds only the
/// fields the step uses, checked and normalised (trimmed text, resolved reasons).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Event {
    pub actor: Actor,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// `None` for the report that creates the case.
    pub from: Option<CaseState>,
    pub to: CaseState,
    pub command: Command,
}

impl Event {
    pub fn action(&self) -> Action {
        self.command.action
    }
}

/// A period the clock stood still; `until` is `None` while it lasts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Suspension {
    pub reason: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub until: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rating {
    pub score: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// The rules a deployment may tune.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Policy {
    /// Calendar days after closing in which the reporter may reopen.
    pub reopen_days: u32,
    /// Returns for rework after which the case is due for escalation: it may go
    /// to the joint meeting even with one department, and [`Case::escalation_due`]
    /// says so until it is supervised.
    pub rework_limit: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            reopen_days: 7,
            rework_limit: 2,
        }
    }
}

/// A case as its events leave it. `Case::default()` is the case before its report.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Case {
    pub state: CaseState,
    /// Events applied; the store compares it to detect concurrent changes.
    pub version: u64,
    pub reporter: Option<Reporter>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub reported_at: Option<OffsetDateTime>,
    pub reject_reason: Option<String>,
    pub lead_org: Option<i64>,
    pub co_handlers: Vec<i64>,
    /// The office that supervises the work (监管/督办单位): it reads the case and
    /// may supervise it, but does no step of the handling. The store fills it
    /// in from the case's row: it is no event's doing, so it is not part of
    /// the stored snapshot, which stays the replay of the log.
    #[serde(skip)]
    pub supervising_org: Option<i64>,
    /// Evidence of the latest handling; cleared when the work must be done again.
    pub evidence: Vec<i64>,
    pub rework_count: u32,
    pub reopen_count: u32,
    /// A pending request to suspend, with its reason.
    pub suspension_request: Option<String>,
    /// Every suspension so far, for deadline arithmetic; the last is open while suspended.
    pub suspensions: Vec<Suspension>,
    pub supervised: bool,
    pub at_joint_meeting: bool,
    pub close_kind: Option<CloseKind>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<OffsetDateTime>,
    pub rating: Option<Rating>,
}

impl Case {
    pub fn is_suspended(&self) -> bool {
        self.suspensions.last().is_some_and(|s| s.until.is_none())
    }

    /// Repeated rework with no supervision yet: the command centre should step in.
    pub fn escalation_due(&self, policy: &Policy) -> bool {
        self.state.is_open() && self.rework_count >= policy.rework_limit && !self.supervised
    }
}
