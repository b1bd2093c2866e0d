//! Positions: a person holds a titled position in an organisation for a period.
//! Party membership, grid-worker duty, committee seats and cross-appointments
//! (交叉任职) are all positions.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use time::Date;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PositionKind {
    /// A party member registered with an organisation (党员, 双报到).
    PartyMember,
    /// Duty as a grid worker (网格员) in the organisation that runs the grid.
    GridWorker,
    /// A seat on a committee: secretary, director, member (书记、主任、委员).
    CommitteeSeat,
    /// Staff of a department or company.
    Staff,
    /// A party-building instructor sent to a compound or alliance (党建指导员).
    Instructor,
    Volunteer,
}

impl PositionKind {
    pub const ALL: [PositionKind; 6] = [
        PositionKind::PartyMember,
        PositionKind::GridWorker,
        PositionKind::CommitteeSeat,
        PositionKind::Staff,
        PositionKind::Instructor,
        PositionKind::Volunteer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PositionKind::PartyMember => "party_member",
            PositionKind::GridWorker => "grid_worker",
            PositionKind::CommitteeSeat => "committee_seat",
            PositionKind::Staff => "staff",
            PositionKind::Instructor => "instructor",
            PositionKind::Volunteer => "volunteer",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            PositionKind::PartyMember => "党员",
            PositionKind::GridWorker => "网格员",
            PositionKind::CommitteeSeat => "委员会成员",
            PositionKind::Staff => "工作人员",
            PositionKind::Instructor => "党建指导员",
            PositionKind::Volunteer => "志愿者",
        }
    }

    pub fn parse(s: &str) -> Result<PositionKind> {
        PositionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.label_zh() == s)
            .ok_or_else(|| {
                Error::invalid(
                    "kind",
                    "position_kind",
                    format!("未知的职务类型“{s}”"),
                    format!("unknown position kind '{s}'"),
                )
            })
    }
}

/// Checks that a position's period is in order.
pub fn check_period(from: Date, to: Option<Date>) -> Result<()> {
    match to {
        Some(to) if to < from => Err(Error::invalid(
            "to",
            "period_order",
            "任职结束日期早于开始日期",
            "the position ends before it starts",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn period_must_be_in_order() {
        assert!(check_period(date!(2020 - 01 - 01), None).is_ok());
        assert!(check_period(date!(2020 - 01 - 01), Some(date!(2020 - 01 - 01))).is_ok());
        let e = check_period(date!(2020 - 01 - 02), Some(date!(2020 - 01 - 01))).unwrap_err();
        assert_eq!(e.code(), "period_order");
        for k in PositionKind::ALL {
            assert_eq!(PositionKind::parse(k.as_str()).unwrap(), k);
        }
    }
}
