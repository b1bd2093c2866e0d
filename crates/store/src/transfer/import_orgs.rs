//! Organisations from a sheet. The unified social credit code is the key;
//! organisations without one (party groups, alliances, committees not yet
//! registered) are found by place, kind and name.

use super::directory::Directory;
use super::import::{need, ok, Handler, RowView, Tally};
use super::RowIssue;
use crate::ctx::Ctx;
use crate::db::{Conn, Row};
use crate::error::{Error, Result};
use crate::{audit, params};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use wangge_core::ids::parse_credit_code;
use wangge_core::organisations::OrgKind;
use wangge_core::people::check_text;

pub fn place_required() -> RowIssue {
    RowIssue::new(
        "place_required",
        "须填写所属社区/小区或单元代码",
        "a place is needed: community/compound or the unit code",
    )
    .at("community")
}

pub struct Rec {
    name: String,
    kind: OrgKind,
    credit_code: Option<String>,
    unit: Option<(i64, String)>,
    parent: Option<String>,
}

#[derive(Default)]
pub struct Orgs {
    dir: Directory,
    seen_codes: HashMap<String, u64>,
    seen_keys: HashMap<(i64, OrgKind, String), u64>,
    /// Names of organisations that earlier rows create (for 上级组织 before they exist).
    new_names: HashSet<String>,
}

struct Existing {
    id: i64,
    name: String,
    kind: String,
    unit_id: i64,
    unit_path: String,
    parent: Option<i64>,
}

const SELECT: &str = "SELECT id, name, kind, unit_id, unit_path, parent_org_id FROM organisations";

fn existing(r: &Row) -> Result<Existing> {
    Ok(Existing {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        unit_id: r.get(3)?,
        unit_path: r.get(4)?,
        parent: r.get(5)?,
    })
}

impl Handler for Orgs {
    type Rec = Rec;

    fn begin(&mut self, c: &mut dyn Conn, ctx: &Ctx, _write: bool) -> Result<()> {
        *self = Orgs {
            dir: Directory::load(c, ctx)?,
            ..Orgs::default()
        };
        Ok(())
    }

    fn parse(&mut self, _ctx: &Ctx, row: &RowView<'_>, _write: bool) -> Result<Rec, Vec<RowIssue>> {
        let mut bad = Vec::new();
        let cell = row.text("name");
        let name = need(&mut bad, "name", cell).and_then(|n| {
            check_text("name", &n, 100)
                .map_err(|e| bad.push(RowIssue::from_error(&Error::from(e), Some("name"))))
                .ok()
        });
        let cell = row.text("kind");
        let kind = need(&mut bad, "kind", cell).and_then(|k| {
            OrgKind::parse(&k)
                .map_err(|e| bad.push(RowIssue::from_error(&Error::from(e), Some("kind"))))
                .ok()
        });
        let code = ok(&mut bad, row.ident("credit_code"));
        let credit_code = match (code, kind) {
            (Some(_), Some(k)) if !k.has_credit_code() => {
                bad.push(
                    RowIssue::new(
                        "credit_code_not_applicable",
                        format!("{}没有统一社会信用代码", k.label_zh()),
                        format!("a {} has no unified social credit code", k.as_str()),
                    )
                    .at("credit_code"),
                );
                None
            }
            (Some(code), _) => match parse_credit_code(&code) {
                Ok(c) => Some(c.as_str().to_string()),
                Err(e) => {
                    bad.push(RowIssue::from_error(&Error::from(e), Some("credit_code")));
                    None
                }
            },
            (None, _) => None,
        };
        let place = row.place(&mut bad);
        let unit = match self.dir.resolve(&place) {
            Ok(u) => u.map(|u| (u.id, u.path.clone())),
            Err(e) => {
                bad.push(e);
                None
            }
        };
        let parent = ok(&mut bad, row.text("parent"));
        match (name, kind) {
            (Some(name), Some(kind)) if bad.is_empty() => Ok(Rec {
                name,
                kind,
                credit_code,
                unit,
                parent,
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
            match self.one(c, ctx, row, &r, write, t)? {
                Ok(()) => {}
                Err(issue) => t.reject(row, issue),
            }
        }
        Ok(())
    }
}

impl Orgs {
    /// Handles one row; the inner `Err` rejects it.
    fn one(
        &mut self,
        c: &mut dyn Conn,
        ctx: &Ctx,
        row: u64,
        r: &Rec,
        write: bool,
        t: &mut Tally,
    ) -> Result<Result<(), RowIssue>> {
        let found = match (&r.credit_code, &r.unit) {
            (Some(code), _) => {
                if let Some(first) = self.seen_codes.get(code) {
                    return Ok(Err(RowIssue::new(
                        "duplicate_in_file",
                        format!("与第{first}行的统一社会信用代码重复"),
                        format!("the same credit code as row {first}"),
                    )
                    .at("credit_code")));
                }
                c.query_opt(
                    &format!("{SELECT} WHERE credit_code = $1"),
                    params![code.as_str()],
                )?
            }
            (None, Some((unit, _))) => {
                let key = (*unit, r.kind, r.name.clone());
                if let Some(first) = self.seen_keys.get(&key) {
                    return Ok(Err(RowIssue::new(
                        "duplicate_in_file",
                        format!("与第{first}行是同一组织(同一地点、类型和名称)"),
                        format!("the same organisation (place, kind and name) as row {first}"),
                    )
                    .at("name")));
                }
                c.query_opt(
                    &format!("{SELECT} WHERE unit_id = $1 AND kind = $2 AND name = $3 AND credit_code IS NULL ORDER BY id LIMIT 1"),
                    params![*unit, r.kind.as_str(), r.name.as_str()],
                )?
            }
            (None, None) => None,
        };
        let old = found.as_ref().map(existing).transpose()?;
        if let Some(o) = old.as_ref() {
            if !ctx.scope.contains(&o.unit_path) {
                return Ok(Err(RowIssue::new(
                    "outside_scope",
                    "该统一社会信用代码已由您管辖范围以外的组织登记,不能在此修改",
                    "this credit code belongs to an organisation outside your scope; it cannot be changed here",
                )
                .at("credit_code")));
            }
            if o.kind != r.kind.as_str() {
                let label = OrgKind::parse(&o.kind)
                    .map_or_else(|_| o.kind.clone(), |k| k.label_zh().to_string());
                return Ok(Err(RowIssue::new(
                    "kind_mismatch",
                    format!("组织类型与已登记的“{label}”不一致"),
                    format!("the kind differs from the registered one ({})", o.kind),
                )
                .at("kind")));
            }
        }
        let Some((unit_id, unit_path)) = r
            .unit
            .clone()
            .or_else(|| old.as_ref().map(|o| (o.unit_id, o.unit_path.clone())))
        else {
            return Ok(Err(place_required()));
        };
        let parent = match &r.parent {
            None => Ok(old.as_ref().and_then(|o| o.parent)),
            Some(name) => self.parent(c, ctx, name)?,
        };
        let parent = match parent {
            Ok(p) => p,
            Err(i) => return Ok(Err(i)),
        };
        if let Some(code) = &r.credit_code {
            self.seen_codes.insert(code.clone(), row);
        } else {
            self.seen_keys
                .insert((unit_id, r.kind, r.name.clone()), row);
        }
        match old {
            None => {
                t.created += 1;
                self.new_names.insert(r.name.clone());
                if write {
                    c.execute(
                        "INSERT INTO organisations (name, kind, unit_id, unit_path, parent_org_id, credit_code, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
                        params![r.name.as_str(), r.kind.as_str(), unit_id, unit_path.as_str(), parent.filter(|p| *p > 0), r.credit_code.clone(), ctx.now_ms()],
                    )?;
                }
            }
            Some(o) => {
                let mut changed = Vec::new();
                if o.name != r.name {
                    changed.push("name");
                }
                if o.unit_id != unit_id {
                    changed.push("unit");
                }
                if o.parent != parent {
                    changed.push("parent_org_id");
                }
                if changed.is_empty() {
                    t.unchanged += 1;
                } else {
                    t.updated += 1;
                    if write {
                        c.execute(
                            "UPDATE organisations SET name = $1, unit_id = $2, unit_path = $3, parent_org_id = $4,
                             updated_at = $5 WHERE id = $6",
                            params![r.name.as_str(), unit_id, unit_path.as_str(), parent.filter(|p| *p > 0), ctx.now_ms(), o.id],
                        )?;
                        audit::record(
                            c,
                            ctx,
                            "organisation",
                            o.id,
                            "import_update",
                            json!({"fields": changed}),
                        )?;
                    }
                }
            }
        }
        Ok(Ok(()))
    }

    /// The parent organisation by exact name, inside scope. An organisation
    /// that an earlier row creates counts (as id 0 while checking).
    fn parent(
        &self,
        c: &mut dyn Conn,
        ctx: &Ctx,
        name: &str,
    ) -> Result<Result<Option<i64>, RowIssue>> {
        let rows = c.query(
            "SELECT id, unit_path FROM organisations WHERE name = $1 ORDER BY id LIMIT 20",
            params![name],
        )?;
        let mut ids = Vec::new();
        for r in rows {
            if ctx.scope.contains(&r.get::<String>(1)?) {
                ids.push(r.get::<i64>(0)?);
            }
        }
        Ok(match ids.as_slice() {
            [id] => Ok(Some(*id)),
            [] if self.new_names.contains(name) => Ok(Some(0)),
            [] => Err(RowIssue::new(
                "unknown_parent",
                format!("上级组织“{name}”不存在,或不在您的管辖范围内"),
                format!("there is no parent organisation '{name}' inside your scope"),
            )
            .at("parent")),
            _ => Err(RowIssue::new(
                "ambiguous_parent",
                format!("名为“{name}”的组织不止一个,无法确定上级组织"),
                format!("more than one organisation is named '{name}'"),
            )
            .at("parent")),
        })
    }
}
