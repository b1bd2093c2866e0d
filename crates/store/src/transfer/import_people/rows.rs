//! Writing imported people: the changed fields of one found person, and new
//! people many to a statement.

use super::{Existing, Rec};
use crate::audit;
use crate::ctx::Ctx;
use crate::db::{placeholders, Conn, Value};
use crate::error::{Error, Result};
use crate::people::PreparedPerson;
use serde_json::json;
use wangge_core::people::Relation;

pub(super) fn update(
    c: &mut dyn Conn,
    ctx: &Ctx,
    rec: &Rec,
    o: &Existing,
    household: Option<i64>,
    relation: Option<Relation>,
    changed: &[&'static str],
) -> Result<()> {
    let mut sets: Vec<(&str, Value)> = Vec::new();
    for f in changed {
        match *f {
            "name" => sets.push(("name", rec.p.name.as_str().into())),
            "phone" => {
                sets.push(("phone_hash", rec.p.phone_hash.clone().into()));
                sets.push(("phone_enc", rec.p.phone_enc.clone().into()));
            }
            "address_detail" => sets.push(("address_enc", rec.p.address_enc.clone().into())),
            "unit" => {
                sets.push(("unit_id", rec.p.unit_id.into()));
                sets.push(("unit_path", rec.p.unit_path.as_str().into()));
            }
            "household" => {
                sets.push(("household_id", household.into()));
                sets.push(("relation", relation.map(Relation::as_str).into()));
            }
            "political_status" => sets.push(("political_status", rec.political.into())),
            _ => {}
        }
    }
    let mut args: Vec<Value> = Vec::new();
    let mut assignments = Vec::new();
    for (col, v) in sets {
        args.push(v);
        assignments.push(format!("{col} = ${}", args.len()));
    }
    args.push(ctx.now_ms().into());
    assignments.push(format!("updated_at = ${}", args.len()));
    args.push(o.id.into());
    c.execute(
        &format!(
            "UPDATE people SET {}, version = version + 1 WHERE id = ${}",
            assignments.join(", "),
            args.len()
        ),
        &args,
    )?;
    audit::record(
        c,
        ctx,
        "person",
        o.id,
        "import_update",
        json!({ "fields": changed }),
    )
}

const COLUMNS: usize = 15;

/// Inserts prepared people, many to a statement.
pub(super) fn insert_many(
    c: &mut dyn Conn,
    ctx: &Ctx,
    rows: &[PreparedPerson],
    politics: &[Option<&'static str>],
) -> Result<()> {
    let now = ctx.now_ms();
    for (part, pol) in rows.chunks(200).zip(politics.chunks(200)) {
        let mut args: Vec<Value> = Vec::with_capacity(part.len() * COLUMNS);
        let mut groups = Vec::with_capacity(part.len());
        for (p, political) in part.iter().zip(pol) {
            groups.push(format!("({})", placeholders(args.len() + 1, COLUMNS)));
            args.extend([
                p.name.as_str().into(),
                p.sex.as_str().into(),
                p.birth_date.as_str().into(),
                p.id_hash.clone().into(),
                p.id_enc.clone().into(),
                p.phone_hash.clone().into(),
                p.phone_enc.clone().into(),
                p.address_enc.clone().into(),
                p.unit_id.into(),
                p.unit_path.as_str().into(),
                p.household_id.into(),
                p.relation.map(Relation::as_str).into(),
                (*political).into(),
                now.into(),
                now.into(),
            ]);
        }
        c.execute(
            &format!(
                "INSERT INTO people (name, sex, birth_date, id_hash, id_enc, phone_hash, phone_enc, address_enc,
                 unit_id, unit_path, household_id, relation, political_status, created_at, updated_at)
                 VALUES {}",
                groups.join(", ")
            ),
            &args,
        )
        .map_err(|e| match e {
            Error::Unique(_) => wangge_core::Error::conflict(
                "changed_during_import",
                "导入过程中有人登记了相同身份证号的人员,本次导入未写入;请重新导入",
                "someone registered one of these ID numbers during the import; nothing was written: import again",
            )
            .into(),
            other => other,
        })?;
    }
    Ok(())
}
