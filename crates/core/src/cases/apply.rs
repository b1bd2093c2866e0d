//! Folding events into the case. `apply` trusts its event (it was made by
//! `decide`, or read back from the log that `decide` fed), so it cannot fail:
//! replaying an old log must always give a case.

use super::{Action, Actor, Case, CaseState, CloseKind, Event, Rating, Reporter, Suspension};

pub fn apply(case: &mut Case, e: &Event) {
    let c = &e.command;
    case.version += 1;
    case.state = e.to;
    match c.action {
        Action::Report => {
            case.reporter = Some(match e.actor {
                Actor::User { user_id, .. } => Reporter::User { user_id },
                Actor::CaseToken => Reporter::Anonymous,
            });
            case.reported_at = Some(e.at);
        }
        Action::Accept | Action::Start | Action::Verify | Action::Withdraw => {}
        Action::Reject => case.reject_reason = c.reason.clone(),
        Action::Dispatch | Action::Reassign => assign(case, c.lead_org, &c.co_handlers),
        Action::Handle => {
            case.evidence = c.evidence.clone();
            case.suspension_request = None;
        }
        Action::Return => {
            case.rework_count += 1;
            case.evidence.clear();
        }
        Action::Close => match &c.close_kind {
            // Not this department's: the case carries on with the one named.
            Some(CloseKind::NotResponsible { reassign_to }) => assign(case, *reassign_to, &[]),
            kind => {
                case.close_kind = kind.clone();
                case.closed_at = Some(e.at);
                case.supervised = false;
                case.at_joint_meeting = false;
                case.suspension_request = None;
            }
        },
        Action::ResolveOnSpot => {
            case.evidence = c.evidence.clone();
            case.close_kind = Some(CloseKind::Fixed);
            case.closed_at = Some(e.at);
        }
        Action::Rate => {
            case.rating = c.rating.map(|score| Rating {
                score,
                comment: c.comment.clone(),
            });
        }
        Action::Reopen => {
            case.reopen_count += 1;
            case.close_kind = None;
            case.closed_at = None;
            case.rating = None;
            unassign(case);
        }
        Action::SendBack => unassign(case),
        Action::RequestSuspension => case.suspension_request = c.reason.clone(),
        Action::Suspend => {
            case.suspension_request = None;
            case.suspensions.push(Suspension {
                reason: c.reason.clone().unwrap_or_default(),
                from: e.at,
                until: None,
            });
        }
        Action::DenySuspension => case.suspension_request = None,
        Action::Resume => {
            if let Some(s) = case.suspensions.last_mut() {
                s.until = Some(e.at);
            }
        }
        Action::Supervise => case.supervised = true,
        Action::ToJointMeeting => case.at_joint_meeting = true,
        Action::Comment => {}
    }
}

/// A new lead organisation starts the work afresh; a joint meeting's decision
/// ends in such an assignment, so the case leaves the meeting.
fn assign(case: &mut Case, lead: Option<i64>, co_handlers: &[i64]) {
    case.lead_org = lead;
    case.co_handlers = co_handlers.to_vec();
    case.evidence.clear();
    case.suspension_request = None;
    case.at_joint_meeting = false;
}

fn unassign(case: &mut Case) {
    case.lead_org = None;
    case.co_handlers.clear();
    case.evidence.clear();
    case.suspension_request = None;
}

/// The case a log of events describes.
pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Case {
    let mut case = Case::default();
    for e in events {
        apply(&mut case, e);
    }
    case
}

impl Case {
    /// The rules every case satisfies whatever steps led to it; `Err` names the
    /// first one broken. The property tests hold `decide` to them, and the
    /// store may check a replayed case with it.
    pub fn check_invariants(&self) -> Result<(), &'static str> {
        use CaseState::*;
        let s = self.state;
        let rules: [(bool, &'static str); 16] = [
            (
                self.version > 0 || *self == Case::default(),
                "an unreported case is empty",
            ),
            (
                self.version == 0 || (self.reporter.is_some() && self.reported_at.is_some()),
                "a reported case has a reporter and a time",
            ),
            (
                !s.has_lead() || self.lead_org.is_some(),
                "a dispatched case has a lead organisation",
            ),
            (
                !matches!(s, Reported | Accepted | Rejected | Withdrawn) || self.lead_org.is_none(),
                "an undispatched case has no lead organisation",
            ),
            (
                self.co_handlers.is_empty() || self.lead_org.is_some(),
                "co-handlers only beside a lead",
            ),
            (
                !self.lead_org.is_some_and(|l| self.co_handlers.contains(&l))
                    && (1..self.co_handlers.len())
                        .all(|i| !self.co_handlers[..i].contains(&self.co_handlers[i])),
                "co-handlers are distinct and not the lead",
            ),
            (
                !matches!(s, Handled | Verified) || !self.evidence.is_empty(),
                "a handled case has evidence",
            ),
            (
                matches!(s, Closed | Rated) == self.close_kind.is_some()
                    && self.close_kind.is_some() == self.closed_at.is_some(),
                "a closed case, and only a closed case, says how and when it closed",
            ),
            (
                match &self.close_kind {
                    Some(CloseKind::Fixed) => !self.evidence.is_empty(),
                    Some(CloseKind::CannotFix { reason }) => reason.is_some(),
                    Some(CloseKind::Duplicate { of }) => of.is_some(),
                    Some(CloseKind::NotResponsible { .. }) => false,
                    None => true,
                },
                "a close kind is complete, and not_responsible never closes",
            ),
            (
                (s == Rated) == self.rating.is_some(),
                "a rated case, and only a rated case, has a rating",
            ),
            (
                match &self.rating {
                    Some(r) => (1..=5).contains(&r.score),
                    None => true,
                },
                "a rating is 1 to 5",
            ),
            (
                (s == Rejected) == self.reject_reason.is_some(),
                "a rejection has a reason",
            ),
            (
                !self.is_suspended() || matches!(s, Dispatched | InProgress),
                "only a case being worked on is suspended",
            ),
            (
                self.suspensions
                    .iter()
                    .rev()
                    .skip(1)
                    .all(|p| p.until.is_some()),
                "only the latest suspension may still be open",
            ),
            (
                self.suspension_request.is_none()
                    || (matches!(s, Dispatched | InProgress) && !self.is_suspended()),
                "a suspension request waits only on an unsuspended case being worked on",
            ),
            (
                !(self.supervised || self.at_joint_meeting) || (s.is_open() && s != Reported),
                "only an accepted, open case is supervised or at the joint meeting",
            ),
        ];
        match rules.into_iter().find(|(ok, _)| !ok) {
            Some((_, broken)) => Err(broken),
            None => Ok(()),
        }
    }
}
