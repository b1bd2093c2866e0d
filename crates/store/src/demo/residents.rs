//! Writing residents: preparation on all cores, batched writes.

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
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Vec<PreparedBatch>>>(1);
    let producer = {
        let (ctx, places) = (ctx.clone(), built.places.clone());
        let mut generator = Generator::new(layout, cfg);
        tokio::task::spawn_blocking(move || loop {
            let group: Vec<RawBatch> = (0..JOBS_PER_GROUP)
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
    // The writes of one group are queued together, so group commit puts them in
    // one transaction (one fsync), each in its own small savepoint; the next
    // group is being prepared meanwhile.
    let mut written = 0;
    let mut in_flight: Option<tokio::task::JoinSet<Result<(usize, usize)>>> = None;
    while let Some(group) = rx.recv().await {
        let mut writes = tokio::task::JoinSet::new();
        for batch in group? {
            let (store, ctx) = (store.clone(), ctx.clone());
            writes.spawn(async move { store.db.write(move |c| write_batch(c, &ctx, batch)).await });
        }
        if let Some(previous) = in_flight.replace(writes) {
            written += finish(store, ctx, previous).await?;
        }
    }
    if let Some(last) = in_flight {
        written += finish(store, ctx, last).await?;
    }
    producer
        .await
        .map_err(|e| Error::Db(format!("demo generator failed: {e}")))?;
    Ok(written)
}

/// Waits for a group's writes and records them in the audit log. One entry per
/// group, written on its own: an audit entry takes the audit chain's head lock
/// until its transaction commits, which in every job would serialise
/// PostgreSQL's parallel writers.
pub(super) async fn finish(
    store: &Store,
    ctx: &Ctx,
    mut writes: tokio::task::JoinSet<Result<(usize, usize)>>,
) -> Result<usize> {
    let (mut people, mut households) = (0, 0);
    while let Some(done) = writes.join_next().await {
        let (p, h) = done.map_err(|e| Error::Db(format!("demo write task failed: {e}")))??;
        people += p;
        households += h;
    }
    let ctx = ctx.clone();
    store
        .db
        .write(move |c| {
            let detail = json!({"households": households, "people": people});
            audit::record(c, &ctx, "demo", 0, "seed_residents", detail)
        })
        .await?;
    Ok(people)
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

/// Households per INSERT statement: one statement per row costs the writer
/// thread (the bottleneck) a statement's overhead each; a fixed size keeps the
/// statement text, and so its prepared statement, the same.
pub(super) const HOUSEHOLDS_PER_INSERT: usize = 16;

/// Inserts households with plain multi-row SQL (`households::create` would
/// resolve the unit and read the row back for each) and answers their ids in
/// order. Rows are matched to ids by their numbers, which are unique in a demo,
/// since neither backend promises RETURNING in VALUES order.
pub(super) fn insert_households(
    c: &mut dyn Conn,
    ctx: &Ctx,
    households: &[PreparedHousehold],
) -> Result<Vec<i64>> {
    let now = ctx.now_ms();
    let mut ids = Vec::with_capacity(households.len());
    for chunk in households.chunks(HOUSEHOLDS_PER_INSERT) {
        let mut sql = String::from(
            "INSERT INTO households (number, unit_id, unit_path, created_at, updated_at) VALUES ",
        );
        let mut args = Vec::with_capacity(chunk.len() * 3 + 1);
        args.push(now.into());
        for (i, h) in chunk.iter().enumerate() {
            let n = 2 + 3 * i;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("(${n}, ${}, ${}, $1, $1)", n + 1, n + 2));
            args.push(h.number.as_str().into());
            args.push(h.unit_id.into());
            args.push(h.unit_path.as_str().into());
        }
        sql.push_str(" RETURNING id, number");
        let returned = c
            .query(&sql, &args)?
            .iter()
            .map(|r| Ok((r.get::<String>(1)?, r.get::<i64>(0)?)))
            .collect::<Result<Vec<_>>>()?;
        for h in chunk {
            let id = returned
                .iter()
                .find(|(number, _)| *number == h.number)
                .map(|(_, id)| *id)
                .ok_or_else(|| Error::Db(format!("household {} was not inserted", h.number)))?;
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Inserts a group's households and then its residents.
pub(super) fn write_batch(
    c: &mut dyn Conn,
    ctx: &Ctx,
    batch: PreparedBatch,
) -> Result<(usize, usize)> {
    let ids = insert_households(c, ctx, &batch.households)?;
    let mut people = batch.people;
    for (p, &h) in people.iter_mut().zip(&batch.household_of) {
        p.household_id = ids.get(h).copied();
    }
    people::insert_prepared(c, ctx, &people)?;
    Ok((people.len(), ids.len()))
}
