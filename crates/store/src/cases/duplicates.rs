//! Likely duplicates, flagged at intake: open cases of the same minor
//! category reported in the last `duplicate_days` days in the same compound
//! (or the same unit, outside a compound), or within `duplicate_radius_m`
//! (haversine). A dispatcher then merges them (`merge.rs`) or not.

use super::routes::path_ids;
use super::scope::Q;
use super::Config;
use crate::db::{Conn, Value};
use crate::error::Result;
use crate::params;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use wangge_core::geo::{bounds, distance_m};

const OPEN_STATES: &str =
    "('reported', 'accepted', 'dispatched', 'in_progress', 'handled', 'verified')";

/// How many candidates a report is flagged with, newest first.
const MAX_FLAGGED: usize = 20;

/// Flags open cases of the same minor category reported in the last
/// `duplicate_days` days in the same compound (or the same unit, outside a
/// compound), or within `duplicate_radius_m`. Returns how many.
///
/// Runs on the single writer for every report, in two queries whatever the
/// compound's size (round trips count on PostgreSQL): one finds the compound
/// and its units, one reads per unit the newest open cases of the category in
/// index order (`cases_dup_unit`), at most the limit each however large the
/// backlog. A third, with coordinates only, reads the cases of the category in
/// a band of latitude (`cases_dup_geo`).
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
    let Some(&own_unit) = ids.last() else {
        return Ok(0);
    };
    // Kinds nest in a fixed order, so at most one ancestor is a compound. The
    // upper bound is `subtree_range`'s, in SQL.
    let mut q = Q::new(
        "SELECT u.id, g.path FROM units g JOIN units u
           ON u.path >= g.path AND u.path < substr(g.path, 1, length(g.path) - 1) || '0'
         WHERE g.kind = 'compound' AND g.id IN (",
    );
    let marks: Vec<String> = ids.iter().map(|i| q.arg(*i)).collect();
    q.push(&format!("{})", marks.join(", ")));
    let rows = c.query(&q.sql, &q.args)?;
    let compound: Option<String> = rows.first().map(|r| r.get(1)).transpose()?;
    let group: Vec<i64> = if rows.is_empty() {
        vec![own_unit]
    } else {
        rows.iter().map(|r| r.get(0)).collect::<Result<_>>()?
    };
    let since = now - i64::from(cfg.duplicate_days) * 86_400_000;
    // Candidate id → (reason, distance in metres).
    let mut found: BTreeMap<i64, (&'static str, Option<f64>)> = BTreeMap::new();
    let coords_of = |r: &crate::db::Row, i: usize| -> Result<Option<(f64, f64)>> {
        Ok(
            match (r.get::<Option<f64>>(i)?, r.get::<Option<f64>>(i + 1)?) {
                (Some(a), Some(b)) => Some((a, b)),
                _ => None,
            },
        )
    };
    let mut q = Q::new("");
    let (cat, from, me, limit) = (
        q.arg(category_id),
        q.arg(since),
        q.arg(id),
        q.arg(MAX_FLAGGED as i64),
    );
    let parts: Vec<String> = group
        .iter()
        .enumerate()
        .map(|(i, unit)| {
            let unit = q.arg(*unit);
            format!(
                "SELECT * FROM (SELECT id, lat, lon FROM cases
                   WHERE unit_id = {unit} AND category_id = {cat} AND created_at >= {from}
                     AND id <> {me} AND state IN {OPEN_STATES} AND merged_into IS NULL
                   ORDER BY created_at DESC LIMIT {limit}) AS u{i}"
            )
        })
        .collect();
    q.push(&parts.join(" UNION ALL "));
    for r in &c.query(&q.sql, &q.args)? {
        let distance = coords.zip(coords_of(r, 1)?).map(|(a, b)| distance_m(a, b));
        found.insert(r.get(0)?, ("same_compound", distance));
    }
    if let Some((la, lo)) = coords {
        let (south, north, west, east) = bounds((la, lo), cfg.duplicate_radius_m);
        let rows = c.query(
            &format!(
                "SELECT c.id, u.path, c.lat, c.lon FROM cases c JOIN units u ON u.id = c.unit_id
                 WHERE c.category_id = $1 AND c.lat BETWEEN $2 AND $3 AND c.lon BETWEEN $4 AND $5
                   AND c.created_at >= $6 AND c.id <> $7
                   AND c.state IN {OPEN_STATES} AND c.merged_into IS NULL
                 ORDER BY c.id DESC LIMIT 100"
            ),
            params![category_id, south, north, west, east, since, id],
        )?;
        for row in &rows {
            let other: i64 = row.get(0)?;
            let path: String = row.get(1)?;
            let distance = coords_of(row, 2)?.map(|b| distance_m((la, lo), b));
            let in_group = match &compound {
                Some(p) => path.starts_with(p.as_str()),
                None => path == unit_path,
            };
            if in_group {
                found.insert(other, ("same_compound", distance));
            } else if distance.is_some_and(|d| d <= cfg.duplicate_radius_m) {
                found.entry(other).or_insert(("nearby", distance));
            }
        }
    }
    let newest: Vec<_> = found.into_iter().rev().take(MAX_FLAGGED).collect();
    if newest.is_empty() {
        return Ok(0);
    }
    let mut args: Vec<Value> = Vec::with_capacity(1 + 3 * newest.len());
    args.push(id.into());
    for (other, (reason, distance)) in &newest {
        args.extend([(*other).into(), (*reason).into(), (*distance).into()]);
    }
    c.execute(flag_insert(newest.len()), &args)?;
    Ok(newest.len() as i64)
}

/// The insert of `n` flags (1..=[`MAX_FLAGGED`]) of case `$1`, made once:
/// formatting it for every report showed in the writer's profile.
fn flag_insert(n: usize) -> &'static str {
    static SQL: OnceLock<Vec<String>> = OnceLock::new();
    let all = SQL.get_or_init(|| {
        (0..=MAX_FLAGGED)
            .map(|n| {
                let rows: Vec<String> = (0..n)
                    .map(|i| format!("($1, ${}, ${}, ${})", 3 * i + 2, 3 * i + 3, 3 * i + 4))
                    .collect();
                format!(
                    "INSERT INTO case_duplicates (case_id, candidate_id, reason, distance_m) VALUES {}",
                    rows.join(", ")
                )
            })
            .collect()
    });
    &all[n.min(MAX_FLAGGED)]
}
