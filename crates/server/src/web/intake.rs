//! The staff intake form (`/cases/new`): a grid worker, cadre or street or
//! zone staff member reports on a phone what they found on patrol, in their
//! own name and with source `grid`; with "现场已处置" ticked the same request
//! closes it on the spot (自行处置, see `wangge_store::cases::OnSpot`).
//! Every field's message is shown at once beside its field, as on `/report`.

use super::formdata::FormData;
use super::formdata::{fresh_key, in_flight};
use super::i18n::T;
use super::session::PageSession;
use super::{render, see_other, to_login};
use crate::error::ApiError;
use crate::AppState;
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use wangge_core::auth::Permission;
use wangge_core::units::UnitKind;
use wangge_store::accounts::User;
use wangge_store::cases::{self, NewCase, OnSpot, Source};
use wangge_store::{Ctx, Error as StoreError};

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/cases/new",
        get(form_page)
            .post(submit)
            .layer(DefaultBodyLimit::max(super::formdata::body_limit(
                wangge_store::attachments::DEFAULT_MAX_BYTES,
            ))),
    )
}

/// What was typed, kept when the form comes back with messages.
#[derive(Default)]
pub struct IntakeForm {
    category: String,
    unit: String,
    description: String,
    address_detail: String,
    on_spot: bool,
    note: String,
    /// The place search: narrows the place list to names containing it.
    q: String,
    /// Photos stored on an earlier try, so they need not be chosen again.
    kept: Vec<i64>,
    /// The submission's key: a second tap on 提交 answers as the first did.
    idem: String,
}

impl IntakeForm {
    fn kept_list(&self) -> String {
        super::formdata::id_list(&self.kept)
    }
}

#[derive(Default)]
pub struct IntakeErrors {
    form: Option<String>,
    category: Option<String>,
    unit: Option<String>,
    description: Option<String>,
    address_detail: Option<String>,
    photos: Option<String>,
    note: Option<String>,
}

impl IntakeErrors {
    /// Puts a store message beside its field; the first message per field wins.
    fn place(&mut self, field: &str, msg: String) {
        let slot = match field {
            "category" => &mut self.category,
            "unit" => &mut self.unit,
            "description" => &mut self.description,
            "address_detail" => &mut self.address_detail,
            "attachments" | "evidence" | "file" => &mut self.photos,
            "note" => &mut self.note,
            _ => &mut self.form,
        };
        slot.get_or_insert(msg);
    }

    fn any(&self) -> bool {
        self.form.is_some()
            || self.category.is_some()
            || self.unit.is_some()
            || self.description.is_some()
            || self.address_detail.is_some()
            || self.photos.is_some()
            || self.note.is_some()
    }
}

#[derive(Template)]
#[template(path = "case_new.html")]
struct IntakePage {
    t: T,
    user: User,
    csrf: String,
    f: IntakeForm,
    e: IntakeErrors,
    /// (major's name, [(code, minor's name)])
    categories: Vec<(String, Vec<(String, String)>)>,
    /// (code, indented name), inside the user's scope.
    units: Vec<(String, String)>,
    max_mb: u64,
}

/// The categories staff may report in (internal ones too: their own tasks)
/// and the places inside the caller's scope, narrowed by the search.
async fn choices(
    s: &AppState,
    t: T,
    ctx: &Ctx,
    q: &str,
) -> (Vec<(String, Vec<(String, String)>)>, Vec<(String, String)>) {
    let ctx = ctx.clone();
    let q = q.trim().to_string();
    let loaded = s
        .store
        .db
        .read(move |c| {
            let cats = cases::list_categories(c, false)?;
            let mut units = Vec::new();
            for kind in [
                UnitKind::Community,
                UnitKind::Compound,
                UnitKind::Building,
                UnitKind::Grid,
            ] {
                let f = wangge_store::units::ListFilter {
                    kind: Some(kind),
                    q: Some(q.clone()).filter(|q| !q.is_empty()),
                    ..Default::default()
                };
                units.extend(wangge_store::units::list(c, &ctx, &f, None, Some(500))?.items);
            }
            Ok((cats, units))
        })
        .await;
    let Ok((cats, mut units)) = loaded else {
        return (Vec::new(), Vec::new());
    };
    let name = |k: &cases::Category| t.pick(&k.name_zh, &k.name_en).to_string();
    let groups = cats
        .iter()
        .filter(|k| k.parent.is_none())
        .map(|major| {
            let minors = cats
                .iter()
                .filter(|k| k.parent.as_deref() == Some(major.code.as_str()))
                .map(|k| (k.code.clone(), name(k)))
                .collect::<Vec<_>>();
            (name(major), minors)
        })
        .filter(|(_, minors)| !minors.is_empty())
        .collect();
    // In code order a building follows its compound and a compound its community.
    units.sort_by(|a, b| a.code.cmp(&b.code));
    let units = units
        .into_iter()
        .map(|u| {
            let indent = "\u{a0}\u{a0}\u{a0}".repeat((u.depth - 2).max(0) as usize);
            (u.code, format!("{indent}{}", u.name))
        })
        .collect();
    (groups, units)
}

async fn page(
    s: &AppState,
    t: T,
    session: PageSession,
    f: IntakeForm,
    e: IntakeErrors,
    status: StatusCode,
) -> Response {
    let (categories, units) = choices(s, t, &session.ctx, &f.q).await;
    render(
        status,
        &IntakePage {
            t,
            user: session.user,
            csrf: session.csrf,
            f,
            e,
            categories,
            units,
            max_mb: s.files.max_bytes / 1024 / 1024,
        },
    )
}

#[derive(Deserialize, Default)]
struct PlaceQuery {
    #[serde(default)]
    q: String,
}

async fn form_page(
    State(s): State<AppState>,
    t: T,
    session: Option<PageSession>,
    Query(pq): Query<PlaceQuery>,
) -> Response {
    let Some(session) = session else {
        return to_login("/cases/new");
    };
    // The menu's table already stops a GET for a role without the permission.
    let f = IntakeForm {
        q: pq.q,
        idem: fresh_key(),
        ..Default::default()
    };
    page(&s, t, session, f, IntakeErrors::default(), StatusCode::OK).await
}

fn opt(v: &str) -> Option<String> {
    Some(v.trim().to_string()).filter(|v| !v.is_empty())
}

fn bilingual(t: T, e: &wangge_core::Error) -> String {
    match e {
        wangge_core::Error::Invalid { zh, en, .. }
        | wangge_core::Error::Conflict { zh, en, .. } => t.pick(zh, en).to_string(),
    }
}

/// The messages of everything a person must fill, all at once; the store's
/// own checks (one at a time) stay the last word.
fn check(t: T, f: &IntakeForm, data: &FormData, max_mb: u64, e: &mut IntakeErrors) {
    if data.broken {
        e.form = Some(t.t("case.form_broken").to_string());
    }
    if let Some(name) = &data.too_large {
        e.photos = Some(
            t.t("portal.photo_too_large")
                .replace("{name}", name)
                .replace("{mb}", &max_mb.to_string()),
        );
    }
    if f.category.trim().is_empty() {
        e.category = Some(t.t("resident.need_category").to_string());
    }
    if f.unit.trim().is_empty() {
        e.unit = Some(t.t("intake.need_unit").to_string());
    }
    if f.description.trim().is_empty() {
        e.description = Some(t.t("resident.need_description").to_string());
    }
    if f.on_spot {
        if f.note.trim().is_empty() {
            e.note = Some(t.t("intake.need_note").to_string());
        }
        let chosen = data.files.iter().any(|p| p.field == "photos");
        if !chosen && f.kept.is_empty() && e.photos.is_none() {
            e.photos = Some(t.t("intake.need_photo").to_string());
        }
    }
}

async fn submit(
    State(s): State<AppState>,
    t: T,
    session: Option<PageSession>,
    mp: Multipart,
) -> Response {
    let data = FormData::read(mp, s.files.max_bytes).await;
    let Some(session) = session else {
        return to_login("/cases/new");
    };
    if !session.csrf_ok(&data.get("csrf")) {
        return ApiError::Csrf.into_response();
    }
    if !session.ctx.can(Permission::CasesIntake) {
        return super::forbidden_page(t);
    }
    let mut f = IntakeForm {
        category: data.get("category"),
        unit: data.get("unit"),
        description: data.get("description"),
        address_detail: data.get("address_detail"),
        on_spot: data.get("on_spot") == "1",
        note: data.get("note"),
        q: data.get("q"),
        kept: data.ids("kept"),
        idem: data.get("idem"),
    };
    if f.idem.len() < 16 {
        f.idem = fresh_key();
    }
    let mut e = IntakeErrors::default();
    // The place search button: the same form with the list narrowed, no messages yet.
    if !data.get("search").is_empty() {
        return page(&s, t, session, f, e, StatusCode::OK).await;
    }
    let slot = in_flight(&format!("intake:{}", f.idem));
    let mut done = slot.lock().await;
    if let Some((to, _)) = done.clone() {
        return see_other(&to);
    }
    let max_mb = s.files.max_bytes / 1024 / 1024;
    check(t, &f, &data, max_mb, &mut e);
    // Photos only when everything else is in order: a wrong file is refused
    // beside its field before any case exists, and nothing is stored for a
    // form that comes back anyway.
    if !e.any() {
        for p in data.files.iter().filter(|p| p.field == "photos") {
            match crate::attachments::store_upload(
                &s,
                session.ctx.clone(),
                p.bytes.clone(),
                p.name.clone(),
                p.content_type.clone(),
            )
            .await
            {
                Ok(info) => f.kept.push(info.id),
                Err(ApiError::Store(StoreError::Domain(err))) => {
                    e.photos = Some(format!("{}:{}", p.name, bilingual(t, &err)));
                    break;
                }
                Err(ApiError::TooLarge { .. }) => {
                    e.photos = Some(
                        t.t("portal.photo_too_large")
                            .replace("{name}", &p.name)
                            .replace("{mb}", &max_mb.to_string()),
                    );
                    break;
                }
                Err(other) => return other.into_response(),
            }
        }
    }
    if !e.any() {
        match write(&s, &session, &f).await {
            Ok(id) => {
                let how = if f.on_spot { "resolved" } else { "reported" };
                let to = format!("/cases/{id}?done={how}");
                *done = Some((to.clone(), String::new()));
                return see_other(&to);
            }
            Err(StoreError::Domain(err @ wangge_core::Error::Invalid { .. })) => {
                let field = match &err {
                    wangge_core::Error::Invalid { field, .. } => field.clone(),
                    _ => String::new(),
                };
                e.place(&field, bilingual(t, &err));
            }
            Err(StoreError::Domain(err)) => e.form = Some(bilingual(t, &err)),
            Err(other) => return ApiError::from(other).into_response(),
        }
    }
    page(&s, t, session, f, e, StatusCode::UNPROCESSABLE_ENTITY).await
}

/// The report, and with 自行处置 its close, in one transaction; the photos
/// are the report's, or the close's evidence.
async fn write(s: &AppState, session: &PageSession, f: &IntakeForm) -> Result<i64, StoreError> {
    let (attachments, on_spot) = if f.on_spot {
        (
            Vec::new(),
            Some(OnSpot {
                note: opt(&f.note),
                evidence: f.kept.clone(),
            }),
        )
    } else {
        (f.kept.clone(), None)
    };
    let new = NewCase {
        category: f.category.trim().to_string(),
        unit: f.unit.trim().to_string(),
        description: f.description.clone(),
        lat: None,
        lon: None,
        address_detail: opt(&f.address_detail),
        source: Source::Grid,
        reported_at: None,
        fields: Default::default(),
        reporter_name: None,
        reporter_contact: None,
        reporter_withheld: false,
        on_spot,
        attachments,
        note: None,
    };
    // On another node the store still answers a repeat with the first case.
    let idem = wangge_store::cases::Idempotency {
        key: f.idem.clone(),
        principal: format!("user:{}", session.ctx.actor),
        request_hash: wangge_store::cases::request_hash(&new),
    };
    let (ctx, cfg) = (session.ctx.clone(), s.cases.clone());
    let created = s
        .store
        .db
        .write(move |c| wangge_store::cases::create(c, &ctx, &cfg, new, Some(&idem)))
        .await?;
    Ok(created.case.id)
}
