//! Schema migrations, embedded in the binary, one directory per backend.

use crate::db::{transaction, Backend, Conn};
use crate::error::{Error, Result};
use crate::params;

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        sqlite: include_str!("../migrations/sqlite/0001_init.sql"),
        postgres: include_str!("../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "cases",
        sqlite: include_str!("../migrations/sqlite/0002_cases.sql"),
        postgres: include_str!("../migrations/postgres/0002_cases.sql"),
    },
    Migration {
        version: 3,
        name: "attachments",
        sqlite: include_str!("../migrations/sqlite/0003_attachments.sql"),
        postgres: include_str!("../migrations/postgres/0003_attachments.sql"),
    },
    Migration {
        version: 4,
        name: "transfers",
        sqlite: include_str!("../migrations/sqlite/0004_transfers.sql"),
        postgres: include_str!("../migrations/postgres/0004_transfers.sql"),
    },
    Migration {
        version: 5,
        name: "equipment",
        sqlite: include_str!("../migrations/sqlite/0005_equipment.sql"),
        postgres: include_str!("../migrations/postgres/0005_equipment.sql"),
    },
    Migration {
        version: 6,
        name: "inspections",
        sqlite: include_str!("../migrations/sqlite/0006_inspections.sql"),
        postgres: include_str!("../migrations/postgres/0006_inspections.sql"),
    },
    Migration {
        version: 7,
        name: "calendar",
        sqlite: include_str!("../migrations/sqlite/0007_calendar.sql"),
        postgres: include_str!("../migrations/postgres/0007_calendar.sql"),
    },
    Migration {
        version: 8,
        name: "case_rollups",
        sqlite: include_str!("../migrations/sqlite/0008_case_rollups.sql"),
        postgres: include_str!("../migrations/postgres/0008_case_rollups.sql"),
    },
    Migration {
        version: 9,
        name: "periodic_runs",
        sqlite: include_str!("../migrations/sqlite/0009_periodic_runs.sql"),
        postgres: include_str!("../migrations/postgres/0009_periodic_runs.sql"),
    },
    Migration {
        version: 10,
        name: "token_expiry",
        sqlite: include_str!("../migrations/sqlite/0010_token_expiry.sql"),
        postgres: include_str!("../migrations/postgres/0010_token_expiry.sql"),
    },
    Migration {
        version: 11,
        name: "internal_categories",
        sqlite: include_str!("../migrations/sqlite/0011_internal_categories.sql"),
        postgres: include_str!("../migrations/postgres/0011_internal_categories.sql"),
    },
    Migration {
        version: 12,
        name: "key_canaries",
        sqlite: include_str!("../migrations/sqlite/0012_key_canaries.sql"),
        postgres: include_str!("../migrations/postgres/0012_key_canaries.sql"),
    },
    Migration {
        version: 13,
        name: "registration_requests",
        sqlite: include_str!("../migrations/sqlite/0013_registration_requests.sql"),
        postgres: include_str!("../migrations/postgres/0013_registration_requests.sql"),
    },
    Migration {
        version: 14,
        name: "totp",
        sqlite: include_str!("../migrations/sqlite/0014_totp.sql"),
        postgres: include_str!("../migrations/postgres/0014_totp.sql"),
    },
    Migration {
        version: 15,
        name: "tip_readers",
        sqlite: include_str!("../migrations/sqlite/0015_tip_readers.sql"),
        postgres: include_str!("../migrations/postgres/0015_tip_readers.sql"),
    },
    Migration {
        version: 16,
        name: "supervising_offices",
        sqlite: include_str!("../migrations/sqlite/0016_supervising_offices.sql"),
        postgres: include_str!("../migrations/postgres/0016_supervising_offices.sql"),
    },
    Migration {
        version: 17,
        name: "ready_probe",
        sqlite: include_str!("../migrations/sqlite/0017_ready_probe.sql"),
        postgres: include_str!("../migrations/postgres/0017_ready_probe.sql"),
    },
    Migration {
        version: 18,
        name: "facts",
        sqlite: include_str!("../migrations/sqlite/0018_facts.sql"),
        postgres: include_str!("../migrations/postgres/0018_facts.sql"),
    },
    Migration {
        version: 19,
        name: "unit_positions",
        sqlite: include_str!("../migrations/sqlite/0019_unit_positions.sql"),
        postgres: include_str!("../migrations/postgres/0019_unit_positions.sql"),
    },
    Migration {
        version: 20,
        name: "on_spot",
        sqlite: include_str!("../migrations/sqlite/0020_on_spot.sql"),
        postgres: include_str!("../migrations/postgres/0020_on_spot.sql"),
    },
    Migration {
        version: 21,
        name: "recurring_scored_inspections",
        sqlite: include_str!("../migrations/sqlite/0021_recurring_scored_inspections.sql"),
        postgres: include_str!("../migrations/postgres/0021_recurring_scored_inspections.sql"),
    },
];

/// The schema version this binary writes.
pub fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// The database's schema version (0 for an empty database).
pub fn current(c: &mut dyn Conn) -> Result<i64> {
    c.batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )?;
    let v: Option<i64> = c
        .query_one("SELECT MAX(version) FROM schema_migrations", &[])?
        .get(0)?;
    Ok(v.unwrap_or(0))
}

/// Applies every pending migration, each in its own transaction, and returns the
/// versions applied. A database newer than this binary is refused untouched.
pub fn migrate(c: &mut dyn Conn) -> Result<Vec<i64>> {
    // Nodes that start together on one PostgreSQL would otherwise race to
    // create the same tables; the second waits here and then finds nothing to do.
    if c.backend() == Backend::Postgres {
        c.batch(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
        let out = migrate_locked(c);
        let unlocked = c.batch(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
        return out.and_then(|v| unlocked.map(|()| v));
    }
    migrate_locked(c)
}

/// The advisory lock key that serialises migrations on PostgreSQL ("wgmigr").
const MIGRATION_LOCK: i64 = 0x7767_6d69_6772;

fn migrate_locked(c: &mut dyn Conn) -> Result<Vec<i64>> {
    let have = current(c)?;
    if have > latest() {
        return Err(Error::SchemaTooNew {
            db: have,
            binary: latest(),
        });
    }
    let mut applied = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| m.version > have) {
        let sql = match c.backend() {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        transaction(c, |c| {
            c.batch(sql)?;
            let now = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
            c.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                params![m.version, m.name, now],
            )?;
            Ok(())
        })?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
        applied.push(m.version);
    }
    Ok(applied)
}
