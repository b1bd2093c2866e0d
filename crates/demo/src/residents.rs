//! Writing residents: preparation on all cores, every group in one transaction.

use super::*;

pub(super) struct PreparedHousehold {
    pub(super) number: String,
    pub(super) unit_id: i64,
    pub(super) unit_path: String,
}

pub(super) struct PreparedBatch {
    pub(super) households: Vec<PreparedHousehold>,
    pub(super) people: Vec<PreparedPerson>,
    /// Index into `households` for each person.
    pub(super) household_of: Vec<usize>,
}

pub(super) async fn load_residents(
    store: &Store,
    ctx: &Ctx,
    layout: &Layout,
    built: &Built,
    cfg: &DemoConfig,
) -> Result<usize> {
    if cfg.people == 0 {
        return Ok(0);
    }
    // About eight groups, so that preparing one overlaps writing the previous
    // even in a small demo, and at most JOBS_PER_GROUP jobs per group.
    let jobs_per_group = (cfg.people / 8 / JOB).clamp(1, JOBS_PER_GROUP);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Vec<PreparedBatch>>>(1);
    let producer = {
        let (ctx, places) = (ctx.clone(), built.places.clone());
        let mut generator = Generator::new(layout, cfg);
        tokio::task::spawn_blocking(move || loop {
            let group: Vec<RawBatch> = (0..jobs_per_group)
                .map(|_| generator.next_batch(JOB))
                .filter(|b| !b.people.is_empty())
                .collect();
            if group.is_empty() {
                return;
            }
            let prepared = prepare_group(&ctx, &places, group);
            let failed = prepared.is_err();
            if tx.blocking_send(prepared).is_err() || failed {
                return;
            }
        })
    };
    // All groups go in as one job, in one transaction, while the next group is
    // prepared on the other cores: a failure leaves no half-loaded zone, and on
    // PostgreSQL the indexes of an empty people table can be built after the
    // load (see `db::rebuild`).
    let ctx = ctx.clone();
    let written = store
        .db
        .write_alone(move |c| {
            let rebuild = wangge_store::db::rebuild::suspend(c, &["households", "people"])?;
            let (mut households, mut written) = (0, 0);
            while let Some(group) = rx.blocking_recv() {
                let (h, p) = write_group(c, &ctx, group?)?;
                households += h;
                written += p;
            }
            if let Some(r) = rebuild {
                r.restore(c)?;
            }
            let detail = json!({"households": households, "people": written});
            audit::record(c, &ctx, "demo", 0, "seed_residents", detail)?;
            Ok(written)
        })
        .await;
    // The producer stops at its next send once the job has dropped `rx`.
    producer
        .await
        .map_err(|e| Error::Db(format!("demo generator failed: {e}")))?;
    written
}

/// Validates, hashes and encrypts a group of batches on every core.
pub(super) fn prepare_group(
    ctx: &Ctx,
    places: &[(i64, String)],
    group: Vec<RawBatch>,
) -> Result<Vec<PreparedBatch>> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 8));
    let per_thread = group.len().div_ceil(threads).max(1);
    let mut group = group;
    let mut parts = Vec::new();
    while !group.is_empty() {
        let rest = group.split_off(per_thread.min(group.len()));
        parts.push(std::mem::replace(&mut group, rest));
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| {
                s.spawn(move || {
                    part.into_iter()
                        .map(|raw| prepare_batch(ctx, places, raw))
                        .collect::<Result<Vec<_>>>()
                })
            })
            .collect();
        let mut out = Vec::new();
        for h in handles {
            let part = h
                .join()
                .unwrap_or_else(|_| Err(Error::Db("a demo worker panicked".into())))?;
            out.extend(part);
        }
        Ok(out)
    })
}

pub(super) fn prepare_batch(
    ctx: &Ctx,
    places: &[(i64, String)],
    raw: RawBatch,
) -> Result<PreparedBatch> {
    let place = |i: usize| -> Result<&(i64, String)> {
        places
            .get(i)
            .ok_or_else(|| Error::Db(format!("demo place {i} was not created")))
    };
    let mut households = Vec::with_capacity(raw.households.len());
    for h in &raw.households {
        let (unit_id, path) = place(h.place)?;
        households.push(PreparedHousehold {
            number: h.number.clone(),
            unit_id: *unit_id,
            unit_path: path.clone(),
        });
    }
    let mut people = Vec::with_capacity(raw.people.len());
    for p in &raw.people {
        let h = &households[p.household];
        people.push(people::prepare(
            ctx,
            &p.name,
            &p.id_number,
            p.phone.as_deref(),
            Some(&p.address),
            (h.unit_id, &h.unit_path),
            None,
            Some(p.relation),
        )?);
    }
    Ok(PreparedBatch {
        households,
        household_of: raw.people.iter().map(|p| p.household).collect(),
        people,
    })
}

const HOUSEHOLD_COLUMNS: [&str; 6] = [
    "id",
    "number",
    "unit_id",
    "unit_path",
    "created_at",
    "updated_at",
];

/// Inserts a group's households and residents in the caller's transaction;
/// returns how many of each. Household ids are reserved first, so the
/// residents can refer to them and both tables go in as bulk inserts (COPY
/// on PostgreSQL).
fn write_group(c: &mut dyn Conn, ctx: &Ctx, group: Vec<PreparedBatch>) -> Result<(usize, usize)> {
    let total: usize = group.iter().map(|b| b.households.len()).sum();
    let ids = c.reserve_ids("households", total)?;
    if ids.len() != total {
        return Err(Error::Db(
            "the database reserved too few household ids".into(),
        ));
    }
    let now = ctx.now_ms();
    let mut next = ids.iter().copied();
    let mut rows = Vec::with_capacity(total);
    let mut people = Vec::new();
    for batch in group {
        let first = rows.len();
        for h in batch.households {
            let id = next.next().unwrap_or_default();
            rows.push(vec![
                id.into(),
                h.number.into(),
                h.unit_id.into(),
                h.unit_path.into(),
                now.into(),
                now.into(),
            ]);
        }
        for (mut p, h) in batch.people.into_iter().zip(batch.household_of) {
            p.household_id = ids.get(first + h).copied();
            people.push(p);
        }
    }
    let households = rows.len();
    c.bulk_insert("households", &HOUSEHOLD_COLUMNS, &mut rows.into_iter())?;
    let n = people.len();
    people::insert_prepared(c, ctx, people)?;
    Ok((households, n))
}
