//! Units from a sheet. A code identifies an existing unit (its name may be
//! changed); a row without a code is a unit under its parent, found by
//! parent, kind and name, or created with the next code of the parent's
//! sequence through `units::create`. Moving units is not an import's business.

use super::directory::{Directory, UnitEntry};
use super::import::{need, ok, Handler, RowView, Tally};
use super::RowIssue;
use crate::ctx::Ctx;
use crate::db::Conn;
use crate::error::{Error, Result};
use crate::units::{self, NewUnit};
use crate::Scope;
use wangge_core::geo;
use wangge_core::units::{self as rules, UnitKind};
use wangge_core::Error as CoreError;

/// The kind of a unit as offices write it: 区, 街道, 镇, 社区, 村, 小区, 楼栋, 网格,
/// or the code name.
pub fn unit_kind(s: &str) -> Result<UnitKind, RowIssue> {
    let t = s.trim();
    let k = match t {
        "区" | "开发区" | "县" | "区县" => Some(UnitKind::Zone),
        "街道" | "镇" | "乡" | "街道/镇" | "街道办" => Some(UnitKind::Street),
        "社区" | "村" | "社区/村" | "居委会" => Some(UnitKind::Community),
        "小区" | "院落" => Some(UnitKind::Compound),
        "楼栋" | "楼" => Some(UnitKind::Building),
        "网格" => Some(UnitKind::Grid),
        other => UnitKind::parse(&other.to_ascii_lowercase()).ok(),
    };
    k.ok_or_else(|| {
        RowIssue::new(
            "unit_kind",
            format!("未知的单元类型“{t}”,可选:区、街道/镇、社区/村、小区、楼栋、网格"),
            format!(
                "unknown unit kind '{t}'; one of zone, street, community, compound, building, grid"
            ),
        )
        .at("kind")
    })
}

pub struct Rec {
    code: Option<String>,
    name: String,
    kind: UnitKind,
    parent_code: Option<String>,
    parent_name: Option<String>,
    /// Blank cells leave a unit's position as it is.
    position: Option<(f64, f64)>,
}

#[derive(Default)]
pub struct Units {
    dir: Directory,
    next_fake: i64,
}

impl Handler for Units {
    type Rec = Rec;

    fn begin(&mut self, c: &mut dyn Conn, ctx: &Ctx, _write: bool) -> Result<()> {
        *self = Units {
            dir: Directory::load(c, ctx)?,
            next_fake: 0,
        };
        Ok(())
    }

    fn parse(&mut self, _ctx: &Ctx, row: &RowView<'_>, _write: bool) -> Result<Rec, Vec<RowIssue>> {
        let mut bad = Vec::new();
        let code = ok(&mut bad, row.ident("code"));
        let cell = row.text("name");
        let name = need(&mut bad, "name", cell).and_then(|n| {
            rules::check_name(&n)
                .map_err(|e| bad.push(RowIssue::from_error(&Error::from(e), Some("name"))))
                .ok()
        });
        let cell = row.text("kind");
        let kind =
            need(&mut bad, "kind", cell).and_then(|k| unit_kind(&k).map_err(|i| bad.push(i)).ok());
        let parent_code = ok(&mut bad, row.ident("parent_code"));
        let parent_name = ok(&mut bad, row.text("parent"));
        let unreadable = bad.len();
        let lat = ok(&mut bad, row.decimal("lat"));
        let lon = ok(&mut bad, row.decimal("lon"));
        // A cell that is not a number is reported once, not again as half a pair.
        let position = match geo::coordinates(lat, lon) {
            _ if bad.len() > unreadable => None,
            Ok(p) => p,
            Err(e) => {
                let at = match &e {
                    CoreError::Invalid { field, .. } if field == "lat" => "lat",
                    _ => "lon",
                };
                bad.push(RowIssue::from_error(&Error::from(e), Some(at)));
                None
            }
        };
        match (name, kind) {
            (Some(name), Some(kind)) if bad.is_empty() => Ok(Rec {
                code,
                name,
                kind,
                parent_code,
                parent_name,
                position,
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
            if let Err(i) = self.one(c, ctx, &r, write, t)? {
                t.reject(row, i);
            }
        }
        Ok(())
    }

    fn chunk_size(&self) -> usize {
        // Rows refer to units created by the rows above them.
        1
    }
}

impl Units {
    fn parent(&self, r: &Rec) -> Result<Option<UnitEntry>, RowIssue> {
        if let Some(code) = &r.parent_code {
            return self.dir.by_code(code).cloned().map(Some).ok_or_else(|| {
                RowIssue::new(
                    "unknown_parent",
                    format!("上级单元代码“{code}”不存在,或不在您的管辖范围内"),
                    format!("there is no parent unit '{code}' inside your scope"),
                )
                .at("parent_code")
            });
        }
        let Some(name) = &r.parent_name else {
            return Ok(None);
        };
        match self.dir.named(name, r.kind.parent_kind(), None).as_slice() {
            [u] => Ok(Some((*u).clone())),
            [] => Err(RowIssue::new(
                "unknown_parent",
                format!("上级单元“{name}”不存在,或不在您的管辖范围内"),
                format!("there is no parent unit '{name}' inside your scope"),
            )
            .at("parent")),
            _ => Err(RowIssue::new(
                "ambiguous_parent",
                format!("名为“{name}”的上级单元不止一个,请填写上级单元代码"),
                format!("more than one unit is named '{name}'; give the parent code"),
            )
            .at("parent")),
        }
    }

    fn one(
        &mut self,
        c: &mut dyn Conn,
        ctx: &Ctx,
        r: &Rec,
        write: bool,
        t: &mut Tally,
    ) -> Result<Result<(), RowIssue>> {
        let parent = match self.parent(r) {
            Ok(p) => p,
            Err(i) => return Ok(Err(i)),
        };
        if let Some(code) = &r.code {
            if let Some(u) = self.dir.by_code(code).cloned() {
                if u.kind != r.kind {
                    return Ok(Err(RowIssue::new(
                        "kind_mismatch",
                        format!("单元类型与已登记的“{}”不一致", u.kind.label_zh()),
                        format!(
                            "the kind differs from the registered one ({})",
                            u.kind.as_str()
                        ),
                    )
                    .at("kind")));
                }
                if parent.as_ref().is_some_and(|p| Some(p.id) != u.parent) {
                    return Ok(Err(RowIssue::new(
                        "move_not_supported",
                        "导入不能改变单元的上级;移动单元请使用“移动”功能",
                        "an import does not move units; use the move function",
                    )
                    .at("parent_code")));
                }
                let moved = r.position.is_some() && r.position != u.position;
                if u.name == r.name && !moved {
                    t.unchanged += 1;
                    return Ok(Ok(()));
                }
                t.updated += 1;
                if write {
                    if u.name != r.name {
                        units::rename(c, ctx, &u.code, &r.name)?;
                    }
                    if let (true, Some((la, lo))) = (moved, r.position) {
                        units::set_position(c, ctx, &u.code, Some(la), Some(lo))?;
                    }
                }
                return Ok(Ok(()));
            }
            if r.kind != UnitKind::Zone {
                return Ok(Err(RowIssue::new(
                    "unknown_unit",
                    format!("单元代码“{code}”不存在或不在您的管辖范围内;新建单元请把代码留空,系统会按上级单元自动编码"),
                    format!("there is no unit '{code}' inside your scope; leave the code blank for a new unit, whose code is assigned"),
                )
                .at("code")));
            }
        }
        if r.kind == UnitKind::Zone {
            let Some(code) = &r.code else {
                return Ok(Err(RowIssue::new(
                    "required",
                    "区须填写6位区县代码",
                    "a zone needs its 6-digit county code",
                )
                .at("code")));
            };
            if ctx.scope != Scope::All {
                return Ok(Err(RowIssue::new(
                    "outside_scope",
                    "只有全区范围的用户可以新建区",
                    "only users whose scope is the whole tree may create a zone",
                )
                .at("kind")));
            }
            if let Err(e) = rules::check_zone_code(code) {
                return Ok(Err(RowIssue::from_error(&Error::from(e), Some("code"))));
            }
            return self.create(c, ctx, r, None, Some(code.clone()), write, t);
        }
        let Some(parent) = parent else {
            return Ok(Err(RowIssue::new(
                "parent_required",
                "新建单元须填写上级单元代码或上级单元名称",
                "a new unit needs its parent's code or name",
            )
            .at("parent_code")));
        };
        if let Err(e) = rules::check_nesting(r.kind, Some(parent.kind)) {
            return Ok(Err(RowIssue::from_error(&Error::from(e), Some("kind"))));
        }
        let same = self.dir.named(&r.name, Some(r.kind), Some(parent.id));
        if !same.is_empty() {
            // The same unit again, found by name: only its position may change.
            if let ([u], Some((la, lo))) = (same.as_slice(), r.position) {
                if u.position != Some((la, lo)) {
                    t.updated += 1;
                    if write {
                        units::set_position(c, ctx, &u.code, Some(la), Some(lo))?;
                    }
                    return Ok(Ok(()));
                }
            }
            t.unchanged += 1;
            return Ok(Ok(()));
        }
        self.create(c, ctx, r, Some(parent), None, write, t)
    }

    #[allow(clippy::too_many_arguments)]
    fn create(
        &mut self,
        c: &mut dyn Conn,
        ctx: &Ctx,
        r: &Rec,
        parent: Option<UnitEntry>,
        code: Option<String>,
        write: bool,
        t: &mut Tally,
    ) -> Result<Result<(), RowIssue>> {
        t.created += 1;
        let entry = if write {
            let u = units::create(
                c,
                ctx,
                NewUnit {
                    kind: r.kind,
                    name: r.name.clone(),
                    parent: parent.as_ref().map(|p| p.code.clone()),
                    code,
                },
            )?;
            if let Some((la, lo)) = r.position {
                units::set_position(c, ctx, &u.code, Some(la), Some(lo))?;
            }
            UnitEntry {
                id: u.id,
                code: u.code,
                kind: u.kind,
                name: u.name,
                parent: parent.map(|p| p.id),
                path: u.path,
                position: r.position,
            }
        } else {
            // While checking, a unit to be created stands in the directory
            // under a made-up id, so rows below can name it as their parent.
            self.next_fake -= 1;
            let id = self.next_fake;
            UnitEntry {
                id,
                code: code.unwrap_or_else(|| format!("new{id}")),
                kind: r.kind,
                name: r.name.clone(),
                parent: parent.as_ref().map(|p| p.id),
                path: format!("{}{id}/", parent.as_ref().map_or("/", |p| p.path.as_str())),
                position: r.position,
            }
        };
        self.dir.add(entry);
        Ok(Ok(()))
    }
}
