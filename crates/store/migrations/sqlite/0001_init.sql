-- Wangge schema v1 (SQLite). Keep in step with ../postgres/0001_init.sql: same
-- tables, columns and indexes; only types and identity syntax differ.

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The org tree. `path` is the materialized path of ids ('/1/5/23/'): a subtree
-- is the index range [path, path with its last '/' raised to '0').
CREATE TABLE units (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    code       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    parent_id  BIGINT REFERENCES units(id),
    path       TEXT NOT NULL UNIQUE,
    depth      BIGINT NOT NULL,
    next_seq   BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX units_parent ON units(parent_id, code);

-- Codes a unit had before it was moved, so old references still resolve.
CREATE TABLE unit_aliases (
    code    TEXT PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units(id)
);

CREATE TABLE organisations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    unit_id       BIGINT NOT NULL REFERENCES units(id),
    unit_path     TEXT NOT NULL,
    parent_org_id BIGINT REFERENCES organisations(id),
    credit_code   TEXT UNIQUE,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX organisations_path ON organisations(unit_path, id);
CREATE INDEX organisations_parent ON organisations(parent_org_id);

CREATE TABLE alliance_members (
    alliance_id BIGINT NOT NULL REFERENCES organisations(id),
    member_id   BIGINT NOT NULL REFERENCES organisations(id),
    joined_at   BIGINT NOT NULL,
    PRIMARY KEY (alliance_id, member_id)
);

CREATE TABLE households (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    number     TEXT,
    unit_id    BIGINT NOT NULL REFERENCES units(id),
    unit_path  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX households_path ON households(unit_path, id);

-- Personal values are stored only encrypted (*_enc) and, where they must be
-- found by equality, as a keyed hash (*_hash). Nothing here is readable without
-- the key file.
CREATE TABLE people (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    sex          TEXT NOT NULL,
    birth_date   TEXT NOT NULL,
    id_hash      BLOB NOT NULL UNIQUE,
    id_enc       BLOB NOT NULL,
    phone_hash   BLOB,
    phone_enc    BLOB,
    address_enc  BLOB,
    unit_id      BIGINT NOT NULL REFERENCES units(id),
    unit_path    TEXT NOT NULL,
    household_id BIGINT REFERENCES households(id),
    relation     TEXT,
    version      BIGINT NOT NULL DEFAULT 1,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX people_path ON people(unit_path, id);
CREATE INDEX people_household ON people(household_id);
CREATE INDEX people_phone ON people(phone_hash);

CREATE TABLE positions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id  BIGINT NOT NULL REFERENCES people(id),
    org_id     BIGINT NOT NULL REFERENCES organisations(id),
    kind       TEXT NOT NULL,
    title      TEXT NOT NULL,
    from_date  TEXT NOT NULL,
    to_date    TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX positions_person ON positions(person_id);
CREATE INDEX positions_org ON positions(org_id);

-- The audit log: append-only, each entry chained to the one before by a SHA-256
-- hash over its content and the previous hash. `audit_head` holds the end of the
-- chain; updating it serialises writers, so the chain has one order.
CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    client_addr TEXT,
    entity      TEXT NOT NULL,
    entity_id   BIGINT NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_entity ON audit_log(entity, entity_id);
CREATE INDEX audit_actor ON audit_log(actor, seq);
CREATE TABLE audit_head (
    id   BIGINT PRIMARY KEY,
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Accounts. A user's scope is a unit subtree, an organisation, or both.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    scope_unit_id BIGINT REFERENCES units(id),
    scope_org_id  BIGINT REFERENCES organisations(id),
    password_hash TEXT NOT NULL,
    disabled      BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- Sessions and tokens are stored as SHA-256 hashes: the database alone opens none.
CREATE TABLE sessions (
    token_hash  BLOB PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id),
    csrf_token  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    client_addr TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    name       TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used  BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

-- Failed logins per key (account, client address, or the pair) for growing delays.
CREATE TABLE login_throttle (
    key          TEXT PRIMARY KEY,
    failures     BIGINT NOT NULL,
    next_allowed BIGINT NOT NULL
);
