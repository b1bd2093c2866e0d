//! serde's messages in plain words. serde names the problem only in English
//! prose (``missing field `version` ``); users read the Chinese message, so
//! the kinds of problem serde has are recognised here and said in Chinese and
//! English, and serde's own text stays in the English message alone.

/// A field problem said for people: the Chinese and the English message.
pub struct Plain {
    pub zh: String,
    pub en: String,
}

/// Describes serde's message `msg` about the value at `field` (`body` for
/// the whole body).
pub fn field_problem(field: &str, msg: &str) -> Plain {
    let msg = msg.split(" at line ").next().unwrap_or(msg);
    if let Some(name) = quoted_after(msg, "missing field ") {
        return Plain {
            zh: format!("缺少字段“{name}”"),
            en: format!("missing field \"{name}\""),
        };
    }
    if let Some(name) = quoted_after(msg, "unknown field ") {
        return Plain {
            zh: format!("不认识的字段“{name}”,请删去或改正字段名"),
            en: msg.replace('`', "\""),
        };
    }
    if let Some(name) = quoted_after(msg, "duplicate field ") {
        return Plain {
            zh: format!("字段“{name}”出现了不止一次"),
            en: format!("field \"{name}\" appears more than once"),
        };
    }
    if let Some(value) = quoted_after(msg, "unknown variant ") {
        let choices = choices(msg);
        let zh = if choices.is_empty() {
            format!("字段“{field}”的值“{value}”不是可选的值")
        } else {
            format!(
                "字段“{field}”的值“{value}”不是可选的值,可选:{}",
                choices.join("、")
            )
        };
        return Plain {
            zh,
            en: format!("field \"{field}\": {}", msg.replace('`', "\"")),
        };
    }
    if let Some(rest) = msg.strip_prefix("invalid type: ") {
        let zh = match expected_zh(rest) {
            Some(want) => format!("字段“{field}”的值类型不对,应为{want}"),
            None => format!("字段“{field}”的值类型不对"),
        };
        return Plain {
            zh,
            en: format!("field \"{field}\" has the wrong type of value: {msg}"),
        };
    }
    if msg.starts_with("invalid length ") {
        return Plain {
            zh: format!("字段“{field}”的项数不对"),
            en: format!("field \"{field}\" has the wrong number of items: {msg}"),
        };
    }
    Plain {
        zh: format!("字段“{field}”的值无效"),
        en: format!("field \"{field}\": invalid value: {msg}"),
    }
}

/// The name serde quotes in backticks right after `prefix`.
fn quoted_after<'a>(msg: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = msg.strip_prefix(prefix)?.strip_prefix('`')?;
    rest.find('`').map(|end| &rest[..end])
}

/// The values serde lists after "expected one of" (or "expected").
fn choices(msg: &str) -> Vec<&str> {
    let Some(at) = msg.find(", expected ") else {
        return Vec::new();
    };
    msg[at + ", expected ".len()..]
        .split('`')
        .skip(1)
        .step_by(2)
        .collect()
}

/// What serde expected, in Chinese, for the kinds of value the API takes.
fn expected_zh(rest: &str) -> Option<&'static str> {
    let want = rest.split(", expected ").nth(1)?;
    let want = want.trim();
    Some(match want {
        "a string" | "a borrowed string" | "a character" => "文本",
        "a boolean" => "true 或 false",
        "a sequence" => "列表",
        "a map" => "对象",
        w if w.starts_with("struct ") => "对象",
        w if w.starts_with("tuple") => "列表",
        "f32" | "f64" | "a number" => "数字",
        w if (w.starts_with('i') || w.starts_with('u'))
            && (w[1..].chars().all(|c| c.is_ascii_digit()) || w.ends_with("size")) =>
        {
            "整数"
        }
        _ => return None,
    })
}

/// The position in a JSON syntax error, said in Chinese: `(第1行第5列)`.
pub fn position_zh(msg: &str) -> String {
    let Some(at) = msg.rfind(" at line ") else {
        return String::new();
    };
    let mut words = msg[at + " at line ".len()..].split(' ');
    match (words.next(), words.next(), words.next()) {
        (Some(line), Some("column"), Some(col))
            if line.chars().all(|c| c.is_ascii_digit())
                && col.chars().all(|c| c.is_ascii_digit()) =>
        {
            format!("(第{line}行第{col}列)")
        }
        _ => String::new(),
    }
}

/// A query-string problem in Chinese: the parameter named where serde names
/// it, never serde's own English.
pub fn query_zh(detail: &str) -> String {
    if let Some(name) = quoted_after(detail, "missing field ") {
        return format!("缺少查询参数“{name}”");
    }
    if let Some(name) = quoted_after(detail, "unknown field ") {
        return format!("不认识的查询参数“{name}”");
    }
    if let Some(value) = quoted_after(detail, "unknown variant ") {
        let choices = choices(detail);
        if !choices.is_empty() {
            return format!(
                "查询参数的值“{value}”不是可选的值,可选:{}",
                choices.join("、")
            );
        }
        return format!("查询参数的值“{value}”不是可选的值");
    }
    "查询参数有误,请按说明改正后重试".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ascii_words(s: &str) -> bool {
        // Field names and listed values are the only Latin text allowed.
        s.contains("invalid") || s.contains("expected") || s.contains("missing")
    }

    #[test]
    fn serde_kinds_become_plain_chinese() {
        let cases = [
            ("body", "missing field `version`", "缺少字段“version”"),
            (
                "body",
                "unknown field `nick`, expected one of `name`, `unit`",
                "不认识的字段“nick”",
            ),
            (
                "kind",
                "unknown variant `x`, expected one of `a`, `b`",
                "可选:a、b",
            ),
            (
                "unit",
                "invalid type: integer `5`, expected a string",
                "类型不对,应为文本",
            ),
            ("id", "invalid type: string \"1\", expected i64", "应为整数"),
            (
                "items",
                "invalid length 3, expected a tuple of size 2",
                "项数不对",
            ),
            (
                "date",
                "input contains invalid characters",
                "字段“date”的值无效",
            ),
        ];
        for (field, msg, want) in cases {
            let p = field_problem(field, msg);
            assert!(p.zh.contains(want), "{msg}: {}", p.zh);
            assert!(!ascii_words(&p.zh), "{msg}: {}", p.zh);
            assert!(p.en.is_ascii(), "{msg}: {}", p.en);
        }
    }

    #[test]
    fn query_problems_in_chinese() {
        assert_eq!(query_zh("missing field `unit`"), "缺少查询参数“unit”");
        assert!(query_zh("unknown variant `z`, expected `a` or `b`").contains("可选:a、b"));
        assert!(!query_zh("invalid digit found in string").contains("invalid"));
    }

    #[test]
    fn syntax_position_in_chinese() {
        assert_eq!(
            position_zh("expected value at line 1 column 5"),
            "(第1行第5列)"
        );
        assert_eq!(position_zh("EOF while parsing"), "");
    }
}
