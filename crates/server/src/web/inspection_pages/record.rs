//! The inspector's record form, made for a phone: the plan's template version
//! rendered item by item, photos through the attachment upload, an optional
//! position, and a record key made when the form is first shown so that a
//! double submit or a resend after a lost connection stores one record.

use super::super::formdata::FormData;
use super::super::i18n::T;
use super::super::session::PageSession;
use super::super::{not_found_page, render};
use super::answers::{coordinate, read, sections, Read, SectionView};
use super::{message, page_error, see_other};
use crate::error::ApiError;
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use wangge_core::auth::Permission;
use wangge_core::inspections::{Answer, AnswerValue};
use wangge_store::accounts::User;
use wangge_store::inspections::{self, NewRecord, Plan, Target, Template as Checklist};
use wangge_store::{Ctx, Error as StoreError};

#[derive(Template)]
#[template(path = "inspections_record.html")]
struct RecordForm {
    t: T,
    user: User,
    csrf: String,
    plan: Plan,
    target: Target,
    version: i64,
    sections: Vec<SectionView>,
    record_key: String,
    recorded_at: String,
    lat: String,
    lon: String,
    note: String,
    form_error: Option<String>,
    place_error: Option<String>,
}

/// The plan, the target (which must be one of the plan's, as the caller
/// sees them) and the template version the plan runs on.
async fn load(
    s: &AppState,
    ctx: &Ctx,
    plan_id: &str,
    target_id: &str,
) -> Result<(Plan, Target, Checklist), StoreError> {
    let not_found = || StoreError::not_found("inspection target");
    let plan_id: i64 = plan_id.parse().map_err(|_| not_found())?;
    let target_id: i64 = target_id.parse().map_err(|_| not_found())?;
    let ctx = ctx.clone();
    s.store
        .db
        .read(move |c| {
            let plan = inspections::get_plan(c, &ctx, plan_id)?;
            let target = inspections::list_targets(c, &ctx, plan_id)?
                .into_iter()
                .find(|t| t.id == target_id)
                .ok_or_else(not_found)?;
            let tpl = inspections::get_template(
                c,
                &ctx,
                &plan.template_code,
                Some(plan.template_version),
            )?;
            Ok((plan, target, tpl))
        })
        .await
}

pub async fn form(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path((plan_id, target_id)): Path<(String, String)>,
) -> Response {
    if !session.ctx.can(Permission::InspectionsRecord) {
        return not_found_page(t);
    }
    let (plan, target, tpl) = match load(&s, &session.ctx, &plan_id, &target_id).await {
        Ok(v) => v,
        Err(e) => return page_error(t, e),
    };
    let record_key = match wangge_store::accounts::new_token("web-") {
        Ok(k) => k,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let page = RecordForm {
        t,
        user: session.user,
        csrf: session.csrf,
        version: tpl.version,
        sections: sections(&tpl.body, &HashMap::new(), &HashMap::new()),
        plan,
        target,
        record_key,
        recorded_at: session.ctx.now.format(&Rfc3339).unwrap_or_default(),
        lat: String::new(),
        lon: String::new(),
        note: String::new(),
        form_error: None,
        place_error: None,
    };
    render(StatusCode::OK, &page)
}

pub async fn submit(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path((plan_id, target_id)): Path<(String, String)>,
    mp: Multipart,
) -> Response {
    let data = FormData::read(mp, s.files.max_bytes).await;
    if !session.csrf_ok(&data.get("csrf")) {
        return ApiError::Csrf.into_response();
    }
    if !session.ctx.can(Permission::InspectionsRecord) {
        return not_found_page(t);
    }
    let mut record_key = data.get("record_key").trim().to_string();
    if record_key.is_empty() {
        record_key = match wangge_store::accounts::new_token("web-") {
            Ok(k) => k,
            Err(e) => return ApiError::from(e).into_response(),
        };
    }
    // Sent before (a double tap, or a resend after the answer was lost):
    // show what was stored instead of storing it again.
    let (ctx, key) = (session.ctx.clone(), record_key.clone());
    match s
        .store
        .db
        .read(move |c| inspections::record_by_key(c, &ctx, &key))
        .await
    {
        Ok(Some(id)) => return see_other(&format!("/inspections/records/{id}")),
        Ok(None) => {}
        Err(e) => return page_error(t, e),
    }
    let (plan, target, tpl) = match load(&s, &session.ctx, &plan_id, &target_id).await {
        Ok(v) => v,
        Err(e) => return page_error(t, e),
    };
    let Read {
        typed,
        mut errors,
        mut answers,
        photos,
    } = read(t, &tpl.body, &data);
    let mut form_error = None;
    let mut place_error = None;
    if data.broken {
        form_error = Some(t.t("inspection_pages.form_broken").to_string());
    }
    if let Some(name) = &data.too_large {
        let limit = (s.files.max_bytes / 1024 / 1024).to_string();
        form_error = Some(
            t.t("portal.photo_too_large")
                .replace("{name}", name)
                .replace("{mb}", &limit),
        );
    }
    let (lat, lon) = (data.get("lat"), data.get("lon"));
    let coords = match (coordinate(&lat), coordinate(&lon)) {
        (Ok(a), Ok(b)) => (a, b),
        _ => {
            place_error = Some(t.t("inspection_pages.bad_position").to_string());
            (None, None)
        }
    };
    let recorded_at =
        OffsetDateTime::parse(&data.get("recorded_at"), &Rfc3339).unwrap_or(session.ctx.now);
    let note = data.get("note");
    if errors.is_empty() && form_error.is_none() && place_error.is_none() {
        'store: {
            for (code, files) in &photos {
                let mut ids = Vec::new();
                for f in files {
                    match crate::attachments::store_upload(
                        &s,
                        session.ctx.clone(),
                        f.bytes.clone(),
                        f.name.clone(),
                        f.content_type.clone(),
                    )
                    .await
                    {
                        Ok(info) => ids.push(info.id),
                        Err(ApiError::Store(StoreError::Domain(e))) => {
                            errors
                                .insert(code.to_string(), format!("{}:{}", f.name, message(t, &e)));
                            break 'store;
                        }
                        Err(e) => return e.into_response(),
                    }
                }
                answers.insert(
                    code.to_string(),
                    Answer {
                        value: AnswerValue::Photos(ids),
                        note: None,
                    },
                );
            }
            let new = NewRecord {
                plan_id: plan.id,
                target_id: target.id,
                record_key: record_key.clone(),
                template_version: tpl.version,
                recorded_at,
                answers,
                lat: coords.0,
                lon: coords.1,
                note: Some(note.clone()).filter(|n| !n.trim().is_empty()),
                scores: Default::default(),
            };
            let (ctx, cfg) = (session.ctx.clone(), s.cases.clone());
            match s
                .store
                .db
                .write(move |c| inspections::submit_record(c, &ctx, &cfg, new))
                .await
            {
                Ok(done) => return see_other(&format!("/inspections/records/{}", done.record.id)),
                Err(StoreError::Domain(e @ wangge_core::Error::Invalid { .. })) => {
                    let field = match &e {
                        wangge_core::Error::Invalid { field, .. } => field.clone(),
                        _ => String::new(),
                    };
                    match field.strip_prefix("answers.") {
                        Some(code) => {
                            let code = code.split('.').next().unwrap_or_default();
                            errors.insert(code.to_string(), message(t, &e));
                        }
                        None if field == "lat" || field == "lon" => {
                            place_error = Some(message(t, &e))
                        }
                        None => form_error = Some(message(t, &e)),
                    }
                }
                Err(StoreError::Domain(e)) => form_error = Some(message(t, &e)),
                Err(e) => return page_error(t, e),
            }
        }
    }
    if form_error.is_none() && !errors.is_empty() {
        form_error = Some(t.t("inspection_pages.fix_fields").to_string());
    }
    let page = RecordForm {
        t,
        user: session.user,
        csrf: session.csrf,
        version: tpl.version,
        sections: sections(&tpl.body, &typed, &errors),
        plan,
        target,
        record_key,
        recorded_at: recorded_at.format(&Rfc3339).unwrap_or_default(),
        lat,
        lon,
        note,
        form_error,
        place_error,
    };
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}
