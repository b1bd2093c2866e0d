//! People validated, hashed and encrypted before the write. That CPU work can
//! run on any thread; the write itself (on the single writer thread of SQLite,
//! or the writer connection of PostgreSQL) only inserts and audits.

use super::{check_household, duplicate_id, Person, F_ADDRESS, F_ID, F_PHONE};
use crate::ctx::{ms_to_time, Ctx};
use crate::db::{Conn, Value};
use crate::error::{Error, Result};
use crate::{audit, units};
use serde_json::json;
use wangge_core::auth::Permission;
use wangge_core::ids::Sex;
use wangge_core::mask;
use wangge_core::people::{validate_person, Relation, ValidPerson};

/// A person validated, hashed and encrypted, ready for [`insert_prepared`].
#[derive(Debug, Clone)]
pub struct PreparedPerson {
    pub name: String,
    pub sex: Sex,
    pub birth_date: String,
    pub id_hash: Vec<u8>,
    pub id_enc: Vec<u8>,
    pub phone_hash: Option<Vec<u8>>,
    pub phone_enc: Option<Vec<u8>>,
    pub address_enc: Option<Vec<u8>>,
    pub unit_id: i64,
    pub unit_path: String,
    pub household_id: Option<i64>,
    pub relation: Option<Relation>,
}

/// Validates and encrypts one person for a bulk load into a known unit.
#[allow(clippy::too_many_arguments)]
pub fn prepare(
    ctx: &Ctx,
    name: &str,
    id_number: &str,
    phone: Option<&str>,
    address_detail: Option<&str>,
    unit: (i64, &str),
    household_id: Option<i64>,
    relation: Option<Relation>,
) -> Result<PreparedPerson> {
    let v = validate_person(name, id_number, phone, address_detail, ctx.today())?;
    seal(ctx, &v, unit, household_id, relation)
}

fn seal(
    ctx: &Ctx,
    v: &ValidPerson,
    unit: (i64, &str),
    household_id: Option<i64>,
    relation: Option<Relation>,
) -> Result<PreparedPerson> {
    let keys = ctx.keys();
    Ok(PreparedPerson {
        name: v.name.clone(),
        sex: v.id.sex,
        birth_date: v.id.birth_date.to_string(),
        id_hash: keys.lookup_hash(F_ID, v.id.as_str()),
        id_enc: keys.seal(F_ID, v.id.as_str())?,
        phone_hash: v
            .phone
            .as_ref()
            .map(|p| keys.lookup_hash(F_PHONE, p.as_str())),
        phone_enc: v
            .phone
            .as_ref()
            .map(|p| keys.seal(F_PHONE, p.as_str()))
            .transpose()?,
        address_enc: v
            .address_detail
            .as_ref()
            .map(|a| keys.seal(F_ADDRESS, a))
            .transpose()?,
        unit_id: unit.0,
        unit_path: unit.1.to_string(),
        household_id,
        relation,
    })
}

const COLUMNS: [&str; 14] = [
    "name",
    "sex",
    "birth_date",
    "id_hash",
    "id_enc",
    "phone_hash",
    "phone_enc",
    "address_enc",
    "unit_id",
    "unit_path",
    "household_id",
    "relation",
    "created_at",
    "updated_at",
];

/// A prepared person's columns, in the order of [`COLUMNS`].
fn row_values(p: PreparedPerson, now: i64) -> Vec<Value> {
    vec![
        p.name.into(),
        p.sex.as_str().into(),
        p.birth_date.into(),
        p.id_hash.into(),
        p.id_enc.into(),
        p.phone_hash.into(),
        p.phone_enc.into(),
        p.address_enc.into(),
        p.unit_id.into(),
        p.unit_path.into(),
        p.household_id.into(),
        p.relation.map(Relation::as_str).into(),
        now.into(),
        now.into(),
    ]
}

/// Inserts many prepared people in the caller's transaction (bulk loads, demo)
/// through the query layer's bulk insert (COPY on PostgreSQL).
pub fn insert_prepared(c: &mut dyn Conn, ctx: &Ctx, rows: Vec<PreparedPerson>) -> Result<()> {
    let now = ctx.now_ms();
    c.bulk_insert(
        "people",
        &COLUMNS,
        &mut rows.into_iter().map(|p| row_values(p, now)),
    )
    .map_err(|e| match e {
        Error::Unique(_) => duplicate_id(),
        other => other,
    })?;
    Ok(())
}

/// A new person from the API, checked and encrypted before the write, with
/// the masked values its answer shows.
#[derive(Debug, Clone)]
pub struct PreparedNew {
    person: PreparedPerson,
    unit: String,
    id_masked: String,
    phone_masked: Option<String>,
    address_masked: Option<String>,
}

/// The CPU part of creating a person: permission, validation, keyed hashes and
/// encryption. Needs no connection, so it runs before the write is queued.
pub fn prepare_new(ctx: &Ctx, new: super::NewPerson) -> Result<PreparedNew> {
    ctx.require(Permission::RegistryWrite)?;
    let v = validate_person(
        &new.name,
        &new.id_number,
        new.phone.as_deref(),
        new.address_detail.as_deref(),
        ctx.today(),
    )?;
    // The unit is resolved inside the write, where its path cannot change
    // under the insert.
    let person = seal(ctx, &v, (0, ""), new.household_id, new.relation)?;
    Ok(PreparedNew {
        person,
        unit: new.unit,
        id_masked: mask::id_number(v.id.as_str()),
        phone_masked: v.phone.as_ref().map(|p| mask::phone(p.as_str())),
        address_masked: v.address_detail.as_deref().map(mask::address_detail),
    })
}

/// The write part of creating a person: resolves the unit (in scope), checks
/// the household, inserts and audits. The answer is built from what was
/// written, without reading the row back and decrypting it.
pub fn create_prepared(c: &mut dyn Conn, ctx: &Ctx, new: PreparedNew) -> Result<Person> {
    ctx.require(Permission::RegistryWrite)?;
    let unit = units::resolve(c, ctx, "unit", &new.unit)?;
    let mut p = new.person;
    check_household(c, ctx, p.household_id, p.relation, None)?;
    p.unit_id = unit.id;
    p.unit_path = unit.path.clone();
    let now = ctx.now_ms();
    let person = Person {
        id: 0,
        name: p.name.clone(),
        sex: p.sex,
        birth_year: mask::birth_year(&p.birth_date),
        id_number: new.id_masked,
        phone: new.phone_masked,
        unit: unit.code,
        unit_name: unit.name,
        address_detail: new.address_masked,
        household_id: p.household_id,
        relation: p.relation,
        version: 1,
        created_at: ms_to_time(now),
        updated_at: ms_to_time(now),
    };
    let id = insert(c, p, now)?;
    audit::record(
        c,
        ctx,
        "person",
        id,
        "create",
        json!({"fields": ["name", "id_number", "phone", "unit", "address_detail", "household_id", "relation"]}),
    )?;
    Ok(Person { id, ..person })
}

fn insert(c: &mut dyn Conn, p: PreparedPerson, now: i64) -> Result<i64> {
    c.query_one(
        "INSERT INTO people (name, sex, birth_date, id_hash, id_enc, phone_hash, phone_enc, address_enc,
            unit_id, unit_path, household_id, relation, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
        &row_values(p, now),
    )
    .map_err(|e| match e {
        Error::Unique(_) => duplicate_id(),
        other => other,
    })?
    .get(0)
}

/// What registering a person came to.
#[derive(Debug)]
pub enum Submitted {
    // Boxed: the request is an id, the person a whole record.
    Created(Box<Person>),
    /// The ID number is registered outside the caller's scope: a registration
    /// request for its unit's staff was recorded instead ([`super::registration`]).
    Requested {
        request: i64,
    },
}

/// Creates a person, or, when the ID number is registered outside the
/// caller's scope, records a registration request, without saying why (see
/// [`super::registration`]). Inside the scope a duplicate is still a `409`:
/// the caller can see that person anyway. Every check that can refuse a new
/// person (unit, household) runs first, so that it refuses both alike.
pub fn submit_prepared(c: &mut dyn Conn, ctx: &Ctx, new: PreparedNew) -> Result<Submitted> {
    ctx.require(Permission::RegistryWrite)?;
    let unit = units::resolve(c, ctx, "unit", &new.unit)?;
    check_household(c, ctx, new.person.household_id, new.person.relation, None)?;
    let found = c.query_opt(
        "SELECT id, unit_path FROM people WHERE id_hash = $1",
        &[Value::Blob(new.person.id_hash.clone())],
    )?;
    match found {
        None => create_prepared(c, ctx, new).map(|p| Submitted::Created(Box::new(p))),
        Some(r) if ctx.scope.contains(&r.get::<String>(1)?) => Err(duplicate_id()),
        Some(r) => super::registration::request(c, ctx, r.get(0)?, unit.id)
            .map(|request| Submitted::Requested { request }),
    }
}
