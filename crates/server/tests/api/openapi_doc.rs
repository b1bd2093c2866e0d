//! The published OpenAPI document is valid and says what the API does: the
//! structure is checked here by hand (every reference resolves, names and
//! operation ids are unique, errors are problem+json), and real answers are
//! checked against the schemas with the small validator in `openapi_doc/`.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

#[path = "openapi_doc/samples.rs"]
mod samples;
#[path = "openapi_doc/schema.rs"]
mod schema;

fn doc() -> &'static Value {
    wangge_server::openapi::spec()
}

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            out.push((path.clone(), method.clone(), op));
        }
    }
    out
}

fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                out.push(r);
            }
            m.values().for_each(|v| refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves() {
    let doc = doc();
    let mut all = Vec::new();
    refs(doc, &mut all);
    assert!(!all.is_empty());
    let missing: BTreeSet<&str> = all
        .into_iter()
        .filter(|r| doc.pointer(r.trim_start_matches('#')).is_none())
        .collect();
    assert!(missing.is_empty(), "unresolved: {missing:?}");
}

#[test]
fn operation_ids_are_unique() {
    let mut seen = BTreeMap::new();
    for (path, method, op) in operations(doc()) {
        let id = op["operationId"].as_str().expect("operationId").to_string();
        if let Some(first) = seen.insert(id.clone(), format!("{method} {path}")) {
            panic!("{id} is used by {first} and {method} {path}");
        }
    }
}

/// No two Rust types may publish under one schema name: utoipa keeps the last
/// one silently, so the name is read off the sources (`#[schema(as = ...)]` or
/// the type's own name).
#[test]
fn no_two_types_share_a_schema_name() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut names: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut stack = vec![
        root.join("core/src"),
        root.join("store/src"),
        root.join("server/src"),
    ];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read sources") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source");
            let mut pending: Option<Option<String>> = None;
            for line in text.lines().map(str::trim) {
                // `wire_enum!` implements ToSchema for the enum it declares.
                if (line.starts_with("#[derive(") && line.contains("ToSchema"))
                    || (line.ends_with("wire_enum! {") && !line.starts_with("//"))
                {
                    pending = Some(None);
                } else if let Some(p) = pending.as_mut() {
                    if let Some(rest) = line.strip_prefix("#[schema(as = ") {
                        *p = Some(rest.trim_end_matches(")]").to_string());
                    } else if let Some(item) = line
                        .strip_prefix("pub struct ")
                        .or_else(|| line.strip_prefix("pub enum "))
                    {
                        let own: String = item
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        let name = p.clone().unwrap_or(own);
                        names
                            .entry(name)
                            .or_default()
                            .push(path.display().to_string());
                        pending = None;
                    }
                }
            }
        }
    }
    assert!(names.contains_key("CaseView"), "{names:?}");
    let shared: Vec<_> = names.iter().filter(|(_, v)| v.len() > 1).collect();
    assert!(shared.is_empty(), "{shared:?}");
    let schemas = doc()["components"]["schemas"].as_object().expect("schemas");
    for n in [
        "DeadlineStage",
        "ImportStage",
        "AttachmentKind",
        "TransferKind",
        "ImportProgress",
        "InspectionProgress",
    ] {
        assert!(schemas.contains_key(n), "{n} is not published");
    }
}

#[test]
fn errors_are_problem_json_wherever_they_can_happen() {
    for (path, method, op) in operations(doc()) {
        let responses = op["responses"].as_object().expect("responses");
        for (status, r) in responses {
            if status.starts_with('4') || status.starts_with('5') {
                let content = r["content"].as_object();
                if let Some(content) = content {
                    let types: Vec<&String> = content.keys().collect();
                    assert_eq!(
                        types,
                        ["application/problem+json"],
                        "{method} {path} {status}"
                    );
                }
            }
        }
        let public = op["security"] == serde_json::json!([]);
        let has_body = op.get("requestBody").is_some();
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        let in_path = params.iter().any(|p| p["in"] == "path");
        let mut want = vec!["503"];
        if !public {
            want.extend(["401", "403"]);
        }
        if in_path {
            want.extend(["400", "404"]);
        }
        if has_body {
            want.extend(["400", "413", "415", "422"]);
        }
        for s in want {
            assert!(responses.contains_key(s), "{method} {path} lacks {s}");
        }
    }
}

#[test]
fn public_routes_say_they_need_no_login() {
    let ops = operations(doc());
    let security = |p: &str, m: &str| {
        ops.iter()
            .find(|(path, method, _)| path == p && method == m)
            .map(|(_, _, op)| op["security"].clone())
            .unwrap_or_else(|| panic!("{m} {p} missing"))
    };
    for (p, m) in [
        ("/api/v1/public/cases", "post"),
        ("/api/v1/public/cases/{token}", "get"),
        ("/api/v1/public/attachments", "post"),
        ("/api/v1/session", "post"),
    ] {
        assert_eq!(security(p, m), serde_json::json!([]), "{m} {p}");
    }
    // Only the throttled public routes say they can answer 429.
    let statuses = |p: &str, m: &str| doc()["paths"][p][m]["responses"].clone();
    assert!(statuses("/api/v1/public/cases", "post")
        .get("429")
        .is_some());
    assert!(statuses("/api/v1/public/cases/{token}", "get")
        .get("429")
        .is_none());
    // Everything else inherits the document's session-or-token requirement.
    assert_eq!(security("/api/v1/cases", "get"), Value::Null);
    assert!(doc()["security"].as_array().is_some_and(|s| s.len() == 2));
}

#[test]
fn limits_are_in_the_schema() {
    let mut seen = 0;
    for (path, method, op) in operations(doc()) {
        for p in op["parameters"].as_array().into_iter().flatten() {
            if p["name"] == "limit" {
                seen += 1;
                assert_eq!(p["schema"]["minimum"], 1, "{method} {path}");
                assert_eq!(
                    p["schema"]["maximum"],
                    wangge_store::paging::MAX_LIMIT,
                    "{method} {path}"
                );
            }
        }
    }
    assert!(seen > 5, "{seen}");
    // Required text is documented as non-empty, so a client can refuse an empty
    // name before sending it.
    let unit = &doc()["components"]["schemas"]["NewUnit"];
    let named =
        |name: &str| serde_json::json!({"kind": "street", "name": name, "parent": "371799"});
    assert!(schema::validate(doc(), unit, &named("")).is_err());
    schema::validate(doc(), unit, &named("丹阳街道")).expect("a named unit fits");
    let case = &doc()["components"]["schemas"]["NewCase"]["properties"]["description"];
    assert_eq!(
        case["maxLength"],
        wangge_store::cases::MAX_DESCRIPTION,
        "{case}"
    );
}

/// The validator the answer checks rely on refuses what does not fit.
#[test]
fn the_validator_refuses_what_does_not_fit() {
    let problem = &doc()["components"]["schemas"]["Problem"];
    let good = serde_json::json!({"type": "urn:x", "title": "t", "status": 404, "detail": "d",
        "code": "not_found", "message_zh": "无", "message_en": "none", "request_id": "r-1"});
    schema::validate(doc(), problem, &good).expect("a problem fits");
    let mut wrong = good.clone();
    wrong["status"] = serde_json::json!("404");
    assert!(schema::validate(doc(), problem, &wrong).is_err());
    let mut short = good.clone();
    short.as_object_mut().expect("object").remove("code");
    assert!(schema::validate(doc(), problem, &short).is_err());
    let stage = serde_json::json!({"$ref": "#/components/schemas/DeadlineStage"});
    assert!(schema::validate(doc(), &stage, &serde_json::json!("checking")).is_err());
    schema::validate(doc(), &stage, &serde_json::json!("accept")).expect("a deadline stage");
}

/// Each `{name}` in a path is a declared path parameter and the other way round.
#[test]
fn path_parameters_match_the_paths() {
    for (path, method, op) in operations(doc()) {
        let in_template: BTreeSet<String> = path
            .split('{')
            .skip(1)
            .filter_map(|s| s.split('}').next())
            .map(str::to_string)
            .collect();
        let declared: BTreeSet<String> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "path")
            .filter_map(|p| p["name"].as_str().map(str::to_string))
            .collect();
        assert_eq!(in_template, declared, "{method} {path}");
        assert!(
            op["responses"].as_object().is_some_and(|r| !r.is_empty()),
            "{method} {path}"
        );
    }
}

#[test]
fn flattened_bodies_can_be_satisfied() {
    let schemas = &doc()["components"]["schemas"];
    let user =
        serde_json::json!({"username": "u1", "role": "zone_admin", "password": "Wangge-demo-2026"});
    schema::validate(doc(), &schemas["CreateUser"], &user).expect("a create-user body fits");
    let extra =
        serde_json::json!({"username": "u1", "role": "zone_admin", "password": "x", "other": 1});
    assert!(schema::validate(doc(), &schemas["CreateUser"], &extra).is_err());
    let members = &schemas["HouseholdDetail"]["properties"]["members"];
    assert_eq!(members["type"], "array", "{members}");
}
