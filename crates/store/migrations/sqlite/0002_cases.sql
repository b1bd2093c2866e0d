-- Wangge schema v2: the case engine (SQLite). Keep in step with
-- ../postgres/0002_cases.sql: same tables, columns and indexes; only types differ.

-- Case categories (事件类别): a two-level tree, major → minor, kept as data so a
-- zone can add its own. A minor's code is its major's code plus two digits.
-- `required_fields` is a JSON list of extra field names a report must carry;
-- `deadlines` is JSON {accept|dispatch|handle: {amount, unit}}, a missing stage
-- falling back to the major's.
CREATE TABLE case_categories (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    code            TEXT NOT NULL UNIQUE,
    parent_id       BIGINT REFERENCES case_categories(id),
    name_zh         TEXT NOT NULL,
    name_en         TEXT NOT NULL,
    public_name     TEXT NOT NULL,
    confidential    BIGINT NOT NULL DEFAULT 0,
    required_fields TEXT NOT NULL DEFAULT '[]',
    deadlines       TEXT NOT NULL DEFAULT '{}',
    active          BIGINT NOT NULL DEFAULT 1,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX case_categories_parent ON case_categories(parent_id, code);

-- Routing: (minor category, unit subtree) → default lead organisation. The rule
-- on the deepest unit above a case wins. Keyed by unit id, so a moved unit keeps
-- its rules.
CREATE TABLE case_routes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    category_id BIGINT NOT NULL REFERENCES case_categories(id),
    unit_id     BIGINT NOT NULL REFERENCES units(id),
    org_id      BIGINT NOT NULL REFERENCES organisations(id),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (category_id, unit_id)
);

-- The last tracking number handed out per local day (WG-YYYYMMDD-NNNNN).
CREATE TABLE case_numbers (
    day  BIGINT PRIMARY KEY,
    last BIGINT NOT NULL
);

-- One row per case: the current state, derived from case_events in the same
-- transaction that appends to it (`snapshot` is the core Case as JSON, equal
-- to a replay of the log). A case lives at its unit: its place in the tree,
-- for scope and statistics, is the unit's path, joined, so a moved unit takes
-- its cases along. The reporter's name and contact are stored only encrypted;
-- the public follow token only as its SHA-256 hash. Deadline columns describe
-- the current stage; warned/overdue/escalated are per stage, ever_overdue is
-- for the whole case (按期结案).
CREATE TABLE cases (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    tracking_no           TEXT NOT NULL UNIQUE,
    category_id           BIGINT NOT NULL REFERENCES case_categories(id),
    unit_id               BIGINT NOT NULL REFERENCES units(id),
    description           TEXT NOT NULL,
    lat                   REAL,
    lon                   REAL,
    address_detail        TEXT,
    fields                TEXT NOT NULL DEFAULT '{}',
    source                TEXT NOT NULL,
    state                 TEXT NOT NULL,
    version               BIGINT NOT NULL,
    lead_org_id           BIGINT REFERENCES organisations(id),
    co_handlers           TEXT NOT NULL DEFAULT '[]',
    confidential          BIGINT NOT NULL DEFAULT 0,
    reporter_user_id      BIGINT REFERENCES users(id),
    reporter_name_enc     BLOB,
    reporter_contact_enc  BLOB,
    reporter_contact_hash BLOB,
    reporter_withheld     BIGINT NOT NULL DEFAULT 0,
    token_hash            BLOB UNIQUE,
    reported_at           BIGINT NOT NULL,
    stage                 TEXT,
    stage_started_at      BIGINT,
    due_at                BIGINT,
    warn_at               BIGINT,
    escalate_at           BIGINT,
    warned                BIGINT NOT NULL DEFAULT 0,
    overdue               BIGINT NOT NULL DEFAULT 0,
    escalated             BIGINT NOT NULL DEFAULT 0,
    ever_overdue          BIGINT NOT NULL DEFAULT 0,
    suspended             BIGINT NOT NULL DEFAULT 0,
    suspension_requested  BIGINT NOT NULL DEFAULT 0,
    supervised            BIGINT NOT NULL DEFAULT 0,
    at_joint_meeting      BIGINT NOT NULL DEFAULT 0,
    rework_count          BIGINT NOT NULL DEFAULT 0,
    closed_at             BIGINT,
    close_kind            TEXT,
    rating                BIGINT,
    merged_into           BIGINT REFERENCES cases(id),
    attachment_ids        TEXT NOT NULL DEFAULT '[]',
    snapshot              TEXT NOT NULL,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);
CREATE INDEX cases_unit ON cases(unit_id, id);
CREATE INDEX cases_created ON cases(created_at, id);
CREATE INDEX cases_category ON cases(category_id, created_at);
CREATE INDEX cases_reporter ON cases(reporter_user_id);
-- Inboxes: the open states are few among many closed cases.
CREATE INDEX cases_state ON cases(state, due_at);
-- The deadline sweep's three queues.
CREATE INDEX cases_warn ON cases(warned, warn_at);
CREATE INDEX cases_due ON cases(overdue, due_at);
CREATE INDEX cases_escalate ON cases(escalated, escalate_at);

-- The organisations working on a case now (lead and co-handlers): a department
-- handler's scope is this table.
CREATE TABLE case_orgs (
    case_id BIGINT NOT NULL REFERENCES cases(id),
    org_id  BIGINT NOT NULL REFERENCES organisations(id),
    role    TEXT NOT NULL,
    PRIMARY KEY (case_id, org_id)
);
CREATE INDEX case_orgs_org ON case_orgs(org_id, case_id);

-- The append-only event log. `event` is the core Event as JSON; it is NULL for
-- the store's own entries outside the state machine (warn, overdue, escalate,
-- merged_in), which do not change the case's version. `version` is the case's
-- version after the entry.
CREATE TABLE case_events (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id          BIGINT NOT NULL REFERENCES cases(id),
    seq              BIGINT NOT NULL,
    version          BIGINT NOT NULL,
    at               BIGINT NOT NULL,
    actor            TEXT NOT NULL,
    actor_role       TEXT,
    from_state       TEXT,
    to_state         TEXT NOT NULL,
    action           TEXT NOT NULL,
    org_id           BIGINT,
    note             TEXT,
    event            TEXT,
    attachment_ids   TEXT NOT NULL DEFAULT '[]',
    handling_minutes BIGINT,
    UNIQUE (case_id, seq)
);

-- Likely duplicates flagged at intake (same minor category, same compound or
-- within a radius, within some days).
CREATE TABLE case_duplicates (
    case_id      BIGINT NOT NULL REFERENCES cases(id),
    candidate_id BIGINT NOT NULL REFERENCES cases(id),
    reason       TEXT NOT NULL,
    distance_m   REAL,
    PRIMARY KEY (case_id, candidate_id)
);

-- Idempotency-Key: a repeated request with the same key and body gets the first
-- answer. `response` says what was created (id and number); the answer itself
-- is in `secret_enc`, encrypted, since it carries what the database must not
-- hold in clear (a case's follow token, the reporter's name).
CREATE TABLE idempotency_keys (
    principal    TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response     TEXT NOT NULL,
    secret_enc   BLOB,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (principal, key)
);

-- Statistics counters, kept in the transaction that appends each event. Every
-- event adds to one row per ancestor of the case's unit (zone, street, …,
-- building), so a row holds its unit's whole subtree and any level's numbers
-- for a period are one index range (unit_id, day). `day` is the local date as
-- YYYYMMDD. Derived: `cases::rebuild_counters` recomputes them from the log
-- (needed after a unit moves).
CREATE TABLE case_counters (
    unit_id        BIGINT NOT NULL,
    day            BIGINT NOT NULL,
    category_id    BIGINT NOT NULL,
    received       BIGINT NOT NULL DEFAULT 0,
    accepted       BIGINT NOT NULL DEFAULT 0,
    rejected       BIGINT NOT NULL DEFAULT 0,
    withdrawn      BIGINT NOT NULL DEFAULT 0,
    handled        BIGINT NOT NULL DEFAULT 0,
    rework         BIGINT NOT NULL DEFAULT 0,
    closed         BIGINT NOT NULL DEFAULT 0,
    closed_on_time BIGINT NOT NULL DEFAULT 0,
    overdue        BIGINT NOT NULL DEFAULT 0,
    reopened       BIGINT NOT NULL DEFAULT 0,
    timed          BIGINT NOT NULL DEFAULT 0,
    time_sum_min   BIGINT NOT NULL DEFAULT 0,
    rating_count   BIGINT NOT NULL DEFAULT 0,
    rating_sum     BIGINT NOT NULL DEFAULT 0,
    escalations    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (unit_id, day, category_id)
);

-- Handling time histogram beside the counters, in log-scaled working-minute
-- buckets (see cases::counters::bucket_of), for percentiles.
CREATE TABLE case_counter_hist (
    unit_id     BIGINT NOT NULL,
    day         BIGINT NOT NULL,
    category_id BIGINT NOT NULL,
    bucket      BIGINT NOT NULL,
    n           BIGINT NOT NULL,
    PRIMARY KEY (unit_id, day, category_id, bucket)
);
