//! Pages of the special-equipment registry (list with filters and alerts, a
//! piece of equipment with its history and forms for maintenance and status),
//! and the alert block shown on the staff home page and
//! the dashboard.

mod detail;
mod new;

use super::exports::{ExportLinks, List};
use super::i18n::T;
use super::session::PageSession;
use super::{page_error, render};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use wangge_core::auth::Permission;
use wangge_core::equipment::{
    Alert, AlertKind, EquipmentKind, EquipmentStatus, DEFAULT_ALERT_DAYS,
};
use wangge_store::accounts::User;
use wangge_store::equipment::{self as eq, AlertCounts, Equipment};
use wangge_store::{Ctx, Error as StoreError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/equipment", get(list_page).post(new::submit))
        .merge(detail::routes())
}

/// One alert as a line of text: its kind and how late or how soon.
pub struct AlertText {
    pub kind: &'static str,
    pub text: String,
    pub late: bool,
}

impl AlertText {
    fn new(t: T, a: &Alert) -> AlertText {
        let (key, n) = if a.days_overdue > 0 {
            ("equipment.days_overdue", a.days_overdue)
        } else {
            ("equipment.days_left", -a.days_overdue)
        };
        AlertText {
            kind: a.kind.as_str(),
            text: format!(
                "{} · {}",
                t.t(alert_key(a.kind)),
                t.t(key).replace("{n}", &n.to_string())
            ),
            late: a.days_overdue > 0,
        }
    }
}

fn alert_key(k: AlertKind) -> &'static str {
    match k {
        AlertKind::InspectionOverdue => "equipment.alert.inspection_overdue",
        AlertKind::InspectionDue => "equipment.alert.inspection_due",
        AlertKind::MaintenanceOverdue => "equipment.alert.maintenance_overdue",
    }
}

fn kind_key(k: EquipmentKind) -> &'static str {
    match k {
        EquipmentKind::Elevator => "equipment.kind.elevator",
        EquipmentKind::Escalator => "equipment.kind.escalator",
    }
}

fn status_key(s: EquipmentStatus) -> &'static str {
    match s {
        EquipmentStatus::InUse => "equipment.status.in_use",
        EquipmentStatus::Stopped => "equipment.status.stopped",
        EquipmentStatus::Scrapped => "equipment.status.scrapped",
    }
}

pub struct Row {
    pub id: i64,
    pub code: String,
    pub kind: &'static str,
    pub place: String,
    pub use_org: String,
    pub next_inspection: String,
    pub maintenance_due: String,
    pub status: &'static str,
    pub alerts: Vec<AlertText>,
}

impl Row {
    fn new(t: T, e: &Equipment) -> Row {
        Row {
            id: e.id,
            code: e.registration_code.clone(),
            kind: kind_key(e.kind),
            place: place(&e.unit_name, &e.location),
            use_org: e.use_org_name.clone(),
            next_inspection: e.next_inspection_due.clone(),
            maintenance_due: e.maintenance_due.clone(),
            status: status_key(e.status),
            alerts: e.alerts.iter().map(|a| AlertText::new(t, a)).collect(),
        }
    }
}

fn place(unit: &str, location: &str) -> String {
    if location.is_empty() {
        unit.to_string()
    } else {
        format!("{unit} {location}")
    }
}

/// The list's filters as typed; empty means "any".
#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    alert: String,
    cursor: Option<String>,
}

/// A choice of a filter's select: (value, catalogue key, selected).
pub struct Choice {
    pub value: &'static str,
    pub key: &'static str,
    pub selected: bool,
}

fn choices<K: Copy>(
    all: &[K],
    value: fn(K) -> &'static str,
    key: fn(K) -> &'static str,
    current: &str,
) -> Vec<Choice> {
    all.iter()
        .map(|&k| Choice {
            value: value(k),
            key: key(k),
            selected: value(k) == current,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "equipment_list.html")]
struct ListPage {
    t: T,
    user: User,
    csrf: String,
    unit: String,
    kinds: Vec<Choice>,
    statuses: Vec<Choice>,
    alert_kinds: Vec<Choice>,
    rows: Vec<Row>,
    error: Option<String>,
    next: Option<String>,
    query: String,
    block: Option<AlertBlock>,
    exports: Vec<ExportLinks>,
    /// The registration form, for those who may register.
    form: Option<new::NewForm>,
}

async fn list_page(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Query(q): Query<ListQuery>,
) -> Response {
    let form = session
        .ctx
        .can(Permission::EquipmentWrite)
        .then(new::NewForm::default);
    list(&s, t, session, q, form, StatusCode::OK).await
}

/// The list page, with the registration form as given (kept input and errors
/// after a refused registration).
async fn list(
    s: &AppState,
    t: T,
    session: PageSession,
    q: ListQuery,
    form: Option<new::NewForm>,
    code: StatusCode,
) -> Response {
    let mut error = None;
    let mut bad = |e: wangge_core::Error| {
        if let wangge_core::Error::Invalid { zh, en, .. } = e {
            error = Some(t.pick(&zh, &en).to_string());
        }
    };
    let nonempty = |v: &str| Some(v.trim()).filter(|v| !v.is_empty()).map(str::to_string);
    let kind = nonempty(&q.kind).and_then(|k| EquipmentKind::parse(&k).map_err(&mut bad).ok());
    let status =
        nonempty(&q.status).and_then(|k| EquipmentStatus::parse(&k).map_err(&mut bad).ok());
    let alert = nonempty(&q.alert).and_then(|k| AlertKind::parse(&k).map_err(&mut bad).ok());
    let f = eq::ListFilter {
        unit: nonempty(&q.unit),
        kind,
        status,
        alert,
        within_days: None,
    };
    let (ctx, cursor) = (session.ctx.clone(), q.cursor.clone());
    let page = match s
        .store
        .db
        .read(move |c| eq::list(c, &ctx, &f, cursor.as_deref(), Some(100)))
        .await
    {
        Ok(p) => p,
        Err(StoreError::NotFound { .. }) => {
            error = Some(t.t("equipment.unknown_unit").to_string());
            wangge_store::Page {
                items: Vec::new(),
                next_cursor: None,
            }
        }
        Err(e) => return page_error(t, e),
    };
    let query = serde_urlencoded::to_string([
        ("unit", q.unit.as_str()),
        ("kind", q.kind.as_str()),
        ("status", q.status.as_str()),
        ("alert", q.alert.as_str()),
    ])
    .unwrap_or_default();
    let block = alert_block(s, t, &session.ctx).await;
    let export_query = super::exports::query(&[
        ("unit", q.unit.as_str()),
        ("kind", q.kind.as_str()),
        ("status", q.status.as_str()),
        ("alert", q.alert.as_str()),
    ]);
    render(
        code,
        &ListPage {
            t,
            exports: ExportLinks::of(t, &session.ctx, List::Equipment, export_query),
            form,
            kinds: choices(
                &EquipmentKind::ALL,
                EquipmentKind::as_str,
                kind_key,
                &q.kind,
            ),
            statuses: choices(
                &EquipmentStatus::ALL,
                EquipmentStatus::as_str,
                status_key,
                &q.status,
            ),
            alert_kinds: choices(&AlertKind::ALL, AlertKind::as_str, alert_key, &q.alert),
            rows: page.items.iter().map(|e| Row::new(t, e)).collect(),
            next: page.next_cursor,
            unit: q.unit,
            error,
            query,
            block,
            user: session.user,
            csrf: session.csrf,
        },
    )
}

/// The alert block of the home page and the dashboard: counts in the user's
/// scope and the most urgent few, linked.
pub struct AlertBlock {
    pub counts: AlertCounts,
    pub total: i64,
    pub items: Vec<BlockItem>,
}

pub struct BlockItem {
    pub id: i64,
    pub code: String,
    pub place: String,
    pub alert: AlertText,
}

/// How many alerts the block lists; the counts cover all of them.
const BLOCK_ITEMS: i64 = 5;

/// The alert block for a user who may read the registry (`None` otherwise,
/// or when the store cannot answer: a home page must not fail for it).
pub async fn alert_block(s: &AppState, t: T, ctx: &Ctx) -> Option<AlertBlock> {
    if !ctx.can(Permission::EquipmentRead) {
        return None;
    }
    let ctx = ctx.clone();
    let list = s
        .store
        .db
        .read(move |c| {
            let today = ctx.today();
            eq::alerts(c, &ctx, DEFAULT_ALERT_DAYS, today, Some(BLOCK_ITEMS))
        })
        .await
        .map_err(|e| tracing::warn!(error = %e, "equipment alerts unavailable"))
        .ok()?;
    Some(AlertBlock {
        total: list.counts.total(),
        counts: list.counts,
        items: list
            .items
            .iter()
            .map(|a| BlockItem {
                id: a.equipment_id,
                code: a.registration_code.clone(),
                place: place(&a.unit_name, &a.location),
                alert: AlertText::new(t, &a.alert),
            })
            .collect(),
    })
}
