//! Phone and ID numbers inside free text that the public reads (a resident's
//! description, a refusal's reason). People write numbers in every way:
//! `138.1234.5678`, `(138)1234-5678`, fullwidth `１３８…`, `一三八…`, with
//! spaces, slashes or fullwidth commas between the groups. The digits are read
//! through whatever separates them before deciding what to hide, so no way of
//! writing a number lets it through.

/// The most separator characters between two digits of one number (`" - "`).
const MAX_GAP: usize = 3;
/// Digits joined without a gap, or by single spaces or hyphens (the way
/// landlines are written, `0530-5551234`), are masked from this many on when
/// one group has [`LONG_GROUP`] digits or more (so dates such as `2026-11-24`
/// are left alone).
const TIGHT_MIN: usize = 7;
const LONG_GROUP: usize = 5;

/// The digit a character stands for: ASCII, fullwidth, or a Chinese numeral.
fn digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '\u{ff10}'..='\u{ff19}' => char::from_u32(c as u32 - 0xff10 + '0' as u32),
        '〇' | '零' => Some('0'),
        '一' | '幺' => Some('1'),
        '二' => Some('2'),
        '三' => Some('3'),
        '四' => Some('4'),
        '五' => Some('5'),
        '六' => Some('6'),
        '七' => Some('7'),
        '八' => Some('8'),
        '九' => Some('9'),
        _ => None,
    }
}

/// Characters that may stand between the digits of one number: spaces and
/// punctuation of any width (ASCII, Latin-1, general punctuation with its
/// hyphens and dashes, CJK and fullwidth punctuation, the minus sign).
fn separator(c: char) -> bool {
    c.is_whitespace()
        || c.is_ascii_punctuation()
        || matches!(c,
            '\u{a1}'..='\u{bf}'
            | '\u{2000}'..='\u{206f}'
            | '\u{2212}'
            | '\u{3001}'..='\u{3006}'
            | '\u{3008}'..='\u{3020}'
            | '\u{30fb}'
            | '\u{fe30}'..='\u{fe6f}'
            | '\u{ff01}'..='\u{ff0f}'
            | '\u{ff1a}'..='\u{ff20}'
            | '\u{ff3b}'..='\u{ff40}'
            | '\u{ff5b}'..='\u{ff65}')
}

fn is_x(c: char) -> bool {
    matches!(c, 'X' | 'x' | 'Ｘ' | 'ｘ')
}

/// Digits written together, and whether the gap before them (if any) was a
/// single space or hyphen.
struct Group {
    start: usize,
    end: usize,
    digits: String,
    tight_before: bool,
}

/// The groups of digits from `start` on that are at most [`MAX_GAP`]
/// separators apart, and where a final X of an ID number ends, if one follows.
fn groups_at(chars: &[char], start: usize) -> (Vec<Group>, Option<usize>) {
    let mut groups: Vec<Group> = Vec::new();
    let mut i = start;
    let mut tight_before = true;
    loop {
        let from = i;
        let mut digits = String::new();
        while let Some(d) = chars.get(i).copied().and_then(digit) {
            digits.push(d);
            i += 1;
        }
        groups.push(Group {
            start: from,
            end: i,
            digits,
            tight_before,
        });
        let gap = chars[i..]
            .iter()
            .take(MAX_GAP + 1)
            .take_while(|c| separator(**c))
            .count();
        let next = chars.get(i + gap).copied();
        if gap <= MAX_GAP && next.and_then(digit).is_some() {
            tight_before = gap == 1 && matches!(chars[i], ' ' | '-');
            i += gap;
            continue;
        }
        let x = (gap <= MAX_GAP && next.is_some_and(is_x)).then_some(i + gap + 1);
        return (groups, x);
    }
}

/// A number's digits with the middle hidden: the first three and last four of
/// a long one (`138****5678`), only the last four of a shorter one.
fn hide(digits: &str) -> String {
    let n = digits.chars().count();
    let head = if n >= 11 { 3 } else { 0 };
    let tail = 4.min(n);
    digits
        .chars()
        .enumerate()
        .map(|(i, c)| if i < head || i >= n - tail { c } else { '*' })
        .collect()
}

/// The longest number starting at group `i`: the last group it takes and
/// whether it ends in an ID number's X. A phone number has 11 digits (a
/// mobile, or a landline with its area code) or 12 starting with 0; an ID
/// number 18, or 17 and the X. Failing those, digits written tightly count
/// from [`TIGHT_MIN`] on.
fn number_from(groups: &[Group], i: usize, x: bool) -> Option<(usize, bool)> {
    let mut total = 0;
    let mut best = None;
    for (j, g) in groups.iter().enumerate().skip(i) {
        total += g.digits.len();
        let last = j + 1 == groups.len();
        let leading_zero = groups[i].digits.starts_with('0');
        if total == 18 || (total == 17 && last && x) {
            return Some((j, total == 17));
        }
        if total == 11 || (total == 12 && leading_zero) {
            best = Some((j, false));
        }
        if total > 18 {
            break;
        }
    }
    if best.is_some() {
        return best;
    }
    let mut total = groups[i].digits.len();
    let mut long = total >= LONG_GROUP;
    let mut j = i;
    while j + 1 < groups.len() && groups[j + 1].tight_before {
        j += 1;
        total += groups[j].digits.len();
        long |= groups[j].digits.len() >= LONG_GROUP;
    }
    (total >= TIGHT_MIN && long).then_some((j, false))
}

/// Free text for the public: every phone or ID number in it, however it is
/// written, is replaced by its masked digits; the rest is left as it is.
pub fn public_text(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if digit(chars[i]).is_none() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let (groups, x_end) = groups_at(&chars, i);
        let mut g = 0;
        let mut at = i;
        while g < groups.len() {
            // The separators before this group, as written.
            out.extend(&chars[at..groups[g].start]);
            match number_from(&groups, g, x_end.is_some()) {
                Some((j, with_x)) => {
                    let mut digits: String =
                        groups[g..=j].iter().map(|k| k.digits.as_str()).collect();
                    at = groups[j].end;
                    if with_x {
                        digits.push('X');
                        at = x_end.unwrap_or(at);
                    }
                    out.push_str(&hide(&digits));
                    g = j + 1;
                }
                None => {
                    out.extend(&chars[groups[g].start..groups[g].end]);
                    at = groups[g].end;
                    g += 1;
                }
            }
        }
        i = at;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::public_text;
    use proptest::prelude::*;

    #[test]
    fn written_every_way() {
        for s in [
            "13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "138.1234.5678",
            "138_1234_5678",
            "138/1234/5678",
            "138，1234，5678",
            "138  1234  5678",
            "138\u{2010}1234\u{2010}5678",
            "138 - 1234 - 5678",
            "１３８１２３４５６７８",
            "一三八一二三四五六七八",
            "幺三八 一二三四 五六七八",
        ] {
            assert_eq!(public_text(s), "138****5678", "{s}");
            assert_eq!(
                public_text(&format!("电话{s}，3号楼")),
                "电话138****5678，3号楼",
                "{s}"
            );
        }
        assert_eq!(public_text("(138)1234-5678"), "(138****5678");
        assert_eq!(
            public_text("call 138-1234-5678 now"),
            "call 138****5678 now"
        );
        // The number ends where the next one starts, not at the next digit.
        assert_eq!(public_text("13812345678，3号楼"), "138****5678，3号楼");
        assert_eq!(public_text("+86 138 1234 5678"), "+86 138****5678");
    }

    #[test]
    fn id_numbers() {
        assert_eq!(
            public_text("身份证37179919800101123X"),
            "身份证371***********123X"
        );
        assert_eq!(
            public_text("身份证 371799 19800101 123x。"),
            "身份证 371***********123X。"
        );
        assert_eq!(public_text("371799198001010025"), "371***********0025");
    }

    #[test]
    fn landlines_and_short_numbers() {
        assert_eq!(public_text("0530-5551234"), "053****1234");
        assert_eq!(public_text("5551234"), "***1234");
        // Ordinary numbers stay as they are.
        for s in [
            "2号楼 301室, 50米",
            "10:00-12:00",
            "2026-11-24 10:00",
            "2026年11月24日",
            "3号楼2单元",
            "一二月份",
            "第1、2、3条",
            "",
        ] {
            assert_eq!(public_text(s), s);
        }
    }

    fn styled(d: u8, style: u8) -> char {
        let zh = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
        match style % 3 {
            0 => char::from(b'0' + d),
            1 => char::from_u32(0xff10 + u32::from(d)).unwrap_or('0'),
            _ => zh[usize::from(d)],
        }
    }

    const SEPARATORS: &[char] = &[
        ' ', '.', '-', '_', '/', '，', ',', '、', '\u{2010}', '\u{2014}', '\u{3000}', '(', ')',
        '（', '）', '·', '~', '|', ':',
    ];

    /// `digits` written with a style per digit and up to three separators
    /// between any two.
    fn written(digits: &[u8], styles: &[u8], gaps: &[Vec<usize>]) -> String {
        let mut s = String::new();
        for (i, d) in digits.iter().enumerate() {
            s.push(styled(*d, styles[i % styles.len()]));
            if i + 1 < digits.len() {
                for g in &gaps[i % gaps.len()] {
                    s.push(SEPARATORS[g % SEPARATORS.len()]);
                }
            }
        }
        s
    }

    fn ascii_digits(s: &str) -> String {
        s.chars().filter_map(super::digit).collect()
    }

    proptest! {
        #[test]
        fn no_mobile_survives(
            rest in proptest::collection::vec(0u8..10, 9),
            second in 3u8..10,
            styles in proptest::collection::vec(0u8..3, 1..11),
            gaps in proptest::collection::vec(proptest::collection::vec(0usize..40, 0..4), 1..10),
            before in "[a-z号楼室，。 ]{0,6}",
            after in "[a-z号楼室，。 ]{0,6}",
        ) {
            let mut digits = vec![1, second];
            digits.extend(rest);
            let number: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
            let text = format!("{before}{}{after}", written(&digits, &styles, &gaps));
            let out = public_text(&text);
            prop_assert!(!ascii_digits(&out).contains(&number), "{text} -> {out}");
            prop_assert!(out.contains("****"), "{text} -> {out}");
        }

        #[test]
        fn no_id_number_survives(
            digits in proptest::collection::vec(0u8..10, 17),
            x in any::<bool>(),
            styles in proptest::collection::vec(0u8..3, 1..18),
            gaps in proptest::collection::vec(proptest::collection::vec(0usize..40, 0..4), 1..17),
        ) {
            let mut text = written(&digits, &styles, &gaps);
            text.push(if x { 'X' } else { '5' });
            let birth: String = digits[6..14].iter().map(|d| char::from(b'0' + d)).collect();
            let out = public_text(&text);
            prop_assert!(!ascii_digits(&out).contains(&birth), "{text} -> {out}");
        }

        #[test]
        fn text_without_digits_is_unchanged(s in "[^0-9０-９〇零一幺二三四五六七八九]{0,40}") {
            prop_assert_eq!(public_text(&s), s);
        }
    }
}
