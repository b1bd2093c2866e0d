//! People from a sheet, with their households (户号, 与户主关系).
//!
//! A person is found by the lookup hash of their ID number, so a second import
//! of the same file finds every row unchanged. A blank cell never erases a
//! value: it leaves the field as it is (a column missing from the file too).
//! Personal values go through `people::prepare`, like every other write.

use super::directory::Directory;
use super::import::{need, ok, Handler, RowView, Tally};
use super::RowIssue;
use crate::ctx::Ctx;
use crate::db::{placeholders, Conn, Value};
use crate::error::{Error, Result};
use crate::params;
use crate::people::{self, PreparedPerson};
use std::collections::{HashMap, HashSet};
use wangge_core::people::{check_text, Relation};

mod fields;
mod rows;
pub use fields::{compose_address, political_status, split_address};
use rows::{insert_many, update};

pub struct Rec {
    p: PreparedPerson,
    /// The place given in the row (the unit is then set in `p`).
    has_place: bool,
    address: Option<String>,
    household: Option<String>,
    relation: Option<Relation>,
    political: Option<&'static str>,
}

struct Existing {
    id: i64,
    name: String,
    phone_hash: Option<Vec<u8>>,
    address_enc: Option<Vec<u8>>,
    unit_id: i64,
    unit_path: String,
    household: Option<i64>,
    relation: Option<Relation>,
    political: Option<String>,
}

/// A household, registered or about to be created by an earlier row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Hh {
    Db(i64),
    New(u32),
}

/// Who is a household's head: a registered person or an earlier row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Person(i64),
    Row(u64),
}

/// A household number not yet registered: the first good row creates it.
const TO_CREATE: u32 = u32::MAX;

#[derive(Default)]
pub struct People {
    dir: Directory,
    /// First row of each ID number in the file, by the first 8 bytes of its hash.
    seen: HashMap<u64, u64>,
    /// Households by (unit, number); `None` when the number is ambiguous.
    by_key: HashMap<(i64, String), Option<Hh>>,
    heads: HashMap<Hh, Owner>,
    /// Households whose head is known (looked up or set by a row).
    head_known: HashSet<Hh>,
    new_households: u32,
    /// Registration requests the account may still make in this pass.
    requests_left: Option<i64>,
}

fn short(hash: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&hash[..8.min(hash.len())]);
    u64::from_le_bytes(b)
}

impl Handler for People {
    type Rec = Rec;

    fn begin(&mut self, c: &mut dyn Conn, ctx: &Ctx, _write: bool) -> Result<()> {
        *self = People {
            dir: Directory::load(c, ctx)?,
            ..People::default()
        };
        Ok(())
    }

    fn parse(&mut self, ctx: &Ctx, row: &RowView<'_>, _write: bool) -> Result<Rec, Vec<RowIssue>> {
        let mut bad = Vec::new();
        let name_cell = row.text("name");
        let name = need(&mut bad, "name", name_cell);
        let id_cell = row.ident("id_number");
        let id_number = need(&mut bad, "id_number", id_cell);
        let phone = ok(&mut bad, row.ident("phone"));
        let place = row.place(&mut bad);
        let unit = match self.dir.resolve(&place) {
            Ok(u) => u.map(|u| (u.id, u.path.clone())),
            Err(e) => {
                bad.push(e);
                None
            }
        };
        let entrance = ok(&mut bad, row.text("entrance"));
        let room = ok(&mut bad, row.text("room"));
        let detail = ok(&mut bad, row.text("address_detail"));
        let address = compose_address(entrance.as_deref(), room.as_deref()).or(detail);
        let household = ok(&mut bad, row.text("household")).map(|h| {
            check_text("household", &h, 40)
                .map_err(|e| RowIssue::from_error(&Error::from(e), Some("household")))
        });
        let household = ok(&mut bad, household.transpose());
        let relation = ok(&mut bad, row.text("relation")).map(|r| {
            Relation::parse(&r).map_err(|e| RowIssue::from_error(&Error::from(e), Some("relation")))
        });
        let relation = ok(&mut bad, relation.transpose());
        let political = ok(&mut bad, row.text("political_status")).map(|p| political_status(&p));
        let political = ok(&mut bad, political.transpose());
        let (Some(name), Some(id_number)) = (name, id_number) else {
            // Still name every problem of the row at once.
            if let Some(Err(e)) = phone.as_deref().map(wangge_core::ids::parse_phone) {
                bad.push(RowIssue::from_error(&Error::from(e), Some("phone")));
            }
            return Err(bad);
        };
        let has_place = unit.is_some();
        let (unit_id, unit_path) = unit.unwrap_or((0, String::new()));
        let prepared = people::prepare(
            ctx,
            &name,
            &id_number,
            phone.as_deref(),
            address.as_deref(),
            (unit_id, &unit_path),
            None,
            None,
        );
        match prepared {
            Ok(p) if bad.is_empty() => Ok(Rec {
                p,
                has_place,
                address: address.map(|a| a.trim().to_string()),
                household,
                relation,
                political,
            }),
            Ok(_) => Err(bad),
            Err(e) => {
                let column = match &e {
                    Error::Domain(wangge_core::Error::Invalid { field, .. }) => {
                        match field.as_str() {
                            "name" => Some("name"),
                            "id_number" => Some("id_number"),
                            "phone" => Some("phone"),
                            _ if row.has("address_detail") && !row.has("room") => {
                                Some("address_detail")
                            }
                            _ => Some("room"),
                        }
                    }
                    _ => None,
                };
                bad.push(RowIssue::from_error(&e, column));
                Err(bad)
            }
        }
    }

    fn process(
        &mut self,
        c: &mut dyn Conn,
        ctx: &Ctx,
        chunk: Vec<(u64, Rec)>,
        write: bool,
        t: &mut Tally,
    ) -> Result<()> {
        let existing = self.existing(c, &chunk)?;
        self.load_households(c, &chunk, &existing)?;
        let mut inserts: Vec<PreparedPerson> = Vec::new();
        let mut politics: Vec<Option<&'static str>> = Vec::new();
        for (row, mut rec) in chunk {
            let key = short(&rec.p.id_hash);
            let old = existing.get(&rec.p.id_hash);
            let mut bad = Vec::new();
            if let Some(first) = self.seen.get(&key) {
                bad.push(
                    RowIssue::new(
                        "duplicate_in_file",
                        format!("与第{first}行的身份证号重复"),
                        format!("the same ID number as row {first}"),
                    )
                    .at("id_number"),
                );
            }
            // Registered outside the caller's scope: the row is answered as if
            // the number were new, and a good one becomes a registration
            // request for the unit that holds the person (`people::registration`).
            let elsewhere = old.filter(|o| !ctx.scope.contains(&o.unit_path));
            let old = old.filter(|_| elsewhere.is_none());
            if !rec.has_place {
                match old {
                    Some(o) => {
                        rec.p.unit_id = o.unit_id;
                        rec.p.unit_path = o.unit_path.clone();
                    }
                    None => bad.push(
                        RowIssue::new(
                            "place_required",
                            "新登记的人员须填写所属社区/小区/楼栋或单元代码",
                            "a newly registered person needs a place: community/compound/building or the unit code",
                        )
                        .at("community"),
                    ),
                }
            }
            if !bad.is_empty() {
                bad.into_iter().for_each(|i| t.reject(row, i));
                continue;
            }
            // The household and relation the person will have.
            let (hh, relation) = match self.household_of(&rec, old) {
                Ok(v) => v,
                Err(i) => {
                    t.reject(row, i);
                    continue;
                }
            };
            let me = old.map_or(Owner::Row(row), |o| Owner::Person(o.id));
            if relation == Some(Relation::Head) {
                if let Some(h) = hh {
                    if let Some(other) = self.heads.get(&h).filter(|o| **o != me) {
                        let (zh, en) = match other {
                            Owner::Row(r) => (format!("(第{r}行)"), format!(" (row {r})")),
                            Owner::Person(_) => {
                                ("(已登记)".to_string(), " (registered)".to_string())
                            }
                        };
                        t.reject(
                            row,
                            RowIssue::new(
                                "household_has_head",
                                format!("该户已有户主{zh},每户只能有一个户主"),
                                format!("the household already has a head{en}; a household has one head"),
                            )
                            .at("relation"),
                        );
                        continue;
                    }
                }
            }
            // Only now, so that a row with a bad household is refused alike
            // whether or not its number is registered elsewhere.
            if let Some(o) = elsewhere {
                self.seen.insert(key, row);
                match self.request(c, ctx, o.id, rec.p.unit_id, write)? {
                    Ok(()) => t.pending += 1,
                    Err(i) => t.reject(row, i),
                }
                continue;
            }
            // The row is good: it now shapes what later rows see.
            self.seen.insert(key, row);
            if let Some(o) = old {
                if o.relation == Some(Relation::Head) {
                    if let Some(h) = o.household.map(Hh::Db) {
                        if Some(h) != hh || relation != Some(Relation::Head) {
                            self.heads.remove(&h);
                        }
                    }
                }
            }
            let hh = match hh {
                Some(Hh::New(_)) | None => self.create_household(c, ctx, &rec, hh, write)?,
                other => other,
            };
            if let (Some(h), Some(Relation::Head)) = (hh, relation) {
                self.heads.insert(h, me);
            }
            let household_id = match hh {
                Some(Hh::Db(id)) => Some(id),
                _ => None,
            };
            match old {
                None => {
                    t.created += 1;
                    if write {
                        rec.p.household_id = household_id;
                        rec.p.relation = relation;
                        politics.push(rec.political);
                        inserts.push(rec.p);
                    }
                }
                Some(o) => {
                    let changed = self.diff(ctx, &rec, o, hh, relation)?;
                    if changed.is_empty() {
                        t.unchanged += 1;
                    } else {
                        t.updated += 1;
                        if write {
                            update(c, ctx, &rec, o, household_id, relation, &changed)?;
                        }
                    }
                }
            }
        }
        if write && !inserts.is_empty() {
            insert_many(c, ctx, &inserts, &politics)?;
        }
        Ok(())
    }
}

impl People {
    /// A registration request for a person registered elsewhere, within the
    /// account's daily allowance (counted across the check and the write).
    fn request(
        &mut self,
        c: &mut dyn Conn,
        ctx: &Ctx,
        person: i64,
        unit_id: i64,
        write: bool,
    ) -> Result<Result<(), RowIssue>> {
        let left = match self.requests_left {
            Some(n) => n,
            None => people::registration::remaining(c, ctx)?,
        };
        if left == 0 {
            self.requests_left = Some(0);
            return Ok(Err(RowIssue::new(
                "registration_request_limit",
                format!(
                    "24小时内最多提交{}条登记申请,本行未处理",
                    people::registration::PER_DAY
                ),
                format!(
                    "at most {} registration requests may be submitted in 24 hours; this row was not processed",
                    people::registration::PER_DAY
                ),
            )
            .at("id_number")));
        }
        if write {
            people::registration::request(c, ctx, person, unit_id)?;
        }
        self.requests_left = Some(left - 1);
        Ok(Ok(()))
    }

    fn existing(
        &self,
        c: &mut dyn Conn,
        chunk: &[(u64, Rec)],
    ) -> Result<HashMap<Vec<u8>, Existing>> {
        let mut out = HashMap::new();
        for part in chunk.chunks(500) {
            let args: Vec<Value> = part
                .iter()
                .map(|(_, r)| r.p.id_hash.clone().into())
                .collect();
            let rows = c.query(
                &format!(
                    "SELECT id_hash, id, name, phone_hash, address_enc, unit_id, unit_path, household_id,
                     relation, political_status FROM people WHERE id_hash IN ({})",
                    placeholders(1, args.len())
                ),
                &args,
            )?;
            for r in rows {
                out.insert(
                    r.get::<Vec<u8>>(0)?,
                    Existing {
                        id: r.get(1)?,
                        name: r.get(2)?,
                        phone_hash: r.get(3)?,
                        address_enc: r.get(4)?,
                        unit_id: r.get(5)?,
                        unit_path: r.get(6)?,
                        household: r.get(7)?,
                        relation: r
                            .get::<Option<String>>(8)?
                            .map(|s| Relation::parse(&s))
                            .transpose()?,
                        political: r.get(9)?,
                    },
                );
            }
        }
        Ok(out)
    }

    /// Looks up the households (and their heads) that this chunk names and
    /// earlier chunks did not.
    fn load_households(
        &mut self,
        c: &mut dyn Conn,
        chunk: &[(u64, Rec)],
        existing: &HashMap<Vec<u8>, Existing>,
    ) -> Result<()> {
        let mut numbers: HashSet<String> = HashSet::new();
        for (_, r) in chunk {
            if let Some(n) = &r.household {
                let unit = if r.has_place {
                    Some(r.p.unit_id)
                } else {
                    existing.get(&r.p.id_hash).map(|o| o.unit_id)
                };
                if let Some(u) = unit {
                    if !self.by_key.contains_key(&(u, n.clone())) {
                        numbers.insert(n.clone());
                    }
                }
            }
        }
        let numbers: Vec<String> = numbers.into_iter().collect();
        let mut found: HashMap<(i64, String), Vec<i64>> = HashMap::new();
        for part in numbers.chunks(500) {
            let args: Vec<Value> = part.iter().map(|n| n.as_str().into()).collect();
            for r in c.query(
                &format!(
                    "SELECT id, unit_id, number FROM households WHERE number IN ({})",
                    placeholders(1, args.len())
                ),
                &args,
            )? {
                found
                    .entry((r.get(1)?, r.get(2)?))
                    .or_default()
                    .push(r.get(0)?);
            }
        }
        // Heads of every registered household the chunk touches.
        let mut ids: HashSet<i64> = HashSet::new();
        for (_, r) in chunk {
            if let Some(n) = &r.household {
                let unit = if r.has_place {
                    Some(r.p.unit_id)
                } else {
                    existing.get(&r.p.id_hash).map(|o| o.unit_id)
                };
                if let Some(u) = unit {
                    let key = (u, n.clone());
                    let v = match self.by_key.get(&key) {
                        Some(v) => *v,
                        None => {
                            let v = match found.get(&key).map(Vec::as_slice) {
                                None | Some([]) => Some(Hh::New(TO_CREATE)),
                                Some([id]) => Some(Hh::Db(*id)),
                                Some(_) => None,
                            };
                            self.by_key.insert(key, v);
                            v
                        }
                    };
                    if let Some(Hh::Db(id)) = v {
                        if !self.head_known.contains(&Hh::Db(id)) {
                            ids.insert(id);
                        }
                    }
                }
            }
        }
        for o in existing.values() {
            if let Some(h) = o.household {
                if !self.head_known.contains(&Hh::Db(h)) {
                    ids.insert(h);
                }
            }
        }
        let ids: Vec<i64> = ids.into_iter().collect();
        for part in ids.chunks(500) {
            let args: Vec<Value> = part.iter().map(|i| (*i).into()).collect();
            for r in c.query(
                &format!(
                    "SELECT household_id, id FROM people WHERE relation = 'head' AND household_id IN ({})",
                    placeholders(1, args.len())
                ),
                &args,
            )? {
                self.heads
                    .insert(Hh::Db(r.get(0)?), Owner::Person(r.get(1)?));
            }
            for id in part {
                self.head_known.insert(Hh::Db(*id));
            }
        }
        Ok(())
    }

    /// The household and relation a row gives the person, checked.
    fn household_of(
        &self,
        rec: &Rec,
        old: Option<&Existing>,
    ) -> Result<(Option<Hh>, Option<Relation>), RowIssue> {
        match (&rec.household, rec.relation) {
            (Some(n), rel) => {
                let key = (rec.p.unit_id, n.clone());
                let hh = match self.by_key.get(&key) {
                    Some(Some(h)) => *h,
                    Some(None) => {
                        return Err(RowIssue::new(
                            "ambiguous_household",
                            format!("该楼栋有多个户号为“{n}”的户,无法确定是哪一户"),
                            format!(
                                "more than one household in this building has the number '{n}'"
                            ),
                        )
                        .at("household"))
                    }
                    None => Hh::New(TO_CREATE),
                };
                let same = old.is_some_and(|o| o.household.map(Hh::Db) == Some(hh));
                let rel = rel.or(if same {
                    old.and_then(|o| o.relation)
                } else {
                    None
                });
                match rel {
                    Some(r) => Ok((Some(hh), Some(r))),
                    None => Err(RowIssue::new(
                        "relation_required",
                        "填写了户号,须同时填写与户主关系",
                        "a household number needs the relation to the head",
                    )
                    .at("relation")),
                }
            }
            (None, Some(rel)) => match old.and_then(|o| o.household) {
                Some(h) => Ok((Some(Hh::Db(h)), Some(rel))),
                None => Err(RowIssue::new(
                    "household_required",
                    "填写了与户主关系,但没有户号",
                    "a relation to the head was given without a household number",
                )
                .at("household")),
            },
            (None, None) => Ok((
                old.and_then(|o| o.household).map(Hh::Db),
                old.and_then(|o| o.relation),
            )),
        }
    }

    /// A household that no earlier row or registration has: created (when
    /// writing) or noted as to be created.
    fn create_household(
        &mut self,
        c: &mut dyn Conn,
        ctx: &Ctx,
        rec: &Rec,
        hh: Option<Hh>,
        write: bool,
    ) -> Result<Option<Hh>> {
        let Some(Hh::New(_)) = hh else {
            return Ok(hh);
        };
        let Some(number) = &rec.household else {
            return Ok(hh);
        };
        let key = (rec.p.unit_id, number.clone());
        if let Some(Some(h)) = self.by_key.get(&key) {
            if !matches!(h, Hh::New(TO_CREATE)) {
                return Ok(Some(*h));
            }
        }
        let h =
            if write {
                let id: i64 = c
                .query_one(
                    "INSERT INTO households (number, unit_id, unit_path, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $4) RETURNING id",
                    params![number.as_str(), rec.p.unit_id, rec.p.unit_path.as_str(), ctx.now_ms()],
                )?
                .get(0)?;
                Hh::Db(id)
            } else {
                self.new_households += 1;
                Hh::New(self.new_households)
            };
        self.by_key.insert(key, Some(h));
        self.head_known.insert(h);
        Ok(Some(h))
    }

    /// The names of the fields a row changes on a registered person.
    fn diff(
        &self,
        ctx: &Ctx,
        rec: &Rec,
        o: &Existing,
        hh: Option<Hh>,
        relation: Option<Relation>,
    ) -> Result<Vec<&'static str>> {
        let mut changed = Vec::new();
        if rec.p.name != o.name {
            changed.push("name");
        }
        if rec.p.phone_hash.is_some() && rec.p.phone_hash != o.phone_hash {
            changed.push("phone");
        }
        if let Some(a) = &rec.address {
            let current = o
                .address_enc
                .as_ref()
                .map(|b| ctx.keys().open(super::F_ADDRESS, b))
                .transpose()?;
            if current.as_deref() != Some(a.as_str()) {
                changed.push("address_detail");
            }
        }
        if rec.p.unit_id != o.unit_id {
            changed.push("unit");
        }
        let new_household = match hh {
            Some(Hh::Db(id)) => Some(id),
            Some(Hh::New(_)) => Some(-1),
            None => None,
        };
        if new_household != o.household || relation != o.relation {
            changed.push("household");
        }
        if rec.political.is_some() && rec.political != o.political.as_deref() {
            changed.push("political_status");
        }
        Ok(changed)
    }
}
