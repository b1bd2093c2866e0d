//! Masking of personal data for display: what every screen, API answer and export
//! shows unless the viewer may, and explicitly asks to, see the value in full.

mod text;
pub use text::public_text;

/// `371702********123X`: the region code and the last four characters.
pub fn id_number(s: &str) -> String {
    keep_ends(s, 6, 4)
}

/// The year of a birth date (`1980` for `1980-01-01`). The eight digits a
/// masked ID number hides are the birth date, so wherever the ID number is
/// masked the birth date is shown as its year only.
pub fn birth_year(date: &str) -> i32 {
    date.get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or_default()
}

/// `138****5678` for a mobile; `0530-***1234` for a landline.
pub fn phone(s: &str) -> String {
    match s.split_once('-') {
        Some((area, rest)) => format!("{area}-{}", keep_ends(rest, 0, 4)),
        None => keep_ends(s, 3, 4),
    }
}

/// The detail below the building (unit and room) is hidden entirely.
pub fn address_detail(s: &str) -> String {
    if s.is_empty() {
        String::new()
    } else {
        "****".to_string()
    }
}

fn keep_ends(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..head].iter().collect();
    out.extend(std::iter::repeat_n('*', chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks() {
        assert_eq!(super::id_number("37170219800101123X"), "371702********123X");
        assert_eq!(super::phone("13812345678"), "138****5678");
        assert_eq!(super::phone("0530-5551234"), "0530-***1234");
        assert_eq!(super::address_detail("2单元301室"), "****");
        assert_eq!(super::id_number("123"), "***");
        assert_eq!(super::birth_year("1980-01-01"), 1980);
        assert_eq!(super::birth_year(""), 0);
    }
}
