//! What the schema says about units: the tables that hang off a unit, found from
//! the database itself, so that a table added by a later migration is covered by
//! unit move and delete without anyone remembering to list it.

use crate::db::{Backend, Conn, Row};
use crate::error::Result;

/// The tables with a `unit_path` column.
pub fn tables_with_unit_path(c: &mut dyn Conn) -> Result<Vec<String>> {
    let sql = match c.backend() {
        Backend::Sqlite => {
            "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND p.name = 'unit_path' ORDER BY m.name"
        }
        Backend::Postgres => {
            "SELECT table_name::TEXT FROM information_schema.columns \
             WHERE table_schema = current_schema() AND column_name = 'unit_path' \
             ORDER BY table_name"
        }
    };
    c.query(sql, &[])?
        .iter()
        .map(|r: &Row| r.get::<String>(0))
        .collect()
}

/// Every (table, column) with a foreign key to `units(id)`.
pub fn unit_references(c: &mut dyn Conn) -> Result<Vec<(String, String)>> {
    let sql = match c.backend() {
        Backend::Sqlite => {
            "SELECT m.name, f.\"from\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
             WHERE m.type = 'table' AND f.\"table\" = 'units' ORDER BY m.name, f.\"from\""
        }
        Backend::Postgres => {
            "SELECT cl.relname::TEXT, a.attname::TEXT FROM pg_constraint co \
             JOIN pg_class cl ON cl.oid = co.conrelid \
             JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = ANY(co.conkey) \
             WHERE co.contype = 'f' AND co.confrelid = 'units'::regclass \
               AND cl.relnamespace = current_schema()::regnamespace \
             ORDER BY 1, 2"
        }
    };
    c.query(sql, &[])?
        .iter()
        .map(|r: &Row| Ok((r.get::<String>(0)?, r.get::<String>(1)?)))
        .collect()
}

/// How a unit's deletion names what still holds it. `None` for a table the
/// unit's other names (`unit_aliases`) live in: those go with the unit.
pub fn holder_name(table: &str) -> Option<(&'static str, &'static str)> {
    Some(match table {
        "unit_aliases" => return None,
        "units" => ("下级单元", "child units"),
        "people" => ("人员", "people"),
        "households" => ("户", "households"),
        "organisations" => ("组织", "organisations"),
        "cases" => ("案件", "cases"),
        "case_routes" => ("事件分派规则", "case routing rules"),
        "equipment" => ("特种设备", "pieces of equipment"),
        "construction_sites" => ("工地", "construction sites"),
        "inspection_plans" => ("检查计划", "inspection plans"),
        "inspection_targets" => ("检查对象", "inspection targets"),
        "users" => ("账号", "user accounts"),
        "registration_requests" => ("登记申请", "registration requests"),
        "facts" => ("统计数据", "recorded figures"),
        "supervising_offices" => ("监管单位设置", "supervising office settings"),
        _ => ("其他记录", "other records"),
    })
}
