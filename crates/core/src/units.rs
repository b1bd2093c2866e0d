//! The org tree: zone → street → community → compound → building, with grids as
//! leaves under a community, and the national grid-coding rule for unit codes.

use crate::error::{Error, Result};

crate::wire_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum UnitKind {
        Zone => "zone",
        Street => "street",
        Community => "community",
        Compound => "compound",
        Building => "building",
        Grid => "grid",
    }
    parse: Noun::new("kind", "unit_kind", "单元类型", "unit kind").listed();
}

impl UnitKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            UnitKind::Zone => "区",
            UnitKind::Street => "街道/镇",
            UnitKind::Community => "社区/村",
            UnitKind::Compound => "小区",
            UnitKind::Building => "楼栋",
            UnitKind::Grid => "网格",
        }
    }

    /// The kind a unit of this kind may be placed under; `None` for a root.
    pub fn parent_kind(self) -> Option<UnitKind> {
        match self {
            UnitKind::Zone => None,
            UnitKind::Street => Some(UnitKind::Zone),
            UnitKind::Community => Some(UnitKind::Street),
            UnitKind::Compound | UnitKind::Grid => Some(UnitKind::Community),
            UnitKind::Building => Some(UnitKind::Compound),
        }
    }

    /// Length of a code of this kind: 6-digit county, +3 street, +3 community,
    /// +3 grid or compound sequence, +3 building sequence.
    pub fn code_len(self) -> usize {
        match self {
            UnitKind::Zone => 6,
            UnitKind::Street => 9,
            UnitKind::Community => 12,
            UnitKind::Compound | UnitKind::Grid => 15,
            UnitKind::Building => 18,
        }
    }
}

/// Checks that a unit of `kind` may sit under `parent` (or at the root).
pub fn check_nesting(kind: UnitKind, parent: Option<UnitKind>) -> Result<()> {
    if kind.parent_kind() == parent {
        return Ok(());
    }
    let (zh, en) = match kind.parent_kind() {
        // Reaching here with no parent kind means a root was given a parent.
        None => (
            format!("{}是最上级单元,不能放在其他单元之下", kind.label_zh()),
            format!(
                "a {} is a root unit and cannot be placed under another unit",
                kind.as_str()
            ),
        ),
        Some(want) => (
            format!("{}只能放在{}之下", kind.label_zh(), want.label_zh()),
            format!(
                "a {} can only be placed under a {}",
                kind.as_str(),
                want.as_str()
            ),
        ),
    };
    Err(Error::invalid("parent", "unit_nesting", zh, en))
}

/// Validates a county code given for a new zone.
pub fn check_zone_code(code: &str) -> Result<()> {
    if code.len() == 6 && code.bytes().all(|c| c.is_ascii_digit()) && !code.starts_with('0') {
        Ok(())
    } else {
        Err(Error::invalid(
            "code",
            "unit_code",
            "区的代码应为6位县级行政区划代码",
            "a zone's code is its 6-digit county-level division code",
        ))
    }
}

/// The code of the `seq`-th child of a unit: the parent's code and a 3-digit sequence.
/// Sequences are never reused, so a code stays with its unit.
pub fn child_code(parent_code: &str, seq: i64) -> Result<String> {
    if !(1..=999).contains(&seq) {
        return Err(Error::conflict(
            "unit_code_exhausted",
            "该单元下的编码(001–999)已用完",
            "all child codes (001–999) under this unit are used",
        ));
    }
    Ok(format!("{parent_code}{seq:03}"))
}

/// Validates a unit name: 1 to 100 characters, no control characters.
pub fn check_name(name: &str) -> Result<String> {
    crate::people::check_text("name", name, 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_follows_the_tree_order() {
        use UnitKind::*;
        assert!(check_nesting(Zone, None).is_ok());
        assert!(check_nesting(Street, Some(Zone)).is_ok());
        assert!(check_nesting(Grid, Some(Community)).is_ok());
        assert!(check_nesting(Building, Some(Compound)).is_ok());
        let e = check_nesting(Building, Some(Street)).unwrap_err();
        assert_eq!(e.code(), "unit_nesting");
        assert!(e
            .to_string()
            .contains("building can only be placed under a compound"));
        assert!(check_nesting(Zone, Some(Street)).is_err());
        assert!(check_nesting(Street, None).is_err());
    }

    #[test]
    fn codes() {
        assert_eq!(child_code("371799", 1).unwrap(), "371799001");
        assert_eq!(child_code("371799001", 999).unwrap(), "371799001999");
        assert!(child_code("371799", 1000).is_err());
        assert!(check_zone_code("371799").is_ok());
        assert!(check_zone_code("37179").is_err());
        assert!(check_zone_code("37a799").is_err());
        for k in UnitKind::ALL {
            assert_eq!(UnitKind::parse(k.as_str()).unwrap(), k);
            if let Some(p) = k.parent_kind() {
                assert_eq!(p.code_len() + 3, k.code_len());
            }
        }
    }
}
