//! A case as the store keeps it (`Raw`: the row, its category and unit
//! joined, the core snapshot) and as each caller may see it (`CaseView`, the
//! reporter masked as the rules say).

use super::scope::{self, restrict, Viewer, Q};
use super::{from_json, Source, Stage};
use crate::ctx::{ms_to_time, Ctx};
use crate::db::{Conn, Row};
use crate::error::{Error, Result};
use crate::params;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use wangge_core::auth::Role;
use wangge_core::cases::{Case, CaseState, CloseKind};
use wangge_core::mask;

pub(crate) const F_NAME: &str = "cases.reporter_name";
pub(crate) const F_CONTACT: &str = "cases.reporter_contact";

pub(crate) fn parse_state(s: &str) -> Result<CaseState> {
    CaseState::ALL
        .into_iter()
        .find(|x| x.as_str() == s)
        .ok_or_else(|| Error::Db(format!("unknown case state '{s}'")))
}

/// A case row with everything the store needs to act on it.
#[derive(Debug, Clone)]
pub(crate) struct Raw {
    pub id: i64,
    pub tracking_no: String,
    pub category_id: i64,
    pub category_code: String,
    pub category_name_zh: String,
    pub category_name_en: String,
    pub category_public: String,
    pub unit_code: String,
    pub unit_name: String,
    /// The unit's current path: where the case is in the tree.
    pub unit_path: String,
    pub description: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address_detail: Option<String>,
    pub fields: serde_json::Map<String, serde_json::Value>,
    pub source: Source,
    pub state: CaseState,
    pub version: i64,
    pub lead_org_id: Option<i64>,
    pub lead_org_name: Option<String>,
    pub co_handlers: Vec<i64>,
    pub confidential: bool,
    pub reporter_user_id: Option<i64>,
    pub reporter_name_enc: Option<Vec<u8>>,
    pub reporter_contact_enc: Option<Vec<u8>>,
    pub reporter_withheld: bool,
    pub reported_at: i64,
    pub stage: Option<Stage>,
    pub stage_started_at: Option<i64>,
    pub due_at: Option<i64>,
    pub warn_at: Option<i64>,
    pub escalate_at: Option<i64>,
    pub warned: bool,
    pub overdue: bool,
    pub escalated: bool,
    pub ever_overdue: bool,
    pub suspended: bool,
    pub suspension_requested: bool,
    pub supervised: bool,
    pub at_joint_meeting: bool,
    pub rework_count: i64,
    pub closed_at: Option<i64>,
    pub close_kind: Option<String>,
    pub rating: Option<i64>,
    pub merged_into: Option<i64>,
    pub merged_into_no: Option<String>,
    pub attachment_ids: Vec<i64>,
    pub snapshot: Case,
    pub created_at: i64,
    pub updated_at: i64,
    pub supervising_org_id: Option<i64>,
    pub supervising_org_name: Option<String>,
}

pub(crate) const RAW_SELECT: &str = "SELECT c.id, c.tracking_no, c.category_id, k.code, k.name_zh, k.name_en,
    k.public_name, u.code, u.name, u.path, c.description, c.lat, c.lon, c.address_detail, c.fields,
    c.source, c.state, c.version, c.lead_org_id, o.name, c.co_handlers, c.confidential, c.reporter_user_id,
    c.reporter_name_enc, c.reporter_contact_enc, c.reporter_withheld, c.reported_at, c.stage,
    c.stage_started_at, c.due_at, c.warn_at, c.escalate_at, c.warned, c.overdue, c.escalated,
    c.ever_overdue, c.suspended, c.suspension_requested, c.supervised, c.at_joint_meeting, c.rework_count,
    c.closed_at, c.close_kind, c.rating, c.merged_into, m.tracking_no, c.attachment_ids, c.snapshot,
    c.created_at, c.updated_at, c.supervising_org_id, so.name
    FROM cases c JOIN case_categories k ON k.id = c.category_id JOIN units u ON u.id = c.unit_id
    LEFT JOIN organisations o ON o.id = c.lead_org_id LEFT JOIN cases m ON m.id = c.merged_into
    LEFT JOIN organisations so ON so.id = c.supervising_org_id";

pub(crate) fn raw_row(r: &Row) -> Result<Raw> {
    let supervising_org_id: Option<i64> = r.get(50)?;
    let mut snapshot: Case = from_json("snapshot", &r.get::<String>(47)?)?;
    // The column is the record of it; the core reads it from the snapshot.
    snapshot.supervising_org = supervising_org_id;
    Ok(Raw {
        id: r.get(0)?,
        tracking_no: r.get(1)?,
        category_id: r.get(2)?,
        category_code: r.get(3)?,
        category_name_zh: r.get(4)?,
        category_name_en: r.get(5)?,
        category_public: r.get(6)?,
        unit_code: r.get(7)?,
        unit_name: r.get(8)?,
        unit_path: r.get(9)?,
        description: r.get(10)?,
        lat: r.get(11)?,
        lon: r.get(12)?,
        address_detail: r.get(13)?,
        fields: from_json("fields", &r.get::<String>(14)?)?,
        source: Source::parse(&r.get::<String>(15)?)?,
        state: parse_state(&r.get::<String>(16)?)?,
        version: r.get(17)?,
        lead_org_id: r.get(18)?,
        lead_org_name: r.get(19)?,
        co_handlers: from_json("co_handlers", &r.get::<String>(20)?)?,
        confidential: r.get(21)?,
        reporter_user_id: r.get(22)?,
        reporter_name_enc: r.get(23)?,
        reporter_contact_enc: r.get(24)?,
        reporter_withheld: r.get(25)?,
        reported_at: r.get(26)?,
        stage: r.get::<Option<String>>(27)?.and_then(|s| Stage::parse(&s)),
        stage_started_at: r.get(28)?,
        due_at: r.get(29)?,
        warn_at: r.get(30)?,
        escalate_at: r.get(31)?,
        warned: r.get(32)?,
        overdue: r.get(33)?,
        escalated: r.get(34)?,
        ever_overdue: r.get(35)?,
        suspended: r.get(36)?,
        suspension_requested: r.get(37)?,
        supervised: r.get(38)?,
        at_joint_meeting: r.get(39)?,
        rework_count: r.get(40)?,
        closed_at: r.get(41)?,
        close_kind: r.get(42)?,
        rating: r.get(43)?,
        merged_into: r.get(44)?,
        merged_into_no: r.get(45)?,
        attachment_ids: from_json("attachment_ids", &r.get::<String>(46)?)?,
        snapshot,
        created_at: r.get(48)?,
        updated_at: r.get(49)?,
        supervising_org_id,
        supervising_org_name: r.get(51)?,
    })
}

/// A case the caller may see, or not found.
pub(crate) fn load(c: &mut dyn Conn, ctx: &Ctx, id: i64) -> Result<Raw> {
    let v = scope::viewer(c, ctx)?;
    load_as(c, &v, id)
}

pub(crate) fn load_as(c: &mut dyn Conn, v: &Viewer, id: i64) -> Result<Raw> {
    let mut q = Q::new(format!("{RAW_SELECT} WHERE c.id = "));
    let p = q.arg(id);
    q.push(&p);
    restrict(&mut q, v);
    let r = c
        .query_opt(&q.sql, &q.args)?
        .ok_or_else(|| Error::not_found("case"))?;
    raw_row(&r)
}

/// A case whatever the caller's scope: for the store's own follow-up work
/// (after a step the caller may no longer see the case; the sweep).
pub(crate) fn load_any(c: &mut dyn Conn, id: i64) -> Result<Raw> {
    load_as(c, &Viewer::ALL, id)
}

/// Who reported a case, as this caller may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReporterView {
    /// The reporter is hidden from this caller: a confidential tip (the caller
    /// is not among its category's tip readers), or a reporter who asked that the handling department not
    /// see their name. Nothing else below is given then.
    pub hidden: bool,
    /// No account: the reporter follows the case with its token.
    pub anonymous: bool,
    pub user_id: Option<i64>,
    /// In full for staff, masked for auditors.
    pub name: Option<String>,
    /// Always masked here; `reveal_reporter` shows it in full (audited).
    pub contact: Option<String>,
    /// The reporter asked that the handling department not see their name.
    pub withheld: bool,
    /// The staff account that reported the case (a grid worker on patrol, a
    /// cadre), by its display name: staff report as themselves, not as an
    /// unnamed member of the public. `None` for residents' reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff: Option<String>,
}

/// A case as an API caller sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CaseView {
    pub id: i64,
    /// WG-YYYYMMDD-NNNNN, the number people quote.
    pub tracking_no: String,
    /// The minor category's code.
    pub category: String,
    pub category_name: String,
    pub category_name_en: String,
    pub unit: String,
    pub unit_name: String,
    pub description: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address_detail: Option<String>,
    /// The category's extra fields.
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, serde_json::Value>,
    pub source: Source,
    pub state: CaseState,
    /// Send it back as `version` with the next step
    /// (`POST /api/v1/cases/{id}/transitions`); a stale one is refused with 409.
    pub version: i64,
    pub lead_org: Option<i64>,
    pub lead_org_name: Option<String>,
    pub co_handlers: Vec<i64>,
    /// The office that supervises the work (监管/督办单位): its handlers read
    /// the case and may supervise it.
    #[serde(default)]
    pub supervising_org: Option<i64>,
    #[serde(default)]
    pub supervising_org_name: Option<String>,
    pub confidential: bool,
    pub reporter: ReporterView,
    /// When the problem was reported (the clock of the first stage starts here).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub reported_at: OffsetDateTime,
    /// The stage whose deadline runs now.
    pub stage: Option<Stage>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub warn_at: Option<OffsetDateTime>,
    pub warned: bool,
    pub overdue: bool,
    pub escalated: bool,
    /// Some stage of this case went past its deadline.
    pub ever_overdue: bool,
    pub suspended: bool,
    pub suspension_requested: bool,
    pub supervised: bool,
    pub at_joint_meeting: bool,
    pub rework_count: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<OffsetDateTime>,
    pub close_kind: Option<CloseKind>,
    /// How it closed, in words for the reporter.
    pub close_wording: Option<super::Wording>,
    pub rating: Option<i64>,
    /// The case this one was merged into (as a duplicate).
    pub merged_into: Option<i64>,
    pub merged_into_tracking_no: Option<String>,
    /// Every attachment of the case: the report's, the evidence, and those of
    /// cases merged into it.
    pub attachments: Vec<i64>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

/// Whether the reporter of `raw` is hidden from this caller: a tip from
/// everyone outside its category's readers (the department working it, its
/// own reporter), or a name withheld from the department.
pub(crate) fn reporter_hidden(c: &mut dyn Conn, ctx: &Ctx, raw: &Raw) -> Result<bool> {
    if raw.reporter_withheld && ctx.role == Some(Role::DeptHandler) {
        return Ok(true);
    }
    Ok(raw.confidential && !super::tip_readers::reads(c, ctx, raw.category_id)?)
}

/// "张*" / "欧阳**": the family name (one character) and the rest masked.
fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => format!("{first}{}", "*".repeat(chars.count().max(1))),
        None => String::new(),
    }
}

fn reporter_view(c: &mut dyn Conn, ctx: &Ctx, raw: &Raw) -> Result<ReporterView> {
    let anonymous = raw.reporter_user_id.is_none();
    if reporter_hidden(c, ctx, raw)? {
        return Ok(ReporterView {
            hidden: true,
            anonymous,
            user_id: None,
            name: None,
            contact: None,
            withheld: raw.reporter_withheld,
            staff: None,
        });
    }
    let keys = ctx.keys();
    let name = raw
        .reporter_name_enc
        .as_ref()
        .map(|b| keys.open(F_NAME, b))
        .transpose()?;
    let contact = raw
        .reporter_contact_enc
        .as_ref()
        .map(|b| keys.open(F_CONTACT, b))
        .transpose()?;
    let auditor = ctx.role == Some(Role::Auditor);
    let staff = match raw.reporter_user_id {
        Some(id) => c
            .query_opt(
                "SELECT display_name FROM users WHERE id = $1 AND role <> 'resident'",
                params![id],
            )?
            .map(|r| r.get::<String>(0))
            .transpose()?,
        None => None,
    };
    Ok(ReporterView {
        hidden: false,
        anonymous,
        user_id: raw.reporter_user_id,
        name: name.map(|n| if auditor { mask_name(&n) } else { n }),
        contact: contact.map(|p| mask::phone(&p)),
        withheld: raw.reporter_withheld,
        staff,
    })
}

pub(crate) fn view(c: &mut dyn Conn, ctx: &Ctx, raw: &Raw) -> Result<CaseView> {
    let close_kind = raw.snapshot.close_kind.clone();
    let close_wording = close_kind
        .as_ref()
        .map(|k| super::close_wording(k, raw.merged_into_no.as_deref()));
    Ok(CaseView {
        id: raw.id,
        tracking_no: raw.tracking_no.clone(),
        category: raw.category_code.clone(),
        category_name: raw.category_name_zh.clone(),
        category_name_en: raw.category_name_en.clone(),
        unit: raw.unit_code.clone(),
        unit_name: raw.unit_name.clone(),
        description: raw.description.clone(),
        lat: raw.lat,
        lon: raw.lon,
        address_detail: raw.address_detail.clone(),
        fields: raw.fields.clone(),
        source: raw.source,
        state: raw.state,
        version: raw.version,
        lead_org: raw.lead_org_id,
        lead_org_name: raw.lead_org_name.clone(),
        co_handlers: raw.co_handlers.clone(),
        supervising_org: raw.supervising_org_id,
        supervising_org_name: raw.supervising_org_name.clone(),
        confidential: raw.confidential,
        reporter: reporter_view(c, ctx, raw)?,
        reported_at: ms_to_time(raw.reported_at),
        stage: raw.stage,
        due_at: raw.due_at.map(ms_to_time),
        warn_at: raw.warn_at.map(ms_to_time),
        warned: raw.warned,
        overdue: raw.overdue,
        escalated: raw.escalated,
        ever_overdue: raw.ever_overdue,
        suspended: raw.suspended,
        suspension_requested: raw.suspension_requested,
        supervised: raw.supervised,
        at_joint_meeting: raw.at_joint_meeting,
        rework_count: raw.rework_count,
        closed_at: raw.closed_at.map(ms_to_time),
        close_kind,
        close_wording,
        rating: raw.rating,
        merged_into: raw.merged_into,
        merged_into_tracking_no: raw.merged_into_no.clone(),
        attachments: raw.attachment_ids.clone(),
        created_at: ms_to_time(raw.created_at),
        updated_at: ms_to_time(raw.updated_at),
    })
}
