-- Statistics roll-ups (see cases/counters.rs and cases/stats.rs). A year's
-- numbers for the zone read twelve monthly rows per category plus the days of
-- the partial months at either end, instead of 365 days; the handling-time
-- histogram and the escalations that decide 零上访小区 get tables without the
-- category, so a subtree's answer stays a few thousand rows at any size.
-- Every table here is kept in the same transaction as `case_counters` and is
-- derived like it: `cases::rebuild_counters` recomputes them all.

-- `case_counters` summed per local month (YYYYMM).
CREATE TABLE case_counters_month (
    unit_id        BIGINT NOT NULL,
    month          BIGINT NOT NULL,
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
    PRIMARY KEY (unit_id, month, category_id)
);

-- The handling-time histogram without the category, per day and per month,
-- and per month with the category (for the numbers by category).
CREATE TABLE case_hist_day (
    unit_id BIGINT NOT NULL,
    day     BIGINT NOT NULL,
    bucket  BIGINT NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (unit_id, day, bucket)
);
CREATE TABLE case_hist_month (
    unit_id BIGINT NOT NULL,
    month   BIGINT NOT NULL,
    bucket  BIGINT NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (unit_id, month, bucket)
);
CREATE TABLE case_hist_cat_month (
    unit_id     BIGINT NOT NULL,
    month       BIGINT NOT NULL,
    category_id BIGINT NOT NULL,
    bucket      BIGINT NOT NULL,
    n           BIGINT NOT NULL,
    PRIMARY KEY (unit_id, month, category_id, bucket)
);

-- Escalations per unit without the category, only where there were any.
CREATE TABLE case_esc_day (
    unit_id BIGINT NOT NULL,
    day     BIGINT NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (unit_id, day)
);
CREATE TABLE case_esc_month (
    unit_id BIGINT NOT NULL,
    month   BIGINT NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (unit_id, month)
);

-- Duplicate search at intake: the newest open cases of one category in one
-- unit, read in index order so the search stops at its limit; and the
-- cases of one category in a band of latitude for the distance test.
CREATE INDEX cases_dup_unit ON cases(unit_id, category_id, created_at);
CREATE INDEX cases_dup_geo ON cases(category_id, lat);

-- Backfill from the daily counters.
INSERT INTO case_counters_month (unit_id, month, category_id, received, accepted, rejected,
    withdrawn, handled, rework, closed, closed_on_time, overdue, reopened, timed, time_sum_min,
    rating_count, rating_sum, escalations)
SELECT unit_id, day / 100, category_id, SUM(received), SUM(accepted), SUM(rejected),
    SUM(withdrawn), SUM(handled), SUM(rework), SUM(closed), SUM(closed_on_time), SUM(overdue),
    SUM(reopened), SUM(timed), SUM(time_sum_min), SUM(rating_count), SUM(rating_sum),
    SUM(escalations)
FROM case_counters GROUP BY unit_id, day / 100, category_id;

INSERT INTO case_hist_day (unit_id, day, bucket, n)
SELECT unit_id, day, bucket, SUM(n) FROM case_counter_hist GROUP BY unit_id, day, bucket;

INSERT INTO case_hist_month (unit_id, month, bucket, n)
SELECT unit_id, day / 100, bucket, SUM(n) FROM case_counter_hist
GROUP BY unit_id, day / 100, bucket;

INSERT INTO case_hist_cat_month (unit_id, month, category_id, bucket, n)
SELECT unit_id, day / 100, category_id, bucket, SUM(n) FROM case_counter_hist
GROUP BY unit_id, day / 100, category_id, bucket;

INSERT INTO case_esc_day (unit_id, day, n)
SELECT unit_id, day, SUM(escalations) FROM case_counters
GROUP BY unit_id, day HAVING SUM(escalations) <> 0;

INSERT INTO case_esc_month (unit_id, month, n)
SELECT unit_id, day / 100, SUM(escalations) FROM case_counters
GROUP BY unit_id, day / 100 HAVING SUM(escalations) <> 0;
