-- Wangge schema v5: the special-equipment (elevator) registry and the
-- construction-site registry (SQLite). Keep in step with
-- ../postgres/0005_equipment.sql: same tables, columns and indexes; only types
-- and identity syntax differ.
--
-- Like people and organisations, each row copies its unit's materialized path
-- into `unit_path`, so a scope's list is one index range on (unit_path, id)
-- and a unit move rewrites it with the rest of the subtree.

-- Elevators and escalators. `unit_id` is where the equipment stands (a
-- compound, a building or a crowded place); `use_org_id` the use unit
-- (使用单位) answerable for it; `maintenance_org_id` the maintenance company.
-- Dates are YYYY-MM-DD text. `next_inspection_due` and `maintenance_due` are
-- kept beside the dates they derive from so that the alert queries are index
-- ranges rather than date arithmetic in SQL (which the two backends spell
-- differently).
CREATE TABLE equipment (
    id                        INTEGER PRIMARY KEY AUTOINCREMENT,
    registration_code         TEXT NOT NULL UNIQUE,
    kind                      TEXT NOT NULL CHECK (kind IN ('elevator', 'escalator')),
    unit_id                   BIGINT NOT NULL REFERENCES units(id),
    unit_path                 TEXT NOT NULL,
    location                  TEXT NOT NULL DEFAULT '',
    use_org_id                BIGINT NOT NULL REFERENCES organisations(id),
    maintenance_org_id        BIGINT REFERENCES organisations(id),
    model                     TEXT NOT NULL DEFAULT '',
    installed_on              TEXT NOT NULL,
    last_inspected_on         TEXT,
    next_inspection_due       TEXT NOT NULL,
    maintenance_interval_days BIGINT NOT NULL DEFAULT 15 CHECK (maintenance_interval_days > 0),
    last_maintained_on        TEXT,
    maintenance_due           TEXT NOT NULL,
    status                    TEXT NOT NULL DEFAULT 'in_use' CHECK (status IN ('in_use', 'stopped', 'scrapped')),
    version                   BIGINT NOT NULL DEFAULT 1,
    created_at                BIGINT NOT NULL,
    updated_at                BIGINT NOT NULL
);
CREATE INDEX equipment_path ON equipment(unit_path, id);
CREATE INDEX equipment_inspection_due ON equipment(next_inspection_due, id);
CREATE INDEX equipment_maintenance_due ON equipment(maintenance_due, id);
CREATE INDEX equipment_use_org ON equipment(use_org_id);
CREATE INDEX equipment_maintenance_org ON equipment(maintenance_org_id);

-- Maintenance visits (维护保养), newest last.
CREATE TABLE equipment_maintenance (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    equipment_id BIGINT NOT NULL REFERENCES equipment(id),
    done_on      TEXT NOT NULL,
    org_id       BIGINT REFERENCES organisations(id),
    note         TEXT NOT NULL DEFAULT '',
    recorded_by  TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX equipment_maintenance_equipment ON equipment_maintenance(equipment_id, done_on);

-- Periodic inspections (定期检验) by the inspection body; each moves the
-- equipment's last/next inspection dates.
CREATE TABLE equipment_inspections (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    equipment_id BIGINT NOT NULL REFERENCES equipment(id),
    inspected_on TEXT NOT NULL,
    result       TEXT NOT NULL CHECK (result IN ('pass', 'fail')),
    next_due     TEXT NOT NULL,
    report_no    TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    recorded_by  TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX equipment_inspections_equipment ON equipment_inspections(equipment_id, inspected_on);

-- Construction sites (施工工地): the project, its builder and where and when
-- it is built. Dust-control checks on them are inspection records (0006).
CREATE TABLE construction_sites (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT NOT NULL,
    builder_org_id BIGINT NOT NULL REFERENCES organisations(id),
    unit_id        BIGINT NOT NULL REFERENCES units(id),
    unit_path      TEXT NOT NULL,
    location       TEXT NOT NULL DEFAULT '',
    starts_on      TEXT NOT NULL,
    ends_on        TEXT,
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('planned', 'active', 'suspended', 'finished')),
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX construction_sites_path ON construction_sites(unit_path, id);
CREATE INDEX construction_sites_builder ON construction_sites(builder_org_id);
