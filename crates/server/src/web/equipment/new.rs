//! The "登记设备" form of the equipment list: a refused registration shows the
//! list again with the input kept and the reason next to its field.

use super::{list, page_error, ListQuery};
use crate::error::ApiError;
use crate::web::i18n::T;
use crate::web::not_found_page;
use crate::web::session::PageSession;
use crate::web::CheckedForm;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use wangge_core::auth::Permission;
use wangge_core::equipment::EquipmentKind;
use wangge_store::equipment::{self as eq, NewEquipment};
use wangge_store::Error as StoreError;

/// What the form holds: the typed values, and the refusal at its field.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct NewForm {
    pub registration_code: String,
    pub kind: String,
    pub unit: String,
    pub location: String,
    pub use_org: String,
    pub maintenance_org: String,
    pub model: String,
    pub installed_on: String,
    pub last_inspected_on: String,
    pub next_inspection_due: String,
    pub maintenance_interval_days: String,
    #[serde(skip_deserializing)]
    error: Option<(String, String)>,
}

impl NewForm {
    /// The refusal shown next to `field`, if it is there.
    pub fn err(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    /// A refusal that belongs to none of the fields.
    pub fn general(&self) -> Option<&str> {
        const FIELDS: &[&str] = &[
            "registration_code",
            "kind",
            "unit",
            "location",
            "use_org",
            "maintenance_org",
            "model",
            "installed_on",
            "last_inspected_on",
            "next_inspection_due",
            "maintenance_interval_days",
        ];
        self.error
            .as_ref()
            .filter(|(f, _)| !FIELDS.contains(&f.as_str()))
            .map(|(_, m)| m.as_str())
    }

    pub fn kind_is(&self, k: &str) -> bool {
        self.kind == k
    }
}

fn optional(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

/// The form's field an error names (the store speaks of organisation ids).
fn field_of(store_field: &str) -> String {
    match store_field {
        "use_org_id" => "use_org".into(),
        "maintenance_org_id" => "maintenance_org".into(),
        f => f.into(),
    }
}

pub async fn submit(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    CheckedForm(mut form): CheckedForm<NewForm>,
) -> Response {
    if !session.ctx.can(Permission::EquipmentWrite) {
        return ApiError::from(StoreError::Forbidden).into_response();
    }
    let (ctx, f) = (session.ctx.clone(), form.clone());
    let done = s
        .store
        .db
        .write(move |c| {
            let kind = EquipmentKind::parse(f.kind.trim())?;
            let use_org = eq::find_org(c, &ctx, "use_org", &f.use_org)?;
            let maintenance = match optional(&f.maintenance_org) {
                Some(m) => Some(eq::find_org(c, &ctx, "maintenance_org", &m)?),
                None => None,
            };
            let interval = match optional(&f.maintenance_interval_days) {
                Some(d) => Some(d.parse::<i64>().map_err(|_| {
                    wangge_core::Error::invalid(
                        "maintenance_interval_days",
                        "maintenance_interval",
                        "维保周期应填写天数(整数)",
                        "the maintenance interval is a whole number of days",
                    )
                })?),
                None => None,
            };
            eq::create(
                c,
                &ctx,
                NewEquipment {
                    registration_code: f.registration_code,
                    kind,
                    unit: f.unit.trim().to_string(),
                    location: optional(&f.location),
                    use_org_id: use_org,
                    maintenance_org_id: maintenance,
                    model: optional(&f.model),
                    installed_on: f.installed_on.trim().to_string(),
                    last_inspected_on: optional(&f.last_inspected_on),
                    next_inspection_due: optional(&f.next_inspection_due),
                    maintenance_interval_days: interval,
                    last_maintained_on: None,
                },
            )
        })
        .await;
    let message = match done {
        Ok(e) => {
            let mut r = Redirect::to(&format!("/equipment/{}?done=created", e.id)).into_response();
            *r.status_mut() = StatusCode::SEE_OTHER;
            return r;
        }
        Err(StoreError::Domain(wangge_core::Error::Invalid { field, zh, en, .. })) => {
            (field_of(&field), t.pick(&zh, &en).to_string())
        }
        Err(StoreError::Domain(wangge_core::Error::Conflict { zh, en, .. })) => (
            "registration_code".to_string(),
            t.pick(&zh, &en).to_string(),
        ),
        Err(StoreError::NotFound { .. }) => ("unit".into(), t.t("equipment.unknown_unit").into()),
        Err(StoreError::Forbidden) => return not_found_page(t),
        Err(e) => return page_error(t, e),
    };
    form.error = Some(message);
    list(
        &s,
        t,
        session,
        ListQuery::default(),
        Some(form),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}
