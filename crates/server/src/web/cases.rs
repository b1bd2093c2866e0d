//! Staff case pages: the inbox on the workbench, the case list with filters,
//! and a case's page (summary, photos, timeline and the forms of exactly the
//! steps this user may take now; see `case_actions.rs`).

use super::case_actions::{self, ActionForm, Draft};
use super::exports::{ExportLinks, List};
use super::i18n::T;
use super::session::PageSession;
use super::{not_found_page, render};
use crate::error::ApiError;
use crate::AppState;
use askama::Template;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use time::OffsetDateTime;
use wangge_core::auth::Permission;
use wangge_core::cases::CaseState;
use wangge_store::accounts::User;
use wangge_store::cases::{self, CaseView, ListFilter, Order, Source};
use wangge_store::organisations::Organisation;
use wangge_store::{Ctx, Error as StoreError};

pub fn routes() -> Router<AppState> {
    Router::new().route("/cases", get(list_page)).route(
        "/cases/{id}",
        get(case_page)
            .post(case_actions::act)
            .layer(DefaultBodyLimit::max(super::formdata::body_limit(
                wangge_store::attachments::DEFAULT_MAX_BYTES,
            ))),
    )
}

/// A time as people in the zone read it: Beijing time, to the minute.
pub fn local_time(at: OffsetDateTime) -> String {
    let l = at.to_offset(wangge_store::ctx::CST);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        l.year(),
        u8::from(l.month()),
        l.day(),
        l.hour(),
        l.minute()
    )
}

/// One line of a list or the inbox.
pub struct CaseRow {
    pub id: i64,
    pub tracking_no: String,
    pub category: String,
    pub unit_name: String,
    pub state_key: String,
    pub summary: String,
    pub due: String,
    /// `overdue`, `today`, `soon`, `ok` or `none`: the colour of the time left.
    pub urgency: &'static str,
    pub left: String,
    pub supervised: bool,
    pub confidential: bool,
}

fn summary(text: &str) -> String {
    let mut s: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        s.push('…');
    }
    s
}

/// The time left until a deadline, in working days of the zone's calendar.
fn time_left(s: &AppState, t: T, v: &CaseView, now: OffsetDateTime) -> (&'static str, String) {
    let Some(due) = v.due_at.filter(|_| v.state.is_open()) else {
        return ("none", String::new());
    };
    if v.overdue || due <= now {
        return ("overdue", t.t("case.overdue").to_string());
    }
    let today = now.to_offset(wangge_store::ctx::CST).date();
    let due_day = due.to_offset(wangge_store::ctx::CST).date();
    let days = s
        .cases
        .calendar
        .current()
        .workdays_between(today, due_day)
        .unwrap_or(0);
    match days {
        d if d <= 0 => ("today", t.t("case.due_today").to_string()),
        1 => ("soon", t.t("case.left_days").replace("{n}", "1")),
        d => ("ok", t.t("case.left_days").replace("{n}", &d.to_string())),
    }
}

pub fn row(s: &AppState, t: T, v: &CaseView, now: OffsetDateTime) -> CaseRow {
    let (urgency, left) = time_left(s, t, v, now);
    CaseRow {
        id: v.id,
        tracking_no: v.tracking_no.clone(),
        category: t.pick(&v.category_name, &v.category_name_en).to_string(),
        unit_name: v.unit_name.clone(),
        state_key: format!("state.{}", v.state.as_str()),
        summary: summary(&v.description),
        due: v.due_at.map(local_time).unwrap_or_default(),
        urgency,
        left,
        supervised: v.supervised,
        confidential: v.confidential,
    }
}

/// The inbox and the period's counts shown on the workbench.
pub struct Inbox {
    pub rows: Vec<CaseRow>,
    pub overdue: usize,
    pub stats: Option<cases::CaseStats>,
}

/// Cases waiting for this user (overdue first, then by deadline, as the store
/// orders them), and the same counts `/api/v1/stats/cases` gives by default.
pub async fn inbox(s: &AppState, t: T, ctx: &Ctx) -> Inbox {
    let c2 = ctx.clone();
    let items = s
        .store
        .db
        .read(move |c| cases::inbox(c, &c2, Some(200)))
        .await
        .unwrap_or_default();
    let now = ctx.now;
    let rows: Vec<CaseRow> = items.iter().map(|v| row(s, t, v, now)).collect();
    let overdue = rows.iter().filter(|r| r.urgency == "overdue").count();
    let stats = super::dashboard::default_stats(s, ctx).await;
    Inbox {
        rows,
        overdue,
        stats,
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    confidential: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    cursor: String,
}

impl ListQuery {
    /// The store's filter for these parameters, read as the list page reads
    /// them (the export of the page uses this too, so both select the same
    /// rows): unknown values are ignored, and `confidential` only counts for
    /// those who may read tips.
    pub fn filter(&self, can_tips: bool) -> ListFilter {
        let state = match self.state.as_str() {
            "" => None,
            v => CaseState::ALL.into_iter().find(|st| st.as_str() == v),
        };
        ListFilter {
            states: state.into_iter().collect(),
            category: Some(self.category.clone()).filter(|v| !v.is_empty()),
            unit: Some(self.unit.clone()).filter(|v| !v.is_empty()),
            overdue: (self.overdue == "1").then_some(true),
            source: Source::parse(&self.source).ok(),
            confidential: match (can_tips, self.confidential.as_str()) {
                (true, "1") => Some(true),
                (true, "0") => Some(false),
                _ => None,
            },
            text: Some(self.text.trim().to_string()).filter(|v| !v.is_empty()),
            order: Order::Due,
        }
    }

    /// The same filters as a query string, for the next page's link.
    pub fn without_cursor(&self) -> String {
        serde_urlencoded::to_string([
            ("state", &self.state),
            ("category", &self.category),
            ("unit", &self.unit),
            ("overdue", &self.overdue),
            ("source", &self.source),
            ("confidential", &self.confidential),
            ("text", &self.text),
        ])
        .unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "cases.html")]
struct ListPage {
    t: T,
    user: User,
    csrf: String,
    q: ListQuery,
    rows: Vec<CaseRow>,
    next: Option<String>,
    states: Vec<(&'static str, String)>,
    sources: Vec<(&'static str, String)>,
    categories: Vec<(String, String)>,
    units: Vec<(String, String)>,
    can_tips: bool,
    error: Option<String>,
    exports: Vec<ExportLinks>,
}

async fn list_page(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Query(q): Query<ListQuery>,
) -> Response {
    let can_tips = session.ctx.can(Permission::TipsRead);
    let mut error = None;
    let f = q.filter(can_tips);
    let ctx = session.ctx.clone();
    let cursor = Some(q.cursor.clone()).filter(|c| !c.is_empty());
    let scope = session.user.scope_unit.clone();
    let loaded = s
        .store
        .db
        .read(move |c| {
            let page = cases::list(c, &ctx, &f, cursor.as_deref(), Some(50));
            let cats = cases::list_categories(c, false)?;
            let units = filter_units(c, &ctx, scope.as_deref());
            Ok((page, cats, units))
        })
        .await;
    let (page, cats, units) = match loaded {
        Ok(v) => v,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let (rows, next) = match page {
        Ok(p) => (
            p.items
                .iter()
                .map(|v| row(&s, t, v, session.ctx.now))
                .collect(),
            p.next_cursor,
        ),
        Err(StoreError::Domain(wangge_core::Error::Invalid { zh, en, .. })) => {
            error = Some(t.pick(&zh, &en).to_string());
            (Vec::new(), None)
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let page = ListPage {
        t,
        states: CaseState::ALL
            .iter()
            .map(|st| (st.as_str(), format!("state.{}", st.as_str())))
            .collect(),
        sources: Source::ALL
            .iter()
            .map(|so| (so.as_str(), format!("source.{}", so.as_str())))
            .collect(),
        categories: cats
            .iter()
            .filter(|k| can_tips || !k.confidential)
            .map(|k| {
                let name = t.pick(&k.name_zh, &k.name_en);
                let label = if k.parent.is_some() {
                    format!("\u{a0}\u{a0}{name}")
                } else {
                    name.to_string()
                };
                (k.code.clone(), label)
            })
            .collect(),
        units,
        exports: ExportLinks::of(t, &session.ctx, List::Cases, q.without_cursor()),
        user: session.user,
        csrf: session.csrf,
        next: next.map(|n| {
            format!(
                "/cases?{}&cursor={}",
                q.without_cursor(),
                super::urlencode(&n)
            )
        }),
        q,
        rows,
        can_tips,
        error,
    };
    render(StatusCode::OK, &page)
}

/// The units the list can be narrowed to: the user's own unit (or the top of
/// the tree) and the streets and communities below it, in tree order and
/// indented by depth; compounds, buildings and grids would make the list
/// hundreds long. Without the registry permission the list is empty.
fn filter_units(
    c: &mut dyn wangge_store::Conn,
    ctx: &Ctx,
    scope: Option<&str>,
) -> Vec<(String, String)> {
    use wangge_core::units::UnitKind;
    let roots: Vec<String> = match scope {
        Some(code) => vec![code.to_string()],
        None => wangge_store::units::list(c, ctx, &Default::default(), None, Some(50))
            .map(|p| p.items.into_iter().map(|u| u.code).collect())
            .unwrap_or_default(),
    };
    fn walk(n: &wangge_store::units::TreeNode, top: i64, out: &mut Vec<(String, String)>) {
        if !matches!(
            n.unit.kind,
            UnitKind::Zone | UnitKind::Street | UnitKind::Community
        ) {
            return;
        }
        let indent = "\u{a0}\u{a0}".repeat((n.unit.depth - top).max(0) as usize);
        out.push((n.unit.code.clone(), format!("{indent}{}", n.unit.name)));
        for child in &n.children {
            walk(child, top, out);
        }
    }
    let mut out = Vec::new();
    for root in roots {
        // Zone, street, community: two levels below a zone are enough.
        if let Ok(tree) = wangge_store::units::tree(c, ctx, &root, 2) {
            walk(&tree, tree.unit.depth, &mut out);
        }
    }
    out
}

pub struct EventRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub state_key: String,
    pub note: String,
    pub attachments: Vec<i64>,
    pub system: bool,
}

/// What the case page shows besides the forms.
pub struct Summary {
    pub id: i64,
    pub tracking_no: String,
    pub version: i64,
    pub category: String,
    pub unit_name: String,
    pub description: String,
    pub address: String,
    pub coords: Option<(String, String)>,
    pub source_key: String,
    pub state_key: String,
    pub reported_at: String,
    pub due: String,
    pub urgency: &'static str,
    pub left: String,
    pub lead_org: String,
    pub supervising_org: String,
    pub reporter: String,
    pub confidential: bool,
    pub supervised: bool,
    pub at_joint_meeting: bool,
    pub suspended: bool,
    pub rating: Option<i64>,
    pub photos: Vec<i64>,
}

#[derive(Template)]
#[template(path = "case.html")]
pub struct CasePage {
    pub t: T,
    pub user: User,
    pub csrf: String,
    pub c: Summary,
    pub events: Vec<EventRow>,
    pub forms: Vec<ActionForm>,
    pub orgs: Vec<(i64, String)>,
    pub notice: Option<String>,
}

/// Loads a case as this user sees it, with its timeline and next steps; a case
/// outside their scope is not found, exactly like one that does not exist.
pub async fn load(
    s: &AppState,
    ctx: &Ctx,
    id: &str,
) -> Result<
    (
        CaseView,
        Vec<cases::CaseEvent>,
        Vec<wangge_core::cases::Action>,
    ),
    StoreError,
> {
    let id: i64 = id.parse().map_err(|_| StoreError::not_found("case"))?;
    let (ctx, cfg) = (ctx.clone(), s.cases.clone());
    s.store
        .db
        .read(move |c| {
            let v = cases::get(c, &ctx, id)?;
            let mut ev = cases::events(c, &ctx, id)?;
            show_names(c, &mut ev)?;
            let next = cases::next_steps(c, &ctx, &cfg, id)?;
            Ok((v, ev, next))
        })
        .await
}

/// Staff in the timeline are shown by their display name, the user name
/// only where the account has none (or is gone); the reporter and the
/// system keep their own labels (see `event_rows`).
fn show_names(
    c: &mut dyn wangge_store::Conn,
    events: &mut [cases::CaseEvent],
) -> Result<(), StoreError> {
    let staff = |e: &cases::CaseEvent| e.actor_role.as_deref().is_some_and(|r| r != "reporter");
    let mut names: Vec<String> = events
        .iter()
        .filter(|e| staff(e))
        .map(|e| e.actor.clone())
        .collect();
    names.sort();
    names.dedup();
    let shown = wangge_store::accounts::display_names(c, &names)?;
    for e in events.iter_mut().filter(|e| staff(e)) {
        if let Some(name) = shown.get(&e.actor).filter(|n| !n.trim().is_empty()) {
            e.actor = name.clone();
        }
    }
    Ok(())
}

/// Organisations a case can be sent to. Listed as the system: a street's clerk
/// dispatches to zone departments outside their own subtree.
pub async fn dispatch_targets(s: &AppState) -> Vec<(i64, String)> {
    let sys = s
        .store
        .ctx("system", wangge_store::Scope::All, s.clock.now());
    s.store
        .db
        .read(move |c| {
            let f = wangge_store::organisations::OrgFilter::default();
            wangge_store::registry::list::<Organisation>(c, &sys, &f, None, Some(500))
        })
        .await
        .map(|p| {
            p.items
                .into_iter()
                .filter(|o| {
                    use wangge_core::organisations::OrgKind::*;
                    matches!(
                        o.kind,
                        Department | PropertyCompany | NeighbourhoodCommittee | Enterprise
                    )
                })
                .map(|o| (o.id, o.name))
                .collect()
        })
        .unwrap_or_default()
}

pub fn summary_of(s: &AppState, t: T, v: &CaseView, now: OffsetDateTime) -> Summary {
    let r = row(s, t, v, now);
    let reporter = if v.reporter.hidden {
        t.t("case.reporter_hidden").to_string()
    } else {
        let name = v.reporter.name.clone().unwrap_or_default();
        let contact = v.reporter.contact.clone().unwrap_or_default();
        let both = format!("{name} {contact}").trim().to_string();
        if let (true, Some(staff)) = (both.is_empty(), &v.reporter.staff) {
            format!("{staff} ({})", t.t("case.reporter_staff"))
        } else if both.is_empty() {
            t.t("case.reporter_anonymous").to_string()
        } else {
            both
        }
    };
    Summary {
        id: v.id,
        tracking_no: v.tracking_no.clone(),
        version: v.version,
        category: r.category,
        unit_name: v.unit_name.clone(),
        description: v.description.clone(),
        address: v.address_detail.clone().unwrap_or_default(),
        coords: v
            .lat
            .zip(v.lon)
            .map(|(a, o)| (format!("{a:.6}"), format!("{o:.6}"))),
        source_key: format!("source.{}", v.source.as_str()),
        state_key: r.state_key,
        reported_at: local_time(v.reported_at),
        due: r.due,
        urgency: r.urgency,
        left: r.left,
        lead_org: v.lead_org_name.clone().unwrap_or_default(),
        supervising_org: v.supervising_org_name.clone().unwrap_or_default(),
        reporter,
        confidential: v.confidential,
        supervised: v.supervised,
        at_joint_meeting: v.at_joint_meeting,
        suspended: v.suspended,
        rating: v.rating,
        photos: v.attachments.clone(),
    }
}

/// A timeline entry's name from the catalogue: a core step by its action's
/// name, the store's own entries (warnings, escalation, merges) by theirs.
fn timeline_label(t: T, action: &str) -> String {
    if let Some(a) = wangge_core::cases::Action::parse(action) {
        return t.t(&format!("action.{}", a.as_str())).to_string();
    }
    let key = match action {
        "warn" | "overdue" | "escalate" | "merged_in" | "move_unit" | "set_supervising_org" => {
            format!("event.{action}")
        }
        _ => "event.other".to_string(),
    };
    t.t(&key).to_string()
}

pub fn event_rows(t: T, events: &[cases::CaseEvent]) -> Vec<EventRow> {
    events
        .iter()
        .map(|e| EventRow {
            at: local_time(e.at),
            // An anonymous reporter's actor names their address: staff see
            // "the reporter" instead, and the sweep's entries "the system".
            actor: if e.actor_role.as_deref() == Some("reporter")
                || e.actor.starts_with("resident@")
            {
                t.t("case.reporter").to_string()
            } else if e.actor_role.is_none() && e.actor == "system" {
                t.t("case.system").to_string()
            } else {
                e.actor.clone()
            },
            action: timeline_label(t, &e.action),
            state_key: format!("state.{}", e.to_state.as_str()),
            note: e.note.clone().unwrap_or_default(),
            attachments: e.attachments.clone(),
            system: e.system,
        })
        .collect()
}

async fn case_page(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path(id): Path<String>,
    Query(draft): Query<Draft>,
) -> Response {
    match load(&s, &session.ctx, &id).await {
        Ok((v, events, next)) => {
            // A draft in the address comes back from the login page after an
            // expired session: the form opens with what the user had typed.
            let mut forms = case_actions::forms(t, &next, &draft, &Default::default());
            let orgs = case_actions::org_list(&s, &v, &draft, &mut forms).await;
            let page = CasePage {
                t,
                c: summary_of(&s, t, &v, session.ctx.now),
                events: event_rows(t, &events),
                forms,
                orgs,
                user: session.user,
                csrf: session.csrf,
                notice: match draft.done.as_str() {
                    "1" => Some(t.t("case.saved").to_string()),
                    "reported" => Some(t.t("intake.reported").to_string()),
                    "resolved" => Some(t.t("intake.resolved").to_string()),
                    _ => None,
                },
            };
            render(StatusCode::OK, &page)
        }
        Err(StoreError::NotFound { .. }) | Err(StoreError::Forbidden) => not_found_page(t),
        Err(e) => ApiError::from(e).into_response(),
    }
}
