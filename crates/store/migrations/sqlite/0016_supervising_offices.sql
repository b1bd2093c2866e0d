-- The office that supervises a case (监管/督办单位) besides the organisations
-- that work on it: it reads the case and may supervise it. Inspection findings
-- name the office of their target's jurisdiction, which `supervising_offices`
-- configures per issuing organisation and unit (a street, or any subtree): the
-- deepest configured unit above a target wins, else the plan's own office.
CREATE TABLE supervising_offices (
    issuing_org_id BIGINT NOT NULL REFERENCES organisations(id),
    unit_id        BIGINT NOT NULL REFERENCES units(id),
    office_org_id  BIGINT NOT NULL REFERENCES organisations(id),
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (issuing_org_id, unit_id)
);
ALTER TABLE inspection_targets ADD COLUMN supervising_org_id BIGINT REFERENCES organisations(id);
UPDATE inspection_targets SET supervising_org_id =
    (SELECT p.supervising_org_id FROM inspection_plans p WHERE p.id = inspection_targets.plan_id);
ALTER TABLE cases ADD COLUMN supervising_org_id BIGINT REFERENCES organisations(id);
UPDATE cases SET supervising_org_id =
    (SELECT MIN(g.supervising_org_id) FROM inspection_findings f
     JOIN inspection_targets g ON g.id = f.target_id WHERE f.case_id = cases.id);
CREATE INDEX cases_supervising_org ON cases(supervising_org_id, id);
