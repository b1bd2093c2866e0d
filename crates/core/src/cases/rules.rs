//! Who may take each step, and from which states: the one table that both
//! [`super::decide`] and [`super::allowed_actions`] read.
//!
//! | action | from | who |
//! |---|---|---|
//! | report | (new case) | case token, or any role but auditor |
//! | accept, reject | reported | zone_admin, street_staff |
//! | withdraw | reported | the reporter |
//! | dispatch | accepted | zone_admin, street_staff |
//! | start | dispatched | dept_handler of the lead organisation |
//! | handle | dispatched, in_progress | dept_handler of the lead organisation |
//! | verify, return | handled | zone_admin, street_staff, community_cadre, grid_worker |
//! | close | accepted … verified (fixed and cannot_fix only from verified; not_responsible only once dispatched) | zone_admin, street_staff |
//! | rate | closed | the reporter |
//! | reopen | closed, rated (within the reopen window) | the reporter |
//! | send_back | dispatched, in_progress | dept_handler of the lead organisation |
//! | reassign | dispatched, in_progress, handled | zone_admin, street_staff |
//! | request_suspension | dispatched, in_progress | dept_handler of the lead organisation |
//! | suspend, deny_suspension | dispatched, in_progress | zone_admin, street_staff |
//! | resume | dispatched, in_progress (while suspended) | zone_admin, street_staff, lead dept_handler |
//! | supervise | accepted … verified | zone_admin, street_staff, dept_handler of the supervising office |
//! | to_joint_meeting | accepted … handled | zone_admin, street_staff |
//! | comment | any but rejected and withdrawn, also while suspended | the reporter |
//! | resolve_on_spot | reported | the reporter, signed in as zone_admin, street_staff, community_cadre or grid_worker |
//!
//! While a case is suspended only `resume`, `supervise` and `to_joint_meeting`
//! are possible: anything else would move the work on while its clock stands still.
//! Auditors read; they take no step.

use super::{Action, CaseState};
use crate::auth::Role;

use CaseState::*;
use Role::*;

/// Who may take a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Signed-in users in one of these roles.
    Roles(&'static [Role]),
    /// A department handler acting for the case's lead organisation.
    Lead,
    /// The lead organisation's handler, or these roles.
    LeadOr(&'static [Role]),
    /// A department handler of the case's supervising office, or these roles.
    SupervisorOr(&'static [Role]),
    /// The case's reporter: the holder of its token, or the account that reported it.
    TheReporter,
    /// Whoever may report: the holder of a new case's token, or these roles.
    Reporting(&'static [Role]),
    /// The account that reported the case, acting in one of these roles: a
    /// token proves who reported, not that they are staff.
    ReporterIn(&'static [Role]),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub from: &'static [CaseState],
    pub who: Who,
    pub while_suspended: bool,
}

pub const DISPATCHERS: &[Role] = &[ZoneAdmin, StreetStaff];
pub const CHECKERS: &[Role] = &[ZoneAdmin, StreetStaff, CommunityCadre, GridWorker];
pub const REPORTERS: &[Role] = &[
    ZoneAdmin,
    StreetStaff,
    CommunityCadre,
    GridWorker,
    DeptHandler,
    Resident,
];

const WORKING: &[CaseState] = &[Dispatched, InProgress];
const BEFORE_CLOSE: &[CaseState] = &[Accepted, Dispatched, InProgress, Handled, Verified];

const fn rule(from: &'static [CaseState], who: Who) -> Rule {
    Rule {
        from,
        who,
        while_suspended: false,
    }
}

pub fn rule_for(action: Action) -> Rule {
    match action {
        // A report creates the case; `decide` checks that it is new instead.
        Action::Report => rule(&[], Who::Reporting(REPORTERS)),
        Action::Accept | Action::Reject => rule(&[Reported], Who::Roles(DISPATCHERS)),
        Action::Withdraw => rule(&[Reported], Who::TheReporter),
        Action::Dispatch => rule(&[Accepted], Who::Roles(DISPATCHERS)),
        Action::Start => rule(&[Dispatched], Who::Lead),
        Action::Handle => rule(WORKING, Who::Lead),
        Action::Verify | Action::Return => rule(&[Handled], Who::Roles(CHECKERS)),
        Action::Close => rule(BEFORE_CLOSE, Who::Roles(DISPATCHERS)),
        Action::Rate => rule(&[Closed], Who::TheReporter),
        Action::Reopen => rule(&[Closed, Rated], Who::TheReporter),
        Action::SendBack => rule(WORKING, Who::Lead),
        Action::Reassign => rule(&[Dispatched, InProgress, Handled], Who::Roles(DISPATCHERS)),
        Action::RequestSuspension => rule(WORKING, Who::Lead),
        Action::Suspend | Action::DenySuspension => rule(WORKING, Who::Roles(DISPATCHERS)),
        Action::Resume => Rule {
            from: WORKING,
            who: Who::LeadOr(DISPATCHERS),
            while_suspended: true,
        },
        Action::Supervise => Rule {
            from: BEFORE_CLOSE,
            who: Who::SupervisorOr(DISPATCHERS),
            while_suspended: true,
        },
        Action::ToJointMeeting => Rule {
            from: &[Accepted, Dispatched, InProgress, Handled],
            who: Who::Roles(DISPATCHERS),
            while_suspended: true,
        },
        // Words from the reporter move nothing on, so they are welcome in any
        // state but the two that end a case for good, the clock's stop included.
        Action::Comment => Rule {
            from: &[
                Reported, Accepted, Dispatched, InProgress, Handled, Verified, Closed, Rated,
            ],
            who: Who::TheReporter,
            while_suspended: true,
        },
        // Only staff who saw to it themselves close without dispatch; anyone
        // else's report goes the whole way, so the handling is checked.
        Action::ResolveOnSpot => rule(&[Reported], Who::ReporterIn(CHECKERS)),
    }
}

impl Who {
    /// Names who may take the step, for error messages: (Chinese, English).
    pub fn describe(self) -> (String, String) {
        let roles = |rs: &[Role]| {
            (
                rs.iter()
                    .map(|r| r.label_zh())
                    .collect::<Vec<_>>()
                    .join("、"),
                rs.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", "),
            )
        };
        match self {
            Who::Roles(rs) => roles(rs),
            Who::Lead => (
                "承办单位的部门处置人员".into(),
                "a dept_handler of the lead organisation".into(),
            ),
            Who::LeadOr(rs) => {
                let (zh, en) = roles(rs);
                (
                    format!("{zh}、承办单位的部门处置人员"),
                    format!("{en}, a dept_handler of the lead organisation"),
                )
            }
            Who::SupervisorOr(rs) => {
                let (zh, en) = roles(rs);
                (
                    format!("{zh}、监管单位的部门处置人员"),
                    format!("{en}, a dept_handler of the supervising office"),
                )
            }
            Who::TheReporter => ("本案的反映人".into(), "the case's reporter".into()),
            Who::ReporterIn(rs) => {
                let (zh, en) = roles(rs);
                (
                    format!("上报本案的{zh}本人"),
                    format!("the {en} who reported the case"),
                )
            }
            Who::Reporting(rs) => {
                let (zh, en) = roles(rs);
                (
                    format!("{zh}或匿名反映人"),
                    format!("{en} or an anonymous reporter"),
                )
            }
        }
    }
}
