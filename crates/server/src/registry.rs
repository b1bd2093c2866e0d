//! The API of every declared registry (`wangge_store::registry`), made from
//! its descriptor: `GET|POST /api/v1/<slug>`, `GET|PATCH /api/v1/<slug>/{id}`
//! and `GET|POST /api/v1/exports/<slug>`, with their OpenAPI entries.

use crate::error::ApiError;
use crate::extract::{id, Json};
use crate::transfer::exports::{download, file_options, Listing};
use crate::{ApiResult, AppState, Caller};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};
use utoipa::openapi::path::ParameterIn;
use utoipa::IntoParams;
use wangge_store::registry::{self, Registry, Visit};
use wangge_store::Page;

/// Every registry's routes, under `/api/v1`.
pub fn routes() -> Router<AppState> {
    struct Routes(Router<AppState>);
    impl Visit for Routes {
        fn visit<R: Registry>(&mut self) {
            let slug = R::META.slug;
            let r = std::mem::take(&mut self.0)
                .route(&format!("/{slug}"), get(list::<R>).post(create::<R>))
                .route(
                    &format!("/{slug}/{{id}}"),
                    get(show::<R>).patch(update::<R>),
                )
                // POST as well, as every export of `/exports/{kind}` may be
                // asked for (a session's POST carries its CSRF token).
                .route(
                    &format!("/exports/{slug}"),
                    get(export::<R>).post(export::<R>),
                );
            self.0 = r;
        }
    }
    let mut r = Routes(Router::new());
    registry::each(&mut r);
    r.0
}

/// A query string as pairs, those named in `take` apart from the rest.
type Split = (Vec<(String, String)>, Vec<(String, String)>);

fn split(raw: Option<&str>, take: &[&str]) -> Result<Split, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or_default())
        .map_err(|e| ApiError::Query(e.to_string()))?;
    Ok(pairs
        .into_iter()
        .partition(|(k, _)| take.contains(&k.as_str())))
}

/// Reads a registry's filter from query pairs, as the list reads it.
pub(crate) fn filter<F: DeserializeOwned>(pairs: &[(String, String)]) -> Result<F, ApiError> {
    let q = serde_urlencoded::to_string(pairs).map_err(|e| ApiError::Query(e.to_string()))?;
    serde_urlencoded::from_str(&q).map_err(|e| ApiError::Query(e.to_string()))
}

/// The names of a filter's parameters.
pub(crate) fn params_of<F: IntoParams>() -> Vec<String> {
    F::into_params(|| Some(ParameterIn::Query))
        .into_iter()
        .map(|p| p.name)
        .collect()
}

/// Checks that `pairs` are a filter of the registry `m`, as its export route
/// reads them, before anything is audited.
pub(crate) fn check_filter(m: registry::Meta, pairs: &[(String, String)]) -> Result<(), ApiError> {
    struct Check<'a> {
        pairs: &'a [(String, String)],
        out: Result<(), ApiError>,
    }
    impl Visit for Check<'_> {
        fn visit<R: Registry>(&mut self) {
            self.out = filter::<R::Filter>(self.pairs).map(|_| ());
        }
    }
    let mut c = Check {
        pairs,
        out: Err(ApiError::NotFound),
    };
    registry::with(m.slug, &mut c);
    c.out
}

fn one(pairs: &[(String, String)], key: &str) -> Option<String> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

async fn list<R: Registry>(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    RawQuery(raw): RawQuery,
) -> ApiResult<axum::Json<Page<R>>> {
    let (paging, rest) = split(raw.as_deref(), &["cursor", "limit"])?;
    let f: R::Filter = filter(&rest)?;
    let cursor = one(&paging, "cursor");
    let limit = one(&paging, "limit")
        .map(|l| l.parse::<i64>())
        .transpose()
        .map_err(|e| ApiError::Query(format!("limit: {e}")))?;
    let page = s
        .store
        .db
        .read(move |c| registry::list::<R>(c, &ctx, &f, cursor.as_deref(), limit))
        .await?;
    Ok(axum::Json(page))
}

async fn create<R: Registry>(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Json(new): Json<R::New>,
) -> ApiResult<(StatusCode, axum::Json<R>)> {
    let rec = s
        .store
        .db
        .write(move |c| registry::create::<R>(c, &ctx, new))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(rec)))
}

async fn show<R: Registry>(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(rid): Path<String>,
) -> ApiResult<axum::Json<R>> {
    let rid = id(&rid)?;
    Ok(axum::Json(
        s.store
            .db
            .read(move |c| registry::get::<R>(c, &ctx, rid))
            .await?,
    ))
}

async fn update<R: Registry>(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    Path(rid): Path<String>,
    Json(patch): Json<R::Patch>,
) -> ApiResult<axum::Json<R>> {
    let rid = id(&rid)?;
    Ok(axum::Json(
        s.store
            .db
            .write(move |c| registry::update::<R>(c, &ctx, rid, patch))
            .await?,
    ))
}

async fn export<R: Registry>(
    State(s): State<AppState>,
    Caller(ctx): Caller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let (file, rest) = split(raw.as_deref(), &["format", "encoding"])?;
    // Parsed here so that a bad filter is refused before anything is audited.
    let _: R::Filter = filter(&rest)?;
    let opts = file_options(
        one(&file, "format").as_deref(),
        one(&file, "encoding").as_deref(),
    )?;
    let listing = Listing::Record(R::META, rest);
    Ok(download(&s, &ctx, listing, opts).await?)
}

/// The registries' operations and schemas, added to the OpenAPI document.
pub(crate) fn document(doc: &mut Value) {
    struct Doc<'a>(&'a mut Value);
    impl Visit for Doc<'_> {
        fn visit<R: Registry>(&mut self) {
            describe::<R>(self.0);
        }
    }
    registry::each(&mut Doc(doc));
}

fn schema_ref<T: utoipa::ToSchema>() -> Value {
    json!({ "$ref": format!("#/components/schemas/{}", T::name()) })
}

fn add_schema<T: utoipa::ToSchema>(schemas: &mut Map<String, Value>) {
    let mut all = vec![(T::name().to_string(), T::schema())];
    T::schemas(&mut all);
    for (name, s) in all {
        schemas.insert(name, serde_json::to_value(s).unwrap_or(Value::Null));
    }
}

fn problem(status: &str) -> (String, Value) {
    (
        status.to_string(),
        json!({"description": "", "content": {"application/json": {"schema":
            {"$ref": "#/components/schemas/Problem"}}}}),
    )
}

fn ok(status: &str, schema: Value) -> (String, Value) {
    (
        status.to_string(),
        json!({"description": "", "content": {"application/json": {"schema": schema}}}),
    )
}

fn responses(list: Vec<(String, Value)>) -> Value {
    Value::Object(list.into_iter().collect())
}

fn describe<R: Registry>(doc: &mut Value) {
    let m = R::META;
    let mut filter = serde_json::to_value(<R::Filter as IntoParams>::into_params(|| {
        Some(ParameterIn::Query)
    }))
    .unwrap_or_else(|_| json!([]));
    let mut list_params = filter.clone();
    if let Some(ps) = list_params.as_array_mut() {
        ps.push(json!({"name": "cursor", "in": "query", "required": false,
            "schema": {"type": "string"}}));
        ps.push(json!({"name": "limit", "in": "query", "required": false,
            "schema": {"type": "integer", "format": "int64"}}));
    }
    if let Some(ps) = filter.as_array_mut() {
        ps.push(json!({"name": "format", "in": "query", "required": false,
            "description": "xlsx (default) or csv.", "schema": {"type": "string"}}));
        ps.push(json!({"name": "encoding", "in": "query", "required": false,
            "description": "CSV encoding: utf-8 (with BOM, default) or gbk.",
            "schema": {"type": "string"}}));
    }
    let id = json!([{"name": "id", "in": "path", "required": true,
        "description": format!("{} id", m.noun.1), "schema": {"type": "integer", "format": "int64"}}]);
    let page = json!({"type": "object", "required": ["items"], "properties": {
        "items": {"type": "array", "items": schema_ref::<R>()},
        "next_cursor": {"type": ["string", "null"],
            "description": "Pass as `cursor` to get the next page; absent on the last page."}}});
    let body = |s: Value| json!({"content": {"application/json": {"schema": s}}, "required": true});
    let tag = json!([m.tag]);
    let paths = &mut doc["paths"];
    paths[format!("/api/v1/{}", m.slug)] = json!({
        "get": {"tags": tag, "operationId": format!("list_{}", m.entity),
            "summary": format!("The {} in the caller's scope, a page at a time.", m.list.1),
            "parameters": list_params,
            "responses": responses(vec![ok("200", page), problem("404")])},
        "post": {"tags": tag, "operationId": format!("create_{}", m.entity),
            "requestBody": body(schema_ref::<R::New>()),
            "responses": responses(vec![ok("201", schema_ref::<R>()), problem("422")])},
    });
    paths[format!("/api/v1/{}/{{id}}", m.slug)] = json!({
        "get": {"tags": tag, "operationId": format!("show_{}", m.entity), "parameters": id,
            "responses": responses(vec![ok("200", schema_ref::<R>()), problem("404")])},
        "patch": {"tags": tag, "operationId": format!("update_{}", m.entity), "parameters": id,
            "summary": "Changes the fields given; the others stay.",
            "requestBody": body(schema_ref::<R::Patch>()),
            "responses": responses(vec![ok("200", schema_ref::<R>()), problem("403"),
                problem("404"), problem("422")])},
    });
    let export = |id: String, summary: String| {
        json!({"tags": ["transfer"], "operationId": id, "summary": summary,
            "parameters": filter,
            "responses": responses(vec![
                ("200".into(), json!({"description": "the file", "content": {
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}})),
                problem("403"), problem("404"), problem("422")])})
    };
    paths[format!("/api/v1/exports/{}", m.slug)] = json!({
        "get": export(format!("export_{}", m.entity), format!("The {} list exported with the \
            list's filters, in its order and scope, with the filter and time of export on a \
            second sheet; audited.", m.list.1)),
        "post": export(format!("export_{}_post", m.entity), "The same export by POST (the \
            parameters in the query string); a session sends its X-CSRF-Token.".to_string()),
    });
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        add_schema::<R>(schemas);
        add_schema::<R::New>(schemas);
        add_schema::<R::Patch>(schemas);
    }
}
