//! Reading cases: one case, lists, the inbox, the timeline, likely
//! duplicates, and revealing a reporter in full.

use super::scope::{self, restrict, Q};
use super::view::{
    load, load_as, parse_state, raw_row, reporter_hidden, view, CaseView, F_CONTACT, F_NAME,
    RAW_SELECT,
};
use super::{from_json, Config, Source};
use crate::ctx::{ms_to_time, subtree_range, Ctx};
use crate::db::Conn;
use crate::error::{Error, Result};
use crate::paging::{self, Page};
use crate::{audit, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use wangge_core::auth::{Permission, Role};
use wangge_core::cases::{allowed_actions, Action, Actor, CaseState, Event};
use wangge_core::Error as CoreError;

/// One case, if the caller may see it.
pub fn get(c: &mut dyn Conn, ctx: &Ctx, id: i64) -> Result<CaseView> {
    let raw = load(c, ctx, id)?;
    view(c, ctx, &raw)
}

/// The steps the caller may take on a case now (for the buttons a UI offers).
pub fn next_steps(c: &mut dyn Conn, ctx: &Ctx, cfg: &Config, id: i64) -> Result<Vec<Action>> {
    let raw = load(c, ctx, id)?;
    let actor = scope::actor_for(c, ctx)?;
    Ok(allowed_actions(&raw.snapshot, &actor, ctx.now, &cfg.policy))
}

/// The organisation the routing rules suggest as lead for a case.
pub fn suggested_lead(
    c: &mut dyn Conn,
    ctx: &Ctx,
    id: i64,
) -> Result<Option<super::routes::Route>> {
    let raw = load(c, ctx, id)?;
    super::routes::route_rule(c, raw.category_id, &raw.unit_path)
}

/// Sort orders for lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// Nearest deadline first, cases without a deadline last (an inbox).
    #[default]
    Due,
    /// Newest first.
    Newest,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListFilter {
    #[serde(default)]
    pub states: Vec<CaseState>,
    /// A minor category, or a major one for all its minors.
    pub category: Option<String>,
    /// A unit code: its whole subtree.
    pub unit: Option<String>,
    pub overdue: Option<bool>,
    pub source: Option<Source>,
    /// Only for callers with `TipsRead`; others are refused (403).
    pub confidential: Option<bool>,
    /// Words of the description, or a tracking number.
    pub text: Option<String>,
    #[serde(default)]
    pub order: Order,
}

const NO_DUE: i64 = i64::MAX;

/// Cases the caller may see, filtered, a page at a time.
pub fn list(
    c: &mut dyn Conn,
    ctx: &Ctx,
    f: &ListFilter,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> Result<Page<CaseView>> {
    let limit = paging::limit(limit)?;
    if f.confidential.is_some() {
        ctx.require(Permission::TipsRead)?;
    }
    let v = scope::viewer(c, ctx)?;
    let mut q = Q::new(format!("{RAW_SELECT} WHERE 1 = 1"));
    restrict(&mut q, &v);
    if !f.states.is_empty() {
        let marks: Vec<String> = f.states.iter().map(|s| q.arg(s.as_str())).collect();
        q.push(&format!(" AND c.state IN ({})", marks.join(", ")));
    }
    if let Some(code) = f.category.as_deref().map(str::trim) {
        let cat = super::get_category(c, code).map_err(|e| match e {
            Error::NotFound { .. } => CoreError::invalid(
                "category",
                "unknown_category",
                format!("事件类别“{code}”不存在"),
                format!("no case category '{code}'"),
            )
            .into(),
            other => other,
        })?;
        let p = q.arg(cat.id);
        q.push(&format!(" AND (c.category_id = {p} OR k.parent_id = {p})"));
    }
    if let Some(code) = &f.unit {
        let path = unit_path_for_filter(c, ctx, code)?;
        let (lo, hi) = subtree_range(&path);
        let (lo, hi) = (q.arg(lo), q.arg(hi));
        q.push(&format!(" AND u.path >= {lo} AND u.path < {hi}"));
    }
    if let Some(o) = f.overdue {
        let p = q.arg(o);
        q.push(&format!(" AND c.overdue = {p}"));
    }
    if let Some(s) = f.source {
        let p = q.arg(s.as_str());
        q.push(&format!(" AND c.source = {p}"));
    }
    if let Some(conf) = f.confidential {
        let p = q.arg(conf);
        q.push(&format!(" AND c.confidential = {p}"));
    }
    if let Some(t) = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let escaped = t
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let like = q.arg(format!("%{escaped}%"));
        let exact = q.arg(t.to_uppercase());
        q.push(&format!(
            " AND (c.description LIKE {like} ESCAPE '\\' OR c.tracking_no = {exact})"
        ));
    }
    let sort = match f.order {
        Order::Due => format!("COALESCE(c.due_at, {NO_DUE})"),
        Order::Newest => "c.created_at".to_string(),
    };
    if let Some(cur) = cursor {
        let (key, id) = paging::decode(cur)?;
        let key: i64 = key.parse().map_err(|_| {
            Error::from(CoreError::invalid(
                "cursor",
                "cursor",
                "翻页游标无效,请从第一页重新开始",
                "the cursor is not valid; start again from the first page",
            ))
        })?;
        let (k1, k2, i) = (q.arg(key), q.arg(key), q.arg(id));
        match f.order {
            Order::Due => q.push(&format!(
                " AND ({sort} > {k1} OR ({sort} = {k2} AND c.id > {i}))"
            )),
            Order::Newest => q.push(&format!(
                " AND ({sort} < {k1} OR ({sort} = {k2} AND c.id < {i}))"
            )),
        }
    }
    let lim = q.arg(limit + 1);
    match f.order {
        Order::Due => q.push(&format!(" ORDER BY {sort}, c.id LIMIT {lim}")),
        Order::Newest => q.push(&format!(" ORDER BY {sort} DESC, c.id DESC LIMIT {lim}")),
    }
    let rows = c.query(&q.sql, &q.args)?;
    let raws = rows.iter().map(raw_row).collect::<Result<Vec<_>>>()?;
    let order = f.order;
    let keyed: Vec<(i64, CaseView)> = raws
        .iter()
        .map(|r| {
            let key = match order {
                Order::Due => r.due_at.unwrap_or(NO_DUE),
                Order::Newest => r.created_at,
            };
            view(c, ctx, r).map(|v| (key, v))
        })
        .collect::<Result<_>>()?;
    let page = paging::page(keyed, limit, |(k, v)| (k.to_string(), v.id));
    Ok(Page {
        items: page.items.into_iter().map(|(_, v)| v).collect(),
        next_cursor: page.next_cursor,
    })
}

/// The path of a unit used as a list filter. Unit-scoped callers must name a
/// unit in their scope; others (department handlers, residents) only narrow
/// what they already see, so no registry permission is needed.
fn unit_path_for_filter(c: &mut dyn Conn, ctx: &Ctx, code: &str) -> Result<String> {
    super::intake::unit_for_report(c, ctx, code).map(|u| u.path)
}

/// The cases waiting for the caller's action, overdue first, then by deadline.
///
/// | role | waiting for them |
/// |---|---|
/// | zone admin, street staff | reported (accept/reject), accepted (dispatch), a pending request to suspend, handled (verify), verified (close) |
/// | community cadre, grid worker | handled (verify) |
/// | department handler | dispatched or in progress with their organisation as lead |
/// | resident | their closed cases, to rate |
pub fn inbox(c: &mut dyn Conn, ctx: &Ctx, limit: Option<i64>) -> Result<Vec<CaseView>> {
    let limit = paging::limit(limit)?;
    let v = scope::viewer(c, ctx)?;
    let mut q = Q::new(format!("{RAW_SELECT} WHERE 1 = 1"));
    restrict(&mut q, &v);
    let cond = match ctx.role {
        None | Some(Role::ZoneAdmin) | Some(Role::StreetStaff) => {
            "c.state IN ('reported', 'accepted', 'handled', 'verified') OR c.suspension_requested = 1"
                .to_string()
        }
        Some(Role::CommunityCadre) | Some(Role::GridWorker) => "c.state = 'handled'".to_string(),
        Some(Role::DeptHandler) => {
            let org = q.arg(ctx.org_id.unwrap_or(0));
            format!(
                "c.state IN ('dispatched', 'in_progress') AND c.lead_org_id = {org} AND c.suspension_requested = 0"
            )
        }
        Some(Role::Resident) => "c.state = 'closed'".to_string(),
        Some(Role::Auditor) => "1 = 0".to_string(),
    };
    let lim = q.arg(limit);
    q.push(&format!(
        " AND ({cond}) ORDER BY c.overdue DESC, COALESCE(c.due_at, {NO_DUE}), c.id LIMIT {lim}"
    ));
    let rows = c.query(&q.sql, &q.args)?;
    rows.iter()
        .map(|r| raw_row(r).and_then(|raw| view(c, ctx, &raw)))
        .collect()
}

/// One entry of a case's timeline, for staff.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CaseEvent {
    pub seq: i64,
    /// The case's version after this entry.
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// The user name; `反映人` when the reporter is hidden from this caller.
    pub actor: String,
    /// The role, `reporter` for the token holder, absent for the system.
    pub actor_role: Option<String>,
    /// A core action, or one of the store's own entries: `warn`, `overdue`,
    /// `escalate`, `merged_in`.
    pub action: String,
    pub action_label: String,
    pub from_state: Option<CaseState>,
    pub to_state: CaseState,
    pub org_id: Option<i64>,
    pub note: Option<String>,
    pub attachments: Vec<i64>,
    /// The store's own entry, outside the state machine.
    pub system: bool,
    /// Working minutes from report to close, on a closing entry.
    pub handling_minutes: Option<i64>,
}

pub(crate) fn system_label(action: &str) -> &'static str {
    match action {
        "warn" => "临期预警",
        "overdue" => "超期",
        "escalate" => "超期升级督办",
        "merged_in" => "合并重复案件",
        "move_unit" => "调整所属单元",
        "set_supervising_org" => "指定监管单位",
        _ => "",
    }
}

/// The case's log, oldest first: the timeline is the event log. Residents use
/// the public view instead (no staff names, no internal notes).
pub fn events(c: &mut dyn Conn, ctx: &Ctx, id: i64) -> Result<Vec<CaseEvent>> {
    if ctx.role == Some(Role::Resident) {
        return Err(Error::Forbidden);
    }
    let raw = load(c, ctx, id)?;
    let hidden = reporter_hidden(c, ctx, &raw)?;
    let rows = c.query(
        "SELECT seq, version, at, actor, actor_role, action, from_state, to_state, org_id, note,
            attachment_ids, event, handling_minutes
         FROM case_events WHERE case_id = $1 ORDER BY seq",
        params![id],
    )?;
    rows.iter()
        .map(|r| {
            let action: String = r.get(5)?;
            let event: Option<String> = r.get(11)?;
            let core: Option<Event> = event.map(|e| from_json("event", &e)).transpose()?;
            let by_reporter = match core.as_ref().map(|e| e.actor) {
                Some(Actor::CaseToken) => true,
                Some(Actor::User { user_id, .. }) => Some(user_id) == raw.reporter_user_id,
                None => false,
            };
            let actor: String = r.get(3)?;
            let label = match Action::parse(&action) {
                Some(a) => a.label_zh(),
                None => system_label(&action),
            };
            Ok(CaseEvent {
                seq: r.get(0)?,
                version: r.get(1)?,
                at: ms_to_time(r.get(2)?),
                actor: if hidden && by_reporter {
                    "反映人".to_string()
                } else {
                    actor
                },
                actor_role: r.get(4)?,
                action_label: label.to_string(),
                action,
                from_state: r
                    .get::<Option<String>>(6)?
                    .map(|s| parse_state(&s))
                    .transpose()?,
                to_state: parse_state(&r.get::<String>(7)?)?,
                org_id: r.get(8)?,
                note: r.get(9)?,
                attachments: from_json("attachment_ids", &r.get::<String>(10)?)?,
                system: core.is_none(),
                handling_minutes: r.get(12)?,
            })
        })
        .collect()
}

/// A case flagged at intake as probably the same problem.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DuplicateCandidate {
    pub id: i64,
    pub tracking_no: String,
    pub state: CaseState,
    /// `same_compound` (or the same unit outside a compound) or `nearby`.
    pub reason: String,
    pub distance_m: Option<f64>,
}

/// The likely duplicates flagged for a case, those the caller may see.
pub fn possible_duplicates(
    c: &mut dyn Conn,
    ctx: &Ctx,
    id: i64,
) -> Result<Vec<DuplicateCandidate>> {
    let v = scope::viewer(c, ctx)?;
    load_as(c, &v, id)?;
    let mut q = Q::new(
        "SELECT c.id, c.tracking_no, c.state, d.reason, d.distance_m
         FROM case_duplicates d JOIN cases c ON c.id = d.candidate_id
         JOIN units u ON u.id = c.unit_id WHERE d.case_id = ",
    );
    let p = q.arg(id);
    q.push(&p);
    restrict(&mut q, &v);
    q.push(" ORDER BY c.id");
    c.query(&q.sql, &q.args)?
        .iter()
        .map(|r| {
            Ok(DuplicateCandidate {
                id: r.get(0)?,
                tracking_no: r.get(1)?,
                state: parse_state(&r.get::<String>(2)?)?,
                reason: r.get(3)?,
                distance_m: r.get(4)?,
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RevealedReporter {
    pub name: Option<String>,
    pub contact: Option<String>,
}

/// The reporter's name and contact in full, for calling them back. Needs
/// `RevealPersonal`, and `TipsRead` for a confidential case; the reason is
/// audited (the values are not).
pub fn reveal_reporter(
    c: &mut dyn Conn,
    ctx: &Ctx,
    id: i64,
    reason: &str,
) -> Result<RevealedReporter> {
    ctx.require(Permission::RevealPersonal)?;
    let reason = wangge_core::people::check_text("reason", reason, 200)?;
    super::lock_audit_chain(c)?;
    let raw = load(c, ctx, id)?;
    if reporter_hidden(c, ctx, &raw)? {
        return Err(Error::Forbidden);
    }
    let keys = ctx.keys();
    let open = |field: &str, v: &Option<Vec<u8>>| -> Result<Option<String>> {
        v.as_ref().map(|b| keys.open(field, b)).transpose()
    };
    let out = RevealedReporter {
        name: open(F_NAME, &raw.reporter_name_enc)?,
        contact: open(F_CONTACT, &raw.reporter_contact_enc)?,
    };
    audit::record(
        c,
        ctx,
        "case",
        id,
        "reveal_reporter",
        json!({"reason": reason, "confidential": raw.confidential}),
    )?;
    Ok(out)
}
