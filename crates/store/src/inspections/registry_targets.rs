//! Targets that are records of a declared registry: resolved through the
//! registry's [`TargetSpec`], so a registry that declares one is a target kind
//! without code here.

use super::invalid;
use super::plans::TargetKind;
use super::targets::{within, Resolved, MAX_TARGETS};
use crate::ctx::{subtree_range, Ctx};
use crate::db::{Conn, Row};
use crate::error::{Error, Result};
use crate::params;
use crate::registry::{self, Registry, TargetSpec, Visit};

/// What a filter of a registry kind asks for.
pub(crate) struct Ask<'a> {
    pub field: &'a str,
    pub group: &'a str,
    /// The subtree searched (the filter's `under`, else the plan's unit).
    pub root: &'a str,
    pub ids: &'a [i64],
}

/// The targets of `kind` chosen by `ask`, or an internal error when no
/// registry declares that kind as a target.
pub(crate) fn resolve(
    c: &mut dyn Conn,
    ctx: &Ctx,
    kind: TargetKind,
    ask: &Ask<'_>,
) -> Result<Vec<Resolved>> {
    struct Find<'a, 'b> {
        c: &'a mut dyn Conn,
        ctx: &'a Ctx,
        kind: TargetKind,
        ask: &'a Ask<'b>,
        out: Option<Result<Vec<Resolved>>>,
    }
    impl Visit for Find<'_, '_> {
        fn visit<R: Registry>(&mut self) {
            if let (Some(spec), None) = (R::TARGET, &self.out) {
                if R::META.entity == self.kind.as_str() {
                    self.out = Some(of::<R>(self.c, self.ctx, self.kind, &spec, self.ask));
                }
            }
        }
    }
    let mut find = Find {
        c,
        ctx,
        kind,
        ask,
        out: None,
    };
    registry::each(&mut find);
    find.out.unwrap_or_else(|| {
        Err(Error::Db(format!(
            "no registry declares target kind {}",
            kind.as_str()
        )))
    })
}

fn of<R: Registry>(
    c: &mut dyn Conn,
    ctx: &Ctx,
    kind: TargetKind,
    spec: &TargetSpec,
    ask: &Ask<'_>,
) -> Result<Vec<Resolved>> {
    let select = format!(
        "SELECT e.id, {}, e.unit_id, e.unit_path, {} FROM {} e",
        spec.label,
        spec.responsible.unwrap_or("NULL"),
        R::META.table
    );
    let (noun_zh, noun_en) = R::META.noun;
    let rows: Vec<Row> = if ask.ids.is_empty() {
        let (lo, hi) = subtree_range(ask.root);
        c.query(
            &format!(
                "{select} WHERE {} AND e.unit_path >= $1 AND e.unit_path < $2
                 ORDER BY e.unit_path, e.id LIMIT {}",
                spec.in_service,
                MAX_TARGETS + 1
            ),
            params![lo.as_str(), hi.as_str()],
        )?
    } else {
        let mut v = Vec::new();
        for (k, id) in ask.ids.iter().enumerate() {
            let fld = format!("{}.ids[{k}]", ask.field);
            // One outside the caller's scope is answered as one that does not exist.
            let r = c
                .query_opt(&format!("{select} WHERE e.id = $1"), params![*id])?
                .filter(|r| r.get::<String>(3).is_ok_and(|p| ctx.scope.contains(&p)))
                .ok_or_else(|| {
                    invalid(
                        &fld,
                        "unknown_target",
                        format!("{noun_zh}{id}不存在"),
                        format!("no {noun_en} {id}"),
                    )
                })?;
            within(
                &fld,
                ask.root,
                &r.get::<String>(3)?,
                &format!("{noun_zh}{id}"),
            )?;
            v.push(r);
        }
        v
    };
    rows.iter()
        .map(|r| {
            Ok(Resolved {
                kind,
                ref_id: r.get(0)?,
                label: r.get(1)?,
                group: ask.group.to_string(),
                unit_id: r.get(2)?,
                unit_path: r.get(3)?,
                responsible: r.get(4)?,
            })
        })
        .collect()
}
