//! Registration requests (迁入申请). Registering an ID number that is already
//! registered outside the caller's scope must not tell them so (that would make
//! every create an oracle for any ID number in the city): it becomes a request
//! to the staff of the unit that holds the person, who accept it (the person
//! moves to the requested unit) or refuse it. The values the caller typed are
//! not kept; who asked, for which unit, and the outcome are.

use crate::ctx::{ms_to_time, Ctx};
use crate::db::Conn;
use crate::error::{Error, Result};
use crate::{audit, params};
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;
use wangge_core::auth::Permission;
use wangge_core::Error as CoreError;

/// Requests one account may make in 24 hours: enough for a day's real moves,
/// few enough that probing ID numbers this way is slow and shows in the log.
pub const PER_DAY: i64 = 20;

const DAY_MS: i64 = 24 * 3600 * 1000;

/// How many more requests the caller may make now.
pub fn remaining(c: &mut dyn Conn, ctx: &Ctx) -> Result<i64> {
    let made: i64 = c
        .query_one(
            "SELECT COUNT(*) FROM registration_requests WHERE requested_by = $1 AND created_at > $2",
            params![ctx.actor.as_str(), ctx.now_ms() - DAY_MS],
        )?
        .get(0)?;
    Ok((PER_DAY - made).max(0))
}

/// Records a request to register `person` (outside the caller's scope) at
/// `unit_id` (inside it), and audits it without any personal value.
pub(crate) fn request(c: &mut dyn Conn, ctx: &Ctx, person: i64, unit_id: i64) -> Result<i64> {
    ctx.require(Permission::RegistryWrite)?;
    if remaining(c, ctx)? == 0 {
        return Err(Error::RequestLimit { per_day: PER_DAY });
    }
    let id: i64 = c
        .query_one(
            "INSERT INTO registration_requests (person_id, requested_by, unit_id, status, created_at)
             VALUES ($1, $2, $3, 'pending', $4) RETURNING id",
            params![person, ctx.actor.as_str(), unit_id, ctx.now_ms()],
        )?
        .get(0)?;
    audit::record(
        c,
        ctx,
        "person",
        person,
        "registration_requested",
        json!({"request": id}),
    )?;
    Ok(id)
}

/// One request. The person's id and name are there only for the staff who
/// decide it (the person is in their scope); the requester sees the outcome.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegistrationRequest {
    pub id: i64,
    /// pending, accepted or refused.
    pub status: String,
    /// The code of the unit (in the requester's scope) the person is to be
    /// registered at.
    pub unit: String,
    pub requested_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<OffsetDateTime>,
    /// Who decided; only in the deciders' view.
    pub decided_by: Option<String>,
}

/// What the caller has to decide, and what became of their own requests.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Requests {
    /// Pending requests for people in the caller's scope.
    pub to_decide: Vec<RegistrationRequest>,
    /// The caller's own requests, newest first (the last 100).
    pub mine: Vec<RegistrationRequest>,
}

const SELECT: &str = "SELECT r.id, r.status, u.code, r.requested_by, r.person_id, p.name,
    r.created_at, r.decided_at, r.decided_by, p.unit_path
    FROM registration_requests r JOIN units u ON u.id = r.unit_id JOIN people p ON p.id = r.person_id";

fn from_row(r: &crate::db::Row, owner: bool) -> Result<RegistrationRequest> {
    Ok(RegistrationRequest {
        id: r.get(0)?,
        status: r.get(1)?,
        unit: r.get(2)?,
        requested_by: r.get(3)?,
        person_id: owner.then(|| r.get(4)).transpose()?,
        person_name: owner.then(|| r.get(5)).transpose()?,
        created_at: ms_to_time(r.get(6)?),
        decided_at: r.get::<Option<i64>>(7)?.map(ms_to_time),
        // The decider's account would name the unit that holds the person.
        decided_by: if owner { r.get(8)? } else { None },
    })
}

pub fn list(c: &mut dyn Conn, ctx: &Ctx) -> Result<Requests> {
    ctx.require(Permission::RegistryWrite)?;
    // Pending requests are few (each account makes at most PER_DAY a day),
    // so the scope is checked here rather than in SQL.
    let mut to_decide = Vec::new();
    for r in c.query(
        &format!("{SELECT} WHERE r.status = 'pending' ORDER BY r.id LIMIT 5000"),
        &[],
    )? {
        if ctx.scope.contains(&r.get::<String>(9)?) {
            to_decide.push(from_row(&r, true)?);
        }
    }
    let mine = c
        .query(
            &format!("{SELECT} WHERE r.requested_by = $1 ORDER BY r.id DESC LIMIT 100"),
            params![ctx.actor.as_str()],
        )?
        .iter()
        .map(|r| from_row(r, false))
        .collect::<Result<_>>()?;
    Ok(Requests { to_decide, mine })
}

/// Accepts (the person moves to the requested unit, leaving their household,
/// which belongs to the old place) or refuses a pending request for a person
/// in the caller's scope; either is audited.
pub fn decide(c: &mut dyn Conn, ctx: &Ctx, id: i64, accept: bool) -> Result<RegistrationRequest> {
    ctx.require(Permission::RegistryWrite)?;
    let r = c
        .query_opt(&format!("{SELECT} WHERE r.id = $1"), params![id])?
        .ok_or_else(|| Error::not_found("registration request"))?;
    if !ctx.scope.contains(&r.get::<String>(9)?) {
        return Err(Error::not_found("registration request"));
    }
    let request = from_row(&r, true)?;
    if request.status != "pending" {
        return Err(CoreError::conflict(
            "request_decided",
            "该登记申请已处理",
            "this registration request was already decided",
        )
        .into());
    }
    let person = request.person_id.unwrap_or_default();
    let now = ctx.now_ms();
    let status = if accept { "accepted" } else { "refused" };
    c.execute(
        "UPDATE registration_requests SET status = $1, decided_at = $2, decided_by = $3 WHERE id = $4",
        params![status, now, ctx.actor.as_str(), id],
    )?;
    if accept {
        // The requested unit as it is now (its path may have moved since).
        let unit = c.query_one(
            "SELECT u.id, u.path FROM registration_requests r JOIN units u ON u.id = r.unit_id
             WHERE r.id = $1",
            params![id],
        )?;
        let (unit_id, path): (i64, String) = (unit.get(0)?, unit.get(1)?);
        c.execute(
            "UPDATE people SET unit_id = $1, unit_path = $2, household_id = NULL, relation = NULL,
             version = version + 1, updated_at = $3 WHERE id = $4",
            params![unit_id, path.as_str(), now, person],
        )?;
    }
    audit::record(
        c,
        ctx,
        "person",
        person,
        if accept {
            "registration_accepted"
        } else {
            "registration_refused"
        },
        json!({"request": id, "unit": request.unit}),
    )?;
    Ok(RegistrationRequest {
        status: status.into(),
        decided_at: Some(ms_to_time(now)),
        decided_by: Some(ctx.actor.clone()),
        ..request
    })
}
