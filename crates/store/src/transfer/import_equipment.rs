//! Special equipment (elevators, escalators) from a sheet. The registration
//! code is the key; the columns are the equipment export's, so an export
//! imports again unchanged. A changed row updates what the registry lets an
//! office change (location, use and maintenance unit, model, interval,
//! status) through `equipment::update`, which audits it; the kind, the unit
//! and the dates are history kept by the inspection and maintenance records,
//! so a row that contradicts them is rejected rather than silently rewriting
//! them.

use super::columns::{col, Column, Use};
use super::import::{need, ok, Handler, RowView, Tally};
use super::values::{self, Cell};
use super::RowIssue;
use crate::ctx::Ctx;
use crate::db::Conn;
use crate::equipment::{self, fmt_date, EquipmentPatch, NewEquipment};
use crate::error::{Error, Result};
use crate::params;
use std::collections::HashMap;
use time::Date;
use wangge_core::equipment::{self as rules, EquipmentKind, EquipmentStatus};
use wangge_core::people::check_text;

use Use::{ExportOnly, Optional, Required};

/// The columns, in the order of `EQUIPMENT_HEADERS` (the export's).
pub const COLUMNS: &[Column] = &[
    col(
        "code",
        "使用登记证编号",
        "Registration code",
        &["登记代码", "注册代码", "设备注册代码", "设备代码", "registration_code"],
        Required,
        "使用登记证编号或设备注册代码,每台设备唯一;已登记的设备按此代码更新",
        "the registration certificate number or equipment code, unique; registered equipment is updated by it",
        "梯11鲁R00123(20)",
    ),
    col(
        "kind",
        "设备类别",
        "Kind",
        &["设备种类", "种类", "类别"],
        Required,
        "电梯或自动扶梯",
        "elevator or escalator (电梯, 自动扶梯)",
        "电梯",
    ),
    col(
        "unit_name",
        "所在单元",
        "Unit name",
        &[],
        ExportOnly,
        "导出时填写单元名称;导入按“单元代码”",
        "written by exports; imports go by the unit code",
        "",
    ),
    col(
        "unit",
        "单元代码",
        "Unit code",
        &["所在单位代码", "所在单元代码", "unit_code"],
        Required,
        "设备所在小区、楼栋或场所的单元代码,须在您的管辖范围内",
        "the code of the compound, building or place it stands in, inside your scope",
        "",
    ),
    col(
        "location",
        "位置",
        "Location",
        &["安装位置", "具体位置"],
        Optional,
        "楼栋、单元、梯号等,最多100字",
        "building, entrance, car number; at most 100 characters",
        "1单元东梯",
    ),
    col(
        "use_org",
        "使用单位",
        "Use unit",
        &["使用单位名称", "use_org"],
        Required,
        "已登记组织的名称或统一社会信用代码",
        "a registered organisation's name or credit code",
        "示例物业服务有限公司",
    ),
    col(
        "maintenance_org",
        "维保单位",
        "Maintenance unit",
        &["维护保养单位", "维保单位名称", "maintenance_org"],
        Optional,
        "已登记组织的名称或统一社会信用代码",
        "a registered organisation's name or credit code",
        "",
    ),
    col(
        "model",
        "型号",
        "Model",
        &["设备型号", "型号规格"],
        Optional,
        "型式和型号,最多100字",
        "type and model; at most 100 characters",
        "曳引式乘客电梯",
    ),
    col(
        "installed_on",
        "安装日期",
        "Installed on",
        &["installed_on"],
        Required,
        "不晚于今天",
        "not in the future",
        "2015-05-10",
    ),
    col(
        "last_inspected_on",
        "上次检验日期",
        "Last inspection",
        &["上次定期检验日期", "last_inspected_on"],
        Optional,
        "不早于安装日期、不晚于今天",
        "not before the installation, not in the future",
        "",
    ),
    col(
        "next_inspection_due",
        "下次检验日期",
        "Next inspection due",
        &["下次定期检验日期", "next_inspection_due"],
        Optional,
        "晚于上次检验日期;不填则为上次检验(或安装)后一年",
        "after the last inspection; blank means a year after the last inspection (or installation)",
        "",
    ),
    col(
        "maintenance_interval_days",
        "维保周期(天)",
        "Maintenance interval (days)",
        &["维保周期(天)", "维保周期", "maintenance_interval_days"],
        Optional,
        "1到365天,不填为15天",
        "1 to 365 days; blank means 15",
        "15",
    ),
    col(
        "last_maintained_on",
        "上次维保日期",
        "Last maintenance",
        &["last_maintained_on"],
        Optional,
        "不早于安装日期、不晚于今天",
        "not before the installation, not in the future",
        "",
    ),
    col(
        "maintenance_due",
        "下次维保日期",
        "Maintenance due",
        &[],
        ExportOnly,
        "由维保周期计算,导入时忽略",
        "computed from the interval; ignored by imports",
        "",
    ),
    col(
        "status",
        "状态",
        "Status",
        &["设备状态"],
        Optional,
        "在用、停用或报废,不填为在用;报废的设备不能再改变状态",
        "in use, stopped or scrapped (在用, 停用, 报废); blank means in use; scrapped is final",
        "在用",
    ),
    col(
        "alerts",
        "提醒",
        "Alerts",
        &[],
        ExportOnly,
        "导出时填写,导入时忽略",
        "written by exports; ignored by imports",
        "",
    ),
];

pub struct Rec {
    code: String,
    kind: EquipmentKind,
    unit: String,
    location: Option<String>,
    use_org: String,
    maintenance_org: Option<String>,
    model: Option<String>,
    installed_on: Date,
    last_inspected_on: Option<Date>,
    next_inspection_due: Option<Date>,
    interval: Option<i64>,
    last_maintained_on: Option<Date>,
    status: Option<EquipmentStatus>,
}

#[derive(Default)]
pub struct Equipment {
    /// Codes met in this pass, with the row that first had each.
    seen: HashMap<String, u64>,
    orgs: HashMap<String, Result<i64, RowIssue>>,
}

fn issue(e: Error, column: &'static str) -> RowIssue {
    RowIssue::from_error(&e, Some(column))
}

/// A whole number of days, from a number cell or text.
fn days(cell: Option<&Cell>) -> Result<Option<i64>, RowIssue> {
    let bad = || {
        RowIssue::new(
            "not_a_number",
            "维保周期应填写天数(整数)",
            "the maintenance interval is a whole number of days",
        )
        .at("maintenance_interval_days")
    };
    let Some(cell) = cell else { return Ok(None) };
    match values::text(cell).map_err(|e| e.at("maintenance_interval_days"))? {
        None => Ok(None),
        Some(t) => t.parse::<i64>().map(Some).map_err(|_| bad()),
    }
}

impl Handler for Equipment {
    type Rec = Rec;

    fn begin(&mut self, _c: &mut dyn Conn, _ctx: &Ctx, _write: bool) -> Result<()> {
        *self = Equipment::default();
        Ok(())
    }

    fn parse(&mut self, ctx: &Ctx, row: &RowView<'_>, _write: bool) -> Result<Rec, Vec<RowIssue>> {
        let mut bad = Vec::new();
        let cell = row.ident("code");
        let code = need(&mut bad, "code", cell).and_then(|c| {
            rules::normalise_registration_code(&c)
                .map_err(|e| bad.push(issue(e.into(), "code")))
                .ok()
        });
        let cell = row.text("kind");
        let kind = need(&mut bad, "kind", cell).and_then(|k| {
            EquipmentKind::parse(&k)
                .map_err(|e| bad.push(issue(e.into(), "kind")))
                .ok()
        });
        let cell = row.ident("unit");
        let unit = need(&mut bad, "unit", cell);
        let short = |key: &'static str, bad: &mut Vec<RowIssue>| {
            ok(bad, row.text(key)).and_then(|t| {
                check_text(key, &t, 100)
                    .map_err(|e| bad.push(issue(e.into(), key)))
                    .ok()
            })
        };
        let location = short("location", &mut bad);
        let model = short("model", &mut bad);
        let cell = row.text("use_org");
        let use_org = need(&mut bad, "use_org", cell);
        let maintenance_org = ok(&mut bad, row.text("maintenance_org"));
        let cell = row.date("installed_on");
        let installed_on = need(&mut bad, "installed_on", cell);
        let last_inspected_on = ok(&mut bad, row.date("last_inspected_on"));
        let next_inspection_due = ok(&mut bad, row.date("next_inspection_due"));
        let last_maintained_on = ok(&mut bad, row.date("last_maintained_on"));
        let interval = ok(&mut bad, days(row.cell("maintenance_interval_days"))).and_then(|d| {
            rules::check_interval(d)
                .map_err(|e| bad.push(issue(e.into(), "maintenance_interval_days")))
                .ok()
        });
        let status = ok(&mut bad, row.text("status")).and_then(|s| {
            EquipmentStatus::parse(&s)
                .map_err(|e| bad.push(issue(e.into(), "status")))
                .ok()
        });
        if let Some(installed_on) = installed_on {
            let today = ctx.today();
            let dates = rules::Dates {
                installed_on,
                last_inspected_on,
                next_inspection_due,
            };
            if let Err(e) = rules::check_dates(dates, today) {
                bad.push(date_issue(e));
            }
            if let Some(m) = last_maintained_on {
                if let Err(e) =
                    rules::check_event_date("last_maintained_on", m, installed_on, today)
                {
                    bad.push(date_issue(e));
                }
            }
        }
        match (code, kind, unit, use_org, installed_on) {
            (Some(code), Some(kind), Some(unit), Some(use_org), Some(installed_on))
                if bad.is_empty() =>
            {
                Ok(Rec {
                    code,
                    kind,
                    unit,
                    location,
                    use_org,
                    maintenance_org,
                    model,
                    installed_on,
                    last_inspected_on,
                    next_inspection_due,
                    interval,
                    last_maintained_on,
                    status,
                })
            }
            _ => Err(bad),
        }
    }

    fn process(
        &mut self,
        c: &mut dyn Conn,
        ctx: &Ctx,
        chunk: Vec<(u64, Rec)>,
        write: bool,
        t: &mut Tally,
    ) -> Result<()> {
        for (row, r) in chunk {
            if let Some(first) = self.seen.get(&r.code) {
                t.reject(
                    row,
                    RowIssue::new(
                        "duplicate_in_file",
                        format!("注册代码“{}”与第{first}行重复", r.code),
                        format!("registration code '{}' repeats row {first}", r.code),
                    )
                    .at("code"),
                );
                continue;
            }
            self.seen.insert(r.code.clone(), row);
            if let Err(i) = self.one(c, ctx, r, write, t)? {
                t.reject(row, i);
            }
        }
        Ok(())
    }
}

/// A date-order problem, at the column the rule names.
fn date_issue(e: wangge_core::Error) -> RowIssue {
    let column = match &e {
        wangge_core::Error::Invalid { field, .. } => COLUMNS
            .iter()
            .map(|c| c.key)
            .find(|k| k == field)
            .unwrap_or("installed_on"),
        _ => "installed_on",
    };
    issue(e.into(), column)
}

fn outside_scope(what_zh: &str, what_en: &str, column: &'static str) -> RowIssue {
    RowIssue::new(
        "outside_scope",
        format!("{what_zh}不在您的管辖范围内"),
        format!("{what_en} is outside your scope"),
    )
    .at(column)
}

fn immutable(column: &'static str, zh: &str, en: &str) -> RowIssue {
    RowIssue::new(
        "not_changeable",
        format!("与已登记的{zh}不一致;导入不能修改{zh},请在设备页面登记检验或维保记录"),
        format!(
            "differs from the registered {en}; an import does not change the {en}: record inspections and maintenance on the equipment page"
        ),
    )
    .at(column)
}

impl Equipment {
    /// An organisation by exact name or credit code, among those in the
    /// importer's scope (one outside is unknown, as `equipment::create` says).
    fn org(
        &mut self,
        c: &mut dyn Conn,
        ctx: &Ctx,
        text: &str,
        column: &'static str,
    ) -> Result<Result<i64, RowIssue>> {
        if let Some(found) = self.orgs.get(text) {
            return Ok(found.clone().map_err(|i| RowIssue {
                column: Some(column),
                ..i
            }));
        }
        let mut ids: Vec<i64> = Vec::new();
        for r in c.query(
            "SELECT id, unit_path FROM organisations WHERE name = $1 OR credit_code = $1 ORDER BY id",
            params![text],
        )? {
            if ctx.scope.contains(&r.get::<String>(1)?) {
                ids.push(r.get(0)?);
            }
        }
        let found = match ids.as_slice() {
            [id] => Ok(*id),
            [] => Err(RowIssue::new(
                "unknown_organisation",
                format!("组织“{text}”未登记;请先导入或登记该组织"),
                format!("no organisation '{text}' is registered; import or register it first"),
            )),
            _ => Err(RowIssue::new(
                "ambiguous_organisation",
                format!("名为“{text}”的组织不止一个,请填写统一社会信用代码"),
                format!("more than one organisation is named '{text}'; give its credit code"),
            )),
        };
        self.orgs.insert(text.to_string(), found.clone());
        Ok(found.map_err(|i| i.at(column)))
    }

    fn one(
        &mut self,
        c: &mut dyn Conn,
        ctx: &Ctx,
        r: Rec,
        write: bool,
        t: &mut Tally,
    ) -> Result<Result<(), RowIssue>> {
        let unit = c.query_opt(
            "SELECT path FROM units WHERE code = $1",
            params![r.unit.as_str()],
        )?;
        match unit {
            None => {
                return Ok(Err(RowIssue::new(
                    "unknown_unit",
                    format!("单元代码“{}”不存在", r.unit),
                    format!("there is no unit '{}'", r.unit),
                )
                .at("unit")))
            }
            Some(row) if !ctx.scope.contains(&row.get::<String>(0)?) => {
                return Ok(Err(outside_scope(
                    &format!("单元“{}”", r.unit),
                    &format!("unit '{}'", r.unit),
                    "unit",
                )))
            }
            Some(_) => {}
        }
        let use_org = match self.org(c, ctx, &r.use_org, "use_org")? {
            Ok(id) => id,
            Err(i) => return Ok(Err(i)),
        };
        let maintenance_org = match &r.maintenance_org {
            Some(m) => match self.org(c, ctx, m, "maintenance_org")? {
                Ok(id) => Some(id),
                Err(i) => return Ok(Err(i)),
            },
            None => None,
        };
        let existing = c.query_opt(
            "SELECT id, unit_path FROM equipment WHERE registration_code = $1",
            params![r.code.as_str()],
        )?;
        let Some(existing) = existing else {
            t.created += 1;
            if write {
                let e = equipment::create(
                    c,
                    ctx,
                    NewEquipment {
                        registration_code: r.code,
                        kind: r.kind,
                        unit: r.unit,
                        location: r.location,
                        use_org_id: use_org,
                        maintenance_org_id: maintenance_org,
                        model: r.model,
                        installed_on: fmt_date(r.installed_on),
                        last_inspected_on: r.last_inspected_on.map(fmt_date),
                        next_inspection_due: r.next_inspection_due.map(fmt_date),
                        maintenance_interval_days: r.interval,
                        last_maintained_on: r.last_maintained_on.map(fmt_date),
                    },
                )?;
                if let Some(s) = r.status.filter(|s| *s != e.status) {
                    let patch = EquipmentPatch {
                        status: Some(s),
                        ..EquipmentPatch::default()
                    };
                    equipment::update(c, ctx, e.id, patch)?;
                }
            }
            return Ok(Ok(()));
        };
        let (id, path): (i64, String) = (existing.get(0)?, existing.get(1)?);
        if !ctx.scope.contains(&path) {
            return Ok(Err(outside_scope(
                &format!("注册代码为“{}”的设备", r.code),
                &format!("the equipment registered as '{}'", r.code),
                "code",
            )));
        }
        let cur = equipment::get(c, ctx, id)?;
        let fmt = |d: Option<Date>| d.map(fmt_date);
        if cur.kind != r.kind {
            return Ok(Err(immutable("kind", "设备类别", "kind")));
        }
        if cur.unit != r.unit {
            return Ok(Err(immutable("unit", "所在单元", "unit")));
        }
        if cur.installed_on != fmt_date(r.installed_on) {
            return Ok(Err(immutable(
                "installed_on",
                "安装日期",
                "installation date",
            )));
        }
        if r.last_inspected_on.is_some() && cur.last_inspected_on != fmt(r.last_inspected_on) {
            return Ok(Err(immutable(
                "last_inspected_on",
                "检验日期",
                "inspection dates",
            )));
        }
        if r.next_inspection_due.is_some()
            && Some(cur.next_inspection_due.clone()) != fmt(r.next_inspection_due)
        {
            return Ok(Err(immutable(
                "next_inspection_due",
                "检验日期",
                "inspection dates",
            )));
        }
        if r.last_maintained_on.is_some() && cur.last_maintained_on != fmt(r.last_maintained_on) {
            return Ok(Err(immutable(
                "last_maintained_on",
                "维保日期",
                "maintenance date",
            )));
        }
        let mut patch = EquipmentPatch::default();
        let location = r.location.unwrap_or_default();
        if location != cur.location {
            patch.location = Some(location);
        }
        let model = r.model.unwrap_or_default();
        if model != cur.model {
            patch.model = Some(model);
        }
        if use_org != cur.use_org_id {
            patch.use_org_id = Some(use_org);
        }
        if maintenance_org.is_some() && maintenance_org != cur.maintenance_org_id {
            patch.maintenance_org_id = maintenance_org;
        }
        if let Some(d) = r.interval.filter(|d| *d != cur.maintenance_interval_days) {
            patch.maintenance_interval_days = Some(d);
        }
        if let Some(s) = r.status.filter(|s| *s != cur.status) {
            if let Err(e) = rules::check_status_change(cur.status, s) {
                return Ok(Err(issue(e.into(), "status")));
            }
            patch.status = Some(s);
        }
        let changed = patch.location.is_some()
            || patch.model.is_some()
            || patch.use_org_id.is_some()
            || patch.maintenance_org_id.is_some()
            || patch.maintenance_interval_days.is_some()
            || patch.status.is_some();
        if !changed {
            t.unchanged += 1;
            return Ok(Ok(()));
        }
        t.updated += 1;
        if write {
            equipment::update(c, ctx, id, patch)?;
        }
        Ok(Ok(()))
    }
}
