//! Who reads a tip (举报线索): each confidential category's reader set, roles
//! and named organisations (migration 0015). A minor without its own set takes
//! its major's, a major without one [`TipReaders::default`]. The set decides
//! everything about a confidential case:
//!
//! | caller | sees the tip |
//! |---|---|
//! | in the set (by role, within their scope; by organisation, zone-wide) | in full, reporter included |
//! | the department it is dispatched to (lead or co-handler) | its text, not the reporter |
//! | its reporter (account or token) | as any reporter sees their case |
//! | anyone else | nothing: lists leave it out, reading it is "not found" |
//!
//! Statistics count tips like any case (numbers only, never text).

use crate::ctx::Ctx;
use crate::db::Conn;
use crate::error::Result;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use wangge_core::auth::Role;
use wangge_core::Error as CoreError;

/// The readers of a confidential category's tips.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TipReaders {
    /// Staff roles that read the tips in their scope: `zone_admin`,
    /// `street_staff`, `community_cadre`, `grid_worker`, `auditor`. At least
    /// one of `zone_admin` and `street_staff`, who accept and dispatch them.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Organisations (e.g. the police liaison, 政法委) whose handlers read
    /// every tip of the category, wherever it was filed.
    #[serde(default)]
    pub orgs: Vec<i64>,
}

impl Default for TipReaders {
    fn default() -> TipReaders {
        TipReaders {
            roles: vec![Role::ZoneAdmin, Role::StreetStaff],
            orgs: Vec::new(),
        }
    }
}

impl TipReaders {
    fn admits(&self, ctx: &Ctx) -> bool {
        let by_role = ctx.role.is_some_and(|r| self.roles.contains(&r));
        let by_org = ctx.role == Some(Role::DeptHandler)
            && ctx.org_id.is_some_and(|o| self.orgs.contains(&o));
        by_role || by_org
    }
}

/// Roles a reader set may name: staff with a unit scope, and the auditor.
/// Department handlers are named by organisation; residents never read tips.
const READER_ROLES: [Role; 5] = [
    Role::ZoneAdmin,
    Role::StreetStaff,
    Role::CommunityCadre,
    Role::GridWorker,
    Role::Auditor,
];

/// A reader set as given to be stored: known roles and organisations, each
/// once, and someone to accept and dispatch the tips. Refused with 422 on
/// `tip_readers`.
pub(crate) fn check(c: &mut dyn Conn, r: &TipReaders) -> Result<TipReaders> {
    let bad = |code: &'static str, zh: String, en: String| -> crate::error::Error {
        CoreError::invalid("tip_readers", code, zh, en).into()
    };
    let mut roles: Vec<Role> = Vec::new();
    for role in &r.roles {
        if !READER_ROLES.contains(role) {
            return Err(bad(
                "tip_reader_role",
                format!(
                    "“{}”不能列为举报线索的阅读角色;部门请按单位列入",
                    role.label_zh()
                ),
                format!(
                    "'{}' cannot be a reader role of tips; name departments by organisation",
                    role.as_str()
                ),
            ));
        }
        if !roles.contains(role) {
            roles.push(*role);
        }
    }
    // One order, so that two sets compare equal whatever order they were given in.
    roles.sort_by_key(|r| READER_ROLES.iter().position(|x| x == r));
    if !roles.contains(&Role::ZoneAdmin) && !roles.contains(&Role::StreetStaff) {
        return Err(bad(
            "tip_readers_dispatch",
            "阅读范围须包含区管理员或街道工作人员,否则无人受理和派发线索".to_string(),
            "the readers must include zone administrators or street staff, or nobody can accept and dispatch the tips".to_string(),
        ));
    }
    let mut orgs: Vec<i64> = Vec::new();
    for &org in &r.orgs {
        if orgs.contains(&org) {
            continue;
        }
        let found = c
            .query_opt(
                "SELECT 1 FROM organisations WHERE id = $1",
                crate::params![org],
            )?
            .is_some();
        if !found {
            return Err(bad(
                "unknown_org",
                format!("单位 {org} 不存在"),
                format!("there is no organisation {org}"),
            ));
        }
        orgs.push(org);
    }
    orgs.sort_unstable();
    Ok(TipReaders { roles, orgs })
}

pub(crate) fn parse(raw: Option<String>) -> Result<Option<TipReaders>> {
    raw.map(|s| super::from_json("tip_readers", &s)).transpose()
}

/// Every category's effective reader set, by category id.
pub(crate) fn all(c: &mut dyn Conn) -> Result<HashMap<i64, TipReaders>> {
    let rows = c.query(
        "SELECT id, parent_id, tip_readers FROM case_categories",
        &[],
    )?;
    let mut own: HashMap<i64, (Option<i64>, Option<TipReaders>)> = HashMap::new();
    for r in &rows {
        own.insert(r.get(0)?, (r.get(1)?, parse(r.get(2)?)?));
    }
    Ok(own
        .iter()
        .map(|(&id, (parent, set))| {
            let inherited = parent
                .and_then(|p| own.get(&p))
                .and_then(|(_, s)| s.clone());
            (id, set.clone().or(inherited).unwrap_or_default())
        })
        .collect())
}

/// One category's effective reader set.
pub(crate) fn effective(c: &mut dyn Conn, category_id: i64) -> Result<TipReaders> {
    let row = c.query_opt(
        "SELECT k.tip_readers, p.tip_readers FROM case_categories k
         LEFT JOIN case_categories p ON p.id = k.parent_id WHERE k.id = $1",
        crate::params![category_id],
    )?;
    Ok(match row {
        Some(r) => parse(r.get(0)?)?.or(parse(r.get(1)?)?).unwrap_or_default(),
        None => TipReaders::default(),
    })
}

/// Whose tips a caller reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tips {
    /// The system: every tip.
    All,
    /// The tips of these categories (ids, ascending).
    Of(Vec<i64>),
}

impl Tips {
    /// SQL true for a case aliased `c` whose tip this caller reads. The ids
    /// are the store's own integers, so they are written into the text.
    pub fn sql(&self) -> String {
        match self {
            Tips::All => "1 = 1".to_string(),
            Tips::Of(ids) if ids.is_empty() => "1 = 0".to_string(),
            Tips::Of(ids) => {
                let list: Vec<String> = ids.iter().map(i64::to_string).collect();
                format!("c.category_id IN ({})", list.join(", "))
            }
        }
    }
}

/// The categories whose tips the caller reads.
pub(crate) fn tips_for(c: &mut dyn Conn, ctx: &Ctx) -> Result<Tips> {
    if ctx.role.is_none() {
        return Ok(Tips::All);
    }
    let mut ids: Vec<i64> = all(c)?
        .into_iter()
        .filter(|(_, set)| set.admits(ctx))
        .map(|(id, _)| id)
        .collect();
    ids.sort_unstable();
    Ok(Tips::Of(ids))
}

/// Whether the caller reads the tips of one category (the reporter included).
pub(crate) fn reads(c: &mut dyn Conn, ctx: &Ctx, category_id: i64) -> Result<bool> {
    if ctx.role.is_none() {
        return Ok(true);
    }
    Ok(effective(c, category_id)?.admits(ctx))
}

/// The reader set in words, for the public tip form: "区管理员、街道工作人员和区政法委".
pub(crate) fn describe(c: &mut dyn Conn, r: &TipReaders) -> Result<(String, String)> {
    let mut zh: Vec<String> = r.roles.iter().map(|x| x.label_zh().to_string()).collect();
    let mut en: Vec<String> = r.roles.iter().map(|x| role_en(*x).to_string()).collect();
    for &org in &r.orgs {
        let name: Option<String> = c
            .query_opt(
                "SELECT name FROM organisations WHERE id = $1",
                crate::params![org],
            )?
            .map(|row| row.get(0))
            .transpose()?;
        if let Some(n) = name {
            zh.push(n.clone());
            en.push(n);
        }
    }
    Ok((join(&zh, "、", "和"), join(&en, ", ", " and ")))
}

fn join(items: &[String], sep: &str, last: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., end] => format!("{}{last}{end}", rest.join(sep)),
    }
}

fn role_en(r: Role) -> &'static str {
    match r {
        Role::ZoneAdmin => "zone administrators",
        Role::StreetStaff => "street staff",
        Role::CommunityCadre => "community cadres",
        Role::GridWorker => "grid workers",
        Role::DeptHandler => "department handlers",
        Role::Auditor => "auditors",
        Role::Resident => "residents",
    }
}

/// Who reads the tips of one category a resident may choose, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TipNotice {
    /// The minor category's code.
    pub code: String,
    pub public_name: String,
    /// "区管理员和街道工作人员"
    pub readers_zh: String,
    pub readers_en: String,
}

/// The reader set of every active, public confidential minor category, for
/// the tip form: what it promises is generated from what the store enforces.
pub fn tip_notices(c: &mut dyn Conn) -> Result<Vec<TipNotice>> {
    let cats = super::list_categories(c, false)?;
    let mut out = Vec::new();
    for k in &cats {
        let Some(major) = k.parent.as_deref() else {
            continue;
        };
        let major = cats.iter().find(|m| m.code == major);
        let confidential = k.confidential || major.is_some_and(|m| m.confidential);
        let internal = k.internal || major.is_some_and(|m| m.internal);
        if !confidential || internal {
            continue;
        }
        let (readers_zh, readers_en) = describe(c, &k.tip_readers_effective)?;
        out.push(TipNotice {
            code: k.code.clone(),
            public_name: k.public_name.clone(),
            readers_zh,
            readers_en,
        });
    }
    Ok(out)
}
