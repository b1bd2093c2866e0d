//! The units inside the caller's scope, held in memory for the length of one
//! import or export: offices name places (社区, 小区, 楼栋) rather than codes, and
//! a million rows must not cost a million queries to place. A zone has
//! thousands of units, not millions, so this stays small.

use super::RowIssue;
use crate::ctx::{subtree_range, Ctx};
use crate::db::Conn;
use crate::error::Result;
use crate::{params, Scope};
use std::collections::HashMap;
use wangge_core::units::UnitKind;

#[derive(Debug, Clone)]
pub struct UnitEntry {
    pub id: i64,
    pub code: String,
    pub kind: UnitKind,
    pub name: String,
    pub parent: Option<i64>,
    pub path: String,
    pub position: Option<(f64, f64)>,
}

#[derive(Debug, Default)]
pub struct Directory {
    units: HashMap<i64, UnitEntry>,
    by_code: HashMap<String, i64>,
    by_name: HashMap<String, Vec<i64>>,
}

/// Where a row says a record is: a unit code, or names down the tree.
#[derive(Debug, Default, Clone)]
pub struct Place {
    pub code: Option<String>,
    pub community: Option<String>,
    pub compound: Option<String>,
    pub building: Option<String>,
}

impl Place {
    /// Fills the names a combined "社区/小区/楼栋" cell gives, where the
    /// separate columns left them blank.
    pub fn fill_from_path(&mut self, path: &str) {
        let parts: Vec<String> = path
            .split(['/', '／', '>', '、'])
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        let slots = [&mut self.community, &mut self.compound, &mut self.building];
        for (slot, part) in slots.into_iter().zip(parts) {
            if slot.is_none() {
                *slot = Some(part);
            }
        }
    }
}

fn outside(what_zh: &str, what_en: &str, name: &str, column: &'static str) -> RowIssue {
    RowIssue::new(
        "unknown_place",
        format!("{what_zh}“{name}”不存在,或不在您的管辖范围内"),
        format!("there is no {what_en} '{name}' inside your scope"),
    )
    .at(column)
}

fn ambiguous(what_zh: &str, what_en: &str, name: &str, column: &'static str) -> RowIssue {
    RowIssue::new(
        "ambiguous_place",
        format!("{what_zh}名称“{name}”在您的管辖范围内不唯一,请填写单元代码"),
        format!("more than one {what_en} is named '{name}' inside your scope; give the unit code"),
    )
    .at(column)
}

impl Directory {
    /// Loads every unit inside the caller's scope, with the old codes of moved units.
    pub fn load(c: &mut dyn Conn, ctx: &Ctx) -> Result<Directory> {
        let rows = match &ctx.scope {
            Scope::All => c.query(
                "SELECT id, code, kind, name, parent_id, path, lat, lon FROM units",
                &[],
            )?,
            Scope::Subtree(root) => {
                let (lo, hi) = subtree_range(root);
                c.query(
                    "SELECT id, code, kind, name, parent_id, path, lat, lon FROM units WHERE path >= $1 AND path < $2",
                    params![lo, hi],
                )?
            }
        };
        let mut d = Directory::default();
        for r in rows {
            d.add(UnitEntry {
                id: r.get(0)?,
                code: r.get(1)?,
                kind: UnitKind::parse(&r.get::<String>(2)?)?,
                name: r.get(3)?,
                parent: r.get(4)?,
                path: r.get(5)?,
                position: r.get::<Option<f64>>(6)?.zip(r.get::<Option<f64>>(7)?),
            });
        }
        for r in c.query("SELECT code, unit_id FROM unit_aliases", &[])? {
            let (code, id): (String, i64) = (r.get(0)?, r.get(1)?);
            if d.units.contains_key(&id) {
                d.by_code.entry(code).or_insert(id);
            }
        }
        Ok(d)
    }

    pub fn add(&mut self, u: UnitEntry) {
        self.by_code.insert(u.code.clone(), u.id);
        self.by_name.entry(u.name.clone()).or_default().push(u.id);
        self.units.insert(u.id, u);
    }

    pub fn by_code(&self, code: &str) -> Option<&UnitEntry> {
        self.by_code
            .get(code.trim())
            .and_then(|id| self.units.get(id))
    }

    /// Units with this name, optionally only of one kind or under one parent.
    pub fn named(
        &self,
        name: &str,
        kind: Option<UnitKind>,
        parent: Option<i64>,
    ) -> Vec<&UnitEntry> {
        self.by_name
            .get(name.trim())
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| self.units.get(id))
                    .filter(|u| kind.is_none_or(|k| u.kind == k))
                    .filter(|u| parent.is_none_or(|p| u.parent == Some(p)))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn one<'a>(
        &'a self,
        name: &str,
        kind: UnitKind,
        parent: Option<i64>,
        what: (&str, &str),
        column: &'static str,
    ) -> Result<&'a UnitEntry, RowIssue> {
        match self.named(name, Some(kind), parent).as_slice() {
            [u] => Ok(u),
            [] => Err(outside(what.0, what.1, name, column)),
            _ => Err(ambiguous(what.0, what.1, name, column)),
        }
    }

    /// The unit a place names: the code if given, else the deepest of
    /// community → compound → building. `None` when the place is empty.
    pub fn resolve(&self, p: &Place) -> Result<Option<&UnitEntry>, RowIssue> {
        if let Some(code) = &p.code {
            return self
                .by_code(code)
                .map(Some)
                .ok_or_else(|| outside("单元代码", "unit code", code, "unit"));
        }
        let community = p
            .community
            .as_deref()
            .map(|n| {
                self.one(
                    n,
                    UnitKind::Community,
                    None,
                    ("社区", "community"),
                    "community",
                )
            })
            .transpose()?;
        let compound = p
            .compound
            .as_deref()
            .map(|n| {
                self.one(
                    n,
                    UnitKind::Compound,
                    community.map(|c| c.id),
                    ("小区", "compound"),
                    "compound",
                )
            })
            .transpose()?;
        let building = match (&p.building, compound) {
            (None, _) => None,
            (Some(n), Some(c)) => Some(self.one(
                n,
                UnitKind::Building,
                Some(c.id),
                ("楼栋", "building"),
                "building",
            )?),
            (Some(_), None) => {
                return Err(RowIssue::new(
                    "compound_required",
                    "填写楼栋时须同时填写所属小区",
                    "a building is placed by its compound: give the compound too",
                )
                .at("compound"))
            }
        };
        Ok(building.or(compound).or(community))
    }

    /// The names of the community, compound and building above (or at) a unit.
    pub fn place_names(&self, id: i64) -> [Option<&str>; 3] {
        let mut out = [None, None, None];
        let mut cur = self.units.get(&id);
        let mut hops = 0;
        while let Some(u) = cur {
            match u.kind {
                UnitKind::Community => out[0] = Some(u.name.as_str()),
                UnitKind::Compound => out[1] = Some(u.name.as_str()),
                UnitKind::Building => out[2] = Some(u.name.as_str()),
                _ => {}
            }
            hops += 1;
            cur = u
                .parent
                .and_then(|p| self.units.get(&p))
                .filter(|_| hops < 16);
        }
        out
    }
}
