//! Registry pages: the org tree browser, a unit's page, people lists and a
//! person's page with the explicit, audited "show in full" flow.

use super::exports::{self, ExportLinks, List};
use super::i18n::T;
use super::session::PageSession;
use super::{page_error, render};
use crate::web::CheckedForm;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use wangge_core::auth::Permission;
use wangge_store::organisations::{OrgFilter, Organisation};
use wangge_store::people::{self, Person};
use wangge_store::registry;
use wangge_store::transfer::Kind;
use wangge_store::units::{self, Unit};
use wangge_store::Error as StoreError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/units", get(units_page))
        .route("/units/{code}", get(unit_page))
        .route("/units/{code}/position", axum::routing::post(place_unit))
        .route("/people", get(people_page))
        .route("/people/{id}", get(person_page))
        .route("/people/{id}/reveal", axum::routing::post(reveal))
}

struct UnitRow {
    code: String,
    name: String,
    kind_key: String,
}

impl From<&Unit> for UnitRow {
    fn from(u: &Unit) -> Self {
        UnitRow {
            code: u.code.clone(),
            name: u.name.clone(),
            kind_key: format!("kind.{}", u.kind.as_str()),
        }
    }
}

struct PersonRow {
    id: i64,
    name: String,
    sex_key: String,
    birth_year: i32,
    id_number: String,
    phone: String,
    unit: String,
    unit_name: String,
    address: String,
    relation_key: String,
}

impl From<&Person> for PersonRow {
    fn from(p: &Person) -> Self {
        PersonRow {
            id: p.id,
            name: p.name.clone(),
            sex_key: format!("people.{}", p.sex.as_str()),
            birth_year: p.birth_year,
            id_number: p.id_number.clone(),
            phone: p.phone.clone().unwrap_or_default(),
            unit: p.unit.clone(),
            unit_name: p.unit_name.clone(),
            address: p.address_detail.clone().unwrap_or_default(),
            relation_key: p
                .relation
                .map(|r| r.label_zh().to_string())
                .unwrap_or_default(),
        }
    }
}

#[derive(Deserialize)]
struct UnitsQuery {
    q: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "units.html")]
struct UnitsPage {
    t: T,
    user: wangge_store::accounts::User,
    csrf: String,
    q: String,
    units: Vec<UnitRow>,
    next: Option<String>,
    exports: Vec<ExportLinks>,
}

async fn units_page(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Query(q): Query<UnitsQuery>,
) -> Response {
    let ctx = session.ctx.clone();
    let text = q.q.clone().unwrap_or_default();
    let filter = units::ListFilter {
        q: q.q.clone().filter(|v| !v.trim().is_empty()),
        ..Default::default()
    };
    let cursor = q.cursor.clone();
    let page = s
        .store
        .db
        .read(move |c| units::list(c, &ctx, &filter, cursor.as_deref(), Some(100)))
        .await;
    match page {
        Ok(p) => render(
            StatusCode::OK,
            &UnitsPage {
                t,
                exports: ExportLinks::of(
                    t,
                    &session.ctx,
                    List::Registry(Kind::Units),
                    exports::query(&[("q", &text)]),
                ),
                user: session.user,
                csrf: session.csrf,
                q: text,
                units: p.items.iter().map(UnitRow::from).collect(),
                next: p.next_cursor,
            },
        ),
        Err(e) => page_error(t, e),
    }
}

#[derive(Template)]
#[template(path = "unit.html")]
struct UnitPage {
    t: T,
    user: wangge_store::accounts::User,
    csrf: String,
    unit: UnitRow,
    /// "35.2431, 115.4802", or empty when the unit has no position.
    position: String,
    /// Whether the caller may set the position, and the form's state.
    can_place: bool,
    place: PlaceForm,
    place_error: Option<String>,
    placed: bool,
    crumbs: Vec<UnitRow>,
    children: Vec<UnitRow>,
    orgs: Vec<OrgRow>,
    people: Vec<PersonRow>,
    exports: Vec<ExportLinks>,
}

struct OrgRow {
    name: String,
    kind: &'static str,
}

impl OrgRow {
    fn new(o: &Organisation, t: T) -> Self {
        OrgRow {
            name: o.name.clone(),
            kind: t.pick(o.kind.label_zh(), o.kind.as_str()),
        }
    }
}

#[derive(Deserialize, Default)]
struct UnitQuery {
    #[serde(default)]
    placed: String,
}

async fn unit_page(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path(code): Path<String>,
    Query(q): Query<UnitQuery>,
) -> Response {
    let view = UnitView {
        placed: !q.placed.is_empty(),
        ..UnitView::default()
    };
    unit_view(&s, t, session, code, view, StatusCode::OK).await
}

/// The position form as typed: latitude and longitude, both or neither.
#[derive(Deserialize, Default)]
#[serde(default)]
struct PlaceForm {
    lat: String,
    lon: String,
}

#[derive(Default)]
struct UnitView {
    /// `None`: the form shows the stored position.
    form: Option<PlaceForm>,
    error: Option<String>,
    placed: bool,
}

/// Sets or clears a unit's position from its page.
async fn place_unit(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path(code): Path<String>,
    CheckedForm(f): CheckedForm<PlaceForm>,
) -> Response {
    let number = |v: &str| match v.trim() {
        "" => Ok(None),
        v => v.parse::<f64>().map(Some).map_err(|_| v.to_string()),
    };
    let (lat, lon) = match (number(&f.lat), number(&f.lon)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(v), _) | (_, Err(v)) => {
            let error = Some(t.t("units.not_a_number").replace("{v}", &v));
            let view = UnitView {
                form: Some(f),
                error,
                placed: false,
            };
            return unit_view(&s, t, session, code, view, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let (ctx, c2) = (session.ctx.clone(), code.clone());
    match s
        .store
        .db
        .write(move |c| units::set_position(c, &ctx, &c2, lat, lon))
        .await
    {
        Ok(u) => super::see_other(&format!("/units/{}?placed=1", u.code)),
        Err(StoreError::Domain(wangge_core::Error::Invalid { zh, en, .. })) => {
            let error = Some(t.pick(&zh, &en).to_string());
            let view = UnitView {
                form: Some(f),
                error,
                placed: false,
            };
            unit_view(&s, t, session, code, view, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => page_error(t, e),
    }
}

async fn unit_view(
    s: &AppState,
    t: T,
    session: PageSession,
    code: String,
    view: UnitView,
    status: StatusCode,
) -> Response {
    let ctx = session.ctx.clone();
    let loaded = s
        .store
        .db
        .read(move |c| {
            let unit = units::get(c, &ctx, &code)?;
            let crumbs = units::ancestors(c, &ctx, &unit)?;
            let f = units::ListFilter {
                parent: Some(unit.code.clone()),
                ..Default::default()
            };
            let children = units::list(c, &ctx, &f, None, Some(500))?.items;
            let of = OrgFilter {
                unit: Some(unit.code.clone()),
                ..Default::default()
            };
            let orgs = registry::list::<Organisation>(c, &ctx, &of, None, Some(50))?.items;
            let people = people::list(c, &ctx, Some(&unit.code), None, Some(20))?.items;
            Ok((unit, crumbs, children, orgs, people))
        })
        .await;
    match loaded {
        Ok((unit, crumbs, children, orgs, people)) => {
            let stored = unit.lat.zip(unit.lon);
            let place = view.form.unwrap_or_else(|| PlaceForm {
                lat: stored.map(|p| p.0.to_string()).unwrap_or_default(),
                lon: stored.map(|p| p.1.to_string()).unwrap_or_default(),
            });
            render(
                status,
                &UnitPage {
                    t,
                    exports: [
                        Kind::People,
                        Kind::Households,
                        Kind::Organisations,
                        Kind::Positions,
                        Kind::Units,
                    ]
                    .into_iter()
                    .flat_map(|k| {
                        let q = exports::query(&[("unit", &unit.code)]);
                        ExportLinks::of(t, &session.ctx, List::of_kind(k), q)
                    })
                    .collect(),
                    position: stored.map(|(a, b)| format!("{a}, {b}")).unwrap_or_default(),
                    can_place: session.ctx.can(Permission::TreeWrite),
                    place,
                    place_error: view.error,
                    placed: view.placed,
                    user: session.user,
                    csrf: session.csrf,
                    unit: UnitRow::from(&unit),
                    crumbs: crumbs.iter().map(UnitRow::from).collect(),
                    children: children.iter().map(UnitRow::from).collect(),
                    orgs: orgs.iter().map(|o| OrgRow::new(o, t)).collect(),
                    people: people.iter().map(PersonRow::from).collect(),
                },
            )
        }
        Err(e) => page_error(t, e),
    }
}

#[derive(Deserialize)]
struct PeopleQuery {
    unit: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    t: T,
    user: wangge_store::accounts::User,
    csrf: String,
    unit: String,
    scope_name: Option<String>,
    people: Vec<PersonRow>,
    next: Option<String>,
    exports: Vec<ExportLinks>,
}

async fn people_page(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Query(q): Query<PeopleQuery>,
) -> Response {
    let ctx = session.ctx.clone();
    let unit = q.unit.clone().filter(|u| !u.is_empty());
    let cursor = q.cursor.clone();
    let u2 = unit.clone();
    let loaded = s
        .store
        .db
        .read(move |c| {
            let name = match &u2 {
                Some(code) => Some(units::get(c, &ctx, code)?.name),
                None => None,
            };
            let page = people::list(c, &ctx, u2.as_deref(), cursor.as_deref(), Some(50))?;
            Ok((name, page))
        })
        .await;
    match loaded {
        Ok((scope_name, page)) => render(
            StatusCode::OK,
            &PeoplePage {
                t,
                exports: ExportLinks::of(
                    t,
                    &session.ctx,
                    List::Registry(Kind::People),
                    exports::query(&[("unit", unit.as_deref().unwrap_or(""))]),
                ),
                user: session.user,
                csrf: session.csrf,
                unit: unit.unwrap_or_default(),
                scope_name,
                people: page.items.iter().map(PersonRow::from).collect(),
                next: page.next_cursor,
            },
        ),
        Err(e) => page_error(t, e),
    }
}

struct RevealedRow {
    id_number: String,
    birth_date: String,
    phone: String,
    address: String,
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    t: T,
    user: wangge_store::accounts::User,
    csrf: String,
    p: PersonRow,
    can_reveal: bool,
    revealed: Option<RevealedRow>,
    reason: String,
    reason_error: Option<String>,
}

async fn load_person(s: &AppState, session: &PageSession, id: &str) -> Result<Person, StoreError> {
    let id: i64 = id.parse().map_err(|_| StoreError::not_found("person"))?;
    let ctx = session.ctx.clone();
    s.store.db.read(move |c| people::get(c, &ctx, id)).await
}

/// The cookie holding a reveal's grant: the time of its audit entry, for
/// this person's pages only.
const REVEAL_COOKIE: &str = "wangge_reveal";

/// A person's page. Right after a reveal (and on a reload within the grant,
/// see `people::reveal_again`) it shows the full values, not cached, without
/// writing to the audit log again: the reveal's POST wrote the one entry.
async fn person_page(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    let p = match load_person(&s, &session, &id).await {
        Ok(p) => p,
        Err(e) => return page_error(t, e),
    };
    let can_reveal = session.ctx.can(Permission::RevealPersonal);
    let grant = crate::auth::cookie(&headers, REVEAL_COOKIE).and_then(|v| v.parse::<i64>().ok());
    let revealed = match grant.filter(|_| can_reveal) {
        Some(at) => {
            let (ctx, pid) = (session.ctx.clone(), p.id);
            s.store
                .db
                .read(move |c| people::reveal_again(c, &ctx, pid, at))
                .await
                .ok()
        }
        None => None,
    };
    let shown = revealed.is_some();
    let page = render(
        StatusCode::OK,
        &PersonPage {
            t,
            can_reveal,
            user: session.user,
            csrf: session.csrf,
            p: PersonRow::from(&p),
            revealed: revealed.map(RevealedRow::from),
            reason: String::new(),
            reason_error: None,
        },
    );
    if shown {
        (crate::people::no_store(), page).into_response()
    } else {
        page
    }
}

impl From<people::Revealed> for RevealedRow {
    fn from(r: people::Revealed) -> Self {
        RevealedRow {
            id_number: r.id_number,
            birth_date: r.birth_date,
            phone: r.phone.unwrap_or_default(),
            address: r.address_detail.unwrap_or_default(),
        }
    }
}

#[derive(Deserialize)]
struct RevealForm {
    reason: String,
}

/// Reveals the full values: the view and its reason go to the audit log, and
/// the browser is sent to the person's page holding a short grant to show
/// them (see `person_page`). A missing reason is shown next to the field.
async fn reveal(
    State(s): State<AppState>,
    t: T,
    session: PageSession,
    Path(id): Path<String>,
    CheckedForm(f): CheckedForm<RevealForm>,
) -> Response {
    let person = match load_person(&s, &session, &id).await {
        Ok(p) => p,
        Err(e) => return page_error(t, e),
    };
    let ctx = session.ctx.clone();
    let (pid, reason) = (person.id, f.reason.clone());
    let result = s
        .store
        .db
        .write(move |c| people::reveal(c, &ctx, pid, &reason))
        .await;
    let (reason_error, status) = match result {
        // The values are shown by the page the browser is sent to, so that a
        // reload repeats that page's GET, not this POST and its audit entry.
        Ok(_) => {
            let secure = if s.auth.secure_cookies {
                "; Secure"
            } else {
                ""
            };
            let cookie = format!(
                "{REVEAL_COOKIE}={}; Path=/people/{}; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
                session.ctx.now_ms(),
                person.id,
                people::REVEAL_GRANT_MS / 1000
            );
            let mut res =
                axum::response::Redirect::to(&format!("/people/{}", person.id)).into_response();
            if let Ok(v) = axum::http::HeaderValue::from_str(&cookie) {
                res.headers_mut().append(axum::http::header::SET_COOKIE, v);
            }
            return res;
        }
        Err(StoreError::Domain(wangge_core::Error::Invalid { zh, en, .. })) => (
            Some(t.pick(&zh, &en).to_string()),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => return page_error(t, e),
    };
    let page = render(
        status,
        &PersonPage {
            t,
            can_reveal: session.ctx.can(Permission::RevealPersonal),
            user: session.user,
            csrf: session.csrf,
            p: PersonRow::from(&person),
            revealed: None,
            reason: f.reason,
            reason_error,
        },
    );
    (crate::people::no_store(), page).into_response()
}
