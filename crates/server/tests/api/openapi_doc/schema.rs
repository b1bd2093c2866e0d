//! A small JSON Schema validator for the subset utoipa emits: `$ref`, `allOf`,
//! `oneOf`, `anyOf`, `type` (one or a list), `properties`, `required`,
//! `additionalProperties`, `items`, `enum`, `const`, `minimum`/`maximum`,
//! `minLength`/`maxLength` and `nullable`. Formats and descriptions are not
//! checked. Chosen over the `jsonschema` crate, whose dependency tree would
//! double this test's build on the project's two cores.

use serde_json::Value;

pub fn validate(doc: &Value, schema: &Value, v: &Value) -> Result<(), String> {
    check(doc, schema, v, "$", 0)
}

fn check(doc: &Value, s: &Value, v: &Value, at: &str, depth: u32) -> Result<(), String> {
    if depth > 64 {
        return Err(format!("{at}: schema nests too deep"));
    }
    let Some(m) = s.as_object() else {
        return match s {
            Value::Bool(false) => Err(format!("{at}: nothing is allowed here")),
            _ => Ok(()),
        };
    };
    if let Some(r) = m.get("$ref").and_then(Value::as_str) {
        let target = doc
            .pointer(r.trim_start_matches('#'))
            .ok_or_else(|| format!("{at}: {r} does not resolve"))?;
        check(doc, target, v, at, depth + 1)?;
    }
    if v.is_null() && m.get("nullable") == Some(&Value::Bool(true)) {
        return Ok(());
    }
    if let Some(all) = m.get("allOf").and_then(Value::as_array) {
        for part in all {
            check(doc, part, v, at, depth + 1)?;
        }
    }
    if let Some(one) = m.get("oneOf").and_then(Value::as_array) {
        let fits = one
            .iter()
            .filter(|p| check(doc, p, v, at, depth + 1).is_ok())
            .count();
        if fits != 1 {
            return Err(format!(
                "{at}: {v} fits {fits} of the oneOf branches, not one"
            ));
        }
    }
    if let Some(any) = m.get("anyOf").and_then(Value::as_array) {
        if !any.iter().any(|p| check(doc, p, v, at, depth + 1).is_ok()) {
            return Err(format!("{at}: {v} fits none of anyOf"));
        }
    }
    if let Some(t) = m.get("type") {
        let types: Vec<&str> = match t {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !types.iter().any(|t| is_type(v, t)) {
            return Err(format!("{at}: {v} is not {types:?}"));
        }
    }
    if let Some(e) = m.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            return Err(format!("{at}: {v} is not one of {e:?}"));
        }
    }
    if let Some(c) = m.get("const") {
        if c != v {
            return Err(format!("{at}: {v} is not {c}"));
        }
    }
    if let Some(n) = v.as_f64() {
        if m.get("minimum")
            .and_then(Value::as_f64)
            .is_some_and(|min| n < min)
        {
            return Err(format!("{at}: {n} is below the minimum"));
        }
        if m.get("maximum")
            .and_then(Value::as_f64)
            .is_some_and(|max| n > max)
        {
            return Err(format!("{at}: {n} is above the maximum"));
        }
    }
    if let Some(text) = v.as_str() {
        let len = text.chars().count() as u64;
        if m.get("minLength")
            .and_then(Value::as_u64)
            .is_some_and(|min| len < min)
        {
            return Err(format!("{at}: {text:?} is too short"));
        }
        if m.get("maxLength")
            .and_then(Value::as_u64)
            .is_some_and(|max| len > max)
        {
            return Err(format!("{at}: {text:?} is too long"));
        }
    }
    if let Some(items) = v.as_array() {
        if let Some(each) = m.get("items") {
            for (i, item) in items.iter().enumerate() {
                check(doc, each, item, &format!("{at}[{i}]"), depth + 1)?;
            }
        }
    }
    if let Some(obj) = v.as_object() {
        for r in m
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = r.as_str().unwrap_or_default();
            if !obj.contains_key(name) {
                return Err(format!("{at}: required {name} is missing"));
            }
        }
        let props = m.get("properties").and_then(Value::as_object);
        for (k, field) in obj {
            let here = format!("{at}.{k}");
            match props.and_then(|p| p.get(k)) {
                Some(ps) => check(doc, ps, field, &here, depth + 1)?,
                None => {
                    if let Some(extra) = m.get("additionalProperties") {
                        check(doc, extra, field, &here, depth + 1)?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn is_type(v: &Value, t: &str) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64(),
        _ => false,
    }
}
