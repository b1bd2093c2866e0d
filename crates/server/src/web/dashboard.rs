//! The dashboard: a unit's numbers for a period (received, closed, on time,
//! overdue, satisfaction, 零上访小区), a weekly trend, and breakdowns by
//! category and by child unit, each a chart with its table. The unit and
//! period are resolved exactly as `/api/v1/stats/cases` resolves them, so the
//! page and the API give the same counts.

use super::charts::{self, Series};
use super::i18n::T;
use super::session::PageSession;
use super::{not_found_page, render};
use crate::cases::{stats_scope, StatsQuery};
use crate::error::ApiError;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use wangge_store::accounts::User;
use wangge_store::cases::{self, CaseStats};
use wangge_store::{Ctx, Error as StoreError};

pub fn routes() -> Router<AppState> {
    Router::new().route("/dashboard", get(dashboard))
}

const DAY_MS: i64 = 86_400_000;
/// Weeks drawn at most; a longer period shows its last weeks.
const MAX_WEEKS: i64 = 26;

/// The API's question built from the page's (empty values mean "default").
fn question(unit: &str, from: &str, to: &str) -> Result<StatsQuery, ApiError> {
    let mut m = serde_json::Map::new();
    for (k, v) in [("unit", unit), ("from", from), ("to", to)] {
        if !v.trim().is_empty() {
            m.insert(k.into(), serde_json::Value::String(v.trim().to_string()));
        }
    }
    // StatsQuery has only optional string fields, so this cannot fail.
    serde_json::from_value(serde_json::Value::Object(m)).map_err(|e| ApiError::Query(e.to_string()))
}

/// The default numbers of the user's scope (the workbench's counts).
pub async fn default_stats(s: &AppState, ctx: &Ctx) -> Option<CaseStats> {
    let (unit, from, to) = stats_scope(s, ctx, &question("", "", "").ok()?)
        .await
        .ok()?;
    let c2 = ctx.clone();
    s.store
        .db
        .read(move |c| cases::stats(c, &c2, &unit, from, to))
        .await
        .ok()
}

#[derive(Deserialize, Default)]
struct DashQuery {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

pub struct Row {
    pub code: String,
    pub name: String,
    pub s: CaseStats,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashPage {
    t: T,
    user: User,
    csrf: String,
    unit: String,
    unit_name: String,
    crumbs: Vec<(String, String)>,
    from: String,
    to: String,
    period_error: Option<String>,
    total: CaseStats,
    weeks: Vec<(String, i64, i64)>,
    trend_svg: String,
    categories: Vec<Row>,
    category_svg: String,
    children: Vec<Row>,
    child_svg: String,
    equipment_alerts: Option<super::equipment::AlertBlock>,
    inspections: Option<super::inspections::DashBlock>,
}

impl DashPage {
    fn pct(&self, v: &Option<f64>) -> String {
        v.map(|r| format!("{:.1}%", r * 100.0))
            .unwrap_or_else(|| "—".into())
    }
    fn rating(&self, v: &Option<f64>) -> String {
        v.map(|r| format!("{r:.2}")).unwrap_or_else(|| "—".into())
    }
    fn drill(&self, code: &str) -> String {
        format!(
            "/dashboard?unit={}&from={}&to={}",
            super::urlencode(code),
            super::urlencode(&self.from),
            super::urlencode(&self.to)
        )
    }
}

fn local_day(ms: i64) -> time::Date {
    time::OffsetDateTime::from_unix_timestamp(ms / 1000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(wangge_store::ctx::CST)
        .date()
}

async fn dashboard(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Query(q): Query<DashQuery>,
) -> Response {
    let ctx = session.ctx.clone();
    let mut period_error = None;
    let asked = match question(&q.unit, &q.from, &q.to) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let resolved = match stats_scope(&s, &ctx, &asked).await {
        Ok(r) => Ok(r),
        // A wrong date is shown next to the period; the default period is used.
        Err(ApiError::Store(StoreError::Domain(wangge_core::Error::Invalid {
            zh, en, ..
        }))) => {
            period_error = Some(t.pick(&zh, &en).to_string());
            match question(&q.unit, "", "") {
                Ok(a) => stats_scope(&s, &ctx, &a).await,
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    };
    let (unit, from, to) = match resolved {
        Ok(r) => r,
        Err(ApiError::NotFound) | Err(ApiError::Store(StoreError::NotFound { .. })) => {
            return not_found_page(t)
        }
        Err(ApiError::Store(StoreError::Forbidden)) => return not_found_page(t),
        Err(e) => return e.into_response(),
    };
    let first_week = from.max(to - MAX_WEEKS * 7 * DAY_MS);
    let c2 = ctx.clone();
    let u2 = unit.clone();
    let loaded = s
        .store
        .db
        .read(move |c| {
            let total = cases::stats(c, &c2, &u2, from, to)?;
            let by_cat = cases::stats_by_category(c, &c2, &u2, from, to)?;
            let by_child = cases::stats_by_child(c, &c2, &u2, from, to)?;
            let mut weeks = Vec::new();
            let mut start = first_week;
            while start <= to {
                let end = (start + 7 * DAY_MS - 1).min(to);
                let w = cases::stats(c, &c2, &u2, start, end)?;
                weeks.push((start, w.received, w.closed));
                start += 7 * DAY_MS;
            }
            let sys = c2.clone();
            let me = wangge_store::units::get(c, &sys, &u2)?;
            let crumbs = wangge_store::units::ancestors(c, &sys, &me).unwrap_or_default();
            Ok((total, by_cat, by_child, weeks, me, crumbs))
        })
        .await;
    let (total, by_cat, by_child, weeks, me, crumbs) = match loaded {
        Ok(v) => v,
        Err(StoreError::NotFound { .. }) | Err(StoreError::Forbidden) => return not_found_page(t),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let weeks: Vec<(String, i64, i64)> = weeks
        .into_iter()
        .map(|(ms, r, c)| {
            let d = local_day(ms);
            (format!("{:02}-{:02}", u8::from(d.month()), d.day()), r, c)
        })
        .collect();
    let labels: Vec<String> = weeks.iter().map(|w| w.0.clone()).collect();
    let received: Vec<i64> = weeks.iter().map(|w| w.1).collect();
    let closed: Vec<i64> = weeks.iter().map(|w| w.2).collect();
    let trend_svg = charts::trend(
        t.t("dash.trend"),
        &labels,
        &[
            Series {
                label: t.t("dash.received"),
                values: &received,
            },
            Series {
                label: t.t("dash.closed"),
                values: &closed,
            },
        ],
    );
    // Only categories with cases in the period: the chart stays readable.
    let categories: Vec<Row> = by_cat
        .into_iter()
        .filter(|k| k.stats.received > 0 || k.stats.closed > 0)
        .map(|k| Row {
            name: k.category_name.clone(),
            code: k.category,
            s: k.stats,
        })
        .collect();
    let category_svg = if categories.is_empty() {
        String::new()
    } else {
        charts::bars(
            t.t("dash.by_category"),
            &categories
                .iter()
                .map(|r| r.name.clone())
                .collect::<Vec<_>>(),
            &categories.iter().map(|r| r.s.received).collect::<Vec<_>>(),
        )
    };
    let children: Vec<Row> = by_child
        .into_iter()
        .map(|c| Row {
            code: c.unit,
            name: c.unit_name,
            s: c.stats,
        })
        .collect();
    let child_svg = if children.is_empty() {
        String::new()
    } else {
        charts::bars(
            t.t("dash.by_child"),
            &children.iter().map(|r| r.name.clone()).collect::<Vec<_>>(),
            &children.iter().map(|r| r.s.received).collect::<Vec<_>>(),
        )
    };
    // The blocks below count what their own store calls see, so they are
    // asked with the scope narrowed to the chosen unit (already checked to be
    // inside the user's): a drilled-down page never shows zone-wide numbers.
    let mut unit_ctx = session.ctx.clone();
    unit_ctx.scope = wangge_store::Scope::Subtree(me.path.clone());
    let equipment_alerts = super::equipment::alert_block(&s, t, &unit_ctx).await;
    let inspections = super::inspections::dash_block(&s, &unit_ctx).await;
    let page = DashPage {
        t,
        equipment_alerts,
        inspections,
        unit,
        unit_name: me.name,
        crumbs: crumbs
            .iter()
            .map(|u| (u.code.clone(), u.name.clone()))
            .collect(),
        from: total.from.clone(),
        to: total.to.clone(),
        period_error,
        total,
        weeks,
        trend_svg,
        categories,
        category_svg,
        children,
        child_svg,
        user: session.user,
        csrf: session.csrf,
    };
    render(StatusCode::OK, &page)
}
