//! Households from a sheet: a number in a place. The pair is the key, so there
//! is nothing to update: a row either adds a household or finds it there.

use super::directory::Directory;
use super::import::{need, Handler, RowView, Tally};
use super::RowIssue;
use crate::ctx::Ctx;
use crate::db::Conn;
use crate::error::{Error, Result};
use crate::params;
use std::collections::HashMap;
use wangge_core::people::check_text;

pub struct Rec {
    number: String,
    unit_id: i64,
    unit_path: String,
}

#[derive(Default)]
pub struct Households {
    dir: Directory,
    seen: HashMap<(i64, String), u64>,
}

impl Handler for Households {
    type Rec = Rec;

    fn begin(&mut self, c: &mut dyn Conn, ctx: &Ctx, _write: bool) -> Result<()> {
        *self = Households {
            dir: Directory::load(c, ctx)?,
            seen: HashMap::new(),
        };
        Ok(())
    }

    fn parse(&mut self, _ctx: &Ctx, row: &RowView<'_>, _write: bool) -> Result<Rec, Vec<RowIssue>> {
        let mut bad = Vec::new();
        let cell = row.text("number");
        let number = need(&mut bad, "number", cell).and_then(|n| {
            check_text("number", &n, 40)
                .map_err(|e| bad.push(RowIssue::from_error(&Error::from(e), Some("number"))))
                .ok()
        });
        let place = row.place(&mut bad);
        let unit = match self.dir.resolve(&place) {
            Ok(Some(u)) => Some((u.id, u.path.clone())),
            Ok(None) => {
                bad.push(super::import_orgs::place_required());
                None
            }
            Err(e) => {
                bad.push(e);
                None
            }
        };
        match (number, unit) {
            (Some(number), Some((unit_id, unit_path))) if bad.is_empty() => Ok(Rec {
                number,
                unit_id,
                unit_path,
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
            let key = (r.unit_id, r.number.clone());
            if let Some(first) = self.seen.get(&key) {
                t.reject(
                    row,
                    RowIssue::new(
                        "duplicate_in_file",
                        format!("与第{first}行是同一户(同一地点、同一户号)"),
                        format!("the same household (place and number) as row {first}"),
                    )
                    .at("number"),
                );
                continue;
            }
            self.seen.insert(key, row);
            let found = c.query_opt(
                "SELECT id FROM households WHERE unit_id = $1 AND number = $2",
                params![r.unit_id, r.number.as_str()],
            )?;
            if found.is_some() {
                t.unchanged += 1;
                continue;
            }
            t.created += 1;
            if write {
                c.execute(
                    "INSERT INTO households (number, unit_id, unit_path, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $4)",
                    params![
                        r.number.as_str(),
                        r.unit_id,
                        r.unit_path.as_str(),
                        ctx.now_ms()
                    ],
                )?;
            }
        }
        Ok(())
    }
}
