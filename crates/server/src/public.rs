//! The resident's side, without an account: report a problem, follow it with
//! the private token, withdraw, rate or reopen it. Rate-limited per address.

use crate::auth::ClientAddr;
use crate::error::ApiError;
use crate::extract::Json;
use crate::{ApiResult, AppState};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use wangge_core::auth::Role;
use wangge_core::cases::{Action, Command};
use wangge_core::geo::{self, Point};
use wangge_core::units::UnitKind;
use wangge_store::cases::{self, NewCase, PublicCase, Source};
use wangge_store::units::{self, Near};
use wangge_store::{Ctx, Scope};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/public/places", get(places))
        .route("/public/cases", post(report))
        .route("/public/cases/{token}", get(follow))
        .route("/public/cases/{token}/transitions", post(step))
}

/// At most `max` reports per address in each `window` (kept in memory, per
/// node; a report is cheap to refuse and a resident rarely sends more).
pub struct RateLimit {
    max: u32,
    window: Duration,
    seen: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimit {
    pub fn new(max: u32, window: Duration) -> Self {
        RateLimit {
            max,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request; answers the seconds to wait when over the limit.
    pub fn check(&self, who: &str) -> Option<i64> {
        let now = Instant::now();
        let mut seen = self.seen.lock().ok()?;
        if seen.len() > 100_000 {
            seen.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = seen.entry(who.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        (entry.1 > self.max)
            .then(|| (self.window.saturating_sub(now.duration_since(entry.0))).as_secs() as i64 + 1)
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit::new(10, Duration::from_secs(600))
    }
}

/// An anonymous resident's context.
pub fn resident(s: &AppState, addr: String) -> Ctx {
    // Each address is its own actor, so that one resident cannot attach another
    // resident's unlinked upload to their report.
    let mut ctx = s
        .store
        .ctx(&format!("resident@{addr}"), Scope::All, s.clock.now());
    ctx.role = Some(Role::Resident);
    ctx.client_addr = Some(addr);
    ctx
}

/// A resident's report: no staff fields.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicReport {
    pub category: String,
    pub unit: String,
    pub description: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address_detail: Option<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// Optional: how to reach the reporter. Never shown publicly.
    pub name: Option<String>,
    pub contact: Option<String>,
    /// Ask that the handling department not see the reporter's name.
    #[serde(default)]
    pub withhold_name: bool,
    #[serde(default)]
    pub attachments: Vec<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Receipt {
    /// The tracking number to quote, e.g. on the hotline.
    pub number: String,
    /// The private follow token: keep it; it is shown only now.
    pub token: String,
    /// The private page to follow the case.
    pub follow_url: String,
    pub case: PublicCase,
}

impl From<PublicReport> for NewCase {
    fn from(r: PublicReport) -> Self {
        NewCase {
            category: r.category,
            unit: r.unit,
            description: r.description,
            lat: r.lat,
            lon: r.lon,
            address_detail: r.address_detail,
            source: Source::Resident,
            reported_at: None,
            fields: r.fields,
            reporter_name: r.name,
            reporter_contact: r.contact,
            reporter_withheld: r.withhold_name,
            on_spot: None,
            attachments: r.attachments,
            note: None,
        }
    }
}

/// How far from a position a place counts as near it: the report form lists
/// the places within it first, and a report with a position and no place goes
/// to the nearest one within it.
pub const NEAR_RADIUS_M: f64 = 2000.0;

/// The places a resident may choose on the report form; the zone and its
/// streets are too large to be a place.
const PLACE_KINDS: [UnitKind; 3] = [UnitKind::Community, UnitKind::Compound, UnitKind::Building];

/// The note on a case that came with a position and no place, so that staff
/// see it waits for them to place it in the right unit.
pub const POSITION_ONLY_NOTE: &str =
    "居民只给出了位置,未选地点,附近两公里内没有已定位的地点,已暂放默认单元:请工作人员核实后移到所在单元。 \
     Position only, no place chosen and no located place within 2 km: held in the default unit for staff to place.";

/// The note on a case placed by its position alone.
pub fn placed_by_position_note(near: &Near) -> String {
    let m = near.distance_m.round();
    format!(
        "居民只给出了位置,未选地点,已按位置归入最近的地点“{name}”(约{m}米):请工作人员核实。 \
         Position only, no place chosen: placed in the nearest located place, {name} (about {m} m); staff to check.",
        name = near.unit.name
    )
}

/// The places (communities, compounds, buildings) within `NEAR_RADIUS_M` of
/// `at` that `ctx` may see, nearest first.
pub async fn places_near(s: &AppState, ctx: Ctx, at: Point, limit: usize) -> ApiResult<Vec<Near>> {
    Ok(s.store
        .db
        .read(move |c| {
            // Read a few more than asked: the zone and streets are left out after.
            let mut near = units::nearest(c, &ctx, at, NEAR_RADIUS_M, limit * 4 + 8)?;
            near.retain(|n| PLACE_KINDS.contains(&n.unit.kind));
            near.truncate(limit);
            Ok(near)
        })
        .await?)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PlacesQuery {
    /// Latitude, WGS-84 degrees.
    lat: f64,
    /// Longitude, WGS-84 degrees.
    lon: f64,
}

/// A place near a position, for the report form.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NearPlace {
    /// The unit code to send as `unit`.
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    /// Metres from the position asked about, rounded.
    pub distance_m: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NearPlaces {
    pub items: Vec<NearPlace>,
}

#[utoipa::path(get, path = "/api/v1/public/places", tag = "public", params(PlacesQuery),
    responses((status = 200, body = NearPlaces, description = "the located places within 2 km, nearest first (at most 8)"),
        (status = 400, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn places(
    State(s): State<AppState>,
    crate::extract::Query(q): crate::extract::Query<PlacesQuery>,
) -> ApiResult<axum::Json<NearPlaces>> {
    let at = geo::coordinates(Some(q.lat), Some(q.lon))
        .map_err(wangge_store::Error::from)?
        .unwrap_or_default();
    let ctx = s.store.ctx("public", Scope::All, s.clock.now());
    let items = places_near(&s, ctx, at, 8)
        .await?
        .into_iter()
        .map(|n| NearPlace {
            code: n.unit.code,
            name: n.unit.name,
            kind: n.unit.kind,
            distance_m: n.distance_m.round() as i64,
        })
        .collect();
    Ok(axum::Json(NearPlaces { items }))
}

/// Where a report with a position and no place goes: the nearest located
/// place within `NEAR_RADIUS_M`, else the configured default unit, else the
/// top of the tree, for staff to place. Answers the unit code and the note
/// that tells staff how it was placed.
pub async fn unit_for_position(s: &AppState, at: Point) -> ApiResult<Option<(String, String)>> {
    let ctx = s
        .store
        .ctx("system", wangge_store::Scope::All, s.clock.now());
    if let Some(near) = places_near(s, ctx.clone(), at, 1).await?.first() {
        return Ok(Some((
            near.unit.code.clone(),
            placed_by_position_note(near),
        )));
    }
    if let Some(code) = &s.open311.default_unit {
        return Ok(Some((code.clone(), POSITION_ONLY_NOTE.to_string())));
    }
    let first = s
        .store
        .db
        .read(move |c| {
            let f = units::ListFilter::default();
            Ok(units::list(c, &ctx, &f, None, Some(1))?
                .items
                .into_iter()
                .next()
                .map(|u| u.code))
        })
        .await?;
    Ok(first.map(|code| (code, POSITION_ONLY_NOTE.to_string())))
}

/// Takes a resident's report and answers a receipt; also used by the web portal.
pub async fn take_report(
    s: &AppState,
    addr: String,
    idem_key: Option<String>,
    report: PublicReport,
) -> ApiResult<(Receipt, bool)> {
    if let Some(wait) = s.public_limit.check(&addr) {
        return Err(wangge_store::Error::Throttled { retry_after: wait }.into());
    }
    let ctx = resident(s, addr.clone());
    let mut new: NewCase = report.into();
    if let (true, Some(lat), Some(lon)) = (new.unit.trim().is_empty(), new.lat, new.lon) {
        // A position out of range is refused by intake, with the field named.
        if geo::coordinates(Some(lat), Some(lon)).is_ok() {
            if let Some((code, note)) = unit_for_position(s, (lat, lon)).await? {
                new.unit = code;
                new.note = Some(note);
            }
        }
    }
    let idem = idem_key.map(|key| wangge_store::cases::Idempotency {
        key,
        principal: format!("addr:{addr}"),
        request_hash: cases::request_hash(&new),
    });
    let cfg = s.cases.clone();
    let attachments = !new.attachments.is_empty();
    let (created, case) = crate::cases::intake_write(&s.store.db, attachments, move |c| {
        let created = wangge_store::cases::create(c, &ctx, &cfg, new, idem.as_ref())?;
        let public = cases::public_view(c, &ctx, &cfg, &created.token)?;
        Ok((created, public))
    })
    .await?;
    let receipt = Receipt {
        number: created.case.tracking_no.clone(),
        follow_url: format!("/track/{}", created.token),
        token: created.token,
        case,
    };
    Ok((receipt, created.replayed))
}

#[utoipa::path(post, path = "/api/v1/public/cases", tag = "public", request_body = PublicReport,
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key gets the first receipt")),
    responses((status = 201, body = Receipt), (status = 200, body = Receipt, description = "a retry"),
        (status = 422, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
pub async fn report(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Json(r): Json<PublicReport>,
) -> ApiResult<(StatusCode, axum::Json<Receipt>)> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string());
    let (receipt, replayed) = take_report(&s, addr, key, r).await?;
    Ok((
        if replayed {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        },
        axum::Json(receipt),
    ))
}

#[utoipa::path(get, path = "/api/v1/public/cases/{token}", tag = "public",
    params(("token" = String, Path, description = "the private follow token")),
    responses((status = 200, body = PublicCase), (status = 404, body = crate::error::Problem)))]
pub async fn follow(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(token): Path<String>,
) -> ApiResult<axum::Json<PublicCase>> {
    let ctx = resident(&s, addr);
    let cfg = s.cases.clone();
    Ok(axum::Json(
        s.store
            .db
            .read(move |c| cases::public_view(c, &ctx, &cfg, &token))
            .await?,
    ))
}

/// What a reporter may do: withdraw before acceptance, rate after closing, or
/// reopen ("not fixed") within the window.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReporterStep {
    pub action: Action,
    pub rating: Option<u8>,
    pub comment: Option<String>,
    pub reason: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/public/cases/{token}/transitions", tag = "public", request_body = ReporterStep,
    params(("token" = String, Path, description = "the private follow token")),
    responses((status = 200, body = PublicCase), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn step(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(token): Path<String>,
    Json(r): Json<ReporterStep>,
) -> ApiResult<axum::Json<PublicCase>> {
    if !matches!(r.action, Action::Withdraw | Action::Rate | Action::Reopen) {
        return Err(ApiError::from(wangge_core::Error::invalid(
            "action",
            "reporter_action",
            "举报人只能撤回、评价或申请重新办理",
            "a reporter may only withdraw, rate or reopen",
        )));
    }
    let ctx = resident(&s, addr);
    let cfg = s.cases.clone();
    let mut cmd = Command::new(r.action);
    cmd.rating = r.rating;
    cmd.comment = r.comment;
    cmd.reason = r.reason;
    Ok(axum::Json(
        s.store
            .db
            .write(move |c| cases::transition_by_token(c, &ctx, &cfg, &token, cmd))
            .await?,
    ))
}
