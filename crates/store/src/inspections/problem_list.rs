//! The problem list (问题清单) of one record: what the issuing organisation
//! hands the target in writing — each failed item, the case that tracks its
//! rectification, the deadline, and the office that supervises it.

use super::plans;
use super::records::get_record;
use crate::ctx::{Ctx, CST};
use crate::db::Conn;
use crate::error::Result;
use serde::Serialize;
use wangge_core::cases::CaseState;
use wangge_core::inspections::Severity;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ProblemItem {
    pub section: String,
    pub item_code: String,
    pub item_text: String,
    pub severity: Severity,
    pub severity_label: String,
    pub finding: String,
    pub case_id: Option<i64>,
    pub tracking_no: Option<String>,
    pub case_state: Option<CaseState>,
    pub case_state_label: Option<String>,
    /// RFC 3339
    pub deadline: Option<String>,
    /// YYYY-MM-DD in Asia/Shanghai, as printed.
    pub deadline_date: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ProblemList {
    pub record_id: i64,
    pub plan_id: i64,
    pub plan_name: String,
    pub template_name: String,
    pub template_version: i64,
    pub issuing_org: String,
    pub supervising_org: Option<String>,
    pub inspector_org: Option<String>,
    pub target: String,
    pub target_group: String,
    pub unit_name: String,
    /// The organisation that must rectify.
    pub responsible_org: Option<String>,
    pub inspector: String,
    /// RFC 3339
    pub recorded_at: String,
    /// YYYY-MM-DD in Asia/Shanghai.
    pub recorded_date: String,
    pub items: Vec<ProblemItem>,
}

fn date_of(rfc3339: &str) -> Option<String> {
    let t = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .ok()?;
    Some(t.to_offset(CST).date().to_string())
}

/// The problem list of a record the caller may see.
pub fn problem_list(c: &mut dyn Conn, ctx: &Ctx, record_id: i64) -> Result<ProblemList> {
    let rec = get_record(c, ctx, record_id)?;
    let plan = plans::load(c, ctx, rec.plan_id)?;
    let tpl =
        super::templates::get_template(c, ctx, &rec.template_code, Some(rec.template_version))?;
    let items = rec
        .findings
        .iter()
        .map(|f| ProblemItem {
            section: f.section.clone(),
            item_code: f.item_code.clone(),
            item_text: f.item_text.clone(),
            severity: f.severity,
            severity_label: f.severity.label_zh().to_string(),
            finding: f.finding.clone(),
            case_id: f.case_id,
            tracking_no: f.tracking_no.clone(),
            case_state: f.case_state,
            case_state_label: f.case_state.map(|s| s.label_zh().to_string()),
            deadline_date: f.rectify_by.as_deref().and_then(date_of),
            deadline: f.rectify_by.clone(),
        })
        .collect();
    Ok(ProblemList {
        record_id: rec.id,
        plan_id: plan.plan.id,
        plan_name: plan.plan.name.clone(),
        template_name: tpl.name,
        template_version: tpl.version,
        issuing_org: plan.plan.issuing_org_name.clone(),
        supervising_org: rec.target.supervising_org_name.clone(),
        inspector_org: plan.plan.inspector_org_name.clone(),
        target: rec.target.label.clone(),
        target_group: rec.target.group.clone(),
        unit_name: rec.target.unit_name.clone(),
        responsible_org: rec.target.responsible_org_name.clone(),
        inspector: rec.inspector.clone(),
        recorded_date: date_of(&rec.recorded_at).unwrap_or_default(),
        recorded_at: rec.recorded_at,
        items,
    })
}
