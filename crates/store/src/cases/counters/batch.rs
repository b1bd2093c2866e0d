//! Writing counter deltas: the daily rows and their roll-ups, each table in
//! one multi-row upsert.

use super::{day_of, Delta, COLS, NCOLS};
use crate::db::{Conn, Value};
use crate::error::Result;
use std::collections::BTreeMap;

type Key = (i64, i64, i64);

/// Deltas gathered before writing, so a rebuild writes each row once and a
/// single event writes each table in one statement.
#[derive(Default)]
pub(crate) struct Batch {
    rows: BTreeMap<Key, Delta>,
    hist: BTreeMap<(i64, i64, i64, i64), i64>,
}

/// Rows per multi-row upsert: 64 × 18 parameters stays far below both
/// backends' limits.
const CHUNK: usize = 64;

/// Adds `rows` (key columns, then value columns) to `table`, one statement per
/// [`CHUNK`] rows; keys must be distinct, as PostgreSQL refuses to update one
/// row twice in a statement.
fn upsert(
    c: &mut dyn Conn,
    table: &str,
    keys: &[&str],
    vals: &[&str],
    rows: &[Vec<i64>],
) -> Result<()> {
    let width = keys.len() + vals.len();
    let sets: Vec<String> = vals
        .iter()
        .map(|k| format!("{k} = {table}.{k} + excluded.{k}"))
        .collect();
    for chunk in rows.chunks(CHUNK) {
        let tuples: Vec<String> = (0..chunk.len())
            .map(|r| {
                let marks: Vec<String> =
                    (1..=width).map(|i| format!("${}", r * width + i)).collect();
                format!("({})", marks.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO {table} ({}, {}) VALUES {} ON CONFLICT ({}) DO UPDATE SET {}",
            keys.join(", "),
            vals.join(", "),
            tuples.join(", "),
            keys.join(", "),
            sets.join(", ")
        );
        let args: Vec<Value> = chunk
            .iter()
            .flat_map(|r| r.iter().map(|v| Value::Int(*v)))
            .collect();
        c.execute(&sql, &args)?;
    }
    Ok(())
}

impl Batch {
    pub fn add(&mut self, unit_path: &str, category_id: i64, at_ms: i64, d: &Delta) {
        self.add_signed(unit_path, category_id, at_ms, d, 1);
    }

    /// Adds (`sign` 1) or takes away (`sign` -1) one entry's delta.
    pub fn add_signed(
        &mut self,
        unit_path: &str,
        category_id: i64,
        at_ms: i64,
        d: &Delta,
        sign: i64,
    ) {
        if d.is_zero() {
            return;
        }
        let mut d = *d;
        d.values.iter_mut().for_each(|v| *v *= sign);
        let day = day_of(at_ms);
        for unit in super::super::routes::path_ids(unit_path) {
            self.rows
                .entry((unit, day, category_id))
                .or_default()
                .add(&d);
            if let Some(b) = d.bucket {
                *self.hist.entry((unit, day, category_id, b)).or_default() += sign;
            }
        }
    }

    /// Writes the daily rows and every roll-up derived from them (see
    /// migration 0008): per month, and without the category for the
    /// histogram and the escalations.
    pub fn flush(self, c: &mut dyn Conn) -> Result<()> {
        let esc = COLS.iter().position(|k| *k == "escalations").unwrap_or(14);
        let mut month: BTreeMap<Key, [i64; NCOLS]> = BTreeMap::new();
        let mut esc_day: BTreeMap<(i64, i64), i64> = BTreeMap::new();
        let mut esc_month: BTreeMap<(i64, i64), i64> = BTreeMap::new();
        let mut daily = Vec::with_capacity(self.rows.len());
        for ((unit, day, cat), d) in &self.rows {
            let m = month.entry((*unit, day / 100, *cat)).or_default();
            for (a, b) in m.iter_mut().zip(d.values.iter()) {
                *a += b;
            }
            if d.values[esc] != 0 {
                *esc_day.entry((*unit, *day)).or_default() += d.values[esc];
                *esc_month.entry((*unit, day / 100)).or_default() += d.values[esc];
            }
            let mut r = vec![*unit, *day, *cat];
            r.extend_from_slice(&d.values);
            daily.push(r);
        }
        let monthly: Vec<Vec<i64>> = month
            .into_iter()
            .map(|((u, m, cat), v)| {
                let mut r = vec![u, m, cat];
                r.extend_from_slice(&v);
                r
            })
            .collect();
        upsert(
            c,
            "case_counters",
            &["unit_id", "day", "category_id"],
            &COLS,
            &daily,
        )?;
        upsert(
            c,
            "case_counters_month",
            &["unit_id", "month", "category_id"],
            &COLS,
            &monthly,
        )?;
        let pairs = |m: BTreeMap<(i64, i64), i64>| -> Vec<Vec<i64>> {
            m.into_iter().map(|((a, b), n)| vec![a, b, n]).collect()
        };
        upsert(
            c,
            "case_esc_day",
            &["unit_id", "day"],
            &["n"],
            &pairs(esc_day),
        )?;
        upsert(
            c,
            "case_esc_month",
            &["unit_id", "month"],
            &["n"],
            &pairs(esc_month),
        )?;
        if self.hist.is_empty() {
            return Ok(());
        }
        let mut hist_day: BTreeMap<(i64, i64, i64), i64> = BTreeMap::new();
        let mut hist_month: BTreeMap<(i64, i64, i64), i64> = BTreeMap::new();
        let mut hist_cat_month: BTreeMap<(i64, i64, i64, i64), i64> = BTreeMap::new();
        let mut hist = Vec::with_capacity(self.hist.len());
        for ((unit, day, cat, b), n) in self.hist {
            *hist_day.entry((unit, day, b)).or_default() += n;
            *hist_month.entry((unit, day / 100, b)).or_default() += n;
            *hist_cat_month.entry((unit, day / 100, cat, b)).or_default() += n;
            hist.push(vec![unit, day, cat, b, n]);
        }
        let triples = |m: BTreeMap<(i64, i64, i64), i64>| -> Vec<Vec<i64>> {
            m.into_iter()
                .map(|((a, b, k), n)| vec![a, b, k, n])
                .collect()
        };
        upsert(
            c,
            "case_counter_hist",
            &["unit_id", "day", "category_id", "bucket"],
            &["n"],
            &hist,
        )?;
        upsert(
            c,
            "case_hist_day",
            &["unit_id", "day", "bucket"],
            &["n"],
            &triples(hist_day),
        )?;
        upsert(
            c,
            "case_hist_month",
            &["unit_id", "month", "bucket"],
            &["n"],
            &triples(hist_month),
        )?;
        let cat_month: Vec<Vec<i64>> = hist_cat_month
            .into_iter()
            .map(|((u, m, cat, b), n)| vec![u, m, cat, b, n])
            .collect();
        upsert(
            c,
            "case_hist_cat_month",
            &["unit_id", "month", "category_id", "bucket"],
            &["n"],
            &cat_month,
        )
    }
}

/// Every table `Batch::flush` writes, for a rebuild.
pub(crate) const TABLES: [&str; 8] = [
    "case_counters",
    "case_counter_hist",
    "case_counters_month",
    "case_hist_day",
    "case_hist_month",
    "case_hist_cat_month",
    "case_esc_day",
    "case_esc_month",
];
