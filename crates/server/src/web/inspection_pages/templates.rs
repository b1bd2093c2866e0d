//! Checklist templates: the list, one version's sections and items with a
//! version switcher, and the editor. The editor is a JSON text area holding
//! the template as the API takes it: saving makes a new version (records
//! keep theirs), and a refusal is shown above the text, which stays as typed.

use super::super::i18n::T;
use super::super::session::PageSession;
use super::super::{not_found_page, render};
use super::{message, page_error, see_other, severity_key};
use crate::error::ApiError;
use crate::web::CheckedForm;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use wangge_core::auth::Permission;
use wangge_core::inspections::{Item, ItemKind, TemplateBody};
use wangge_store::accounts::User;
use wangge_store::inspections::{self, Template as Checklist, TemplateSummary};
use wangge_store::Error as StoreError;

/// What a new template starts from: one section, one yes/no item.
const SKELETON: &str = r#"{
  "code": "",
  "name": "",
  "category": "0701",
  "sections": [
    {
      "title": "",
      "items": [
        {"code": "", "text": "", "kind": "yes_no", "severity": "general"}
      ]
    }
  ]
}"#;

#[derive(Template)]
#[template(path = "inspections_templates.html")]
struct ListPage {
    t: T,
    user: User,
    csrf: String,
    templates: Vec<TemplateSummary>,
    can_write: bool,
    source: String,
    error: Option<String>,
}

async fn summaries(
    s: &AppState,
    ctx: &wangge_store::Ctx,
) -> Result<Vec<TemplateSummary>, StoreError> {
    let ctx = ctx.clone();
    s.store
        .db
        .read(move |c| inspections::list_templates(c, &ctx))
        .await
}

pub async fn list(State(s): State<AppState>, t: T, session: PageSession) -> Response {
    let templates = match summaries(&s, &session.ctx).await {
        Ok(l) => l,
        Err(e) => return page_error(t, e),
    };
    let page = ListPage {
        t,
        can_write: session.ctx.can(Permission::InspectionTemplatesWrite),
        user: session.user,
        csrf: session.csrf,
        templates,
        source: SKELETON.to_string(),
        error: None,
    };
    render(StatusCode::OK, &page)
}

/// An item's kind and rule as one line: "数值 0 – 366 天,合格 ≤ 15".
pub struct ItemLine {
    pub item: Item,
    pub kind: &'static str,
    pub rule: String,
    pub severity: &'static str,
}

fn rule(t: T, i: &Item) -> String {
    let n = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    match i.kind {
        ItemKind::YesNo => {
            if i.pass_when == Some(false) {
                t.t("inspection_pages.pass_no").to_string()
            } else {
                t.t("inspection_pages.pass_yes").to_string()
            }
        }
        ItemKind::Choice => format!(
            "{} · {} {}",
            i.choices.join(" / "),
            t.t("inspection_pages.fail_choices"),
            i.fail_choices.join(" / ")
        ),
        ItemKind::Number => format!(
            "{} – {} {} · {} {} – {}",
            n(i.min),
            n(i.max),
            i.unit.as_deref().unwrap_or_default(),
            t.t("inspection_pages.pass_range"),
            n(i.pass_min),
            n(i.pass_max)
        ),
        ItemKind::Text | ItemKind::Photo => String::new(),
    }
}

fn kind_key(k: ItemKind) -> &'static str {
    match k {
        ItemKind::YesNo => "inspection_pages.kind_yes_no",
        ItemKind::Choice => "inspection_pages.kind_choice",
        ItemKind::Number => "inspection_pages.kind_number",
        ItemKind::Text => "inspection_pages.kind_text",
        ItemKind::Photo => "inspection_pages.kind_photo",
    }
}

pub struct SectionLines {
    pub title: String,
    pub items: Vec<ItemLine>,
}

#[derive(Template)]
#[template(path = "inspections_template.html")]
struct ShowPage {
    t: T,
    user: User,
    csrf: String,
    tpl: Checklist,
    sections: Vec<SectionLines>,
    versions: Vec<i64>,
    latest: i64,
    created: String,
    can_write: bool,
    source: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct VersionQuery {
    version: Option<String>,
}

async fn show_page(
    s: &AppState,
    t: T,
    session: PageSession,
    code: String,
    version: Option<i64>,
    edited: Option<(String, String)>,
) -> Response {
    let ctx = session.ctx.clone();
    let loaded = s
        .store
        .db
        .read(move |c| {
            let tpl = inspections::get_template(c, &ctx, &code, version)?;
            let latest = inspections::get_template(c, &ctx, &code, None)?.version;
            Ok((tpl, latest))
        })
        .await;
    let (tpl, latest) = match loaded {
        Ok(v) => v,
        Err(e) => return page_error(t, e),
    };
    let sections = tpl
        .body
        .sections
        .iter()
        .map(|s| SectionLines {
            title: s.title.clone(),
            items: s
                .items
                .iter()
                .map(|i| ItemLine {
                    kind: t.t(kind_key(i.kind)),
                    rule: rule(t, i),
                    severity: t.t(severity_key(i.severity)),
                    item: i.clone(),
                })
                .collect(),
        })
        .collect();
    let refused = edited.is_some();
    let (source, error) = match edited {
        Some((src, err)) => (src, Some(err)),
        None => (
            serde_json::to_string_pretty(&tpl.body).unwrap_or_default(),
            None,
        ),
    };
    let page = ShowPage {
        t,
        can_write: session.ctx.can(Permission::InspectionTemplatesWrite),
        user: session.user,
        csrf: session.csrf,
        sections,
        versions: (1..=latest).rev().collect(),
        latest,
        created: super::local(&tpl.created_at),
        tpl,
        source,
        error,
    };
    let status = if refused {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(status, &page)
}

pub async fn show(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path(code): Path<String>,
    Query(q): Query<VersionQuery>,
) -> Response {
    let version = match q.version.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(v) => match v.parse::<i64>() {
            Ok(v) => Some(v),
            Err(_) => return not_found_page(t),
        },
    };
    show_page(&s, t, session, code, version, None).await
}

#[derive(Deserialize)]
pub struct EditorForm {
    #[serde(default)]
    source: String,
}

/// The typed text as a template, or the message saying where it is wrong.
fn parse(t: T, source: &str) -> Result<TemplateBody, String> {
    serde_json::from_str::<TemplateBody>(source).map_err(|e| {
        let at = t
            .t("inspection_pages.json_error")
            .replace("{line}", &e.line().to_string())
            .replace("{column}", &e.column().to_string());
        // serde's own words are English: shown only on the English page.
        if t.pick("zh", "en") == "en" {
            format!("{at}: {e}")
        } else {
            at
        }
    })
}

/// Why a save did not happen: a message to show above the text, or a
/// failure of the store that is answered as such.
enum Refusal {
    Shown(String),
    Failed(Response),
}

/// Saves the text as a new version.
async fn save(
    s: &AppState,
    t: T,
    session: &PageSession,
    source: &str,
    code: Option<&str>,
) -> Result<Checklist, Refusal> {
    let body = parse(t, source).map_err(Refusal::Shown)?;
    if let Some(code) = code.filter(|c| *c != body.code.trim()) {
        return Err(Refusal::Shown(
            t.t("inspection_pages.code_changed").replace("{code}", code),
        ));
    }
    let ctx = session.ctx.clone();
    match s
        .store
        .db
        .write(move |c| inspections::create_template(c, &ctx, body))
        .await
    {
        Ok(tpl) => Ok(tpl),
        Err(StoreError::Domain(e @ wangge_core::Error::Invalid { .. })) => {
            let field = match &e {
                wangge_core::Error::Invalid { field, .. } => field.clone(),
                _ => String::new(),
            };
            Err(Refusal::Shown(format!("{field}:{}", message(t, &e))))
        }
        Err(StoreError::Domain(e)) => Err(Refusal::Shown(message(t, &e))),
        Err(e) => Err(Refusal::Failed(ApiError::from(e).into_response())),
    }
}

pub async fn create(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    CheckedForm(f): CheckedForm<EditorForm>,
) -> Response {
    if !session.ctx.can(Permission::InspectionTemplatesWrite) {
        return not_found_page(t);
    }
    match save(&s, t, &session, &f.source, None).await {
        Ok(tpl) => see_other(&format!(
            "/inspections/templates/{}?version={}",
            tpl.code, tpl.version
        )),
        Err(Refusal::Failed(res)) => res,
        Err(Refusal::Shown(error)) => {
            let templates = summaries(&s, &session.ctx).await.unwrap_or_default();
            let page = ListPage {
                t,
                can_write: true,
                user: session.user,
                csrf: session.csrf,
                templates,
                source: f.source,
                error: Some(error),
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

pub async fn edit(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path(code): Path<String>,
    CheckedForm(f): CheckedForm<EditorForm>,
) -> Response {
    if !session.ctx.can(Permission::InspectionTemplatesWrite) {
        return not_found_page(t);
    }
    match save(&s, t, &session, &f.source, Some(&code)).await {
        Ok(tpl) => see_other(&format!(
            "/inspections/templates/{}?version={}",
            tpl.code, tpl.version
        )),
        Err(Refusal::Failed(res)) => res,
        Err(Refusal::Shown(error)) => {
            show_page(&s, t, session, code, None, Some((f.source, error))).await
        }
    }
}
