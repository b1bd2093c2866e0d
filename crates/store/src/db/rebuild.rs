//! Loading an empty table the way `pg_restore` does: on PostgreSQL, secondary
//! indexes, unique and foreign-key constraints are dropped before the rows go
//! in and rebuilt after, in the same transaction. A sorted index build and one
//! validating join cost a fraction of maintaining four indexes and two
//! foreign-key triggers row by row. Nothing changes for other transactions:
//! until the commit they see the old table with all its indexes, and if
//! anything fails the whole load, drops included, is rolled back.
//!
//! SQLite is left alone: its foreign-key switch cannot change inside a
//! transaction, and its loads already run near the raw insert rate.

use super::{Backend, Conn, Value};
use crate::error::Result;

/// What was dropped, to be rebuilt by [`Rebuild::restore`].
#[derive(Debug)]
pub struct Rebuild {
    /// `CREATE INDEX …` statements.
    indexes: Vec<String>,
    /// (table, constraint name, definition).
    constraints: Vec<(String, String, String)>,
}

/// Drops the secondary indexes and constraints of each table in `tables` that
/// is empty, in the caller's transaction. `None` when nothing was dropped (on
/// SQLite, or when every table has rows). Table names are the caller's
/// constants, spliced into SQL.
pub fn suspend(c: &mut dyn Conn, tables: &[&'static str]) -> Result<Option<Rebuild>> {
    if c.backend() != Backend::Postgres {
        return Ok(None);
    }
    let mut r = Rebuild {
        indexes: Vec::new(),
        constraints: Vec::new(),
    };
    for &table in tables {
        if c.query_opt(&format!("SELECT 1 FROM {table} LIMIT 1"), &[])?
            .is_some()
        {
            continue;
        }
        let t = Value::from(table);
        for row in c.query(
            "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint
             WHERE conrelid = $1::text::regclass AND contype IN ('f', 'u') ORDER BY conname",
            std::slice::from_ref(&t),
        )? {
            let (name, def): (String, String) = (row.get(0)?, row.get(1)?);
            c.batch(&format!("ALTER TABLE {table} DROP CONSTRAINT \"{name}\""))?;
            r.constraints.push((table.to_string(), name, def));
        }
        for row in c.query(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i
             WHERE indrelid = $1::text::regclass AND NOT indisprimary
               AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
            std::slice::from_ref(&t),
        )? {
            let (name, def): (String, String) = (row.get(0)?, row.get(1)?);
            c.batch(&format!("DROP INDEX {name}"))?;
            r.indexes.push(def);
        }
    }
    Ok((!r.indexes.is_empty() || !r.constraints.is_empty()).then_some(r))
}

impl Rebuild {
    /// Builds the indexes and adds the constraints back; a row that breaks
    /// one (a repeated ID number's hash, say) fails the load here.
    pub fn restore(self, c: &mut dyn Conn) -> Result<()> {
        // Index builds sort in memory up to this size instead of on disk.
        c.batch("SET LOCAL maintenance_work_mem = '256MB'")?;
        for def in self.indexes {
            c.batch(&def)?;
        }
        for (table, name, def) in self.constraints {
            c.batch(&format!(
                "ALTER TABLE {table} ADD CONSTRAINT \"{name}\" {def}"
            ))?;
        }
        Ok(())
    }
}
