//! Resolving a plan's target filters to targets: units of a kind or by code,
//! organisations of a kind or by id, equipment under a unit or by id, and the
//! records of any registry that declares itself a target (construction sites)
//! through `registry_targets`; each with the organisation that must rectify
//! its findings (a compound's property company, the organisation itself, the
//! equipment's use unit, the site's builder).

use super::plans::{self, Target, TargetFilter, TargetKind};
use super::{invalid, path_condition, unit_in_scope};
use crate::ctx::{ms_to_time, subtree_range, Ctx};
use crate::db::{Conn, Row, Value};
use crate::error::Result;
use crate::params;
use crate::positions::parse_date;
use time::Date;
use wangge_core::auth::Role;
use wangge_core::inspections::Cadence;
use wangge_core::people::check_text;

/// One resolved target before it is stored.
pub(crate) struct Resolved {
    pub kind: TargetKind,
    pub ref_id: i64,
    pub label: String,
    pub group: String,
    pub unit_id: i64,
    pub unit_path: String,
    pub responsible: Option<i64>,
}

pub(crate) const MAX_TARGETS: usize = 5000;

pub(crate) fn within(field: &str, root: &str, path: &str, what: &str) -> Result<()> {
    if path.starts_with(root) {
        Ok(())
    } else {
        Err(invalid(
            field,
            "target_outside_plan",
            format!("{what}不在本计划的范围内"),
            format!("{what} is outside the plan's unit"),
        ))
    }
}

pub(crate) fn resolve(
    c: &mut dyn Conn,
    ctx: &Ctx,
    i: usize,
    f: &TargetFilter,
    plan_path: &str,
) -> Result<Vec<Resolved>> {
    let field = format!("targets[{i}]");
    let group = check_text(&format!("{field}.group"), &f.group, 50)?;
    let root = match &f.under {
        Some(code) => {
            let (_, path, _) = unit_in_scope(c, ctx, &format!("{field}.under"), code)?;
            within(&format!("{field}.under"), plan_path, &path, code)?;
            path
        }
        None => plan_path.to_string(),
    };
    let (lo, hi) = subtree_range(&root);
    let mut out = Vec::new();
    match f.kind {
        TargetKind::Unit => {
            let rows = if f.codes.is_empty() {
                let Some(kind) = f.unit_kind else {
                    return Err(invalid(
                        &format!("{field}.unit_kind"),
                        "required",
                        "请指定单元类型或单元代码",
                        "give a unit_kind or the unit codes",
                    ));
                };
                c.query(
                    "SELECT id, path, name FROM units WHERE kind = $1 AND path >= $2 AND path < $3 ORDER BY path LIMIT 5001",
                    params![kind.as_str(), lo.as_str(), hi.as_str()],
                )?
                .iter()
                .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .collect::<Result<Vec<(i64, String, String)>>>()?
            } else {
                let mut v = Vec::new();
                for (k, code) in f.codes.iter().enumerate() {
                    let fld = format!("{field}.codes[{k}]");
                    let u = unit_in_scope(c, ctx, &fld, code)?;
                    within(&fld, &root, &u.1, code)?;
                    v.push(u);
                }
                v
            };
            for (id, path, name) in rows {
                let responsible = c
                    .query_opt(
                        "SELECT id FROM organisations WHERE unit_id = $1 AND kind = 'property_company' ORDER BY id LIMIT 1",
                        params![id],
                    )?
                    .map(|r| r.get(0))
                    .transpose()?;
                out.push(Resolved {
                    kind: TargetKind::Unit,
                    ref_id: id,
                    label: name,
                    group: group.clone(),
                    unit_id: id,
                    unit_path: path,
                    responsible,
                });
            }
        }
        TargetKind::Organisation => {
            let rows = if f.ids.is_empty() {
                let Some(kind) = f.org_kind else {
                    return Err(invalid(
                        &format!("{field}.org_kind"),
                        "required",
                        "请指定组织类型或组织编号",
                        "give an org_kind or the organisation ids",
                    ));
                };
                c.query(
                    "SELECT id, name, unit_id, unit_path FROM organisations
                     WHERE kind = $1 AND unit_path >= $2 AND unit_path < $3 ORDER BY unit_path, id LIMIT 5001",
                    params![kind.as_str(), lo.as_str(), hi.as_str()],
                )?
            } else {
                let mut v = Vec::new();
                for (k, id) in f.ids.iter().enumerate() {
                    let fld = format!("{field}.ids[{k}]");
                    let r = c
                        .query_opt(
                            "SELECT id, name, unit_id, unit_path FROM organisations WHERE id = $1",
                            params![*id],
                        )?
                        .filter(|r| r.get::<String>(3).is_ok_and(|p| ctx.scope.contains(&p)))
                        .ok_or_else(|| {
                            invalid(
                                &fld,
                                "unknown_organisation",
                                format!("组织{id}不存在"),
                                format!("no organisation {id}"),
                            )
                        })?;
                    within(&fld, &root, &r.get::<String>(3)?, &format!("组织{id}"))?;
                    v.push(r);
                }
                v
            };
            for r in rows {
                let id: i64 = r.get(0)?;
                out.push(Resolved {
                    kind: TargetKind::Organisation,
                    ref_id: id,
                    label: r.get(1)?,
                    group: group.clone(),
                    unit_id: r.get(2)?,
                    unit_path: r.get(3)?,
                    responsible: Some(id),
                });
            }
        }
        TargetKind::Equipment => {
            // Equipment keeps its own query until it is declared on the registry engine.
            let select = "SELECT e.id, e.registration_code || CASE WHEN e.location = '' THEN '' ELSE ' ' || e.location END,
                e.unit_id, e.unit_path, e.use_org_id FROM equipment e";
            let rows = if f.ids.is_empty() {
                c.query(
                    &format!(
                        "{select} WHERE e.status <> 'scrapped' AND e.unit_path >= $1 AND e.unit_path < $2
                         ORDER BY e.unit_path, e.id LIMIT 5001"
                    ),
                    params![lo.as_str(), hi.as_str()],
                )?
            } else {
                let mut v = Vec::new();
                for (k, id) in f.ids.iter().enumerate() {
                    let fld = format!("{field}.ids[{k}]");
                    let r = c
                        .query_opt(&format!("{select} WHERE e.id = $1"), params![*id])?
                        .filter(|r| r.get::<String>(3).is_ok_and(|p| ctx.scope.contains(&p)))
                        .ok_or_else(|| {
                            invalid(
                                &fld,
                                "unknown_target",
                                format!("设备{id}不存在"),
                                format!("no equipment {id}"),
                            )
                        })?;
                    within(&fld, &root, &r.get::<String>(3)?, &format!("设备{id}"))?;
                    v.push(r);
                }
                v
            };
            for r in rows {
                out.push(Resolved {
                    kind: f.kind,
                    ref_id: r.get(0)?,
                    label: r.get(1)?,
                    group: group.clone(),
                    unit_id: r.get(2)?,
                    unit_path: r.get(3)?,
                    responsible: r.get(4)?,
                });
            }
        }
        kind => {
            let ask = super::registry_targets::Ask {
                field: &field,
                group: &group,
                root: &root,
                ids: &f.ids,
            };
            out = super::registry_targets::resolve(c, ctx, kind, &ask)?;
        }
    }
    Ok(out)
}

/// The targets of a plan the caller may see; staff with a subtree see the
/// targets inside it, everyone else who sees the plan sees all of them.
pub fn list_targets(c: &mut dyn Conn, ctx: &Ctx, plan_id: i64) -> Result<Vec<Target>> {
    plans::load(c, ctx, plan_id)?;
    let (cond, vals) = target_scope(ctx, "g.unit_path", 2);
    let mut args = vec![Value::from(plan_id)];
    args.extend(vals.into_iter().map(Value::from));
    let rows = c.query(
        &format!(
            "{TARGET_SELECT} WHERE g.plan_id = $1 AND {cond} ORDER BY g.grp, g.unit_path, g.id LIMIT 5000"
        ),
        &args,
    )?;
    let today = ctx.today();
    rows.iter().map(|r| target_row(r, today)).collect()
}

pub(crate) const TARGET_SELECT: &str = "SELECT g.id, g.plan_id, g.kind, g.ref_id, g.label, g.grp,
    u.code, u.name, g.responsible_org_id, o.name,
    (SELECT COUNT(*) FROM inspection_records r WHERE r.target_id = g.id),
    (SELECT MAX(r.id) FROM inspection_records r WHERE r.target_id = g.id), g.unit_path,
    g.supervising_org_id, so.name,
    (SELECT COUNT(*) FROM inspection_findings f WHERE f.target_id = g.id),
    (SELECT COUNT(*) FROM inspection_findings f LEFT JOIN cases k ON k.id = f.case_id
        WHERE f.target_id = g.id AND (k.id IS NULL OR k.state NOT IN ('verified', 'closed', 'rated'))),
    p.due_date, p.recurrence, p.recurrence_days,
    (SELECT MAX(r.recorded_at) FROM inspection_records r WHERE r.target_id = g.id)
    FROM inspection_targets g JOIN units u ON u.id = g.unit_id
    JOIN inspection_plans p ON p.id = g.plan_id
    LEFT JOIN organisations o ON o.id = g.responsible_org_id
    LEFT JOIN organisations so ON so.id = g.supervising_org_id";

/// When a target is due next: for a recurring plan, the plan's due date until
/// the first record, then one interval after the latest visit (by the day it
/// took place in China); none for a plan that does not recur.
fn next_due(r: &Row) -> Result<Option<Date>> {
    let Some(cadence) = r
        .get::<Option<String>>(18)?
        .and_then(|every| Cadence::from_stored(&every, r.get(19).ok().flatten()))
    else {
        return Ok(None);
    };
    Ok(Some(match r.get::<Option<i64>>(20)? {
        Some(ms) => cadence.next(ms_to_time(ms).date()),
        None => parse_date("due_date", &r.get::<String>(17)?)?,
    }))
}

pub(crate) fn target_row(r: &Row, today: Date) -> Result<Target> {
    let due = next_due(r)?;
    Ok(Target {
        next_due: due.map(|d| d.to_string()),
        overdue: due.map(|d| d < today),
        id: r.get(0)?,
        plan_id: r.get(1)?,
        kind: TargetKind::parse(&r.get::<String>(2)?)?,
        ref_id: r.get(3)?,
        label: r.get(4)?,
        group: r.get(5)?,
        unit: r.get(6)?,
        unit_name: r.get(7)?,
        responsible_org_id: r.get(8)?,
        responsible_org_name: r.get(9)?,
        supervising_org_id: r.get(13)?,
        supervising_org_name: r.get(14)?,
        records: r.get(10)?,
        last_record_id: r.get(11)?,
        findings: r.get(15)?,
        open_findings: r.get(16)?,
    })
}

/// The targets a caller's scope covers: department handlers who see the plan
/// see every target; staff their subtree.
pub(crate) fn target_scope(ctx: &Ctx, col: &str, first: usize) -> (String, Vec<String>) {
    match ctx.role {
        Some(Role::DeptHandler) | None => ("1 = 1".into(), Vec::new()),
        Some(_) => path_condition(ctx, col, first),
    }
}
