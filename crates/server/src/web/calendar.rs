//! The holiday calendar page: the years the deadline calendar knows (built in,
//! from the calendar file, or added here), a chosen year's holidays and
//! make-up working days, and a form for a zone administrator to add a later
//! year in the text format of `docs/CALENDAR.md`.

use super::i18n::T;
use super::session::PageSession;
use super::{not_found_page, render};
use crate::error::ApiError;
use crate::web::CheckedForm;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use wangge_core::auth::Permission;
use wangge_core::calendar::DayKind;
use wangge_store::accounts::User;
use wangge_store::calendar;
use wangge_store::Error as StoreError;

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/calendar", get(page).post(add))
}

/// Reads the years added in the web UI into the running calendar. Called at
/// start, by the sweep every minute (so every node sees another's addition)
/// and right after an addition.
pub async fn reload(s: &AppState) -> Result<Vec<i32>, StoreError> {
    let live = s.cases.calendar.clone();
    s.store.db.read(move |c| calendar::load(c, &live)).await
}

pub struct YearRow {
    pub year: i32,
    /// `calendar.source_builtin`, `calendar.source_file` or `calendar.source_added`.
    pub source_key: &'static str,
    pub selected: bool,
}

pub struct DayRow {
    pub date: String,
    pub weekday_key: String,
    pub holiday: bool,
    pub festival_key: String,
}

#[derive(Template)]
#[template(path = "admin_calendar.html")]
struct CalendarPage {
    t: T,
    user: User,
    csrf: String,
    years: Vec<YearRow>,
    year: Option<i32>,
    sources: Vec<String>,
    days: Vec<DayRow>,
    holidays: usize,
    workdays: usize,
    notice: String,
    error: Option<String>,
    done: Option<String>,
}

#[derive(Deserialize, Default)]
struct YearQuery {
    #[serde(default)]
    year: String,
    #[serde(default)]
    done: String,
}

/// The page for `year` (the current one when absent or unknown), with the
/// form holding `notice` and its error.
async fn view(
    s: &AppState,
    t: T,
    session: PageSession,
    year: Option<i32>,
    (notice, error, done): (String, Option<String>, Option<String>),
    status: StatusCode,
) -> Response {
    if !session.ctx.can(Permission::UsersManage) {
        return not_found_page(t);
    }
    let added = match s.store.db.read(calendar::list_added).await {
        Ok(a) => a,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let cal = s.cases.calendar.current();
    let this_year = session.ctx.now.to_offset(wangge_store::ctx::CST).year();
    let all = cal.years();
    let chosen = year
        .filter(|y| all.contains(y))
        .or_else(|| all.contains(&this_year).then_some(this_year))
        .or_else(|| all.last().copied());
    let years = all
        .iter()
        .map(|&y| YearRow {
            year: y,
            source_key: if added.iter().any(|a| a.year == y) {
                "calendar.source_added"
            } else if cal.notice(y).is_some_and(|n| n.from_file) {
                "calendar.source_file"
            } else {
                "calendar.source_builtin"
            },
            selected: Some(y) == chosen,
        })
        .collect();
    let notice_of = chosen.and_then(|y| cal.notice(y));
    let days: Vec<DayRow> = notice_of
        .map(|n| {
            n.days
                .iter()
                .map(|(d, (kind, festival))| DayRow {
                    date: d.to_string(),
                    weekday_key: format!("weekday.{}", d.weekday().number_from_monday()),
                    holiday: *kind == DayKind::Holiday,
                    festival_key: format!("festival.{}", festival.as_str()),
                })
                .collect()
        })
        .unwrap_or_default();
    let page = CalendarPage {
        t,
        user: session.user,
        csrf: session.csrf,
        years,
        year: chosen,
        sources: notice_of.map(|n| n.sources.clone()).unwrap_or_default(),
        holidays: days.iter().filter(|d| d.holiday).count(),
        workdays: days.iter().filter(|d| !d.holiday).count(),
        days,
        notice,
        error,
        done,
    };
    render(status, &page)
}

async fn page(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Query(q): Query<YearQuery>,
) -> Response {
    let done = (q.done == "1").then(|| t.t("calendar.added").to_string());
    let year = q.year.trim().parse::<i32>().ok();
    view(
        &s,
        t,
        session,
        year,
        (String::new(), None, done),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
struct AddForm {
    #[serde(default)]
    notice: String,
}

/// Adds a year; on any error the form comes back with the message next to the
/// text and the text as typed, and the calendar is unchanged.
async fn add(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    CheckedForm(f): CheckedForm<AddForm>,
) -> Response {
    if !session.ctx.can(Permission::UsersManage) {
        return not_found_page(t);
    }
    let (ctx, live, text) = (
        session.ctx.clone(),
        s.cases.calendar.clone(),
        f.notice.clone(),
    );
    let result = s
        .store
        .db
        .write(move |c| calendar::add_year(c, &ctx, &live, &text))
        .await;
    let message = match result {
        Ok(year) => {
            if let Err(e) = reload(&s).await {
                return ApiError::from(e).into_response();
            }
            let mut r =
                Redirect::to(&format!("/admin/calendar?year={year}&done=1")).into_response();
            *r.status_mut() = StatusCode::SEE_OTHER;
            return r;
        }
        Err(StoreError::Domain(
            wangge_core::Error::Invalid { zh, en, .. }
            | wangge_core::Error::Conflict { zh, en, .. },
        )) => t.pick(&zh, &en).to_string(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    view(
        &s,
        t,
        session,
        None,
        (f.notice, Some(message), None),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}
