//! The staff upload page for bulk imports: a form that hands the file to the
//! same import as the API and the command line, then a page that follows the
//! run (refreshing itself while it runs) and offers the rejected rows back as
//! a workbook to fix and upload again.

use super::exports::{ExportLinks, List};
use super::formdata::FormData;
use super::i18n::T;
use super::session::PageSession;
use super::{not_found_page, render};
use crate::error::ApiError;
use crate::AppState;
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use std::io::Write;
use std::sync::{Arc, Mutex};
use wangge_core::auth::Permission;
use wangge_store::transfer::{self, ImportOptions, ImportRun, Kind, Progress};

/// Larger files go through `wangge import` or the API, which stream to disk.
const MAX_FILE: u64 = 64 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/imports",
            get(page)
                .post(submit)
                .layer(DefaultBodyLimit::max(super::formdata::body_limit(MAX_FILE))),
        )
        .route("/imports/runs/{id}", get(run_page))
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    t: T,
    user: wangge_store::accounts::User,
    csrf: String,
    kinds: Vec<(&'static str, &'static str)>,
    kind: String,
    skip_invalid: bool,
    error: Option<String>,
    exports: Vec<ExportLinks>,
}

fn kinds(t: T, ctx: &wangge_store::Ctx) -> Vec<(&'static str, &'static str)> {
    Kind::ALL
        .iter()
        .filter(|k| **k != Kind::Equipment || ctx.can(Permission::EquipmentWrite))
        .map(|k| (k.as_str(), t.pick(k.label_zh(), k.as_str())))
        .collect()
}

fn form_page(
    t: T,
    s: PageSession,
    kind: String,
    skip_invalid: bool,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    render(
        status,
        &ImportsPage {
            t,
            kinds: kinds(t, &s.ctx),
            // The whole scope of each kind, for those who may export.
            exports: Kind::ALL
                .into_iter()
                .map(|k| match k {
                    Kind::Equipment => List::Equipment,
                    k => List::Registry(k),
                })
                .flat_map(|w| ExportLinks::of(t, &s.ctx, w, String::new()))
                .collect(),
            user: s.user,
            csrf: s.csrf,
            kind,
            skip_invalid,
            error,
        },
    )
}

async fn page(t: T, s: PageSession) -> Response {
    if !s.ctx.can(Permission::RegistryWrite) {
        return not_found_page(t);
    }
    form_page(t, s, "people".into(), false, None, StatusCode::OK)
}

async fn submit(State(st): State<AppState>, t: T, s: PageSession, mp: Multipart) -> Response {
    if !s.ctx.can(Permission::RegistryWrite) {
        return not_found_page(t);
    }
    let form = FormData::read(mp, MAX_FILE).await;
    if !s.csrf_ok(&form.get("csrf")) {
        return ApiError::Csrf.into_response();
    }
    let kind_text = form.get("kind");
    let skip_invalid = form.get("skip_invalid") == "1";
    let again = |s: PageSession, msg: String| {
        form_page(
            t,
            s,
            kind_text.clone(),
            skip_invalid,
            Some(msg),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    if form.too_large.is_some() {
        return again(s, t.t("imports.too_large").to_string());
    }
    let kind = match Kind::parse(&kind_text) {
        Ok(k) => k,
        Err(e) => {
            let (zh, en) = match &e {
                wangge_core::Error::Invalid { zh, en, .. }
                | wangge_core::Error::Conflict { zh, en, .. } => (zh.clone(), en.clone()),
            };
            return again(s, t.pick(&zh, &en).to_string());
        }
    };
    let may = match kind {
        Kind::Units => s.ctx.can(Permission::TreeWrite),
        Kind::Equipment => s.ctx.can(Permission::EquipmentWrite),
        _ => true,
    };
    if !may {
        return ApiError::from(wangge_store::Error::Forbidden).into_response();
    }
    let Some(file) = form.files.into_iter().find(|f| f.field == "file") else {
        return again(s, t.t("imports.no_file").to_string());
    };
    // The import reads from disk, so a page upload and a command-line import are the same path.
    let spooled = transfer::spool(None).and_then(|mut tmp| {
        tmp.as_file_mut()
            .write_all(&file.bytes)
            .map_err(|e| wangge_store::Error::Db(format!("cannot keep the upload: {e}")))?;
        Ok(tmp)
    });
    let tmp = match spooled {
        Ok(tmp) => tmp,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let opts = ImportOptions {
        skip_invalid,
        file_name: Some(file.name.clone()),
        ..ImportOptions::default()
    };
    let (started_tx, started_rx) = tokio::sync::oneshot::channel::<i64>();
    let started_tx = Arc::new(Mutex::new(Some(started_tx)));
    let progress: transfer::OnProgress = Arc::new(move |p: &Progress| {
        if let Ok(mut m) = crate::transfer::live().lock() {
            m.insert(p.run_id, *p);
        }
        if let Some(tx) = started_tx.lock().ok().and_then(|mut g| g.take()) {
            let _ = tx.send(p.run_id);
        }
    });
    let (store, ctx) = (st.store.clone(), s.ctx.clone());
    let task = tokio::spawn(async move {
        let out = transfer::import(&store, &ctx, kind, tmp.path(), opts, Some(progress)).await;
        drop(tmp);
        if let Ok(i) = &out {
            if let Ok(mut m) = crate::transfer::live().lock() {
                m.remove(&i.summary.run_id);
            }
        }
        out
    });
    // Follow the run on its own page as soon as it has a number; a file refused
    // whole never gets that far and is reported here, next to the form.
    let mut task = task;
    let started = tokio::select! {
        started = started_rx => started.ok(),
        done = &mut task => Some(match finished(done) {
            Ok(id) => id,
            Err(Refused::Form(msg)) => return again(s, t.pick(&msg.0, &msg.1).to_string()),
            Err(Refused::Other(e)) => return e.into_response(),
        }),
    };
    let run_id = match started {
        Some(id) => id,
        // Finished (or failed) before reporting any progress.
        None => match finished(task.await) {
            Ok(id) => id,
            Err(Refused::Form(msg)) => return again(s, t.pick(&msg.0, &msg.1).to_string()),
            Err(Refused::Other(e)) => return e.into_response(),
        },
    };
    let mut r = Redirect::to(&format!("/imports/runs/{run_id}")).into_response();
    *r.status_mut() = StatusCode::SEE_OTHER;
    r
}

enum Refused {
    /// The file itself was refused: the message (Chinese, English) goes next to the form.
    Form((String, String)),
    Other(ApiError),
}

fn finished(
    done: Result<wangge_store::Result<transfer::Imported>, tokio::task::JoinError>,
) -> Result<i64, Refused> {
    match done {
        Ok(Ok(i)) => Ok(i.summary.run_id),
        Ok(Err(wangge_store::Error::Domain(
            wangge_core::Error::Invalid { zh, en, .. }
            | wangge_core::Error::Conflict { zh, en, .. },
        ))) => Err(Refused::Form((zh, en))),
        Ok(Err(e)) => Err(Refused::Other(e.into())),
        Err(e) => Err(Refused::Other(
            wangge_store::Error::Db(e.to_string()).into(),
        )),
    }
}

#[derive(Template)]
#[template(path = "import_run.html")]
struct RunPage {
    t: T,
    user: wangge_store::accounts::User,
    csrf: String,
    run: ImportRun,
    running: bool,
    status_key: String,
    progress_rows: u64,
    progress_percent: u64,
}

async fn run_page(
    State(st): State<AppState>,
    t: T,
    s: PageSession,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(t);
    };
    let ctx = s.ctx.clone();
    let run = match st.store.db.read(move |c| transfer::run(c, &ctx, id)).await {
        Ok(r) => r,
        Err(wangge_store::Error::NotFound { .. } | wangge_store::Error::Forbidden) => {
            return not_found_page(t)
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let live = crate::transfer::live()
        .lock()
        .ok()
        .and_then(|m| m.get(&id).copied());
    let running = run.status == "running";
    let (progress_rows, progress_percent) = match live {
        Some(p) => (
            p.rows,
            (p.bytes * 100).checked_div(p.total_bytes).unwrap_or(0),
        ),
        None => (run.rows.max(0) as u64, 0),
    };
    let status_key = format!(
        "imports.{}",
        if run.status == "committed" {
            "committed"
        } else if run.status == "refused" {
            "refused"
        } else {
            "rejected"
        }
    );
    render(
        StatusCode::OK,
        &RunPage {
            t,
            user: s.user,
            csrf: s.csrf,
            run,
            running,
            status_key,
            progress_rows,
            progress_percent,
        },
    )
}
