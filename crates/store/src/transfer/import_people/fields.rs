//! The people sheet's own fields: 政治面貌 and the address within a building.

use super::super::RowIssue;

/// 政治面貌 as GB/T 4762 names them, in the short forms registries use, with
/// the other ways offices write them.
const POLITICAL: &[(&str, &[&str])] = &[
    ("中共党员", &["中国共产党党员", "党员", "共产党员"]),
    ("中共预备党员", &["中国共产党预备党员", "预备党员"]),
    ("共青团员", &["中国共产主义青年团团员", "团员"]),
    ("民革会员", &["中国国民党革命委员会会员", "民革党员"]),
    ("民盟盟员", &["中国民主同盟盟员"]),
    ("民建会员", &["中国民主建国会会员"]),
    ("民进会员", &["中国民主促进会会员"]),
    ("农工党党员", &["中国农工民主党党员"]),
    ("致公党党员", &["中国致公党党员"]),
    ("九三学社社员", &[]),
    ("台盟盟员", &["台湾民主自治同盟盟员"]),
    ("无党派人士", &["无党派民主人士", "无党派"]),
    ("群众", &[]),
];

pub fn political_status(s: &str) -> Result<&'static str, RowIssue> {
    let s = s.trim();
    POLITICAL
        .iter()
        .find(|(name, aliases)| *name == s || aliases.contains(&s))
        .map(|(name, _)| *name)
        .ok_or_else(|| {
            let all: Vec<&str> = POLITICAL.iter().map(|(n, _)| *n).collect();
            RowIssue::new(
                "political_status",
                format!("未知的政治面貌“{s}”,可选:{}", all.join("、")),
                format!("unknown political status '{s}'; one of {}", all.join(", ")),
            )
            .at("political_status")
        })
}

/// "2单元301室" from the entrance ("2") and room ("301") columns.
pub fn compose_address(entrance: Option<&str>, room: Option<&str>) -> Option<String> {
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let e = entrance.map(|e| {
        if digits(e) {
            format!("{e}单元")
        } else {
            e.to_string()
        }
    });
    let r = room.map(|r| {
        if digits(r) {
            format!("{r}室")
        } else {
            r.to_string()
        }
    });
    match (e, r) {
        (None, None) => None,
        (e, r) => Some(format!(
            "{}{}",
            e.unwrap_or_default(),
            r.unwrap_or_default()
        )),
    }
}

/// The inverse of [`compose_address`], for exports: ("2", "301") from "2单元301室".
pub fn split_address(a: &str) -> (String, String) {
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let (entrance, room) = match a.split_once("单元") {
        Some((e, r)) if digits(e) => (e.to_string(), r.to_string()),
        _ => (String::new(), a.to_string()),
    };
    let room = match room.strip_suffix('室') {
        Some(r) if digits(r) => r.to_string(),
        _ => room,
    };
    (entrance, room)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_compose_and_split() {
        assert_eq!(
            compose_address(Some("2"), Some("301")).unwrap(),
            "2单元301室"
        );
        assert_eq!(compose_address(None, Some("301")).unwrap(), "301室");
        assert_eq!(
            compose_address(Some("2单元"), Some("A301")).unwrap(),
            "2单元A301"
        );
        assert_eq!(compose_address(None, None), None);
        for a in ["2单元301室", "301室", "A座1201", "2单元"] {
            let (e, r) = split_address(a);
            let back = compose_address(
                Some(e.as_str()).filter(|s| !s.is_empty()),
                Some(r.as_str()).filter(|s| !s.is_empty()),
            );
            assert_eq!(back.as_deref(), Some(a), "{a}");
        }
    }

    #[test]
    fn political_status_accepts_common_forms() {
        assert_eq!(political_status("党员").unwrap(), "中共党员");
        assert_eq!(
            political_status("中国共产主义青年团团员").unwrap(),
            "共青团员"
        );
        assert_eq!(political_status("群众").unwrap(), "群众");
        assert_eq!(
            political_status("团委").unwrap_err().code,
            "political_status"
        );
    }
}
