//! The facts ledger: the figures programmes produce (tax paid by an enterprise
//! in a month, households visited in a week, pensioners certified in a year),
//! one value per programme, metric, subject and period, summed per subtree and
//! period as they are written. Dashboards and briefings read a unit's figure in
//! one row whatever lies under it.
//!
//! A fact sits where its subject sits: writing it again for the same subject
//! and period replaces the value (and moves it, if the subject moved); `add`
//! is for counts that grow. The caller names the permission the write or read
//! needs, since a programme's figures are its own business.
//!
//! In a writer's transaction the roll-up changes of all its writes are added
//! up and written just before its commit, by a pre-commit hook ([`Rolls`]), as
//! the case counters do: a batch of facts under one street updates the
//! street's and the zone's rows once. A read of the figures inside the same
//! write does not see that write's own changes yet.

use crate::ctx::Ctx;
use crate::db::{Conn, Hook, Order, Row};
use crate::error::Result;
use crate::{params, units};
use std::collections::BTreeMap;
use wangge_core::auth::Permission;
use wangge_core::Error as CoreError;

/// What a fact is about and when: the key of one value.
#[derive(Debug, Clone, Copy)]
pub struct Key<'a> {
    /// The programme that owns the figure (`park`, `poverty`, `cases` …).
    pub programme: &'a str,
    /// What is measured (`tax_fen`, `visits` …).
    pub metric: &'a str,
    /// What the value is about (`enterprise:12`); empty for the unit itself.
    pub subject: &'a str,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub period: &'a str,
}

/// A figure read back: the sum, and how many facts it holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figure {
    pub value: i64,
    pub facts: i64,
}

/// Periods from `from` to `to`, both included, of one length (months with
/// months): `("2026-01", "2026-12")` is the months of 2026.
#[derive(Debug, Clone, Copy)]
pub struct Periods<'a> {
    pub from: &'a str,
    pub to: &'a str,
}

impl<'a> Periods<'a> {
    pub fn one(period: &'a str) -> Self {
        Periods {
            from: period,
            to: period,
        }
    }
}

/// Sets the fact's value at `unit` (a unit code), replacing any earlier value.
pub fn set(
    c: &mut dyn Conn,
    ctx: &Ctx,
    needs: Permission,
    key: Key,
    unit: &str,
    value: i64,
) -> Result<()> {
    write(c, ctx, needs, key, unit, Change::Set(value))
}

/// Adds `delta` to the fact's value at `unit` (zero when it had none).
pub fn add(
    c: &mut dyn Conn,
    ctx: &Ctx,
    needs: Permission,
    key: Key,
    unit: &str,
    delta: i64,
) -> Result<()> {
    write(c, ctx, needs, key, unit, Change::Add(delta))
}

/// Removes the fact; nothing happens when there is none.
pub fn clear(c: &mut dyn Conn, ctx: &Ctx, needs: Permission, key: Key) -> Result<()> {
    ctx.require(needs)?;
    check_key(&key)?;
    let Some((old_path, old)) = current(c, &key)? else {
        return Ok(());
    };
    c.execute(
        "DELETE FROM facts WHERE programme = $1 AND metric = $2 AND subject = $3 AND period = $4",
        params![key.programme, key.metric, key.subject, key.period],
    )?;
    roll(c, &key, &old_path, -old, -1)
}

enum Change {
    Set(i64),
    Add(i64),
}

fn write(
    c: &mut dyn Conn,
    ctx: &Ctx,
    needs: Permission,
    key: Key,
    unit: &str,
    change: Change,
) -> Result<()> {
    ctx.require(needs)?;
    check_key(&key)?;
    let unit = units::resolve(c, ctx, "unit", unit)?;
    let before = current(c, &key)?;
    let value = match (&change, &before) {
        (Change::Set(v), _) => *v,
        (Change::Add(d), Some((_, old))) => old.checked_add(*d).ok_or_else(too_large)?,
        (Change::Add(d), None) => *d,
    };
    c.execute(
        "INSERT INTO facts (programme, metric, subject, period, unit_id, unit_path, value, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (programme, metric, subject, period) DO UPDATE
         SET unit_id = excluded.unit_id, unit_path = excluded.unit_path,
             value = excluded.value, updated_at = excluded.updated_at",
        params![
            key.programme,
            key.metric,
            key.subject,
            key.period,
            unit.id,
            unit.path.as_str(),
            value,
            ctx.now_ms()
        ],
    )?;
    match before {
        Some((old_path, old)) if old_path == unit.path => roll(c, &key, &unit.path, value - old, 0),
        Some((old_path, old)) => {
            roll(c, &key, &old_path, -old, -1)?;
            roll(c, &key, &unit.path, value, 1)
        }
        None => roll(c, &key, &unit.path, value, 1),
    }
}

fn too_large() -> crate::error::Error {
    CoreError::invalid(
        "value",
        "too_large",
        "数值超出范围",
        "the value is out of range",
    )
    .into()
}

/// The fact's path and value, if it exists.
fn current(c: &mut dyn Conn, key: &Key) -> Result<Option<(String, i64)>> {
    c.query(
        "SELECT unit_path, value FROM facts
         WHERE programme = $1 AND metric = $2 AND subject = $3 AND period = $4",
        params![key.programme, key.metric, key.subject, key.period],
    )?
    .first()
    .map(|r| Ok((r.get(0)?, r.get(1)?)))
    .transpose()
}

/// Adds a change to the roll-ups of every unit on `path`: at the commit in a
/// writer's transaction, at once elsewhere.
fn roll(c: &mut dyn Conn, key: &Key, path: &str, value: i64, facts: i64) -> Result<()> {
    if value == 0 && facts == 0 {
        return Ok(());
    }
    let units = path.split('/').filter_map(|s| s.parse::<i64>().ok());
    if let Some(hooks) = c.hooks() {
        let rolls = &mut hooks.get::<Rolls>().0;
        for unit_id in units {
            rolls.push(Roll::Add {
                row: RollupRow {
                    programme: key.programme.to_string(),
                    metric: key.metric.to_string(),
                    unit_id,
                    period: key.period.to_string(),
                },
                value,
                facts,
            });
        }
        return Ok(());
    }
    for unit_id in units {
        upsert_rollup(
            c,
            key.programme,
            key.metric,
            unit_id,
            key.period,
            value,
            facts,
        )?;
    }
    Ok(())
}

fn upsert_rollup(
    c: &mut dyn Conn,
    programme: &str,
    metric: &str,
    unit_id: i64,
    period: &str,
    value: i64,
    facts: i64,
) -> Result<()> {
    c.execute(
        "INSERT INTO fact_rollups (programme, metric, unit_id, period, value, facts)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (programme, metric, unit_id, period) DO UPDATE
         SET value = fact_rollups.value + excluded.value,
             facts = fact_rollups.facts + excluded.facts",
        params![programme, metric, unit_id, period, value, facts],
    )?;
    Ok(())
}

/// One row of `fact_rollups`.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct RollupRow {
    programme: String,
    metric: String,
    unit_id: i64,
    period: String,
}

enum Roll {
    Add {
        row: RollupRow,
        value: i64,
        facts: i64,
    },
    /// [`rebuild`] summed every fact so far, those of earlier writes in this
    /// transaction included.
    Recounted,
}

/// The ledger's pre-commit hook: the roll-up changes of a writer's
/// transaction, in the order its writes made them.
#[derive(Default)]
struct Rolls(Vec<Roll>);

impl Hook for Rolls {
    /// After the case counters, before audit (which is last); no other hook
    /// depends on the roll-ups.
    const ORDER: Order = 20;

    fn mark(&self) -> usize {
        self.0.len()
    }

    fn truncate(&mut self, to: usize) {
        self.0.truncate(to);
    }

    /// Writes each changed roll-up row once, in key order (every writer
    /// locks rows in the same order).
    fn flush(&mut self, c: &mut dyn Conn) -> Result<()> {
        let mut sums: BTreeMap<RollupRow, (i128, i64)> = BTreeMap::new();
        for roll in std::mem::take(&mut self.0) {
            match roll {
                Roll::Add { row, value, facts } => {
                    let sum = sums.entry(row).or_default();
                    sum.0 += i128::from(value);
                    sum.1 += facts;
                }
                Roll::Recounted => sums.clear(),
            }
        }
        for (row, (value, facts)) in sums {
            if value == 0 && facts == 0 {
                continue;
            }
            let value = i64::try_from(value).map_err(|_| too_large())?;
            upsert_rollup(
                c,
                &row.programme,
                &row.metric,
                row.unit_id,
                &row.period,
                value,
                facts,
            )?;
        }
        Ok(())
    }
}

fn check_key(key: &Key) -> Result<()> {
    for (field, name) in [("programme", key.programme), ("metric", key.metric)] {
        let ok = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(CoreError::invalid(
                field,
                "bad_name",
                format!("“{name}”不是有效的名称(小写字母、数字和下划线,至多64个)"),
                format!(
                    "'{name}' is not a valid name (lower-case letters, digits and _, at most 64)"
                ),
            )
            .into());
        }
    }
    if key.subject.chars().count() > 128 {
        return Err(CoreError::invalid(
            "subject",
            "too_long",
            "对象标识过长(至多128个字符)",
            "the subject is too long (at most 128 characters)",
        )
        .into());
    }
    check_period("period", key.period)
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, a real date.
fn check_period(field: &str, p: &str) -> Result<()> {
    let ok = match p.len() {
        4 => p.parse::<u16>().is_ok_and(|y| y >= 1900),
        7 => time::Date::parse(
            &format!("{p}-01"),
            &time::format_description::well_known::Iso8601::DATE,
        )
        .is_ok(),
        10 => time::Date::parse(p, &time::format_description::well_known::Iso8601::DATE).is_ok(),
        _ => false,
    };
    if ok {
        return Ok(());
    }
    Err(CoreError::invalid(
        field,
        "bad_period",
        format!("“{p}”不是有效的期间(年 2026、月 2026-11 或日 2026-11-24)"),
        format!("'{p}' is not a period (a year 2026, a month 2026-11 or a day 2026-11-24)"),
    )
    .into())
}

fn check_periods(p: &Periods) -> Result<()> {
    check_period("from", p.from)?;
    check_period("to", p.to)?;
    if p.from.len() != p.to.len() || p.from > p.to {
        return Err(CoreError::invalid(
            "to",
            "bad_range",
            format!("期间“{}”至“{}”不是同一种期间由早到晚", p.from, p.to),
            format!(
                "'{}' to '{}' are not periods of one kind in order",
                p.from, p.to
            ),
        )
        .into());
    }
    Ok(())
}

/// Which figure to read: a programme's metric over a unit's subtree and a
/// range of periods.
#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    pub programme: &'a str,
    pub metric: &'a str,
    /// A unit code, which must be in the caller's scope.
    pub unit: &'a str,
    pub periods: Periods<'a>,
}

impl Query<'_> {
    /// The permission, the periods and the unit checked: the unit to read at.
    fn open(&self, c: &mut dyn Conn, ctx: &Ctx, needs: Permission) -> Result<units::Unit> {
        ctx.require(needs)?;
        check_periods(&self.periods)?;
        units::get(c, ctx, self.unit)
    }

    fn args(&self, unit_id: i64) -> Vec<crate::db::Value> {
        params![
            self.programme,
            self.metric,
            unit_id,
            self.periods.from,
            self.periods.to
        ]
        .to_vec()
    }
}

/// The figure of the unit's subtree over the periods.
pub fn total(c: &mut dyn Conn, ctx: &Ctx, needs: Permission, q: Query) -> Result<Figure> {
    let unit = q.open(c, ctx, needs)?;
    let r = c.query_one(
        "SELECT CAST(COALESCE(SUM(value), 0) AS BIGINT), CAST(COALESCE(SUM(facts), 0) AS BIGINT)
         FROM fact_rollups
         WHERE programme = $1 AND metric = $2 AND unit_id = $3 AND period >= $4 AND period <= $5",
        &q.args(unit.id),
    )?;
    figure_at(&r, 0)
}

/// The figure of each child of the unit over the periods, in the children's
/// order (children without facts are there, with zero).
pub fn by_child(
    c: &mut dyn Conn,
    ctx: &Ctx,
    needs: Permission,
    q: Query,
) -> Result<Vec<(units::Unit, Figure)>> {
    let parent = q.open(c, ctx, needs)?;
    let rows = c.query(
        "SELECT r.unit_id, CAST(SUM(r.value) AS BIGINT), CAST(SUM(r.facts) AS BIGINT)
         FROM fact_rollups r JOIN units u ON u.id = r.unit_id
         WHERE r.programme = $1 AND r.metric = $2 AND u.parent_id = $3
           AND r.period >= $4 AND r.period <= $5
         GROUP BY r.unit_id",
        &q.args(parent.id),
    )?;
    let mut sums = BTreeMap::new();
    for r in &rows {
        sums.insert(r.get::<i64>(0)?, figure_at(r, 1)?);
    }
    let children = units::tree(c, ctx, &parent.code, 1)?.children;
    Ok(children
        .into_iter()
        .map(|n| {
            let f = sums.get(&n.unit.id).copied().unwrap_or_default();
            (n.unit, f)
        })
        .collect())
}

/// The figure of the unit's subtree for each of the periods that has one.
pub fn by_period(
    c: &mut dyn Conn,
    ctx: &Ctx,
    needs: Permission,
    q: Query,
) -> Result<Vec<(String, Figure)>> {
    let unit = q.open(c, ctx, needs)?;
    c.query(
        "SELECT period, value, facts FROM fact_rollups
         WHERE programme = $1 AND metric = $2 AND unit_id = $3 AND period >= $4 AND period <= $5
           AND (value <> 0 OR facts <> 0)
         ORDER BY period",
        &q.args(unit.id),
    )?
    .iter()
    .map(|r| Ok((r.get::<String>(0)?, figure_at(r, 1)?)))
    .collect()
}

fn figure_at(r: &Row, i: usize) -> Result<Figure> {
    Ok(Figure {
        value: r.get(i)?,
        facts: r.get(i + 1)?,
    })
}

/// Sums every roll-up again from the facts: after a unit moved, its subtree's
/// figures count under its new ancestors. Moves are rare; recounting is simplest.
pub fn rebuild(c: &mut dyn Conn) -> Result<()> {
    if let Some(hooks) = c.hooks() {
        hooks.get::<Rolls>().0.push(Roll::Recounted);
    }
    c.execute("DELETE FROM fact_rollups", &[])?;
    // A unit's subtree is the path range [path, path without its last '/' + '0').
    c.execute(
        "INSERT INTO fact_rollups (programme, metric, unit_id, period, value, facts)
         SELECT f.programme, f.metric, u.id, f.period, SUM(f.value), COUNT(*)
         FROM units u JOIN facts f
           ON f.unit_path >= u.path AND f.unit_path < substr(u.path, 1, length(u.path) - 1) || '0'
         GROUP BY f.programme, f.metric, u.id, f.period",
        &[],
    )?;
    Ok(())
}
