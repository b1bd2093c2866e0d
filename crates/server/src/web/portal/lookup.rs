//! The residents' way in without the private link: the public home at `/`
//! for visitors without a session, and finding a case again by its tracking
//! number and the last four digits of the phone given with it.

use super::super::i18n::T;
use super::super::{render, Form};
use crate::auth::ClientAddr;
use crate::error::ApiError;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use wangge_store::cases::{self, Progress, PublicCase};
use wangge_store::Error as StoreError;

/// A case as the track and lookup pages show it, in the page's language.
pub struct TrackView {
    pub c: PublicCase,
    pub p: Progress,
    pub category: String,
    pub state_text: String,
    pub close_text: Option<String>,
    pub steps: Vec<(String, String)>,
    pub deadline: Option<String>,
}

impl TrackView {
    pub fn new(t: T, c: PublicCase, p: Progress) -> TrackView {
        TrackView {
            category: t.pick(&c.category, &c.category_en).to_string(),
            state_text: t.pick(&c.state_wording.zh, &c.state_wording.en).to_string(),
            close_text: c
                .close_wording
                .as_ref()
                .map(|w| t.pick(&w.zh, &w.en).to_string()),
            steps: c
                .timeline
                .iter()
                .map(|st| {
                    (
                        super::super::cases::local_time(st.at),
                        t.pick(&st.zh, &st.en).to_string(),
                    )
                })
                .collect(),
            deadline: p.due_at.map(super::super::cases::local_time),
            c,
            p,
        }
    }
}

#[derive(Template)]
#[template(path = "public_home.html")]
struct PublicHome {
    t: T,
}

/// What `/` shows a visitor without a session: the ways in for residents.
pub fn public_home(t: T) -> Response {
    render(StatusCode::OK, &PublicHome { t })
}

#[derive(Template)]
#[template(path = "lookup.html")]
struct LookupPage {
    t: T,
    number: String,
    error: Option<String>,
    number_error: Option<String>,
    last4_error: Option<String>,
    found: Option<TrackView>,
}

pub async fn lookup_page(t: T) -> Response {
    render(
        StatusCode::OK,
        &LookupPage {
            t,
            number: String::new(),
            error: None,
            number_error: None,
            last4_error: None,
            found: None,
        },
    )
}

#[derive(Deserialize, Default)]
pub struct LookupForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    last4: String,
}

pub async fn lookup_submit(
    State(s): State<AppState>,
    t: T,
    ClientAddr(addr): ClientAddr,
    Form(f): Form<LookupForm>,
) -> Response {
    let number = f.number.trim().to_string();
    let last4 = f.last4.trim().to_string();
    let mut page = LookupPage {
        t,
        number: number.clone(),
        error: None,
        number_error: number
            .is_empty()
            .then(|| t.t("resident.need_number").to_string()),
        last4_error: (last4.len() != 4 || !last4.chars().all(|ch| ch.is_ascii_digit()))
            .then(|| t.t("resident.need_last4").to_string()),
        found: None,
    };
    if page.number_error.is_some() || page.last4_error.is_some() {
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    // Counted before the store is asked, so that guessing the four digits of
    // a known number costs a wait after a few tries.
    if s.public_limit.check(&format!("lookup:{addr}")).is_some() {
        page.error = Some(t.t("resident.lookup_throttled").to_string());
        return render(StatusCode::TOO_MANY_REQUESTS, &page);
    }
    let ctx = crate::public::resident(&s, addr);
    let cfg = s.cases.clone();
    let found = s
        .store
        .db
        .read(move |c| cases::public_lookup(c, &ctx, &cfg, &number, &last4))
        .await;
    let mut res = match found {
        Ok((c, p)) => {
            page.found = Some(TrackView::new(t, c, p));
            render(StatusCode::OK, &page)
        }
        Err(StoreError::NotFound { .. }) => {
            page.error = Some(t.t("resident.lookup_not_found").to_string());
            render(StatusCode::NOT_FOUND, &page)
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
