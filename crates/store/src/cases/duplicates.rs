//! Likely duplicates, flagged at intake: open cases of the same minor
//! category reported in the last `duplicate_days` days in the same compound
//! (or the same unit, outside a compound), or within `duplicate_radius_m`
//! (haversine). A dispatcher then merges them (`merge.rs`) or not.

use super::routes::path_ids;
use super::scope::Q;
use super::Config;
use crate::db::Conn;
use crate::error::Result;
use crate::params;

/// Great-circle distance in metres.
pub(crate) fn haversine_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    const R: f64 = 6_371_008.8;
    let (la1, lo1) = (a.0.to_radians(), a.1.to_radians());
    let (la2, lo2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().asin()
}

const OPEN_STATES: &str =
    "('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified')";

/// Flags open cases of the same minor category reported in the last
/// `duplicate_days` days in the same compound (or the same unit, outside a
/// compound), or within `duplicate_radius_m`. Returns how many.
pub(crate) fn flag_duplicates(
    c: &mut dyn Conn,
    cfg: &Config,
    id: i64,
    category_id: i64,
    unit_path: &str,
    coords: Option<(f64, f64)>,
    now: i64,
) -> Result<i64> {
    let ids = path_ids(unit_path);
    let mut q = Q::new("SELECT path FROM units WHERE kind = 'compound' AND id IN (");
    let marks: Vec<String> = ids.iter().map(|i| q.arg(*i)).collect();
    q.push(&format!("{}) LIMIT 1", marks.join(", ")));
    let compound: Option<String> = if ids.is_empty() {
        None
    } else {
        c.query_opt(&q.sql, &q.args)?
            .map(|r| r.get(0))
            .transpose()?
    };
    let since = now - i64::from(cfg.duplicate_days) * 86_400_000;
    let mut q = Q::new(format!(
        "SELECT c.id, u.path, c.lat, c.lon FROM cases c JOIN units u ON u.id = c.unit_id
         WHERE c.state IN {OPEN_STATES} AND c.merged_into IS NULL AND "
    ));
    let (cat, since_p, me) = (q.arg(category_id), q.arg(since), q.arg(id));
    q.push(&format!(
        "c.category_id = {cat} AND c.created_at >= {since_p} AND c.id <> {me} AND ("
    ));
    match &compound {
        Some(p) => {
            let (lo, hi) = crate::ctx::subtree_range(p);
            let (lo, hi) = (q.arg(lo), q.arg(hi));
            q.push(&format!("(u.path >= {lo} AND u.path < {hi})"));
        }
        None => {
            let p = q.arg(unit_path);
            q.push(&format!("u.path = {p}"));
        }
    }
    if let Some((la, lo)) = coords {
        let r = cfg.duplicate_radius_m.max(0.0);
        let dlat = r / 111_320.0;
        let dlon = r / (111_320.0 * la.to_radians().cos().abs().max(0.01));
        let (a, b, cc, d) = (
            q.arg(la - dlat),
            q.arg(la + dlat),
            q.arg(lo - dlon),
            q.arg(lo + dlon),
        );
        q.push(&format!(
            " OR (c.lat BETWEEN {a} AND {b} AND c.lon BETWEEN {cc} AND {d})"
        ));
    }
    q.push(") ORDER BY c.id DESC LIMIT 100");
    let in_group = |path: &str| match &compound {
        Some(p) => path.starts_with(p.as_str()),
        None => path == unit_path,
    };
    let mut flagged = 0;
    for r in c.query(&q.sql, &q.args)? {
        let other: i64 = r.get(0)?;
        let path: String = r.get(1)?;
        let theirs: Option<(f64, f64)> = match (r.get::<Option<f64>>(2)?, r.get::<Option<f64>>(3)?)
        {
            (Some(a), Some(b)) => Some((a, b)),
            _ => None,
        };
        let distance = coords.zip(theirs).map(|(a, b)| haversine_m(a, b));
        let reason = if in_group(&path) {
            "same_compound"
        } else if distance.is_some_and(|d| d <= cfg.duplicate_radius_m) {
            "nearby"
        } else {
            continue;
        };
        c.execute(
            "INSERT INTO case_duplicates (case_id, candidate_id, reason, distance_m) VALUES ($1, $2, $3, $4)",
            params![id, other, reason, distance],
        )?;
        flagged += 1;
        if flagged >= 20 {
            break;
        }
    }
    Ok(flagged)
}

#[cfg(test)]
mod tests {
    #[test]
    fn haversine_is_about_right() {
        // One thousandth of a degree of latitude is about 111 m.
        let d = super::haversine_m((35.25, 115.45), (35.251, 115.45));
        assert!((d - 111.2).abs() < 0.5, "{d}");
        assert_eq!(super::haversine_m((35.0, 115.0), (35.0, 115.0)), 0.0);
    }
}
