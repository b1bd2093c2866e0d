-- Wangge schema v6: the inspection engine (SQLite). Keep in step with
-- ../postgres/0006_inspections.sql: same tables, columns and indexes; only
-- types and identity syntax differ.

-- Checklist templates. Editing makes a new version; a version never changes,
-- so records and plans point at the version they were filled in on.
CREATE TABLE inspection_templates (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    code       TEXT NOT NULL,
    version    BIGINT NOT NULL,
    name       TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (code, version)
);

-- A campaign over a set of targets. `unit_path` is the subtree the plan
-- covers (its scope); inspectors are accounts (`inspectors`, JSON user names)
-- and/or an organisation whose department handlers record (third-party experts).
CREATE TABLE inspection_plans (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    name               TEXT NOT NULL,
    template_id        BIGINT NOT NULL REFERENCES inspection_templates(id),
    unit_id            BIGINT NOT NULL REFERENCES units(id),
    unit_path          TEXT NOT NULL,
    issuing_org_id     BIGINT NOT NULL REFERENCES organisations(id),
    supervising_org_id BIGINT REFERENCES organisations(id),
    inspector_org_id   BIGINT REFERENCES organisations(id),
    inspectors         TEXT NOT NULL,
    due_date           TEXT NOT NULL,
    created_by         TEXT NOT NULL,
    created_at         BIGINT NOT NULL
);
CREATE INDEX inspection_plans_path ON inspection_plans(unit_path, id);

-- The targets a plan's filters chose, resolved when the plan was made.
-- `kind` is unit, organisation, equipment or construction_site; `ref_id` the
-- row of that kind; `grp` the label of the filter that chose it (人员密集场所).
CREATE TABLE inspection_targets (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id            BIGINT NOT NULL REFERENCES inspection_plans(id),
    kind               TEXT NOT NULL,
    ref_id             BIGINT NOT NULL,
    label              TEXT NOT NULL,
    grp                TEXT NOT NULL,
    unit_id            BIGINT NOT NULL REFERENCES units(id),
    unit_path          TEXT NOT NULL,
    responsible_org_id BIGINT REFERENCES organisations(id),
    UNIQUE (plan_id, kind, ref_id)
);
CREATE INDEX inspection_targets_path ON inspection_targets(unit_path, plan_id);
CREATE INDEX inspection_targets_ref ON inspection_targets(kind, ref_id);

-- One visit to one target. `record_key` is made by the client, so a record
-- saved offline and sent twice is stored once; `recorded_at` is the client's
-- time of the visit, `received_at` the server's.
CREATE TABLE inspection_records (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id      BIGINT NOT NULL REFERENCES inspection_plans(id),
    target_id    BIGINT NOT NULL REFERENCES inspection_targets(id),
    template_id  BIGINT NOT NULL REFERENCES inspection_templates(id),
    record_key   TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    inspector    TEXT NOT NULL,
    recorded_at  BIGINT NOT NULL,
    received_at  BIGINT NOT NULL,
    lat          REAL,
    lon          REAL,
    answers      TEXT NOT NULL,
    note         TEXT,
    attachment_ids TEXT NOT NULL,
    findings     BIGINT NOT NULL,
    UNIQUE (inspector, record_key)
);
CREATE INDEX inspection_records_target ON inspection_records(target_id, id);
CREATE INDEX inspection_records_plan ON inspection_records(plan_id, id);

-- A failed item of a record and the rectification case it became. A later
-- record's failure of the same item on the same target points at the same
-- case. `case_token_enc` is the case's follow token, sealed: the engine is the
-- case's reporter and reopens it with the token when a re-inspection finds
-- the item failing again.
CREATE TABLE inspection_findings (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id      BIGINT NOT NULL REFERENCES inspection_records(id),
    target_id      BIGINT NOT NULL REFERENCES inspection_targets(id),
    item_code      TEXT NOT NULL,
    section        TEXT NOT NULL,
    item_text      TEXT NOT NULL,
    severity       TEXT NOT NULL,
    finding        TEXT NOT NULL,
    case_id        BIGINT REFERENCES cases(id),
    case_token_enc BLOB,
    rectify_by     BIGINT,
    outcome        TEXT,
    created_at     BIGINT NOT NULL
);
CREATE INDEX inspection_findings_record ON inspection_findings(record_id, id);
CREATE INDEX inspection_findings_target ON inspection_findings(target_id, item_code);
CREATE INDEX inspection_findings_case ON inspection_findings(case_id);
