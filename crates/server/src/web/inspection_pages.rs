//! The staff pages of the inspection engine: the plans in the user's scope
//! with a form for a new one, a plan's progress, statistics and targets, the
//! inspector's phone record form and what it saved, and the checklist
//! templates with their editor. The printable problem list is in
//! `inspections.rs`.

mod answers;
mod new_plan;
mod record;
mod templates;

use super::exports::{ExportLinks, List};
use super::i18n::T;
use super::session::PageSession;
use super::{not_found_page, page_error, render};
use crate::AppState;
use askama::Template;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use wangge_core::auth::Permission;
use wangge_core::inspections::Severity;
use wangge_store::accounts::User;
use wangge_store::inspections::{self, Plan, PlanStats, Record, Target, TargetStatus};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/inspections", get(home))
        .route("/inspections/plans", axum::routing::post(new_plan::submit))
        .route("/inspections/plans/{id}", get(plan_page))
        .route(
            "/inspections/plans/{id}/targets/{target}/record",
            get(record::form)
                .post(record::submit)
                .layer(DefaultBodyLimit::max(super::formdata::body_limit(
                    wangge_store::attachments::DEFAULT_MAX_BYTES,
                ))),
        )
        .route("/inspections/records/{id}", get(record_page))
        .route(
            "/inspections/templates",
            get(templates::list).post(templates::create),
        )
        .route(
            "/inspections/templates/{code}",
            get(templates::show).post(templates::edit),
        )
}

/// A domain error's message in the page's language.
fn message(t: T, e: &wangge_core::Error) -> String {
    match e {
        wangge_core::Error::Invalid { zh, en, .. }
        | wangge_core::Error::Conflict { zh, en, .. } => t.pick(zh, en).to_string(),
    }
}

fn see_other(to: &str) -> Response {
    let mut res = Redirect::to(to).into_response();
    *res.status_mut() = StatusCode::SEE_OTHER;
    res
}

fn severity_key(s: Severity) -> &'static str {
    match s {
        Severity::General => "inspection_pages.sev_general",
        Severity::Serious => "inspection_pages.sev_serious",
        Severity::Major => "inspection_pages.sev_major",
    }
}

/// A plan as a line of the home page.
pub struct PlanLine {
    pub plan: Plan,
    pub stats: Option<PlanStats>,
}

#[derive(Template)]
#[template(path = "inspections_home.html")]
struct HomePage {
    t: T,
    user: User,
    csrf: String,
    plans: Vec<PlanLine>,
    /// Links to export the plan list as shown (`/exports/inspection-plans.xlsx`).
    exports: Vec<ExportLinks>,
    form: Option<new_plan::PlanForm>,
    status: StatusCode,
}

#[derive(serde::Deserialize, Default)]
struct HomeQuery {
    #[serde(default)]
    org_q: String,
}

async fn home(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Query(q): Query<HomeQuery>,
) -> Response {
    let form = if session.ctx.can(Permission::InspectionsManage) {
        let unit = session.user.scope_unit.clone();
        Some(new_plan::PlanForm::blank(&s, &session.ctx, unit, q.org_q).await)
    } else {
        None
    };
    home_with(&s, t, session, form, StatusCode::OK).await
}

/// The home page, with the new-plan form as given (blank, or refused with
/// its messages).
async fn home_with(
    s: &AppState,
    t: T,
    session: PageSession,
    form: Option<new_plan::PlanForm>,
    status: StatusCode,
) -> Response {
    if !session.ctx.can(Permission::InspectionsRead) {
        return not_found_page(t);
    }
    let ctx = session.ctx.clone();
    let plans = s
        .store
        .db
        .read(move |c| {
            let mut out = Vec::new();
            for plan in inspections::list_plans(c, &ctx)? {
                // A plan listed but whose statistics fail still shows its name.
                let stats = inspections::plan_stats(c, &ctx, plan.id).ok();
                out.push(PlanLine { plan, stats });
            }
            Ok(out)
        })
        .await;
    let plans = match plans {
        Ok(p) => p,
        Err(e) => return page_error(t, e),
    };
    let page = HomePage {
        t,
        exports: ExportLinks::of(t, &session.ctx, List::Plans, String::new()),
        user: session.user,
        csrf: session.csrf,
        plans,
        form,
        status,
    };
    render(page.status, &page)
}

/// A target as a line of the plan page.
pub struct TargetLine {
    pub target: Target,
    pub state_key: &'static str,
}

#[derive(Template)]
#[template(path = "inspections_plan.html")]
struct PlanPage {
    t: T,
    user: User,
    csrf: String,
    plan: Plan,
    stats: PlanStats,
    targets: Vec<TargetLine>,
    /// Targets listed whose every finding was verified or closed (已销号).
    cleared: usize,
    /// Links to export the targets as listed (`/exports/plan-targets.xlsx?plan=`).
    exports: Vec<ExportLinks>,
    can_record: bool,
}

impl PlanPage {
    fn severity(&self, s: &Severity) -> &'static str {
        self.t.t(severity_key(*s))
    }
}

async fn plan_page(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(t);
    };
    let ctx = session.ctx.clone();
    let loaded = s
        .store
        .db
        .read(move |c| {
            let plan = inspections::get_plan(c, &ctx, id)?;
            let stats = inspections::plan_stats(c, &ctx, id)?;
            let targets = inspections::list_targets(c, &ctx, id)?;
            Ok((plan, stats, targets))
        })
        .await;
    let (plan, stats, targets) = match loaded {
        Ok(v) => v,
        Err(e) => return page_error(t, e),
    };
    let cleared = targets
        .iter()
        .filter(|t| t.status() == TargetStatus::Cleared)
        .count();
    let targets = targets
        .into_iter()
        .map(|target| TargetLine {
            state_key: match target.status() {
                TargetStatus::Todo => "inspection_pages.state_todo",
                TargetStatus::Inspected => "inspection_pages.state_done",
                TargetStatus::Found => "staff.target_found",
                TargetStatus::Cleared => "staff.target_cleared",
            },
            target,
        })
        .collect();
    let page = PlanPage {
        t,
        exports: ExportLinks::of(t, &session.ctx, List::PlanTargets, format!("plan={id}")),
        can_record: session.ctx.can(Permission::InspectionsRecord),
        user: session.user,
        csrf: session.csrf,
        plan,
        stats,
        targets,
        cleared,
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "inspections_saved.html")]
struct RecordPage {
    t: T,
    user: User,
    csrf: String,
    record: Record,
    recorded_at: String,
}

impl RecordPage {
    fn severity(&self, s: &Severity) -> &'static str {
        self.t.t(severity_key(*s))
    }

    fn case_state(&self, f: &inspections::FindingView) -> String {
        match f.case_state {
            Some(st) => self.t.t(&format!("state.{}", st.as_str())).to_string(),
            None => "—".to_string(),
        }
    }
}

async fn record_page(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(t);
    };
    let ctx = session.ctx.clone();
    let record = match s
        .store
        .db
        .read(move |c| inspections::get_record(c, &ctx, id))
        .await
    {
        Ok(r) => r,
        Err(e) => return page_error(t, e),
    };
    let recorded_at = local(&record.recorded_at);
    let page = RecordPage {
        t,
        user: session.user,
        csrf: session.csrf,
        record,
        recorded_at,
    };
    render(StatusCode::OK, &page)
}

/// An RFC 3339 time as people in the zone read it, or as given.
fn local(rfc3339: &str) -> String {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .map(super::cases::local_time)
        .unwrap_or_else(|_| rfc3339.to_string())
}
