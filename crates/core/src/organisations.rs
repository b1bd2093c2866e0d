//! Organisations attached to units: departments, party bodies, the 三横 bodies of a
//! compound, enterprises and alliances.

crate::wire_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum OrgKind {
        Department => "department",
        PartyCommittee => "party_committee",
        PartyBranch => "party_branch",
        PartyGroup => "party_group",
        NeighbourhoodCommittee => "neighbourhood_committee",
        PropertyCompany => "property_company",
        OwnersCommittee => "owners_committee",
        Enterprise => "enterprise",
        SocialOrganisation => "social_organisation",
        Alliance => "alliance",
    }
    parse: Noun::new("kind", "org_kind", "组织类型", "organisation kind").or_label(OrgKind::label_zh);
}

impl OrgKind {
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
