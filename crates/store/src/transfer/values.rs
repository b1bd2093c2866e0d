//! Cells as spreadsheets hold them, and their conversion into the text, codes
//! and dates the registry needs. Offices' sheets are full of values that look
//! right on screen and are wrong underneath (ID numbers that Excel turned into
//! 3.71702E+17, dates as serial numbers, numbers stored as text); each is either
//! read as the person meant it or refused with an explanation.

use super::RowIssue;
use time::{Date, Duration, Month};

pub use wangge_formats::sheet::Cell;
use wangge_formats::sheet::{number_text, EXACT_INTEGER as EXACT};

fn formula_issue() -> RowIssue {
    RowIssue::new(
        "formula",
        "该单元格是公式;请复制该列后“选择性粘贴→数值”再导入",
        "the cell holds a formula; copy the column and paste it as values before importing",
    )
}

fn error_issue(e: &str) -> RowIssue {
    RowIssue::new(
        "cell_error",
        format!("该单元格是错误值{e},请改正"),
        format!("the cell holds the error value {e}; correct it"),
    )
}

/// Refuses formulas and error values, which are never imported as they are.
pub fn check_plain(cell: &Cell) -> Result<(), RowIssue> {
    match cell {
        Cell::Formula => Err(formula_issue()),
        Cell::Error(e) => Err(error_issue(e)),
        Cell::BadEncoding => Err(RowIssue::new(
            "bad_encoding",
            "该单元格含有无法识别的字符:文件可能不是UTF-8或GBK编码;请在Excel中“另存为→CSV UTF-8”后再导入",
            "the cell has characters that do not decode: the file may be in neither UTF-8 nor GBK; save it as \"CSV UTF-8\" and import again",
        )),
        _ => Ok(()),
    }
}

/// Plain text: trimmed, `None` when blank. Numbers are written without a
/// spurious `.0`; dates as YYYY-MM-DD.
pub fn text(cell: &Cell) -> Result<Option<String>, RowIssue> {
    check_plain(cell)?;
    Ok(cell.plain_text())
}

/// Whether text is a number in Excel's scientific display, `3.71702E+17`.
fn is_scientific(s: &str) -> bool {
    let s = s.trim();
    let Some((mantissa, exp)) = s.split_once(['E', 'e']) else {
        return false;
    };
    let exp = exp.strip_prefix('+').unwrap_or(exp);
    !mantissa.is_empty()
        && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.')
        && mantissa.chars().filter(|&c| c == '.').count() <= 1
        && !exp.is_empty()
        && exp.chars().all(|c| c.is_ascii_digit())
}

fn rounded_issue(shown: &str) -> RowIssue {
    RowIssue::new(
        "number_rounded",
        format!(
            "该值被Excel存成了数字(显示为{shown}),超过15位的部分已丢失,无法还原;\
             请把该列设为“文本”格式后重新录入(或在数字前加英文单引号')"
        ),
        format!(
            "Excel stored this value as a number (shown as {shown}) and lost the digits after the 15th; \
             it cannot be recovered: format the column as Text and enter the values again (or prefix them with ')"
        ),
    )
}

/// An identifier made of digits and letters (ID number, phone, code): numbers
/// are accepted only where Excel kept every digit.
pub fn ident(cell: &Cell) -> Result<Option<String>, RowIssue> {
    check_plain(cell)?;
    match cell {
        Cell::Number(f) => {
            if f.fract() == 0.0 && f.abs() < EXACT && *f >= 0.0 {
                Ok(Some(format!("{}", *f as i64)))
            } else {
                Err(rounded_issue(&format!("{f:E}")))
            }
        }
        Cell::Text(s) if is_scientific(s) => Err(rounded_issue(s.trim())),
        Cell::Date(_) => Err(RowIssue::new(
            "not_text",
            "该单元格是日期格式,这里应填写编号",
            "the cell is formatted as a date where a number or code belongs",
        )),
        other => {
            // Spaces inside codes come from copying out of documents.
            Ok(text(other)?.map(|s| s.split_whitespace().collect::<String>()))
        }
    }
}

/// A decimal number: a number cell, or text such as "35.2431" (full-width
/// digits and a trailing ° as copied from maps are accepted).
pub fn decimal(cell: &Cell) -> Result<Option<f64>, RowIssue> {
    check_plain(cell)?;
    match cell {
        Cell::Number(f) => Ok(Some(*f)),
        Cell::Date(_) => Err(RowIssue::new(
            "not_number",
            "该单元格是日期格式,这里应填写数字",
            "the cell is formatted as a date where a number belongs",
        )),
        other => {
            let Some(t) = text(other)? else {
                return Ok(None);
            };
            let plain: String = t
                .trim()
                .trim_end_matches('°')
                .chars()
                .map(|c| match c {
                    '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
                    '．' | '。' => '.',
                    '－' => '-',
                    c => c,
                })
                .collect();
            plain.parse::<f64>().map(Some).map_err(|_| {
                RowIssue::new(
                    "not_number",
                    format!("“{t}”不是数字"),
                    format!("'{t}' is not a number"),
                )
            })
        }
    }
}

/// Days from Excel's day 0 (1899-12-30, after its 1900 leap-year bug) to `serial`.
pub fn from_serial(serial: f64) -> Option<Date> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let base = Date::from_calendar_date(1899, Month::December, 30).ok()?;
    let days = serial.floor() as i64;
    // Serials below 61 fall before Excel's fictitious 1900-02-29.
    let days = if days < 61 { days + 1 } else { days };
    base.checked_add(Duration::days(days))
}

/// A date in any of the forms Chinese offices write: 2020-03-20, 2020/3/20,
/// 2020.3.20, 2020年3月20日, 20200320, a date-formatted cell, or an Excel serial.
pub fn date(cell: &Cell) -> Result<Option<Date>, RowIssue> {
    check_plain(cell)?;
    match cell {
        Cell::Empty => Ok(None),
        Cell::Date(d) => Ok(Some(*d)),
        Cell::Number(f) => from_serial(*f)
            .filter(|d| (1900..=2100).contains(&d.year()))
            .map(Some)
            .ok_or_else(|| bad_date(&number_text(*f))),
        Cell::Text(s) => {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            parse_date_text(s).map(Some).ok_or_else(|| bad_date(s))
        }
        Cell::Bool(_) => Err(bad_date("TRUE/FALSE")),
        Cell::Error(_) | Cell::Formula | Cell::BadEncoding => Ok(None),
    }
}

fn bad_date(s: &str) -> RowIssue {
    RowIssue::new(
        "date_format",
        format!("日期“{s}”无法识别;请写成 2020-03-20、2020/3/20 或 2020年3月20日"),
        format!("'{s}' is not a date; write it as 2020-03-20, 2020/3/20 or 2020年3月20日"),
    )
}

/// Parses the text forms of a date; a time after the date is ignored.
pub fn parse_date_text(s: &str) -> Option<Date> {
    let s = s.trim();
    // "2020-03-20 00:00:00", "2020-03-20T00:00:00Z"
    let s = s.split([' ', 'T']).next().unwrap_or(s);
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return ymd(&s[..4], &s[4..6], &s[6..]);
    }
    let s = s.strip_suffix('日').unwrap_or(s);
    let parts: Vec<&str> = s.split(['-', '/', '.', '年', '月']).collect();
    match parts.as_slice() {
        [y, m, d] if y.len() == 4 => ymd(y, m, d),
        _ => None,
    }
}

fn ymd(y: &str, m: &str, d: &str) -> Option<Date> {
    let all_digits =
        |s: &str| !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit());
    if !(all_digits(y) && all_digits(m) && all_digits(d)) {
        return None;
    }
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn dates_in_the_forms_offices_write() {
        for s in [
            "2020-03-20",
            "2020/3/20",
            "2020.3.20",
            "2020年3月20日",
            "2020年03月20日",
            "20200320",
            "2020-03-20 00:00:00",
        ] {
            assert_eq!(
                date(&Cell::Text(s.into())).unwrap(),
                Some(date!(2020 - 03 - 20)),
                "{s}"
            );
        }
        assert_eq!(
            date(&Cell::Number(43910.0)).unwrap(),
            Some(date!(2020 - 03 - 20))
        );
        assert_eq!(from_serial(1.0), Some(date!(1900 - 01 - 01)));
        assert_eq!(from_serial(61.0), Some(date!(1900 - 03 - 01)));
        for bad in ["2020-13-01", "2020/2/30", "3/20/2020", "明天", "2020年3月"] {
            assert_eq!(
                date(&Cell::Text(bad.into())).unwrap_err().code,
                "date_format",
                "{bad}"
            );
        }
        assert_eq!(date(&Cell::Number(5.0e7)).unwrap_err().code, "date_format");
    }

    #[test]
    fn identifiers_that_excel_rounded_are_refused() {
        assert_eq!(
            ident(&Cell::Text("3.71702E+17".into())).unwrap_err().code,
            "number_rounded"
        );
        assert_eq!(
            ident(&Cell::Number(371_702_198_001_011_234.0))
                .unwrap_err()
                .code,
            "number_rounded"
        );
        assert_eq!(
            ident(&Cell::Number(13_812_345_678.0)).unwrap(),
            Some("13812345678".into())
        );
        assert_eq!(
            ident(&Cell::Text(" 1381234 5678 ".into())).unwrap(),
            Some("13812345678".into())
        );
        assert_eq!(ident(&Cell::Formula).unwrap_err().code, "formula");
        assert_eq!(
            ident(&Cell::Error("#N/A".into())).unwrap_err().code,
            "cell_error"
        );
    }

    #[test]
    fn text_drops_spurious_decimals() {
        assert_eq!(text(&Cell::Number(301.0)).unwrap(), Some("301".into()));
        assert_eq!(text(&Cell::Number(1.5)).unwrap(), Some("1.5".into()));
        assert_eq!(text(&Cell::Text("  ".into())).unwrap(), None);
    }
}
