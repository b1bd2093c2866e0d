-- Registration requests (迁入申请): someone registers an ID number that is
-- already registered outside their scope. They are not told so; the request
-- goes to the staff of the unit that holds the person, who accept it (the
-- person moves to the requested unit) or refuse it. The submitted values are
-- not kept: only who asked, for which unit, and the outcome.
CREATE TABLE registration_requests (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id    BIGINT NOT NULL REFERENCES people(id),
    requested_by TEXT NOT NULL,
    unit_id      BIGINT NOT NULL REFERENCES units(id),
    status       TEXT NOT NULL DEFAULT 'pending',
    created_at   BIGINT NOT NULL,
    decided_at   BIGINT,
    decided_by   TEXT
);
CREATE INDEX registration_requests_by ON registration_requests(requested_by, created_at);
CREATE INDEX registration_requests_status ON registration_requests(status, id);

-- Import rows that became such requests ("待核实").
ALTER TABLE import_runs ADD COLUMN pending BIGINT NOT NULL DEFAULT 0;
