//! National identifiers: the resident ID number (GB 11643-1999), the unified social
//! credit code (GB 32100-2015) and telephone numbers.

use crate::error::{Error, Result};
use time::{Date, Month};

crate::wire_enum! {
    /// Sex as encoded in the ID number's sequence digit (odd = male).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Sex {
        Male => "male",
        Female => "female",
    }
    parse: exact;
}

/// A validated 18-character resident ID number and what it encodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentId {
    value: String,
    pub birth_date: Date,
    pub sex: Sex,
}

impl ResidentId {
    pub fn as_str(&self) -> &str {
        &self.value
    }
    pub fn region_code(&self) -> &str {
        &self.value[..6]
    }
}

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

/// Two-digit province codes of GB/T 2260, plus 71 (Taiwan) and the 81/82/83
/// prefixes used by Hong Kong, Macau and Taiwan residence permits.
const PROVINCES: [u8; 35] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
];

/// Folds full-width digits and letters to ASCII and upper-cases `x`, which is how
/// ID numbers arrive from phones with Chinese input methods.
fn fold_width(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            'ｘ' | 'Ｘ' | 'x' => 'X',
            other => other,
        })
        .collect()
}

/// The check character for the first 17 digits (ISO 7064 MOD 11-2).
pub fn id_check_char(first17: &[u8]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    char::from(ID_CHECK[(sum % 11) as usize])
}

fn id_err(code: &'static str, zh: &str, en: &str) -> Error {
    Error::invalid("id_number", code, zh, en)
}

/// Validates a resident ID number as of `today`.
pub fn parse_resident_id(input: &str, today: Date) -> Result<ResidentId> {
    let s = fold_width(input);
    let b = s.as_bytes();
    if b.len() == 15 && b.iter().all(u8::is_ascii_digit) {
        return Err(id_err(
            "id_number_legacy",
            "这是15位旧身份证号码,请填写18位身份证号码",
            "this is an old 15-digit ID number; the 18-character number is needed",
        ));
    }
    if b.len() != 18 {
        return Err(id_err(
            "id_number_length",
            "身份证号码应为18位",
            "an ID number has 18 characters",
        ));
    }
    if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
        return Err(id_err(
            "id_number_format",
            "身份证号码前17位应为数字,最后一位为数字或X",
            "an ID number is 17 digits followed by a digit or X",
        ));
    }
    let province = (b[0] - b'0') * 10 + (b[1] - b'0');
    if !PROVINCES.contains(&province) || &s[2..6] == "0000" {
        return Err(id_err(
            "id_number_region",
            "身份证号码的地区码不存在",
            "the region code of the ID number does not exist",
        ));
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u16>().unwrap_or(0);
    let birth = Month::try_from(num(10..12) as u8)
        .ok()
        .and_then(|m| Date::from_calendar_date(i32::from(num(6..10)), m, num(12..14) as u8).ok());
    let birth_date = match birth {
        Some(d) if d <= today && d.year() >= 1900 => d,
        _ => {
            return Err(id_err(
                "id_number_birth_date",
                "身份证号码中的出生日期无效或在未来",
                "the birth date in the ID number is not a real past date",
            ))
        }
    };
    if id_check_char(&b[..17]) != char::from(b[17]) {
        return Err(id_err(
            "id_number_checksum",
            "身份证号码校验位错误,请核对",
            "the check character of the ID number is wrong; please check the number",
        ));
    }
    let sex = if (b[16] - b'0') % 2 == 1 {
        Sex::Male
    } else {
        Sex::Female
    };
    Ok(ResidentId {
        value: s,
        birth_date,
        sex,
    })
}

const USCC_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// A validated unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditCode {
    value: String,
    /// Set when the embedded organisation code (positions 9–17) fails its own
    /// check: some lawful early codes do, so this is a warning, not a rejection.
    pub org_code_warning: bool,
}

impl CreditCode {
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

fn uscc_value(c: u8) -> Option<u32> {
    USCC_CHARS.iter().position(|&x| x == c).map(|p| p as u32)
}

/// The check character for the first 17 characters of a credit code.
pub fn credit_check_char(first17: &[u8]) -> Option<char> {
    let mut sum = 0;
    for (c, w) in first17.iter().zip(USCC_WEIGHTS) {
        sum += uscc_value(*c)? * w;
    }
    Some(char::from(USCC_CHARS[((31 - sum % 31) % 31) as usize]))
}

fn org_code_ok(code: &[u8]) -> bool {
    let digit = |c: u8| -> Option<u32> {
        match c {
            b'0'..=b'9' => Some(u32::from(c - b'0')),
            b'A'..=b'Z' => Some(u32::from(c - b'A') + 10),
            _ => None,
        }
    };
    let mut sum = 0;
    for (c, w) in code[..8].iter().zip(ORG_WEIGHTS) {
        match digit(*c) {
            Some(v) => sum += v * w,
            None => return false,
        }
    }
    let expected = match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        n => b'0' + n as u8,
    };
    code[8] == expected
}

/// Validates a unified social credit code (GB 32100-2015).
pub fn parse_credit_code(input: &str) -> Result<CreditCode> {
    let s = fold_width(input).to_ascii_uppercase();
    let b = s.as_bytes();
    let err = |code, zh: &str, en: &str| Error::invalid("credit_code", code, zh, en);
    if b.len() != 18 {
        return Err(err(
            "credit_code_length",
            "统一社会信用代码应为18位",
            "a unified social credit code has 18 characters",
        ));
    }
    if b.iter().any(|&c| uscc_value(c).is_none()) {
        return Err(err(
            "credit_code_format",
            "统一社会信用代码含有不允许的字符(不使用I、O、Z、S、V)",
            "the credit code has a character outside its alphabet (I, O, Z, S, V are not used)",
        ));
    }
    if credit_check_char(&b[..17]) != Some(char::from(b[17])) {
        return Err(err(
            "credit_code_checksum",
            "统一社会信用代码校验位错误,请核对",
            "the check character of the credit code is wrong; please check the code",
        ));
    }
    Ok(CreditCode {
        org_code_warning: !org_code_ok(&b[8..17]),
        value: s,
    })
}

/// A mainland telephone number in its normal form: 11 digits for a mobile,
/// `0AAA-NNNNNNN` (optionally `-EXT`) for a landline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn is_mobile(&self) -> bool {
        self.0.starts_with('1')
    }
}

/// Validates and normalises a mainland mobile or landline number.
pub fn parse_phone(input: &str) -> Result<Phone> {
    let folded = fold_width(input);
    let compact: String = folded
        .chars()
        .filter(|c| !matches!(c, ' ' | '(' | ')'))
        .collect();
    let national = compact
        .strip_prefix("+86")
        .or_else(|| compact.strip_prefix("0086"))
        .map(str::to_string)
        .unwrap_or(compact);
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    let mobile = national.replace('-', "");
    if mobile.len() == 11 && all_digits(&mobile) && mobile.starts_with('1') {
        if matches!(mobile.as_bytes()[1], b'3'..=b'9') {
            return Ok(Phone(mobile));
        }
    } else if let Some(p) = parse_landline(&national) {
        return Ok(Phone(p));
    }
    Err(Error::invalid(
        "phone",
        "phone_format",
        "电话号码格式不正确:请填写11位手机号或带区号的固定电话(如 0530-5551234)",
        "not a phone number: give an 11-digit mobile or a landline with its area code (e.g. 0530-5551234)",
    ))
}

fn parse_landline(s: &str) -> Option<String> {
    let parts: Vec<&str> = s.split('-').collect();
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit());
    if !parts.iter().all(|p| digits(p)) || !s.starts_with('0') {
        return None;
    }
    let (area, local, ext) = match parts.as_slice() {
        [area, local] => (area.to_string(), local.to_string(), None),
        [area, local, ext] => (area.to_string(), local.to_string(), Some(*ext)),
        [joined] => {
            // Without a separator the area code is 3 digits for 010 and 02x, else 4.
            let split = if joined.starts_with("01") || joined.starts_with("02") {
                3
            } else {
                4
            };
            if joined.len() <= split {
                return None;
            }
            (
                joined[..split].to_string(),
                joined[split..].to_string(),
                None,
            )
        }
        _ => return None,
    };
    let ok = (3..=4).contains(&area.len())
        && (7..=8).contains(&local.len())
        && !local.starts_with('0')
        && ext.is_none_or(|e| e.len() <= 6);
    ok.then(|| match ext {
        Some(e) => format!("{area}-{local}-{e}"),
        None => format!("{area}-{local}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 24);

    #[test]
    fn accepts_the_published_test_vectors() {
        let id = parse_resident_id("11010519491231002X", TODAY).unwrap();
        assert_eq!(id.birth_date, date!(1949 - 12 - 31));
        assert_eq!(id.sex, Sex::Female);
        let id = parse_resident_id("440524188001010014", TODAY);
        // 1880 is before 1900: implausible for a living resident.
        assert_eq!(id.unwrap_err().code(), "id_number_birth_date");
    }

    #[test]
    fn normalises_lowercase_x_and_full_width_digits() {
        let id = parse_resident_id("11010519491231002x", TODAY).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        let id = parse_resident_id("１１０１０５１９４９１２３１００２Ｘ", TODAY).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn rejects_bad_numbers_with_a_reason() {
        let code = |s| parse_resident_id(s, TODAY).unwrap_err().code();
        assert_eq!(code("110105194912310021"), "id_number_checksum");
        assert_eq!(code("110105491231002"), "id_number_legacy");
        assert_eq!(code("1101051949123100"), "id_number_length");
        assert_eq!(code("1101051949123100AX"), "id_number_format");
        assert_eq!(code("990105194912310020"), "id_number_region");
        // 30 February, and a birth date after today.
        let feb30 = format!("11010519490230002{}", id_check_char(b"11010519490230002"));
        assert_eq!(code(&feb30), "id_number_birth_date");
        let future = format!("11010520270101002{}", id_check_char(b"11010520270101002"));
        assert_eq!(code(&future), "id_number_birth_date");
    }

    #[test]
    fn credit_code_checks() {
        let c = parse_credit_code("91110000802100433B").unwrap();
        assert!(!c.org_code_warning);
        assert_eq!(
            parse_credit_code("91110000802100433C").unwrap_err().code(),
            "credit_code_checksum"
        );
        assert_eq!(
            parse_credit_code("9111000080210043IB").unwrap_err().code(),
            "credit_code_format"
        );
        assert_eq!(
            parse_credit_code("9111").unwrap_err().code(),
            "credit_code_length"
        );
    }

    #[test]
    fn phones() {
        assert_eq!(
            parse_phone("138 0000 5678").unwrap().as_str(),
            "13800005678"
        );
        assert_eq!(
            parse_phone("+86 13800005678").unwrap().as_str(),
            "13800005678"
        );
        assert_eq!(
            parse_phone("0530-5551234").unwrap().as_str(),
            "0530-5551234"
        );
        assert_eq!(parse_phone("05305551234").unwrap().as_str(), "0530-5551234");
        assert_eq!(
            parse_phone("010-62751234-808").unwrap().as_str(),
            "010-62751234-808"
        );
        for bad in [
            "12800005678",
            "1380000567",
            "abc",
            "",
            "0530-0551234",
            "5551234",
        ] {
            assert_eq!(
                parse_phone(bad).unwrap_err().code(),
                "phone_format",
                "{bad}"
            );
        }
    }

    proptest! {
        #[test]
        fn any_number_with_the_computed_check_char_is_accepted(
            region in prop::sample::select(vec!["371702", "110105", "440524", "371799"]),
            days in 0i64..40_000, seq in 0u16..1000,
        ) {
            let birth = date!(1910 - 01 - 01) + time::Duration::days(days);
            prop_assume!(birth <= TODAY);
            let first17 = format!("{region}{:04}{:02}{:02}{seq:03}",
                birth.year(), birth.month() as u8, birth.day());
            let full = format!("{first17}{}", id_check_char(first17.as_bytes()));
            let id = parse_resident_id(&full, TODAY).unwrap();
            prop_assert_eq!(id.birth_date, birth);
            prop_assert_eq!(id.sex == Sex::Male, seq % 2 == 1);
            // Changing any one of the first 17 digits must be caught.
            for pos in 0..17 {
                let mut b = full.clone().into_bytes();
                b[pos] = if b[pos] == b'9' { b'0' } else { b[pos] + 1 };
                let s = String::from_utf8(b).unwrap();
                prop_assert!(parse_resident_id(&s, TODAY).is_err(), "{}", s);
            }
        }

        #[test]
        fn credit_codes_with_the_computed_check_char_are_accepted(
            body in "[0-9A-HJ-NP-RTUWXY]{17}"
        ) {
            let check = credit_check_char(body.as_bytes()).unwrap();
            let code = format!("{body}{check}");
            prop_assert!(parse_credit_code(&code).is_ok());
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,30}") {
            let _ = parse_resident_id(&s, TODAY);
            let _ = parse_credit_code(&s);
            let _ = parse_phone(&s);
        }
    }
}
