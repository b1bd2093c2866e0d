-- The facts ledger: one value per (programme, metric, subject, period), kept
-- where its subject sits in the tree. Programmes write figures here (tax paid
-- by an enterprise in a month, households visited, members certified) and
-- dashboards and briefings read them back by subtree and period.
-- `subject` names what the value is about ('enterprise:12'; '' for the unit
-- itself); `period` is 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'.
CREATE TABLE facts (
    programme  TEXT NOT NULL,
    metric     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    period     TEXT NOT NULL,
    unit_id    BIGINT NOT NULL REFERENCES units(id),
    unit_path  TEXT COLLATE "C" NOT NULL,
    value      BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (programme, metric, subject, period)
);
CREATE INDEX facts_path ON facts(programme, metric, period, unit_path);

-- Each unit's subtree summed per period, kept with every write, so that a
-- zone's figure is one row whatever the number of facts under it. `facts` is
-- how many facts the sum holds.
CREATE TABLE fact_rollups (
    programme TEXT NOT NULL,
    metric    TEXT NOT NULL,
    unit_id   BIGINT NOT NULL,
    period    TEXT NOT NULL,
    value     BIGINT NOT NULL,
    facts     BIGINT NOT NULL,
    PRIMARY KEY (programme, metric, unit_id, period)
);
