//! Organisations attached to units: departments, party bodies, the 三横 bodies of a
//! compound, enterprises and alliances.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Department,
    PartyCommittee,
    PartyBranch,
    PartyGroup,
    NeighbourhoodCommittee,
    PropertyCompany,
    OwnersCommittee,
    Enterprise,
    SocialOrganisation,
    Alliance,
}

impl OrgKind {
    pub const ALL: [OrgKind; 10] = [
        OrgKind::Department,
        OrgKind::PartyCommittee,
        OrgKind::PartyBranch,
        OrgKind::PartyGroup,
        OrgKind::NeighbourhoodCommittee,
        OrgKind::PropertyCompany,
        OrgKind::OwnersCommittee,
        OrgKind::Enterprise,
        OrgKind::SocialOrganisation,
        OrgKind::Alliance,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Department => "department",
            OrgKind::PartyCommittee => "party_committee",
            OrgKind::PartyBranch => "party_branch",
            OrgKind::PartyGroup => "party_group",
            OrgKind::NeighbourhoodCommittee => "neighbourhood_committee",
            OrgKind::PropertyCompany => "property_company",
            OrgKind::OwnersCommittee => "owners_committee",
            OrgKind::Enterprise => "enterprise",
            OrgKind::SocialOrganisation => "social_organisation",
            OrgKind::Alliance => "alliance",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            OrgKind::Department => "职能部门",
            OrgKind::PartyCommittee => "党委",
            OrgKind::PartyBranch => "党支部",
            OrgKind::PartyGroup => "党小组",
            OrgKind::NeighbourhoodCommittee => "居委会",
            OrgKind::PropertyCompany => "物业公司",
            OrgKind::OwnersCommittee => "业主委员会",
            OrgKind::Enterprise => "企业",
            OrgKind::SocialOrganisation => "社会组织",
            OrgKind::Alliance => "联盟",
        }
    }

    pub fn parse(s: &str) -> Result<OrgKind> {
        OrgKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.label_zh() == s)
            .ok_or_else(|| {
                Error::invalid(
                    "kind",
                    "org_kind",
                    format!("未知的组织类型“{s}”"),
                    format!("unknown organisation kind '{s}'"),
                )
            })
    }

    /// Whether a case may be given to organisations of this kind to handle:
    /// departments, property companies and neighbourhood committees answer
    /// for cases; party bodies, owners' committees, alliances and private
    /// enterprises (a barber's, a car wash) are not handlers.
    pub fn handles_cases(self) -> bool {
        matches!(
            self,
            OrgKind::Department | OrgKind::PropertyCompany | OrgKind::NeighbourhoodCommittee
        )
    }

    /// Whether organisations of this kind are legal entities that carry a credit code.
    pub fn has_credit_code(self) -> bool {
        !matches!(self, OrgKind::PartyGroup | OrgKind::Alliance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for k in OrgKind::ALL {
            assert_eq!(OrgKind::parse(k.as_str()).unwrap(), k);
            assert_eq!(OrgKind::parse(k.label_zh()).unwrap(), k);
        }
        assert_eq!(OrgKind::parse("club").unwrap_err().code(), "org_kind");
    }
}
