-- 自行处置: cases that staff reported and closed on the spot in one step
-- (action resolve_on_spot), counted apart from the closes that went through
-- dispatch and checking. Derived like every counter: `rebuild_counters`
-- recounts it from the log, so old logs need no backfill here.
ALTER TABLE case_counters ADD COLUMN on_spot BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_counters_month ADD COLUMN on_spot BIGINT NOT NULL DEFAULT 0;
