//! The OpenAPI 3 document, generated from the handlers' annotations and then
//! completed by rules that hold for every operation (see [`spec`]).

use axum::Json;
use serde_json::{json, Map, Value};
use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Wangge API",
        description = "网格 grassroots-governance platform: org tree and registry"
    ),
    paths(
        crate::units::list,
        crate::units::create,
        crate::units::show,
        crate::units::rename,
        crate::units::move_unit,
        crate::units::set_position,
        crate::units::remove,
        crate::units::tree,
        crate::organisations::members,
        crate::organisations::add_member,
        crate::people::list,
        crate::people::create,
        crate::people::show,
        crate::people::update,
        crate::people::lookup,
        crate::people::reveal,
        crate::registration::list,
        crate::registration::decide,
        crate::households::list,
        crate::households::create,
        crate::households::show,
        crate::positions::list,
        crate::positions::create,
        crate::positions::end,
        crate::auth::login,
        crate::auth::current,
        crate::auth::logout,
        crate::auth::change_password,
        crate::auth::list_tokens,
        crate::auth::create_token,
        crate::auth::revoke_token,
        crate::users::list,
        crate::users::create,
        crate::users::disable,
        crate::users::enable,
        crate::users::reset_password,
        crate::totp::begin,
        crate::totp::confirm,
        crate::totp::reset,
        crate::audit::list,
        crate::cases::categories, crate::cases::update_category, crate::cases::create, crate::cases::list, crate::cases::show,
        crate::cases::events, crate::cases::transition, crate::cases::merge, crate::cases::move_unit, crate::cases::set_supervising_org, crate::cases::inbox,
        crate::cases::stats, crate::cases::stats_children, crate::cases::stats_categories,
        crate::public::report, crate::public::follow, crate::public::step, crate::public::places,
        crate::attachments::upload, crate::attachments::public_upload, crate::attachments::info,
        crate::attachments::content, crate::attachments::thumbnail,
        crate::transfer::upload, crate::transfer::show_run, crate::transfer::report,
        crate::transfer::exports::export, crate::transfer::exports::export_full,
        crate::transfer::exports::export_cases, crate::transfer::exports::export_cases_full, crate::transfer::exports::export_equipment, crate::transfer::template,
        crate::transfer::exports::export_plans, crate::transfer::exports::export_audit,
        crate::transfer::exports::admin::export_plan_targets, crate::transfer::exports::admin::export_accounts,
        crate::transfer::exports::admin::export_categories,
        crate::inspections::list_templates, crate::inspections::show_template,
        crate::inspections::create_template, crate::inspections::list_plans,
        crate::inspections::create_plan, crate::inspections::show_plan,
        crate::inspections::due_targets,
        crate::inspections::submit_record, crate::inspections::show_record,
        crate::inspections::problem_list, crate::inspections::list_offices,
        crate::inspections::set_office, crate::inspections::remove_office,
        crate::equipment::list, crate::equipment::create, crate::equipment::show,
        crate::equipment::update, crate::equipment::add_maintenance, crate::equipment::add_inspection,
        crate::equipment::alerts,
    ),
    components(schemas(crate::error::Problem, wangge_store::cases::Order)),
    modifiers(&Security)
)]
pub struct ApiDoc;

pub async fn document() -> Json<Value> {
    Json(spec().clone())
}

/// The published document. The annotations say what each handler answers on
/// success; what every handler shares (how errors are sent, which inputs can be
/// refused, who needs no login) is applied here once, so that no annotation can
/// forget it.
pub fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or(Value::Null);
        crate::registry::document(&mut doc);
        complete(&mut doc);
        doc
    })
}

/// Operations anyone may call without a session or token.
fn is_public(path: &str, method: &str, op: &Value) -> bool {
    let tagged = op["tags"]
        .as_array()
        .is_some_and(|t| t.iter().any(|t| t == "public"));
    tagged || (path == "/api/v1/session" && method == "post")
}

const PROBLEM_JSON: &str = "application/problem+json";

fn complete(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    let mut ids: HashMap<String, usize> = HashMap::new();
    for item in paths.values() {
        for op in item.as_object().into_iter().flat_map(Map::values) {
            if let Some(id) = op["operationId"].as_str() {
                *ids.entry(id.to_string()).or_default() += 1;
            }
        }
    }
    let mut taken = BTreeSet::new();
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            operation_id(path, method, op, &ids, &mut taken);
            if is_public(path, method, op) {
                op["security"] = json!([]);
            }
            errors(path, method, op);
            limits(op);
        }
    }
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        flatten_conflicts(schemas);
    }
}

/// Handler names repeat across modules (`list`, `create`...): a repeated one is
/// qualified by the tag, and failing that by method and path.
fn operation_id(
    path: &str,
    method: &str,
    op: &mut Value,
    ids: &HashMap<String, usize>,
    taken: &mut BTreeSet<String>,
) {
    let own = op["operationId"].as_str().unwrap_or_default().to_string();
    let tag = op["tags"][0].as_str().unwrap_or("api").to_string();
    let mut id = own.clone();
    if own.is_empty() || ids.get(&own).copied().unwrap_or(0) > 1 {
        id = format!("{tag}_{own}");
    }
    if taken.contains(&id) {
        let tail: String = path
            .trim_start_matches("/api/v1/")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        id = format!("{method}_{tail}");
    }
    taken.insert(id.clone());
    op["operationId"] = Value::String(id);
}

/// Every error is sent as problem+json; and the refusals the shared extractors
/// make are listed wherever they can happen.
fn errors(path: &str, method: &str, op: &mut Value) {
    let has_body = op.get("requestBody").is_some();
    let params = op["parameters"].as_array().cloned().unwrap_or_default();
    let has = |place: &str| params.iter().any(|p| p["in"] == place);
    let (in_path, in_query) = (has("path"), has("query"));
    let public = is_public(path, method, op);
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    for (status, r) in responses.iter_mut() {
        if !(status.starts_with('4') || status.starts_with('5')) {
            continue;
        }
        if let Some(content) = r.get_mut("content").and_then(Value::as_object_mut) {
            if let Some(body) = content.remove("application/json") {
                content.insert(PROBLEM_JSON.to_string(), body);
            }
        }
    }
    let wanted = [
        (
            "400",
            has_body || in_path || in_query,
            "the request is malformed (unreadable JSON, a bad parameter)",
        ),
        ("401", !public, "no valid session or token"),
        ("403", !public, "the caller may not do this here"),
        ("404", in_path, "no such item within the caller's scope"),
        (
            "415",
            has_body,
            "the body is not of the documented media type",
        ),
        (
            "422",
            has_body || in_query,
            "a field is invalid; `field` names it",
        ),
        ("413", has_body, "the body is larger than allowed"),
        (
            "503",
            true,
            "storage is unavailable (disk full, database down); see Retry-After",
        ),
    ];
    for (status, applies, why) in wanted {
        if applies && !responses.contains_key(status) {
            responses.insert(
                status.to_string(),
                json!({
                    "description": why,
                    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
                }),
            );
        }
    }
}

/// Every `limit` goes through the store's pager, which refuses sizes outside
/// 1..=MAX_LIMIT.
fn limits(op: &mut Value) {
    let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
        return;
    };
    for p in params {
        if p["name"] == "limit" && p["in"] == "query" {
            if let Some(schema) = p.get_mut("schema").and_then(Value::as_object_mut) {
                schema.insert("minimum".into(), json!(1));
                schema.insert("maximum".into(), json!(wangge_store::paging::MAX_LIMIT));
            }
        }
    }
}

/// `#[serde(flatten)]` is emitted as `allOf`, which cannot be satisfied when a
/// part forbids other fields (`deny_unknown_fields`) or when the outer type
/// replaces a field of the inner one. Such schemas are written out as the one
/// object serde reads or writes: the outer fields win.
fn flatten_conflicts(schemas: &mut Map<String, Value>) {
    let originals = schemas.clone();
    for schema in schemas.values_mut() {
        let Some(parts) = schema["allOf"].as_array() else {
            continue;
        };
        let resolved: Vec<Value> = parts
            .iter()
            .map(|p| match p["$ref"].as_str() {
                Some(r) => originals
                    .get(r.trim_start_matches("#/components/schemas/"))
                    .cloned()
                    .unwrap_or(Value::Null),
                None => p.clone(),
            })
            .collect();
        if resolved
            .iter()
            .any(|p| p.get("properties").is_none() || p.get("allOf").is_some())
        {
            continue;
        }
        let closed = resolved.iter().any(|p| p["additionalProperties"] == false);
        let mut seen = BTreeSet::new();
        let overlap = resolved.iter().any(|p| {
            p["properties"]
                .as_object()
                .into_iter()
                .flat_map(Map::keys)
                .any(|k| !seen.insert(k.clone()))
        });
        if !closed && !overlap {
            continue;
        }
        let mut properties = Map::new();
        let mut required = BTreeSet::new();
        for p in &resolved {
            for (k, v) in p["properties"].as_object().into_iter().flatten() {
                properties.insert(k.clone(), v.clone());
            }
            for r in p["required"].as_array().into_iter().flatten() {
                if let Some(r) = r.as_str() {
                    required.insert(r.to_string());
                }
            }
        }
        let mut merged = json!({"type": "object", "properties": properties, "required": required});
        if closed {
            merged["additionalProperties"] = json!(false);
        }
        if let Some(d) = schema.get("description") {
            merged["description"] = d.clone();
        }
        *schema = merged;
    }
}

/// Declares the two ways to authenticate: the session cookie and a bearer token.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
        c.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        doc.security = Some(vec![
            utoipa::openapi::security::SecurityRequirement::new("session", Vec::<String>::new()),
            utoipa::openapi::security::SecurityRequirement::new("token", Vec::<String>::new()),
        ]);
    }
}
