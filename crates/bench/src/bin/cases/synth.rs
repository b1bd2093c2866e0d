//! Counters synthesized from a simulated year of cases, as the case engine
//! would have written them.

use super::*;

/// A place a simulated case can be reported at, with its ancestors (itself
/// included), as `counters.rs` counts it.
pub(super) struct Leaf {
    pub(super) ancestors: Vec<i64>,
}

/// The simulated year: 365 local days ending yesterday.
pub(super) struct Year {
    pub(super) days: Vec<i64>,
    pub(super) first: Date,
    pub(super) last: Date,
}

impl Year {
    pub(super) fn ending_yesterday() -> Result<Year> {
        let today = OffsetDateTime::now_utc()
            .to_offset(wangge_store::ctx::CST)
            .date();
        let first = today - time::Duration::days(365);
        let days: Vec<i64> = (0..365)
            .map(|i| {
                let d = first + time::Duration::days(i);
                i64::from(d.year()) * 10000
                    + i64::from(u8::from(d.month())) * 100
                    + i64::from(d.day())
            })
            .collect();
        Ok(Year {
            days,
            first,
            last: today - time::Duration::days(1),
        })
    }

    /// `[from, to)` in milliseconds: local midnight of the first day to local
    /// midnight after the last.
    pub(super) fn period_ms(&self) -> (i64, i64) {
        let at = |d: Date| {
            (d.midnight()
                .assume_offset(wangge_store::ctx::CST)
                .unix_timestamp_nanos()
                / 1_000_000) as i64
        };
        (at(self.first), at(self.last + time::Duration::days(1)))
    }

    pub(super) fn ymd(d: Date) -> String {
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    }
}

/// Counter columns, in `case_counters` order (see `cases/counters.rs`).
pub(super) const COLS: [&str; 15] = [
    "received",
    "accepted",
    "rejected",
    "withdrawn",
    "handled",
    "rework",
    "closed",
    "closed_on_time",
    "overdue",
    "reopened",
    "timed",
    "time_sum_min",
    "rating_count",
    "rating_sum",
    "escalations",
];
pub(super) const RECEIVED: usize = 0;
pub(super) const ACCEPTED: usize = 1;
pub(super) const REJECTED: usize = 2;
pub(super) const WITHDRAWN: usize = 3;
pub(super) const HANDLED: usize = 4;
pub(super) const REWORK: usize = 5;
pub(super) const CLOSED: usize = 6;
pub(super) const CLOSED_ON_TIME: usize = 7;
pub(super) const OVERDUE: usize = 8;
pub(super) const REOPENED: usize = 9;
pub(super) const TIMED: usize = 10;
pub(super) const TIME_SUM_MIN: usize = 11;
pub(super) const RATING_COUNT: usize = 12;
pub(super) const RATING_SUM: usize = 13;
pub(super) const ESCALATIONS: usize = 14;

/// The daily counters and their roll-ups (migration 0008_case_rollups), all
/// of which `cases::stats` reads.
pub(super) const COUNTER_TABLES: [&str; 8] = [
    "case_counters",
    "case_counter_hist",
    "case_counters_month",
    "case_hist_day",
    "case_hist_month",
    "case_hist_cat_month",
    "case_esc_day",
    "case_esc_month",
];

pub(super) type CounterRow = (i64, i64, i64, [i64; 15]);
pub(super) type HistRow = (i64, i64, i64, i64, i64);

/// Where synthesized rows go: big transactions, straight into the store's
/// tables through the driver.
pub(super) enum Sink {
    Sqlite(rusqlite::Connection),
    Postgres(postgres::Client),
}

impl Sink {
    pub(super) fn open(place: &Place) -> Result<Sink> {
        Ok(match place {
            Place::Sqlite(_) => {
                let c = place.sqlite()?;
                c.execute_batch("PRAGMA synchronous=FULL; PRAGMA cache_size=-262144;")?;
                Sink::Sqlite(c)
            }
            Place::Postgres(..) => Sink::Postgres(place.postgres()?),
        })
    }

    pub(super) fn clear(&mut self) -> Result<()> {
        match self {
            Sink::Sqlite(c) => {
                for t in COUNTER_TABLES {
                    c.execute_batch(&format!("DELETE FROM {t};"))?;
                }
            }
            Sink::Postgres(c) => {
                c.batch_execute(&format!("TRUNCATE {}", COUNTER_TABLES.join(", ")))?
            }
        }
        Ok(())
    }

    /// Writes rows of integers into `table` in one transaction.
    pub(super) fn write_table(
        &mut self,
        table: &str,
        cols: &[&str],
        rows: &[Vec<i64>],
    ) -> Result<()> {
        match self {
            Sink::Sqlite(c) => {
                let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                {
                    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
                    let mut st = tx.prepare_cached(&format!(
                        "INSERT INTO {table} ({}) VALUES ({})",
                        cols.join(", "),
                        marks.join(", ")
                    ))?;
                    for r in rows {
                        st.execute(rusqlite::params_from_iter(r.iter()))?;
                    }
                }
                tx.commit()?;
            }
            Sink::Postgres(c) => {
                let mut tx = c.transaction()?;
                let mut buf = String::with_capacity(rows.len() * 48);
                for r in rows {
                    let line: Vec<String> = r.iter().map(i64::to_string).collect();
                    buf.push_str(&line.join("\t"));
                    buf.push('\n');
                }
                let mut w =
                    tx.copy_in(&format!("COPY {table} ({}) FROM STDIN", cols.join(", ")))?;
                w.write_all(buf.as_bytes())?;
                w.finish()?;
                tx.commit()?;
            }
        }
        Ok(())
    }

    pub(super) fn write(&mut self, rows: &[CounterRow], hist: &[HistRow]) -> Result<()> {
        match self {
            Sink::Sqlite(c) => {
                let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                {
                    let marks: Vec<String> = (1..=18).map(|i| format!("?{i}")).collect();
                    let mut st = tx.prepare_cached(&format!(
                        "INSERT INTO case_counters (unit_id, day, category_id, {}) VALUES ({})",
                        COLS.join(", "),
                        marks.join(", ")
                    ))?;
                    for (u, d, cat, v) in rows {
                        let mut all = [0i64; 18];
                        all[0] = *u;
                        all[1] = *d;
                        all[2] = *cat;
                        all[3..].copy_from_slice(v);
                        st.execute(rusqlite::params_from_iter(all.iter()))?;
                    }
                    let mut st = tx.prepare_cached(
                        "INSERT INTO case_counter_hist (unit_id, day, category_id, bucket, n)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                    )?;
                    for (u, d, cat, b, n) in hist {
                        st.execute(rusqlite::params![u, d, cat, b, n])?;
                    }
                }
                tx.commit()?;
            }
            Sink::Postgres(c) => {
                let mut tx = c.transaction()?;
                let mut buf = String::with_capacity(rows.len() * 64);
                for (u, d, cat, v) in rows {
                    let _ = write!(buf, "{u}\t{d}\t{cat}");
                    for x in v {
                        let _ = write!(buf, "\t{x}");
                    }
                    buf.push('\n');
                }
                let mut w = tx.copy_in(&format!(
                    "COPY case_counters (unit_id, day, category_id, {}) FROM STDIN",
                    COLS.join(", ")
                ))?;
                w.write_all(buf.as_bytes())?;
                w.finish()?;
                buf.clear();
                for (u, d, cat, b, n) in hist {
                    let _ = writeln!(buf, "{u}\t{d}\t{cat}\t{b}\t{n}");
                }
                let mut w = tx.copy_in(
                    "COPY case_counter_hist (unit_id, day, category_id, bucket, n) FROM STDIN",
                )?;
                w.write_all(buf.as_bytes())?;
                w.finish()?;
                tx.commit()?;
            }
        }
        Ok(())
    }

    pub(super) fn analyze(&mut self) -> Result<()> {
        if let Sink::Postgres(c) = self {
            for t in COUNTER_TABLES {
                c.batch_execute(&format!("ANALYZE {t}"))?;
            }
        }
        Ok(())
    }
}

/// What a synthesis wrote.
#[derive(Debug, Clone, Default)]
pub(super) struct Synthesized {
    pub(super) cases: usize,
    pub(super) counter_rows: usize,
    pub(super) hist_rows: usize,
    /// Rows of the roll-up tables (months, histograms and escalations
    /// without the category).
    pub(super) rollup_rows: usize,
    pub(super) secs: f64,
}

/// A roll-up table: name, columns, rows.
pub(super) type RollupTable<'a> = (&'a str, Vec<&'a str>, Vec<Vec<i64>>);

/// The roll-ups of everything written, as `cases/counters.rs` keeps them:
/// (unit, month, category) counters; histograms per (unit, day) and
/// (unit, month) without the category and per (unit, month, category);
/// escalations per (unit, day) and (unit, month) where there were any.
#[derive(Default)]
pub(super) struct Rollups {
    pub(super) month: HashMap<(i64, i64, i64), [i64; 15]>,
    pub(super) hist_day: HashMap<(i64, i64, i64), i64>,
    pub(super) hist_month: HashMap<(i64, i64, i64), i64>,
    pub(super) hist_cat_month: HashMap<(i64, i64, i64, i64), i64>,
    pub(super) esc_day: HashMap<(i64, i64), i64>,
    pub(super) esc_month: HashMap<(i64, i64), i64>,
}

impl Rollups {
    pub(super) fn add(&mut self, rows: &[CounterRow], hist: &[HistRow]) {
        for (u, d, c, v) in rows {
            let m = self.month.entry((*u, d / 100, *c)).or_insert([0; 15]);
            for (a, b) in m.iter_mut().zip(v.iter()) {
                *a += b;
            }
            if v[ESCALATIONS] != 0 {
                *self.esc_day.entry((*u, *d)).or_default() += v[ESCALATIONS];
                *self.esc_month.entry((*u, d / 100)).or_default() += v[ESCALATIONS];
            }
        }
        for (u, d, c, b, n) in hist {
            *self.hist_day.entry((*u, *d, *b)).or_default() += n;
            *self.hist_month.entry((*u, d / 100, *b)).or_default() += n;
            *self
                .hist_cat_month
                .entry((*u, d / 100, *c, *b))
                .or_default() += n;
        }
    }

    /// Writes every roll-up table; returns the number of rows.
    pub(super) fn write(self, sink: &mut Sink) -> Result<usize> {
        let mut cols = vec!["unit_id", "month", "category_id"];
        cols.extend(COLS);
        let month: Vec<Vec<i64>> = self
            .month
            .into_iter()
            .map(|((u, m, c), v)| {
                let mut r = vec![u, m, c];
                r.extend(v);
                r
            })
            .collect();
        let three = |h: HashMap<(i64, i64, i64), i64>| -> Vec<Vec<i64>> {
            h.into_iter()
                .map(|((a, b, c), n)| vec![a, b, c, n])
                .collect()
        };
        let two = |h: HashMap<(i64, i64), i64>| -> Vec<Vec<i64>> {
            h.into_iter().map(|((a, b), n)| vec![a, b, n]).collect()
        };
        let cat_month: Vec<Vec<i64>> = self
            .hist_cat_month
            .into_iter()
            .map(|((u, m, c, b), n)| vec![u, m, c, b, n])
            .collect();
        let tables: [RollupTable; 6] = [
            ("case_counters_month", cols, month),
            (
                "case_hist_day",
                vec!["unit_id", "day", "bucket", "n"],
                three(self.hist_day),
            ),
            (
                "case_hist_month",
                vec!["unit_id", "month", "bucket", "n"],
                three(self.hist_month),
            ),
            (
                "case_hist_cat_month",
                vec!["unit_id", "month", "category_id", "bucket", "n"],
                cat_month,
            ),
            (
                "case_esc_day",
                vec!["unit_id", "day", "n"],
                two(self.esc_day),
            ),
            (
                "case_esc_month",
                vec!["unit_id", "month", "n"],
                two(self.esc_month),
            ),
        ];
        let mut total = 0;
        for (table, cols, rows) in tables {
            sink.write_table(table, &cols, &rows)?;
            total += rows.len();
        }
        Ok(total)
    }
}

/// Pending deltas of one day: (unit, category) → counters, and
/// (unit, category, bucket) → n.
#[derive(Default)]
pub(super) struct DayAcc {
    pub(super) rows: HashMap<(i64, i64), [i64; 15]>,
    pub(super) hist: HashMap<(i64, i64, i64), i64>,
}

/// Simulates `n` cases reported evenly over the year, at random leaves and
/// minor categories (a skewed mix: the k-th category is 1/k as likely as the
/// first), each going through a typical life — accepted (90 %), rejected (5 %),
/// withdrawn (1 %) or left open (4 %); accepted ones handled within a week
/// (97 %), sometimes returned for rework (8 %), closed the next day with a
/// handling time of 15 minutes to 5 days (log-uniform), sometimes overdue first
/// (6 %, 40 % of them escalated), rated (60 %) and reopened (1 %). Each log
/// entry adds its delta on its own local day to every ancestor of the case's
/// unit, as `counters.rs` does; days are aggregated in memory and written
/// once, in transactions of about 200,000 rows.
pub(super) fn synth(
    sink: &mut Sink,
    leaves: &[Leaf],
    cats: &[i64],
    year: &Year,
    n: usize,
    seed: u64,
) -> Result<Synthesized> {
    anyhow::ensure!(
        !leaves.is_empty() && !cats.is_empty(),
        "no unit or category to simulate"
    );
    let started = Instant::now();
    let mut rng = SplitMix64::new(seed);
    // Cumulative category weights 1, 1/2, 1/3, …
    let mut cum = Vec::with_capacity(cats.len());
    let mut total = 0.0;
    for k in 0..cats.len() {
        total += 1.0 / (k + 1) as f64;
        cum.push(total);
    }
    let ndays = year.days.len();
    let mut pending: BTreeMap<usize, DayAcc> = BTreeMap::new();
    let mut out_rows: Vec<CounterRow> = Vec::new();
    let mut out_hist: Vec<HistRow> = Vec::new();
    let mut rollups = Rollups::default();
    let mut written = Synthesized {
        cases: n,
        ..Synthesized::default()
    };
    const FLUSH_AT: usize = 200_000;
    for di in 0..ndays {
        let today = n * (di + 1) / ndays - n * di / ndays;
        for _ in 0..today {
            let leaf = &leaves[rng.below(leaves.len() as u64) as usize];
            let x = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * total;
            let cat = cats[cum.partition_point(|c| *c < x).min(cats.len() - 1)];
            let mut events: [(usize, usize, i64); 16] = [(0, 0, 0); 16];
            let mut ne = 0;
            let mut push = |day: usize, col: usize, v: i64| {
                if ne < events.len() {
                    events[ne] = (day.min(ndays - 1), col, v);
                    ne += 1;
                }
            };
            let mut bucket: Option<(usize, i64)> = None;
            push(di, RECEIVED, 1);
            let fate = rng.below(1000);
            if fate < 10 {
                push(di, WITHDRAWN, 1);
            } else if fate < 60 {
                push(di, REJECTED, 1);
            } else if fate >= 100 {
                push(di, ACCEPTED, 1);
                let overdue = rng.below(100) < 6;
                if overdue {
                    push(di + 2, OVERDUE, 1);
                    if rng.below(100) < 40 {
                        push(di + 3, ESCALATIONS, 1);
                    }
                }
                if rng.below(100) < 97 {
                    let mut h = di + rng.below(7) as usize;
                    push(h, HANDLED, 1);
                    if rng.below(100) < 8 {
                        push(h + 1, REWORK, 1);
                        h += 2;
                        push(h, HANDLED, 1);
                    }
                    let close = h + 1;
                    push(close, CLOSED, 1);
                    if !overdue {
                        push(close, CLOSED_ON_TIME, 1);
                    }
                    let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                    let minutes = (15.0 * 2f64.powf(u * 9.0)) as i64;
                    push(close, TIMED, 1);
                    push(close, TIME_SUM_MIN, minutes);
                    bucket = Some((close.min(ndays - 1), cases::bucket_of(minutes)));
                    if rng.below(100) < 60 {
                        push(close, RATING_COUNT, 1);
                        push(close, RATING_SUM, 3 + rng.below(3) as i64);
                    }
                    if rng.below(100) < 1 {
                        push(close + 1, REOPENED, 1);
                    }
                }
            }
            for &(day, col, v) in &events[..ne] {
                let acc = pending.entry(day).or_default();
                for &unit in &leaf.ancestors {
                    acc.rows.entry((unit, cat)).or_insert([0; 15])[col] += v;
                }
            }
            if let Some((day, b)) = bucket {
                let acc = pending.entry(day).or_default();
                for &unit in &leaf.ancestors {
                    *acc.hist.entry((unit, cat, b)).or_default() += 1;
                }
            }
        }
        // Later cases are reported later: no entry will ever fall on this day
        // or before, except at the clipped last day.
        let done: Vec<usize> = pending
            .keys()
            .copied()
            .filter(|d| *d <= di && (*d < ndays - 1 || di == ndays - 1))
            .collect();
        for d in done {
            if let Some(acc) = pending.remove(&d) {
                let day = year.days[d];
                let mut rows: Vec<CounterRow> = acc
                    .rows
                    .into_iter()
                    .map(|((u, c), v)| (u, day, c, v))
                    .collect();
                rows.sort_unstable_by_key(|r| (r.0, r.2));
                let mut hist: Vec<HistRow> = acc
                    .hist
                    .into_iter()
                    .map(|((u, c, b), k)| (u, day, c, b, k))
                    .collect();
                hist.sort_unstable_by_key(|r| (r.0, r.2, r.3));
                out_rows.extend(rows);
                out_hist.extend(hist);
            }
        }
        if out_rows.len() + out_hist.len() >= FLUSH_AT || di == ndays - 1 {
            sink.write(&out_rows, &out_hist)?;
            rollups.add(&out_rows, &out_hist);
            written.counter_rows += out_rows.len();
            written.hist_rows += out_hist.len();
            out_rows = Vec::new();
            out_hist = Vec::new();
        }
    }
    anyhow::ensure!(pending.is_empty(), "days left unwritten");
    written.rollup_rows = rollups.write(sink)?;
    sink.analyze()?;
    written.secs = started.elapsed().as_secs_f64();
    Ok(written)
}
