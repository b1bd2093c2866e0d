//! Residents: validation of what is recorded about a person, and household relations.

use crate::error::{Error, Result};
use crate::ids::{parse_phone, parse_resident_id, Phone, ResidentId};
use time::Date;

/// Trims `s` and checks it is 1..=`max` characters with no control characters.
/// Any script is kept as given: rare CJK (Extension B and later), minority-name
/// middle dots and emoji are all legitimate in names.
pub fn check_text(field: &str, s: &str, max: usize) -> Result<String> {
    let t = s.trim();
    let n = t.chars().count();
    if n == 0 {
        return Err(Error::invalid(
            field,
            "required",
            "不能为空",
            "must not be empty",
        ));
    }
    if n > max {
        return Err(Error::invalid(
            field,
            "too_long",
            format!("不能超过{max}个字符(现为{n}个)"),
            format!("at most {max} characters (got {n})"),
        ));
    }
    if t.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            "control_character",
            "含有不可见的控制字符",
            "contains an invisible control character",
        ));
    }
    Ok(t.to_string())
}

/// A person's details after validation, ready to store.
#[derive(Debug, Clone)]
pub struct ValidPerson {
    pub name: String,
    pub id: ResidentId,
    pub phone: Option<Phone>,
    pub address_detail: Option<String>,
}

/// Validates the fields of a new person as of `today`.
pub fn validate_person(
    name: &str,
    id_number: &str,
    phone: Option<&str>,
    address_detail: Option<&str>,
    today: Date,
) -> Result<ValidPerson> {
    Ok(ValidPerson {
        name: check_text("name", name, 50)?,
        id: parse_resident_id(id_number, today)?,
        phone: optional(phone).map(parse_phone).transpose()?,
        address_detail: optional(address_detail)
            .map(|a| check_text("address_detail", a, 100))
            .transpose()?,
    })
}

/// Treats an absent or blank optional field alike.
pub fn optional(s: Option<&str>) -> Option<&str> {
    s.filter(|v| !v.trim().is_empty())
}

crate::wire_enum! {
    /// A household member's relation to the head (与户主关系).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Relation {
        Head => "head",
        Spouse => "spouse",
        Child => "child",
        ChildInLaw => "child_in_law",
        Parent => "parent",
        Grandchild => "grandchild",
        Grandparent => "grandparent",
        Sibling => "sibling",
        Other => "other",
    }
    parse: Noun::new("relation", "relation", "与户主关系", "relation to the head").or_label(Relation::label_zh).trimmed();
}

impl Relation {
    pub fn label_zh(self) -> &'static str {
        match self {
            Relation::Head => "户主",
            Relation::Spouse => "配偶",
            Relation::Child => "子女",
            Relation::ChildInLaw => "儿媳/女婿",
            Relation::Parent => "父母",
            Relation::Grandchild => "孙子女",
            Relation::Grandparent => "祖父母",
            Relation::Sibling => "兄弟姐妹",
            Relation::Other => "其他",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn names_in_any_script_are_kept_intact() {
        for name in ["𠀀𪚥明", "阿依古丽·买买提", "Zhang 三 🌸", "  李娜 "] {
            let p = validate_person(
                name,
                "11010519491231002X",
                None,
                None,
                date!(2026 - 01 - 01),
            )
            .unwrap();
            assert_eq!(p.name, name.trim());
        }
    }

    #[test]
    fn bad_text_is_refused() {
        assert_eq!(check_text("name", "  ", 50).unwrap_err().code(), "required");
        assert_eq!(
            check_text("name", &"张".repeat(51), 50).unwrap_err().code(),
            "too_long"
        );
        assert_eq!(
            check_text("name", "张\u{7}三", 50).unwrap_err().code(),
            "control_character"
        );
    }

    #[test]
    fn relation_accepts_code_or_label() {
        assert_eq!(Relation::parse("户主").unwrap(), Relation::Head);
        assert_eq!(Relation::parse("spouse").unwrap(), Relation::Spouse);
        assert!(Relation::parse("邻居").is_err());
    }
}
