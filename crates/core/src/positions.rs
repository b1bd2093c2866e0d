//! Positions: a person holds a titled position in an organisation for a period.
//! Party membership, grid-worker duty, committee seats and cross-appointments
//! (交叉任职) are all positions.

use crate::error::{Error, Result};
use time::Date;

crate::wire_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum PositionKind {
        /// A party member registered with an organisation (党员, 双报到).
        PartyMember => "party_member",
        /// Duty as a grid worker (网格员) in the organisation that runs the grid.
        GridWorker => "grid_worker",
        /// A seat on a committee: secretary, director, member (书记、主任、委员).
        CommitteeSeat => "committee_seat",
        /// Staff of a department or company.
        Staff => "staff",
        /// A party-building instructor sent to a compound or alliance (党建指导员).
        Instructor => "instructor",
        Volunteer => "volunteer",
    }
    parse: Noun::new("kind", "position_kind", "职务类型", "position kind").or_label(PositionKind::label_zh);
}

impl PositionKind {
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
