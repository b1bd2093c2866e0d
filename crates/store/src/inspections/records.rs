//! Records: one visit to one target, sent by the inspector's phone when it
//! has a connection. The phone makes the record's key and keeps its own time
//! of the visit, so a record saved offline and sent twice is stored once, and
//! a record filled in on an older template version stays on that version.

use super::findings::{self, FindingView, Outcome, TargetRef};
use super::plans::{self, PlanRow, Target};
use super::targets::{target_row, TARGET_SELECT};
use super::{from_json, invalid, ms_to_rfc3339, templates, to_json};
use crate::attachments::{self, Owner};
use crate::cases::Config;
use crate::ctx::Ctx;
use crate::db::{Conn, Row};
use crate::error::{Error, Result};
use crate::{audit, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use wangge_core::auth::{Permission, Role};
use wangge_core::inspections::{check_answers, check_scores, Answer, AnswerValue};
use wangge_core::people::check_text;
use wangge_core::Error as CoreError;

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRecord {
    pub plan_id: i64,
    pub target_id: i64,
    /// Made by the client (a UUID, say) when the record is first saved;
    /// sending the same record again with it stores nothing new.
    pub record_key: String,
    /// The template version the form was built from.
    pub template_version: i64,
    /// When the inspection took place, by the client's clock.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: OffsetDateTime,
    /// Answers by item code.
    pub answers: BTreeMap<String, Answer>,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    #[serde(default)]
    pub note: Option<String>,
    /// Scores by item code, one for each answered item that has `points`
    /// (0 to its points). Skipped when empty so a record sent before scores
    /// existed hashes as it did.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub scores: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Record {
    pub id: i64,
    pub plan_id: i64,
    pub plan_name: String,
    pub target: Target,
    pub template_code: String,
    pub template_version: i64,
    pub record_key: String,
    pub inspector: String,
    /// RFC 3339, the client's time of the visit.
    pub recorded_at: String,
    /// RFC 3339, when the server stored it.
    pub received_at: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub answers: BTreeMap<String, Answer>,
    pub note: Option<String>,
    /// Photos of the record (from its photo items).
    pub attachments: Vec<i64>,
    pub findings: Vec<FindingView>,
    /// Scored templates: the scores by item, their total and, with a pass
    /// mark, whether the record passed.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub scores: BTreeMap<String, i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passed: Option<bool>,
}

/// What submitting answers.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = RecordSubmitted)]
pub struct Submitted {
    pub record: Record,
    /// This is the record stored by an earlier submission with the same key.
    pub replayed: bool,
    /// What became of each failing item and of the target's earlier findings.
    pub outcomes: Vec<Outcome>,
}

/// Phones' clocks drift; a visit this far in the future is still accepted.
const CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;

const SELECT: &str = "SELECT r.id, r.plan_id, r.target_id, t.code, t.version, r.record_key,
    r.inspector, r.recorded_at, r.received_at, r.lat, r.lon, r.answers, r.note, r.attachment_ids,
    r.request_hash, r.scores, r.score, r.passed
    FROM inspection_records r JOIN inspection_templates t ON t.id = r.template_id";

fn request_hash(new: &NewRecord) -> Result<String> {
    Ok(Sha256::digest(to_json(new)?.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

fn target(c: &mut dyn Conn, ctx: &Ctx, id: i64) -> Result<Option<(Target, String)>> {
    c.query_opt(&format!("{TARGET_SELECT} WHERE g.id = $1"), params![id])?
        .map(|r| Ok((target_row(&r, ctx.today())?, r.get(12)?)))
        .transpose()
}

/// Whether the caller records for this plan: a named inspector, a handler
/// of the engaged expert organisation, or staff who run plans.
fn is_inspector(ctx: &Ctx, plan: &PlanRow) -> bool {
    match ctx.role {
        None => true,
        Some(Role::DeptHandler) => ctx.org_id.is_some() && ctx.org_id == plan.plan.inspector_org_id,
        Some(_) => {
            plan.plan.inspectors.contains(&ctx.actor) || ctx.can(Permission::InspectionsManage)
        }
    }
}

/// Stores a record, raises its findings as cases and settles the target's
/// earlier findings, all in the caller's transaction.
pub fn submit_record(
    c: &mut dyn Conn,
    ctx: &Ctx,
    cfg: &Config,
    new: NewRecord,
) -> Result<Submitted> {
    ctx.require(Permission::InspectionsRecord)?;
    // The audit chain first, as every case write takes it: findings write
    // cases, and with several PostgreSQL writers a different order could deadlock.
    crate::audit::lock_chain(c)?;
    let key = new.record_key.trim().to_string();
    if !(1..=100).contains(&key.chars().count()) || key.chars().any(char::is_control) {
        return Err(invalid(
            "record_key",
            "record_key",
            "记录键应为1到100个可见字符",
            "a record key has 1 to 100 visible characters",
        ));
    }
    let hash = request_hash(&new)?;
    if let Some(r) = c.query_opt(
        &format!("{SELECT} WHERE r.inspector = $1 AND r.record_key = $2"),
        params![ctx.actor.as_str(), key.as_str()],
    )? {
        if r.get::<String>(14)? != hash {
            return Err(CoreError::conflict(
                "record_key_reused",
                "该记录键已用于另一条内容不同的检查记录,请为新记录使用新的键",
                "this record key was already used for a different record; use a new key for a new record",
            )
            .into());
        }
        return Ok(Submitted {
            record: get_record(c, ctx, r.get(0)?)?,
            replayed: true,
            outcomes: Vec::new(),
        });
    }

    let plan = plans::load(c, ctx, new.plan_id).map_err(|e| match e {
        Error::NotFound { .. } => invalid(
            "plan_id",
            "unknown_plan",
            format!("检查计划{}不存在", new.plan_id),
            format!("no inspection plan {}", new.plan_id),
        ),
        other => other,
    })?;
    if !is_inspector(ctx, &plan) {
        return Err(invalid(
            "plan_id",
            "not_an_inspector",
            "您不是该检查计划的检查人员",
            "you are not an inspector of this plan",
        ));
    }
    let not_in_plan = || {
        invalid(
            "target_id",
            "target_not_in_plan",
            format!("检查对象{}不在该计划中", new.target_id),
            format!("target {} is not in this plan", new.target_id),
        )
    };
    let (tgt, tgt_path) = target(c, ctx, new.target_id)?.ok_or_else(not_in_plan)?;
    if tgt.plan_id != plan.plan.id {
        return Err(not_in_plan());
    }
    if ctx.role.is_some_and(|r| r.needs_unit_scope()) && !ctx.scope.contains(&tgt_path) {
        return Err(invalid(
            "target_id",
            "target_out_of_scope",
            format!("检查对象“{}”不在您的管辖范围内", tgt.label),
            format!("target '{}' is outside your part of the tree", tgt.label),
        ));
    }
    let tpl =
        match templates::get_template(c, ctx, &plan.plan.template_code, Some(new.template_version))
        {
            Ok(t) => t,
            Err(Error::NotFound { .. }) => {
                return Err(invalid(
                    "template_version",
                    "unknown_template_version",
                    format!(
                        "检查表“{}”没有第{}版",
                        plan.plan.template_name, new.template_version
                    ),
                    format!(
                        "checklist '{}' has no version {}",
                        plan.plan.template_code, new.template_version
                    ),
                ))
            }
            Err(e) => return Err(e),
        };
    let answers = check_answers(&tpl.body, &new.answers)?;
    let scored = check_scores(&tpl.body, &answers, &new.scores)?;
    let recorded = (new.recorded_at.unix_timestamp_nanos() / 1_000_000) as i64;
    if recorded > ctx.now_ms() + CLOCK_SKEW_MS {
        return Err(invalid(
            "recorded_at",
            "in_future",
            "检查时间不能晚于现在",
            "the inspection time cannot be in the future",
        ));
    }
    let coords = wangge_core::geo::coordinates(new.lat, new.lon)?;
    let note = match new.note.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => Some(check_text("note", n, 500)?),
        _ => None,
    };
    let mut photos: Vec<i64> = Vec::new();
    for a in answers.values() {
        if let AnswerValue::Photos(ids) = &a.value {
            photos.extend(
                ids.iter()
                    .filter(|i| !photos.contains(i))
                    .collect::<Vec<_>>(),
            );
        }
    }
    let id: i64 = c
        .query_one(
            "INSERT INTO inspection_records (plan_id, target_id, template_id, record_key, request_hash,
                inspector, recorded_at, received_at, lat, lon, answers, note, attachment_ids, findings,
                scores, score, passed)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0, $14, $15, $16)
             RETURNING id",
            params![
                plan.plan.id,
                tgt.id,
                tpl.id,
                key.as_str(),
                hash.as_str(),
                ctx.actor.as_str(),
                recorded,
                ctx.now_ms(),
                coords.map(|c| c.0),
                coords.map(|c| c.1),
                to_json(&answers)?,
                note,
                to_json(&photos)?,
                scored.as_ref().map(|s| to_json(&s.scores)).transpose()?,
                scored.as_ref().map(|s| s.total),
                scored.as_ref().and_then(|s| s.passed).map(i64::from)
            ],
        )
        .map_err(|e| match e {
            // The same record sent twice at once: the other copy is being stored.
            Error::Unique(_) => CoreError::conflict(
                "record_key_in_use",
                "同一条检查记录正在保存中,请稍后重试",
                "the same record is being stored just now; retry shortly",
            )
            .into(),
            other => other,
        })?
        .get(0)?;
    attachments::link(c, ctx, &photos, &Owner::new("inspection_record", id))?;
    let outcomes = findings::settle(
        c,
        ctx,
        cfg,
        &plan,
        &TargetRef::from(&tgt),
        &tpl,
        id,
        new.recorded_at,
        &answers,
    )?;
    c.execute(
        "UPDATE inspection_records SET findings = (SELECT COUNT(*) FROM inspection_findings f WHERE f.record_id = $1) WHERE id = $1",
        params![id],
    )?;
    audit::record(
        c,
        ctx,
        "inspection_record",
        id,
        "create",
        json!({"plan_id": plan.plan.id, "target_id": tgt.id, "template": tpl.code,
               "version": tpl.version, "findings": outcomes.iter().filter(|o| o.outcome != "verified" && o.outcome != "awaiting_handling").count()}),
    )?;
    Ok(Submitted {
        record: get_record(c, ctx, id)?,
        replayed: false,
        outcomes,
    })
}

fn from_row(c: &mut dyn Conn, ctx: &Ctx, r: &Row) -> Result<Record> {
    let id: i64 = r.get(0)?;
    let plan = plans::load(c, ctx, r.get(1)?)?;
    let (tgt, path) =
        target(c, ctx, r.get(2)?)?.ok_or_else(|| Error::not_found("inspection record"))?;
    if ctx
        .role
        .is_some_and(|r| r.needs_unit_scope() || r == Role::Auditor)
        && !ctx.scope.contains(&path)
        && !plan.plan.inspectors.contains(&ctx.actor)
    {
        return Err(Error::not_found("inspection record"));
    }
    Ok(Record {
        id,
        plan_id: plan.plan.id,
        plan_name: plan.plan.name.clone(),
        target: tgt,
        template_code: r.get(3)?,
        template_version: r.get(4)?,
        record_key: r.get(5)?,
        inspector: r.get(6)?,
        recorded_at: ms_to_rfc3339(r.get(7)?),
        received_at: ms_to_rfc3339(r.get(8)?),
        lat: r.get(9)?,
        lon: r.get(10)?,
        answers: from_json("answers", &r.get::<String>(11)?)?,
        note: r.get(12)?,
        attachments: from_json("attachment ids", &r.get::<String>(13)?)?,
        findings: findings::of_record(c, id)?,
        scores: match r.get::<Option<String>>(15)? {
            Some(s) => from_json("scores", &s)?,
            None => BTreeMap::new(),
        },
        score: r.get(16)?,
        passed: r.get::<Option<i64>>(17)?.map(|p| p != 0),
    })
}

/// A record the caller may see: its plan is visible to them and, for staff
/// with a subtree, its target lies inside it.
pub fn get_record(c: &mut dyn Conn, ctx: &Ctx, id: i64) -> Result<Record> {
    ctx.require(Permission::InspectionsRead)?;
    let r = c
        .query_opt(&format!("{SELECT} WHERE r.id = $1"), params![id])?
        .ok_or_else(|| Error::not_found("inspection record"))?;
    from_row(c, ctx, &r).map_err(|e| match e {
        Error::NotFound { .. } => Error::not_found("inspection record"),
        other => other,
    })
}

/// The records of one target, newest first.
pub fn list_records(c: &mut dyn Conn, ctx: &Ctx, target_id: i64) -> Result<Vec<Record>> {
    ctx.require(Permission::InspectionsRead)?;
    let rows = c.query(
        &format!("{SELECT} WHERE r.target_id = $1 ORDER BY r.id DESC LIMIT 100"),
        params![target_id],
    )?;
    let mut out = Vec::new();
    for r in &rows {
        match from_row(c, ctx, r) {
            Ok(rec) => out.push(rec),
            Err(Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}
