//! Where units are on the ground, and which are near a position: the report
//! form lists the places near a resident first, and a report with a position
//! and no place goes to the nearest unit.

use super::{from_row, get, get_by_id, Unit, SELECT};
use crate::ctx::{subtree_range, Ctx};
use crate::db::{Conn, Value};
use crate::error::Result;
use crate::{audit, params};
use serde_json::json;
use wangge_core::auth::Permission;
use wangge_core::geo::{self, Point};

/// A unit and how far it is from the position asked about.
#[derive(Debug, Clone)]
pub struct Near {
    pub unit: Unit,
    pub distance_m: f64,
}

/// Sets (both given) or clears (neither) a unit's position.
pub fn set_position(
    c: &mut dyn Conn,
    ctx: &Ctx,
    code: &str,
    lat: Option<f64>,
    lon: Option<f64>,
) -> Result<Unit> {
    ctx.require(Permission::TreeWrite)?;
    let unit = get(c, ctx, code)?;
    let at = geo::coordinates(lat, lon)?;
    c.execute(
        "UPDATE units SET lat = $1, lon = $2, updated_at = $3 WHERE id = $4",
        params![at.map(|p| p.0), at.map(|p| p.1), ctx.now_ms(), unit.id],
    )?;
    audit::record(
        c,
        ctx,
        "unit",
        unit.id,
        "position",
        json!({"lat": at.map(|p| p.0), "lon": at.map(|p| p.1)}),
    )?;
    get_by_id(c, ctx, unit.id)
}

/// The units with a position within `radius_m` of `at`, nearest first, at
/// most `limit`, within the caller's scope.
pub fn nearest(
    c: &mut dyn Conn,
    ctx: &Ctx,
    at: Point,
    radius_m: f64,
    limit: usize,
) -> Result<Vec<Near>> {
    ctx.require(Permission::RegistryRead)?;
    let (south, north, west, east) = geo::bounds(at, radius_m);
    let mut sql = format!("{SELECT} WHERE u.lat BETWEEN $1 AND $2 AND u.lon BETWEEN $3 AND $4");
    let mut args: Vec<Value> = vec![south.into(), north.into(), west.into(), east.into()];
    if let crate::Scope::Subtree(p) = &ctx.scope {
        let (lo, hi) = subtree_range(p);
        sql.push_str(" AND u.path >= $5 AND u.path < $6");
        args.extend([lo.into(), hi.into()]);
    }
    // A box of 2 km holds a few hundred units at most in a dense town; the
    // cap only guards against a radius far larger than anyone should ask.
    sql.push_str(" LIMIT 5000");
    let mut near = Vec::new();
    for r in &c.query(&sql, &args)? {
        let unit = from_row(r)?;
        if let (Some(la), Some(lo)) = (unit.lat, unit.lon) {
            let distance_m = geo::distance_m(at, (la, lo));
            if distance_m <= radius_m {
                near.push(Near { unit, distance_m });
            }
        }
    }
    near.sort_by(|a, b| {
        a.distance_m
            .total_cmp(&b.distance_m)
            // At the same spot the deeper unit is the more precise place.
            .then(b.unit.depth.cmp(&a.unit.depth))
    });
    near.truncate(limit);
    Ok(near)
}

/// How far beyond the outermost located places a position may lie and still
/// count as inside the zone.
pub const ZONE_MARGIN_M: f64 = 5000.0;

/// Refuses a position far outside the zone: a phone's fix from another city,
/// latitude and longitude swapped. The zone is the box around its located
/// places and `ZONE_MARGIN_M` beyond; with no located place there is nothing
/// to compare with, and every position passes.
pub fn check_in_zone(c: &mut dyn Conn, at: Point) -> Result<()> {
    let r = c.query_one(
        "SELECT MIN(lat), MAX(lat), MIN(lon), MAX(lon) FROM units WHERE lat IS NOT NULL",
        &[],
    )?;
    let (Some(s), Some(n), Some(w), Some(e)) = (
        r.get::<Option<f64>>(0)?,
        r.get::<Option<f64>>(1)?,
        r.get::<Option<f64>>(2)?,
        r.get::<Option<f64>>(3)?,
    ) else {
        return Ok(());
    };
    let (south, _, west, _) = geo::bounds((s, w), ZONE_MARGIN_M);
    let (_, north, _, east) = geo::bounds((n, e), ZONE_MARGIN_M);
    if (south..=north).contains(&at.0) && (west..=east).contains(&at.1) {
        return Ok(());
    }
    Err(wangge_core::Error::invalid(
        "lat",
        "outside_zone",
        format!(
            "位置(纬度{},经度{})不在本区范围内(离本区已定位的地点超过5公里),请检查定位或不填位置",
            at.0, at.1
        ),
        format!(
            "the position (latitude {}, longitude {}) is outside the zone (more than 5 km beyond its located places); check it, or leave it out",
            at.0, at.1
        ),
    )
    .into())
}
