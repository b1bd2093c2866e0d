//! The printable problem list (问题清单) of an inspection record, its print
//! stylesheet, and the inspection block of the dashboard. The template
//! editor, plan page and the inspector's form live in their own files.

use super::i18n::T;
use super::session::PageSession;
use super::{not_found_page, render};
use crate::error::ApiError;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use wangge_core::auth::Permission;
use wangge_core::inspections::ELEVATOR_USE_UNIT;
use wangge_store::inspections::{self, ProblemItem, ProblemList};
use wangge_store::{Ctx, Error as StoreError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/inspections/records/{id}/problem-list",
            get(problem_list_page),
        )
        .route("/static/problem-list.css", get(print_stylesheet))
}

/// On paper only the list itself: no navigation, no hints, black on white,
/// and a table row never split across pages.
const PRINT_CSS: &str = "\
.problem-list .sign { margin-top: 2.5rem; display: flex; justify-content: space-between; gap: 2rem; }
.problem-list dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
.problem-list dt { font-weight: bold; }
.problem-list dd { margin: 0; }
@media print {
  header.top, footer, .skip, .no-print { display: none !important; }
  body, main, .card { background: #fff !important; color: #000 !important; box-shadow: none !important; border: 0 !important; margin: 0; padding: 0; }
  .problem-list table { width: 100%; border-collapse: collapse; font-size: 10.5pt; }
  .problem-list th, .problem-list td { border: 1px solid #000; padding: 4pt; }
  .problem-list tr { break-inside: avoid; }
  .problem-list h1 { text-align: center; font-size: 18pt; }
  @page { size: A4; margin: 18mm 15mm; }
}
";

async fn print_stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        PRINT_CSS,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "inspection_problem_list.html")]
struct ProblemListPage {
    t: T,
    user: wangge_store::accounts::User,
    csrf: String,
    list: ProblemList,
}

impl ProblemListPage {
    fn severity(&self, i: &ProblemItem) -> String {
        self.t
            .pick(&i.severity_label, i.severity.as_str())
            .to_string()
    }

    fn state(&self, i: &ProblemItem) -> String {
        match (&i.case_state_label, i.case_state) {
            (Some(zh), Some(s)) => self.t.pick(zh, s.as_str()).to_string(),
            _ => "—".to_string(),
        }
    }
}

async fn problem_list_page(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(t);
    };
    let ctx = session.ctx.clone();
    let list = match s
        .store
        .db
        .read(move |c| inspections::problem_list(c, &ctx, id))
        .await
    {
        Ok(l) => l,
        Err(StoreError::NotFound { .. }) | Err(StoreError::Forbidden) => return not_found_page(t),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let page = ProblemListPage {
        t,
        user: session.user,
        csrf: session.csrf,
        list,
    };
    render(StatusCode::OK, &page)
}

/// The dashboard's block on the elevator investigation in the user's scope:
/// targets inspected per group (人员密集场所 6 家、大型小区 20 家), problem
/// lists issued, and how rectification stands, all from the statistics.
pub struct DashBlock {
    /// (group, inspected, targets)
    pub groups: Vec<(String, i64, i64)>,
    pub problem_lists: i64,
    pub findings: i64,
    pub rectified: i64,
    pub rectified_on_time: i64,
    pub open: i64,
}

impl DashBlock {
    /// "人员密集场所 6 家、大型小区 20 家" in the page's language.
    pub fn inspected(&self, t: &T) -> String {
        self.groups
            .iter()
            .map(|(g, n, _)| format!("{g} {n} {}", t.t("insp.dash_places")))
            .collect::<Vec<_>>()
            .join(t.pick("、", ", "))
    }
}

/// `None` for users who may not read inspections, when nothing was planned
/// in their scope, or when the store cannot answer (the dashboard must not
/// fail for it).
pub async fn dash_block(s: &AppState, ctx: &Ctx) -> Option<DashBlock> {
    if !ctx.can(Permission::InspectionsRead) {
        return None;
    }
    let ctx = ctx.clone();
    let st = s
        .store
        .db
        .read(move |c| inspections::subtree_stats(c, &ctx, None, Some(ELEVATOR_USE_UNIT)))
        .await
        .ok()?;
    if st.progress.targets == 0 {
        return None;
    }
    Some(DashBlock {
        groups: st
            .groups
            .iter()
            .map(|g| (g.group.clone(), g.inspected, g.targets))
            .collect(),
        problem_lists: st.problem_lists,
        findings: st.findings,
        rectified: st.rectified,
        rectified_on_time: st.rectified_on_time,
        open: st.open,
    })
}
