//! Checking a checklist template before it is stored: codes, texts, each
//! item's settings for its kind, limits in order, and a case category for
//! every item that can fail.

use super::{Item, ItemKind, Section, TemplateBody};
use crate::error::{Error, Result};
use crate::people::check_text;

const MAX_ITEMS: usize = 200;

fn check_code(field: &str, s: &str, what_zh: &str) -> Result<String> {
    let t = s.trim();
    let ok = (1..=40).contains(&t.len())
        && t.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(t.to_string())
    } else {
        Err(Error::invalid(
            field,
            "code_format",
            format!("{what_zh}“{t}”应为1到40个小写字母、数字、下划线或连字符"),
            format!("'{t}' must be 1 to 40 lower-case letters, digits, '_' or '-'"),
        ))
    }
}

fn bad(field: String, code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Error {
    Error::invalid(field, code, zh, en)
}

/// Checks a template and returns it normalised (trimmed texts). Category
/// codes are only checked for form here; the store checks they exist.
pub fn check_template(t: &TemplateBody) -> Result<TemplateBody> {
    let mut out = TemplateBody {
        code: check_code("code", &t.code, "模板代码")?,
        name: check_text("name", &t.name, 100)?,
        description: match t.description.as_deref().map(str::trim) {
            Some(d) if !d.is_empty() => Some(check_text("description", d, 500)?),
            _ => None,
        },
        category: t
            .category
            .as_deref()
            .map(|c| check_text("category", c, 20))
            .transpose()?,
        sections: Vec::new(),
        pass_mark: t.pass_mark,
    };
    if t.sections.is_empty() {
        return Err(bad(
            "sections".into(),
            "required",
            "检查表至少要有一个部分",
            "a checklist needs at least one section",
        ));
    }
    let mut codes: Vec<String> = Vec::new();
    for (si, s) in t.sections.iter().enumerate() {
        let title = check_text(&format!("sections[{si}].title"), &s.title, 100)?;
        if s.items.is_empty() {
            return Err(bad(
                format!("sections[{si}].items"),
                "required",
                format!("“{title}”部分没有检查项"),
                format!("section '{title}' has no items"),
            ));
        }
        let mut items = Vec::new();
        for (ii, item) in s.items.iter().enumerate() {
            let f = format!("sections[{si}].items[{ii}]");
            let it = check_item(&f, item, out.category.is_some())?;
            if codes.contains(&it.code) {
                return Err(bad(
                    format!("{f}.code"),
                    "duplicate_item",
                    format!("检查项代码“{}”重复", it.code),
                    format!("item code '{}' is used twice", it.code),
                ));
            }
            codes.push(it.code.clone());
            items.push(it);
        }
        out.sections.push(Section { title, items });
    }
    if codes.len() > MAX_ITEMS {
        return Err(bad(
            "sections".into(),
            "too_many",
            format!("检查项不能超过{MAX_ITEMS}个"),
            format!("at most {MAX_ITEMS} items"),
        ));
    }
    if let Some(mark) = out.pass_mark {
        let Some(max) = out.max_score() else {
            return Err(bad(
                "pass_mark".into(),
                "pass_mark_unscored",
                "检查表没有计分项,不能设置合格分",
                "a pass mark needs at least one scored item (points)",
            ));
        };
        if !(0..=max).contains(&mark) {
            return Err(bad(
                "pass_mark".into(),
                "pass_mark_range",
                format!("合格分{mark}应在0到总分{max}之间"),
                format!("the pass mark {mark} must be between 0 and the total {max}"),
            ));
        }
    }
    Ok(out)
}

fn check_item(f: &str, item: &Item, has_default_category: bool) -> Result<Item> {
    let mut it = item.clone();
    it.code = check_code(&format!("{f}.code"), &item.code, "检查项代码")?;
    it.text = check_text(&format!("{f}.text"), &item.text, 200)?;
    it.category = item
        .category
        .as_deref()
        .map(|c| check_text(&format!("{f}.category"), c, 20))
        .transpose()?;
    it.unit = item
        .unit
        .as_deref()
        .map(|u| check_text(&format!("{f}.unit"), u, 10))
        .transpose()?;
    let misplaced = |name: &str| {
        bad(
            format!("{f}.{name}"),
            "not_for_kind",
            format!("“{}”类检查项不能设置{name}", it.kind.label_zh()),
            format!("a {} item has no {name}", it.kind.as_str()),
        )
    };
    if it.kind != ItemKind::YesNo && it.pass_when.is_some() {
        return Err(misplaced("pass_when"));
    }
    if it.kind != ItemKind::Choice && !(it.choices.is_empty() && it.fail_choices.is_empty()) {
        return Err(misplaced("choices"));
    }
    let numbers = [it.min, it.max, it.pass_min, it.pass_max];
    if it.kind != ItemKind::Number && numbers.iter().any(Option::is_some) {
        return Err(misplaced("min"));
    }
    if it.kind == ItemKind::Choice {
        let mut seen: Vec<String> = Vec::new();
        for (i, c) in it.choices.iter().enumerate() {
            let c = check_text(&format!("{f}.choices[{i}]"), c, 50)?;
            if seen.contains(&c) {
                return Err(bad(
                    format!("{f}.choices"),
                    "duplicate_choice",
                    format!("选项“{c}”重复"),
                    format!("choice '{c}' is listed twice"),
                ));
            }
            seen.push(c);
        }
        if seen.len() < 2 {
            return Err(bad(
                format!("{f}.choices"),
                "too_few_choices",
                "选项题至少要有两个选项",
                "a choice item needs at least two choices",
            ));
        }
        let mut fails = Vec::new();
        for c in &it.fail_choices {
            let c = c.trim().to_string();
            if !seen.contains(&c) {
                return Err(bad(
                    format!("{f}.fail_choices"),
                    "unknown_choice",
                    format!("不合格选项“{c}”不在选项中"),
                    format!("fail choice '{c}' is not one of the choices"),
                ));
            }
            fails.push(c);
        }
        it.choices = seen;
        it.fail_choices = fails;
    }
    if it.kind == ItemKind::Number {
        if numbers.iter().flatten().any(|n| !n.is_finite()) {
            return Err(bad(
                format!("{f}.min"),
                "not_a_number",
                "限值必须是有限的数",
                "limits must be finite numbers",
            ));
        }
        let order = |lo: Option<f64>, hi: Option<f64>, name: &str| match (lo, hi) {
            (Some(a), Some(b)) if a > b => Err(bad(
                format!("{f}.{name}"),
                "limits_order",
                format!("下限{a}大于上限{b}"),
                format!("the lower limit {a} is above the upper limit {b}"),
            )),
            _ => Ok(()),
        };
        order(it.min, it.max, "max")?;
        order(it.pass_min, it.pass_max, "pass_max")?;
        order(it.min, it.pass_min, "pass_min")?;
        order(it.pass_max, it.max, "pass_max")?;
        order(it.min, it.pass_max, "pass_max")?;
        order(it.pass_min, it.max, "pass_min")?;
    }
    if let Some(p) = it.points.filter(|p| !(1..=super::MAX_POINTS).contains(p)) {
        return Err(bad(
            format!("{f}.points"),
            "points_range",
            format!("检查项分值{p}应在1到{}之间", super::MAX_POINTS),
            format!("points {p} must be between 1 and {}", super::MAX_POINTS),
        ));
    }
    if it.can_fail() && it.category.is_none() && !has_default_category {
        return Err(bad(
            format!("{f}.category"),
            "category_required",
            format!("检查项“{}”不合格时要转为整改案件,须指定案件类别", it.text),
            format!(
                "item '{}' can fail, so it needs the case category its finding becomes",
                it.code
            ),
        ));
    }
    Ok(it)
}
