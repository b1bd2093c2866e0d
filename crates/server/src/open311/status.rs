//! Wangge's states as Open311 sees them: `open`/`closed`, FixMyStreet's
//! extended statuses, and the public wording of states and steps (no staff
//! names, no internal notes: only what a reporter's own follow page shows).

use wangge_core::cases::{Action, CaseState, CloseKind};
use wangge_store::cases::{close_wording, CaseEvent, CaseView, Wording};

/// FixMyStreet's extended statuses (the `servicerequestupdates` extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extended {
    Open,
    Investigating,
    ActionScheduled,
    InProgress,
    Fixed,
    NoFurtherAction,
    Duplicate,
    NotCouncilsResponsibility,
    Closed,
}

impl Extended {
    pub fn as_str(self) -> &'static str {
        match self {
            Extended::Open => "OPEN",
            Extended::Investigating => "INVESTIGATING",
            Extended::ActionScheduled => "ACTION_SCHEDULED",
            Extended::InProgress => "IN_PROGRESS",
            Extended::Fixed => "FIXED",
            Extended::NoFurtherAction => "NO_FURTHER_ACTION",
            Extended::Duplicate => "DUPLICATE",
            Extended::NotCouncilsResponsibility => "NOT_COUNCILS_RESPONSIBILITY",
            Extended::Closed => "CLOSED",
        }
    }
}

/// The spec's two statuses: a case is open while someone still works on it.
pub fn spec_status(state: CaseState) -> &'static str {
    if state.is_open() {
        "open"
    } else {
        "closed"
    }
}

/// The extended status of a case in `state` that closed as `kind` (if closed).
/// A closed case whose way of closing is unknown (an earlier close, reopened
/// since) is plain `CLOSED`.
pub fn extended(state: CaseState, kind: Option<&CloseKind>) -> Extended {
    match state {
        CaseState::Reported => Extended::Open,
        CaseState::Accepted => Extended::Investigating,
        CaseState::Dispatched => Extended::ActionScheduled,
        CaseState::InProgress | CaseState::Handled | CaseState::Verified => Extended::InProgress,
        CaseState::Rejected => Extended::NotCouncilsResponsibility,
        CaseState::Withdrawn => Extended::Closed,
        CaseState::Closed | CaseState::Rated => match kind {
            Some(CloseKind::Fixed) => Extended::Fixed,
            Some(CloseKind::CannotFix { .. }) => Extended::NoFurtherAction,
            Some(CloseKind::Duplicate { .. }) => Extended::Duplicate,
            Some(CloseKind::NotResponsible { .. }) | None => Extended::Closed,
        },
    }
}

/// "中文 / English".
pub fn both(zh: &str, en: &str) -> String {
    format!("{zh} / {en}")
}

fn wording(w: &Wording) -> String {
    both(&w.zh, &w.en)
}

/// The English words for a state, beside its Chinese label.
pub fn state_en(s: CaseState) -> &'static str {
    match s {
        CaseState::Reported => "reported",
        CaseState::Rejected => "not accepted",
        CaseState::Withdrawn => "withdrawn",
        CaseState::Accepted => "accepted",
        CaseState::Dispatched => "dispatched",
        CaseState::InProgress => "in progress",
        CaseState::Handled => "handled, being checked",
        CaseState::Verified => "checked",
        CaseState::Closed => "closed",
        CaseState::Rated => "closed and rated",
    }
}

/// The notes on a case's current status. `reject_reason` is the reason given
/// when it was not accepted (shown to its reporter too).
pub fn status_notes(v: &CaseView, reject_reason: Option<&str>) -> String {
    let base = match v.state {
        CaseState::Reported => both("已收到,等待受理", "received; waiting to be accepted"),
        CaseState::Accepted => both("已受理立案,正在安排处理", "accepted; being arranged"),
        CaseState::Dispatched => both("已派至负责的部门处理", "sent to the department responsible"),
        CaseState::InProgress => both("部门正在处理", "the department is working on it"),
        CaseState::Handled => both("已处理完毕,等待核查", "work done; waiting to be checked"),
        CaseState::Verified => both(
            "已现场核查,等待结案",
            "checked on site; waiting to be closed",
        ),
        CaseState::Rejected => {
            let r = reject_reason.unwrap_or("");
            both(&format!("不予立案:{r}"), &format!("not accepted: {r}"))
        }
        CaseState::Withdrawn => both("反映人已撤回", "withdrawn by the reporter"),
        CaseState::Closed | CaseState::Rated => match &v.close_kind {
            Some(k) => wording(&close_wording(k, v.merged_into_tracking_no.as_deref())),
            None => both("案件已办结", "the case is closed"),
        },
    };
    if v.suspended {
        format!(
            "{base}({})",
            both("暂停办理,待条件具备后继续", "paused until it can go on")
        )
    } else {
        base
    }
}

/// One step of the log as an update: its extended status and public words,
/// or `None` for steps the public is not shown (internal business: suspension
/// requests, supervision, the joint meeting; the store's own entries).
/// `close_kind` is how the case closed on this step, when known.
pub fn update(
    e: &CaseEvent,
    close_kind: Option<&CloseKind>,
    merged_into: Option<&str>,
) -> Option<(Extended, String)> {
    if e.system {
        return None;
    }
    let action = Action::parse(&e.action)?;
    let status = extended(e.to_state, close_kind);
    let words = match action {
        Action::Report => both("已收到反映的问题", "the report was received"),
        Action::Accept => both("已受理立案,正在安排处理", "accepted; being arranged"),
        Action::Reject => {
            let r = e.note.as_deref().unwrap_or("");
            both(&format!("不予立案:{r}"), &format!("not accepted: {r}"))
        }
        Action::Withdraw => both("反映人已撤回", "withdrawn by the reporter"),
        Action::Dispatch | Action::Reassign => {
            both("已派至负责的部门处理", "sent to the department responsible")
        }
        Action::Start => both("部门已开始处理", "the department has started work"),
        Action::Handle => both("已处理完毕,等待核查", "work done; waiting to be checked"),
        Action::Verify => both("已现场核查", "checked on site"),
        Action::Return => both(
            "核查未通过,正在重新处理",
            "the check found it not done; the work is being redone",
        ),
        Action::Close if e.to_state != CaseState::Closed => wording(&close_wording(
            &CloseKind::NotResponsible { reassign_to: None },
            None,
        )),
        Action::Close => match close_kind {
            Some(k) => wording(&close_wording(k, merged_into)),
            None => both("案件已办结", "the case was closed"),
        },
        Action::Rate => both("反映人已评价", "the reporter rated the result"),
        Action::Reopen => both(
            "已重新打开,将再次处理",
            "reopened; it will be handled again",
        ),
        Action::SendBack => both(
            "正在重新安排负责的部门",
            "a department responsible is being found again",
        ),
        Action::Suspend => both("暂停办理,待条件具备后继续", "paused until it can go on"),
        Action::Resume => both("恢复办理", "resumed"),
        Action::Comment => both("反映人补充了留言", "the reporter added a comment"),
        Action::ResolveOnSpot => both(
            "工作人员已现场处置并办结",
            "staff dealt with it on the spot and closed it",
        ),
        Action::RequestSuspension
        | Action::DenySuspension
        | Action::Supervise
        | Action::ToJointMeeting => return None,
    };
    Some((status, words))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_maps() {
        for s in CaseState::ALL {
            let x = extended(s, Some(&CloseKind::Fixed));
            let open = spec_status(s) == "open";
            let final_status = matches!(
                x,
                Extended::Fixed
                    | Extended::NoFurtherAction
                    | Extended::Duplicate
                    | Extended::NotCouncilsResponsibility
                    | Extended::Closed
            );
            assert_eq!(open, !final_status, "{s:?} → {x:?}");
        }
        assert_eq!(
            extended(CaseState::Rated, Some(&CloseKind::Duplicate { of: None })).as_str(),
            "DUPLICATE"
        );
        assert_eq!(extended(CaseState::Closed, None).as_str(), "CLOSED");
    }
}
