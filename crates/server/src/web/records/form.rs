//! A registry's forms: what was typed, the body it makes for the registry's
//! create or patch, and a refusal placed at the field it concerns.

use super::plain;
use crate::web::i18n::T;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use wangge_store::ctx::Ctx;
use wangge_store::db::Conn;
use wangge_store::registry::page::{Field, Input};
use wangge_store::registry::Pages;
use wangge_store::Error as StoreError;

/// One choice of a select.
pub struct Opt {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// One input as the template draws it.
pub struct FieldView {
    pub id: String,
    pub name: &'static str,
    pub label: &'static str,
    /// `text`, `date` or `select`.
    pub kind: &'static str,
    pub value: String,
    pub required: bool,
    pub max: Option<usize>,
    /// A unit code: digits on a phone's keyboard.
    pub numeric: bool,
    pub hint: Option<&'static str>,
    pub options: Vec<Opt>,
    pub error: Option<String>,
}

/// A choice field's options, `current` selected; none for other fields.
pub fn options(t: T, f: &Field, current: &str) -> Option<Vec<Opt>> {
    match f.input {
        Input::Choice(all) => Some(
            all.iter()
                .map(|(value, key)| Opt {
                    value,
                    label: t.t(key),
                    selected: *value == current,
                })
                .collect(),
        ),
        _ => None,
    }
}

/// The list's next page, keeping its filters.
pub fn with_cursor(query: &str, cursor: &str) -> String {
    let c = serde_urlencoded::to_string([("cursor", cursor)]).unwrap_or_default();
    if query.is_empty() {
        format!("?{c}")
    } else {
        format!("?{query}&{c}")
    }
}

/// What a form holds: the values as typed, by input name, and a refusal
/// (input name, message).
#[derive(Debug, Default, Clone)]
pub struct Typed {
    values: Vec<(String, String)>,
    pub error: Option<(String, String)>,
}

impl Typed {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Typed {
        Typed {
            values: pairs.into_iter().filter(|(k, _)| k != "csrf").collect(),
            error: None,
        }
    }

    /// The edit form of a record: its present values, references by name.
    pub fn of(p: &Pages, rec: &Map<String, Value>) -> Typed {
        let values = p
            .fields
            .iter()
            .map(|f| {
                let v = match f.input {
                    Input::Org { shown, .. } => plain(rec.get(shown)),
                    _ => plain(rec.get(f.name)),
                };
                (f.form_name().to_string(), v)
            })
            .collect();
        Typed {
            values,
            error: None,
        }
    }

    fn get(&self, name: &str) -> &str {
        self.values
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// A required field left blank, or a choice not on the list: refused
    /// before anything is read or written.
    pub fn blank_or_unlisted(&self, t: T, p: &Pages, edit: bool) -> Option<(String, String)> {
        p.fields.iter().filter(|f| f.on_form(edit)).find_map(|f| {
            let v = self.get(f.form_name()).trim();
            let name = f.form_name().to_string();
            if f.required && v.is_empty() {
                Some((name, format!("{}{}", t.t("records.required"), t.t(f.label))))
            } else if matches!(f.input, Input::Choice(_)) && !v.is_empty() && f.choice(v).is_none()
            {
                Some((name, t.t("records.choose").to_string()))
            } else {
                None
            }
        })
    }

    /// A refusal that belongs to none of the form's fields.
    pub fn general(&self, p: &Pages, edit: bool) -> Option<String> {
        let (field, msg) = self.error.as_ref()?;
        let at_field = p
            .fields
            .iter()
            .any(|f| f.on_form(edit) && f.form_name() == field);
        (!at_field).then(|| msg.clone())
    }

    pub fn views(&self, t: T, p: &Pages, edit: bool) -> Vec<FieldView> {
        p.fields
            .iter()
            .filter(|f| f.on_form(edit))
            .map(|f| {
                let name = f.form_name();
                let value = self.get(name).to_string();
                let kind = match f.input {
                    Input::Date => "date",
                    Input::Choice(_) => "select",
                    _ => "text",
                };
                FieldView {
                    id: format!("{}-{name}", p.prefix),
                    name,
                    label: t.t(f.label),
                    kind,
                    required: f.required,
                    max: match f.input {
                        Input::Text { max } => Some(max),
                        _ => None,
                    },
                    numeric: matches!(f.input, Input::Unit { .. }),
                    hint: f.hint.map(|h| t.t(h)),
                    options: options(t, f, &value).unwrap_or_default(),
                    error: self
                        .error
                        .as_ref()
                        .filter(|(at, _)| at == name)
                        .map(|(_, m)| m.clone()),
                    value,
                }
            })
            .collect()
    }

    /// The create body (`current` none) or the patch body. A registration
    /// leaves blank fields out, so the registry's defaults apply; a patch
    /// gives every field, blank text clearing it, except a reference whose
    /// present name was left as it is, so that two organisations of one name
    /// never block an unchanged field.
    pub fn body(
        &self,
        c: &mut dyn Conn,
        ctx: &Ctx,
        p: &Pages,
        current: Option<&Map<String, Value>>,
    ) -> Result<Value, StoreError> {
        let mut body = Map::new();
        for f in p.fields.iter().filter(|f| f.on_form(current.is_some())) {
            let typed = self.get(f.form_name());
            let v = typed.trim();
            if v.is_empty()
                && (current.is_none() || matches!(f.input, Input::Org { .. } | Input::Choice(_)))
            {
                continue;
            }
            let value = match f.input {
                Input::Org { shown, form } => {
                    if current.is_some_and(|cur| plain(cur.get(shown)) == v) {
                        continue;
                    }
                    Value::from(wangge_store::equipment::find_org(c, ctx, form, v)?)
                }
                // The registry's own check trims and measures free text.
                Input::Text { .. } => Value::from(typed),
                Input::Date | Input::Choice(_) | Input::Unit { .. } => Value::from(v),
            };
            body.insert(f.name.to_string(), value);
        }
        Ok(Value::Object(body))
    }
}

/// The registry's create or patch from a form's body. The form gives only the
/// fields its declaration names, each of the right type, so a failure here
/// means the declaration and the registry's types disagree.
pub fn parse<B: DeserializeOwned>(body: Value) -> Result<B, StoreError> {
    serde_json::from_value(body).map_err(|e| {
        tracing::error!(error = %e, "a registry form's body does not fit its type");
        wangge_core::Error::invalid(
            "",
            "invalid_form",
            "表单内容无效,请检查后再提交",
            "the form is not valid; check it and send it again",
        )
        .into()
    })
}

/// Where a refusal shows: the form's field it names, else the form's head. A
/// registration shows a conflict at the record's heading field and an unknown
/// unit at the unit field; other errors are not the form's to show.
pub fn refusal(t: T, p: &Pages, e: StoreError, new: bool) -> Result<(String, String), StoreError> {
    let at = |field: &str| {
        p.field(field)
            .map_or_else(|| field.to_string(), |f| f.form_name().to_string())
    };
    let unit = p
        .fields
        .iter()
        .find(|f| matches!(f.input, Input::Unit { .. }));
    match e {
        StoreError::Domain(wangge_core::Error::Invalid { field, zh, en, .. }) => {
            Ok((at(&field), t.pick(&zh, &en).to_string()))
        }
        StoreError::Domain(wangge_core::Error::Conflict { zh, en, .. }) => {
            let field = if new { at(p.heading) } else { String::new() };
            Ok((field, t.pick(&zh, &en).to_string()))
        }
        StoreError::NotFound { .. } if new && unit.is_some() => Ok((
            unit.map_or("", |u| u.form_name()).to_string(),
            t.t("records.unknown_unit").to_string(),
        )),
        other => Err(other),
    }
}
