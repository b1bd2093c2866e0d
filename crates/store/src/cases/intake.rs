//! Intake (上报): checking a report, numbering it, the follow token, the first
//! stage's deadline, flagging likely duplicates (`duplicates.rs`), and
//! Idempotency-Key replays.
//!
//! Who reports, and as whom:
//!
//! | caller | core actor | reporter |
//! |---|---|---|
//! | signed-in user (any role but auditor) | that user | their account; they may also use the token |
//! | resident without an account (`role = Resident`, no such user) | case token | anonymous: name and contact given are stored encrypted |
//! | the system (no role: hotline bridge, imports) | case token | anonymous, on behalf of the caller on the line |
//!
//! Residents may only report with source `resident` or `open311`; staff report
//! only in units inside their scope.

use super::categories::{check_public, minor_and_effective};
use super::counters;
use super::deadlines::start_clock;
use super::scope::account_id;
use super::transitions::{token_hash, EventRow};
use super::view::{view, CaseView, Raw, F_CONTACT, F_NAME};
use super::{Config, Source, Stage, MAX_DESCRIPTION};
use crate::ctx::Ctx;
use crate::db::{Conn, Value};
use crate::error::{Error, Result};
use crate::{audit, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use wangge_core::auth::Role;
use wangge_core::cases::{apply, decide, Action, Actor, Case, Command};
use wangge_core::ids::parse_phone;
use wangge_core::people::check_text;
use wangge_core::Error as CoreError;

mod insert;
mod on_spot;

pub use on_spot::OnSpot;

/// A report.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    /// A minor category's code.
    pub category: String,
    /// The unit where the problem is (a building, compound, grid, …); the case
    /// lives there.
    pub unit: String,
    /// 1 to 4,000 characters after trimming.
    // The attribute takes only a literal: MAX_DESCRIPTION (the openapi_doc test checks).
    #[schema(min_length = 1, max_length = 4000)]
    pub description: String,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    /// Where exactly, in words ("3号楼东侧车棚").
    #[serde(default)]
    pub address_detail: Option<String>,
    pub source: Source,
    /// When the problem was reported, if earlier than its entry (a hotline call
    /// typed in later); never in the future. The first deadline counts from it.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub reported_at: Option<OffsetDateTime>,
    /// The extra fields the category requires, by name.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// The reporter's name and phone, stored encrypted.
    #[serde(default)]
    pub reporter_name: Option<String>,
    #[serde(default)]
    pub reporter_contact: Option<String>,
    /// The reporter asks that the handling department not see their name.
    #[serde(default)]
    pub reporter_withheld: bool,
    /// Ids of attachments already uploaded.
    #[serde(default)]
    pub attachments: Vec<i64>,
    /// A note for the first log entry.
    #[serde(default)]
    pub note: Option<String>,
    /// 自行处置: staff who dealt with the problem there and then close the case
    /// in the same write (source is usually `grid`). Only the zone's own staff
    /// in a checking role (grid workers, community cadres, street staff, zone
    /// administrators) may; the case is then closed as fixed, with the photos
    /// as its evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_spot: Option<OnSpot>,
}

/// The Idempotency-Key of a request: the same key from the same principal with
/// the same body gets the first answer; with another body it is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    pub key: String,
    /// Who sent it (an account, or a client for anonymous residents).
    pub principal: String,
    /// A hash of the request body, e.g. [`request_hash`].
    pub request_hash: String,
}

/// What intake answers.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Created {
    pub case: CaseView,
    /// The follow token: shown to the reporter once, stored only as a hash.
    pub token: String,
    /// This is the answer to an earlier request with the same Idempotency-Key.
    pub replayed: bool,
}

/// SHA-256 (hex) of a report as JSON, for [`Idempotency::request_hash`].
pub fn request_hash(new: &NewCase) -> String {
    let body = serde_json::to_string(new).unwrap_or_default();
    Sha256::digest(body.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A unit as intake needs it.
#[derive(Debug, Clone)]
pub(crate) struct UnitRef {
    pub id: i64,
    pub path: String,
    pub code: String,
    pub name: String,
}

/// The unit a report (or a filter) names, by code or former code; unknown or
/// outside the caller's scope is the same 422 on `unit`. Residents and
/// departments have the whole tree as scope.
pub(crate) fn unit_for_report(c: &mut dyn Conn, ctx: &Ctx, code: &str) -> Result<UnitRef> {
    let code = code.trim();
    let row = match c.query_opt(
        "SELECT id, path, code, name FROM units WHERE code = $1",
        params![code],
    )? {
        Some(r) => Some(r),
        None => c.query_opt(
            "SELECT u.id, u.path, u.code, u.name FROM units u
             JOIN unit_aliases a ON a.unit_id = u.id WHERE a.code = $1",
            params![code],
        )?,
    };
    let unit = match row {
        Some(r) => Some(UnitRef {
            id: r.get(0)?,
            path: r.get(1)?,
            code: r.get(2)?,
            name: r.get(3)?,
        }),
        None => None,
    };
    match unit {
        Some(u) if ctx.scope.contains(&u.path) => Ok(u),
        _ => Err(CoreError::invalid(
            "unit",
            "unknown_unit",
            format!("单元“{code}”不存在"),
            format!("no unit with code '{code}'"),
        )
        .into()),
    }
}

fn invalid(field: &str, code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Error {
    CoreError::invalid(field, code, zh, en).into()
}

/// Multi-line text: trimmed, 1..=max characters, line breaks and tabs kept,
/// other control characters refused.
fn long_text(field: &str, s: &str, max: usize) -> Result<String> {
    let t = s.trim();
    let n = t.chars().count();
    if n == 0 {
        return Err(invalid(field, "required", "不能为空", "must not be empty"));
    }
    if n > max {
        return Err(invalid(
            field,
            "too_long",
            format!("不能超过{max}个字符(现为{n}个)"),
            format!("at most {max} characters (got {n})"),
        ));
    }
    if t.chars()
        .any(|ch| ch.is_control() && !matches!(ch, '\n' | '\r' | '\t'))
    {
        return Err(invalid(
            field,
            "control_character",
            "含有不可见的控制字符",
            "contains an invisible control character",
        ));
    }
    Ok(t.to_string())
}

/// The category's extra fields: each required one present and not blank,
/// nothing the category does not ask for.
fn extra_fields(
    required: &[String],
    given: &serde_json::Map<String, serde_json::Value>,
) -> Result<serde_json::Map<String, serde_json::Value>> {
    use serde_json::Value as J;
    let mut out = serde_json::Map::new();
    for (k, v) in given {
        if !required.contains(k) {
            return Err(invalid(
                &format!("fields.{k}"),
                "unknown_field",
                format!("该类别没有字段“{k}”"),
                format!("this category has no field '{k}'"),
            ));
        }
        let v = match v {
            J::String(s) => J::String(long_text(&format!("fields.{k}"), s, 500)?),
            J::Number(_) | J::Bool(_) => v.clone(),
            J::Null => continue,
            _ => {
                return Err(invalid(
                    &format!("fields.{k}"),
                    "field_type",
                    "字段值应为文字、数字或是否",
                    "a field is text, a number or true/false",
                ))
            }
        };
        out.insert(k.clone(), v);
    }
    for f in required {
        if !out.contains_key(f) {
            return Err(invalid(
                &format!("fields.{f}"),
                "required",
                format!("该类别须填写“{f}”"),
                format!("this category requires '{f}'"),
            ));
        }
    }
    Ok(out)
}

/// Clocks of phones and browsers drift; a report time this far ahead is allowed.
const CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;

/// A stored key: the request hash and the sealed answer.
type StoredKey = (String, Option<Vec<u8>>);

/// The field name bound into sealed answers.
pub(crate) const F_ANSWER: &str = "idempotency.answer";

/// The first answer, kept sealed: it holds the follow token and may hold the
/// reporter's name, neither of which the database keeps in clear. The
/// `response` column has only the case's id and number.
#[derive(Serialize, Deserialize)]
struct Answer {
    case: CaseView,
    token: String,
}

/// How long a report's `Idempotency-Key` is honoured: a resend within this
/// window answers the first answer; after it, the stored answer is deleted
/// (`expire_keys`) and the same key makes a new case.
pub const KEY_WINDOW_MS: i64 = 24 * 3_600_000;

/// Deletes up to `batch` idempotency keys older than [`KEY_WINDOW_MS`] at
/// `now_ms`, and answers how many went; run again while it deletes a whole batch.
pub fn expire_keys(c: &mut dyn Conn, now_ms: i64, batch: i64) -> Result<u64> {
    c.execute(
        "DELETE FROM idempotency_keys WHERE (principal, key) IN (
             SELECT principal, key FROM idempotency_keys WHERE created_at < $1 LIMIT $2)",
        params![now_ms - KEY_WINDOW_MS, batch],
    )
}

fn lookup_key(c: &mut dyn Conn, k: &Idempotency) -> Result<Option<StoredKey>> {
    c.query_opt(
        "SELECT request_hash, secret_enc FROM idempotency_keys WHERE principal = $1 AND key = $2",
        params![k.principal.as_str(), k.key.as_str()],
    )?
    .map(|r| Ok((r.get(0)?, r.get(1)?)))
    .transpose()
}

fn replay(ctx: &Ctx, k: &Idempotency, (hash, sealed): StoredKey) -> Result<Created> {
    if hash != k.request_hash {
        return Err(invalid(
            "Idempotency-Key",
            "idempotency_key_reused",
            "该幂等键已用于另一份不同的请求内容,请为新的请求使用新的键",
            "this Idempotency-Key was already used with a different request body; use a new key for a new request",
        ));
    }
    let Some(sealed) = sealed else {
        // Only a request still being processed has no answer yet.
        return Err(CoreError::conflict(
            "idempotency_key_in_use",
            "使用该幂等键的请求仍在处理中,请稍后重试",
            "a request with this Idempotency-Key is still being processed; retry shortly",
        )
        .into());
    };
    let answer: Answer =
        super::from_json("idempotent answer", &ctx.keys().open(F_ANSWER, &sealed)?)?;
    Ok(Created {
        case: answer.case,
        token: answer.token,
        replayed: true,
    })
}

/// Takes a report. With an Idempotency-Key, a repeat gets the first answer and
/// creates nothing.
pub fn create(
    c: &mut dyn Conn,
    ctx: &Ctx,
    cfg: &Config,
    new: NewCase,
    idem: Option<&Idempotency>,
) -> Result<Created> {
    super::lock_audit_chain(c)?;
    let now = ctx.now_ms();
    if let Some(k) = idem {
        let n = k.key.chars().count();
        if !(1..=255).contains(&n) || k.key.chars().any(char::is_control) {
            return Err(invalid(
                "Idempotency-Key",
                "idempotency_key",
                "幂等键应为1到255个可见字符",
                "an Idempotency-Key has 1 to 255 visible characters",
            ));
        }
        if let Some(found) = lookup_key(c, k)? {
            return replay(ctx, k, found);
        }
    }

    // Who reports: refused roles are told before anything about the content.
    let account = account_id(c, ctx)?;
    let actor = match (ctx.role, account) {
        (Some(role), Some(user_id)) => Actor::User {
            user_id,
            role,
            org_id: ctx.org_id,
        },
        (None, _) | (Some(Role::Resident), None) => Actor::CaseToken,
        // Staff without an account (tools, tests): the role is checked, and user
        // id 0, which no acting caller ever has, means only the token acts as
        // this reporter.
        (Some(role), None) => Actor::User {
            user_id: 0,
            role,
            org_id: ctx.org_id,
        },
    };
    let mut cmd = Command::new(Action::Report);
    cmd.note = new.note.clone();
    let event = decide(&Case::default(), &cmd, &actor, ctx.now, &cfg.policy)?;
    if ctx.role == Some(Role::Resident) && !matches!(new.source, Source::Resident | Source::Open311)
    {
        return Err(invalid(
            "source",
            "source_not_allowed",
            "群众反映的来源只能是 resident 或 open311",
            "a resident's report has source resident or open311",
        ));
    }

    let (cat, eff) = minor_and_effective(c, &new.category)?;
    if ctx.role == Some(Role::Resident) {
        check_public(&cat, &eff)?;
    }
    let unit = unit_for_report(c, ctx, &new.unit)?;
    let description = long_text("description", &new.description, MAX_DESCRIPTION)?;
    let coords = wangge_core::geo::coordinates(new.lat, new.lon)?;
    if let Some(at) = coords {
        crate::units::check_in_zone(c, at)?;
    }
    let address = match new.address_detail.as_deref().map(str::trim) {
        Some(a) if !a.is_empty() => Some(check_text("address_detail", a, 200)?),
        _ => None,
    };
    let reported_at = match new.reported_at {
        Some(t) => {
            let t = (t.unix_timestamp_nanos() / 1_000_000) as i64;
            if t > now + CLOCK_SKEW_MS {
                return Err(invalid(
                    "reported_at",
                    "in_future",
                    "反映时间不能晚于现在",
                    "the report time cannot be in the future",
                ));
            }
            t
        }
        None => now,
    };
    let fields = extra_fields(&eff.required_fields, &new.fields)?;
    let name = match new.reporter_name.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => Some(check_text("reporter_name", n, 50)?),
        _ => None,
    };
    let contact = match new.reporter_contact.as_deref().map(str::trim) {
        Some(p) if !p.is_empty() => Some(
            parse_phone(p)
                .map_err(|e| e.in_field("reporter_contact"))?
                .as_str()
                .to_string(),
        ),
        _ => None,
    };
    let mut attachments: Vec<i64> = Vec::new();
    for &a in &new.attachments {
        if a <= 0 {
            return Err(invalid(
                "attachments",
                "invalid_id",
                format!("无效的附件编号{a}"),
                format!("invalid attachment id {a}"),
            ));
        }
        if !attachments.contains(&a) {
            attachments.push(a);
        }
    }
    if attachments.len() > 20 {
        return Err(invalid(
            "attachments",
            "too_many",
            "最多20个附件",
            "at most 20 attachments",
        ));
    }

    let mut snapshot = Case::default();
    apply(&mut snapshot, &event);
    let on_spot_close = new
        .on_spot
        .as_ref()
        .map(|o| on_spot::decide_close(&snapshot, o, &actor, ctx.now, cfg))
        .transpose()?;
    let token = crate::accounts::new_token("wgc_")?;
    let keys = ctx.keys();
    let name_enc = name.as_ref().map(|v| keys.seal(F_NAME, v)).transpose()?;
    let contact_enc = contact
        .as_ref()
        .map(|v| keys.seal(F_CONTACT, v))
        .transpose()?;

    // Everything above only reads, and every error of the report is found
    // there: the server takes intake through `Db::write_validated`.
    if let Some(k) = idem {
        let inserted = c.execute(
            "INSERT INTO idempotency_keys (principal, key, request_hash, response, created_at)
             VALUES ($1, $2, $3, '', $4) ON CONFLICT (principal, key) DO NOTHING",
            params![
                k.principal.as_str(),
                k.key.as_str(),
                k.request_hash.as_str(),
                now
            ],
        )?;
        // Only another writer (PostgreSQL can have several) can have taken the
        // key since it was looked up.
        if inserted == 0 {
            if let Some(found) = lookup_key(c, k)? {
                return replay(ctx, k, found);
            }
        }
    }
    let clock = start_clock(cfg, eff.deadlines.accept, reported_at);
    let contact_hash = contact.as_ref().map(|v| keys.lookup_hash(F_CONTACT, v));
    let reporter_user = match actor {
        Actor::User { .. } => account,
        Actor::CaseToken => None,
    };
    let values: Vec<Value> = vec![
        cat.id.into(),
        unit.id.into(),
        description.as_str().into(),
        coords.map(|c| c.0).into(),
        coords.map(|c| c.1).into(),
        address.as_deref().into(),
        super::to_json(&fields)?.into(),
        new.source.as_str().into(),
        snapshot.state.as_str().into(),
        (snapshot.version as i64).into(),
        eff.confidential.into(),
        reporter_user.into(),
        name_enc.clone().into(),
        contact_enc.clone().into(),
        contact_hash.into(),
        new.reporter_withheld.into(),
        token_hash(&token).into(),
        reported_at.into(),
        clock.map(|_| Stage::Accept.as_str()).into(),
        clock.map(|_| reported_at).into(),
        clock.map(|k| k.due).into(),
        clock.map(|k| k.warn).into(),
        clock.map(|k| k.escalate).into(),
        super::to_json(&attachments)?.into(),
        super::to_json(&snapshot)?.into(),
        now.into(),
    ];
    debug_assert_eq!(values.len(), insert::CASE_VALUES);
    let insert::Inserted { id, tracking_no } = insert::insert_report(
        c,
        ctx,
        counters::day_of(now),
        values,
        EventRow {
            case_id: 0,
            first: true,
            version: snapshot.version as i64,
            at: now,
            actor_role: super::scope::actor_role(ctx, &actor),
            from_state: None,
            to_state: snapshot.state.as_str(),
            action: Action::Report.as_str(),
            org_id: ctx.org_id,
            note: event.command.note.clone(),
            event: Some(super::to_json(&event)?),
            attachments: &attachments,
            handling_minutes: None,
        },
    )?;
    let delta = counters::for_event("report", None, false, None, None);
    counters::bump(c, &unit.path, cat.id, now, &delta)?;
    let flagged = super::duplicates::flag_duplicates(c, cfg, id, cat.id, &unit.path, coords, now)?;
    audit::record(
        c,
        ctx,
        "case",
        id,
        "report",
        json!({
            "tracking_no": tracking_no,
            "category": cat.code,
            "source": new.source,
            "confidential": eff.confidential,
            "possible_duplicates": flagged,
        }),
    )?;
    let mut uploads = attachments.clone();
    // The answer is built from what was written, as a read-back would give it
    // (test `cases::a_report_answers_what_reading_it_back_shows`).
    let case = view(
        c,
        ctx,
        &Raw {
            id,
            tracking_no: tracking_no.clone(),
            category_id: cat.id,
            category_code: cat.code,
            category_name_zh: cat.name_zh,
            category_name_en: cat.name_en,
            category_public: cat.public_name,
            unit_code: unit.code,
            unit_name: unit.name,
            unit_path: unit.path,
            description,
            lat: coords.map(|c| c.0),
            lon: coords.map(|c| c.1),
            address_detail: address,
            fields,
            source: new.source,
            state: snapshot.state,
            version: snapshot.version as i64,
            lead_org_id: None,
            lead_org_name: None,
            co_handlers: Vec::new(),
            confidential: eff.confidential,
            reporter_user_id: reporter_user,
            reporter_name_enc: name_enc,
            reporter_contact_enc: contact_enc,
            reporter_withheld: new.reporter_withheld,
            reported_at,
            stage: clock.map(|_| Stage::Accept),
            stage_started_at: clock.map(|_| reported_at),
            due_at: clock.map(|k| k.due),
            warn_at: clock.map(|k| k.warn),
            escalate_at: clock.map(|k| k.escalate),
            warned: false,
            overdue: false,
            escalated: false,
            ever_overdue: false,
            suspended: false,
            suspension_requested: false,
            supervised: false,
            at_joint_meeting: false,
            rework_count: 0,
            closed_at: None,
            close_kind: None,
            rating: None,
            merged_into: None,
            merged_into_no: None,
            attachment_ids: attachments,
            snapshot,
            created_at: now,
            updated_at: now,
            supervising_org_id: None,
            supervising_org_name: None,
        },
    )?;
    // The report's uploads, an on-spot close's photos among them, are the
    // case's from this transaction on.
    uploads.extend(new.on_spot.iter().flat_map(|o| o.evidence.iter().copied()));
    if !uploads.is_empty() {
        crate::attachments::link(c, ctx, &uploads, &crate::attachments::Owner::case(id))?;
    }
    let case = match on_spot_close {
        Some(close) => on_spot::close(c, ctx, cfg, id, close)?,
        None => case,
    };
    if let Some(k) = idem {
        c.execute(
            "UPDATE idempotency_keys SET response = $1, secret_enc = $2 WHERE principal = $3 AND key = $4",
            params![
                json!({"case_id": id, "tracking_no": case.tracking_no}).to_string(),
                keys.seal(
                    F_ANSWER,
                    &super::to_json(&Answer {
                        case: case.clone(),
                        token: token.clone(),
                    })?
                )?,
                k.principal.as_str(),
                k.key.as_str()
            ],
        )?;
    }
    Ok(Created {
        case,
        token,
        replayed: false,
    })
}
