//! The record form's answers: each item rendered with what was typed and its
//! message, and the typed form read back into the engine's answers, every
//! field checked on its own so that all messages show at once.

use super::super::formdata::{FilePart, FormData};
use super::super::i18n::T;
use super::message;
use std::collections::{BTreeMap, HashMap};
use wangge_core::inspections::{
    check_answers, Answer, AnswerValue, Item, ItemKind, Section, TemplateBody,
};

/// One item as shown, with what was typed and its message.
pub struct Field {
    pub code: String,
    pub text: String,
    pub kind: &'static str,
    pub required: bool,
    pub choices: Vec<String>,
    pub value: String,
    /// Number items: "0 – 366 天".
    pub limits: String,
    pub error: Option<String>,
}

pub struct SectionView {
    pub title: String,
    pub fields: Vec<Field>,
}

fn limits(item: &Item) -> String {
    let n = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    if item.kind != ItemKind::Number || (item.min.is_none() && item.max.is_none()) {
        return String::new();
    }
    let unit = item.unit.as_deref().unwrap_or_default();
    format!("{} – {} {unit}", n(item.min), n(item.max))
}

pub fn sections(
    body: &TemplateBody,
    typed: &HashMap<String, String>,
    errors: &HashMap<String, String>,
) -> Vec<SectionView> {
    body.sections
        .iter()
        .map(|s| SectionView {
            title: s.title.clone(),
            fields: s
                .items
                .iter()
                .map(|i| Field {
                    code: i.code.clone(),
                    text: i.text.clone(),
                    kind: i.kind.as_str(),
                    required: i.required,
                    choices: i.choices.clone(),
                    value: typed.get(&i.code).cloned().unwrap_or_default(),
                    limits: limits(i),
                    error: errors.get(&i.code).cloned(),
                })
                .collect(),
        })
        .collect()
}

/// One typed answer as a value, `None` when left empty, or the message key
/// of a value that is not of the item's type.
fn parse(item: &Item, raw: &str) -> Result<Option<AnswerValue>, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    match item.kind {
        ItemKind::YesNo => match raw {
            "yes" => Ok(Some(AnswerValue::Bool(true))),
            "no" => Ok(Some(AnswerValue::Bool(false))),
            _ => Err("inspection_pages.bad_yes_no"),
        },
        ItemKind::Number => raw
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(|n| Some(AnswerValue::Number(n)))
            .ok_or("inspection_pages.not_a_number"),
        ItemKind::Choice | ItemKind::Text => Ok(Some(AnswerValue::Text(raw.to_string()))),
        ItemKind::Photo => Ok(None),
    }
}

/// Checks one answer by the engine's own rules, alone, so every field gets
/// its message at once rather than the first only.
fn check_one(
    body: &TemplateBody,
    section: &Section,
    item: &Item,
    value: AnswerValue,
) -> Option<wangge_core::Error> {
    let one = TemplateBody {
        sections: vec![Section {
            title: section.title.clone(),
            items: vec![item.clone()],
        }],
        ..body.clone()
    };
    let answers = BTreeMap::from([(item.code.clone(), Answer { value, note: None })]);
    check_answers(&one, &answers).err()
}

pub fn coordinate(raw: &str) -> Result<Option<f64>, ()> {
    match raw.trim() {
        "" => Ok(None),
        v => v.parse::<f64>().map(Some).map_err(|_| ()),
    }
}

/// A form read against its template.
pub struct Read<'a> {
    /// What was typed, by item code, to show again.
    pub typed: HashMap<String, String>,
    /// Messages by item code.
    pub errors: HashMap<String, String>,
    /// The answers that passed, photos not yet among them.
    pub answers: BTreeMap<String, Answer>,
    /// The files chosen per photo item, stored once everything is in order.
    pub photos: Vec<(&'a str, Vec<&'a FilePart>)>,
}

pub fn read<'a>(t: T, body: &'a TemplateBody, data: &'a FormData) -> Read<'a> {
    let mut typed = HashMap::new();
    let mut errors: HashMap<String, String> = HashMap::new();
    let mut answers = BTreeMap::new();
    let mut photos: Vec<(&str, Vec<&FilePart>)> = Vec::new();
    for (section, item) in body.items() {
        let raw = data.get(&format!("a.{}", item.code));
        typed.insert(item.code.clone(), raw.clone());
        let value = if item.kind == ItemKind::Photo {
            let name = format!("p.{}", item.code);
            let files: Vec<_> = data.files.iter().filter(|f| f.field == name).collect();
            let n = files.len() as i64;
            if !files.is_empty() {
                photos.push((item.code.as_str(), files));
            }
            // Checked with stand-in ids: the files are stored only once
            // everything else is in order.
            (n > 0).then(|| AnswerValue::Photos((1..=n).collect()))
        } else {
            match parse(item, &raw) {
                Ok(v) => v,
                Err(key) => {
                    errors.insert(item.code.clone(), t.t(key).to_string());
                    continue;
                }
            }
        };
        match value {
            None if item.required => {
                errors.insert(
                    item.code.clone(),
                    t.t("inspection_pages.required").to_string(),
                );
            }
            None => {}
            Some(v) => match check_one(body, section, item, v.clone()) {
                Some(e) => {
                    errors.insert(item.code.clone(), message(t, &e));
                }
                None => {
                    answers.insert(
                        item.code.clone(),
                        Answer {
                            value: v,
                            note: None,
                        },
                    );
                }
            },
        }
    }
    Read {
        typed,
        errors,
        answers,
        photos,
    }
}
