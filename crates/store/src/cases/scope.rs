//! Who sees which case, as SQL every case query appends: no reader of cases
//! can forget it.
//!
//! | caller | sees |
//! |---|---|
//! | the system (no role) | every case |
//! | zone, street, community, grid staff; auditors | cases whose unit is inside their scope subtree, tips only when their role is among the category's tip readers |
//! | department handler | cases where their organisation is lead or co-handler now, or supervises; and every tip of a category that names their organisation as a reader |
//! | resident with an account | the cases they reported |
//! | anyone else | nothing (a case they cannot see is "not found") |

use super::tip_readers::{tips_for, Tips};
use crate::ctx::{subtree_range, Ctx, Scope};
use crate::db::{Conn, Value};
use crate::error::Result;
use crate::params;
use wangge_core::auth::Role;
use wangge_core::cases::Actor;

/// A query being built: text with `$n` placeholders and their values.
pub(crate) struct Q {
    pub sql: String,
    pub args: Vec<Value>,
}

impl Q {
    pub fn new(sql: impl Into<String>) -> Q {
        Q {
            sql: sql.into(),
            args: Vec::new(),
        }
    }

    /// Adds a value and returns its placeholder.
    pub fn arg(&mut self, v: impl Into<Value>) -> String {
        self.args.push(v.into());
        format!("${}", self.args.len())
    }

    pub fn push(&mut self, s: &str) {
        self.sql.push_str(s);
    }
}

/// The caller's view of cases, resolved once per call: where they reach, and
/// whose tips they read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Viewer {
    pub reach: Reach,
    pub tips: Tips,
}

impl Viewer {
    /// Every case: the store's own follow-up work.
    pub const ALL: Viewer = Viewer {
        reach: Reach::Tree(None),
        tips: Tips::All,
    };
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reach {
    /// Everything, or a unit subtree (materialized path).
    Tree(Option<String>),
    /// A department's cases.
    Org(Option<i64>),
    /// A resident's own reports (their account id, if they have one).
    Reporter(Option<i64>),
}

/// The account of a signed-in caller, as authentication found it or else by
/// user name; `None` for the system and for callers without an account
/// (anonymous residents).
pub(crate) fn account_id(c: &mut dyn Conn, ctx: &Ctx) -> Result<Option<i64>> {
    if ctx.role.is_none() {
        return Ok(None);
    }
    if ctx.user_id.is_some() {
        return Ok(ctx.user_id);
    }
    c.query_opt(
        "SELECT id FROM users WHERE username = $1",
        params![ctx.actor.as_str()],
    )?
    .map(|r| r.get(0))
    .transpose()
}

pub(crate) fn viewer(c: &mut dyn Conn, ctx: &Ctx) -> Result<Viewer> {
    let reach = match ctx.role {
        Some(Role::DeptHandler) => Reach::Org(ctx.org_id),
        Some(Role::Resident) => Reach::Reporter(account_id(c, ctx)?),
        _ => match &ctx.scope {
            Scope::All => Reach::Tree(None),
            Scope::Subtree(p) => Reach::Tree(Some(p.clone())),
        },
    };
    // A reporter sees their own cases, tips included; nobody else's.
    let tips = match reach {
        Reach::Reporter(_) => Tips::Of(Vec::new()),
        _ => tips_for(c, ctx)?,
    };
    Ok(Viewer { reach, tips })
}

/// Appends the visibility condition on the case aliased `c`, whose unit is
/// joined as `u` (the unit's current path, so a moved unit takes its cases).
pub(crate) fn restrict(q: &mut Q, v: &Viewer) {
    let tree_tips = |q: &mut Q| {
        if v.tips != Tips::All {
            q.push(&format!(" AND (c.confidential = 0 OR {})", v.tips.sql()));
        }
    };
    match &v.reach {
        Reach::Tree(None) => tree_tips(q),
        Reach::Tree(Some(path)) => {
            let (lo, hi) = subtree_range(path);
            let (lo, hi) = (q.arg(lo), q.arg(hi));
            q.push(&format!(" AND u.path >= {lo} AND u.path < {hi}"));
            tree_tips(q);
        }
        // The department a tip is dispatched to works it (its text, not its
        // reporter); an organisation named a reader reads the category's tips;
        // a supervising office reads the cases it supervises.
        Reach::Org(Some(org)) => {
            let (o, s) = (q.arg(*org), q.arg(*org));
            q.push(&format!(
                " AND (EXISTS (SELECT 1 FROM case_orgs co WHERE co.case_id = c.id AND co.org_id = {o})
                  OR c.supervising_org_id = {s}
                  OR (c.confidential = 1 AND {}))",
                v.tips.sql()
            ));
        }
        Reach::Reporter(Some(id)) => {
            let p = q.arg(*id);
            q.push(&format!(" AND c.reporter_user_id = {p}"));
        }
        Reach::Org(None) | Reach::Reporter(None) => q.push(" AND 1 = 0"),
    }
}

/// The user id of a caller without an account. Reports by staff without an
/// account record user id 0, and no acting caller has 0, so only the token
/// acts as such a reporter.
pub(crate) const NO_ACCOUNT: i64 = -1;

/// The system acting on its own (the sweep's escalations): the core knows
/// only roles, and supervising is a dispatcher's step.
pub(crate) const SYSTEM_ACTOR: Actor = Actor::User {
    user_id: NO_ACCOUNT,
    role: Role::ZoneAdmin,
    org_id: None,
};

/// The core actor for a caller. A caller without an account gets
/// [`NO_ACCOUNT`], which no case's reporter ever has, so it can never act as
/// some case's reporter.
pub(crate) fn actor_for(c: &mut dyn Conn, ctx: &Ctx) -> Result<Actor> {
    Ok(match ctx.role {
        None => SYSTEM_ACTOR,
        Some(role) => Actor::User {
            user_id: account_id(c, ctx)?.unwrap_or(NO_ACCOUNT),
            role,
            org_id: ctx.org_id,
        },
    })
}

/// How the event log names the caller's role: the role, `reporter` for the
/// holder of a case's token, nothing for the system.
pub(crate) fn actor_role(ctx: &Ctx, actor: &Actor) -> Option<String> {
    match actor {
        Actor::CaseToken => Some("reporter".to_string()),
        Actor::User { .. } => ctx.role.map(|r| r.as_str().to_string()),
    }
}
