//! Plans: a named campaign with a template version, targets chosen by filters
//! and resolved when the plan is made, inspectors, a due date, the issuing
//! organisation and the office that supervises rectification.
//!
//! Who sees a plan: the system and the whole zone; staff whose subtree holds
//! the plan's unit, or lies inside it (a grid worker on a street's plan); the
//! accounts named as its inspectors; department handlers of its issuing,
//! supervising or inspecting organisation, or of an office that supervises
//! some of its targets.

use super::{invalid, org_name, templates, to_json, unit_in_scope};
use crate::ctx::{subtree_range, Ctx, Scope};
use crate::db::{Conn, Row, Value};
use crate::error::{Error, Result};
use crate::positions::parse_date;
use crate::{audit, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use wangge_core::auth::{Permission, Role};
use wangge_core::inspections::{check_recurrence, Recurrence};
use wangge_core::organisations::OrgKind;
use wangge_core::people::check_text;
use wangge_core::units::UnitKind;
use wangge_core::wire::Wire;

wangge_core::wire_enum! {
    /// What a target is.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum TargetKind {
        /// A unit of the tree: a compound (小区), a building, a grid …
        Unit => "unit",
        /// An organisation: a shopping centre, a hospital, a school, a company …
        Organisation => "organisation",
        /// A piece of special equipment (an elevator, an escalator); its use unit
        /// rectifies.
        Equipment => "equipment",
        /// A construction site (施工工地); its builder rectifies.
        ConstructionSite => "construction_site",
    }
}

impl TargetKind {
    pub fn parse(s: &str) -> Result<TargetKind> {
        <TargetKind as Wire>::from_wire(s)
            .ok_or_else(|| Error::Db(format!("unknown target kind {s:?}")))
    }
}

/// One filter of a plan's targets.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetFilter {
    pub kind: TargetKind,
    /// The name of the targets this filter chooses, used by the statistics
    /// ("人员密集场所", "大型小区").
    pub group: String,
    /// The unit whose subtree is searched; the plan's unit when absent.
    #[serde(default)]
    pub under: Option<String>,
    /// Units: the kind of unit (required unless `codes` are given).
    #[serde(default)]
    pub unit_kind: Option<UnitKind>,
    /// Units: exactly these, by code.
    #[serde(default)]
    pub codes: Vec<String>,
    /// Organisations: every organisation of this kind under `under`.
    #[serde(default)]
    pub org_kind: Option<OrgKind>,
    /// Organisations, equipment, construction sites: exactly these, by id.
    /// Without ids, every piece of equipment in use (or every site not yet
    /// finished) under `under`.
    #[serde(default)]
    pub ids: Vec<i64>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// The template's code.
    pub template: String,
    /// The version to use; the latest when absent.
    #[serde(default)]
    pub template_version: Option<i64>,
    /// The unit whose subtree the plan covers.
    pub unit: String,
    /// The organisation that issues the problem lists (the bureau).
    pub issuing_org_id: i64,
    /// The office that supervises rectification (市场监管所) where no office is
    /// set for a target's street (`PUT /api/v1/supervising-offices`).
    #[serde(default)]
    pub supervising_org_id: Option<i64>,
    /// A third-party expert organisation whose department handlers record.
    #[serde(default)]
    pub inspector_org_id: Option<i64>,
    /// Accounts that record (user names).
    #[serde(default)]
    pub inspectors: Vec<String>,
    /// YYYY-MM-DD; for a recurring plan, when each target is first due.
    pub due_date: String,
    pub targets: Vec<TargetFilter>,
    /// Recurring plans: each target is due again one interval after its
    /// last record. Absent: inspected once, by `due_date`.
    #[serde(default)]
    pub recurrence: Option<Recurrence>,
    /// With `every_n_days` only: the interval in days.
    #[serde(default)]
    pub recurrence_days: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Plan {
    pub id: i64,
    pub name: String,
    pub template_code: String,
    pub template_version: i64,
    pub template_name: String,
    pub unit: String,
    pub unit_name: String,
    pub issuing_org_id: i64,
    pub issuing_org_name: String,
    pub supervising_org_id: Option<i64>,
    pub supervising_org_name: Option<String>,
    pub inspector_org_id: Option<i64>,
    pub inspector_org_name: Option<String>,
    pub inspectors: Vec<String>,
    /// YYYY-MM-DD
    pub due_date: String,
    pub created_by: String,
    pub targets: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<Recurrence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recurrence_days: Option<i64>,
}

/// A target of a plan, with how far its inspection has come.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Target {
    pub id: i64,
    pub plan_id: i64,
    pub kind: TargetKind,
    pub ref_id: i64,
    pub label: String,
    pub group: String,
    pub unit: String,
    pub unit_name: String,
    pub responsible_org_id: Option<i64>,
    pub responsible_org_name: Option<String>,
    /// The office that supervises this target's rectification: the one set
    /// for its street (see `supervising_offices`), else the plan's.
    pub supervising_org_id: Option<i64>,
    pub supervising_org_name: Option<String>,
    pub records: i64,
    pub last_record_id: Option<i64>,
    /// Findings ever raised on this target, and those whose rectification
    /// case is not yet verified or closed.
    pub findings: i64,
    pub open_findings: i64,
    /// Recurring plans: YYYY-MM-DD, the plan's due date until the first
    /// record, then one interval after the latest. Absent for plans that do
    /// not recur (except in the due list, where it is the plan's due date).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_due: Option<String>,
    /// Recurring plans: whether `next_due` is before today.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overdue: Option<bool>,
}

wangge_core::wire_enum! {
    /// Where a target stands, derived from its records and its findings' cases.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum TargetStatus {
        /// 未检查
        Todo => "todo",
        /// 已检查: inspected, nothing found.
        Inspected => "inspected",
        /// 发现问题: a finding is still being rectified.
        Found => "found",
        /// 已销号: every finding's case was verified or closed.
        Cleared => "cleared",
    }
}

impl TargetStatus {
    pub fn label_zh(self) -> &'static str {
        match self {
            TargetStatus::Todo => "未检查",
            TargetStatus::Inspected => "已检查",
            TargetStatus::Found => "发现问题",
            TargetStatus::Cleared => "已销号",
        }
    }
}

impl Target {
    pub fn status(&self) -> TargetStatus {
        match (self.records, self.findings, self.open_findings) {
            (0, 0, _) => TargetStatus::Todo,
            (_, 0, _) => TargetStatus::Inspected,
            (_, _, 0) => TargetStatus::Cleared,
            _ => TargetStatus::Found,
        }
    }
}

/// What a plan row holds beyond [`Plan`]: the path that decides who may see it.
#[derive(Debug, Clone)]
pub(crate) struct PlanRow {
    pub plan: Plan,
    pub unit_path: String,
    /// The offices supervising some of its targets, read only for department
    /// handlers (see [`with_target_offices`]).
    pub target_offices: Vec<i64>,
}

const SELECT: &str = "SELECT p.id, p.name, t.code, t.version, t.name, u.code, u.name,
    p.issuing_org_id, io.name, p.supervising_org_id, so.name, p.inspector_org_id, xo.name,
    p.inspectors, p.due_date, p.created_by,
    (SELECT COUNT(*) FROM inspection_targets g WHERE g.plan_id = p.id), p.unit_path,
    p.recurrence, p.recurrence_days
    FROM inspection_plans p
    JOIN inspection_templates t ON t.id = p.template_id
    JOIN units u ON u.id = p.unit_id
    JOIN organisations io ON io.id = p.issuing_org_id
    LEFT JOIN organisations so ON so.id = p.supervising_org_id
    LEFT JOIN organisations xo ON xo.id = p.inspector_org_id";

fn from_row(r: &Row) -> Result<PlanRow> {
    Ok(PlanRow {
        plan: Plan {
            id: r.get(0)?,
            name: r.get(1)?,
            template_code: r.get(2)?,
            template_version: r.get(3)?,
            template_name: r.get(4)?,
            unit: r.get(5)?,
            unit_name: r.get(6)?,
            issuing_org_id: r.get(7)?,
            issuing_org_name: r.get(8)?,
            supervising_org_id: r.get(9)?,
            supervising_org_name: r.get(10)?,
            inspector_org_id: r.get(11)?,
            inspector_org_name: r.get(12)?,
            inspectors: super::from_json("plan inspectors", &r.get::<String>(13)?)?,
            due_date: r.get(14)?,
            created_by: r.get(15)?,
            targets: r.get(16)?,
            recurrence: r
                .get::<Option<String>>(18)?
                .map(|s| {
                    Recurrence::parse(&s)
                        .ok_or_else(|| Error::Db(format!("unknown plan recurrence {s:?}")))
                })
                .transpose()?,
            recurrence_days: r.get(19)?,
        },
        unit_path: r.get(17)?,
        target_offices: Vec::new(),
    })
}

/// Fills in the target offices when the caller is a department handler, the
/// only role whose view of a plan depends on them.
fn with_target_offices(c: &mut dyn Conn, ctx: &Ctx, mut row: PlanRow) -> Result<PlanRow> {
    if ctx.role == Some(Role::DeptHandler) {
        let rows = c.query(
            "SELECT DISTINCT supervising_org_id FROM inspection_targets
             WHERE plan_id = $1 AND supervising_org_id IS NOT NULL",
            params![row.plan.id],
        )?;
        row.target_offices = rows.iter().map(|r| r.get(0)).collect::<Result<_>>()?;
    }
    Ok(row)
}

/// Whether the caller may see this plan (see the module documentation).
pub(crate) fn visible(ctx: &Ctx, p: &PlanRow) -> bool {
    match ctx.role {
        None => true,
        Some(Role::DeptHandler) => ctx.org_id.is_some_and(|o| {
            o == p.plan.issuing_org_id
                || Some(o) == p.plan.supervising_org_id
                || Some(o) == p.plan.inspector_org_id
                || p.target_offices.contains(&o)
        }),
        Some(_) => match &ctx.scope {
            Scope::All => true,
            Scope::Subtree(root) => {
                p.unit_path.starts_with(root.as_str())
                    || root.starts_with(p.unit_path.as_str())
                    || p.plan.inspectors.contains(&ctx.actor)
            }
        },
    }
}

/// A plan the caller may see.
pub(crate) fn load(c: &mut dyn Conn, ctx: &Ctx, id: i64) -> Result<PlanRow> {
    ctx.require(Permission::InspectionsRead)?;
    let r = c
        .query_opt(&format!("{SELECT} WHERE p.id = $1"), params![id])?
        .ok_or_else(|| Error::not_found("inspection plan"))?;
    let row = with_target_offices(c, ctx, from_row(&r)?)?;
    if visible(ctx, &row) {
        Ok(row)
    } else {
        Err(Error::not_found("inspection plan"))
    }
}

pub fn get_plan(c: &mut dyn Conn, ctx: &Ctx, id: i64) -> Result<Plan> {
    Ok(load(c, ctx, id)?.plan)
}

/// The plans the caller may see, newest first (at most 500).
pub fn list_plans(c: &mut dyn Conn, ctx: &Ctx) -> Result<Vec<Plan>> {
    ctx.require(Permission::InspectionsRead)?;
    // Narrow in SQL where the scope allows it; `visible` decides.
    let (cond, args): (String, Vec<Value>) = match (ctx.role, &ctx.scope) {
        (Some(Role::DeptHandler), _) => (
            "p.issuing_org_id = $1 OR p.supervising_org_id = $1 OR p.inspector_org_id = $1
             OR EXISTS (SELECT 1 FROM inspection_targets g
                        WHERE g.plan_id = p.id AND g.supervising_org_id = $1)"
                .into(),
            vec![Value::from(ctx.org_id.unwrap_or(-1))],
        ),
        (_, Scope::Subtree(root)) => {
            let (lo, hi) = subtree_range(root);
            (
                "(p.unit_path >= $1 AND p.unit_path < $2)
                 OR substr($3, 1, length(p.unit_path)) = p.unit_path
                 OR p.inspectors LIKE $4"
                    .into(),
                vec![
                    Value::from(lo),
                    Value::from(hi),
                    Value::from(root.as_str()),
                    Value::from(format!("%{}%", to_json(&ctx.actor)?)),
                ],
            )
        }
        _ => ("1 = 1".into(), Vec::new()),
    };
    let rows = c.query(
        &format!("{SELECT} WHERE {cond} ORDER BY p.id DESC LIMIT 500"),
        &args,
    )?;
    let mut out = Vec::new();
    for r in &rows {
        let row = with_target_offices(c, ctx, from_row(r)?)?;
        if visible(ctx, &row) {
            out.push(row.plan);
        }
    }
    Ok(out)
}

fn check_inspectors(c: &mut dyn Conn, names: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let n = n.trim().to_string();
        let role = c
            .query_opt(
                "SELECT role FROM users WHERE username = $1 AND disabled = 0",
                params![n.as_str()],
            )?
            .map(|r| r.get::<String>(0))
            .transpose()?
            .and_then(|r| Role::parse(&r).ok());
        match role {
            Some(r) if r.can(Permission::InspectionsRecord) => {}
            Some(_) => {
                return Err(invalid(
                    &format!("inspectors[{i}]"),
                    "not_an_inspector",
                    format!("账号“{n}”的角色不能填写检查记录"),
                    format!("account '{n}' has a role that cannot record inspections"),
                ))
            }
            None => {
                return Err(invalid(
                    &format!("inspectors[{i}]"),
                    "unknown_user",
                    format!("账号“{n}”不存在或已停用"),
                    format!("no active account '{n}'"),
                ))
            }
        }
        if !out.contains(&n) {
            out.push(n);
        }
    }
    Ok(out)
}

/// Creates a plan, resolving its filters to targets now: the plan inspects
/// what existed when it was made.
pub fn create_plan(c: &mut dyn Conn, ctx: &Ctx, new: NewPlan) -> Result<Plan> {
    ctx.require(Permission::InspectionsManage)?;
    let name = check_text("name", &new.name, 100)?;
    let tpl = match templates::get_template(c, ctx, &new.template, new.template_version) {
        Ok(t) => t,
        Err(Error::NotFound { .. }) => {
            let v = new
                .template_version
                .map_or(String::new(), |v| format!(" v{v}"));
            return Err(invalid(
                if new.template_version.is_some() {
                    "template_version"
                } else {
                    "template"
                },
                "unknown_template",
                format!("检查表模板“{}{v}”不存在", new.template),
                format!("no checklist template '{}'{v}", new.template),
            ));
        }
        Err(e) => return Err(e),
    };
    let (unit_id, unit_path, _) = unit_in_scope(c, ctx, "unit", &new.unit)?;
    org_name(c, "issuing_org_id", new.issuing_org_id)?;
    if let Some(o) = new.supervising_org_id {
        org_name(c, "supervising_org_id", o)?;
    }
    if let Some(o) = new.inspector_org_id {
        org_name(c, "inspector_org_id", o)?;
    }
    let inspectors = check_inspectors(c, &new.inspectors)?;
    if inspectors.is_empty() && new.inspector_org_id.is_none() {
        return Err(invalid(
            "inspectors",
            "required",
            "请指定检查人员或第三方检查机构",
            "name the inspectors or a third-party inspecting organisation",
        ));
    }
    let due = parse_date("due_date", &new.due_date)?;
    if due < ctx.today() {
        return Err(invalid(
            "due_date",
            "due_in_past",
            format!("完成日期{due}早于今天"),
            format!("the due date {due} is before today"),
        ));
    }
    let cadence = check_recurrence(new.recurrence, new.recurrence_days)?;
    if new.targets.is_empty() {
        return Err(invalid(
            "targets",
            "required",
            "请至少指定一类检查对象",
            "give at least one target filter",
        ));
    }
    let mut targets: Vec<super::targets::Resolved> = Vec::new();
    for (i, f) in new.targets.iter().enumerate() {
        for t in super::targets::resolve(c, ctx, i, f, &unit_path)? {
            if !targets
                .iter()
                .any(|x| x.kind == t.kind && x.ref_id == t.ref_id)
            {
                targets.push(t);
            }
        }
        if targets.len() > super::targets::MAX_TARGETS {
            return Err(invalid(
                "targets",
                "too_many",
                format!("一个计划最多{}个检查对象", super::targets::MAX_TARGETS),
                format!("a plan has at most {} targets", super::targets::MAX_TARGETS),
            ));
        }
    }
    if targets.is_empty() {
        return Err(invalid(
            "targets",
            "no_targets",
            "筛选条件没有找到任何检查对象",
            "the filters chose no targets",
        ));
    }
    let id: i64 = c
        .query_one(
            "INSERT INTO inspection_plans (name, template_id, unit_id, unit_path, issuing_org_id,
                supervising_org_id, inspector_org_id, inspectors, due_date, created_by, created_at,
                recurrence, recurrence_days)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
            params![
                name.as_str(),
                tpl.id,
                unit_id,
                unit_path.as_str(),
                new.issuing_org_id,
                new.supervising_org_id,
                new.inspector_org_id,
                to_json(&inspectors)?,
                due.to_string(),
                ctx.actor.as_str(),
                ctx.now_ms(),
                cadence.map(|k| k.stored().0.as_str()),
                cadence.and_then(|k| k.stored().1)
            ],
        )?
        .get(0)?;
    for t in &targets {
        let office = super::offices::office_for(
            c,
            new.issuing_org_id,
            &t.unit_path,
            new.supervising_org_id,
        )?;
        c.execute(
            "INSERT INTO inspection_targets (plan_id, kind, ref_id, label, grp, unit_id, unit_path,
                responsible_org_id, supervising_org_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            params![
                id,
                t.kind.as_str(),
                t.ref_id,
                t.label.as_str(),
                t.group.as_str(),
                t.unit_id,
                t.unit_path.as_str(),
                t.responsible,
                office
            ],
        )?;
    }
    audit::record(
        c,
        ctx,
        "inspection_plan",
        id,
        "create",
        json!({"template": tpl.code, "version": tpl.version, "targets": targets.len(),
               "recurrence": new.recurrence.filter(|_| cadence.is_some()).map(Recurrence::as_str)}),
    )?;
    get_plan(c, ctx, id)
}
