//! Positions from a sheet: a registered person (by ID number) in an
//! organisation (by credit code or name). Person, organisation, kind, title and
//! start date are the key; a row with a new end date ends the position.

use super::import::{need, ok, Handler, RowView, Tally};
use super::{RowIssue, F_ID};
use crate::ctx::Ctx;
use crate::db::{Conn, Value};
use crate::error::{Error, Result};
use crate::{audit, params};
use serde_json::json;
use std::collections::HashMap;
use time::Date;
use wangge_core::ids::parse_resident_id;
use wangge_core::people::check_text;
use wangge_core::positions::{check_period, PositionKind};

pub struct Rec {
    id_hash: Vec<u8>,
    name: Option<String>,
    org_name: Option<String>,
    org_code: Option<String>,
    kind: PositionKind,
    title: String,
    from: Date,
    to: Option<Date>,
}

#[derive(Default)]
pub struct Positions {
    seen: HashMap<(i64, i64, PositionKind, String, Date), u64>,
}

fn err(e: impl Into<Error>, column: &'static str) -> RowIssue {
    RowIssue::from_error(&e.into(), Some(column))
}

impl Handler for Positions {
    type Rec = Rec;

    fn begin(&mut self, _c: &mut dyn Conn, _ctx: &Ctx, _write: bool) -> Result<()> {
        self.seen.clear();
        Ok(())
    }

    fn parse(&mut self, ctx: &Ctx, row: &RowView<'_>, _write: bool) -> Result<Rec, Vec<RowIssue>> {
        let mut bad = Vec::new();
        let cell = row.ident("id_number");
        let id_hash = need(&mut bad, "id_number", cell).and_then(|s| {
            parse_resident_id(&s, ctx.today())
                .map(|id| ctx.keys().lookup_hash(F_ID, id.as_str()))
                .map_err(|e| bad.push(err(e, "id_number")))
                .ok()
        });
        let name = ok(&mut bad, row.text("name"));
        let org_name = ok(&mut bad, row.text("org"));
        let org_code = ok(&mut bad, row.ident("org_credit_code"));
        if org_name.is_none() && org_code.is_none() {
            bad.push(
                RowIssue::new(
                    "required",
                    "须填写组织名称或组织统一社会信用代码",
                    "give the organisation's name or credit code",
                )
                .at("org"),
            );
        }
        let cell = row.text("kind");
        let kind = need(&mut bad, "kind", cell).and_then(|k| {
            PositionKind::parse(&k)
                .map_err(|e| bad.push(err(e, "kind")))
                .ok()
        });
        let cell = row.text("title");
        let title = need(&mut bad, "title", cell).and_then(|t| {
            check_text("title", &t, 50)
                .map_err(|e| bad.push(err(e, "title")))
                .ok()
        });
        let cell = row.date("from");
        let from = need(&mut bad, "from", cell);
        let to = ok(&mut bad, row.date("to"));
        if let Some(f) = from {
            if let Err(e) = check_period(f, to) {
                bad.push(err(e, "to"));
            }
        }
        match (id_hash, kind, title, from) {
            (Some(id_hash), Some(kind), Some(title), Some(from)) if bad.is_empty() => Ok(Rec {
                id_hash,
                name,
                org_name,
                org_code,
                kind,
                title,
                from,
                to,
            }),
            _ => Err(bad),
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
        for (row, r) in chunk {
            if let Err(i) = self.one(c, ctx, row, &r, write, t)? {
                t.reject(row, i);
            }
        }
        Ok(())
    }
}

impl Positions {
    fn one(
        &mut self,
        c: &mut dyn Conn,
        ctx: &Ctx,
        row: u64,
        r: &Rec,
        write: bool,
        t: &mut Tally,
    ) -> Result<Result<(), RowIssue>> {
        let person = c.query_opt(
            "SELECT id, name, unit_path FROM people WHERE id_hash = $1",
            &[Value::Blob(r.id_hash.clone())],
        )?;
        let Some(person) = person.filter(|p| {
            p.get::<String>(2)
                .is_ok_and(|path| ctx.scope.contains(&path))
        }) else {
            return Ok(Err(RowIssue::new(
                "unknown_person",
                "该身份证号的人员尚未登记,或不在您的管辖范围内;请先导入人员",
                "no person with this ID number is registered inside your scope; import the people first",
            )
            .at("id_number")));
        };
        let (person_id, person_name): (i64, String) = (person.get(0)?, person.get(1)?);
        if let Some(n) = &r.name {
            if *n != person_name {
                return Ok(Err(RowIssue::new(
                    "name_mismatch",
                    format!("姓名与该身份证号登记的姓名“{person_name}”不一致"),
                    "the name differs from the one registered with this ID number",
                )
                .at("name")));
            }
        }
        let orgs = match &r.org_code {
            Some(code) => c.query(
                "SELECT id, unit_path FROM organisations WHERE credit_code = $1",
                params![code.as_str()],
            )?,
            None => c.query(
                "SELECT id, unit_path FROM organisations WHERE name = $1 ORDER BY id LIMIT 20",
                params![r.org_name.clone().unwrap_or_default()],
            )?,
        };
        let mut ids = Vec::new();
        for o in orgs {
            if ctx.scope.contains(&o.get::<String>(1)?) {
                ids.push(o.get::<i64>(0)?);
            }
        }
        let column = if r.org_code.is_some() {
            "org_credit_code"
        } else {
            "org"
        };
        let org_id = match ids.as_slice() {
            [id] => *id,
            [] => {
                return Ok(Err(RowIssue::new(
                    "unknown_organisation",
                    "该组织不存在,或不在您的管辖范围内;请先导入组织",
                    "no such organisation inside your scope; import the organisations first",
                )
                .at(column)))
            }
            _ => {
                return Ok(Err(RowIssue::new(
                    "ambiguous_organisation",
                    "同名的组织不止一个,请填写组织统一社会信用代码",
                    "more than one organisation has this name; give its credit code",
                )
                .at(column)))
            }
        };
        let key = (person_id, org_id, r.kind, r.title.clone(), r.from);
        if let Some(first) = self.seen.get(&key) {
            return Ok(Err(RowIssue::new(
                "duplicate_in_file",
                format!("与第{first}行是同一任职"),
                format!("the same position as row {first}"),
            )
            .at("title")));
        }
        self.seen.insert(key, row);
        let found = c.query_opt(
            "SELECT id, to_date FROM positions WHERE person_id = $1 AND org_id = $2 AND kind = $3
             AND title = $4 AND from_date = $5 ORDER BY id LIMIT 1",
            params![
                person_id,
                org_id,
                r.kind.as_str(),
                r.title.as_str(),
                r.from.to_string()
            ],
        )?;
        let to = r.to.map(|d| d.to_string());
        match found {
            None => {
                t.created += 1;
                if write {
                    c.execute(
                        "INSERT INTO positions (person_id, org_id, kind, title, from_date, to_date, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        params![person_id, org_id, r.kind.as_str(), r.title.as_str(), r.from.to_string(), to, ctx.now_ms()],
                    )?;
                }
            }
            Some(p) => {
                let (id, current): (i64, Option<String>) = (p.get(0)?, p.get(1)?);
                // A blank end date leaves the recorded one; an import ends, never reopens.
                if to.is_none() || to == current {
                    t.unchanged += 1;
                } else {
                    t.updated += 1;
                    if write {
                        c.execute(
                            "UPDATE positions SET to_date = $1 WHERE id = $2",
                            params![to, id],
                        )?;
                        audit::record(
                            c,
                            ctx,
                            "position",
                            id,
                            "import_update",
                            json!({"fields": ["to"]}),
                        )?;
                    }
                }
            }
        }
        Ok(Ok(()))
    }
}
