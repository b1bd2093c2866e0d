//! A record's answers: checked against the template version they were given
//! on, and read for findings.

use super::{Item, ItemKind, Severity, TemplateBody};
use crate::error::{Error, Result};
use crate::people::check_text;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What an answer holds: true/false, a number, a text (or the chosen option),
/// or a list of photo attachment ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum AnswerValue {
    Bool(bool),
    Number(f64),
    Text(String),
    Photos(Vec<i64>),
}

impl AnswerValue {
    fn type_zh(&self) -> &'static str {
        match self {
            AnswerValue::Bool(_) => "是/否",
            AnswerValue::Number(_) => "数值",
            AnswerValue::Text(_) => "文字",
            AnswerValue::Photos(_) => "照片编号列表",
        }
    }

    fn type_en(&self) -> &'static str {
        match self {
            AnswerValue::Bool(_) => "true/false",
            AnswerValue::Number(_) => "a number",
            AnswerValue::Text(_) => "text",
            AnswerValue::Photos(_) => "a list of photo ids",
        }
    }
}

/// One answer, with what the inspector wrote about it (the finding's words
/// on the problem list).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    pub value: AnswerValue,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An answer that is a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    pub item_code: String,
    pub section: String,
    pub item_text: String,
    pub severity: Severity,
    /// The case category the finding becomes.
    pub category: String,
    /// The inspector's note, else a sentence made from the answer.
    pub finding: String,
}

/// Photo items and notes carry at most this many attachments.
pub const MAX_PHOTOS: usize = 20;

fn expected(field: &str, item: &Item, got: &AnswerValue) -> Error {
    let (zh, en) = match item.kind {
        ItemKind::YesNo => ("是/否(true/false)", "true or false"),
        ItemKind::Choice => ("一个选项(文字)", "one of the choices, as text"),
        ItemKind::Number => ("数值", "a number"),
        ItemKind::Text => ("文字", "text"),
        ItemKind::Photo => ("照片编号列表", "a list of photo attachment ids"),
    };
    Error::invalid(
        field,
        "answer_type",
        format!("“{}”应填写{zh},收到的是{}", item.text, got.type_zh()),
        format!("'{}' takes {en}, got {}", item.code, got.type_en()),
    )
}

fn check_value(field: &str, item: &Item, v: &AnswerValue) -> Result<AnswerValue> {
    match (item.kind, v) {
        (ItemKind::YesNo, AnswerValue::Bool(b)) => Ok(AnswerValue::Bool(*b)),
        (ItemKind::Choice, AnswerValue::Text(s)) => {
            let s = s.trim();
            if item.choices.iter().any(|c| c == s) {
                Ok(AnswerValue::Text(s.to_string()))
            } else {
                Err(Error::invalid(
                    field,
                    "unknown_choice",
                    format!(
                        "“{s}”不是“{}”的选项之一:{}",
                        item.text,
                        item.choices.join("、")
                    ),
                    format!(
                        "'{s}' is not a choice of '{}': {}",
                        item.code,
                        item.choices.join(", ")
                    ),
                ))
            }
        }
        (ItemKind::Number, AnswerValue::Number(n)) => {
            let out_of = |limit: String| {
                Error::invalid(
                    field,
                    "answer_out_of_range",
                    format!("“{}”的数值{n}超出范围({limit})", item.text),
                    format!("{n} is out of range for '{}' ({limit})", item.code),
                )
            };
            if !n.is_finite() {
                return Err(out_of("—".into()));
            }
            if let Some(min) = item.min.filter(|m| n < m) {
                return Err(out_of(format!("≥ {min}")));
            }
            if let Some(max) = item.max.filter(|m| n > m) {
                return Err(out_of(format!("≤ {max}")));
            }
            Ok(AnswerValue::Number(*n))
        }
        (ItemKind::Text, AnswerValue::Text(s)) => Ok(AnswerValue::Text(check_text(field, s, 500)?)),
        (ItemKind::Photo, AnswerValue::Photos(ids)) => {
            let mut out: Vec<i64> = Vec::new();
            for &id in ids {
                if id <= 0 {
                    return Err(Error::invalid(
                        field,
                        "invalid_id",
                        format!("无效的照片编号{id}"),
                        format!("invalid photo id {id}"),
                    ));
                }
                if !out.contains(&id) {
                    out.push(id);
                }
            }
            if out.len() > MAX_PHOTOS {
                return Err(Error::invalid(
                    field,
                    "too_many",
                    format!("每项最多{MAX_PHOTOS}张照片"),
                    format!("at most {MAX_PHOTOS} photos per item"),
                ));
            }
            if out.is_empty() && item.required {
                return Err(Error::invalid(
                    field,
                    "answer_required",
                    format!("“{}”须上传照片", item.text),
                    format!("'{}' needs a photo", item.code),
                ));
            }
            Ok(AnswerValue::Photos(out))
        }
        _ => Err(expected(field, item, v)),
    }
}

/// Checks every answer against the template version and returns them
/// normalised. Unknown items, missing required items, wrong types and numbers
/// outside the item's limits are refused, each naming `answers.<code>`.
pub fn check_answers(
    t: &TemplateBody,
    answers: &BTreeMap<String, Answer>,
) -> Result<BTreeMap<String, Answer>> {
    let mut out = BTreeMap::new();
    for (code, a) in answers {
        let field = format!("answers.{code}");
        let Some((_, item)) = t.item(code) else {
            return Err(Error::invalid(
                field,
                "unknown_item",
                format!("检查表“{}”没有检查项“{code}”", t.name),
                format!("checklist '{}' has no item '{code}'", t.code),
            ));
        };
        let value = check_value(&field, item, &a.value)?;
        let note = match a.note.as_deref().map(str::trim) {
            Some(n) if !n.is_empty() => Some(check_text(&format!("{field}.note"), n, 500)?),
            _ => None,
        };
        out.insert(code.clone(), Answer { value, note });
    }
    for (_, item) in t.items() {
        if item.required && !out.contains_key(&item.code) {
            return Err(Error::invalid(
                format!("answers.{}", item.code),
                "answer_required",
                format!("检查项“{}”必须填写", item.text),
                format!("item '{}' is required", item.code),
            ));
        }
    }
    Ok(out)
}

/// Whether an answer to `item` is a finding. Answers are assumed checked.
pub fn is_failure(item: &Item, v: &AnswerValue) -> bool {
    match (item.kind, v) {
        (ItemKind::YesNo, AnswerValue::Bool(b)) => *b != item.pass_when.unwrap_or(true),
        (ItemKind::Choice, AnswerValue::Text(s)) => item.fail_choices.contains(s),
        (ItemKind::Number, AnswerValue::Number(n)) => {
            item.pass_min.is_some_and(|m| *n < m) || item.pass_max.is_some_and(|m| *n > m)
        }
        _ => false,
    }
}

fn describe(item: &Item, v: &AnswerValue) -> String {
    match v {
        AnswerValue::Bool(b) => format!("{}:{}", item.text, if *b { "是" } else { "否" }),
        AnswerValue::Number(n) => format!(
            "{}:{n}{}",
            item.text,
            item.unit.as_deref().unwrap_or_default()
        ),
        AnswerValue::Text(s) => format!("{}:{s}", item.text),
        AnswerValue::Photos(_) => item.text.clone(),
    }
}

/// The findings among checked answers, in the template's order.
pub fn failures(t: &TemplateBody, answers: &BTreeMap<String, Answer>) -> Vec<Failure> {
    t.items()
        .filter_map(|(s, item)| {
            let a = answers.get(&item.code)?;
            if !is_failure(item, &a.value) {
                return None;
            }
            Some(Failure {
                item_code: item.code.clone(),
                section: s.title.clone(),
                item_text: item.text.clone(),
                severity: item.severity,
                category: t.category_of(item).unwrap_or_default().to_string(),
                finding: a.note.clone().unwrap_or_else(|| describe(item, &a.value)),
            })
        })
        .collect()
}
