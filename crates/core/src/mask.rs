//! Masking of personal data for display: what every screen, API answer and export
//! shows unless the viewer may, and explicitly asks to, see the value in full.

/// `371702********123X`: the region code and the last four characters.
pub fn id_number(s: &str) -> String {
    keep_ends(s, 6, 4)
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
    }
}
