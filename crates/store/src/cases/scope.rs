//! Who sees which case, as SQL every case query appends: no reader of cases
//! can forget it.
//!
//! | caller | sees |
//! |---|---|
//! | the system (no role) | every case |
//! | zone, street, community, grid staff; auditors | cases whose unit is inside their scope subtree |
//! | department handler | cases where their organisation is lead or co-handler now, or supervises |
//! | resident with an account | the cases they reported |
//! | anyone else | nothing (a case they cannot see is "not found") |

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

/// The caller's view of cases, resolved once per call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Viewer {
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
    Ok(match ctx.role {
        Some(Role::DeptHandler) => Viewer::Org(ctx.org_id),
        Some(Role::Resident) => Viewer::Reporter(account_id(c, ctx)?),
        _ => match &ctx.scope {
            Scope::All => Viewer::Tree(None),
            Scope::Subtree(p) => Viewer::Tree(Some(p.clone())),
        },
    })
}

/// Appends the visibility condition on the case aliased `c`, whose unit is
/// joined as `u` (the unit's current path, so a moved unit takes its cases).
pub(crate) fn restrict(q: &mut Q, v: &Viewer) {
    match v {
        Viewer::Tree(None) => {}
        Viewer::Tree(Some(path)) => {
            let (lo, hi) = subtree_range(path);
            let (lo, hi) = (q.arg(lo), q.arg(hi));
            q.push(&format!(" AND u.path >= {lo} AND u.path < {hi}"));
        }
        Viewer::Org(Some(org)) => {
            let (o, s) = (q.arg(*org), q.arg(*org));
            q.push(&format!(
                " AND (EXISTS (SELECT 1 FROM case_orgs co WHERE co.case_id = c.id AND co.org_id = {o})
                  OR c.supervising_org_id = {s})"
            ));
        }
        Viewer::Reporter(Some(id)) => {
            let p = q.arg(*id);
            q.push(&format!(" AND c.reporter_user_id = {p}"));
        }
        Viewer::Org(None) | Viewer::Reporter(None) => q.push(" AND 1 = 0"),
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
