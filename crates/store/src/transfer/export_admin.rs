//! Exports of the zone administrator's two lists: the accounts
//! (`/admin/users`, `accounts::list_users`) and the case categories
//! (`/admin/categories`, `cases::list_categories`), each in its page's order
//! and scope. Both need `UsersManage`, the pages' own permission, as well as
//! `Export`. Neither list has filters.
//!
//! An account row holds what the page shows and when it was made; password
//! hashes and tokens are never read. Staff names are shown in full, as on the
//! page: they are the staff's working names, not residents' personal data.

use super::export::{ExportOptions, Exported};
use super::export_list::{allowed, audit_export, scope_line, write_list, ListFile};
use super::import::OnProgress;
use super::sink::Out;
use crate::accounts::{self, User};
use crate::cases::{self, Category, Deadline, DeadlineUnit};
use crate::ctx::{Ctx, CST};
use crate::error::Result;
use crate::Store;
use serde_json::json;
use std::collections::HashMap;
use std::path::Path;
use wangge_core::auth::Permission;

/// The columns of an account export, in order.
pub const ACCOUNT_HEADERS: &[&str] = &[
    "用户名",
    "显示名称",
    "角色",
    "管辖单元",
    "单元名称",
    "所属组织编号",
    "所属组织",
    "状态",
    "创建时间",
];

/// The sheet an account export writes its rows to.
pub const ACCOUNT_SHEET: &str = "账号";

/// The columns of a category export, in order.
pub const CATEGORY_HEADERS: &[&str] = &[
    "分类代码",
    "大类",
    "小类",
    "英文名称",
    "对外名称",
    "状态",
    "保密",
    "受理时限",
    "派遣时限",
    "处置时限",
    "必填字段",
    "派单规则数",
];

/// The sheet a category export writes its rows to.
pub const CATEGORY_SHEET: &str = "事件分类";

/// Exports the accounts the administrator's page lists, by username.
pub async fn export_accounts(
    store: &Store,
    ctx: &Ctx,
    opts: ExportOptions,
    out: &Path,
    progress: Option<OnProgress>,
) -> Result<Exported> {
    let reason = allowed(
        ctx,
        &opts,
        Permission::UsersManage,
        "账号列表没有筛选条件,导出您管辖范围内的全部账号",
        "the account list has no filters; it exports every account in your scope",
    )?;
    audit_export(store, ctx, "accounts", json!({}), opts.format, reason).await?;
    let (cr, out) = (ctx.clone(), out.to_path_buf());
    store
        .db
        .read(move |c| {
            let users = accounts::list_users(c, &cr)?;
            // Names of the units and organisations the accounts are scoped to,
            // read once rather than per row.
            let units: HashMap<String, String> = c
                .query(
                    "SELECT u.code, u.name FROM units u
                     WHERE u.id IN (SELECT scope_unit_id FROM users)",
                    &[],
                )?
                .iter()
                .map(|r| Ok((r.get(0)?, r.get(1)?)))
                .collect::<Result<_>>()?;
            let orgs: HashMap<i64, String> = c
                .query(
                    "SELECT o.id, o.name FROM organisations o
                     WHERE o.id IN (SELECT scope_org_id FROM users)",
                    &[],
                )?
                .iter()
                .map(|r| Ok((r.get(0)?, r.get(1)?)))
                .collect::<Result<_>>()?;
            let file = ListFile {
                sheet: ACCOUNT_SHEET,
                headers: ACCOUNT_HEADERS,
                title: "账号 (accounts)",
                out: &out,
            };
            let lines = scope_line("您管辖范围内的全部账号 / every account in your scope");
            write_list(file, &opts, &cr, &progress, lines, |sink| {
                for u in &users {
                    sink.row(&account_row(u, &units, &orgs))?;
                }
                Ok(users.len() as u64)
            })
        })
        .await
}

fn account_row(u: &User, units: &HashMap<String, String>, orgs: &HashMap<i64, String>) -> Vec<Out> {
    let created = u.created_at.to_offset(CST);
    vec![
        Out::text(&u.username),
        Out::text(&u.display_name),
        Out::text(u.role.label_zh()),
        // The page writes "*" for the whole tree; the file says it.
        Out::text(u.scope_unit.clone().unwrap_or_else(|| "(全区)".into())),
        Out::opt(u.scope_unit.as_ref().and_then(|c| units.get(c).cloned())),
        Out::opt(u.scope_org.map(|o| o.to_string())),
        Out::opt(u.scope_org.and_then(|o| orgs.get(&o).cloned())),
        Out::text(if u.disabled { "已停用" } else { "启用" }),
        Out::text(format!(
            "{} {:02}:{:02}",
            created.date(),
            created.hour(),
            created.minute()
        )),
    ]
}

/// Exports every case category, active or not, by code, as the
/// administrator's category page lists them.
pub async fn export_categories(
    store: &Store,
    ctx: &Ctx,
    opts: ExportOptions,
    out: &Path,
    progress: Option<OnProgress>,
) -> Result<Exported> {
    let reason = allowed(
        ctx,
        &opts,
        Permission::UsersManage,
        "事件分类列表没有筛选条件,导出全部分类",
        "the category list has no filters; it exports every category",
    )?;
    audit_export(store, ctx, "categories", json!({}), opts.format, reason).await?;
    let (cr, out) = (ctx.clone(), out.to_path_buf());
    store
        .db
        .read(move |c| {
            let cats = cases::list_categories(c, true)?;
            let mut routes: HashMap<String, i64> = HashMap::new();
            for r in cases::list_routes(c, None)? {
                *routes.entry(r.category).or_default() += 1;
            }
            let majors: HashMap<&str, &str> = cats
                .iter()
                .filter(|k| k.parent.is_none())
                .map(|k| (k.code.as_str(), k.name_zh.as_str()))
                .collect();
            let file = ListFile {
                sheet: CATEGORY_SHEET,
                headers: CATEGORY_HEADERS,
                title: "事件分类 (categories)",
                out: &out,
            };
            let lines = scope_line("全部分类(含停用) / every category, inactive ones too");
            write_list(file, &opts, &cr, &progress, lines, |sink| {
                for k in &cats {
                    let major = k.parent.as_deref().and_then(|p| majors.get(p).copied());
                    sink.row(&category_row(k, major, &routes))?;
                }
                Ok(cats.len() as u64)
            })
        })
        .await
}

/// "2个工作日", "16个工作小时", or empty when the stage has no limit.
fn limit(d: Option<Deadline>) -> Out {
    Out::opt(d.map(|d| match d.unit {
        DeadlineUnit::WorkingDays => format!("{}个工作日", d.amount),
        DeadlineUnit::WorkingHours => format!("{}个工作小时", d.amount),
    }))
}

fn category_row(k: &Category, major: Option<&str>, routes: &HashMap<String, i64>) -> Vec<Out> {
    // A major fills the major column; a minor names its major and itself.
    let (major, minor) = match (&k.parent, major) {
        (None, _) => (k.name_zh.clone(), String::new()),
        (Some(p), m) => (m.unwrap_or(p).to_string(), k.name_zh.clone()),
    };
    vec![
        Out::text(&k.code),
        Out::text(major),
        Out::text(minor),
        Out::text(&k.name_en),
        Out::text(&k.public_name),
        Out::text(if k.active { "启用" } else { "停用" }),
        Out::text(if k.confidential { "是" } else { "否" }),
        limit(k.deadlines.accept),
        limit(k.deadlines.dispatch),
        limit(k.deadlines.handle),
        Out::text(k.required_fields.join("、")),
        // Routing rules belong to minors; a major shows none, as on the page.
        match k.parent {
            Some(_) => Out::Number(routes.get(&k.code).copied().unwrap_or(0) as f64),
            None => Out::text(""),
        },
    ]
}
