//! Residents in SQL. ID numbers, phones and address details are stored encrypted,
//! with keyed hashes for lookup, and leave the store masked.

use crate::ctx::{ms_to_time, Ctx};
use crate::db::{Conn, Row, Value};
use crate::error::{Error, Result};
use crate::paging::{self, Page};
use crate::{audit, households, params, units};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use wangge_core::auth::Permission;
use wangge_core::ids::{parse_phone, Sex};
use wangge_core::people::{check_text, optional, Relation};
use wangge_core::{mask, Error as CoreError};

mod prepared;
pub mod registration;
pub use prepared::{
    create_prepared, insert_prepared, prepare, prepare_new, submit_prepared, PreparedNew,
    PreparedPerson, Submitted,
};

const F_ID: &str = "people.id_number";
const F_PHONE: &str = "people.phone";
const F_ADDRESS: &str = "people.address_detail";

/// A person as the API shows them: personal values masked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub sex: Sex,
    /// The year of birth only: the full date is what the masked ID number
    /// hides (it is in [`Revealed`]).
    pub birth_year: i32,
    /// Masked: `371702********123X`.
    pub id_number: String,
    /// Masked: `138****5678`.
    pub phone: Option<String>,
    /// Code of the unit (usually a building) where the person lives.
    pub unit: String,
    pub unit_name: String,
    /// Masked: unit and room are hidden.
    pub address_detail: Option<String>,
    pub household_id: Option<i64>,
    pub relation: Option<Relation>,
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    #[schema(min_length = 1, max_length = 50)]
    pub name: String,
    /// 18-character resident ID number (GB 11643).
    pub id_number: String,
    pub phone: Option<String>,
    /// Code of the unit where the person lives.
    pub unit: String,
    /// Unit (单元) and room within the building, e.g. "2单元301室".
    pub address_detail: Option<String>,
    pub household_id: Option<i64>,
    pub relation: Option<Relation>,
}

/// Fields to change; an absent field is left as it is, `null` clears an optional one.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonPatch {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    pub unit: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub address_detail: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub household_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Relation>)]
    pub relation: Option<Option<Relation>>,
    /// The version the change was based on; a stale one is refused with 409.
    pub version: Option<i64>,
}

fn double_option<'de, T, D>(d: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

const SELECT: &str =
    "SELECT p.id, p.name, p.sex, p.birth_date, p.id_enc, p.phone_enc, u.code, u.name,
    p.address_enc, p.household_id, p.relation, p.version, p.created_at, p.updated_at, p.unit_path
    FROM people p JOIN units u ON u.id = p.unit_id";

fn from_row(ctx: &Ctx, r: &Row) -> Result<(Person, String)> {
    let keys = ctx.keys();
    let open = |field, v: Option<Vec<u8>>| -> Result<Option<String>> {
        v.map(|b| keys.open(field, &b)).transpose()
    };
    let id_number = keys.open(F_ID, &r.get::<Vec<u8>>(4)?)?;
    let relation = r
        .get::<Option<String>>(10)?
        .map(|s| Relation::parse(&s))
        .transpose()?;
    Ok((
        Person {
            id: r.get(0)?,
            name: r.get(1)?,
            sex: Sex::parse(&r.get::<String>(2)?).unwrap_or(Sex::Female),
            birth_year: mask::birth_year(&r.get::<String>(3)?),
            id_number: mask::id_number(&id_number),
            phone: open(F_PHONE, r.get(5)?)?.map(|p| mask::phone(&p)),
            unit: r.get(6)?,
            unit_name: r.get(7)?,
            address_detail: open(F_ADDRESS, r.get(8)?)?.map(|a| mask::address_detail(&a)),
            household_id: r.get(9)?,
            relation,
            version: r.get(11)?,
            created_at: ms_to_time(r.get(12)?),
            updated_at: ms_to_time(r.get(13)?),
        },
        r.get(14)?,
    ))
}

pub(crate) fn duplicate_id() -> Error {
    // Says nothing about the person already registered.
    CoreError::conflict(
        "person_exists",
        "该身份证号码已登记",
        "a person with this ID number is already registered",
    )
    .into()
}

/// Checks a household reference and its relation, within scope.
pub(crate) fn check_household(
    c: &mut dyn Conn,
    ctx: &Ctx,
    household: Option<i64>,
    relation: Option<Relation>,
    person: Option<i64>,
) -> Result<()> {
    match (household, relation) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(CoreError::invalid(
            "household_id",
            "required",
            "填写了与户主关系,但没有指定户",
            "a relation to the head was given without a household",
        )
        .into()),
        (Some(_), None) => Err(CoreError::invalid(
            "relation",
            "required",
            "加入户时须填写与户主关系",
            "a household member needs a relation to the head",
        )
        .into()),
        (Some(h), Some(rel)) => {
            households::get(c, ctx, h).map_err(|e| match e {
                Error::NotFound { .. } => CoreError::invalid(
                    "household_id",
                    "unknown_household",
                    format!("户{h}不存在"),
                    format!("no household {h}"),
                )
                .into(),
                other => other,
            })?;
            if rel == Relation::Head {
                let n: i64 = c
                    .query_one(
                        "SELECT COUNT(*) FROM people WHERE household_id = $1 AND relation = 'head' AND id <> $2",
                        params![h, person.unwrap_or(0)],
                    )?
                    .get(0)?;
                if n > 0 {
                    return Err(CoreError::conflict(
                        "household_has_head",
                        "该户已有户主",
                        "the household already has a head",
                    )
                    .into());
                }
            }
            Ok(())
        }
    }
}

/// Creates a person in one go (validation and encryption included); the API
/// splits this into [`prepare_new`] before the write and [`create_prepared`]
/// inside it, so the CPU work stays off the writer thread.
pub fn create(c: &mut dyn Conn, ctx: &Ctx, new: NewPerson) -> Result<Person> {
    let p = prepare_new(ctx, new)?;
    create_prepared(c, ctx, p)
}

pub fn get(c: &mut dyn Conn, ctx: &Ctx, id: i64) -> Result<Person> {
    ctx.require(Permission::RegistryRead)?;
    let r = c
        .query_opt(&format!("{SELECT} WHERE p.id = $1"), params![id])?
        .ok_or_else(|| Error::not_found("person"))?;
    let (person, path) = from_row(ctx, &r)?;
    if ctx.scope.contains(&path) {
        Ok(person)
    } else {
        Err(Error::not_found("person"))
    }
}

/// Finds a person by ID number through its keyed hash, within scope.
pub fn find_by_id_number(c: &mut dyn Conn, ctx: &Ctx, id_number: &str) -> Result<Person> {
    ctx.require(Permission::RegistryRead)?;
    let id = wangge_core::ids::parse_resident_id(id_number, ctx.today())?;
    let hash = ctx.keys().lookup_hash(F_ID, id.as_str());
    let r = c
        .query_opt(
            &format!("{SELECT} WHERE p.id_hash = $1"),
            &[Value::Blob(hash)],
        )?
        .ok_or_else(|| Error::not_found("person"))?;
    let (person, path) = from_row(ctx, &r)?;
    if ctx.scope.contains(&path) {
        Ok(person)
    } else {
        Err(Error::not_found("person"))
    }
}

/// [`find_by_id_number`] as the API answers it: audited (who looked, and the
/// person's id when one in scope was found; never the ID number), so it runs
/// in a write. `None` when nobody in scope has the number.
pub fn lookup(c: &mut dyn Conn, ctx: &Ctx, id_number: &str) -> Result<Option<Person>> {
    let found = match find_by_id_number(c, ctx, id_number) {
        Ok(p) => Some(p),
        Err(Error::NotFound { .. }) => None,
        Err(e) => return Err(e),
    };
    audit::record(
        c,
        ctx,
        "person",
        found.as_ref().map_or(0, |p| p.id),
        "lookup",
        json!({"found": found.is_some()}),
    )?;
    Ok(found)
}

/// People living anywhere in the subtree of `unit` (or the caller's whole scope),
/// ordered by place then id: one index range scan, whatever the depth.
pub fn list(
    c: &mut dyn Conn,
    ctx: &Ctx,
    unit: Option<&str>,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> Result<Page<Person>> {
    ctx.require(Permission::RegistryRead)?;
    let limit = paging::limit(limit)?;
    let root = units::list_root(c, ctx, unit)?;
    paging::subtree_page(
        c,
        SELECT,
        "people",
        "p",
        &root,
        |_| (String::new(), vec![]),
        cursor,
        limit,
        |r| from_row(ctx, r),
        |p| p.id,
    )
}

pub fn update(c: &mut dyn Conn, ctx: &Ctx, id: i64, patch: PersonPatch) -> Result<Person> {
    ctx.require(Permission::RegistryWrite)?;
    let current = get(c, ctx, id)?;
    if let Some(v) = patch.version {
        if v != current.version {
            return Err(CoreError::conflict(
                "stale_version",
                format!(
                    "该记录已被他人修改(当前版本{}),请刷新后重试",
                    current.version
                ),
                format!(
                    "the record was changed by someone else (now version {}); reload and try again",
                    current.version
                ),
            )
            .into());
        }
    }
    let keys = ctx.keys();
    let mut sets: Vec<(&str, Value)> = Vec::new();
    let mut changed = Vec::new();
    if let Some(name) = &patch.name {
        sets.push(("name", check_text("name", name, 50)?.into()));
        changed.push("name");
    }
    if let Some(phone) = &patch.phone {
        let p = optional(phone.as_deref()).map(parse_phone).transpose()?;
        sets.push((
            "phone_hash",
            p.as_ref()
                .map(|p| keys.lookup_hash(F_PHONE, p.as_str()))
                .into(),
        ));
        sets.push((
            "phone_enc",
            p.as_ref()
                .map(|p| keys.seal(F_PHONE, p.as_str()))
                .transpose()?
                .into(),
        ));
        changed.push("phone");
    }
    if let Some(addr) = &patch.address_detail {
        let a = optional(addr.as_deref())
            .map(|a| check_text("address_detail", a, 100))
            .transpose()?;
        sets.push((
            "address_enc",
            a.map(|a| keys.seal(F_ADDRESS, &a)).transpose()?.into(),
        ));
        changed.push("address_detail");
    }
    if let Some(code) = &patch.unit {
        let unit = units::resolve(c, ctx, "unit", code)?;
        sets.push(("unit_id", unit.id.into()));
        sets.push(("unit_path", unit.path.into()));
        changed.push("unit");
    }
    if patch.household_id.is_some() || patch.relation.is_some() {
        let household = patch.household_id.unwrap_or(current.household_id);
        let relation = patch.relation.unwrap_or(current.relation);
        check_household(c, ctx, household, relation, Some(id))?;
        sets.push(("household_id", household.into()));
        sets.push(("relation", relation.map(Relation::as_str).into()));
        changed.push("household");
    }
    if sets.is_empty() {
        return Ok(current);
    }
    let mut args: Vec<Value> = Vec::new();
    let mut assignments = Vec::new();
    for (col, v) in sets {
        args.push(v);
        assignments.push(format!("{col} = ${}", args.len()));
    }
    args.push(ctx.now_ms().into());
    assignments.push(format!("updated_at = ${}", args.len()));
    args.push(id.into());
    let id_arg = args.len();
    args.push(current.version.into());
    let n = c.execute(
        &format!(
            "UPDATE people SET {}, version = version + 1 WHERE id = ${id_arg} AND version = ${}",
            assignments.join(", "),
            args.len()
        ),
        &args,
    )?;
    if n == 0 {
        return Err(CoreError::conflict(
            "stale_version",
            "该记录刚被他人修改,请刷新后重试",
            "the record was just changed by someone else; reload and try again",
        )
        .into());
    }
    audit::record(c, ctx, "person", id, "update", json!({"fields": changed}))?;
    get(c, ctx, id)
}

/// The unmasked personal values of one person, for roles allowed to see them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Revealed {
    pub id_number: String,
    /// YYYY-MM-DD, derived from the ID number.
    pub birth_date: String,
    pub phone: Option<String>,
    pub address_detail: Option<String>,
}

pub fn reveal(c: &mut dyn Conn, ctx: &Ctx, id: i64, reason: &str) -> Result<Revealed> {
    ctx.require(Permission::RevealPersonal)?;
    let reason = check_text("reason", reason, 200)?;
    get(c, ctx, id)?;
    let out = open_personal(c, ctx, id)?;
    audit::record(c, ctx, "person", id, "reveal", json!({"reason": reason}))?;
    Ok(out)
}

/// How long after a reveal the same user may see the values again without a
/// new audit entry: long enough for a reload or the redirect after the form.
pub const REVEAL_GRANT_MS: i64 = 120_000;

/// The values of a reveal this user made at `revealed_at_ms` (the time of its
/// audit entry), shown again without a second entry while the grant lasts:
/// a reload of the page is the same view, already audited. Without such an
/// entry by this user for this person, or once it is older than
/// [`REVEAL_GRANT_MS`], the answer is `Forbidden`.
pub fn reveal_again(c: &mut dyn Conn, ctx: &Ctx, id: i64, revealed_at_ms: i64) -> Result<Revealed> {
    ctx.require(Permission::RevealPersonal)?;
    get(c, ctx, id)?;
    let now = ctx.now_ms();
    if revealed_at_ms > now || now - revealed_at_ms > REVEAL_GRANT_MS {
        return Err(Error::Forbidden);
    }
    let audited = c.query(
        "SELECT seq FROM audit_log WHERE entity = 'person' AND entity_id = $1
           AND action = 'reveal' AND actor = $2 AND at = $3",
        params![id, ctx.actor.clone(), revealed_at_ms],
    )?;
    if audited.is_empty() {
        return Err(Error::Forbidden);
    }
    open_personal(c, ctx, id)
}

fn open_personal(c: &mut dyn Conn, ctx: &Ctx, id: i64) -> Result<Revealed> {
    let r = c.query_one(
        "SELECT id_enc, phone_enc, address_enc, birth_date FROM people WHERE id = $1",
        params![id],
    )?;
    let keys = ctx.keys();
    Ok(Revealed {
        id_number: keys.open(F_ID, &r.get::<Vec<u8>>(0)?)?,
        birth_date: r.get(3)?,
        phone: r
            .get::<Option<Vec<u8>>>(1)?
            .map(|b| keys.open(F_PHONE, &b))
            .transpose()?,
        address_detail: r
            .get::<Option<Vec<u8>>>(2)?
            .map(|b| keys.open(F_ADDRESS, &b))
            .transpose()?,
    })
}
