//! The step forms on a case's page, and their one handler. Every form posts
//! `multipart/form-data` (the handling step carries evidence photos). A refused
//! step shows its message next to the field and keeps what was typed; a step
//! posted after the session expired goes to the login page and comes back to
//! the same form with the typed text in the address.

use super::cases::{event_rows, load, summary_of, CasePage};
use super::formdata::FormData;
use super::i18n::T;
use super::session::PageSession;
use super::{not_found_page, render, to_login};
use crate::error::ApiError;
use crate::web::see_other;
use crate::AppState;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use wangge_core::cases::{Action, CloseKind, Command};
use wangge_store::Error as StoreError;

/// What a user typed into one step form (also carried through the login page).
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct Draft {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub lead_org: String,
    #[serde(default)]
    pub close_kind: String,
    /// Organisation ids for the joint meeting, comma-separated.
    #[serde(default)]
    pub orgs: String,
    /// Co-handling organisation ids (协办), comma-separated.
    #[serde(default)]
    pub co_handlers: String,
    /// The case a duplicate is closed into: its tracking number or id.
    #[serde(default)]
    pub duplicate_of: String,
    /// The organisation search typed above the step forms (a GET form).
    #[serde(default)]
    pub org_q: String,
    #[serde(default, skip_serializing)]
    pub done: String,
}

impl Draft {
    fn from_form(d: &FormData) -> Draft {
        Draft {
            action: d.get("action"),
            reason: d.get("reason"),
            note: d.get("note"),
            lead_org: d.get("lead_org"),
            close_kind: d.get("close_kind"),
            orgs: d.all("orgs").join(","),
            co_handlers: d.all("co_handlers").join(","),
            duplicate_of: d.get("duplicate_of"),
            org_q: d.get("org_q"),
            done: String::new(),
        }
    }

    fn orgs(&self) -> Vec<String> {
        split_ids(&self.orgs)
    }

    fn co(&self) -> Vec<String> {
        split_ids(&self.co_handlers)
    }
}

fn split_ids(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Messages shown next to the fields of one form.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors {
    pub form: Option<String>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub org: Option<String>,
    pub orgs: Option<String>,
    pub co: Option<String>,
    pub duplicate: Option<String>,
    pub evidence: Option<String>,
    pub close: Option<String>,
}

impl FieldErrors {
    fn any(&self) -> bool {
        self.form.is_some()
            || self.reason.is_some()
            || self.note.is_some()
            || self.org.is_some()
            || self.orgs.is_some()
            || self.co.is_some()
            || self.duplicate.is_some()
            || self.evidence.is_some()
            || self.close.is_some()
    }

    /// Puts a store message next to the field it names.
    fn place(&mut self, field: &str, msg: String) {
        let slot = match field {
            "reason" | "close_kind.reason" | "comment" => &mut self.reason,
            "note" => &mut self.note,
            "lead_org" | "close_kind.reassign_to" => &mut self.org,
            "co_handlers" => &mut self.co,
            "orgs" => &mut self.orgs,
            "evidence" | "file" => &mut self.evidence,
            "close_kind.of" | "duplicate_of" => &mut self.duplicate,
            "close_kind" => &mut self.close,
            _ => &mut self.form,
        };
        slot.get_or_insert(msg);
    }
}

/// One step's form, with the fields that step takes.
pub struct ActionForm {
    pub action: &'static str,
    pub label_key: String,
    pub reason: bool,
    pub note: bool,
    pub org: bool,
    pub orgs: bool,
    /// Co-handlers beside the lead organisation (dispatch, reassign).
    pub co: bool,
    pub evidence: bool,
    pub close: bool,
    pub draft: Draft,
    pub chosen_orgs: Vec<String>,
    pub chosen_co: Vec<String>,
    pub errors: FieldErrors,
    /// Shown open: it holds a draft or an error.
    pub open: bool,
}

impl ActionForm {
    pub fn is_lead(&self, id: &i64) -> bool {
        self.draft.lead_org.trim() == id.to_string()
    }
    pub fn has_org(&self, id: &i64) -> bool {
        self.chosen_orgs.iter().any(|o| o.trim() == id.to_string())
    }
    pub fn has_co(&self, id: &i64) -> bool {
        self.chosen_co.iter().any(|o| o.trim() == id.to_string())
    }
}

/// The steps staff take on this page; a reporter's own steps are on the
/// resident's tracking page.
fn staff_step(a: Action) -> bool {
    !matches!(
        a,
        Action::Report | Action::Withdraw | Action::Rate | Action::Reopen
    )
}

/// A form for each step this user may take now, in the order the rules give.
pub fn forms(_t: T, next: &[Action], draft: &Draft, errors: &FieldErrors) -> Vec<ActionForm> {
    next.iter()
        .copied()
        .filter(|a| staff_step(*a))
        .map(|a| {
            let mine = draft.action == a.as_str();
            let reason = matches!(
                a,
                Action::Reject
                    | Action::Return
                    | Action::SendBack
                    | Action::Reassign
                    | Action::RequestSuspension
                    | Action::Suspend
                    | Action::DenySuspension
                    | Action::Supervise
                    | Action::ToJointMeeting
                    | Action::Close
            );
            ActionForm {
                action: a.as_str(),
                label_key: format!("action.{}", a.as_str()),
                reason,
                note: matches!(
                    a,
                    Action::Accept
                        | Action::Dispatch
                        | Action::Start
                        | Action::Handle
                        | Action::Verify
                        | Action::Resume
                        | Action::Close
                ),
                // Closing as "not our responsibility" names who takes it on.
                org: matches!(a, Action::Dispatch | Action::Reassign | Action::Close),
                orgs: a == Action::ToJointMeeting,
                co: matches!(a, Action::Dispatch | Action::Reassign),
                evidence: a == Action::Handle,
                close: a == Action::Close,
                draft: if mine {
                    draft.clone()
                } else {
                    Draft::default()
                },
                chosen_orgs: if mine { draft.orgs() } else { Vec::new() },
                chosen_co: if mine { draft.co() } else { Vec::new() },
                errors: if mine {
                    errors.clone()
                } else {
                    FieldErrors::default()
                },
                open: mine,
            }
        })
        .collect()
}

/// The organisations the page's step forms offer: case handlers only,
/// narrowed by the search, the category's route first; the dispatch form
/// comes with the route chosen unless the user chose otherwise.
pub async fn org_list(
    s: &AppState,
    view: &wangge_store::cases::CaseView,
    draft: &Draft,
    forms: &mut [ActionForm],
) -> Vec<(i64, String)> {
    if !forms.iter().any(|f| f.org || f.orgs) {
        return Vec::new();
    }
    let route = super::org_choice::route_of(s, &view.category, &view.unit).await;
    if let Some(r) = route {
        for f in forms
            .iter_mut()
            .filter(|f| f.action == Action::Dispatch.as_str())
        {
            if f.draft.lead_org.trim().is_empty() {
                f.draft.lead_org = r.to_string();
            }
        }
    }
    // Organisations the user ticked stay listed whatever the search shows.
    let mut first: Vec<i64> = route.into_iter().collect();
    for id in draft
        .orgs()
        .iter()
        .chain(draft.co().iter())
        .chain([&draft.lead_org])
    {
        if let Ok(n) = id.trim().parse::<i64>() {
            if !first.contains(&n) {
                first.push(n);
            }
        }
    }
    super::org_choice::handlers(s, super::org_choice::Purpose::Case, &draft.org_q, &first).await
}

fn bilingual(t: T, e: &wangge_core::Error) -> String {
    match e {
        wangge_core::Error::Invalid { zh, en, .. }
        | wangge_core::Error::Conflict { zh, en, .. } => t.pick(zh, en).to_string(),
    }
}

/// The case a duplicate is closed into, by id or by tracking number among the
/// cases this user sees; `None` with the message next to the field otherwise.
async fn duplicate_target(
    s: &AppState,
    t: T,
    ctx: &wangge_store::Ctx,
    d: &Draft,
    errors: &mut FieldErrors,
) -> Result<Option<i64>, StoreError> {
    let v = d.duplicate_of.trim().trim_start_matches('#').to_string();
    if v.is_empty() {
        errors.duplicate = Some(t.t("case.pick_case").to_string());
        return Ok(None);
    }
    if let Ok(id) = v.parse::<i64>() {
        return Ok(Some(id));
    }
    let ctx = ctx.clone();
    let found = s
        .store
        .db
        .read(move |c| {
            let f = wangge_store::cases::ListFilter {
                text: Some(v.clone()),
                ..Default::default()
            };
            let page = wangge_store::cases::list(c, &ctx, &f, None, Some(20))?;
            Ok(page
                .items
                .into_iter()
                .find(|k| k.tracking_no == v)
                .map(|k| k.id))
        })
        .await?;
    if found.is_none() {
        errors.duplicate = Some(t.t("case.pick_case").to_string());
    }
    Ok(found)
}

/// Builds the command from the form; a value that is not even a number is
/// refused here, everything else by the core's rules.
fn command(
    t: T,
    action: Action,
    d: &Draft,
    duplicate_of: Option<i64>,
    errors: &mut FieldErrors,
) -> Command {
    let mut cmd = Command::new(action);
    let text = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
    cmd.note = text(&d.note);
    match d.lead_org.trim() {
        "" => {}
        v => match v.parse::<i64>() {
            Ok(n) => cmd.lead_org = Some(n),
            Err(_) => errors.org = Some(t.t("case.pick_org").to_string()),
        },
    }
    for o in d.orgs() {
        match o.parse::<i64>() {
            Ok(n) => cmd.orgs.push(n),
            Err(_) => errors.orgs = Some(t.t("case.pick_org").to_string()),
        }
    }
    for o in d.co() {
        match o.parse::<i64>() {
            Ok(n) => cmd.co_handlers.push(n),
            Err(_) => errors.co = Some(t.t("case.pick_org").to_string()),
        }
    }
    if action == Action::Close {
        // The organisation chosen on the close form is the one a case that is
        // not ours goes on to, never a lead set by closing.
        let reassign_to = cmd.lead_org.take();
        cmd.close_kind = match d.close_kind.as_str() {
            "fixed" => Some(CloseKind::Fixed),
            "cannot_fix" => Some(CloseKind::CannotFix {
                reason: text(&d.reason),
            }),
            "not_responsible" => Some(CloseKind::NotResponsible { reassign_to }),
            "duplicate" => duplicate_of.map(|of| CloseKind::Duplicate { of: Some(of) }),
            "" => None,
            _ => {
                errors.close = Some(t.t("case.pick_close").to_string());
                None
            }
        };
        if !matches!(cmd.close_kind, Some(CloseKind::CannotFix { .. })) {
            cmd.reason = text(&d.reason);
        }
    } else {
        cmd.reason = text(&d.reason);
    }
    cmd
}

pub async fn act(
    State(s): State<AppState>,
    t: T,
    session: Option<PageSession>,
    Path(id): Path<String>,
    mp: Multipart,
) -> Response {
    let data = FormData::read(mp, s.files.max_bytes).await;
    let draft = Draft::from_form(&data);
    let Some(session) = session else {
        let q = serde_urlencoded::to_string(&draft).unwrap_or_default();
        return to_login(&format!("/cases/{id}?{q}#act-{}", draft.action));
    };
    if !session.csrf_ok(&data.get("csrf")) {
        return ApiError::Csrf.into_response();
    }
    let (view, _, next) = match load(&s, &session.ctx, &id).await {
        Ok(v) => v,
        Err(StoreError::NotFound { .. }) | Err(StoreError::Forbidden) => return not_found_page(t),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let mut errors = FieldErrors::default();
    let action = Action::parse(&draft.action).filter(|a| staff_step(*a));
    let version = data.get("version").parse::<i64>().ok();
    if data.broken {
        errors.form = Some(t.t("case.form_broken").to_string());
    }
    if let Some(name) = &data.too_large {
        let limit = (s.files.max_bytes / 1024 / 1024).to_string();
        errors.evidence = Some(
            t.t("portal.photo_too_large")
                .replace("{name}", name)
                .replace("{mb}", &limit),
        );
    }
    let mut cmd = None;
    match action {
        Some(a) if next.contains(&a) => {
            let dup = if a == Action::Close && draft.close_kind == "duplicate" {
                match duplicate_target(&s, t, &session.ctx, &draft, &mut errors).await {
                    Ok(d) => d,
                    Err(e) => return ApiError::from(e).into_response(),
                }
            } else {
                None
            };
            cmd = Some(command(t, a, &draft, dup, &mut errors))
        }
        _ => errors.form = Some(t.t("case.not_now").to_string()),
    }
    // Evidence is stored only when everything else is in order, and before the
    // step: a wrong file stops the step with the message next to the field.
    if let (Some(c), false) = (cmd.as_mut(), errors.any()) {
        for f in data.files.iter().filter(|f| f.field == "evidence") {
            match crate::attachments::store_upload(
                &s,
                session.ctx.clone(),
                f.bytes.clone(),
                f.name.clone(),
                f.content_type.clone(),
            )
            .await
            {
                Ok(info) => c.evidence.push(info.id),
                Err(ApiError::Store(StoreError::Domain(e))) => {
                    errors.evidence = Some(format!("{}:{}", f.name, bilingual(t, &e)));
                    break;
                }
                Err(e) => return e.into_response(),
            }
        }
    }
    if let (Some(cmd), false) = (cmd, errors.any()) {
        let (ctx, cfg, cid) = (session.ctx.clone(), s.cases.clone(), view.id);
        let result = s
            .store
            .db
            .write(move |c| wangge_store::cases::transition(c, &ctx, &cfg, cid, version, cmd))
            .await;
        match result {
            Ok(_) => return see_other(&format!("/cases/{cid}?done=1")),
            Err(StoreError::Domain(e @ wangge_core::Error::Invalid { .. })) => {
                let field = match &e {
                    wangge_core::Error::Invalid { field, .. } => field.clone(),
                    _ => String::new(),
                };
                errors.place(&field, bilingual(t, &e));
            }
            Err(StoreError::Domain(e)) => errors.form = Some(bilingual(t, &e)),
            Err(StoreError::NotFound { .. }) | Err(StoreError::Forbidden) => {
                return not_found_page(t)
            }
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    // Shown again with the messages; the case as it is now (a stale form's
    // version error says why nothing happened).
    let (view, events, next) = match load(&s, &session.ctx, &id).await {
        Ok(v) => v,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let mut forms = forms(t, &next, &draft, &errors);
    if !forms.iter().any(|f| f.open) {
        if let (Some(first), Some(msg)) = (forms.first_mut(), errors.form.clone()) {
            first.errors.form = Some(msg);
            first.open = true;
        }
    }
    let orgs = org_list(&s, &view, &draft, &mut forms).await;
    let page = CasePage {
        t,
        c: summary_of(&s, t, &view, session.ctx.now),
        events: event_rows(t, &events),
        forms,
        orgs,
        user: session.user,
        csrf: session.csrf,
        notice: None,
    };
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}
