//! The inspection engine in SQL (排查/走访): versioned checklist templates,
//! plans over targets chosen by filter, records sent by inspectors (offline
//! tolerant), findings turned into rectification cases through the case
//! engine, problem lists (问题清单) and statistics.
//!
//! | file | what |
//! |---|---|
//! | `templates.rs` | templates and their versions, the built-in seeds |
//! | `plans.rs` | plans, target filters, who sees a plan |
//! | `targets.rs` | resolving filters to targets and who rectifies each |
//! | `offices.rs` | which office supervises rectification in which street |
//! | `records.rs` | submitting and reading records |
//! | `findings.rs` | findings → cases, and what a re-inspection does to earlier ones |
//! | `problem_list.rs` | the problem list of a record |
//! | `stats.rs` | progress and statistics per plan and per subtree |
//!
//! Findings become cases with the engine acting as the system (a `Ctx`
//! without a role, keeping the caller's name for the log): the inspector may
//! be a third-party expert whose role could not accept or dispatch a case,
//! but the plan that engaged them stands for that decision. The engine is the
//! case's reporter, so it keeps the case's follow token (sealed) to reopen it.

mod due;
mod findings;
mod offices;
mod pages;
mod plans;
mod problem_list;
mod records;
mod registry_targets;
mod reseal;
mod stats;
mod targets;
mod templates;

pub use due::{due_targets, DueQuery};
pub use findings::{FindingView, Outcome};
pub use offices::{list_offices, remove_office, set_office, SetOffice, SupervisingOffice};
pub use pages::record_by_key;
pub use plans::{
    create_plan, get_plan, list_plans, NewPlan, Plan, Target, TargetFilter, TargetKind,
    TargetStatus,
};
pub use problem_list::{problem_list, ProblemItem, ProblemList};
pub use records::{get_record, list_records, submit_record, NewRecord, Record, Submitted};
pub use reseal::{reseal, SEALED_COLUMNS};
pub use stats::{
    plan_stats, subtree_stats, GroupStats, ItemStats, PlanStats, Progress, ScoreStats,
    SeverityStats,
};
pub use targets::list_targets;
pub use templates::{
    create_template, get_template, list_templates, seed_templates, Template, TemplateSummary,
};

use crate::ctx::{subtree_range, Ctx, Scope};
use crate::db::Conn;
use crate::error::{Error, Result};
use crate::params;
use wangge_core::Error as CoreError;

fn invalid(field: &str, code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Error {
    CoreError::invalid(field, code, zh, en).into()
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Db(format!("cannot encode JSON: {e}")))
}

fn from_json<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| Error::Db(format!("stored {what} is not valid: {e}")))
}

/// A unit by code (or former code) inside the caller's scope, without asking
/// for the registry permission: inspectors name units they may not edit.
pub(crate) fn unit_in_scope(
    c: &mut dyn Conn,
    ctx: &Ctx,
    field: &str,
    code: &str,
) -> Result<(i64, String, String)> {
    let code = code.trim();
    let row = match c.query_opt(
        "SELECT id, path, name FROM units WHERE code = $1",
        params![code],
    )? {
        Some(r) => Some(r),
        None => c.query_opt(
            "SELECT u.id, u.path, u.name FROM units u JOIN unit_aliases a ON a.unit_id = u.id WHERE a.code = $1",
            params![code],
        )?,
    };
    if let Some(r) = row {
        let path: String = r.get(1)?;
        if ctx.scope.contains(&path) {
            return Ok((r.get(0)?, path, r.get(2)?));
        }
    }
    Err(invalid(
        field,
        "unknown_unit",
        format!("单元“{code}”不存在"),
        format!("no unit with code '{code}'"),
    ))
}

/// The name of an organisation that exists, or a 422 on `field`.
/// Organisations named by a plan (the issuing bureau, the supervising office,
/// the expert firm) usually sit above the caller's subtree, so existence is
/// all that is checked, as the case engine does for lead organisations.
pub(crate) fn org_name(c: &mut dyn Conn, field: &str, id: i64) -> Result<String> {
    match c.query_opt("SELECT name FROM organisations WHERE id = $1", params![id])? {
        Some(r) => r.get(0),
        None => Err(invalid(
            field,
            "unknown_organisation",
            format!("组织{id}不存在"),
            format!("no organisation {id}"),
        )),
    }
}

/// The SQL condition "`col` lies in the caller's subtree", with its values.
pub(crate) fn path_condition(ctx: &Ctx, col: &str, first: usize) -> (String, Vec<String>) {
    match &ctx.scope {
        Scope::All => ("1 = 1".to_string(), Vec::new()),
        Scope::Subtree(p) => {
            let (lo, hi) = subtree_range(p);
            (
                format!("{col} >= ${first} AND {col} < ${}", first + 1),
                vec![lo, hi],
            )
        }
    }
}

/// Milliseconds as RFC 3339 in Asia/Shanghai.
pub(crate) fn ms_to_rfc3339(ms: i64) -> String {
    crate::ctx::ms_to_time(ms)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
