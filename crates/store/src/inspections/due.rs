//! The due list (待检清单) of a plan: its targets due on or before a day, the
//! most overdue first, for the caller's part of the tree and optionally for
//! one inspector's. A recurring plan's target is due on its `next_due`; a
//! plan that does not recur lists the targets not yet inspected, due on the
//! plan's due date.

use super::invalid;
use super::plans::{self, Target};
use super::targets::list_targets;
use crate::ctx::Ctx;
use crate::db::Conn;
use crate::error::Result;
use crate::paging::{self, Page};
use crate::params;
use crate::positions::parse_date;

/// What the due list is asked for.
#[derive(Debug, Clone, Default)]
pub struct DueQuery {
    /// YYYY-MM-DD; today when absent.
    pub on: Option<String>,
    /// A user name among the plan's inspectors: only the targets inside
    /// that account's unit (all of them for an account without one).
    pub inspector: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

pub fn due_targets(
    c: &mut dyn Conn,
    ctx: &Ctx,
    plan_id: i64,
    q: &DueQuery,
) -> Result<Page<Target>> {
    let plan = plans::load(c, ctx, plan_id)?;
    let limit = paging::limit(q.limit)?;
    let on = match q.on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => parse_date("on", s)?,
        None => ctx.today(),
    };
    let root = match q
        .inspector
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(name) => {
            if !plan.plan.inspectors.iter().any(|i| i == name) {
                return Err(invalid(
                    "inspector",
                    "not_an_inspector",
                    format!("“{name}”不是该计划的检查人员"),
                    format!("'{name}' is not an inspector of this plan"),
                ));
            }
            c.query_opt(
                "SELECT u.path FROM users a JOIN units u ON u.id = a.scope_unit_id WHERE a.username = $1",
                params![name],
            )?
            .map(|r| r.get::<String>(0))
            .transpose()?
        }
        None => None,
    };
    let after = q.cursor.as_deref().map(paging::decode).transpose()?;
    let on = on.to_string();
    let mut due: Vec<Target> = list_targets(c, ctx, plan_id)?
        .into_iter()
        .filter_map(|mut t| {
            if plan.plan.recurrence.is_none() {
                // Inspected once: due until the first record.
                if t.records > 0 {
                    return None;
                }
                t.next_due = Some(plan.plan.due_date.clone());
            }
            t.next_due.as_ref().filter(|d| **d <= on)?;
            Some(t)
        })
        .collect();
    if let Some(root) = &root {
        let paths = target_paths(c, plan_id)?;
        due.retain(|t| {
            paths
                .iter()
                .any(|(id, p)| *id == t.id && p.starts_with(root.as_str()))
        });
    }
    let key = |t: &Target| (t.next_due.clone().unwrap_or_default(), t.id);
    due.sort_by_key(key);
    if let Some(after) = after {
        due.retain(|t| key(t) > after);
    }
    due.truncate(limit as usize + 1);
    Ok(paging::page(due, limit, key))
}

fn target_paths(c: &mut dyn Conn, plan_id: i64) -> Result<Vec<(i64, String)>> {
    c.query(
        "SELECT id, unit_path FROM inspection_targets WHERE plan_id = $1",
        params![plan_id],
    )?
    .iter()
    .map(|r| Ok((r.get(0)?, r.get(1)?)))
    .collect()
}
