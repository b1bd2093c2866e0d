//! The text format for years beyond the built-in table, one notice per `year`
//! line, so that an administrator can type in each November's notice:
//!
//! ```text
//! # 国务院办公厅关于2027年部分节假日安排的通知
//! year 2027 https://www.gov.cn/zhengce/content/...
//! source https://...                          (optional: an amending notice)
//! holiday new_year 2027-01-01
//! holiday spring_festival 2027-02-05..2027-02-11
//! workday spring_festival 2027-02-14
//! ```
//!
//! `holiday` may be written 放假 and `workday` 上班; the festival is a code name
//! (`new_year`, `spring_festival`, `qingming`, `labour_day`, `dragon_boat`,
//! `mid_autumn`, `national_day`, `national_day_mid_autumn`, `other`) or its
//! Chinese name. A notice's days lie in its year or in the December before it.
//! Errors name the line, because the file is typed by hand.

use super::{DayKind, Festival, Notice};
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use time::{macros::format_description, Date, Month, Weekday};

/// Longest run a single line may name; the longest in any notice so far is 10
/// days (Spring Festival 2020), so anything longer is taken to be a typo.
const MAX_RUN: i64 = 31;

fn line_error(line: usize, zh: impl AsRef<str>, en: impl AsRef<str>) -> Error {
    Error::invalid(
        "calendar",
        "calendar_file",
        format!("第{line}行:{}", zh.as_ref()),
        format!("line {line}: {}", en.as_ref()),
    )
}

fn parse_date(s: &str, line: usize) -> Result<Date> {
    Date::parse(s, format_description!("[year]-[month]-[day]")).map_err(|_| {
        line_error(
            line,
            format!("“{s}”不是有效的日期,应写作 YYYY-MM-DD"),
            format!("'{s}' is not a valid date; write YYYY-MM-DD"),
        )
    })
}

struct Draft {
    notice: Notice,
    line: usize,
}

/// Parses an extra file into notices, checking each line.
pub fn parse(text: &str) -> Result<Vec<Notice>> {
    let mut done: Vec<Draft> = Vec::new();
    let mut current: Option<Draft> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let content = raw.split('#').next().unwrap_or("");
        let words: Vec<&str> = content.split_whitespace().collect();
        let Some(&first) = words.first() else {
            continue;
        };
        match first {
            "year" | "年" => {
                let draft = parse_year(&words, line, &done, current.as_ref())?;
                if let Some(prev) = current.replace(draft) {
                    done.push(prev);
                }
            }
            "source" | "来源" => {
                let Some(draft) = current.as_mut() else {
                    return Err(before_year(line));
                };
                let [_, url] = words[..] else {
                    return Err(line_error(
                        line,
                        "source 后应写一个网址",
                        "source takes one address",
                    ));
                };
                draft.notice.sources.push(url.to_string());
            }
            word => {
                let kind = match word {
                    "holiday" | "放假" => DayKind::Holiday,
                    "workday" | "上班" => DayKind::Workday,
                    _ => {
                        return Err(line_error(
                            line,
                            format!("无法识别“{word}”,每行应以 year、source、holiday 或 workday 开头"),
                            format!("'{word}' is not understood; a line starts with year, source, holiday or workday"),
                        ))
                    }
                };
                let Some(draft) = current.as_mut() else {
                    return Err(before_year(line));
                };
                parse_days(kind, &words, line, &mut draft.notice)?;
            }
        }
    }
    done.extend(current);
    for d in &done {
        if d.notice.days.is_empty() {
            return Err(line_error(
                d.line,
                format!("{}年没有列出任何放假或上班日期", d.notice.year),
                format!("year {} lists no holidays or working days", d.notice.year),
            ));
        }
    }
    Ok(done.into_iter().map(|d| d.notice).collect())
}

fn before_year(line: usize) -> Error {
    line_error(
        line,
        "请先用 year 行写明年份和通知网址",
        "start with a year line giving the year and the notice's address",
    )
}

fn parse_year(
    words: &[&str],
    line: usize,
    done: &[Draft],
    current: Option<&Draft>,
) -> Result<Draft> {
    let [_, year, url] = words[..] else {
        return Err(line_error(
            line,
            "year 行应写作:year 年份 通知网址",
            "a year line reads: year YEAR NOTICE-ADDRESS",
        ));
    };
    let year: i32 = year
        .parse()
        .ok()
        .filter(|y| (2000..=2200).contains(y))
        .ok_or_else(|| {
            line_error(
                line,
                format!("“{year}”不是2000至2200之间的年份"),
                format!("'{year}' is not a year between 2000 and 2200"),
            )
        })?;
    if let Some(first) = done.iter().chain(current).find(|d| d.notice.year == year) {
        return Err(line_error(
            line,
            format!("{year}年已在第{}行出现过", first.line),
            format!("year {year} already appears on line {}", first.line),
        ));
    }
    Ok(Draft {
        notice: Notice {
            year,
            sources: vec![url.to_string()],
            from_file: true,
            days: BTreeMap::new(),
        },
        line,
    })
}

fn parse_days(kind: DayKind, words: &[&str], line: usize, notice: &mut Notice) -> Result<()> {
    let [_, festival, dates] = words[..] else {
        return Err(line_error(
            line,
            "应写作:holiday|workday 节日 日期[..日期]",
            "expected: holiday|workday FESTIVAL DATE[..DATE]",
        ));
    };
    let festival = Festival::parse(festival).ok_or_else(|| {
        line_error(
            line,
            format!("未知的节日“{festival}”"),
            format!("unknown festival '{festival}'"),
        )
    })?;
    let (first, last) = match dates.split_once("..") {
        Some((a, b)) => (parse_date(a, line)?, parse_date(b, line)?),
        None => {
            let d = parse_date(dates, line)?;
            (d, d)
        }
    };
    let run = (last - first).whole_days();
    if !(0..MAX_RUN).contains(&run) {
        return Err(line_error(
            line,
            format!("日期范围应由早到晚且不超过{MAX_RUN}天"),
            format!("a date range must run forwards and span at most {MAX_RUN} days"),
        ));
    }
    let mut d = first;
    loop {
        add_day(notice, d, kind, festival, line)?;
        if d == last {
            return Ok(());
        }
        d = d
            .next_day()
            .ok_or_else(|| line_error(line, "日期超出范围", "date out of range"))?;
    }
}

fn add_day(
    notice: &mut Notice,
    d: Date,
    kind: DayKind,
    festival: Festival,
    line: usize,
) -> Result<()> {
    let y = notice.year;
    let in_year = d.year() == y || (d.year() == y - 1 && d.month() == Month::December);
    if !in_year {
        return Err(line_error(
            line,
            format!("{d}不属于{y}年的通知(只能是{y}年或{}年12月的日期)", y - 1),
            format!("{d} does not belong to the notice for {y} (dates must be in {y} or in December {})", y - 1),
        ));
    }
    if kind == DayKind::Workday && !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
        return Err(line_error(
            line,
            format!(
                "{d}是{},调休上班日只能是周六或周日",
                weekday_zh(d.weekday())
            ),
            format!(
                "{d} is a {}; a make-up working day is always a Saturday or Sunday",
                d.weekday()
            ),
        ));
    }
    if notice.days.insert(d, (kind, festival)).is_some() {
        return Err(line_error(
            line,
            format!("{d}在{y}年的通知中出现了两次"),
            format!("{d} appears twice in the notice for {y}"),
        ));
    }
    Ok(())
}

fn weekday_zh(w: Weekday) -> &'static str {
    match w {
        Weekday::Monday => "周一",
        Weekday::Tuesday => "周二",
        Weekday::Wednesday => "周三",
        Weekday::Thursday => "周四",
        Weekday::Friday => "周五",
        Weekday::Saturday => "周六",
        Weekday::Sunday => "周日",
    }
}

/// Writes notices in the format [`parse`] reads, runs of days joined into ranges.
pub fn format<'a>(notices: impl IntoIterator<Item = &'a Notice>) -> String {
    let mut out = String::new();
    for n in notices {
        let mut sources = n.sources.iter();
        out.push_str(&format!(
            "year {} {}\n",
            n.year,
            sources.next().map_or("-", |s| s.as_str())
        ));
        for s in sources {
            out.push_str(&format!("source {s}\n"));
        }
        let mut run: Option<(Date, Date, DayKind, Festival)> = None;
        for (&d, &(kind, festival)) in &n.days {
            run = match run {
                Some((first, last, k, f))
                    if k == kind && f == festival && last.next_day() == Some(d) =>
                {
                    Some((first, d, k, f))
                }
                Some(done) => {
                    push_run(&mut out, done);
                    Some((d, d, kind, festival))
                }
                None => Some((d, d, kind, festival)),
            };
        }
        if let Some(done) = run {
            push_run(&mut out, done);
        }
        out.push('\n');
    }
    out
}

fn push_run(out: &mut String, (first, last, kind, festival): (Date, Date, DayKind, Festival)) {
    let dates = if first == last {
        first.to_string()
    } else {
        format!("{first}..{last}")
    };
    out.push_str(&format!(
        "{} {} {dates}\n",
        kind.as_str(),
        festival.as_str()
    ));
}
