-- Periodic work (the deadline sweep) is claimed per period, so that several
-- `wangge serve` nodes on one database do it once per period, not once each.
-- The claim is made in the transaction that does the work: a node killed half
-- way leaves no claim behind, and the next tick of any node does the work.
CREATE TABLE periodic_runs (
    job     TEXT NOT NULL,
    period  BIGINT NOT NULL,
    node    TEXT NOT NULL,
    ran_at  BIGINT NOT NULL,
    PRIMARY KEY (job, period)
);

-- Idempotency keys are kept for a day (`cases::KEY_WINDOW_MS`); a job that runs
-- every minute deletes older ones by this index.
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
