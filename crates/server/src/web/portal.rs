//! The resident portal, without an account: report a problem (or a
//! confidential tip), get a tracking number and a private link, follow the
//! public timeline, rate or reopen. Mobile first; the only script is the
//! optional "use my position" button.

use super::formdata::FormData;
use super::formdata::{fresh_key, in_flight};
use super::i18n::T;
use super::{render, Form};
use crate::auth::ClientAddr;
use crate::error::ApiError;
use crate::public::{take_report, PublicReport};
use crate::AppState;
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use wangge_core::cases::{Action, Command};
use wangge_store::cases;
use wangge_store::Error as StoreError;

mod lookup;
pub use lookup::public_home;
use lookup::TrackView;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/report",
            get(report_page)
                .post(report_submit)
                .layer(DefaultBodyLimit::max(super::formdata::body_limit(
                    wangge_store::attachments::DEFAULT_MAX_BYTES,
                ))),
        )
        .route("/tip", get(tip_page))
        .route(
            "/lookup",
            get(lookup::lookup_page).post(lookup::lookup_submit),
        )
        .route("/track/{token}", get(track_page).post(track_submit))
        .route("/static/locate.js", get(locate_js))
}

async fn locate_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/locate.js"),
    )
        .into_response()
}

/// A report form's values, kept when it comes back with messages.
#[derive(Default)]
pub struct ReportForm {
    tip: bool,
    category: String,
    unit: String,
    description: String,
    address_detail: String,
    lat: String,
    lon: String,
    name: String,
    contact: String,
    idem: String,
    /// The place search: narrows the place list to names containing it.
    q: String,
    /// Photos already accepted on an earlier try, so they need not be chosen again.
    kept: Vec<i64>,
}

impl ReportForm {
    fn kept_list(&self) -> String {
        super::formdata::id_list(&self.kept)
    }
}

#[derive(Default)]
pub struct ReportErrors {
    form: Option<String>,
    category: Option<String>,
    unit: Option<String>,
    description: Option<String>,
    address_detail: Option<String>,
    location: Option<String>,
    contact: Option<String>,
    photos: Option<String>,
}

impl ReportErrors {
    fn place(&mut self, field: &str, msg: String) {
        let slot = match field {
            "category" => &mut self.category,
            "unit" => &mut self.unit,
            "description" => &mut self.description,
            "address_detail" => &mut self.address_detail,
            "lat" | "lon" => &mut self.location,
            "contact" | "name" | "reporter_contact" | "reporter_name" => &mut self.contact,
            "attachments" | "file" => &mut self.photos,
            _ => &mut self.form,
        };
        slot.get_or_insert(msg);
    }
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    t: T,
    f: ReportForm,
    e: ReportErrors,
    categories: Vec<CategoryGroup>,
    units: Vec<Choice>,
    /// The places near the form's position, nearest first, with how far.
    near: Vec<Choice>,
    max_mb: u64,
    /// On the tip form: each tip category and who reads its tips, in words
    /// made from the reader sets the store enforces.
    readers: Vec<(String, String)>,
}

/// Who reads each tip category's tips, for the tip form.
async fn tip_readers(s: &AppState, t: T) -> Vec<(String, String)> {
    let notices = s
        .store
        .db
        .read(cases::tip_notices)
        .await
        .unwrap_or_default();
    notices
        .into_iter()
        .map(|n| {
            let who = t
                .pick(
                    &format!("{}能看到举报全文和您的姓名、电话", n.readers_zh),
                    &format!(
                        "{} can see the whole tip and your name and phone",
                        capitalised(&n.readers_en)
                    ),
                )
                .to_string();
            (n.public_name, who)
        })
        .collect()
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A category as residents read it: the plain Chinese name, or the English
/// name on the English page when the category has one.
fn shown_name(t: T, k: &cases::Category) -> String {
    match k.name_en.trim() {
        "" => k.public_name.clone(),
        en => t.pick(&k.public_name, en).to_string(),
    }
}

/// (group label, [(code, label)])
type CategoryGroup = (String, Vec<(String, String)>);
/// (code, label)
type Choice = (String, String);

/// The category picker in plain words: minors grouped under their major.
async fn picker(s: &AppState, t: T, tip: bool, q: &str) -> (Vec<CategoryGroup>, Vec<Choice>) {
    let sys = s
        .store
        .ctx("system", wangge_store::Scope::All, s.clock.now());
    let loaded = s
        .store
        .db
        .read(move |c| {
            let cats = cases::list_categories(c, false)?;
            let mut units = Vec::new();
            for kind in ["community", "compound", "building"] {
                let f = wangge_store::units::ListFilter {
                    kind: wangge_core::units::UnitKind::parse(kind).ok(),
                    ..Default::default()
                };
                units.extend(wangge_store::units::list(c, &sys, &f, None, Some(500))?.items);
            }
            Ok((cats, units))
        })
        .await;
    let Ok((cats, mut units)) = loaded else {
        return (Vec::new(), Vec::new());
    };
    let mut groups: Vec<CategoryGroup> = Vec::new();
    // Internal categories (staff's own tasks) are never offered here.
    for major in cats.iter().filter(|k| k.parent.is_none() && !k.internal) {
        let minors: Vec<(String, String)> = cats
            .iter()
            .filter(|k| k.parent.as_deref() == Some(major.code.as_str()) && !k.internal)
            .filter(|k| (k.confidential || major.confidential) == tip)
            .map(|k| (k.code.clone(), shown_name(t, k)))
            .collect();
        if !minors.is_empty() {
            groups.push((shown_name(t, major), minors));
        }
    }
    // In code order a building follows its compound and a compound its community.
    units.sort_by(|a, b| a.code.cmp(&b.code));
    let q = q.trim();
    if !q.is_empty() {
        // A match keeps its ancestors in the list, so that "1号楼" still says
        // which compound it is in.
        let hits: Vec<String> = units
            .iter()
            .filter(|u| u.name.contains(q))
            .map(|u| u.path.clone())
            .collect();
        units.retain(|u| hits.iter().any(|h| h.starts_with(&u.path)));
    }
    let units = units
        .into_iter()
        .map(|u| {
            let indent = "\u{a0}\u{a0}\u{a0}".repeat((u.depth - 2).max(0) as usize);
            (u.code, format!("{indent}{}", u.name))
        })
        .collect();
    (groups, units)
}

async fn form_page(
    s: &AppState,
    t: T,
    mut f: ReportForm,
    e: ReportErrors,
    status: StatusCode,
) -> Response {
    let (categories, units) = picker(s, t, f.tip, &f.q).await;
    let near = near_choices(s, t, &f).await;
    // With a position and no place yet, the nearest place is chosen for the
    // resident, who sees it and may change it.
    if let (true, Some((code, _))) = (f.unit.trim().is_empty(), near.first()) {
        f.unit = code.clone();
    }
    let readers = if f.tip {
        tip_readers(s, t).await
    } else {
        Vec::new()
    };
    render(
        status,
        &ReportPage {
            t,
            f,
            e,
            categories,
            units,
            near,
            max_mb: s.files.max_bytes / 1024 / 1024,
            readers,
        },
    )
}

/// The places near the form's position, labelled with how far they are.
async fn near_choices(s: &AppState, t: T, f: &ReportForm) -> Vec<Choice> {
    let (Ok(lat), Ok(lon)) = (f.lat.trim().parse::<f64>(), f.lon.trim().parse::<f64>()) else {
        return Vec::new();
    };
    let Ok(Some(at)) = wangge_core::geo::coordinates(Some(lat), Some(lon)) else {
        return Vec::new();
    };
    let sys = s
        .store
        .ctx("system", wangge_store::Scope::All, s.clock.now());
    crate::public::places_near(s, sys, at, NEAR_SHOWN)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|n| {
            let away = t
                .t("resident.away")
                .replace("{m}", &format!("{:.0}", n.distance_m));
            (n.unit.code, format!("{}({away})", n.unit.name))
        })
        .collect()
}

/// How many near places the form lists above the others.
const NEAR_SHOWN: usize = 8;

/// The form's address may carry a search and a position (`lng` as maps
/// write it, or `lon`): a QR code on a building, or a link from a map.
#[derive(Deserialize, Default)]
struct PlaceQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    lat: String,
    #[serde(default, alias = "lng")]
    lon: String,
}

async fn report_page(State(s): State<AppState>, t: T, Query(pq): Query<PlaceQuery>) -> Response {
    let f = ReportForm {
        idem: fresh_key(),
        q: pq.q,
        lat: pq.lat,
        lon: pq.lon,
        ..Default::default()
    };
    form_page(&s, t, f, ReportErrors::default(), StatusCode::OK).await
}

async fn tip_page(State(s): State<AppState>, t: T, Query(pq): Query<PlaceQuery>) -> Response {
    let f = ReportForm {
        tip: true,
        idem: fresh_key(),
        q: pq.q,
        ..Default::default()
    };
    form_page(&s, t, f, ReportErrors::default(), StatusCode::OK).await
}

#[derive(Template)]
#[template(path = "receipt.html")]
struct ReceiptPage {
    t: T,
    number: String,
    link: String,
    tip: bool,
}

fn opt(v: &str) -> Option<String> {
    Some(v.trim().to_string()).filter(|v| !v.is_empty())
}

async fn report_submit(
    State(s): State<AppState>,
    t: T,
    ClientAddr(addr): ClientAddr,
    mp: Multipart,
) -> Response {
    let data = FormData::read(mp, s.files.max_bytes).await;
    let mut f = ReportForm {
        tip: data.get("kind") == "tip",
        category: data.get("category"),
        unit: data.get("unit"),
        description: data.get("description"),
        address_detail: data.get("address_detail"),
        lat: data.get("lat"),
        lon: data.get("lon"),
        name: data.get("name"),
        contact: data.get("contact"),
        idem: data.get("idem"),
        q: data.get("q"),
        kept: data.ids("kept"),
    };
    let mut e = ReportErrors::default();
    if f.idem.len() < 16 {
        f.idem = fresh_key();
    }
    // The place search button: the same form again with the list narrowed,
    // everything typed kept, and no messages yet.
    if !data.get("search").is_empty() {
        return form_page(&s, t, f, e, StatusCode::OK).await;
    }
    let slot = in_flight(&f.idem);
    let mut done = slot.lock().await;
    if let Some((number, token)) = done.clone() {
        return receipt(t, number, token, f.tip);
    }
    if data.broken {
        e.form = Some(t.t("case.form_broken").to_string());
    }
    if let Some(name) = &data.too_large {
        e.photos = Some(
            t.t("portal.photo_too_large")
                .replace("{name}", name)
                .replace("{mb}", &(s.files.max_bytes / 1024 / 1024).to_string()),
        );
    }
    let coord = |v: &str, e: &mut ReportErrors| match v.trim() {
        "" => None,
        v => v.parse::<f64>().ok().or_else(|| {
            e.location = Some(t.t("portal.bad_location").to_string());
            None
        }),
    };
    let (lat, lon) = (coord(&f.lat, &mut e), coord(&f.lon, &mut e));
    // Photos first: a wrong type or size is refused before any case exists.
    if e.form.is_none() && e.photos.is_none() {
        let ctx = crate::public::resident(&s, addr.clone());
        for p in data.files.iter().filter(|p| p.field == "photos") {
            match crate::attachments::store_upload(
                &s,
                ctx.clone(),
                p.bytes.clone(),
                p.name.clone(),
                p.content_type.clone(),
            )
            .await
            {
                Ok(info) => f.kept.push(info.id),
                Err(ApiError::Store(StoreError::Domain(wangge_core::Error::Invalid {
                    zh,
                    en,
                    ..
                }))) => {
                    e.photos = Some(format!("{}:{}", p.name, t.pick(&zh, &en)));
                    break;
                }
                Err(ApiError::TooLarge { .. }) => {
                    e.photos = Some(
                        t.t("portal.photo_too_large")
                            .replace("{name}", &p.name)
                            .replace("{mb}", &(s.files.max_bytes / 1024 / 1024).to_string()),
                    );
                    break;
                }
                Err(other) => return other.into_response(),
            }
        }
    }
    // Every field a resident must fill is checked here, all at once and in
    // plain words; the store's own checks (one at a time) stay the last word.
    if f.category.trim().is_empty() {
        e.category = Some(t.t("resident.need_category").to_string());
    }
    if f.description.trim().is_empty() {
        e.description = Some(t.t("resident.need_description").to_string());
    }
    if f.unit.trim().is_empty() && (lat.is_none() || lon.is_none()) {
        e.unit = Some(t.t("resident.need_place").to_string());
    }
    let any = e.form.is_some()
        || e.photos.is_some()
        || e.location.is_some()
        || e.category.is_some()
        || e.description.is_some()
        || e.unit.is_some();
    if !any {
        let report = PublicReport {
            category: f.category.trim().to_string(),
            unit: f.unit.trim().to_string(),
            description: f.description.trim().to_string(),
            lat,
            lon,
            address_detail: opt(&f.address_detail),
            fields: Default::default(),
            name: opt(&f.name),
            contact: opt(&f.contact),
            withhold_name: f.tip,
            attachments: f.kept.clone(),
        };
        match take_report(&s, addr, Some(f.idem.clone()), report).await {
            Ok((r, _)) => {
                *done = Some((r.number.clone(), r.token.clone()));
                return receipt(t, r.number, r.token, f.tip);
            }
            Err(ApiError::Store(StoreError::Domain(wangge_core::Error::Invalid {
                field,
                zh,
                en,
                ..
            }))) => {
                let plain = match field.as_str() {
                    "category" => t.t("resident.need_category").to_string(),
                    "unit" => t.t("resident.unknown_place").to_string(),
                    _ => t.pick(&zh, &en).to_string(),
                };
                e.place(&field, plain)
            }
            Err(ApiError::Store(StoreError::Domain(wangge_core::Error::Conflict {
                zh,
                en,
                ..
            }))) => e.form = Some(t.pick(&zh, &en).to_string()),
            Err(ApiError::Store(StoreError::Throttled { .. })) => {
                e.form = Some(t.t("portal.throttled").to_string())
            }
            Err(other) => return other.into_response(),
        }
    }
    drop(done);
    form_page(&s, t, f, e, StatusCode::UNPROCESSABLE_ENTITY).await
}

fn receipt(t: T, number: String, token: String, tip: bool) -> Response {
    let mut res = render(
        StatusCode::OK,
        &ReceiptPage {
            t,
            number,
            link: format!("/track/{token}"),
            tip,
        },
    );
    // The page holds the private link: no shared cache may keep it.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

#[derive(Deserialize, Default)]
struct TrackQuery {
    #[serde(default)]
    done: String,
}

#[derive(Deserialize, Default)]
struct TrackForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    reason: String,
}

#[derive(Default)]
struct TrackErrors {
    form: Option<String>,
    rating: Option<String>,
    comment: Option<String>,
    reason: Option<String>,
}

#[derive(Template)]
#[template(path = "track.html")]
struct TrackPage {
    t: T,
    token: String,
    v: TrackView,
    can_rate: bool,
    can_reopen: bool,
    can_withdraw: bool,
    f: TrackForm,
    e: TrackErrors,
    notice: Option<String>,
}

async fn track_view(
    s: &AppState,
    t: T,
    addr: String,
    token: String,
    // What was typed, the messages for it, and a notice after a step.
    (f, e, notice): (TrackForm, TrackErrors, Option<String>),
    status: StatusCode,
) -> Response {
    let ctx = crate::public::resident(s, addr);
    let (cfg, tk) = (s.cases.clone(), token.clone());
    let found = s
        .store
        .db
        .read(move |c| {
            let view = cases::public_view(c, &ctx, &cfg, &tk)?;
            Ok((view, cases::public_progress(c, &tk)?))
        })
        .await;
    let (c, p) = match found {
        Ok(v) => v,
        Err(StoreError::NotFound { .. }) => return super::not_found_page(t),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let mut res = render(
        status,
        &TrackPage {
            t,
            token,
            can_rate: c.can.contains(&Action::Rate),
            can_reopen: c.can.contains(&Action::Reopen),
            can_withdraw: c.can.contains(&Action::Withdraw),
            v: TrackView::new(t, c, p),
            f,
            e,
            notice,
        },
    );
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

async fn track_page(
    State(s): State<AppState>,
    t: T,
    ClientAddr(addr): ClientAddr,
    Path(token): Path<String>,
    Query(q): Query<TrackQuery>,
) -> Response {
    let notice = (q.done == "1").then(|| t.t("portal.thanks").to_string());
    track_view(
        &s,
        t,
        addr,
        token,
        (TrackForm::default(), TrackErrors::default(), notice),
        StatusCode::OK,
    )
    .await
}

async fn track_submit(
    State(s): State<AppState>,
    t: T,
    ClientAddr(addr): ClientAddr,
    Path(token): Path<String>,
    Form(f): Form<TrackForm>,
) -> Response {
    let mut e = TrackErrors::default();
    let action = match f.action.as_str() {
        "rate" => Some(Action::Rate),
        "reopen" => Some(Action::Reopen),
        "withdraw" => Some(Action::Withdraw),
        _ => None,
    };
    let mut cmd = action.map(Command::new);
    if let Some(c) = cmd.as_mut() {
        c.comment = opt(&f.comment);
        c.reason = opt(&f.reason);
        if c.action == Action::Rate {
            match f.rating.trim().parse::<u8>() {
                Ok(n) => c.rating = Some(n),
                Err(_) => e.rating = Some(t.t("portal.pick_rating").to_string()),
            }
        }
    } else {
        e.form = Some(t.t("case.not_now").to_string());
    }
    if let (Some(cmd), true) = (cmd, e.rating.is_none() && e.form.is_none()) {
        let ctx = crate::public::resident(&s, addr.clone());
        let (cfg, tk) = (s.cases.clone(), token.clone());
        match s
            .store
            .db
            .write(move |c| cases::transition_by_token(c, &ctx, &cfg, &tk, cmd))
            .await
        {
            Ok(_) => {
                let mut r = Redirect::to(&format!("/track/{token}?done=1")).into_response();
                *r.status_mut() = StatusCode::SEE_OTHER;
                return r;
            }
            Err(StoreError::Domain(wangge_core::Error::Invalid { field, zh, en, .. })) => {
                let msg = t.pick(&zh, &en).to_string();
                match field.as_str() {
                    "rating" => e.rating = Some(msg),
                    "comment" => e.comment = Some(msg),
                    "reason" => e.reason = Some(msg),
                    _ => e.form = Some(msg),
                }
            }
            Err(StoreError::Domain(wangge_core::Error::Conflict { zh, en, .. })) => {
                e.form = Some(t.pick(&zh, &en).to_string())
            }
            Err(StoreError::NotFound { .. }) => return super::not_found_page(t),
            Err(other) => return ApiError::from(other).into_response(),
        }
    }
    track_view(
        &s,
        t,
        addr,
        token,
        (f, e, None),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}
