//! Findings: each failed item of a record becomes a rectification case
//! through the case engine (reported, accepted and dispatched to the
//! target's responsible organisation, whose handling deadline is the
//! rectification deadline). A later record on the same target with the same
//! checklist settles the earlier findings, again only through the engine's
//! own steps:
//!
//! | earlier case | item now | step | outcome |
//! |---|---|---|---|
//! | handled (处置反馈 given) | in order | verify, close as fixed | `verified` |
//! | handled | failing | return for rework | `returned` |
//! | dispatched, in progress | failing | none; the new finding joins the case | `still_open` |
//! | dispatched, in progress | in order | none: the department has not reported back | `awaiting_handling` |
//! | closed, rated | failing | reopen (within the engine's window) | `reopened` |
//! | closed past the window, or none | failing | a new case | `new` |

use super::plans::{PlanRow, Target};
use super::templates::Template;
use super::{invalid, ms_to_rfc3339};
use crate::cases::{self, Config, NewCase, Source};
use crate::ctx::{Ctx, Scope};
use crate::db::{Conn, Row};
use crate::error::{Error, Result};
use crate::params;
use serde::Serialize;
use std::collections::BTreeMap;
use wangge_core::cases::{Action, CaseState, CloseKind, Command};
use wangge_core::inspections::{failures, is_failure, Answer, Failure, Severity};

/// The field name bound into sealed case tokens.
pub(super) const F_TOKEN: &str = "inspection_findings.case_token";

/// A finding as readers see it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FindingView {
    pub id: i64,
    pub item_code: String,
    pub section: String,
    pub item_text: String,
    pub severity: Severity,
    /// What was found, in the inspector's words.
    pub finding: String,
    pub case_id: Option<i64>,
    pub tracking_no: Option<String>,
    pub case_state: Option<CaseState>,
    /// RFC 3339: when rectification is due (the case's handling deadline).
    pub rectify_by: Option<String>,
    /// How this record found the item: `new`, `still_open`, `reopened`.
    pub outcome: String,
}

/// What a record did to an earlier finding of its target, or how a failing
/// item was taken up.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Outcome {
    pub item_code: String,
    pub case_id: i64,
    pub tracking_no: String,
    /// `new`, `still_open`, `reopened`, `returned`, `verified`, `awaiting_handling`.
    pub outcome: String,
}

pub(crate) const FINDING_SELECT: &str =
    "SELECT f.id, f.item_code, f.section, f.item_text, f.severity,
    f.finding, f.case_id, c.tracking_no, c.state, f.rectify_by, f.outcome
    FROM inspection_findings f LEFT JOIN cases c ON c.id = f.case_id";

pub(crate) fn finding_row(r: &Row) -> Result<FindingView> {
    let state: Option<String> = r.get(8)?;
    Ok(FindingView {
        id: r.get(0)?,
        item_code: r.get(1)?,
        section: r.get(2)?,
        item_text: r.get(3)?,
        severity: Severity::parse(&r.get::<String>(4)?)?,
        finding: r.get(5)?,
        case_id: r.get(6)?,
        tracking_no: r.get(7)?,
        case_state: state.and_then(|s| CaseState::ALL.into_iter().find(|x| x.as_str() == s)),
        rectify_by: r.get::<Option<i64>>(9)?.map(ms_to_rfc3339),
        outcome: r.get::<Option<String>>(10)?.unwrap_or_default(),
    })
}

/// The engine acting on cases: the system, under the caller's name.
fn system(ctx: &Ctx) -> Ctx {
    let mut sys = ctx.clone();
    sys.role = None;
    sys.org_id = None;
    sys.scope = Scope::All;
    sys
}

/// An earlier finding's case and its sealed follow token.
type Earlier = (i64, Option<Vec<u8>>);

/// The latest finding of each item on this target (same kind and row, same
/// checklist), across plans: (item, case id, sealed token).
fn earlier(
    c: &mut dyn Conn,
    target: &TargetRef,
    template_code: &str,
    record_id: i64,
) -> Result<BTreeMap<String, Earlier>> {
    let rows = c.query(
        "SELECT f.item_code, f.case_id,
            (SELECT o.case_token_enc FROM inspection_findings o
             WHERE o.case_id = f.case_id AND o.case_token_enc IS NOT NULL ORDER BY o.id LIMIT 1)
         FROM inspection_findings f
         JOIN inspection_targets g ON g.id = f.target_id
         JOIN inspection_records r ON r.id = f.record_id
         JOIN inspection_templates t ON t.id = r.template_id
         WHERE g.kind = $1 AND g.ref_id = $2 AND t.code = $3 AND f.case_id IS NOT NULL
           AND f.record_id <> $4
         ORDER BY f.id",
        params![
            target.kind.as_str(),
            target.ref_id,
            template_code,
            record_id
        ],
    )?;
    let mut out = BTreeMap::new();
    for r in rows {
        out.insert(r.get::<String>(0)?, (r.get(1)?, r.get(2)?));
    }
    Ok(out)
}

/// What the engine needs of a target.
pub(crate) struct TargetRef {
    pub id: i64,
    pub kind: super::TargetKind,
    pub ref_id: i64,
    pub label: String,
    pub unit_code: String,
    pub responsible: Option<i64>,
    pub supervising: Option<i64>,
}

impl From<&Target> for TargetRef {
    fn from(t: &Target) -> Self {
        TargetRef {
            id: t.id,
            kind: t.kind,
            ref_id: t.ref_id,
            label: t.label.clone(),
            unit_code: t.unit.clone(),
            responsible: t.responsible_org_id,
            supervising: t.supervising_org_id,
        }
    }
}

struct Ctxs<'a> {
    sys: Ctx,
    cfg: &'a Config,
    plan: &'a PlanRow,
    target: &'a TargetRef,
    record_id: i64,
    recorded_at: time::OffsetDateTime,
}

/// Reports, accepts and dispatches a finding's case; answers its id, sealed
/// token and rectification deadline.
fn open_case(x: &Ctxs<'_>, c: &mut dyn Conn, f: &Failure) -> Result<(i64, Vec<u8>, Option<i64>)> {
    let cat = cases::get_category(c, &f.category).map_err(|e| match e {
        Error::NotFound { .. } => invalid(
            "answers",
            "unknown_category",
            format!("检查项“{}”的案件类别“{}”不存在", f.item_text, f.category),
            format!(
                "item '{}' names no case category '{}'",
                f.item_code, f.category
            ),
        ),
        other => other,
    })?;
    // A category may require extra fields (a construction site's project
    // name); the target is what the finding is about, so its name fills them.
    let fields = cat
        .required_fields
        .iter()
        .map(|k| (k.clone(), serde_json::Value::String(x.target.label.clone())))
        .collect();
    let description = format!(
        "【{}】{}:{}/{}:{}",
        x.plan.plan.name, x.target.label, f.section, f.item_text, f.finding
    );
    let new = NewCase {
        category: f.category.clone(),
        unit: x.target.unit_code.clone(),
        description: description.chars().take(cases::MAX_DESCRIPTION).collect(),
        lat: None,
        lon: None,
        address_detail: None,
        source: Source::Inspection,
        // The case enters the engine when the record arrives: a record kept
        // offline for days must not start its case with overdue stages.
        reported_at: None,
        fields,
        reporter_name: None,
        reporter_contact: None,
        reporter_withheld: false,
        on_spot: None,
        attachments: Vec::new(),
        note: Some(format!(
            "检查记录{},检查时间{}",
            x.record_id,
            super::ms_to_rfc3339((x.recorded_at.unix_timestamp_nanos() / 1_000_000) as i64)
        )),
    };
    let created = cases::create(c, &x.sys, x.cfg, new, None)?;
    let id = created.case.id;
    cases::attach_supervising_org(c, id, x.target.supervising)?;
    cases::transition(c, &x.sys, x.cfg, id, None, Command::new(Action::Accept))?;
    let due = dispatch(x, c, id)?;
    let sealed = x.sys.keys().seal(F_TOKEN, &created.token)?;
    Ok((id, sealed, due))
}

/// Dispatches an accepted case to the target's responsible organisation;
/// answers the handling deadline.
fn dispatch(x: &Ctxs<'_>, c: &mut dyn Conn, id: i64) -> Result<Option<i64>> {
    let mut cmd = Command::new(Action::Dispatch);
    cmd.lead_org = x.target.responsible;
    match cases::transition(c, &x.sys, x.cfg, id, None, cmd) {
        Ok(v) => Ok(v
            .due_at
            .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)),
        // No responsible organisation and no routing rule: the case waits,
        // accepted, for a dispatcher to choose one.
        Err(Error::Domain(_)) if x.target.responsible.is_none() => Ok(None),
        Err(e) => Err(e),
    }
}

fn insert(
    x: &Ctxs<'_>,
    c: &mut dyn Conn,
    f: &Failure,
    case: (i64, Option<Vec<u8>>, Option<i64>),
    outcome: &str,
) -> Result<()> {
    c.execute(
        "INSERT INTO inspection_findings (record_id, target_id, item_code, section, item_text, severity,
            finding, case_id, case_token_enc, rectify_by, outcome, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        params![
            x.record_id,
            x.target.id,
            f.item_code.as_str(),
            f.section.as_str(),
            f.item_text.as_str(),
            f.severity.as_str(),
            f.finding.as_str(),
            case.0,
            case.1,
            case.2,
            outcome,
            x.sys.now_ms()
        ],
    )?;
    Ok(())
}

/// The rectification deadline an existing finding's case carries.
fn deadline_of(c: &mut dyn Conn, case_id: i64) -> Result<Option<i64>> {
    c.query_opt(
        "SELECT rectify_by FROM inspection_findings WHERE case_id = $1 AND rectify_by IS NOT NULL ORDER BY id LIMIT 1",
        params![case_id],
    )?
    .map(|r| r.get(0))
    .transpose()
}

/// Raises the record's findings and settles the target's earlier ones.
#[allow(clippy::too_many_arguments)]
pub(crate) fn settle(
    c: &mut dyn Conn,
    ctx: &Ctx,
    cfg: &Config,
    plan: &PlanRow,
    target: &TargetRef,
    tpl: &Template,
    record_id: i64,
    recorded_at: time::OffsetDateTime,
    answers: &BTreeMap<String, Answer>,
) -> Result<Vec<Outcome>> {
    let x = Ctxs {
        sys: system(ctx),
        cfg,
        plan,
        target,
        record_id,
        recorded_at,
    };
    let before = earlier(c, target, &tpl.code, record_id)?;
    let failed = failures(&tpl.body, answers);
    let mut out = Vec::new();
    for f in &failed {
        let outcome = match before.get(&f.item_code) {
            Some((case_id, token)) => {
                let case = cases::get(c, &x.sys, *case_id)?;
                match case.state {
                    CaseState::Handled => {
                        let cmd = Command::new(Action::Return)
                            .reason(&format!("复查仍不合格:{}", f.finding));
                        cases::transition(c, &x.sys, cfg, *case_id, None, cmd)?;
                        Some((*case_id, "returned"))
                    }
                    CaseState::Closed | CaseState::Rated => match token {
                        Some(sealed) => {
                            let token = x.sys.keys().open(F_TOKEN, sealed)?;
                            let cmd = Command::new(Action::Reopen)
                                .reason(&format!("复查发现问题仍存在:{}", f.finding));
                            match cases::transition_by_token(c, &x.sys, cfg, &token, cmd) {
                                Ok(_) => {
                                    dispatch(&x, c, *case_id)?;
                                    Some((*case_id, "reopened"))
                                }
                                // Past the reopening window: a new case.
                                Err(Error::Domain(_)) => None,
                                Err(e) => return Err(e),
                            }
                        }
                        None => None,
                    },
                    s if s.is_open() => Some((*case_id, "still_open")),
                    _ => None,
                }
            }
            None => None,
        };
        let (case_id, name) = match outcome {
            Some((case_id, name)) => {
                // The new finding joins the earlier case; `reopened` and
                // `returned` restart its handling clock.
                let due = match name {
                    "still_open" => deadline_of(c, case_id)?,
                    _ => cases::get(c, &x.sys, case_id)?
                        .due_at
                        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64),
                };
                insert(&x, c, f, (case_id, None, due), name)?;
                (case_id, name)
            }
            None => {
                let (id, sealed, due) = open_case(&x, c, f)?;
                insert(&x, c, f, (id, Some(sealed), due), "new")?;
                (id, "new")
            }
        };
        out.push(outcome_of(c, &x.sys, &f.item_code, case_id, name)?);
    }
    // Items in order now whose earlier case the department reported handled.
    for (code, (case_id, _)) in &before {
        let Some((_, item)) = tpl.body.item(code) else {
            continue;
        };
        let Some(a) = answers.get(code) else { continue };
        if is_failure(item, &a.value) {
            continue;
        }
        let case = cases::get(c, &x.sys, *case_id)?;
        let name = match case.state {
            CaseState::Handled => {
                cases::transition(c, &x.sys, cfg, *case_id, None, Command::new(Action::Verify))?;
                let close = Command::new(Action::Close).close_kind(CloseKind::Fixed);
                cases::transition(c, &x.sys, cfg, *case_id, None, close)?;
                "verified"
            }
            s if s.is_open() => "awaiting_handling",
            _ => continue,
        };
        out.push(outcome_of(c, &x.sys, code, *case_id, name)?);
    }
    Ok(out)
}

fn outcome_of(
    c: &mut dyn Conn,
    sys: &Ctx,
    item: &str,
    case_id: i64,
    name: &str,
) -> Result<Outcome> {
    Ok(Outcome {
        item_code: item.to_string(),
        case_id,
        tracking_no: cases::get(c, sys, case_id)?.tracking_no,
        outcome: name.to_string(),
    })
}

/// A record's findings, in the order they were raised.
pub(crate) fn of_record(c: &mut dyn Conn, record_id: i64) -> Result<Vec<FindingView>> {
    c.query(
        &format!("{FINDING_SELECT} WHERE f.record_id = $1 ORDER BY f.id"),
        params![record_id],
    )?
    .iter()
    .map(finding_row)
    .collect()
}
